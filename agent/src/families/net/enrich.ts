/**
 * ECS events of the network family: connection_attempted, connection_accepted, listen, and the
 * handshake's end (connection_established, connection_failed). Names follow Elastic Defend.
 */
import type { EnrichContext, EventSpec } from '../../event.ts';
import type { Endpoint, NetRec, NetSockRec, NetStateRec } from './decode.ts';
import { TCP_STATE } from './records.ts';

/** IP protocol numbers → ECS network.transport. */
const PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [6, 'tcp'],
  [17, 'udp'],
  [1, 'icmp'],
  [58, 'ipv6-icmp'],
  [132, 'sctp'],
]);

/** errno values a connect can fail with → their names, for error.code. */
const ERRNO: ReadonlyMap<number, string> = new Map([
  [1, 'EPERM'],
  [4, 'EINTR'],
  [9, 'EBADF'],
  [11, 'EAGAIN'],
  [13, 'EACCES'],
  [22, 'EINVAL'],
  [97, 'EAFNOSUPPORT'],
  [98, 'EADDRINUSE'],
  [99, 'EADDRNOTAVAIL'],
  [101, 'ENETUNREACH'],
  [103, 'ECONNABORTED'],
  [104, 'ECONNRESET'],
  [106, 'EISCONN'],
  [110, 'ETIMEDOUT'],
  [111, 'ECONNREFUSED'],
  [113, 'EHOSTUNREACH'],
  [114, 'EALREADY'],
  [115, 'EINPROGRESS'],
]);
const EINPROGRESS = -115;

/** `{"ip":..,"port":..}` */
export function ep(e: Endpoint): string {
  return `{"ip":"${e.ip}","port":${e.port}}`;
}

function transport(protocol: number): string {
  return PROTOCOLS.get(protocol) ?? `ipproto-${protocol}`;
}

export class NetEnricher {
  private readonly ctx: EnrichContext;

  constructor(ctx: EnrichContext) {
    this.ctx = ctx;
  }

  onRecord(rec: NetRec): void {
    if (rec.kind === 'net_state') this.tcpState(rec);
    else this.sock(rec);
  }

  private sock(rec: NetSockRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    const proto = transport(rec.protocol);
    const ext = `"Ext":{"socket_cookie":"${rec.sockCookie}","fd":${rec.fd}${rec.kind === 'net_listen' ? `,"backlog":${rec.backlog}` : ''}}`;
    let action: string;
    let top: string;
    let outcome: EventSpec['outcome'] = 'success';
    let direction: string;
    if (rec.kind === 'net_connect') {
      action = 'connection_attempted';
      direction = 'egress';
      top = `,"source":${ep(rec.local)},"destination":${ep(rec.remote)}`;
      if (rec.ret === EINPROGRESS) outcome = 'unknown';
      else if (rec.ret < 0) {
        outcome = 'failure';
        top += `,"error":{"code":"${ERRNO.get(-rec.ret) ?? String(-rec.ret)}"}`;
      }
    } else if (rec.kind === 'net_accept') {
      action = 'connection_accepted';
      direction = 'ingress';
      top = `,"source":${ep(rec.remote)},"destination":${ep(rec.local)}`;
    } else {
      action = 'listen';
      direction = 'ingress';
      top = `,"destination":${ep(rec.local)},"server":${ep(rec.local)}`;
    }
    top += `,"network":{"transport":"${proto}","type":"${rec.netType}","direction":"${direction}","iana_number":"${rec.protocol}",${ext}}`;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: ['network'],
      type: action === 'listen' ? ['start'] : ['start', 'connection'],
      action,
      outcome,
      proc: p,
      top,
    });
  }

  /** The handshake of a connect() finished: its real outcome (a non-blocking connect's too). */
  private tcpState(rec: NetStateRec): void {
    const p = this.ctx.processes.forTask(rec.task);
    if (this.ctx.events.isExcluded(p, rec.task)) return;
    const ok = rec.newState === TCP_STATE.ESTABLISHED;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: ['network'],
      type: ok ? ['start', 'connection'] : ['connection', 'end'],
      action: ok ? 'connection_established' : 'connection_failed',
      outcome: ok ? 'success' : 'failure',
      proc: p,
      top:
        `,"source":${ep(rec.local)},"destination":${ep(rec.remote)}` +
        `,"network":{"transport":"${transport(rec.protocol)}","type":"${rec.netType}","direction":"egress","iana_number":"${rec.protocol}"` +
        `,"Ext":{"socket_cookie":"${rec.sockCookie}","tcp_state":{"old":${rec.oldState},"new":${rec.newState}}}}`,
    });
  }
}
