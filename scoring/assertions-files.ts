/**
 * Reads the assertions that do not come from upstream: evidence packages
 * (`data/evidence/<package>/assertions.json`) and the measured rows' evidence records
 * (`data/measured/<vendor>.json` with `data/evidence/<vendor>.json`). They live apart from the
 * imported matrices, so re-importing upstream never loses them. Every problem is reported with its
 * file, vendor, sub-category and reason, as for the rest of `data/`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type DataIssue, type Locator, parseData } from './issues.ts';
import { type ReadText, readJsonFile } from './json-file.ts';
import {
  AssertionsFileSchema,
  type EvidenceAssertion,
  EvidenceAssertionSchema,
} from './provenance.schema.ts';
import { matrixRows } from './rows.ts';
import {
  type PlatformId,
  type PlatformMatrix,
  SlugSchema,
  StatusIdSchema,
  type Vendor,
} from './schema.ts';

/** One evidence or measured assertion and the cell it is about. */
export interface LocatedAssertion {
  platform: PlatformId;
  subCategoryId: string;
  vendorId: string;
  assertion: EvidenceAssertion;
  /** The file inside `data/` it was read from, e.g. `evidence/elastic-linux-pr199/assertions.json`. */
  file: string;
}

/** Where packages keep their assertions inside `data/`: `evidence/<package>/assertions.json`. */
export const EVIDENCE_DIR = 'evidence';
export const ASSERTIONS_FILE = 'assertions.json';

