/**
 * npm run generate -- <generator...|all> [--out <file>] [--repeat <n>] [--dry-run]
 * Runs generators (each in its own worker process), prints progress on stderr and writes the
 * manifest; `--list` describes every generator and whether this host can run it.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CliIo,
  type CliSpec,
  EXIT,
  type ParsedCli,
  processIo,
  runCli,
  stringFlag,
  UsageError,
} from '../scripts/lib/cli-kit.ts';
import type { Generator } from './generator.types.ts';
import { isoNow } from './lib/clock.ts';
import { newRunId, skippedRun } from './lib/execute.ts';
import { type HostCapabilities, hostInfo, probeHost } from './lib/host.ts';
import { findLeftovers, removeLeftovers } from './lib/leftovers.ts';
import {
  MANIFEST_SCHEMA_VERSION,
  type Manifest,
  parseManifest,
  type Run,
  RunSchema,
} from './manifest.schema.ts';
import { GENERATORS } from './registry.ts';

const spec: CliSpec = {
  name: 'generate',
  usage:
    'npm run generate -- <generator...|all> [--out <file>] [--repeat <n>] [--pace <ms>] [--dry-run] [--json] [--verbose]\n       npm run generate -- --list [--json]',
  summary:
    'Runs Linux telemetry generators, each in its own worker process, and writes the manifest of what they did (the ground truth the evidence tool matches captures against).',
  allowPositionals: true,
  flags: {
    list: {
      type: 'boolean',
      description:
        'Lists every generator, its sub-categories, whether it needs root, what it touches, and whether this host can run it.',
    },
    out: {
      type: 'string',
      value: '<file>',
      description:
        'Writes the manifest to this file and the summary table to stdout; without it the manifest goes to stdout and the table to stderr.',
    },
    repeat: {
      type: 'string',
      value: '<n>',
      description: 'Runs each generator n times (1 to 100), each time with a new run id.',
      default: '1',
    },
    pace: {
      type: 'string',
      value: '<ms>',
      description:
        "Waits this many milliseconds after each action (0 to 60000), to follow along in a sensor's live view.",
      default: '0',
    },
    'dry-run': {
      type: 'boolean',
      description:
        'Shows what would run, as which user, and what cannot run here, without doing anything.',
    },
    json: {
      type: 'boolean',
      description:
        'Prints one JSON object per line instead of text: per generator with --list and --dry-run, per run as the summary.',
    },
  },
  epilog: [
    'Arguments:',
    '  <generator...|all>  Generators to run, by name (see --list), or all of them.',
    '',
    'Exit codes: 0 every run ok or not possible on this host, 1 a run failed, 2 bad usage.',
  ],
};

interface CliOptions {
  list: boolean;
  json: boolean;
  dryRun: boolean;
  verbose: boolean;
  out: string | undefined;
  repeat: number;
  pace: number;
  generators: Generator[];
}

/** A whole number flag inside [min, max], or its default. */
function intFlag(
  cli: ParsedCli,
  name: string,
  fallback: number,
  check: (n: number) => boolean,
  problem: string,
): number {
  const raw = stringFlag(cli, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || !check(n))
    throw new UsageError(`--${name} takes ${problem}, not "${raw}".`);
  return n;
}

/** The run the command line asks for; throws `UsageError` for what it cannot mean. */
function cliOptions(cli: ParsedCli): CliOptions {
  const options: CliOptions = {
    list: cli.values.list === true,
    json: cli.values.json === true,
    dryRun: cli.values['dry-run'] === true,
    verbose: cli.values.verbose === true,
    out: stringFlag(cli, 'out'),
    repeat: intFlag(cli, 'repeat', 1, (n) => n >= 1 && n <= 100, 'a whole number from 1 to 100'),
    pace: intFlag(cli, 'pace', 0, (n) => n >= 0 && n <= 60_000, 'milliseconds from 0 to 60000'),
    generators: [],
  };
  const names = cli.positionals;
  if (options.list) {
    if (names.length > 0) throw new UsageError('--list takes no generator names.');
    return options;
  }
  if (names.length === 0) throw new UsageError('Name at least one generator, or all.');
  for (const name of names) {
    if (name === 'all') options.generators.push(...GENERATORS);
    else {
      const generator = GENERATORS.find((g) => g.name === name);
      if (generator === undefined) {
        throw new UsageError(
          `Unknown generator "${name}". Known: ${GENERATORS.map((g) => g.name).join(', ')}, all.`,
        );
      }
      options.generators.push(generator);
    }
  }
  options.generators = [...new Set(options.generators)];
  return options;
}

