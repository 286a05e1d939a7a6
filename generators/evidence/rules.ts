/**
 * Loads and checks the rules files, and evaluates them on events. Rules are data so a contributor
 * can map another EDR's export without touching code; every id they name is checked against the
 * project's taxonomy (data/matrices/linux.json) when they load.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCoreData, matrixRows } from '../../scoring/dataset.ts';
import { type DataIssue, DataValidationError, parseData } from '../../scoring/issues.ts';
import { parseJsonText } from '../../scoring/json-file.ts';
import { compileFact } from './facts.ts';
import type { InputFormat } from './readers/capture.ts';
import { INPUT_FORMATS } from './readers/capture.ts';
import { compileField, type Doc, type FieldGetter } from './readers/fields.ts';
import {
  type DerivedRuleSet,
  DerivedRuleSetSchema,
  type FactName,
  type FactSource,
  type Rule,
  type RuleSet,
  RuleSetSchema,
} from './rules.schema.ts';

const RULES_DIR = fileURLToPath(new URL('./rules/', import.meta.url));
const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));

/** Every condition field gets a slot, so one event reads each field once across all rules. */
const slots = new Map<string, number>();
function slotOf(field: string): number {
  let slot = slots.get(field);
  if (slot === undefined) {
    slot = slots.size;
    slots.set(field, slot);
  }
  return slot;
}

/** Per-event memo of condition field values: call `next()` before each event. */
class FieldMemo {
  #gen = 0;
  #gens: number[] = [];
  #values: unknown[] = [];
  next(): void {
    this.#gen++;
  }
  read(c: Condition, doc: Doc): unknown {
    if (this.#gens[c.slot] === this.#gen) return this.#values[c.slot];
    const v = c.get(doc);
    this.#gens[c.slot] = this.#gen;
    this.#values[c.slot] = v;
    return v;
  }
}

type Condition = { field: string; get: FieldGetter; slot: number } & (
  | { kind: 'equals'; values: Set<string> }
  | { kind: 'present' }
  | { kind: 'prefix'; prefixes: string[] }
  | { kind: 'pattern'; re: RegExp }
);

/** A rule ready to run: conditions precompiled for the hot loop. */
export interface CompiledRule extends Rule {
  conditions: Condition[];
  /** Text values are %XX-escaped in this format (LAUREL). */
  percent: boolean;
}

/** Each rule's fact readers, compiled once (kept apart so a compiled rule stays plain data). */
const factReaders = new WeakMap<CompiledRule, [FactName, (doc: Doc) => unknown][]>();

function readersOf(rule: CompiledRule): [FactName, (doc: Doc) => unknown][] {
  let readers = factReaders.get(rule);
  if (readers === undefined) {
    readers = [];
    for (const [name, sources] of Object.entries(rule.facts) as [
      FactName,
      Rule['facts'][FactName],
    ][])
      if (sources !== undefined)
        readers.push([
          name,
          compileFact(sources, rule.collect.includes(name), { percent: rule.percent }),
        ]);
    factReaders.set(rule, readers);
  }
  return readers;
}

export type RuleSets = Record<InputFormat, CompiledRule[]>;

/**
 * A rule ready for the hot loop. Exported so a worker thread can compile the rules it is sent
 * (compiled rules hold functions, which do not cross threads).
 */
export function compileRule(rule: Rule, percent: boolean): CompiledRule {
  return {
    ...rule,
    percent,
    conditions: Object.entries(rule.when).map(([field, v]): Condition => {
      const get = compileField(field);
      const slot = slotOf(field);
      if (v === true) return { field, get, slot, kind: 'present' };
      if (Array.isArray(v))
        return {
          field,
          get,
          slot,
          kind: 'equals',
          values: new Set(v.map((x) => String(x).toLowerCase())),
        };
      if ('prefix' in v) return { field, get, slot, kind: 'prefix', prefixes: v.prefix };
      return { field, get, slot, kind: 'pattern', re: new RegExp(v.pattern) };
    }),
  };
}

function holds(c: Condition, value: unknown): boolean {
  if (Array.isArray(value)) return value.some((v) => holds(c, v));
  switch (c.kind) {
    case 'present':
      return true;
    case 'equals': {
      const s = String(value);
      return c.values.has(s) || c.values.has(s.toLowerCase());
    }
    case 'prefix': {
      const s = String(value);
      return c.prefixes.some((p) => s.startsWith(p));
    }
    case 'pattern':
      return c.re.test(String(value));
  }
}

/**
 * Whether every condition holds for the event. `memo` shares field reads across the rules tried
 * on one event.
 */
function conditionsHold(conditions: readonly Condition[], doc: Doc, memo: FieldMemo): boolean {
  for (const c of conditions) {
    const v = memo.read(c, doc);
    if (v === undefined || v === null || v === '') return false;
    if (c.kind !== 'present' && !holds(c, v)) return false;
  }
  return true;
}

/** A rule and the conditions left to test once the event's signature fields are known. */
interface PlanEntry {
  rule: CompiledRule;
  rest: readonly Condition[];
}

/** Plans cached per index: enough for every event kind a sensor writes, bounded for odd captures. */
const MAX_PLANS = 4096;
const ABSENT = '\u0000';
const SEP = '\u0001';

/**
 * The rules of one format, planned by the fields many of them test (ECS: event.category,
 * event.type, event.action; LAUREL: SYSCALL.SYSCALL...). The values of those fields form the
 * event's signature; for each signature, the rules whose conditions on those fields hold are
 * worked out once and cached, so an event is only tested on its remaining conditions. Same
 * results, in the same order, as trying every rule.
 */
export class RuleIndex {
  readonly rules: readonly CompiledRule[];
  /** One condition per signature field (the field and its slot; the kind is not used). */
  #signature: Condition[];
  #plans = new Map<string, readonly PlanEntry[]>();
  #memo = new FieldMemo();

