/**
 * Two to four vendors side by side on every platform, rows that differ marked in text (not only
 * colour). The server renders the default comparison; in the browser the island reads `?v=` and
 * keeps it in sync with the reader's choice.
 */
import { useEffect, useId, useMemo, useState } from 'react';
import { MatrixCell } from '../components/MatrixCell.tsx';
import { type CellBasis, cellId, cellView } from '../lib/cell.ts';
import {
  compareQuery,
  MAX_COMPARE,
  MIN_COMPARE,
  parseCompareParam,
  rowDiffers,
} from '../lib/compare.ts';
import type { ExplorerData } from '../lib/explorer-data.ts';
import { rankText } from '../lib/ranking.ts';

interface Props {
  platforms: ExplorerData[];
  /** Every vendor across platforms, for the chooser. */
  vendors: { id: string; name: string }[];
  initial: string[];
  /**
   * Per platform id, the basis of each cell that is not a plain claim, keyed by `cellId`
   * (`markedBases`), so a cell carries the static table's marker.
   */
  bases: Readonly<Record<string, Readonly<Record<string, CellBasis>>>>;
}

export default function Compare({ platforms, vendors, initial, bases }: Props) {
  const known = useMemo(() => new Set(vendors.map((v) => v.id)), [vendors]);
  const [chosen, setChosen] = useState<string[]>(initial);
  const [onlyDiff, setOnlyDiff] = useState(false);
  const [ready, setReady] = useState(false);
  const ids = useId();

  useEffect(() => {
    const fromLink = parseCompareParam(window.location.search, known);
    if (fromLink.length > 0) setChosen(fromLink);
    setReady(true);
  }, [known]);

  useEffect(() => {
    if (!ready) return;
    const q = compareQuery(chosen);
    window.history.replaceState(
      window.history.state,
      '',
      `${window.location.pathname}${q ? `?${q}` : ''}${window.location.hash}`,
    );
  }, [chosen, ready]);

  const toggle = (id: string) =>
    setChosen((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c, id]));
  const names = new Map(vendors.map((v) => [v.id, v.name]));

  return (
    <div className="compare">
      <fieldset className="chooser" disabled={!ready}>
        <legend>
          Products to compare ({chosen.length} chosen; {MIN_COMPARE} to {MAX_COMPARE})
        </legend>
        <ul>
          {vendors.map((v) => (
            <li key={v.id}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={chosen.includes(v.id)}
                  disabled={!chosen.includes(v.id) && chosen.length >= MAX_COMPARE}
                  onChange={() => toggle(v.id)}
                />{' '}
                {v.name}
              </label>
            </li>
          ))}
        </ul>
        <label className="check">
          <input type="checkbox" checked={onlyDiff} onChange={() => setOnlyDiff((d) => !d)} /> Show
          only rows that differ
        </label>
      </fieldset>
      <p aria-live="polite" className="compare-status">
        {!ready
          ? 'Choosing products needs JavaScript; below is the default comparison, and every product has its own page.'
          : chosen.length < MIN_COMPARE
            ? `Choose at least ${MIN_COMPARE} products.`
            : `Comparing ${chosen.map((id) => names.get(id) ?? id).join(', ')}.`}
      </p>
      {chosen.length >= MIN_COMPARE &&
        platforms.map((p) => {
          const cols = chosen.flatMap((id) => {
            const i = p.vendors.findIndex((v) => v.id === id);
            const vendor = p.vendors[i];
            return vendor ? [{ vendor, i }] : [];
          });
          const missing = chosen.filter((id) => !p.vendors.some((v) => v.id === id));
          const rows = p.rows.filter(
            (row) => !onlyDiff || rowDiffers(cols.map(({ i }) => row.cells[i] ?? -1)),
          );
          return (
            <section key={p.platform.id} aria-labelledby={`${ids}-${p.platform.id}`}>
              <h2 id={`${ids}-${p.platform.id}`}>{p.platform.name}</h2>
              {missing.length > 0 && (
                <p>
                  Not listed on {p.platform.name}:{' '}
                  {missing.map((id) => names.get(id) ?? id).join(', ')}.
                </p>
              )}
              {cols.length === 0 ? null : (
                <section
                  className="matrix-scroll"
                  aria-labelledby={`${ids}-${p.platform.id}-cap`}
                  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable, WCAG 2.1.1)
                  tabIndex={0}
                >
                  <table className="matrix">
                    <caption id={`${ids}-${p.platform.id}-cap`}>
                      {p.platform.name}: {rows.length} of {p.rows.length} sub-categories
                      {onlyDiff ? ' (only rows that differ)' : ''}; rows marked “differs” have
                      different statuses.
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col" className="corner">
                          Sub-category
                        </th>
                        {cols.map(({ vendor }) => (
                          <th key={vendor.id} scope="col" className="vendor">
                            <a href={`/vendors/${vendor.id}/`}>{vendor.name}</a>
                            <span className="score">
                              {vendor.score.toFixed(2)}{' '}
                              <span className="muted">{rankText(vendor)}</span>
                            </span>
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((row) => {
                        const differs = rowDiffers(cols.map(({ i }) => row.cells[i] ?? -1));
                        return (
                          <tr key={row.id} className={differs ? 'differs' : undefined}>
                            <th scope="row">
                              {row.name}
                              {differs && <span className="differs-mark"> differs</span>}
                            </th>
                            {cols.map(({ vendor, i }) => {
                              const rank = row.cells[i] ?? -1;
                              return (
                                <MatrixCell
                                  key={vendor.id}
                                  view={cellView({
                                    status: p.statuses[rank],
                                    href: `/${p.platform.id}/#${cellId(row.id, vendor.id)}`,
                                    reason: row.reasons.includes(i),
                                    evidence: row.evidence.includes(i),
                                    basis:
                                      bases[p.platform.id]?.[cellId(row.id, vendor.id)] ??
                                      'claimed',
                                  })}
                                />
                              );
                            })}
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </section>
              )}
            </section>
          );
        })}
    </div>
  );
}
