/**
 * Applies the listed corrections in `data/corrections.json` to upstream's files. Each runs only while
 * its defect is present, so an upstream fix turns it into "no longer needed" instead of an error,
 * and a defect that no correction lists is left for validation to reject.
 */
import type { Correction, CorrectionAction, PlatformId } from '../schema.ts';
import type { StatusCatalog } from '../statuses.ts';
import {
  CATEGORY_KEY,
  cloneBundle,
  rowSubCategory,
  SUB_CATEGORY_KEY,
  UPSTREAM_PLATFORMS,
  type UpstreamBundle,
  type UpstreamRow,
} from './bundle.ts';

export interface CorrectionOutcome {
  correction: Correction;
  /** What was changed, e.g. `renamed weight "BIT JOBS Activity" to "BITS Jobs Activity"`; undefined when not needed. */
  applied?: string;
}

/** Renames a key without moving it, so exported files keep upstream's column order. */
function renameKey(row: UpstreamRow, from: string, to: string): UpstreamRow {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k === from ? to : k, v]));
}

function rowsOf(
  bundle: UpstreamBundle,
  platform: PlatformId,
  file: Correction['where']['file'],
): UpstreamRow[] {
  if (file === 'matrix') return bundle.platforms[platform].matrix;
  if (file === 'explanations') return bundle.platforms[platform].explanations;
  if (file === 'mitre') return bundle.mitre;
  return [];
}

function setRows(
  bundle: UpstreamBundle,
  platform: PlatformId,
  file: Correction['where']['file'],
  rows: UpstreamRow[],
) {
  if (file === 'matrix') bundle.platforms[platform].matrix = rows;
  else if (file === 'explanations') bundle.platforms[platform].explanations = rows;
  else if (file === 'mitre') bundle.mitre = rows;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Applies one action in place; returns what it did, or undefined when its defect is absent. */
function apply(
  bundle: UpstreamBundle,
  correction: Correction,
  statuses: StatusCatalog,
): string | undefined {
  const { platform, file } = correction.where;
  const action: CorrectionAction = correction.action;
  const weightsKey = UPSTREAM_PLATFORMS[platform].weightsKey;
  const weights = bundle.weights.weights[weightsKey];
  const matrix = bundle.platforms[platform].matrix;
  const matrixRow = (sub: string) => matrix.find((r) => rowSubCategory(r) === sub);
  const rows = rowsOf(bundle, platform, file);

  switch (action.type) {
    case 'rename-weight': {
      if (!weights || !(action.from in weights) || action.to in weights) return undefined;
      bundle.weights.weights[weightsKey] = renameKey(weights, action.from, action.to);
      return `renamed weight "${action.from}" to "${action.to}"`;
    }
    case 'drop-weight': {
      if (!weights || !(action.subCategory in weights) || matrixRow(action.subCategory))
        return undefined;
      delete weights[action.subCategory];
      return `dropped weight "${action.subCategory}", which has no matrix row`;
    }
    case 'rename-row': {
      const hits = rows.filter((r) => rowSubCategory(r) === action.from);
      if (hits.length === 0) return undefined;
      for (const row of hits) {
        row[SUB_CATEGORY_KEY] = action.to;
        if (action.categoryFrom !== undefined && row[CATEGORY_KEY] === action.categoryFrom) {
          row[CATEGORY_KEY] = action.categoryTo ?? action.to;
        }
      }
      return `renamed row "${action.from}" to "${action.to}"`;
    }
    case 'rename-column': {
      const count = rows.filter((r) => action.from in r).length;
      if (count === 0) return undefined;
      setRows(
        bundle,
        platform,
        file,
        rows.map((r) => (action.from in r ? renameKey(r, action.from, action.to) : r)),
      );
      return `renamed column "${action.from}" to "${action.to}" on ${plural(count, 'row')}`;
    }
    case 'drop-row': {
      if (matrixRow(action.subCategory)) return undefined;
      const kept = rows.filter((r) => rowSubCategory(r) !== action.subCategory);
      if (kept.length === rows.length) return undefined;
      setRows(bundle, platform, file, kept);
      return `dropped row "${action.subCategory}", which has no matrix row`;
    }
    case 'blank-reasons-to-empty': {
      let count = 0;
      for (const row of rows) {
        const cell = row[action.vendor];
        if (typeof cell === 'string' && cell !== '' && cell.trim() === '') {
          row[action.vendor] = '';
          count++;
        }
      }
      return count === 0
        ? undefined
        : `replaced ${plural(count, 'blank reason')} of "${action.vendor}" with ""`;
    }
    case 'wrap-plain-reason': {
      const row = rows.find((r) => rowSubCategory(r) === action.subCategory);
      const cell = row?.[action.vendor];
      const status = matrixRow(action.subCategory)?.[action.vendor];
      if (!row || typeof cell !== 'string' || cell.trim() === '' || typeof status !== 'string')
        return undefined;
      row[action.vendor] = { [status]: cell };
      return `wrapped the plain reason of "${action.subCategory}" / "${action.vendor}" as { "${status}": ... }`;
    }
    case 'drop-reason': {
      const row = rows.find((r) => rowSubCategory(r) === action.subCategory);
      const cell = row?.[action.vendor];
      const status = matrixRow(action.subCategory)?.[action.vendor];
      const def = typeof status === 'string' ? statuses.byLabel.get(status) : undefined;
      if (!row || typeof cell !== 'object' || cell === null || !def || def.takesReason)
        return undefined;
      row[action.vendor] = '';
      return `dropped the reason on "${action.subCategory}" / "${action.vendor}", whose status "${def.label}" takes none`;
    }
    case 'keep-without-reason': {
      const status = matrixRow(action.subCategory)?.[action.vendor];
      const def = typeof status === 'string' ? statuses.byLabel.get(status) : undefined;
      const cell = rows.find((r) => rowSubCategory(r) === action.subCategory)?.[action.vendor];
      const reasonless = cell === undefined || (typeof cell === 'string' && cell.trim() === '');
      if (!def?.requiresReason || !reasonless) return undefined;
      return `kept "${action.subCategory}" / "${action.vendor}" as "${def.label}" without a reason; the site says "no reason given upstream"`;
    }
    case 'rename-status': {
      let count = 0;
      for (const entry of bundle.history) {
        if (typeof entry !== 'object' || entry === null) continue;
        const e = entry as Record<string, unknown>;
        for (const key of ['old', 'new']) {
          if (e[key] === action.from) {
            e[key] = action.to;
            count++;
          }
        }
      }
      return count === 0
        ? undefined
        : `renamed status ${JSON.stringify(action.from)} to "${action.to}" in ${plural(count, 'history field')}`;
    }
  }
}

/** Applies corrections in file order to a copy of `bundle`; reports each as applied or not needed. */
export function applyCorrections(
  bundle: UpstreamBundle,
  corrections: readonly Correction[],
  statuses: StatusCatalog,
): { bundle: UpstreamBundle; outcomes: CorrectionOutcome[] } {
  const corrected = cloneBundle(bundle);
  const outcomes = corrections.map((correction) => {
    const applied = apply(corrected, correction, statuses);
    return applied === undefined ? { correction } : { correction, applied };
  });
  return { bundle: corrected, outcomes };
}
