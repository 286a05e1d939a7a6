/**
 * The scoring formula, once: score(vendor) = Σ over sub-categories of statusValue(cell) × weight.
 * Pure functions over validated data; the CLI, the site and the "your own weights" page all call these.
 */
import { matrixRows } from './rows.ts';
import type { Category, PlatformMatrix, StatusValues } from './schema.ts';
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

/** The highest value any status earns (what "Yes" earns). */
function bestValue(values: StatusValues): number {
  return Math.max(...Object.values(values));
}

/**
 * A category's weight: the sum of its sub-categories' weights, rounded like a score. Every page
 * that shows a category's weight calls this.
 */
export function categoryWeight(category: Category, weights: PlatformWeights): number {
  return roundScore(category.subCategories.reduce((s, sub) => s + (weights[sub.id] ?? 0), 0));
}

/** Points one vendor earns in one category, and the most it could earn there. */
export interface CategoryCoverage {
  /** Σ statusValue × weight over the vendor's cells in the category, rounded to 0.01. */
  earned: number;
  /** What the best status on every row of the category would earn, rounded to 0.01. */
  possible: number;
}

/**
 * One vendor's coverage of one category, by the same formula as its score: the categories'
 * `earned` add up to the vendor's score (up to rounding).
 *
 * @example categoryCoverage(matrix.categories[0], 'elastic', weights.platforms.linux, weights.statusValues)
 */
export function categoryCoverage(
  category: Category,
  vendorId: string,
  weights: PlatformWeights,
  values: StatusValues,
): CategoryCoverage {
  const best = bestValue(values);
  let earned = 0;
  let possible = 0;
  for (const sub of category.subCategories) {
    const weight = weights[sub.id] ?? 0;
    possible += best * weight;
    const cell = sub.cells[vendorId];
    if (cell) earned += cellPoints(cell.status, weight, values);
  }
  return { earned: roundScore(earned), possible: roundScore(possible) };
}

/** The score a vendor with "Yes" everywhere would reach. */
export function maxScore(
  matrix: PlatformMatrix,
  weights: PlatformWeights,
  values: StatusValues,
): number {
  const best = bestValue(values);
  return roundScore(
    matrixRows(matrix).reduce((sum, { sub }) => sum + best * (weights[sub.id] ?? 0), 0),
  );
}

/**
 * Scores and ranks every vendor of a matrix: products first, best first, then the sensors the
 * project measures itself, ranked among sensors, so a sensor never takes a product's rank. Ties
 * share a rank and are ordered by name.
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
  const scored = matrix.vendors.map((vendor): VendorScore => {
    let sum = 0;
    for (const { sub } of rows) {
      const cell = sub.cells[vendor.id];
      if (cell) sum += cellPoints(cell.status, weights[sub.id] ?? 0, values);
    }
    const score = roundScore(sum);
    return {
      vendorId: vendor.id,
      vendor: vendor.name,
      kind: vendor.kind,
      score,
      rank: 0,
      share: max > 0 ? score / max : 0,
    };
  });
  const kindOrder = (kind: VendorScore['kind']) => (kind === 'product' ? 0 : 1);
  scored.sort(
    (a, b) =>
      kindOrder(a.kind) - kindOrder(b.kind) ||
      b.score - a.score ||
      a.vendor.localeCompare(b.vendor, 'en'),
  );
  scored.forEach((entry, i) => {
    const previous = scored[i - 1];
    const firstOfKind = scored.findIndex((s) => s.kind === entry.kind);
    entry.rank =
      previous && previous.kind === entry.kind && previous.score === entry.score
        ? previous.rank
        : i - firstOfKind + 1;
  });
  return scored;
}

/**
 * The leader of a ranking: the best product (a measured sensor leads only its own list). The one
 * home of the rule the home page, the matrix pages and the CLI state.
 */
export function leaders(scores: readonly VendorScore[]): VendorScore[] {
  return scores.filter((s) => s.kind === 'product' && s.rank === 1);
}
