/**
 * The first-interaction part of `npm run bench:site`: a reader on a matrix page at 4x CPU
 * throttling taps the filter box and types at once (before the island has hydrated), then uses
 * each control once: more typing, the status filter, ordering products by score, collapsing a
 * category, hiding a product. Throttling is applied by Chromium itself
 * (`Emulation.setCPUThrottlingRate`), so the Event Timing API sees it; each interaction's
 * duration is Event Timing's input→paint figure (8 ms resolution), grouped by `interactionId`.
 */
import { type Browser, chromium, type Page } from '@playwright/test';

/** The figure: every interaction paints within 100 ms of its input. */
export const INTERACTION_BUDGET_MS = 100;
export const CPU_THROTTLING = 4;
/** Milliseconds between keystrokes: a quick typist. */
const TYPING_DELAY_MS = 60;
/** Time left after each step for late work (hydration, deferred renders) to show up. */
const SETTLE_MS = 600;

export interface StepTiming {
  step: string;
  /** Worst input→paint of the interactions in this step, ms; 0 when none was recorded. */
  worstMs: number;
  interactions: number;
}

export interface InteractionRun {
  steps: StepTiming[];
  worstMs: number;
  worstStep: string;
  /** What the first-tap typing left: the filter's value, caret and focus once the island ran. */
  typed: { value: string; caret: number | null; focused: boolean; rowsShown: number };
}

interface EventEntry {
  name: string;
  interactionId: number;
  duration: number;
  startTime: number;
}

declare global {
  interface Window {
    __eventTimings?: EventEntry[];
  }
}

/** Collects every Event Timing entry from the start of the page, before any script of its own. */
function observeEvents() {
  window.__eventTimings = [];
  const record = (list: PerformanceObserverEntryList) => {
    for (const e of list.getEntries() as PerformanceEventTiming[]) {
      window.__eventTimings?.push({
        name: e.name,
        interactionId: e.interactionId,
        duration: e.duration,
        startTime: e.startTime,
      });
    }
  };
  // 16 ms is the smallest threshold the API accepts; shorter events are far inside any budget.
  new PerformanceObserver(record).observe({
    type: 'event',
    buffered: true,
    durationThreshold: 16,
  } as PerformanceObserverInit);
}

const now = (page: Page) => page.evaluate(() => performance.now());

async function settle(page: Page) {
  await page.waitForTimeout(SETTLE_MS);
}

/** The steps a reader takes, each bracketed by page-clock marks so its events can be told apart. */
async function readerSession(page: Page): Promise<{
  marks: { step: string; from: number; to: number }[];
  typed: InteractionRun['typed'];
}> {
  const marks: { step: string; from: number; to: number }[] = [];
  const step = async (name: string, act: () => Promise<void>) => {
    const from = await now(page);
    await act();
    await settle(page);
    marks.push({ step: name, from, to: await now(page) });
  };
  const filter = page.getByLabel('Filter sub-categories');

  await step('first tap + typing "dns" before hydration', async () => {
    // A tap where the box is drawn, whatever state its control is in: no waiting for it.
    const box = await filter.boundingBox();
    if (!box) throw new Error('The filter box is not on screen.');
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.type('dns', { delay: TYPING_DELAY_MS });
    // Astro drops `ssr` from the island once it has hydrated.
    await page.locator('astro-island:not([ssr])').first().waitFor({ timeout: 60_000 });
  });
  const typed = await page.evaluate(() => {
    const input = document.querySelector<HTMLInputElement>('.explorer input[type="search"]');
    const rows = [...document.querySelectorAll<HTMLTableRowElement>('table tbody tr')].filter(
      (tr) => !tr.classList.contains('category-row') && tr.offsetParent !== null,
    );
    return {
      value: input?.value ?? '',
      caret: input?.selectionStart ?? null,
      focused: document.activeElement === input,
      rowsShown: rows.length,
    };
  });
  await step('typing in the filter (hydrated)', async () => {
    await page.keyboard.press('End');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Backspace', { delay: 0 });
    await page.keyboard.type('proc', { delay: TYPING_DELAY_MS });
    await page.waitForTimeout(TYPING_DELAY_MS);
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Backspace');
      await page.waitForTimeout(TYPING_DELAY_MS);
    }
  });
  await step('status filter', async () => {
    await page.getByText(/^Statuses/).click();
    await settle(page);
    await page.getByRole('checkbox', { name: 'No', exact: true }).click();
    await settle(page);
    await page.getByRole('checkbox', { name: 'No', exact: true }).click();
    await settle(page);
    await page.getByText(/^Statuses/).click();
  });
  await step('order products by score', async () => {
    await page.getByRole('button', { name: 'Order products by score' }).click();
  });
  await step('collapse a category', async () => {
    await page.locator('table button.collapse:visible').first().click();
    await settle(page);
    await page.locator('table button.collapse:visible').first().click();
  });
  await step('choose products', async () => {
    await page.getByText(/^Products \(/).click();
    await settle(page);
    await page.locator('.explorer .vendor-list input[type="checkbox"]:checked').first().click();
    await settle(page);
    await page.getByText(/^Products \(/).click();
  });
  return { marks, typed };
}

/** One throttled reader session on `url`, in a fresh context of `browser`. */
async function runOnce(browser: Browser, url: string): Promise<InteractionRun> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(observeEvents);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_THROTTLING });
    await page.goto(url, { waitUntil: 'load' });
    await settle(page);
    const { marks, typed } = await readerSession(page);
    const entries = await page.evaluate(() => window.__eventTimings ?? []);
    const byInteraction = new Map<number, EventEntry>();
    for (const e of entries) {
      if (e.interactionId === 0) continue;
      const seen = byInteraction.get(e.interactionId);
      if (!seen || e.duration > seen.duration) byInteraction.set(e.interactionId, e);
    }
    const steps = marks.map(({ step, from, to }) => {
      const inside = [...byInteraction.values()].filter(
        (e) => e.startTime >= from && e.startTime < to,
      );
      return {
        step,
        worstMs: Math.max(0, ...inside.map((e) => e.duration)),
        interactions: inside.length,
      };
    });
    const worst = steps.reduce((a, b) => (b.worstMs > a.worstMs ? b : a));
    return { steps, worstMs: worst.worstMs, worstStep: worst.step, typed };
  } finally {
    await context.close();
  }
}

