/**
 * The single source of truth for the shape of everything in `data/`.
 *
 * Every TypeScript type the project uses for telemetry data is inferred from these schemas;
 * nothing else in the repository spells a status id, a platform id or a weight. Objects are
 * strict: an unknown key is a defect, never silently ignored.
 */
import { z } from 'zod';

// Zod's JIT compiles parsers with `new Function`: slower for one-shot CLI runs and refused by the
// site's Content-Security-Policy, so it is off everywhere.
z.config({ jitless: true });

/** Ids are lowercase slugs: `process-creation`, `crowdstrike`, `bits-jobs-activity`. */
export const SlugSchema = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug such as "process-creation"');

/** Platforms in the order the site lists them. */
export const PLATFORM_IDS = ['linux', 'windows', 'macos'] as const;
export const PlatformIdSchema = z.enum(PLATFORM_IDS);
export type PlatformId = z.infer<typeof PlatformIdSchema>;

/**
 * Status ids, best coverage first. This order is the sort order everywhere (matrix sorting,
 * legends); string comparison of labels is never used.
 */
export const STATUS_IDS = [
  'yes',
  'via-enabling-telemetry',
  'partially',
  'via-event-logs',
  'pending-response',
  'not-tested',
  'no',
] as const;
export const StatusIdSchema = z.enum(STATUS_IDS);
export type StatusId = z.infer<typeof StatusIdSchema>;

const NonBlankText = z
  .string()
  .refine((s) => s.trim().length > 0, 'must not be blank')
  .refine((s) => s === s.trim(), 'must not start or end with whitespace');

/** How one status is named, drawn and explained. Values live in `weights.json`, not here. */
export const StatusDefinitionSchema = z.strictObject({
  id: StatusIdSchema,
  /** The exact spelling upstream's matrices use, e.g. "Via EventLogs". */
  label: NonBlankText,
  /** A short symbol shown beside the label so status never relies on colour alone. */
  symbol: NonBlankText,
  /** One sentence for readers: what this status claims about the product. */
  description: NonBlankText,
  /** Whether a cell with this status may carry a free-text reason (partial coverage and the like). */
  takesReason: z.boolean(),
  /**
   * Whether a cell with this status must say why (Partially: a reader cannot tell what part is
   * covered otherwise). A cell without one is a defect unless a correction lists it.
   */
  requiresReason: z.boolean(),
  /**
   * `upstream`: a status upstream's files use. `project`: this project's own (Not Tested), which
   * upstream's files never carry: import refuses it there and export never writes it.
   */
  origin: z.enum(['upstream', 'project']),
});
export type StatusDefinition = z.infer<typeof StatusDefinitionSchema>;

export const StatusesFileSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    statuses: z.array(StatusDefinitionSchema),
  })
  .superRefine((file, ctx) => {
    const seen = new Set(file.statuses.map((s) => s.id));
    for (const id of STATUS_IDS) {
      if (!seen.has(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['statuses'],
          message: `status "${id}" is not defined`,
        });
      }
    }
    file.statuses.forEach((s, i) => {
      if (file.statuses.findIndex((o) => o.id === s.id) !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['statuses', i, 'id'],
          message: `status "${s.id}" is defined twice`,
        });
      }
      if (s.requiresReason && !s.takesReason) {
        ctx.addIssue({
          code: 'custom',
          path: ['statuses', i, 'requiresReason'],
          message: `status "${s.id}" requires a reason but takes none`,
        });
      }
    });
  });
export type StatusesFile = z.infer<typeof StatusesFileSchema>;

/**
 * A weight is a non-negative number of points for full coverage of a sub-category (zod 4's numbers
 * already refuse Infinity and NaN).
 */
export const WeightSchema = z.number().nonnegative();

/**
 * `data/weights.json`: the points each status earns (0..1) and each sub-category's weight,
 * keyed by platform and sub-category id.
 */
export const WeightsFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  /** Where these numbers came from (upstream's scoring script and commit). */
  source: NonBlankText,
  statusValues: z.strictObject(
    Object.fromEntries(STATUS_IDS.map((id) => [id, z.number().min(0).max(1)])) as Record<
      StatusId,
      z.ZodNumber
    >,
  ),
  platforms: z.strictObject({
    windows: z.record(SlugSchema, WeightSchema),
    linux: z.record(SlugSchema, WeightSchema),
    macos: z.record(SlugSchema, WeightSchema),
  }),
});
export type WeightsFile = z.infer<typeof WeightsFileSchema>;
export type StatusValues = WeightsFile['statusValues'];

/** Evidence behind a cell that was measured rather than claimed (see generators/evidence). */
export const CellEvidenceSchema = z.strictObject({
  /** Path of the evidence record inside `data/`, e.g. "evidence/reference-agent.json#memory-backed-file-creation". */
  ref: NonBlankText,
  /** Generators whose runs exercised this cell. */
  generators: z.array(NonBlankText).min(1),
  /** SHA-256 (hex) of the generator manifest the capture was matched against. */
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** When the capture was made (ISO 8601). */
  capturedAt: z.iso.datetime({ offset: true }),
});

