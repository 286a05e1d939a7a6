import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../scoring/dataset.ts';
import {
  correctionsEffect,
  rankingMoved,
  scoreEffect,
  weightsWithout,
} from '../../src/lib/corrections-effect.ts';

const data = await loadDataset(resolve('data'));
const effect = correctionsEffect(
  data,
  data.corrections.corrections,
  data.provenance.correctionsApplied,
);

describe('correctionsEffect', () => {
  it('undoing the BITS weight rename gives upstream’s Windows ranking (Harfanglab first)', () => {
    const windows = effect.overall.windows;
    const harfanglab = windows.find((c) => c.vendorId === 'harfanglab');
    expect(harfanglab?.upstream.rank).toBe(1);
    expect(harfanglab?.corrected.rank).toBeGreaterThan(1);
    expect(rankingMoved(windows)).toBe(true);
    expect(Object.keys(effect.single)).toEqual(['windows-bits-jobs-weight-key']);
  });

  it('leaves Linux and macOS rankings unchanged, as their corrections carry no points', () => {
    expect(rankingMoved(effect.overall.linux)).toBe(false);
    expect(rankingMoved(effect.overall.macos)).toBe(false);
  });

  it('removes only the renamed weight', () => {
    const without = weightsWithout(data.weights, data.corrections.corrections);
    expect(data.weights.platforms.windows['bits-jobs-activity']).toBeGreaterThan(0);
    expect(without.platforms.windows['bits-jobs-activity']).toBeUndefined();
    expect(Object.keys(without.platforms.windows)).toHaveLength(
      Object.keys(data.weights.platforms.windows).length - 1,
    );
  });

  it('classifies explanation-only corrections as carrying no points', () => {
    const explanation = data.corrections.corrections.find((c) => c.where.file === 'explanations');
    expect(explanation && scoreEffect(explanation).kind).toBe('none');
  });
});
