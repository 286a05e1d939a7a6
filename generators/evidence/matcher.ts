/**
 * The matcher: streams captures once, classifies every event with the rules of its format, and
 * ties events to manifest targets by exact keys (pid, path, memfd name, ports) inside the run's
 * time window, then decides per sub-category: observed, partially, not observed, not testable.
 * Memory stays bounded: only each target's best event is kept, never the capture.
 */

import { stat } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import type { Verdict } from './evidence-file.schema.ts';
import { DISCRIMINATING_FACTS, FACTS, factAgrees, factFields } from './facts.ts';
import {
  addCounts,
  type CaptureEvent,
  type CaptureSummary,
  captureError,
  captureKind,
  type EventCounts,
  emptySummary,
  type InputFormat,
  jsonLinesReader,
  readCapture,
} from './readers/capture.ts';
import { compileField, type Doc } from './readers/fields.ts';
import { type Batch, forEachLine, readInParallel } from './readers/parallel.ts';
import type { ScanWorkerInit, ScanWorkerResult } from './readers/scan-worker.ts';
import { type CompiledRule, factsOf, RuleIndex, type RuleSets } from './rule-engine.ts';
import type { FactName } from './rules.schema.ts';
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
  /**
   * Worker threads for ECS and LAUREL captures; 1 reads on this thread. By default a capture of
   * at least `PARALLEL_MIN_BYTES` on disk is read by one worker per core (at most four).
   */
  threads?: number | undefined;
  /** Bytes of text per batch of a parallel read (tests make it small to cut many batches). */
  batchBytes?: number | undefined;
}

/** Below this a capture is read on the calling thread: starting workers costs more than it saves. */
export const PARALLEL_MIN_BYTES = 16 << 20;

/**
 * Threads for a capture when none are asked for: one per core (at most four) for a large capture
 * while the cores are free. On a machine already busier than its cores (load average above the
 * core count) a second thread was measured slower than one: it waits for a core while the
 * reading thread waits for its batches.
 */
async function defaultThreads(path: string): Promise<number> {
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  const cores = availableParallelism();
  if (size < PARALLEL_MIN_BYTES || cores < 2 || (loadavg()[0] ?? 0) >= cores) return 1;
  return Math.min(4, cores);
}
const BATCH_BYTES = 4 << 20;

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

/** What a scan needs to know, shared by every capture and by every chunk of a parallel read. */
export interface ScanPlan {
  rules: RuleSets;
  indexes: Record<InputFormat, RuleIndex>;
  targets: readonly Target[];
  bySub: Map<string, { targets: Target[]; from: number; to: number }>;
  skewMs: number;
  windowFrom: number;
  windowTo: number;
  generatorPids: ReadonlySet<number> | undefined;
}

/** The plan for these rules and targets (each thread of a parallel read builds its own). */
export function scanPlan(
  rules: RuleSets,
  targets: readonly Target[],
  skewMs: number,
  generatorPids: ReadonlySet<number> | undefined,
): ScanPlan {
  const bySub = new Map<string, { targets: Target[]; from: number; to: number }>();
  for (const t of targets) {
    const e = bySub.get(t.subCategory) ?? { targets: [], from: Infinity, to: -Infinity };
    e.targets.push(t);
    e.from = Math.min(e.from, t.startMs - skewMs);
    e.to = Math.max(e.to, t.endMs + skewMs);
    bySub.set(t.subCategory, e);
  }
  return {
    rules,
    indexes: {
      ecs: new RuleIndex(rules.ecs),
      laurel: new RuleIndex(rules.laurel),
      csv: new RuleIndex(rules.csv),
    },
    targets,
    bySub,
    skewMs,
    windowFrom: Math.min(...targets.map((t) => t.startMs - skewMs)),
    windowTo: Math.max(...targets.map((t) => t.endMs + skewMs)),
    generatorPids,
  };
}

/**
 * Host names a chunk of a parallel read saw, kept so that merging chunks in file order samples
 * exactly the events a single read samples: the first event with a host, and the sampled lines.
 */
interface ChunkHosts {
  first?: { line: number; names: string[] };
  sampled: [line: number, names: string[]][];
}

/** A chunk's sampled host lists stop once this many names are known (5 kept, 4 already seen). */
const CHUNK_HOST_NAMES = 10;

/** A candidate as it crosses threads: its rule by position in its format's rule list. */
type SerialCandidate = Omit<Candidate, 'rule'> & { rule: number };

/** Everything a scan of one chunk found, as plain data (structured-clonable). */
export interface ScanSnapshot {
  classes: ClassCount[];
  candidates: [target: number, candidates: SerialCandidate[]][];
  unexpected: [subCategory: string, count: number][];
  firstMs?: number;
  lastMs?: number;
  inWindow: number;
  hosts: ChunkHosts;
}

/**
 * Classification and matching state, fed one event at a time in file order. A single-threaded
 * read feeds every event of every capture to one scan; a parallel read gives each chunk a scan of
 * its own (`chunk: true`) and merges their snapshots into one scan in file order, with the same
 * result: counts add up, the first example and the first malformed lines stay first, and each
 * target's kept candidates are the same stable best-first list (ties keep the earlier event).
 */
