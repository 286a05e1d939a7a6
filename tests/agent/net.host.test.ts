/**
 * Network family on the real kernel: a child process listens on 127.0.0.1 and ::1, connects to
 * itself over TCP (v4 and v6) and connects a UDP socket; the agent must report listen,
 * connection_attempted and connection_accepted with the exact endpoints the child saw.
 * The address formatting the decoder uses is checked without root.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../agent/src/ecs-event.ts';
import { formatIp } from '../../agent/src/families/net/decode.ts';
import {
  type AgentResult,
  announceSkip,
  bpfSkipReason,
  buildAgent,
  sleep,
  startAgent,
  tempDir,
} from './helpers.ts';

describe('IP address formatting', () => {
  const v6 = (bytes: number[]) => formatIp(Buffer.from(bytes), 0, 10);
  it('formats IPv4 from the first four bytes', () => {
    expect(formatIp(Buffer.from([127, 0, 0, 1, 9, 9]), 0, 2)).toEqual({
      ip: '127.0.0.1',
      type: 'ipv4',
    });
  });
  it('shortens the longest run of zero groups, the first of equal runs (RFC 5952)', () => {
    expect(v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).ip).toBe('::1');
    expect(v6(new Array(16).fill(0)).ip).toBe('::');
    expect(v6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]).ip).toBe(
      '2001:db8::1:0:0:1',
    );
    expect(v6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]).ip).toBe(
      '2001:db8:0:1:1:1:1:1',
    );
  });
  it('reports IPv4-mapped IPv6 as IPv4', () => {
    expect(v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3])).toEqual({
      ip: '10.1.2.3',
      type: 'ipv4',
    });
  });
});

/** Runs in a child node: TCP listen/connect/accept on v4 and v6, a UDP connect; prints what it saw. */
const CHILD = `
const net = require('node:net');
const dgram = require('node:dgram');
async function tcp(host) {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, host, r));
  const accepted = new Promise((r) => server.once('connection', r));
  const client = net.connect(server.address().port, host);
  await new Promise((r) => client.once('connect', r));
  const peer = await accepted;
  const out = { server: server.address().port, client: client.localPort, clientIp: client.localAddress, peerPort: peer.remotePort };
  client.destroy(); peer.destroy(); server.close();
  return out;
}
(async () => {
  const v4 = await tcp('127.0.0.1');
  let v6 = null;
  try { v6 = await tcp('::1'); } catch (e) { v6 = { error: String(e) }; }
  const udp = dgram.createSocket('udp4');
  await new Promise((r) => udp.bind(0, '127.0.0.1', r));
  await new Promise((r, j) => udp.connect(9, '127.0.0.1', (e) => (e ? j(e) : r())));
  const u = { local: udp.address().port };
  udp.close();
  // A port nobody listens on: the handshake ends in a reset.
  const gone = net.createServer();
  await new Promise((r) => gone.listen(0, '127.0.0.1', r));
  const closedPort = gone.address().port;
  await new Promise((r) => gone.close(r));
  const refused = await new Promise((r) => {
    const s = net.connect(closedPort, '127.0.0.1');
    s.once('error', (e) => r(e.code));
    s.once('connect', () => { s.destroy(); r('connected'); });
  });
  process.stdout.write(JSON.stringify({ pid: process.pid, v4, v6, udp: u, closedPort, refused }));
})();
`;

interface ChildReport {
  pid: number;
  v4: { server: number; client: number; clientIp: string; peerPort: number };
  v6: { server: number; client: number; clientIp: string } | { error: string };
  udp: { local: number };
  closedPort: number;
  refused: string;
}

const skip = announceSkip('agent network capture', bpfSkipReason());

