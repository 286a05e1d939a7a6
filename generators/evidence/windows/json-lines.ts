/**
 * The loop the JSON-lines readers share: stream lines, parse each as an object, hand it to the
 * layout's normaliser, count what cannot be read with its line number, and go on.
 */
import type { Readable } from 'node:stream';
import {
  countEvent,
  countMalformed,
  newStats,
  type WindowsEvent,
  type WindowsLayout,
  type WindowsRead,
} from './event.ts';
import { decompressed, lines, parseJsonObject } from './stream.ts';

/** Turns one parsed record into the normalised event, or returns why it cannot. */
export type Normaliser = (
  record: Record<string, unknown>,
  where: { file: string; line: number },
) => WindowsEvent | { reason: string };

export function readJsonLines(
  input: Readable,
  file: string,
  layout: WindowsLayout,
  normalise: Normaliser,
): WindowsRead {
  const stats = newStats(file, layout);
  async function* events(): AsyncGenerator<WindowsEvent> {
    const bytes = decompressed(input, (gzip) => {
      stats.gzip = gzip;
    });
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of bytes) {
        stats.bytes += chunk.length;
        yield chunk;
      }
    }
    for await (const { text, line } of lines(counted())) {
      if (text.trim() === '') continue;
      const parsed = parseJsonObject(text);
      if (!parsed.ok) {
        countMalformed(stats, { file, line, reason: parsed.reason });
        continue;
      }
      const event = normalise(parsed.value, { file, line });
      if ('reason' in event) {
        countMalformed(stats, { file, line, reason: event.reason });
        continue;
      }
      countEvent(stats, event);
      yield event;
    }
  }
  return { events: events(), stats };
}
