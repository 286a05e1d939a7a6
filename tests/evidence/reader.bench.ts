/**
 * `npm run bench:evidence`: throughput and peak memory of the evidence reader on a large ECS
 * NDJSON capture. Writes the capture (default 1 GiB) into a temp dir, then reads it in a child
 * process (so the writer's memory is not counted) through the same path `evidence classify`
 * uses: line split, JSON parse, rule evaluation. Target: ≥ 100 MB/s and ≤ 256 MB peak RSS.
 *
 * Usage: npm run bench:evidence -- [--size-mb N] [--gzip] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    gzip: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

const TARGET_MBPS = 100;
const TARGET_RSS_MB = 256;

if (values.child !== undefined) {
  const { matchCaptures } = await import('../../generators/evidence/matcher.ts');
  const { loadRuleSets } = await import('../../generators/evidence/rules.ts');
  const rules = await loadRuleSets();
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const result = await matchCaptures([values.child], { rules });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const summary = result.captures[0];
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      bytes: summary?.bytes ?? 0,
      events: summary?.events ?? 0,
      malformed: summary?.malformed ?? 0,
      subCategories: result.classes.length,
      maxRssKb: process.resourceUsage().maxRSS,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    })}\n`,
  );
  process.exit(0);
}

function sampleEvent(i: number, t0: number): string {
  const pid = 1000 + (i % 30000);
  const ts = new Date(t0 + i).toISOString();
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
        'file.path': `/tmp/etm-bench/file-${i}.bin`,
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

async function writeCapture(path: string, bytes: number, gzip: boolean): Promise<void> {
  const file = createWriteStream(path, { highWaterMark: 1 << 20 });
  const out = gzip ? createGzip({ level: 1 }) : file;
  if (gzip) (out as ReturnType<typeof createGzip>).pipe(file);
  const t0 = Date.now();
  let written = 0;
  let i = 0;
  while (written < bytes) {
    let batch = '';
    for (let k = 0; k < 2000; k++) {
      batch += `${sampleEvent(i++, t0)}\n`;
    }
    // Every 100k events, one broken line, as real exports have.
    if (i % 100_000 < 2000) batch += '{"@timestamp": "truncated\n';
    written += Buffer.byteLength(batch);
    if (!out.write(batch)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => {
    file.once('finish', resolve);
    file.once('error', reject);
    out.end();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'etm-bench-evidence-'));
try {
  const sizeMb = Number(values['size-mb']);
  const path = join(dir, values.gzip ? 'capture.ndjson.gz' : 'capture.ndjson');
  process.stderr.write(
    `Writing a ${sizeMb} MiB ECS NDJSON capture${values.gzip ? ' (gzip)' : ''} to ${path}...\n`,
  );
  await writeCapture(path, sizeMb * 1024 * 1024, values.gzip === true);
  const onDisk = statSync(path).size;
  process.stderr.write('Reading it with the evidence classifier in a child process...\n');
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', path], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) {
    process.stderr.write(`The reader process failed with exit code ${child.status}.\n`);
    process.exitCode = 1;
  } else {
    const r = JSON.parse(child.stdout) as {
      seconds: number;
      bytes: number;
      events: number;
      malformed: number;
      subCategories: number;
      maxRssKb: number;
      cpuSeconds: number;
    };
    const mbps = r.bytes / 1e6 / r.seconds;
    const rssMb = r.maxRssKb / 1024;
    const rows = [
      [
        'capture',
        `${(onDisk / 1e6).toFixed(0)} MB on disk, ${(r.bytes / 1e6).toFixed(0)} MB of text`,
      ],
      ['events', `${r.events} (${r.malformed} malformed lines counted)`],
      ['time', `${r.seconds.toFixed(2)} s`],
      ['throughput', `${mbps.toFixed(0)} MB/s (target ≥ ${TARGET_MBPS})`],
      ['events/s', `${Math.round(r.events / r.seconds)}`],
      [
        'CPU time',
        `${r.cpuSeconds.toFixed(2)} s = ${(r.bytes / 1e6 / r.cpuSeconds).toFixed(0)} MB per CPU second (what an idle core reaches; wall time above CPU time means the process waited for a CPU)`,
      ],
      [
        'load avg',
        loadavg()
          .map((l) => l.toFixed(2))
          .join(' '),
      ],
      ['peak RSS', `${rssMb.toFixed(0)} MB (target ≤ ${TARGET_RSS_MB})`],
    ];
    for (const [k, v] of rows) process.stdout.write(`${(k ?? '').padEnd(12)}${v}\n`);
    if (mbps < TARGET_MBPS || rssMb > TARGET_RSS_MB) {
      process.stdout.write('Target missed.\n');
      process.exitCode = 1;
    }
  }
} finally {
  if (values.keep) process.stderr.write(`Kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
