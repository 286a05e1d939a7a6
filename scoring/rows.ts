/**
 * Walking a matrix row by row. Kept apart from `dataset.ts` (which reads files with node:fs and
 * builds zod schemas) so `score.ts` stays free of both and runs in the browser on /scores/.
 */
import type { PlatformMatrix } from './schema.ts';

/** Rows of a matrix in reading order, with their 1-based numbers. */
export function matrixRows(matrix: PlatformMatrix) {
  return matrix.categories
    .flatMap((category, ci) => category.subCategories.map((sub, si) => ({ category, sub, ci, si })))
    .map((row, i) => ({ ...row, number: i + 1 }));
}
