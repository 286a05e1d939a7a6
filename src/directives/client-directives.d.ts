/** Types for the site's own client directive (registered in astro.config.mjs). */
declare module 'astro' {
  interface AstroClientDirectives {
    /** Hydrate on the reader's first interaction, or at once when the URL has a query string. */
    'client:interaction'?: boolean;
  }
}

export {};