async function packageFiles(dataDir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(join(dataDir, EVIDENCE_DIR), { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries
    .filter((e) => e.isDirectory())
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const names = await readdir(join(dataDir, EVIDENCE_DIR, entry.name));
    if (names.includes(ASSERTIONS_FILE))
      files.push(`${EVIDENCE_DIR}/${entry.name}/${ASSERTIONS_FILE}`);
  }
  return files;
}

/** Names the cell of a path into an assertions file: `cells.<sub>…` → its row and the file's vendor. */
function assertionsLocator(
  raw: unknown,
  matrices: Partial<Record<PlatformId, PlatformMatrix>>,
): Locator {
  return (path) => {
    const file = raw as { platform?: unknown; vendor?: unknown };
    const matrix =
      typeof file.platform === 'string' ? matrices[file.platform as PlatformId] : undefined;
    const vendorName =
      typeof file.vendor === 'string'
        ? (matrix?.vendors.find((v) => v.id === file.vendor)?.name ?? file.vendor)
        : undefined;
    const subId = path[0] === 'cells' && typeof path[1] === 'string' ? path[1] : undefined;
    const row = subId && matrix ? matrixRows(matrix).find((r) => r.sub.id === subId) : undefined;
    return {
      ...(row ? { row: { number: row.number, subCategory: row.sub.name } } : {}),
      ...(vendorName !== undefined ? { vendor: vendorName } : {}),
    };
  };
}

/**
 * Loads every evidence package's assertions. An assertion about a vendor or sub-category the
 * platform's matrix does not have is an issue, as is one whose product names another vendor.
 */
export async function loadPackageAssertions(
  dataDir: string,
  matrices: Partial<Record<PlatformId, PlatformMatrix>>,
  read: ReadText,
): Promise<{ assertions: LocatedAssertion[]; issues: DataIssue[] }> {
  const assertions: LocatedAssertion[] = [];
  const issues: DataIssue[] = [];
  for (const name of await packageFiles(dataDir)) {
    const file = join(dataDir, name);
    const json = await readJsonFile(file, file, read);
    if (!json.ok) {
      issues.push(...json.issues);
      continue;
    }
    const locate = assertionsLocator(json.value, matrices);
    const parsed = parseData(AssertionsFileSchema, json.value, file, locate);
    if (!parsed.ok) {
      issues.push(...parsed.issues);
      continue;
    }
    const data = parsed.data;
    const matrix = matrices[data.platform];
    if (!matrix) continue; // the matrix itself failed to load and is reported already
    const vendor = matrix.vendors.find((v) => v.id === data.vendor);
    if (!vendor) {
      issues.push({
        file,
        vendor: data.vendor,
        path: 'vendor',
        message: `no vendor "${data.vendor}" in the ${matrix.platform.name} matrix; use the id of a listed vendor (data/matrices/${data.platform}.json).`,
      });
      continue;
    }
    const rows = new Map(matrixRows(matrix).map((r) => [r.sub.id, r] as const));
    for (const [subId, assertion] of Object.entries(data.cells)) {
      const row = rows.get(subId);
      if (!row) {
        issues.push({
          file,
          vendor: vendor.name,
          path: `cells.${subId}`,
          message: `no sub-category "${subId}" in the ${matrix.platform.name} matrix; use the id of one of its rows.`,
        });
        continue;
      }
      if (assertion.product.vendor !== data.vendor) {
        issues.push({
          file,
          row: { number: row.number, subCategory: row.sub.name },
          vendor: vendor.name,
          path: `cells.${subId}.product.vendor`,
          message: `the assertion names vendor "${assertion.product.vendor}" but the file is about "${data.vendor}".`,
        });
        continue;
      }
      assertions.push({
        platform: data.platform,
        subCategoryId: subId,
        vendorId: data.vendor,
        assertion,
        file: name,
      });
    }
  }
  return { assertions, issues };
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * The part of an evidence record (`data/evidence/<vendor>.json`, written by the evidence tool,
 * whose full schema is `generators/evidence/evidence-file.schema.ts`) a measured assertion
 * states. Loose on purpose: scoring does not depend on the generators, and the evidence tool's
 * own check (`evidence:verify`) holds the whole file to its schema.
 */
const MeasuredRecordSchema = z.object({
  vendor: z.object({
    id: SlugSchema,
    name: z.string().min(1),
    productVersion: z.string().min(1).optional(),
  }),
  capturedAt: z.iso.datetime({ offset: true }),
  tools: z.record(z.string(), z.string()),
  host: z.object({
    distro: z.string().min(1),
    kernelRelease: z.string().min(1),
    arch: z.string().min(1),
  }),
  /** The sensor as its capture names itself (absent in records written before it was kept). */
  sensor: z
    .object({
      type: z.string().min(1).optional(),
      version: z.string().min(1).optional(),
      identity: z.enum(['known', 'unknown', 'absent']),
    })
    .optional(),
  manifests: z.array(z.object({ sha256 })).min(1),
  cells: z.record(
    SlugSchema,
    z.object({
      verdict: z.enum(['observed', 'partially', 'not-observed', 'not-testable']),
      status: StatusIdSchema,
      reason: z.string().min(1).optional(),
      setting: z.string().min(1).optional(),
    }),
  ),
});

/** Tools of the project's own chain, not the measured sensor (`tools` lists both). */
const CHAIN_TOOLS = /^(edr-telemetry-matrix|node$|etm-)/;

/** The sensor's version as the record states it: one tool's version, or each tool named. */
function sensorVersion(tools: Record<string, string>): string | undefined {
  const own = Object.entries(tools).filter(([name]) => !CHAIN_TOOLS.test(name));
  if (own.length === 0) return undefined;
  if (own.length === 1) return own[0]?.[1];
  return own.map(([name, version]) => `${name} ${version}`).join(' + ');
}

/**
 * The measured assertion of each cell of each measured vendor: CI ran the sensor itself (tester
 * `ci`), the product is the sensor, the verdict and settings are the evidence record's.
 */
export async function loadMeasuredAssertions(
  dataDir: string,
  matrices: Partial<Record<PlatformId, PlatformMatrix>>,
  read: ReadText,
): Promise<{ assertions: LocatedAssertion[]; issues: DataIssue[] }> {
  const assertions: LocatedAssertion[] = [];
  const issues: DataIssue[] = [];
  for (const matrix of Object.values(matrices)) {
    for (const vendor of matrix.vendors.filter((v: Vendor) => v.source === 'measured')) {
      const name = `${EVIDENCE_DIR}/${vendor.id}.json`;
      const file = join(dataDir, name);
      const json = await readJsonFile(file, file, read);
      if (!json.ok) {
        issues.push(...json.issues.map((i) => ({ ...i, vendor: vendor.name })));
        continue;
      }
      const parsed = parseData(MeasuredRecordSchema, json.value, file);
      if (!parsed.ok) {
        issues.push(...parsed.issues.map((i) => ({ ...i, vendor: vendor.name })));
        continue;
      }
      const record = parsed.data;
      const version = record.vendor.productVersion ?? sensorVersion(record.tools);
      for (const { sub, number } of matrixRows(matrix)) {
        const cell = sub.cells[vendor.id];
        const measured = record.cells[sub.id];
        if (!cell) continue; // reported by the matrix checks
        if (!measured) {
          issues.push({
            file,
            row: { number, subCategory: sub.name },
            vendor: vendor.name,
            message: `the evidence record has no cell for this sub-category, which data/measured/${vendor.id}.json lists; run npm run evidence:refresh.`,
          });
          continue;
        }
        const candidate = {
          basis: 'measured',
          status: cell.status,
          date: cell.evidence?.capturedAt ?? record.capturedAt,
          ...(cell.reason ? { reason: cell.reason } : {}),
          kind: 'generator-run',
          verdict: measured.verdict,
          product: {
            vendor: vendor.id,
            name: vendor.name,
            ...(version ? { version } : {}),
          },
          sensor: {
            identity: record.sensor?.identity ?? 'absent',
            ...(record.sensor?.type ? { type: record.sensor.type } : {}),
            ...(record.sensor?.version ? { version: record.sensor.version } : {}),
          },
          host: {
            os: record.host.distro,
            kernel: record.host.kernelRelease,
            arch: record.host.arch,
          },
          settings: measured.setting
            ? [{ setting: measured.setting, subCategories: [sub.id] }]
            : [],
          window: { start: new Date(cell.evidence?.capturedAt ?? record.capturedAt).toISOString() },
          tester: { handle: 'ci', affiliation: 'ci' },
          evidence: {
            record: `${name}#${sub.id}`,
            manifestSha256: cell.evidence?.manifestSha256 ?? record.manifests[0]?.sha256,
          },
        };
        const assertion = parseData(EvidenceAssertionSchema, candidate, file, () => ({
          row: { number, subCategory: sub.name },
          vendor: vendor.name,
        }));
        if (!assertion.ok) issues.push(...assertion.issues);
        else
          assertions.push({
            platform: matrix.platform.id,
            subCategoryId: sub.id,
            vendorId: vendor.id,
            assertion: assertion.data,
            file: name,
          });
      }
    }
  }
  return { assertions, issues };
}
