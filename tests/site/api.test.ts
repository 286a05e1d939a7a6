import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../scoring/dataset.ts';
import { PLATFORM_IDS, STATUS_IDS } from '../../scoring/schema.ts';
import { API_FILES, apiIndex, apiSchemas, jsonSchemaFor, scoresFile } from '../../src/lib/api.ts';

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
