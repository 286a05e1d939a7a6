/**
 * Shapes of the published files that are computed rather than copied from `data/` (scores, the
 * score timeline, the endpoint index). Files copied from `data/` use `scoring/schema.ts` as is.
 */
import { z } from 'zod';
import {
  BasisSchema,
  ClaimedAssertionSchema,
  EvidenceAssertionSchema,
} from '../../scoring/provenance.schema.ts';
import {
  CategorySchema,
  CellSchema,
  PlatformMatrixSchema,
  SlugSchema,
  SubCategorySchema,
} from '../../scoring/schema.ts';
import {
  BackedScoreSchema,
  PlatformScoresSchema,
  PlatformTimelineSchema,
  VendorScoreSchema,
} from '../../scoring/score.schema.ts';

/**
 * A claimed assertion as published: the commit by its id (its URL is the upstream project's URL
 * from index.json + `/commit/<id>`), the pull request by its URL.
 */
const ApiClaimSchema = ClaimedAssertionSchema.extend({
  source: ClaimedAssertionSchema.shape.source.omit({ commitUrl: true, prNumber: true }),
});
export const ApiAssertionSchema = z.discriminatedUnion('basis', [
  ApiClaimSchema,
  EvidenceAssertionSchema,
]);
export type ApiAssertion = z.infer<typeof ApiAssertionSchema>;

/** A published cell: its shown status, and every assertion about it. */
const ApiCellSchema = CellSchema.extend({
  /**
   * The status the matrix shows and scores: the newest assertion of the strongest deciding
   * basis (measured, evidence from a generator run, claimed; see /methodology/). The claimed
   * status is the first `claimed` item of `provenance`.
   */
  status: CellSchema.shape.status,
  /** The basis of the shown assertion. */
  basis: BasisSchema,
  /** Present and true when current assertions state different statuses. */
  disagreement: z.literal(true).optional(),
  /** Every assertion about the cell, newest first. */
  provenance: z.array(ApiAssertionSchema).min(1),
});

/** `/api/v1/matrices/<platform>.json`: the matrix as shown, each cell with its provenance. */
export const ApiMatrixSchema = PlatformMatrixSchema.extend({
  categories: z
    .array(
      CategorySchema.extend({
        subCategories: z
          .array(SubCategorySchema.extend({ cells: z.record(SlugSchema, ApiCellSchema) }))
          .min(1),
      }),
    )
    .min(1),
});
export type ApiMatrix = z.infer<typeof ApiMatrixSchema>;

const ApiPlatformScoresSchema = PlatformScoresSchema.extend({
  /** `vendors`: the claimed statuses, upstream's formula (what `npm run score` prints). */
  vendors: PlatformScoresSchema.shape.vendors,
  /** The same ranking of the statuses the site shows (evidence and measurement applied). */
  shown: z.array(VendorScoreSchema),
  /** Per vendor, how much of its shown score evidence or measurement backs. */
  backed: z.array(BackedScoreSchema),
});

export const ScoresFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platforms: z.strictObject({
    linux: ApiPlatformScoresSchema,
    windows: ApiPlatformScoresSchema,
    macos: ApiPlatformScoresSchema,
  }),
});
export type ScoresFile = z.infer<typeof ScoresFileSchema>;

export const TimelineFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  /** How the scores were computed, one sentence. */
  method: z.string(),
  platforms: z.array(PlatformTimelineSchema),
});
export type TimelineFile = z.infer<typeof TimelineFileSchema>;

export const ApiIndexSchema = z.strictObject({
  schemaVersion: z.literal(1),
  /** The API version in every path: /api/v1/... */
  apiVersion: z.literal('v1'),
  licence: z.string(),
  licenceUrl: z.url(),
  credit: z.string(),
  upstream: z.strictObject({ url: z.url(), commit: z.string(), date: z.string() }),
  feed: z.string(),
  files: z.array(
    z.strictObject({
      /** Site-absolute path of the file. */
      path: z.string(),
      /** Site-absolute path of its JSON Schema. */
      schema: z.string(),
      description: z.string(),
    }),
  ),
});
export type ApiIndex = z.infer<typeof ApiIndexSchema>;
