/**
 * The matrix filter's rules, in one place for the two things that apply them: the island's
 * TanStack Table filter functions (`islands/matrix-table.ts`) and the small script that filters
 * the static table while the island is still loading (`scripts/matrix-prefilter.ts`). Plain
 * functions over strings and numbers, no DOM and no dependencies, so the early script stays tiny.
 */

/**
 * What the text filter searches in a row: its name, id and category name, lower-cased.
 *
 * @example rowFilterText('DNS Query', 'dns-query', 'Network Activity') // 'dns query dns-query network activity'
 */
export function rowFilterText(name: string, id: string, categoryName: string): string {
  return `${name} ${id} ${categoryName}`.toLowerCase();
}

/** True when the typed text (trimmed, any case) occurs in a row's filter text; blank matches all. */
export function matchesQuery(filterText: string, query: string): boolean {
  return filterText.includes(query.trim().toLowerCase());
}

/**
 * True when one of the shown vendors' cells has a wanted value: a status rank for the status
 * filter, a basis index for the basis filter.
 *
 * @param cells the value per vendor, -1 where a vendor has no cell
 * @param wanted the values wanted
 * @param vendorIndices the vendors shown (indices into `cells`)
 */
export function hasWantedCell(
  cells: readonly number[],
  wanted: readonly number[],
  vendorIndices: readonly number[],
): boolean {
  return vendorIndices.some((i) => wanted.includes(cells[i] ?? -1));
}

/** The toolbar's one-line summary; the same words before and after the island hydrates. */
export function summaryText(
  rows: { shown: number; total: number },
  vendors: { shown: number; total: number },
): string {
  return `Showing ${rows.shown} of ${rows.total} sub-categories and ${vendors.shown} of ${vendors.total} products.`;
}
