/**
 * The one shape every Windows capture is read into, whatever exported it (an NXLog-style
 * forwarder, an exporter writing `TimeCreated` and hex `Keywords`, `wevtutil qe /f:xml`,
 * Winlogbeat). The rules (`rules/windows.json`) and the classifier read only this shape, so a rule
 * is written once for every layout.
 *
 * Time is the event's own: Sysmon's `UtcTime` when the record carries it (Sysmon writes it in UTC
 * itself), else the record's system time (`TimeCreated SystemTime`), and the forwarder's
 * timestamp only as a last resort, flagged as such. In three of the four OTRF samples the
 * exporter's timestamps are 5 to 16 hours away from Sysmon's `UtcTime`.
 */
import { z } from 'zod';

/** The capture layouts the Windows readers know. */
export const WINDOWS_LAYOUTS = [
  'nxlog-json',
  'eventlog-json',
  'wevtutil-xml',
  'winlogbeat',
] as const;
export const WindowsLayoutSchema = z.enum(WINDOWS_LAYOUTS);
export type WindowsLayout = z.infer<typeof WindowsLayoutSchema>;

export const LAYOUT_NAMES: Record<WindowsLayout, string> = {
  'nxlog-json': 'event-log JSON lines, NXLog style (EventTime, EventType, SourceModuleType)',
  'eventlog-json': 'event-log JSON lines with TimeCreated and hex Keywords',
  'wevtutil-xml': 'wevtutil qe /f:xml (one <Event> after another, UTF-8 or UTF-16LE)',
  winlogbeat: 'Winlogbeat ECS (winlog.event_id, winlog.event_data.*)',
};

/**
 * Which log an event comes from. `sysmon` is a product's own telemetry; the others are Windows'
 * own logs, which a product that forwards them shows "via event logs".
 */
export const SOURCE_KINDS = [
  'sysmon',
  'security',
  'system',
  'task-scheduler',
  'powershell',
  'wmi',
  'other',
] as const;
export const SourceKindSchema = z.enum(SOURCE_KINDS);
export type SourceKind = z.infer<typeof SourceKindSchema>;

/** Where the event's `time` was read from, best first. */
export const TIME_SOURCES = ['utc-time', 'system-time', 'forwarder', 'none'] as const;
export const TimeSourceSchema = z.enum(TIME_SOURCES);
export type TimeSource = z.infer<typeof TimeSourceSchema>;

export const EventOriginSchema = z.strictObject({
  /** The capture file (or the name the caller gave the stream). */
  file: z.string().min(1),
  layout: WindowsLayoutSchema,
  /** 1-based line of the record (JSON lines layouts). */
  line: z.number().int().positive().optional(),
  /** Byte offset of the record's `<Event` in the decoded file, BOM included (XML). */
  byteOffset: z.number().int().nonnegative().optional(),
});
export type EventOrigin = z.infer<typeof EventOriginSchema>;

export const WindowsEventSchema = z.strictObject({
  platform: z.literal('windows'),
  /** Event provider: `Microsoft-Windows-Sysmon`, `Microsoft-Windows-Security-Auditing`. */
  provider: z.string(),
  /** Event log channel: `Microsoft-Windows-Sysmon/Operational`, `Security`, `System`. */
  channel: z.string(),
  eventId: z.number().int().nonnegative(),
  /** The channel's record number (`EventRecordID`), when the layout carries it. */
  recordId: z.number().int().nonnegative().optional(),
  /** The computer that logged the event (`Computer`), as written; `hostKey` groups by it. */
  host: z.string(),
  /** UTC time, ISO 8601 with milliseconds and `Z`; absent when the record has none. */
  time: z.iso.datetime({ offset: false }).optional(),
  /** `time` in milliseconds since the epoch. */
  timeMs: z.number().optional(),
  timeSource: TimeSourceSchema,
  /**
   * The record's system time (`TimeCreated SystemTime`, or what the exporter wrote as such) when
   * `time` came from Sysmon's `UtcTime`: the two differing shows the exporter's clock is off.
   */
  systemTime: z.iso.datetime({ offset: false }).optional(),
  /** The forwarder's own timestamp (`@timestamp` written by NXLog/Logstash or the exporter), when there is one. */
  forwarderTime: z.iso.datetime({ offset: false }).optional(),
  /** `Keywords` as 16 hex digits, `0x8020000000000000` (audit success), whatever the layout wrote. */
  keywords: z
    .string()
    .regex(/^0x[0-9a-f]{16}$/)
    .optional(),
  kind: SourceKindSchema,
  /** The event data (`EventData`/`UserData`), flat: field name → text, as Windows renders it. */
  data: z.record(z.string(), z.string()),
  origin: EventOriginSchema,
});
export type WindowsEvent = z.infer<typeof WindowsEventSchema>;

