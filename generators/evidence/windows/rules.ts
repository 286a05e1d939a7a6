/**
 * Loads the Windows rules (`rules/windows.json`), checks them (schema, sub-category ids from
 * data/matrices/windows.json, regular expressions, unique ids), and runs them on normalised events: which
 * rules apply to an event, and the facts a rule reads from it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import windowsMatrix from '../../../data/matrices/windows.json' with { type: 'json' };
import { type DataIssue, DataValidationError, parseData } from '../../../scoring/issues.ts';
import { parseJsonText } from '../../../scoring/json-file.ts';
import type { WindowsEvent } from './event.ts';
import {
  type WindowsCondition,
  type WindowsFactName,
  type WindowsFactSource,
  type WindowsRule,
  WindowsRuleSetSchema,
} from './rules.schema.ts';

export const WINDOWS_RULES_FILE = fileURLToPath(new URL('./rules/windows.json', import.meta.url));

/** Sub-category id → display name, from the Windows taxonomy. */
export const WINDOWS_SUB_CATEGORY_NAMES: ReadonlyMap<string, string> = new Map(
  windowsMatrix.categories.flatMap((c) => c.subCategories.map((s) => [s.id, s.name] as const)),
);

type Getter = (event: WindowsEvent) => string | number | undefined;

function getter(path: string): Getter {
  if (path.startsWith('data.')) {
    const name = path.slice(5);
    return (e) => e.data[name];
  }
  switch (path) {
    case 'eventId':
      return (e) => e.eventId;
    case 'provider':
      return (e) => e.provider;
    case 'channel':
      return (e) => e.channel;
    case 'host':
      return (e) => e.host;
    default:
      throw new Error(`Unknown event path "${path}".`);
  }
}

type Test = (value: string) => boolean;

function test(condition: WindowsCondition): Test | undefined {
  if (condition === true) return undefined;
  if (Array.isArray(condition)) {
    const values = new Set(condition.map((v) => String(v).toLowerCase()));
    return (v) => values.has(v.toLowerCase());
  }
  if ('prefix' in condition) return (v) => condition.prefix.some((p) => v.startsWith(p));
  const re = new RegExp(condition.pattern);
  return (v) => re.test(v);
}

interface CompiledSource {
  get: Getter;
  regex?: RegExp;
  parse?: 'hex' | 'int';
}

/** A rule ready to run: conditions and fact sources compiled once. */
export interface CompiledWindowsRule extends WindowsRule {
  conditions: { field: string; get: Getter; test: Test | undefined }[];
  sources: Partial<Record<WindowsFactName, CompiledSource[]>>;
  /** The event ids this rule can match (from `when.eventId`). */
  eventIds: number[];
}

function compileSource(source: WindowsFactSource): CompiledSource {
  if (typeof source === 'string') return { get: getter(source) };
  const out: CompiledSource = { get: getter(source.field) };
  if (source.regex !== undefined) out.regex = new RegExp(source.regex);
  if (source.parse !== undefined) out.parse = source.parse;
  return out;
}

function compile(rule: WindowsRule): CompiledWindowsRule {
  const sources: Partial<Record<WindowsFactName, CompiledSource[]>> = {};
  for (const [fact, list] of Object.entries(rule.facts) as [WindowsFactName, WindowsFactSource[]][])
    sources[fact] = list.map(compileSource);
  const ids = rule.when.eventId;
  return {
    ...rule,
    conditions: Object.entries(rule.when).map(([field, c]) => ({
      field,
      get: getter(field),
      test: test(c),
    })),
    sources,
    eventIds: Array.isArray(ids) ? ids.map(Number) : [],
  };
}

function checkIds(rules: readonly WindowsRule[], file: string): DataIssue[] {
  const issues: DataIssue[] = [];
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    if (seen.has(rule.id))
      issues.push({ file, path: `rules[${i}].id`, message: `the id "${rule.id}" is used twice` });
    seen.add(rule.id);
  });
  return issues;
}

/**
 * Checks a parsed rules file. Sub-category ids are checked against data/matrices/windows.json
 * by the schema; every problem is returned at once, located.
 */
export function parseWindowsRuleSet(
  value: unknown,
  file: string,
): { ok: true; rules: CompiledWindowsRule[] } | { ok: false; issues: DataIssue[] } {
  const parsed = parseData(WindowsRuleSetSchema, value, file);
  if (!parsed.ok) return parsed;
  const issues = checkIds(parsed.data.rules, file);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, rules: parsed.data.rules.map(compile) };
}

/**
 * Loads and checks the Windows rules; throws `DataValidationError` with every problem.
 * @example const rules = await loadWindowsRules()
 */
