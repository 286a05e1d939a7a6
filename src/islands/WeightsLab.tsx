/**
 * "Your own weights": the reader changes any sub-category weight (or zeroes a whole category) and
 * the ranking is recomputed in the browser by `scoring/score.ts`, the same function the build
 * uses. A switch counts only the cells evidence or measurement backs (every other cell scores 0).
 * The weights and the switch live in the query string, so the page's address is a link to them.
 */
import { useEffect, useId, useMemo, useState } from 'react';
import { mapCells } from '../../scoring/rows.ts';
import type { PlatformMatrix, StatusValues } from '../../scoring/schema.ts';
import { leaders, scorePlatform } from '../../scoring/score.ts';
import { cellId } from '../lib/cell.ts';
import type { ExplorerData } from '../lib/explorer-data.ts';
import { rowWeights, toPlatformMatrix } from '../lib/explorer-matrix.ts';
import { rankText } from '../lib/ranking.ts';
import {
  encodeWeightParams,
  MAX_WEIGHT,
  parseWeight,
  parseWeightParams,
  type WeightTable,
} from '../lib/weights-url.ts';

interface Props {
  platforms: ExplorerData[];
  statusValues: StatusValues;
  /**
   * Per platform id, the `cellId`s of cells evidence or measurement backs (`backedCellIds`,
   * the cells `isBacked` in scoring/provenance.ts accepts).
   */
  backed: Readonly<Record<string, readonly string[]>>;
}

type Weights = Record<string, Record<string, number>>;

/**
 * The matrix with only the cells in `backed` (ids from `cellId`): a cell left out scores 0, as
 * `scorePlatform` scores a vendor without a cell in a row.
 *
 * @internal exported for its test
 */
export function onlyBacked(matrix: PlatformMatrix, backed: ReadonlySet<string>): PlatformMatrix {
  return mapCells(matrix, (cell, sub, vendorId) =>
    backed.has(cellId(sub.id, vendorId)) ? cell : undefined,
  );
}

