/**
 * Writes real event-log records (one JSON object of the OTRF exports, `TimeCreated` layout) in the
 * two layouts no real capture here is in: what `wevtutil qe /f:xml` prints and what Winlogbeat
 * ships. Used to make the derived fixtures and, in tests, variants of them (UTF-16LE, gzip).
 * The System element follows wevtutil's output: single-quoted attributes, the event namespace,
 * Provider, EventID, Version, Level, Task, Opcode, Keywords, TimeCreated, EventRecordID,
 * Correlation, Execution, Channel, Computer, Security.
 */

type Row = Record<string, unknown>;

/** Fields of the JSON export that describe the record rather than the event. */
const SYSTEM = new Set([
  '@timestamp',
  'TimeCreated',
  'SourceName',
  'ProviderGuid',
  'Channel',
  'Hostname',
  'EventID',
  'Keywords',
  'Level',
  'Task',
  'Message',
]);

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;')
    .replace(/"/g, '&quot;');
}

/** The event data of a record: every field that is not the record's own. */
export function eventData(row: Row): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(row)) if (!SYSTEM.has(k)) out[k] = String(v);
  return out;
}

/** Windows writes SystemTime with seven fractional digits. */
function systemTime(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$10000Z');
}

/** One `<Event>` element as wevtutil prints it; `recordId` stands in for EventRecordID. */
export function toWevtutilXml(row: Row, recordId: number): string {
  const data = Object.entries(eventData(row))
    .map(([k, v]) => `<Data Name='${escapeXml(k)}'>${escapeXml(v)}</Data>`)
    .join('');
  const s = (k: string) => escapeXml(String(row[k] ?? ''));
  return (
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>` +
    `<Provider Name='${s('SourceName')}' Guid='${s('ProviderGuid')}'/>` +
    `<EventID>${s('EventID')}</EventID><Version>0</Version><Level>${s('Level')}</Level>` +
    `<Task>${s('Task')}</Task><Opcode>0</Opcode><Keywords>${s('Keywords')}</Keywords>` +
    `<TimeCreated SystemTime='${systemTime(String(row.TimeCreated))}'/>` +
    `<EventRecordID>${recordId}</EventRecordID><Correlation/>` +
    `<Execution ProcessID='4' ThreadID='8'/><Channel>${s('Channel')}</Channel>` +
    `<Computer>${s('Hostname')}</Computer><Security/></System>` +
    `<EventData>${data}</EventData></Event>`
  );
}

/** One Winlogbeat 8 document (ECS): `@timestamp` is the record's TimeCreated. */
export function toWinlogbeat(row: Row, recordId: number): Row {
  return {
    '@timestamp': row.TimeCreated,
    event: { code: String(row.EventID), kind: 'event', provider: row.SourceName },
    host: { name: 'wec-collector' },
    winlog: {
      channel: row.Channel,
      provider_name: row.SourceName,
      provider_guid: row.ProviderGuid,
      event_id: String(row.EventID),
      record_id: recordId,
      computer_name: row.Hostname,
      event_data: eventData(row),
    },
    ecs: { version: '8.0.0' },
  };
}
