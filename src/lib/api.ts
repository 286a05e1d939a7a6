/**
 * The open-data API: every validated data file and the computed scores, published as static JSON
 * under /api/v1/, each with a JSON Schema generated from the zod schema that validated it. One
 * list drives the endpoint files, the index and the tests, so nothing is published unlisted.
 */
import { z } from 'zod';
import type { Dataset } from '../../scoring/dataset.ts';
import type { Assertion } from '../../scoring/provenance.schema.ts';
import { backedScores, cellKey, provenanceFor, shownMatrices } from '../../scoring/provenance.ts';
import { mapCells } from '../../scoring/rows.ts';
import {
  CorrectionsFileSchema,
  DescriptionsFileSchema,
  HistoryFileSchema,
  MitreFileSchema,
  PLATFORM_IDS,
  type PlatformId,
  ProvenanceSchema,
  StatusesFileSchema,
  WeightsFileSchema,
} from '../../scoring/schema.ts';
import { maxScore, scorePlatform } from '../../scoring/score.ts';
import {
  type ApiAssertion,
  type ApiIndex,
  ApiIndexSchema,
  type ApiMatrix,
  ApiMatrixSchema,
  type ScoresFile,
  ScoresFileSchema,
  type TimelineFile,
  TimelineFileSchema,
} from './api.schema.ts';
import { replayPlatform } from './timeline.ts';

const API_BASE = '/api/v1/';
export const FEED_PATH = '/feed.xml';

export interface ApiFile {
  /** Path below /api/v1/, e.g. "matrices/linux.json". */
  path: string;
  description: string;
  schema: z.ZodType;
  /** Name of the schema file below /api/v1/schemas/. */
  schemaName: string;
  /** Describes the schema when several files share it; defaults to `description`. */
  schemaDescription?: string;
  build: (data: Dataset) => unknown;
}

export function scoresFile(data: Dataset): ScoresFile {
  const values = data.weights.statusValues;
  const provenance = provenanceFor(data);
  const shown = shownMatrices(data, provenance);
  const platform = (p: PlatformId) => ({
    maxScore: maxScore(data.matrices[p], data.weights.platforms[p], values),
    vendors: scorePlatform(data.matrices[p], data.weights.platforms[p], values),
    shown: scorePlatform(shown[p], data.weights.platforms[p], values),
    backed: backedScores(p, shown[p], provenance, data.weights.platforms[p], values),
  });
  return {
    schemaVersion: 1,
    platforms: { linux: platform('linux'), windows: platform('windows'), macos: platform('macos') },
  };
}

function timelineFile(data: Dataset): TimelineFile {
  return {
    schemaVersion: 1,
    method:
      "Upstream's cell changes replayed commit by commit, each state scored with the current weights and status values.",
    platforms: PLATFORM_IDS.map((p) =>
      replayPlatform(data.history.entries, p, data.weights.platforms[p], data.weights.statusValues),
    ),
  };
}

/** The published form of an assertion: a claim's commit by id, its pull request by URL. */
function apiAssertion(a: Assertion): ApiAssertion {
  if (a.basis !== 'claimed') return a;
  const { commitUrl: _url, prNumber: _pr, ...source } = a.source;
  return { ...a, source };
}

/** One platform's matrix as the site shows it, each cell with its provenance, newest first. */
export function matrixFile(data: Dataset, platform: PlatformId): ApiMatrix {
  const provenance = provenanceFor(data);
  const matrix = shownMatrices(data, provenance)[platform];
  return mapCells(matrix, (cell, sub, vendorId) => {
    const p = provenance.get(cellKey(platform, sub.id, vendorId));
    if (!p) throw new Error(`No provenance for ${platform}/${sub.id}/${vendorId}.`);
    return {
      ...cell,
      basis: p.basis,
      ...(p.disagreement ? { disagreement: true as const } : {}),
      provenance: p.assertions.map(apiAssertion),
    };
  });
}

