// @ts-check
import react from '@astrojs/react';
import { defineConfig } from 'astro/config';

export default defineConfig({
  site: 'https://edr-telemetry-matrix.example.org',
  integrations: [react()],
  server: { host: '127.0.0.1', port: 4321 },
});
