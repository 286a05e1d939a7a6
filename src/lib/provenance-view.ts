/**
 * How a cell's provenance reads on the site: each assertion as the facts a reader asks of it (who,
 * when, which version and settings, how it was verified, links), the cell's basis marker, and a
 * vendor's provenance in numbers. Formatting only: which assertions a cell has, which one it shows
 * and whether they disagree is decided once, in `scoring/provenance.ts`.
 */

import type { Dataset } from '../../scoring/dataset.ts';
import type {
  Assertion,
  ClaimedAssertion,
  EvidenceAssertion,
} from '../../scoring/provenance.schema.ts';
import { backedScores, type CellProvenance, isBacked } from '../../scoring/provenance.ts';
import type { PlatformId, StatusId } from '../../scoring/schema.ts';
import { type CellBasis, cellId } from './cell.ts';
import type { SiteProvenance } from './data.ts';
import { evidenceUrl, type VendorColumn, vendorColumns } from './matrix.ts';

/** The parts of a cell's provenance (`scoring/provenance.ts` `CellProvenance`) the site reads. */
export type CellProvenanceLike = Pick<
  CellProvenance,
  'assertions' | 'shown' | 'disagreement' | 'notTested'
>;

/**
 * The one value a cell's marker and `data-basis` carry: a disagreement first (the reader must see
 * it), then Not Tested, then the strongest basis behind the cell. A claim that evidence supports
 * (sample events never decide a status, so the claim stays shown) is no plain claim: it reads as
 * evidence.
 *
 * @example cellBasis({ shown: measuredYes, disagreement: false, notTested: false, … }) // 'measured'
 */
export function cellBasis(p: CellProvenanceLike | undefined): CellBasis {
  if (!p) return 'claimed';
  if (p.disagreement) return 'disagreement';
  if (p.notTested) return 'not-tested';
  if (p.shown.basis !== 'claimed') return p.shown.basis;
  const tested = p.assertions.map((a) => a.basis).filter((b) => b !== 'claimed');
  return tested.includes('measured') ? 'measured' : tested.length > 0 ? 'evidence' : 'claimed';
}

/** One line of an assertion's detail: a label and its value, with a link where there is one. */
export interface Fact {
  label: string;
  text: string;
  href?: string;
}

export interface AssertionView {
  /** "Claimed", "Evidence", "Measured". */
  basis: string;
  status: StatusId;
  /** The calendar date of the statement (YYYY-MM-DD, as the source wrote it). */
  date: string;
  /**
   * How the assertion was verified, in words: "evidence re-derived by CI", "measured by CI", or
   * for a claim "claimed in", which its one link (the pull request or commit) completes.
   */
  verified: string;
  /** Who, which product and version, settings, host, window… in reading order. */
  facts: Fact[];
  /** Pull request, commit, evidence record, capture. */
  links: { text: string; href: string }[];
}

const BASIS_NAMES = { claimed: 'Claimed', evidence: 'Evidence', measured: 'Measured' } as const;

const CHANGE_TEXT: Record<ClaimedAssertion['source']['change'], string> = {
  baseline: 'baseline',
  upgrade: 'upgrade',
  downgrade: 'downgrade',
  clarification: 'clarification',
  rename: 'rename',
  unknown: 'kind of change not recorded',
};

const CLASS_TEXT: Record<ClaimedAssertion['source']['contributorClass'], string> = {
  external: 'external',
  maintainer: 'maintainer',
  bot: 'bot',
  unknown: 'class unknown',
};

const VERDICT_TEXT: Record<EvidenceAssertion['verdict'], string> = {
  observed: 'every action observed',
  partially: 'some actions observed, or facts missing or wrong',
  'not-observed': 'no action observed',
  'not-testable': 'no action could run',
  'fields-shown': 'the fields exist in sample events',
};

