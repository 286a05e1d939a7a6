/** Decoder of the DNS family's record: one UDP packet to or from a DNS port, with its socket's process. */
import {
  cstr,
  type DecoderRows,
  fits,
  need,
  type RawRecord,
  type RecordBase,
} from '../../decode.ts';
import { COMM_LEN, REC } from '../../records.ts';
import { type Endpoint, endpoint } from '../net/decode.ts';
import { DNS_DIR, DNS_PACKET } from './records.ts';

export interface DnsPacketRec extends RecordBase {
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
    comm: cstr(r.buf, o + DNS_PACKET.comm, o + DNS_PACKET.comm + COMM_LEN),
    netType: src.type,
    answer: v.getUint16(o + DNS_PACKET.direction, true) === DNS_DIR.ANSWER,
    source: { ip: src.ip, port: src.port },
    destination: { ip: dst.ip, port: dst.port },
    wireLen: v.getUint16(o + DNS_PACKET.wire_len, true),
    payload: Buffer.from(r.buf.subarray(start, start + len)),
  };
}

/** Rows for decoders.ts. */
export const DNS_DECODERS: DecoderRows<DnsPacketRec> = [[REC.DNS_PACKET, dnsPacket]];