/** Starts Debian's Chromium through Playwright (never a downloaded browser). */
export function launchForInteractions(executablePath: string, args: readonly string[]) {
  return chromium.launch({ executablePath, args: [...args] });
}

/** `runs` throttled reader sessions on one page. */
export async function measureInteractions(
  browser: Browser,
  url: string,
  runs: number,
): Promise<InteractionRun[]> {
  const out: InteractionRun[] = [];
  for (let i = 0; i < runs; i++) out.push(await runOnce(browser, url));
  return out;
}

export interface InteractionSummary {
  /** Median over runs of each run's worst interaction, ms. */
  worstMs: number;
  /** The step that held the worst interaction in most runs. */
  worstStep: string;
  /** Per step, the median of its worst interaction over runs. */
  steps: StepTiming[];
  /** Lost keystrokes, a moved caret, lost focus or an unfiltered table, in words. */
  typingProblems: string[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** What the early typing should leave: "dns" in the box, the caret after it, the box focused. */
export const TYPED = 'dns';

/**
 * Medians over runs, and every run's typing problems.
 *
 * @param expectedRows rows whose name, id or category name hold "dns", worked out from the data
 */
export function summariseInteractions(
  runs: readonly InteractionRun[],
  expectedRows: number,
): InteractionSummary {
  const first = runs[0];
  if (!first) throw new Error('No reader session ran; nothing to summarise.');
  const problems = runs.flatMap(({ typed }, i) => {
    const run = `run ${i + 1}`;
    const out: string[] = [];
    if (typed.value !== TYPED) out.push(`${run}: typed "${TYPED}", the box holds "${typed.value}"`);
    else if (typed.caret !== TYPED.length)
      out.push(`${run}: caret at ${typed.caret}, not after "${TYPED}"`);
    if (!typed.focused) out.push(`${run}: the filter box lost focus on hydration`);
    if (typed.rowsShown !== expectedRows)
      out.push(`${run}: ${typed.rowsShown} rows shown for "${TYPED}", expected ${expectedRows}`);
    return out;
  });
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.worstStep, (counts.get(r.worstStep) ?? 0) + 1);
  return {
    worstMs: median(runs.map((r) => r.worstMs)),
    worstStep: [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '',
    steps: first.steps.map(({ step }, i) => ({
      step,
      worstMs: median(runs.map((r) => r.steps[i]?.worstMs ?? 0)),
      interactions: median(runs.map((r) => r.steps[i]?.interactions ?? 0)),
    })),
    typingProblems: problems,
  };
}
