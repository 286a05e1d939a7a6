/**
 * `npm run evidence`: judges what an EDR recorded against what the generators did, and
 * `npm run evidence -- classify`: what a capture shows telemetry for, without a manifest.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { loadCoreData, matrixRows } from '../../scoring/dataset.ts';
import { DataValidationError } from '../../scoring/issues.ts';
import { slugify } from '../../scoring/slug.ts';
import {
  type CliIo,
  type CliSpec,
  EXIT,
  type ParsedCli,
  printIssues,
  runCli,
  stringFlag,
  UsageError,
} from '../../scripts/lib/cli-kit.ts';
import { DATA_DIR, loadManifest, runEvidence } from './evidence.ts';
import { matchCaptures } from './matcher.ts';
import { matrixPatch, measuredRow } from './patch.ts';
import { INPUT_FORMATS, type InputFormat } from './readers/capture.ts';
import { renderClassify, renderMarkdown } from './report.ts';
import { loadRuleSets } from './rules.ts';
import { capturesPlatform, windowsClassifyCommand } from './windows/command.ts';

const spec = {
  name: 'evidence',
  usage:
    'npm run evidence -- --manifest <m.json> --events <capture> [--events <capture>...] [--vendor <name>] [--product-version <x.y>] [--format md|json] [--out <file>] [--patch <file>] [--input-format ecs|laurel|csv] [--skew <seconds>] [--setting <ids=setting>...]\n       npm run evidence -- classify --events <capture> [--events <capture>...] [--json] [--input-format ecs|laurel|csv]',
  summary:
    "Matches a generator manifest against an EDR's captured events and proposes a status per Linux sub-category with the events that prove it; `classify` lists what a capture shows telemetry for.",
  allowPositionals: true,
  flags: {
    manifest: {
      type: 'string',
      value: '<file>',
      multiple: true,
      description: 'Generator manifest (npm run generate -- all --out m.json); repeat for several.',
    },
    events: {
      type: 'string',
      value: '<file>',
      multiple: true,
      description:
        'Captured events: ECS NDJSON, LAUREL JSONL or CSV with a header row, gzip or not; repeat for several.',
    },
    vendor: {
      type: 'string',
      value: '<name>',
      description: 'Product name, as the matrix spells it when the product is already listed.',
      default: 'Unnamed EDR',
    },
    'product-version': {
      type: 'string',
      value: '<x.y>',
      description: 'Product version that made the capture.',
    },
    format: {
      type: 'string',
      value: '<md|json>',
      description: 'Output: a Markdown evidence table for a pull request, or the evidence as JSON.',
      default: 'md',
    },
    out: {
      type: 'string',
      value: '<file>',
      description: 'Write the output to this file instead of stdout.',
    },
    patch: {
      type: 'string',
      value: '<file>',
      description:
        'Also write the proposed data change: a JSON Patch of data/matrices/linux.json for a listed vendor, else a data/measured row.',
    },
    'input-format': {
      type: 'string',
      value: '<ecs|laurel|csv>',
      description: 'Capture format, when detection from the first lines is not wanted.',
    },
    skew: {
      type: 'string',
      value: '<seconds>',
      description: "Clock difference tolerated between the manifest and the sensor's timestamps.",
      default: '5',
    },
    setting: {
      type: 'string',
      value: '<ids=setting>',
      multiple: true,
      description:
        'Sub-categories (comma-separated ids) that needed a non-default product setting, and the setting: observed cells then propose via-enabling-telemetry.',
    },
    json: { type: 'boolean', description: 'classify: print JSON instead of a table.' },
    data: {
      type: 'string',
      value: '<dir>',
      description: 'The data folder with the taxonomy and statuses.',
      default: 'data',
    },
  },
  epilog: [
    'Examples:',
    '  npm run evidence -- --manifest m.json --events defend.ndjson.gz --vendor "Elastic" --product-version 9.3.0 --patch elastic.patch.json',
    '  npm run evidence -- --manifest m.json --events defend.ndjson --setting "file-entropy,file-header-bytes,file-size=linux.advanced.events.populate_file_data: true"',
    '  npm run evidence -- classify --events export.csv',
    'Statuses: observed → yes, partially → partially (with the reason), not observed → no, not testable here → not-tested.',
    'Exit codes: 0 done, 1 bad input (manifest, capture, data) or nothing in the capture matched the manifest, 2 bad usage.',
  ],
} satisfies CliSpec;

function list(cli: ParsedCli, name: string): string[] {
  const v = cli.values[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [String(v)];
}

async function emit(io: CliIo, text: string, out: string | undefined): Promise<void> {
  if (out === undefined) {
    io.stdout(text);
    return;
  }
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeFile(out, text);
  io.stderr(`Wrote ${out}.\n`);
}

async function classify(
  cli: ParsedCli,
  io: CliIo,
  inputFormat: InputFormat | undefined,
  dataDir: string,
) {
  const captures = list(cli, 'events');
  if (captures.length === 0)
    throw new UsageError('classify needs at least one --events <capture>.');
  // Windows captures (event-log JSON, NXLog, wevtutil XML, Winlogbeat) have readers of their own;
  // --input-format names a Linux format, so it skips the check.
  if (inputFormat === undefined) {
    const platform = await capturesPlatform(captures);
    if (platform.kind === 'mixed') throw new UsageError(platform.message);
    if (platform.kind === 'windows')
      return windowsClassifyCommand(captures, { json: cli.values.json === true }, io);
  }
  const core = await loadCoreData(dataDir);
  const rules = await loadRuleSets({ dataDir });
  const subIds = matrixRows(core.matrices.linux).map((r) => r.sub.id);
  const result = await matchCaptures(captures, {
    rules,
    format: inputFormat,
    subCategories: subIds,
  });
  const names = new Map(matrixRows(core.matrices.linux).map((r) => [r.sub.id, r.sub.name]));
  if (cli.values.json) {
    const { sanitizeEvent } = await import('./sanitize.ts');
    io.stdout(
      `${JSON.stringify({
        captures: result.captures.map((c) => ({ ...c, malformedSamples: c.malformedSamples })),
        subCategories: result.classes.map((c) => ({
          id: c.subCategory,
          name: names.get(c.subCategory),
          events: c.events,
          rules: c.rules,
          example:
            c.example === undefined
              ? undefined
              : sanitizeEvent(c.example.doc, c.example.fields, { words: [] }),
        })),
      })}\n`,
    );
  } else {
    io.stdout(
      renderClassify({ captures: result.captures, classes: result.classes, names }, { words: [] }),
    );
  }
  return EXIT.ok;
}

const code = await runCli(spec, process.argv.slice(2), async (cli, io) => {
  const [command, ...rest] = cli.positionals;
  if (rest.length > 0 || (command !== undefined && command !== 'classify')) {
    throw new UsageError(
      `Unknown command "${cli.positionals.join(' ')}"; the only command is classify.`,
    );
  }
  const inputFormat = stringFlag(cli, 'input-format', INPUT_FORMATS) as InputFormat | undefined;
  const dataDir = resolve(stringFlag(cli, 'data') ?? DATA_DIR);
  try {
    if (command === 'classify') return await classify(cli, io, inputFormat, dataDir);
    const manifestPaths = list(cli, 'manifest');
    const captures = list(cli, 'events');
    if (manifestPaths.length === 0)
      throw new UsageError('--manifest <m.json> is required (or use classify).');
    if (captures.length === 0) throw new UsageError('--events <capture> is required.');
    const format = stringFlag(cli, 'format', ['md', 'json']) ?? 'md';
    const skew = Number(stringFlag(cli, 'skew') ?? '5');
    if (!Number.isFinite(skew) || skew < 0)
      throw new UsageError('--skew takes a number of seconds, such as 5.');
    const vendorName = stringFlag(cli, 'vendor') ?? 'Unnamed EDR';
    const enabledBy: Record<string, string> = {};
    const known = new Set(
      matrixRows((await loadCoreData(dataDir)).matrices.linux).map((r) => r.sub.id),
    );
    for (const entry of list(cli, 'setting')) {
      const eq = entry.indexOf('=');
      const ids =
        eq > 0
          ? entry
              .slice(0, eq)
              .split(',')
              .map((s) => s.trim())
          : [];
      const setting = eq > 0 ? entry.slice(eq + 1).trim() : '';
      const unknown = ids.filter((id) => !known.has(id));
      if (ids.length === 0 || setting === '' || unknown.length > 0) {
        throw new UsageError(
          `--setting takes "<sub-category ids>=<setting>", e.g. "file-entropy,file-size=populate_file_data: true"${unknown.length > 0 ? `; unknown ids: ${unknown.join(', ')}` : ''}.`,
        );
      }
      for (const id of ids) enabledBy[id] = setting;
    }
    const manifests = await Promise.all(manifestPaths.map(loadManifest));
    const run = await runEvidence({
      manifests,
      captures,
      format: inputFormat,
      skewMs: skew * 1000,
      vendor: { name: vendorName, productVersion: stringFlag(cli, 'product-version') },
      enabledBy,
      dataDir,
      onProgress: (m) => io.stderr(`${m}\n`),
    });
    for (const c of run.match.captures) {
      for (const m of c.malformedSamples)
        io.stderr(`${m.source}:${m.line}: skipped, ${m.reason}.\n`);
      if (c.malformed > c.malformedSamples.length)
        io.stderr(
          `${c.source}: ${c.malformed - c.malformedSamples.length} more malformed lines skipped.\n`,
        );
    }
    for (const d of run.match.diagnosis) io.stderr(`${d}\n`);
    const text = format === 'json' ? `${JSON.stringify(run.file, null, 2)}\n` : renderMarkdown(run);
    await emit(io, text, stringFlag(cli, 'out'));
    const patchFile = stringFlag(cli, 'patch');
    if (patchFile !== undefined) {
      const core = await loadCoreData(dataDir);
      const linux = core.matrices.linux;
      const listed = linux.vendors.find(
        (v) => v.source === 'claimed' && (v.id === slugify(vendorName) || v.name === vendorName),
      );
      const body = listed
        ? matrixPatch(run, linux, listed.id)
        : measuredRow(
            run,
            `Measured with the evidence tool from a capture of the project's generators on ${run.file.host.distro}, kernel ${run.file.host.kernelRelease}.`,
          );
      await mkdir(dirname(resolve(patchFile)), { recursive: true });
      await writeFile(patchFile, `${JSON.stringify(body, null, 2)}\n`);
      io.stderr(
        listed
          ? `Wrote ${patchFile}: a JSON Patch of data/matrices/linux.json for "${listed.name}" (apply it, then run npm run score to validate).\n`
          : `Wrote ${patchFile}: save it as data/measured/${run.file.vendor.id}.json, and the --format json output as data/evidence/${run.file.vendor.id}.json.\n`,
      );
    }
    const matched = run.match.outcomes.some((o) => o.best !== undefined);
    return matched || run.match.outcomes.length === 0 ? EXIT.ok : EXIT.checksFailed;
  } catch (error) {
    if (error instanceof DataValidationError) {
      printIssues(io, `Nothing was judged: ${error.issues.length} problem(s):`, error.issues);
      return EXIT.checksFailed;
    }
    throw error;
  }
});
process.exitCode = code;
