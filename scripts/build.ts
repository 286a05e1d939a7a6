/**
 * `npm run build`: the static site (astro build) and its search index (Pagefind over the built
 * HTML, indexing each page's <main> so navigation and footer text do not match every query).
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliIo, type CliSpec, EXIT, runCli, stringFlag } from './lib/cli-kit.ts';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** Runs a command with inherited output; resolves with its exit code. */
export function run(command: string, args: readonly string[]): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      done(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}

/** Builds the site into `outDir` (relative to the project root); returns an exit code. */
export async function buildSite(outDir: string, io: CliIo): Promise<number> {
  io.stderr(`Building the site into ${outDir}/ (astro build)...\n`);
  const built = await run(bin('astro'), ['build', '--outDir', resolve(root, outDir)]);
  if (built !== 0) return built;
  io.stderr(`Indexing ${outDir}/ for search (pagefind)...\n`);
  return run(bin('pagefind'), [
    '--site',
    resolve(root, outDir),
    '--root-selector',
    'main',
    '--quiet',
  ]);
}

const spec = {
  name: 'build',
  usage: 'npm run build -- [--out-dir <dir>]',
  summary: 'Builds the static site and its Pagefind search index.',
  flags: {
    'out-dir': {
      type: 'string',
      value: '<dir>',
      description: 'Folder to write the site into, relative to the project root.',
      default: 'dist',
    },
  },
  epilog: ['Exit codes: 0 built, 1 the build failed (its messages say why), 2 bad usage.'],
} satisfies CliSpec;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(spec, process.argv.slice(2), async (cli, io) => {
    const code = await buildSite(stringFlag(cli, 'out-dir') ?? 'dist', io);
    if (code !== 0) io.stderr(`The build failed (exit ${code}); the messages above say why.\n`);
    return code === 0 ? EXIT.ok : EXIT.checksFailed;
  });
}
