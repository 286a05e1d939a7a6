/**
 * Upstream's own change ledger (`telemetry_change_events.csv`, with `stats_config.yml`) joined to
 * its history: each history entry a ledger row describes gains the contributor (login and class),
 * the kind of change and the pull request. Every ledger row either finds its entry or is counted
 * under a stated reason; none is dropped silently.
 *
 * Why a plain join on commit + vendor + sub-category misses half the rows:
 * - names: the ledger's vendor is a canonical id with aliases (`MDE` = `Microsoft Defender for
 *   Endpoint`, `Sentinel One` = `SentinelOne`); the history keeps the names of its time;
 * - merge commits: for a pull request merged with a merge commit the ledger records the merge's
 *   net change at the merge commit, the history the branch commit that made it;
 * - file splits: the ledger counts every cell of a new file (`EDR_telem_windows.json` split from
 *   `EDR_telem.json`) as a baseline, while the history, which treats the single-file era as
 *   Windows, records no change because none happened.
 */
import { parse } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { DataIssue } from '../issues.ts';
import { parseData } from '../issues.ts';
import type {
  ChangeKind,
  ContributorClass,
  CorrectionsFile,
  HistoryEntry,
  HistoryLedger,
  PlatformId,
  PlatformMatrix,
} from '../schema.ts';
import { PlatformIdSchema } from '../schema.ts';
import { slugify } from '../slug.ts';
import type { StatusCatalog } from '../statuses.ts';

export const LEDGER_FILE = 'telemetry_change_events.csv';
export const STATS_CONFIG_FILE = 'stats_config.yml';

/** The ledger's columns this project reads (the CSV has more: scores, deltas, ids). */
const LedgerRowSchema = z.object({
  change_event_id: z.string().min(1),
  commit_sha: z.string().regex(/^[0-9a-f]{40}$/),
  commit_date_utc: z.iso.datetime({ offset: true }),
  change_source_type: z.enum(['pull_request', 'merge_commit', 'direct_commit']),
  pr_number: z.string().regex(/^(\d+)?$/),
  platform: PlatformIdSchema,
  file_path: z.string().min(1),
  vendor_canonical_id: z.string().min(1),
  vendor_display_name: z.string().min(1),
  sub_category: z.string().min(1),
  old_status: z.string(),
  new_status: z.string(),
  change_kind: z.string().min(1),
  contributor_login: z.string(),
  contributor_class: z.string().min(1),
});
export type LedgerRow = z.infer<typeof LedgerRowSchema>;

const StatsConfigSchema = z.object({
  maintainers: z.array(z.string()).default([]),
  vendor_aliases: z
    .record(z.string(), z.object({ display_name: z.string(), aliases: z.array(z.string()) }))
    .default({}),
  vendor_affiliations: z.record(z.string(), z.unknown()).nullable().default({}),
  contributor_classes: z
    .object({
      maintainers: z.array(z.string()).default([]),
      bots: z.array(z.string()).default([]),
    })
    .default({ maintainers: [], bots: [] }),
});
export type StatsConfig = z.infer<typeof StatsConfigSchema>;

/** The ledger and its configuration as read from upstream's folder. */
export interface UpstreamLedger {
  rows: LedgerRow[];
  config: StatsConfig;
}

/** Parses the ledger CSV and `stats_config.yml`, reporting every malformed row with its line. */
export function parseLedger(
  csvText: string,
  yamlText: string,
  files: { csv: string; yaml: string },
): { ledger?: UpstreamLedger; issues: DataIssue[] } {
  const issues: DataIssue[] = [];
  let records: Record<string, string>[] = [];
  try {
    records = parse(csvText, { columns: true, skip_empty_lines: true, bom: true });
  } catch (error) {
    issues.push({
      file: files.csv,
      message: `the CSV cannot be read (${error instanceof Error ? error.message : String(error)}).`,
    });
  }
  const rows: LedgerRow[] = [];
  records.forEach((record, i) => {
    const parsed = parseData(LedgerRowSchema, record, files.csv);
    if (parsed.ok) rows.push(parsed.data);
    else
      issues.push(
        ...parsed.issues.map((issue) => ({
          ...issue,
          message: `line ${i + 2}: ${issue.message}`,
        })),
      );
  });
  let config: StatsConfig | undefined;
  try {
    const parsed = parseData(StatsConfigSchema, parseYaml(yamlText) ?? {}, files.yaml);
    if (parsed.ok) config = parsed.data;
    else issues.push(...parsed.issues);
  } catch (error) {
    issues.push({
      file: files.yaml,
      message: `the YAML cannot be read (${error instanceof Error ? error.message : String(error)}).`,
    });
  }
  return issues.length === 0 && config ? { ledger: { rows, config }, issues } : { issues };
}

