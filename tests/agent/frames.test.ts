/**
 * The frame reader and decoders on hand-built byte streams: good records decode at the named
 * offsets, and bad input (wrong header size, impossible length, short record, unknown type,
 * truncated end) is reported and skipped without losing the records around it.
 */
import { describe, expect, it } from 'vitest';
import { pathFromBlob } from '../../agent/src/decode.ts';
import type { Decoded } from '../../agent/src/decoders.ts';
import { MEMFD_CREATE } from '../../agent/src/families/process/records.ts';
import { type FrameProblem, FrameReader } from '../../agent/src/frames.ts';
import { HDR, REC } from '../../agent/src/records.ts';
import {
  exitRecordBytes as exitRecord,
  frameOf as frame,
  writeHeader as header,
  helloRecord as hello,
} from './records.fixture.ts';

function collect(chunks: Buffer[]) {
  const records: Decoded[] = [];
  const problems: FrameProblem[] = [];
  const reader = new FrameReader(
    (r) => records.push(r),
    (p) => problems.push(p),
  );
  for (const c of chunks) reader.push(c);
  reader.end();
  return { records, problems, stats: reader.stats };
}

describe('frame reader', () => {
  it('decodes records at the named offsets, split across chunks at any byte', () => {
    const stream = Buffer.concat([frame(hello()), frame(exitRecord(77, 9))]);
    for (let cut = 1; cut < stream.length; cut += 7) {
      const { records, problems } = collect([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(problems).toEqual([]);
      expect(records.map((r) => r.kind)).toEqual(['hello', 'exit']);
    }
    const { records } = collect([stream]);
    const exit = records[1];
    expect(exit).toMatchObject({
      kind: 'exit',
      tsNs: 1_000_000_000,
      exitCode: 9,
      task: {
        pid: 77,
        tid: 77,
        ppid: 1,
        euid: 1000,
        comm: 'worker',
        startNs: 12_345_678_901,
        startTicks: 1234,
      },
    });
    expect(records[0]).toMatchObject({ kind: 'hello', loaderPid: 4242, families: 0xf });
  });

  it('reports a record whose header disagrees with its frame and keeps going', () => {
    const bad = exitRecord(1, 0);
    bad.writeUInt32LE(999, HDR.size);
    const { records, problems, stats } = collect([
      Buffer.concat([frame(bad), frame(exitRecord(2, 0))]),
    ]);
    expect(records.map((r) => (r.kind === 'exit' ? r.task.pid : 0))).toEqual([2]);
    expect(problems).toEqual([
      { streamOffset: 0, message: 'record header says 999 bytes but its frame is 120 bytes' },
    ]);
    expect(stats.malformed).toBe(1);
  });

  it('reports a record shorter than its fixed part', () => {
    const short = Buffer.alloc(MEMFD_CREATE.SIZE - 100);
    header(short, REC.MEMFD_CREATE, short.length);
    const { records, problems } = collect([Buffer.concat([frame(short), frame(exitRecord(3, 0))])]);
    expect(records).toHaveLength(1);
    expect(problems[0]?.message).toBe(
      'type 5: memfd_create record is 276 bytes, shorter than its fixed part of 376 bytes',
    );
  });

  it('resynchronises after an impossible frame length', () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
    const { records, problems, stats } = collect([
      Buffer.concat([garbage, frame(exitRecord(4, 0))]),
    ]);
    expect(records.map((r) => (r.kind === 'exit' ? r.task.pid : 0))).toEqual([4]);
    expect(problems[0]?.message).toBe('frame length 2147483647 is outside 16..65536 bytes');
    expect(stats.skippedBytes).toBe(garbage.length);
  });

  it('counts unknown record types without failing', () => {
    const unknown = Buffer.alloc(32);
    header(unknown, 77, unknown.length);
    const { records, problems, stats } = collect([
      Buffer.concat([frame(unknown), frame(unknown), frame(exitRecord(5, 0))]),
    ]);
    expect(records).toHaveLength(1);
    expect(problems).toEqual([]);
    expect(stats.unknownTypes).toEqual(new Map([[77, 2]]));
  });

  it('reports a record cut off by the end of the stream', () => {
    const whole = frame(exitRecord(6, 0));
    const { records, problems } = collect([
      Buffer.concat([frame(exitRecord(7, 0)), whole.subarray(0, 50)]),
    ]);
    expect(records).toHaveLength(1);
    expect(problems).toEqual([
      { streamOffset: 124, message: 'stream ended inside a record: 50 of 124 bytes arrived' },
    ]);
  });

  it('rebuilds paths from leaf-first component blobs', () => {
    const blob = Buffer.from('c.txt\0b\0a\0');
    expect(pathFromBlob(blob, 0, blob.length)).toBe('/a/b/c.txt');
    expect(pathFromBlob(blob, 0, 0)).toBe('/');
  });
});
