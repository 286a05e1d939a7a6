import { describe, expect, it } from 'vitest';
import { day, month, quarterTicks } from '../../src/components/score-timeline.utils.ts';

describe('quarterTicks', () => {
  it('marks every quarter start after the first point up to the last', () => {
    const ticks = quarterTicks(Date.UTC(2024, 11, 16), Date.UTC(2025, 6, 1)).map(day);
    expect(ticks).toEqual(['2025-01-01', '2025-04-01', '2025-07-01']);
  });

  it('is empty when the range ends before the next quarter', () => {
    expect(quarterTicks(Date.UTC(2025, 0, 2), Date.UTC(2025, 2, 31))).toEqual([]);
  });

  it('formats months in UTC', () => {
    expect(month(Date.UTC(2025, 3, 30, 23, 59))).toBe('2025-04');
  });
});
