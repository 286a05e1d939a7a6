/**
 * DNS family on the real kernel: a child process runs a DNS server on a private loopback address
 * at port 53 (and one on an extra port given with --dns-port), queries it with hand-built packets
 * and with node's resolver (c-ares), and the agent must report every query and answer, parsed,
 * attributed to the child. The DNS message parser is checked byte by byte without root.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../agent/src/ecs-event.ts';
import { parseDns } from '../../agent/src/families/dns/message.ts';
import {
  type AgentResult,
  announceSkip,
  bpfSkipReason,
  buildAgent,
  sleep,
  startAgent,
  tempDir,
} from './helpers.ts';

/** A DNS message from parts, as a server or client would write it. */
function name(n: string): Buffer {
  return Buffer.concat([
    ...n.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
}
function header(id: number, flags: number, qd: number, an: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  return b;
}
function u16s(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 2);
  v.forEach((x, i) => {
    b.writeUInt16BE(x, i * 2);
  });
  return b;
}
function rr(nameBytes: Buffer, type: number, ttl: number, data: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([nameBytes, fixed, data]);
}

describe('DNS message parsing', () => {
  const question = Buffer.concat([name('www.example.test'), u16s(1, 1)]);
  it('parses a query: id, flags, question', () => {
    const m = parseDns(Buffer.concat([header(0xbeef, 0x0100, 1, 0), question]));
    expect(m).toMatchObject({
      id: 0xbeef,
      response: false,
      opCode: 'QUERY',
      headerFlags: ['RD'],
      question: { name: 'www.example.test', type: 'A', class: 'IN' },
      answers: [],
    });
    expect(m.error).toBeUndefined();
  });

  it('parses compressed answers of several types', () => {
    const ptr = Buffer.from([0xc0, 12]);
    const msg = Buffer.concat([
      header(7, 0x8180, 1, 5),
      question,
      rr(ptr, 5, 30, Buffer.concat([Buffer.from([4]), Buffer.from('edge'), ptr])),
      rr(ptr, 1, 60, Buffer.from([192, 0, 2, 1])),
      rr(ptr, 28, 60, Buffer.from([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
      rr(ptr, 15, 300, Buffer.concat([u16s(10), name('mx.example.test')])),
      rr(ptr, 16, 5, Buffer.concat([Buffer.from([5]), Buffer.from('hello')])),
    ]);
    const m = parseDns(msg);
    expect(m.error).toBeUndefined();
    expect(m.responseCode).toBe('NOERROR');
    expect(m.headerFlags).toEqual(['RD', 'RA']);
    expect(m.answers).toEqual([
      {
        name: 'www.example.test',
        type: 'CNAME',
        class: 'IN',
        ttl: 30,
        data: 'edge.www.example.test',
      },
      { name: 'www.example.test', type: 'A', class: 'IN', ttl: 60, data: '192.0.2.1' },
      { name: 'www.example.test', type: 'AAAA', class: 'IN', ttl: 60, data: '2001:db8::1' },
      { name: 'www.example.test', type: 'MX', class: 'IN', ttl: 300, data: '10 mx.example.test' },
      { name: 'www.example.test', type: 'TXT', class: 'IN', ttl: 5, data: 'hello' },
    ]);
    expect(m.resolvedIps).toEqual(['192.0.2.1', '2001:db8::1']);
  });

  it('names the response code', () => {
    expect(parseDns(Buffer.concat([header(1, 0x8183, 1, 0), question])).responseCode).toBe(
      'NXDOMAIN',
    );
  });

  it('keeps what it read from a cut-off message and says why it stopped', () => {
    const full = Buffer.concat([
      header(9, 0x8180, 1, 1),
      question,
      rr(Buffer.from([0xc0, 12]), 1, 60, Buffer.from([192, 0, 2, 1])),
    ]);
    const m = parseDns(full.subarray(0, full.length - 2));
    expect(m.question?.name).toBe('www.example.test');
    expect(m.answers).toEqual([]);
    expect(m.error).toMatch(/answer 1 data is cut off/);
  });

  it('reports a compression loop and a short header instead of throwing', () => {
    const loop = Buffer.concat([header(3, 0x0100, 1, 0), Buffer.from([0xc0, 12]), u16s(1, 1)]);
    expect(parseDns(loop).error).toMatch(/compression loop/);
    expect(parseDns(Buffer.from([1, 2, 3])).error).toMatch(/shorter than the 12-byte DNS header/);
  });
});

/** The child: DNS servers, a raw query, a resolver query, an NXDOMAIN and a query on the extra port. */
const CHILD = `
const dgram = require('node:dgram');
const { Resolver } = require('node:dns').promises;
const [serverIp, altPort] = process.argv.slice(1);
function qname(buf) { const l = []; let p = 12; while (buf[p]) { l.push(buf.toString('latin1', p + 1, p + 1 + buf[p])); p += 1 + buf[p]; } return [l.join('.'), p + 5]; }
function enc(n) { return Buffer.concat([...n.split('.').map((x) => Buffer.concat([Buffer.from([x.length]), Buffer.from(x)])), Buffer.from([0])]); }
function rr(type, ttl, data) { const f = Buffer.alloc(12); f.writeUInt16BE(0xc00c, 0); f.writeUInt16BE(type, 2); f.writeUInt16BE(1, 4); f.writeUInt32BE(ttl, 6); f.writeUInt16BE(data.length, 10); return Buffer.concat([f, data]); }
function answer(q) {
  const [n, end] = qname(q);
  const h = Buffer.from(q.subarray(0, 12)); h.writeUInt16BE(0, 8); h.writeUInt16BE(0, 10);
  let rrs = [];
  let rcode = 0;
  if (n === 'raw-query.agent.test') rrs = [rr(5, 30, enc('target.agent.test')), rr(1, 60, Buffer.from([192, 0, 2, 7]))];
  else if (n === 'resolver.agent.test') rrs = [rr(1, 60, Buffer.from([192, 0, 2, 8]))];
  else if (n === 'alt-port.agent.test') rrs = [rr(1, 60, Buffer.from([192, 0, 2, 9]))];
  else rcode = 3;
  h.writeUInt16BE(0x8180 | rcode, 2); h.writeUInt16BE(rrs.length, 6);
  return Buffer.concat([h, q.subarray(12, end), ...rrs]);
}
function server(ip, port) {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => s.send(answer(m), r.port, r.address));
  return new Promise((res, rej) => { s.once('error', rej); s.bind(port, ip, () => res(s)); });
}
function query(ip, port, id, n) {
  const c = dgram.createSocket('udp4');
  const q = Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), enc(n), Buffer.from([0, 1, 0, 1])]);
  return new Promise((res) => { c.once('message', () => { const p = c.address().port; c.close(); res(p); }); c.send(q, port, ip); });
}
(async () => {
  const s53 = await server(serverIp, 53);
  const sAlt = await server('127.0.0.1', Number(altPort));
  const rawPort = await query(serverIp, 53, 0x4242, 'raw-query.agent.test');
  const nxPort = await query(serverIp, 53, 0x4343, 'missing.agent.test');
  const altClient = await query('127.0.0.1', Number(altPort), 0x4444, 'alt-port.agent.test');
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([serverIp]);
  const resolved = await r.resolve4('resolver.agent.test');
  s53.close(); sAlt.close();
  process.stdout.write(JSON.stringify({ pid: process.pid, rawPort, nxPort, altClient, resolved }));
})().catch((e) => { console.error(String(e)); process.exit(1); });
`;

interface ChildReport {
  pid: number;
  rawPort: number;
  nxPort: number;
  altClient: number;
  resolved: string[];
}

const skip = announceSkip('agent DNS capture', bpfSkipReason());

describe.skipIf(skip)('agent DNS capture of loopback queries and answers', () => {
  let result: AgentResult;
  let child: ChildReport;
  /** Why the dns family could not attach here (no cgroup v2), if it could not. */
  let unavailable: string | undefined;
  const serverIp = `127.53.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  const altPort = 20000 + Math.floor(Math.random() * 20000);

  beforeAll(async () => {
    buildAgent();
    const dir = tempDir('dns');
    const run = await startAgent(['--families', 'process,dns', '--dns-port', `53,${altPort}`], dir);
    const r = spawnSync(process.execPath, ['-e', CHILD, serverIp, String(altPort)], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    if (r.status !== 0) {
      await run.stop();
      throw new Error(`DNS child failed: ${r.stderr}`);
    }
    child = JSON.parse(r.stdout) as ChildReport;
    await sleep(300);
    result = await run.stop();
  });

  afterAll(() => {
    if (result && result.code !== 0) console.error(result.stderr);
  });

  const dnsOf = (e: EcsEvent) => e.dns as Record<string, unknown> & { question?: { name: string } };
  const find = (action: string, qname: string) =>
    result.events.filter((e) => e.event.action === action && dnsOf(e)?.question?.name === qname);

  it('exits cleanly without kernel drops', (ctx) => {
    if (unavailable) ctx.skip();
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/dropped in the kernel: 0\n/);
    expect(child.resolved).toEqual(['192.0.2.8']);
  });

  it('reports a query as lookup_requested with id, flags, question and endpoints', (ctx) => {
    if (unavailable) ctx.skip();
    const [q, ...more] = find('lookup_requested', 'raw-query.agent.test');
    expect(more).toHaveLength(0);
    expect(q?.event).toMatchObject({ category: ['network'], type: ['protocol', 'info'] });
    expect(q?.dns).toEqual({
      id: String(0x4242),
      type: 'query',
      op_code: 'QUERY',
      header_flags: ['RD'],
      question: { name: 'raw-query.agent.test', type: 'A', class: 'IN' },
    });
    expect(q?.source).toEqual({ ip: '127.0.0.1', port: child.rawPort });
    expect(q?.destination).toEqual({ ip: serverIp, port: 53 });
    expect(q?.network).toMatchObject({
      transport: 'udp',
      protocol: 'dns',
      type: 'ipv4',
      direction: 'egress',
    });
    expect(q?.process.pid).toBe(child.pid);
    expect(q?.process.name).toBe('node');
  });

  it('reports the answer as lookup_result with answers, attributed to the querying process', (ctx) => {
    if (unavailable) ctx.skip();
    const [a, ...more] = find('lookup_result', 'raw-query.agent.test');
    expect(more).toHaveLength(0);
    expect(a?.event.outcome).toBe('success');
    expect(a?.dns).toMatchObject({
      id: String(0x4242),
      type: 'answer',
      response_code: 'NOERROR',
      header_flags: ['RD', 'RA'],
      answers: [
        {
          name: 'raw-query.agent.test',
          type: 'CNAME',
          class: 'IN',
          ttl: 30,
          data: 'target.agent.test',
        },
        { name: 'raw-query.agent.test', type: 'A', class: 'IN', ttl: 60, data: '192.0.2.7' },
      ],
      resolved_ip: ['192.0.2.7'],
    });
    expect(a?.source).toEqual({ ip: serverIp, port: 53 });
    expect(a?.destination).toEqual({ ip: '127.0.0.1', port: child.rawPort });
    expect(a?.network).toMatchObject({ direction: 'ingress' });
    expect(a?.process.pid).toBe(child.pid);
  });

  it("captures node's resolver (c-ares) the same way", (ctx) => {
    if (unavailable) ctx.skip();
    expect(find('lookup_requested', 'resolver.agent.test').length).toBeGreaterThanOrEqual(1);
    const results = find('lookup_result', 'resolver.agent.test');
    expect(results.length).toBeGreaterThanOrEqual(1);
    expect(results[0]?.dns).toMatchObject({ resolved_ip: ['192.0.2.8'], response_code: 'NOERROR' });
    expect(results[0]?.process.pid).toBe(child.pid);
  });

  it('reports NXDOMAIN with a failure outcome', (ctx) => {
    if (unavailable) ctx.skip();
    const [a] = find('lookup_result', 'missing.agent.test');
    expect(a?.dns).toMatchObject({ response_code: 'NXDOMAIN', answers: [] });
    expect(a?.event.outcome).toBe('failure');
    expect(a?.destination).toEqual({ ip: '127.0.0.1', port: child.nxPort });
  });

  it('treats the extra --dns-port as DNS', (ctx) => {
    if (unavailable) ctx.skip();
    const [q] = find('lookup_requested', 'alt-port.agent.test');
    const [a] = find('lookup_result', 'alt-port.agent.test');
    expect(q?.destination).toEqual({ ip: '127.0.0.1', port: altPort });
    expect(q?.source).toEqual({ ip: '127.0.0.1', port: child.altClient });
    expect(a?.dns).toMatchObject({ resolved_ip: ['192.0.2.9'] });
  });

  it("reports only the client's side: the local server's receive and reply are not events", (ctx) => {
    if (unavailable) ctx.skip();
    const serverSide = result.events.filter(
      (e) =>
        (e.event.action === 'lookup_requested' &&
          (e.source as { port: number } | undefined)?.port === 53) ||
        (e.event.action === 'lookup_result' &&
          (e.destination as { port: number } | undefined)?.port === 53),
    );
    expect(serverSide).toEqual([]);
    expect(find('lookup_requested', 'raw-query.agent.test')).toHaveLength(1);
  });
});
