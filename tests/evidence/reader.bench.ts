/**
 * `npm run bench:evidence`: throughput and peak memory of the evidence tool's capture readers.
 *
 * ECS, the goal (≥ 200 MB/s and ≤ 256 MB peak RSS, both paths, both shapes):
 * - shape `bench`: four event kinds (exec, file creation, connection, memfd_create), ~440 bytes;
 * - shape `elastic`: an Elastic-Defend-like capture of ~410-byte events: 30 % exec, 10 %
 *   memfd_create with `Ext` flags, 40 % file events with entropy, header bytes and size, 10 %
 *   network, 10 % DNS;
 * - path `classify`: what `evidence classify` does (no manifest);
 * - path `evidence`: what `npm run evidence` does with the reference agent's committed manifest:
 *   every event's time falls inside the manifest's window and one in eight carries a pid or path
 *   of its actions, so facts are read and compared for real.
 * Both shapes carry one broken line every 100 000, which must be counted. Beside them, as a
 * reference and not a goal: the same lines read and given to V8's JSON.parse, nothing else, on
 * one thread (what any reader that parses every event costs at least).
 *
 * Beside it, reported only: the Windows readers (event-log JSON, NXLog, wevtutil XML as
 * PowerShell writes it (UTF-16LE), Winlogbeat) on the committed samples repeated, and the raw
 * auditd reader on the committed ENRICHED log repeated with advancing times.
 *
 * Each read runs in a child process (the writer's memory is not counted). MB are 10^6 bytes of
 * (decompressed) text; CPU time is the whole process's, every thread included, so MB per CPU second
 * is what the reader costs whatever the machine's load, and MB/s what this machine gave now.
 *
 * Each ECS read runs on one thread and on one per core (at most four), both reported; the goal
 * applies to the parallel read. `--threads N` runs only N.
 *
 * Usage: npm run bench:evidence -- [--size-mb N] [--reader-size-mb N] [--only ecs|windows|auditd]
 *        [--threads N] [--gzip] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip, gunzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    'reader-size-mb': { type: 'string', default: '128' },
    only: { type: 'string' },
    threads: { type: 'string' },
    gzip: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

const TARGET_MBPS = 200;
const TARGET_RSS_MB = 256;
const FIXTURES = resolve(import.meta.dirname, '../fixtures/evidence');
const MANIFEST = join(FIXTURES, 'reference-agent/manifest.json');

/** What a child process reads, and how. */
interface Job {
  /** `parse`: the reference, V8's JSON.parse of every line and nothing else, on one thread. */
  kind: 'classify' | 'evidence' | 'windows' | 'parse';
  path: string;
  threads?: number;
}

interface Measured {
  seconds: number;
  cpuSeconds: number;
  bytes: number;
  events: number;
  malformed: number;
  maxRssKb: number;
  threads: string;
}

