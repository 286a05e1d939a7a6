/** Decoders of the loader's own records: hello (first in the stream) and stats. */
import { type DecoderRows, fits, need, type RecordBase, s64, u64 } from '../../decode.ts';
import { REC } from '../../records.ts';
import { DROP_ENTRY, DROP_REASONS, LOADER_HELLO, LOADER_STATS } from './records.ts';

export interface HelloRec extends RecordBase {
  kind: 'hello';
  bootToRealNs: number;
  loaderPid: number;
  /** FEAT_* bits: optional kernel features the loader detected. */
  features: number;
  /** FAM_* bits of the attached families (records.ts FAMILY_BITS). */
  families: number;
  ringBytes: number;
  drainMs: number;
}
interface DropCount {
  type: number;
  reason: (typeof DROP_REASONS)[number];
  count: number;
}
export interface StatsRec extends RecordBase {
  kind: 'stats';
  records: number;
  bytes: number;
  cpuUserUs: number;
  cpuSysUs: number;
  drops: DropCount[];
  final: boolean;
}

export type LoaderRec = HelloRec | StatsRec;

/** Rows for decoders.ts. */
export const LOADER_DECODERS: DecoderRows<LoaderRec> = [
  [
    REC.LOADER_HELLO,
    (r, tsNs) => {
      need(r, LOADER_HELLO.SIZE, 'loader hello');
      const v = r.view;
      const o = r.off;
      return {
        kind: 'hello',
        tsNs,
        bootToRealNs: s64(v, o + LOADER_HELLO.boot_to_real_ns),
        loaderPid: v.getUint32(o + LOADER_HELLO.loader_pid, true),
        features: v.getUint32(o + LOADER_HELLO.features, true),
        families: v.getUint32(o + LOADER_HELLO.families, true),
        ringBytes: v.getUint32(o + LOADER_HELLO.ring_bytes, true),
        drainMs: v.getUint32(o + LOADER_HELLO.drain_ms, true),
      };
    },
  ],
  [
    REC.LOADER_STATS,
    (r, tsNs) => {
      need(r, LOADER_STATS.SIZE, 'loader stats');
      const v = r.view;
      const o = r.off;
      const n = v.getUint32(o + LOADER_STATS.n_drops, true);
      fits(r, LOADER_STATS.SIZE, n * DROP_ENTRY.SIZE, 'loader stats');
      const drops: DropCount[] = [];
      for (let i = 0; i < n; i++) {
        const e = o + LOADER_STATS.SIZE + i * DROP_ENTRY.SIZE;
        drops.push({
          type: v.getUint16(e + DROP_ENTRY.type, true),
          reason: DROP_REASONS[v.getUint16(e + DROP_ENTRY.reason, true) & 3] ?? 'reserved',
          count: u64(v, e + DROP_ENTRY.count),
        });
      }
      return {
        kind: 'stats',
        tsNs,
        records: u64(v, o + LOADER_STATS.records),
        bytes: u64(v, o + LOADER_STATS.bytes),
        cpuUserUs: u64(v, o + LOADER_STATS.cpu_user_us),
        cpuSysUs: u64(v, o + LOADER_STATS.cpu_sys_us),
        drops,
        final: v.getUint32(o + LOADER_STATS.final, true) === 1,
      };
    },
  ],
];