/** Whether and how this host can run a generator, as one line for people and one for code. */
export function availability(
  generator: Generator,
  host: HostCapabilities,
): { canRun: boolean; status?: 'failed' | 'not-possible'; reason?: string; runAs: string } {
  const missing = generator.unavailable(host);
  if (missing !== undefined)
    return { canRun: false, status: 'not-possible', reason: missing, runAs: '-' };
  if (generator.needsRoot && !host.isRoot) {
    return {
      canRun: false,
      status: 'failed',
      reason: `${generator.name} needs root to ${generator.rootReason ?? 'run'}; run it as root, e.g. sudo npm run generate -- ${generator.name}.`,
      runAs: '-',
    };
  }
  if (!generator.needsRoot && host.isRoot) {
    if (host.nobody === undefined) {
      return {
        canRun: false,
        status: 'failed',
        reason:
          'Started as root but there is no "nobody" user to drop to; create it or run as an ordinary user.',
        runAs: '-',
      };
    }
    return { canRun: true, runAs: 'nobody (dropped from root)' };
  }
  return { canRun: true, runAs: host.isRoot ? 'root' : `uid ${host.uid}` };
}

function printList(host: HostCapabilities, json: boolean, io: CliIo): void {
  for (const g of GENERATORS) {
    const a = availability(g, host);
    const note = a.canRun ? g.hostNote?.(host) : undefined;
    if (json) {
      io.stdout(
        `${JSON.stringify({
          generator: g.name,
          summary: g.summary,
          subCategories: g.subCategories,
          needsRoot: g.needsRoot,
          touches: g.touches,
          canRunHere: a.canRun,
          runAs: a.runAs,
          ...(a.reason === undefined ? {} : { reason: a.reason }),
          ...(note === undefined ? {} : { note }),
        })}\n`,
      );
      continue;
    }
    io.stdout(
      [
        `${g.name}  (${g.needsRoot ? 'needs root' : 'no root needed'}; here: ${a.canRun ? `yes, as ${a.runAs}` : `no: ${a.reason}`})`,
        `  sub-categories: ${g.subCategories.join(', ')}`,
        `  does: ${g.summary}`,
        `  touches: ${g.touches}`,
        ...(note === undefined ? [] : [`  on this host: ${note}`]),
        '',
      ].join('\n'),
    );
  }
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

interface WorkerState {
  child: ReturnType<typeof spawn> | undefined;
}

function runWorker(
  generator: Generator,
  runId: string,
  iteration: number,
  dropTo: string | undefined,
  state: WorkerState,
  options: Pick<CliOptions, 'verbose' | 'pace'>,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKER], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...(options.verbose ? { ETM_VERBOSE: '1' } : {}) },
    });
    state.child = child;
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stdin?.end(
      JSON.stringify({
        generator: generator.name,
        runId,
        iteration,
        ...(dropTo ? { dropTo } : {}),
        ...(options.pace > 0 ? { pace: options.pace } : {}),
      }),
    );
    child.on('close', (code, signal) => {
      state.child = undefined;
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(RunSchema.parse(JSON.parse(line)));
      } catch {
        const run = skippedRun(
          generator,
          runId,
          iteration,
          'failed',
          `The worker process ended (${signal ?? `exit code ${code}`}) without reporting its run; see the messages above.`,
        );
        resolve(run);
      }
    });
  });
}

function pad(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

/** Per-run counts for the summary: refused = failed as the generator expected. */
export function summarize(run: Run) {
  return {
    generator: run.generator,
    runId: run.runId,
    status: run.status,
    actions: run.actions.length,
    ok: run.actions.filter((a) => a.result.ok).length,
    refused: run.actions.filter((a) => !a.result.ok && a.expect !== 'success').length,
    failed: run.actions.filter((a) => !a.result.ok && a.expect === 'success').length,
    reason: run.reason ?? '',
  };
}

export function summaryTable(runs: Run[]): string {
  const header = ['GENERATOR', 'RUN ID', 'STATUS', 'ACTIONS', 'OK', 'REFUSED', 'FAILED', 'REASON'];
  const rows = runs.map((r) => Object.values(summarize(r)).map(String));
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (i === 7 ? 0 : (r[i] ?? '').length))),
  );
  const totals = ['ok', 'failed', 'not-possible'].map(
    (s) => `${runs.filter((r) => r.status === s).length} ${s}`,
  );
  return [
    pad(header, widths),
    ...rows.map((r) => pad(r, widths)),
    '',
    `${runs.length} runs: ${totals.join(', ')}`,
    '',
  ].join('\n');
}

/** Why `path` cannot take the manifest (checked before any run), or undefined. */
function unwritable(path: string): string | undefined {
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
    accessSync(dir, constants.W_OK);
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) return 'it is a directory';
      accessSync(path, constants.W_OK);
    }
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return e.code === 'ENOENT'
      ? `the directory ${dir} does not exist`
      : `${e.code ?? 'error'}: ${e.message}`;
  }
  return undefined;
}

function toolVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Runs the command line `argv` (without node and the script): exit 0 every run ok or not
 * possible here, 1 a run failed or was interrupted, 2 bad usage.
 */
