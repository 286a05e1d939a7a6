/**
 * What each link-preview image shows, built from the validated dataset at build time: a heat map
 * per platform matrix, scores, coverage and evidence per vendor, and a card per other page.
 * Pure: the same dataset and origin give the same cards.
 */
import type { Dataset } from '../../../scoring/dataset.ts';
import { matrixRows } from '../../../scoring/rows.ts';
import { PLATFORM_IDS, type PlatformId } from '../../../scoring/schema.ts';
import { maxScore, scorePlatform } from '../../../scoring/score.ts';
import type {
  CardCredit,
  HeatStep,
  MatrixCard,
  PageCard,
  PreviewCard,
  VendorCard,
  VendorPlatformFacts,
} from './og.types.ts';

/**
 * Cards for pages without data of their own, keyed by the first segment of the page's path.
 * Pages below one of these (history pagination, for instance) share its image; `site` is for
 * paths that match none (the 404 page).
 */
const PAGE_CARDS = {
  home: {
    title: 'EDR Telemetry Matrix',
    summary:
      'Which telemetry each EDR product collects on Linux, Windows and macOS, and how sure we are.',
  },
  scores: {
    title: 'Scores and rankings',
    summary: 'Weighted scores per platform, with charts and your own weights.',
  },
  vendors: {
    title: 'Vendors',
    summary: 'Every product with its score, rank, coverage and gaps on each platform.',
  },
  compare: { title: 'Compare products', summary: 'Up to four products side by side, row by row.' },
  categories: {
    title: 'Telemetry categories',
    summary: 'Every sub-category, what it means, and which products cover it.',
  },
  history: {
    title: 'Score history',
    summary: "Every upstream change to the matrix and how it moved each product's score.",
  },
  methodology: {
    title: 'Methodology',
    summary: 'Statuses and their points, the scoring formula, every weight and each correction.',
  },
  contribute: {
    title: 'Contribute evidence',
    summary: 'Run the generators, capture with a sensor, match the capture, attach the evidence.',
  },
  search: { title: 'Search', summary: 'Products, telemetry sub-categories and explanations.' },
  faq: {
    title: 'Questions readers ask',
    summary: 'Statuses and scores, telemetry versus alerts, evidence, Not Tested, disputes.',
  },
  criteria: {
    title: 'Inclusion criteria',
    summary: 'Which products are listed, and what a new row or a status change must bring.',
  },
  site: {
    title: 'EDR Telemetry Matrix',
    summary: 'Telemetry coverage of EDR products on Linux, Windows and macOS, with evidence.',
  },
} as const satisfies Record<string, { title: string; summary: string }>;

type PageCardName = keyof typeof PAGE_CARDS;

const isPageCard = (name: string): name is PageCardName => Object.hasOwn(PAGE_CARDS, name);
const isPlatform = (name: string): name is PlatformId =>
  (PLATFORM_IDS as readonly string[]).includes(name);

/**
 * The preview image a page uses, as a slug below /og/ (without ".png").
 *
 * @example previewSlug('/history/changes/3/') // 'pages/history'
 * @example previewSlug('/vendors/elastic/') // 'vendors/elastic'
 */
export function previewSlug(pathname: string): string {
  const parts = pathname.split('/').filter((p) => p !== '' && p !== 'index.html');
  const [first, second] = parts;
  if (first === undefined) return 'pages/home';
  if (isPlatform(first) && parts.length === 1) return first;
  if (first === 'vendors' && second !== undefined) return `vendors/${second}`;
  return isPageCard(first) && first !== 'home' && first !== 'site'
    ? `pages/${first}`
    : 'pages/site';
}

/** Site path of the image for a slug, e.g. "/og/linux.png". */
export const previewImagePath = (slug: string): string => `/og/${slug}.png`;

function creditOf(data: Dataset): CardCredit {
  const up = data.provenance.upstream;
  return {
    project: up.project,
    host: up.url.replace(/^https?:\/\//, ''),
    licence: up.licence,
    commit: up.commit.slice(0, 7),
  };
}

const creditText = (c: CardCredit) => `Data: ${c.project} (${c.host}), ${c.licence}.`;

/** "1 point: Yes, Via EnablingTelemetry", best first, from data/weights.json and statuses.json. */
function heatScale(data: Dataset): HeatStep[] {
  const byValue = new Map<number, string[]>();
  for (const status of data.statuses.list) {
    const value = data.weights.statusValues[status.id];
    byValue.set(value, [...(byValue.get(value) ?? []), status.label]);
  }
  return [...byValue.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([value, labels]) => ({ value, labels }));
}

/** Shown on a card: the page address without the scheme. */
const shownUrl = (origin: string, path: string) =>
  new URL(path, origin).href.replace(/^https?:\/\//, '');

const points = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0$/, ''));

function matrixCard(data: Dataset, platform: PlatformId, origin: string): MatrixCard {
  const matrix = data.matrices[platform];
  const weights = data.weights.platforms[platform];
  const values = data.weights.statusValues;
  const rows = matrixRows(matrix);
  const scores = scorePlatform(matrix, weights, values);
  const max = maxScore(matrix, weights, values);
  const vendors = new Map(matrix.vendors.map((v) => [v.id, v]));
  const credit = creditOf(data);
  const leader = scores[0];
  const leaders = scores.filter((s) => s.score === leader?.score).map((s) => s.vendor);
  return {
    kind: 'matrix',
    slug: platform,
    platform,
    platformName: matrix.platform.name,
    subCategories: rows.length,
    maxScore: max,
    rows: scores.map((s) => ({
      name: s.vendor,
      score: s.score,
      measured: vendors.get(s.vendorId)?.source === 'measured',
      values: rows.map(({ sub }) => {
        const cell = sub.cells[s.vendorId];
        return cell ? values[cell.status] : 0;
      }),
    })),
    scale: heatScale(data),
    credit,
    url: shownUrl(origin, `/${platform}/`),
    alt:
      `Heat map of the ${matrix.platform.name} telemetry matrix: ${scores.length} products in ranking order, ` +
      `across ${rows.length} sub-categories. ` +
      (leader
        ? `${leaders.join(' and ')} ${leaders.length > 1 ? 'lead' : 'leads'} with ${points(leader.score)} of ${points(max)} points. `
        : '') +
      creditText(credit),
  };
}

