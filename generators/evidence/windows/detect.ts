/**
 * Which Windows layout a capture is in, from its first bytes (decompressed): an `<Event` element
 * (in UTF-8 or UTF-16) is wevtutil XML; otherwise the first JSON records decide by the fields only
 * that layout writes. Anything else (a Linux audit line, which has commas but is not CSV; LAUREL or
 * ECS from Linux; a SIEM's CSV) is not a Windows capture, and the answer says what was looked for.
 */
import type { Readable } from 'node:stream';
import type { WindowsLayout, WindowsRead } from './event.ts';
import { readEventlogJson } from './eventlog-json.ts';
import { readNxlogJson } from './nxlog-json.ts';
import { decompressed, openFile, parseJsonObject } from './stream.ts';
import { readWevtutilXml, sniffEncoding } from './wevtutil-xml.ts';
import { dotted, readWinlogbeat } from './winlogbeat.ts';

/** How much of the start of a capture detection reads (decompressed). */
export const SNIFF_BYTES = 256 << 10;
const SNIFF_RECORDS = 5;

/** What each layout is recognised by, in the words the error message uses. */
export const LOOKED_FOR: Record<WindowsLayout, string> = {
  'wevtutil-xml': 'an <Event xmlns=...> element at the start (UTF-8 or UTF-16LE with BOM)',
  winlogbeat: 'JSON lines with "winlog.event_id" (nested or dotted)',
  'nxlog-json':
    'JSON lines with "EventID" and NXLog\'s "SourceModuleType", "EventReceivedTime" or "EventTime"',
  'eventlog-json': 'JSON lines with "EventID", "TimeCreated" and "Channel" or "SourceName"',
};

export type Detection =
  | { ok: true; layout: WindowsLayout; reason: string }
  | { ok: false; message: string };

/** Thrown when a capture is not in a Windows layout this tool reads. */
export class WindowsCaptureError extends Error {
  override name = 'WindowsCaptureError';
}

function layoutOfRecord(record: Record<string, unknown>): WindowsLayout | undefined {
  if (dotted(record, 'winlog.event_id') !== undefined) return 'winlogbeat';
  if (record.EventID === undefined) return undefined;
  if (
    record.SourceModuleType !== undefined ||
    record.EventReceivedTime !== undefined ||
    record.EventTime !== undefined
  )
    return 'nxlog-json';
  if (
    record.TimeCreated !== undefined &&
    (record.Channel !== undefined || record.SourceName !== undefined)
  )
    return 'eventlog-json';
  return undefined;
}

function notWindows(what: string): Detection {
  const list = Object.values(LOOKED_FOR)
    .map((l) => `  - ${l}`)
    .join('\n');
  return {
    ok: false,
    message: `This is not a Windows capture this tool reads: ${what}. It looked for one of:\n${list}\nExport the events in one of these layouts (or, for Linux, read the capture with the Linux readers).`,
  };
}

/**
 * Detects the layout from the first bytes of a capture (already decompressed).
 * @example detectWindowsLayout(Buffer.from('{"EventID":1,"TimeCreated":"...","Channel":"Security"}\n'))
 */
export function detectWindowsLayout(head: Uint8Array): Detection {
  const { encoding, bom } = sniffEncoding(head);
  const text = new TextDecoder(encoding, { ignoreBOM: true }).decode(head.subarray(bom));
  const start = text
    .replace(/^(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<Events(?:\s[^>]*)?>)*/, '')
    .slice(0, 200);
  if (start.startsWith('<')) {
    if (/^<(?:[A-Za-z_][\w.-]*:)?Event[\s/>]/.test(start))
      return {
        ok: true,
        layout: 'wevtutil-xml',
        reason: `an <Event> element at the start (${encoding}${bom > 0 ? ' with BOM' : ''})`,
      };
    return notWindows(
      `it starts with XML that is not an <Event> element ("${start.slice(0, 40)}")`,
    );
  }
  let seen = 0;
  let firstLine: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    firstLine ??= line;
    if (seen >= SNIFF_RECORDS) break;
    seen++;
    if (!line.startsWith('{')) continue;
    const parsed = parseJsonObject(line);
    if (!parsed.ok) continue;
    const layout = layoutOfRecord(parsed.value);
    if (layout !== undefined)
      return { ok: true, layout, reason: `record ${seen}: ${LOOKED_FOR[layout]}` };
  }
  if (firstLine === undefined) return notWindows('it is empty');
  return notWindows(
    firstLine.startsWith('{')
      ? `its first ${seen} JSON record(s) carry none of the Windows layouts' fields`
      : `its first line is neither JSON nor XML ("${firstLine.slice(0, 60)}")`,
  );
}

/** Reads the first `SNIFF_BYTES` of a stream, decompressed. The stream is consumed. */
export async function readHead(input: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of decompressed(input, () => {})) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= SNIFF_BYTES) break;
  }
  return Buffer.concat(parts).subarray(0, SNIFF_BYTES);
}

/** Detects the layout of a capture file (gzip or not). */
export async function detectWindowsCapture(path: string): Promise<Detection> {
  return detectWindowsLayout(await readHead(openFile(path)));
}

const READERS: Record<WindowsLayout, (input: Readable, file: string) => WindowsRead> = {
  'nxlog-json': readNxlogJson,
  'eventlog-json': readEventlogJson,
  'wevtutil-xml': readWevtutilXml,
  winlogbeat: readWinlogbeat,
};

/**
 * Opens a Windows capture: detects its layout (unless given) and returns its reader.
 * Throws `WindowsCaptureError` with what was looked for when the layout is not recognised.
 * @example const { events, stats } = await openWindowsCapture('capture.ndjson.gz')
 */
export async function openWindowsCapture(
  path: string,
  options: { layout?: WindowsLayout | undefined } = {},
): Promise<WindowsRead & { layout: WindowsLayout }> {
  let layout = options.layout;
  if (layout === undefined) {
    const found = await detectWindowsCapture(path);
    if (!found.ok) throw new WindowsCaptureError(`${path}: ${found.message}`);
    layout = found.layout;
  }
  return { ...READERS[layout](openFile(path), path), layout };
}
