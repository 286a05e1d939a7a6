/**
 * Draws preview cards as PNG at build time, offline: satori lays the card out and turns its text
 * into SVG paths with Inter (from @fontsource/inter, SIL Open Font License 1.1; only glyph outlines
 * end up in the images), then resvg's WebAssembly build (no native packages) rasterises the SVG.
 * Fonts and the wasm are read from node_modules with fs: no network. `png.ts` writes the PNG.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { type CSSProperties, createElement, type ReactNode } from 'react';
import satori from 'satori';
import {
  CARD_HEIGHT,
  CARD_WIDTH,
  type CardCredit,
  type MatrixCard,
  type PageCard,
  type PreviewCard,
  type VendorCard,
} from './og.types.ts';
import { encodePng } from './png.ts';

/** Light theme of the site (src/styles/global.css): previews show on any background. */
const COLORS = {
  bg: '#ffffff',
  bgAlt: '#f3f4f6',
  text: '#1a1a1a',
  muted: '#4a4f57',
  border: '#d4d7dc',
  accent: '#0b57d0',
  bar: '#2f6f4e',
  /** Heat map: no points, half points, full points. */
  none: '#d3d6db',
  half: '#e2a52b',
  full: '#1f7a4d',
} as const;

type Child = ReactNode;
const el = (style: CSSProperties, ...children: Child[]) =>
  createElement('div', { style: { display: 'flex', ...style } }, ...children);
const text = (style: CSSProperties, content: string) =>
  createElement('div', { style: { display: 'flex', ...style } }, content);

function mix(a: string, b: string, t: number): string {
  const pa = Number.parseInt(a.slice(1), 16);
  const pb = Number.parseInt(b.slice(1), 16);
  const channel = (shift: number) => {
    const x = (pa >> shift) & 255;
    const y = (pb >> shift) & 255;
    return Math.round(x + (y - x) * t);
  };
  return `#${((channel(16) << 16) | (channel(8) << 8) | channel(0)).toString(16).padStart(6, '0')}`;
}

/** Colour of a status value (0..1): grey for none, amber for half, green for full points. */
function heatColor(value: number): string {
  const v = Math.min(1, Math.max(0, value));
  return v <= 0.5
    ? mix(COLORS.none, COLORS.half, v * 2)
    : mix(COLORS.half, COLORS.full, (v - 0.5) * 2);
}

/** Shortens a name to `max` characters with an ellipsis, so a long product name keeps its row. */
const shorten = (name: string, max: number) =>
  name.length <= max ? name : `${name.slice(0, max - 1).trimEnd()}…`;

const points = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0$/, ''));

function frame(url: string, credit: CardCredit, ...body: Child[]) {
  return el(
    {
      width: CARD_WIDTH,
      height: CARD_HEIGHT,
      flexDirection: 'column',
      background: COLORS.bg,
      color: COLORS.text,
      fontFamily: 'Inter',
    },
    el(
      {
        justifyContent: 'space-between',
        alignItems: 'baseline',
        padding: '32px 48px 0',
        fontSize: 26,
        color: COLORS.muted,
      },
      text({ fontWeight: 700, color: COLORS.accent }, 'EDR Telemetry Matrix'),
      text({ fontSize: 22 }, url),
    ),
    el(
      { flexDirection: 'column', flexGrow: 1, padding: '6px 48px 0', overflow: 'hidden' },
      ...body,
    ),
    el(
      {
        borderTop: `2px solid ${COLORS.border}`,
        padding: '12px 48px 14px',
        background: COLORS.bgAlt,
        fontSize: 21,
        color: COLORS.muted,
      },
      `Data: ${credit.project} (${credit.host}), ${credit.licence}, commit ${credit.commit}`,
    ),
  );
}

function matrixLayout(card: MatrixCard) {
  const leader = card.rows[0];
  const heatHeight = 380;
  const labelWidth = 180;
  // Card width less side padding (2 × 48), the facts column (330) and the gap (28).
  const heatWidth = CARD_WIDTH - 96 - 330 - 28 - labelWidth;
  const cellH = Math.min(24, Math.floor(heatHeight / Math.max(1, card.rows.length)));
  const cellW = Math.max(4, Math.floor(heatWidth / Math.max(1, card.subCategories)));
  const labelSize = Math.min(17, cellH - 3);
  const heat = el(
    { flexDirection: 'column', gap: 0 },
    ...card.rows.map((row) =>
      el(
        { alignItems: 'center', height: cellH },
        labelSize >= 11
          ? text(
              {
                width: labelWidth,
                flexShrink: 0,
                fontSize: labelSize,
                color: COLORS.muted,
                overflow: 'hidden',
                whiteSpace: 'nowrap',
                paddingRight: 8,
                justifyContent: 'flex-end',
              },
              shorten(row.name, 18),
            )
          : el({ width: 0 }),
        ...row.values.map((v) =>
          el({ width: cellW - 1, height: cellH - 1, marginRight: 1, background: heatColor(v) }),
        ),
      ),
    ),
  );
  return frame(
    card.url,
    card.credit,
    text(
      { fontSize: 54, fontWeight: 700, marginBottom: 14 },
      `${card.platformName} telemetry matrix`,
    ),
    el(
      { gap: 28, flexGrow: 1 },
      el(
        { flexDirection: 'column', width: 330, gap: 6 },
        text({ fontSize: 34, fontWeight: 700 }, `${card.rows.length} products`),
        text({ fontSize: 26, color: COLORS.muted }, `× ${card.subCategories} sub-categories`),
        leader
          ? el(
              { flexDirection: 'column', marginTop: 14 },
              text({ fontSize: 22, color: COLORS.muted }, 'Best score'),
              text({ fontSize: 30, fontWeight: 700 }, shorten(leader.name, 36)),
              text({ fontSize: 24 }, `${points(leader.score)} of ${points(card.maxScore)} points`),
            )
          : el({}),
        el(
          { flexDirection: 'column', marginTop: 16, gap: 6 },
          ...card.scale.map((step) =>
            el(
              { alignItems: 'center', gap: 10, fontSize: 19 },
              el({ width: 22, height: 22, background: heatColor(step.value), flexShrink: 0 }),
              text({}, `${points(step.value)}: ${step.labels.join(', ')}`),
            ),
          ),
        ),
      ),
      heat,
    ),
  );
}

