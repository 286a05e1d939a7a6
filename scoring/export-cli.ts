/** `npm run data:export`: writes data/ back in upstream's EDR-Telemetry format. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type CliSpec,
  EXIT,
  printIssues,
  runCli,
  stringFlag,
  UsageError,
} from '../scripts/lib/cli-kit.ts';
import { loadDataset } from './dataset.ts';
import { DataValidationError } from './issues.ts';
import { exportUpstream } from './upstream/export.ts';

const spec = {
  name: 'data:export',
  usage: 'npm run data:export -- --to <dir> [--data <dir>]',
  summary:
    "Writes the matrices, explanations and weights in upstream's format, so corrections and evidence can be proposed upstream as a plain diff. Measured vendors are left out.",
  flags: {
    to: {
      type: 'string',
      value: '<dir>',
      description: 'Folder to write the upstream files into (created if missing).',
    },
    data: {
      type: 'string',
      value: '<dir>',
      description: 'The data folder to export.',
      default: 'data',
    },
  },
  epilog: ['Exit codes: 0 written, 1 the data has problems, 2 bad usage.'],
} satisfies CliSpec;

const code = await runCli(spec, process.argv.slice(2), async (cli, io) => {
  const to = stringFlag(cli, 'to');
  if (!to) throw new UsageError('--to <dir> is required.');
  const dataDir = resolve(stringFlag(cli, 'data') ?? 'data');
  let data: Awaited<ReturnType<typeof loadDataset>>;
  try {
    data = await loadDataset(dataDir);
  } catch (error) {
    if (!(error instanceof DataValidationError)) throw error;
    printIssues(
      io,
      `Nothing was exported: ${error.issues.length} problem(s) in ${dataDir}:`,
      error.issues,
    );
    return EXIT.checksFailed;
  }
  await mkdir(to, { recursive: true });
  const files = exportUpstream(data);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(to, name), `${JSON.stringify(content, null, 4)}\n`);
    io.stderr(`  wrote ${join(to, name)}\n`);
  }
  io.stderr(
    `Exported ${Object.keys(files).length} files in upstream's format to ${resolve(to)}.\n`,
  );
  return EXIT.ok;
});
process.exitCode = code;
