/**
 * Builds the real site over a copy of data/ with hostile strings in it and checks the output:
 * data is escaped everywhere, every cell has its permalink panel, the CSP covers every inline
 * script, and invalid data fails the build with the foundation's located message.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssertionsFile } from '../../scoring/provenance.schema.ts';
import { DISPLAY_RULE } from '../../scoring/provenance.ts';
import type { HistoryEntry, PlatformMatrix } from '../../scoring/schema.ts';

const root = resolve(import.meta.dirname, '../..');
const XSS_NAME = '<img src=x onerror=alert(1)>';
const XSS_REASON = '</p><script>alert("reason")</script>';

let work: string;
let dist: string;
let matrix: PlatformMatrix;
/** A Partially cell the build gets without a reason. */
let unreasoned: { id: string; vendorId: string };
/** A Via EventLogs cell the build gets without a reason (upstream's usual silence). */
let optionalReason: string;
const UNTESTED_REASON = 'The test host could not load a kernel module.';
/** A listed product's claimed Yes that a generator run's evidence overrules with No. */
let overruled: { subId: string; vendorId: string; vendorName: string };
const CAUSE = 'The capture shows only 2 of 3 actions: the third ran before the sensor started.';

function build(dataDir: string, outDir: string) {
  return spawnSync(join(root, 'node_modules/.bin/astro'), ['build', '--outDir', outDir], {
    cwd: root,
    env: { ...process.env, EDR_MATRIX_DATA_DIR: dataDir, ASTRO_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
  });
}

async function htmlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.html'))
    .map((e) => join(e.parentPath, e.name));
}

