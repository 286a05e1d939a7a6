import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDataset } from '../../scoring/dataset.ts';
import { DataValidationError, formatIssue } from '../../scoring/issues.ts';
import type {
  Assertion,
  ClaimedAssertion,
  EvidenceAssertion,
} from '../../scoring/provenance.schema.ts';
import {
  backedScores,
  cellKey,
  cellProvenance,
  currentAssertions,
  DISPLAY_RULE,
  disagrees,
  isBacked,
  showAssertion,
  shownMatrices,
  summariseProvenance,
} from '../../scoring/provenance.ts';
import { scorePlatform } from '../../scoring/score.ts';
import { DATA_DIR } from './upstream-fixture.ts';

const data = await loadDataset(DATA_DIR);
const provenance = cellProvenance(data);

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

function claim(status: ClaimedAssertion['status'], date: string): ClaimedAssertion {
  return {
    basis: 'claimed',
    status,
    date,
    source: {
      commit: 'a'.repeat(40),
      commitUrl: `https://github.com/tsale/EDR-Telemetry/commit/${'a'.repeat(40)}`,
      contributorClass: 'unknown',
      change: 'unknown',
    },
  };
}

function evidence(
  status: EvidenceAssertion['status'],
  date: string,
  options: Partial<Pick<EvidenceAssertion, 'basis' | 'kind' | 'verdict'>> & {
    record?: string;
  } = {},
): EvidenceAssertion {
  const kind = options.kind ?? 'generator-run';
  return {
    basis: options.basis ?? 'evidence',
    status,
    date,
    kind,
    verdict: options.verdict ?? (kind === 'sample-events' ? 'fields-shown' : 'observed'),
    product: { vendor: 'elastic', name: 'Elastic Defend', version: '9.1.4' },
    sensor: { type: 'endpoint', version: '9.1.4', identity: 'known' },
    host: { os: 'Ubuntu 24.04', kernel: '6.8.0', arch: 'x86_64' },
    settings: [],
    tester: { handle: 'someone', affiliation: 'independent' },
    evidence: {
      record: options.record ?? 'evidence/pkg/record.json#file-size',
      captureSha256: 'b'.repeat(64),
    },
  };
}

/** Cells counted straight from the JSON files, without the loader: the reference for coverage. */
async function countCells(): Promise<{ key: string; status: string }[]> {
  const cells: { key: string; status: string }[] = [];
  const measured = await readdir(join(DATA_DIR, 'measured'));
  for (const platform of ['linux', 'windows', 'macos']) {
    const matrix = JSON.parse(await readFile(join(DATA_DIR, `matrices/${platform}.json`), 'utf8'));
    const rows = matrix.categories.flatMap((c: { subCategories: unknown[] }) => c.subCategories);
    for (const row of rows as { id: string; cells: Record<string, { status: string }> }[])
      for (const [vendor, cell] of Object.entries(row.cells))
        cells.push({ key: `${platform}/${row.id}/${vendor}`, status: cell.status });
    for (const name of measured) {
      const file = JSON.parse(await readFile(join(DATA_DIR, 'measured', name), 'utf8'));
      if (file.platform !== platform) continue;
      for (const [sub, cell] of Object.entries(file.cells as Record<string, { status: string }>))
        cells.push({ key: `${platform}/${sub}/${file.vendor.id}`, status: cell.status });
    }
  }
  return cells;
}

