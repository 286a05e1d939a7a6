/**
 * Shapes of the published files that are computed rather than copied from `data/` (scores, the
 * score timeline, the endpoint index). Files copied from `data/` use `scoring/schema.ts` as is.
 */
import { z } from 'zod';
import { PlatformIdSchema, SlugSchema } from '../../scoring/schema.ts';

export const VendorScoreSchema = z.strictObject({
  vendorId: SlugSchema,
  vendor: z.string(),
  /** Points, rounded to 0.01. */
  score: z.number().nonnegative(),
  /** Competition rank: equal scores share a rank. */
  rank: z.number().int().positive(),
  /** score ÷ maxScore, 0..1. */
  share: z.number().min(0).max(1),
});

const PlatformScoresSchema = z.strictObject({
  /** The score a vendor with the best status on every row would reach. */
  maxScore: z.number().nonnegative(),
  vendors: z.array(VendorScoreSchema),
});

export const ScoresFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platforms: z.strictObject({
    linux: PlatformScoresSchema,
    windows: PlatformScoresSchema,
    macos: PlatformScoresSchema,
  }),
});
export type ScoresFile = z.infer<typeof ScoresFileSchema>;

const TimelinePointSchema = z.strictObject({
  date: z.iso.datetime({ offset: true }),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  pr: z.number().int().positive().nullable(),
  /** Cells this commit changed on the platform. */
  changes: z.number().int().positive(),
  /** Vendor id → score after this commit, with today's weights. */
  scores: z.record(SlugSchema, z.number().nonnegative()),
});

export const TimelineFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  /** How the scores were computed, one sentence. */
  method: z.string(),
  platforms: z.array(
    z.strictObject({
      platform: PlatformIdSchema,
      vendors: z.array(z.strictObject({ id: SlugSchema, name: z.string() })),
      points: z.array(TimelinePointSchema),
    }),
  ),
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
