/**
 * What a Windows capture shows, per host: the sub-categories its events are telemetry of (by the
 * Windows rules), with counts, the sources that showed each, and one example of the fields. A
 * sub-category is listed only when at least one event of the capture matched one of its rules:
 * nothing is claimed that the capture does not carry.
 *
 * Provenance: Sysmon's events are the product's own telemetry (`own`); Windows' own logs
 * (Security, System, Task Scheduler, PowerShell, WMI-Activity) forwarded by a product are
 * `via-event-logs` for that product, which is the matrix status of the same name.
 */
import { openWindowsCapture } from './detect.ts';
import {
  type EventOrigin,
  hostKey,
  type ReadStats,
  type SourceKind,
  TIME_SOURCES,
  type TimeSource,
  type WindowsEvent,
  type WindowsLayout,
  type WindowsRead,
} from './event.ts';
import { WINDOWS_SUB_CATEGORY_IDS } from './rules.schema.ts';
import {
  absentRequired,
  type CompiledWindowsRule,
  extractWindowsFacts,
  loadWindowsRules,
  ruleFields,
  WINDOWS_SUB_CATEGORY_NAMES,
  WindowsRuleIndex,
} from './rules.ts';

/** Sources that are a product's own telemetry; every other source is one of Windows' own logs. */
export const OWN_TELEMETRY_SOURCES: ReadonlySet<SourceKind> = new Set(['sysmon']);

export type Telemetry = 'own' | 'via-event-logs';

/** `own` for a product's own events (Sysmon), `via-event-logs` for Windows' own logs. */
export function telemetryOf(source: SourceKind): Telemetry {
  return OWN_TELEMETRY_SOURCES.has(source) ? 'own' : 'via-event-logs';
}

export interface WindowsExample {
  rule: string;
  source: SourceKind;
  origin: EventOrigin;
  time?: string;
  timeSource: TimeSource;
  /** The fields the rule reads, `C:\Users\<name>` redacted, long values cut. */
  fields: Record<string, string>;
}

export interface SubCategoryShown {
  platform: 'windows';
  subCategory: string;
  name: string;
  /** Events that showed it (an event can show several sub-categories: a process and its MD5). */
  events: number;
  /**
   * `own` when at least one event is the product's own (Sysmon), else `via-event-logs`: the matrix
   * statuses `yes` and `via-event-logs`.
   */
  telemetry: Telemetry;
  /** Events per source. */
  sources: Partial<Record<SourceKind, number>>;
  /** Events per rule id. */
  rules: Record<string, number>;
  /** Required fact → events that lacked it (a 4688 without its command line). */
  absentRequired: Record<string, number>;
  /** The first event seen, from an own source when there is one. */
  example: WindowsExample;
}

export interface ClockOffset {
  /** The most common difference, record system time minus Sysmon's UtcTime, in minutes. */
  minutes: number;
  /** Sysmon events that carried both times. */
  events: number;
}

export interface HostEvidence {
  platform: 'windows';
  /** The computer name as the first event wrote it. */
  host: string;
  /** `hostKey(host)`: what events are grouped by. */
  key: string;
  events: number;
  /**
   * First and last event time, from the best time source this host's events have (Sysmon's
   * UtcTime when any event carries it): sources are not mixed, as they may disagree by hours.
   */
  timeSpan?: { first: string; last: string; source: TimeSource };
  sources: Partial<Record<SourceKind, number>>;
  timeSources: Partial<Record<TimeSource, number>>;
  /**
   * When the record's system time and Sysmon's UtcTime disagree by a minute or more: the
   * exporter's clock or zone is off, and the times of this host's non-Sysmon events are off by
   * about as much.
   */
  clockOffset?: ClockOffset;
  subCategories: SubCategoryShown[];
  /** Events no rule recognises (Security 4658 handle closes, Sysmon 24 clipboard...). */
  unclassified: number;
}

export interface WindowsClassification {
  platform: 'windows';
  events: number;
  hosts: HostEvidence[];
}

const MAX_VALUE = 300;
const USER_DIR = /([A-Za-z]:\\+(?:Users|Documents and Settings)\\+)[^\\/"\s]+/gi;

function exampleFields(rule: CompiledWindowsRule, event: WindowsEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of ruleFields(rule)) {
    const value = field.startsWith('data.')
      ? event.data[field.slice(5)]
      : field === 'eventId'
        ? String(event.eventId)
        : field === 'provider'
          ? event.provider
          : field === 'channel'
            ? event.channel
            : undefined;
    if (value === undefined) continue;
    const redacted = value.replace(USER_DIR, '$1<user>');
    out[field] = redacted.length > MAX_VALUE ? `${redacted.slice(0, MAX_VALUE)}…` : redacted;
  }
  return out;
}

function bump<K extends string>(record: Partial<Record<K, number>>, key: K): void {
  record[key] = (record[key] ?? 0) + 1;
}

interface HostState {
  evidence: HostEvidence;
  shown: Map<string, SubCategoryShown>;
  offsets: Map<number, number>;
  spans: Map<TimeSource, [number, number]>;
}

const ORDER = new Map(WINDOWS_SUB_CATEGORY_IDS.map((id, i) => [id, i]));

/**
 * Classifies a stream of normalised events, per host.
 * @example const result = await classifyWindowsEvents(read.events, { rules: await loadWindowsRules() })
 */
