/**
 * `npm start`: builds the site when `dist/` is missing or older than its inputs, then serves the
 * built site on the loopback interface only (never 0.0.0.0: this is a local preview).
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliSpec, EXIT, runCli, stringFlag, UsageError } from '../scoring/cli-kit.ts';
import { checkFreshness } from './site-freshness.ts';

const HOST = '127.0.0.1';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const spec = {
  name: 'start',
  usage: 'npm start -- [--port <port>] [--rebuild] [--no-serve]',
  summary:
    'Builds the static site if dist/ is missing or stale, then serves it on http://127.0.0.1:<port>/.',
  flags: {
    port: {
      type: 'string',
      value: '<port>',
      description: 'The loopback port to serve on.',
      default: '4321',
    },
    rebuild: { type: 'boolean', description: 'Build even when dist/ looks up to date.' },
    'no-serve': { type: 'boolean', description: 'Build if needed, then exit without serving.' },
  },
  epilog: ['Exit codes: 0 stopped cleanly, 1 the build or the server failed, 2 bad usage.'],
} satisfies CliSpec;

/** Runs a command with inherited stdio, forwarding Ctrl-C; resolves with its exit code. */
function run(command: string, args: readonly string[]): Promise<number> {
  return new Promise((resolveCode, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolveCode(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}

const code = await runCli(spec, process.argv.slice(2), async (cli, io) => {
  const portText = stringFlag(cli, 'port') ?? '4321';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`--port must be a whole number from 1 to 65535; received "${portText}".`);
  }
  const freshness = cli.values.rebuild
    ? { build: true, reason: '--rebuild was given' }
    : await checkFreshness(root);
  if (freshness.build) {
    io.stderr(`Building the site because ${freshness.reason} (npm run build)...\n`);
    const built = await run('npm', ['run', 'build']);
    if (built !== 0) {
      io.stderr(
        `The build failed (exit ${built}); the messages above say why. Nothing is served.\n`,
      );
      return EXIT.checksFailed;
    }
  } else {
    io.stderr(`Using the existing build: ${freshness.reason}.\n`);
  }
  if (cli.values['no-serve']) return EXIT.ok;
  io.stderr(`Serving dist/ on http://${HOST}:${port}/ (loopback only; Ctrl-C stops it)...\n`);
  const astro = join(root, 'node_modules', '.bin', 'astro');
  // --ignore-lock: Astro allows one tracked preview per project; tests and the bench run their own.
  const served = await run(astro, [
    'preview',
    '--host',
    HOST,
    '--port',
    String(port),
    '--ignore-lock',
  ]);
  if (served !== 0) {
    io.stderr(
      `The preview server stopped with exit ${served}; if the port is taken, try --port ${port + 1}.\n`,
    );
    return EXIT.checksFailed;
  }
  return EXIT.ok;
});
process.exitCode = code;
