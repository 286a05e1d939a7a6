/** `npm run data:import`: converts upstream's EDR-Telemetry files into validated data/. */
import { resolve } from 'node:path';
import { type CliSpec, EXIT, printIssues, runCli, stringFlag } from '../scripts/lib/cli-kit.ts';
import { importUpstream, writeProjectFiles } from './upstream/import.ts';

const spec = {
  name: 'data:import',
  usage: 'npm run data:import -- [--from <dir>] [--data <dir>] [--check]',
  summary:
    "Reads upstream's EDR-Telemetry files, applies the listed corrections (data/corrections.json), validates everything strictly and writes the project's data files.",
  flags: {
    from: {
      type: 'string',
      value: '<dir>',
      description: "Folder with upstream's files.",
      default: '../shared/upstream',
    },
    data: {
      type: 'string',
      value: '<dir>',
      description: 'The data folder to write (and read statuses and corrections from).',
      default: 'data',
    },
    check: { type: 'boolean', description: 'Validate and report, but write nothing.' },
    'upstream-commit': {
      type: 'string',
      value: '<sha>',
      description: "Upstream commit, when the folder's README does not say.",
    },
    'upstream-date': {
      type: 'string',
      value: '<yyyy-mm-dd>',
      description: "Upstream commit date, when the folder's README does not say.",
    },
  },
  epilog: ['Exit codes: 0 imported (or valid with --check), 1 the data has problems, 2 bad usage.'],
} satisfies CliSpec;

const code = await runCli(spec, process.argv.slice(2), async (cli, io) => {
  const from = resolve(stringFlag(cli, 'from') ?? '../shared/upstream');
  const dataDir = resolve(stringFlag(cli, 'data') ?? 'data');
  const commit = stringFlag(cli, 'upstream-commit');
  const date = stringFlag(cli, 'upstream-date');
  io.stderr(`Reading upstream files from ${from}\n`);
  const result = await importUpstream({
    from,
    dataDir,
    origin: { ...(commit ? { commit } : {}), ...(date ? { date } : {}) },
  });
  for (const { correction, applied } of result.outcomes) {
    io.stderr(
      applied
        ? `  corrected  ${correction.id}: ${applied}\n`
        : `  not needed ${correction.id}: the defect is no longer present upstream; remove it from data/corrections.json.\n`,
    );
  }
  if (!result.ok) {
    printIssues(
      io,
      `\nThe import stopped with ${result.issues.length} problem(s); nothing was written:`,
      result.issues,
    );
    io.stderr(
      '\nFix them upstream, or list a correction for each in data/corrections.json, then run again.\n',
    );
    return EXIT.checksFailed;
  }
  const applied = result.outcomes.filter((o) => o.applied).length;
  const counts = Object.values(result.files.matrices).map(
    (m) =>
      `${m.platform.name}: ${m.categories.reduce((n, c) => n + c.subCategories.length, 0)} sub-categories × ${m.vendors.length} vendors`,
  );
  if (cli.values.check) {
    io.stderr(
      `\nValid (${applied} correction(s) applied; ${counts.join('; ')}). --check: nothing written.\n`,
    );
    return EXIT.ok;
  }
  const written = await writeProjectFiles(dataDir, result.files);
  io.stderr(
    `\nImported ${counts.join('; ')}; ${result.files.history.entries.length} history entries; ${applied} correction(s) applied.\n`,
  );
  io.stderr(`Wrote ${written.length} files under ${dataDir}.\n`);
  return EXIT.ok;
});
process.exitCode = code;
