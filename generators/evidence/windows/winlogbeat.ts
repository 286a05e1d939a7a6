/**
 * Winlogbeat's ECS documents as JSON lines (Elastic's "export as NDJSON", Logstash file output):
 * `winlog.event_id`, `winlog.channel`, `winlog.provider_name`, `winlog.record_id`,
 * `winlog.computer_name`, `winlog.event_data.*` (and `winlog.user_data.*`), `host.name`,
 * `@timestamp`. Nested objects and flattened dotted keys are both read.
 *
 * Winlogbeat sets `@timestamp` from the record's `TimeCreated SystemTime`, so it is the system
 * time here, not the forwarder's. Winlogbeat writes keywords as names (`winlog.keywords`), not
 * as the bit mask, so `keywords` stays absent. `winlog.computer_name` is the computer that logged the event;
 * `host.name` is the machine Winlogbeat ran on (a collector, for forwarded events), used only when
 * the computer name is absent.
 */
import type { Readable } from 'node:stream';
import { asInt, asText, buildWindowsEvent, type WindowsEvent, type WindowsRead } from './event.ts';
import { readJsonLines } from './json-lines.ts';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A dotted path from nested objects, flattened keys or a mix of both. */
export function dotted(doc: Obj, path: string): unknown {
  if (path in doc) return doc[path];
  let dot = path.indexOf('.');
  while (dot !== -1) {
    const head = doc[path.slice(0, dot)];
    if (isObj(head)) {
      const found = dotted(head, path.slice(dot + 1));
      if (found !== undefined) return found;
    }
    dot = path.indexOf('.', dot + 1);
  }
  return undefined;
}

/** Every field under `prefix` (`winlog.event_data`), nested or flattened, as name → text. */
function fieldsUnder(doc: Obj, prefix: string, into: Record<string, string>): void {
  const nested = dotted(doc, prefix);
  const add = (name: string, value: unknown) => {
    if (isObj(value)) {
      for (const [k, v] of Object.entries(value)) add(`${name}.${k}`, v);
      return;
    }
    const text = asText(value);
    if (text !== undefined) into[name] = text;
  };
  if (isObj(nested)) for (const [k, v] of Object.entries(nested)) add(k, v);
  const flat = `${prefix}.`;
  for (const [k, v] of Object.entries(doc)) if (k.startsWith(flat)) add(k.slice(flat.length), v);
}

/** Normalises one Winlogbeat document. */
export function normaliseWinlogbeatRecord(
  record: Record<string, unknown>,
  where: { file: string; line: number },
): WindowsEvent | { reason: string } {
  const eventId = asInt(dotted(record, 'winlog.event_id') ?? dotted(record, 'event.code'));
  if (eventId === undefined) return { reason: 'a document without a numeric "winlog.event_id"' };
  const provider = asText(dotted(record, 'winlog.provider_name')) ?? '';
  const channel = asText(dotted(record, 'winlog.channel')) ?? '';
  const host = asText(dotted(record, 'winlog.computer_name') ?? dotted(record, 'host.name'));
  if (host === undefined)
    return { reason: 'a document without "winlog.computer_name" or "host.name"' };
  const data: Record<string, string> = {};
  fieldsUnder(record, 'winlog.event_data', data);
  fieldsUnder(record, 'winlog.user_data', data);
  return buildWindowsEvent({
    provider,
    channel,
    eventId,
    host,
    data,
    systemTime: asText(record['@timestamp']),
    forwarderTime: undefined,
    recordId: dotted(record, 'winlog.record_id'),
    keywords: undefined,
    origin: { file: where.file, layout: 'winlogbeat', line: where.line },
  });
}

/**
 * Reads a Winlogbeat ECS capture, gzip or not.
 * @example const { events } = readWinlogbeat(openFile(p), p)
 */
export function readWinlogbeat(input: Readable, file: string): WindowsRead {
  return readJsonLines(input, file, 'winlogbeat', normaliseWinlogbeatRecord);
}
