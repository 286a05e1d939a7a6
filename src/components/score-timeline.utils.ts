/** Date helpers for the score timeline's time axis (UTC, so every reader sees the same ticks). */

/** `2025-04` */
export const month = (t: number) => new Date(t).toISOString().slice(0, 7);
/** `2025-04-19` */
export const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * The first day of every quarter strictly after `from` and not after `to`, as ms since epoch.
 *
 * @example quarterTicks(Date.UTC(2024, 11, 16), Date.UTC(2025, 6, 1)) // 2025-01-01, 2025-04-01, 2025-07-01
 */
export function quarterTicks(from: number, to: number): number[] {
  const start = new Date(from);
  const ticks: number[] = [];
  let year = start.getUTCFullYear();
  let quarter = Math.floor(start.getUTCMonth() / 3) + 1;
  for (;;) {
    if (quarter > 3) {
      quarter = 0;
      year++;
    }
    const t = Date.UTC(year, quarter * 3, 1);
    if (t > to) return ticks;
    ticks.push(t);
    quarter++;
  }
}
