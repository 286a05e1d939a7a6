/**
 * The actions strict evidence needs, checked against sources other than the generator's own
 * bookkeeping: script files re-read from disk, interpreters' own pids, bash's own parent pid;
 * sockets found in the kernel's tables (/proc/net) and owned by the actor (/proc/<pid>/fd).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { executeRun, newRunId } from '../../generators/lib/execute.ts';
import { probeHost } from '../../generators/lib/host.ts';
import { type Action, type Run, RunSchema } from '../../generators/manifest.schema.ts';
import { findGenerator } from '../../generators/registry.ts';
import { traces } from './helpers.ts';

async function run(
  name: string,
  skip: (note: string) => never,
  check: (action: Action, runId: string) => void,
): Promise<Run> {
  const generator = findGenerator(name);
  if (generator === undefined) throw new Error(`no generator ${name}`);
  const missing = generator.unavailable(probeHost());
  if (missing !== undefined) skip(`${name} is not possible on this host: ${missing}`);
  const runId = newRunId();
  const problems: string[] = [];
  const result = await executeRun(generator, {
    runId,
    iteration: 1,
    host: probeHost(),
    signal: new AbortController().signal,
    log: () => {},
    observe: (action) => {
      try {
        check(action, runId);
      } catch (error) {
        problems.push(`#${action.seq} ${action.operation}: ${(error as Error).message}`);
      }
    },
  });
  expect(problems).toEqual([]);
  expect(RunSchema.parse(result)).toEqual(result);
  expect(result.status, result.reason).toBe('ok');
  expect(result.leftovers).toEqual([]);
  expect(traces(runId)).toEqual([]);
  return result;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

interface SocketRow {
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  state: string;
  inode: string;
}

/** /proc/net/{tcp,tcp6,udp,udp6} rows, ports in decimal, addresses as the kernel's hex. */
function socketTable(file: 'tcp' | 'tcp6' | 'udp' | 'udp6'): SocketRow[] {
  return readFileSync(`/proc/net/${file}`, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const f = line.trim().split(/\s+/);
      const [local = '', localPort = '0'] = (f[1] ?? '').split(':');
      const [remote = '', remotePort = '0'] = (f[2] ?? '').split(':');
      return {
        local,
        localPort: Number.parseInt(localPort, 16),
        remote,
        remotePort: Number.parseInt(remotePort, 16),
        state: f[3] ?? '',
        inode: f[9] ?? '',
      };
    });
}