const page = (path: string) => readFile(join(dist, path, 'index.html'), 'utf8');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'site-build-'));
  const data = join(work, 'data');
  await cp(join(root, 'data'), data, { recursive: true });
  const file = join(data, 'matrices', 'linux.json');
  matrix = JSON.parse(await readFile(file, 'utf8')) as PlatformMatrix;
  const vendor = matrix.vendors[0];
  const cell = matrix.categories[0]?.subCategories[0]?.cells[vendor?.id ?? ''];
  if (!vendor || !cell) throw new Error('The linux matrix in data/ has no first vendor or cell.');
  vendor.name = XSS_NAME;
  cell.status = 'partially';
  cell.reason = XSS_REASON;
  const sub = matrix.categories[0]?.subCategories[1];
  const other = Object.entries(sub?.cells ?? {}).find(([id]) => id !== vendor.id);
  if (!sub || !other)
    throw new Error('The linux matrix in data/ has no second row with two cells.');
  sub.cells[other[0]] = { status: 'partially' };
  unreasoned = { id: `${sub.id}--${other[0]}`, vendorId: other[0] };
  const third = matrix.categories[1]?.subCategories[0];
  const thirdVendor = Object.keys(third?.cells ?? {})[1];
  if (!third || !thirdVendor) throw new Error('The linux matrix in data/ has no second category.');
  third.cells[thirdVendor] = { status: 'via-event-logs' };
  optionalReason = `${third.id}--${thirdVendor}`;
  await writeFile(file, JSON.stringify(matrix));
  // A Not Tested cell in the reference agent's measured row, and a disagreement with a known cause
  // between auditd + LAUREL and upstream's Auditd column.
  const agentFile = join(data, 'measured', 'reference-agent.json');
  const agent = JSON.parse(await readFile(agentFile, 'utf8'));
  // A Not Tested cell cites no capture: no action ran (generators/evidence).
  agent.cells['driver-load'] = { status: 'not-tested', reason: UNTESTED_REASON };
  await writeFile(agentFile, JSON.stringify(agent));
  const evidenceFile = join(data, 'evidence', 'auditd-laurel.json');
  const evidence = JSON.parse(await readFile(evidenceFile, 'utf8'));
  evidence.comparison.cells['logon-failed'] = {
    claimed: 'no',
    measured: 'partially',
    agree: false,
    explanation: CAUSE,
  };
  await writeFile(evidenceFile, JSON.stringify(evidence));
  overruled = await overruleAClaim(data);
  dist = join(work, 'dist');
  const result = build(data, dist);
  if (result.status !== 0) {
    throw new Error(
      `astro build failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}, 240_000);

afterAll(() => rm(work, { recursive: true, force: true }));

/**
 * Adds an evidence package whose generator run found nothing for a listed product's claimed Yes
 * (a later category than the cells changed above, so nothing else touches it).
 */
async function overruleAClaim(data: string) {
  const sub = matrix.categories[2]?.subCategories[0];
  const vendor = matrix.vendors.find(
    (v) => v.kind === 'product' && sub?.cells[v.id]?.status === 'yes',
  );
  if (!sub || !vendor)
    throw new Error('The linux matrix in data/ has no claimed Yes in its third category.');
  const pkg = JSON.parse(
    await readFile(join(data, 'evidence', 'elastic-linux-pr199', 'assertions.json'), 'utf8'),
  ) as AssertionsFile;
  const [template] = Object.values(pkg.cells);
  if (!template) throw new Error('No evidence assertion to copy.');
  const file: AssertionsFile = {
    ...pkg,
    vendor: vendor.id,
    cells: {
      [sub.id]: {
        ...template,
        kind: 'generator-run',
        verdict: 'not-observed',
        status: 'no',
        date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        reason: 'No event in the capture for the generator run’s action.',
        product: { vendor: vendor.id, name: vendor.name, version: '1.0.0' },
      },
    },
  };
  await mkdir(join(data, 'evidence', 'site-test-run'));
  await writeFile(join(data, 'evidence', 'site-test-run', 'assertions.json'), JSON.stringify(file));
  return { subId: sub.id, vendorId: vendor.id, vendorName: vendor.name };
}

describe('the built site', () => {
  it('renders a hostile vendor name and reason as text on every page', async () => {
    const files = await htmlFiles(dist);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      // Inside a quoted attribute value "<" is inert text, so only markup outside values counts.
      const markup = (await readFile(f, 'utf8')).replace(/="[^"]*"/g, '=""');
      expect(markup.includes('<img src=x'), `${f} has a live <img> tag`).toBe(false);
      expect(markup.includes('<script>alert('), `${f} has a live <script> tag`).toBe(false);
    }
    const linux = await page('linux');
    expect(linux.includes('&lt;img src=x onerror=alert(1)&gt;')).toBe(true);
    expect(linux.includes('&lt;/p&gt;&lt;script&gt;alert(&quot;reason&quot;)&lt;/script&gt;')).toBe(
      true,
    );
    const vendorPage = await page(`vendors/${matrix.vendors[0]?.id}`);
    expect(/<h1[^>]*>&lt;img src=x onerror=alert\(1\)&gt;<\/h1>/.test(vendorPage)).toBe(true);
  });

  it('puts every sub-category, vendor and cell permalink of the matrix in the HTML', async () => {
    const html = await page('linux');
    for (const vendor of matrix.vendors) expect(html).toContain(`data-vendor="${vendor.id}"`);
    for (const category of matrix.categories) {
      expect(html).toContain(`data-category="${category.id}"`);
      for (const sub of category.subCategories) {
        expect(html).toContain(`data-sub="${sub.id}"`);
        for (const vendorId of Object.keys(sub.cells)) {
          const id = `${sub.id}--${vendorId}`;
          expect(html).toContain(`href="#${id}"`);
          expect(html).toContain(`id="${id}" class="cell-detail"`);
        }
      }
    }
  });

  it('says "no reason given upstream" for a Partially cell without a reason', async () => {
    const linux = await page('linux');
    const start = linux.indexOf(`id="${unreasoned.id}" class="cell-detail"`);
    const panel = linux.slice(start, linux.indexOf('</div>', start));
    expect(start).toBeGreaterThan(0);
    expect(panel).toContain('<p>Reason: no reason given upstream</p>');
    const vendorPage = await page(`vendors/${unreasoned.vendorId}`);
    expect(vendorPage.includes(`href="/linux/#${unreasoned.id}"`)).toBe(true);
    expect(/<dd[^>]*>no reason given upstream<\/dd>/.test(vendorPage)).toBe(true);
  });

  it('adds nothing to a Via EventLogs cell without a reason (upstream only requires one for Partially)', async () => {
    const linux = await page('linux');
    const start = linux.indexOf(`id="${optionalReason}" class="cell-detail"`);
    expect(start).toBeGreaterThan(0);
    expect(linux.slice(start, linux.indexOf('</div>', start))).not.toContain('Reason:');
  });

  it('draws a Not Tested cell apart from No and counts it apart on the matrix and vendor pages', async () => {
    const linux = await page('linux');
    const id = 'driver-load--reference-agent';
    expect(linux).toContain(
      `<td data-status="not-tested" data-basis="not-tested"><a href="#${id}" aria-label="Not Tested (reason) (untested)">🧪 Not Tested<span class="note">(reason)</span><span class="basis">?</span>`,
    );
    const start = linux.indexOf(`id="${id}" class="cell-detail"`);
    expect(linux.slice(start, linux.indexOf('</div>', start))).toContain(
      `<p>Reason: ${UNTESTED_REASON}</p>`,
    );
    expect(linux).toMatch(/<span class="untested"[^>]*>\d+ cells? untested<\/span>/);
    expect(linux).toMatch(/\d+ cells? untested: nobody could run/);
    // A vendor with nothing untested says nothing (a bare `0 &&` once printed "0" in its header).
    const windows = await page('windows');
    for (const th of windows.match(/<th scope="col" class="vendor"[\s\S]*?<\/th>/g) ?? []) {
      expect(th.replace(/<[^>]+>/g, ' ')).not.toMatch(/\s0\s*$/);
    }
    const vendor = await page('vendors/reference-agent');
    expect(vendor).toMatch(/<h3[^>]*>Untested on Linux \(\d+\)<\/h3>/);
    const gaps = vendor.slice(vendor.indexOf('Gaps on Linux'), vendor.indexOf('Untested on Linux'));
    expect(gaps).not.toContain('#driver-load--reference-agent');
  });

  it('shows a sensor rank as a rank among sensors, and ranks products without sensors', async () => {
    const linux = await page('linux');
    const header = (vendor: string) => {
      const start = linux.indexOf(`data-vendor="${vendor}"`);
      return linux.slice(start, linux.indexOf('</th>', start));
    };
    expect(header('reference-agent')).toMatch(/sensor #\d/);
    expect(header('auditd-laurel')).toMatch(/sensor #\d/);
    expect(header('c-prot')).toContain('>#1<');
    const scores = await page('scores');
    expect(scores).toContain('Open-source sensors measured by this project on Linux');
    const vendor = await page('vendors/reference-agent');
    expect(vendor).toMatch(/rank \d of 2 sensors/);
  });

  it('explains a measured-versus-claimed disagreement in both cell panels and on both vendor pages', async () => {
    const linux = await page('linux');
    for (const id of ['logon-failed--auditd-laurel', `logon-failed--${matrix.vendors[0]?.id}`]) {
      const start = linux.indexOf(`id="${id}" class="cell-detail"`);
      const panel = linux.slice(start, linux.indexOf('</div>', start));
      expect(panel, id).toContain('Measured and claimed differ');
      expect(panel, id).toContain('⚠️ Partially');
      expect(panel, id).toContain('❌ No');
      expect(panel, id).toContain(CAUSE);
    }
    for (const vendor of ['auditd-laurel', matrix.vendors[0]?.id]) {
      const html = await page(`vendors/${vendor}`);
      expect(html, vendor).toContain('Measured and claimed disagree on Linux');
      expect(html.includes(`>${CAUSE}</dd>`), vendor).toBe(true);
    }
  });

  it('lists a measured cell’s assertion with its facts and evidence link in the static HTML', async () => {
    const linux = await page('linux');
    const id = 'dns-query--reference-agent';
    expect(linux).toMatch(
      new RegExp(
        `<td data-status="[a-z-]+" data-basis="measured"><a href="#${id}" aria-label="[^"]+ \\(measured\\)">[^<]+<span class="basis">M</span>`,
      ),
    );
    const start = linux.indexOf(`id="${id}" class="cell-detail"`);
    const panel = linux.slice(start, linux.indexOf('</div>', start));
    expect(panel).toMatch(/<li><b>Measured<\/b> [^<]+, \d{4}-\d{2}-\d{2}: measured by CI<dl>/);
    for (const label of ['Tester', 'Product', 'Settings', 'Host', 'Time window', 'Sensor'])
      expect(panel, label).toContain(`<dt>${label}</dt>`);
    expect(panel).toContain('<dt>Manifest SHA-256</dt>');
    expect(panel).toContain('<dd>ci (CI)</dd>');
    expect(panel).toContain(
      '/blob/main/data/evidence/reference-agent.json#dns-query">evidence record</a>',
    );
  });

  it('lists a claimed cell’s history with its pull request or commit, and explains the markers', async () => {
    const linux = await page('linux');
    // Linux cells upstream changed through a pull request and by a direct commit: each claim
    // links its source.
    const history = JSON.parse(await readFile(join(root, 'data', 'history.json'), 'utf8')) as {
      entries: HistoryEntry[];
    };
    const linuxClaims = history.entries.filter((e) => e.platform === 'linux' && e.new);
    const panelOf = (entry: HistoryEntry) => {
      const id = `${entry.current?.subCategoryId ?? entry.subCategoryId}--${entry.current?.vendorId ?? entry.vendorId}`;
      const start = linux.indexOf(`id="${id}" class="cell-detail"`);
      expect(start, id).toBeGreaterThan(0);
      return linux.slice(start, linux.indexOf('</div>', start));
    };
    const viaPr = linuxClaims.find((e) => e.pr !== null);
    const direct = linuxClaims.find((e) => e.pr === null && e.ledger?.pr === undefined);
    if (!viaPr || !direct)
      throw new Error('data/history.json lacks a Linux change by PR and a direct one.');
    expect(panelOf(viaPr)).toContain(
      `claimed in <a href="https://github.com/tsale/EDR-Telemetry/pull/${viaPr.pr}">PR #${viaPr.pr}</a>`,
    );
    const commit = direct.commit.slice(0, 7);
    expect(panelOf(direct)).toContain(
      `claimed in <a href="https://github.com/tsale/EDR-Telemetry/commit/${commit}">commit ${commit}</a>`,
    );
    expect(linux).toMatch(
      /<span class="basis" aria-hidden="true"[^>]*>M<\/span> measured<\/dt>\s*<dd[^>]*>Measured: CI runs/,
    );
    expect(linux).toMatch(
      /<td data-status="[a-z-]+" data-basis="claimed"><a href="#[^"]+" aria-label="[^"(]+">/,
    );
  });

  it('shows the PR #199 sample events on Elastic’s Linux cells: version, setting, no time window, links', async () => {
    const linux = await page('linux');
    const file = JSON.parse(
      await readFile(join(root, 'data/evidence/elastic-linux-pr199/assertions.json'), 'utf8'),
    ) as AssertionsFile;
    expect(Object.keys(file.cells).length).toBeGreaterThan(0);
    for (const [sub, a] of Object.entries(file.cells)) {
      const id = `${sub}--elastic`;
      expect(linux, id).toMatch(
        new RegExp(
          `<td data-status="[a-z-]+" data-basis="(evidence|disagreement)"><a href="#${id}"`,
        ),
      );
      const start = linux.indexOf(`id="${id}" class="cell-detail"`);
      const panel = linux.slice(start, linux.indexOf('</div>', start));
      expect(panel, id).toContain('<b>Evidence</b>');
      expect(panel, id).toContain('evidence re-derived by CI');
      expect(panel, id).toContain(`<dd>${a.product.name} ${a.product.version}</dd>`);
      expect(panel, id).toContain('<dd>no time window: sample events</dd>');
      for (const s of a.settings) expect(panel, id).toContain(s.setting);
      expect(panel, id).toContain(
        `/blob/main/data/evidence/elastic-linux-pr199/record.json#${sub}">evidence record</a>`,
      );
      expect(panel, id).toContain(
        '/blob/main/data/evidence/elastic-linux-pr199/capture.csv.gz">capture</a>',
      );
    }
  });

  it('draws a cell with the same markup in the static table and in the comparison', async () => {
    const cell =
      /<td data-status="[a-z-]+" data-basis="[a-z-]+"><a href="([^"]+)"[^>]*>.*?<\/a><\/td>/g;
    const linux = new Map(
      [...(await page('linux')).matchAll(cell)].map((m) => [m[1] ?? '', m[0]] as const),
    );
    const compared = [...(await page('compare')).matchAll(cell)].filter((m) =>
      m[1]?.startsWith('/linux/#'),
    );
    expect(compared.length).toBeGreaterThan(50);
    expect(compared.some((m) => m[0].includes('class="note"'))).toBe(true);
    expect(compared.some((m) => m[0].includes('data-basis="claimed"'))).toBe(true);
    for (const m of compared) {
      const id = m[1]?.slice('/linux/'.length) ?? '';
      expect(m[0].replace(`href="/linux/${id}"`, `href="${id}"`), id).toBe(linux.get(id));
    }
  });

  it('hashes every inline script and style into the page CSP and uses no style attributes', async () => {
    for (const path of ['linux', 'windows', 'macos', 'scores', 'compare', 'vendors/crowdstrike']) {
      const html = await page(path);
      const csp = /<meta http-equiv="content-security-policy" content="([^"]+)"/.exec(html)?.[1];
      expect(csp, path).toBeDefined();
      const scriptSrc = csp?.split(';').find((d) => d.trim().startsWith('script-src')) ?? '';
      expect(scriptSrc, path).not.toContain('unsafe-inline');
      for (const m of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)) {
        const hash = createHash('sha256')
          .update(m[1] ?? '')
          .digest('base64');
        expect(scriptSrc, `${path}: inline script ${m[1]?.slice(0, 40)}`).toContain(
          `'sha256-${hash}'`,
        );
      }
      const styleSrc = csp?.split(';').find((d) => d.trim().startsWith('style-src')) ?? '';
      for (const m of html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)) {
        const hash = createHash('sha256')
          .update(m[1] ?? '')
          .digest('base64');
        expect(styleSrc.includes(`'sha256-${hash}'`), `${path}: style ${m[1]?.slice(0, 40)}`).toBe(
          true,
        );
      }
      expect(/\sstyle="/.test(html), `${path} has an inline style attribute`).toBe(false);
    }
  });

  it('draws an overruled claim as the matrix shows it on the categories page, not as claimed', async () => {
    const linux = await page('linux');
    expect(linux).toMatch(
      new RegExp(
        `<td data-status="no" data-basis="disagreement"><a href="#${overruled.subId}--${overruled.vendorId}"`,
      ),
    );
    const html = await page('categories');
    const start = html.indexOf(`id="linux-${overruled.subId}"`);
    expect(start).toBeGreaterThan(-1);
    const article = html.slice(start, html.indexOf('</article>', start));
    const groups = [...article.matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) => m[1] ?? '');
    const withVendor = groups.filter((g) => g.includes(overruled.vendorName));
    expect(withVendor).toHaveLength(1);
    expect(withVendor[0]).toContain('No');
    expect(withVendor[0]).not.toContain('Yes');
  });

  it('states the display rule on the methodology page in the words of scoring/provenance.ts', async () => {
    const methodology = (await page('methodology')).replace(/\s+/g, ' ');
    const quote = /<blockquote class="rule"[^>]*> ?<p[^>]*>([^<]*)<\/p>/.exec(methodology)?.[1];
    expect(quote?.trim()).toBe(DISPLAY_RULE);
  });

  it('credits the EDR-Telemetry project with the licence link on every page', async () => {
    for (const f of await htmlFiles(dist)) {
      const html = await readFile(f, 'utf8');
      if (!html.includes('<main')) continue;
      expect(html.includes('href="https://creativecommons.org/licenses/by-nc/4.0/"'), f).toBe(true);
      expect(html.includes('github.com/tsale/EDR-Telemetry'), f).toBe(true);
    }
  });
});

describe('a build over invalid data', () => {
  it('fails and names the file, row, vendor and path of the problem', async () => {
    const data = join(work, 'bad-data');
    await cp(join(root, 'data'), data, { recursive: true });
    const file = join(data, 'matrices', 'linux.json');
    const bad = JSON.parse(await readFile(file, 'utf8')) as {
      categories: { subCategories: { cells: Record<string, { status: string }> }[] }[];
    };
    const cells = bad.categories[0]?.subCategories[0]?.cells ?? {};
    const firstVendor = Object.keys(cells)[0] ?? '';
    (cells[firstVendor] as { status: string }).status = 'Yes';
    await writeFile(file, JSON.stringify(bad));
    const result = build(data, join(work, 'bad-dist'));
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain(
      `matrices/linux.json, row 1 "Process Creation", vendor "${matrix.vendors[0]?.id === firstVendor ? 'Auditd' : firstVendor}" → categories[0].subCategories[0].cells.${firstVendor}.status: expected "yes"`,
    );
  }, 240_000);
});
