/**
 * What the listed corrections change in the rankings: scores with every applied correction
 * (what the site shows) against scores as upstream's own scorer computes them from its files
 * as-is, and against each scoring-relevant correction undone on its own.
 */
import type { CoreData } from '../../scoring/dataset.ts';
import type { Correction, PlatformId, WeightsFile } from '../../scoring/schema.ts';
import { PLATFORM_IDS } from '../../scoring/schema.ts';
import { scorePlatform, type VendorScore } from '../../scoring/score.ts';
import { slugify } from '../../scoring/slug.ts';

/** Whether and how a correction can move a score. */
type ScoreEffect =
  /** It changes a weight; undoing it is computed. */
  | { kind: 'weights'; platform: PlatformId }
  /** It touches data the scorer never reads (explanations, MITRE, history) or a weight of no row. */
  | { kind: 'none'; why: string }
  /** It changes the matrix itself; undoing it needs upstream's original files, so it is not computed here. */
  | { kind: 'not-computed'; why: string };

const NOT_SCORED: Record<string, string> = {
  explanations: 'explanations are reasons shown beside cells; they carry no points.',
  mitre: 'MITRE ATT&CK mappings are shown on the categories page; they carry no points.',
  history: 'history feeds the timeline, not the current scores.',
};

export function scoreEffect(correction: Correction): ScoreEffect {
  const { action, where } = correction;
  if (where.file === 'weights') {
    if (action.type === 'rename-weight') return { kind: 'weights', platform: where.platform };
    return {
      kind: 'none',
      why: 'the weight it removes names no row of the matrix, so it never earned points.',
    };
  }
  const why = NOT_SCORED[where.file];
  if (why) return { kind: 'none', why };
  return {
    kind: 'not-computed',
    why: 'it changes matrix cells; comparing needs the original upstream files.',
  };
}

/**
 * Weights as upstream's scorer sees them without `corrections`: a renamed weight key matches no
 * row there, so that row earns nothing.
 */
export function weightsWithout(
  weights: WeightsFile,
  corrections: readonly Correction[],
): WeightsFile {
  const next = structuredClone(weights);
  for (const correction of corrections) {
    const { action, where } = correction;
    if (where.file === 'weights' && action.type === 'rename-weight') {
      delete next.platforms[where.platform][slugify(action.to)];
    }
  }
  return next;
}

export interface RankingChange {
  vendorId: string;
  vendor: string;
  corrected: Pick<VendorScore, 'score' | 'rank'>;
  upstream: Pick<VendorScore, 'score' | 'rank'>;
}

/** Per vendor: score and rank with corrections and without, sorted by the corrected ranking. */
function compareRankings(
  data: CoreData,
  platform: PlatformId,
  without: WeightsFile,
): RankingChange[] {
  const values = data.weights.statusValues;
  const corrected = scorePlatform(
    data.matrices[platform],
    data.weights.platforms[platform],
    values,
  );
  const upstream = new Map(
    scorePlatform(data.matrices[platform], without.platforms[platform], values).map((s) => [
      s.vendorId,
      s,
    ]),
  );
  return corrected.map((s) => {
    const u = upstream.get(s.vendorId);
    return {
      vendorId: s.vendorId,
      vendor: s.vendor,
      corrected: { score: s.score, rank: s.rank },
      upstream: { score: u?.score ?? 0, rank: u?.rank ?? 0 },
    };
  });
}

export interface CorrectionsEffect {
  /** Only corrections the import actually applied (provenance.correctionsApplied). */
  applied: { correction: Correction; effect: ScoreEffect }[];
  /** Platform → all applied corrections against upstream as-is. */
  overall: Record<PlatformId, RankingChange[]>;
  /** Correction id → that correction alone undone, for corrections that move weights. */
  single: Record<string, RankingChange[]>;
}

export function correctionsEffect(
  data: CoreData,
  corrections: readonly Correction[],
  appliedIds: readonly string[],
): CorrectionsEffect {
  const appliedSet = new Set(appliedIds);
  const applied = corrections
    .filter((c) => appliedSet.has(c.id))
    .map((correction) => ({ correction, effect: scoreEffect(correction) }));
  const allUndone = weightsWithout(
    data.weights,
    applied.map((a) => a.correction),
  );
  const overall = Object.fromEntries(
    PLATFORM_IDS.map((p) => [p, compareRankings(data, p, allUndone)]),
  ) as Record<PlatformId, RankingChange[]>;
  const single: Record<string, RankingChange[]> = {};
  for (const { correction, effect } of applied) {
    if (effect.kind !== 'weights') continue;
    single[correction.id] = compareRankings(
      data,
      effect.platform,
      weightsWithout(data.weights, [correction]),
    );
  }
  return { applied, overall, single };
}

/** True when a platform's ranking order or any score differs between the two runs. */
export function rankingMoved(changes: readonly RankingChange[]): boolean {
  return changes.some(
    (c) => c.corrected.score !== c.upstream.score || c.corrected.rank !== c.upstream.rank,
  );
}