/**
 * How many entries each vendor is ranked among. A ranking may hold more than one list (products,
 * then the sensors this project measures, each ranked from 1); a new list starts where the rank
 * drops.
 */
function rankingGroups(scores: readonly { vendorId: string; rank: number }[]): Map<string, number> {
  const sizes = new Map<string, number>();
  let group: string[] = [];
  const close = () => {
    for (const id of group) sizes.set(id, group.length);
  };
  scores.forEach((s, i) => {
    const previous = scores[i - 1];
    if (previous && s.rank < previous.rank) {
      close();
      group = [];
    }
    group.push(s.vendorId);
  });
  close();
  return sizes;
}

function vendorCards(data: Dataset, origin: string): VendorCard[] {
  const credit = creditOf(data);
  const byId = new Map<string, { name: string; platforms: VendorPlatformFacts[] }>();
  for (const platform of PLATFORM_IDS) {
    const matrix = data.matrices[platform];
    const weights = data.weights.platforms[platform];
    const values = data.weights.statusValues;
    const rows = matrixRows(matrix);
    const max = maxScore(matrix, weights, values);
    const scores = scorePlatform(matrix, weights, values);
    const groups = rankingGroups(scores);
    for (const vendor of matrix.vendors) {
      const score = scores.find((s) => s.vendorId === vendor.id);
      if (!score) continue;
      let covered = 0;
      let cells = 0;
      let evidenced = 0;
      for (const { sub } of rows) {
        const cell = sub.cells[vendor.id];
        if (!cell) continue;
        cells += 1;
        if (values[cell.status] > 0) covered += 1;
        if (cell.evidence) evidenced += 1;
      }
      const entry = byId.get(vendor.id) ?? { name: vendor.name, platforms: [] };
      entry.platforms.push({
        platformName: matrix.platform.name,
        score: score.score,
        maxScore: max,
        rank: score.rank,
        of: groups.get(score.vendorId) ?? scores.length,
        ofMeasured:
          vendor.source === 'measured' && (groups.get(score.vendorId) ?? 0) < scores.length,
        covered,
        cells,
        evidenced,
        measured: vendor.source === 'measured',
      });
      byId.set(vendor.id, entry);
    }
  }
  return [...byId.entries()].map(([id, { name, platforms }]) => ({
    kind: 'vendor',
    slug: `vendors/${id}`,
    name,
    platforms,
    credit,
    url: shownUrl(origin, `/vendors/${id}/`),
    alt:
      `${name}: ` +
      platforms
        .map(
          (p) =>
            `${p.platformName} score ${points(p.score)} of ${points(p.maxScore)} (rank ${p.rank} of ${p.of}${p.ofMeasured ? ' measured sensors' : ''}), ` +
            `${p.covered} of ${p.cells} sub-categories covered, ${p.evidenced} backed by evidence`,
        )
        .join('; ') +
      `. ${creditText(credit)}`,
  }));
}

function pageCards(data: Dataset, origin: string): PageCard[] {
  const credit = creditOf(data);
  const facts = PLATFORM_IDS.map((p) => {
    const m = data.matrices[p];
    return `${m.platform.name}: ${m.vendors.length} products`;
  });
  return Object.entries(PAGE_CARDS).map(([name, card]) => ({
    kind: 'page',
    slug: `pages/${name}`,
    title: card.title,
    summary: card.summary,
    facts,
    credit,
    url: shownUrl(origin, name === 'home' || name === 'site' ? '/' : `/${name}/`),
    alt: `${card.title}: ${card.summary} ${facts.join(', ')}. ${creditText(credit)}`,
  }));
}

const cache = new WeakMap<Dataset, Map<string, Map<string, PreviewCard>>>();

/**
 * Every preview card of the site by slug, built once per dataset and origin: the image endpoint
 * draws them all, and each page looks up its own for og:image:alt.
 */
export function previewCards(data: Dataset, origin: string): ReadonlyMap<string, PreviewCard> {
  const byOrigin = cache.get(data) ?? new Map<string, Map<string, PreviewCard>>();
  cache.set(data, byOrigin);
  const known = byOrigin.get(origin);
  if (known) return known;
  const cards: PreviewCard[] = [
    ...PLATFORM_IDS.map((p) => matrixCard(data, p, origin)),
    ...vendorCards(data, origin),
    ...pageCards(data, origin),
  ];
  const map = new Map(cards.map((c) => [c.slug, c]));
  byOrigin.set(origin, map);
  return map;
}

/**
 * The card a page at `pathname` shows: its own when it has one, else its kind's shared card.
 */
export function previewFor(pathname: string, cards: ReadonlyMap<string, PreviewCard>): PreviewCard {
  const slug = previewSlug(pathname);
  const card =
    cards.get(slug) ?? cards.get(slug.startsWith('vendors/') ? 'pages/vendors' : 'pages/site');
  if (!card)
    throw new Error(
      `No preview card for ${pathname} (slug ${slug}); previewCards() always makes pages/site.`,
    );
  return card;
}