if (values.child !== undefined) {
  const job = JSON.parse(values.child) as Job;
  // Modules are loaded before the clock starts: they cost the same whatever the capture's size.
  const { classifyWindowsCaptures } = await import('../../generators/evidence/windows/classify.ts');
  const { matchCaptures } = await import('../../generators/evidence/matcher.ts');
  const { loadRuleSets } = await import('../../generators/evidence/rules.ts');
  const { loadManifest, runEvidence } = await import('../../generators/evidence/evidence.ts');
  const { streamLines } = await import('../../generators/evidence/readers/lines.ts');
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let summary: { bytes: number; events: number; malformed: number };
  if (job.kind === 'parse') {
    let events = 0;
    let malformed = 0;
    const stats = await streamLines(job.path, (text) => {
      try {
        JSON.parse(text);
        events++;
      } catch {
        malformed++;
      }
    });
    summary = { bytes: stats.bytes, events, malformed };
  } else if (job.kind === 'windows') {
    const { captures } = await classifyWindowsCaptures([job.path]);
    summary = captures[0] ?? { bytes: 0, events: 0, malformed: 0 };
  } else if (job.kind === 'classify') {
    const result = await matchCaptures([job.path], {
      rules: await loadRuleSets(),
      threads: job.threads,
    });
    summary = result.captures[0] ?? { bytes: 0, events: 0, malformed: 0 };
  } else {
    const run = await runEvidence({
      manifests: [await loadManifest(MANIFEST)],
      captures: [job.path],
      vendor: { name: 'Bench' },
      ...(job.threads === undefined ? {} : { threads: job.threads }),
    });
    summary = run.match.captures[0] ?? { bytes: 0, events: 0, malformed: 0 };
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const measured: Measured = {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    bytes: summary.bytes,
    events: summary.events,
    malformed: summary.malformed,
    maxRssKb: process.resourceUsage().maxRSS,
    threads: String(job.threads ?? 1),
  };
  process.stdout.write(`${JSON.stringify(measured)}\n`);
  process.exit(0);
}

/** The reference agent manifest's window and the pids and paths of its actions. */
async function manifestFacts(): Promise<{
  from: number;
  to: number;
  pids: number[];
  paths: string[];
}> {
  const { manifestTargets } = await import('../../generators/evidence/targets.ts');
  const { linuxSubCategories } = await import('../../generators/evidence/rules.ts');
  const { parseManifest } = await import('../../generators/manifest.schema.ts');
  const manifest = parseManifest(readFileSync(MANIFEST, 'utf8'), MANIFEST);
  const { targets } = manifestTargets([manifest], await linuxSubCategories());
  const pids = new Set<number>();
  const paths = new Set<string>();
  for (const t of targets) {
    for (const p of t.expected.pid ?? []) if (typeof p === 'number') pids.add(p);
    for (const p of t.expected.path ?? []) if (typeof p === 'string') paths.add(p);
  }
  return {
    from: Math.min(...targets.map((t) => t.startMs)),
    to: Math.max(...targets.map((t) => t.endMs)),
    pids: [...pids],
    paths: [...paths],
  };
}

type Facts = Awaited<ReturnType<typeof manifestFacts>>;

/** One in eight events names a pid (and a file event a path) of the manifest's actions. */
function pick(i: number, facts: Facts) {
  const real = i % 8 === 0;
  return {
    pid: real ? (facts.pids[i % facts.pids.length] ?? 1) : 1000 + (i % 30000),
    path: real && facts.paths.length > 0 ? facts.paths[i % facts.paths.length] : undefined,
    ts: new Date(facts.from + ((i * 7) % Math.max(1, facts.to - facts.from))).toISOString(),
  };
}

function benchEvent(i: number, facts: Facts): string {
  const { pid, path, ts } = pick(i, facts);
  switch (i % 4) {
    case 0:
      return JSON.stringify({
        '@timestamp': ts,
        'ecs.version': '8.11.0',
        event: { kind: 'event', category: ['process'], type: ['start'], action: 'exec' },
        process: {
          pid,
          entity_id: `ZmFrZS1lbnRpdHktaWQt${i}`,
          executable: '/usr/bin/sleep',
          args: ['sleep', '0.05'],
          command_line: 'sleep 0.05',
          working_directory: '/tmp',
          parent: { pid: pid - 1, executable: '/usr/bin/bash', entity_id: `cGFyZW50LSR7aX0${i}` },
          user: { id: '0', name: 'root' },
          hash: { sha256: 'a'.repeat(64), md5: 'b'.repeat(32) },
        },
        host: { name: 'bench-host', os: { type: 'linux', kernel: '6.18.0' } },
      });
    case 1:
      return JSON.stringify({
        '@timestamp': ts,
        'event.category': ['file'],
        'event.type': ['creation'],
        'event.action': 'creation',
        'file.path': path ?? `/tmp/etm-bench/file-${i}.bin`,
        'file.name': `file-${i}.bin`,
        'file.size': 4096,
        'file.Ext.entropy': 7.95,
        'file.Ext.header_bytes': '7f454c46020101000000000000000000',
        'file.hash.sha256': 'c'.repeat(64),
        'process.pid': pid,
        'process.executable': '/usr/bin/node',
        'host.name': 'bench-host',
      });
    case 2:
      return JSON.stringify({
        '@timestamp': ts,
        event: { category: ['network'], type: ['start'], action: 'connection_attempted' },
        source: { ip: '127.0.0.1', port: 40000 + (i % 20000) },
        destination: { ip: '127.0.0.1', port: 8080 },
        network: { transport: 'tcp', type: 'ipv4', direction: 'egress' },
        process: { pid, executable: '/usr/bin/curl', name: 'curl' },
        host: { name: 'bench-host' },
      });
    default:
      return JSON.stringify({
        '@timestamp': ts,
        event: { category: ['process'], type: ['info'], action: 'memfd_create' },
        process: {
          pid,
          executable: '/usr/bin/python3',
          Ext: {
            memfd: {
              name: `payload-${i}`,
              flag: { cloexec: true, allow_seal: false, exec: false, noexec_seal: false },
            },
          },
        },
        host: { name: 'bench-host' },
      });
  }
}

/** Elastic Defend's shape, ~410 bytes an event: 30 % exec, 10 % memfd, 40 % file, 10 % net, 10 % DNS. */
function elasticEvent(i: number, facts: Facts): string {
  const { pid, path, ts } = pick(i, facts);
  const host = { name: 'bench-host', os: { type: 'linux' } };
  const slot = i % 10;
  if (slot < 3)
    return JSON.stringify({
      '@timestamp': ts,
      event: {
        kind: 'event',
        category: ['process'],
        type: ['start'],
        action: 'exec',
        id: `Ny${i}`,
      },
      process: {
        pid,
        name: 'sleep',
        executable: '/usr/bin/sleep',
        args: ['sleep', '0.05'],
        working_directory: '/tmp',
        entity_id: `ZmFrZS1lbnRpdHkt${i}`,
        parent: { pid: pid - 1, executable: '/usr/bin/bash' },
      },
      user: { id: '0', name: 'root' },
      host,
    });
  if (slot === 3)
    return JSON.stringify({
      '@timestamp': ts,
      event: { kind: 'event', category: ['process'], type: ['info'], action: 'memfd_create' },
      process: {
        pid,
        executable: '/usr/bin/python3',
        entity_id: `ZmFrZS1lbnRpdHkt${i}`,
        Ext: {
          memfd: {
            name: `payload-${i}`,
            flags: 1,
            flag: {
              cloexec: true,
              allow_seal: false,
              hugetlb: false,
              noexec_seal: false,
              exec: false,
            },
          },
        },
      },
      user: { id: '0' },
      host,
    });
  if (slot < 8)
    return JSON.stringify({
      '@timestamp': ts,
      event: {
        kind: 'event',
        category: ['file'],
        type: [slot % 2 === 0 ? 'creation' : 'change'],
        action: slot % 2 === 0 ? 'creation' : 'modification',
      },
      file: {
        path: path ?? `/tmp/etm-bench/f-${i}.bin`,
        name: `f-${i}.bin`,
        size: 4096 + (i % 512),
        Ext: { entropy: 7.95, header_bytes: '7f454c4602010100' },
      },
      process: { pid, executable: '/usr/bin/node', entity_id: `ZmFrZS1lbnRpdHkt${i}` },
      user: { id: '0' },
      host,
    });
  if (slot === 8)
    return JSON.stringify({
      '@timestamp': ts,
      event: {
        kind: 'event',
        category: ['network'],
        type: ['start'],
        action: 'connection_attempted',
      },
      source: { ip: '127.0.0.1', port: 40000 + (i % 20000) },
      destination: { ip: '127.0.0.1', port: 8080 },
      network: { transport: 'tcp', type: 'ipv4', direction: 'egress' },
      process: { pid, executable: '/usr/bin/curl', entity_id: `ZmFrZS1lbnRpdHkt${i}` },
      host,
    });
  return JSON.stringify({
    '@timestamp': ts,
    event: { kind: 'event', category: ['network'], type: ['protocol'], action: 'lookup_requested' },
    dns: { question: { name: `etm-${i % 5000}.bench.example`, type: 'A' }, id: i % 65536 },
    network: { protocol: 'dns', transport: 'udp' },
    process: { pid, executable: '/usr/bin/getent', entity_id: `ZmFrZS1lbnRpdHkt${i}` },
    host,
  });
}

/** Writes about `bytes` of text made by `next(i)`; a string chunk or a Buffer per call. */
async function writeCapture(
  path: string,
  bytes: number,
  gzip: boolean,
  next: (i: number) => string | Buffer,
): Promise<void> {
  const file = createWriteStream(path, { highWaterMark: 1 << 20 });
  const out = gzip ? createGzip({ level: 1 }) : file;
  if (gzip) (out as ReturnType<typeof createGzip>).pipe(file);
  let written = 0;
  let i = 0;
  while (written < bytes) {
    const chunk = next(i++);
    written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => {
    file.once('finish', resolve);
    file.once('error', reject);
    out.end();
  });
}

/** 2000 events a call, then one broken line every 100 000 events, as real exports have. */
function ecsBatches(event: (i: number) => string): (call: number) => string {
  return (call) => {
    let batch = '';
    for (let k = 0; k < 2000; k++) batch += `${event(call * 2000 + k)}\n`;
    if ((call + 1) % 50 === 0) batch += '{"@timestamp": "truncated\n';
    return batch;
  };
}

function fixtureText(file: string): string {
  const bytes = readFileSync(join(FIXTURES, file));
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** The raw audit fixture again and again, each copy 1000 s later (audit ids must not repeat). */
function auditCopies(): (call: number) => string {
  const text = fixtureText('auditd-raw/audit.enriched.log');
  return (call) =>
    text.replace(/audit\((\d+)\.(\d+):(\d+)\)/g, (_m, s: string, ms: string, serial: string) => {
      return `audit(${Number(s) + call * 1000}.${ms}:${serial})`;
    });
}

function run(job: Job): Measured | undefined {
  const child = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--child', JSON.stringify(job)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) {
    process.stderr.write(
      `The reader process for ${job.path} failed with exit code ${child.status}.\n`,
    );
    return undefined;
  }
  return JSON.parse(child.stdout) as Measured;
}

const dir = mkdtempSync(join(tmpdir(), 'etm-bench-evidence-'));
const rows: string[][] = [];
let missed = false;
const threads = values.threads === undefined ? undefined : Number(values.threads);
const only = values.only;
try {
  const sizeMb = Number(values['size-mb']);
  const readerMb = Number(values['reader-size-mb']);
  const gz = values.gzip === true;
  const jobs: { name: string; job: Job; goal: boolean; onDisk: number }[] = [];
  if (only === undefined || only === 'ecs') {
    const facts = await manifestFacts();
    for (const [shape, event] of [
      ['bench', benchEvent],
      ['elastic', elasticEvent],
    ] as const) {
      const path = join(dir, `${shape}.ndjson${gz ? '.gz' : ''}`);
      process.stderr.write(
        `Writing a ${sizeMb} MiB ECS capture (${shape} shape${gz ? ', gzip' : ''})...\n`,
      );
      await writeCapture(
        path,
        sizeMb << 20,
        gz,
        ecsBatches((i) => event(i, facts)),
      );
      const onDisk = statSync(path).size;
      // The ceiling for any reader that parses every event: one thread reading lines and parsing.
      jobs.push({
        name: `ECS ${shape}, JSON.parse alone (reference)`,
        job: { kind: 'parse', path },
        goal: false,
        onDisk,
      });
      for (const kind of ['classify', 'evidence'] as const)
        for (const n of threads === undefined
          ? [1, Math.min(4, availableParallelism())]
          : [threads])
          jobs.push({
            name: `ECS ${shape}, ${kind}`,
            job: { kind, path, threads: n },
            goal: n > 1,
            onDisk,
          });
    }
  }
  if (only === undefined || only === 'windows') {
    const samples: [string, string, (call: number) => string | Buffer][] = [
      [
        'eventlog-json',
        'windows/schtask_create.ndjson.gz',
        () => fixtureText('windows/schtask_create.ndjson.gz'),
      ],
      [
        'nxlog-json',
        'windows/empire_persistence_registry_modification_run_keys_elevated_user.ndjson.gz',
        () =>
          fixtureText(
            'windows/empire_persistence_registry_modification_run_keys_elevated_user.ndjson.gz',
          ),
      ],
      [
        'wevtutil-xml (UTF-16LE)',
        'windows/schtask_create.wevtutil.xml',
        (call) => {
          const body = Buffer.from(fixtureText('windows/schtask_create.wevtutil.xml'), 'utf16le');
          return call === 0 ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body;
        },
      ],
      [
        'winlogbeat',
        'windows/schtask_create.winlogbeat.ndjson',
        () => fixtureText('windows/schtask_create.winlogbeat.ndjson'),
      ],
    ];
    for (const [layout, , next] of samples) {
      const path = join(dir, `windows-${layout.split(' ')[0]}${gz ? '.gz' : ''}`);
      process.stderr.write(`Writing a ${readerMb} MiB Windows capture (${layout})...\n`);
      await writeCapture(path, readerMb << 20, gz, next);
      jobs.push({
        name: `Windows ${layout}`,
        job: { kind: 'windows', path },
        goal: false,
        onDisk: statSync(path).size,
      });
    }
  }
  if (only === undefined || only === 'auditd') {
    const path = join(dir, `audit.log${gz ? '.gz' : ''}`);
    process.stderr.write(`Writing a ${readerMb} MiB raw audit.log (ENRICHED)...\n`);
    await writeCapture(path, readerMb << 20, gz, auditCopies());
    jobs.push({
      name: 'raw audit.log, classify',
      job: { kind: 'classify', path },
      goal: false,
      onDisk: statSync(path).size,
    });
  }
  for (const { name, job, goal, onDisk } of jobs) {
    process.stderr.write(`Reading: ${name}...\n`);
    const load = loadavg()[0]?.toFixed(2) ?? '?';
    const r = run(job);
    if (r === undefined) {
      missed = true;
      continue;
    }
    const mb = r.bytes / 1e6;
    const mbps = mb / r.seconds;
    const rssMb = r.maxRssKb / 1024;
    const ok = !goal || (mbps >= TARGET_MBPS && rssMb <= TARGET_RSS_MB);
    if (!ok) missed = true;
    rows.push([
      name,
      `${mb.toFixed(0)}${onDisk !== r.bytes ? ` (${(onDisk / 1e6).toFixed(0)} on disk)` : ''}`,
      String(r.events),
      String(r.malformed),
      r.threads,
      r.seconds.toFixed(2),
      mbps.toFixed(0),
      r.cpuSeconds.toFixed(2),
      (mb / r.cpuSeconds).toFixed(0),
      rssMb.toFixed(0),
      `${load} → ${loadavg()[0]?.toFixed(2) ?? '?'}`,
      goal ? (ok ? 'met' : 'missed') : 'report',
    ]);
  }
} finally {
  if (values.keep) process.stderr.write(`Kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
const header = [
  'capture, path',
  'MB',
  'events',
  'malformed',
  'threads',
  'wall s',
  'MB/s',
  'CPU s',
  'MB/CPU-s',
  'peak RSS MB',
  'load avg (1 min)',
  `goal (≥ ${TARGET_MBPS} MB/s, ≤ ${TARGET_RSS_MB} MB)`,
];
process.stdout.write(`| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|\n`);
for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
process.stdout.write(
  'MB = 10^6 bytes of text read; CPU s counts every thread of the reading process; MB/s above MB/CPU-s × cores means the reader waited for CPUs the machine gave to others (see the load average).\n',
);
if (missed) {
  process.stdout.write('Target missed.\n');
  process.exitCode = 1;
}
