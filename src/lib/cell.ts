/**
 * One matrix cell, decided once: what the static table (`MatrixTable.astro`), the matrix island
 * and the compare island draw in a cell (text, accessible name, notes, tint) and what a cell's
 * reason reads as wherever it is shown. Pure and browser-safe; the two templates that draw a
 * cell (`MatrixTable.astro`, `MatrixCell.tsx`) only map these fields onto elements, and
 * `tests/site/site-build.test.ts` holds their built markup equal.
 */
import type { StatusDefinition } from '../../scoring/schema.ts';

/**
 * The fragment id of one cell's detail: `<subCategoryId>--<vendorId>`. Ids are slugs with single
 * hyphens, so the double hyphen separates them unambiguously.
 */
export function cellId(subCategoryId: string, vendorId: string): string {
  return `${subCategoryId}--${vendorId}`;
}

/** What a cell whose status takes a reason says when upstream gave none. */
const NO_REASON_GIVEN = 'no reason given upstream';

/** The parts of a status a cell draws. */
type CellStatus = Pick<StatusDefinition, 'label' | 'symbol'>;

export type CellView =
  | {
      kind: 'listed';
      /** The cell's detail panel (`#<subId>--<vendorId>`, page-absolute from other pages). */
      href: string;
      /** Status rank (0 = best), tints the cell through `data-rank`. */
      rank: number;
      /**
       * Symbol and label as one text run: one run per cell instead of two cut the Windows table's
       * first layout by about a quarter (1,300+ cells, emoji fallback shaping per run).
       */
      text: string;
      /** The link's accessible name: the label without the symbol, which screen readers spell out. */
      name: string;
      /** Markers under the label: "(reason)", "(evidence)". */
      notes: string[];
    }
  | { kind: 'absent'; text: string };

export interface CellInput {
  /** Undefined when the vendor is not listed in this row. */
  status: CellStatus | undefined;
  rank: number;
  href: string;
  /** The cell carries a reason (the text is in its detail panel). */
  reason: boolean;
  /** The cell links to measured evidence. */
  evidence: boolean;
}

/**
 * @example cellView({ status: { label: 'Yes', symbol: '✅' }, rank: 0, href: '#a--b', reason: true, evidence: false })
 * // { kind: 'listed', text: '✅ Yes', name: 'Yes (reason)', notes: ['(reason)'], … }
 */
export function cellView({ status, rank, href, reason, evidence }: CellInput): CellView {
  if (!status) return { kind: 'absent', text: 'not listed' };
  const notes = [reason && '(reason)', evidence && '(evidence)'].filter(
    (n): n is string => typeof n === 'string',
  );
  return {
    kind: 'listed',
    href,
    rank,
    text: `${status.symbol} ${status.label}`,
    name: [status.label, ...notes].join(' '),
    notes,
  };
}

/**
 * A cell's reason as readers see it: the reason, `NO_REASON_GIVEN` when its status takes a
 * reason (per data/statuses.json) and upstream gave none, or undefined when the status takes none.
 */
export function reasonText(
  reason: string | undefined,
  status: Pick<StatusDefinition, 'takesReason'>,
): string | undefined {
  if (reason) return reason;
  return status.takesReason ? NO_REASON_GIVEN : undefined;
}
