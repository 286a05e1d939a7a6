/**
 * `npm run data:import`: upstream folder → corrections → strict validation → project files.
 * Nothing is written unless every check passes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkMatrix, DATA_FILES } from '../dataset.ts';
import type { DataIssue } from '../issues.ts';
import { parseData } from '../issues.ts';
import { type ReadText, readJsonFile, readUtf8 } from '../json-file.ts';
import { CorrectionsFileSchema, PLATFORM_IDS, StatusesFileSchema } from '../schema.ts';
import { type StatusCatalog, statusCatalog, upstreamStatuses } from '../statuses.ts';
import { readUpstream, type UpstreamBundle } from './bundle.ts';
import { convertUpstream, type ProjectFiles, type UpstreamOrigin } from './convert.ts';
import { applyCorrections, type CorrectionOutcome } from './corrections.ts';
import {
  joinLedger,
  LEDGER_FILE,
  type LedgerJoinReport,
  parseLedger,
  STATS_CONFIG_FILE,
  type UpstreamLedger,
} from './ledger.ts';
import { reasonlessKey, validateUpstream } from './validate.ts';

export type ImportResult =
  | {
      ok: true;
      files: ProjectFiles;
      outcomes: CorrectionOutcome[];
      /** How upstream's change ledger joined the history; absent when the folder has no ledger. */
      ledger?: LedgerJoinReport;
    }
  | { ok: false; issues: DataIssue[]; outcomes: CorrectionOutcome[] };

/**
 * Reads upstream's change ledger and its configuration. Both absent: an older upstream folder,
 * the import goes on without ledger fields. One without the other is a problem.
 */
async function readLedger(
  from: string,
  read: ReadText,
): Promise<{ ledger?: UpstreamLedger; issues: DataIssue[] }> {
  const files = { csv: join(from, LEDGER_FILE), yaml: join(from, STATS_CONFIG_FILE) };
  const texts = await Promise.all(
    [files.csv, files.yaml].map((f) =>
      read(f).then(
        (t) => t,
        () => undefined,
      ),
    ),
  );
  const [csv, yaml] = texts;
  if (csv === undefined && yaml === undefined) return { issues: [] };
  if (csv === undefined || yaml === undefined) {
    const missing = csv === undefined ? files.csv : files.yaml;
    return {
      issues: [
        {
          file: missing,
          message: `the file does not exist but ${csv === undefined ? STATS_CONFIG_FILE : LEDGER_FILE} does; the ledger needs both.`,
        },
      ],
    };
  }
  return parseLedger(csv, yaml, files);
}

/** Reads the statuses and corrections the import judges upstream by (both maintained in data/). */
export async function loadImportRules(dataDir: string, read: ReadText = readUtf8) {
  const issues: DataIssue[] = [];
  const load = async <T>(name: string, schema: Parameters<typeof parseData>[0]) => {
    const file = join(dataDir, name);
    const json = await readJsonFile(file, file, read);
    if (!json.ok) return void issues.push(...json.issues);
    const parsed = parseData(schema, json.value, file);
    if (!parsed.ok) return void issues.push(...parsed.issues);
    return parsed.data as T;
  };
  const statusesFile = await load<import('../schema.ts').StatusesFile>(
    DATA_FILES.statuses,
    StatusesFileSchema,
  );
  const corrections = await load<import('../schema.ts').CorrectionsFile>(
    DATA_FILES.corrections,
    CorrectionsFileSchema,
  );
  return { statuses: statusesFile ? statusCatalog(statusesFile) : undefined, corrections, issues };
}

/**
 * Which upstream commit and date the folder holds: from its README ("commit <sha> (<date>)") when
 * present, else the commit named in weights.json and the newest history date.
 */
export async function detectOrigin(
  from: string,
  bundle: UpstreamBundle,
  read: ReadText = readUtf8,
): Promise<UpstreamOrigin | undefined> {
  let readme = '';
  try {
    readme = await read(join(from, 'README.md'));
  } catch {
    // No README: fall back to what the data files say.
  }
  const fromReadme = readme.match(/commit\s+([0-9a-f]{40})\s*\((\d{4}-\d{2}-\d{2})\)/);
  if (fromReadme?.[1] && fromReadme[2]) return { commit: fromReadme[1], date: fromReadme[2] };
  const commit = bundle.weights.source.match(/[0-9a-f]{40}/)?.[0];
  const dates = bundle.history
    .map((e) => (typeof e === 'object' && e !== null ? (e as { date?: unknown }).date : undefined))
    .filter((d): d is string => typeof d === 'string')
    .sort();
  const date = dates.at(-1)?.slice(0, 10);
  return commit && date ? { commit, date } : undefined;
}

