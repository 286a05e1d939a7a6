/**
 * What a capture without a generator manifest shows (a pull request's event tables, a Windows
 * export): per sub-category, how many events map to it by the rules, which of their fields are
 * there, which required facts some lack, and one example. Nothing here is a verdict: without a
 * manifest there is no action to have recorded and no time window to have searched.
 */
import { basename } from 'node:path';
import type { Shown } from './package.schema.ts';
import { type InputFormat, readCapture } from './readers/capture.ts';
import { compileField } from './readers/fields.ts';
import { type CompiledRule, factsOf, RuleIndex, type RuleSets } from './rule-engine.ts';
import type { FactName } from './rules.schema.ts';
import { sanitizeEvent } from './sanitize.ts';
import { classifyWindowsEvents } from './windows/classify.ts';
import { openWindowsCapture } from './windows/detect.ts';
import type { SourceKind, WindowsEvent, WindowsLayout } from './windows/event.ts';
import type { CompiledWindowsRule } from './windows/rules.ts';

function add(record: Record<string, number>, key: string, n = 1): void {
  record[key] = (record[key] ?? 0) + n;
}

function presentFields(rule: CompiledRule, doc: Record<string, unknown>): string[] {
  const fields = new Set<string>();
  const has = (f: string) => compileField(f)(doc) !== undefined;
  for (const c of rule.conditions) if (has(c.field)) fields.add(c.field);
  for (const sources of Object.values(rule.facts))
    for (const s of sources ?? []) {
      // A bit mask is read from several boolean fields (the memfd flags).
      const paths = typeof s === 'string' ? [s] : [s.field, ...Object.keys(s.bits ?? {})];
      for (const field of paths) if (field !== undefined && has(field)) fields.add(field);
    }
  return [...fields];
}

function absent(rule: CompiledRule, facts: Partial<Record<FactName, unknown>>): string[] {
  return rule.required.flatMap((req) => {
    const alternatives = Array.isArray(req) ? req : [req];
    return alternatives.some((f) => facts[f] !== undefined) ? [] : [alternatives.join(' or ')];
  });
}

/** Linux captures (ECS, LAUREL, CSV): what each sub-category's events show. */
export async function linuxShown(
  captures: readonly { path: string; format?: InputFormat | undefined }[],
  rules: RuleSets,
  names: ReadonlyMap<string, string>,
): Promise<{ shown: Shown[]; stats: { file: string; events: number; malformed: number }[] }> {
  const indexes = {
    ecs: new RuleIndex(rules.ecs),
    laurel: new RuleIndex(rules.laurel),
    csv: new RuleIndex(rules.csv),
  };
  const bySub = new Map<string, Shown & { fieldSet: Set<string> }>();
  const stats: { file: string; events: number; malformed: number }[] = [];
  for (const capture of captures) {
    const summary = await readCapture(capture.path, { format: capture.format }, (e) => {
      const counted = new Set<string>();
      indexes[e.format].forEachApplying(e.doc, (rule) => {
        const fields = presentFields(rule, e.doc);
        let s = bySub.get(rule.subCategory);
        if (s === undefined) {
          s = {
            subCategory: rule.subCategory,
            name: names.get(rule.subCategory) ?? rule.subCategory,
            events: 0,
            fields: [],
            fieldSet: new Set(),
            absentRequired: {},
            sources: {},
            example: {
              capture: basename(e.source),
              line: e.line,
              fields: sanitizeEvent(e.doc, fields, { words: [] }),
            },
          };
          bySub.set(rule.subCategory, s);
        }
        for (const f of fields) s.fieldSet.add(f);
        if (counted.has(rule.subCategory)) return;
        counted.add(rule.subCategory);
        s.events++;
        add(s.sources, e.format);
        for (const fact of absent(rule, factsOf(rule, e.doc))) add(s.absentRequired, fact);
      });
    });
    stats.push({
      file: basename(capture.path),
      events: summary.events,
      malformed: summary.malformed,
    });
  }
  const shown = [...bySub.values()].map(({ fieldSet, ...s }) => ({ ...s, fields: [...fieldSet] }));
  return { shown, stats };
}

/**
 * Windows captures: what each sub-category's events show, over every host. `sources` limits the
 * events to those the product makes (Sysmon makes only its own; an EDR that forwards Windows' own
 * logs makes them all).
 */
export async function windowsShown(
  captures: readonly { path: string; layout?: WindowsLayout | undefined }[],
  rules: readonly CompiledWindowsRule[],
  sources: readonly SourceKind[] | undefined,
): Promise<{
  shown: Shown[];
  stats: { file: string; events: number; malformed: number }[];
  hosts: { host: string; events: number; first?: string; last?: string }[];
}> {
  const reads: Awaited<ReturnType<typeof openWindowsCapture>>[] = [];
  for (const c of captures) reads.push(await openWindowsCapture(c.path, { layout: c.layout }));
  async function* events(): AsyncGenerator<WindowsEvent> {
    for (const read of reads)
      for await (const e of read.events)
        if (sources === undefined || sources.includes(e.kind)) yield e;
  }
  const classification = await classifyWindowsEvents(events(), { rules });
  const bySub = new Map<string, Shown & { fieldSet: Set<string> }>();
  for (const host of classification.hosts)
    for (const c of host.subCategories) {
      let s = bySub.get(c.subCategory);
      const example = {
        capture: basename(c.example.origin.file),
        ...(c.example.origin.line === undefined ? {} : { line: c.example.origin.line }),
        fields: c.example.fields,
      };
      if (s === undefined) {
        s = {
          subCategory: c.subCategory,
          name: c.name,
          events: 0,
          fields: [],
          fieldSet: new Set(),
          absentRequired: {},
          sources: {},
          telemetry: c.telemetry,
          hosts: {},
          example,
        };
        bySub.set(c.subCategory, s);
      } else if (s.telemetry !== 'own' && c.telemetry === 'own') {
        s.telemetry = 'own';
        s.example = example;
      }
      s.events += c.events;
      add(s.hosts as Record<string, number>, host.host, c.events);
      for (const [k, n] of Object.entries(c.sources)) add(s.sources, k, n ?? 0);
      for (const [k, n] of Object.entries(c.absentRequired)) add(s.absentRequired, k, n);
      for (const f of Object.keys(c.example.fields)) s.fieldSet.add(f);
    }
  const shown = [...bySub.values()].map(({ fieldSet, ...s }) => ({ ...s, fields: [...fieldSet] }));
  return {
    shown,
    stats: reads.map((r) => ({
      file: basename(r.stats.file),
      events: r.stats.events,
      malformed: r.stats.malformed,
    })),
    hosts: classification.hosts.map((h) => ({
      host: h.host,
      events: h.events,
      ...(h.timeSpan === undefined ? {} : { first: h.timeSpan.first, last: h.timeSpan.last }),
    })),
  };
}
