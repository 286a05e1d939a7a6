/**
 * `npm run agent`: checks privileges and kernel features, builds what is missing, starts the BPF
 * loader and turns its record stream into ECS NDJSON; prints progress and a summary on stderr.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { arch, hostname, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CliSpec,
  EXIT,
  type ParsedCli,
  runCli,
  UsageError,
} from '../../scripts/lib/cli-kit.ts';
import type { Decoded } from './decoders.ts';
import { Enricher } from './enricher.ts';
import { ExclusionRuleError, parseExclusions } from './exclusions.ts';
import { FrameReader } from './frames.ts';
import { ExecHashCache, FileAnalyzer } from './hashes.ts';
import { OutputBuffer } from './output.ts';
import { buildIsStale, missingBuildTools, preflight } from './preflight.ts';
import { readySignal, sendReady } from './ready.ts';
import { formatSummary } from './summary.ts';
import { NameCache } from './users.ts';
import { warmUp } from './warmup.ts';

const AGENT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LOADER = join(AGENT_DIR, 'build', 'agent-loader');
/** init_pid_ns's inode is the constant PROC_PID_INIT_INO; record pids are init-namespace pids. */
const INIT_PID_NS_INO = 0xeffffffc;

export const spec: CliSpec = {
  name: 'agent',
  usage: 'npm run agent -- [--out <file>] [--duration <s>] [--exclude <rules>] [--json-debug]',
  summary:
    'Runs the eBPF reference agent: captures process, memfd, file and security events and writes them as ECS NDJSON.',
  flags: {
    out: {
      type: 'string',
      value: '<file>',
      description: 'Write events to this file instead of stdout.',
    },
    duration: {
      type: 'string',
      value: '<s>',
      description: 'Stop after this many seconds (default: until SIGINT or SIGTERM).',
    },
    exclude: {
      type: 'string',
      value: '<rules>',
      multiple: true,
      description:
        'Drop events matching path:<glob>, name:<process name> or uid:<n>; comma-separated, repeatable.',
    },
    'json-debug': {
      type: 'boolean',
      description: 'Add each decoded kernel record to its event as event.original.',
    },
    families: {
      type: 'string',
      value: '<list>',
      description:
        'Attach only these families: process,memfd,file,security,net,dns,bash,audit,image ("default" = all but image; image, library loads, is off by default).',
    },
    'ring-kib': {
      type: 'string',
      value: '<n>',
      description: 'Ring buffer size in KiB, a power of two (default 16384).',
    },
    'wakeup-kib': {
      type: 'string',
      value: '<n>',
      description: 'Wake the loader early once n KiB are unread (default: a quarter of the ring).',
    },
    'drain-ms': {
      type: 'string',
      value: '<n>',
      description: 'Drain the ring buffer every n milliseconds (default 100).',
    },
    replay: {
      type: 'string',
      value: '<file>',
      description: 'Decode a saved loader stream from this file instead of starting the loader.',
    },
    'analysis-rate-mib': {
      type: 'string',
      value: '<n>',
      description:
        'Read at most n MiB/s of created or modified files for their hashes and entropy (default 16).',
    },
    'no-build': {
      type: 'boolean',
      description: 'Do not run make, even if the build is missing or stale.',
    },
    'no-audit-enable': {
      type: 'boolean',
      description:
        'Leave kernel auditing as found. By default the agent switches it on while it runs if it is off (logon and account events need it without auditd) and off again at exit.',
    },
    'dns-port': {
      type: 'string',
      value: '<ports>',
      description: 'UDP ports treated as DNS, comma-separated (default 53).',
    },
    'ready-fd': {
      type: 'string',
      value: '<n>',
      description:
        'Once every family is attached, write one JSON line {"ready":true,"pid":..,"loaderPid":..,"families":[..],"ringBytes":..,"drainMs":..} to this open file descriptor (3 or above) and close it; closed without a line, the agent ended before it was ready.',
    },
    'scope-cgroup': {
      type: 'string',
      value: '<dir>',
      description:
        'Report only processes in this cgroup v2 directory (not its children), for measuring one workload.',
    },
  },
  epilog: [
    'Needs root (or CAP_BPF and CAP_PERFMON), kernel BTF and tracefs; the first run builds agent/build/ with make.',
    'Exit codes: 0 ok, 1 the agent could not start or its loader failed, 2 bad usage.',
  ],
};

