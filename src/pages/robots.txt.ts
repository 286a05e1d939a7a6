/**
 * robots.txt, generated so its sitemap address follows the site's origin (EDR_MATRIX_SITE_URL).
 */
import type { APIRoute } from 'astro';
import { robotsTxt, siteOrigin } from '../lib/site.ts';

export const GET: APIRoute = ({ site }) =>
  new Response(robotsTxt((site ?? new URL(siteOrigin())).origin), {
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