export class Scan {
  readonly classes = new Map<string, ClassCount>();
  readonly candidates = new Map<Target, Candidate[]>();
  readonly unexpected = new Map<string, number>();
  firstMs: number | undefined;
  lastMs: number | undefined;
  inWindow = 0;
  hosts = new Set<string>();
  readonly #plan: ScanPlan;
  readonly #chunk: ChunkHosts | undefined;
  #chunkNames = new Set<string>();

  constructor(plan: ScanPlan, options: { chunk?: boolean } = {}) {
    this.#plan = plan;
    this.#chunk = options.chunk === true ? { sampled: [] } : undefined;
  }

  /** Starts the per-capture figures (time span, events in the window, hosts) afresh. */
  startCapture(): void {
    this.firstMs = undefined;
    this.lastMs = undefined;
    this.inWindow = 0;
    this.hosts = new Set();
  }

  readonly onEvent = (event: CaptureEvent): void => {
    const plan = this.#plan;
    const t = event.timeMs;
    if (t !== undefined) {
      if (this.firstMs === undefined || t < this.firstMs) this.firstMs = t;
      if (this.lastMs === undefined || t > this.lastMs) this.lastMs = t;
      if (t >= plan.windowFrom && t <= plan.windowTo) this.inWindow++;
    }
    this.#sampleHosts(event);
    // An event two rules of one sub-category apply to (by name and by uid) is one event.
    let counted: string[] | undefined;
    plan.indexes[event.format].forEachApplying(event.doc, (rule) => {
      let cls = this.classes.get(rule.subCategory);
      if (cls === undefined) {
        cls = { subCategory: rule.subCategory, events: 0, rules: {} };
        this.classes.set(rule.subCategory, cls);
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
      const sub = plan.bySub.get(rule.subCategory);
      if (sub === undefined) return;
      if (t !== undefined && (t < sub.from || t > sub.to)) return;
      const facts = factsOf(rule, event.doc);
      let matchedAny = false;
      for (const target of sub.targets) {
        if (t !== undefined && (t < target.startMs - plan.skewMs || t > target.endMs + plan.skewMs))
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
        keep(this.candidates, target, candidate);
      }
      if (!matchedAny && plan.generatorPids !== undefined) {
        const pid = Number(facts.pid);
        if (plan.generatorPids.has(pid)) {
          this.unexpected.set(rule.subCategory, (this.unexpected.get(rule.subCategory) ?? 0) + 1);
        }
      }
    });
  };

  #sampleHosts(event: CaptureEvent): void {
    const chunk = this.#chunk;
    if (chunk === undefined) {
      const hosts = this.hosts;
      if (hosts.size < 5 && (hosts.size === 0 || event.line % HOST_SAMPLE_EVERY === 0))
        for (const name of hostNames(event.doc)) hosts.add(name);
      return;
    }
    const sampled = event.line % HOST_SAMPLE_EVERY === 0;
    if (chunk.first !== undefined && (!sampled || this.#chunkNames.size >= CHUNK_HOST_NAMES))
      return;
    const names = hostNames(event.doc);
    if (names.length === 0) return;
    if (chunk.first === undefined) chunk.first = { line: event.line, names };
    if (sampled && names.some((n) => !this.#chunkNames.has(n))) {
      chunk.sampled.push([event.line, names]);
      for (const n of names) this.#chunkNames.add(n);
    }
  }

  /** This chunk's findings as plain data, for the thread that merges them. */
  snapshot(): ScanSnapshot {
    const targetIndex = new Map(this.#plan.targets.map((t, i) => [t, i]));
    return {
      classes: [...this.classes.values()],
      candidates: [...this.candidates].map(([target, list]) => [
        targetIndex.get(target) as number,
        list.map((c) => ({ ...c, rule: this.#plan.rules[c.event.format].indexOf(c.rule) })),
      ]),
      unexpected: [...this.unexpected],
      ...(this.firstMs === undefined ? {} : { firstMs: this.firstMs }),
      ...(this.lastMs === undefined ? {} : { lastMs: this.lastMs }),
      inWindow: this.inWindow,
      hosts: this.#chunk ?? { sampled: [] },
    };
  }

  /** Adds the next chunk's findings; chunks must come in file order. */
  merge(chunk: ScanSnapshot): void {
    const plan = this.#plan;
    for (const c of chunk.classes) {
      const cls = this.classes.get(c.subCategory);
      if (cls === undefined) {
        this.classes.set(c.subCategory, c);
        continue;
      }
      cls.events += c.events;
      for (const [id, n] of Object.entries(c.rules)) cls.rules[id] = (cls.rules[id] ?? 0) + n;
      if (cls.example === undefined && c.example !== undefined) cls.example = c.example;
    }
    for (const [index, list] of chunk.candidates) {
      const target = plan.targets[index] as Target;
      for (const c of list) {
        const rule = plan.rules[c.event.format][c.rule] as CompiledRule;
        keep(this.candidates, target, { ...c, rule });
      }
    }
    for (const [sub, n] of chunk.unexpected)
      this.unexpected.set(sub, (this.unexpected.get(sub) ?? 0) + n);
    if (chunk.firstMs !== undefined && (this.firstMs === undefined || chunk.firstMs < this.firstMs))
      this.firstMs = chunk.firstMs;
    if (chunk.lastMs !== undefined && (this.lastMs === undefined || chunk.lastMs > this.lastMs))
      this.lastMs = chunk.lastMs;
    this.inWindow += chunk.inWindow;
    let after = 0;
    const { first, sampled } = chunk.hosts;
    if (first !== undefined && this.hosts.size === 0) {
      for (const n of first.names) this.hosts.add(n);
      after = first.line;
    }
    for (const [line, names] of sampled) {
      if (line <= after || this.hosts.size >= 5) continue;
      for (const n of names) this.hosts.add(n);
    }
  }
}

/**
 * Reads one capture into `scan`: on this thread, or for a large ECS or LAUREL capture on worker
 * threads whose chunk scans are merged in file order (CSV records may span lines and auditd's own
 * log groups records across lines, so those stay on one thread).
 */
async function readCaptureScanned(
  path: string,
  scan: Scan,
  plan: ScanPlan,
  options: Pick<MatchOptions, 'format' | 'threads' | 'batchBytes' | 'generatorPids'>,
): Promise<CaptureSummary> {
  const threads = options.threads ?? (await defaultThreads(path));
  if (threads <= 1) return readCapture(path, { format: options.format }, scan.onEvent);
  const kind = await captureKind(path, options.format);
  if (kind.layout !== undefined || kind.format === 'csv')
    return readCapture(path, { format: options.format }, scan.onEvent);
  const summary = emptySummary(path, kind);
  summary.detected = options.format === undefined;
  const workerData: ScanWorkerInit = {
    source: path,
    format: kind.format,
    rules: Object.fromEntries(
      Object.entries(plan.rules).map(([f, rules]) => [
        f,
        rules.map(({ conditions, ...rule }) => rule),
      ]),
    ) as ScanWorkerInit['rules'],
    targets: [...plan.targets],
    skewMs: plan.skewMs,
    generatorPids: options.generatorPids === undefined ? undefined : [...options.generatorPids],
  };
  let stats: Awaited<ReturnType<typeof readInParallel>>;
  try {
    stats = await readInParallel<ScanWorkerResult>(
      path,
      {
        threads,
        batchBytes: options.batchBytes ?? BATCH_BYTES,
        worker: new URL('./readers/scan-worker.ts', import.meta.url),
        workerData,
        local: (batch) => scanBatch(plan, workerData, batch),
      },
      (chunk) => {
        addCounts(summary, chunk.counts);
        scan.merge(chunk.scan);
      },
    );
  } catch (error) {
    throw captureError(path, error);
  }
  summary.gzip = stats.gzip;
  summary.bytes = stats.bytes;
  summary.lines = stats.lines;
  return summary;
}

/**
 * Scans one batch of lines with a chunk scan of its own: what each worker thread of a parallel
 * read does, and the reading thread when the workers are full.
 */
export function scanBatch(
  plan: ScanPlan,
  init: Pick<ScanWorkerInit, 'format' | 'source'>,
  batch: Batch,
): ScanWorkerResult {
  const scan = new Scan(plan, { chunk: true });
  const counts: EventCounts = { events: 0, untimed: 0, malformed: 0, malformedSamples: [] };
  forEachLine(batch, jsonLinesReader(init.format, init.source, counts, scan.onEvent));
  return { counts, scan: scan.snapshot() };
}

function hostNames(doc: Doc): string[] {
  const out: string[] = [];
  for (const get of HOST_FIELDS) {
    const h = get(doc);
    if (typeof h === 'string') out.push(h);
  }
  return out;
}

/**
 * Reads every capture once and returns per-target outcomes, per-sub-category verdicts and the
 * classification counts. Without targets it only classifies (`evidence classify`). Large ECS
 * and LAUREL captures are read by worker threads over chunks of lines (`threads`), with the
 * same result as a single-threaded read.
 */
export async function matchCaptures(
  captures: readonly string[],
  options: MatchOptions,
): Promise<MatchResult> {
  const skewMs = options.skewMs ?? 5000;
  const targets = options.targets ?? [];
  const plan = scanPlan(options.rules, targets, skewMs, options.generatorPids);
  const { windowFrom, windowTo } = plan;
  const scan = new Scan(plan);
  const stats: CaptureStats[] = [];

  for (const path of captures) {
    options.onProgress?.(`Reading ${path}...`);
    scan.startCapture();
    const summary = await readCaptureScanned(path, scan, plan, options);
    stats.push({
      ...summary,
      ...(scan.firstMs === undefined ? {} : { firstMs: scan.firstMs }),
      ...(scan.lastMs === undefined ? {} : { lastMs: scan.lastMs }),
      inWindow: scan.inWindow,
      hosts: [...scan.hosts],
    });
  }
  const candidates = scan.candidates;
  const classes = scan.classes;
  const unexpected = scan.unexpected;

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
