/**
 * The Elastic Defend event tables of tsale/EDR-Telemetry#199, transcribed into a CSV capture
 * (tests/fixtures/evidence/pr199/): the evidence tool must find in it what the tables show, the
 * author's home directory must not be in it, and header bytes the PR cut short must say so.
 * Reference counts come from python3's csv module and, where the seed is on disk, from the seed's
 * own text, never from the evidence tool.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { Sanitizer } from '../../generators/evidence/sanitize.ts';
import { learnFile, sanitizeFile } from '../../generators/evidence/sanitize-capture.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'generators/evidence/cli.ts');
const DIR = join(ROOT, 'tests/fixtures/evidence/pr199');
const CSV = join(DIR, 'elastic-defend-pr199.csv');
/** The seed lives beside the repository (as ../shared/upstream does), not in a clean clone. */
const SEED = resolve(ROOT, '../shared/seeds/000_d105f789c5b30ca5.txt');

const SUB_CATEGORIES = [
  'memory-backed-file-creation',
  'file-entropy',
  'file-header-bytes',
  'file-size',
] as const;

type Row = Record<string, string>;
const rows: Row[] = parse(readFileSync(CSV, 'utf8'), { columns: true });
const headerBytes = (r: Row) => r['file.Ext.header_bytes'] ?? '';
const truncated = (r: Row) => r.header_bytes_truncated;

function skipReason(what: string, why: string | undefined): string | undefined {
  if (why !== undefined) process.stderr.write(`[skip] pr199 ${what}: ${why}\n`);
  return why;
}
const noPython =
  spawnSync('python3', ['--version']).status === 0
    ? undefined
    : 'python3 is not installed (npm test names the package to install)';
const noSeed = existsSync(SEED)
  ? undefined
  : `the seed ${SEED} is not beside this checkout; only the checks that need no seed ran`;

let classified: Record<string, number> | undefined;
/** `npm run evidence -- classify --json` on the capture: events per sub-category id (run once). */
function classifierCounts(): Record<string, number> {
  classified ??= classify();
  return classified;
}

