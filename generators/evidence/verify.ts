/**
 * `npm run evidence:verify`: every committed evidence folder is derived again from what is
 * committed, and any difference fails. One mechanism for both kinds:
 *
 * - evidence packages (`data/evidence/<package>/`): the committed captures and manifests must need
 *   no sanitising (sanitising them again changes nothing), and record.json, assertions.json and
 *   PULL_REQUEST.md must be exactly what `derivePackage` makes of those files and the record's
 *   inputs (a capture's SHA-256 included, so an edited line is caught even when no verdict moves);
 * - measured rows (`data/measured/<vendor>.json`, `data/evidence/<vendor>.json`): exactly what
 *   `deriveFromFixture` makes of the committed capture in `tests/fixtures/evidence/<vendor>/`.
 *
 * Nothing here needs root: no sensor runs, only the committed files are read.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseData } from '../../scoring/issues.ts';
import { DATA_DIR } from './evidence.ts';
import {
  deriveFromFixture,
  FIXTURES_DIR,
  fixtureDirs,
  type Derived as MeasuredDerived,
} from './measured.ts';
import { PackageRecordSchema } from './package.schema.ts';
import { derivePackage, PACKAGE_FILES, packageTexts } from './package.ts';
import { Sanitizer } from './sanitize.ts';
import { type FileShape, fileShape, learnFile, sanitizeFile } from './sanitize-capture.ts';

/** One place where the committed file and the derived one disagree. */
export interface Difference {
  /** The committed file, relative to the repository. */
  file: string;
  /** Dot path inside a JSON file, or `line N` of a text file. */
  path: string;
  committed: string;
  derived: string;
}

export interface VerifyOutcome {
  kind: 'package' | 'measured';
  /** Package folder or measured vendor id. */
  name: string;
  differences: Difference[];
}