const dataFiles: ApiFile[] = [
  {
    path: 'statuses.json',
    description: 'The six statuses: label, symbol, meaning, whether a cell may carry a reason.',
    schema: StatusesFileSchema,
    schemaName: 'statuses',
    build: (d) => ({ schemaVersion: 1, statuses: d.statuses.list }),
  },
  {
    path: 'weights.json',
    description: 'Points per status and the weight of every sub-category, per platform.',
    schema: WeightsFileSchema,
    schemaName: 'weights',
    build: (d) => d.weights,
  },
  ...PLATFORM_IDS.map(
    (p): ApiFile => ({
      path: `matrices/${p}.json`,
      description: `The ${p} matrix as shown: vendors, categories, sub-categories and every cell's status, reason and provenance (its assertions, newest first).`,
      schema: ApiMatrixSchema,
      schemaName: 'matrix',
      schemaDescription:
        "One platform's matrix as the site shows it: vendors, categories, sub-categories and cells, each cell with its provenance.",
      build: (d) => matrixFile(d, p),
    }),
  ),
  {
    path: 'scores.json',
    description:
      'Every vendor’s score, rank, kind (product or sensor) and share of the maximum, per platform: from the claimed statuses (upstream’s formula) and from the statuses shown, with the share of points evidence or measurement backs.',
    schema: ScoresFileSchema,
    schemaName: 'scores',
    build: scoresFile,
  },
  {
    path: 'history.json',
    description: 'Every cell change in upstream’s git history, with date, commit and pull request.',
    schema: HistoryFileSchema,
    schemaName: 'history',
    build: (d) => d.history,
  },
  {
    path: 'timeline.json',
    description: 'Each vendor’s score after every upstream commit, computed with today’s weights.',
    schema: TimelineFileSchema,
    schemaName: 'timeline',
    build: timelineFile,
  },
  {
    path: 'corrections.json',
    description: 'The listed fixes applied to upstream data: defect, reason, action.',
    schema: CorrectionsFileSchema,
    schemaName: 'corrections',
    build: (d) => d.corrections,
  },
  {
    path: 'provenance.json',
    description: 'Where the data came from (upstream commit, licence, credit).',
    schema: ProvenanceSchema,
    schemaName: 'provenance',
    build: (d) => d.provenance,
  },
  {
    path: 'mitre.json',
    description: 'MITRE ATT&CK data sources for each Windows sub-category.',
    schema: MitreFileSchema,
    schemaName: 'mitre',
    build: (d) => d.mitre,
  },
  {
    path: 'descriptions.json',
    description: 'One plain sentence describing each sub-category.',
    schema: DescriptionsFileSchema,
    schemaName: 'descriptions',
    build: (d) => d.descriptions,
  },
];

const indexFile: ApiFile = {
  path: 'index.json',
  description: 'This list of files.',
  schema: ApiIndexSchema,
  schemaName: 'index',
  build: (d) => apiIndex(d),
};

/** Every JSON file published below /api/v1/ except the schemas. */
export const API_FILES: readonly ApiFile[] = [indexFile, ...dataFiles];

const schemaPath = (name: string) => `${API_BASE}schemas/${name}.schema.json`;

export function apiIndex(data: Dataset): ApiIndex {
  const u = data.provenance.upstream;
  return {
    schemaVersion: 1,
    apiVersion: 'v1',
    licence: u.licence,
    licenceUrl: u.licenceUrl,
    credit: u.credit,
    upstream: { url: u.url, commit: u.commit, date: u.date },
    feed: FEED_PATH,
    files: API_FILES.map((f) => ({
      path: `${API_BASE}${f.path}`,
      schema: schemaPath(f.schemaName),
      description: f.description,
    })),
  };
}

/**
 * JSON Schema (draft 2020-12) of one published file, generated from its zod schema so the two
 * can never disagree.
 */
export function jsonSchemaFor(file: ApiFile, site: string) {
  return {
    ...z.toJSONSchema(file.schema, { target: 'draft-2020-12', io: 'output' }),
    $id: new URL(schemaPath(file.schemaName), site).href,
    title: `EDR Telemetry Matrix: ${file.schemaName}`,
    description: file.schemaDescription ?? file.description,
  };
}

/** One schema per schema name (the three matrices share one). */
export function apiSchemas(): ApiFile[] {
  const seen = new Map<string, ApiFile>();
  for (const f of API_FILES) if (!seen.has(f.schemaName)) seen.set(f.schemaName, f);
  return [...seen.values()];
}

/** Pretty enough to read, small enough to fetch: one level of indentation is not worth the bytes. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
