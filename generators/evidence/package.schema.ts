/**
 * `data/evidence/<package>/record.json`: an evidence package's record. `inputs` is what the
 * contributor stated (product, version, settings, tester...) and which committed files hold the
 * sanitised capture and manifests; `derived` is everything the evidence tool computes from those
 * files, which `npm run evidence:verify` computes again and compares. `sanitising` is the report
 * of what was replaced before anything was written (the originals never reach the repository, so
 * it cannot be re-derived; verify checks instead that the committed files need no sanitising).
 */
import { z } from 'zod';
import { AffiliationSchema } from '../../scoring/provenance.schema.ts';
import { SlugSchema, StatusIdSchema } from '../../scoring/schema.ts';
import { EvidenceFileSchema } from './evidence-file.schema.ts';
import { SensorIdentitySchema } from './identity.ts';
import { INPUT_FORMATS } from './readers/capture.ts';
import { STAND_IN_KINDS } from './sanitize.ts';
import { WINDOWS_LAYOUTS } from './windows/event.ts';

export const PACKAGE_SCHEMA_VERSION = 1;
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Text = z.string().min(1);
/** A file inside the package folder. */
const FileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);

const SettingSchema = z.strictObject({ setting: Text, subCategories: z.array(SlugSchema).min(1) });

export const PackageInputsSchema = z.strictObject({
  /** The folder name under data/evidence/. */
  id: SlugSchema,
  /** A generator run (manifest + capture, strict verdicts) or sample events (capture only). */
  kind: z.enum(['generator-run', 'sample-events']),
  platform: z.enum(['linux', 'windows']),
  vendor: z.strictObject({ id: SlugSchema, name: Text }),
  product: z.strictObject({ version: Text.optional(), build: Text.optional() }),
  /** A version per sub-category where it differs from product.version (9.1.4+ for one row, 9.3.0+ for others). */
  cellVersions: z.record(SlugSchema, Text),
  /** Non-default settings the result needed, and the sub-categories that need them. */
  settings: z.array(SettingSchema),
  policy: z.strictObject({ name: Text, sha256: sha256.optional() }).optional(),
  /** Only these sub-categories get an assertion (empty: every one the capture speaks to). */
  cells: z.array(SlugSchema),
  tester: z.strictObject({
    handle: Text,
    /** As the tester declares it; absent where no source states it. */
    affiliation: AffiliationSchema.optional(),
  }),
  /** Where the evidence was first published (a pull request), and a note on its origin. */
  source: z.strictObject({ pr: z.url().optional(), note: Text.optional() }).optional(),
  /** When the package was made (ISO 8601, UTC): the assertions' date. */
  date: z.iso.datetime(),
  captures: z.array(
    z.strictObject({
      /** The sanitised, gzipped capture in the folder. */
      file: FileName,
      /** `format` for a Linux capture, `layout` for a Windows one, as detected when packaged. */
      format: z.enum(INPUT_FORMATS).optional(),
      layout: z.enum(WINDOWS_LAYOUTS).optional(),
    }),
  ),
  manifests: z.array(FileName),
  /** Licence notices the captures came with (OTRF's MIT licence), copied into the folder. */
  notices: z.array(FileName),
});
export type PackageInputs = z.infer<typeof PackageInputsSchema>;

/** What a sample capture shows for one sub-category. */
const ShownSchema = z.strictObject({
  subCategory: SlugSchema,
  name: Text,
  /** Events that showed it. */
  events: z.number().int().positive(),
  /** Event fields seen on those events. */
  fields: z.array(Text),
  /** Required facts some events lacked, with how many lacked each. */
  absentRequired: z.record(Text, z.number().int().positive()),
  /** Events per source (Windows: sysmon, security...; Linux: the capture format). */
  sources: z.record(Text, z.number().int().positive()),
  /** Windows: `own` (the product's events) or `via-event-logs` (Windows' own logs it forwards). */
  telemetry: z.enum(['own', 'via-event-logs']).optional(),
  /** Events per host stand-in (Windows). */
  hosts: z.record(Text, z.number().int().positive()).optional(),
  /** One sanitised example: where it is in the capture and its proving fields. */
  example: z.strictObject({
    capture: FileName,
    line: z.number().int().positive().optional(),
    fields: z.record(Text, z.unknown()),
  }),
});
export type Shown = z.infer<typeof ShownSchema>;

const PackageCellSchema = z.strictObject({
  status: StatusIdSchema,
  verdict: z.enum(['observed', 'partially', 'not-observed', 'not-testable', 'fields-shown']),
  reason: Text,
  version: Text.optional(),
  setting: Text.optional(),
  /** The matrix's claimed status for this vendor and cell when packaged, for the reviewer. */
  claimed: StatusIdSchema.optional(),
});

export const PackageRecordSchema = z.strictObject({
  schemaVersion: z.literal(PACKAGE_SCHEMA_VERSION),
  inputs: PackageInputsSchema,
  /** Per kind: how many distinct values were replaced, and how often (never the values). */
  sanitising: z.partialRecord(
    z.enum(STAND_IN_KINDS),
    z.strictObject({
      values: z.number().int().positive(),
      occurrences: z.number().int().positive(),
    }),
  ),
  derived: z.strictObject({
    captures: z.array(
      z.strictObject({
        file: FileName,
        /** SHA-256 of the uncompressed capture (`zcat <file> | sha256sum`). */
        sha256,
        events: z.number().int().nonnegative(),
        malformed: z.number().int().nonnegative(),
      }),
    ),
    manifests: z.array(z.strictObject({ file: FileName, sha256 })),
    sensor: SensorIdentitySchema,
    host: z.strictObject({ os: Text.optional(), kernel: Text.optional(), arch: Text.optional() }),
    /** Hosts the events came from (stand-ins), with event counts and time span. */
    hosts: z.array(
      z.strictObject({
        host: Text,
        events: z.number().int().nonnegative(),
        first: z.iso.datetime().optional(),
        last: z.iso.datetime().optional(),
      }),
    ),
    /** The test's UTC window (generator runs only). */
    window: z.strictObject({ start: z.iso.datetime(), end: z.iso.datetime() }).optional(),
    /** Sample events: what the capture shows, per sub-category. */
    shown: z.array(ShownSchema).optional(),
    /** Generator runs: the evidence tool's full verdicts. */
    evidence: EvidenceFileSchema.optional(),
    cells: z.record(SlugSchema, PackageCellSchema),
  }),
});
export type PackageRecord = z.infer<typeof PackageRecordSchema>;
