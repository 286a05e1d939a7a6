import type { z } from 'zod';
import type { TimestampSchema } from '../manifest.schema.ts';
import { CLOCK, clockNs } from './native.ts';

export type Timestamp = z.infer<typeof TimestampSchema>;

/** Reads all clocks back to back (a few microseconds apart) so they can be lined up later. */
export function now(): Timestamp {
  const realtime = clockNs(CLOCK.REALTIME);
  const monotonic = clockNs(CLOCK.MONOTONIC);
  const boottime = clockNs(CLOCK.BOOTTIME);
  return {
    time: new Date(Number(realtime / 1_000_000n)).toISOString(),
    realtimeNs: realtime.toString(),
    monotonicNs: monotonic.toString(),
    boottimeNs: boottime.toString(),
  };
}

export function isoNow(): string {
  return new Date().toISOString();
}
