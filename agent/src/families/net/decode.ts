/**
 * Decoders of the network family's records: connect, accept, listen, and the end of a connect's
 * TCP handshake. formatIp is also used by the DNS family.
 */
import {
  type Decoder,
  type DecoderRows,
  decodeTask,
  need,
  type RawRecord,
  type RecordBase,
  s64,
  type TaskCtx,
} from '../../decode.ts';
import { REC } from '../../records.ts';
import { AF_INET6, NET_SOCK, NET_STATE } from './records.ts';

export interface Endpoint {
  ip: string;
  port: number;
}

export interface NetSockRec extends RecordBase {
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

export interface NetStateRec extends RecordBase {
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

export type NetRec = NetSockRec | NetStateRec;

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

/** The address at `addrAt` of the record with its port, and whether it is IPv4 or IPv6. */
export function endpoint(r: RawRecord, addrAt: number, port: number, family: number) {
  return { ...formatIp(r.buf, r.off + addrAt, family), port };
}

function netSock(kind: NetSockRec['kind']): Decoder<NetSockRec> {
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

/** Rows for decoders.ts. */
export const NET_DECODERS: DecoderRows<NetRec> = [
  [REC.NET_CONNECT, netSock('net_connect')],
  [REC.NET_ACCEPT, netSock('net_accept')],
  [REC.NET_LISTEN, netSock('net_listen')],
  [REC.NET_STATE, netState],
];
