/**
 * The matcher: streams captures once, classifies every event with the rules of its format, and
 * ties events to manifest targets by exact keys (pid, path, memfd name, ports) inside the run's
 * time window, then decides per sub-category: observed, partially, not observed, not testable.
 * Memory stays bounded: only each target's best event is kept, never the capture.
 */
import type { Verdict } from './evidence-file.schema.ts';
import { FACTS, factAgrees, factFields } from './facts.ts';
import {
  type CaptureEvent,
  type CaptureSummary,
  type InputFormat,
  readCapture,
} from './readers/capture.ts';
import { compileField, type Doc } from './readers/fields.ts';
import type { FactName } from './rules.schema.ts';
import { type CompiledRule, factsOf, RuleIndex, type RuleSets } from './rules.ts';
import type { Target, Untestable } from './targets.ts';

export type { Verdict } from './evidence-file.schema.ts';

type Check = 'ok' | 'absent' | 'wrong';

interface Candidate {
  rule: CompiledRule;
  event: { source: string; line: number; timeMs: number | undefined; format: InputFormat };
  doc: Doc;
  facts: Partial<Record<FactName, unknown>>;
  /** Per required entry (alternatives joined by "|"). */
  checks: Record<string, Check>;
  ok: number;
  wrong: number;
}

interface TargetOutcome {
  target: Target;
  outcome: 'observed' | 'partial' | 'missing';
  best?: Candidate;
}

export interface SubCategoryVerdict {
  subCategory: string;
  verdict: Verdict;
  /** One or two sentences: what was seen, what is missing. */
  reason: string;
  generators: string[];
  actions: { total: number; observed: number; partial: number; missing: number };
  /** Required facts absent on matched events, with counts. */
  absent: Partial<Record<string, number>>;
  /** Required facts present but different from the manifest, with one example. */
  wrong: Partial<Record<string, { count: number; got: unknown; want: unknown[] }>>;
  /** Events of this sub-category from the generators' processes that match no manifest action. */
  unexpected: number;
  /** Field names that prove it (from the best event), e.g. ["event.action", "process.Ext.memfd.name"]. */
  proof: string[];
  rules: string[];
  /** Up to three matched events (raw; sanitise before printing). */
  samples: { source: string; line: number; rule: string; doc: Doc; fields: string[] }[];
}

export interface ClassCount {
  subCategory: string;
  events: number;
  rules: Record<string, number>;
  /** First event seen, its proving fields. */
  example?: { source: string; line: number; doc: Doc; fields: string[] };
}

export interface CaptureStats extends CaptureSummary {
  firstMs?: number;
  lastMs?: number;
  /** Events whose time is inside a run's window (widened by the skew). */
  inWindow: number;
  hosts: string[];
}

export interface MatchResult {
  captures: CaptureStats[];
  classes: ClassCount[];
  outcomes: TargetOutcome[];
  verdicts: SubCategoryVerdict[];
  /** Why nothing matched, when nothing did: clock, host, filter. */
  diagnosis: string[];
  skewMs: number;
}

export interface MatchOptions {
  rules: RuleSets;
  format?: InputFormat | undefined;
  /** Clock difference tolerated between the manifest and the sensor (ms). */
  skewMs?: number | undefined;
  targets?: readonly Target[];
  untestable?: readonly Untestable[];
  /** All sub-category ids, in the order verdicts are reported. */
  subCategories?: readonly string[];
  /** Pids of every process the generators ran (for "unexpected" events). */
  generatorPids?: ReadonlySet<number>;
  /** Host name of the manifest, to diagnose captures from another host. */
  hostname?: string;
  onProgress?: (message: string) => void;
}

const HOST_FIELDS = ['host.name', 'host.hostname'].map(compileField);
/** Host names are sampled, not read from every event: one capture rarely mixes hosts. */
const HOST_SAMPLE_EVERY = 997;
const reqKey = (entry: FactName | FactName[]) => (Array.isArray(entry) ? entry.join('|') : entry);

function keysAgree(rule: CompiledRule, facts: Candidate['facts'], target: Target): boolean {
  for (const key of rule.keys) {
    const expected = target.expected[key];
    if (expected === undefined) return false;
    if (!factAgrees(key, facts[key], expected)) return false;
  }
  return true;
}

function evaluate(rule: CompiledRule, facts: Candidate['facts'], target: Target) {
  const checks: Record<string, Check> = {};
  let ok = 0;
  let wrong = 0;
  for (const entry of rule.required) {
    const names = Array.isArray(entry) ? entry : [entry];
    let check: Check = 'absent';
    for (const name of names) {
      const actual = facts[name];
      if (actual === undefined) continue;
      const expected = target.expected[name];
      // A value the manifest does not know (a fuzzy hash) is accepted as present.
      if (expected === undefined || factAgrees(name, actual, expected)) {
        check = 'ok';
        break;
      }
      check = 'wrong';
    }
    checks[reqKey(entry)] = check;
    if (check === 'ok') ok++;
    else if (check === 'wrong') wrong++;
  }
  return { checks, ok, wrong };
}

