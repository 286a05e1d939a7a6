/**
 * Decoders for the network, DNS, audit and bash records (agent/bpf/records.h), merged into
 * decode.ts's DECODERS table through netDecoders().
 *
 * decode.ts imports this module and this module imports decode.ts's helpers. The cycle is safe
 * whichever side loads first: netDecoders is a function declaration (hoisted, callable before
 * this module's body runs), it gets the record type numbers from decode.ts as an argument, and
 * the decoders it returns read this module's imports only when they run, long after loading.
 */
import {
  cstr,
  type Decoder,
  decodeTask,
  fits,
  need,
  type RawRecord,
  s64,
  type TaskCtx,
} from './decode.ts';
import {
  AF_INET6,
  AUDIT_USER,
  BASH_READLINE,
  DNS_PACKET,
  NET_SOCK,
  NET_STATE,
} from './net-records.ts';
import type { REC } from './records.ts';

export interface Endpoint {
  ip: string;
  port: number;
}

interface Base {
  tsNs: number;
}

export interface NetSockRec extends Base {
  kind: 'net_connect' | 'net_accept' | 'net_listen';
  task: TaskCtx;
  ret: number;
  sockCookie: string;
  /** 'ipv4' also for IPv4-mapped IPv6 addresses (::ffff:a.b.c.d), which carry IPv4 traffic. */
  netType: 'ipv4' | 'ipv6';
  protocol: number;
  sockType: number;
  local: Endpoint;
  remote: Endpoint;
  fd: number;
  backlog: number;
}

export interface NetStateRec extends Base {
  kind: 'net_state';
  /** The process that called connect(), as it was then. */
  task: TaskCtx;
  sockCookie: string;
  netType: 'ipv4' | 'ipv6';
  protocol: number;
  local: Endpoint;
  remote: Endpoint;
  oldState: number;
  newState: number;
}

export interface DnsPacketRec extends Base {
  kind: 'dns_packet';
  sockCookie: string;
  pid: number;
  tid: number;
  uid: number;
  gid: number;
  comm: string;
  netType: 'ipv4' | 'ipv6';
  answer: boolean;
  source: Endpoint;
  destination: Endpoint;
  wireLen: number;
  /** The captured UDP payload (a copy: the stream buffer is reused). */
  payload: Buffer;
}

export interface AuditUserRec extends Base {
  kind: 'audit_user';
  auditType: number;
  text: string;
}

export interface BashReadlineRec extends Base {
  kind: 'bash_readline';
  task: TaskCtx;
  line: string;
  truncated: boolean;
}

export type NetDecoded = NetSockRec | NetStateRec | DnsPacketRec | AuditUserRec | BashReadlineRec;

/**
 * 16 address bytes → text: IPv4 from the first 4 bytes, IPv6 in RFC 5952 form (longest run of zero
 * groups as ::), IPv4-mapped IPv6 as plain IPv4.
 */
export function formatIp(
  buf: Buffer,
  at: number,
  family: number,
): { ip: string; type: 'ipv4' | 'ipv6' } {
  if (family !== AF_INET6) {
    return { ip: `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`, type: 'ipv4' };
  }
  let mapped = buf[at + 10] === 0xff && buf[at + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (buf[at + i] !== 0) mapped = false;
  if (mapped) return formatIp(buf, at + 12, 2);
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + i * 2));
  let bestAt = -1;
  let bestLen = 1; // a single zero group is not shortened (RFC 5952 4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number) => g.toString(16);
  if (bestAt < 0) return { ip: groups.map(hex).join(':'), type: 'ipv6' };
  const head = groups.slice(0, bestAt).map(hex).join(':');
  const tail = groups
    .slice(bestAt + bestLen)
    .map(hex)
    .join(':');
  return { ip: `${head}::${tail}`, type: 'ipv6' };
}

function endpoint(r: RawRecord, addrAt: number, port: number, family: number) {
  return { ...formatIp(r.buf, r.off + addrAt, family), port };
}

function netSock(kind: NetSockRec['kind']): Decoder {
  return (r, tsNs) => {
    need(r, NET_SOCK.SIZE, kind);
    const v = r.view;
    const o = r.off;
    const family = v.getUint16(o + NET_SOCK.family, true);
    const local = endpoint(r, NET_SOCK.laddr, v.getUint16(o + NET_SOCK.lport, true), family);
    const remote = endpoint(r, NET_SOCK.raddr, v.getUint16(o + NET_SOCK.rport, true), family);
    return {
      kind,
      tsNs,
      task: decodeTask(r, NET_SOCK.task),
      ret: s64(v, o + NET_SOCK.ret),
      sockCookie: v.getBigUint64(o + NET_SOCK.sock_cookie, true).toString(16),
      netType: remote.type === 'ipv4' && local.type === 'ipv4' ? 'ipv4' : local.type,
      protocol: v.getUint16(o + NET_SOCK.protocol, true),
      sockType: v.getUint16(o + NET_SOCK.sock_type, true),
      local: { ip: local.ip, port: local.port },
      remote: { ip: remote.ip, port: remote.port },
      fd: v.getInt32(o + NET_SOCK.fd, true),
      backlog: v.getUint32(o + NET_SOCK.backlog, true),
    };
  };
}

