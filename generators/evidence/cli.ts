/**
 * `npm run evidence`: judges what an EDR recorded against what the generators did, and
 * `npm run evidence -- classify`: what a capture shows telemetry for, without a manifest.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { loadCoreData, matrixRows } from '../../scoring/dataset.ts';
import { DataValidationError } from '../../scoring/issues.ts';
import { type Affiliation, AffiliationSchema } from '../../scoring/provenance.schema.ts';
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
import { IdentityError } from './identity.ts';
import { matchCaptures } from './matcher.ts';
import { createPackage, PackageError } from './package.ts';
import { matrixPatch, measuredRow } from './patch.ts';
import { INPUT_FORMATS, type InputFormat } from './readers/capture.ts';
import { renderClassify, renderMarkdown } from './report.ts';
import { loadRuleSets } from './rules.ts';
import { describeReport } from './sanitize.ts';
import { SanitizeError } from './sanitize-capture.ts';
import { capturesPlatform, windowsClassifyCommand } from './windows/command.ts';
import { WINDOWS_LAYOUTS, type WindowsLayout } from './windows/event.ts';

const spec = {
  name: 'evidence',
  usage:
    'npm run evidence -- --manifest <m.json> --events <capture> [--events <capture>...] [--vendor <name>] [--product-version <x.y>] [--format md|json] [--out <file>] [--patch <file>] [--input-format ecs|laurel|csv] [--skew <seconds>] [--setting <ids=setting>...]\n       npm run evidence -- classify --events <capture> [--events <capture>...] [--json] [--input-format ecs|laurel|csv|nxlog-json|eventlog-json|wevtutil-xml|winlogbeat]\n       npm run evidence -- package --events <capture> [--manifest <m.json>...] --vendor <name> --tester <handle> [--affiliation independent|vendor|maintainer|ci] [--platform linux|windows] [--product-version <x.y>] [--build <b>] [--version-for <ids=version>...] [--setting <ids=setting>...] [--policy <name[=file]>] [--cells <ids>] [--notice <file>...] [--pr <url>] [--note <text>] [--id <folder>] [--out <dir>]',
  summary:
    "Matches a generator manifest against an EDR's captured events and proposes a status per Linux sub-category with the events that prove it; `classify` lists what a capture shows telemetry for; `package` writes a sanitised evidence package under data/evidence/ for a pull request.",
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
      value: '<file|dir>',
      description:
        'Write the output to this file instead of stdout; package: the folder packages go in (default data/evidence).',
    },
    patch: {
      type: 'string',
      value: '<file>',
      description:
        'Also write the proposed data change: a JSON Patch of data/matrices/linux.json for a listed vendor, else a data/measured row.',
    },
    'input-format': {
      type: 'string',
      value: '<format>',
      description:
        'Capture format, when detection from the first lines is not wanted: ecs, laurel or csv; for classify also a Windows layout (nxlog-json, eventlog-json, wevtutil-xml, winlogbeat).',
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
    platform: {
      type: 'string',
      value: '<linux|windows>',
      description: 'package: the platform, when detection from the capture is not wanted.',
    },
    build: { type: 'string', value: '<build>', description: 'package: the product build.' },
    'version-for': {
      type: 'string',
      value: '<ids=version>',
      multiple: true,
      description:
        'package: a product version for some sub-categories (comma-separated ids), e.g. "memory-backed-file-creation=9.1.4+".',
    },
    policy: {
      type: 'string',
      value: '<name[=file]>',
      description: "package: the product policy's name, and its file to record its SHA-256.",
    },
    tester: {
      type: 'string',
      value: '<handle>',
      description: "package: who ran the test (the tester's GitHub handle).",
    },
    affiliation: {
      type: 'string',
      value: '<independent|vendor|maintainer|ci>',
      description:
        "package: the tester's affiliation, as the tester states it; leave it out when unknown.",
    },
    cells: {
      type: 'string',
      value: '<ids>',
      description:
        'package: only these sub-categories (comma-separated ids) get an assertion; default every one the capture speaks to.',
    },
    notice: {
      type: 'string',
      value: '<file>',
      multiple: true,
      description: 'package: a licence notice the capture came with, copied into the package.',
    },
    pr: {
      type: 'string',
      value: '<url>',
      description: 'package: the pull request that first published the evidence.',
    },
    note: {
      type: 'string',
      value: '<text>',
      description: "package: one sentence on the evidence's origin.",
    },
    id: {
      type: 'string',
      value: '<folder>',
      description: 'package: the folder name under --out (default <vendor>-<platform>-<date>).',
    },
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
    '  npm run evidence -- package --manifest m.json --events defend.ndjson.gz --vendor Elastic --product-version 9.3.0 --tester octocat --affiliation independent',
    '  npm run evidence -- package --events sysmon.ndjson.gz --vendor sysmon --product-version 15.0 --tester octocat --notice LICENSE.OTRF',
    'Statuses: observed → yes, partially → partially (with the reason), not observed → no, not testable here → not-tested.',
    'Exit codes: 0 done, 1 bad input (manifest, capture, data), a capture made by another product, or nothing in the capture matched the manifest, 2 bad usage.',
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
  layout: WindowsLayout | undefined,
) {
  const captures = list(cli, 'events');
  if (captures.length === 0)
    throw new UsageError('classify needs at least one --events <capture>.');
  if (layout !== undefined)
    return windowsClassifyCommand(captures, { json: cli.values.json === true, layout }, io);
  // Windows captures (event-log JSON, NXLog, wevtutil XML, Winlogbeat) have readers of their own;
  // --input-format naming a Linux format skips the check.
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

/**
 * `<ids>=<value>` flags (--setting, --version-for): comma-separated sub-category ids, each known
 * when `known` is given.
 */
