/**
 * Converts a validated, corrected upstream bundle into the project's own files. Categories become
 * explicit groups (upstream's carry-forward category column does not survive), names get ids,
 * statuses become ids, and upstream's file layout is recorded so export can write it back.
 */
import type {
  Category,
  HistoryFile,
  MitreFile,
  PlatformId,
  PlatformMatrix,
  Provenance,
  StatusId,
  UpstreamLayout,
  WeightsFile,
} from '../schema.ts';
import { PLATFORM_IDS } from '../schema.ts';
import { slugify } from '../slug.ts';
import type { StatusCatalog } from '../statuses.ts';
import {
  CATEGORY_KEY,
  MITRE_KEY,
  rowSubCategory,
  SUB_CATEGORY_KEY,
  UPSTREAM_PLATFORMS,
  type UpstreamBundle,
  type UpstreamRow,
} from './bundle.ts';
import { carriedCategories, matrixVendors } from './validate.ts';

export interface ProjectFiles {
  matrices: Record<PlatformId, PlatformMatrix>;
  weights: WeightsFile;
  history: HistoryFile;
  mitre: MitreFile;
  layout: UpstreamLayout;
  provenance: Provenance;
}

export interface UpstreamOrigin {
  commit: string;
  date: string;
}

const isBlank = (v: unknown) => v === null || v === undefined || v === '';

function statusId(statuses: StatusCatalog, label: unknown): StatusId {
  const def = typeof label === 'string' ? statuses.byLabel.get(label) : undefined;
  // Validation runs first; reaching this means a caller skipped it.
  if (!def)
    throw new Error(`Unknown status ${JSON.stringify(label)} reached conversion; validate first.`);
  return def.id;
}

function reasonOf(cell: unknown): string | undefined {
  if (typeof cell !== 'object' || cell === null) return undefined;
  const [reason] = Object.values(cell);
  return typeof reason === 'string' ? reason : undefined;
}

function convertMatrix(
  platform: PlatformId,
  bundle: UpstreamBundle,
  statuses: StatusCatalog,
): PlatformMatrix {
  const { matrix, explanations } = bundle.platforms[platform];
  const vendorNames = matrixVendors(matrix);
  const categoriesOfRows = carriedCategories(matrix);
  const reasons = new Map(explanations.map((row) => [rowSubCategory(row), row] as const));
  const categories: Category[] = [];
  matrix.forEach((row, index) => {
    const name = categoriesOfRows[index] ?? '';
    let category = categories.at(-1);
    if (!category || category.name !== name) {
      category = { id: slugify(name), name, subCategories: [] };
      categories.push(category);
    }
    const subName = rowSubCategory(row) ?? '';
    const explanation = reasons.get(subName);
    const cells: PlatformMatrix['categories'][number]['subCategories'][number]['cells'] = {};
    for (const vendor of vendorNames) {
      const status = statusId(statuses, row[vendor]);
      const reason = reasonOf(explanation?.[vendor]);
      cells[slugify(vendor)] = reason === undefined ? { status } : { status, reason };
    }
    category.subCategories.push({ id: slugify(subName), name: subName, cells });
  });
  const { name, fileName } = UPSTREAM_PLATFORMS[platform];
  return {
    schemaVersion: 1,
    platform: { id: platform, name, upstreamName: fileName },
    vendors: vendorNames.map((vendor) => ({
      id: slugify(vendor),
      name: vendor,
      source: 'claimed' as const,
      kind: 'product' as const,
    })),
    categories,
  };
}

function blankValue(rows: readonly UpstreamRow[]): null | '' {
  const blank = rows.map((r) => r[CATEGORY_KEY]).find((v) => isBlank(v) && v !== undefined);
  return blank === '' ? '' : null;
}

function convertLayout(bundle: UpstreamBundle): UpstreamLayout {
  const platforms = {} as UpstreamLayout['platforms'];
  for (const platform of PLATFORM_IDS) {
    const { matrix, explanations } = bundle.platforms[platform];
    platforms[platform] = {
      matrixBlankCategory: blankValue(matrix),
      explanations: {
        blankCategory: blankValue(explanations),
        rows: explanations.map((row) => ({
          subCategory: slugify(rowSubCategory(row) ?? ''),
          category: isBlank(row[CATEGORY_KEY]) ? ('blank' as const) : ('name' as const),
          vendors: Object.keys(row)
            .filter((k) => k !== CATEGORY_KEY && k !== SUB_CATEGORY_KEY)
            .map(slugify),
        })),
      },
    };
  }
  return { schemaVersion: 1, platforms };
}

