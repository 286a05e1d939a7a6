/**
 * Per-cell provenance: who stated a cell's status, when, about which product version and
 * settings, and how it was verified. A cell carries one or more assertions, newest first.
 *
 * - `claimed`: a statement in upstream's data or a pull request (upstream's history and change
 *   ledger). Derived on import, so re-importing never loses it.
 * - `evidence`: committed captures that `npm run evidence:verify` re-derives in CI.
 * - `measured`: CI runs the sensor itself (the reference agent, auditd + LAUREL).
 *
 * Evidence and measured assertions never live in the imported matrices: packages keep theirs in
 * `data/evidence/<package>/assertions.json`, measured rows in `data/measured/`.
 */
import { z } from 'zod';
import {
  ChangeKindSchema,
  ContributorClassSchema,
  PlatformIdSchema,
  SlugSchema,
  StatusIdSchema,
} from './schema.ts';

export const BASES = ['claimed', 'evidence', 'measured'] as const;
export const BasisSchema = z.enum(BASES);
export type Basis = z.infer<typeof BasisSchema>;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Text = z.string().min(1);

/** Re-exported from `schema.ts`, where the history's ledger fields use them too. */
export { ChangeKindSchema, ContributorClassSchema };

/** Who ran a test, as the tester declares it (CI for the rows the project measures itself). */
export const AffiliationSchema = z.enum(['independent', 'vendor', 'maintainer', 'ci']);
export type Affiliation = z.infer<typeof AffiliationSchema>;

const Common = {
  status: StatusIdSchema,
  /** When the statement was made (commit date) or the capture taken/the evidence derived (ISO 8601). */
  date: z.iso.datetime({ offset: true }),
  /** The reason stated with the status, where the status takes one. */
  reason: Text.optional(),
};

export const ClaimedAssertionSchema = z.strictObject({
  basis: z.literal('claimed'),
  ...Common,
  source: z.strictObject({
    /** Upstream's commit that made the statement, and its URL. */
    commit: z.string().regex(/^[0-9a-f]{40}$/),
    commitUrl: z.url(),
    /** The pull request, when the change came through one. */
    pr: z.url().optional(),
    prNumber: z.number().int().positive().optional(),
    /** The contributor's GitHub login, when the ledger names one. */
    contributor: Text.optional(),
    contributorClass: ContributorClassSchema,
    /** Only where a source states it (stats_config.yml's vendor_affiliations); never inferred. */
    affiliation: Text.optional(),
    change: ChangeKindSchema,
  }),
});
export type ClaimedAssertion = z.infer<typeof ClaimedAssertionSchema>;

export const EvidenceAssertionSchema = z
  .strictObject({
    basis: z.enum(['evidence', 'measured']),
    ...Common,
    /**
     * `generator-run`: a capture matched against a generator manifest (strict verdicts).
     * `sample-events`: events without a manifest (a pull request's tables, a Windows export): they
     * show which fields exist, have no time window of a test, and never make a strict Yes alone.
     */
    kind: z.enum(['generator-run', 'sample-events']),
    /** The evidence tool's verdict (generator runs) or `fields-shown` (sample events). */
    verdict: z.enum(['observed', 'partially', 'not-observed', 'not-testable', 'fields-shown']),
    product: z.strictObject({
      vendor: SlugSchema,
      name: Text,
      version: Text.optional(),
      build: Text.optional(),
    }),
    /** The sensor's identity as the capture states it (ECS agent.type / agent.version). */
    sensor: z.strictObject({
      type: Text.optional(),
      version: Text.optional(),
      /** `known`: the type maps to this product; `unknown`: not a type the project knows; `absent`: the capture has none. */
      identity: z.enum(['known', 'unknown', 'absent']),
    }),
    /** What is known of the host: OS, kernel, architecture (never its name). */
    host: z.strictObject({ os: Text.optional(), kernel: Text.optional(), arch: Text.optional() }),
    /** Non-default settings the result needed, as data. */
    settings: z.array(z.strictObject({ setting: Text, subCategories: z.array(SlugSchema) })),
    policy: z.strictObject({ name: Text, sha256: sha256.optional() }).optional(),
    /**
     * The capture's time window in UTC; absent for sample events (they have none). `end` is absent
     * when the record states only when the capture began (the measured rows' `capturedAt`).
     */
    window: z
      .strictObject({ start: z.iso.datetime(), end: z.iso.datetime().optional() })
      .optional(),
    tester: z.strictObject({
      handle: Text,
      /** As the tester declares it (`--affiliation`); absent where no source states it. */
      affiliation: AffiliationSchema.optional(),
    }),
    evidence: z.strictObject({
      /** The evidence record inside data/, e.g. "evidence/elastic-linux-pr199/record.json#file-size". */
      record: Text,
      manifestSha256: sha256.optional(),
      /** Required for a capture without a manifest (sample events); optional beside a manifest. */
      captureSha256: sha256.optional(),
      /** The capture file inside data/, for a link. */
      capture: Text.optional(),
    }),
  })
  .refine(
    (a) => a.evidence.manifestSha256 !== undefined || a.evidence.captureSha256 !== undefined,
    {
      path: ['evidence'],
      message:
        'an evidence or measured assertion needs manifestSha256 or, without a manifest, captureSha256',
    },
  );
export type EvidenceAssertion = z.infer<typeof EvidenceAssertionSchema>;

export const AssertionSchema = z.discriminatedUnion('basis', [
  ClaimedAssertionSchema,
  EvidenceAssertionSchema,
]);
export type Assertion = z.infer<typeof AssertionSchema>;

/** `data/evidence/<package>/assertions.json`: the data change an evidence package makes. */
export const AssertionsFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platform: PlatformIdSchema,
  vendor: SlugSchema,
  /** Sub-category id → the package's assertion about that cell. */
  cells: z.record(SlugSchema, EvidenceAssertionSchema),
});
export type AssertionsFile = z.infer<typeof AssertionsFileSchema>;
