/**
 * Link-preview images, drawn at build time from the data (src/lib/og/): one per platform matrix,
 * one per vendor, one per other kind of page. No request leaves the build.
 */
import type { APIRoute, GetStaticPaths } from 'astro';
import { getShownDataset } from '../../lib/data.ts';
import { previewCards } from '../../lib/og/cards.ts';
import { CARD_MAX_BYTES, type PreviewCard } from '../../lib/og/og.types.ts';
import { renderPng } from '../../lib/og/render.ts';
import { siteOrigin } from '../../lib/site.ts';

export const getStaticPaths = (async () => {
  const cards = previewCards(await getShownDataset(), siteOrigin());
  return [...cards.values()].map((card) => ({ params: { slug: card.slug }, props: { card } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute<{ card: PreviewCard }> = async ({ props }) => {
  const png = await renderPng(props.card);
  // Chat apps drop previews past about 100 KB: a card that grows past it fails the build, here.
  if (png.length > CARD_MAX_BYTES) {
    throw new Error(
      `The preview image /og/${props.card.slug}.png is ${png.length} bytes, over the ${CARD_MAX_BYTES}-byte limit; simplify the card in src/lib/og/cards.ts.`,
    );
  }
  return new Response(png, { headers: { 'Content-Type': 'image/png' } });
};
