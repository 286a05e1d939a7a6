/**
 * The data change an evidence run proposes, in the project's own formats: a measured row
 * (`data/measured/<vendor>.json`, for a product the matrix does not list yet, and for the rows CI
 * measures), or an RFC 6902 JSON Patch of `data/matrices/linux.json` cells for a vendor the
 * matrix already lists as claimed.
 */
import { matrixRows } from '../../scoring/dataset.ts';
import type { Cell, MeasuredRow, PlatformMatrix } from '../../scoring/schema.ts';
import type { EvidenceRun } from './evidence.ts';

/** Where the evidence of a cell lives, relative to data/: "evidence/<vendor>.json#<sub-category>". */
function evidenceRef(vendorId: string, subCategory: string): string {
  return `evidence/${vendorId}.json#${subCategory}`;
}

function cellFor(run: EvidenceRun, subCategory: string, withEvidence: boolean): Cell {
  const c = run.file.cells[subCategory];
  if (c === undefined) throw new Error(`No evidence for sub-category ${subCategory}.`);
  const takesReason = run.statuses.byId.get(c.status)?.takesReason === true;
  const manifest = run.manifests.find((m) =>
    m.manifest.runs.some((r) => c.generators.includes(r.generator)),
  );
  return {
    status: c.status,
    ...(takesReason
      ? {
          reason:
            c.setting === undefined ? c.reason.trim() : `Needs ${c.setting}. ${c.reason.trim()}`,
        }
      : {}),
    // A cell no action exercised cites no capture: its reason says why ("driver_load could not
    // run here"), and no generator "captured" it.
    ...(withEvidence &&
    c.verdict !== 'not-testable' &&
    c.generators.length > 0 &&
    manifest !== undefined
      ? {
          evidence: {
            ref: evidenceRef(run.file.vendor.id, subCategory),
            generators: c.generators,
            manifestSha256: manifest.sha256,
            capturedAt: run.file.capturedAt,
          },
        }
      : {}),
  };
}

/**
 * A measured row with one cell per Linux sub-category, each citing its evidence. `kind`: a
 * product (an EDR a contributor measured) or a sensor (the project's reference agent, auditd).
 */
export function measuredRow(
  run: EvidenceRun,
  note: string,
  kind: MeasuredRow['vendor']['kind'] = 'product',
): MeasuredRow {
  return {
    schemaVersion: 1,
    platform: 'linux',
    vendor: { id: run.file.vendor.id, name: run.file.vendor.name, source: 'measured', kind, note },
    cells: Object.fromEntries(
      run.rows.map((row) => [row.subCategory, cellFor(run, row.subCategory, true)]),
    ),
  };
}

export type JsonPatchOp =
  | { op: 'replace' | 'add'; path: string; value: Cell }
  | { op: 'test'; path: string; value: string };

/**
 * JSON Patch ops setting the vendor's tested cells in the Linux matrix. Cells the capture could
 * not test are left alone; each replaced cell is guarded by a `test` of the vendor id.
 */
export function matrixPatch(
  run: EvidenceRun,
  matrix: PlatformMatrix,
  vendorId: string,
): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const vendorIndex = matrix.vendors.findIndex((v) => v.id === vendorId);
  if (vendorIndex === -1) throw new Error(`The Linux matrix has no vendor "${vendorId}".`);
  ops.push({ op: 'test', path: `/vendors/${vendorIndex}/id`, value: vendorId });
  for (const { sub, ci, si } of matrixRows(matrix)) {
    const c = run.file.cells[sub.id];
    if (c === undefined || c.verdict === 'not-testable') continue;
    const path = `/categories/${ci}/subCategories/${si}/cells/${vendorId}`;
    ops.push({
      op: sub.cells[vendorId] === undefined ? 'add' : 'replace',
      path,
      value: cellFor(run, sub.id, false),
    });
  }
  return ops;
}

/**
 * Applies `add`/`replace`/`test` ops (the subset `matrixPatch` writes) to a copy of `doc`.
 * @internal for the test that proves a written patch applies and validates.
 */
export function applyPatch<T>(doc: T, ops: readonly JsonPatchOp[]): T {
  const copy = structuredClone(doc) as unknown;
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    let node = copy as Record<string, unknown>;
    for (const p of parts) {
      const next = node[p];
      if (typeof next !== 'object' || next === null)
        throw new Error(`Patch path ${op.path} does not exist.`);
      node = next as Record<string, unknown>;
    }
    if (last === undefined) throw new Error('A patch path must not be empty.');
    if (op.op === 'test') {
      if (node[last] !== op.value) throw new Error(`Patch test failed at ${op.path}.`);
    } else {
      if (op.op === 'replace' && !(last in node))
        throw new Error(`Patch path ${op.path} does not exist.`);
      node[last] = op.value;
    }
  }
  return copy as T;
}
