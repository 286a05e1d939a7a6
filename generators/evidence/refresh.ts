/**
 * `npm run evidence:refresh` (root): measures the rows CI keeps in data/. For each sensor it
 * starts the sensor, runs every generator, stops the sensor (undoing every change to the host),
 * commits a trimmed, sanitised copy of the capture and the manifests as a test fixture, and
 * derives data/measured/<vendor>.json and data/evidence/<vendor>.json from that fixture.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { type CliIo, type CliSpec, EXIT, runCli, stringFlag } from '../../scripts/lib/cli-kit.ts';
import { currentActor } from '../lib/actor.ts';
import { now } from '../lib/clock.ts';
import { MANIFEST_SCHEMA_VERSION, type Manifest, parseManifest } from '../manifest.schema.ts';
import { DATA_DIR } from './evidence.ts';
import { deriveFromFixture, FIXTURES_DIR, type Fixture } from './measured.ts';
import { type InputFormat, readCapture } from './readers/capture.ts';
import { compileField, type Doc } from './readers/fields.ts';
import { REDACTED_HOST, redactDoc, type Secrets } from './sanitize.ts';
import { agentUnavailable, startAgent } from './sensors/agent.ts';
import { auditdUnavailable, startAuditd } from './sensors/auditd.ts';
import type { SensorSession } from './sensors/sensor.types.ts';

const GENERATE_CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

interface SensorSpec {
  vendor: Fixture['vendor'];
  format: InputFormat;
  capture: string;
  unavailable: () => string | undefined;
  start: (dir: string, log: (line: string) => void) => Promise<SensorSession>;
  /** Non-default settings the sensor runs with, and the sub-categories that need them. */
  settings: Fixture['settings'];
  /** The claimed Linux column of the same product, to explain every disagreement with. */
  compareWith?: string;
  /** The same sensor on its default configuration, measured first (see Fixture.baseline). */
  baseline?: Fixture['baseline'];
  /** Only a baseline for another row: its fixture is stored, no row is written into data/. */
  baselineOnly?: boolean;
}

const AUDIT_RULES_SETTING =
  "auditctl -R generators/evidence/auditd/edr-telemetry.rules (the project's audit rules; Debian's auditd loads no rules by default)";

type SensorName = 'agent' | 'auditd-default' | 'auditd';

export const SENSORS: Record<SensorName, SensorSpec> = {
  agent: {
    vendor: {
      id: 'reference-agent',
      name: 'EDR Telemetry Matrix reference agent',
      note: "Open-source reference, verified by CI: the project's eBPF agent (agent/) recording every generator; each cell is the evidence tool's verdict on the committed capture.",
    },
    format: 'ecs',
    capture: 'capture.ndjson.gz',
    unavailable: agentUnavailable,
    // Defaults (the agent switches kernel auditing on by itself) plus the opt-in image family.
    start: (dir, log) => startAgent(dir, log, ['--families', 'default,image']),
    settings: [
      {
        setting:
          'npm run agent -- --families default,image (library loads are off by default: one event per library per exec)',
        subCategories: ['image-load'],
      },
    ],
  },
  auditd: {
    vendor: {
      id: 'auditd-laurel',
      name: 'auditd + LAUREL',
      note: "auditd with the LAUREL plugin and the project's audit rules (generators/evidence/auditd/edr-telemetry.rules) recording every generator; each cell is the evidence tool's verdict on the committed capture, to compare with upstream's claimed Auditd column.",
    },
    format: 'laurel',
    capture: 'capture.jsonl.gz',
    // Whether auditd is in use is checked under the audit lock, when it starts.
    unavailable: () => auditdUnavailable(false),
    start: (dir, log) => startAuditd(dir, log),
    settings: [],
    compareWith: 'auditd',
    baseline: { fixture: 'auditd-laurel-default', setting: AUDIT_RULES_SETTING },
  },
  'auditd-default': {
    vendor: {
      id: 'auditd-laurel-default',
      name: "auditd + LAUREL on Debian's default configuration (no audit rules)",
      note: "auditd with the LAUREL plugin and no audit rules, as Debian installs it: the baseline that tells which auditd + LAUREL cells need the project's rules.",
    },
    format: 'laurel',
    capture: 'capture.jsonl.gz',
    unavailable: () => auditdUnavailable(false),
    start: (dir, log) => startAuditd(dir, log, { rules: false }),
    settings: [],
    baselineOnly: true,
  },
};

