/**
 * "Your own weights" in a link: `?p=linux&linux=dns-query:0,md5:0.5&windows=...`, and `backed=1`
 * when only evidence-backed cells count. Only weights that differ from the published ones are
 * written, so the default link is short and a link survives weight changes elsewhere.
 * Browser-safe: no zod, no node:fs.
 */

/** Published weights per platform and sub-category id (the defaults a link is compared against). */
export type WeightTable = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** The parameter that says only evidence-backed cells count; not a platform id. */
const BACKED_PARAM = 'backed';

/** Upper bound for a custom weight; published weights are 0..1, so this only stops typos like 1e9. */
export const MAX_WEIGHT = 100;

export interface ParsedWeights {
  /** Complete weights per platform: defaults with the link's overrides applied. */
  weights: Record<string, Record<string, number>>;
  /** Platform the link was showing, if it named a known one. */
  platform: string | undefined;
  /** Only evidence-backed cells count (`backed=1`); every other cell scores 0. */
  backedOnly: boolean;
  /** One sentence per ignored part of the link, for the reader. */
  problems: string[];
}

const clone = (table: WeightTable) =>
  Object.fromEntries(Object.entries(table).map(([p, w]) => [p, { ...w }]));

/** A weight typed by a reader, or undefined when it is not a number in 0..MAX_WEIGHT. */
export function parseWeight(text: string): number | undefined {
  if (!/^\s*\d*\.?\d+\s*$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 && value <= MAX_WEIGHT ? value : undefined;
}

/**
 * Reads weights from a query string. Unknown platforms and sub-categories and malformed numbers
 * are skipped and reported, never fatal: a shared link must still open.
 *
 * @example parseWeightParams('?linux=dns-query:0', defaults).weights.linux['dns-query'] // 0
 */
export function parseWeightParams(search: string, defaults: WeightTable): ParsedWeights {
  const params = new URLSearchParams(search);
  const weights = clone(defaults);
  const problems: string[] = [];
  let backedOnly = false;
  for (const [platform, value] of params) {
    if (platform === 'p') continue;
    if (platform === BACKED_PARAM) {
      if (value === '1') backedOnly = true;
      else
        problems.push(
          `"${BACKED_PARAM}=${value}" is not understood; "${BACKED_PARAM}=1" counts only evidence-backed cells, so every cell was counted.`,
        );
      continue;
    }
    const table = weights[platform];
    if (!table) {
      problems.push(`"${platform}" is not a platform of this site, so its weights were ignored.`);
      continue;
    }
    for (const pair of value.split(',')) {
      if (pair.trim() === '') continue;
      const [id = '', text = ''] = pair.split(':');
      const weight = parseWeight(text);
      if (!(id in table)) {
        problems.push(`"${id}" is not a ${platform} sub-category, so its weight was ignored.`);
      } else if (weight === undefined) {
        problems.push(
          `The ${platform} weight of "${id}" must be a number from 0 to ${MAX_WEIGHT}; "${text}" was ignored.`,
        );
      } else {
        table[id] = weight;
      }
    }
  }
  const p = params.get('p') ?? undefined;
  return {
    weights,
    platform: p !== undefined && p in defaults ? p : undefined,
    backedOnly,
    problems,
  };
}

/**
 * Writes the overrides (weights that differ from the defaults), the platform shown and whether
 * only evidence-backed cells count.
 */
export function encodeWeightParams(
  weights: WeightTable,
  defaults: WeightTable,
  platform: string | undefined,
  backedOnly = false,
): string {
  const params = new URLSearchParams();
  if (platform) params.set('p', platform);
  if (backedOnly) params.set(BACKED_PARAM, '1');
  for (const [p, table] of Object.entries(defaults)) {
    const changed = Object.entries(table).filter(([id, w]) => weights[p]?.[id] !== w);
    if (changed.length > 0) {
      params.set(p, changed.map(([id]) => `${id}:${weights[p]?.[id] ?? 0}`).join(','));
    }
  }
  // Ids are slugs and weights numbers, so ":" and "," need no escaping; keep links readable.
  return params.toString().replaceAll('%3A', ':').replaceAll('%2C', ',');
}
