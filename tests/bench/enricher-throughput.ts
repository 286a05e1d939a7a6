/**
 * Sustained enrichment rate on one core: a binary stream recorded from the real loader is decoded
 * and enriched again and again in this process (hash and name caches warm after the first pass),
 * and the events written per CPU second are counted. No pipe or file in the way, so this is the
 * enricher's own ceiling; the loader's cost is measured separately by the overhead runs.
 */
import { readFileSync } from 'node:fs';
import type { Decoded } from '../../agent/src/decoders.ts';
import { Enricher } from '../../agent/src/enricher.ts';
import { parseExclusions } from '../../agent/src/exclusions.ts';
import { FrameReader } from '../../agent/src/frames.ts';
import { ExecHashCache, FileAnalyzer } from '../../agent/src/hashes.ts';
import { OutputBuffer } from '../../agent/src/output.ts';
import { NameCache } from '../../agent/src/users.ts';

export interface Throughput {
  records: number;
  events: number;
  bytes: number;
  cpuMs: number;
  wallMs: number;
  eventsPerCpuSec: number;
  malformed: number;
}

function pass(
  stream: Buffer,
  chunk: number,
): { events: number; bytes: number; records: number; malformed: number } {
  let bytes = 0;
  const out = new OutputBuffer();
  const enricher = new Enricher({
    out,
    names: new NameCache(),
    execHashes: sharedHashes,
    analyzer: new FileAnalyzer(),
    exclusions: parseExclusions([]),
    host: {
      bootId: 'bench',
      pidNsIno: 0xeffffffc,
      hostname: 'bench',
      kernel: 'bench',
      architecture: 'x86_64',
    },
    jsonDebug: false,
    ownPids: new Set(),
    procRoot: undefined,
    bootToRealNs: () => 0,
  });
  const reader = new FrameReader(
    (rec: Decoded) => enricher.onRecord(rec),
    () => {},
  );
  for (let off = 0; off < stream.length; off += chunk) {
    reader.push(stream.subarray(off, off + chunk));
    enricher.flushBatch();
    bytes += out.take().length;
  }
  reader.end();
  enricher.finish();
  bytes += out.take().length;
  let events = 0;
  for (const n of enricher.counts.values()) events += n;
  return { events, bytes, records: reader.stats.records, malformed: reader.stats.malformed };
}

/** One hash cache for every pass: "warm" means executables were hashed once already. */
const sharedHashes = new ExecHashCache();

export function measureThroughput(file: string, minCpuMs = 3000): Throughput {
  const stream = readFileSync(file);
  pass(stream, 256 << 10); // warm-up: JIT, hash cache, name cache
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let events = 0;
  let bytes = 0;
  let records = 0;
  let malformed = 0;
  let cpuMs = 0;
  while (cpuMs < minCpuMs) {
    const r = pass(stream, 256 << 10);
    events += r.events;
    bytes += r.bytes;
    records += r.records;
    malformed += r.malformed;
    const c = process.cpuUsage(cpu0);
    cpuMs = (c.user + c.system) / 1000;
    if (r.events === 0) break;
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    records,
    events,
    bytes,
    cpuMs,
    wallMs,
    eventsPerCpuSec: events / (cpuMs / 1000),
    malformed,
  };
}
