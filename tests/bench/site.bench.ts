/**
 * `npm run bench:site`: Lighthouse 13 (mobile: default form factor, simulated throttling) against
 * the production build served on loopback, driving Debian's Chromium, median of 3 runs per page.
 * Budgets from the website issue (tests/bench/site-budgets.ts): performance ≥ 98, TBT ≤ 50 ms,
 * CLS ≤ 0.02 on every page; on matrix pages also JavaScript ≤ 100 KiB gzipped and none of it
 * render-blocking (other pages' JavaScript is reported). Matrix pages also get as many throttled
 * reader sessions (tests/bench/site-interaction.ts): the worst interaction, Event Timing's
 * input→paint at 4x CPU throttling, ≤ 100 ms, and no keystroke typed after the first tap lost.
 * Interaction times are wall-clock: the load average is printed beside them. Exit 1 when a
 * budget is missed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import lighthouse from 'lighthouse';
import { loadDataset, matrixRows } from '../../scoring/dataset.ts';
import { PLATFORM_IDS, type PlatformId } from '../../scoring/schema.ts';
import { buildSite } from '../../scripts/build.ts';
import { type CliSpec, EXIT, runCli, stringFlag, UsageError } from '../../scripts/lib/cli-kit.ts';
import { checkFreshness } from '../../scripts/site-freshness.ts';
import { pageScripts, totalGzip } from './js-weight.ts';
import { BUDGETS, budgetMisses, isMatrixPage } from './site-budgets.ts';
import {
  CPU_THROTTLING,
  type InteractionSummary,
  launchForInteractions,
  measureInteractions,
  summariseInteractions,
  TYPED,
} from './site-interaction.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOST = '127.0.0.1';
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

const DEFAULT_PAGES = '/linux/,/windows/,/macos/,/scores/,/faq/';

const spec = {
  name: 'bench:site',
  usage:
    'npm run bench:site -- [--pages <paths>] [--runs <n>] [--port <port>] [--dist <dir>] [--json]',
  summary:
    'Runs Lighthouse (mobile, simulated throttling) on the built site and checks the speed budgets.',
  flags: {
    pages: {
      type: 'string',
      value: '<paths>',
      description: 'Comma-separated site paths to measure.',
      default: DEFAULT_PAGES,
    },
    runs: {
      type: 'string',
      value: '<n>',
      description: 'Lighthouse runs per page; the median counts.',
      default: '3',
    },
    port: {
      type: 'string',
      value: '<port>',
      description: 'Loopback port for the preview server.',
      default: '4331',
    },
    dist: {
      type: 'string',
      value: '<dir>',
      description: 'The build folder to measure (built first when missing or stale).',
      default: 'dist',
    },
    json: { type: 'boolean', description: 'Print one JSON object per page instead of the table.' },
  },
  epilog: [
    `Budgets: performance ≥ ${BUDGETS.performance}, TBT ≤ ${BUDGETS.tbtMs} ms, CLS ≤ ${BUDGETS.cls} on every page; on matrix pages (${PLATFORM_IDS.map((p) => `/${p}/`).join(', ')}) also JS ≤ ${BUDGETS.jsGzipKiB} KiB gzipped, no render-blocking resources (other pages: reported only), and every interaction of a reader session at ${CPU_THROTTLING}x CPU throttling ≤ ${BUDGETS.interactionMs} ms input→paint with no early keystroke lost.`,
    'Exit codes: 0 every budget met, 1 a budget missed or the run failed, 2 bad usage.',
  ],
} satisfies CliSpec;

interface RunMetrics {
  performance: number;
  tbtMs: number;
  cls: number;
  lcpMs: number;
  renderBlocking: string[];
  scriptUrls: string[];
  /** Main-thread time by Lighthouse group (parseHTML, styleLayout, scriptEvaluation...), ms. */
  mainThread: Record<string, number>;
}