const spec = {
  name: 'evidence:refresh',
  usage:
    'npm run evidence:refresh -- [--sensor agent|auditd|all] [--data <dir>] [--fixtures <dir>] [--keep] [--from-fixtures]',
  summary:
    'As root: runs every generator under each sensor, stores the sanitised capture as a test fixture and writes the measured row and its evidence into data/.',
  flags: {
    sensor: {
      type: 'string',
      value: '<name>',
      description:
        "Which sensor to measure: agent, auditd (a run on Debian's default configuration, then one with the project's rules) or all.",
      default: 'all',
    },
    data: {
      type: 'string',
      value: '<dir>',
      description: 'Data folder to write measured/ and evidence/ into.',
      default: 'data',
    },
    fixtures: {
      type: 'string',
      value: '<dir>',
      description: 'Folder for the sanitised captures and manifests, one sub-folder per vendor.',
      default: 'tests/fixtures/evidence',
    },
    keep: {
      type: 'boolean',
      description: 'Keep the temp dir with the raw capture for inspection.',
    },
    'from-fixtures': {
      type: 'boolean',
      description:
        'Capture nothing: re-derive data/ from the committed fixtures (after a rules change; no root needed).',
    },
  },
  epilog: [
    'The host is left as it was: the agent is stopped; auditd runs with a private config and is stopped, its rules deleted and the audit settings restored.',
    'Exit codes: 0 measured, 1 a sensor or generator failed (nothing is written for it), 2 bad usage.',
  ],
} satisfies CliSpec;

function run(cmd: string, args: string[], io: CliIo): Promise<number> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => io.stderr(d.toString()));
    child.once('exit', (code) => res(code ?? 1));
    child.once('error', () => res(127));
  });
}

function sensorManifest(
  host: Manifest['host'],
  session: SensorSession,
  start: ReturnType<typeof now>,
  started: ReturnType<typeof now>,
  stop: ReturnType<typeof now>,
  stopped: ReturnType<typeof now>,
): Manifest {
  const actor = currentActor();
  const duration = (a: typeof start, b: typeof start) =>
    (BigInt(b.monotonicNs) - BigInt(a.monotonicNs)).toString();
  const child = {
    pid: session.pid,
    ppid: process.pid,
    executable: session.executable,
    argv: [session.executable],
    exitCode: null,
    signal: null,
  };
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    tool: {
      name: 'etm-evidence-refresh',
      version: process.env.npm_package_version ?? '0.1.0',
      node: process.versions.node,
    },
    createdAt: start.time,
    host,
    invocation: {
      argv: process.argv.slice(2),
      pid: process.pid,
      uid: process.getuid?.() ?? 0,

      repeat: 1,
    },
    runs: [
      {
        runId: `etm-${randomBytes(4).toString('hex')}`,
        generator: 'sensor_lifecycle',
        iteration: 1,
        subCategories: ['agent-start', 'agent-stop'],
        startTime: start.time,
        endTime: stopped.time,
        status: 'ok',
        ranAs: { uid: actor.uid, gid: actor.gid, user: 'root' },
        actions: [
          {
            seq: 1,
            phase: 'action',
            subCategories: ['agent-start'],
            operation: 'sensor-start',
            via: 'command',
            at: start,
            durationNs: duration(start, started),
            actor,
            args: { executable: session.executable },
            children: [child],
            expect: 'success',
            result: { ok: true, returnValue: 0 },
            note: `The refresh started ${session.name} and waited until it was ready.`,
          },
          {
            seq: 2,
            phase: 'action',
            subCategories: ['agent-stop'],
            operation: 'sensor-stop',
            via: 'command',
            at: stop,
            durationNs: duration(stop, stopped),
            actor,
            args: { executable: session.executable, targetPid: session.pid },
            children: [child],
            expect: 'success',
            result: { ok: true, returnValue: 0 },
            note: `The refresh stopped ${session.name} and waited for it to exit.`,
          },
        ],
        leftovers: [],
      },
    ],
  };
}

function sanitizeManifest(m: Manifest): Manifest {
  const { machineId: _drop, ...host } = m.host;
  return { ...m, host: { ...host, hostname: REDACTED_HOST } };
}

