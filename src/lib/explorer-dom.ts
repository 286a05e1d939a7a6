/**
 * The matrix view drawn on the static table itself. Rows are shown, hidden and reordered, and
 * vendor columns hidden and reordered, by toggling `hidden` and moving the existing elements;
 * nothing is re-rendered. At 4x CPU throttling, rendering the 57 × 23 cells of the Windows matrix
 * again took seconds, moving them takes a few milliseconds plus one layout. Used by the
 * pre-hydration filter script and by the island; it knows the markup of `MatrixTable.astro`
 * (`tbody[data-category]`, `tr[data-sub]`, one cell per vendor in column order) and nothing else.
 */
import { matchesQuery, rowFilterText } from './explorer-filter.ts';

export interface StaticRow {
  el: HTMLTableRowElement;
  id: string;
  /** `rowFilterText` of the row, read once from its header and its category's. */
  filterText: string;
  /** The row's vendor cells in the build's column order. */
  cells: HTMLTableCellElement[];
}

export interface StaticGroup {
  el: HTMLTableSectionElement;
  /** The category's `th[scope=rowgroup]`. */
  header: HTMLTableCellElement;
  rows: StaticRow[];
}

export interface StaticMatrix {
  head: { el: HTMLTableRowElement; cells: HTMLTableCellElement[] };
  groups: StaticGroup[];
  rowCount: number;
}

/** The text of an element's own text nodes (the name, without the weight in its `<span>`). */
function ownText(el: Element | null): string {
  if (!el) return '';
  let text = '';
  for (const node of el.childNodes) if (node.nodeType === 3) text += node.textContent ?? '';
  return text.trim();
}

/** Reads the static table once; `null` when the page has none. */
export function readStaticMatrix(table: HTMLTableElement | null): StaticMatrix | null {
  const headRow = table?.tHead?.rows[0];
  if (!table || !headRow) return null;
  const groups = [...table.tBodies].flatMap((el): StaticGroup[] => {
    const header = el.querySelector<HTMLTableCellElement>('th[scope="rowgroup"]');
    if (!header) return [];
    const category = ownText(header.querySelector('.category-name'));
    const rows = [...el.rows].flatMap((tr): StaticRow[] => {
      const id = tr.dataset.sub;
      if (!id) return [];
      const [th, ...cells] = [...tr.cells];
      return [{ el: tr, id, filterText: rowFilterText(ownText(th ?? null), id, category), cells }];
    });
    return [{ el, header, rows }];
  });
  return {
    head: { el: headRow, cells: [...headRow.cells].slice(1) },
    groups,
    rowCount: groups.reduce((n, g) => n + g.rows.length, 0),
  };
}

/** Shows only the rows the text matches, hiding categories left empty; returns the rows shown. */
export function filterStaticRows(matrix: StaticMatrix, query: string): number {
  let shown = 0;
  for (const group of matrix.groups) {
    let inGroup = 0;
    for (const row of group.rows) {
      const match = matchesQuery(row.filterText, query);
      if (row.el.hidden === match) row.el.hidden = !match;
      if (match) inGroup++;
    }
    if (group.el.hidden !== (inGroup === 0)) group.el.hidden = inGroup === 0;
    shown += inGroup;
  }
  return shown;
}

export interface StaticPlan {
  /** Vendor indices (build order) shown, in display order. */
  vendors: readonly number[];
  /** Ids of the rows the view keeps, in display order (filtered, then sorted). */
  rows: readonly string[];
  /** Indices of folded categories: header shown, rows hidden. */
  collapsed: ReadonlySet<number>;
}

/** Puts `children` in this order under `parent`, moving nothing when the order already holds. */
function order(parent: Element, children: readonly Element[], offset: number) {
  const current = parent.children;
  for (let i = 0; i < children.length; i++) {
    if (current[offset + i] !== children[i]) {
      parent.append(...children.slice(i));
      return;
    }
  }
}

function orderCells(
  row: HTMLTableRowElement,
  cells: readonly HTMLTableCellElement[],
  shown: readonly number[],
) {
  const visible = new Set(shown);
  cells.forEach((cell, i) => {
    if (cell.hidden === visible.has(i)) cell.hidden = !visible.has(i);
  });
  const wanted = [
    ...shown.flatMap((i) => cells[i] ?? []),
    ...cells.filter((_, i) => !visible.has(i)),
  ];
  order(row, wanted, 1);
}