/** A record a reader could not read; the read goes on. */
export interface MalformedRecord {
  file: string;
  /** 1-based line (JSON lines layouts). */
  line?: number;
  /** Byte offset where the record starts (XML). */
  byteOffset?: number;
  reason: string;
}

/** What a reader saw, complete once its events have been consumed. */
export interface ReadStats {
  file: string;
  layout: WindowsLayout;
  gzip: boolean;
  /** Bytes read after decompression. */
  bytes: number;
  events: number;
  malformed: number;
  /** The first malformed records, in order. */
  malformedSamples: MalformedRecord[];
  /** Events whose time is the forwarder's, not the event's own. */
  forwarderTimed: number;
  untimed: number;
}

/** A reader's result: iterate `events` once; `stats` is complete when the iteration ends. */
export interface WindowsRead {
  events: AsyncIterable<WindowsEvent>;
  stats: ReadStats;
}

export const KEEP_MALFORMED = 20;

export function newStats(file: string, layout: WindowsLayout): ReadStats {
  return {
    file,
    layout,
    gzip: false,
    bytes: 0,
    events: 0,
    malformed: 0,
    malformedSamples: [],
    forwarderTimed: 0,
    untimed: 0,
  };
}

export function countMalformed(stats: ReadStats, record: MalformedRecord): void {
  stats.malformed++;
  if (stats.malformedSamples.length < KEEP_MALFORMED) stats.malformedSamples.push(record);
}

export function countEvent(stats: ReadStats, event: WindowsEvent): void {
  stats.events++;
  if (event.timeSource === 'forwarder') stats.forwarderTimed++;
  else if (event.timeSource === 'none') stats.untimed++;
}

/**
 * Which log an event is from, by provider then channel.
 * @example sourceKindOf('Microsoft-Windows-Sysmon', 'Microsoft-Windows-Sysmon/Operational') // 'sysmon'
 */
export function sourceKindOf(provider: string, channel: string): SourceKind {
  const p = provider.toLowerCase();
  const c = channel.toLowerCase();
  if (p === 'microsoft-windows-sysmon' || c.startsWith('microsoft-windows-sysmon/'))
    return 'sysmon';
  if (p === 'microsoft-windows-security-auditing' || c === 'security') return 'security';
  if (p === 'microsoft-windows-taskscheduler' || c.startsWith('microsoft-windows-taskscheduler/'))
    return 'task-scheduler';
  if (
    p === 'microsoft-windows-powershell' ||
    p === 'powershell' ||
    c === 'windows powershell' ||
    c.startsWith('microsoft-windows-powershell/')
  )
    return 'powershell';
  if (p === 'microsoft-windows-wmi-activity' || c.startsWith('microsoft-windows-wmi-activity/'))
    return 'wmi';
  if (c === 'system') return 'system';
  return 'other';
}

/** Hosts are compared without case and without a trailing dot: `WORKSTATION5` = `workstation5`. */
export function hostKey(host: string): string {
  return host.trim().replace(/\.$/, '').toLowerCase();
}

/** Sysmon's `UtcTime`: `2020-10-22 00:45:32.931` (UTC, no zone written). */
const SYSMON_UTC = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z?$/;