describe.skipIf(skip)('agent network capture of loopback connections', () => {
  let result: AgentResult;
  let child: ChildReport;

  beforeAll(async () => {
    buildAgent();
    const dir = tempDir('net');
    const run = await startAgent(['--families', 'process,net'], dir);
    const r = spawnSync(process.execPath, ['-e', CHILD], { encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`network child failed: ${r.stderr}`);
    child = JSON.parse(r.stdout) as ChildReport;
    await sleep(300);
    result = await run.stop();
  });

  afterAll(() => {
    if (result && result.code !== 0) console.error(result.stderr);
  });

  const events = (action: string) =>
    result.events.filter((e) => e.event.action === action && e.process.pid === child.pid);
  const withPort = (list: EcsEvent[], field: 'source' | 'destination', port: number) =>
    list.filter((e) => (e[field] as { port?: number } | undefined)?.port === port);

  it('exits cleanly without kernel drops', () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/dropped in the kernel: 0\n/);
  });

  it('reports listen on 127.0.0.1 with the bound port', () => {
    const [listen, ...more] = withPort(events('listen'), 'destination', child.v4.server);
    expect(more).toHaveLength(0);
    expect(listen?.event).toMatchObject({
      category: ['network'],
      type: ['start'],
      outcome: 'success',
    });
    expect(listen?.destination).toEqual({ ip: '127.0.0.1', port: child.v4.server });
    expect(listen?.server).toEqual({ ip: '127.0.0.1', port: child.v4.server });
    expect(listen?.network).toMatchObject({ transport: 'tcp', type: 'ipv4', direction: 'ingress' });
    expect(
      (listen?.network as { Ext: { backlog: number } } | undefined)?.Ext.backlog,
    ).toBeGreaterThan(0);
  });

  it('reports the TCP connect as connection_attempted, egress, with both endpoints', () => {
    const [c, ...more] = withPort(events('connection_attempted'), 'destination', child.v4.server);
    expect(more).toHaveLength(0);
    expect(c?.event.type).toEqual(['start', 'connection']);
    // node connects without blocking: the kernel answers EINPROGRESS, so the outcome is not known yet.
    expect(c?.event.outcome).toBe('unknown');
    expect(c?.source).toEqual({ ip: '127.0.0.1', port: child.v4.client });
    expect(c?.destination).toEqual({ ip: '127.0.0.1', port: child.v4.server });
    expect(c?.network).toMatchObject({
      transport: 'tcp',
      type: 'ipv4',
      direction: 'egress',
      iana_number: '6',
    });
    expect(c?.process.name).toBe('node');
  });

  it('reports the accept as connection_accepted, ingress, with the peer as source', () => {
    const [a, ...more] = withPort(events('connection_accepted'), 'destination', child.v4.server);
    expect(more).toHaveLength(0);
    expect(a?.event.outcome).toBe('success');
    expect(a?.source).toEqual({ ip: '127.0.0.1', port: child.v4.peerPort });
    expect(a?.source).toEqual({ ip: '127.0.0.1', port: child.v4.client });
    expect(a?.network).toMatchObject({ transport: 'tcp', type: 'ipv4', direction: 'ingress' });
  });

  it('reports IPv6 loopback listen, connect and accept as ipv6 with ::1', () => {
    if ('error' in child.v6) {
      console.warn(`[skipped] IPv6 part: ::1 is not usable here (${child.v6.error})`);
      return;
    }
    const v6 = child.v6;
    const listen = withPort(events('listen'), 'destination', v6.server);
    const conn = withPort(events('connection_attempted'), 'destination', v6.server);
    const acc = withPort(events('connection_accepted'), 'destination', v6.server);
    expect([listen.length, conn.length, acc.length]).toEqual([1, 1, 1]);
    expect(conn[0]?.source).toEqual({ ip: '::1', port: v6.client });
    expect(conn[0]?.destination).toEqual({ ip: '::1', port: v6.server });
    expect(acc[0]?.source).toEqual({ ip: '::1', port: v6.client });
    for (const e of [...listen, ...conn, ...acc]) {
      expect((e.network as { type: string }).type).toBe('ipv6');
    }
  });

  it('reports a UDP connect as a successful udp connection_attempted', () => {
    const [u, ...more] = withPort(events('connection_attempted'), 'source', child.udp.local);
    expect(more).toHaveLength(0);
    expect(u?.event.outcome).toBe('success');
    expect(u?.destination).toEqual({ ip: '127.0.0.1', port: 9 });
    expect(u?.network).toMatchObject({ transport: 'udp', type: 'ipv4', direction: 'egress' });
  });

  it('reports the end of the TCP handshake: connection_established with the real outcome', () => {
    const [e, ...more] = withPort(events('connection_established'), 'destination', child.v4.server);
    expect(more).toHaveLength(0);
    expect(e?.event).toMatchObject({
      category: ['network'],
      type: ['start', 'connection'],
      outcome: 'success',
    });
    expect(e?.source).toEqual({ ip: '127.0.0.1', port: child.v4.client });
    expect(e?.destination).toEqual({ ip: '127.0.0.1', port: child.v4.server });
    expect(e?.network).toMatchObject({ transport: 'tcp', type: 'ipv4', direction: 'egress' });
    // The same socket as the connect record, and the process that called connect().
    const [c] = withPort(events('connection_attempted'), 'destination', child.v4.server);
    const cookie = (x: EcsEvent | undefined) =>
      (x?.network as { Ext: { socket_cookie: string } } | undefined)?.Ext.socket_cookie;
    expect(cookie(e)).toBe(cookie(c));
    expect(e?.process.entity_id).toBe(c?.process.entity_id);
  });

  it('reports a refused connect as connection_failed', () => {
    expect(child.refused).toBe('ECONNREFUSED');
    const failed = withPort(events('connection_failed'), 'destination', child.closedPort);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.event).toMatchObject({ type: ['connection', 'end'], outcome: 'failure' });
    const attempts = withPort(events('connection_attempted'), 'destination', child.closedPort);
    expect(attempts).toHaveLength(1);
    expect(['unknown', 'failure']).toContain(attempts[0]?.event.outcome);
    expect(withPort(events('connection_established'), 'destination', child.closedPort)).toEqual([]);
  });
});