  constructor(rules: readonly CompiledRule[]) {
    this.rules = rules;
    const counts = new Map<string, { n: number; condition: Condition }>();
    for (const r of rules)
      for (const c of r.conditions)
        if (c.kind === 'equals') {
          const seen = counts.get(c.field);
          counts.set(c.field, { n: (seen?.n ?? 0) + 1, condition: c });
        }
    // Fields one rule alone tests (a process name) stay out: their values are many.
    this.#signature = [...counts.values()]
      .filter((f) => f.n >= 2)
      .sort((a, b) => b.n - a.n)
      .map((f) => f.condition);
  }

  /** Calls `onRule` for every rule whose conditions all hold for `doc`, in file order. */
  forEachApplying(doc: Doc, onRule: (rule: CompiledRule) => void): void {
    const memo = this.#memo;
    memo.next();
    const key = this.#key(doc);
    let plan = key === undefined ? undefined : this.#plans.get(key);
    if (plan === undefined) {
      plan = this.#plan(doc);
      if (key !== undefined && this.#plans.size < MAX_PLANS) this.#plans.set(key, plan);
    }
    for (let i = 0; i < plan.length; i++) {
      const entry = plan[i] as PlanEntry;
      if (entry.rest.length === 0 || conditionsHold(entry.rest, doc, memo)) onRule(entry.rule);
    }
  }

  /**
   * The signature fields' values as one string, or undefined when a value cannot be keyed
   * exactly (a nested array, the separator inside a value): such events are planned uncached.
   */
  #key(doc: Doc): string | undefined {
    let key = '';
    for (const c of this.#signature) {
      const v = this.#memo.read(c, doc);
      if (v === undefined || v === null || v === '') key += ABSENT;
      else if (Array.isArray(v)) {
        key += '[';
        for (const x of v) {
          if (Array.isArray(x)) return undefined;
          const s = String(x);
          if (s.includes(SEP)) return undefined;
          key += `${s}${SEP}`;
        }
        key += ']';
      } else {
        const s = String(v);
        if (s.includes(SEP)) return undefined;
        key += `=${s}`;
      }
      key += SEP;
    }
    return key;
  }

