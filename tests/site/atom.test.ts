import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../scoring/schema.ts';
import { atomFeed, escapeXml } from '../../src/lib/atom.ts';
import { changeUrl, commitsNewestFirst } from '../../src/lib/changes.ts';

const base: HistoryEntry = {
  date: '2024-01-01T10:00:00+00:00',
  commit: 'a'.repeat(40),
  pr: null,
  platform: 'linux',
  category: 'Process Activity',
  subCategory: 'Process Creation',
  subCategoryId: 'process-creation',
  vendor: '<img src=x onerror=alert(1)>',
  vendorId: 'img-src-x-onerror-alert-1',
  old: null,
  new: 'yes',
};

const entries: HistoryEntry[] = [
  base,
  // Later in time though earlier as a string: 08:30+00:00 on Feb 1 vs 09:00+02:00 (07:00 UTC).
  {
    ...base,
    commit: 'b'.repeat(40),
    pr: 12,
    date: '2024-02-01T09:00:00+02:00',
    old: 'yes',
    new: 'no',
  },
  {
    ...base,
    commit: 'c'.repeat(40),
    pr: null,
    date: '2024-02-01T08:30:00+00:00',
    new: null,
    old: 'no',
  },
];

const options = {
  site: 'https://example.org/',
  selfPath: '/feed.xml',
  htmlPath: '/history/',
  upstreamUrl: 'https://github.com/tsale/EDR-Telemetry',
  rights: 'CC BY-NC 4.0 & credit',
  limit: 10,
  changesPerEntry: 10,
  statusLabel: (id: string) => id.toUpperCase(),
  platformName: (id: string) => (id === 'linux' ? 'Linux' : id),
};

describe('commitsNewestFirst', () => {
  it('orders commits by instant, not by the date string', () => {
    expect(commitsNewestFirst(entries).map((c) => c.commit[0])).toEqual(['c', 'b', 'a']);
  });
});

describe('changeUrl', () => {
  it('links the pull request when there is one, else the commit', () => {
    expect(changeUrl(options.upstreamUrl, { pr: 12, commit: 'b'.repeat(40) })).toBe(
      'https://github.com/tsale/EDR-Telemetry/pull/12',
    );
    expect(changeUrl(options.upstreamUrl, { pr: null, commit: 'c'.repeat(40) })).toBe(
      `https://github.com/tsale/EDR-Telemetry/commit/${'c'.repeat(40)}`,
    );
  });
});

describe('atomFeed', () => {
  const xml = atomFeed(commitsNewestFirst(entries), options);

  it('escapes every string from data, twice inside html content', () => {
    expect(xml).not.toContain('<img');
    expect(xml).toContain('&amp;lt;img src=x onerror=alert(1)&amp;gt;');
    expect(xml).toContain('<rights>CC BY-NC 4.0 &amp; credit</rights>');
  });

  it('has the elements RFC 4287 requires, newest entry first with its own updated time', () => {
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
      ),
    ).toBe(true);
    expect(xml).toContain('<id>https://example.org/feed.xml</id>');
    expect(xml).toContain('<updated>2024-02-01T08:30:00+00:00</updated>');
    expect(xml).toContain(
      '<link rel="self" type="application/atom+xml" href="https://example.org/feed.xml"/>',
    );
    expect(xml).toMatch(/<author><name>[^<]+<\/name>/);
    const titles = [
      ...xml.matchAll(/<entry>\n {4}<id>[^<]+<\/id>\n {4}<title>([^<]+)<\/title>/g),
    ].map((m) => m[1]);
    expect(titles).toEqual([
      `commit ccccccc: 1 cell change (Linux)`,
      'PR #12: 1 cell change (Linux)',
      'commit aaaaaaa: 1 cell change (Linux)',
    ]);
    expect(xml).toContain('YES → NO');
    expect(xml).toContain('NO → removed');
  });

  it('keeps only the newest commits and says how many changes an entry leaves out', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ ...base, subCategory: `S${i}` }));
    const limited = atomFeed(commitsNewestFirst([...entries, ...many]), {
      ...options,
      limit: 1,
      changesPerEntry: 2,
    });
    expect(limited.match(/<entry>/g)).toHaveLength(1);
    const small = atomFeed(commitsNewestFirst(many), { ...options, changesPerEntry: 2 });
    expect(small).toContain('and 3 more cell changes');
  });
});

describe('escapeXml', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;',
    );
  });
});