const day = (iso: string) => iso.slice(0, 10);
/** A UTC instant as "2026-05-01 10:00:03" (seconds are what a capture's window is read to). */
const utc = (iso: string) => new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
const short = (sha: string) => sha.slice(0, 12);

/**
 * A claim reads as one line ("claimed in PR #131, by @octo (external), upgrade"): a Windows page
 * holds about 2,000 of them, which must stay within the page's weight budget, so what the ledger
 * does not know is left out rather than spelt out on every line (the methodology says a claim
 * names what the ledger records), and one link stands for the source: the pull request, or the
 * commit of a direct one by its short hash, which GitHub resolves. The open data carries every
 * full hash.
 */
function claimedView(a: ClaimedAssertion): AssertionView {
  const { source } = a;
  const facts: Fact[] = [];
  if (source.contributor) {
    const detail = [
      source.contributorClass === 'unknown' ? undefined : CLASS_TEXT[source.contributorClass],
      source.affiliation,
    ].filter(Boolean);
    facts.push({
      label: 'Who',
      text: `by @${source.contributor}${detail.length > 0 ? ` (${detail.join(', ')})` : ''}`,
    });
  }
  if (source.change !== 'unknown')
    facts.push({ label: 'Change', text: CHANGE_TEXT[source.change] });
  // The pull request's page lists its commits; a direct commit links itself.
  const commit = source.commit.slice(0, 7);
  const links = [
    source.pr
      ? { text: `PR #${source.prNumber ?? source.pr.split('/').pop()}`, href: source.pr }
      : { text: `commit ${commit}`, href: source.commitUrl.replace(source.commit, commit) },
  ];
  return {
    basis: BASIS_NAMES.claimed,
    status: a.status,
    date: day(a.date),
    verified: 'claimed in',
    facts,
    links,
  };
}

function sensorText(sensor: EvidenceAssertion['sensor']): string {
  const named = [sensor.type, sensor.version].filter(Boolean).join(' ');
  if (sensor.identity === 'absent') return 'the capture names no sensor';
  if (sensor.identity === 'unknown')
    return `${named || 'unnamed'} (a sensor type this project does not know)`;
  // A measured record names the sensor by the product itself and states only its version.
  if (!sensor.type)
    return `the product itself${sensor.version ? `, version ${sensor.version}` : ''}`;
  return named;
}

function evidenceView(a: EvidenceAssertion, subCategoryId: string): AssertionView {
  const { product, host, tester, evidence } = a;
  // A setting that lists no sub-category was needed for the whole capture.
  const settings = a.settings.filter(
    (s) => s.subCategories.length === 0 || s.subCategories.includes(subCategoryId),
  );
  const hostText = [host.os, host.kernel && `kernel ${host.kernel}`, host.arch]
    .filter(Boolean)
    .join(', ');
  const facts: Fact[] = [
    {
      label: 'Tester',
      text: tester.affiliation
        ? `${tester.handle} (${tester.affiliation === 'ci' ? 'CI' : tester.affiliation})`
        : `${tester.handle} (affiliation not stated)`,
    },
    {
      label: 'Product',
      text: [
        product.name,
        product.version ?? 'version not stated',
        product.build && `build ${product.build}`,
      ]
        .filter(Boolean)
        .join(' '),
    },
    {
      label: 'Settings',
      text:
        settings.length > 0
          ? settings.map((s) => s.setting).join('; ')
          : 'none beyond the product’s defaults',
    },
    ...(a.policy
      ? [
          {
            label: 'Policy',
            text: `${a.policy.name}${a.policy.sha256 ? ` (SHA-256 ${short(a.policy.sha256)}…)` : ''}`,
          },
        ]
      : []),
    { label: 'Host', text: hostText || 'not stated' },
    {
      label: 'Time window',
      text: a.window
        ? a.window.end
          ? `${utc(a.window.start)} to ${utc(a.window.end)} UTC`
          : `from ${utc(a.window.start)} UTC (the record states only the start)`
        : a.kind === 'sample-events'
          ? 'no time window: sample events'
          : 'not recorded',
    },
    { label: 'Sensor', text: sensorText(a.sensor) },
    ...(a.reason ? [{ label: 'Finding', text: a.reason }] : []),
    {
      label: 'Kind',
      text:
        a.kind === 'generator-run'
          ? `a generator run matched action by action: ${VERDICT_TEXT[a.verdict]}`
          : 'sample events without a generator run: they show the fields exist, never a strict Yes alone',
    },
    ...(evidence.manifestSha256
      ? [{ label: 'Manifest SHA-256', text: `${short(evidence.manifestSha256)}…` }]
      : []),
    ...(evidence.captureSha256
      ? [{ label: 'Capture SHA-256', text: `${short(evidence.captureSha256)}…` }]
      : []),
  ];
  const links = [
    { text: 'evidence record', href: evidenceUrl(evidence.record) },
    ...(evidence.capture ? [{ text: 'capture', href: evidenceUrl(evidence.capture) }] : []),
  ];
  return {
    basis: BASIS_NAMES[a.basis],
    status: a.status,
    date: day(a.date),
    verified: a.basis === 'measured' ? 'measured by CI' : 'evidence re-derived by CI',
    facts,
    links,
  };
}

