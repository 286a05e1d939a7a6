/**
 * The matcher: streams captures once, classifies every event with the rules of its format, and
 * ties events to manifest targets by exact keys (pid, path, memfd name, ports) inside the run's
 * time window, then decides per sub-category: observed, partially, not observed, not testable.
 * Memory stays bounded: only each target's best event is kept, never the capture.
 */
import type { Verdict } from './evidence-file.schema.ts';
import { DISCRIMINATING_FACTS, FACTS, factAgrees, factFields } from './facts.ts';
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
  /** Actions no event recorded, in words ("the UDP datagram sent from ... to ..."). */
  missing: string[];
  /** Each fact recorded with a value the action never had: the action, the fact, both values. */
  wrongValues: { action: string; fact: string; got: unknown; want: unknown[] }[];
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
  // What tells the action from its neighbours (ptrace request, direction, protocol, outcome):
  // when the event says it, it must agree.
  for (const name of DISCRIMINATING_FACTS) {
    const expected = target.expected[name];
    const actual = facts[name];
    if (expected === undefined || actual === undefined) continue;
    if (!factAgrees(name, actual, expected)) return false;
  }
  return true;
}

/** Port 0 is "any port": a bind to port 0 (auditd's SADDR) does not say which port was given. */
function unknownValue(name: FactName, actual: unknown): boolean {
  return (
    name === 'ports' && (Array.isArray(actual) ? actual : [actual]).every((v) => Number(v) === 0)
  );
}

/**
 * The acceptable values of a fact for an event at `timeMs`: the action's own, plus the file's
 * later states that existed before the event (a sensor that hashes on close sees later content).
 */
function expectedAt(
  target: Target,
  name: FactName,
  timeMs: number | undefined,
): unknown[] | undefined {
  const own = target.expected[name];
  if (own === undefined || target.states === undefined) return own;
  const later = target.states
    .filter((s) => timeMs === undefined || s.atMs <= timeMs)
    .flatMap((s) => s.expected[name] ?? []);
  return later.length === 0 ? own : [...own, ...later];
}

