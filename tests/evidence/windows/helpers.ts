/**
 * Shared by the Windows evidence tests: the fixture paths, and reading a whole capture into
 * memory (the fixtures are small).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { WindowsEvent, WindowsRead } from '../../../generators/evidence/windows/event.ts';

export const WINDOWS_FIXTURES_DIR = resolve(import.meta.dirname, '../../fixtures/evidence/windows');

export const SAMPLES = {
  cmd: 'cmd_service_mod_fax',
  empire: 'empire_persistence_registry_modification_run_keys_elevated_user',
  psh: 'psh_python_webserver',
  schtask: 'schtask_create',
} as const;

export function samplePath(name: string): string {
  return resolve(WINDOWS_FIXTURES_DIR, `${name}.ndjson.gz`);
}

export function fixturePath(file: string): string {
  return resolve(WINDOWS_FIXTURES_DIR, file);
}

/** The sample's decompressed text, read with zlib at once (not the readers' streaming path). */
export function sampleText(name: string): string {
  return gunzipSync(readFileSync(samplePath(name))).toString('utf8');
}

/** The sample's records, parsed with JSON.parse line by line (an independent reading). */
export function sampleRecords(name: string): { line: number; row: Record<string, unknown> }[] {
  return sampleText(name)
    .split('\n')
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text }) => text.trim() !== '')
    .map(({ text, line }) => ({ line, row: JSON.parse(text) as Record<string, unknown> }));
}

/** A stream of the given bytes, in small chunks so records and characters straddle chunks. */
export function bytesStream(bytes: Buffer, chunk = 4093): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts);
}

export async function collect(read: WindowsRead): Promise<WindowsEvent[]> {
  const out: WindowsEvent[] = [];
  for await (const e of read.events) out.push(e);
  return out;
}

/** Count per `provider|eventId`. */
export function tally(
  items: Iterable<{ provider: string; eventId: number }>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { provider, eventId } of items) {
    const key = `${provider}|${eventId}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
