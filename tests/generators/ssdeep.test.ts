import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ssdeep } from '../../scripts/lib/ssdeep.ts';
import { ssdeepProgram } from '../ssdeep-program.ts';
import { ROOT } from './helpers.ts';

/** Deterministic bytes: SHA-256 of "etm-<i>" for each 32-byte block. */
function pseudoRandom(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i * 32 < size; i++)
    createHash('sha256')
      .update(`etm-${i}`)
      .digest()
      .copy(out, i * 32);
  return out;
}

function text(size: number): Buffer {
  const line = 'The quick brown fox jumps over the lazy dog 0123456789\n';
  return Buffer.from(line.repeat(Math.ceil(size / line.length) + 1)).subarray(0, size);
}

const golden = JSON.parse(
  readFileSync(join(ROOT, 'tests', 'fixtures', 'generators', 'ssdeep.json'), 'utf8'),
) as {
  cases: Array<{ kind: 'pseudo-random' | 'text'; size: number; ssdeep: string }>;
};

describe('ssdeep', () => {
  it.each(golden.cases)(
    'matches the ssdeep tool for $size bytes of $kind',
    ({ kind, size, ssdeep: expected }) => {
      expect(ssdeep(kind === 'text' ? text(size) : pseudoRandom(size))).toBe(expected);
    },
  );

  const tool = spawnSync('ssdeep', ['-V'], { encoding: 'utf8' });
  if (tool.error !== undefined)
    console.warn(
      'tests/generators/ssdeep.test.ts: the ssdeep program is not installed; only the golden cases run.',
    );
  it.runIf(tool.error === undefined)(
    'matches the installed ssdeep program on random inputs of many sizes',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'etm-ssdeep-test-'));
      try {
        for (const size of [1, 3, 64, 193, 1000, 20_000, 250_000, 2_000_000]) {
          const data = randomBytes(size);
          const file = join(dir, 'x.bin');
          writeFileSync(file, data);
          expect(ssdeep(data), `size ${size}`).toBe(ssdeepProgram(file));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
