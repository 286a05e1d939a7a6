/** Renders rankings for the score CLI: a readable table, JSON, CSV or Markdown. */
import type { PlatformId } from './schema.ts';
import type { VendorScore } from './score.ts';

export const SCORE_FORMATS = ['table', 'json', 'csv', 'md'] as const;
export type ScoreFormat = (typeof SCORE_FORMATS)[number];

export interface PlatformRanking {
  platform: PlatformId;
  name: string;
  max: number;
  scores: VendorScore[];
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const fixed = (score: number) => score.toFixed(2);

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function table(rankings: PlatformRanking[]): string {
  return rankings
    .map(({ name, max, scores }) => {
      const width = Math.max(6, ...scores.map((s) => s.vendor.length));
      const header = `${'Rank'.padStart(4)}  ${'Vendor'.padEnd(width)}  ${'Score'.padStart(6)}  ${'Share'.padStart(6)}`;
      const lines = scores.map(
        (s) =>
          `${String(s.rank).padStart(4)}  ${s.vendor.padEnd(width)}  ${fixed(s.score).padStart(6)}  ${pct(s.share).padStart(6)}`,
      );
      return [`${name} (maximum ${fixed(max)})`, header, ...lines].join('\n');
    })
    .join('\n\n');
}

/** Formats rankings; `json` is exactly `{ "<platform>": [{ vendor, score, rank }] }`. */
export function formatRankings(rankings: PlatformRanking[], format: ScoreFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(
        Object.fromEntries(
          rankings.map((r) => [
            r.platform,
            r.scores.map(({ vendor, score, rank }) => ({ vendor, score, rank })),
          ]),
        ),
      );
    case 'csv':
      return [
        'platform,rank,vendor,score,share',
        ...rankings.flatMap((r) =>
          r.scores.map((s) =>
            [
              r.platform,
              s.rank,
              csvField(s.vendor),
              fixed(s.score),
              (s.share * 100).toFixed(1),
            ].join(','),
          ),
        ),
      ].join('\n');
    case 'md':
      return rankings
        .map(({ name, max, scores }) =>
          [
            `### ${name} (maximum ${fixed(max)})`,
            '',
            '| Rank | Vendor | Score | Share |',
            '| ---: | --- | ---: | ---: |',
            ...scores.map(
              (s) =>
                `| ${s.rank} | ${s.vendor.replace(/\|/g, '\\|')} | ${fixed(s.score)} | ${pct(s.share)} |`,
            ),
          ].join('\n'),
        )
        .join('\n\n');
    case 'table':
      return table(rankings);
  }
}