export async function loadWindowsRules(
  file: string = WINDOWS_RULES_FILE,
  read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<CompiledWindowsRule[]> {
  const json = parseJsonText(await read(file), file);
  if (!json.ok) throw new DataValidationError(json.issues);
  const result = parseWindowsRuleSet(json.value, file);
  if (!result.ok) throw new DataValidationError(result.issues);
  return result.rules;
}

/** Whether every condition of the rule holds for the event, and the event is from its source. */
export function windowsRuleApplies(rule: CompiledWindowsRule, event: WindowsEvent): boolean {
  if (event.kind !== rule.source) return false;
  for (const c of rule.conditions) {
    const v = c.get(event);
    if (v === undefined || v === '') return false;
    if (c.test !== undefined && !c.test(String(v))) return false;
  }
  return true;
}

/**
 * The rules indexed by source and event id, so an event is tried only against the rules that can
 * apply to it.
 */
export class WindowsRuleIndex {
  readonly rules: readonly CompiledWindowsRule[];
  #byKey = new Map<string, CompiledWindowsRule[]>();

  constructor(rules: readonly CompiledWindowsRule[]) {
    this.rules = rules;
    for (const rule of rules)
      for (const id of rule.eventIds) {
        const key = `${rule.source}:${id}`;
        const list = this.#byKey.get(key);
        if (list === undefined) this.#byKey.set(key, [rule]);
        else list.push(rule);
      }
  }

  /** The rules that apply to the event, in file order. */
  match(event: WindowsEvent): CompiledWindowsRule[] {
    const candidates = this.#byKey.get(`${event.kind}:${event.eventId}`);
    if (candidates === undefined) return [];
    return candidates.filter((r) => windowsRuleApplies(r, event));
  }
}

export type FactValue = string | number | (string | number)[];

function readSource(source: CompiledSource, event: WindowsEvent): string | number | undefined {
  const raw = source.get(event);
  if (raw === undefined || raw === '' || raw === '-') return undefined;
  let text = String(raw);
  if (source.regex !== undefined) {
    const m = source.regex.exec(text);
    if (m?.[1] === undefined) return undefined;
    text = m[1];
  }
  if (source.parse === 'hex') {
    const n = Number.parseInt(text.replace(/^0x/i, ''), 16);
    return Number.isNaN(n) ? undefined : n;
  }
  if (source.parse === 'int') {
    const n = Number.parseInt(text, 10);
    return Number.isNaN(n) ? undefined : n;
  }
  return text;
}

/**
 * The facts the rule reads from the event (`-`, Windows' "none", counts as absent).
 * @example extractWindowsFacts(rule, event) // { pid: 3112, executable: 'C:\\Windows\\System32\\sc.exe' }
 */
export function extractWindowsFacts(
  rule: CompiledWindowsRule,
  event: WindowsEvent,
): Partial<Record<WindowsFactName, FactValue>> {
  const out: Partial<Record<WindowsFactName, FactValue>> = {};
  for (const [fact, sources] of Object.entries(rule.sources) as [
    WindowsFactName,
    CompiledSource[],
  ][]) {
    if (rule.collect.includes(fact)) {
      const all = sources.map((s) => readSource(s, event)).filter((v) => v !== undefined);
      if (all.length > 0) out[fact] = all;
      continue;
    }
    for (const s of sources) {
      const v = readSource(s, event);
      if (v !== undefined) {
        out[fact] = v;
        break;
      }
    }
  }
  return out;
}

/** The required facts (or alternatives, joined with "|") the event does not carry. */
export function absentRequired(
  rule: WindowsRule,
  facts: Partial<Record<WindowsFactName, FactValue>>,
): string[] {
  const absent: string[] = [];
  for (const need of rule.required) {
    const options = Array.isArray(need) ? need : [need];
    if (!options.some((f) => facts[f] !== undefined)) absent.push(options.join('|'));
  }
  return absent;
}

/** The event fields a rule reads (conditions and fact sources), for examples. */
export function ruleFields(rule: WindowsRule): string[] {
  const fields = new Set<string>(Object.keys(rule.when));
  for (const list of Object.values(rule.facts))
    for (const s of list ?? []) fields.add(typeof s === 'string' ? s : s.field);
  return [...fields];
}

/**
 * The rules no real capture here exercises, with the documented schema each was written from: what
 * the methodology page lists as "written from the documentation, not yet seen in a capture".
 */
export function unexercisedWindowsRules(
  rules: readonly WindowsRule[],
): { id: string; subCategory: string; source: string; documentedSchema: string }[] {
  return rules
    .filter((r) => r.notExercisedHere === true)
    .map((r) => ({
      id: r.id,
      subCategory: r.subCategory,
      source: r.source,
      documentedSchema: r.documentedSchema ?? '',
    }));
}