export function main(argv: string[], io: CliIo = processIo): Promise<number> {
  return runCli(
    spec,
    argv,
    async (cli) => {
      const options = cliOptions(cli);
      try {
        return await generate(argv, options, io);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        io.stderr(`The generator run stopped unexpectedly: ${message}\n`);
        if (options.verbose && error instanceof Error) io.stderr(`${error.stack}\n`);
        return EXIT.checksFailed;
      }
    },
    io,
  );
}

async function generate(argv: string[], options: CliOptions, io: CliIo): Promise<number> {
  const host = probeHost();
  if (options.list) {
    printList(host, options.json, io);
    return EXIT.ok;
  }
  if (options.dryRun) {
    for (const g of options.generators) {
      const a = availability(g, host);
      const line = options.json
        ? JSON.stringify({
            generator: g.name,
            wouldRun: a.canRun,
            runAs: a.runAs,
            repeat: options.repeat,
            ...(a.reason ? { reason: a.reason } : {}),
          })
        : `${g.name}: ${a.canRun ? `would run ${options.repeat}x as ${a.runAs}; touches ${g.touches}` : `would not run: ${a.reason}`}`;
      io.stdout(`${line}\n`);
    }
    return EXIT.ok;
  }

  if (options.out !== undefined) {
    const problem = unwritable(options.out);
    if (problem !== undefined) {
      io.stderr(
        `Cannot write the manifest to ${options.out}: ${problem}. Choose another --out; nothing was run.\n`,
      );
      return EXIT.usage;
    }
  }

  const state: WorkerState = { child: undefined };
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    io.stderr(`\n${signal} received: stopping the current run and cleaning up.\n`);
    state.child?.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const createdAt = isoNow();
  const hostBlock = hostInfo();
  const runs: Run[] = [];
  outer: for (let iteration = 1; iteration <= options.repeat; iteration++) {
    for (const generator of options.generators) {
      if (interrupted !== undefined) break outer;
      const runId = newRunId();
      const a = availability(generator, host);
      if (!a.canRun) {
        io.stderr(
          `[${generator.name} ${runId}] ${a.status === 'not-possible' ? 'not possible here' : 'cannot run'}: ${a.reason}\n`,
        );
        runs.push(skippedRun(generator, runId, iteration, a.status ?? 'failed', a.reason ?? ''));
        continue;
      }
      io.stderr(`[${generator.name} ${runId}] start (as ${a.runAs})\n`);
      const dropTo = host.isRoot && !generator.needsRoot ? host.nobody?.name : undefined;
      const undoHostSetup =
        dropTo && generator.hostSetupAsRoot
          ? generator.hostSetupAsRoot((line) => io.stderr(`[${generator.name} ${runId}] ${line}\n`))
          : undefined;
      let run: Run;
      try {
        run = await runWorker(generator, runId, iteration, dropTo, state, options);
      } finally {
        undoHostSetup?.();
      }
      // A worker killed hard cannot clean up: the parent removes what carries the run id.
      const found = findLeftovers(runId);
      const left = found.length > 0 && host.isRoot ? removeLeftovers(runId) : found;
      if (found.length > 0 || run.leftovers.length > 0) {
        run.status = 'failed';
        run.reason = `${run.reason ?? ''} ${
          left.length > 0
            ? `Left behind: ${left.join(', ')}; remove them by hand.`
            : 'The CLI removed what the run left behind.'
        }`.trim();
      }
      run.leftovers = left;
      io.stderr(
        `[${generator.name} ${runId}] ${run.status}${run.reason ? `: ${run.reason}` : ''}\n`,
      );
      runs.push(run);
    }
  }

  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    tool: { name: 'etm-generate', version: toolVersion(), node: process.version },
    createdAt,
    host: hostBlock,
    invocation: { argv, pid: process.pid, uid: host.uid, repeat: options.repeat },
    runs,
  };
  // Validate what we write: a manifest the evidence tool would reject is a bug here.
  const checked = parseManifest(manifest, options.out ?? 'manifest');
  const json = `${JSON.stringify(checked, null, 2)}\n`;
  const table = options.json
    ? runs.map((r) => `${JSON.stringify(summarize(r))}\n`).join('')
    : summaryTable(runs);
  if (options.out !== undefined) {
    try {
      writeFileSync(options.out, json);
      io.stdout(table);
      io.stderr(`Manifest written to ${options.out}.\n`);
    } catch (error) {
      // The runs happened: their record must not be lost.
      io.stdout(json);
      io.stderr(table);
      io.stderr(
        `Could not write ${options.out} (${(error as Error).message}); the manifest went to stdout instead.\n`,
      );
      return EXIT.checksFailed;
    }
  } else {
    io.stdout(json);
    io.stderr(table);
  }
  if (interrupted !== undefined) {
    io.stderr(`Stopped by ${interrupted}; everything the runs created was removed.\n`);
    return EXIT.checksFailed;
  }
  return runs.some((r) => r.status === 'failed') ? EXIT.checksFailed : EXIT.ok;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