export async function importUpstream(options: {
  from: string;
  dataDir: string;
  origin?: Partial<UpstreamOrigin>;
  read?: ReadText;
}): Promise<ImportResult> {
  const read = options.read ?? readUtf8;
  const rules = await loadImportRules(options.dataDir, read);
  if (!rules.statuses || !rules.corrections)
    return { ok: false, issues: rules.issues, outcomes: [] };
  const all: StatusCatalog = rules.statuses;
  // Upstream's files are read and judged with upstream's statuses only: Not Tested is ours.
  const statuses = upstreamStatuses(all);
  const { bundle, issues: readIssues } = await readUpstream(options.from, read);
  if (readIssues.length > 0) return { ok: false, issues: readIssues, outcomes: [] };

  const { bundle: corrected, outcomes } = applyCorrections(
    bundle,
    rules.corrections.corrections,
    statuses,
  );
  const kept = new Set(
    outcomes.flatMap(({ correction: { action, where }, applied }) =>
      action.type === 'keep-without-reason' && applied !== undefined
        ? [reasonlessKey(where.platform, action.subCategory, action.vendor)]
        : [],
    ),
  );
  const issues = validateUpstream(corrected, statuses, options.from, kept);
  if (issues.length > 0) return { ok: false, issues, outcomes };

  const detected = await detectOrigin(options.from, bundle, read);
  const commit = options.origin?.commit ?? detected?.commit;
  const date = options.origin?.date ?? detected?.date;
  if (!commit || !date) {
    return {
      ok: false,
      outcomes,
      issues: [
        {
          file: options.from,
          message:
            'cannot tell which upstream commit and date this folder holds; pass --upstream-commit and --upstream-date.',
        },
      ],
    };
  }
  const applied = outcomes.filter((o) => o.applied !== undefined).map((o) => o.correction.id);
  const files = convertUpstream(corrected, all, { commit, date }, applied);
  const ledgerRead = await readLedger(options.from, read);
  if (ledgerRead.issues.length > 0) return { ok: false, issues: ledgerRead.issues, outcomes };
  let ledger: LedgerJoinReport | undefined;
  if (ledgerRead.ledger) {
    const joined = joinLedger(
      files.history.entries,
      ledgerRead.ledger,
      statuses,
      rules.corrections,
      files.matrices,
    );
    files.history = { ...files.history, entries: joined.entries };
    ledger = joined.report;
  }
  // The converted files must satisfy the same rules as hand-edited data.
  const after: DataIssue[] = [];
  for (const platform of PLATFORM_IDS) {
    after.push(
      ...checkMatrix(
        files.matrices[platform],
        files.weights,
        statuses,
        join(options.dataDir, DATA_FILES.matrix(platform)),
      ),
    );
  }
  if (after.length > 0) return { ok: false, issues: after, outcomes };
  return { ok: true, files, outcomes, ...(ledger ? { ledger } : {}) };
}

/** Serialises one JSON document the way data/ is committed: 2-space indent, final newline. */
export function stringifyData(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** History is long: one entry per line keeps diffs readable and the file small. */
function stringifyHistory(history: ProjectFiles['history']): string {
  const lines = history.entries.map((e) => `    ${JSON.stringify(e)}`);
  return `{\n  "schemaVersion": ${history.schemaVersion},\n  "entries": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

/** Writes every imported file into `dataDir`; returns the paths written. */
export async function writeProjectFiles(dataDir: string, files: ProjectFiles): Promise<string[]> {
  const outputs: [string, string][] = [
    ...PLATFORM_IDS.map(
      (p) => [DATA_FILES.matrix(p), stringifyData(files.matrices[p])] as [string, string],
    ),
    [DATA_FILES.weights, stringifyData(files.weights)],
    [DATA_FILES.mitre, stringifyData(files.mitre)],
    [DATA_FILES.layout, stringifyData(files.layout)],
    [DATA_FILES.provenance, stringifyData(files.provenance)],
    [DATA_FILES.history, stringifyHistory(files.history)],
  ];
  const written: string[] = [];
  for (const [name, text] of outputs) {
    const path = join(dataDir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}
