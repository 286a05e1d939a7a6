/**
 * The site's only door to `data/`: the validated dataset, loaded once per build through the
 * foundation's `loadDataset`. Invalid data throws `DataValidationError` (every problem, located by
 * file, row, vendor and path), which fails `astro build` instead of rendering a wrong matrix.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Dataset, loadDataset } from '../../scoring/dataset.ts';
import {
  type CellKey,
  type CellProvenance,
  provenanceFor,
  shownMatrices,
} from '../../scoring/provenance.ts';
import type { PlatformId, PlatformMatrix } from '../../scoring/schema.ts';
import { type Disagreement, loadDisagreements } from './disagreements.ts';

/**
 * `EDR_MATRIX_DATA_DIR` lets tests build the site over fixture data; normal builds read `data/`
 * from the project root (Astro always builds from there).
 */
function dataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return resolve(process.cwd(), env.EDR_MATRIX_DATA_DIR ?? 'data');
}

let cached: Promise<Dataset> | undefined;

/** The validated dataset; every page shares one load per build. */
export function getDataset(): Promise<Dataset> {
  cached ??= loadDataset(dataDir());
  return cached;
}

let disagreements: Promise<Map<string, Disagreement>> | undefined;

/** Disagreements between measured rows and claimed columns, from `data/evidence/` (one load per build). */
export function getDisagreements(): Promise<Map<string, Disagreement>> {
  const dir = join(dataDir(), 'evidence');
  disagreements ??= loadDisagreements(
    async () => (existsSync(dir) ? readdir(dir) : []),
    (name) => readFile(join(dir, name), 'utf8'),
  );
  return disagreements;
}

export interface SiteProvenance {
  /** Every cell's provenance, keyed by `cellKey` (`<platform>/<sub>/<vendor>`). */
  cells: ReadonlyMap<CellKey, CellProvenance>;
  /** The matrices as the site shows and scores them: each cell's shown assertion's status. */
  shown: Record<PlatformId, PlatformMatrix>;
}

let provenance: Promise<SiteProvenance> | undefined;

/** Each cell's provenance and the shown matrices (`scoring/provenance.ts`), once per build. */
export function getProvenance(): Promise<SiteProvenance> {
  provenance ??= getDataset().then((data) => {
    // Shared with the open-data files, which read the same dataset object.
    const cells = provenanceFor(data);
    return { cells, shown: shownMatrices(data, cells) };
  });
  return provenance;
}

let shownDataset: Promise<Dataset> | undefined;

/**
 * The dataset with the matrices as the site shows and scores them (`getProvenance().shown`):
 * every page that draws or ranks today's cells reads this one, so none of them can show a claim
 * that evidence or a measurement has overruled. History and the claimed scores read `getDataset()`.
 */
export function getShownDataset(): Promise<Dataset> {
  shownDataset ??= Promise.all([getDataset(), getProvenance()]).then(([data, { shown }]) => ({
    ...data,
    matrices: shown,
  }));
  return shownDataset;
}