  /** Every rule whose conditions on the signature fields hold, with the conditions left. */
  #plan(doc: Doc): PlanEntry[] {
    const memo = this.#memo;
    const fields = new Set(this.#signature.map((c) => c.field));
    const plan: PlanEntry[] = [];
    for (const rule of this.rules) {
      const decided = rule.conditions.filter((c) => fields.has(c.field));
      if (!conditionsHold(decided, doc, memo)) continue;
      plan.push({ rule, rest: rule.conditions.filter((c) => !fields.has(c.field)) });
    }
    return plan;
  }
}

/** All facts the rule knows how to read from this event. */
export function factsOf(rule: CompiledRule, doc: Doc): Partial<Record<FactName, unknown>> {
  const out: Partial<Record<FactName, unknown>> = {};
  for (const [name, read] of readersOf(rule)) {
    const v = read(doc);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Facts a rule matches on but never says where to read (required facts may lack a source). */
function undefinedFacts(rule: Rule): string[] {
  const used = new Set<FactName>([...rule.keys, ...rule.collect]);
  return [...used].filter((f) => rule.facts[f] === undefined);
}

/**
 * Parses one rules file, reporting every problem: schema errors, facts used but not defined,
 * sub-category ids the taxonomy does not have.
 */
export function parseRuleSet(
  value: unknown,
  file: string,
  knownSubCategories: ReadonlySet<string>,
): { ok: true; rules: RuleSet } | { ok: false; issues: DataIssue[] } {
  const parsed = parseData(RuleSetSchema, value, file);
  if (!parsed.ok) return parsed;
  const issues: DataIssue[] = [];
  const ids = new Set<string>();
  parsed.data.rules.forEach((rule, i) => {
    if (ids.has(rule.id))
      issues.push({ file, path: `rules[${i}].id`, message: `rule id "${rule.id}" is used twice.` });
    ids.add(rule.id);
    if (!knownSubCategories.has(rule.subCategory)) {
      issues.push({
        file,
        path: `rules[${i}].subCategory`,
        message: `"${rule.subCategory}" is not a sub-category of data/matrices/linux.json.`,
      });
    }
    for (const [field, v] of Object.entries(rule.when)) {
      if (typeof v === 'object' && !Array.isArray(v) && 'pattern' in v) {
        try {
          new RegExp(v.pattern);
        } catch (error) {
          issues.push({
            file,
            path: `rules[${i}].when.${field}`,
            message: `the pattern is not a regular expression (${(error as Error).message}).`,
          });
        }
      }
    }
    for (const fact of undefinedFacts(rule)) {
      issues.push({
        file,
        path: `rules[${i}].facts`,
        message: `fact "${fact}" is used in keys or collect but has no source in facts.`,
      });
    }
  });
  return issues.length === 0 ? { ok: true, rules: parsed.data } : { ok: false, issues };
}

/** The Linux sub-category ids of the project's taxonomy, in matrix order. */
export async function linuxSubCategories(dataDir = DATA_DIR): Promise<string[]> {
  const core = await loadCoreData(dataDir);
  return matrixRows(core.matrices.linux).map((r) => r.sub.id);
}

/**
 * The rules of a derived format: the base format's rules with each field path renamed through
 * `columns` and each id carrying the derived format's prefix (`ecs-dns-query` → `csv-dns-query`).
 * @example deriveRuleSet(ecsRules, { ...csvFile, derivedFrom: { format: 'ecs', columns: {} } })
 */
export function deriveRuleSet(base: RuleSet, derived: DerivedRuleSet): RuleSet {
  const { columns } = derived.derivedFrom;
  const rename = (field: string) => columns[field] ?? field;
  const source = (s: FactSource): FactSource => {
    if (typeof s === 'string') return rename(s);
    const { field, relativeTo, bits, ...rest } = s;
    return {
      ...rest,
      ...(field === undefined ? {} : { field: rename(field) }),
      ...(relativeTo === undefined ? {} : { relativeTo: rename(relativeTo) }),
      ...(bits === undefined
        ? {}
        : { bits: Object.fromEntries(Object.entries(bits).map(([f, bit]) => [rename(f), bit])) }),
    };
  };
  const basePrefix = `${base.format}-`;
  return {
    schemaVersion: derived.schemaVersion,
    format: derived.format,
    about: derived.about,
    strings: base.strings,
    rules: base.rules.map((rule) => ({
      ...rule,
      id: `${derived.format}-${rule.id.startsWith(basePrefix) ? rule.id.slice(basePrefix.length) : rule.id}`,
      when: Object.fromEntries(Object.entries(rule.when).map(([f, v]) => [rename(f), v])),
      facts: Object.fromEntries(
        Object.entries(rule.facts).map(([name, sources]) => [name, sources?.map(source)]),
      ),
    })),
  };
}

/** One rules file read and checked: its own rules, or the base it derives them from. */
type LoadedFile =
  | { file: string; own: RuleSet }
  | { file: string; derived: DerivedRuleSet }
  | { file: string; issues: DataIssue[] };

async function loadFile(
  dir: string,
  format: InputFormat,
  known: ReadonlySet<string>,
): Promise<LoadedFile> {
  const file = join(dir, `${format}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {
      file,
      issues: [{ file, message: 'the rules file cannot be read; it ships with the tool.' }],
    };
  }
  const json = parseJsonText(text, file);
  if (!json.ok) return { file, issues: json.issues };
  const value = json.value;
  const isDerived = typeof value === 'object' && value !== null && 'derivedFrom' in value;
  let found: string;
  let loaded: LoadedFile;
  if (isDerived) {
    const parsed = parseData(DerivedRuleSetSchema, value, file);
    if (!parsed.ok) return { file, issues: parsed.issues };
    found = parsed.data.format;
    loaded = { file, derived: parsed.data };
  } else {
    const parsed = parseRuleSet(value, file, known);
    if (!parsed.ok) return { file, issues: parsed.issues };
    found = parsed.rules.format;
    loaded = { file, own: parsed.rules };
  }
  if (found !== format) {
    return {
      file,
      issues: [{ file, path: 'format', message: `the file is for "${found}", not "${format}".` }],
    };
  }
  return loaded;
}

/**
 * Loads `rules/<format>.json` for every input format, deriving the rules of a format whose file
 * names a base format. Throws `DataValidationError` listing every problem in every file.
 */
export async function loadRuleSets(
  options: { dir?: string; dataDir?: string } = {},
): Promise<RuleSets> {
  const dir = options.dir ?? RULES_DIR;
  const known = new Set(await linuxSubCategories(options.dataDir ?? DATA_DIR));
  const issues: DataIssue[] = [];
  const files = new Map<InputFormat, LoadedFile>();
  for (const format of INPUT_FORMATS) files.set(format, await loadFile(dir, format, known));
  const out = {} as RuleSets;
  for (const [format, loaded] of files) {
    if ('issues' in loaded) {
      issues.push(...loaded.issues);
      continue;
    }
    let rules: RuleSet;
    if ('own' in loaded) rules = loaded.own;
    else {
      const baseFormat = loaded.derived.derivedFrom.format;
      const base = files.get(baseFormat);
      if (base === undefined || !('own' in base)) {
        if (base !== undefined && 'issues' in base) continue; // reported with the base file
        issues.push({
          file: loaded.file,
          path: 'derivedFrom.format',
          message: `"${baseFormat}" has no rules of its own to derive from; name a format whose file lists rules.`,
        });
        continue;
      }
      const result = parseRuleSet(deriveRuleSet(base.own, loaded.derived), loaded.file, known);
      if (!result.ok) {
        issues.push(...result.issues);
        continue;
      }
      rules = result.rules;
    }
    const percent = rules.strings === 'percent';
    out[format] = rules.rules.map((r) => compileRule(r, percent));
  }
  if (issues.length > 0) throw new DataValidationError(issues);
  return out;
}
