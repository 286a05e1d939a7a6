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

const SENSORS_HEADING = 'Open-source sensors measured by this project (ranked among themselves)';

function table(rankings: PlatformRanking[]): string {
  return rankings
    .map(({ name, max, scores }) => {
      const width = Math.max(6, ...scores.map((s) => s.vendor.length));
      const header = `${'Rank'.padStart(4)}  ${'Vendor'.padEnd(width)}  ${'Score'.padStart(6)}  ${'Share'.padStart(6)}`;
      const line = (s: VendorScore) =>
        `${String(s.rank).padStart(4)}  ${s.vendor.padEnd(width)}  ${fixed(s.score).padStart(6)}  ${pct(s.share).padStart(6)}`;
      const sensors = scores.filter((s) => s.kind === 'sensor');
      return [
        `${name} (maximum ${fixed(max)})`,
        header,
        ...scores.filter((s) => s.kind === 'product').map(line),
        ...(sensors.length > 0 ? ['', SENSORS_HEADING, header, ...sensors.map(line)] : []),
      ].join('\n');
    })
    .join('\n\n');
}

/** Formats rankings; `json` is exactly `{ "<platform>": [{ vendor, score, rank, kind }] }`. */
export function formatRankings(rankings: PlatformRanking[], format: ScoreFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(
        Object.fromEntries(
          rankings.map((r) => [
            r.platform,
            r.scores.map(({ vendor, score, rank, kind }) => ({ vendor, score, rank, kind })),
          ]),
        ),
      );
    case 'csv':
      return [
        'platform,kind,rank,vendor,score,share',
        ...rankings.flatMap((r) =>
          r.scores.map((s) =>
            [
              r.platform,
              s.kind,
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
            '| Rank | Vendor | Kind | Score | Share |',
            '| ---: | --- | --- | ---: | ---: |',
            ...scores.map(
              (s) =>
                `| ${s.rank} | ${s.vendor.replace(/\|/g, '\\|')} | ${s.kind} | ${fixed(s.score)} | ${pct(s.share)} |`,
            ),
          ].join('\n'),
        )
        .join('\n\n');
    case 'table':
      return table(rankings);
  }
}
