/** Hand-built loader records for tests that need bytes without a kernel. */
import { LOADER_HELLO } from '../../agent/src/families/loader/records.ts';
import { PROC_EXIT } from '../../agent/src/families/process/records.ts';
import { HDR, REC, TASK } from '../../agent/src/records.ts';

export function writeHeader(buf: Buffer, type: number, size: number, ts = 1_000_000_000): void {
  buf.writeUInt16LE(type, HDR.type);
  buf.writeUInt16LE(1, HDR.version);
  buf.writeUInt32LE(size, HDR.size);
  buf.writeBigUInt64LE(BigInt(ts), HDR.ts_ns);
}

/** Prefixes a record with its u32 length, as the loader frames it. */
export function frameOf(rec: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(rec.length);
  return Buffer.concat([len, rec]);
}

/** A PROC_EXIT record of pid with a raw wait status. */
export function exitRecordBytes(pid: number, status: number): Buffer {
  const b = Buffer.alloc(PROC_EXIT.SIZE);
  writeHeader(b, REC.PROC_EXIT, b.length);
  const t = PROC_EXIT.task;
  b.writeUInt32LE(pid, t + TASK.pid);
  b.writeUInt32LE(pid, t + TASK.tid);
  b.writeUInt32LE(1, t + TASK.ppid);
  b.writeUInt32LE(1000, t + TASK.euid);
  b.writeBigUInt64LE(12_345_678_901n, t + TASK.start_ns);
  b.write('worker', t + TASK.comm);
  b.writeUInt32LE(status, PROC_EXIT.exit_code);
  return b;
}

export function helloRecord(): Buffer {
  const b = Buffer.alloc(LOADER_HELLO.SIZE);
  writeHeader(b, REC.LOADER_HELLO, b.length);
  b.writeBigInt64LE(1_700_000_000_000_000_000n, LOADER_HELLO.boot_to_real_ns);
  b.writeUInt32LE(4242, LOADER_HELLO.loader_pid);
  b.writeUInt32LE(0xf, LOADER_HELLO.families);
  return b;
}
