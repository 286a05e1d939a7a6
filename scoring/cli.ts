/** `npm run score`: validates data/ and prints each platform's ranking. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type CliSpec, EXIT, printIssues, runCli, stringFlag } from '../scripts/lib/cli-kit.ts';
import { type CoreData, loadCoreData, loadDataset } from './dataset.ts';
import { formatRankings, type PlatformRanking, SCORE_FORMATS, type ScoreFormat } from './format.ts';
import { DataValidationError } from './issues.ts';
import { parseJsonText } from './json-file.ts';
import { DISPLAY_RULE, shownMatrices, summariseProvenance } from './provenance.ts';
import { PLATFORM_IDS, type PlatformId } from './schema.ts';
import { maxScore, scorePlatform } from './score.ts';
import { applyWeightOverrides } from './weight-overrides.ts';

const spec = {
  name: 'score',
  usage:
    'npm run score -- [--platform linux|windows|macos] [--format table|json|csv|md] [--weights <file>] [--shown] [--data <dir>]',
  summary:
    'Validates the data and ranks vendors per platform: score = sum over sub-categories of status value × weight.',
  flags: {
    platform: {
      type: 'string',
      value: '<platform>',
      description: 'Score one platform only: linux, windows or macos.',
      default: 'all three',
    },
    format: {
      type: 'string',
      value: '<format>',
      description: 'Output: table (rank, vendor, score, share of the maximum), json, csv or md.',
      default: 'table',
    },
    weights: {
      type: 'string',
      value: '<file>',
      description:
        'JSON file overriding weights: { "<platform>": { "<sub-category id or name>": number } }.',
    },
    shown: {
      type: 'boolean',
      description:
        "Score the statuses the site shows instead of the claimed ones: each cell's newest measured, else generator-run evidence, else claimed assertion (scoring/provenance.ts). Reads the whole data folder, history and evidence included.",
    },
    data: {
      type: 'string',
      value: '<dir>',
      description: 'The data folder to score.',
      default: 'data',
    },
  },
  epilog: [
    'Examples:',
    '  npm run score -- --platform linux',
    '  npm run -s score -- --format json',
    '  npm run score -- --shown --platform linux',
    "By default the claimed statuses are scored with upstream's formula; the JSON keeps upstream's shape plus each entry's kind.",
    `With --shown: ${DISPLAY_RULE}`,
    'Exit codes: 0 scored, 1 the data or weights file has problems, 2 bad usage.',
  ],
} satisfies CliSpec;

const code = await runCli(spec, process.argv.slice(2), async (cli, io) => {
  const platform = stringFlag(cli, 'platform', PLATFORM_IDS) as PlatformId | undefined;
  const format = (stringFlag(cli, 'format', SCORE_FORMATS) ?? 'table') as ScoreFormat;
  const dataDir = resolve(stringFlag(cli, 'data') ?? 'data');
  const weightsFile = stringFlag(cli, 'weights');
  let data: CoreData;
  try {
    if (cli.values.shown) {
      const dataset = await loadDataset(dataDir);
      data = { ...dataset, matrices: shownMatrices(dataset) };
      const s = summariseProvenance(dataset);
      io.stderr(
        `Scoring the shown statuses of ${s.cells} cells: ${s.byBasis.claimed} claimed, ${s.byBasis.evidence} evidence, ${s.byBasis.measured} measured; ${s.disagreements} with assertions that disagree; ${s.notTested} not tested.\n`,
      );
    } else data = await loadCoreData(dataDir);
  } catch (error) {
    if (!(error instanceof DataValidationError)) throw error;
    printIssues(
      io,
      `Nothing was scored: ${error.issues.length} problem(s) in ${dataDir}:`,
      error.issues,
    );
    return EXIT.checksFailed;
  }
  let weights = data.weights;
  if (weightsFile) {
    let text: string;
    try {
      text = await readFile(weightsFile, 'utf8');
    } catch {
      io.stderr(`${weightsFile}: the weights file cannot be read; check the path.\n`);
      return EXIT.checksFailed;
    }
    const json = parseJsonText(text, weightsFile);
    const result = json.ok
      ? applyWeightOverrides(weights, data.matrices, json.value, weightsFile)
      : { ok: false as const, issues: json.issues };
    if (!result.ok) {
      printIssues(
        io,
        `Nothing was scored: the weights file has ${result.issues.length} problem(s):`,
        result.issues,
      );
      return EXIT.checksFailed;
    }
    weights = result.weights;
  }
  const rankings: PlatformRanking[] = (platform ? [platform] : PLATFORM_IDS).map((id) => {
    const matrix = data.matrices[id];
    return {
      platform: id,
      name: matrix.platform.name,
      max: maxScore(matrix, weights.platforms[id], weights.statusValues),
      scores: scorePlatform(matrix, weights.platforms[id], weights.statusValues),
    };
  });
  io.stdout(`${formatRankings(rankings, format)}\n`);
  return EXIT.ok;
});
process.exitCode = code;
