/**
 * Walking a matrix row by row. Kept apart from `dataset.ts` (which reads files with node:fs and
 * builds zod schemas) so `score.ts` stays free of both and runs in the browser on /scores/.
 */
import type { Cell, PlatformMatrix, SubCategory } from './schema.ts';

/** Rows of a matrix in reading order, with their 1-based numbers. */
export function matrixRows(matrix: PlatformMatrix) {
  return matrix.categories
    .flatMap((category, ci) => category.subCategories.map((sub, si) => ({ category, sub, ci, si })))
    .map((row, i) => ({ ...row, number: i + 1 }));
}

/** A matrix whose cells are `C` instead of `Cell`. */
export type MatrixOf<C> = Omit<PlatformMatrix, 'categories'> & {
  categories: (Omit<PlatformMatrix['categories'][number], 'subCategories'> & {
    subCategories: (Omit<SubCategory, 'cells'> & { cells: Record<string, C> })[];
  })[];
};

/**
 * A copy of `matrix` with every cell replaced by what `fn` returns for it; a cell it returns
 * `undefined` for is left out. Rows, categories and vendors stay as they are.
 */
export function mapCells<C>(
  matrix: PlatformMatrix,
  fn: (cell: Cell, sub: SubCategory, vendorId: string) => C | undefined,
): MatrixOf<C> {
  return {
    ...matrix,
    categories: matrix.categories.map((category) => ({
      ...category,
      subCategories: category.subCategories.map((sub) => {
        const cells: Record<string, C> = {};
        for (const [vendorId, cell] of Object.entries(sub.cells)) {
          const next = fn(cell, sub, vendorId);
          if (next !== undefined) cells[vendorId] = next;
        }
        return { ...sub, cells };
      }),
    })),
  };
}
