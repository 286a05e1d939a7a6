/**
 * Per-cell provenance, in one place: every assertion about a cell (claimed, evidence, measured),
 * which one the matrix shows and scores, and whether they disagree. The site, the open data and
 * `npm run score -- --shown` read it from here. Pure: the files are read by `dataset.ts`
 * (`assertions-files.ts`), so this module also runs at build time without touching the disk.
 *
 * THE DISPLAY RULE is `DISPLAY_RULE` below, in words the methodology and `npm run score -- --help`
 * quote; `showAssertion` and `disagrees` are its only implementation.
 */
import type { LocatedAssertion } from './assertions-files.ts';
import type { Assertion, Basis, ClaimedAssertion, EvidenceAssertion } from './provenance.schema.ts';
import { mapCells, matrixRows } from './rows.ts';
import type {
  Cell,
  HistoryEntry,
  PlatformId,
  PlatformMatrix,
  Provenance,
  StatusId,
  SubCategory,
  WeightsFile,
} from './schema.ts';
import type { BackedScore } from './score.schema.ts';
import { cellPoints, type PlatformWeights, roundScore } from './score.ts';
import type { StatusCatalog } from './statuses.ts';

/** Which assertion the matrix shows and scores, and when a cell disagrees; quoted, never restated. */
export const DISPLAY_RULE =
  'The matrix shows and scores the newest assertion of the strongest deciding basis: measured (CI ran the sensor), then evidence from a generator run, then claimed. Sample events never decide a status: they show which fields exist and support or contradict the others. A Not Tested verdict decides nothing either, unless no other assertion exists: an action that could not run says nothing against a claim. The cell disagrees when a current assertion (the newest of each source: the claim, each evidence package, each measured record) states a tested status other than the one shown; the panel then shows both.';

/** The key of one cell across the three matrices: `<platform>/<subCategoryId>/<vendorId>`. */
export type CellKey = `${PlatformId}/${string}/${string}`;

export function cellKey(platform: PlatformId, subCategoryId: string, vendorId: string): CellKey {
  return `${platform}/${subCategoryId}/${vendorId}`;
}

/** Everything known about one cell's status. */
export interface CellProvenance {
  /** Every assertion about the cell, newest first. */
  assertions: Assertion[];
  /** The assertion the matrix shows and scores (`showAssertion`). */
  shown: Assertion;
  basis: Basis;
  /** A current assertion states a tested status other than the shown one. */
  disagreement: boolean;
  /** The shown status is Not Tested. */
  notTested: boolean;
}

/** What provenance is built from: a loaded `Dataset` satisfies it. */
export interface ProvenanceInput {
  matrices: Record<PlatformId, PlatformMatrix>;
  history: { entries: readonly HistoryEntry[] };
  provenance: Provenance;
  statuses: StatusCatalog;
  /** Evidence packages' and measured rows' assertions (`assertions-files.ts`). */
  assertions: readonly LocatedAssertion[];
}

/** Whether an assertion can decide a cell's status: sample events and Not Tested never do. */
function decides(a: Assertion): boolean {
  if (a.status === 'not-tested') return false;
  return a.basis === 'claimed' || a.kind === 'generator-run';
}

/** Deciding strength of a basis: measured, then generator-run evidence, then claimed. */
function strength(a: Assertion): number {
  if (a.basis === 'measured') return 3;
  if (a.basis === 'evidence') return 2;
  return 1;
}

/**
 * The display rule (see the module comment). `assertions` must be newest first and non-empty.
 *
 * @example showAssertion([evidencePartially, claimedYes]) // → evidencePartially
 */
export function showAssertion(assertions: readonly Assertion[]): Assertion {
  const first = assertions[0];
  if (!first) throw new Error('showAssertion needs at least one assertion.');
  const deciding = assertions.filter(decides);
  if (deciding.length === 0) return first;
  const best = Math.max(...deciding.map(strength));
  // Newest first, so the first of the strongest basis is the newest of it.
  return deciding.find((a) => strength(a) === best) ?? first;
}

/** Where an assertion comes from, for "the newest per source": the claim, or one evidence record. */
function sourceOf(a: Assertion): string {
  if (a.basis === 'claimed') return 'claimed';
  return `${a.basis}:${a.kind}:${a.evidence.record.split('#')[0]}`;
}

/** The newest assertion of each source, newest first. */
export function currentAssertions(assertions: readonly Assertion[]): Assertion[] {
  const seen = new Set<string>();
  return assertions.filter((a) => {
    const source = sourceOf(a);
    if (seen.has(source)) return false;
    seen.add(source);
    return true;
  });
}

/** Whether a current assertion states a tested status other than the shown one. */
export function disagrees(assertions: readonly Assertion[], shown: Assertion): boolean {
  return currentAssertions(assertions).some(
    (a) => a.status !== 'not-tested' && a.status !== shown.status,
  );
}

