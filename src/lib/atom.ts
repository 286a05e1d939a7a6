/**
 * The Atom feed (RFC 4287) of upstream cell changes: one entry per commit, newest first, every
 * string from data escaped, so feed readers can follow the matrix without visiting the site.
 */
import type { HistoryEntry, PlatformId, StatusId } from '../../scoring/schema.ts';
import { type CommitChanges, changeLabel, changeUrl, commitUrl } from './changes.ts';

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface AtomOptions {
  /** Absolute address of the site, e.g. https://example.org/ */
  site: string;
  /** Path of the feed itself on the site. */
  selfPath: string;
  /** Path of the page that shows the same changes. */
  htmlPath: string;
  upstreamUrl: string;
  rights: string;
  /** How many commits the feed carries; older ones are in /api/v1/history.json. */
  limit: number;
  /** Cell changes listed per entry before "and N more". */
  changesPerEntry: number;
  statusLabel: (id: StatusId) => string;
  platformName: (id: PlatformId) => string;
}

function describeChange(entry: HistoryEntry, o: AtomOptions): string {
  const from = entry.old === null ? 'new cell' : o.statusLabel(entry.old);
  const to = entry.new === null ? 'removed' : o.statusLabel(entry.new);
  return `${o.platformName(entry.platform)} · ${entry.subCategory} · ${entry.vendor}: ${from} → ${to}`;
}

/** The entry's body as HTML, which Atom carries escaped inside `<content type="html">`. */
function entryHtml(change: CommitChanges, o: AtomOptions): string {
  const shown = change.entries.slice(0, o.changesPerEntry);
  const items = shown.map((e) => `<li>${escapeXml(describeChange(e, o))}</li>`).join('');
  const rest = change.entries.length - shown.length;
  const more = rest > 0 ? `<p>and ${rest} more cell changes; see the history data.</p>` : '';
  return `<ul>${items}</ul>${more}`;
}

function platformsOf(change: CommitChanges, o: AtomOptions): string {
  return [...new Set(change.entries.map((e) => e.platform))].map(o.platformName).join(', ');
}

/** Renders the feed. `changes` must be newest first (see `commitsNewestFirst`). */
export function atomFeed(changes: readonly CommitChanges[], o: AtomOptions): string {
  const abs = (path: string) => new URL(path, o.site).href;
  const kept = changes.slice(0, o.limit);
  const updated = kept[0]?.date ?? new Date(0).toISOString();
  const entries = kept.map((change) => {
    const count = change.entries.length;
    const title = `${changeLabel(change)}: ${count} cell change${count === 1 ? '' : 's'} (${platformsOf(change, o)})`;
    return [
      '  <entry>',
      `    <id>${escapeXml(commitUrl(o.upstreamUrl, change.commit))}</id>`,
      `    <title>${escapeXml(title)}</title>`,
      `    <updated>${escapeXml(change.date)}</updated>`,
      `    <link rel="alternate" type="text/html" href="${escapeXml(changeUrl(o.upstreamUrl, change))}"/>`,
      `    <content type="html">${escapeXml(entryHtml(change, o))}</content>`,
      '  </entry>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${escapeXml(abs(o.selfPath))}</id>`,
    '  <title>EDR Telemetry Matrix: cell changes</title>',
    '  <subtitle>Changes to the EDR-Telemetry matrices, one entry per upstream commit.</subtitle>',
    `  <updated>${escapeXml(updated)}</updated>`,
    `  <link rel="self" type="application/atom+xml" href="${escapeXml(abs(o.selfPath))}"/>`,
    `  <link rel="alternate" type="text/html" href="${escapeXml(abs(o.htmlPath))}"/>`,
    `  <author><name>EDR-Telemetry contributors</name><uri>${escapeXml(o.upstreamUrl)}</uri></author>`,
    `  <rights>${escapeXml(o.rights)}</rights>`,
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