/** Draws a view on the static table: columns, row visibility and row order. */
export function applyStaticPlan(matrix: StaticMatrix, plan: StaticPlan) {
  // Moving an element takes focus from anything inside it; give it back afterwards.
  const focused = document.activeElement;
  orderCells(matrix.head.el, matrix.head.cells, plan.vendors);
  const position = new Map(plan.rows.map((id, i) => [id, i]));
  matrix.groups.forEach((group, gi) => {
    const kept = group.rows
      .filter((r) => position.has(r.id))
      .sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0));
    const emptied = kept.length === 0;
    if (group.el.hidden !== emptied) group.el.hidden = emptied;
    const span = plan.vendors.length + 1;
    if (group.header.colSpan !== span) group.header.colSpan = span;
    const folded = plan.collapsed.has(gi);
    for (const row of group.rows) {
      const hide = folded || !position.has(row.id);
      if (row.el.hidden !== hide) row.el.hidden = hide;
      orderCells(row.el, row.cells, plan.vendors);
    }
    const rest = group.rows.filter((r) => !position.has(r.id));
    order(
      group.el,
      [...kept, ...rest].map((r) => r.el),
      1,
    );
  });
  if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected)
    focused.focus({ preventScroll: true });
}

/**
 * Gives the static table the island's controls: a sort button in each vendor header and a fold
 * button around each category's name. Added by script, so readers without it never see
 * controls that would do nothing. `helpId` names the element describing what sorting does.
 */
export function addStaticControls(
  matrix: StaticMatrix,
  vendorNames: readonly string[],
  helpId: string,
) {
  matrix.head.cells.forEach((th, i) => {
    if (th.querySelector('button.sort')) return;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sort';
    button.dataset.sort = String(i);
    button.setAttribute('aria-describedby', helpId);
    const arrow = document.createElement('span');
    arrow.setAttribute('aria-hidden', 'true');
    arrow.textContent = '↕';
    const label = document.createElement('span');
    label.className = 'visually-hidden';
    label.textContent = `Sort by ${vendorNames[i] ?? ''}`;
    button.append(arrow, label);
    th.append(button);
  });
  matrix.groups.forEach((group, gi) => {
    const name = group.header.querySelector('.category-name');
    if (!name || name.querySelector('button.collapse')) return;
    const text = [...name.childNodes].find((n) => n.nodeType === 3 && n.textContent?.trim());
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'collapse';
    button.dataset.collapse = String(gi);
    button.setAttribute('aria-expanded', 'true');
    const arrow = document.createElement('span');
    arrow.setAttribute('aria-hidden', 'true');
    arrow.textContent = '▾';
    button.append(arrow, ` ${text?.textContent?.trim() ?? ''}`);
    if (text) name.replaceChild(button, text);
    else name.prepend(button);
    name.insertBefore(document.createTextNode(' '), button.nextSibling);
  });
}

/** Shows the row sort on the vendor headers (`aria-sort` and the arrow) and the folded categories. */
export function markStaticControls(
  matrix: StaticMatrix,
  sort: { vendor: number; desc: boolean } | null,
  collapsed: ReadonlySet<number>,
) {
  matrix.head.cells.forEach((th, i) => {
    const state = sort?.vendor === i ? (sort.desc ? 'descending' : 'ascending') : null;
    if (state) th.setAttribute('aria-sort', state);
    else th.removeAttribute('aria-sort');
    const arrow = th.querySelector('button.sort > span[aria-hidden]');
    const symbol = state === 'ascending' ? '▲' : state === 'descending' ? '▼' : '↕';
    if (arrow && arrow.textContent !== symbol) arrow.textContent = symbol;
  });
  matrix.groups.forEach((group, gi) => {
    const button = group.header.querySelector('button.collapse');
    if (!button) return;
    const open = !collapsed.has(gi);
    button.setAttribute('aria-expanded', String(open));
    const arrow = button.querySelector('span[aria-hidden]');
    if (arrow) arrow.textContent = open ? '▾' : '▸';
  });
}