/** The ledger's `change_kind` in this project's words. */
export function changeKind(kind: string): ChangeKind {
  switch (kind) {
    case 'new_vendor_baseline':
    case 'new_category_baseline':
      return 'baseline';
    case 'coverage_upgrade':
      return 'upgrade';
    case 'coverage_downgrade':
      return 'downgrade';
    case 'clarification':
      return 'clarification';
    case 'rename_only':
      return 'rename';
    default:
      return 'unknown';
  }
}

/** Maintainers and bots from the configuration first: the ledger classes only external/unknown. */
export function contributorClass(row: LedgerRow, config: StatsConfig): ContributorClass {
  const login = row.contributor_login;
  const maintainers = new Set([...config.maintainers, ...config.contributor_classes.maintainers]);
  if (login && maintainers.has(login)) return 'maintainer';
  if (login && config.contributor_classes.bots.includes(login)) return 'bot';
  if (row.contributor_class === 'external_contributor') return 'external';
  return 'unknown';
}

/** How a ledger row ended: joined to a history entry, or why not. */
export type JoinOutcome = 'same-commit' | 'branch-commit' | 'carried-over' | 'no-history-entry';

export const JOIN_OUTCOMES: Record<JoinOutcome, string> = {
  'same-commit': 'joined to the history entry of the same commit',
  'branch-commit':
    "joined through its pull request: the ledger records a merge commit's net change, the history the branch commit that made it",
  'carried-over':
    'no cell changed: the ledger counts a new file (EDR_telem_windows.json split from EDR_telem.json) as a baseline, the history already had this status',
  'no-history-entry': 'no history entry states this change (listed below)',
};

export interface LedgerJoinReport {
  rows: number;
  outcomes: Record<JoinOutcome, number>;
  /** Rows joined to a history entry (same commit or branch commit). */
  joined: number;
  /** History entries that gained ledger fields (a joined row, or its commit's pull request). */
  enriched: number;
  /** History entries moved to today's cell by a rename (`current`). */
  renamed: number;
  /** Up to 20 of the rows left unjoined, each located. */
  unexplained: { line: number; row: LedgerRow }[];
}

type StatusOf = (label: string) => HistoryEntry['new'] | undefined;

function statusLookup(statuses: StatusCatalog): StatusOf {
  return (label) => {
    if (label.trim() === '') return null;
    return statuses.byLabel.get(label.trim())?.id;
  };
}

/** The key a vendor name is matched by: its canonical id when an alias lists it, else the name. */
function vendorKeyer(config: StatsConfig) {
  const byAlias = new Map<string, string>();
  for (const [id, { display_name, aliases }] of Object.entries(config.vendor_aliases)) {
    for (const name of [display_name, ...aliases]) byAlias.set(name, id);
  }
  return {
    history: (name: string) => byAlias.get(name) ?? name,
    ledger: (row: LedgerRow) =>
      row.vendor_canonical_id in config.vendor_aliases
        ? row.vendor_canonical_id
        : row.vendor_display_name,
    canonical: byAlias,
  };
}

const cellOf = (platform: string, vendor: string, sub: string) =>
  `${platform}\u0000${vendor}\u0000${sub}`;

/**
 * Joins the ledger to the history. Returns the history with `ledger` (and `current` for entries
 * whose row or vendor was renamed since) on the entries it can tell, and the join's figures.
 */
