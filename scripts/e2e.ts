/**
 * `npm run test:e2e`: the Playwright suite, in Debian's Chromium. Without that browser (a machine
 * where `npm test` could not install it) the suite skips, saying why and what to run, rather than
 * failing for a missing tool; extra arguments go to `playwright test`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root, run } from './build.ts';
import { installCommand } from './host-packages.ts';

const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  process.stderr.write(
    `Browser tests skipped: ${CHROMIUM} is missing (Debian's chromium package). To run them: ${installCommand(['chromium', 'fonts-dejavu-core', 'fonts-noto-color-emoji'])}\n`,
  );
} else {
  process.exitCode = await run(join(root, 'node_modules', '.bin', 'playwright'), [
    'test',
    ...process.argv.slice(2),
  ]);
}
