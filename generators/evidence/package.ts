/**
 * Evidence packages: `npm run evidence -- package` turns a contributor's capture (with generator
 * manifests, or without: sample events) into `data/evidence/<package>/`:
 *
 * - `capture*.gz`: the sanitised capture(s), gzipped; `manifest*.json`: the sanitised manifests;
 * - `record.json` (`package.schema.ts`): what the contributor stated and what the tool derived;
 * - `assertions.json` (`scoring/provenance.schema.ts`): one evidence assertion per cell the capture
 *   speaks to, the data change the site and scores read;
 * - `PULL_REQUEST.md`: the pull-request body.
 *
 * Everything after sanitising is derived from the folder alone (`derivePackage`), so
 * `npm run evidence:verify` can derive it again from what is committed and compare.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loadCoreData, matrixRows } from '../../scoring/dataset.ts';
import { formatIssue, parseData } from '../../scoring/issues.ts';
import {
  type AssertionsFile,
  AssertionsFileSchema,
  type EvidenceAssertion,
} from '../../scoring/provenance.schema.ts';
import { type PlatformMatrix, SlugSchema, type StatusId } from '../../scoring/schema.ts';
import { slugify } from '../../scoring/slug.ts';
import type { StatusCatalog } from '../../scoring/statuses.ts';
import { DATA_DIR, type EvidenceRun, loadManifest, runEvidence } from './evidence.ts';
import { agentTypesOf, identify, productSources } from './identity.ts';
import {
  PACKAGE_SCHEMA_VERSION,
  type PackageInputs,
  type PackageRecord,
  PackageRecordSchema,
  type Shown,
} from './package.schema.ts';
import { renderPullRequest } from './package-report.ts';
import { linuxShown, windowsShown } from './package-samples.ts';
import { detectFormat, type InputFormat } from './readers/capture.ts';
import { firstLines } from './readers/lines.ts';
import { loadRuleSets } from './rules.ts';
import { type SanitizeReport, Sanitizer } from './sanitize.ts';
import { type FileShape, fileShape, learnFile, sanitizeFile } from './sanitize-capture.ts';
import { capturesPlatform } from './windows/command.ts';
import { detectWindowsCapture } from './windows/detect.ts';
import { loadWindowsRules } from './windows/rules.ts';

/** Files every package folder holds besides its captures, manifests and notices. */
export const PACKAGE_FILES = {
  record: 'record.json',
  assertions: 'assertions.json',
  body: 'PULL_REQUEST.md',
} as const;

/** Thrown for a package request that cannot be honoured; the message says what to do. */
export class PackageError extends Error {
  override name = 'PackageError';
}

export interface PackageRequest {
  captures: readonly string[];
  manifests: readonly string[];
  /** Licence files the captures came with, copied into the folder as they are. */
  notices?: readonly string[];
  /** Product name or matrix vendor id. */
  vendor: string;
  platform?: 'linux' | 'windows' | undefined;
  productVersion?: string | undefined;
  build?: string | undefined;
  cellVersions?: Record<string, string>;
  settings?: PackageInputs['settings'];
  policy?: { name: string; file?: string | undefined } | undefined;
  cells?: readonly string[];
  tester: PackageInputs['tester'];
  source?: PackageInputs['source'];
  /** The folder name; default `<vendor>-<platform>-<date>`. */
  id?: string | undefined;
  /** The folder packages go in (data/evidence). */
  root: string;
  dataDir?: string;
  now?: () => Date;
  onProgress?: (message: string) => void;
}

export interface Derived {
  record: PackageRecord;
  assertions: AssertionsFile;
  body: string;
}

const EXTENSION: Record<FileShape, string> = {
  'json-lines': 'ndjson',
  json: 'json',
  csv: 'csv',
  text: 'log',
};