/** Milliseconds since the epoch of Sysmon's `UtcTime`, or undefined. */
export function parseSysmonUtc(text: string): number | undefined {
  const m = SYSMON_UTC.exec(text.trim());
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}.${`${m[3] ?? ''}000`.slice(0, 3)}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Milliseconds since the epoch of an ISO time with a zone (`Z` or `+hh:mm`); seven fractional
 * digits (Windows' SystemTime) are cut to milliseconds. A time without a zone is refused: it
 * would be local time of an unknown zone.
 */
export function parseZonedTime(text: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(
    text.trim(),
  );
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}.${`${m[2] ?? ''}000`.slice(0, 3)}${m[3]}`);
  return Number.isNaN(ms) ? undefined : ms;
}

export interface TimeChoice {
  time?: string;
  timeMs?: number;
  timeSource: TimeSource;
  systemTime?: string;
  forwarderTime?: string;
}

/**
 * The event's time, best source first: Sysmon's `UtcTime` (in `data`), then the record's system
 * time, then the forwarder's. Only Sysmon data is trusted for `UtcTime`: other providers use the
 * name for other things.
 */
export function chooseTime(
  kind: SourceKind,
  data: Record<string, string>,
  systemTime: string | undefined,
  forwarderTime: string | undefined,
): TimeChoice {
  const systemMs = systemTime === undefined ? undefined : parseZonedTime(systemTime);
  const utc = kind === 'sysmon' ? data.UtcTime : undefined;
  const utcMs = utc === undefined ? undefined : parseSysmonUtc(utc);
  const forwarderMs = forwarderTime === undefined ? undefined : parseZonedTime(forwarderTime);
  const forwarder =
    forwarderMs === undefined ? {} : { forwarderTime: new Date(forwarderMs).toISOString() };
  if (utcMs !== undefined) {
    const choice: TimeChoice = {
      time: new Date(utcMs).toISOString(),
      timeMs: utcMs,
      timeSource: 'utc-time',
      ...forwarder,
    };
    if (systemMs !== undefined) choice.systemTime = new Date(systemMs).toISOString();
    return choice;
  }
  if (systemMs !== undefined)
    return {
      time: new Date(systemMs).toISOString(),
      timeMs: systemMs,
      timeSource: 'system-time',
      ...forwarder,
    };
  if (forwarderMs !== undefined)
    return {
      time: new Date(forwarderMs).toISOString(),
      timeMs: forwarderMs,
      timeSource: 'forwarder',
      ...forwarder,
    };
  return { timeSource: 'none' };
}

/**
 * `Keywords` as 16 lower-case hex digits. Exporters write it as hex text (`0x8020000000000000`)
 * or, like NXLog, as a signed 64-bit decimal (`-9214364837600034816`); JSON numbers that large
 * lose low bits, which the keyword bits Windows sets (the top 16) never need.
 */
export function normaliseKeywords(value: unknown): string | undefined {
  let n: bigint;
  try {
    if (typeof value === 'number' && Number.isFinite(value)) n = BigInt(Math.trunc(value));
    else if (typeof value === 'string' && /^0x[0-9a-f]{1,16}$/i.test(value.trim()))
      n = BigInt(value.trim());
    else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value.trim()))
      n = BigInt(value.trim());
    else return undefined;
  } catch {
    return undefined;
  }
  return `0x${BigInt.asUintN(64, n).toString(16).padStart(16, '0')}`;
}

/** A field value as the text Windows renders; objects and arrays as JSON. */
export function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** A non-negative integer from a number or decimal text, else undefined. */
export function asInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** What a reader found in one record, before the shared rules (source kind, time) apply. */
export interface RecordParts {
  provider: string;
  channel: string;
  eventId: number;
  host: string;
  data: Record<string, string>;
  /** The record's own system time (`TimeCreated SystemTime`), when the layout carries one. */
  systemTime: string | undefined;
  /** The forwarder's timestamp: used only when the record has no time of its own. */
  forwarderTime: string | undefined;
  recordId: unknown;
  keywords: unknown;
  origin: EventOrigin;
}

/**
 * The one place a reader's record becomes a `WindowsEvent`: the source kind from the provider and
 * channel, the time by `chooseTime`'s order (Sysmon's UtcTime, the record's own time, the
 * forwarder's), record id and keywords normalised.
 */
export function buildWindowsEvent(parts: RecordParts): WindowsEvent {
  const kind = sourceKindOf(parts.provider, parts.channel);
  const event: WindowsEvent = {
    platform: 'windows',
    provider: parts.provider,
    channel: parts.channel,
    eventId: parts.eventId,
    host: parts.host,
    ...chooseTime(kind, parts.data, parts.systemTime, parts.forwarderTime),
    kind,
    data: parts.data,
    origin: parts.origin,
  };
  const recordId = asInt(parts.recordId);
  if (recordId !== undefined) event.recordId = recordId;
  const keywords = normaliseKeywords(parts.keywords);
  if (keywords !== undefined) event.keywords = keywords;
  return event;
}
