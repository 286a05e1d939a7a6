/**
 * One evidence run: manifests + captures in, verdicts with proposed statuses and the sanitised
 * evidence file out. The CLI and the refresh script both go through here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCoreData, matrixRows } from '../../scoring/dataset.ts';
import type { StatusId } from '../../scoring/schema.ts';
import { slugify } from '../../scoring/slug.ts';
import type { StatusCatalog } from '../../scoring/statuses.ts';
import { type Manifest, parseManifest } from '../manifest.schema.ts';
import {
  EVIDENCE_SCHEMA_VERSION,
  type EvidenceCell,
  type EvidenceFile,
} from './evidence-file.schema.ts';
import {
  type MatchResult,
  matchCaptures,
  type SubCategoryVerdict,
  type Verdict,
} from './matcher.ts';
import type { InputFormat } from './readers/capture.ts';
import type { RuleSets } from './rule-engine.ts';
import { loadRuleSets } from './rules.ts';
import { redactValue, type Secrets, sanitizeEvent } from './sanitize.ts';
import { manifestTargets } from './targets.ts';

export const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));

/**
 * Verdict → matrix status. "Not testable here" is `not-tested`: no action could run here or the
 * sensor was not running, so the capture proves neither way; it is never No nor a vendor's
 * Pending Response. The evidence file says why.
 */
const VERDICT_STATUS: Record<Verdict, StatusId> = {
  observed: 'yes',
  partially: 'partially',
  'not-observed': 'no',
  'not-testable': 'not-tested',
};

export interface LoadedManifest {
  path: string;
  manifest: Manifest;
  sha256: string;
}

/** Reads and validates a manifest, hashing the exact bytes (the hash cells cite). */
export async function loadManifest(path: string): Promise<LoadedManifest> {
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `${path}: the manifest cannot be read (${error.code === 'ENOENT' ? 'no such file' : error.code}). Create one with npm run generate -- all --out ${path}.`,
    );
  });
  const manifest = parseManifest(bytes.toString('utf8'), path);
  return { path, manifest, sha256: createHash('sha256').update(bytes).digest('hex') };
}

interface Row {
  subCategory: string;
  name: string;
  category: string;
  verdict: SubCategoryVerdict;
  status: StatusId;
  /** The non-default sensor setting the capture was made with, when the cell depends on it. */
  setting?: string;
}

export interface EvidenceRun {
  match: MatchResult;
  rows: Row[];
  file: EvidenceFile;
  statuses: StatusCatalog;
  manifests: LoadedManifest[];
}

export interface EvidenceOptions {
  manifests: LoadedManifest[];
  captures: string[];
  format?: InputFormat | undefined;
  skewMs?: number | undefined;
  /** The id defaults to the slug of the name. */
  vendor: { id?: string; name: string; productVersion?: string | undefined };
  /**
   * Sub-categories the sensor only records with a non-default setting, and that setting: an
   * observed cell then proposes `via-enabling-telemetry` instead of `yes`.
   */
  enabledBy?: Record<string, string>;
  /** Extra tool versions to record (the sensor's, LAUREL's...). */
  tools?: Record<string, string>;
  rules?: RuleSets;
  dataDir?: string;
  now?: () => Date;
  onProgress?: (message: string) => void;
  /** Worker threads reading each capture (`MatchOptions.threads`; default: by capture size). */
  threads?: number;
  /** Bytes per batch of a parallel read (tests make it small). */
  batchBytes?: number;
}

function toolVersion(): string {
  return process.env.npm_package_version ?? '0.1.0';
}