function netState(r: RawRecord, tsNs: number): NetStateRec {
  need(r, NET_STATE.SIZE, 'tcp state');
  const v = r.view;
  const o = r.off;
  const family = v.getUint16(o + NET_STATE.family, true);
  const local = endpoint(r, NET_STATE.laddr, v.getUint16(o + NET_STATE.lport, true), family);
  const remote = endpoint(r, NET_STATE.raddr, v.getUint16(o + NET_STATE.rport, true), family);
  return {
    kind: 'net_state',
    tsNs,
    task: decodeTask(r, NET_STATE.task),
    sockCookie: v.getBigUint64(o + NET_STATE.sock_cookie, true).toString(16),
    netType: local.type === 'ipv4' && remote.type === 'ipv4' ? 'ipv4' : local.type,
    protocol: v.getUint16(o + NET_STATE.protocol, true),
    local: { ip: local.ip, port: local.port },
    remote: { ip: remote.ip, port: remote.port },
    oldState: v.getUint32(o + NET_STATE.old_state, true),
    newState: v.getUint32(o + NET_STATE.new_state, true),
  };
}

function dnsPacket(r: RawRecord, tsNs: number): DnsPacketRec {
  need(r, DNS_PACKET.SIZE, 'dns packet');
  const v = r.view;
  const o = r.off;
  const len = v.getUint16(o + DNS_PACKET.payload_len, true);
  fits(r, DNS_PACKET.SIZE, len, 'dns packet');
  const family = v.getUint16(o + DNS_PACKET.family, true);
  const src = endpoint(r, DNS_PACKET.saddr, v.getUint16(o + DNS_PACKET.sport, true), family);
  const dst = endpoint(r, DNS_PACKET.daddr, v.getUint16(o + DNS_PACKET.dport, true), family);
  const start = o + DNS_PACKET.SIZE;
  return {
    kind: 'dns_packet',
    tsNs,
    sockCookie: v.getBigUint64(o + DNS_PACKET.sock_cookie, true).toString(16),
    pid: v.getUint32(o + DNS_PACKET.pid, true),
    tid: v.getUint32(o + DNS_PACKET.tid, true),
    uid: v.getUint32(o + DNS_PACKET.uid, true),
    gid: v.getUint32(o + DNS_PACKET.gid, true),
    comm: cstr(r.buf, o + DNS_PACKET.comm, o + DNS_PACKET.comm + 16),
    netType: src.type,
    answer: v.getUint16(o + DNS_PACKET.direction, true) === 1,
    source: { ip: src.ip, port: src.port },
    destination: { ip: dst.ip, port: dst.port },
    wireLen: v.getUint16(o + DNS_PACKET.wire_len, true),
    payload: Buffer.from(r.buf.subarray(start, start + len)),
  };
}

function auditUser(r: RawRecord, tsNs: number): AuditUserRec {
  need(r, AUDIT_USER.SIZE, 'audit');
  const len = r.view.getUint32(r.off + AUDIT_USER.text_len, true);
  fits(r, AUDIT_USER.SIZE, len, 'audit');
  const start = r.off + AUDIT_USER.SIZE;
  return {
    kind: 'audit_user',
    tsNs,
    auditType: r.view.getUint32(r.off + AUDIT_USER.audit_type, true),
    text: r.buf.toString('utf8', start, start + len),
  };
}

function bashReadline(r: RawRecord, tsNs: number): BashReadlineRec {
  need(r, BASH_READLINE.SIZE, 'bash readline');
  const len = r.view.getUint32(r.off + BASH_READLINE.line_len, true);
  fits(r, BASH_READLINE.SIZE, len, 'bash readline');
  const start = r.off + BASH_READLINE.SIZE;
  return {
    kind: 'bash_readline',
    tsNs,
    task: decodeTask(r, BASH_READLINE.task),
    line: r.buf.toString('utf8', start, start + len),
    truncated: (r.view.getUint32(r.off + BASH_READLINE.flags, true) & 1) !== 0,
  };
}

/**
 * Rows for decode.ts's DECODERS. A function declaration taking the type numbers from its caller
 * on purpose: see the module comment.
 */
export function netDecoders(rec: typeof REC): [number, Decoder][] {
  return [
    [rec.NET_CONNECT, netSock('net_connect')],
    [rec.NET_ACCEPT, netSock('net_accept')],
    [rec.NET_LISTEN, netSock('net_listen')],
    [rec.NET_STATE, netState],
    [rec.DNS_PACKET, dnsPacket],
    [rec.AUDIT_USER, auditUser],
    [rec.BASH_READLINE, bashReadline],
  ];
}