describe('cell provenance on the committed data', () => {
  it('gives every cell of the three matrices at least one assertion, the shown one its status', async () => {
    const cells = await countCells();
    expect(cells.length).toBeGreaterThan(2400);
    expect(provenance.size).toBe(cells.length);
    for (const { key, status } of cells) {
      const p = provenance.get(key as ReturnType<typeof cellKey>);
      expect(p?.assertions.length, key).toBeGreaterThan(0);
      expect(p?.shown.status, key).toBe(status);
    }
  });

  it('dates no claimed cell at the snapshot: every one has a history entry', () => {
    expect(summariseProvenance(data).snapshotClaims).toBe(0);
  });

  it('orders assertions newest first and gives the current claim the cell reason', () => {
    const p = provenance.get(cellKey('windows', 'process-creation', 'padvish-xdr'));
    const claims = p?.assertions.filter((a) => a.basis === 'claimed') ?? [];
    // The vendor was renamed PadvishXDR → Padvish XDR: the baseline under the old name belongs to
    // today's cell, after the rename.
    expect(claims.map((c) => c.source.change)).toEqual(['rename', 'baseline']);
    expect(claims.map((c) => c.source.prNumber)).toEqual([141, 126]);
    const reasoned = provenance.get(cellKey('linux', 'service-deletion', 'crowdstrike'));
    const cell = data.matrices.linux.categories
      .flatMap((c) => c.subCategories)
      .find((s) => s.id === 'service-deletion')?.cells.crowdstrike;
    expect(reasoned?.assertions[0]?.reason).toBe(cell?.reason);
  });

  it('marks the measured rows measured, their Not Tested cells not tested, with CI as tester', () => {
    const agent = provenance.get(cellKey('linux', 'driver-load', 'reference-agent'));
    expect(agent?.basis).toBe('measured');
    expect(agent?.notTested).toBe(true);
    const shown = agent?.shown;
    if (shown?.basis !== 'measured') throw new Error('expected a measured assertion');
    expect(shown.tester).toEqual({ handle: 'ci', affiliation: 'ci' });
    expect(shown.evidence.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(shown.host.kernel).toBeDefined();
  });

  it('names each measured sensor as its committed capture does (ECS agent.type), or says it is absent', async () => {
    // The reference: the first agent.type in each committed capture, read with zcat and python.
    const agentType = (fixture: string) =>
      execFileSync(
        'sh',
        [
          '-c',
          `zcat tests/fixtures/evidence/${fixture}/capture.*.gz | python3 -c "import json,sys\nfor l in sys.stdin:\n  t=(json.loads(l).get('agent') or {}).get('type')\n  if t: print(t); break"`,
        ],
        { encoding: 'utf8' },
      ).trim();
    const sensorOf = (vendor: string) => {
      const shown = provenance.get(cellKey('linux', 'process-creation', vendor))?.shown;
      if (shown?.basis !== 'measured')
        throw new Error(`expected a measured assertion for ${vendor}`);
      return shown.sensor;
    };
    expect(agentType('reference-agent')).toBe('etm-reference-agent');
    expect(sensorOf('reference-agent')).toEqual({
      type: agentType('reference-agent'),
      identity: 'known',
    });
    expect(agentType('auditd-laurel')).toBe('');
    expect(sensorOf('auditd-laurel')).toEqual({ identity: 'absent' });
  });
});

describe('the display rule', () => {
  it('is quoted word for word in scoring/README.md', async () => {
    const readme = await readFile('scoring/README.md', 'utf8');
    const quoted = readme
      .split('\n')
      .filter((line) => line.startsWith('>'))
      .map((line) => line.replace(/^>\s?/, ''))
      .join(' ');
    expect(quoted).toContain(DISPLAY_RULE);
  });

  it('shows generator-run evidence over a claim and says they disagree', () => {
    const list = [
      evidence('partially', '2026-07-01T00:00:00Z'),
      claim('yes', '2025-01-01T00:00:00Z'),
    ];
    expect(showAssertion(list).basis).toBe('evidence');
    expect(disagrees(list, showAssertion(list))).toBe(true);
  });

  it('shows measured over newer evidence and newer claims', () => {
    const measured = evidence('partially', '2026-01-01T00:00:00Z', {
      basis: 'measured',
      record: 'evidence/x.json#a',
    });
    const list = [
      claim('yes', '2026-09-01T00:00:00Z'),
      evidence('yes', '2026-08-01T00:00:00Z'),
      measured,
    ];
    expect(showAssertion(list)).toBe(measured);
  });

  it('never lets sample events decide: the claim stays, a contradiction is a disagreement', () => {
    const contradicting = [
      evidence('no', '2026-07-01T00:00:00Z', { kind: 'sample-events' }),
      claim('yes', '2025-01-01T00:00:00Z'),
    ];
    expect(showAssertion(contradicting).basis).toBe('claimed');
    expect(disagrees(contradicting, showAssertion(contradicting))).toBe(true);
  });

  it('lets a Not Tested verdict decide nothing and contradict nothing', () => {
    const list = [
      evidence('not-tested', '2026-07-01T00:00:00Z', { verdict: 'not-testable' }),
      claim('no', '2025-01-01T00:00:00Z'),
    ];
    expect(showAssertion(list).status).toBe('no');
    expect(disagrees(list, showAssertion(list))).toBe(false);
  });

  it('compares only current assertions: an older claim superseded by a newer one is history', () => {
    const list = [claim('yes', '2025-01-01T00:00:00Z'), claim('no', '2023-01-01T00:00:00Z')];
    expect(currentAssertions(list)).toHaveLength(1);
    expect(disagrees(list, showAssertion(list))).toBe(false);
  });

  it('keeps each evidence record current: two packages that differ disagree', () => {
    const list = [
      evidence('yes', '2026-08-01T00:00:00Z', { record: 'evidence/new/record.json#x' }),
      evidence('partially', '2026-07-01T00:00:00Z', { record: 'evidence/old/record.json#x' }),
    ];
    expect(showAssertion(list).status).toBe('yes');
    expect(disagrees(list, showAssertion(list))).toBe(true);
  });
});

/** A copy of data/ with one evidence package; returns its folder. */
async function withPackage(file: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'etm-prov-'));
  temps.push(dir);
  await cp(DATA_DIR, dir, { recursive: true });
  await mkdir(join(dir, 'evidence', 'test-package'), { recursive: true });
  await writeFile(join(dir, 'evidence/test-package/assertions.json'), JSON.stringify(file));
  return dir;
}

