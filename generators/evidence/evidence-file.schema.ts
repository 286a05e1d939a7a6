/**
 * `data/evidence/<vendor>.json`: the evidence behind a measured row, one entry per Linux
 * sub-category. A measured cell links here with `evidence.ref` = "evidence/<vendor>.json#<sub-category id>".
 * Everything in it is sanitised (no host names, no home directories).
 */
import { z } from 'zod';
import { SlugSchema, StatusIdSchema } from '../../scoring/schema.ts';
import { SensorIdentitySchema } from './identity.ts';
import { INPUT_FORMATS } from './readers/capture.ts';

export const EVIDENCE_SCHEMA_VERSION = 1;
/** What the evidence tool can conclude about one sub-category from one capture. */
const VerdictSchema = z.enum(['observed', 'partially', 'not-observed', 'not-testable']);
export type Verdict = z.infer<typeof VerdictSchema>;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

const EvidenceCellSchema = z.strictObject({
  /** What the evidence tool decided from the capture. */
  verdict: VerdictSchema,
  /** The status proposed for the matrix (see generators/evidence/README.md for the mapping). */
  status: StatusIdSchema,
  /** What was seen and what is missing, in one or two sentences. */
  reason: z.string().min(1),
  /** The non-default sensor setting this cell needed (then the status is via-enabling-telemetry). */
  setting: z.string().min(1).optional(),
  /** Generators whose actions exercised the sub-category. */
  generators: z.array(z.string()),
  /** Manifest actions: how many exercised it, and how many were recorded fully, partly, not at all. */
  actions: z.strictObject({
    total: z.number().int().nonnegative(),
    observed: z.number().int().nonnegative(),
    partial: z.number().int().nonnegative(),
    missing: z.number().int().nonnegative(),
  }),
  /** Required facts absent from matched events, with counts. */
  absent: z.record(z.string(), z.number().int().positive()),
  /** Required facts whose value differs from the manifest, with counts. */
  wrong: z.record(z.string(), z.number().int().positive()),
  /** Events of this sub-category from the generators' processes that match no manifest action. */
  unexpected: z.number().int().nonnegative(),
  /** The actions no event recorded, in words a reader understands. */
  missing: z.array(z.string()).default([]),
  /** Each fact recorded with a value the action never had (at any moment up to the event): both values. */
  wrongValues: z
    .array(
      z.strictObject({
        action: z.string(),
        fact: z.string(),
        got: z.unknown(),
        want: z.array(z.unknown()),
      }),
    )
    .default([]),
  /** Per manifest action: matched fully, partly or not at all, by which event, lacking what. */
  targets: z.array(
    z.strictObject({
      generator: z.string(),
      seq: z.number().int().positive(),
      action: z.string(),
      /** The action in words ("the UDP datagram sent from 127.0.0.1:47324 to 127.0.0.1:38609"). */
      description: z.string().optional(),
      outcome: z.enum(['observed', 'partial', 'missing']),
      /** "<capture name>:<line>" of the matched event. */
      event: z.string().optional(),
      absent: z.array(z.string()),
      wrong: z.array(z.string()),
    }),
  ),
  /** Event fields that prove the cell. */
  proof: z.array(z.string()),
  /** Ids of the rules (generators/evidence/rules/<format>.json) that matched. */
  rules: z.array(z.string()),
  /** Up to three sanitised events: capture file name, line, rule and the proving fields. */
  samples: z.array(
    z.strictObject({
      capture: z.string(),
      line: z.number().int().positive(),
      rule: z.string(),
      event: z.record(z.string(), z.unknown()),
    }),
  ),
});
export type EvidenceCell = z.infer<typeof EvidenceCellSchema>;

export const EvidenceFileSchema = z.strictObject({
  schemaVersion: z.literal(EVIDENCE_SCHEMA_VERSION),
  platform: z.literal('linux'),
  vendor: z.strictObject({
    id: SlugSchema,
    name: z.string().min(1),
    productVersion: z.string().optional(),
  }),
  /** When the evidence tool ran (ISO 8601). */
  generatedAt: z.iso.datetime({ offset: true }),
  /** When the capture was made: the earliest manifest's creation time (ISO 8601). */
  capturedAt: z.iso.datetime({ offset: true }),
  /** Versions of everything in the chain: this tool, node, the generators, the sensor. */
  tools: z.record(z.string(), z.string()),
  host: z.strictObject({
    distro: z.string(),
    kernelRelease: z.string(),
    arch: z.string(),
  }),
  /** The sensor as the capture names itself (ECS agent.type / agent.version), for measured rows. */
  sensor: SensorIdentitySchema.optional(),
  manifests: z.array(
    z.strictObject({
      sha256,
      createdAt: z.string(),
      generators: z.array(z.string()),
    }),
  ),
  captures: z.array(
    z.strictObject({
      name: z.string(),
      format: z.enum(INPUT_FORMATS),
      events: z.number().int().nonnegative(),
      malformed: z.number().int().nonnegative(),
    }),
  ),
  cells: z.record(SlugSchema, EvidenceCellSchema),
  /** The measured row against a claimed column of the same product (auditd + LAUREL vs Auditd). */
  comparison: z
    .strictObject({
      vendor: SlugSchema,
      name: z.string().min(1),
      cells: z.record(
        SlugSchema,
        z.strictObject({
          claimed: StatusIdSchema,
          measured: StatusIdSchema,
          agree: z.boolean(),
          /** Why the two differ (or that they agree), in one or two sentences. */
          explanation: z.string().min(1),
          /**
           * For a disagreement: the cause as the measurement shows it, without upstream's words
           * (the setting needed, the records that show it, what is missing), for the site.
           */
          cause: z.string().min(1).optional(),
          /** Upstream's own note on its claimed cell, when it has one. */
          claimedReason: z.string().min(1).optional(),
          /** The non-default sensor setting the measured cell needed (e.g. the audit rules). */
          setting: z.string().min(1).optional(),
        }),
      ),
    })
    .optional(),
});
export type EvidenceFile = z.infer<typeof EvidenceFileSchema>;