export default function WeightsLab({ platforms, statusValues, backed }: Props) {
  const defaults = useMemo<WeightTable>(
    () => Object.fromEntries(platforms.map((p) => [p.platform.id, rowWeights(p)])),
    [platforms],
  );
  const matrices = useMemo(
    () => new Map(platforms.map((p) => [p.platform.id, toPlatformMatrix(p)])),
    [platforms],
  );
  const first = platforms[0]?.platform.id ?? '';
  const [platformId, setPlatformId] = useState(first);
  const [weights, setWeights] = useState<Weights>(() =>
    Object.fromEntries(Object.entries(defaults).map(([p, w]) => [p, { ...w }])),
  );
  /** What the reader typed, per `platform:sub`, while it is not (yet) a valid number. */
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [problems, setProblems] = useState<string[]>([]);
  const [ready, setReady] = useState(false);
  const [copied, setCopied] = useState(false);
  const [backedOnly, setBackedOnly] = useState(false);
  const ids = useId();

  useEffect(() => {
    const parsed = parseWeightParams(window.location.search, defaults);
    setWeights(parsed.weights);
    if (parsed.platform) setPlatformId(parsed.platform);
    setBackedOnly(parsed.backedOnly);
    setProblems(parsed.problems);
    setReady(true);
  }, [defaults]);

  useEffect(() => {
    if (!ready) return;
    const query = encodeWeightParams(
      weights,
      defaults,
      platformId === first ? undefined : platformId,
      backedOnly,
    );
    const url = `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash}`;
    window.history.replaceState(window.history.state, '', url);
    setCopied(false);
  }, [weights, platformId, defaults, first, ready, backedOnly]);

  const data = platforms.find((p) => p.platform.id === platformId) ?? platforms[0];
  const full = data && matrices.get(data.platform.id);
  const backedIds = useMemo(
    () => new Set(data ? (backed[data.platform.id] ?? []) : []),
    [backed, data],
  );
  const matrix = useMemo(
    () => (full && backedOnly ? onlyBacked(full, backedIds) : full),
    [full, backedOnly, backedIds],
  );
  const current = (data && weights[data.platform.id]) ?? {};
  const ranking = useMemo(
    () => (matrix ? scorePlatform(matrix, current, statusValues) : []),
    [matrix, current, statusValues],
  );
  if (!data) return null;
  const pid = data.platform.id;
  const published = new Map(data.vendors.map((v) => [v.id, v]));
  const changedCount = Object.entries(defaults[pid] ?? {}).filter(
    ([id, w]) => current[id] !== w,
  ).length;

  const setWeight = (sub: string, value: number) =>
    setWeights((all) => ({ ...all, [pid]: { ...all[pid], [sub]: value } }));
  const setCategory = (ci: number, value: number | 'default') =>
    setWeights((all) => {
      const next = { ...all[pid] };
      for (const row of data.rows)
        if (row.category === ci) next[row.id] = value === 'default' ? row.weight : value;
      return { ...all, [pid]: next };
    });
  const clearDrafts = () => setDrafts({});

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      setCopied(true);
    } catch {
      // Clipboard access can be refused; the address bar holds the same link.
      setCopied(false);
    }
  };

  // The leader rule lives in scoring/score.ts: the best product, never a measured sensor.
  const top = leaders(ranking);
  return (
    <div className="lab">
      <fieldset className="lab-platforms" disabled={!ready}>
        <legend>Platform</legend>
        {platforms.map((p) => (
          <label key={p.platform.id} className="check">
            <input
              type="radio"
              name={`${ids}-platform`}
              value={p.platform.id}
              checked={p.platform.id === pid}
              onChange={() => setPlatformId(p.platform.id)}
            />{' '}
            {p.platform.name}
          </label>
        ))}
      </fieldset>
      <p className="lab-backed">
        <label className="check">
          <input
            type="checkbox"
            disabled={!ready}
            checked={backedOnly}
            onChange={(e) => setBackedOnly(e.target.checked)}
          />{' '}
          Count only evidence-backed cells (every other cell scores 0)
        </label>
      </p>
      {problems.length > 0 && (
        <div className="lab-problems" role="status">
          <p>Parts of this link could not be used:</p>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <p className="lab-summary" aria-live="polite">
        {ready
          ? `${data.platform.name}: ${changedCount} of ${data.rows.length} weights changed${
              backedOnly
                ? `; only the ${backedIds.size} evidence-backed cells count, every other cell scores 0`
                : ''
            }. ${
              top.length > 0
                ? `${top.map((t) => t.vendor).join(', ')} ${top.length === 1 ? 'ranks' : 'rank'} first among products with ${top[0]?.score.toFixed(2)}.`
                : ''
            }`
          : 'Changing weights needs JavaScript; the published weights and rankings are above.'}
      </p>
      <div className="lab-grid">
        <div>
          <table className="data lab-ranking">
            <caption>
              Ranking of {data.platform.name} with your weights
              {backedOnly && ', evidence-backed cells only'}
            </caption>
            <thead>
              <tr>
                <th scope="col">Rank</th>
                <th scope="col">Product</th>
                <th scope="col">Your score</th>
                <th scope="col">Published rank</th>
              </tr>
            </thead>
            <tbody>
              {ranking.map((s) => {
                const was = published.get(s.vendorId);
                const before = was && { kind: s.kind, rank: was.rank };
                const moved = before === undefined ? 0 : before.rank - s.rank;
                return (
                  <tr key={s.vendorId}>
                    <td>{rankText(s)}</td>
                    <th scope="row">{s.vendor}</th>
                    <td>{s.score.toFixed(2)}</td>
                    <td>
                      {before ? rankText(before) : 'none'}
                      {moved !== 0 && (
                        <span className="moved">
                          {' '}
                          ({moved > 0 ? `up ${moved}` : `down ${-moved}`})
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="buttons">
            <button type="button" disabled={!ready} onClick={copyLink}>
              {copied ? 'Link copied' : 'Copy link to these weights'}
            </button>
            <button
              type="button"
              disabled={!ready || changedCount === 0}
              onClick={() => {
                setWeights((all) => ({ ...all, [pid]: { ...defaults[pid] } }));
                clearDrafts();
              }}
            >
              Restore published {data.platform.name} weights
            </button>
          </p>
        </div>
        <fieldset className="lab-weights" disabled={!ready}>
          <legend>
            {data.platform.name} weights (0 to {MAX_WEIGHT}; published values in brackets)
          </legend>
          {data.categories.map((category, ci) => {
            const rows = data.rows.filter((r) => r.category === ci);
            const zero = rows.every((r) => current[r.id] === 0);
            return (
              <fieldset key={category.id} className="lab-category">
                <legend>{category.name}</legend>
                <button
                  type="button"
                  onClick={() => {
                    setCategory(ci, zero ? 'default' : 0);
                    clearDrafts();
                  }}
                >
                  {zero ? `Restore ${category.name}` : `Zero ${category.name}`}
                </button>
                {rows.map((row) => {
                  const key = `${pid}:${row.id}`;
                  const draft = drafts[key];
                  const invalid = draft !== undefined && parseWeight(draft) === undefined;
                  const inputId = `${ids}-${row.id}`;
                  return (
                    <div key={row.id} className="lab-row">
                      <label htmlFor={inputId}>
                        {row.name} <span className="muted">({row.weight})</span>
                      </label>
                      <input
                        id={inputId}
                        type="text"
                        inputMode="decimal"
                        size={5}
                        value={draft ?? String(current[row.id] ?? 0)}
                        aria-invalid={invalid || undefined}
                        aria-describedby={invalid ? `${inputId}-err` : undefined}
                        onChange={(e) => {
                          const text = e.target.value;
                          const value = parseWeight(text);
                          if (value !== undefined) {
                            setWeight(row.id, value);
                            setDrafts(({ [key]: _, ...rest }) =>
                              text === String(value) ? rest : { ...rest, [key]: text },
                            );
                          } else {
                            setDrafts((d) => ({ ...d, [key]: text }));
                          }
                        }}
                      />
                      {invalid && (
                        <span id={`${inputId}-err`} className="lab-error">
                          A number from 0 to {MAX_WEIGHT}; the score uses {current[row.id] ?? 0}.
                        </span>
                      )}
                    </div>
                  );
                })}
              </fieldset>
            );
          })}
        </fieldset>
      </div>
    </div>
  );
}
