/**
 * The measured rows CI keeps in data/: which sensors, where their committed captures live, and
 * how a row and its evidence file are derived from a capture. The refresh script writes them and
 * `npm run evidence:verify` re-derives them from the committed fixtures, so data/ can never drift
 * from its evidence.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadCoreData } from '../../scoring/dataset.ts';
import type { MeasuredRow } from '../../scoring/schema.ts';
import { compareWithClaimed } from './compare.ts';
import { DATA_DIR, type EvidenceRun, loadManifest, runEvidence } from './evidence.ts';
import type { EvidenceFile } from './evidence-file.schema.ts';
import { agentTypesOf, identify } from './identity.ts';
import { measuredRow } from './patch.ts';
import { INPUT_FORMATS } from './readers/capture.ts';
import { loadRuleSets } from './rules.ts';

export const FIXTURES_DIR = fileURLToPath(
  new URL('../../tests/fixtures/evidence/', import.meta.url),
);

/** `tests/fixtures/evidence/<vendor>/fixture.json`: what the capture is and who made it. */
const FixtureSchema = z.strictObject({
  schemaVersion: z.literal(1),
  vendor: z.strictObject({
    id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
    name: z.string().min(1),
    note: z.string().min(1),
  }),
  /** `baseline`: only the default-configuration capture another row is judged against; no row of its own. */
  role: z.enum(['row', 'baseline']).default('row'),
  /** The capture file in this folder and its format. */
  capture: z.string().min(1),
  format: z.enum(INPUT_FORMATS),
  /** Manifests in this folder: the generators' and the sensor lifecycle's. */
  manifests: z.array(z.string().min(1)).min(1),
  /** Non-default sensor settings the capture was made with, and the sub-categories that need them. */
  settings: z
    .array(
      z.strictObject({
        setting: z.string().min(1),
        subCategories: z.array(z.string().min(1)).min(1),
      }),
    )
    .default([]),
  /** Tool versions at capture time (sensor, LAUREL...). */
  tools: z.record(z.string(), z.string()),
  /**
   * A sibling fixture folder with the same sensor on its default configuration, and the setting
   * this capture adds: a cell the setting reveals (recorded here, not or less there) needs it.
   */
  baseline: z
    .strictObject({ fixture: z.string().regex(/^[a-z0-9-]+$/), setting: z.string().min(1) })
    .optional(),
  /** A claimed vendor of the Linux matrix to compare the measured row with (e.g. "auditd"). */
  compareWith: z.string().optional(),
  /** When and how the capture was trimmed and sanitised. */
  notes: z.array(z.string()),
});
export type Fixture = z.infer<typeof FixtureSchema>;

export interface Derived {
  fixture: Fixture;
  run: EvidenceRun;
  row: MeasuredRow;
  evidence: EvidenceFile;
}

/** Derives the measured row and evidence file from one committed fixture folder. */
export async function deriveFromFixture(
  dir: string,
  options: { dataDir?: string; now?: () => Date } = {},
): Promise<Derived> {
  const fixture = FixtureSchema.parse(
    JSON.parse(await readFile(join(dir, 'fixture.json'), 'utf8')),
  );
  const manifests = await Promise.all(
    fixture.manifests.map((m) => loadManifest(join(dir, m))),
  ).catch((error: Error) => {
    throw new Error(
      `${error.message}\nThe fixture's manifests no longer match generators/manifest.schema.ts: capture them again with sudo npm run evidence:refresh (it rewrites the fixtures and data/).`,
    );
  });
  const evidenceOptions = {
    manifests,
    captures: [join(dir, fixture.capture)],
    format: fixture.format,
    vendor: { id: fixture.vendor.id, name: fixture.vendor.name },
    tools: fixture.tools,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
  const enabledBy: Record<string, string> = Object.fromEntries(
    fixture.settings.flatMap((s) => s.subCategories.map((sub) => [sub, s.setting])),
  );
  const baseline =
    fixture.baseline === undefined
      ? undefined
      : await baselineCells(join(dir, '..', fixture.baseline.fixture), options);
  if (fixture.baseline !== undefined && baseline !== undefined) {
    // Judged as if every cell needed the setting, then kept only where the baseline saw less.
    const probe = await runEvidence(evidenceOptions);
    for (const row of probe.rows) {
      const base = baseline.get(row.subCategory);
      const a = row.verdict.actions;
      if (a.observed + a.partial === 0 || base === undefined) continue;
      if (
        base.actions.observed < a.observed ||
        base.actions.observed + base.actions.partial < a.observed + a.partial
      )
        enabledBy[row.subCategory] = fixture.baseline.setting;
    }
  }
  const run = await runEvidence({ ...evidenceOptions, enabledBy });
  // The sensor as the capture names itself (ECS agent.type), checked like a contributor's package:
  // a measured row is refused if its capture is another product's.
  const capture = join(dir, fixture.capture);
  const sensor = identify(
    [...(await agentTypesOf(capture, 'json-lines')).values()],
    fixture.vendor.id,
    capture,
  );
  let evidence: EvidenceFile = { ...run.file, sensor };
  if (fixture.compareWith !== undefined) {
    const core = await loadCoreData(options.dataDir ?? DATA_DIR);
    evidence = {
      ...evidence,
      comparison: compareWithClaimed(
        evidence,
        core.matrices.linux,
        fixture.compareWith,
        core.statuses,
        await ruleDescriptions(options.dataDir),
      ),
    };
  }
  // The committed measured rows are the project's reference sensors, never products.
  return { fixture, run, row: measuredRow(run, fixture.vendor.note, 'sensor'), evidence };
}

/** The verdicts of a baseline fixture (the sensor on its default configuration), by sub-category. */
async function baselineCells(
  dir: string,
  options: { dataDir?: string; now?: () => Date },
): Promise<Map<string, EvidenceRun['rows'][number]['verdict']>> {
  const derived = await deriveFromFixture(dir, options).catch((error: Error) => {
    throw new Error(
      `${dir}: the baseline capture cannot be read (${error.message.split('\n')[0]}); capture it with sudo npm run evidence:refresh -- --sensor auditd.`,
    );
  });
  return new Map(derived.run.rows.map((r) => [r.subCategory, r.verdict]));
}

/** Rule id → description, over every rules file. */
async function ruleDescriptions(dataDir: string | undefined): Promise<Map<string, string>> {
  const sets = await loadRuleSets(dataDir === undefined ? {} : { dataDir });
  return new Map(
    Object.values(sets)
      .flat()
      .flatMap((r) => (r.description === undefined ? [] : [[r.id, r.description] as const])),
  );
}

/** Every fixture folder that holds a fixture.json and derives a row of its own (evidence:verify re-derives each). */
export async function fixtureDirs(root = FIXTURES_DIR): Promise<string[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names.sort()) {
    const dir = join(root, name);
    const text = await readFile(join(dir, 'fixture.json'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const role = (JSON.parse(text) as { role?: unknown }).role;
    if (role !== 'baseline') out.push(dir);
  }
  return out;
}