function convertWeights(bundle: UpstreamBundle, statuses: StatusCatalog): WeightsFile {
  // The project's own statuses (Not Tested) claim no coverage, so they earn nothing in the
  // upstream-compatible formula; upstream's weights file has no value for them.
  const statusValues = Object.fromEntries(
    statuses.list.map((s) => [
      s.id,
      s.origin === 'project' ? 0 : (bundle.weights.statusValues[s.label] as number),
    ]),
  ) as WeightsFile['statusValues'];
  const platforms = {} as WeightsFile['platforms'];
  for (const platform of PLATFORM_IDS) {
    const weights = bundle.weights.weights[UPSTREAM_PLATFORMS[platform].weightsKey] ?? {};
    platforms[platform] = Object.fromEntries(
      Object.entries(weights).map(([name, weight]) => [slugify(name), weight as number]),
    );
  }
  return { schemaVersion: 1, source: bundle.weights.source, statusValues, platforms };
}

/** "OS API Execution (Partial) - DS0009, Process Access - DS0009" → data sources. */
export function parseMitreCell(text: string): MitreFile['platforms']['windows'][string] {
  return text
    .split(',')
    .map((part) => part.trim().match(/^(.*?)\s*-\s*(DS\d{4})$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map(([, rawName = '', id = '']) => {
      const partial = /\(Partial\)/.test(rawName);
      return { id, name: rawName.replace(/\s*\(Partial\)\s*/, ' ').trim(), partial };
    });
}

function convertMitre(bundle: UpstreamBundle): MitreFile {
  const windows: MitreFile['platforms']['windows'] = {};
  for (const row of bundle.mitre) {
    const sources = [row[MITRE_KEY], row['']]
      .filter((v): v is string => typeof v === 'string')
      .flatMap(parseMitreCell);
    const unique = sources.filter(
      (s, i) =>
        sources.findIndex((o) => o.id === s.id && o.name === s.name && o.partial === s.partial) ===
        i,
    );
    windows[slugify(rowSubCategory(row) ?? '')] = unique;
  }
  return { schemaVersion: 1, platforms: { windows } };
}

function convertHistory(bundle: UpstreamBundle, statuses: StatusCatalog): HistoryFile {
  const entries = bundle.history
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({
      date: String(e.date),
      commit: String(e.commit),
      pr: typeof e.pr === 'number' ? e.pr : null,
      platform: e.platform as PlatformId,
      category: typeof e.category === 'string' ? e.category : '',
      subCategory: String(e.subCategory),
      subCategoryId: slugify(String(e.subCategory)),
      vendor: String(e.vendor),
      vendorId: slugify(String(e.vendor)),
      old: e.old === null ? null : statusId(statuses, e.old),
      new: e.new === null ? null : statusId(statuses, e.new),
    }));
  return { schemaVersion: 1, entries };
}

/** The whole conversion; `appliedCorrections` are recorded in provenance. */
export function convertUpstream(
  bundle: UpstreamBundle,
  statuses: StatusCatalog,
  origin: UpstreamOrigin,
  appliedCorrections: readonly string[],
): ProjectFiles {
  const matrices = {} as Record<PlatformId, PlatformMatrix>;
  for (const platform of PLATFORM_IDS)
    matrices[platform] = convertMatrix(platform, bundle, statuses);
  return {
    matrices,
    weights: convertWeights(bundle, statuses),
    history: convertHistory(bundle, statuses),
    mitre: convertMitre(bundle),
    layout: convertLayout(bundle),
    provenance: {
      schemaVersion: 1,
      upstream: {
        project: 'EDR-Telemetry',
        url: 'https://github.com/tsale/EDR-Telemetry',
        commit: origin.commit,
        date: origin.date,
        licence: 'CC BY-NC 4.0',
        licenceUrl: 'https://creativecommons.org/licenses/by-nc/4.0/',
        credit:
          'Telemetry matrices, explanations, weights and history by the EDR-Telemetry project and its contributors, converted to this project’s format.',
      },
      correctionsApplied: [...appliedCorrections],
    },
  };
}
