import { describe, expect, it } from 'vitest';
import { BUDGETS, budgetMisses, isMatrixPage } from '../bench/site-budgets.ts';

const met = {
  performance: 100,
  tbtMs: 20,
  cls: 0,
  jsGzipBytes: 40 * 1024,
  renderBlocking: [] as string[],
};
const heavyJs = { jsGzipBytes: (BUDGETS.jsGzipKiB + 1) * 1024, renderBlocking: ['/x.js'] };

describe('site speed budgets', () => {
  it('knows the matrix pages, with or without index.html or a query', () => {
    for (const page of ['/linux/', '/windows/', '/macos/', '/macos', '/windows/index.html'])
      expect(isMatrixPage(page), page).toBe(true);
    expect(isMatrixPage('/windows/?v=elastic')).toBe(true);
    for (const page of ['/', '/scores/', '/vendors/linux/', '/linuxes/'])
      expect(isMatrixPage(page), page).toBe(false);
  });

  it('holds matrix pages to the JavaScript budget', () => {
    const misses = budgetMisses({ page: '/windows/', ...met, ...heavyJs });
    expect(misses).toHaveLength(2);
    expect(misses[0]).toMatch(/^JS 101\.0 KiB gz > 100 KiB$/);
    expect(misses[1]).toBe('render-blocking: /x.js');
  });

  it('reports other pages’ JavaScript without failing them on it', () => {
    expect(budgetMisses({ page: '/scores/', ...met, ...heavyJs })).toEqual([]);
  });

  it('holds every page to performance, TBT and CLS', () => {
    const slow = { ...met, performance: 97, tbtMs: 53, cls: 0.03 };
    for (const page of ['/scores/', '/linux/'])
      expect(budgetMisses({ page, ...slow })).toEqual([
        'performance 97 < 98',
        'TBT 53 ms > 50 ms',
        'CLS 0.030 > 0.02',
      ]);
    expect(budgetMisses({ page: '/linux/', ...met, tbtMs: BUDGETS.tbtMs })).toEqual([]);
  });

  it('holds matrix pages to 100 ms per interaction and to keeping every early keystroke', () => {
    expect(budgetMisses({ page: '/windows/', ...met, interactionMs: 100 })).toEqual([]);
    expect(
      budgetMisses({
        page: '/windows/',
        ...met,
        interactionMs: 232,
        typingProblems: ['typed "dns", the box holds ""'],
      }),
    ).toEqual(['interaction 232 ms > 100 ms', 'typed "dns", the box holds ""']);
  });
});