/** Socket inodes the process holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

const LOOPBACK_HEX = { ipv4: '0100007F', ipv6: '00000000000000000000000001000000' };

describe('script_content by file, standard input and pty', () => {
  it('records each delivery with the script text, the file and the pid of the interpreter that ran it', async ({
    skip,
  }) => {
    const r = await run('script_content', skip, (a, runId) => {
      const s = a.args.script;
      if (s === undefined) return;
      expect(s.sha256).toBe(sha256(s.content));
      expect(s.content).toContain(runId);
      if (a.expect === 'success') expect(a.children?.[0]?.pid).toBeGreaterThan(0);
      if (s.delivery === 'file') {
        // The file is still there: its bytes are the content, its first line the shebang.
        const path = s.path as string;
        expect(readFileSync(path, 'utf8')).toBe(s.content);
        expect(s.content.split('\n')[0]).toBe(`#!${s.interpreter}`);
        expect(statSync(path).mode & 0o100).toBe(0o100);
        expect(a.args.argv).toEqual([path]);
        expect(a.children?.[0]?.executable).toBe(path);
      } else {
        expect(s.path).toBeUndefined();
      }
      if (s.delivery === 'file' || s.delivery === 'stdin') {
        // The script printed its own pid ($$, os.getpid()): the process Node spawned ran it.
        expect(Number(/ (\d+)$/.exec(a.note ?? '')?.[1])).toBe(s.pid);
        expect(a.children?.[0]?.pid).toBe(s.pid);
      }
      if (s.delivery === 'stdin') {
        expect(a.args.argv?.join(' ')).not.toContain(runId);
      }
      if (s.delivery === 'pty') {
        // bash printed $$ and $PPID; its parent is the script process Node spawned.
        const [scriptChild, bash] = a.children ?? [];
        expect(bash?.pid).toBe(s.pid);
        expect(bash?.ppid).toBe(scriptChild?.pid);
        expect(scriptChild?.executable).toBe(probeHost().bin.script);
        expect(s.content).toBe(`echo "typed ${runId} pid=$$ ppid=$PPID"`);
        expect(a.args.argv?.join(' ')).not.toContain('typed');
      }
    });
    const deliveries = r.actions.flatMap((a) =>
      a.args.script?.delivery === undefined ? [] : [a.args.script.delivery],
    );
    expect(new Set(deliveries)).toEqual(new Set(['argv', 'file', 'stdin', 'pty']));
  });
});

describe('network_loopback directions', () => {
  it('records connect and accept from both ends and a UDP datagram sent and received, as the kernel shows the sockets', async ({
    skip,
  }) => {
    const connects = new Map<string, number>();
    let udpSender: number | undefined;
    const r = await run('network_loopback', skip, (a, runId) => {
      const n = a.args.network;
      if (n === undefined) throw new Error('no network facts');
      if (['connect', 'accept', 'sendto', 'recvfrom'].includes(a.operation)) {
        expect(n.direction).toBe(
          a.operation === 'connect' || a.operation === 'sendto' ? 'outbound' : 'inbound',
        );
        expect(n.remoteAddress).toBeDefined();
        expect(n.remotePort).toBeGreaterThan(0);
        expect(n.localPort).toBeGreaterThan(0);
      }
      if (!a.result.ok) return;
      const mine = socketInodes(a.actor.pid);
      const hex = LOOPBACK_HEX[n.family];
      if (a.operation === 'connect') connects.set(n.family, n.localPort);
      if (a.operation === 'accept') {
        // The client socket is still open: the kernel's row for it has the recorded peer port
        // as its local port and the listening port as its remote one, and the actor owns it.
        const client = socketTable(n.family === 'ipv4' ? 'tcp' : 'tcp6').find(
          (row) =>
            row.localPort === n.remotePort &&
            row.remotePort === n.localPort &&
            row.local === hex &&
            row.remote === hex,
        );
        expect(client, `no tcp row ${n.remotePort} -> ${n.localPort}`).toBeDefined();
        expect(mine.has(client?.inode ?? '')).toBe(true);
        expect(n.remotePort).toBe(connects.get(n.family));
      }
      if (a.operation === 'sendto') {
        udpSender = n.localPort;
        const sender = socketTable('udp').find((row) => row.localPort === n.localPort);
        const receiver = socketTable('udp').find((row) => row.localPort === n.remotePort);
        expect(mine.has(sender?.inode ?? '')).toBe(true);
        expect(mine.has(receiver?.inode ?? '')).toBe(true);
        expect(n.bytesSent).toBe(Buffer.byteLength(`${runId} datagram`));
      }
      if (a.operation === 'recvfrom') {
        // The peer recvfrom reported is the sending socket, which the kernel still lists.
        expect(n.remotePort).toBe(udpSender);
        const receiver = socketTable('udp').find((row) => row.localPort === n.localPort);
        expect(receiver?.local).toBe(hex);
        expect(mine.has(receiver?.inode ?? '')).toBe(true);
        expect(n.bytesReceived).toBe(Buffer.byteLength(`${runId} datagram`));
      }
    });
    const ops = r.actions.filter((a) => a.phase === 'action').map((a) => a.operation);
    expect(ops).toEqual(expect.arrayContaining(['connect', 'accept', 'sendto', 'recvfrom']));
    const refused = r.actions.at(-1);
    expect(refused?.result.errnoName).toBe('ECONNREFUSED');
    expect(refused?.args.network?.direction).toBe('outbound');
    expect(refused?.args.network?.localPort).toBeGreaterThan(0);
  });
});
