/** Loopback-only sockets: TCP listen/accept/connect on 127.0.0.1 and ::1, UDP, and a refused connect. */
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Generator } from '../generator.types.ts';
import type { RunContext } from '../lib/recorder.ts';

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, backlog: 4 }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

function dial(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function tcpRound(
  ctx: RunContext,
  host: string,
  family: 'ipv4' | 'ipv6',
  expect: 'success' | 'either',
) {
  const server = createServer();
  ctx.onCleanup(`close tcp server ${host}`, () => closeServer(server));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  let port = 0;
  const listened = await ctx.stepAsync(
    {
      subCategories: ['network-socket-listen'],
      operation: 'listen',
      via: 'node',
      args: { network: { protocol: 'tcp', family, localAddress: host, localPort: 0 } },
      expect,
      note: 'socket + bind to an ephemeral loopback port + listen(backlog 4).',
    },
    async () => {
      port = await listen(server, host);
      return {
        result: { ok: true, returnValue: 0 },
        args: { network: { protocol: 'tcp', family, localAddress: host, localPort: port } },
      };
    },
  );
  if (!listened.result.ok) return;
  const payload = Buffer.from(`${ctx.runId} hello over ${family}\n`);
  let client: Socket | undefined;
  await ctx.stepAsync(
    {
      subCategories: ['network-connection'],
      operation: 'connect',
      via: 'node',
      args: {
        network: {
          protocol: 'tcp',
          family,
          localAddress: host,
          localPort: 0,
          remoteAddress: host,
          remotePort: port,
        },
      },
    },
    async () => {
      client = await dial(host, port);
      ctx.onCleanup('close tcp client', () => {
        client?.destroy();
      });
      client.write(payload);
      return {
        result: { ok: true, returnValue: 0 },
        args: {
          network: {
            protocol: 'tcp',
            family,
            localAddress: client.localAddress ?? host,
            localPort: client.localPort ?? 0,
            remoteAddress: host,
            remotePort: port,
            bytesSent: payload.length,
          },
        },
      };
    },
  );
  await ctx.stepAsync(
    {
      subCategories: ['network-connection'],
      operation: 'accept',
      via: 'node',
      args: { network: { protocol: 'tcp', family, localAddress: host, localPort: port } },
      note: 'The listening side accepts the connection and reads the payload.',
    },
    async () => {
      const socket = await accepted;
      const data = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
      socket.destroy();
      return {
        result: { ok: data.equals(payload), returnValue: data.length },
        args: {
          network: {
            protocol: 'tcp',
            family,
            localAddress: host,
            localPort: port,
            remoteAddress: socket.remoteAddress ?? host,
            remotePort: socket.remotePort ?? 0,
            bytesReceived: data.length,
          },
        },
      };
    },
  );
  client?.destroy();
  await closeServer(server);
}

export const networkLoopback: Generator = {
  name: 'network_loopback',
  summary:
    'TCP listen, connect and accept on 127.0.0.1 and ::1, a UDP datagram, and a refused connect; loopback only.',
  subCategories: ['network-connection', 'network-socket-listen'],
  needsRoot: false,
  touches: 'loopback sockets on ephemeral ports only',
  unavailable: () => undefined,
  async run(ctx) {
    await tcpRound(ctx, '127.0.0.1', 'ipv4', 'success');
    // IPv6 may be disabled on the host: then the listen fails and is recorded as such.
    await tcpRound(ctx, '::1', 'ipv6', 'either');

    const receiver = createSocket('udp4');
    const sender = createSocket('udp4');
    ctx.onCleanup('close udp sockets', () => {
      for (const s of [receiver, sender]) {
        try {
          s.close();
        } catch {
          // already closed
        }
      }
    });
    let port = 0;
    await ctx.stepAsync(
      {
        subCategories: ['network-socket-listen'],
        operation: 'bind',
        via: 'node',
        args: {
          network: { protocol: 'udp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 0 },
        },
      },
      async () => {
        await new Promise<void>((resolve, reject) => {
          receiver.once('error', reject);
          receiver.bind(0, '127.0.0.1', () => resolve());
        });
        port = receiver.address().port;
        return {
          result: { ok: true, returnValue: 0 },
          args: {
            network: {
              protocol: 'udp',
              family: 'ipv4',
              localAddress: '127.0.0.1',
              localPort: port,
            },
          },
        };
      },
    );
    const datagram = Buffer.from(`${ctx.runId} datagram`);
    await ctx.stepAsync(
      {
        subCategories: ['network-connection'],
        operation: 'sendto',
        via: 'node',
        args: {
          network: {
            protocol: 'udp',
            family: 'ipv4',
            localAddress: '127.0.0.1',
            localPort: 0,
            remoteAddress: '127.0.0.1',
            remotePort: port,
          },
        },
      },
      async () => {
        const received = new Promise<Buffer>((resolve) => receiver.once('message', resolve));
        await new Promise<void>((resolve, reject) => {
          sender.bind(0, '127.0.0.1', () => {
            sender.send(datagram, port, '127.0.0.1', (error) =>
              error ? reject(error) : resolve(),
            );
          });
        });
        const got = await received;
        return {
          result: { ok: got.equals(datagram), returnValue: datagram.length },
          args: {
            network: {
              protocol: 'udp',
              family: 'ipv4',
              localAddress: '127.0.0.1',
              localPort: sender.address().port,
              remoteAddress: '127.0.0.1',
              remotePort: port,
              bytesSent: datagram.length,
            },
          },
        };
      },
    );

    // A port that was just free: the kernel answers the SYN with RST.
    const probe = createServer();
    const closedPort = await listen(probe, '127.0.0.1');
    await closeServer(probe);
    await ctx.stepAsync(
      {
        subCategories: ['network-connection'],
        operation: 'connect',
        via: 'node',
        args: {
          network: {
            protocol: 'tcp',
            family: 'ipv4',
            localAddress: '127.0.0.1',
            localPort: 0,
            remoteAddress: '127.0.0.1',
            remotePort: closedPort,
          },
        },
        expect: 'failure',
        note: 'Nothing listens on this port: connect fails with ECONNREFUSED.',
      },
      async () => {
        const socket = await dial('127.0.0.1', closedPort);
        socket.destroy();
        return { result: { ok: true, returnValue: 0 } };
      },
    );
  },
};