/** Runs the matcher and assembles rows and the evidence file. */
export async function runEvidence(options: EvidenceOptions): Promise<EvidenceRun> {
  const dataDir = options.dataDir ?? DATA_DIR;
  const core = await loadCoreData(dataDir);
  const rules = options.rules ?? (await loadRuleSets({ dataDir }));
  const linuxRows = matrixRows(core.matrices.linux);
  const subIds = linuxRows.map((r) => r.sub.id);
  const manifests = options.manifests.map((m) => m.manifest);
  const { targets, untestable } = manifestTargets(manifests, subIds);
  const generatorPids = new Set<number>();
  for (const m of manifests)
    for (const run of m.runs)
      for (const a of run.actions) {
        generatorPids.add(a.actor.pid);
        for (const c of a.children ?? []) generatorPids.add(c.pid);
      }
  const first = manifests[0];
  const match = await matchCaptures(options.captures, {
    rules,
    format: options.format,
    skewMs: options.skewMs,
    targets,
    untestable,
    subCategories: subIds,
    generatorPids,
    ...(first === undefined ? {} : { hostname: first.host.hostname }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    threads: options.threads,
    batchBytes: options.batchBytes,
  });
  const rows: Row[] = linuxRows.map(({ sub, category }) => {
    const verdict = match.verdicts.find((v) => v.subCategory === sub.id) as SubCategoryVerdict;
    const setting = options.enabledBy?.[sub.id];
    return {
      subCategory: sub.id,
      name: sub.name,
      category: category.name,
      verdict,
      status:
        setting !== undefined && verdict.verdict === 'observed'
          ? 'via-enabling-telemetry'
          : VERDICT_STATUS[verdict.verdict],
      ...(setting === undefined ? {} : { setting }),
    };
  });
  const secrets: Secrets = {
    words: manifests.flatMap((m) =>
      [m.host.hostname, m.host.machineId, m.host.bootId].filter(
        (w): w is string => w !== undefined && w !== '',
      ),
    ),
  };
  const cells: Record<string, EvidenceCell> = {};
  for (const row of rows) {
    const v = row.verdict;
    cells[row.subCategory] = {
      verdict: v.verdict,
      status: row.status,
      reason: v.reason,
      ...(row.setting === undefined ? {} : { setting: row.setting }),
      generators: v.generators,
      actions: v.actions,
      absent: Object.fromEntries(
        Object.entries(v.absent).filter(([, n]) => (n ?? 0) > 0),
      ) as Record<string, number>,
      wrong: Object.fromEntries(Object.entries(v.wrong).map(([k, w]) => [k, w?.count ?? 0])),
      unexpected: v.unexpected,
      missing: v.missing.map((m) => redactValue(m, secrets) as string),
      wrongValues: v.wrongValues.map((w) => ({
        action: redactValue(w.action, secrets) as string,
        fact: w.fact,
        got: redactValue(w.got, secrets),
        want: w.want.map((x) => redactValue(x, secrets)),
      })),
      targets: match.outcomes
        .filter((o) => o.target.subCategory === row.subCategory)
        .map((o) => ({
          generator: o.target.generator,
          seq: o.target.seq,
          action: redactValue(o.target.label, secrets) as string,
          description: redactValue(o.target.description, secrets) as string,
          outcome: o.outcome,
          ...(o.best === undefined
            ? {}
            : { event: `${basename(o.best.event.source)}:${o.best.event.line}` }),
          absent: Object.entries(o.best?.checks ?? {})
            .filter(([, c]) => c === 'absent')
            .map(([k]) => k),
          wrong: Object.entries(o.best?.checks ?? {})
            .filter(([, c]) => c === 'wrong')
            .map(([k]) => k),
        })),
      proof: v.proof,
      rules: v.rules,
      samples: v.samples.map((s) => ({
        capture: basename(s.source),
        line: s.line,
        rule: s.rule,
        event: sanitizeEvent(s.doc, s.fields, secrets),
      })),
    };
  }
  const now = (options.now ?? (() => new Date()))();
  const earliest = [...manifests.map((m) => m.createdAt)].sort()[0] ?? now.toISOString();
  const vendorName = options.vendor.name;
  const file: EvidenceFile = {
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    platform: 'linux',
    vendor: {
      id: options.vendor.id ?? slugify(vendorName),
      name: vendorName,
      ...(options.vendor.productVersion === undefined
        ? {}
        : { productVersion: options.vendor.productVersion }),
    },
    generatedAt: now.toISOString(),
    capturedAt: earliest,
    tools: {
      'edr-telemetry-matrix evidence': toolVersion(),
      node: process.versions.node,
      ...Object.fromEntries(
        [...new Set(manifests.map((m) => `${m.tool.name} ${m.tool.version}`))].map((t) => {
          const [name, ...version] = t.split(' ');
          return [name ?? 'generators', version.join(' ')];
        }),
      ),
      ...options.tools,
    },
    host: {
      distro: first?.host.distro.name ?? 'unknown',
      kernelRelease: first?.host.kernelRelease ?? 'unknown',
      arch: first?.host.arch ?? 'unknown',
    },
    manifests: options.manifests.map((m) => ({
      sha256: m.sha256,
      createdAt: m.manifest.createdAt,
      generators: [...new Set(m.manifest.runs.map((r) => r.generator))],
    })),
    captures: match.captures.map((c) => ({
      name: basename(c.source),
      format: c.format ?? 'ecs',
      events: c.events,
      malformed: c.malformed,
    })),
    cells,
  };
  return { match, rows, file, statuses: core.statuses, manifests: options.manifests };
}
