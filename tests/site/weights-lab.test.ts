import { describe, expect, it } from 'vitest';
import type { PlatformMatrix, StatusValues } from '../../scoring/schema.ts';
import { scorePlatform } from '../../scoring/score.ts';
import { onlyBacked } from '../../src/islands/WeightsLab.tsx';

const values = {
  yes: 1,
  'via-enabling-telemetry': 1,
  partially: 0.5,
  'via-event-logs': 0.5,
  'pending-response': 0,
  'not-tested': 0,
  no: 0,
} satisfies StatusValues;

const matrix: PlatformMatrix = {
  schemaVersion: 1,
  platform: { id: 'linux', name: 'Linux', upstreamName: 'linux' },
  vendors: [
    { id: 'acme', name: 'Acme', source: 'claimed', kind: 'product' },
    { id: 'probe', name: 'Probe', source: 'measured', kind: 'sensor' },
  ],
  categories: [
    {
      id: 'process',
      name: 'Process',
      subCategories: [
        { id: 'a', name: 'A', cells: { acme: { status: 'yes' }, probe: { status: 'yes' } } },
        { id: 'b', name: 'B', cells: { acme: { status: 'partially' }, probe: { status: 'yes' } } },
      ],
    },
  ],
};
const weights = { a: 1, b: 2 };

describe('onlyBacked (the weights lab’s evidence-backed switch)', () => {
  it('scores every cell outside the backed set 0 and leaves backed cells their points', () => {
    // By hand: Acme keeps only b (Partially × 2 = 1); Probe keeps a and b (1 + 2 = 3).
    const scores = scorePlatform(
      onlyBacked(matrix, new Set(['b--acme', 'a--probe', 'b--probe'])),
      weights,
      values,
    );
    expect(Object.fromEntries(scores.map((s) => [s.vendorId, s.score]))).toEqual({
      acme: 1,
      probe: 3,
    });
  });

  it('leaves the matrix it was given unchanged', () => {
    onlyBacked(matrix, new Set());
    expect(matrix.categories[0]?.subCategories[0]?.cells.acme).toEqual({ status: 'yes' });
  });
});
