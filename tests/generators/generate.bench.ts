/**
 * Speed budget of `npm run generate -- all`: the whole run, and each generator, against budgets
 * that keep it a matter of seconds. Runs the real CLI (as root, to include every generator).
 * Usage: npm run bench:generators [-- --rounds <n>]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '../../generators/manifest.schema.ts';

// Idle, `all` takes about 6 s (17 workers at ~0.3 s startup, plus the runs); the budgets leave
// room for a busy CI machine without letting it drift into minutes.
const BUDGET_TOTAL_MS = 30_000;
/**
 * logon waits for PAM's delay after the wrong password (2 s on Debian); ssh_logon makes three
 * keys, starts an sshd and waits for sshd's and PAM's delays after its wrong password (about 3 s).
 */
const BUDGET_RUN_MS: Record<string, number> = { logon: 8_000, ssh_logon: 12_000 };
const DEFAULT_RUN_MS = 3_000;

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write(
    'Usage: npm run bench:generators [-- --rounds <n>] (n a whole number >= 1)\n',
  );
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  process.stderr.write(
    'Run this benchmark as root so that every generator runs (sudo npm run bench:generators).\n',
  );
  process.exit(2);
}

const cli = join(import.meta.dirname, '..', '..', 'generators', 'cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'etm-bench-'));
const totals: number[] = [];
const perRun = new Map<string, number[]>();
try {
  for (let round = 1; round <= rounds; round++) {
    const out = join(dir, `round-${round}.json`);
    const started = performance.now();
    const res = spawnSync(process.execPath, [cli, 'all', '--json', '--out', out], {
      encoding: 'utf8',
    });
    totals.push(performance.now() - started);
    if (res.status !== 0) {
      process.stderr.write(res.stderr);
      process.stderr.write(
        `Round ${round}: generate exited ${res.status}; the benchmark needs a clean run.\n`,
      );
      process.exit(1);
    }
    for (const run of parseManifest(readFileSync(out, 'utf8'), out).runs) {
      const ms = Date.parse(run.endTime) - Date.parse(run.startTime);
      perRun.set(run.generator, [...(perRun.get(run.generator) ?? []), ms]);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
let over = 0;
const rows: string[] = [];
for (const [name, times] of perRun) {
  const budget = BUDGET_RUN_MS[name] ?? DEFAULT_RUN_MS;
  const m = median(times);
  if (m > budget) over++;
  rows.push(
    `${name.padEnd(20)} ${String(Math.round(m)).padStart(6)} ms  budget ${budget} ms${m > budget ? '  OVER' : ''}`,
  );
}
const total = median(totals);
if (total > BUDGET_TOTAL_MS) over++;
process.stdout.write(
  `${rows.join('\n')}\n${'all (wall clock)'.padEnd(20)} ${String(Math.round(total)).padStart(6)} ms  budget ${BUDGET_TOTAL_MS} ms${total > BUDGET_TOTAL_MS ? '  OVER' : ''}\n(median of ${rounds} rounds)\n`,
);
process.exitCode = over > 0 ? 1 : 0;