/** A claimed assertion from one history entry; `reason` only for the cell's current claim. */
function claimFromHistory(
  entry: HistoryEntry,
  status: StatusId,
  upstreamUrl: string,
  reason: string | undefined,
): ClaimedAssertion {
  const pr = entry.ledger?.pr ?? entry.pr ?? undefined;
  return {
    basis: 'claimed',
    status,
    date: entry.date,
    ...(reason !== undefined ? { reason } : {}),
    source: {
      commit: entry.commit,
      commitUrl: `${upstreamUrl}/commit/${entry.commit}`,
      ...(pr !== undefined ? { pr: `${upstreamUrl}/pull/${pr}`, prNumber: pr } : {}),
      ...(entry.ledger?.contributor ? { contributor: entry.ledger.contributor } : {}),
      contributorClass: entry.ledger?.contributorClass ?? 'unknown',
      ...(entry.ledger?.affiliation ? { affiliation: entry.ledger.affiliation } : {}),
      change: entry.ledger?.change ?? 'unknown',
    },
  };
}

/** History entries that state a status (`new` non-null), grouped by today's cell, oldest first. */
function claimsByCell(entries: readonly HistoryEntry[]): Map<CellKey, HistoryEntry[]> {
  const byCell = new Map<CellKey, HistoryEntry[]>();
  for (const entry of entries) {
    if (entry.new === null) continue;
    const sub = entry.current?.subCategoryId ?? entry.subCategoryId;
    const vendor = entry.current?.vendorId ?? entry.vendorId;
    const key = cellKey(entry.platform, sub, vendor);
    const list = byCell.get(key);
    if (list) list.push(entry);
    else byCell.set(key, [entry]);
  }
  return byCell;
}

/**
 * Orders a cell's assertions newest first. Claims keep the history's order (upstream's history
 * is replayed in that order; a branch commit can carry an older date than the commit before it),
 * so each claim sorts no later than the claim it precedes.
 */
function newestFirst(claims: readonly ClaimedAssertion[], others: readonly EvidenceAssertion[]) {
  const timed: { a: Assertion; t: number }[] = [];
  let ceiling = Number.POSITIVE_INFINITY;
  for (const claim of claims) {
    ceiling = Math.min(ceiling, Date.parse(claim.date));
    timed.push({ a: claim, t: ceiling });
  }
  for (const other of others) timed.push({ a: other, t: Date.parse(other.date) });
  return timed.sort((x, y) => y.t - x.t).map((x) => x.a);
}

/** How a dataset's cells are backed. */
export interface ProvenanceSummary {
  cells: number;
  byBasis: Record<Basis, number>;
  disagreements: number;
  notTested: number;
  /** Claimed cells with no history entry: their claim is dated at the snapshot commit. */
  snapshotClaims: number;
}

const cache = new WeakMap<ProvenanceInput, Map<CellKey, CellProvenance>>();

/**
 * `cellProvenance`, computed once per loaded dataset: pages and API files that each need it share
 * one result. Data changed after loading needs a new object (or `cellProvenance`).
 */
export function provenanceFor(data: ProvenanceInput): ReadonlyMap<CellKey, CellProvenance> {
  let cells = cache.get(data);
  if (!cells) {
    cells = cellProvenance(data);
    cache.set(data, cells);
  }
  return cells;
}

/**
 * Builds every cell's provenance for the three matrices.
 *
 * @example cellProvenance(await loadDataset('data')).get('linux/file-size/elastic')?.shown.status
 */
export function cellProvenance(data: ProvenanceInput): Map<CellKey, CellProvenance> {
  return build(data).cells;
}

