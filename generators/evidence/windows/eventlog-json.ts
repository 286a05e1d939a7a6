/**
 * Event-log records as JSON lines from an exporter that writes the record's `TimeCreated` (ISO,
 * with `Z`) and `Keywords` as hex text (`0x8020000000000000`), the event's provider as
 * `SourceName`, the computer as `Hostname` and every `EventData` field flattened beside them.
 * Three of the OTRF samples are in this layout. There, `TimeCreated` equals `@timestamp` and is
 * 5 to 16 hours away from Sysmon's `UtcTime`: the exporter wrote a local time with a `Z`. Sysmon
 * events get their time from `UtcTime`; for the other events `TimeCreated` is all there is, so
 * their `timeSource` says `system-time` and the classifier reports the offset it saw per host.
 */
import type { Readable } from 'node:stream';
import { asInt, asText, buildWindowsEvent, type WindowsEvent, type WindowsRead } from './event.ts';
import { readJsonLines } from './json-lines.ts';

/** Record fields that describe the record, not the event: kept out of `data`. */
const SYSTEM_FIELDS = new Set([
  '@timestamp',
  '@version',
  'TimeCreated',
  'SourceName',
  'ProviderName',
  'ProviderGuid',
  'Channel',
  'Hostname',
  'Computer',
  'EventID',
  'EventRecordID',
  'RecordNumber',
  'Keywords',
  'Level',
  'Task',
  'Opcode',
  'Version',
  'Message',
]);

/** Normalises one record of the `TimeCreated` + hex `Keywords` layout. */
export function normaliseEventlogRecord(
  record: Record<string, unknown>,
  where: { file: string; line: number },
): WindowsEvent | { reason: string } {
  const eventId = asInt(record.EventID);
  if (eventId === undefined) return { reason: 'a record without a numeric "EventID"' };
  const provider = asText(record.SourceName ?? record.ProviderName) ?? '';
  const channel = asText(record.Channel) ?? '';
  const host = asText(record.Hostname ?? record.Computer);
  if (host === undefined) return { reason: 'a record without "Hostname" (the computer)' };
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (SYSTEM_FIELDS.has(key)) continue;
    const text = asText(value);
    if (text !== undefined) data[key] = text;
  }
  return buildWindowsEvent({
    provider,
    channel,
    eventId,
    host,
    data,
    systemTime: asText(record.TimeCreated),
    forwarderTime: asText(record['@timestamp']),
    recordId: record.EventRecordID ?? record.RecordNumber,
    keywords: record.Keywords,
    origin: { file: where.file, layout: 'eventlog-json', line: where.line },
  });
}

/**
 * Reads a capture in the `TimeCreated` + hex `Keywords` layout, gzip or not.
 * @example for await (const e of readEventlogJson(openFile(p), p).events) console.log(e.eventId)
 */
export function readEventlogJson(input: Readable, file: string): WindowsRead {
  return readJsonLines(input, file, 'eventlog-json', normaliseEventlogRecord);
}