/**
 * One assertion as the panel reads it. `subCategoryId` picks the settings that concern the cell.
 *
 * @example assertionView(claimed, 'dns-query').links[0]?.text // 'PR #131'
 */
export function assertionView(a: Assertion, subCategoryId: string): AssertionView {
  return a.basis === 'claimed' ? claimedView(a) : evidenceView(a, subCategoryId);
}

/**
 * What a cell with disagreeing assertions says: the newest assertion of each basis with its
 * status, and which one the matrix shows. `statusText` draws a status ("⚠️ Partially").
 *
 * @example disagreementText(p, draw) // 'Its assertions disagree: evidence ⚠️ Partially (2026-05-01); claimed ✅ Yes (2025-09-22). The matrix shows the evidence: ⚠️ Partially.'
 */
export function disagreementText(
  p: CellProvenanceLike,
  statusText: (id: StatusId) => string,
): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const a of p.assertions) {
    const key = `${a.basis}/${a.status}`;
    if (seen.has(key)) continue;
    seen.add(key);
    parts.push(`${a.basis} ${statusText(a.status)} (${day(a.date)})`);
  }
  return `Its assertions disagree: ${parts.join('; ')}. The matrix shows and scores the ${p.shown.basis} assertion: ${statusText(p.shown.status)}.`;
}

/** A vendor's provenance on one platform, in numbers, for its vendor page. */
export interface ProvenanceSummary {
  /** Cells per basis as the markers count them. */
  byBasis: Record<CellBasis, number>;
  /** Cells no evidence or measured assertion backs. */
  withoutEvidence: number;
  /** The longest-standing claims: cells whose newest claim is oldest, oldest first. */
  oldestClaims: { subCategoryId: string; subCategory: string; date: string }[];
  /** Product versions evidence and measurements cover, in the order first seen. */
  versions: string[];
}

/**
 * Counts one vendor's cells by basis and lists what a reader weighing them asks for.
 *
 * @example provenanceSummary(cells, 5).byBasis.claimed // 41
 */