export interface PageResult {
  page: string;
  runs: number;
  performance: number;
  tbtMs: number;
  cls: number;
  lcpMs: number;
  jsGzipBytes: number;
  renderBlocking: string[];
  /** Whether the JavaScript budget binds this page (matrix pages) or its JS is only reported. */
  jsBudget: boolean;
  /** Median main-thread ms per group, biggest first: where TBT comes from. */
  mainThread: Record<string, number>;
  /** Matrix pages: the throttled reader sessions. */
  interaction?: InteractionSummary;
  /** 1-minute load average when the page's sessions ended: interaction times are wall-clock. */
  load?: number;
  misses: string[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(
        `The preview server exited (code ${child.exitCode}) before answering ${url}. Its output:\n${log}`,
      );
    try {
      // Any HTTP answer means the server is up; pages are checked by Lighthouse itself.
      await fetch(url);
      return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Nothing answered on ${url} within ${timeoutMs / 1000} s; is the port taken?`);
}

/** Starts Chromium with a DevTools port of its choosing and returns that port from its stderr. */
function launchChromium(profile: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((done, fail) => {
    const child = spawn(
      CHROMIUM,
      [...CHROMIUM_FLAGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`Chromium did not open a DevTools port within 30 s. Its output:\n${log}`));
    }, 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(
        new Error(
          `Failed to start ${CHROMIUM} (${error.message}); install the Debian "chromium" package.`,
        ),
      );
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        done({ child, port: Number(m[1]) });
      }
    });
  });
}

interface LhAudit {
  numericValue?: number;
  details?: {
    items?: { url?: string; resourceType?: string; group?: string; duration?: number }[];
  };
}

async function measure(url: string, port: number): Promise<RunMetrics> {
  const result = await lighthouse(url, {
    port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: ['performance'],
  });
  if (!result) throw new Error(`Lighthouse returned no result for ${url}.`);
  const lhr = result.lhr;
  if (lhr.runtimeError)
    throw new Error(`Lighthouse could not load ${url}: ${lhr.runtimeError.message}`);
  const audit = (id: string) => lhr.audits[id] as LhAudit | undefined;
  const items = (id: string) => audit(id)?.details?.items ?? [];
  return {
    performance: Math.round((lhr.categories.performance?.score ?? 0) * 100),
    tbtMs: audit('total-blocking-time')?.numericValue ?? Number.NaN,
    cls: audit('cumulative-layout-shift')?.numericValue ?? Number.NaN,
    lcpMs: audit('largest-contentful-paint')?.numericValue ?? Number.NaN,
    renderBlocking: items('render-blocking-insight').flatMap((i) => (i.url ? [i.url] : [])),
    scriptUrls: items('network-requests').flatMap((i) =>
      i.resourceType === 'Script' && i.url ? [i.url] : [],
    ),
    mainThread: Object.fromEntries(
      items('mainthread-work-breakdown').flatMap((i) =>
        i.group && i.duration !== undefined ? [[i.group, i.duration]] : [],
      ),
    ),
  };
}

function table(results: readonly PageResult[]): string {
  const head = [
    'page',
    'perf',
    'TBT ms',
    'CLS',
    'LCP ms',
    'JS KiB gz',
    'interaction ms',
    'load',
    'render-blocking',
    'budget',
  ];
  const rows = results.map((r) => [
    r.page,
    String(r.performance),
    String(Math.round(r.tbtMs)),
    r.cls.toFixed(3),
    String(Math.round(r.lcpMs)),
    `${(r.jsGzipBytes / 1024).toFixed(1)}${r.jsBudget ? '' : ' (no budget)'}`,
    r.interaction ? String(Math.round(r.interaction.worstMs)) : '-',
    r.load === undefined ? '-' : r.load.toFixed(1),
    r.renderBlocking.length === 0 ? 'none' : String(r.renderBlocking.length),
    r.misses.length === 0 ? 'met' : `MISSED: ${r.misses.join('; ')}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

const code = await runCli(spec, process.argv.slice(2), async (cli, io) => {
  const pages = (stringFlag(cli, 'pages') ?? DEFAULT_PAGES).split(',').filter(Boolean);
  const runs = Number(stringFlag(cli, 'runs') ?? '3');
  const port = Number(stringFlag(cli, 'port') ?? '4331');
  if (!Number.isInteger(runs) || runs < 1)
    throw new UsageError('--runs must be a whole number of at least 1.');
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError('--port must be 1 to 65535.');
  if (pages.some((p) => !p.startsWith('/')))
    throw new UsageError('--pages takes site paths such as /linux/.');

  const dist = stringFlag(cli, 'dist') ?? 'dist';
  const freshness = await checkFreshness(root, dist);
  if (freshness.build) {
    io.stderr(`Building the site first because ${freshness.reason}...\n`);
    if ((await buildSite(dist, io)) !== 0) {
      io.stderr('The build failed; nothing was measured.\n');
      return EXIT.checksFailed;
    }
  }
  const origin = `http://${HOST}:${port}`;
  io.stderr(`Serving ${dist}/ on ${origin} and starting ${CHROMIUM}...\n`);
  const server = spawn(
    join(root, 'node_modules', '.bin', 'astro'),
    [
      'preview',
      '--outDir',
      join(root, dist),
      '--host',
      HOST,
      '--port',
      String(port),
      '--ignore-lock',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const profile = await mkdtemp(join(tmpdir(), 'bench-site-chromium-'));
  let chromium: ChildProcess | undefined;
  let readerBrowser: Awaited<ReturnType<typeof launchForInteractions>> | undefined;
  try {
    await waitForHttp(`${origin}/`, server, 30_000);
    const launched = await launchChromium(profile);
    chromium = launched.child;
    // The reference for the early typing's rows comes from the data, not from the page.
    const dataset = await loadDataset(process.env.EDR_MATRIX_DATA_DIR ?? join(root, 'data'));
    const results: PageResult[] = [];
    for (const page of pages) {
      const samples: RunMetrics[] = [];
      for (let i = 0; i < runs; i++) {
        io.stderr(`Lighthouse ${page} run ${i + 1}/${runs}...\n`);
        samples.push(await measure(`${origin}${page}`, launched.port));
      }
      const scripts = await pageScripts(join(root, dist), page);
      const observed = new Set(
        samples.flatMap((s) => s.scriptUrls.map((u) => new URL(u).pathname)),
      );
      const missing = [...observed].filter((p) => !scripts.some((s) => s.source === p));
      if (missing.length > 0) {
        io.stderr(
          `Note: ${page} loaded scripts the static scan did not find: ${missing.join(', ')}; adding them.\n`,
        );
        for (const p of missing)
          scripts.push(...(await pageScripts(join(root, dist), p).catch(() => [])));
      }
      const partial = {
        page,
        runs,
        performance: median(samples.map((s) => s.performance)),
        tbtMs: median(samples.map((s) => s.tbtMs)),
        cls: median(samples.map((s) => s.cls)),
        lcpMs: median(samples.map((s) => s.lcpMs)),
        jsGzipBytes: totalGzip(scripts),
        renderBlocking: [...new Set(samples.flatMap((s) => s.renderBlocking))],
        jsBudget: isMatrixPage(page),
        mainThread: Object.fromEntries(
          [...new Set(samples.flatMap((s) => Object.keys(s.mainThread)))]
            .map((g) => [g, Math.round(median(samples.map((s) => s.mainThread[g] ?? 0)))] as const)
            .sort((x, y) => y[1] - x[1]),
        ),
      };
      let interaction: InteractionSummary | undefined;
      let load: number | undefined;
      const platform = new URL(page, origin).pathname.split('/')[1] as PlatformId;
      if (isMatrixPage(page) && PLATFORM_IDS.includes(platform)) {
        readerBrowser ??= await launchForInteractions(CHROMIUM, CHROMIUM_FLAGS);
        io.stderr(`Reader sessions on ${page} at ${CPU_THROTTLING}x CPU throttling (${runs})...
`);
        const sessions = await measureInteractions(readerBrowser, `${origin}${page}`, runs);
        const expected = matrixRows(dataset.matrices[platform]).filter(({ sub, category }) =>
          [sub.name, sub.id, category.name].some((t) => t.toLowerCase().includes(TYPED)),
        ).length;
        interaction = summariseInteractions(sessions, expected);
        load = loadavg()[0];
      }
      const judged = {
        ...partial,
        ...(interaction && {
          interactionMs: interaction.worstMs,
          typingProblems: interaction.typingProblems,
        }),
      };
      results.push({
        ...partial,
        ...(interaction && { interaction }),
        ...(load !== undefined && { load }),
        misses: budgetMisses(judged),
      });
    }
    if (cli.values.json) for (const r of results) io.stdout(`${JSON.stringify(r)}\n`);
    else {
      io.stdout(`${table(results)}\n`);
      for (const r of results) {
        const top = Object.entries(r.mainThread)
          .slice(0, 4)
          .map(([g, ms]) => `${g} ${ms} ms`)
          .join(', ');
        io.stdout(`${r.page} main thread: ${top}\n`);
        if (r.interaction) {
          const steps = r.interaction.steps
            .map((s) => `${s.step} ${Math.round(s.worstMs)} ms`)
            .join(', ');
          io.stdout(`${r.page} interactions (median of worst per step): ${steps}\n`);
        }
      }
    }
    const missed = results.filter((r) => r.misses.length > 0);
    if (missed.length > 0) {
      io.stderr(
        `${missed.length} of ${results.length} pages missed a budget (see the last column).\n`,
      );
      return EXIT.checksFailed;
    }
    io.stderr(`All ${results.length} pages met every budget (median of ${runs} runs).\n`);
    return EXIT.ok;
  } finally {
    await readerBrowser?.close();
    chromium?.kill('SIGTERM');
    server.kill('SIGTERM');
    await rm(profile, { recursive: true, force: true }).catch(() => undefined);
  }
});
process.exitCode = code;
