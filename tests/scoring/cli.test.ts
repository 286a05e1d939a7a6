/** The maintainer commands, run as a maintainer runs them: as subprocesses on Node 24. */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { DATA_DIR, editJson, type Row } from './upstream-fixture.ts';

const run = promisify(execFile);

async function cli(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function copyData(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'etm-cli-'));
  temps.push(dir);
  await cp(DATA_DIR, dir, { recursive: true });
  return dir;
}

describe('npm run score', () => {
  it('prints exactly one JSON object with every platform ranked best first', async () => {
    const { code, stdout } = await cli('scoring/cli.ts', ['--format', 'json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as Record<
      string,
      { vendor: string; score: number; rank: number; kind: 'product' | 'sensor' }[]
    >;
    expect(Object.keys(parsed)).toEqual(['linux', 'windows', 'macos']);
    // Upstream's claimed Linux leader keeps upstream's score and its rank: measured sensors are
    // ranked among themselves, never above a product.
    expect(parsed.linux?.find((r) => r.vendor === 'C-Prot')).toEqual({
      vendor: 'C-Prot',
      score: 25.6,
      rank: 1,
      kind: 'product',
    });
    const sensors = parsed.linux?.filter((r) => r.kind === 'sensor') ?? [];
    expect(sensors.map((r) => r.vendor).sort()).toEqual([
      'EDR Telemetry Matrix reference agent',
      'auditd + LAUREL',
    ]);
    expect(sensors.map((r) => r.rank)).toEqual([1, 2]);
    for (const ranking of Object.values(parsed)) {
      for (const kind of ['product', 'sensor']) {
        const scores = ranking.filter((r) => r.kind === kind).map((r) => r.score);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
        for (const s of scores) expect(Math.round(s * 100) / 100).toBe(s);
      }
      // Products come first, so the first entry is the product leader.
      expect(ranking[0]?.kind).toBe('product');
    }
  });

  it('prints a readable table for one platform by default', async () => {
    const { code, stdout } = await cli('scoring/cli.ts', ['--platform', 'linux']);
    expect(code).toBe(0);
    const [title, header, first] = stdout.split('\n');
    expect(title).toBe('Linux (maximum 28.30)');
    expect(header?.split(/\s+/).filter(Boolean)).toEqual(['Rank', 'Vendor', 'Score', 'Share']);
    expect(first?.split(/\s{2,}/).filter(Boolean)).toEqual([
      '1',
      expect.any(String),
      expect.stringMatching(/^\d+\.\d\d$/),
      expect.stringMatching(/^\d+\.\d%$/),
    ]);
    expect(stdout).toMatch(/^ +\d+ {2}C-Prot +25\.60 +90\.5%$/m);
  });

  it('prints csv and markdown', async () => {
    const csv = await cli('scoring/cli.ts', ['--platform', 'macos', '--format', 'csv']);
    expect(csv.stdout.split('\n')[1]).toBe('macos,product,1,Phorion,35.00,82.0');
    const md = await cli('scoring/cli.ts', ['--platform', 'macos', '--format', 'md']);
    expect(md.stdout).toContain('| 1 | Phorion | product | 35.00 | 82.0% |');
  });

  it('explains every option with --help', async () => {
    const { code, stdout } = await cli('scoring/cli.ts', ['--help']);
    expect(code).toBe(0);
    for (const flag of ['--platform', '--format', '--weights', '--shown', '--data', '--help'])
      expect(stdout).toContain(flag);
  });

  it('exits 2 with help on an unknown option or value', async () => {
    const unknown = await cli('scoring/cli.ts', ['--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage: npm run score');
    const bad = await cli('scoring/cli.ts', ['--platform', 'bsd']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--platform must be one of linux, windows, macos; received "bsd".',
    );
  });

  it('applies a weights file and rejects a bad one with its location', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etm-w-'));
    temps.push(dir);
    await writeFile(join(dir, 'good.json'), JSON.stringify({ linux: { 'Process Creation': 10 } }));
    const good = await cli('scoring/cli.ts', [
      '--platform',
      'linux',
      '--format',
      'json',
      '--weights',
      join(dir, 'good.json'),
    ]);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout).linux[0].score).toBeGreaterThan(30);
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ linux: { 'Process Creation': -1 } }));
    const bad = await cli('scoring/cli.ts', ['--weights', join(dir, 'bad.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(
      'row 1 "Process Creation" → linux.Process Creation: a weight cannot be negative',
    );
  });

  it('refuses to score invalid data, naming file, row, vendor and reason', async () => {
    const dir = await copyData();
    await editJson<{ categories: { subCategories: { cells: Record<string, Row> }[] }[] }>(
      dir,
      'matrices/linux.json',
      (m) => {
        const cell = m.categories[1]?.subCategories[0]?.cells.crowdstrike;
        if (cell) cell.status = 'Yes';
        return m;
      },
    );
    const { code, stdout, stderr } = await cli('scoring/cli.ts', ['--data', dir]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.replaceAll(dir, '<data>')).toMatchInlineSnapshot(`
      "Nothing was scored: 1 problem(s) in <data>:
        - <data>/matrices/linux.json, row 3 "File Creation", vendor "CrowdStrike" → categories[1].subCategories[0].cells.crowdstrike.status: expected "yes" | "via-enabling-telemetry" | "partially" | "via-event-logs" | "pending-response" | "not-tested" | "no", received "Yes"
      "
    `);
  });
});

