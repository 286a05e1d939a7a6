/**
 * One matrix cell, decided once: what the static table (`MatrixTable.astro`), the matrix island
 * and the compare island draw in a cell (text, accessible name, notes, tint) and what a cell's
 * reason reads as wherever it is shown. Pure and browser-safe; the two templates that draw a
 * cell (`MatrixTable.astro`, `MatrixCell.tsx`) only map these fields onto elements, and
 * `tests/site/site-build.test.ts` holds their built markup equal.
 */
import type { StatusDefinition, StatusId } from '../../scoring/schema.ts';

/**
 * The fragment id of one cell's detail: `<subCategoryId>--<vendorId>`. Ids are slugs with single
 * hyphens, so the double hyphen separates them unambiguously.
 */
export function cellId(subCategoryId: string, vendorId: string): string {
  return `${subCategoryId}--${vendorId}`;
}

/** What a cell whose status requires a reason says when upstream gave none. */
const NO_REASON_GIVEN = 'no reason given upstream';
/** The same for the project's own statuses (Not Tested), which upstream never sets. */
const NO_REASON_RECORDED = 'no reason recorded';

/** The parts of a status a cell draws. */
type CellStatus = Pick<StatusDefinition, 'id' | 'label' | 'symbol'>;

export type CellView =
  | {
      kind: 'listed';
      /** The cell's detail panel (`#<subId>--<vendorId>`, page-absolute from other pages). */
      href: string;
      /**
       * The status id, drawn as `data-status`: tints are keyed by id in global.css, never by
       * position, so a status added to the catalog can never take another status's look.
       */
      status: StatusId;
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
  href: string;
  /** The cell carries a reason (the text is in its detail panel). */
  reason: boolean;
  /** The cell links to measured evidence. */
  evidence: boolean;
}

/**
 * @example cellView({ status: { id: 'yes', label: 'Yes', symbol: '✅' }, href: '#a--b', reason: true, evidence: false })
 * // { kind: 'listed', text: '✅ Yes', name: 'Yes (reason)', notes: ['(reason)'], … }
 */
export function cellView({ status, href, reason, evidence }: CellInput): CellView {
  if (!status) return { kind: 'absent', text: 'not listed' };
  const notes = [reason && '(reason)', evidence && '(evidence)'].filter(
    (n): n is string => typeof n === 'string',
  );
  return {
    kind: 'listed',
    href,
    status: status.id,
    text: `${status.symbol} ${status.label}`,
    name: [status.label, ...notes].join(' '),
    notes,
  };
}

/**
 * A cell's reason as readers see it: the reason when there is one; `NO_REASON_GIVEN` when its
 * status requires a reason (`requiresReason` in data/statuses.json: Partially) and upstream gave
 * none; otherwise undefined. Statuses that only take a reason (Via EventLogs, Via
 * EnablingTelemetry) are routinely left unexplained upstream, so their silence is not flagged.
 */
export function reasonText(
  reason: string | undefined,
  status: Pick<StatusDefinition, 'requiresReason' | 'origin'>,
): string | undefined {
  if (reason) return reason;
  if (!status.requiresReason) return undefined;
  return status.origin === 'upstream' ? NO_REASON_GIVEN : NO_REASON_RECORDED;
}
