/**
 * A capture read by worker threads over batches of lines gives exactly what a single-threaded
 * read gives: the same counts, the same malformed lines with the same numbers, the same first
 * examples, and the same event chosen for every action when several tie (the earlier line wins).
 * Real fixtures are read as committed and doctored: doubled (every event then has an identical
 * twin later in the file), with broken lines, blank lines, CRLF endings, a byte order mark, and
 * gzipped, in batches small enough that each fixture is cut into dozens of them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoadedManifest,
  loadManifest,
  runEvidence,
} from '../../generators/evidence/evidence.ts';
import { matchCaptures } from '../../generators/evidence/matcher.ts';
import type { RuleSets } from '../../generators/evidence/rule-engine.ts';
import { loadRuleSets } from '../../generators/evidence/rules.ts';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/evidence');
const BATCH = 16 << 10;
let tmp: string;
let rules: RuleSets;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'etm-parallel-'));
  rules = await loadRuleSets();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fixtureLines(dir: string, capture: string): string[] {
  const text = gunzipSync(readFileSync(join(FIXTURES, dir, capture))).toString('utf8');
  return text.split('\n').filter((l) => l !== '');
}

/**
 * The fixture's events twice over, with a broken line every 97 lines, a blank line every 89, CRLF
 * endings on every seventh line and a byte order mark. Returns the 1-based numbers of the broken
 * lines and, per line number, which fixture event it holds, both counted here as the file is
 * written.
 */
function doctored(
  lines: readonly string[],
  path: string,
  gzip: boolean,
): { broken: number[]; origin: Map<number, { copy: number; event: number }> } {
  const out: string[] = [];
  const broken: number[] = [];
  const origin = new Map<number, { copy: number; event: number }>();
  [...lines, ...lines].forEach((line, i) => {
    if ((out.length + 1) % 97 === 0) {
      out.push(`${line.slice(0, 40)}`);
      broken.push(out.length);
    }
    if ((out.length + 1) % 89 === 0) out.push('');
    out.push((out.length + 1) % 7 === 0 ? `${line}\r` : line);
    origin.set(out.length, { copy: i < lines.length ? 1 : 2, event: i % lines.length });
  });
  const text = `\ufeff${out.join('\n')}`;
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return { broken, origin };
}

async function manifests(dir: string): Promise<LoadedManifest[]> {
  return Promise.all(
    ['manifest.json', 'sensor.json'].map((m) => loadManifest(join(FIXTURES, dir, m))),
  );
}

/** The evidence run on one thread and on two, with batches of 16 KiB. */
async function bothWays(dir: string, capture: string) {
  const base = {
    manifests: await manifests(dir),
    captures: [capture],
    vendor: { name: 'Parallel check' },
    rules,
    now: () => new Date('2026-12-02T00:00:00.000Z'),
  };
  const single = await runEvidence({ ...base, threads: 1 });
  const parallel = await runEvidence({ ...base, threads: 2, batchBytes: BATCH });
  return { single, parallel };
}

describe('parallel capture read', () => {
  for (const [dir, capture] of [
    ['reference-agent', 'capture.ndjson.gz'],
    ['auditd-laurel', 'capture.jsonl.gz'],
  ] as const) {
    it(`judges the ${dir} fixture exactly as a single-threaded read`, async () => {
      const { single, parallel } = await bothWays(dir, join(FIXTURES, dir, capture));
      expect(parallel.match.captures[0]?.events).toBe(fixtureLines(dir, capture).length);
      expect(parallel.match).toEqual(single.match);
      expect(parallel.file).toEqual(single.file);
    });

    for (const gzip of [false, true]) {
      it(`keeps ties, malformed lines and their numbers on the doctored ${dir} capture${gzip ? ', gzipped' : ''}`, async () => {
        const lines = fixtureLines(dir, capture);
        const path = join(tmp, `${dir}-doctored${gzip ? '.gz' : ''}`);
        const { broken, origin } = doctored(lines, path, gzip);
        const { single, parallel } = await bothWays(dir, path);
        const summary = parallel.match.captures[0];
        expect(summary?.events).toBe(lines.length * 2);
        expect(summary?.malformed).toBe(broken.length);
        expect(summary?.malformedSamples.map((m) => m.line)).toEqual(broken.slice(0, 20));
        expect(summary?.bytes).toBeGreaterThan(BATCH * 20);
        expect(parallel.match).toEqual(single.match);
        expect(parallel.file).toEqual(single.file);
        // Each event of the second copy ties with its twin in the first: a twin is only chosen
        // when the earlier event already proves another action of the sub-category.
        const used = new Set<string>();
        const late: string[] = [];
        for (const o of parallel.match.outcomes) {
          const from = o.best === undefined ? undefined : origin.get(o.best.event.line);
          if (from === undefined) continue;
          const key = `${o.target.subCategory} ${from.event}`;
          if (from.copy === 1) used.add(key);
          else late.push(key);
        }
        expect(used.size).toBeGreaterThan(0);
        for (const key of late) expect(used).toContain(key);
      });
    }
  }

  it('classifies without a manifest exactly as a single-threaded read, hosts included', async () => {
    const lines = fixtureLines('reference-agent', 'capture.ndjson.gz');
    // Seven host names, one per stretch of lines, so the sampled host list depends on order.
    const hosted = lines.map((l, i) => {
      const doc = JSON.parse(l) as Record<string, unknown>;
      doc.host = { name: `host-${Math.floor(i / 300)}` };
      return JSON.stringify(doc);
    });
    const path = join(tmp, 'hosts.ndjson');
    writeFileSync(path, `${[...hosted, ...hosted].join('\n')}\n`);
    const single = await matchCaptures([path], { rules, threads: 1 });
    const parallel = await matchCaptures([path], { rules, threads: 2, batchBytes: BATCH });
    expect(single.captures[0]?.hosts.length).toBeGreaterThan(1);
    expect(parallel).toEqual(single);
  });
});
