/**
 * The website issue's speed budgets and which pages they bind. Performance, TBT and CLS hold on
 * every measured page; the JavaScript budget (≤ 100 KiB gzipped, none of it render-blocking) is
 * the rule for matrix pages, so other pages (/scores/ with its charts) have their
 * JavaScript reported, not judged. Matrix pages also answer every interaction of a reader at 4x
 * CPU throttling within 100 ms, input to paint, and lose none of the keystrokes typed right after
 * the first tap (the performance issue's first-interaction goal).
 */
import { PLATFORM_IDS } from '../../scoring/schema.ts';

export const BUDGETS = {
  performance: 98,
  tbtMs: 50,
  cls: 0.02,
  jsGzipKiB: 100,
  interactionMs: 100,
} as const;

/** Matrix pages are `/<platform>/` (a query string or `index.html` still names the page). */
export function isMatrixPage(page: string): boolean {
  const path = new URL(page, 'http://127.0.0.1').pathname.replace(/index\.html$/, '');
  return PLATFORM_IDS.some((p) => path === `/${p}/` || path === `/${p}`);
}

export interface BudgetInput {
  page: string;
  performance: number;
  tbtMs: number;
  cls: number;
  jsGzipBytes: number;
  renderBlocking: readonly string[];
  /** Matrix pages: the worst input→paint of a throttled reader session (median over runs), ms. */
  interactionMs?: number;
  /** Matrix pages: what the early keystrokes left that they should not have, e.g. lost text. */
  typingProblems?: readonly string[];
}

/** Every budget the page misses, as readable phrases; empty when it meets them all. */
export function budgetMisses(r: BudgetInput): string[] {
  const misses: string[] = [];
  if (r.performance < BUDGETS.performance)
    misses.push(`performance ${r.performance} < ${BUDGETS.performance}`);
  if (r.tbtMs > BUDGETS.tbtMs) misses.push(`TBT ${Math.round(r.tbtMs)} ms > ${BUDGETS.tbtMs} ms`);
  if (r.cls > BUDGETS.cls) misses.push(`CLS ${r.cls.toFixed(3)} > ${BUDGETS.cls}`);
  if (!isMatrixPage(r.page)) return misses;
  if (r.jsGzipBytes > BUDGETS.jsGzipKiB * 1024)
    misses.push(`JS ${(r.jsGzipBytes / 1024).toFixed(1)} KiB gz > ${BUDGETS.jsGzipKiB} KiB`);
  if (r.renderBlocking.length > 0) misses.push(`render-blocking: ${r.renderBlocking.join(', ')}`);
  if (r.interactionMs !== undefined && r.interactionMs > BUDGETS.interactionMs)
    misses.push(`interaction ${Math.round(r.interactionMs)} ms > ${BUDGETS.interactionMs} ms`);
  for (const problem of r.typingProblems ?? []) misses.push(problem);
  return misses;
}
