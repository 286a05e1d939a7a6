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

/**
 * What a cell rests on, as the matrix marks it: the assertion's basis (claimed, evidence,
 * measured; `scoring/provenance.schema.ts`), or, taking precedence, `disagreement` when the cell's
 * assertions disagree and `not-tested` for a Not Tested cell. Drawn as `data-basis` on the cell,
 * so filters can select cells by it before and after hydration.
 */
export const CELL_BASES = [
  'claimed',
  'evidence',
  'measured',
  'disagreement',
  'not-tested',
] as const;
export type CellBasis = (typeof CELL_BASES)[number];

/**
 * The marker a cell whose basis is not a plain claim carries beside its label: a character, never
 * a colour, and the words the cell's accessible name gains. `BasisLegend.astro` explains them.
 */
export const BASIS_MARKERS: Readonly<
  Record<Exclude<CellBasis, 'claimed'>, { symbol: string; name: string; meaning: string }>
> = {
  evidence: {
    symbol: 'E',
    name: '(evidence)',
    meaning:
      'Backed by committed evidence: captures in this repository that CI re-derives on every change.',
  },
  measured: {
    symbol: 'M',
    name: '(measured)',
    meaning: 'Measured: CI runs the sensor itself and checks the capture still gives this status.',
  },
  disagreement: {
    symbol: '≠',
    name: '(assertions disagree)',
    meaning:
      'Assertions disagree (say, a claimed Yes and an evidence Partially): the panel shows both and which one the matrix shows.',
  },
  'not-tested': {
    symbol: '?',
    name: '(untested)',
    meaning: 'Not tested: nobody could run the actions with the product running; unknown, not No.',
  },
};

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
      /** Drawn as `data-basis`. */
      basis: CellBasis;
      /** The basis marker's symbol (`BASIS_MARKERS`); absent for a plain claim. */
      marker?: string;
    }
  | { kind: 'absent'; text: string };

export interface CellInput {
  /** Undefined when the vendor is not listed in this row. */
  status: CellStatus | undefined;
  href: string;
  /** The cell carries a reason (the text is in its detail panel). */
  reason: boolean;
  /**
   * The cell links to an evidence record. Drawn as "(evidence)" only when `basis` does not already
   * say it (a caller that does not pass the basis yet).
   */
  evidence: boolean;
  /** What the cell rests on (`provenance-view.ts` `cellBasis`); absent reads as a plain claim. */
  basis?: CellBasis;
}

/**
 * @example cellView({ status: { id: 'yes', label: 'Yes', symbol: '✅' }, href: '#a--b', reason: true, evidence: false })
 * // { kind: 'listed', text: '✅ Yes', name: 'Yes (reason)', notes: ['(reason)'], basis: 'claimed', … }
 * @example cellView({ …, basis: 'measured' })
 * // { …, name: 'Yes (measured)', basis: 'measured', marker: 'M' }
 */
export function cellView({
  status,
  href,
  reason,
  evidence,
  basis = 'claimed',
}: CellInput): CellView {
  if (!status) return { kind: 'absent', text: 'not listed' };
  const marker = basis === 'claimed' ? undefined : BASIS_MARKERS[basis];
  const notes = [reason && '(reason)', evidence && basis === 'claimed' && '(evidence)'].filter(
    (n): n is string => typeof n === 'string',
  );
  return {
    kind: 'listed',
    href,
    status: status.id,
    text: `${status.symbol} ${status.label}`,
    name: [status.label, ...notes, ...(marker ? [marker.name] : [])].join(' '),
    notes,
    basis,
    ...(marker ? { marker: marker.symbol } : {}),
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
