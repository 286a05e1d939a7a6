/**
 * The scoring formula, once: score(vendor) = Σ over sub-categories of statusValue(cell) × weight.
 * Pure functions over validated data; the CLI, the site and the "your own weights" page all call these.
 */
import { matrixRows } from './rows.ts';
import type { PlatformMatrix, StatusValues } from './schema.ts';
import type { VendorScore } from './score.schema.ts';

export type { VendorScore };

/** Weights of one platform, keyed by sub-category id. */
export type PlatformWeights = Readonly<Record<string, number>>;

/** Rounds to hundredths so float drift (36.949999…) never reaches a reader. */
export function roundScore(value: number): number {
  return Math.round((value + Number.EPSILON) * 100) / 100;
}

/** Points one cell earns: its status value times its sub-category's weight. */
export function cellPoints(
  status: keyof StatusValues,
  weight: number,
  values: StatusValues,
): number {
  return values[status] * weight;
}

/** The score a vendor with "Yes" everywhere would reach. */
export function maxScore(
  matrix: PlatformMatrix,
  weights: PlatformWeights,
  values: StatusValues,
): number {
  const best = Math.max(...Object.values(values));
  return roundScore(
    matrixRows(matrix).reduce((sum, { sub }) => sum + best * (weights[sub.id] ?? 0), 0),
  );
}

/**
 * Scores and ranks every vendor of a matrix, best first; ties are ordered by name.
 *
 * @example scorePlatform(data.matrices.linux, data.weights.platforms.linux, data.weights.statusValues)
 */
export function scorePlatform(
  matrix: PlatformMatrix,
  weights: PlatformWeights,
  values: StatusValues,
): VendorScore[] {
  const rows = matrixRows(matrix);
  const max = maxScore(matrix, weights, values);
  const scored = matrix.vendors.map((vendor) => {
    let sum = 0;
    for (const { sub } of rows) {
      const cell = sub.cells[vendor.id];
      if (cell) sum += cellPoints(cell.status, weights[sub.id] ?? 0, values);
    }
    const score = roundScore(sum);
    return {
      vendorId: vendor.id,
      vendor: vendor.name,
      score,
      rank: 0,
      share: max > 0 ? score / max : 0,
    };
  });
  scored.sort((a, b) => b.score - a.score || a.vendor.localeCompare(b.vendor, 'en'));
  scored.forEach((entry, i) => {
    const previous = scored[i - 1];
    entry.rank = previous && previous.score === entry.score ? previous.rank : i + 1;
  });
  return scored;
}
