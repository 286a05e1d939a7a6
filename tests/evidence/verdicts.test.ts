/**
 * Every verdict path on small synthetic ECS captures, with targets written by hand (not by
 * targets.ts), so the expectations stay independent of the code that builds them: one action of
 * several missing, a fact that matches no state of the file, a value taken when the file was
 * closed, nothing recorded, nothing that could run, and the exact keys that keep neighbouring
 * actions (ptrace requests, a connect and its accept) apart.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchCaptures } from '../../generators/evidence/matcher.ts';
import type { RuleSets } from '../../generators/evidence/rule-engine.ts';
import { loadRuleSets } from '../../generators/evidence/rules.ts';
import type { Target } from '../../generators/evidence/targets.ts';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
let tmp: string;
let rules: RuleSets;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'etm-verdicts-'));
  rules = await loadRuleSets();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function capture(name: string, events: object[]): string {
  const path = join(tmp, `${name}.ndjson`);
  writeFileSync(path, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return path;
}

function target(
  partial: Partial<Target> & Pick<Target, 'subCategory' | 'expected' | 'description'>,
): Target {
  return {
    generator: 'synthetic',
    runId: 'etm-00000000',
    seq: 1,
    operation: 'op',
    label: partial.description,
    startMs: T0,
    endMs: T0 + 2000,
    atMs: T0 + 100,
    ...partial,
  };
}

const connect = (at: number, line: Record<string, unknown>) => ({
  '@timestamp': iso(at),
  event: { category: ['network'], action: 'connection_attempted', outcome: 'success' },
  process: { pid: 100 },
  network: { transport: 'tcp', direction: 'egress' },
  ...line,
});

async function judge(
  path: string,
  targets: Target[],
  untestable: { subCategory: string; reason: string; generators: string[] }[] = [],
) {
  const subs = [
    ...new Set([...targets.map((t) => t.subCategory), ...untestable.map((u) => u.subCategory)]),
  ];
  const result = await matchCaptures([path], {
    rules,
    format: 'ecs',
    targets,
    untestable,
    subCategories: subs,
  });
  return { result, verdict: (sub: string) => result.verdicts.find((v) => v.subCategory === sub) };
}

describe('verdicts', () => {
  it('is partially, naming the action, when one action of several was not recorded', async () => {
    const tcp = target({
      subCategory: 'network-connection',
      description: 'the TCP connection from 127.0.0.1:40000 to 127.0.0.1:8080',
      expected: {
        pid: [100],
        ports: [8080, 40000],
        addresses: ['127.0.0.1'],
        protocol: ['tcp'],
        direction: ['outbound'],
        outcome: ['success'],
      },
    });
    const udp = target({
      subCategory: 'network-connection',
      seq: 2,
      description: 'the UDP datagram sent from 127.0.0.1:40001 to 127.0.0.1:5353',
      expected: {
        pid: [100],
        ports: [5353, 40001],
        addresses: ['127.0.0.1'],
        protocol: ['udp'],
        direction: ['outbound'],
        outcome: ['success'],
      },
    });
    const path = capture('one-missing', [
      connect(T0 + 150, {
        source: { ip: '127.0.0.1', port: 40000 },
        destination: { ip: '127.0.0.1', port: 8080 },
      }),
    ]);
    const v = (await judge(path, [tcp, udp])).verdict('network-connection');
    expect(v?.verdict).toBe('partially');
    expect(v?.actions).toEqual({ total: 2, observed: 1, partial: 0, missing: 1 });
    expect(v?.reason).toBe(
      'Partially: 1 of 2 actions recorded with every required fact right; the UDP datagram sent from 127.0.0.1:40001 to 127.0.0.1:5353 was not recorded.',
    );
  });

  const sizeTarget = () =>
    target({
      subCategory: 'file-size',
      description: 'the file after the creation of /tmp/x/ascii.txt',
      expected: { path: ['/tmp/x/ascii.txt'], size: [4085], pid: [100] },
      // The append 500 ms later left it at 4110 bytes.
      states: [{ atMs: T0 + 600, expected: { path: ['/tmp/x/ascii.txt'], size: [4110] } }],
    });
  const fileEvent = (at: number, size: number) => ({
    '@timestamp': iso(at),
    event: { category: ['file'], type: ['creation'], action: 'creation' },
    process: { pid: 100 },
    file: { path: '/tmp/x/ascii.txt', size },
  });

  it('is partially, naming both values, when a fact matches no state of the file', async () => {
    const path = capture('wrong', [fileEvent(T0 + 200, 9999)]);
    const v = (await judge(path, [sizeTarget()])).verdict('file-size');
    expect(v?.verdict).toBe('partially');
    expect(v?.reason).toBe(
      "Partially: 0 of 1 action recorded with every required fact right; the size of the file after the creation of /tmp/x/ascii.txt is wrong: recorded 9999, the action's was 4085.",
    );
    expect(v?.wrongValues).toEqual([
      {
        action: 'the file after the creation of /tmp/x/ascii.txt',
        fact: 'size',
        got: 9999,
        want: [4085],
      },
    ]);
  });

  it('takes a value the sensor read when the file was closed, after a later action, as right', async () => {
    const path = capture('close-time', [fileEvent(T0 + 900, 4110)]);
    const v = (await judge(path, [sizeTarget()])).verdict('file-size');
    expect(v?.verdict).toBe('observed');
    expect(v?.reason).toBe('Yes: all 1 action recorded, each with every required fact right.');
  });

  it('does not take a later state for an event made before that state existed', async () => {
    const path = capture('too-early', [fileEvent(T0 + 300, 4110)]);
    const v = (await judge(path, [sizeTarget()])).verdict('file-size');
    expect(v?.verdict).toBe('partially');
    expect(v?.wrongValues[0]?.got).toBe(4110);
  });

  it('lets one event prove one action only: the creation event is not also the append', async () => {
    const append = target({
      subCategory: 'file-size',
      seq: 2,
      atMs: T0 + 600,
      description: 'the file after the write to /tmp/x/ascii.txt',
      expected: { path: ['/tmp/x/ascii.txt'], size: [4110], pid: [100] },
    });
    const path = capture('one-event', [fileEvent(T0 + 900, 4110)]);
    const v = (await judge(path, [sizeTarget(), append])).verdict('file-size');
    expect(v?.actions).toEqual({ total: 2, observed: 1, partial: 0, missing: 1 });
    expect(v?.verdict).toBe('partially');
  });

  it('is no when none of the actions was recorded, saying the sensor did not record them', async () => {
    const path = capture('none', [
      connect(T0 + 150, {
        source: { ip: '127.0.0.1', port: 1 },
        destination: { ip: '127.0.0.1', port: 2 },
      }),
    ]);
    const t = target({
      subCategory: 'file-size',
      description: 'the file after the creation of /tmp/x/a',
      expected: { path: ['/tmp/x/a'], size: [1], pid: [100] },
    });
    const v = (await judge(path, [t])).verdict('file-size');
    expect(v?.verdict).toBe('not-observed');
    expect(v?.reason).toBe(
      'No: the sensor recorded none of the 1 action that exercised it: the file after the creation of /tmp/x/a was not recorded.',
    );
  });

  it('is not tested when no action could run here', async () => {
    const path = capture('untestable', [
      connect(T0 + 150, {
        source: { ip: '127.0.0.1', port: 1 },
        destination: { ip: '127.0.0.1', port: 2 },
      }),
    ]);
    const v = (
      await judge(
        path,
        [],
        [
          {
            subCategory: 'driver-load',
            reason: 'driver_load could not run here: no module support',
            generators: ['driver_load'],
          },
        ],
      )
    ).verdict('driver-load');
    expect(v?.verdict).toBe('not-testable');
    expect(v?.reason).toBe('Not tested: driver_load could not run here: no module support.');
  });

  it('is not tested when the sensor recorded nothing at all (it was not running)', async () => {
    const path = capture('empty', []);
    const t = target({
      subCategory: 'file-size',
      description: 'x',
      expected: { path: ['/tmp/x/a'], size: [1], pid: [100] },
    });
    const v = (await judge(path, [t])).verdict('file-size');
    expect(v?.verdict).toBe('not-testable');
    expect(v?.reason).toMatch(/^Not tested: the capture holds no event at all/);
  });
});

describe('exact keys', () => {
  const ptrace = (at: number, request: string) => ({
    '@timestamp': iso(at),
    event: { category: ['process'], type: ['access'], action: 'ptrace', outcome: 'success' },
    process: { pid: 100, Ext: { ptrace: { request_name: request } } },
    Target: { process: { pid: 200 } },
  });
  const access = (seq: number, request: string, at: number) =>
    target({
      subCategory: 'process-access',
      seq,
      atMs: at,
      description: `${request} on pid 200`,
      expected: { pid: [100], targetPid: [200], request: [request], outcome: ['success'] },
    });

  it('cites each ptrace request to its own event, never to a neighbour between the same processes', async () => {
    const path = capture('ptrace', [
      ptrace(T0 + 100, 'PTRACE_ATTACH'),
      ptrace(T0 + 101, 'PTRACE_PEEKDATA'),
      ptrace(T0 + 102, 'PTRACE_DETACH'),
    ]);
    const { result } = await judge(path, [
      access(1, 'PTRACE_ATTACH', T0 + 100),
      access(2, 'PTRACE_PEEKDATA', T0 + 101),
      access(3, 'process_vm_readv', T0 + 103),
    ]);
    const cited = result.outcomes.map((o) => [o.target.seq, o.outcome, o.best?.event.line]);
    expect(cited).toEqual([
      [1, 'observed', 1],
      [2, 'observed', 2],
      [3, 'missing', undefined],
    ]);
  });

  it('never credits an accept with the client connect, and a failed call never proves a success', async () => {
    const accept = target({
      subCategory: 'network-connection',
      description: 'the TCP connection accepted on 127.0.0.1:8080 from 127.0.0.1:40000',
      expected: {
        pid: [100],
        ports: [8080, 40000],
        addresses: ['127.0.0.1'],
        protocol: ['tcp'],
        direction: ['inbound'],
        outcome: ['success'],
      },
    });
    const path = capture('accept', [
      connect(T0 + 150, {
        source: { ip: '127.0.0.1', port: 40000 },
        destination: { ip: '127.0.0.1', port: 8080 },
      }),
      connect(T0 + 160, {
        event: { category: ['network'], action: 'connection_accepted', outcome: 'failure' },
        network: { transport: 'tcp', direction: 'ingress' },
        source: { ip: '127.0.0.1', port: 40000 },
        destination: { ip: '127.0.0.1', port: 8080 },
      }),
    ]);
    const v = (await judge(path, [accept])).verdict('network-connection');
    expect(v?.verdict).toBe('not-observed');
  });
});
