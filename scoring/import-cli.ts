/** `npm run data:import`: converts upstream's EDR-Telemetry files into validated data/. */
import { resolve } from 'node:path';
import { type CliSpec, EXIT, printIssues, runCli, stringFlag } from '../scripts/lib/cli-kit.ts';
import { importUpstream, writeProjectFiles } from './upstream/import.ts';
import { JOIN_OUTCOMES, type LedgerJoinReport } from './upstream/ledger.ts';

/** The ledger join in figures: every row counted under its outcome, the unjoined ones listed. */
function ledgerSummary(report: LedgerJoinReport | undefined): string {
  if (!report)
    return '\nNo change ledger in the folder: history entries carry no contributor or change kind.\n';
  const percent = (n: number) => `${((100 * n) / Math.max(1, report.rows)).toFixed(1)} %`;
  const lines = [
    `\nChange ledger: ${report.joined} of ${report.rows} rows joined to a history entry (${percent(report.joined)}); every row accounted for:`,
    ...Object.entries(report.outcomes).map(
      ([outcome, n]) =>
        `  ${String(n).padStart(5)}  ${JOIN_OUTCOMES[outcome as keyof typeof JOIN_OUTCOMES]}`,
    ),
    `  ${report.enriched} history entries carry ledger fields; ${report.renamed} written under an earlier name point at today's cell.`,
    ...report.unexplained.map(
      ({ line, row }) =>
        `  unjoined: line ${line}, ${row.platform} "${row.sub_category}", vendor "${row.vendor_display_name}", commit ${row.commit_sha.slice(0, 8)}: ${row.old_status || '(none)'} → ${row.new_status || '(none)'} (${row.change_kind}).`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

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
  io.stderr(ledgerSummary(result.ledger));
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
