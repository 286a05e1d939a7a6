/**
 * The JIT warm-up stream must run the same code as real fork/exec/exit records (decoder, lineage,
 * leaders, exec hashing), or the warm-up compiles the wrong paths; and warming up writes nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Decoded } from '../../agent/src/decoders.ts';
import { Enricher } from '../../agent/src/enricher.ts';
import { parseExclusions } from '../../agent/src/exclusions.ts';
import { FrameReader } from '../../agent/src/frames.ts';
import { ExecHashCache, FileAnalyzer } from '../../agent/src/hashes.ts';
import { OutputBuffer } from '../../agent/src/output.ts';
import { NameCache } from '../../agent/src/users.ts';
import { warmUp, warmupStream } from '../../agent/src/warmup.ts';

const WARMUP_SOURCE = realpathSync(
  fileURLToPath(new URL('../../agent/src/warmup.ts', import.meta.url)),
);

type Ev = {
  event: { action: string };
  process: Record<string, unknown> & { entity_id: string; pid: number };
};

function enrich(stream: Buffer): { events: Ev[]; malformed: number } {
  const out = new OutputBuffer();
  const e = new Enricher({
    out,
    names: new NameCache(),
    execHashes: new ExecHashCache(),
    analyzer: new FileAnalyzer(),
    exclusions: parseExclusions([]),
    host: { bootId: 'b', pidNsIno: 1, hostname: 'h', kernel: 'k', architecture: 'x86_64' },
    jsonDebug: false,
    ownPids: new Set(),
    procRoot: undefined,
    bootToRealNs: () => 1.7e18,
  });
  const reader = new FrameReader(
    (rec: Decoded) => e.onRecord(rec),
    () => {},
  );
  reader.push(stream);
  reader.end();
  e.finish();
  const events = out
    .take()
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);
  return { events, malformed: reader.stats.malformed };
}

describe('JIT warm-up stream', () => {
  it('decodes cleanly into a leader exec and fork/exec/end triples with lineage and hashes', () => {
    const { events, malformed } = enrich(warmupStream(3));
    expect(malformed).toBe(0);
    expect(events.map((e) => e.event.action)).toEqual([
      'exec',
      ...Array.from({ length: 3 }, () => ['fork', 'exec', 'end']).flat(),
    ]);
    const [leader, , childExec] = events as [Ev, Ev, Ev];
    const bytes = readFileSync(WARMUP_SOURCE);
    expect(childExec.process.executable).toBe(WARMUP_SOURCE);
    expect(childExec.process.hash).toEqual({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      md5: createHash('md5').update(bytes).digest('hex'),
    });
    for (const key of ['parent', 'group_leader', 'session_leader', 'entry_leader']) {
      expect((childExec.process[key] as { entity_id: string }).entity_id, key).toBe(
        leader.process.entity_id,
      );
    }
    expect(childExec.process.entry_leader).toMatchObject({ entry_meta: { type: 'init' } });
    expect(childExec.process.previous).toHaveLength(1);
  });

  it('enriches every record it builds (a warm-up that skipped them would compile nothing)', () => {
    expect(warmUp(new NameCache(), 50)).toBe(1 + 3 * 50);
  });
});