function idsEqualsValue(
  entries: readonly string[],
  flag: string,
  known: ReadonlySet<string> | undefined,
): { ids: string[]; value: string }[] {
  return entries.map((entry) => {
    const eq = entry.indexOf('=');
    const ids =
      eq > 0
        ? entry
            .slice(0, eq)
            .split(',')
            .map((s) => s.trim())
        : [];
    const value = eq > 0 ? entry.slice(eq + 1).trim() : '';
    const unknown = known === undefined ? [] : ids.filter((id) => !known.has(id));
    if (ids.length === 0 || value === '' || unknown.length > 0) {
      throw new UsageError(
        `${flag} takes "<sub-category ids>=<value>", e.g. "file-entropy,file-size=populate_file_data: true"${unknown.length > 0 ? `; unknown ids: ${unknown.join(', ')}` : ''}.`,
      );
    }
    return { ids, value };
  });
}

async function packageCommand(cli: ParsedCli, io: CliIo, dataDir: string): Promise<number> {
  const captures = list(cli, 'events');
  if (captures.length === 0) throw new UsageError('package needs at least one --events <capture>.');
  const vendor = stringFlag(cli, 'vendor');
  if (vendor === undefined || vendor === 'Unnamed EDR')
    throw new UsageError('package needs --vendor <name>: the product the capture is evidence for.');
  const handle = stringFlag(cli, 'tester');
  if (handle === undefined)
    throw new UsageError('package needs --tester <handle>: who ran the test (a GitHub handle).');
  const affiliation = stringFlag(cli, 'affiliation', AffiliationSchema.options);
  const platform = stringFlag(cli, 'platform', ['linux', 'windows']) as
    | 'linux'
    | 'windows'
    | undefined;
  const policyFlag = stringFlag(cli, 'policy');
  const eq = policyFlag?.indexOf('=') ?? -1;
  const policy =
    policyFlag === undefined
      ? undefined
      : eq > 0
        ? { name: policyFlag.slice(0, eq), file: policyFlag.slice(eq + 1) }
        : { name: policyFlag };
  const settings = idsEqualsValue(list(cli, 'setting'), '--setting', undefined).map((s) => ({
    setting: s.value,
    subCategories: s.ids,
  }));
  const cellVersions: Record<string, string> = {};
  for (const { ids, value } of idsEqualsValue(list(cli, 'version-for'), '--version-for', undefined))
    for (const id of ids) cellVersions[id] = value;
  const pr = stringFlag(cli, 'pr');
  const note = stringFlag(cli, 'note');
  const cells = stringFlag(cli, 'cells');
  const started = Date.now();
  const result = await createPackage({
    captures,
    manifests: list(cli, 'manifest'),
    notices: list(cli, 'notice'),
    vendor,
    platform,
    productVersion: stringFlag(cli, 'product-version'),
    build: stringFlag(cli, 'build'),
    cellVersions,
    settings,
    policy,
    cells: cells === undefined ? [] : cells.split(',').map((c) => c.trim()),
    tester: {
      handle,
      ...(affiliation === undefined ? {} : { affiliation: affiliation as Affiliation }),
    },
    ...(pr === undefined && note === undefined
      ? {}
      : {
          source: { ...(pr === undefined ? {} : { pr }), ...(note === undefined ? {} : { note }) },
        }),
    id: stringFlag(cli, 'id'),
    root: resolve(stringFlag(cli, 'out') ?? join(dataDir, 'evidence')),
    dataDir,
    onProgress: (m) => io.stderr(`${m}\n`),
  });
  io.stdout(result.body);
  const statuses = Object.values(result.assertions.cells).reduce<Record<string, number>>((a, c) => {
    a[c.status] = (a[c.status] ?? 0) + 1;
    return a;
  }, {});
  io.stderr(
    `Wrote ${result.dir} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${Object.keys(result.assertions.cells).length} assertion(s) (${Object.entries(
      statuses,
    )
      .map(([k, n]) => `${n} ${k}`)
      .join(
        ', ',
      )}); sanitised: ${describeReport(result.record.sanitising)}. Paste PULL_REQUEST.md into the pull request and run npm run evidence:verify.\n`,
  );
  return EXIT.ok;
}

