/**
 * Shapes of the published files that are computed rather than copied from `data/` (scores, the
 * score timeline, the endpoint index). Files copied from `data/` use `scoring/schema.ts` as is.
 */
import { z } from 'zod';
import { PlatformScoresSchema, PlatformTimelineSchema } from '../../scoring/score.schema.ts';

export const ScoresFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platforms: z.strictObject({
    linux: PlatformScoresSchema,
    windows: PlatformScoresSchema,
    macos: PlatformScoresSchema,
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
