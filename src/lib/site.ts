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
  { href: '/contribute/', label: 'Contribute' },
  { href: '/search/', label: 'Search' },
];

/** True when `current` is `href` or a page below it, for `aria-current`. */
export function isCurrentPath(current: string, href: string): boolean {
  const norm = (p: string) => (p.endsWith('/') ? p : `${p}/`);
  return href === '/' ? norm(current) === '/' : norm(current).startsWith(norm(href));
}