export function provenanceSummary(
  cells: readonly { subCategoryId: string; subCategory: string; provenance: CellProvenanceLike }[],
  oldest = 5,
): ProvenanceSummary {
  const byBasis: Record<CellBasis, number> = {
    claimed: 0,
    evidence: 0,
    measured: 0,
    disagreement: 0,
    'not-tested': 0,
  };
  let withoutEvidence = 0;
  const claims: ProvenanceSummary['oldestClaims'] = [];
  const versions: string[] = [];
  for (const { subCategoryId, subCategory, provenance } of cells) {
    byBasis[cellBasis(provenance)] += 1;
    const tested = provenance.assertions.filter((a) => a.basis !== 'claimed');
    if (tested.length === 0) withoutEvidence += 1;
    for (const a of tested) {
      const v = [a.product.name, a.product.version].filter(Boolean).join(' ');
      if (a.product.version && !versions.includes(v)) versions.push(v);
    }
    const claim = provenance.assertions.find((a) => a.basis === 'claimed');
    if (claim) claims.push({ subCategoryId, subCategory, date: claim.date });
  }
  claims.sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
  return {
    byBasis,
    withoutEvidence,
    oldestClaims: claims.slice(0, oldest).map((c) => ({ ...c, date: day(c.date) })),
    versions,
  };
}

/** A matrix column as the site shows it, with what its score rests on. */
export interface ProvenanceColumn extends VendorColumn {
  /** The claimed score (`npm run score`'s), only where it differs from the shown one. */
  claimedScore?: number;
  /** Share of the shown score's points that evidence or measurement backs, 0..1. */
  backedShare: number;
}

/**
 * The columns of one platform as shown (`score` ranks the shown statuses), each with the claimed
 * score where it differs and the evidence-backed share (`backedScores`, scoring/provenance.ts).
 *
 * @example provenanceColumns(data, await getProvenance(), 'linux')[0]?.backedShare // 0
 */
export function provenanceColumns(
  data: Pick<Dataset, 'matrices' | 'weights'>,
  site: SiteProvenance,
  platform: PlatformId,
): ProvenanceColumn[] {
  const shown = site.shown[platform];
  const claimed = new Map(
    vendorColumns(data.matrices[platform], data.weights).map((c) => [c.vendor.id, c.score.score]),
  );
  const backed = new Map(
    backedScores(
      platform,
      shown,
      site.cells,
      data.weights.platforms[platform],
      data.weights.statusValues,
    ).map((b) => [b.vendorId, b.backedShare]),
  );
  return vendorColumns(shown, data.weights).map((column) => {
    const was = claimed.get(column.vendor.id);
    return {
      ...column,
      ...(was !== undefined && was !== column.score.score ? { claimedScore: was } : {}),
      backedShare: backed.get(column.vendor.id) ?? 0,
    };
  });
}

/** A share as readers see it: whole percent, but never "0%" for a share that is not zero. */
export function percentText(share: number): string {
  if (share > 0 && share < 0.005) return 'under 1%';
  return `${Math.round(share * 100)}%`;
}

/** Each cell of one platform with its sub-category and vendor ids, from `cellKey`s. */
function platformCells(cells: ReadonlyMap<string, CellProvenance>, platform: PlatformId) {
  return [...cells].flatMap(([key, provenance]) => {
    const [p, subCategoryId = '', vendorId = ''] = key.split('/');
    return p === platform ? [{ id: cellId(subCategoryId, vendorId), provenance }] : [];
  });
}

/**
 * The basis of every cell of one platform that is not a plain claim, keyed by `cellId`: compact
 * island props (most cells are claims) for drawing cells as the static table does.
 */
export function markedBases(
  cells: ReadonlyMap<string, CellProvenance>,
  platform: PlatformId,
): Record<string, CellBasis> {
  const out: Record<string, CellBasis> = {};
  for (const { id, provenance } of platformCells(cells, platform)) {
    const basis = cellBasis(provenance);
    if (basis !== 'claimed') out[id] = basis;
  }
  return out;
}

/**
 * The `cellId`s of one platform's cells whose points evidence or measurement backs (`isBacked`,
 * scoring/provenance.ts): what the weights lab keeps when it counts evidence-backed cells only.
 */
export function backedCellIds(
  cells: ReadonlyMap<string, CellProvenance>,
  platform: PlatformId,
): string[] {
  return platformCells(cells, platform)
    .filter(({ provenance }) => isBacked(provenance))
    .map(({ id }) => id);
}