function evaluate(
  rule: CompiledRule,
  facts: Candidate['facts'],
  target: Target,
  timeMs: number | undefined,
) {
  const checks: Record<string, Check> = {};
  let ok = 0;
  let wrong = 0;
  for (const entry of rule.required) {
    const names = Array.isArray(entry) ? entry : [entry];
    let check: Check = 'absent';
    for (const name of names) {
      const actual = facts[name];
      if (actual === undefined || unknownValue(name, actual)) continue;
      const expected = expectedAt(target, name, timeMs);
      // A value the manifest does not know (a fuzzy hash) is accepted as present.
      if (expected === undefined || factAgrees(name, actual, expected)) {
        check = 'ok';
        break;
      }
      // An argv that does not hold the script (a file run by path, a script on stdin) does not
      // record the text wrongly: it does not record it at all.
      if (FACTS[name].compare !== 'contains' && check === 'absent') check = 'wrong';
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

/** Candidates kept per action: enough for a neighbour to take the best one and leave the next. */
const KEEP = 6;

function keep(store: Map<Target, Candidate[]>, target: Target, candidate: Candidate): void {
  const list = store.get(target) ?? [];
  let i = list.findIndex((c) => better(candidate, c, target));
  if (i === -1) i = list.length;
  if (i >= KEEP) return;
  list.splice(i, 0, candidate);
  if (list.length > KEEP) list.pop();
  store.set(target, list);
}

/** One event per action per sub-category, best pairs first. */
function assign(
  targets: readonly Target[],
  store: Map<Target, Candidate[]>,
): Map<Target, Candidate> {
  const pairs: { target: Target; candidate: Candidate; order: number }[] = [];
  targets.forEach((target, order) => {
    for (const candidate of store.get(target) ?? []) pairs.push({ target, candidate, order });
  });
  const distance = (p: (typeof pairs)[number]) =>
    Math.abs((p.candidate.event.timeMs ?? p.target.atMs) - p.target.atMs);
  // An event that falls inside another run exercising the same sub-category belongs to that run
  // first (consecutive runs' test accounts share a uid, and a sensor may name the wrong account);
  // a late event after the run's own end (a hash on close) is not held back.
  const runs = new Map<string, { runId: string; startMs: number; endMs: number }[]>();
  for (const t of targets) {
    const list = runs.get(t.subCategory) ?? [];
    if (!list.some((r) => r.runId === t.runId))
      list.push({ runId: t.runId, startMs: t.startMs, endMs: t.endMs });
    runs.set(t.subCategory, list);
  }
  const outside = (p: (typeof pairs)[number]) => {
    const t = p.candidate.event.timeMs;
    if (t === undefined) return 0;
    return (runs.get(p.target.subCategory) ?? []).some(
      (r) => r.runId !== p.target.runId && t >= r.startMs && t <= r.endMs,
    )
      ? 1
      : 0;
  };
  pairs.sort(
    (a, b) =>
      outside(a) - outside(b) ||
      b.candidate.ok - a.candidate.ok ||
      a.candidate.wrong - b.candidate.wrong ||
      distance(a) - distance(b) ||
      a.order - b.order,
  );
  const out = new Map<Target, Candidate>();
  const used = new Set<string>();
  for (const { target, candidate } of pairs) {
    if (out.has(target)) continue;
    const id = `${target.subCategory} ${candidate.event.source}:${candidate.event.line}`;
    if (used.has(id)) continue;
    used.add(id);
    out.set(target, candidate);
  }
  return out;
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
    missing: [],
    wrongValues: [],
  };
  if (outcomes.length === 0 || untestable?.generators.length === 0) {
    const why = (untestable?.reason ?? 'no generator in the manifest exercises it').replace(
      /\.+$/,
      '',
    );
    base.verdict = 'not-testable';
    base.reason = `Not tested: ${why}.`;
    base.actions = { total: outcomes.length, observed: 0, partial: 0, missing: 0 };
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
  const { total, observed } = base.actions;
  const recorded = observed + base.actions.partial;
  const label = (n: string) =>
    n
      .split('|')
      .map((f) => FACTS[f as FactName]?.label ?? f)
      .join(' or ');
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const missing = outcomes.filter((o) => o.outcome === 'missing');
  base.missing = missing.map((o) => o.target.description);
  for (const o of matched) {
    const best = o.best as Candidate;
    for (const [name, check] of Object.entries(best.checks)) {
      if (check !== 'wrong') continue;
      const fact = name.split('|')[0] as FactName;
      base.wrongValues.push({
        action: o.target.description,
        fact: name,
        got: best.facts[fact],
        want: expectedAt(o.target, fact, best.event.timeMs) ?? [],
      });
    }
  }
  if (recorded === 0) {
    base.verdict = 'not-observed';
    base.reason =
      rulesForSub.length === 0
        ? `No: the capture format cannot carry it: its rules map no event to this sub-category (${plural(total, 'action')} exercised it).`
        : `No: the sensor recorded none of the ${plural(total, 'action')} that exercised it: ${sentenceList(base.missing)} ${total === 1 ? 'was' : 'were'} not recorded.`;
    return base;
  }
  if (observed === total) {
    base.verdict = 'observed';
    base.reason = `Yes: all ${plural(total, 'action')} recorded, each with every required fact right.`;
    return base;
  }
  base.verdict = 'partially';
  const parts: string[] = [];
  if (missing.length > 0)
    parts.push(
      `${sentenceList(base.missing)} ${missing.length === 1 ? 'was' : 'were'} not recorded`,
    );
  for (const [name, count] of Object.entries(base.absent)) {
    const lacking = matched
      .filter((o) => o.best?.checks[name] === 'absent')
      .map((o) => o.target.description);
    parts.push(
      count === total
        ? `the ${label(name)} is absent from all ${count} recorded`
        : `the ${label(name)} is absent for ${count} of ${plural(total, 'action')} (${firstFew(lacking)})`,
    );
  }
  for (const w of base.wrongValues) {
    parts.push(
      `the ${label(w.fact)} of ${w.action} is wrong: recorded ${describeValue(w.got)}, the action's was ${w.want.map(describeValue).join(' or ')}`,
    );
  }
  base.reason = `Partially: ${observed} of ${plural(total, 'action')} recorded with every required fact right; ${parts.join('; ')}.`;
  return base;
}

/** Up to eight items joined by "; ", then how many more. */
function firstFew(items: readonly string[]): string {
  const shown = items.slice(0, 8).join('; ');
  return items.length > 8 ? `${shown}; and ${items.length - 8} more` : shown;
}

/** "a", "a and b", "a, b and c". */
function sentenceList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
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
  const candidates = new Map<Target, Candidate[]>();
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
      // An event two rules of one sub-category apply to (by name and by uid) is one event.
      let counted: string[] | undefined;
      indexes[event.format].forEachApplying(event.doc, (rule) => {
        let cls = classes.get(rule.subCategory);
        if (cls === undefined) {
          cls = { subCategory: rule.subCategory, events: 0, rules: {} };
          classes.set(rule.subCategory, cls);
        }
        if (counted === undefined) counted = [rule.subCategory];
        else if (!counted.includes(rule.subCategory)) counted.push(rule.subCategory);
        else cls.events--;
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
          const { checks, ok, wrong } = evaluate(rule, facts, target, t);
          const candidate: Candidate = {
            rule,
            event: { source: event.source, line: event.line, timeMs: t, format: event.format },
            doc: event.doc,
            facts,
            checks,
            ok,
            wrong,
          };
          keep(candidates, target, candidate);
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

  // Each event proves at most one action of a sub-category: the best pairs are taken first
  // (most facts right, fewest wrong, closest in time), so a creation event is never also the
  // append's, and a client's connect never also the server's accept.
  const best = assign(targets, candidates);
  const outcomes: TargetOutcome[] = targets.map((target) => {
    const b = best.get(target);
    if (b === undefined) return { target, outcome: 'missing' };
    return { target, outcome: b.ok === b.rule.required.length ? 'observed' : 'partial', best: b };
  });
  const nothingRecorded = stats.every((c) => c.events === 0);
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
            nothingRecorded && captures.length > 0
              ? {
                  subCategory: sub,
                  generators: [],
                  reason:
                    'the capture holds no event at all, so the sensor was not running or not exporting while the generators ran',
                }
              : options.untestable?.find((u) => u.subCategory === sub),
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
