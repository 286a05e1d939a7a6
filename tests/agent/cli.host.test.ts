/**
 * The agent's command line and its loader as processes: help and usage errors, refusal without
 * privileges, replay of a damaged stream, and the loader's clean exits (signal, reader gone).
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../agent/src/ecs-event.ts';
import { waitForReady } from '../../agent/src/ready.ts';
import {
  AGENT_CLI,
  announceSkip,
  BUILD,
  bpfSkipReason,
  buildAgent,
  REPO,
  tempDir,
} from './helpers.ts';
import { exitRecordBytes, frameOf, helloRecord } from './records.fixture.ts';

function cli(args: string[], opts: { asNobody?: boolean } = {}) {
  const argv = [process.execPath, AGENT_CLI, ...args];
  const cmd = opts.asNobody
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv]
    : argv;
  return spawnSync(cmd[0] as string, cmd.slice(1), { cwd: REPO, encoding: 'utf8' });
}

describe('agent command line', () => {
  it('prints help with every flag and exits 0', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run agent -- \[--out <file>\]/);
    for (const flag of ['--out', '--duration', '--exclude', '--json-debug', '--replay', '--help']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('prints help and exits 2 on an unknown flag', () => {
    const r = cli(['--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).toContain('Usage: npm run agent');
  });

  it('rejects an exclusion rule it does not understand, naming the accepted forms', () => {
    const r = cli(['--exclude', 'comm:cron']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'The exclusion rule "comm:cron" is not understood. Use path:/absolute/glob*, name:<process name> or uid:<number>.',
    );
  });

  it('refuses to start without privileges and says what is missing', () => {
    // As root, drop to nobody; as any other user, that user already lacks the capabilities.
    const r = cli(['--duration', '1'], { asNobody: process.getuid?.() === 0 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /The agent cannot load BPF programs: this process \(uid \d+\) lacks CAP_BPF and CAP_PERFMON\. Run it as root/,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('replays a saved stream, reports a truncated record and still writes the good events', () => {
    const dir = tempDir('replay');
    const file = join(dir, 'stream.bin');
    const good = frameOf(exitRecordBytes(31337, 0x0900));
    writeFileSync(file, Buffer.concat([frameOf(helloRecord()), good, good.subarray(0, 60)]));
    const r = cli(['--replay', file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      'skipped a malformed record at byte 176: stream ended inside a record: 60 of 124 bytes arrived',
    );
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EcsEvent);
    // The hello record is the recorded agent's start; the stream has no final stats, so no stop.
    expect(events.map((e) => e.event.action)).toEqual(['agent_start', 'end']);
    expect(events[1]).toMatchObject({
      event: { action: 'end' },
      process: { pid: 31337, exit_code: 9 },
    });
  });

  it('writes one ready line on --ready-fd once the hello record arrived, then closes it', async () => {
    const dir = tempDir('ready');
    const file = join(dir, 'stream.bin');
    writeFileSync(file, Buffer.concat([frameOf(helloRecord()), frameOf(exitRecordBytes(7, 0))]));
    const child = spawn(
      process.execPath,
      [AGENT_CLI, '--replay', file, '--out', join(dir, 'events.ndjson'), '--ready-fd', '3'],
      { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    child.stdio[3]?.on('data', (d: Buffer) => lines.push(d.toString()));
    const closed = new Promise<void>((res) => child.stdio[3]?.on('end', () => res()));
    const ready = await waitForReady(child, 3, 30_000);
    // The recorded hello: loader pid 4242, families 0xf.
    expect(ready).toEqual({
      ready: true,
      pid: child.pid,
      loaderPid: 4242,
      families: ['process', 'memfd', 'file', 'security'],
      ringBytes: 0,
      drainMs: 0,
    });
    await closed;
    expect(lines.join('')).toBe(`${JSON.stringify(ready)}\n`);
    await new Promise((res) => child.on('exit', res));
  });

  it('closes the ready descriptor without a line when it cannot start', async () => {
    // As root, drop to nobody; as any other user, that user already lacks the capabilities.
    const argv = [AGENT_CLI, '--duration', '1', '--ready-fd', '3'];
    const child =
      process.getuid?.() === 0
        ? spawn(
            'setpriv',
            ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv],
            { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
          )
        : spawn(process.execPath, argv, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    await expect(waitForReady(child, 3, 30_000)).rejects.toThrow(
      'The agent closed its ready descriptor without a ready signal: it ended before every family was attached.',
    );
  });

  it('refuses a --ready-fd that is not open, with exit 2', () => {
    const r = cli(['--replay', '/dev/null', '--ready-fd', '4093']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      '--ready-fd 4093: descriptor 4093 is not open; start the agent with a pipe or file there.',
    );
  });
});

const skip = announceSkip('agent loader process', bpfSkipReason());

describe.skipIf(skip)('agent loader process', () => {
  it('stops cleanly when its reader goes away', async () => {
    buildAgent();
    const child = spawn(join(BUILD, 'agent-loader'), ['-d', '10'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    child.stdout.destroy();
    spawnSync('/bin/true'); // something to write after the reader left
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(0);
    expect(err).toContain('stopped because the reader went away');
  });

  it('ends with a final stats record on SIGTERM', async () => {
    const child = spawn(join(BUILD, 'agent-loader'), [], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(0);
    const stream = Buffer.concat(chunks);
    // Walk the frames to the last one: it must be LOADER_STATS (241) with final = 1.
    let off = 0;
    let last = 0;
    while (off + 4 <= stream.length) {
      last = off + 4;
      off += 4 + stream.readUInt32LE(off);
    }
    expect(off).toBe(stream.length);
    expect(stream.readUInt16LE(last)).toBe(241);
    expect(stream.readUInt32LE(last + 52)).toBe(1);
  });
});