describe('npm run score -- --shown', () => {
  it('ranks what the site shows, while the default keeps the claimed statuses', async () => {
    const dir = await copyData();
    await mkdir(join(dir, 'evidence', 'cli-test'), { recursive: true });
    const assertion = {
      basis: 'evidence',
      status: 'no',
      date: '2026-07-01T00:00:00Z',
      kind: 'generator-run',
      verdict: 'not-observed',
      product: { vendor: 'c-prot', name: 'C-Prot' },
      sensor: { identity: 'absent' },
      host: {},
      settings: [],
      tester: { handle: 'someone', affiliation: 'independent' },
      evidence: {
        record: 'evidence/cli-test/record.json#process-creation',
        captureSha256: 'c'.repeat(64),
      },
    };
    await writeFile(
      join(dir, 'evidence/cli-test/assertions.json'),
      JSON.stringify({
        schemaVersion: 1,
        platform: 'linux',
        vendor: 'c-prot',
        cells: { 'process-creation': assertion },
      }),
    );
    const weights = JSON.parse(await readFile(join(DATA_DIR, 'weights.json'), 'utf8'));
    const claimed = await cli('scoring/cli.ts', [
      '--data',
      dir,
      '--platform',
      'linux',
      '--format',
      'json',
    ]);
    const shown = await cli('scoring/cli.ts', [
      '--data',
      dir,
      '--platform',
      'linux',
      '--format',
      'json',
      '--shown',
    ]);
    expect(shown.code).toBe(0);
    const cprot = (out: string) =>
      (JSON.parse(out).linux as { vendor: string; score: number }[]).find(
        (v) => v.vendor === 'C-Prot',
      )?.score;
    expect(cprot(claimed.stdout)).toBe(25.6);
    // Process Creation was Yes; the evidence says No: the shown score loses that row's weight.
    expect(cprot(shown.stdout)).toBeCloseTo(
      25.6 - weights.platforms.linux['process-creation'] * weights.statusValues.yes,
      2,
    );
    expect(shown.stderr).toContain('1 evidence');
  });
});

describe('npm run data:import and data:export', () => {
  it('validates without writing with --check and reports each correction', async () => {
    const dir = await copyData();
    const { code, stderr } = await cli('scoring/import-cli.ts', [
      '--from',
      'tests/fixtures/upstream',
      '--data',
      dir,
      '--check',
    ]);
    expect(code).toBe(0);
    expect(stderr).toContain(
      'corrected  windows-bits-jobs-weight-key: renamed weight "BIT JOBS Activity" to "BITS Jobs Activity"',
    );
    expect(stderr).toContain('--check: nothing written.');
    expect(stderr).toContain('Change ledger: 2966 of 3920 rows joined to a history entry (75.7 %)');
    expect(stderr).toContain('0  no history entry states this change');
  });

  it('exits 1 and writes nothing when upstream has an unlisted defect', async () => {
    const data = await copyData();
    const from = await mkdtemp(join(tmpdir(), 'etm-up-'));
    temps.push(from);
    await cp('tests/fixtures/upstream', from, { recursive: true });
    await writeFile(join(from, 'EDR_telem_linux.json'), '');
    const { code, stderr } = await cli('scoring/import-cli.ts', ['--from', from, '--data', data]);
    expect(code).toBe(1);
    expect(stderr).toContain('EDR_telem_linux.json: the file is empty');
    expect(stderr).toContain('nothing was written');
  });

  it('exports upstream files', async () => {
    const to = await mkdtemp(join(tmpdir(), 'etm-export-'));
    temps.push(to);
    const { code, stderr } = await cli('scoring/export-cli.ts', ['--to', to]);
    expect(code).toBe(0);
    expect(stderr).toContain('Exported 7 files');
    const missing = await cli('scoring/export-cli.ts', []);
    expect(missing.code).toBe(2);
  });
});
