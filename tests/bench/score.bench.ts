/**
 * `npm run bench`: wall time of `score` (all three platforms, validation included) from process
 * start to exit, median of 10, beside the time of `data:import --check` (import + validation).
 * Budget: the scoring process under 200 ms on the reference machine.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const RUNS = 10;
// The same on-disk compile cache the npm scripts use (NODE_COMPILE_CACHE in package.json).
const env = { ...process.env, NODE_COMPILE_CACHE: resolve('node_modules/.cache/node-compile') };
const BUDGET_MS = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function time(label: string, args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) {
      process.stderr.write(`${label} failed (exit ${result.status}):\n${result.stderr}\n`);
      process.exit(1);
    }
    samples.push(ms);
    process.stderr.write(`\r${label}: run ${i + 1}/${RUNS}`);
  }
  process.stderr.write('\n');
  return median(samples);
}

const score = time('score (3 platforms, json)', ['scoring/cli.ts', '--format', 'json']);
const importCheck = time('import + validation', [
  'scoring/import-cli.ts',
  '--from',
  'tests/fixtures/upstream',
  '--check',
]);
const baseline = time('node start-up alone', ['-e', '']);

const rows: [string, number][] = [
  ['score, all platforms, validation included', score],
  ['data:import --check (import + validation)', importCheck],
  ['node start-up alone (for reference)', baseline],
];
process.stdout.write(`\nNode ${process.version}, median of ${RUNS} runs, wall time per process\n`);
for (const [label, ms] of rows)
  process.stdout.write(`  ${label.padEnd(46)} ${ms.toFixed(1).padStart(7)} ms\n`);
const ok = score < BUDGET_MS;
process.stdout.write(`\nBudget: score < ${BUDGET_MS} ms → ${ok ? 'met' : 'MISSED'}\n`);
process.exitCode = ok ? 0 : 1;