/** Copies the capture's events inside the manifests' window, redacted, gzipped. */
/** The pids an event is about (actor, parent, target), per capture format. */
function eventPids(doc: Doc, format: InputFormat): { own: number[]; parent: number[] } {
  const num = (v: unknown) =>
    typeof v === 'number' ? [v] : typeof v === 'string' && /^\d+$/.test(v) ? [Number(v)] : [];
  if (format === 'laurel') {
    const own: number[] = [];
    for (const value of Object.values(doc)) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        own.push(...num((value as Doc).pid));
    }
    const objPid = compileField('OBJ_PID.opid')(doc);
    for (const v of Array.isArray(objPid) ? objPid : [objPid]) own.push(...num(v));
    return { own, parent: num(compileField('SYSCALL.ppid')(doc)) };
  }
  return {
    own: [
      ...num(compileField('process.pid')(doc)),
      ...num(compileField('Target.process.pid')(doc)),
    ],
    parent: num(compileField('process.parent.pid')(doc)),
  };
}

/**
 * Copies the capture's events of the generators' process trees (and the sensor's own records)
 * inside the manifests' window, redacted and gzipped: what a SIEM query on the test's processes
 * would export, small enough to commit.
 */
async function writeFixtureCapture(
  source: string,
  format: InputFormat,
  target: string,
  window: { fromMs: number; toMs: number; pids: Set<number> },
  secrets: Secrets,
): Promise<{ kept: number; dropped: number }> {
  const gzip = createGzip({ level: 9 });
  const out = createWriteStream(target);
  gzip.pipe(out);
  let kept = 0;
  let dropped = 0;
  const lines: string[] = [];
  const pids = new Set(window.pids);
  await readCapture(source, { format }, (event) => {
    const t = event.timeMs;
    const { own, parent } = eventPids(event.doc, format);
    if (parent.some((p) => pids.has(p))) for (const p of own) pids.add(p);
    const related = own.length === 0 || own.some((p) => pids.has(p));
    if (!related || (t !== undefined && (t < window.fromMs || t > window.toMs))) {
      dropped++;
      return;
    }
    kept++;
    lines.push(JSON.stringify(redactDoc(event.doc, secrets)));
    if (lines.length >= 1000) gzip.write(`${lines.splice(0).join('\n')}\n`);
  });
  if (lines.length > 0) gzip.write(`${lines.join('\n')}\n`);
  await new Promise<void>((res, rej) => {
    out.once('finish', res);
    out.once('error', rej);
    gzip.end();
  });
  return { kept, dropped };
}

/** Derives the row and evidence of one fixture folder and writes them into data/. */
export async function writeDerived(fixtureDir: string, dataDir: string, io: CliIo): Promise<void> {
  const derived = await deriveFromFixture(fixtureDir, { dataDir });
  const id = derived.fixture.vendor.id;
  await mkdir(join(dataDir, 'measured'), { recursive: true });
  await mkdir(join(dataDir, 'evidence'), { recursive: true });
  await writeFile(
    join(dataDir, 'measured', `${id}.json`),
    `${JSON.stringify(derived.row, null, 2)}\n`,
  );
  await writeFile(
    join(dataDir, 'evidence', `${id}.json`),
    `${JSON.stringify(derived.evidence, null, 2)}\n`,
  );
  io.stdout(
    `${derived.fixture.vendor.name} → data/measured/${id}.json, data/evidence/${id}.json\n`,
  );
  for (const r of derived.run.rows) {
    io.stdout(`  ${r.subCategory.padEnd(28)} ${r.status.padEnd(17)} ${r.verdict.reason}\n`);
  }
}

