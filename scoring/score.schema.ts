/**
 * Shapes of what scoring computes (a vendor's score, the score timeline), once: the zod schemas
 * validate the published API files and generate their JSON Schemas, and the TypeScript types come
 * from them through `z.infer`. `score.ts` and the site import the types only (`import type`), so
 * code that runs in the browser never pulls zod in.
 */
import { z } from 'zod';
import { PlatformIdSchema, SlugSchema } from './schema.ts';

export const VendorScoreSchema = z.strictObject({
  vendorId: SlugSchema,
  vendor: z.string(),
  /** `product` or `sensor` (an open-source sensor the project measures); ranks count within a kind. */
  kind: z.enum(['product', 'sensor']),
  /** Points, rounded to 0.01, the precision upstream publishes. */
  score: z.number().nonnegative(),
  /** Competition rank among vendors of the same kind: equal scores share a rank (1, 1, 3). */
  rank: z.number().int().positive(),
  /** score ÷ the best possible score on this platform, 0..1. */
  share: z.number().min(0).max(1),
});
export type VendorScore = z.infer<typeof VendorScoreSchema>;

/** How much of a vendor's shown score evidence or measurement backs (`provenance.ts`, `isBacked`). */
export const BackedScoreSchema = z.strictObject({
  vendorId: SlugSchema,
  /** Points of the cells whose shown status evidence or measurement backs, rounded to 0.01. */
  backedPoints: z.number().nonnegative(),
  /** backedPoints ÷ the vendor's shown score, 0..1 (0 for a vendor with no points). */
  backedShare: z.number().min(0).max(1),
});
export type BackedScore = z.infer<typeof BackedScoreSchema>;

export const PlatformScoresSchema = z.strictObject({
  /** The score a vendor with the best status on every row would reach. */
  maxScore: z.number().nonnegative(),
  vendors: z.array(VendorScoreSchema),
});

/** The scores after one upstream commit. */
export const TimelinePointSchema = z.strictObject({
  date: z.iso.datetime({ offset: true }),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  pr: z.number().int().positive().nullable(),
  /** Cells this commit changed on the platform. */
  changes: z.number().int().positive(),
  /** Vendor id → score after this commit, with today's weights; only vendors that had a cell then. */
  scores: z.record(SlugSchema, z.number().nonnegative()),
});
export type TimelinePoint = z.infer<typeof TimelinePointSchema>;

/** One platform's score history. */
export const PlatformTimelineSchema = z.strictObject({
  platform: PlatformIdSchema,
  /** Every vendor that ever appeared, with the name history used last. */
  vendors: z.array(z.strictObject({ id: SlugSchema, name: z.string() })),
  points: z.array(TimelinePointSchema),
});
export type PlatformTimeline = z.infer<typeof PlatformTimelineSchema>;
