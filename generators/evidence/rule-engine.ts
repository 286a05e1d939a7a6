/**
 * The rules engine: rules compiled for the hot loop, indexed by the fields many of them test,
 * and their facts read from an event. Kept apart from loading and checking the rules files
 * (`rules.ts`, which needs the schema and the taxonomy) so a worker thread of a parallel read
 * starts without them.
 */
import { compileFact } from './facts.ts';
import type { InputFormat } from './readers/capture.ts';
import { compileField, type Doc, type FieldGetter } from './readers/fields.ts';
import type { FactName, Rule } from './rules.schema.ts';

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
