/**
 * The ledger join checked against the ledger CSV read by another program (python3's csv module),
 * never by the module under test's own parser.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../scoring/schema.ts';
import { slugify } from '../../scoring/slug.ts';
import { importUpstream } from '../../scoring/upstream/import.ts';
import { DATA_DIR, UPSTREAM_FIXTURE } from './upstream-fixture.ts';

interface PyRow {
  commit: string;
  date: string;
  source: string;
  pr: number | null;
  platform: string;
  vendor: string;
  sub: string;
  old: string;
  new: string;
  kind: string;
  login: string;
  file: string;
}

/** Python reads the CSV and the aliases; each row's vendor is its canonical id where aliased. */
const PY = `
import csv, json, sys
rows = []
with open(sys.argv[1], newline='', encoding='utf-8') as f:
    for r in csv.DictReader(f):
        rows.append({'commit': r['commit_sha'], 'date': r['commit_date_utc'], 'source': r['change_source_type'],
            'pr': int(r['pr_number']) if r['pr_number'] else None, 'platform': r['platform'],
            'vendor': r['vendor_canonical_id'], 'display': r['vendor_display_name'],
            'sub': r['sub_category'], 'old': r['old_status'], 'new': r['new_status'],
            'kind': r['change_kind'], 'login': r['contributor_login'], 'file': r['file_path']})
aliases = {}
section = None
for line in open(sys.argv[2], encoding='utf-8'):
    if not line.startswith(' '): section = line.strip().rstrip(':'); continue
    s = line.strip()
    if section == 'vendor_aliases':
        if line.startswith('  ') and not line.startswith('    ') and s.endswith(':'): current = s[:-1]
        elif s.startswith('- '): aliases[s[2:].strip('"')] = current
        elif s.startswith('display_name:'): aliases[s.split(':', 1)[1].strip().strip('"')] = current
canonical = set(aliases.values())
for r in rows:
    if r['vendor'] not in canonical: r['vendor'] = r['display']
    del r['display']
print(json.dumps({'rows': rows, 'aliases': aliases}))
`;

