// @ts-check

import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import react from '@astrojs/react';
import { defineConfig } from 'astro/config';

/** Registers `client:interaction` (src/directives/interaction.ts). */
const interactionDirective = {
  name: 'client-interaction',
  hooks: {
    /** @param {{ addClientDirective: (d: { name: string; entrypoint: string }) => void }} options */
    'astro:config:setup': ({ addClientDirective }) => {
      addClientDirective({
        name: 'interaction',
        entrypoint: fileURLToPath(new URL('./src/directives/interaction.ts', import.meta.url)),
      });
    },
  },
};

/**
 * Hides the matrix toolbar when JavaScript is off (its controls would do nothing; the static
 * table is complete). Must equal the <noscript> style in src/pages/[platform]/index.astro;
 * tests/site/site-build.test.ts checks that every inline style is hashed.
 */
const NOSCRIPT_CSS = '.explorer{display:none}';
/** @param {string} text */
const sha256 = (text) =>
  /** @type {`sha256-${string}`} */ (
    `sha256-${createHash('sha256').update(text).digest('base64')}`
  );

export default defineConfig({
  site: 'https://edr-telemetry-matrix.example.org',
  integrations: [react(), interactionDirective],
  server: { host: '127.0.0.1', port: 4321 },
  // Shiki's inline styles break the CSP below; Prism emits classes only.
  markdown: { syntaxHighlight: 'prism' },
  // Matrix pages are small enough that inlining all CSS beats a render-blocking request.
  build: { inlineStylesheets: 'always' },
  security: {
    // Astro hashes every script and style it emits into a <meta> CSP; nothing else may run.
    csp: {
      styleDirective: { hashes: [sha256(NOSCRIPT_CSS)] },
      directives: [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self' https://github.com",
      ],
    },
  },
});