function intFlag(cli: ParsedCli, name: string, min: number, max: number): number | undefined {
  const v = cli.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${name} takes a whole number from ${min} to ${max}; received "${String(v)}".`,
    );
  }
  return n;
}

function hostInfo() {
  return {
    bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim(),
    pidNsIno: INIT_PID_NS_INO,
    hostname: hostname(),
    kernel: release(),
    architecture: arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch(),
  };
}

function bootToRealNowNs(): number {
  // Fallback only (the loader's hello record carries the exact offset): uptime has 10 ms precision.
  const up = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
  return Date.now() * 1e6 - up * 1e9;
}

function build(stderr: (s: string) => void): void {
  const missing = missingBuildTools();
  if (missing.length > 0) {
    throw new Error(`The agent is not built and cannot be: missing ${missing.join(', ')}.`);
  }
  stderr('agent: building agent/build (make -C agent)\n');
  // Under flock(1) when there is one: two agents (or tests) starting at once must not run two
  // makes into the same directory.
  mkdirSync(join(AGENT_DIR, 'build'), { recursive: true });
  const lock = join(AGENT_DIR, 'build', '.make.lock');
  const hasFlock = spawnSync('sh', ['-c', 'command -v flock']).status === 0;
  const [cmd, ...args] = hasFlock
    ? ['flock', lock, 'make', '-s', '-C', AGENT_DIR]
    : ['make', '-s', '-C', AGENT_DIR];
  const r = spawnSync(cmd as string, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(
      `Building the agent failed (make -C agent exited ${r.status}):\n${r.stderr.trim()}`,
    );
  }
}

/** Everything the loader is built from: a newer one means make must run. */
function sources(): string[] {
  const inDir = (dir: string) =>
    readdirSync(join(AGENT_DIR, dir)).map((f) => join(AGENT_DIR, dir, f));
  return [...inDir('bpf'), ...inDir('loader'), join(AGENT_DIR, 'Makefile')];
}

async function main(
  cli: ParsedCli,
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  const duration = intFlag(cli, 'duration', 1, 86400 * 365);
  const ringKib = intFlag(cli, 'ring-kib', 4, 1 << 20);
  const drainMs = intFlag(cli, 'drain-ms', 1, 10000);
  const wakeupKib = intFlag(cli, 'wakeup-kib', 1, 1 << 22);
  const analysisRate = intFlag(cli, 'analysis-rate-mib', 1, 4096);
  let exclusions: ReturnType<typeof parseExclusions>;
  try {
    exclusions = parseExclusions((cli.values.exclude as string[] | undefined) ?? []);
  } catch (error) {
    if (error instanceof ExclusionRuleError) throw new UsageError(error.message);
    throw error;
  }
  const replay = cli.values.replay as string | undefined;
  const outPath = cli.values.out as string | undefined;
  const readyFd = intFlag(cli, 'ready-fd', 3, 65535);
  if (readyFd !== undefined) {
    try {
      fstatSync(readyFd);
    } catch {
      throw new UsageError(
        `--ready-fd ${readyFd}: descriptor ${readyFd} is not open; start the agent with a pipe or file there.`,
      );
    }
  }

  if (!replay) {
    const pre = preflight();
    for (const n of pre.notes) io.stderr(`agent: ${n}\n`);
    if (!pre.ok) {
      io.stderr(`${pre.problems.join('\n')}\n`);
      return EXIT.checksFailed;
    }
    if (!cli.values['no-build'] && buildIsStale(AGENT_DIR, sources())) build(io.stderr);
  }

  const out = process.stdout;
  let outputError: Error | undefined;
  // A reader that goes away (| head) or a full disk stops the agent cleanly, with the summary.
  const fail = (error: Error) => {
    outputError ??= error;
    stop();
  };
  if (!outPath) out.on('error', fail);
  let outFd: number | undefined;
  if (outPath) {
    try {
      outFd = openSync(outPath, 'w');
    } catch (error) {
      throw new Error(`Cannot write events to ${outPath}: ${(error as Error).message}.`);
    }
  }
  const output = new OutputBuffer();
  const enricher = new Enricher({
    out: output,
    names: new NameCache(),
    execHashes: new ExecHashCache(),
    analyzer: new FileAnalyzer(16 << 20, (analysisRate ?? 16) * 1048576),
    exclusions,
    host: hostInfo(),
    jsonDebug: cli.values['json-debug'] === true,
    ownPids: new Set([process.pid]),
    ...(replay ? {} : { agentPid: process.pid }),
    procRoot: replay ? undefined : '/proc',
    bootToRealNs: bootToRealNowNs,
  });
  let problems = 0;
  const reader = new FrameReader(
    (rec: Decoded) => enricher.onRecord(rec),
    (p) => {
      problems++;
      if (problems <= 20)
        io.stderr(`agent: skipped a malformed record at byte ${p.streamOffset}: ${p.message}\n`);
    },
  );
  // A file is written synchronously from the one reused buffer (page cache writes are quick and
  // a fresh buffer per batch would churn the GC); a pipe gets an exactly sized copy it can keep.
  const flush = (): boolean => {
    if (output.length === 0) return true;
    if (outputError) {
      output.clear();
      return true;
    }
    if (outFd === undefined) return out.write(output.take());
    try {
      const view = output.view();
      for (let done = 0; done < view.length; ) done += writeSync(outFd, view, done);
    } catch (error) {
      fail(error as Error);
    } finally {
      output.clear();
    }
    return true;
  };

  const started = Date.now();
  let loader: ChildProcess | undefined;
  function stop(): void {
    if (loader && loader.exitCode === null) loader.kill('SIGTERM');
  }
  let loaderExit: Promise<number | null> = Promise.resolve(0);
  let source: NodeJS.ReadableStream;
  if (replay) {
    source = createReadStream(replay);
  } else {
    const args = ['-p', String(process.pid)];
    if (ringKib !== undefined) args.push('-r', String(ringKib));
    if (drainMs !== undefined) args.push('-d', String(drainMs));
    if (wakeupKib !== undefined) args.push('-w', String(wakeupKib));
    if (typeof cli.values.families === 'string') args.push('-f', cli.values.families);
    if (!cli.values['no-audit-enable']) args.push('-A');
    if (typeof cli.values['dns-port'] === 'string') {
      if (!/^\d{1,5}(,\d{1,5}){0,3}$/.test(cli.values['dns-port']))
        throw new UsageError(
          `--dns-port takes 1 to 4 comma-separated port numbers; received "${cli.values['dns-port']}".`,
        );
      args.push('-P', cli.values['dns-port']);
    }
    if (typeof cli.values['scope-cgroup'] === 'string') args.push('-g', cli.values['scope-cgroup']);
    if (cli.values.verbose) args.push('-v');
    const child = spawn(LOADER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    loader = child;
    loaderExit = new Promise((res) => {
      child.on('exit', (code) => res(code));
      child.on('error', (error) => {
        io.stderr(`Failed to start the loader ${LOADER}: ${error.message}\n`);
        res(127);
      });
    });
    child.stderr?.on('data', (d: Buffer) => io.stderr(d.toString()));
    source = child.stdout as NodeJS.ReadableStream;
    // While the loader attaches (seconds), not on the first real events: see warmup.ts.
    warmUp(new NameCache());
  }

  let announced = false;
  source.on('data', (chunk: Buffer) => {
    reader.push(chunk);
    enricher.flushBatch();
    if (!announced && enricher.hello) {
      announced = true;
      if (readyFd !== undefined) sendReady(readyFd, readySignal(enricher.hello, process.pid));
      io.stderr(
        `agent: attached (families 0x${enricher.hello.families.toString(16)}, loader pid ${enricher.hello.loaderPid}), ` +
          `writing events to ${outPath ?? 'stdout'}\n`,
      );
    }
    if (!flush()) {
      source.pause();
      out.once('drain', () => source.resume());
    }
  });

  const timer = duration ? setTimeout(stop, duration * 1000) : undefined;
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const progress = setInterval(() => {
    const s = enricher.lastStats;
    const total = [...enricher.counts.values()].reduce((a, b) => a + b, 0);
    io.stderr(
      `agent: ${total} events, ${s ? s.drops.reduce((a, d) => a + d.count, 0) : 0} dropped\n`,
    );
  }, 10_000);
  progress.unref();

  await new Promise<void>((res) => source.on('end', () => res()));
  const code = await loaderExit;
  if (timer) clearTimeout(timer);
  clearInterval(progress);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  reader.end();
  enricher.finish();
  flush();
  if (outFd !== undefined) closeSync(outFd);

  io.stderr(
    formatSummary({
      counts: enricher.counts,
      stats: enricher.lastStats,
      frames: reader.stats,
      excluded: enricher.excluded,
      wallMs: Date.now() - started,
      enricherCpu: process.cpuUsage(),
    }),
  );
  if (outputError && (outputError as NodeJS.ErrnoException).code !== 'EPIPE') {
    io.stderr(`Failed to write events to ${outPath ?? 'stdout'}: ${outputError.message}\n`);
    return EXIT.checksFailed;
  }
  if (!replay && code !== 0) {
    io.stderr(`The loader exited with status ${code}; see its messages above.\n`);
    return EXIT.checksFailed;
  }
  return EXIT.ok;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runCli(spec, process.argv.slice(2), main).then((code) => {
    process.exitCode = code;
  });
}
