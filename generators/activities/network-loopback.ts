/**
 * Loopback-only sockets: TCP listen, connect (outbound) and accept (inbound) on 127.0.0.1 and ::1,
 * a UDP datagram sent from one socket and received by another, and a refused connect. Every
 * network action records protocol, both ends, direction and outcome.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Generator } from '../generator.types.ts';
import type { RunContext } from '../lib/recorder.ts';
import type { ActionArgs } from '../manifest.schema.ts';

type Network = NonNullable<ActionArgs['network']>;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, backlog: 4 }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

function dial(host: string, port: number, localPort?: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      ...(localPort === undefined ? {} : { localAddress: host, localPort }),
    });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function bindUdp(socket: UdpSocket, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve(socket.address().port));
  });
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
  const outbound: Network = {
    protocol: 'tcp',
    family,
    localAddress: host,
    localPort: 0,
    remoteAddress: host,
    remotePort: port,
    direction: 'outbound',
  };
  let client: Socket | undefined;
  await ctx.stepAsync(
    {
      subCategories: ['network-connection'],
      operation: 'connect',
      via: 'node',
      args: { network: outbound },
      note: 'The client end: localPort is the ephemeral port the kernel chose for it.',
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
            ...outbound,
            localAddress: client.localAddress ?? host,
            localPort: client.localPort ?? 0,
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
      args: {
        network: {
          protocol: 'tcp',
          family,
          localAddress: host,
          localPort: port,
          direction: 'inbound',
        },
      },
      note: 'The listening side accepts the connection and reads the payload: localPort is the listening port, remote the client end it accepted.',
    },
    async () => {
      const socket = await accepted;
      // Read the peer before anything closes the socket: a destroyed socket forgets it.
      const remoteAddress = socket.remoteAddress;
      const remotePort = socket.remotePort;
      const data = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
      socket.destroy();
      if (remoteAddress === undefined || remotePort === undefined) {
        return { result: { ok: false, message: 'the accepted socket has no peer address' } };
      }
      return {
        result: { ok: data.equals(payload), returnValue: data.length },
        args: {
          network: {
            protocol: 'tcp',
            family,
            localAddress: socket.localAddress ?? host,
            localPort: socket.localPort ?? port,
            remoteAddress,
            remotePort,
            bytesReceived: data.length,
            direction: 'inbound',
          },
        },
      };
    },
  );
  client?.destroy();
  await closeServer(server);
}

/** One datagram from a sender socket to a receiver socket, both on 127.0.0.1. */
async function udpRound(ctx: RunContext): Promise<void> {
  const host = '127.0.0.1';
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
  let receiverPort = 0;
  await ctx.stepAsync(
    {
      subCategories: ['network-socket-listen'],
      operation: 'bind',
      via: 'node',
      args: { network: { protocol: 'udp', family: 'ipv4', localAddress: host, localPort: 0 } },
      note: 'The receiving socket.',
    },
    async () => {
      receiverPort = await bindUdp(receiver, host);
      return {
        result: { ok: true, returnValue: 0 },
        args: {
          network: { protocol: 'udp', family: 'ipv4', localAddress: host, localPort: receiverPort },
        },
      };
    },
  );
  let senderPort = 0;
  await ctx.stepAsync(
    {
      subCategories: [],
      operation: 'bind',
      via: 'node',
      phase: 'setup',
      args: { network: { protocol: 'udp', family: 'ipv4', localAddress: host, localPort: 0 } },
      note: 'The sending socket, bound first so its port is known before it sends.',
    },
    async () => {
      senderPort = await bindUdp(sender, host);
      return {
        result: { ok: true, returnValue: 0 },
        args: {
          network: { protocol: 'udp', family: 'ipv4', localAddress: host, localPort: senderPort },
        },
      };
    },
  );
  const datagram = Buffer.from(`${ctx.runId} datagram`);
  const received = new Promise<[Buffer, RemoteInfo]>((resolve) =>
    receiver.once('message', (msg, rinfo) => resolve([msg, rinfo])),
  );
  const sent: Network = {
    protocol: 'udp',
    family: 'ipv4',
    localAddress: host,
    localPort: senderPort,
    remoteAddress: host,
    remotePort: receiverPort,
    direction: 'outbound',
  };
  await ctx.stepAsync(
    {
      subCategories: ['network-connection'],
      operation: 'sendto',
      via: 'node',
      args: { network: sent },
    },
    async () => {
      const bytes = await new Promise<number>((resolve, reject) => {
        sender.send(datagram, receiverPort, host, (error, n) =>
          error ? reject(error) : resolve(n),
        );
      });
      return {
        result: { ok: bytes === datagram.length, returnValue: bytes },
        args: { network: { ...sent, bytesSent: bytes } },
      };
    },
  );
  await ctx.stepAsync(
    {
      subCategories: ['network-connection'],
      operation: 'recvfrom',
      via: 'node',
      args: {
        network: {
          protocol: 'udp',
          family: 'ipv4',
          localAddress: host,
          localPort: receiverPort,
          direction: 'inbound',
        },
      },
      note: "The receiving socket reads the datagram; remote is the sender's address and port as recvfrom returned them.",
    },
    async () => {
      const [msg, rinfo] = await received;
      return {
        result: { ok: msg.equals(datagram), returnValue: msg.length },
        args: {
          network: {
            protocol: 'udp',
            family: 'ipv4',
            localAddress: host,
            localPort: receiverPort,
            remoteAddress: rinfo.address,
            remotePort: rinfo.port,
            bytesReceived: msg.length,
            direction: 'inbound',
          },
        },
      };
    },
  );
}

export const networkLoopback: Generator = {
  name: 'network_loopback',
  summary:
    'TCP listen, connect and accept on 127.0.0.1 and ::1, a UDP datagram sent and received, and a refused connect; loopback only.',
  subCategories: ['network-connection', 'network-socket-listen'],
  needsRoot: false,
  touches: 'loopback sockets on ephemeral ports only',
  unavailable: () => undefined,
  async run(ctx) {
    await tcpRound(ctx, '127.0.0.1', 'ipv4', 'success');
    // IPv6 may be disabled on the host: then the listen fails and is recorded as such.
    await tcpRound(ctx, '::1', 'ipv6', 'either');
    await udpRound(ctx);

    // Ports that were just free: the kernel answers the SYN to the closed one with RST. The
    // client binds the other one first, so the failed attempt's local port is known too.
    const freePort = async () => {
      const probe = createServer();
      const port = await listen(probe, '127.0.0.1');
      await closeServer(probe);
      return port;
    };
    const closedPort = await freePort();
    const clientPort = await freePort();
    const refused: Network = {
      protocol: 'tcp',
      family: 'ipv4',
      localAddress: '127.0.0.1',
      localPort: clientPort,
      remoteAddress: '127.0.0.1',
      remotePort: closedPort,
      direction: 'outbound',
    };
    await ctx.stepAsync(
      {
        subCategories: ['network-connection'],
        operation: 'connect',
        via: 'node',
        args: { network: refused },
        expect: 'failure',
        note: 'Nothing listens on this port: connect (from a socket bound to localPort first) fails with ECONNREFUSED.',
      },
      async () => {
        const socket = await dial('127.0.0.1', closedPort, clientPort);
        socket.destroy();
        return { result: { ok: true, returnValue: 0 } };
      },
    );
  },
};
