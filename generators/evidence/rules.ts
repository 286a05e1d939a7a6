/**
 * Loads and checks the rules files (`rule-engine.ts` evaluates them on events). Rules are data so a contributor
 * can map another EDR's export without touching code; every id they name is checked against the
 * project's taxonomy (data/matrices/linux.json) when they load.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCoreData, matrixRows } from '../../scoring/dataset.ts';
import { type DataIssue, DataValidationError, parseData } from '../../scoring/issues.ts';
import { parseJsonText } from '../../scoring/json-file.ts';
import { INPUT_FORMATS, type InputFormat } from './readers/capture.ts';
import { compileRule, type RuleSets } from './rule-engine.ts';
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
