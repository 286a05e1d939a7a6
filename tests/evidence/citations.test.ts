/**
 * Every citation in the committed measured rows, checked against the raw capture line it names and
 * the manifest action it claims to prove, with the checks written here from the formats' own
 * fields (not with the matcher's rules): the event lies in the run's window, each event proves at
 * most one action of a sub-category, a process access event names the action's ptrace request or
 * syscall, and a network event its direction and only its own ports.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Derived,
  deriveFromFixture,
  fixtureDirs,
} from '../../generators/evidence/measured.ts';
import { readCapture } from '../../generators/evidence/readers/capture.ts';
import type { Doc } from '../../generators/evidence/readers/fields.ts';
import type { Action, Manifest, Run } from '../../generators/manifest.schema.ts';

/** linux/ptrace.h; LAUREL logs the request as the raw first argument. */
const PTRACE: Record<string, number> = { PTRACE_ATTACH: 16, PTRACE_PEEKDATA: 2, PTRACE_DETACH: 17 };

const derived: Derived[] = [];
const lines = new Map<string, Map<number, Doc>>();
const manifests = new Map<string, Manifest[]>();

beforeAll(async () => {
  for (const dir of await fixtureDirs()) {
    const d = await deriveFromFixture(dir);
    derived.push(d);
    const byLine = new Map<number, Doc>();
    await readCapture(join(dir, d.fixture.capture), { format: d.fixture.format }, (e) => {
      byLine.set(e.line, e.doc);
    });
    lines.set(d.fixture.vendor.id, byLine);
    manifests.set(
      d.fixture.vendor.id,
      await Promise.all(
        d.fixture.manifests.map(
          async (m) => JSON.parse(await readFile(join(dir, m), 'utf8')) as Manifest,
        ),
      ),
    );
  }
});

/** A dotted path through nested objects; an array of records (LAUREL's SOCKADDR) is searched. */
function get(doc: unknown, path: string): unknown {
  const [head, ...rest] = path.split('.');
  if (head === undefined || doc === null || typeof doc !== 'object') return undefined;
  if (Array.isArray(doc)) {
    for (const item of doc) {
      const v = get(item, path);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  const v = (doc as Record<string, unknown>)[head];
  return rest.length === 0 ? v : get(v, rest.join('.'));
}

function actionOf(vendor: string, generator: string, seq: number): { run: Run; action: Action } {
  for (const m of manifests.get(vendor) ?? []) {
    for (const run of m.runs) {
      if (run.generator !== generator) continue;
      const action = run.actions.find((a) => a.seq === seq);
      if (action !== undefined) return { run, action };
    }
  }
  throw new Error(`${vendor}: no action ${generator} #${seq} in the fixture's manifests`);
}

function eventTime(doc: Doc): number | undefined {
  const ts = get(doc, '@timestamp');
  if (typeof ts === 'string') return Date.parse(ts);
  const id = get(doc, 'ID');
  return typeof id === 'string' ? Number(id.split(':')[0]) * 1000 : undefined;
}

describe('citations in the committed measured rows', () => {
  it('name an event in the run window, each event proving at most one action per cell', () => {
    let checked = 0;
    for (const d of derived) {
      const vendor = d.fixture.vendor.id;
      for (const [sub, cell] of Object.entries(d.evidence.cells)) {
        const used = new Set<string>();
        for (const t of cell.targets) {
          if (t.event === undefined) continue;
          expect(used.has(t.event), `${vendor} ${sub}: ${t.event} cited twice`).toBe(false);
          used.add(t.event);
          const [capture, line] = t.event.split(':');
          expect(capture).toBe(basename(d.fixture.capture));
          const doc = lines.get(vendor)?.get(Number(line));
          expect(doc, `${vendor} ${sub}: no event at ${t.event}`).toBeDefined();
          if (doc === undefined) continue;
          const { run } = actionOf(vendor, t.generator, t.seq);
          const at = eventTime(doc);
          if (at !== undefined) {
            expect(at).toBeGreaterThanOrEqual(Date.parse(run.startTime) - 5000);
            expect(at).toBeLessThanOrEqual(Date.parse(run.endTime) + 5000);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('cite process access to the event of its own ptrace request or syscall', () => {
    let checked = 0;
    for (const d of derived) {
      const vendor = d.fixture.vendor.id;
      for (const sub of ['process-access', 'process-tampering']) {
        for (const t of d.evidence.cells[sub]?.targets ?? []) {
          if (t.event === undefined) continue;
          const doc = lines.get(vendor)?.get(Number(t.event.split(':')[1])) as Doc;
          const { action } = actionOf(vendor, t.generator, t.seq);
          const isPtrace = action.operation === 'ptrace';
          if (d.fixture.format === 'ecs') {
            expect(get(doc, 'event.action')).toBe(isPtrace ? 'ptrace' : action.operation);
            if (isPtrace)
              expect(get(doc, 'process.Ext.ptrace.request_name')).toBe(action.args.request);
            expect(get(doc, 'event.outcome')).toBe('success');
          } else {
            expect(get(doc, 'SYSCALL.SYSCALL')).toBe(action.operation);
            if (isPtrace) {
              const argv = get(doc, 'SYSCALL.ARGV') as string[];
              expect(Number.parseInt(String(argv[0]), 16)).toBe(PTRACE[action.args.request ?? '']);
            }
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('cite a network action to an event of its direction that names only its own ports', () => {
    let checked = 0;
    for (const d of derived) {
      const vendor = d.fixture.vendor.id;
      for (const t of d.evidence.cells['network-connection']?.targets ?? []) {
        if (t.event === undefined) continue;
        const doc = lines.get(vendor)?.get(Number(t.event.split(':')[1])) as Doc;
        const n = actionOf(vendor, t.generator, t.seq).action.args.network;
        expect(n).toBeDefined();
        if (n === undefined) continue;
        const own = [n.localPort, n.remotePort];
        if (d.fixture.format === 'ecs') {
          const dir = get(doc, 'network.direction');
          expect(dir).toBe(n.direction === 'outbound' ? 'egress' : 'ingress');
          expect(get(doc, 'network.transport')).toBe(n.protocol);
          for (const p of [get(doc, 'source.port'), get(doc, 'destination.port')])
            if (p !== undefined) expect(own).toContain(p);
        } else {
          const syscall = String(get(doc, 'SYSCALL.SYSCALL'));
          expect(
            n.direction === 'outbound' ? ['connect', 'sendto'] : ['accept', 'accept4'],
          ).toContain(syscall);
          expect(own).toContain(Number(get(doc, 'SOCKADDR.SADDR.port')));
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});
