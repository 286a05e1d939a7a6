/**
 * A DNS message (RFC 1035 section 4) → the ECS `dns` fields: id, op code, header flags, response
 * code, the question and the answers with their data. Parses what the kernel side captured (at
 * most 512 bytes of UDP payload); a cut-off or malformed message yields what could be read plus a
 * reason, never an exception.
 */
import { formatIp } from '../net/decode.ts';
import { AF_INET6 } from '../net/records.ts';

interface DnsAnswer {
  name: string;
  type: string;
  class: string;
  ttl: number;
  data: string;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opCode: string;
  headerFlags: string[];
  responseCode: string;
  question?: { name: string; type: string; class: string };
  answers: DnsAnswer[];
  /** A and AAAA answer data, in order. */
  resolvedIps: string[];
  /** Why parsing stopped early, if it did. */
  error?: string;
}

const TYPES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  252: 'AXFR',
  255: 'ANY',
  257: 'CAA',
};
const CLASSES: Record<number, string> = { 1: 'IN', 3: 'CH', 4: 'HS', 255: 'ANY' };
const OPCODES = ['QUERY', 'IQUERY', 'STATUS', '3', 'NOTIFY', 'UPDATE', 'DSO'];
const RCODES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

class Truncated extends Error {}

function dnsTypeName(t: number): string {
  return TYPES[t] ?? `TYPE${t}`;
}

/** Reads a possibly compressed name at off; returns it and the offset after it in place. */
function readName(b: Buffer, off: number): [string, number] {
  const labels: string[] = [];
  let end = -1;
  let p = off;
  for (let jumps = 0; jumps < 64; ) {
    if (p >= b.length) throw new Truncated(`name at byte ${off} runs past the captured bytes`);
    const len = b[p] as number;
    if (len === 0) {
      if (end < 0) end = p + 1;
      return [labels.join('.'), end];
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= b.length) throw new Truncated(`name pointer at byte ${p} is cut off`);
      if (end < 0) end = p + 2;
      p = ((len & 0x3f) << 8) | (b[p + 1] as number);
      jumps++;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Error(`label type 0x${len.toString(16)} at byte ${p}`);
    if (p + 1 + len > b.length)
      throw new Truncated(`label at byte ${p} runs past the captured bytes`);
    labels.push(b.toString('latin1', p + 1, p + 1 + len));
    p += 1 + len;
  }
  throw new Error(`name at byte ${off} has a compression loop`);
}

function rdata(b: Buffer, type: number, at: number, len: number): string {
  const end = at + len;
  switch (type) {
    case 1:
      return len === 4 ? `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}` : '';
    case 28:
      return len === 16 ? formatIp(b, at, AF_INET6).ip : '';
    case 2:
    case 5:
    case 12:
      return readName(b, at)[0];
    case 15:
      return `${b.readUInt16BE(at)} ${readName(b, at + 2)[0]}`;
    case 16: {
      const parts: string[] = [];
      for (let p = at; p < end; ) {
        const n = b[p] as number;
        parts.push(b.toString('utf8', p + 1, Math.min(end, p + 1 + n)));
        p += 1 + n;
      }
      return parts.join('');
    }
    case 33:
      return `${b.readUInt16BE(at)} ${b.readUInt16BE(at + 2)} ${b.readUInt16BE(at + 4)} ${readName(b, at + 6)[0]}`;
    case 6: {
      const [mname, p1] = readName(b, at);
      const [rname, p2] = readName(b, p1);
      return `${mname} ${rname} ${b.readUInt32BE(p2)}`;
    }
    default:
      return b.toString('hex', at, end);
  }
}

export function parseDns(b: Buffer): DnsMessage {
  const msg: DnsMessage = {
    id: 0,
    response: false,
    opCode: 'QUERY',
    headerFlags: [],
    responseCode: 'NOERROR',
    answers: [],
    resolvedIps: [],
  };
  if (b.length < 12) {
    msg.error = `message is ${b.length} bytes, shorter than the 12-byte DNS header`;
    return msg;
  }
  msg.id = b.readUInt16BE(0);
  const flags = b.readUInt16BE(2);
  msg.response = (flags & 0x8000) !== 0;
  msg.opCode = OPCODES[(flags >> 11) & 0xf] ?? String((flags >> 11) & 0xf);
  for (const [bit, name] of [
    [0x0400, 'AA'],
    [0x0200, 'TC'],
    [0x0100, 'RD'],
    [0x0080, 'RA'],
    [0x0020, 'AD'],
    [0x0010, 'CD'],
  ] as const) {
    if (flags & bit) msg.headerFlags.push(name);
  }
  msg.responseCode = RCODES[flags & 0xf] ?? String(flags & 0xf);
  const qd = b.readUInt16BE(4);
  const an = b.readUInt16BE(6);
  let p = 12;
  try {
    for (let i = 0; i < qd; i++) {
      const [name, next] = readName(b, p);
      if (next + 4 > b.length) throw new Truncated('question is cut off');
      const q = {
        name,
        type: dnsTypeName(b.readUInt16BE(next)),
        class: CLASSES[b.readUInt16BE(next + 2)] ?? String(b.readUInt16BE(next + 2)),
      };
      if (i === 0) msg.question = q;
      p = next + 4;
    }
    for (let i = 0; i < an; i++) {
      const [name, next] = readName(b, p);
      if (next + 10 > b.length) throw new Truncated(`answer ${i + 1} is cut off`);
      const type = b.readUInt16BE(next);
      const len = b.readUInt16BE(next + 8);
      const at = next + 10;
      if (at + len > b.length) throw new Truncated(`answer ${i + 1} data is cut off`);
      const data = rdata(b, type, at, len);
      msg.answers.push({
        name,
        type: dnsTypeName(type),
        class: CLASSES[b.readUInt16BE(next + 2)] ?? String(b.readUInt16BE(next + 2)),
        ttl: b.readUInt32BE(next + 4),
        data,
      });
      if (type === 1 || type === 28) msg.resolvedIps.push(data);
      p = at + len;
    }
  } catch (error) {
    msg.error =
      error instanceof Truncated
        ? `${error.message} (the agent keeps the first 512 bytes)`
        : `malformed: ${(error as Error).message}`;
  }
  return msg;
}
