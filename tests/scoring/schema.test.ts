import { describe, expect, it } from 'vitest';
import { formatIssue, parseData } from '../../scoring/issues.ts';
import { PlatformMatrixSchema, STATUS_IDS, StatusesFileSchema } from '../../scoring/schema.ts';
import { slugify } from '../../scoring/slug.ts';

describe('slugify', () => {
  it('turns display names into stable ids', () => {
    expect(slugify('Image/Library Loaded')).toBe('image-library-loaded');
    expect(slugify('Scheduled Task Change (cron/at)')).toBe('scheduled-task-change-cron-at');
    expect(slugify('JA3/JA3s')).toBe('ja3-ja3s');
    expect(slugify('SHA-256 Available')).toBe('sha-256-available');
  });
});

describe('schemas', () => {
  const matrix = {
    schemaVersion: 1,
    platform: { id: 'linux', name: 'Linux', upstreamName: 'linux' },
    vendors: [{ id: 'acme', name: 'Acme', source: 'claimed', kind: 'product' }],
    categories: [
      {
        id: 'p',
        name: 'P',
        subCategories: [{ id: 'a', name: 'A', cells: { acme: { status: 'yes' } } }],
      },
    ],
  };

  it('accepts a minimal valid matrix', () => {
    expect(parseData(PlatformMatrixSchema, matrix, 'm.json').ok).toBe(true);
  });

  it('errors on unknown keys instead of ignoring them', () => {
    const result = parseData(PlatformMatrixSchema, { ...matrix, colour: 'red' }, 'm.json');
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      'm.json: unknown key "colour"',
    ]);
  });

  it('errors if a status is unknown, naming the dot path', () => {
    const bad = structuredClone(matrix);
    const cell = bad.categories[0]?.subCategories[0]?.cells.acme;
    if (cell) cell.status = 'Partial';
    const result = parseData(PlatformMatrixSchema, bad, 'm.json');
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      `m.json → categories[0].subCategories[0].cells.acme.status: expected ${STATUS_IDS.map((s) => `"${s}"`).join(' | ')}, received "Partial"`,
    ]);
  });

  it('errors if a blank reason is given', () => {
    const bad = structuredClone(matrix);
    const sub = bad.categories[0]?.subCategories[0];
    if (sub) sub.cells = { acme: Object.assign({ status: 'partially' }, { reason: ' ' }) };
    expect(parseData(PlatformMatrixSchema, bad, 'm.json').ok).toBe(false);
  });

  it('errors if statuses.json leaves a status undefined', () => {
    const result = parseData(StatusesFileSchema, { schemaVersion: 1, statuses: [] }, 's.json');
    expect(result.ok ? 0 : result.issues.length).toBe(STATUS_IDS.length);
  });
});