const parsed = JSON.parse(
  execFileSync(
    'python3',
    [
      '-c',
      PY,
      join(UPSTREAM_FIXTURE, 'telemetry_change_events.csv'),
      join(UPSTREAM_FIXTURE, 'stats_config.yml'),
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  ),
) as { rows: PyRow[]; aliases: Record<string, string> };
const rows = parsed.rows;
const vendorKey = (name: string) => parsed.aliases[name] ?? name;

const result = await importUpstream({ from: UPSTREAM_FIXTURE, dataDir: DATA_DIR });
if (!result.ok || !result.ledger) throw new Error('the import of the fixture failed');
const report = result.ledger;
const history: HistoryEntry[] = JSON.parse(
  await readFile(join(DATA_DIR, 'history.json'), 'utf8'),
).entries;
const labelOf = new Map(
  (
    JSON.parse(await readFile(join(DATA_DIR, 'statuses.json'), 'utf8')).statuses as {
      id: string;
      label: string;
    }[]
  ).map((s) => [s.id, s.label]),
);
const label = (id: string | null) => (id === null ? '' : (labelOf.get(id) ?? '?'));
const cellOf = (platform: string, vendor: string, sub: string) =>
  `${platform}|${vendorKey(vendor)}|${sub}`;

describe('the change ledger joined to the history', () => {
  it('accounts for every row of the CSV, and explains every row it does not join', () => {
    expect(report.rows).toBe(rows.length);
    expect(rows.length).toBe(3920);
    const total = Object.values(report.outcomes).reduce((a, b) => a + b, 0);
    expect(total).toBe(rows.length);
    expect(report.outcomes['no-history-entry']).toBe(0);
    expect(report.unexplained).toEqual([]);
  });

  it('joins on the same commit exactly the rows python finds there', () => {
    const entries = new Map<string, number>();
    for (const e of history) {
      const key = `${e.commit}|${cellOf(e.platform, e.vendor, e.subCategory)}|${label(e.new)}`;
      entries.set(key, (entries.get(key) ?? 0) + 1);
    }
    const sameCommit = rows.filter((r) =>
      entries.has(`${r.commit}|${cellOf(r.platform, r.vendor, r.sub)}|${r.new}`),
    ).length;
    expect(report.outcomes['same-commit']).toBe(sameCommit);
  });

  it('joins every merge-commit row through a branch commit, and counts the file split apart', () => {
    const merges = rows.filter((r) => r.source === 'merge_commit').length;
    expect(report.outcomes['branch-commit']).toBe(merges);
    // The commit that split EDR_telem.json into per-platform files: its Windows rows restate.
    const split = rows.filter(
      (r) => r.platform === 'windows' && r.file === 'EDR_telem_windows.json' && r.old === '',
    );
    const splitCommit = split.find(
      (r) => !history.some((e) => e.commit === r.commit && e.platform === 'windows'),
    )?.commit;
    expect(report.outcomes['carried-over']).toBe(
      rows.filter((r) => r.commit === splitCommit && r.platform === 'windows').length,
    );
    expect(report.joined / report.rows).toBeGreaterThan(0.75);
  });

  it("gives each named contributor's same-commit change its login, pull request and kind", () => {
    const named = rows.filter((r) => r.login !== '' && r.source !== 'merge_commit');
    expect(named.length).toBeGreaterThan(100);
    const kinds: Record<string, string> = {
      new_vendor_baseline: 'baseline',
      new_category_baseline: 'baseline',
      coverage_upgrade: 'upgrade',
      coverage_downgrade: 'downgrade',
      clarification: 'clarification',
      rename_only: 'rename',
    };
    for (const r of named) {
      const entry = history.find(
        (e) =>
          e.commit === r.commit &&
          cellOf(e.platform, e.vendor, e.subCategory) === cellOf(r.platform, r.vendor, r.sub) &&
          label(e.new) === r.new,
      );
      expect(entry?.ledger, `${r.commit} ${r.vendor} ${r.sub}`).toMatchObject({
        contributor: r.login,
        contributorClass: 'external',
        change: kinds[r.kind] ?? 'unknown',
        ...(r.pr !== null ? { pr: r.pr } : {}),
      });
    }
  });

  it('ties a merge-commit row to the branch entry of the same cell and status, with its PR', () => {
    const merged = rows.filter((r) => r.source === 'merge_commit');
    for (const r of merged.filter((_, i) => i % 25 === 0)) {
      const match = history.some(
        (e) =>
          e.ledger?.pr === r.pr &&
          e.ledger.change !== 'unknown' &&
          cellOf(e.platform, e.vendor, e.subCategory) === cellOf(r.platform, r.vendor, r.sub) &&
          label(e.new) === r.new &&
          Date.parse(e.date) <= Date.parse(r.date),
      );
      expect(match, `${r.commit} PR #${r.pr} ${r.vendor} ${r.sub}`).toBe(true);
    }
  });

  it('classes no one a maintainer or a bot the configuration does not list, and states no affiliation', () => {
    expect(history.filter((e) => e.ledger?.affiliation !== undefined)).toEqual([]);
    const logins = new Set(rows.map((r) => r.login).filter(Boolean));
    expect(logins.has('tsale')).toBe(false);
    expect(history.some((e) => e.ledger?.contributorClass === 'maintainer')).toBe(false);
  });

  it('points entries written under an earlier name at the cell they belong to today', () => {
    const renamed = history.filter((e) => e.current);
    expect(renamed.length).toBe(report.renamed);
    const pairs = new Set(
      renamed.map((e) =>
        e.vendorId === e.current?.vendorId
          ? `${e.subCategory} → ${e.current?.subCategoryId}`
          : `${e.vendor} → ${e.current?.vendorId}`,
      ),
    );
    expect([...pairs].sort()).toEqual([
      `BIT JOBS Activity → ${slugify('BITS Jobs Activity')}`,
      'PadvishXDR → padvish-xdr',
      'Sentinel One → sentinelone',
    ]);
  });
});