export function joinLedger(
  entries: readonly HistoryEntry[],
  ledger: UpstreamLedger,
  statuses: StatusCatalog,
  corrections: CorrectionsFile,
  matrices: Record<PlatformId, PlatformMatrix>,
): { entries: HistoryEntry[]; report: LedgerJoinReport } {
  const statusOf = statusLookup(statuses);
  const keys = vendorKeyer(ledger.config);
  const out = entries.map((e) => ({ ...e }));
  const cell = (e: HistoryEntry) => cellOf(e.platform, keys.history(e.vendor), e.subCategory);
  const ledgerCommits = new Set(ledger.rows.map((r) => r.commit_sha));

  // Positions of each cell's entries, and each commit's first entry, in history order.
  const byCell = new Map<string, number[]>();
  const firstOfCommit = new Map<string, number>();
  out.forEach((e, i) => {
    const key = cell(e);
    const list = byCell.get(key);
    if (list) list.push(i);
    else byCell.set(key, [i]);
    if (!firstOfCommit.has(e.commit)) firstOfCommit.set(e.commit, i);
  });

  const taken = new Map<number, LedgerRow>();
  const outcomes: Record<JoinOutcome, number> = {
    'same-commit': 0,
    'branch-commit': 0,
    'carried-over': 0,
    'no-history-entry': 0,
  };
  const unexplained: LedgerJoinReport['unexplained'] = [];

  ledger.rows.forEach((row, index) => {
    const key = cellOf(row.platform, keys.ledger(row), row.sub_category);
    const positions = byCell.get(key) ?? [];
    const wanted = statusOf(row.new_status);
    const free = (i: number) => !taken.has(i) && out[i]?.new === wanted;
    const same = positions.find((i) => out[i]?.commit === row.commit_sha && free(i));
    if (same !== undefined) {
      taken.set(same, row);
      outcomes['same-commit']++;
      return;
    }
    const mergedAt = Date.parse(row.commit_date_utc);
    if (row.change_source_type === 'merge_commit') {
      // The latest change to this status before the merge, in a commit the ledger does not list
      // (a branch commit of the pull request).
      const branch = positions
        .filter((i) => {
          const e = out[i];
          return e && free(i) && !ledgerCommits.has(e.commit) && Date.parse(e.date) <= mergedAt;
        })
        .at(-1);
      if (branch !== undefined) {
        taken.set(branch, row);
        outcomes['branch-commit']++;
        return;
      }
    }
    if (statusOf(row.old_status) === null) {
      // A baseline: did the history already hold this status just before this commit? Under
      // any of the vendor's names: a renamed vendor's old name is removed after the new is added.
      const before = firstOfCommit.get(row.commit_sha);
      const latestByName = new Map<string, HistoryEntry>();
      for (const i of positions) {
        const e = out[i];
        if (!e || (before !== undefined ? i >= before : Date.parse(e.date) >= mergedAt)) continue;
        latestByName.set(e.vendor, e);
      }
      if (wanted != null && [...latestByName.values()].some((e) => e.new === wanted)) {
        outcomes['carried-over']++;
        return;
      }
    }
    outcomes['no-history-entry']++;
    if (unexplained.length < 20) unexplained.push({ line: index + 2, row });
  });

  // Ledger fields on each joined entry; a commit's pull request and contributor also on the
  // entries of that commit no row describes (intermediate changes of the same pull request).
  const commitSource = new Map<string, HistoryLedger>();
  for (const [i, row] of taken) {
    const pr = row.pr_number ? Number(row.pr_number) : undefined;
    const contributor = row.contributor_login || undefined;
    const fields: HistoryLedger = {
      change: changeKind(row.change_kind),
      ...(contributor ? { contributor } : {}),
      contributorClass: contributorClass(row, ledger.config),
      ...(pr !== undefined ? { pr } : {}),
      ...affiliation(row, ledger.config),
    };
    const entry = out[i];
    if (!entry) continue;
    entry.ledger = fields;
    if (!commitSource.has(entry.commit)) {
      const { change: _change, ...source } = fields;
      commitSource.set(entry.commit, { change: 'unknown', ...source });
    }
  }
  let enriched = taken.size;
  out.forEach((entry, i) => {
    if (taken.has(i)) return;
    const source = commitSource.get(entry.commit);
    if (source && (source.pr !== undefined || source.contributor !== undefined)) {
      entry.ledger = source;
      enriched++;
    }
  });

  const renamed = applyRenames(out, taken, statusOf, keys.canonical, corrections, matrices);
  return {
    entries: out,
    report: {
      rows: ledger.rows.length,
      outcomes,
      joined: outcomes['same-commit'] + outcomes['branch-commit'],
      enriched,
      renamed,
      unexplained,
    },
  };
}