function sha256Of(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The matrix vendor a name or id refers to, or a new id from the name. */
function resolveVendor(matrix: PlatformMatrix, vendor: string): { id: string; name: string } {
  const listed = matrix.vendors.find(
    (v) => v.id === vendor || v.id === slugify(vendor) || v.name === vendor,
  );
  return listed === undefined
    ? { id: slugify(vendor), name: vendor }
    : { id: listed.id, name: listed.name };
}

/**
 * Sanitises the inputs, writes the folder and derives its record, assertions and pull-request
 * body. Nothing is written until every input was read and sanitised, and the folder appears
 * whole (written beside, then renamed) or not at all.
 */
export async function createPackage(request: PackageRequest): Promise<Derived & { dir: string }> {
  const progress = request.onProgress ?? (() => {});
  const dataDir = request.dataDir ?? DATA_DIR;
  if (request.captures.length === 0)
    throw new PackageError('A package needs at least one --events capture.');
  const detected = await capturesPlatform(request.captures);
  if (detected.kind === 'mixed') throw new PackageError(detected.message);
  const platform = request.platform ?? (detected.kind === 'windows' ? 'windows' : 'linux');
  if (platform === 'windows' && detected.kind !== 'windows')
    throw new PackageError(
      `--platform windows, but ${request.captures.join(', ')} is not a Windows capture the readers know (event-log JSON, NXLog, wevtutil XML, Winlogbeat).`,
    );
  if (platform === 'linux' && detected.kind === 'windows')
    throw new PackageError(
      `--platform linux, but ${request.captures.join(', ')} is a Windows capture.`,
    );
  if (platform === 'windows' && request.manifests.length > 0)
    throw new PackageError(
      'There are no Windows generators: package a Windows capture without --manifest.',
    );
  const core = await loadCoreData(dataDir);
  const vendor = resolveVendor(core.matrices[platform], request.vendor);
  const subIds = new Set(matrixRows(core.matrices[platform]).map((r) => r.sub.id));
  const named = [
    ...(request.cells ?? []),
    ...Object.keys(request.cellVersions ?? {}),
    ...(request.settings ?? []).flatMap((s) => s.subCategories),
  ];
  const unknown = [...new Set(named.filter((id) => !subIds.has(id)))];
  if (unknown.length > 0)
    throw new PackageError(
      `Unknown ${platform} sub-category id(s): ${unknown.join(', ')}. The ids are the slugs in data/matrices/${platform}.json (e.g. ${[...subIds].slice(0, 3).join(', ')}).`,
    );

  // The capture's own sensor must not be another product's: checked before anything is written.
  const shapes = await Promise.all(request.captures.map(fileShape));
  for (const [i, path] of request.captures.entries()) {
    const seen = await agentTypesOf(path, shapes[i] as FileShape);
    identify([...seen.values()], vendor.id, path);
  }

  progress(`Sanitising ${request.manifests.length + request.captures.length} file(s)...`);
  const sanitizer = new Sanitizer();
  const manifestShapes = await Promise.all(request.manifests.map(fileShape));
  for (const [i, path] of request.manifests.entries())
    await learnFile(path, manifestShapes[i] as FileShape, sanitizer);
  for (const [i, path] of request.captures.entries())
    await learnFile(path, shapes[i] as FileShape, sanitizer);
  const manifestTexts = [];
  for (const [i, path] of request.manifests.entries())
    manifestTexts.push(await sanitizeFile(path, manifestShapes[i] as FileShape, sanitizer));
  const captureTexts = [];
  for (const [i, path] of request.captures.entries())
    captureTexts.push(await sanitizeFile(path, shapes[i] as FileShape, sanitizer));
  const sanitising = sanitizer.report();

  const now = (request.now ?? (() => new Date()))();
  const date = `${now.toISOString().slice(0, 19)}Z`;
  const id = request.id ?? `${vendor.id}-${platform}-${date.slice(0, 10)}`;
  if (!SlugSchema.safeParse(id).success)
    throw new PackageError(
      `--id "${id}" is not a folder name the data accepts: lowercase letters, digits and single hyphens, such as "elastic-linux-pr199".`,
    );
  const dir = join(request.root, id);
  const exists = await readFile(join(dir, PACKAGE_FILES.record)).then(
    () => true,
    () => false,
  );
  if (exists)
    throw new PackageError(
      `${dir} already holds a package. Choose another --id, or remove the folder to package again.`,
    );
  const name = (base: string, ext: string, i: number, count: number) =>
    count === 1 ? `${base}.${ext}` : `${base}-${i + 1}.${ext}`;
  const captureFiles = captureTexts.map((t, i) => {
    // wevtutil's XML is text to the sanitiser, but a reader opening it expects .xml.
    const ext = t.text.trimStart().startsWith('<') ? 'xml' : EXTENSION[shapes[i] as FileShape];
    return name('capture', `${ext}.gz`, i, captureTexts.length);
  });
  const manifestFiles = manifestTexts.map((_, i) =>
    name('manifest', 'json', i, manifestTexts.length),
  );
  const noticeFiles = (request.notices ?? []).map((n) => basename(n));

  const staging = join(request.root, `.${id}.tmp-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    for (const [i, t] of captureTexts.entries())
      await writeFile(join(staging, captureFiles[i] as string), gzipSync(t.text));
    for (const [i, t] of manifestTexts.entries())
      await writeFile(join(staging, manifestFiles[i] as string), t.text);
    for (const n of request.notices ?? []) await copyFile(n, join(staging, basename(n)));
    const formats = await Promise.all(
      captureFiles.map(async (f) => {
        const path = join(staging, f);
        if (platform === 'windows') {
          const found = await detectWindowsCapture(path);
          return found.ok ? { layout: found.layout } : {};
        }
        const format = detectFormat(await firstLines(path, 5));
        return format === undefined ? {} : { format };
      }),
    );
    const policySha =
      request.policy?.file === undefined
        ? undefined
        : sha256Of(
            await readFile(request.policy.file).catch(() => {
              throw new PackageError(`--policy: ${request.policy?.file} cannot be read.`);
            }),
          );
    const inputs: PackageInputs = {
      id,
      kind: request.manifests.length > 0 ? 'generator-run' : 'sample-events',
      platform,
      vendor,
      product: {
        ...(request.productVersion === undefined ? {} : { version: request.productVersion }),
        ...(request.build === undefined ? {} : { build: request.build }),
      },
      cellVersions: request.cellVersions ?? {},
      settings: request.settings ?? [],
      ...(request.policy === undefined
        ? {}
        : {
            policy: {
              name: request.policy.name,
              ...(policySha === undefined ? {} : { sha256: policySha }),
            },
          }),
      cells: [...(request.cells ?? [])],
      tester: request.tester,
      ...(request.source === undefined ? {} : { source: request.source }),
      date,
      captures: captureFiles.map((file, i) => ({ file, ...formats[i] })),
      manifests: manifestFiles,
      notices: noticeFiles,
    };
    progress(`Deriving the evidence from the sanitised files...`);
    const derived = await derivePackage(staging, inputs, sanitising, {
      dataDir,
      onProgress: progress,
    });
    await writePackageFiles(staging, derived);
    await mkdir(dirname(dir), { recursive: true });
    await rename(staging, dir);
    return { ...derived, dir };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The three derived files, as they are committed. */
export function packageTexts(derived: Derived): Record<keyof typeof PACKAGE_FILES, string> {
  return {
    record: `${JSON.stringify(derived.record, null, 2)}\n`,
    assertions: `${JSON.stringify(derived.assertions, null, 2)}\n`,
    body: derived.body,
  };
}

async function writePackageFiles(dir: string, derived: Derived): Promise<void> {
  const texts = packageTexts(derived);
  for (const key of Object.keys(PACKAGE_FILES) as (keyof typeof PACKAGE_FILES)[])
    await writeFile(join(dir, PACKAGE_FILES[key]), texts[key]);
}

/**
 * The status a sample capture supports for a cell. A setting named for it makes it
 * via-enabling-telemetry; a Windows log the product forwards, via-event-logs; a required fact no
 * event carries, partially; else yes. It is never a strict verdict (`fields-shown`).
 */
function sampleStatus(s: Shown, setting: string | undefined): StatusId {
  if (setting !== undefined) return 'via-enabling-telemetry';
  if (s.telemetry === 'via-event-logs') return 'via-event-logs';
  const lacking = Object.values(s.absentRequired).some((n) => n >= s.events);
  return lacking ? 'partially' : 'yes';
}

function sampleReason(
  s: Shown,
  status: StatusId,
  claimed: StatusId | undefined,
  statuses: StatusCatalog,
  setting: string | undefined,
  platform: string,
): string {
  const label = (id: StatusId) => statuses.byId.get(id)?.label ?? id;
  const hosts = s.hosts === undefined ? [] : Object.keys(s.hosts);
  const parts = [
    `Sample events, no generator run: ${s.events} event(s)${hosts.length > 1 ? ` from ${hosts.length} hosts` : ''} show ${s.fields.map((f) => `\`${f}\``).join(', ')}.`,
  ];
  const lacking = Object.entries(s.absentRequired);
  if (lacking.length > 0)
    parts.push(`Lacking: ${lacking.map(([f, n]) => `${f} on ${n} of ${s.events}`).join('; ')}.`);
  if (setting !== undefined) parts.push(`With ${setting}.`);
  if (s.telemetry === 'via-event-logs')
    parts.push("The events are Windows' own logs, which the product forwards.");
  parts.push(
    'No manifest and no time window: the events show that the fields exist, they are not a strict verdict.',
  );
  if (claimed !== undefined)
    parts.push(
      claimed === status
        ? `Supports the claimed ${label(claimed)}.`
        : `The ${platform} matrix claims ${label(claimed)} for this cell.`,
    );
  return parts.join(' ');
}

/**
 * Everything a package's folder says, derived from its committed files and `inputs` alone: the
 * record, the assertions and the pull-request body. `sanitising` is carried as it was reported
 * when the package was made.
 */
export async function derivePackage(
  dir: string,
  inputs: PackageInputs,
  sanitising: SanitizeReport,
  options: { dataDir?: string; onProgress?: (message: string) => void } = {},
): Promise<Derived> {
  const dataDir = options.dataDir ?? DATA_DIR;
  const core = await loadCoreData(dataDir);
  const matrix = core.matrices[inputs.platform];
  const rows = matrixRows(matrix);
  const names = new Map(rows.map((r) => [r.sub.id, r.sub.name]));
  const claimedOf = (sub: string): StatusId | undefined => {
    const row = rows.find((r) => r.sub.id === sub);
    const vendor = matrix.vendors.find((v) => v.id === inputs.vendor.id);
    return vendor?.source === 'claimed' ? row?.sub.cells[inputs.vendor.id]?.status : undefined;
  };
  const settingOf = (sub: string) => inputs.settings.find((s) => s.subCategories.includes(sub));
  const wanted = (sub: string) => inputs.cells.length === 0 || inputs.cells.includes(sub);
  const capturePaths = inputs.captures.map((c) => join(dir, c.file));
  const captures: PackageRecord['derived']['captures'] = [];
  for (const [i, path] of capturePaths.entries()) {
    const bytes = gunzipSync(await readFile(path));
    captures.push({
      file: (inputs.captures[i] as { file: string }).file,
      sha256: sha256Of(bytes),
      events: 0,
      malformed: 0,
    });
  }
  const manifests = await Promise.all(
    inputs.manifests.map(async (file) => {
      const loaded = await loadManifest(join(dir, file));
      return { file, loaded };
    }),
  );
  const cells: PackageRecord['derived']['cells'] = {};
  const assertions: AssertionsFile['cells'] = {};
  const seen = [];
  for (const [i, path] of capturePaths.entries()) {
    const shape: FileShape = (inputs.captures[i]?.file ?? '').includes('.ndjson')
      ? 'json-lines'
      : 'text';
    seen.push(...(await agentTypesOf(path, shape)).values());
  }
  const sensor = identify(seen, inputs.vendor.id, dir);
  let host: PackageRecord['derived']['host'] = {};
  let hosts: PackageRecord['derived']['hosts'] = [];
  let window: PackageRecord['derived']['window'];
  let shown: Shown[] | undefined;
  let evidence: EvidenceRun['file'] | undefined;
  const base = (sub: string, status: StatusId, reason: string) => {
    const setting = settingOf(sub);
    const version = inputs.cellVersions[sub] ?? inputs.product.version;
    return {
      status,
      date: inputs.date,
      reason,
      product: {
        vendor: inputs.vendor.id,
        name: inputs.vendor.name,
        ...(version === undefined ? {} : { version }),
        ...(inputs.product.build === undefined ? {} : { build: inputs.product.build }),
      },
      sensor,
      host,
      settings: setting === undefined ? [] : [{ setting: setting.setting, subCategories: [sub] }],
      ...(inputs.policy === undefined ? {} : { policy: inputs.policy }),
      tester: inputs.tester,
    };
  };

  if (inputs.kind === 'generator-run') {
    if (inputs.platform !== 'linux') throw new PackageError('Generator runs exist for Linux only.');
    const enabledBy = Object.fromEntries(
      inputs.settings.flatMap((s) => s.subCategories.map((sub) => [sub, s.setting])),
    );
    const run = await runEvidence({
      manifests: manifests.map((m) => m.loaded),
      captures: capturePaths,
      format: inputs.captures[0]?.format as InputFormat | undefined,
      vendor: {
        id: inputs.vendor.id,
        name: inputs.vendor.name,
        productVersion: inputs.product.version,
      },
      enabledBy,
      dataDir,
      now: () => new Date(inputs.date),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    evidence = run.file;
    for (const [i, c] of run.match.captures.entries()) {
      const entry = captures[i];
      if (entry !== undefined) {
        entry.events = c.events;
        entry.malformed = c.malformed;
      }
    }
    const m0 = manifests[0]?.loaded.manifest;
    host = {
      ...(m0 === undefined
        ? {}
        : { os: m0.host.distro.name, kernel: m0.host.kernelRelease, arch: m0.host.arch }),
    };
    const times = manifests.flatMap((m) =>
      m.loaded.manifest.runs.flatMap((r) => [r.startTime, r.endTime]),
    );
    times.sort();
    const first = times[0];
    const last = times[times.length - 1];
    if (first !== undefined && last !== undefined) window = { start: first, end: last };
    hosts = [
      { host: m0?.host.hostname ?? 'unknown', events: captures.reduce((a, c) => a + c.events, 0) },
    ];
    for (const row of run.rows) {
      const v = row.verdict;
      if (v.verdict === 'not-testable' || !wanted(row.subCategory)) continue;
      const cell = run.file.cells[row.subCategory];
      if (cell === undefined) continue;
      const manifest = manifests.find((m) =>
        m.loaded.manifest.runs.some((r) => cell.generators.includes(r.generator)),
      );
      const claimed = claimedOf(row.subCategory);
      const version = inputs.cellVersions[row.subCategory] ?? inputs.product.version;
      cells[row.subCategory] = {
        status: row.status,
        verdict: v.verdict,
        reason: cell.reason,
        ...(version === undefined ? {} : { version }),
        ...(row.setting === undefined ? {} : { setting: row.setting }),
        ...(claimed === undefined ? {} : { claimed }),
      };
      const assertion: EvidenceAssertion = {
        basis: 'evidence',
        kind: 'generator-run',
        verdict: v.verdict,
        ...base(row.subCategory, row.status, cell.reason),
        ...(window === undefined ? {} : { window }),
        evidence: {
          record: `evidence/${inputs.id}/${PACKAGE_FILES.record}#${row.subCategory}`,
          ...(manifest === undefined ? {} : { manifestSha256: manifest.loaded.sha256 }),
          captureSha256: (captures[0] as { sha256: string }).sha256,
          capture: `evidence/${inputs.id}/${inputs.captures[0]?.file}`,
        },
      };
      assertions[row.subCategory] = assertion;
    }
  } else {
    const result =
      inputs.platform === 'windows'
        ? await windowsShown(
            capturePaths.map((path, i) => ({ path, layout: inputs.captures[i]?.layout })),
            await loadWindowsRules(),
            productSources(inputs.vendor.id),
          )
        : {
            ...(await linuxShown(
              capturePaths.map((path, i) => ({ path, format: inputs.captures[i]?.format })),
              await loadRuleSets({ dataDir }),
              names,
            )),
            hosts: [],
          };
    for (const [i, s] of result.stats.entries()) {
      const entry = captures[i];
      if (entry !== undefined) {
        entry.events = s.events;
        entry.malformed = s.malformed;
      }
    }
    hosts = result.hosts;
    const rowOrder = new Map(rows.map((r, i) => [r.sub.id, i]));
    shown = result.shown
      .filter((s) => wanted(s.subCategory) && rowOrder.has(s.subCategory))
      .sort((a, b) => (rowOrder.get(a.subCategory) ?? 0) - (rowOrder.get(b.subCategory) ?? 0));
    const missing = inputs.cells.filter((c) => !shown?.some((s) => s.subCategory === c));
    if (missing.length > 0)
      throw new PackageError(
        `The capture shows no event for ${missing.join(', ')}, named with --cells. A sample capture can only speak to what it shows; check with npm run evidence -- classify.`,
      );
    for (const s of shown) {
      const setting = settingOf(s.subCategory)?.setting;
      const claimed = claimedOf(s.subCategory);
      const status = sampleStatus(s, setting);
      const reason = sampleReason(s, status, claimed, core.statuses, setting, inputs.platform);
      const version = inputs.cellVersions[s.subCategory] ?? inputs.product.version;
      const captureIndex = inputs.captures.findIndex((c) => c.file === s.example.capture);
      cells[s.subCategory] = {
        status,
        verdict: 'fields-shown',
        reason,
        ...(version === undefined ? {} : { version }),
        ...(setting === undefined ? {} : { setting }),
        ...(claimed === undefined ? {} : { claimed }),
      };
      assertions[s.subCategory] = {
        basis: 'evidence',
        kind: 'sample-events',
        verdict: 'fields-shown',
        ...base(s.subCategory, status, reason),
        evidence: {
          record: `evidence/${inputs.id}/${PACKAGE_FILES.record}#${s.subCategory}`,
          captureSha256: (captures[Math.max(0, captureIndex)] as { sha256: string }).sha256,
          capture: `evidence/${inputs.id}/${inputs.captures[Math.max(0, captureIndex)]?.file}`,
        },
      };
    }
  }

  const record: PackageRecord = {
    schemaVersion: PACKAGE_SCHEMA_VERSION,
    inputs,
    sanitising,
    derived: {
      captures,
      manifests: manifests.map((m) => ({ file: m.file, sha256: m.loaded.sha256 })),
      sensor,
      host,
      hosts,
      ...(window === undefined ? {} : { window }),
      ...(shown === undefined ? {} : { shown }),
      ...(evidence === undefined ? {} : { evidence }),
      cells,
    },
  };
  const assertionsFile: AssertionsFile = {
    schemaVersion: 1,
    platform: inputs.platform,
    vendor: inputs.vendor.id,
    cells: assertions,
  };
  // The package's own files must pass the schemas the site and scores read them with.
  for (const [schema, value, file] of [
    [PackageRecordSchema, record, PACKAGE_FILES.record],
    [AssertionsFileSchema, assertionsFile, PACKAGE_FILES.assertions],
  ] as const) {
    const parsed = parseData(schema, value, `evidence/${inputs.id}/${file}`);
    if (!parsed.ok)
      throw new PackageError(
        `The derived ${file} does not pass its schema (a bug in the evidence tool): ${parsed.issues.map(formatIssue).join('; ')}`,
      );
  }
  const body = renderPullRequest(record, assertionsFile, {
    statuses: core.statuses,
    names,
    rules: inputs.platform === 'linux' ? await loadRuleSets({ dataDir }) : undefined,
  });
  return { record, assertions: assertionsFile, body };
}
