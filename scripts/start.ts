/**
 * `npm start`: builds the site when its output folder is missing or older than its inputs, then
 * serves it on the loopback interface only (never 0.0.0.0: this is a local preview).
 */
import { join } from 'node:path';
import { buildSite, root, run } from './build.ts';
import { type CliSpec, EXIT, runCli, stringFlag, UsageError } from './lib/cli-kit.ts';
import { checkFreshness } from './site-freshness.ts';

const HOST = '127.0.0.1';

const spec = {
  name: 'start',
  usage: 'npm start -- [--port <port>] [--dist <dir>] [--rebuild] [--no-serve]',
  summary:
    'Builds the static site if it is missing or stale, then serves it on http://127.0.0.1:<port>/.',
  flags: {
    port: {
      type: 'string',
      value: '<port>',
      description: 'The loopback port to serve on.',
      default: '4321',
    },
    dist: {
      type: 'string',
      value: '<dir>',
      description: 'The build folder to check, build into and serve, relative to the project root.',
      default: 'dist',
    },
    rebuild: { type: 'boolean', description: 'Build even when the build looks up to date.' },
    'no-serve': { type: 'boolean', description: 'Build if needed, then exit without serving.' },
  },
  epilog: ['Exit codes: 0 stopped cleanly, 1 the build or the server failed, 2 bad usage.'],
} satisfies CliSpec;

const code = await runCli(spec, process.argv.slice(2), async (cli, io) => {
  const portText = stringFlag(cli, 'port') ?? '4321';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`--port must be a whole number from 1 to 65535; received "${portText}".`);
  }
  const dist = stringFlag(cli, 'dist') ?? 'dist';
  const freshness = cli.values.rebuild
    ? { build: true, reason: '--rebuild was given' }
    : await checkFreshness(root, dist);
  if (freshness.build) {
    io.stderr(`The site needs building because ${freshness.reason}.\n`);
    const built = await buildSite(dist, io);
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
  io.stderr(`Serving ${dist}/ on http://${HOST}:${port}/ (loopback only; Ctrl-C stops it)...\n`);
  // --ignore-lock: Astro allows one tracked preview per project; tests and the bench run their own.
  const astro = join(root, 'node_modules', '.bin', 'astro');
  const served = await run(astro, [
    'preview',
    '--outDir',
    join(root, dist),
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
