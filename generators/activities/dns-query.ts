/**
 * DNS queries through a real resolver (c-ares, via node:dns Resolver) to a DNS server this
 * generator runs itself on loopback. Nothing leaves the host.
 */
import { createSocket, type Socket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import { readFileSync } from 'node:fs';
import type { Generator } from '../generator.types.ts';
import { allowUnprivilegedPort53 } from '../lib/port53.ts';

const TYPES: Record<number, string> = { 1: 'A', 28: 'AAAA', 16: 'TXT' };

interface Seen {
  id: number;
  name: string;
  type: string;
  clientPort: number;
}

function parseQuestion(msg: Buffer): { name: string; qtype: number; end: number } {
  const labels: string[] = [];
  let offset = 12;
  for (let len = msg.readUInt8(offset); len !== 0; len = msg.readUInt8(offset)) {
    labels.push(msg.subarray(offset + 1, offset + 1 + len).toString('latin1'));
    offset += len + 1;
  }
  return { name: labels.join('.'), qtype: msg.readUInt16BE(offset + 1), end: offset + 5 };
}

/** The answers this server gives, so the manifest can say exactly what the resolver received. */
function answersFor(name: string, runId: string, qtype: number): string[] {
  if (!name.endsWith(`${runId}.etm.test`) || name.startsWith('nx.')) return [];
  if (qtype === 1) return ['127.0.0.1'];
  if (qtype === 28) return ['::1'];
  if (qtype === 16) return [`etm ${runId}`];
  return [];
}

function encodeRdata(qtype: number, answer: string): Buffer {
  if (qtype === 1) return Buffer.from(answer.split('.').map(Number));
  if (qtype === 28) {
    const out = Buffer.alloc(16);
    out[15] = 1;
    return out;
  }
  const text = Buffer.from(answer);
  return Buffer.concat([Buffer.from([text.length]), text]);
}

function reply(query: Buffer, runId: string): Buffer {
  const { name, qtype, end } = parseQuestion(query);
  const answers = answersFor(name, runId, qtype);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, RD copied, RA; RCODE 3 (NXDOMAIN) when there is no such name.
  header.writeUInt16BE(
    0x8180 |
      (query.readUInt16BE(2) & 0x0100) |
      (answers.length === 0 && name.startsWith('nx.') ? 3 : 0),
    2,
  );
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const records = answers.map((answer) => {
    const rdata = encodeRdata(qtype, answer);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(qtype, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, end), ...records]);
}

function bind(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

export const dnsQuery: Generator = {
  name: 'dns_query',
  summary:
    'Starts a DNS server on loopback and resolves A, AAAA and TXT names (and one NXDOMAIN) through node:dns (c-ares) against it.',
  subCategories: ['dns-query', 'network-connection'],
  needsRoot: false,
  touches:
    'a UDP socket on 127.0.0.1 (port 53 on a private 127.x address when the host allows it; as root, net.ipv4.ip_unprivileged_port_start is 53 during the run)',
  unavailable: () => undefined,
  hostSetupAsRoot: allowUnprivilegedPort53,
  async run(ctx) {
    const server = createSocket('udp4');
    ctx.onCleanup('close dns server', () => {
      try {
        server.close();
      } catch {
        // already closed
      }
    });
    const seen: Seen[] = [];
    server.on('message', (msg, rinfo) => {
      try {
        const { name, qtype } = parseQuestion(msg);
        seen.push({
          id: msg.readUInt16BE(0),
          name,
          type: TYPES[qtype] ?? String(qtype),
          clientPort: rinfo.port,
        });
        server.send(reply(msg, ctx.runId), rinfo.port, rinfo.address);
      } catch {
        // malformed datagram: not ours, ignore
      }
    });
    // Sensors that parse DNS by port only see port 53; binding it needs it to be unprivileged.
    const unprivilegedStart = Number(
      (() => {
        try {
          return readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
        } catch {
          return '1024';
        }
      })(),
    );
    let address = '127.0.0.1';
    let port = 0;
    await ctx.stepAsync(
      {
        phase: 'setup',
        subCategories: ['network-socket-listen'],
        operation: 'bind',
        via: 'node',
        args: { network: { protocol: 'udp', family: 'ipv4', localAddress: address, localPort: 0 } },
        note: 'The loopback DNS server the queries go to.',
      },
      async () => {
        let bound = false;
        if (unprivilegedStart <= 53 || process.getuid?.() === 0) {
          const candidate = `127.53.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
          try {
            await bind(server, candidate, 53);
            address = candidate;
            bound = true;
          } catch {
            // taken or not allowed: fall back to an ephemeral port
          }
        }
        if (!bound) await bind(server, address, 0);
        port = server.address().port;
        return {
          result: { ok: true, returnValue: 0 },
          args: {
            network: { protocol: 'udp', family: 'ipv4', localAddress: address, localPort: port },
          },
        };
      },
    );
    const resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`${address}:${port}`]);
    const name = `${ctx.runId}.etm.test`;
    const queries: Array<[string, string, () => Promise<string[]>]> = [
      ['A', name, () => resolver.resolve4(`a.${name}`)],
      ['AAAA', name, () => resolver.resolve6(`aaaa.${name}`)],
      [
        'TXT',
        name,
        async () => (await resolver.resolveTxt(`txt.${name}`)).map((parts) => parts.join('')),
      ],
    ];
    for (const [type, , query] of queries) {
      const qname = `${type.toLowerCase()}.${name}`;
      await ctx.stepAsync(
        {
          subCategories: ['dns-query'],
          operation: 'dns-query',
          via: 'node',
          args: { dns: { name: qname, type, server: address, serverPort: port, answers: [] } },
        },
        async () => {
          const answers = await query();
          const hit = seen.find((s) => s.name === qname && s.type === type);
          return {
            result: { ok: answers.length > 0, returnValue: answers.length },
            args: {
              dns: {
                name: qname,
                type,
                server: address,
                serverPort: port,
                ...(hit === undefined ? {} : { transactionId: hit.id, clientPort: hit.clientPort }),
                answers,
                rcode: 'NOERROR',
              },
            },
          };
        },
      );
    }
    const nx = `nx.${name}`;
    await ctx.stepAsync(
      {
        subCategories: ['dns-query'],
        operation: 'dns-query',
        via: 'node',
        args: {
          dns: {
            name: nx,
            type: 'A',
            server: address,
            serverPort: port,
            answers: [],
            rcode: 'NXDOMAIN',
          },
        },
        expect: 'failure',
        note: 'The server answers NXDOMAIN; the resolver reports ENOTFOUND.',
      },
      async () => {
        const answers = await resolver.resolve4(nx);
        return { result: { ok: true, returnValue: answers.length } };
      },
    );
    resolver.cancel();
  },
};
