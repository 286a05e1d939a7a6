/** The Atom feed of upstream cell changes (newest 50 commits); the full list is /api/v1/history.json. */
import type { APIRoute } from 'astro';
import { FEED_PATH } from '../lib/api.ts';
import { atomFeed } from '../lib/atom.ts';
import { commitsNewestFirst } from '../lib/changes.ts';
import { getDataset } from '../lib/data.ts';

export const GET: APIRoute = async ({ site }) => {
  const data = await getDataset();
  const u = data.provenance.upstream;
  const xml = atomFeed(commitsNewestFirst(data.history.entries), {
    site: site?.href ?? 'http://127.0.0.1:4321/',
    selfPath: FEED_PATH,
    htmlPath: '/history/',
    upstreamUrl: u.url,
    rights: `${u.credit} ${u.licence} (${u.licenceUrl}).`,
    limit: 50,
    changesPerEntry: 100,
    statusLabel: (id) => data.statuses.byId.get(id)?.label ?? id,
    platformName: (id) => data.matrices[id].platform.name,
  });
  return new Response(xml, { headers: { 'Content-Type': 'application/atom+xml; charset=utf-8' } });
};
