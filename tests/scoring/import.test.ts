import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDataset } from '../../scoring/dataset.ts';
import { readUpstream } from '../../scoring/upstream/bundle.ts';
import { applyCorrections } from '../../scoring/upstream/corrections.ts';
import { exportUpstream } from '../../scoring/upstream/export.ts';
import {
  importUpstream,
  loadImportRules,
  writeProjectFiles,
} from '../../scoring/upstream/import.ts';
import { copyUpstream, DATA_DIR, UPSTREAM_FIXTURE } from './upstream-fixture.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'etm-data-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('import of the upstream snapshot', () => {
  it('applies every listed correction, each exactly once', async () => {
    const result = await importUpstream({ from: UPSTREAM_FIXTURE, dataDir: DATA_DIR });
    expect(result.ok).toBe(true);
    const notApplied = result.outcomes
      .filter((o) => o.applied === undefined)
      .map((o) => o.correction.id);
    expect(notApplied).toEqual([]);
    expect(result.outcomes).toHaveLength(19);
  });

  it('reproduces the committed data/ exactly', async () => {
    const result = await importUpstream({ from: UPSTREAM_FIXTURE, dataDir: DATA_DIR });
    if (!result.ok) throw new Error('import failed');
    const out = await tempDir();
    const written = await writeProjectFiles(out, result.files);
    for (const path of written) {
      const name = path.slice(out.length + 1);
      expect(await readFile(path, 'utf8'), name).toBe(await readFile(join(DATA_DIR, name), 'utf8'));
    }
  });

  it('records provenance: commit, date, licence and the corrections applied', async () => {
    const data = await loadDataset(DATA_DIR);
    expect(data.provenance.upstream).toMatchObject({
      commit: '73584d1fafe51f34fdcb7584ad03545296964663',
      date: '2026-06-19',
      licence: 'CC BY-NC 4.0',
    });
    expect(data.provenance.correctionsApplied).toHaveLength(19);
  });

  it('drops the carry-forward category column: every row sits in an explicit category', async () => {
    const data = await loadDataset(DATA_DIR);
    const linux = data.matrices.linux.categories.map((c) => [c.name, c.subCategories.length]);
    expect(linux[0]).toEqual(['Process Activity', 2]);
    expect(linux.reduce((n, [, count]) => n + Number(count), 0)).toBe(34);
  });

  it('imports data that is already correct with no correction at all', async () => {
    // Write upstream's files with every correction applied, then import them again.
    const rules = await loadImportRules(DATA_DIR);
    const { bundle } = await readUpstream(UPSTREAM_FIXTURE);
    if (!rules.statuses || !rules.corrections) throw new Error('rules missing');
    const { bundle: clean } = applyCorrections(
      bundle,
      rules.corrections.corrections,
      rules.statuses,
    );
    // A reason is the one fix a correction cannot make: upstream fixing it is what ends it.
    const phorion = clean.platforms.macos.explanations.find(
      (r) => r['Sub-Category'] === 'SHA-256 Available',
    );
    if (!phorion) throw new Error('fixture has no macOS SHA-256 Available row');
    phorion.Phorion = { Partially: 'A reason upstream would give.' };
    const { dir, cleanup } = await copyUpstream();
    cleanups.push(cleanup);
    for (const [platform, files] of Object.entries(clean.platforms)) {
      const name = platform === 'macos' ? 'macOS' : platform;
      await writeFile(join(dir, `EDR_telem_${name}.json`), JSON.stringify(files.matrix));
      await writeFile(
        join(dir, `partially_value_explanations_${name}.json`),
        JSON.stringify(files.explanations),
      );
    }
    await writeFile(join(dir, 'weights.json'), JSON.stringify(clean.weights));
    await writeFile(join(dir, 'mitre_attack_mappings.json'), JSON.stringify(clean.mitre));
    await writeFile(
      join(dir, 'matrix_history.jsonl'),
      clean.history.map((e) => JSON.stringify(e)).join('\n'),
    );
    const result = await importUpstream({ from: dir, dataDir: DATA_DIR });
    expect(result.ok).toBe(true);
    expect(result.outcomes.filter((o) => o.applied !== undefined)).toEqual([]);
  });
});

describe('export round trip', () => {
  it('writes upstream files deep-equal to upstream except for the listed corrections', async () => {
    const rules = await loadImportRules(DATA_DIR);
    const { bundle } = await readUpstream(UPSTREAM_FIXTURE);
    if (!rules.statuses || !rules.corrections) throw new Error('rules missing');
    const { bundle: corrected } = applyCorrections(
      bundle,
      rules.corrections.corrections,
      rules.statuses,
    );
    const exported = exportUpstream(await loadDataset(DATA_DIR));
    for (const [platform, name] of [
      ['linux', 'linux'],
      ['windows', 'windows'],
      ['macos', 'macOS'],
    ] as const) {
      expect(exported[`EDR_telem_${name}.json`]).toEqual(corrected.platforms[platform].matrix);
      expect(exported[`partially_value_explanations_${name}.json`]).toEqual(
        corrected.platforms[platform].explanations,
      );
    }
    expect(exported['weights.json']).toEqual(corrected.weights);
  });

  it('differs from raw upstream only where a correction applied', async () => {
    const exported = exportUpstream(await loadDataset(DATA_DIR));
    const raw = JSON.parse(await readFile(join(UPSTREAM_FIXTURE, 'EDR_telem_linux.json'), 'utf8'));
    expect(exported['EDR_telem_linux.json']).toEqual(raw);
    const rawWeights = JSON.parse(await readFile(join(UPSTREAM_FIXTURE, 'weights.json'), 'utf8'));
    expect(exported['weights.json']).not.toEqual(rawWeights);
  });
});