export const CellSchema = z.strictObject({
  status: StatusIdSchema,
  /** Why the status is not a plain yes/no (only on statuses that take a reason). */
  reason: NonBlankText.optional(),
  evidence: CellEvidenceSchema.optional(),
});
export type Cell = z.infer<typeof CellSchema>;

export const SubCategorySchema = z.strictObject({
  id: SlugSchema,
  name: NonBlankText,
  /** Cells keyed by vendor id; every vendor of the platform has exactly one. */
  cells: z.record(SlugSchema, CellSchema),
});
export type SubCategory = z.infer<typeof SubCategorySchema>;

export const CategorySchema = z.strictObject({
  id: SlugSchema,
  name: NonBlankText,
  subCategories: z.array(SubCategorySchema).min(1),
});
export type Category = z.infer<typeof CategorySchema>;

export const VendorSchema = z.strictObject({
  id: SlugSchema,
  /** Display name, exactly as upstream spells it for upstream vendors. */
  name: NonBlankText,
  /**
   * `claimed`: the status comes from upstream's matrix (vendor documentation, contributors).
   * `measured`: every cell was produced by the evidence tool from a capture.
   */
  source: z.enum(['claimed', 'measured']),
  /**
   * `product`: a product the matrix compares (every vendor upstream lists). `sensor`: an
   * open-source sensor this project measures itself (the reference agent, auditd + LAUREL);
   * sensors are ranked among sensors and never take a product's rank.
   */
  kind: z.enum(['product', 'sensor']),
  /** For measured vendors: what was measured and how, one sentence. */
  note: NonBlankText.optional(),
});
export type Vendor = z.infer<typeof VendorSchema>;

/** `data/<platform>.json`: one platform's matrix. */
export const PlatformMatrixSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platform: z.strictObject({
    id: PlatformIdSchema,
    name: NonBlankText,
    /** The suffix of upstream's file names: EDR_telem_<upstreamName>.json. */
    upstreamName: NonBlankText,
  }),
  vendors: z.array(VendorSchema).min(1),
  categories: z.array(CategorySchema).min(1),
});
export type PlatformMatrix = z.infer<typeof PlatformMatrixSchema>;

/** A measured row that `npm run data:import` must never overwrite: `data/measured/<vendor>.json`. */
export const MeasuredRowSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platform: PlatformIdSchema,
  vendor: VendorSchema,
  cells: z.record(SlugSchema, CellSchema),
});
export type MeasuredRow = z.infer<typeof MeasuredRowSchema>;

/** `data/provenance.json`: where the claimed data came from and under which licence. */
export const ProvenanceSchema = z.strictObject({
  schemaVersion: z.literal(1),
  upstream: z.strictObject({
    project: NonBlankText,
    url: z.url(),
    commit: z.string().regex(/^[0-9a-f]{40}$/),
    date: z.iso.date(),
    licence: z.literal('CC BY-NC 4.0'),
    licenceUrl: z.url(),
    credit: NonBlankText,
  }),
  /** Ids of the corrections applied by that import. */
  correctionsApplied: z.array(SlugSchema),
});
export type Provenance = z.infer<typeof ProvenanceSchema>;

/**
 * The kind of change a claim made, from upstream's change ledger (`change_kind`):
 * `baseline` when a vendor or a row was first filled in, `upgrade`/`downgrade` of coverage,
 * `clarification` (same status, new wording), `rename` (the row or vendor was renamed),
 * `unknown` when no ledger row describes the change or the ledger's kind is none of these.
 */
export const ChangeKindSchema = z.enum([
  'baseline',
  'upgrade',
  'downgrade',
  'clarification',
  'rename',
  'unknown',
]);
export type ChangeKind = z.infer<typeof ChangeKindSchema>;

/** How upstream's ledger classes a contributor; `maintainer` and `bot` from its stats_config.yml. */
export const ContributorClassSchema = z.enum(['external', 'maintainer', 'bot', 'unknown']);
export type ContributorClass = z.infer<typeof ContributorClassSchema>;

/**
 * What upstream's change ledger (`telemetry_change_events.csv`) adds to a history entry it
 * describes. Written by `npm run data:import`, so re-importing upstream regenerates it.
 */
export const HistoryLedgerSchema = z.strictObject({
  change: ChangeKindSchema,
  /** The contributor's GitHub login, when the ledger names one. */
  contributor: NonBlankText.optional(),
  contributorClass: ContributorClassSchema,
  /**
   * The pull request the ledger ties the change to. For a pull request merged with a merge
   * commit the history records the branch's own commit (and no PR); the ledger names it.
   */
  pr: z.number().int().positive().optional(),
  /** Only where a source states it (stats_config.yml's vendor_affiliations); never inferred. */
  affiliation: NonBlankText.optional(),
});
export type HistoryLedger = z.infer<typeof HistoryLedgerSchema>;