function classify(): Record<string, number> {
  const r = spawnSync(process.execPath, [CLI, 'classify', '--events', CSV, '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as {
    captures: { events: number; malformed: number; format: string }[];
    subCategories: { id: string; events: number }[];
  };
  expect(out.captures).toMatchObject([{ format: 'csv', events: 13, malformed: 0 }]);
  return Object.fromEntries(out.subCategories.map((c) => [c.id, c.events]));
}

/**
 * The counts by what each sub-category means, read by another CSV parser: a memfd_create event;
 * a file event with a non-empty entropy, header bytes or size cell.
 */
const PYTHON_COUNT = `
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
files = [r for r in rows if r['event.category'] == 'file']
print(json.dumps({
  'memory-backed-file-creation': sum(r['event.action'] == 'memfd_create' for r in rows),
  'file-entropy': sum(r['file.Ext.entropy'] != '' for r in files),
  'file-header-bytes': sum(r['file.Ext.header_bytes'] != '' for r in files),
  'file-size': sum(r['file.size'] != '' for r in files),
}))
`;

/** The seed's two event tables, one line per row, as published (cells separated by spaces). */
function seedTables(): { memfd: string[]; file: string[] } {
  const lines = readFileSync(SEED, 'utf8').split('\n');
  return {
    memfd: lines.filter((l) => /^\/\S+ memfd_create /.test(l)),
    file: lines.filter((l) => /^\/\S+ (creation|rename) /.test(l)),
  };
}

/** A CSV row written back the way the PR's table shows it (the README's transcription rules). */
function asPublished(r: Row): string {
  const cell = (c: string) => r[c] ?? '';
  if (cell('event.action') === 'memfd_create') {
    return [
      'process.executable',
      'event.action',
      'process.command_line',
      'process.Ext.memfd.name',
      ...['allow_seal', 'doexec', 'exec', 'hugetlb', 'noexec_seal'].map(
        (f) => `process.Ext.memfd.flag.${f}`,
      ),
    ]
      .map(cell)
      .join(' ');
  }
  return [
    cell('process.executable'),
    cell('event.action'),
    cell('file.name'),
    cell('file.path'),
    cell('file.Ext.entropy'),
    cell('file.Ext.header_bytes'),
    cell('file.extension') === '' ? '(null)' : cell('file.extension'),
    Number(cell('file.size')).toLocaleString('en-US'),
  ].join(' ');
}

describe('the PR #199 Elastic Defend capture', () => {
  it('classify counts, per sub-category, the events the tables show', () => {
    // Counted on the raw lines, without a CSV parser: the file quotes no cell, so a comma always
    // separates two cells.
    const [head = '', ...lines] = readFileSync(CSV, 'utf8').trimEnd().split('\n');
    expect(lines.join('\n')).not.toContain('"');
    const col = (name: string) => head.split(',').indexOf(name);
    const cells = lines.map((l) => l.split(','));
    const filled = (name: string) =>
      cells.filter((c) => c[col('event.category')] === 'file' && c[col(name)] !== '').length;
    expect(classifierCounts()).toEqual({
      'memory-backed-file-creation': cells.filter((c) => c[col('event.action')] === 'memfd_create')
        .length,
      'file-entropy': filled('file.Ext.entropy'),
      'file-header-bytes': filled('file.Ext.header_bytes'),
      'file-size': filled('file.size'),
    });
    expect(Object.keys(classifierCounts()).sort()).toEqual([...SUB_CATEGORIES].sort());
  });

  it.skipIf(skipReason('python3 count', noPython))(
    'classify agrees with python3 counting the CSV by what each sub-category means',
    () => {
      const py = spawnSync('python3', ['-c', PYTHON_COUNT, CSV], { encoding: 'utf8' });
      expect(py.status, py.stderr).toBe(0);
      expect(classifierCounts()).toEqual(JSON.parse(py.stdout));
    },
  );

  it.skipIf(skipReason('seed check', noSeed))(
    'holds every row of both seed tables, in order, cell for cell (home directories sanitised)',
    () => {
      const seed = seedTables();
      const published = rows.map(asPublished);
      // One sanitiser for the whole table, as a package uses one for all its files.
      const sanitiser = new Sanitizer();
      const sanitisedSeed = [...seed.memfd, ...seed.file].map((l) => sanitiser.text(l));
      expect(published).toEqual(sanitisedSeed);
      // The counts straight from the seed: every memfd row is one event; every file row carries
      // entropy, header bytes and size (the PR: "present on every row").
      expect(classifierCounts()).toEqual({
        'memory-backed-file-creation': seed.memfd.length,
        'file-entropy': seed.file.length,
        'file-header-bytes': seed.file.length,
        'file-size': seed.file.length,
      });
    },
  );

  it.skipIf(skipReason('seed names', noSeed))(
    "names none of the seed's home directories or user names",
    () => {
      const homes = [...readFileSync(SEED, 'utf8').matchAll(/\/home\/([^/\s]+)/g)];
      expect(homes.length).toBeGreaterThan(0);
      for (const file of ['elastic-defend-pr199.csv', 'README.md']) {
        const text = readFileSync(join(DIR, file), 'utf8');
        for (const [path, user] of homes) {
          expect(text, file).not.toContain(path);
          expect(text, file).not.toContain(user);
        }
      }
    },
  );

  it('has nothing left for the package sanitiser to replace, and its home paths are stand-ins', async () => {
    const sanitiser = new Sanitizer();
    await learnFile(CSV, 'csv', sanitiser);
    const again = await sanitizeFile(CSV, 'csv', sanitiser);
    expect(sanitiser.report()).toEqual({});
    expect(again.text).toBe(readFileSync(CSV, 'utf8'));
    const homes = [...again.text.matchAll(/\/home\/[^/\s,]+/g)].map((m) => m[0]);
    expect(homes.length).toBe(3);
    // The stand-in the sanitiser gives the first user name it meets.
    expect(new Set(homes)).toEqual(new Set([new Sanitizer().text('/home/someone')]));
  });

  it('marks exactly the header bytes the PR shows cut short, and keeps their ellipsis', () => {
    const files = rows.filter((r) => r['event.category'] === 'file');
    const cut = files.filter((r) => headerBytes(r).endsWith('...'));
    expect(cut.map((r) => r['file.path'])).toEqual([
      '/run/systemd/journal/streams/9:9209563',
      '/run/systemd/journal/streams/9:9211516',
    ]);
    for (const r of files) expect(truncated(r), r['file.path']).toBe(String(cut.includes(r)));
    // A row without header bytes has no truncation to state.
    for (const r of rows.filter((x) => headerBytes(x) === '')) expect(truncated(r)).toBe('');
  });

  it('never presents a truncated value as complete hex', () => {
    for (const r of rows.filter((x) => truncated(x) === 'true')) {
      // Hex decoding must fail on it rather than yield bytes that look like a whole header.
      expect(headerBytes(r)).not.toMatch(/^(?:[0-9a-f]{2})+$/);
      expect(Buffer.from(headerBytes(r), 'hex').toString('hex')).not.toBe(headerBytes(r));
    }
    for (const r of rows.filter((x) => truncated(x) === 'false'))
      expect(headerBytes(r)).toMatch(/^[0-9a-f]+$/);
  });

  it.skipIf(skipReason('seed truncation', noSeed))(
    'marks as truncated the same rows the seed shows with an ellipsis',
    () => {
      const seedCut = seedTables().file.filter((l) => l.includes('...')).length;
      expect(rows.filter((r) => truncated(r) === 'true').length).toBe(seedCut);
    },
  );

  it('states sizes as plain numbers of bytes', () => {
    for (const r of rows.filter((x) => x['event.category'] === 'file'))
      expect(r['file.size']).toMatch(/^(0|[1-9][0-9]*)$/);
  });
});
