/**
 * The matrix view a reader builds (vendors shown and their order, text, status and basis
 * filters, collapsed categories, row sort) and its round trip through the page's query string, so a view
 * can be shared as a link. The hash stays free for cell permalinks.
 */
// Types only: the island bundles this module, and scoring/schema.ts would pull zod into the browser.
import type { StatusId } from '../../scoring/schema.ts';
import type { CellBasis } from './cell.ts';

interface RowSort {
  vendorId: string;
  /** false: best coverage first (status rank ascending). */
  desc: boolean;
}

export interface MatrixViewState {
  /** Vendor ids shown, in display order. */
  vendors: string[];
  /** Case-insensitive text matched against sub-category and category names and ids. */
  query: string;
  /** Show only rows where a shown vendor has one of these statuses; empty = no status filter. */
  statuses: StatusId[];
  /** Show only rows where a shown vendor's cell rests on one of these bases; empty = all. */
  bases: CellBasis[];
  /** Category ids whose rows are folded away. */
  collapsed: string[];
  /** Rows sorted by one vendor's status inside each category; null = matrix order. */
  sort: RowSort | null;
}

export interface ViewUniverse {
  /** Every vendor id in the matrix's own order (the default view). */
  vendorIds: readonly string[];
  categoryIds: readonly string[];
  /** Status ids best first (the catalog order), used to order and validate status filters. */
  statusIds: readonly StatusId[];
  /** Cell bases in `CELL_BASES` order, used to order and validate basis filters. */
  basisIds: readonly CellBasis[];
}

/** The view of a page opened without parameters: everything, in the matrix's own order. */
export function defaultView(universe: ViewUniverse): MatrixViewState {
  return {
    vendors: [...universe.vendorIds],
    query: '',
    statuses: [],
    bases: [],
    collapsed: [],
    sort: null,
  };
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** True when the view equals the default, i.e. the static HTML table already shows it. */
export function isDefaultView(state: MatrixViewState, universe: ViewUniverse): boolean {
  return (
    sameList(state.vendors, universe.vendorIds) &&
    state.query.trim() === '' &&
    state.statuses.length === 0 &&
    state.bases.length === 0 &&
    state.collapsed.length === 0 &&
    state.sort === null
  );
}

/**
 * Encodes only what differs from the default, so the default view has a clean URL.
 *
 * @example encodeView({ ...defaultView(u), query: 'dns' }, u) // 'q=dns'
 */
export function encodeView(state: MatrixViewState, universe: ViewUniverse): string {
  const params = new URLSearchParams();
  if (!sameList(state.vendors, universe.vendorIds)) params.set('v', state.vendors.join(','));
  if (state.query.trim() !== '') params.set('q', state.query.trim());
  if (state.statuses.length > 0) {
    // Canonical order so equal views give equal links.
    params.set('s', universe.statusIds.filter((id) => state.statuses.includes(id)).join(','));
  }
  if (state.bases.length > 0)
    params.set('b', universe.basisIds.filter((id) => state.bases.includes(id)).join(','));
  if (state.collapsed.length > 0) {
    params.set('c', universe.categoryIds.filter((id) => state.collapsed.includes(id)).join(','));
  }
  if (state.sort) params.set('sort', `${state.sort.desc ? '-' : ''}${state.sort.vendorId}`);
  // A literal "," is valid in a query value; keeping it makes shared links readable.
  return params.toString().replaceAll('%2C', ',');
}

const splitList = (value: string | null) =>
  value === null
    ? []
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

/**
 * Reads a view from a query string. Links outlive data: unknown vendors, categories and statuses
 * are dropped (not an error), duplicates are ignored, and an empty vendor list means the default.
 */
export function decodeView(search: string, universe: ViewUniverse): MatrixViewState {
  const params = new URLSearchParams(search);
  const known = new Set(universe.vendorIds);
  const vendors = [...new Set(splitList(params.get('v')).filter((id) => known.has(id)))];
  const categories = new Set(universe.categoryIds);
  const wanted = new Set(splitList(params.get('s')));
  const wantedBases = new Set(splitList(params.get('b')));
  const sortText = params.get('sort') ?? '';
  const sortId = sortText.replace(/^-/, '');
  return {
    vendors: vendors.length > 0 ? vendors : [...universe.vendorIds],
    query: (params.get('q') ?? '').slice(0, 200),
    statuses: universe.statusIds.filter((id) => wanted.has(id)),
    bases: universe.basisIds.filter((id) => wantedBases.has(id)),
    collapsed: universe.categoryIds.filter(
      (id) => categories.has(id) && splitList(params.get('c')).includes(id),
    ),
    sort: known.has(sortId) ? { vendorId: sortId, desc: sortText.startsWith('-') } : null,
  };
}

/** Moves one vendor up (-1) or down (+1) in the display order; out-of-range moves do nothing. */
export function moveVendor(order: readonly string[], id: string, by: -1 | 1): string[] {
  const from = order.indexOf(id);
  const to = from + by;
  if (from < 0 || to < 0 || to >= order.length) return [...order];
  const next = [...order];
  next.splice(from, 1);
  next.splice(to, 0, id);
  return next;
}