function build(data: ProvenanceInput): { cells: Map<CellKey, CellProvenance>; snapshot: number } {
  let snapshotClaims = 0;
  const upstreamUrl = data.provenance.upstream.url;
  const history = claimsByCell(data.history.entries);
  const others = new Map<CellKey, EvidenceAssertion[]>();
  for (const located of data.assertions) {
    const key = cellKey(located.platform, located.subCategoryId, located.vendorId);
    const list = others.get(key);
    if (list) list.push(located.assertion);
    else others.set(key, [located.assertion]);
  }
  const snapshot = {
    date: `${data.provenance.upstream.date}T00:00:00Z`,
    commit: data.provenance.upstream.commit,
  };
  const result = new Map<CellKey, CellProvenance>();
  for (const matrix of Object.values(data.matrices)) {
    const platform = matrix.platform.id;
    for (const vendor of matrix.vendors) {
      for (const { sub } of matrixRows(matrix)) {
        const cell = sub.cells[vendor.id];
        if (!cell) continue;
        const key = cellKey(platform, sub.id, vendor.id);
        const claims: ClaimedAssertion[] = [];
        if (vendor.source === 'claimed') {
          const entries = [...(history.get(key) ?? [])].reverse();
          entries.forEach((entry, i) => {
            const status = entry.new as StatusId;
            const reason = i === 0 && status === cell.status ? cell.reason : undefined;
            claims.push(claimFromHistory(entry, status, upstreamUrl, reason));
          });
          if (claims.length === 0 || claims[0]?.status !== cell.status) {
            // The matrix states what no history entry does: the snapshot itself is the claim.
            snapshotClaims++;
            claims.unshift(
              claimFromHistory(
                {
                  ...snapshot,
                  pr: null,
                  platform,
                  category: '',
                  subCategory: sub.name,
                  subCategoryId: sub.id,
                  vendor: vendor.name,
                  vendorId: vendor.id,
                  old: null,
                  new: cell.status,
                },
                cell.status,
                upstreamUrl,
                cell.reason,
              ),
            );
          }
        }
        const assertions = newestFirst(claims, others.get(key) ?? []);
        if (assertions.length === 0) continue; // a measured cell without its record: reported on load
        const shown = showAssertion(assertions);
        result.set(key, {
          assertions,
          shown,
          basis: shown.basis,
          disagreement: disagrees(assertions, shown),
          notTested: shown.status === 'not-tested',
        });
      }
    }
  }
  return { cells: result, snapshot: snapshotClaims };
}

/** Counts for the docs and the score CLI: cells by basis, disagreements, snapshot-dated claims. */
export function summariseProvenance(data: ProvenanceInput): ProvenanceSummary {
  const { cells, snapshot } = build(data);
  const summary: ProvenanceSummary = {
    cells: cells.size,
    byBasis: { claimed: 0, evidence: 0, measured: 0 },
    disagreements: 0,
    notTested: 0,
    snapshotClaims: snapshot,
  };
  for (const cell of cells.values()) {
    summary.byBasis[cell.basis]++;
    if (cell.disagreement) summary.disagreements++;
    if (cell.notTested) summary.notTested++;
  }
  return summary;
}

/**
 * The matrices as the site shows them: each cell's status (and reason) replaced by its shown
 * assertion's. Claimed cells are unchanged; the input is not modified.
 */
export function shownMatrices(
  data: ProvenanceInput,
  provenance: ReadonlyMap<CellKey, CellProvenance> = provenanceFor(data),
): Record<PlatformId, PlatformMatrix> {
  const shownCell = (platform: PlatformId) => (cell: Cell, sub: SubCategory, vendorId: string) => {
    const shown = provenance.get(cellKey(platform, sub.id, vendorId))?.shown;
    if (!shown || shown.basis === 'claimed' || shown.status === cell.status) return cell;
    const { reason: _claimedReason, ...rest } = cell;
    const takesReason = data.statuses.byId.get(shown.status)?.takesReason ?? false;
    return takesReason && shown.reason !== undefined
      ? { ...rest, status: shown.status, reason: shown.reason }
      : { ...rest, status: shown.status };
  };
  return Object.fromEntries(
    Object.entries(data.matrices).map(([id, matrix]) => [
      id,
      mapCells(matrix, shownCell(id as PlatformId)),
    ]),
  ) as Record<PlatformId, PlatformMatrix>;
}

/**
 * Whether a cell's points are backed by evidence or measurement: its shown assertion is evidence
 * or measured, or it shows a claim that a current evidence or measured assertion (sample events
 * included) states with the same status.
 */
export function isBacked(cell: CellProvenance): boolean {
  if (cell.basis !== 'claimed') return true;
  return currentAssertions(cell.assertions).some(
    (a) => a.basis !== 'claimed' && a.status === cell.shown.status,
  );
}

/**
 * Per vendor of one platform (`shown`: its matrix from `shownMatrices`): the points backed by
 * evidence or measurement and their share of the shown score. The weights lab's
 * "evidence-backed cells only" counts the same cells.
 */
export function backedScores(
  platform: PlatformId,
  shown: PlatformMatrix,
  provenance: ReadonlyMap<CellKey, CellProvenance>,
  weights: PlatformWeights,
  values: WeightsFile['statusValues'],
): BackedScore[] {
  const rows = matrixRows(shown);
  return shown.vendors.map((vendor) => {
    let score = 0;
    let backed = 0;
    for (const { sub } of rows) {
      const cell = sub.cells[vendor.id];
      if (!cell) continue;
      const points = cellPoints(cell.status, weights[sub.id] ?? 0, values);
      score += points;
      const p = provenance.get(cellKey(platform, sub.id, vendor.id));
      if (p && isBacked(p)) backed += points;
    }
    return {
      vendorId: vendor.id,
      backedPoints: roundScore(backed),
      backedShare: score > 0 ? Math.min(1, backed / score) : 0,
    };
  });
}