function vendorLayout(card: VendorCard) {
  const measured = card.platforms.some((p) => p.measured);
  return frame(
    card.url,
    card.credit,
    el(
      { flexDirection: 'column', marginBottom: 16 },
      text({ fontSize: 56, fontWeight: 700, lineHeight: 1.1 }, shorten(card.name, 40)),
      text(
        { fontSize: 26, color: measured ? COLORS.full : COLORS.muted, marginTop: 4 },
        measured
          ? 'Measured by this project: statuses from captured events'
          : `Claimed: statuses as the ${card.credit.project} project lists them`,
      ),
    ),
    ...card.platforms.map((p) =>
      el(
        {
          alignItems: 'center',
          gap: 24,
          padding: '12px 0',
          borderTop: `1px solid ${COLORS.border}`,
        },
        text({ width: 190, fontSize: 34, fontWeight: 700 }, p.platformName),
        el(
          { flexDirection: 'column', width: 250 },
          text({ fontSize: 34, fontWeight: 700 }, `${points(p.score)} / ${points(p.maxScore)}`),
          text(
            { fontSize: 22, color: COLORS.muted },
            `rank ${p.rank} of ${p.of}${p.ofMeasured ? ' measured sensors' : ''}`,
          ),
        ),
        el(
          { flexDirection: 'column', width: 330, gap: 6 },
          el(
            { width: 300, height: 18, background: COLORS.none },
            el({
              width: Math.round((300 * p.covered) / Math.max(1, p.cells)),
              height: 18,
              background: COLORS.bar,
            }),
          ),
          text({ fontSize: 22 }, `${p.covered} of ${p.cells} covered`),
        ),
        text(
          { fontSize: 22, color: p.evidenced > 0 ? COLORS.full : COLORS.muted, width: 220 },
          p.evidenced > 0
            ? `${p.evidenced} of ${p.cells} backed by evidence`
            : 'no cell backed by evidence yet',
        ),
      ),
    ),
  );
}

function pageLayout(card: PageCard) {
  return frame(
    card.url,
    card.credit,
    el(
      { flexDirection: 'column', flexGrow: 1, justifyContent: 'center', gap: 24 },
      text({ fontSize: 72, fontWeight: 700, lineHeight: 1.1 }, card.title),
      text({ fontSize: 34, color: COLORS.muted, lineHeight: 1.3, maxWidth: 1040 }, card.summary),
      el(
        { gap: 14, marginTop: 10, flexWrap: 'wrap' },
        ...card.facts.map((f) =>
          text(
            {
              fontSize: 24,
              padding: '6px 14px',
              background: COLORS.bgAlt,
              border: `1px solid ${COLORS.border}`,
            },
            f,
          ),
        ),
      ),
    ),
  );
}

/** The card's layout as the element tree satori reads. */
function cardLayout(card: PreviewCard): ReactNode {
  switch (card.kind) {
    case 'matrix':
      return matrixLayout(card);
    case 'vendor':
      return vendorLayout(card);
    case 'page':
      return pageLayout(card);
  }
}

/** Resolves installed packages from the project root Astro builds from (not from the bundle). */
const fromRoot = () => createRequire(join(process.cwd(), 'package.json'));

interface Renderer {
  fonts: { name: string; data: Buffer; weight: 400 | 700; style: 'normal' }[];
}

let ready: Promise<Renderer> | undefined;

function renderer(): Promise<Renderer> {
  ready ??= (async () => {
    const require = fromRoot();
    const [wasm, regular, bold] = await Promise.all([
      readFile(require.resolve('@resvg/resvg-wasm/index_bg.wasm')),
      readFile(require.resolve('@fontsource/inter/files/inter-latin-400-normal.woff')),
      readFile(require.resolve('@fontsource/inter/files/inter-latin-700-normal.woff')),
    ]);
    await initWasm(wasm);
    return {
      fonts: [
        { name: 'Inter', data: regular, weight: 400, style: 'normal' },
        { name: 'Inter', data: bold, weight: 700, style: 'normal' },
      ],
    };
  })();
  return ready;
}

/** The card as SVG (text already turned into paths). */
async function renderSvg(card: PreviewCard): Promise<string> {
  const { fonts } = await renderer();
  return satori(cardLayout(card), { width: CARD_WIDTH, height: CARD_HEIGHT, fonts });
}

/** The card as a PNG of CARD_WIDTH × CARD_HEIGHT. */
export async function renderPng(card: PreviewCard): Promise<Uint8Array<ArrayBuffer>> {
  const svg = await renderSvg(card);
  const resvg = new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } });
  const image = resvg.render();
  try {
    return encodePng(image.pixels, image.width, image.height);
  } finally {
    image.free();
    resvg.free();
  }
}
