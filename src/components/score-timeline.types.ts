/** Plain data the score-timeline island receives (serialised into the page at build time). */
export interface TimelineSeries {
  id: string;
  name: string;
  vendors: { id: string; name: string }[];
  /** Vendors drawn before the reader chooses (the current top scorers). */
  initial: string[];
  /** `t`: ms since epoch; scores by vendor id, absent when the vendor had no cells yet. */
  points: { t: number; scores: Record<string, number> }[];
}
