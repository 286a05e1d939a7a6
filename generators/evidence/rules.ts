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
import { extractFact } from './facts.ts';
import type { InputFormat } from './readers/capture.ts';
import { INPUT_FORMATS } from './readers/capture.ts';
import { type Doc, getField } from './readers/fields.ts';
import { type FactName, type Rule, type RuleSet, RuleSetSchema } from './rules.schema.ts';

export const RULES_DIR = fileURLToPath(new URL('./rules/', import.meta.url));
const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));

type Condition =
  | { field: string; kind: 'equals'; values: Set<string> }
  | { field: string; kind: 'present' }
  | { field: string; kind: 'prefix'; prefixes: string[] }
  | { field: string; kind: 'pattern'; re: RegExp };

/** A rule ready to run: conditions precompiled for the hot loop. */
export interface CompiledRule extends Rule {
  conditions: Condition[];
}

export type RuleSets = Record<InputFormat, CompiledRule[]>;

function compile(rule: Rule): CompiledRule {
  return {
    ...rule,
    conditions: Object.entries(rule.when).map(([field, v]): Condition => {
      if (v === true) return { field, kind: 'present' };
      if (Array.isArray(v))
        return { field, kind: 'equals', values: new Set(v.map((x) => String(x).toLowerCase())) };
      if ('prefix' in v) return { field, kind: 'prefix', prefixes: v.prefix };
      return { field, kind: 'pattern', re: new RegExp(v.pattern) };
    }),
  };
}

function holds(c: Condition, value: unknown): boolean {
  if (Array.isArray(value)) return value.some((v) => holds(c, v));
  switch (c.kind) {
    case 'present':
      return true;
    case 'equals':
      return c.values.has(String(value).toLowerCase());
    case 'prefix': {
      const s = String(value);
      return c.prefixes.some((p) => s.startsWith(p));
    }
    case 'pattern':
      return c.re.test(String(value));
  }
}

/** Whether every condition of the rule holds for the event. */
export function ruleApplies(rule: CompiledRule, doc: Doc): boolean {
  for (const c of rule.conditions) {
    const v = getField(doc, c.field);
    if (v === undefined || v === null || v === '') return false;
    if (c.kind !== 'present' && !holds(c, v)) return false;
  }
  return true;
}

/** All facts the rule knows how to read from this event. */
export function factsOf(rule: Rule, doc: Doc): Partial<Record<FactName, unknown>> {
  const out: Partial<Record<FactName, unknown>> = {};
  for (const [name, sources] of Object.entries(rule.facts) as [
    FactName,
    Rule['facts'][FactName],
  ][]) {
    if (sources === undefined) continue;
    const v = extractFact(doc, sources, rule.collect.includes(name));
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
 * Loads `rules/<format>.json` for every input format. Throws `DataValidationError` listing every
 * problem in every file.
 */
export async function loadRuleSets(
  options: { dir?: string; dataDir?: string } = {},
): Promise<RuleSets> {
  const dir = options.dir ?? RULES_DIR;
  const known = new Set(await linuxSubCategories(options.dataDir ?? DATA_DIR));
  const issues: DataIssue[] = [];
  const out = {} as RuleSets;
  for (const format of INPUT_FORMATS) {
    const file = join(dir, `${format}.json`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      issues.push({ file, message: 'the rules file cannot be read; it ships with the tool.' });
      continue;
    }
    const json = parseJsonText(text, file);
    if (!json.ok) {
      issues.push(json.issue);
      continue;
    }
    const result = parseRuleSet(json.value, file, known);
    if (!result.ok) {
      issues.push(...result.issues);
      continue;
    }
    if (result.rules.format !== format) {
      issues.push({
        file,
        path: 'format',
        message: `the file is for "${result.rules.format}", not "${format}".`,
      });
      continue;
    }
    out[format] = result.rules.rules.map(compile);
  }
  if (issues.length > 0) throw new DataValidationError(issues);
  return out;
}
