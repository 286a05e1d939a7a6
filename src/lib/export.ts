/**
 * Exports of the matrix view a reader is looking at: CSV for spreadsheets, JSON for scripts.
 * Pure string builders; the island turns them into downloads.
 */

interface ExportColumn {
  id: string;
  name: string;
  score: number;
}

interface ExportRow {
  category: string;
  subCategoryId: string;
  subCategory: string;
  weight: number;
  /** Status per column, aligned with the columns; null when the vendor has no cell. */
  statuses: ({ id: string; label: string } | null)[];
}

export interface ExportView {
  platform: string;
  columns: readonly ExportColumn[];
  rows: readonly ExportRow[];
}

/**
 * One CSV field (RFC 4180 quoting). Text that a spreadsheet would run as a formula (= + - @, tab,
 * carriage return first) gets a leading apostrophe: vendor names come from contributors.
 */
export function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The view as CSV: a header row, then one row per sub-category with status labels. */
export function viewToCsv(view: ExportView): string {
  const header = ['Category', 'Sub-category', 'Weight', ...view.columns.map((c) => c.name)];
  const lines = [header.map(csvField).join(',')];
  for (const row of view.rows) {
    lines.push(
      [row.category, row.subCategory, row.weight, ...row.statuses.map((s) => s?.label ?? '')]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The view as JSON with status ids (stable) rather than labels (display text). */
export function viewToJson(view: ExportView): string {
  return `${JSON.stringify(
    {
      platform: view.platform,
      vendors: view.columns.map(({ id, name, score }) => ({ id, name, score })),
      rows: view.rows.map((row) => ({
        category: row.category,
        subCategory: row.subCategoryId,
        name: row.subCategory,
        weight: row.weight,
        cells: Object.fromEntries(
          view.columns.map((c, i) => [c.id, row.statuses[i]?.id ?? null] as const),
        ),
      })),
    },
    null,
    2,
  )}\n`;
}