const code = await runCli(spec, process.argv.slice(2), async (cli, io) => {
  const [command, ...rest] = cli.positionals;
  if (
    rest.length > 0 ||
    (command !== undefined && command !== 'classify' && command !== 'package')
  ) {
    throw new UsageError(
      `Unknown command "${cli.positionals.join(' ')}"; the commands are classify and package.`,
    );
  }
  const given = stringFlag(cli, 'input-format', [...INPUT_FORMATS, ...WINDOWS_LAYOUTS]);
  const layout = WINDOWS_LAYOUTS.find((l) => l === given);
  const inputFormat = INPUT_FORMATS.find((f) => f === given);
  const dataDir = resolve(stringFlag(cli, 'data') ?? DATA_DIR);
  try {
    if (command === 'classify') return await classify(cli, io, inputFormat, dataDir, layout);
    if (layout !== undefined && command === undefined)
      throw new UsageError(
        `--input-format ${layout} is a Windows layout: Windows captures are read by classify and package; judging one against a manifest is for Linux captures.`,
      );
    if (command === 'package') return await packageCommand(cli, io, dataDir);
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
    const known = new Set(
      matrixRows((await loadCoreData(dataDir)).matrices.linux).map((r) => r.sub.id),
    );
    const enabledBy: Record<string, string> = {};
    for (const { ids, value } of idsEqualsValue(list(cli, 'setting'), '--setting', known))
      for (const id of ids) enabledBy[id] = value;
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
    if (
      error instanceof PackageError ||
      error instanceof IdentityError ||
      error instanceof SanitizeError
    ) {
      io.stderr(`${error.message}\n`);
      return EXIT.checksFailed;
    }
    if (error instanceof DataValidationError) {
      printIssues(io, `Nothing was judged: ${error.issues.length} problem(s):`, error.issues);
      return EXIT.checksFailed;
    }
    throw error;
  }
});
process.exitCode = code;
