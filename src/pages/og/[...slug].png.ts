/**
 * Link-preview images, drawn at build time from the data (src/lib/og/): one per platform matrix,
 * one per vendor, one per other kind of page. No request leaves the build.
 */
import type { APIRoute, GetStaticPaths } from 'astro';
import { getDataset } from '../../lib/data.ts';
import { previewCards } from '../../lib/og/cards.ts';
import type { PreviewCard } from '../../lib/og/og.types.ts';
import { renderPng } from '../../lib/og/render.ts';
import { siteOrigin } from '../../lib/site.ts';

export const getStaticPaths = (async () => {
  const cards = previewCards(await getDataset(), siteOrigin());
  return [...cards.values()].map((card) => ({ params: { slug: card.slug }, props: { card } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute<{ card: PreviewCard }> = async ({ props }) =>
  new Response(await renderPng(props.card), { headers: { 'Content-Type': 'image/png' } });
