/**
 * The shape of a rules file (`generators/evidence/rules/<format>.json`): which events of one input
 * format are telemetry of which Linux sub-category, where each fact lives in them, which facts
 * tie an event to a manifest action, and which facts the sub-category requires. A format whose
 * events carry another format's fields (CSV exports of ECS events) holds no rules of its own but
 * says which format it derives them from and how its columns are named.
 */
import { z } from 'zod';
import { SubCategoryIdSchema } from '../manifest.schema.ts';
import { INPUT_FORMATS } from './readers/capture.ts';

const FACT_NAMES = [
  'pid',
  'ppid',
  'executable',
  'args',
  'exitCode',
  'memfdName',
  'memfdFlags',
  'path',
  'size',
  'entropy',
  'headerBytes',
  'md5',
  'sha1',
  'sha256',
  'ssdeep',
  'fuzzyHash',
  'ports',
  'addresses',
  'dnsName',
  'scriptContent',
  'userName',
  'targetPid',
  'bpfProgId',
  'userId',
  'sensorEvent',
  'request',
  'protocol',
  'direction',
  'outcome',
] as const;
const FactNameSchema = z.enum(FACT_NAMES);
export type FactName = z.infer<typeof FactNameSchema>;

const FieldPath = z.string().min(1);

/** Where a fact is: a dotted field path, or a path with a transformation. */
const FactSourceSchema = z.union([
  FieldPath,
  z.strictObject({
    /** Dotted field path (nested and flattened keys both work; arrays of objects are searched). */
    field: FieldPath.optional(),
    /** Pick one element of an array value (LAUREL's SYSCALL.ARGV[1] is the flags argument). */
    index: z.number().int().nonnegative().optional(),
    /** Keep capture group 1 of this regular expression (e.g. the port inside LAUREL's SADDR). */
    regex: z.string().optional(),
    /** `hex`: "0x1f" → 31; `int`: "42" → 42. */
    parse: z.enum(['hex', 'int']).optional(),
    /** A relative path is resolved against this field's value (LAUREL: "CWD.cwd"). */
    relativeTo: FieldPath.optional(),
    /** Builds a bit mask from boolean fields: { "process.Ext.memfd.flag.cloexec": 1, ... }. */
    bits: z.record(FieldPath, z.number().int().positive()).optional(),
  }),
]);
export type FactSource = z.infer<typeof FactSourceSchema>;

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

const RuleSchema = z.strictObject({
  /** Stable id, shown in reports: `ecs-memfd-create`. */
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
  subCategory: SubCategoryIdSchema,
  /** One sentence: which events this rule recognises. */
  description: z.string().min(1),
  /**
   * Conditions, all of which must hold: the field equals one of the values (case-insensitive;
   * an array field needs one element equal), `true` for "the field is present", `{prefix}` for
   * a text starting with one of the prefixes, `{pattern}` for a regular expression.
   */
  when: z.record(
    FieldPath,
    z.union([
      z.array(Scalar).min(1),
      z.literal(true),
      z.strictObject({ prefix: z.array(z.string().min(1)).min(1) }),
      z.strictObject({ pattern: z.string().min(1) }),
    ]),
  ),
  /** For each fact, the places to read it from; the first one present wins. */
  facts: z.partialRecord(FactNameSchema, z.array(FactSourceSchema).min(1)),
  /** Facts read from every source at once (a socket's ports from source.port and destination.port). */
  collect: z.array(FactNameSchema).default([]),
  /**
   * Facts that tie an event to a manifest action: an event is a candidate for an action only when
   * every key is present and agrees with the manifest (and its time is inside the run's window).
   */
  keys: z.array(FactNameSchema).min(1),
  /**
   * Facts the sub-category needs; each entry is one fact or a list of alternatives. A required
   * fact without a source is one this format never carries (auditd has no memfd name): events
   * then prove the activity but not the fact, and the verdict says which fact is absent.
   */
  required: z.array(z.union([FactNameSchema, z.array(FactNameSchema).min(2)])).min(1),
});
export type Rule = z.infer<typeof RuleSchema>;

export const RuleSetSchema = z.strictObject({
  schemaVersion: z.literal(1),
  format: z.enum(INPUT_FORMATS),
  /** What produces captures in this format and how rules were derived (docs, real captures). */
  about: z.string().min(1),
  /**
   * `percent`: the format escapes bytes outside printable ASCII (and "%", "+") as %XX, as
   * LAUREL does; fact values are decoded before they are compared.
   */
  strings: z.enum(['plain', 'percent']).default('plain'),
  rules: z.array(RuleSchema).min(1),
});
export type RuleSet = z.infer<typeof RuleSetSchema>;

/**
 * A format that carries another format's fields, possibly under other names (a SIEM's CSV export
 * of ECS events): its rules are the base format's rules with every field path renamed. Each rule
 * thus has one home, the base file.
 */
export const DerivedRuleSetSchema = z.strictObject({
  schemaVersion: z.literal(1),
  format: z.enum(INPUT_FORMATS),
  /** What produces captures in this format. */
  about: z.string().min(1),
  derivedFrom: z.strictObject({
    /** The format whose rules apply; it must have rules of its own. */
    format: z.enum(INPUT_FORMATS),
    /**
     * Base field path → the name this format gives it (a column header). Fields not listed keep
     * their base name, so an export whose columns are ECS dotted names maps nothing.
     */
    columns: z.record(FieldPath, FieldPath),
  }),
});
export type DerivedRuleSet = z.infer<typeof DerivedRuleSetSchema>;