const MAX_DIFFERENCES = 20;

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const s = JSON.stringify(value);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Paths where two JSON values differ, first ones first (at most `MAX_DIFFERENCES`). */
export function diffJson(
  committed: unknown,
  derived: unknown,
  file: string,
  path = '',
): Difference[] {
  const out: Difference[] = [];
  let more = 0;
  const walk = (a: unknown, b: unknown, p: string) => {
    if (Object.is(a, b)) return;
    const objA = typeof a === 'object' && a !== null;
    const objB = typeof b === 'object' && b !== null;
    if (objA && objB && Array.isArray(a) === Array.isArray(b)) {
      if (Array.isArray(a) && Array.isArray(b)) {
        for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${p}[${i}]`);
        return;
      }
      const ra = a as Record<string, unknown>;
      const rb = b as Record<string, unknown>;
      for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)]))
        walk(ra[k], rb[k], p === '' ? k : `${p}.${k}`);
      return;
    }
    if (out.length < MAX_DIFFERENCES)
      out.push({ file, path: p === '' ? '(whole file)' : p, committed: show(a), derived: show(b) });
    else more++;
  };
  walk(committed, derived, path);
  if (more > 0)
    out.push({ file, path: `(${more} more paths)`, committed: 'differ', derived: 'not listed' });
  return out;
}

/** Lines where two texts differ. */
export function diffText(committed: string, derived: string, file: string): Difference[] {
  const a = committed.split('\n');
  const b = derived.split('\n');
  const out: Difference[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < MAX_DIFFERENCES; i++)
    if (a[i] !== b[i])
      out.push({ file, path: `line ${i + 1}`, committed: show(a[i]), derived: show(b[i]) });
  return out;
}

function relative(path: string, root: string): string {
  return path.startsWith(root) ? path.slice(root.length).replace(/^\//, '') : path;
}

async function readCommitted(path: string): Promise<string> {
  const bytes = await readFile(path);
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
}

/**
 * Re-derives one evidence package from its committed files.
 * @example const { differences } = await verifyPackage('data/evidence/elastic-linux-pr199')
 */
export async function verifyPackage(
  dir: string,
  options: { dataDir?: string; repoRoot?: string } = {},
): Promise<VerifyOutcome> {
  const root = options.repoRoot ?? '';
  const name = basename(dir);
  const fileOf = (f: string) => relative(join(dir, f), root);
  const recordPath = join(dir, PACKAGE_FILES.record);
  const text = await readFile(recordPath, 'utf8').catch(() => undefined);
  if (text === undefined)
    return {
      kind: 'package',
      name,
      differences: [
        {
          file: fileOf(PACKAGE_FILES.record),
          path: '(whole file)',
          committed: '(absent)',
          derived: 'a package record',
        },
      ],
    };
  const parsed = parseData(PackageRecordSchema, JSON.parse(text), fileOf(PACKAGE_FILES.record));
  if (!parsed.ok)
    return {
      kind: 'package',
      name,
      differences: parsed.issues.map((i) => ({
        file: i.file,
        path: i.path ?? '(whole file)',
        committed: 'does not pass the package schema',
        derived: i.message,
      })),
    };
  const record = parsed.data;
  const differences: Difference[] = [];

  // What is committed must need no sanitising: one sanitiser over every file, as when packaged.
  const files = [...record.inputs.manifests, ...record.inputs.captures.map((c) => c.file)];
  const sanitizer = new Sanitizer();
  const shapes: FileShape[] = [];
  for (const f of files) {
    const present = await stat(join(dir, f)).then(
      () => true,
      () => false,
    );
    if (!present) {
      differences.push({
        file: fileOf(f),
        path: '(whole file)',
        committed: '(absent)',
        derived: 'the file record.json lists',
      });
      continue;
    }
    const shape = await fileShape(join(dir, f));
    shapes.push(shape);
    await learnFile(join(dir, f), shape, sanitizer);
  }
  if (differences.length > 0) return { kind: 'package', name, differences };
  for (const [i, f] of files.entries()) {
    const again = await sanitizeFile(join(dir, f), shapes[i] as FileShape, sanitizer);
    for (const d of diffText(await readCommitted(join(dir, f)), again.text, fileOf(f)))
      differences.push({ ...d, derived: `${d.derived} (sanitising it again changes it)` });
  }

  const derived = await derivePackage(dir, record.inputs, record.sanitising, {
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  }).catch((error: Error) => {
    differences.push({
      file: fileOf(PACKAGE_FILES.record),
      path: '(whole file)',
      committed: 'a package record',
      derived: `cannot be derived: ${error.message}`,
    });
    return undefined;
  });
  if (derived === undefined) return { kind: 'package', name, differences };
  const texts = packageTexts(derived);
  differences.push(...diffJson(record, derived.record, fileOf(PACKAGE_FILES.record)));
  const assertions = await readFile(join(dir, PACKAGE_FILES.assertions), 'utf8').catch(
    () => undefined,
  );
  differences.push(
    ...(assertions === undefined
      ? [
          {
            file: fileOf(PACKAGE_FILES.assertions),
            path: '(whole file)',
            committed: '(absent)',
            derived: 'the assertions',
          },
        ]
      : diffJson(JSON.parse(assertions), derived.assertions, fileOf(PACKAGE_FILES.assertions))),
  );
  const body = await readFile(join(dir, PACKAGE_FILES.body), 'utf8').catch(() => '');
  differences.push(...diffText(body, texts.body, fileOf(PACKAGE_FILES.body)));
  return { kind: 'package', name, differences };
}

/**
 * Re-derives one measured row and its evidence file from the committed fixture; the derivation
 * is returned too, for tests that pin its verdicts.
 */
export async function verifyMeasured(
  fixtureDir: string,
  options: { dataDir?: string; repoRoot?: string } = {},
): Promise<VerifyOutcome & { derived: MeasuredDerived }> {
  const dataDir = options.dataDir ?? DATA_DIR;
  const root = options.repoRoot ?? '';
  const derived = await deriveFromFixture(
    fixtureDir,
    options.dataDir === undefined ? {} : { dataDir },
  );
  const id = derived.fixture.vendor.id;
  const differences: Difference[] = [];
  const rowPath = join(dataDir, 'measured', `${id}.json`);
  const evidencePath = join(dataDir, 'evidence', `${id}.json`);
  const row = await readFile(rowPath, 'utf8').then(JSON.parse, () => undefined);
  differences.push(...diffJson(row, derived.row, relative(rowPath, root)));
  const evidence = await readFile(evidencePath, 'utf8').then(JSON.parse, () => undefined);
  // The generation time is the only field that changes from one derivation to the next.
  const { generatedAt: _a, ...committed } = (evidence ?? {}) as Record<string, unknown>;
  const { generatedAt: _b, ...fresh } = derived.evidence;
  differences.push(
    ...diffJson(
      evidence === undefined ? undefined : committed,
      fresh,
      relative(evidencePath, root),
    ),
  );
  return { kind: 'measured', name: id, differences, derived };
}

/** The package folders under `data/evidence/` (each one holds a record.json). */
export async function packageDirs(evidenceRoot: string): Promise<string[]> {
  const names = await readdir(evidenceRoot).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.sort()) {
    if (n.startsWith('.')) continue;
    const dir = join(evidenceRoot, n);
    if ((await stat(dir)).isDirectory()) out.push(dir);
  }
  return out;
}

/** Verifies every package and every measured row, in that order. */
export async function verifyAll(
  options: {
    dataDir?: string;
    fixturesDir?: string;
    repoRoot?: string;
    onProgress?: (message: string) => void;
  } = {},
): Promise<VerifyOutcome[]> {
  const dataDir = options.dataDir ?? DATA_DIR;
  const progress = options.onProgress ?? (() => {});
  const packages = await packageDirs(join(dataDir, 'evidence'));
  const fixtures = await fixtureDirs(options.fixturesDir ?? FIXTURES_DIR);
  const total = packages.length + fixtures.length;
  const outcomes: VerifyOutcome[] = [];
  let n = 0;
  for (const dir of packages) {
    progress(`[${++n}/${total}] package ${basename(dir)}`);
    outcomes.push(
      await verifyPackage(dir, {
        dataDir,
        ...(options.repoRoot === undefined ? {} : { repoRoot: options.repoRoot }),
      }),
    );
  }
  for (const dir of fixtures) {
    progress(`[${++n}/${total}] measured row from ${basename(dir)}`);
    const { derived: _, ...outcome } = await verifyMeasured(dir, {
      dataDir,
      ...(options.repoRoot === undefined ? {} : { repoRoot: options.repoRoot }),
    });
    outcomes.push(outcome);
  }
  return outcomes;
}