export async function classifyWindowsEvents(
  events: AsyncIterable<WindowsEvent> | Iterable<WindowsEvent>,
  options: { rules: readonly CompiledWindowsRule[] | WindowsRuleIndex },
): Promise<WindowsClassification> {
  const index =
    options.rules instanceof WindowsRuleIndex ? options.rules : new WindowsRuleIndex(options.rules);
  const hosts = new Map<string, HostState>();
  let total = 0;
  for await (const event of events) {
    total++;
    const key = hostKey(event.host);
    let state = hosts.get(key);
    if (state === undefined) {
      state = {
        evidence: {
          platform: 'windows',
          host: event.host,
          key,
          events: 0,
          sources: {},
          timeSources: {},
          subCategories: [],
          unclassified: 0,
        },
        shown: new Map(),
        offsets: new Map(),
        spans: new Map(),
      };
      hosts.set(key, state);
    }
    const h = state.evidence;
    h.events++;
    bump(h.sources, event.kind);
    bump(h.timeSources, event.timeSource);
    if (event.timeMs !== undefined) {
      const span = state.spans.get(event.timeSource);
      if (span === undefined) state.spans.set(event.timeSource, [event.timeMs, event.timeMs]);
      else {
        if (event.timeMs < span[0]) span[0] = event.timeMs;
        if (event.timeMs > span[1]) span[1] = event.timeMs;
      }
    }
    if (
      event.timeSource === 'utc-time' &&
      event.systemTime !== undefined &&
      event.timeMs !== undefined
    ) {
      const minutes = Math.round((Date.parse(event.systemTime) - event.timeMs) / 60_000);
      state.offsets.set(minutes, (state.offsets.get(minutes) ?? 0) + 1);
    }
    const matched = index.match(event);
    if (matched.length === 0) {
      h.unclassified++;
      continue;
    }
    const counted = new Set<string>();
    for (const rule of matched) {
      let shown = state.shown.get(rule.subCategory);
      const facts = extractWindowsFacts(rule, event);
      if (shown === undefined) {
        shown = {
          platform: 'windows',
          subCategory: rule.subCategory,
          name: WINDOWS_SUB_CATEGORY_NAMES.get(rule.subCategory) ?? rule.subCategory,
          events: 0,
          telemetry: telemetryOf(rule.source),
          sources: {},
          rules: {},
          absentRequired: {},
          example: makeExample(rule, event),
        };
        state.shown.set(rule.subCategory, shown);
      } else if (shown.telemetry !== 'own' && telemetryOf(rule.source) === 'own') {
        shown.telemetry = 'own';
        shown.example = makeExample(rule, event);
      }
      shown.rules[rule.id] = (shown.rules[rule.id] ?? 0) + 1;
      for (const fact of absentRequired(rule, facts))
        shown.absentRequired[fact] = (shown.absentRequired[fact] ?? 0) + 1;
      // Two rules of one sub-category on one event count the event once.
      if (counted.has(rule.subCategory)) continue;
      counted.add(rule.subCategory);
      shown.events++;
      bump(shown.sources, rule.source);
    }
  }
  const out: HostEvidence[] = [];
  for (const state of hosts.values()) {
    const h = state.evidence;
    for (const source of TIME_SOURCES) {
      const span = state.spans.get(source);
      if (span === undefined) continue;
      h.timeSpan = {
        first: new Date(span[0]).toISOString(),
        last: new Date(span[1]).toISOString(),
        source,
      };
      break;
    }
    const mode = [...state.offsets].sort((a, b) => b[1] - a[1])[0];
    if (mode !== undefined && mode[0] !== 0)
      h.clockOffset = {
        minutes: mode[0],
        events: [...state.offsets.values()].reduce((a, b) => a + b, 0),
      };
    h.subCategories = [...state.shown.values()].sort(
      (a, b) => (ORDER.get(a.subCategory) ?? 999) - (ORDER.get(b.subCategory) ?? 999),
    );
    out.push(h);
  }
  out.sort((a, b) => a.key.localeCompare(b.key));
  return { platform: 'windows', events: total, hosts: out };
}

function makeExample(rule: CompiledWindowsRule, event: WindowsEvent): WindowsExample {
  const example: WindowsExample = {
    rule: rule.id,
    source: rule.source,
    origin: event.origin,
    timeSource: event.timeSource,
    fields: exampleFields(rule, event),
  };
  if (event.time !== undefined) example.time = event.time;
  return example;
}

export interface WindowsCaptureResult {
  captures: ReadStats[];
  classification: WindowsClassification;
}

/**
 * Detects, reads and classifies Windows capture files (gzip or not, any mix of layouts), in
 * order, as one stream: hosts are told apart by the events' own computer name.
 * @example const { captures, classification } = await classifyWindowsCaptures(['a.ndjson.gz'])
 */
export async function classifyWindowsCaptures(
  paths: readonly string[],
  options: {
    rules?: readonly CompiledWindowsRule[];
    layout?: WindowsLayout | undefined;
  } = {},
): Promise<WindowsCaptureResult> {
  const rules = options.rules ?? (await loadWindowsRules());
  const captures: WindowsCaptureResult['captures'] = [];
  const reads: WindowsRead[] = [];
  for (const path of paths) {
    const read = await openWindowsCapture(path, { layout: options.layout });
    reads.push(read);
    captures.push(read.stats);
  }
  async function* all(): AsyncGenerator<WindowsEvent> {
    for (const read of reads) yield* read.events;
  }
  const classification = await classifyWindowsEvents(all(), { rules });
  return { captures, classification };
}
