/**
 * The interactive layer over a platform matrix: a toolbar whose view (vendors and their order,
 * filters, collapsed categories, row sort) TanStack Table turns into a row model, drawn on the
 * static table itself (`lib/explorer-dom.ts`: rows and cells shown, hidden and moved, never
 * re-rendered) once the control's own answer has painted (`lib/redraw-scheduler.ts`), and kept
 * in the query string. Hydrates on the reader's first interaction; the
 * filter box works before that (`scripts/matrix-prefilter.ts`) and what was typed there, with
 * its caret and focus, is kept.
 */
import {
  type ColumnFiltersState,
  type ColumnVisibilityState,
  type SortingState,
  useTable,
} from '@tanstack/react-table';
import {
  Fragment,
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { ExplorerData } from '../lib/explorer-data.ts';
import {
  addStaticControls,
  applyStaticPlan,
  markStaticControls,
  readStaticMatrix,
  type StaticMatrix,
} from '../lib/explorer-dom.ts';
import { summaryText } from '../lib/explorer-filter.ts';
import { type ExportView, viewToCsv, viewToJson } from '../lib/export.ts';
import { byKindThenRank } from '../lib/ranking.ts';
import { createRedrawScheduler, TYPING_PAUSE_MS } from '../lib/redraw-scheduler.ts';
import {
  decodeView,
  defaultView,
  encodeView,
  isDefaultView,
  type MatrixViewState,
  moveVendor,
  type ViewUniverse,
} from '../lib/view-state.ts';
import {
  BASIS_COLUMN,
  buildColumns,
  CATEGORY_COLUMN,
  type CellFilterValue,
  features,
  STATUS_COLUMN,
  TEXT_COLUMN,
} from './matrix-table.ts';

interface Props {
  data: ExplorerData;
  /** Id of the static table's wrapper: the table this island draws its view on. */
  staticId: string;
}

function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const toggleIn = <T,>(list: readonly T[], item: T) =>
  list.includes(item) ? list.filter((x) => x !== item) : [...list, item];

/** How long the view must stay unchanged before the address shows it. */
const URL_DELAY_MS = 600;

export default function MatrixExplorer({ data, staticId }: Props) {
  const universe = useMemo<ViewUniverse>(
    () => ({
      vendorIds: data.vendors.map((v) => v.id),
      categoryIds: data.categories.map((c) => c.id),
      statusIds: data.statuses.map((s) => s.id),
      basisIds: data.bases.map((b) => b.id),
    }),
    [data],
  );
  const columns = useMemo(() => buildColumns(data), [data]);
  const ids = useId();
  const [view, setView] = useState<MatrixViewState>(() => defaultView(universe));
  const [ready, setReady] = useState(false);
  const [copied, setCopied] = useState(false);
  const queryInput = useRef<HTMLInputElement>(null);
  const staticMatrix = useRef<StaticMatrix | null>(null);
  const [redraw] = useState(createRedrawScheduler);
  // How long the next redraw waits after the paint: a pause in the typing, or nothing.
  const redrawPause = useRef(0);

  // On hydration, before the first paint: read the shared view (the server render cannot see
  // the query string) and take over what the reader typed before the island ran. The box is the
  // same element, so its caret and focus stay; the text wins over the address's `?q=` when the
  // reader typed (the server renders it empty) or is in the box.
  useLayoutEffect(() => {
    const shared = decodeView(window.location.search, universe);
    const input = queryInput.current;
    const typed = input && (input.value !== '' || document.activeElement === input);
    // A reader typing through hydration gets the same pause before the first redraw as later.
    if (typed) redrawPause.current = TYPING_PAUSE_MS;
    setView(typed ? { ...shared, query: input.value } : shared);
    setReady(true);
  }, [universe]);

  const active = ready && !isDefaultView(view, universe);

  const query = ready ? encodeView(view, universe) : null;
  const viewUrl = () =>
    `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash}`;
  // The address follows the view once the reader pauses, not on every keystroke: changing it
  // makes Chromium restyle every link of the page (the base URL changed), about 200 ms on the
  // Windows matrix at 4x throttling, which a keystroke must not wait for.
  // One pagehide listener for the page's life, writing whatever view is pending: adding and
  // removing it on every keystroke was measurable script time.
  const pendingUrl = useRef<(() => void) | null>(null);
  useEffect(() => {
    const flush = () => pendingUrl.current?.();
    window.addEventListener('pagehide', flush);
    return () => window.removeEventListener('pagehide', flush);
  }, []);
  useEffect(() => {
    if (query === null) return;
    setCopied(false);
    const url = `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash}`;
    const write = () => {
      pendingUrl.current = null;
      const current = `${window.location.pathname}${window.location.search}${window.location.hash}`;
      if (current !== url) window.history.replaceState(window.history.state, '', url);
    };
    pendingUrl.current = write;
    const timer = setTimeout(write, URL_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query]);

  const vendorNames = useMemo(() => data.vendors.map((v) => v.name), [data]);
  const vendorIndex = useMemo(() => new Map(data.vendors.map((v, i) => [v.id, i])), [data]);
  const visibleIndices = view.vendors.flatMap((id) => {
    const i = vendorIndex.get(id);
    return i === undefined ? [] : [i];
  });

  const columnVisibility: ColumnVisibilityState = {
    [CATEGORY_COLUMN]: false,
    [TEXT_COLUMN]: false,
    [STATUS_COLUMN]: false,
    [BASIS_COLUMN]: false,
    ...Object.fromEntries(data.vendors.map((v) => [v.id, view.vendors.includes(v.id)])),
  };
  const columnOrder = [CATEGORY_COLUMN, TEXT_COLUMN, STATUS_COLUMN, BASIS_COLUMN, ...view.vendors];
  const columnFilters: ColumnFiltersState = [
    ...(view.query.trim() ? [{ id: TEXT_COLUMN, value: view.query }] : []),
    ...(view.statuses.length > 0
      ? [
          {
            id: STATUS_COLUMN,
            value: {
              wanted: view.statuses.map((id) => universe.statusIds.indexOf(id)),
              vendorIndices: visibleIndices,
            } satisfies CellFilterValue,
          },
        ]
      : []),
    ...(view.bases.length > 0
      ? [
          {
            id: BASIS_COLUMN,
            value: {
              wanted: view.bases.map((id) => universe.basisIds.indexOf(id)),
              vendorIndices: visibleIndices,
            } satisfies CellFilterValue,
          },
        ]
      : []),
  ];
  // Category order is always the first key, so a row sort reorders inside each category.
  const sorting: SortingState = view.sort
    ? [
        { id: CATEGORY_COLUMN, desc: false },
        { id: view.sort.vendorId, desc: view.sort.desc },
      ]
    : [];

  const table = useTable({
    features,
    columns,
    data: data.rows,
    state: { columnVisibility, columnOrder, columnFilters, sorting },
    enableMultiSort: true,
  });

  const rows = table.getRowModel().rows.map((r) => r.original);
  const shownRows = rows.filter(
    (r) => !view.collapsed.includes(universe.categoryIds[r.category] ?? ''),
  );
  const vendorOrder = visibleIndices.join(',');
  const rowOrder = rows.map((r) => r.id).join(',');
  const collapsedIndices = view.collapsed.map((id) => universe.categoryIds.indexOf(id)).join(',');
  const sortIndex = view.sort ? (vendorIndex.get(view.sort.vendorId) ?? -1) : -1;
  const sortDesc = view.sort?.desc ?? false;
  const vendorColumns = table.getVisibleLeafColumns().flatMap((c) => {
    const i = vendorIndex.get(c.id);
    const vendor = i === undefined ? undefined : data.vendors[i];
    return vendor && i !== undefined ? [{ vendor, index: i }] : [];
  });

  // Stable, so the memoised panels below keep their handlers.
  const update = useCallback((patch: Partial<MatrixViewState>) => {
    const typing = Object.keys(patch).length === 1 && 'query' in patch;
    redrawPause.current = typing ? TYPING_PAUSE_MS : 0;
    setView((v) => ({ ...v, ...patch }));
  }, []);

  const cycleSort = (vendorId: string) => {
    const s = view.sort;
    if (!s || s.vendorId !== vendorId) update({ sort: { vendorId, desc: false } });
    else if (!s.desc) update({ sort: { vendorId, desc: true } });
    else update({ sort: null });
  };

  const exportView = (): ExportView => ({
    platform: data.platform.id,
    columns: vendorColumns.map(({ vendor }) => ({
      id: vendor.id,
      name: vendor.name,
      score: vendor.score,
    })),
    rows: shownRows.map((row) => ({
      category: data.categories[row.category]?.name ?? '',
      subCategoryId: row.id,
      subCategory: row.name,
      weight: row.weight,
      statuses: vendorColumns.map(({ index }) => {
        const s = data.statuses[row.cells[index] ?? -1];
        return s ? { id: s.id, label: s.label } : null;
      }),
    })),
  });

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(new URL(viewUrl(), window.location.href).href);
      setCopied(true);
    } catch {
      // Clipboard access can be refused; the address bar already holds the same link.
      setCopied(false);
    }
  };

  const byScore = useCallback(
    () =>
      update({
        vendors: [...view.vendors].sort((a, b) => {
          const va = data.vendors[vendorIndex.get(a) ?? 0];
          const vb = data.vendors[vendorIndex.get(b) ?? 0];
          // Products by their rank, then sensors by theirs: a sensor's #1 is not a product's.
          return va && vb ? byKindThenRank(va, vb) : 0;
        }),
      }),
    [update, view.vendors, data.vendors, vendorIndex],
  );

  // The toolbar's lists do not depend on the typed text: a keystroke re-renders the box and the
  // summary, not 46 options and some 60 checkboxes (React diffing them was most of a keystroke's
  // script at 4x throttling).
  const sortOptions = useMemo(
    () =>
      view.vendors.map((id) => {
        const vendor = data.vendors[vendorIndex.get(id) ?? -1];
        return vendor ? (
          <Fragment key={id}>
            <option value={id}>{vendor.name}, best first</option>
            <option value={`-${id}`}>{vendor.name}, worst first</option>
          </Fragment>
        ) : null;
      }),
    [view.vendors, data.vendors, vendorIndex],
  );
  const panels = useMemo(
    () => (
      <>
        <details>
          <summary>
            Statuses{view.statuses.length > 0 ? ` (${view.statuses.length} chosen)` : ''}
          </summary>
          <fieldset className="panel">
            <legend>Show rows where a shown product has</legend>
            {data.statuses.map((s) => (
              <label key={s.id} className="check">
                <input
                  type="checkbox"
                  checked={view.statuses.includes(s.id)}
                  onChange={() => update({ statuses: toggleIn(view.statuses, s.id) })}
                />{' '}
                <span className="badge" data-status={s.id}>
                  <span aria-hidden="true">{s.symbol}</span> {s.label}
                </span>
              </label>
            ))}
          </fieldset>
        </details>
        <details>
          <summary>
            How known{view.bases.length > 0 ? ` (${view.bases.length} chosen)` : ''}
          </summary>
          <fieldset className="panel">
            <legend>Show rows where a shown product's cell is</legend>
            {data.bases.map((b) => (
              <label key={b.id} className="check">
                <input
                  type="checkbox"
                  checked={view.bases.includes(b.id)}
                  onChange={() => update({ bases: toggleIn(view.bases, b.id) })}
                />{' '}
                {b.symbol && (
                  <span className="basis" aria-hidden="true">
                    {b.symbol}
                  </span>
                )}{' '}
                {b.label} <span className="muted">({b.cells} cells)</span>
              </label>
            ))}
          </fieldset>
        </details>
        <details>
          <summary>
            Products ({view.vendors.length} of {data.vendors.length})
          </summary>
          <div className="panel">
            <p className="buttons">
              <button type="button" onClick={byScore}>
                Order by score
              </button>
              <button type="button" onClick={() => update({ vendors: [...universe.vendorIds] })}>
                Show all, original order
              </button>
            </p>
            <ol className="vendor-list">
              {view.vendors.map((id, pos) => {
                const vendor = data.vendors[vendorIndex.get(id) ?? -1];
                if (!vendor) return null;
                return (
                  <li key={id}>
                    <label className="check">
                      <input
                        type="checkbox"
                        checked
                        disabled={view.vendors.length === 1}
                        onChange={() => update({ vendors: view.vendors.filter((v) => v !== id) })}
                      />{' '}
                      {vendor.name}
                    </label>
                    <button
                      type="button"
                      disabled={pos === 0}
                      aria-label={`Move ${vendor.name} left`}
                      onClick={() => update({ vendors: moveVendor(view.vendors, id, -1) })}
                    >
                      ←
                    </button>
                    <button
                      type="button"
                      disabled={pos === view.vendors.length - 1}
                      aria-label={`Move ${vendor.name} right`}
                      onClick={() => update({ vendors: moveVendor(view.vendors, id, 1) })}
                    >
                      →
                    </button>
                  </li>
                );
              })}
            </ol>
            {data.vendors.some((v) => !view.vendors.includes(v.id)) && (
              <>
                <p>Hidden products</p>
                <ul className="vendor-list">
                  {data.vendors
                    .filter((v) => !view.vendors.includes(v.id))
                    .map((vendor) => (
                      <li key={vendor.id}>
                        <label className="check">
                          <input
                            type="checkbox"
                            checked={false}
                            onChange={() => update({ vendors: [...view.vendors, vendor.id] })}
                          />{' '}
                          {vendor.name}
                        </label>
                      </li>
                    ))}
                </ul>
              </>
            )}
          </div>
        </details>
        <details>
          <summary>
            Categories ({data.categories.length - view.collapsed.length} of {data.categories.length}{' '}
            open)
          </summary>
          <div className="panel">
            <p className="buttons">
              <button
                type="button"
                onClick={() => update({ collapsed: [...universe.categoryIds] })}
              >
                Collapse all
              </button>
              <button type="button" onClick={() => update({ collapsed: [] })}>
                Expand all
              </button>
            </p>
            <ul className="vendor-list">
              {data.categories.map((c) => (
                <li key={c.id}>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={!view.collapsed.includes(c.id)}
                      onChange={() => update({ collapsed: toggleIn(view.collapsed, c.id) })}
                    />{' '}
                    {c.name}
                  </label>
                </li>
              ))}
            </ul>
          </div>
        </details>
      </>
    ),
    [
      update,
      byScore,
      view.statuses,
      view.bases,
      view.vendors,
      view.collapsed,
      data,
      vendorIndex,
      universe,
    ],
  );

  // Same sentence before and after hydration, so hydrating never shifts the layout.
  const summary = summaryText(
    { shown: shownRows.length, total: data.rows.length },
    { shown: view.vendors.length, total: data.vendors.length },
  );

  // The sort and fold buttons of the static table, added once; their clicks come here.
  const handlers = useRef({ cycleSort, toggleCategory: (_: string) => {} });
  handlers.current = {
    cycleSort,
    toggleCategory: (id: string) => update({ collapsed: toggleIn(view.collapsed, id) }),
  };
  useLayoutEffect(() => {
    const matrix = readStaticMatrix(
      document.getElementById(staticId)?.querySelector('table') ?? null,
    );
    staticMatrix.current = matrix;
    if (!matrix) return;
    // The buttons themselves are added with the first redraw (below), after hydration's paint.
    const onClick = (event: MouseEvent) => {
      const target = event.target instanceof Element ? event.target : null;
      const sort = target?.closest<HTMLElement>('button[data-sort]')?.dataset.sort;
      const fold = target?.closest<HTMLElement>('button[data-collapse]')?.dataset.collapse;
      const vendor = sort === undefined ? undefined : data.vendors[Number(sort)];
      const category = fold === undefined ? undefined : universe.categoryIds[Number(fold)];
      if (vendor) handlers.current.cycleSort(vendor.id);
      if (category) handlers.current.toggleCategory(category);
    };
    const root = matrix.head.el.closest('table');
    root?.addEventListener('click', onClick);
    return () => root?.removeEventListener('click', onClick);
  }, [data, staticId, universe]);

  // Draw the view on the static table: the sort and fold buttons' state in this frame (they
  // answer the click), the rows and columns after it has painted. The first redraw also adds the
  // buttons: adding them relays out the whole table, which hydration's own frame must not wait
  // for when the reader is typing through it. Keyed by the view's parts as text, so a render that
  // changes nothing moves nothing.
  useLayoutEffect(() => {
    const matrix = staticMatrix.current;
    if (!ready || !matrix) return;
    const split = (text: string) => (text === '' ? [] : text.split(','));
    const collapsed = new Set(split(collapsedIndices).map(Number));
    const sort = sortIndex < 0 ? null : { vendor: sortIndex, desc: sortDesc };
    markStaticControls(matrix, sort, collapsed);
    const plan = { vendors: split(vendorOrder).map(Number), rows: split(rowOrder), collapsed };
    redraw.schedule(() => {
      addStaticControls(matrix, vendorNames, `${ids}-sorthelp`);
      markStaticControls(matrix, sort, collapsed);
      applyStaticPlan(matrix, plan);
    }, redrawPause.current);
  }, [
    ready,
    redraw,
    ids,
    vendorNames,
    vendorOrder,
    rowOrder,
    collapsedIndices,
    sortIndex,
    sortDesc,
  ]);
  useEffect(() => redraw.cancel, [redraw]);

  return (
    <div className="explorer">
      <form
        className="toolbar"
        onSubmit={(e) => e.preventDefault()}
        aria-label="Matrix view"
        data-ready={ready ? '' : undefined}
      >
        <fieldset>
          <legend className="visually-hidden">Change the matrix view</legend>
          {/* Never disabled: before hydration the pre-filter script answers it. */}
          <div className="field">
            <label htmlFor={`${ids}-q`}>Filter sub-categories</label>
            <input
              ref={queryInput}
              id={`${ids}-q`}
              name="q"
              type="search"
              value={view.query}
              placeholder="e.g. dns, hash, logon"
              onChange={(e) => update({ query: e.target.value })}
            />
          </div>
          <fieldset className="controls" disabled={!ready}>
            <legend className="visually-hidden">Sort, choose and export</legend>
            <div className="field">
              <label htmlFor={`${ids}-sort`}>Sort rows in each category by</label>
              <select
                id={`${ids}-sort`}
                value={view.sort ? `${view.sort.desc ? '-' : ''}${view.sort.vendorId}` : ''}
                onChange={(e) => {
                  const v = e.target.value;
                  update({
                    sort: v ? { vendorId: v.replace(/^-/, ''), desc: v.startsWith('-') } : null,
                  });
                }}
              >
                <option value="">matrix order</option>
                {sortOptions}
              </select>
            </div>
            {panels}
            <p className="buttons">
              <button type="button" onClick={byScore}>
                Order products by score
              </button>
              <button
                type="button"
                onClick={() =>
                  download(`${data.platform.id}-matrix.csv`, 'text/csv', viewToCsv(exportView()))
                }
              >
                Export CSV
              </button>
              <button
                type="button"
                onClick={() =>
                  download(
                    `${data.platform.id}-matrix.json`,
                    'application/json',
                    viewToJson(exportView()),
                  )
                }
              >
                Export JSON
              </button>
              <button type="button" onClick={copyLink}>
                {copied ? 'Link copied' : 'Copy link to this view'}
              </button>
              <button
                type="button"
                disabled={!active}
                onClick={() => {
                  redrawPause.current = 0;
                  setView(defaultView(universe));
                }}
              >
                Reset view
              </button>
            </p>
          </fieldset>
        </fieldset>
        {/* Before hydration the pre-filter script writes this count; hydration keeps its text. */}
        <p className="summary" aria-live="polite" suppressHydrationWarning>
          {summary}
        </p>
      </form>
      <p id={`${ids}-sorthelp`} className="visually-hidden">
        Sorts rows inside each category by this product's status: best first, then worst first, then
        the original order.
      </p>
    </div>
  );
}
