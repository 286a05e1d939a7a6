/**
 * The interactive layer over a platform matrix. The static table (rendered at build time) stays
 * on screen until the reader changes the view; then this island renders the same table through
 * TanStack Table with the chosen vendors, order, filters, collapsed categories and row sort, and
 * keeps that view in the query string. Hydrates on idle; nothing here blocks first paint.
 */
import {
  type ColumnFiltersState,
  type ColumnVisibilityState,
  type SortingState,
  useTable,
} from '@tanstack/react-table';
import { Fragment, useEffect, useId, useMemo, useState } from 'react';
import { MatrixCell } from '../components/MatrixCell.tsx';
import { cellId, cellView } from '../lib/cell.ts';
import type { ExplorerData, ExplorerRow } from '../lib/explorer-data.ts';
import { type ExportView, viewToCsv, viewToJson } from '../lib/export.ts';
import { byKindThenRank, rankText } from '../lib/ranking.ts';
import { untestedText } from '../lib/untested.ts';
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
  buildColumns,
  CATEGORY_COLUMN,
  features,
  STATUS_COLUMN,
  type StatusFilterValue,
  TEXT_COLUMN,
} from './matrix-table.ts';

interface Props {
  data: ExplorerData;
  /** Id of the static table's wrapper, hidden while the island shows a changed view. */
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

export default function MatrixExplorer({ data, staticId }: Props) {
  const universe = useMemo<ViewUniverse>(
    () => ({
      vendorIds: data.vendors.map((v) => v.id),
      categoryIds: data.categories.map((c) => c.id),
      statusIds: data.statuses.map((s) => s.id),
    }),
    [data],
  );
  const columns = useMemo(() => buildColumns(data), [data]);
  const ids = useId();
  const [view, setView] = useState<MatrixViewState>(() => defaultView(universe));
  const [ready, setReady] = useState(false);
  const [copied, setCopied] = useState(false);

  // Read the shared view once on hydration (the server render cannot see the query string).
  useEffect(() => {
    setView(decodeView(window.location.search, universe));
    setReady(true);
  }, [universe]);

  const active = ready && !isDefaultView(view, universe);

  useEffect(() => {
    if (!ready) return;
    const query = encodeView(view, universe);
    const url = `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash}`;
    window.history.replaceState(window.history.state, '', url);
    setCopied(false);
  }, [view, universe, ready]);

  useEffect(() => {
    const staticTable = document.getElementById(staticId);
    if (staticTable) staticTable.hidden = active;
  }, [active, staticId]);

  const vendorIndex = useMemo(() => new Map(data.vendors.map((v, i) => [v.id, i])), [data]);
  const visibleIndices = view.vendors.flatMap((id) => {
    const i = vendorIndex.get(id);
    return i === undefined ? [] : [i];
  });

  const columnVisibility: ColumnVisibilityState = {
    [CATEGORY_COLUMN]: false,
    [TEXT_COLUMN]: false,
    [STATUS_COLUMN]: false,
    ...Object.fromEntries(data.vendors.map((v) => [v.id, view.vendors.includes(v.id)])),
  };
  const columnOrder = [CATEGORY_COLUMN, TEXT_COLUMN, STATUS_COLUMN, ...view.vendors];
  const columnFilters: ColumnFiltersState = [
    ...(view.query.trim() ? [{ id: TEXT_COLUMN, value: view.query }] : []),
    ...(view.statuses.length > 0
      ? [
          {
            id: STATUS_COLUMN,
            value: {
              ranks: view.statuses.map((id) => universe.statusIds.indexOf(id)),
              vendorIndices: visibleIndices,
            } satisfies StatusFilterValue,
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
  const vendorColumns = table.getVisibleLeafColumns().flatMap((c) => {
    const i = vendorIndex.get(c.id);
    const vendor = i === undefined ? undefined : data.vendors[i];
    return vendor && i !== undefined ? [{ vendor, index: i }] : [];
  });

  const update = (patch: Partial<MatrixViewState>) => setView((v) => ({ ...v, ...patch }));
  const toggleIn = <T,>(list: readonly T[], item: T) =>
    list.includes(item) ? list.filter((x) => x !== item) : [...list, item];

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
      await navigator.clipboard.writeText(window.location.href);
      setCopied(true);
    } catch {
      // Clipboard access can be refused; the address bar already holds the same link.
      setCopied(false);
    }
  };

  const byScore = () =>
    update({
      vendors: [...view.vendors].sort((a, b) => {
        const va = data.vendors[vendorIndex.get(a) ?? 0];
        const vb = data.vendors[vendorIndex.get(b) ?? 0];
        // Products by their rank, then sensors by theirs: a sensor's #1 is not a product's.
        return va && vb ? byKindThenRank(va, vb) : 0;
      }),
    });

  // Same sentence before and after hydration, so hydrating never shifts the layout.
  const summary = `Showing ${shownRows.length} of ${data.rows.length} sub-categories and ${view.vendors.length} of ${data.vendors.length} products.`;

  // Rows grouped under their categories, in row-model order.
  const groups: { category: number; rows: ExplorerRow[] }[] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last && last.category === row.category) last.rows.push(row);
    else groups.push({ category: row.category, rows: [row] });
  }
  const span = vendorColumns.length + 1;

  return (
    <div className="explorer">
      <form className="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Matrix view">
        <fieldset disabled={!ready}>
          <legend className="visually-hidden">Change the matrix view</legend>
          <div className="field">
            <label htmlFor={`${ids}-q`}>Filter sub-categories</label>
            <input
              id={`${ids}-q`}
              type="search"
              value={view.query}
              placeholder="e.g. dns, hash, logon"
              onChange={(e) => update({ query: e.target.value })}
            />
          </div>
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
              {view.vendors.map((id) => {
                const vendor = data.vendors[vendorIndex.get(id) ?? -1];
                return vendor ? (
                  <Fragment key={id}>
                    <option value={id}>{vendor.name}, best first</option>
                    <option value={`-${id}`}>{vendor.name}, worst first</option>
                  </Fragment>
                ) : null;
              })}
            </select>
          </div>
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
              Categories ({data.categories.length - view.collapsed.length} of{' '}
              {data.categories.length} open)
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
            <button type="button" disabled={!active} onClick={() => setView(defaultView(universe))}>
              Reset view
            </button>
          </p>
        </fieldset>
        <p className="summary" aria-live="polite">
          {summary}
        </p>
      </form>
      {active && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable, WCAG 2.1.1)
        <section className="matrix-scroll" aria-labelledby={`${ids}-cap`} tabIndex={0}>
          <table className="matrix">
            <caption id={`${ids}-cap`}>
              {data.platform.name} telemetry, your view: {shownRows.length} sub-categories,{' '}
              {vendorColumns.length} products. Sort rows by a product with its header button.
            </caption>
            <thead>
              <tr>
                <th scope="col" className="corner">
                  Sub-category <span className="muted">(weight)</span>
                </th>
                {vendorColumns.map(({ vendor }) => {
                  const sorted = view.sort?.vendorId === vendor.id ? view.sort : null;
                  return (
                    <th
                      key={vendor.id}
                      scope="col"
                      className="vendor"
                      aria-sort={sorted ? (sorted.desc ? 'descending' : 'ascending') : undefined}
                    >
                      <button
                        type="button"
                        className="sort"
                        onClick={() => cycleSort(vendor.id)}
                        aria-describedby={`${ids}-sorthelp`}
                      >
                        {vendor.name}{' '}
                        <span aria-hidden="true">{sorted ? (sorted.desc ? '▼' : '▲') : '↕'}</span>
                      </button>
                      {vendor.measured && <span className="measured">measured, CI-verified</span>}
                      <span className="score">
                        {vendor.score.toFixed(2)} <span className="muted">{rankText(vendor)}</span>
                      </span>
                      {vendor.untested > 0 && (
                        <span className="untested">{untestedText(vendor.untested)}</span>
                      )}
                    </th>
                  );
                })}
              </tr>
            </thead>
            {groups.map((group) => {
              const category = data.categories[group.category];
              if (!category) return null;
              const collapsed = view.collapsed.includes(category.id);
              return (
                <tbody key={category.id}>
                  <tr className="category-row">
                    <th scope="rowgroup" colSpan={span}>
                      <span className="category-name">
                        <button
                          type="button"
                          className="collapse"
                          aria-expanded={!collapsed}
                          onClick={() =>
                            update({ collapsed: toggleIn(view.collapsed, category.id) })
                          }
                        >
                          <span aria-hidden="true">{collapsed ? '▸' : '▾'}</span> {category.name}
                        </button>{' '}
                        <span className="muted">
                          (weight {category.weight}
                          {collapsed ? `, ${group.rows.length} rows folded` : ''})
                        </span>
                      </span>
                    </th>
                  </tr>
                  {!collapsed &&
                    group.rows.map((row) => (
                      <tr key={row.id}>
                        <th scope="row">
                          {row.name} <span className="muted">({row.weight})</span>
                        </th>
                        {vendorColumns.map(({ vendor, index }) => {
                          const rank = row.cells[index] ?? -1;
                          return (
                            <MatrixCell
                              key={vendor.id}
                              view={cellView({
                                status: data.statuses[rank],
                                href: `#${cellId(row.id, vendor.id)}`,
                                reason: row.reasons.includes(index),
                                evidence: row.evidence.includes(index),
                              })}
                            />
                          );
                        })}
                      </tr>
                    ))}
                </tbody>
              );
            })}
          </table>
          <p id={`${ids}-sorthelp`} className="visually-hidden">
            Sorts rows inside each category by this product's status: best first, then worst first,
            then the original order.
          </p>
        </section>
      )}
    </div>
  );
}
