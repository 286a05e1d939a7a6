/**
 * `npm run evidence:verify`: derives every committed evidence folder again (packages under
 * data/evidence/, measured rows from tests/fixtures/evidence/) and fails on any difference,
 * naming the file and the path that differ. Needs no root.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliSpec, EXIT, runCli, stringFlag } from '../../scripts/lib/cli-kit.ts';
import { DATA_DIR } from './evidence.ts';
import { FIXTURES_DIR } from './measured.ts';
import { verifyAll } from './verify.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const spec = {
  name: 'evidence:verify',
  usage: 'npm run evidence:verify -- [--data <dir>] [--fixtures <dir>] [--json]',
  summary:
    'Derives every committed evidence package and measured row again from its committed capture and fails on any difference.',
  flags: {
    data: {
      type: 'string',
      value: '<dir>',
      description: 'The data folder whose evidence/ packages and measured/ rows are checked.',
      default: 'data',
    },
    fixtures: {
      type: 'string',
      value: '<dir>',
      description: 'The folder of the measured rows’ committed captures.',
      default: 'tests/fixtures/evidence',
    },
    json: { type: 'boolean', description: 'Print one JSON object per folder instead of text.' },
  },
  epilog: [
    'Checks: a package’s capture and manifests need no sanitising; its record.json (capture SHA-256 included), assertions.json and PULL_REQUEST.md equal what the evidence tool derives from them; data/measured/<vendor>.json and data/evidence/<vendor>.json equal what it derives from the fixture.',
    'Exit codes: 0 everything matches, 1 a difference (each one named with its file and path), 2 bad usage.',
  ],
} satisfies CliSpec;

process.exitCode = await runCli(spec, process.argv.slice(2), async (cli, io) => {
  const started = Date.now();
  const dataFlag = stringFlag(cli, 'data');
  const fixturesFlag = stringFlag(cli, 'fixtures');
  const outcomes = await verifyAll({
    dataDir: dataFlag === undefined || dataFlag === 'data' ? DATA_DIR : resolve(dataFlag),
    fixturesDir:
      fixturesFlag === undefined || fixturesFlag === 'tests/fixtures/evidence'
        ? FIXTURES_DIR
        : resolve(fixturesFlag),
    repoRoot: REPO_ROOT,
    onProgress: (m) => io.stderr(`${m}\n`),
  });
  let failed = 0;
  for (const o of outcomes) {
    if (o.differences.length > 0) failed++;
    if (cli.values.json) {
      io.stdout(`${JSON.stringify(o)}\n`);
      continue;
    }
    io.stdout(
      `${o.differences.length === 0 ? 'ok  ' : 'FAIL'} ${o.kind} ${o.name}${o.differences.length === 0 ? '' : `: ${o.differences.length} difference(s)`}\n`,
    );
    for (const d of o.differences)
      io.stdout(`     ${d.file} → ${d.path}: committed ${d.committed}, derived ${d.derived}\n`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  io.stderr(
    failed === 0
      ? `All ${outcomes.length} evidence folder(s) re-derive exactly (${seconds} s).\n`
      : `${failed} of ${outcomes.length} evidence folder(s) differ from what their committed files derive (${seconds} s). A package: package it again (npm run evidence -- package) or restore the edited file. A measured row: npm run evidence:refresh -- --from-fixtures.\n`,
  );
  return failed === 0 ? EXIT.ok : EXIT.checksFailed;
});
