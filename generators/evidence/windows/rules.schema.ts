/**
 * The shape of the Windows rules file (`rules/windows.json`): which normalised Windows events
 * (`event.ts`) are telemetry of which Windows sub-category, from which source, and where each
 * fact lives. It follows the Linux rules schema (`../rules.schema.ts`) so the two can merge into
 * one: the same `when` grammar, fact sources, `keys` and `required`, with `platform` on every
 * rule. What is new: `source` (the log the event must come from, which decides whether a product
 * shows the sub-category itself or via event logs) and the exercise record (`exercisedBy` the
 * real captures that contain such events, or `notExercisedHere` with the documented schema the
 * rule was written from).
 */
import { z } from 'zod';
import windowsMatrix from '../../../data/matrices/windows.json' with { type: 'json' };
import { SourceKindSchema } from './event.ts';

/**
 * Windows sub-category ids, read from the taxonomy in data/ (their one home). Fourteen of them
 * (process-creation, file-creation, dns-query, md5...) are Linux ids too, so a rule or verdict
 * always says its platform.
 */
export const WINDOWS_SUB_CATEGORY_IDS = windowsMatrix.categories.flatMap((category) =>
  category.subCategories.map((sub) => sub.id),
) as [string, ...string[]];
export const WindowsSubCategoryIdSchema = z.enum(WINDOWS_SUB_CATEGORY_IDS);

/**
 * Fact names. The first block has the meaning of the Linux facts of the same name; the second is
 * what Windows telemetry adds.
 */
export const WINDOWS_FACT_NAMES = [
  'pid',
  'ppid',
  'executable',
  'args',
  'path',
  'md5',
  'sha1',
  'sha256',
  'ports',
  'addresses',
  'dnsName',
  'scriptContent',
  'userName',
  'targetPid',
  // Windows
  'processGuid',
  'parentExecutable',
  'imphash',
  'targetExecutable',
  'grantedAccess',
  'imageLoaded',
  'startAddress',
  'registryKey',
  'registryValue',
  'registryNewName',
  'registryOperation',
  'pipeName',
  'taskName',
  'taskContent',
  'serviceName',
  'serviceImage',
  'serviceStartType',
  'protocol',
  'direction',
  'logonType',
  'logonId',
  'targetUserName',
  'targetUserSid',
  'wmiName',
  'wmiQuery',
  'wmiConsumer',
  'wmiFilter',
  'wmiNamespace',
  'dnsResults',
  'sensorState',
] as const;
export const WindowsFactNameSchema = z.enum(WINDOWS_FACT_NAMES);
export type WindowsFactName = z.infer<typeof WindowsFactNameSchema>;

/**
 * A path in the normalised event: `eventId`, `provider`, `channel`, `host`, or `data.<Field>` for
 * an event data field (`data.TargetObject`).
 */
const EventPath = z
  .string()
  .regex(
    /^(?:eventId|provider|channel|host|data\.[^\s]+)$/,
    'expected eventId, provider, channel, host or data.<Field>',
  );

function isRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
const Pattern = z.string().min(1).refine(isRegex, 'not a valid regular expression');

/** Where a fact is: an event path, or a path with a transformation (as in the Linux rules). */
export const WindowsFactSourceSchema = z.union([
  EventPath,
  z.strictObject({
    field: EventPath,
    /** Keep capture group 1 of this regular expression (one hash out of Sysmon's `Hashes`). */
    regex: Pattern.optional(),
    /** `hex`: "0xc28" → 3112 (Security's process ids); `int`: "3112" → 3112. */
    parse: z.enum(['hex', 'int']).optional(),
  }),
]);
export type WindowsFactSource = z.infer<typeof WindowsFactSourceSchema>;

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** The Linux rules' condition grammar, on normalised event paths. */
export const WindowsConditionSchema = z.union([
  z.array(Scalar).min(1),
  z.literal(true),
  z.strictObject({ prefix: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ pattern: Pattern }),
]);
export type WindowsCondition = z.infer<typeof WindowsConditionSchema>;

/** Fixture names of the real captures in tests/fixtures/evidence/windows/. */
export const WINDOWS_FIXTURES = [
  'cmd_service_mod_fax',
  'empire_persistence_registry_modification_run_keys_elevated_user',
  'psh_python_webserver',
  'schtask_create',
] as const;

export const WindowsRuleSchema = z
  .strictObject({
    /** Stable id, shown in reports: `sysmon-process-creation`. */
    id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
    platform: z.literal('windows'),
    subCategory: WindowsSubCategoryIdSchema,
    /** One sentence: which events this rule recognises. */
    description: z.string().min(1),
    /** The log the event must come from (`event.kind`). */
    source: SourceKindSchema,
    /**
     * Conditions on the normalised event, all of which must hold (the event's `kind` must also be
     * `source`): the field equals one of the values (case-insensitive), `true` for present,
     * `{prefix}`, `{pattern}`. Every rule tests `eventId`.
     */
    when: z
      .record(EventPath, WindowsConditionSchema)
      .refine((w) => Array.isArray(w.eventId), 'every rule lists its event ids in "eventId"'),
    /** For each fact, the places to read it from; the first one present wins. */
    facts: z.partialRecord(WindowsFactNameSchema, z.array(WindowsFactSourceSchema).min(1)),
    /** Facts read from every source at once (both ports of a connection). */
    collect: z.array(WindowsFactNameSchema).default([]),
    /** Facts that tie an event to a manifest action (pid, path, task name...). */
    keys: z.array(WindowsFactNameSchema).min(1),
    /** Facts the sub-category needs; each entry one fact or a list of alternatives. */
    required: z
      .array(z.union([WindowsFactNameSchema, z.array(WindowsFactNameSchema).min(2)]))
      .min(1),
    /** The real captures (fixture names) that contain events this rule recognises. */
    exercisedBy: z.array(z.enum(WINDOWS_FIXTURES)).min(1).optional(),
    /** No real capture here contains such an event: the rule was written from the schema. */
    notExercisedHere: z.literal(true).optional(),
    /** Where the event's schema is documented, a URL or the command that prints the provider's manifest (required with `notExercisedHere`). */
    documentedSchema: z.string().min(1).optional(),
  })
  .superRefine((rule, ctx) => {
    const exercised = rule.exercisedBy !== undefined;
    if (exercised === (rule.notExercisedHere === true))
      ctx.addIssue({
        code: 'custom',
        path: ['exercisedBy'],
        message:
          'a rule says either which real captures exercise it ("exercisedBy") or that none does ("notExercisedHere": true), not both or neither',
      });
    if (rule.notExercisedHere === true && rule.documentedSchema === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['documentedSchema'],
        message: 'a rule no real capture exercises names the documented schema it was written from',
      });
    for (const key of rule.keys)
      if (rule.facts[key] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['keys'],
          message: `the key "${key}" has no source in "facts"`,
        });
  });
export type WindowsRule = z.infer<typeof WindowsRuleSchema>;

export const WindowsRuleSetSchema = z.strictObject({
  schemaVersion: z.literal(1),
  platform: z.literal('windows'),
  /** What produces the events these rules read, and how the rules were derived. */
  about: z.string().min(1),
  rules: z.array(WindowsRuleSchema).min(1),
});