async function measure(
  name: keyof typeof SENSORS,
  io: CliIo,
  dataDir: string,
  fixturesRoot: string,
  keep: boolean,
): Promise<boolean> {
  const sensor = SENSORS[name];
  const why = sensor.unavailable();
  if (why !== undefined) {
    io.stderr(`${sensor.vendor.name}: not measured, ${why}\n`);
    return false;
  }
  const dir = mkdtempSync(join(tmpdir(), `etm-refresh-${name}-`));
  const log = (line: string) => io.stderr(`${line}\n`);
  try {
    const start = now();
    const session = await sensor.start(dir, log);
    const started = now();
    let stop = started;
    let genStatus: number;
    const manifestPath = join(dir, 'manifest.json');
    try {
      log(`${name}: running every generator (npm run generate -- all)`);
      genStatus = await run(process.execPath, [GENERATE_CLI, 'all', '--out', manifestPath], io);
      // Sensors flush on timers (agent file analysis ≤ 2 s, auditd end_of_event_timeout 2 s).
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      stop = now();
      await session.stop();
    }
    const stopped = now();
    const generated = parseManifest(
      await readFile(manifestPath, 'utf8').catch(() => 'null'),
      manifestPath,
    );
    if (genStatus !== 0)
      log(
        `${name}: the generators exited with status ${genStatus}; their manifest records what ran.`,
      );
    const lifecycle = sensorManifest(generated.host, session, start, started, stop, stopped);
    const fixtureDir = join(fixturesRoot, sensor.vendor.id);
    await mkdir(fixtureDir, { recursive: true });
    const secrets: Secrets = {
      words: [generated.host.hostname, generated.host.machineId].filter(
        (w): w is string => w !== undefined && w.length >= 3,
      ),
    };
    await writeFile(
      join(fixtureDir, 'manifest.json'),
      `${JSON.stringify(sanitizeManifest(generated), null, 2)}\n`,
    );
    await writeFile(
      join(fixtureDir, 'sensor.json'),
      `${JSON.stringify(sanitizeManifest(lifecycle), null, 2)}\n`,
    );
    const from = Date.parse(start.time) - 5000;
    const to = Date.parse(stopped.time) + 5000;
    const pids = new Set<number>([session.pid]);
    for (const m of [generated, lifecycle])
      for (const r of m.runs)
        for (const a of r.actions) {
          pids.add(a.actor.pid);
          for (const c of a.children ?? []) pids.add(c.pid);
        }
    const trimmed = await writeFixtureCapture(
      session.capture,
      sensor.format,
      join(fixtureDir, sensor.capture),
      { fromMs: from, toMs: to, pids },
      secrets,
    );
    const fixture: Fixture = {
      schemaVersion: 1,
      vendor: sensor.vendor,
      role: sensor.baselineOnly ? 'baseline' : 'row',
      capture: sensor.capture,
      format: sensor.format,
      manifests: ['manifest.json', 'sensor.json'],
      settings: sensor.settings,
      tools: session.tools,
      ...(sensor.compareWith === undefined ? {} : { compareWith: sensor.compareWith }),
      ...(sensor.baseline === undefined ? {} : { baseline: sensor.baseline }),
      notes: [
        `Captured ${start.time} by npm run evidence:refresh on ${generated.host.distro.name}, kernel ${generated.host.kernelRelease}.`,
        `Kept the ${trimmed.kept} events of the generators' process trees and the sensor's own records between the sensor's start and stop (±5 s); dropped ${trimmed.dropped} events of other processes or outside that window. Host names, machine id and home directories redacted.`,
      ],
    };
    await writeFile(join(fixtureDir, 'fixture.json'), `${JSON.stringify(fixture, null, 2)}\n`);
    io.stdout(`${sensor.vendor.name}: ${trimmed.kept} events captured\n`);
    if (!sensor.baselineOnly) await writeDerived(fixtureDir, dataDir, io);
    return true;
  } finally {
    if (keep) io.stderr(`Kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await runCli(spec, process.argv.slice(2), async (cli, io) => {
    const which = stringFlag(cli, 'sensor', ['agent', 'auditd', 'all']) ?? 'all';
    // auditd's row is judged against its default-configuration baseline: measure that first.
    const dataDir = resolve(stringFlag(cli, 'data') ?? DATA_DIR);
    const fixtures = resolve(stringFlag(cli, 'fixtures') ?? FIXTURES_DIR);
    const chosen: SensorName[] =
      which === 'all'
        ? ['agent', 'auditd-default', 'auditd']
        : which === 'auditd'
          ? ['auditd-default', 'auditd']
          : [which as SensorName];
    if (cli.values['from-fixtures']) {
      for (const name of chosen) {
        if (SENSORS[name].baselineOnly) continue;
        const dir = join(fixtures, SENSORS[name].vendor.id);
        try {
          await writeDerived(dir, dataDir, io);
        } catch (error) {
          io.stderr(
            `${SENSORS[name].vendor.name}: no fixture to derive from in ${dir} (${(error as Error).message.split('\n')[0]}); capture one with npm run evidence:refresh as root.\n`,
          );
        }
      }
      return EXIT.ok;
    }
    if (process.getuid?.() !== 0) {
      io.stderr(
        'evidence:refresh needs root: it loads BPF programs and starts auditd. Run it as root (CI does), or use --from-fixtures.\n',
      );
      return EXIT.checksFailed;
    }
    const names = chosen;
    let ok = true;
    for (const name of names) {
      try {
        ok = (await measure(name, io, dataDir, fixtures, cli.values.keep === true)) && ok;
      } catch (error) {
        ok = false;
        io.stderr(`${SENSORS[name].vendor.name}: not measured: ${(error as Error).message}\n`);
        if (cli.values.verbose && error instanceof Error) io.stderr(`${error.stack}\n`);
      }
    }
    return ok ? EXIT.ok : EXIT.checksFailed;
  });
  process.exitCode = code;
}