/** One cell change in upstream's git history (`data/history.json`). */
export const HistoryEntrySchema = z.strictObject({
  date: z.iso.datetime({ offset: true }),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  pr: z.number().int().positive().nullable(),
  platform: PlatformIdSchema,
  category: z.string(),
  subCategory: NonBlankText,
  subCategoryId: SlugSchema,
  vendor: NonBlankText,
  vendorId: SlugSchema,
  /** `null`: the cell did not exist before (old) or was removed (new). */
  old: StatusIdSchema.nullable(),
  new: StatusIdSchema.nullable(),
  /**
   * The cell this entry belongs to today when the row or vendor has been renamed since (the
   * entry keeps the names of its time): `BIT JOBS Activity` → `bits-jobs-activity`.
   */
  current: z.strictObject({ subCategoryId: SlugSchema, vendorId: SlugSchema }).optional(),
  ledger: HistoryLedgerSchema.optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

export const HistoryFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  entries: z.array(HistoryEntrySchema),
});
export type HistoryFile = z.infer<typeof HistoryFileSchema>;

/** `data/mitre.json`: Windows sub-category to MITRE ATT&CK data sources. */
export const MitreDataSourceSchema = z.strictObject({
  /** e.g. "DS0009" */
  id: z.string().regex(/^DS\d{4}$/),
  /** e.g. "Process Creation" (the data component as upstream names it). */
  name: NonBlankText,
  /** Upstream marks some mappings as partial. */
  partial: z.boolean(),
});
export const MitreFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platforms: z.strictObject({
    windows: z.record(SlugSchema, z.array(MitreDataSourceSchema)),
  }),
});
export type MitreFile = z.infer<typeof MitreFileSchema>;

/** `data/descriptions.json`: one plain-language sentence per sub-category, written by this project. */
export const DescriptionsFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platforms: z.strictObject({
    windows: z.record(SlugSchema, NonBlankText),
    linux: z.record(SlugSchema, NonBlankText),
    macos: z.record(SlugSchema, NonBlankText),
  }),
});
export type DescriptionsFile = z.infer<typeof DescriptionsFileSchema>;

/**
 * How upstream lays out its explanation files, recorded so `data:export` reproduces them
 * byte-for-byte in structure: which rows exist in which order, which vendor columns each
 * row has, and how a carried-forward category cell is written.
 */
export const UpstreamLayoutSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platforms: z.record(
    PlatformIdSchema,
    z.strictObject({
      matrixBlankCategory: z.union([z.null(), z.literal('')]),
      explanations: z.strictObject({
        blankCategory: z.union([z.null(), z.literal('')]),
        rows: z.array(
          z.strictObject({
            subCategory: SlugSchema,
            /** `name`: the category is written on this row; `blank`: left blank (carried forward). */
            category: z.enum(['name', 'blank']),
            vendors: z.array(SlugSchema),
          }),
        ),
      }),
    }),
  ),
});
export type UpstreamLayout = z.infer<typeof UpstreamLayoutSchema>;

const Where = z.strictObject({
  platform: PlatformIdSchema,
  file: z.enum(['matrix', 'explanations', 'weights', 'history', 'mitre']),
});

/**
 * One explicit fix for a known upstream defect. Import applies it only while the defect is
 * present and reports it as no longer needed once upstream fixed it.
 */
export const CorrectionSchema = z.strictObject({
  id: SlugSchema,
  where: Where,
  /** What is wrong upstream, in one or two sentences. */
  defect: NonBlankText,
  /** Why this fix is the right one, and its effect (e.g. on rankings). */
  why: NonBlankText,
  action: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('rename-weight'), from: NonBlankText, to: NonBlankText }),
    z.strictObject({ type: z.literal('drop-weight'), subCategory: NonBlankText }),
    z.strictObject({
      type: z.literal('rename-row'),
      from: NonBlankText,
      to: NonBlankText,
      categoryFrom: NonBlankText.optional(),
      categoryTo: NonBlankText.optional(),
    }),
    z.strictObject({ type: z.literal('rename-column'), from: NonBlankText, to: NonBlankText }),
    z.strictObject({ type: z.literal('drop-row'), subCategory: NonBlankText }),
    z.strictObject({ type: z.literal('blank-reasons-to-empty'), vendor: NonBlankText }),
    z.strictObject({
      type: z.literal('wrap-plain-reason'),
      subCategory: NonBlankText,
      vendor: NonBlankText,
    }),
    z.strictObject({
      type: z.literal('drop-reason'),
      subCategory: NonBlankText,
      vendor: NonBlankText,
    }),
    z.strictObject({ type: z.literal('rename-status'), from: z.string(), to: NonBlankText }),
    z.strictObject({
      type: z.literal('keep-without-reason'),
      subCategory: NonBlankText,
      vendor: NonBlankText,
    }),
  ]),
});
export type Correction = z.infer<typeof CorrectionSchema>;
export type CorrectionAction = Correction['action'];

export const CorrectionsFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  corrections: z.array(CorrectionSchema),
});
export type CorrectionsFile = z.infer<typeof CorrectionsFileSchema>;