async function loadIssues(dir: string): Promise<string[]> {
  try {
    await loadDataset(dir);
  } catch (error) {
    if (error instanceof DataValidationError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

describe('evidence packages', () => {
  it('attach to their cell, change what is shown and scored, and back the points', async () => {
    const row = 'process-creation';
    const before = provenance.get(cellKey('linux', row, 'elastic'));
    expect(before?.basis).toBe('claimed');
    expect(before?.shown.status).toBe('yes');
    const dir = await withPackage({
      schemaVersion: 1,
      platform: 'linux',
      vendor: 'elastic',
      cells: {
        [row]: {
          ...evidence('partially', '2026-07-01T00:00:00Z'),
          evidence: {
            record: `evidence/test-package/record.json#${row}`,
            captureSha256: 'b'.repeat(64),
          },
        },
      },
    });
    const withEvidence = await loadDataset(dir);
    const cells = cellProvenance(withEvidence);
    const cell = cells.get(cellKey('linux', row, 'elastic'));
    expect(cell?.basis).toBe('evidence');
    expect(cell?.disagreement).toBe(true);
    expect(cell?.assertions.map((a: Assertion) => a.basis)).toEqual([
      'evidence',
      ...(before?.assertions.map((a) => a.basis) ?? []),
    ]);

    // Reference: the claimed score minus what the one cell loses, from weights.json read directly.
    const weights = JSON.parse(await readFile(join(DATA_DIR, 'weights.json'), 'utf8'));
    const weight = weights.platforms.linux[row] as number;
    const loss = weight * (weights.statusValues.yes - weights.statusValues.partially);
    const claimed = scorePlatform(
      data.matrices.linux,
      weights.platforms.linux,
      weights.statusValues,
    );
    const shownMatrix = shownMatrices(withEvidence, cells).linux;
    const shown = scorePlatform(shownMatrix, weights.platforms.linux, weights.statusValues);
    const elastic = (list: typeof claimed) =>
      list.find((v) => v.vendorId === 'elastic')?.score ?? NaN;
    expect(elastic(shown)).toBeCloseTo(elastic(claimed) - loss, 2);
    // The claimed matrix itself is untouched.
    const claimedRow = withEvidence.matrices.linux.categories
      .flatMap((c) => c.subCategories)
      .find((s) => s.id === row);
    expect(claimedRow?.cells.elastic?.status).toBe('yes');

    const backedBefore = backedScores(
      'linux',
      shownMatrices(data).linux,
      provenance,
      weights.platforms.linux,
      weights.statusValues,
    ).find((b) => b.vendorId === 'elastic');
    const backed = backedScores(
      'linux',
      shownMatrix,
      cells,
      weights.platforms.linux,
      weights.statusValues,
    );
    expect(backed.find((b) => b.vendorId === 'elastic')?.backedPoints).toBeCloseTo(
      (backedBefore?.backedPoints ?? NaN) + weight * weights.statusValues.partially,
      2,
    );
    expect(backed.find((b) => b.vendorId === 'reference-agent')?.backedShare).toBe(1);
    expect(backed.find((b) => b.vendorId === 'crowdstrike')?.backedShare).toBe(0);
  });

  it('back a claim they confirm with sample events, without deciding it', async () => {
    const dir = await withPackage({
      schemaVersion: 1,
      platform: 'linux',
      vendor: 'elastic',
      cells: { 'file-size': evidence('yes', '2026-07-01T00:00:00Z', { kind: 'sample-events' }) },
    });
    const cell = cellProvenance(await loadDataset(dir)).get(
      cellKey('linux', 'file-size', 'elastic'),
    );
    expect(cell?.basis).toBe('claimed');
    expect(cell?.disagreement).toBe(false);
    expect(cell && isBacked(cell)).toBe(true);
  });

  it('refuse an unknown vendor, an unknown sub-category and a bad status, naming each place', async () => {
    const bad = await withPackage({
      schemaVersion: 1,
      platform: 'linux',
      vendor: 'elastic',
      cells: {
        'no-such-row': evidence('yes', '2026-07-01T00:00:00Z'),
        'file-size': { ...evidence('yes', '2026-07-01T00:00:00Z'), status: 'Yes' },
      },
    });
    const issues = await loadIssues(bad);
    expect(issues).toEqual([
      expect.stringMatching(
        /evidence\/test-package\/assertions\.json, row \d+ "File Size", vendor "Elastic" → cells\.file-size\.status: expected "yes" \| .*received "Yes"$/,
      ),
    ]);
    const unknownRow = await withPackage({
      schemaVersion: 1,
      platform: 'linux',
      vendor: 'elastic',
      cells: { 'no-such-row': evidence('yes', '2026-07-01T00:00:00Z') },
    });
    expect(await loadIssues(unknownRow)).toEqual([
      expect.stringMatching(
        /assertions\.json, vendor "Elastic" → cells\.no-such-row: no sub-category "no-such-row" in the Linux matrix; use the id of one of its rows\.$/,
      ),
    ]);
    const unknownVendor = await withPackage({
      schemaVersion: 1,
      platform: 'linux',
      vendor: 'acme',
      cells: {
        'file-size': {
          ...evidence('yes', '2026-07-01T00:00:00Z'),
          product: { vendor: 'acme', name: 'Acme' },
        },
      },
    });
    expect(await loadIssues(unknownVendor)).toEqual([
      expect.stringMatching(
        /assertions\.json, vendor "acme" → vendor: no vendor "acme" in the Linux matrix/,
      ),
    ]);
  });

  it('refuse an evidence assertion without a manifest or capture hash', async () => {
    const { captureSha256: _c, ...rest } = evidence('yes', '2026-07-01T00:00:00Z').evidence;
    const dir = await withPackage({
      schemaVersion: 1,
      platform: 'linux',
      vendor: 'elastic',
      cells: { 'file-size': { ...evidence('yes', '2026-07-01T00:00:00Z'), evidence: rest } },
    });
    expect(await loadIssues(dir)).toEqual([
      expect.stringMatching(
        /"File Size", vendor "Elastic" → cells\.file-size\.evidence: an evidence or measured assertion needs manifestSha256/,
      ),
    ]);
  });
});