/** `vendor_affiliations` maps a contributor login to what they state; empty upstream today. */
function affiliation(row: LedgerRow, config: StatsConfig): { affiliation?: string } {
  const stated = config.vendor_affiliations?.[row.contributor_login];
  return typeof stated === 'string' && stated.trim() !== '' ? { affiliation: stated.trim() } : {};
}

/**
 * Points entries written under an earlier name at today's cell (`current`): vendor aliases,
 * the listed row renames (`rename-row` corrections) and the renames the ledger marks
 * (`rename_only`: the entry removing the old name in the same commit, with the same status).
 */
function applyRenames(
  out: HistoryEntry[],
  taken: ReadonlyMap<number, LedgerRow>,
  statusOf: StatusOf,
  canonical: ReadonlyMap<string, string>,
  corrections: CorrectionsFile,
  matrices: Record<PlatformId, PlatformMatrix>,
): number {
  const vendorTo = new Map<string, string>(); // platform + old vendor name → today's vendor name
  const rowTo = new Map<string, string>(); // platform + old row name → today's row name
  for (const { where, action } of corrections.corrections) {
    if (action.type === 'rename-row') rowTo.set(`${where.platform}\u0000${action.from}`, action.to);
  }
  for (const matrix of Object.values(matrices)) {
    const byCanonical = new Map<string, string>();
    for (const v of matrix.vendors) {
      const id = canonical.get(v.name);
      if (id) byCanonical.set(id, v.name);
    }
    for (const [alias, id] of canonical) {
      const today = byCanonical.get(id);
      if (today && today !== alias) vendorTo.set(`${matrix.platform.id}\u0000${alias}`, today);
    }
  }
  for (const [i, row] of taken) {
    if (row.change_kind !== 'rename_only') continue;
    const added = out[i];
    if (!added) continue;
    const status = statusOf(row.new_status);
    const removed = out.find(
      (e) =>
        e.commit === added.commit &&
        e.platform === added.platform &&
        e.new === null &&
        e.old === status &&
        ((e.subCategory === added.subCategory && e.vendor !== added.vendor) ||
          (e.vendor === added.vendor && e.subCategory !== added.subCategory)),
    );
    if (!removed) continue;
    if (removed.vendor !== added.vendor)
      vendorTo.set(`${added.platform}\u0000${removed.vendor}`, added.vendor);
    else rowTo.set(`${added.platform}\u0000${removed.subCategory}`, added.subCategory);
  }
  const cells = new Set<string>();
  for (const matrix of Object.values(matrices))
    for (const category of matrix.categories)
      for (const sub of category.subCategories)
        for (const vendorId of Object.keys(sub.cells))
          cells.add(`${matrix.platform.id}/${sub.id}/${vendorId}`);
  let renamed = 0;
  for (const entry of out) {
    const vendor = follow(vendorTo, entry.platform, entry.vendor);
    const row = follow(rowTo, entry.platform, entry.subCategory);
    const subCategoryId = slugify(row);
    const vendorId = slugify(vendor);
    if (subCategoryId === entry.subCategoryId && vendorId === entry.vendorId) continue;
    if (!cells.has(`${entry.platform}/${subCategoryId}/${vendorId}`)) continue;
    entry.current = { subCategoryId, vendorId };
    renamed++;
  }
  return renamed;
}

/** Follows a chain of renames (A → B → C) to today's name; a cycle stops where it started. */
function follow(map: ReadonlyMap<string, string>, platform: string, name: string): string {
  let current = name;
  const seen = new Set([current]);
  for (;;) {
    const next = map.get(`${platform}\u0000${current}`);
    if (next === undefined || seen.has(next)) return current;
    seen.add(next);
    current = next;
  }
}
