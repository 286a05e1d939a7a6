/**
 * Link-preview cards: what each preview image shows, as plain data. `cards.ts` builds these from
 * the dataset, `render.ts` draws them, the layout reads their `alt` for og:image:alt.
 */
import type { PlatformId } from '../../../scoring/schema.ts';

/** Preview images are drawn at the large-card size social sites expect. */
export const CARD_WIDTH = 1200;
export const CARD_HEIGHT = 630;
/** An image larger than this fails the build (pages/og/[...slug].png.ts) and tests/site/previews.test.ts. */
export const CARD_MAX_BYTES = 100 * 1024;

/** The data credit every image carries, since an image travels without the page's footer. */
export interface CardCredit {
  /** e.g. "EDR-Telemetry". */
  project: string;
  /** e.g. "github.com/tsale/EDR-Telemetry". */
  host: string;
  /** e.g. "CC BY-NC 4.0". */
  licence: string;
  /** Upstream commit, 7 hex digits. */
  commit: string;
}

/** A step of the heat map's colour scale: the status value and the statuses that earn it. */
export interface HeatStep {
  /** Points a cell earns per unit of weight (data/weights.json statusValues). */
  value: number;
  /** Status labels earning that value, in the catalog's order. */
  labels: string[];
}

export interface MatrixCard {
  kind: 'matrix';
  /** Image path below /og/, without ".png": the platform id. */
  slug: string;
  alt: string;
  platform: PlatformId;
  platformName: string;
  subCategories: number;
  /** Best score first; `values` holds each sub-category's status value in matrix row order. */
  rows: { name: string; score: number; measured: boolean; values: number[] }[];
  maxScore: number;
  scale: HeatStep[];
  credit: CardCredit;
  /** Shown on the card so a reader knows where it leads, e.g. "example.org/linux/". */
  url: string;
}

export interface VendorPlatformFacts {
  platformName: string;
  score: number;
  maxScore: number;
  rank: number;
  /** How many it is ranked among (all products, or only the sensors this project measures). */
  of: number;
  /** Whether `of` counts only measured sensors (they are ranked apart from products). */
  ofMeasured: boolean;
  /** Cells whose status earns any points, of all the vendor's cells on the platform. */
  covered: number;
  cells: number;
  /** Cells backed by committed evidence (a capture matched against a generator manifest). */
  evidenced: number;
  measured: boolean;
}

export interface VendorCard {
  kind: 'vendor';
  /** "vendors/<id>". */
  slug: string;
  alt: string;
  name: string;
  platforms: VendorPlatformFacts[];
  credit: CardCredit;
  url: string;
}

export interface PageCard {
  kind: 'page';
  /** "pages/<name>". */
  slug: string;
  alt: string;
  title: string;
  summary: string;
  /** Short data facts under the summary, e.g. "Linux: 17 products". */
  facts: string[];
  credit: CardCredit;
  url: string;
}

export type PreviewCard = MatrixCard | VendorCard | PageCard;
