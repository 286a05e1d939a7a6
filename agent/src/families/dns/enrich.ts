/**
 * ECS events of the DNS family: lookup_requested (a query leaving a client) and lookup_result
 * (its answer), parsed by message.ts. The process is the socket's, remembered by the kernel side
 * from the query; it may be gone from the table by the time the answer arrives.
 */
import type { EnrichContext } from '../../event.ts';
import type { KnownAccounts } from '../../users.ts';
import { ep } from '../net/enrich.ts';
import type { DnsPacketRec } from './decode.ts';
import { type DnsMessage, parseDns } from './message.ts';

const q = JSON.stringify;

function dnsMembers(m: DnsMessage, answer: boolean): string {
  let s = `"id":"${m.id}","type":"${answer ? 'answer' : 'query'}","op_code":"${m.opCode}","header_flags":${q(m.headerFlags)}`;
  if (answer) s += `,"response_code":"${m.responseCode}"`;
  if (m.question) {
    s += `,"question":{"name":${q(m.question.name)},"type":"${m.question.type}","class":"${m.question.class}"}`;
  }
  if (answer) {
    s += `,"answers":${q(m.answers)}`;
    if (m.resolvedIps.length) s += `,"resolved_ip":${q(m.resolvedIps)}`;
  }
  if (m.error) s += `,"Ext":{"parse_error":${q(m.error)}}`;
  return s;
}

export class DnsEnricher {
  private readonly ctx: EnrichContext;
  private readonly accounts: KnownAccounts;

  constructor(ctx: EnrichContext, accounts: KnownAccounts) {
    this.ctx = ctx;
    this.accounts = accounts;
  }

  onRecord(rec: DnsPacketRec): void {
    const msg = parseDns(rec.payload);
    const p = rec.pid ? this.ctx.processes.get(rec.pid) : undefined;
    // Looked up even when the process is known: it remembers the account's name for later.
    const user = `"user":${this.accounts.userJson(rec.uid)}`;
    const top =
      `,"source":${ep(rec.source)},"destination":${ep(rec.destination)}` +
      `,"network":{"transport":"udp","protocol":"dns","type":"${rec.netType}","direction":"${rec.answer ? 'ingress' : 'egress'}"` +
      `,"Ext":{"socket_cookie":"${rec.sockCookie}","bytes_captured":${rec.payload.length},"bytes":${rec.wireLen}}}` +
      `,"dns":{${dnsMembers(msg, rec.answer)}}`;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: ['network'],
      type: ['protocol', 'info'],
      action: rec.answer ? 'lookup_result' : 'lookup_requested',
      ...(rec.answer ? { outcome: msg.responseCode === 'NOERROR' ? 'success' : 'failure' } : {}),
      proc: p,
      fallbackProcess: rec.pid
        ? `"process":{"pid":${rec.pid},"thread":{"id":${rec.tid}},"name":${q(rec.comm)}}`
        : '"process":{"pid":0}',
      ...(p ? {} : { user }),
      top,
    });
  }
}