function better(a: Candidate, b: Candidate | undefined, target: Target): boolean {
  if (b === undefined) return true;
  if (a.ok !== b.ok) return a.ok > b.ok;
  if (a.wrong !== b.wrong) return a.wrong < b.wrong;
  const da = Math.abs((a.event.timeMs ?? target.atMs) - target.atMs);
  const db = Math.abs((b.event.timeMs ?? target.atMs) - target.atMs);
  return da < db;
}

/** The fields of `doc` that a rule used: its conditions and the facts it read. */
function proofFields(rule: CompiledRule, doc: Doc): string[] {
  const out = new Set<string>(rule.conditions.map((c) => c.field));
  const facts = new Set<FactName>([...rule.keys, ...rule.required.flat()]);
  for (const fact of facts) {
    const sources = rule.facts[fact];
    if (sources !== undefined) for (const f of factFields(doc, sources)) out.add(f);
  }
  return [...out];
}

function describeValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function verdictFor(
  sub: string,
  outcomes: TargetOutcome[],
  untestable: Untestable | undefined,
  rulesForSub: string[],
  unexpected: number,
): SubCategoryVerdict {
  const generators = [...new Set(outcomes.map((o) => o.target.generator))];
  const base: SubCategoryVerdict = {
    subCategory: sub,
    verdict: 'not-testable',
    reason: '',
    generators: untestable?.generators ?? generators,
    actions: { total: outcomes.length, observed: 0, partial: 0, missing: 0 },
    absent: {},
    wrong: {},
    unexpected,
    proof: [],
    rules: [],
    samples: [],
  };
  if (outcomes.length === 0) {
    const why = (untestable?.reason ?? 'no generator in the manifest exercises it').replace(
      /\.+$/,
      '',
    );
    base.reason = `Not testable here: ${why}.`;
    return base;
  }
  const matched = outcomes.filter((o) => o.best !== undefined);
  for (const o of outcomes) base.actions[o.outcome]++;
  for (const o of matched) {
    const best = o.best as Candidate;
    for (const [name, check] of Object.entries(best.checks)) {
      if (check === 'absent') base.absent[name] = (base.absent[name] ?? 0) + 1;
      if (check === 'wrong') {
        const w = base.wrong[name] ?? {
          count: 0,
          got: best.facts[name.split('|')[0] as FactName],
          want: o.target.expected[name.split('|')[0] as FactName] ?? [],
        };
        w.count++;
        base.wrong[name] = w;
      }
    }
  }
  const ordered = [...matched].sort(
    (a, b) => (b.best?.ok ?? 0) - (a.best?.ok ?? 0) || (a.best?.wrong ?? 0) - (b.best?.wrong ?? 0),
  );
  const seenLines = new Set<string>();
  for (const o of ordered) {
    const best = o.best as Candidate;
    const id = `${best.event.source}:${best.event.line}`;
    if (seenLines.has(id)) continue;
    seenLines.add(id);
    if (base.samples.length < 3) {
      base.samples.push({
        source: best.event.source,
        line: best.event.line,
        rule: best.rule.id,
        doc: best.doc,
        fields: proofFields(best.rule, best.doc),
      });
    }
  }
  base.rules = [...new Set(matched.map((o) => (o.best as Candidate).rule.id))];
  base.proof = base.samples[0]?.fields ?? [];
  const { total, observed, partial } = base.actions;
  const recorded = observed + partial;
  const wrongNames = Object.keys(base.wrong);
  const absentNames = Object.keys(base.absent);
  const label = (n: string) =>
    n
      .split('|')
      .map((f) => FACTS[f as FactName]?.label ?? f)
      .join(' or ');
  const factList = (names: string[]) => names.map(label).join(', ');
  if (recorded === 0) {
    base.verdict = 'not-observed';
    base.reason =
      rulesForSub.length === 0
        ? `Not observed: the rules for this capture format map no event to it, so the format does not carry it (${total} action${total === 1 ? '' : 's'} exercised it).`
        : `Not observed: none of the ${total} action${total === 1 ? '' : 's'} that exercised it has a matching event (rules ${rulesForSub.join(', ')}) in the run's time window.`;
    return base;
  }
  if (observed > 0 && wrongNames.length === 0) {
    base.verdict = 'observed';
    base.reason =
      `Observed: ${observed} of ${total} action${total === 1 ? '' : 's'} recorded with every required field` +
      (absentNames.length > 0 ? `; ${partial} more without the ${factList(absentNames)}.` : '.');
    return base;
  }
  base.verdict = 'partially';
  const parts: string[] = [];
  if (absentNames.length > 0)
    parts.push(`the ${factList(absentNames)} ${absentNames.length === 1 ? 'is' : 'are'} absent`);
  for (const [name, w] of Object.entries(base.wrong)) {
    parts.push(
      `the ${label(name)} differs on ${w?.count} (got ${describeValue(w?.got)}, expected ${describeValue(w?.want[0])})`,
    );
  }
  base.reason = `Partially: ${recorded} of ${total} action${total === 1 ? '' : 's'} recorded, but ${parts.join('; ')}.`;
  return base;
}

