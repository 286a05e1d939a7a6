import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../scoring/dataset.ts';
import { PLATFORM_IDS, STATUS_IDS } from '../../scoring/schema.ts';
import {
  API_FILES,
  apiIndex,
  apiSchemas,
  jsonSchemaFor,
  matrixFile,
  scoresFile,
} from '../../src/lib/api.ts';

const data = await loadDataset(resolve('data'));
const site = 'https://example.org/';

describe('open-data files', () => {
  it('each published file validates against the zod schema its JSON Schema is generated from', () => {
    for (const file of API_FILES) {
      const parsed = file.schema.safeParse(file.build(data));
      expect(parsed.success, `${file.path}: ${parsed.error?.message}`).toBe(true);
    }
  });

  it('lists every file in the index with its schema, and one matrix per platform', () => {
    const index = apiIndex(data);
    expect(index.files.map((f) => f.path)).toEqual(API_FILES.map((f) => `/api/v1/${f.path}`));
    for (const p of PLATFORM_IDS) {
      expect(index.files).toContainEqual(
        expect.objectContaining({
          path: `/api/v1/matrices/${p}.json`,
          schema: '/api/v1/schemas/matrix.schema.json',
        }),
      );
    }
    expect(index.upstream.commit).toBe(data.provenance.upstream.commit);
  });

  it('publishes the scores of scoring/score.ts, best first', () => {
    const scores = scoresFile(data);
    const windows = scores.platforms.windows.vendors;
    expect(windows[0]?.rank).toBe(1);
    expect([...windows].sort((a, b) => b.score - a.score)).toEqual(windows);
    expect(scores.platforms.windows.maxScore).toBeGreaterThan(windows[0]?.score ?? Infinity);
  });

  it('gives every entry its kind, products first, and ranks sensors among sensors', () => {
    const linux = scoresFile(data).platforms.linux.vendors;
    expect(linux.every((v) => v.kind === 'product' || v.kind === 'sensor')).toBe(true);
    const firstSensor = linux.findIndex((v) => v.kind === 'sensor');
    expect(firstSensor).toBeGreaterThan(0);
    expect(linux.slice(firstSensor).every((v) => v.kind === 'sensor')).toBe(true);
    expect(linux[firstSensor]?.rank).toBe(1);
    expect(linux.find((v) => v.vendorId === 'c-prot')?.rank).toBe(1);
  });

  it('documents kind in the scores JSON Schema', () => {
    const file = apiSchemas().find((f) => f.schemaName === 'scores');
    if (!file) throw new Error('no scores schema');
    const schema = JSON.stringify(jsonSchemaFor(file, site));
    expect(schema).toContain('"kind"');
    expect(schema).toContain(JSON.stringify(['product', 'sensor']));
  });
});

describe('provenance in the open data', () => {
  const cells = PLATFORM_IDS.flatMap((p) =>
    matrixFile(data, p).categories.flatMap((c) =>
      c.subCategories.flatMap((s) =>
        Object.entries(s.cells).map(([vendor, cell]) => ({ key: `${p}/${s.id}/${vendor}`, cell })),
      ),
    ),
  );

  it('gives every cell of the three matrices a provenance array, newest first, with ISO dates', () => {
    const expected = PLATFORM_IDS.reduce(
      (n, p) =>
        n +
        data.matrices[p].vendors.length *
          data.matrices[p].categories.reduce((m, c) => m + c.subCategories.length, 0),
      0,
    );
    expect(cells).toHaveLength(expected);
    for (const { key, cell } of cells) {
      expect(cell.provenance.length, key).toBeGreaterThan(0);
      const times = cell.provenance.map((a) => Date.parse(a.date));
      expect(
        times.every((t) => Number.isFinite(t)),
        key,
      ).toBe(true);
      expect(
        [...times].sort((a, b) => b - a),
        key,
      ).toEqual(times);
      expect(cell.provenance.map((a) => a.date).every((d) => /^\d{4}-\d{2}-\d{2}T/.test(d))).toBe(
        true,
      );
    }
  });

  it('links claimed items to their pull request and backs evidence items with a hash and host', () => {
    const items = cells.flatMap(({ cell }) => cell.provenance);
    const withPr = items.filter((a) => a.basis === 'claimed' && a.source.pr !== undefined);
    expect(withPr.length).toBeGreaterThan(1000);
    for (const a of withPr)
      if (a.basis === 'claimed')
        expect(a.source.pr).toMatch(/^https:\/\/github\.com\/tsale\/EDR-Telemetry\/pull\/\d+$/);
    const tested = items.filter((a) => a.basis !== 'claimed');
    expect(tested.length).toBeGreaterThan(0);
    for (const a of tested) {
      expect(a.evidence.manifestSha256 ?? a.evidence.captureSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(a.host).toBeDefined();
      expect(a.product.name.length).toBeGreaterThan(0);
      // CI knows the version of the sensor it runs; a package states it where its source does.
      if (a.basis === 'measured') expect(a.product.version).toBeDefined();
    }
  });

  it('shows the status its provenance decides, and the matrix JSON Schema documents provenance', () => {
    for (const { key, cell } of cells) {
      const claims = cell.provenance.filter((a) => a.basis === 'claimed');
      if (cell.basis === 'claimed') expect(cell.status, key).toBe(claims[0]?.status);
    }
    const file = apiSchemas().find((f) => f.schemaName === 'matrix');
    if (!file) throw new Error('no matrix schema');
    const schema = JSON.stringify(jsonSchemaFor(file, site));
    for (const word of ['"provenance"', '"basis"', '"manifestSha256"', '"captureSha256"', '"pr"'])
      expect(schema).toContain(word);
  });

  it('publishes the shown ranking and the backed share beside the claimed one', () => {
    const linux = scoresFile(data).platforms.linux;
    expect(linux.shown.map((v) => v.vendorId).sort()).toEqual(
      linux.vendors.map((v) => v.vendorId).sort(),
    );
    expect(linux.backed.find((b) => b.vendorId === 'reference-agent')?.backedShare).toBe(1);
    expect(linux.backed.find((b) => b.vendorId === 'crowdstrike')?.backedPoints).toBe(0);
  });
});

describe('jsonSchemaFor', () => {
  const schemas = new Map(apiSchemas().map((f) => [f.schemaName, jsonSchemaFor(f, site)]));

  it('emits one draft 2020-12 schema per shape with an absolute $id', () => {
    expect([...schemas.keys()].sort()).toEqual(
      [...new Set(API_FILES.map((f) => f.schemaName))].sort(),
    );
    const matrix = schemas.get('matrix');
    expect(matrix?.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(matrix?.$id).toBe('https://example.org/api/v1/schemas/matrix.schema.json');
  });

  it('carries the status enum and strictness of the zod schemas', () => {
    const statuses = JSON.stringify(schemas.get('statuses'));
    expect(statuses).toContain(JSON.stringify([...STATUS_IDS]));
    const matrix = schemas.get('matrix') as { additionalProperties?: unknown; required?: unknown };
    expect(matrix.additionalProperties).toBe(false);
    expect(matrix.required).toEqual(['schemaVersion', 'platform', 'vendors', 'categories']);
  });
});
