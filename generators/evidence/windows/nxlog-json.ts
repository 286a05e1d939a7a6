/**
 * Event-log records as JSON lines from NXLog's `im_msvistalog` (often through Logstash): NXLog's
 * own fields (`EventTime`, `EventReceivedTime`, `Hostname`, `SourceName`, `EventType`,
 * `SeverityValue`, `RecordNumber`, `SourceModuleType`...) with the event's `EventData` fields
 * flattened beside them. The OTRF sample `empire_persistence_registry_modification_run_keys_
 * elevated_user` is in this layout.
 *
 * Two names collide:
 * - `EventType`: NXLog writes its own (`INFO`, `AUDIT_SUCCESS`...) and Sysmon has an `EventType`
 *   data field (`CreateKey`, `SetValue`, `ConnectPipe`...). Whichever was written last wins. When
 *   the value is one of NXLog's, Sysmon's is recovered from the rendered `Message`
 *   ("EventType: DeleteKey") and, failing that, from the event id where the id allows one value
 *   only (13 SetValue, 14 RenameKey, 17 CreatePipe, 18 ConnectPipe, 19-21 the WMI types). What
 *   cannot be recovered: Sysmon 12's `CreateKey` / `DeleteKey` / `DeleteValue` when the record has
 *   no `Message`; such an event is left without `EventType` and no registry rule claims it.
 * - Time: `EventTime` is the computer's local time with no zone written, so it cannot be turned
 *   into UTC. Sysmon events take `UtcTime`; the others fall back to the forwarder's
 *   `@timestamp` (Logstash's, a few seconds after the event) and say so (`timeSource:
 *   'forwarder'`).
 */
import type { Readable } from 'node:stream';
import {
  asInt,
  asText,
  buildWindowsEvent,
  sourceKindOf,
  type WindowsEvent,
  type WindowsRead,
} from './event.ts';
import { readJsonLines } from './json-lines.ts';

/** NXLog's, Logstash's and the record's own fields: kept out of `data`. */
const SYSTEM_FIELDS = new Set([
  '@timestamp',
  '@version',
  'tags',
  'port',
  'host',
  'EventTime',
  'EventReceivedTime',
  'Hostname',
  'Keywords',
  'EventType',
  'SeverityValue',
  'Severity',
  'EventID',
  'SourceName',
  'ProviderGuid',
  'Version',
  'Task',
  'OpcodeValue',
  'Opcode',
  'RecordNumber',
  'ActivityID',
  'RelatedActivityID',
  'ExecutionProcessID',
  'ThreadID',
  'Channel',
  'Domain',
  'AccountName',
  'UserID',
  'AccountType',
  'Message',
  'Category',
  'SourceModuleName',
  'SourceModuleType',
]);

/** The values NXLog itself puts in `EventType` (from the record's level and audit keywords). */
export const NXLOG_EVENT_TYPES = new Set([
  'AUDIT_SUCCESS',
  'AUDIT_FAILURE',
  'INFO',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'VERBOSE',
]);

/** Sysmon event ids whose data has an `EventType`, and the only value it can take, if one. */
const SYSMON_EVENT_TYPE: Record<number, string | undefined> = {
  12: undefined,
  13: 'SetValue',
  14: 'RenameKey',
  17: 'CreatePipe',
  18: 'ConnectPipe',
  19: 'WmiFilterEvent',
  20: 'WmiConsumerEvent',
  21: 'WmiBindingEvent',
};

/**
 * Sysmon's own `EventType` for an NXLog record, or undefined when it cannot be known.
 * @example sysmonEventType(12, 'INFO', 'Registry object added or deleted:\r\nEventType: DeleteKey') // 'DeleteKey'
 */
export function sysmonEventType(
  eventId: number,
  written: string | undefined,
  message: string | undefined,
): string | undefined {
  if (!(eventId in SYSMON_EVENT_TYPE)) return undefined;
  if (written !== undefined && written !== '' && !NXLOG_EVENT_TYPES.has(written)) return written;
  const fromMessage =
    message === undefined ? null : /(?:^|\n)EventType: ([A-Za-z]+)\r?$/m.exec(message);
  if (fromMessage?.[1] !== undefined) return fromMessage[1];
  return SYSMON_EVENT_TYPE[eventId];
}

/** Normalises one NXLog record. */
export function normaliseNxlogRecord(
  record: Record<string, unknown>,
  where: { file: string; line: number },
): WindowsEvent | { reason: string } {
  const eventId = asInt(record.EventID);
  if (eventId === undefined) return { reason: 'a record without a numeric "EventID"' };
  const provider = asText(record.SourceName) ?? '';
  const channel = asText(record.Channel) ?? '';
  const host = asText(record.Hostname);
  if (host === undefined) return { reason: 'a record without "Hostname" (the computer)' };
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (SYSTEM_FIELDS.has(key)) continue;
    const text = asText(value);
    if (text !== undefined) data[key] = text;
  }
  const kind = sourceKindOf(provider, channel);
  if (kind === 'sysmon') {
    const type = sysmonEventType(eventId, asText(record.EventType), asText(record.Message));
    if (type !== undefined) data.EventType = type;
  }
  // NXLog's EventTime is local time without a zone: only the forwarder's stamp is usable.
  return buildWindowsEvent({
    provider,
    channel,
    eventId,
    host,
    data,
    systemTime: undefined,
    forwarderTime: asText(record['@timestamp']),
    recordId: record.RecordNumber,
    keywords: record.Keywords,
    origin: { file: where.file, layout: 'nxlog-json', line: where.line },
  });
}

/**
 * Reads an NXLog-style capture, gzip or not.
 * @example const { events, stats } = readNxlogJson(openFile(p), p)
 */
export function readNxlogJson(input: Readable, file: string): WindowsRead {
  return readJsonLines(input, file, 'nxlog-json', normaliseNxlogRecord);
}
