// @ts-check
import react from '@astrojs/react';
import { defineConfig } from 'astro/config';

export default defineConfig({
  site: 'https://edr-telemetry-matrix.example.org',
  integrations: [react()],
  server: { host: '127.0.0.1', port: 4321 },
  // Shiki's inline styles break the CSP below; Prism emits classes only.
  markdown: { syntaxHighlight: 'prism' },
  // Matrix pages are small enough that inlining all CSS beats a render-blocking request.
  build: { inlineStylesheets: 'always' },
  security: {
    // Astro hashes every script and style it emits into a <meta> CSP; nothing else may run.
    csp: {
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