/**
 * Reads every capture once and returns per-target outcomes, per-sub-category verdicts and the
 * classification counts. Without targets it only classifies (`evidence classify`).
 */
export async function matchCaptures(
  captures: readonly string[],
  options: MatchOptions,
): Promise<MatchResult> {
  const skewMs = options.skewMs ?? 5000;
  const targets = options.targets ?? [];
  const bySub = new Map<string, { targets: Target[]; from: number; to: number }>();
  for (const t of targets) {
    const e = bySub.get(t.subCategory) ?? { targets: [], from: Infinity, to: -Infinity };
    e.targets.push(t);
    e.from = Math.min(e.from, t.startMs - skewMs);
    e.to = Math.max(e.to, t.endMs + skewMs);
    bySub.set(t.subCategory, e);
  }
  const windowFrom = Math.min(...targets.map((t) => t.startMs - skewMs));
  const windowTo = Math.max(...targets.map((t) => t.endMs + skewMs));
  const best = new Map<Target, Candidate>();
  const classes = new Map<string, ClassCount>();
  const unexpected = new Map<string, number>();
  const stats: CaptureStats[] = [];
  const indexes = {
    ecs: new RuleIndex(options.rules.ecs),
    laurel: new RuleIndex(options.rules.laurel),
    csv: new RuleIndex(options.rules.csv),
  };

  for (const path of captures) {
    options.onProgress?.(`Reading ${path}...`);
    let firstMs: number | undefined;
    let lastMs: number | undefined;
    let inWindow = 0;
    const hosts = new Set<string>();
    const onEvent = (event: CaptureEvent) => {
      const t = event.timeMs;
      if (t !== undefined) {
        if (firstMs === undefined || t < firstMs) firstMs = t;
        if (lastMs === undefined || t > lastMs) lastMs = t;
        if (t >= windowFrom && t <= windowTo) inWindow++;
      }
      if (hosts.size < 5 && (hosts.size === 0 || event.line % HOST_SAMPLE_EVERY === 0)) {
        for (const get of HOST_FIELDS) {
          const h = get(event.doc);
          if (typeof h === 'string') hosts.add(h);
        }
      }
      indexes[event.format].forEachApplying(event.doc, (rule) => {
        let cls = classes.get(rule.subCategory);
        if (cls === undefined) {
          cls = { subCategory: rule.subCategory, events: 0, rules: {} };
          classes.set(rule.subCategory, cls);
        }
        cls.events++;
        cls.rules[rule.id] = (cls.rules[rule.id] ?? 0) + 1;
        if (cls.example === undefined) {
          cls.example = {
            source: event.source,
            line: event.line,
            doc: event.doc,
            fields: proofFields(rule, event.doc),
          };
        }
        const sub = bySub.get(rule.subCategory);
        if (sub === undefined) return;
        if (t !== undefined && (t < sub.from || t > sub.to)) return;
        const facts = factsOf(rule, event.doc);
        let matchedAny = false;
        for (const target of sub.targets) {
          if (t !== undefined && (t < target.startMs - skewMs || t > target.endMs + skewMs))
            continue;
          if (!keysAgree(rule, facts, target)) continue;
          matchedAny = true;
          const { checks, ok, wrong } = evaluate(rule, facts, target);
          const candidate: Candidate = {
            rule,
            event: { source: event.source, line: event.line, timeMs: t, format: event.format },
            doc: event.doc,
            facts,
            checks,
            ok,
            wrong,
          };
          if (better(candidate, best.get(target), target)) best.set(target, candidate);
        }
        if (!matchedAny && options.generatorPids !== undefined) {
          const pid = Number(facts.pid);
          if (options.generatorPids.has(pid)) {
            unexpected.set(rule.subCategory, (unexpected.get(rule.subCategory) ?? 0) + 1);
          }
        }
      });
    };
    const summary = await readCapture(path, { format: options.format }, onEvent);
    stats.push({
      ...summary,
      ...(firstMs === undefined ? {} : { firstMs }),
      ...(lastMs === undefined ? {} : { lastMs }),
      inWindow,
      hosts: [...hosts],
    });
  }

  // An event that fully proves one action is not evidence against another (a file's creation
  // event is not a wrong record of its later modification): drop such borrowed matches.
  const provedBy = new Set<string>();
  for (const [, c] of best) {
    if (c.ok === c.rule.required.length)
      provedBy.add(`${c.rule.subCategory} ${c.event.source}:${c.event.line}`);
  }
  for (const [target, c] of best) {
    if (c.wrong > 0 && provedBy.has(`${c.rule.subCategory} ${c.event.source}:${c.event.line}`)) {
      best.delete(target);
    }
  }
  const outcomes: TargetOutcome[] = targets.map((target) => {
    const b = best.get(target);
    if (b === undefined) return { target, outcome: 'missing' };
    return { target, outcome: b.ok === b.rule.required.length ? 'observed' : 'partial', best: b };
  });
  const order = options.subCategories ?? [...new Set(targets.map((t) => t.subCategory))];
  const formats = new Set(stats.map((s) => s.format).filter((f) => f !== undefined));
  const verdicts =
    targets.length === 0 && (options.untestable ?? []).length === 0
      ? []
      : order.map((sub) => {
          const rulesForSub = [...formats].flatMap((f) =>
            options.rules[f].filter((r) => r.subCategory === sub).map((r) => r.id),
          );
          return verdictFor(
            sub,
            outcomes.filter((o) => o.target.subCategory === sub),
            options.untestable?.find((u) => u.subCategory === sub),
            rulesForSub,
            unexpected.get(sub) ?? 0,
          );
        });
  const classOrder = options.subCategories ?? [...classes.keys()].sort();
  const result: MatchResult = {
    captures: stats,
    classes: classOrder.flatMap((s) => {
      const c = classes.get(s);
      return c === undefined ? [] : [c];
    }),
    outcomes,
    verdicts,
    diagnosis: [],
    skewMs,
  };
  if (targets.length > 0)
    result.diagnosis = diagnose(result, windowFrom, windowTo, options.hostname);
  return result;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** When the captures have nothing in the manifest's window, or nothing matched: say why. */
function diagnose(
  result: MatchResult,
  from: number,
  to: number,
  hostname: string | undefined,
): string[] {
  const out: string[] = [];
  const events = result.captures.reduce((n, c) => n + c.events, 0);
  const inWindow = result.captures.reduce((n, c) => n + c.inWindow, 0);
  const matched = result.outcomes.filter((o) => o.best !== undefined).length;
  if (events === 0) {
    out.push(
      'The captures hold no events at all: check that the sensor was running and exporting while the generators ran.',
    );
    return out;
  }
  if (inWindow === 0) {
    const firsts = result.captures.flatMap((c) => (c.firstMs === undefined ? [] : [c.firstMs]));
    const lasts = result.captures.flatMap((c) => (c.lastMs === undefined ? [] : [c.lastMs]));
    if (firsts.length === 0) {
      out.push(
        'No event carries a usable timestamp (@timestamp, or the LAUREL ID), so none can be placed in the manifest window.',
      );
    } else {
      const first = Math.min(...firsts);
      const last = Math.max(...lasts);
      const gap = last < from ? (from - last) / 1000 : (first - to) / 1000;
      out.push(
        `No event falls inside the manifest's time window (${iso(from)} to ${iso(to)}, with ${result.skewMs / 1000} s of clock skew allowed): the captures span ${iso(first)} to ${iso(last)}, ${gap.toFixed(1)} s ${last < from ? 'before' : 'after'} it.`,
      );
      out.push(
        "Likely causes: the sensor's clock and this host's differ (compare them; if so re-run with a larger --skew), the capture was exported for another time range, or the generators ran on another host.",
      );
    }
  }
  const hosts = [...new Set(result.captures.flatMap((c) => c.hosts))];
  if (hostname !== undefined && hosts.length > 0 && !hosts.includes(hostname)) {
    out.push(
      `The events name host(s) ${hosts.map((h) => `"${h}"`).join(', ')}, but the manifest was written on "${hostname}": check that the capture comes from the host the generators ran on.`,
    );
  }
  if (inWindow > 0 && matched === 0) {
    out.push(
      `The captures have ${inWindow} event(s) inside the window, but none is from a generator's process or names a generator's file, name or port: the export is probably filtered (by process, event type or host), or the rules for this format do not recognise the vendor's event names (try \`evidence classify\`).`,
    );
  }
  return out;
}
