/**
 * Site-wide constants: the one place the project's repository address and the site's navigation
 * are spelt, so a fork changes them once.
 */

/** Where readers dispute a cell; issues open here with the cell's details prefilled. */
export const PROJECT_REPO_URL = 'https://github.com/edr-telemetry-matrix/edr-telemetry-matrix';

export interface NavLink {
  href: string;
  label: string;
}

/** Header navigation, in reading order. Paths end with "/" because the build emits directories. */
export const NAV_LINKS: readonly NavLink[] = [
  { href: '/linux/', label: 'Linux' },
  { href: '/windows/', label: 'Windows' },
  { href: '/macos/', label: 'macOS' },
  { href: '/scores/', label: 'Scores' },
  { href: '/vendors/', label: 'Vendors' },
  { href: '/compare/', label: 'Compare' },
  { href: '/categories/', label: 'Categories' },
  { href: '/history/', label: 'History' },
  { href: '/methodology/', label: 'Methodology' },
  { href: '/faq/', label: 'FAQ' },
  { href: '/contribute/', label: 'Contribute' },
  { href: '/search/', label: 'Search' },
];

/** Footer navigation: the pages that explain the data, for readers who reach the end of a page. */
export const FOOTER_LINKS: readonly NavLink[] = [
  { href: '/faq/', label: 'FAQ' },
  { href: '/criteria/', label: 'Inclusion criteria' },
  { href: '/methodology/', label: 'Methodology' },
  { href: '/contribute/', label: 'Contribute' },
];

/** True when `current` is `href` or a page below it, for `aria-current`. */
export function isCurrentPath(current: string, href: string): boolean {
  const norm = (p: string) => (p.endsWith('/') ? p : `${p}/`);
  return href === '/' ? norm(current) === '/' : norm(current).startsWith(norm(href));
}

/** Today's placeholder origin, used when the build is not told where the site is deployed. */
export const DEFAULT_SITE_ORIGIN = 'https://edr-telemetry-matrix.example.org';

/**
 * The origin the site is deployed at, from `EDR_MATRIX_SITE_URL` (default
 * {@link DEFAULT_SITE_ORIGIN}). Astro's `site` takes it, so canonical links, og:url, og:image and
 * the sitemap's URLs all follow one setting. Only an origin: the site is built for the root path.
 *
 * @example siteOrigin({ EDR_MATRIX_SITE_URL: 'https://matrix.example.com/' }) // 'https://matrix.example.com'
 */
export function siteOrigin(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const raw = env.EDR_MATRIX_SITE_URL?.trim() || DEFAULT_SITE_ORIGIN;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(
      `EDR_MATRIX_SITE_URL is "${raw}", which is not a URL. Set it to the site's origin, e.g. https://matrix.example.com, or unset it for ${DEFAULT_SITE_ORIGIN}.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(
      `EDR_MATRIX_SITE_URL is "${raw}"; links in previews and the sitemap need an http or https origin, e.g. https://matrix.example.com.`,
    );
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new Error(
      `EDR_MATRIX_SITE_URL is "${raw}"; give only the origin (${url.origin}): the site is built to be served from the root path.`,
    );
  }
  return url.origin;
}

/**
 * Pages kept out of the sitemap and the search index: the 404 page and the search page itself
 * (a results page says nothing a search engine or Pagefind should return).
 */
const UNLISTED_PATHS: readonly string[] = ['/404/', '/search/'];

/** True for a path in {@link UNLISTED_PATHS}, with or without its trailing slash or index.html. */
export function isUnlistedPage(pathname: string): boolean {
  const path = pathname.replace(/(index)?\.html$/, '').replace(/\/?$/, '/');
  return UNLISTED_PATHS.includes(path);
}

/**
 * robots.txt for a site at `origin`: every page may be crawled and the sitemap is named. The search
 * index's files are internals, not pages; the 404 and search pages stay crawlable so crawlers see
 * their `noindex`.
 */
export function robotsTxt(origin: string): string {
  return [
    'User-agent: *',
    'Allow: /',
    'Disallow: /pagefind/',
    '',
    `Sitemap: ${new URL('/sitemap-index.xml', origin).href}`,
    '',
  ].join('\n');
}
