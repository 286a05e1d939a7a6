/**
 * Score history: replays upstream's recorded cell changes commit by commit and scores every
 * intermediate matrix with TODAY's weights and status values through `scorePlatform`, so a line
 * on the chart moves only when a cell changed, never because weights were retuned later.
 */
import type {
  HistoryEntry,
  PlatformId,
  PlatformMatrix,
  StatusId,
  StatusValues,
} from '../../scoring/schema.ts';
import type { PlatformTimeline, TimelinePoint } from '../../scoring/score.schema.ts';
import { type PlatformWeights, scorePlatform } from '../../scoring/score.ts';

/**
 * Splits entries into commits in order of first appearance (upstream's commit order); dates with
 * different UTC offsets are not comparable as strings, so order is never re-derived from them.
 */
export function groupByCommit(entries: readonly HistoryEntry[]): HistoryEntry[][] {
  const groups = new Map<string, HistoryEntry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.commit);
    if (group) group.push(entry);
    else groups.set(entry.commit, [entry]);
  }
  return [...groups.values()];
}

interface ReplayState {
  /** `subId` → vendor id → status */
  cells: Map<string, Map<string, StatusId>>;
  subNames: Map<string, string>;
  vendorNames: Map<string, string>;
}

function apply(state: ReplayState, entry: HistoryEntry) {
  state.subNames.set(entry.subCategoryId, entry.subCategory);
  state.vendorNames.set(entry.vendorId, entry.vendor);
  let row = state.cells.get(entry.subCategoryId);
  if (!row) {
    row = new Map();
    state.cells.set(entry.subCategoryId, row);
  }
  if (entry.new === null) row.delete(entry.vendorId);
  else row.set(entry.vendorId, entry.new);
}

/** The matrix as it stood, in the shape `scorePlatform` takes (one synthetic category). */
function snapshotMatrix(state: ReplayState, platform: PlatformId): PlatformMatrix {
  const vendorIds = new Set<string>();
  for (const row of state.cells.values()) for (const id of row.keys()) vendorIds.add(id);
  const subCategories = [...state.cells.entries()].map(([id, row]) => ({
    id,
    name: state.subNames.get(id) ?? id,
    cells: Object.fromEntries([...row].map(([vendor, status]) => [vendor, { status }])),
  }));
  return {
    schemaVersion: 1,
    platform: { id: platform, name: platform, upstreamName: platform },
    vendors: [...vendorIds].map((id) => ({
      id,
      name: state.vendorNames.get(id) ?? id,
      source: 'claimed' as const,
      // Upstream's history holds only the products it lists.
      kind: 'product' as const,
    })),
    categories: [{ id: 'history', name: 'History', subCategories }],
  };
}

/**
 * Replays one platform's history. Sub-categories that no longer exist have no weight today and
 * so score 0, exactly as they would if they were still in the matrix.
 *
 * @example replayPlatform(data.history.entries, 'linux', data.weights.platforms.linux, data.weights.statusValues)
 */
export function replayPlatform(
  entries: readonly HistoryEntry[],
  platform: PlatformId,
  weights: PlatformWeights,
  values: StatusValues,
): PlatformTimeline {
  const state: ReplayState = { cells: new Map(), subNames: new Map(), vendorNames: new Map() };
  const points: TimelinePoint[] = [];
  for (const group of groupByCommit(entries.filter((e) => e.platform === platform))) {
    for (const entry of group) apply(state, entry);
    const first = group[0];
    if (!first) continue;
    const matrix = snapshotMatrix(state, platform);
    const scores = Object.fromEntries(
      scorePlatform(matrix, weights, values).map((s) => [s.vendorId, s.score]),
    );
    points.push({
      date: first.date,
      commit: first.commit,
      pr: first.pr,
      changes: group.length,
      scores,
    });
  }
  return {
    platform,
    vendors: [...state.vendorNames].map(([id, name]) => ({ id, name })),
    points,
  };
}

/**
 * The statuses history ends with, `subId` → vendor id → status, to check the replay against the matrix.
 * @internal exists for the test that holds the replay equal to today's matrix.
 */
export function finalStatuses(
  entries: readonly HistoryEntry[],
  platform: PlatformId,
): Map<string, Map<string, StatusId>> {
  const state: ReplayState = { cells: new Map(), subNames: new Map(), vendorNames: new Map() };
  for (const entry of entries) if (entry.platform === platform) apply(state, entry);
  return state.cells;
}
