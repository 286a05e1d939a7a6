/**
 * A key written twice in one JSON object is rejected wherever the project reads data: the scan is
 * checked against jsonc-parser (another implementation) on generated documents, then through
 * the loaders maintainers run.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { visit } from 'jsonc-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRuleSets } from '../../generators/evidence/rules.ts';
import { loadCoreData } from '../../scoring/dataset.ts';
import { findDuplicateKeys } from '../../scoring/duplicate-keys.ts';
import { DataValidationError, formatIssue } from '../../scoring/issues.ts';
import { DATA_DIR } from './upstream-fixture.ts';

/** The reference: duplicates as jsonc-parser's visitor sees them, with its path and position. */
function referenceDuplicates(text: string) {
  const found: { key: string; path: (string | number)[]; line: number; column: number }[] = [];
  const stack: Map<string, true>[] = [];
  visit(text, {
    onObjectBegin: () => void stack.push(new Map()),
    onObjectEnd: () => void stack.pop(),
    onObjectProperty: (key, _offset, _length, line, column, pathSupplier) => {
      const keys = stack[stack.length - 1];
      if (!keys) return;
      if (keys.has(key))
        found.push({ key, path: pathSupplier(), line: line + 1, column: column + 1 });
      else keys.set(key, true);
    },
  });
  return found;
}

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Keys that collide only once escapes are decoded, and strings full of structural characters.
const KEYS = ['a', '\\u0061', 'b', 'x\\"y', '{', ']', 'c\\\\', 'cell', 'CrowdStrike'];
const STRINGS = ['"}{"', '"a,b"', '"\\\\"', '"[\\"]"', '""', '"line\\nbreak"'];

function generate(next: () => number, depth: number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T;
  const roll = next();
  if (depth > 3 || roll < 0.3)
    return roll < 0.15 ? pick(STRINGS) : String(Math.floor(next() * 100));
  if (roll < 0.5) {
    const items = Array.from({ length: Math.floor(next() * 4) }, () => generate(next, depth + 1));
    return `[${items.join(',')}]`;
  }
  const members = Array.from(
    { length: Math.floor(next() * 5) },
    () => `"${pick(KEYS)}"${next() < 0.5 ? ' : ' : ':\n'}${generate(next, depth + 1)}`,
  );
  return `{\n${members.join(',\n  ')}}`;
}

describe('findDuplicateKeys', () => {
  it('finds what jsonc-parser finds, with the same path and position, on 2000 generated documents', () => {
    const next = random(20261202);
    let withDuplicates = 0;
    for (let n = 0; n < 2000; n++) {
      const text = generate(next, 0);
      JSON.parse(text); // the scan is only ever given JSON that parses
      const expected = referenceDuplicates(text);
      const actual = findDuplicateKeys(text).map((d) => ({
        key: d.key,
        path: d.path,
        line: d.second.line,
        column: d.second.column,
      }));
      expect(actual, text).toEqual(expected);
      if (expected.length > 0) withDuplicates++;
    }
    // The generator must exercise the interesting case, or the agreement above proves little.
    expect(withDuplicates).toBeGreaterThan(200);
  });

  it('names the first occurrence too', () => {
    const [duplicate] = findDuplicateKeys(
      '{\n  "cell": 1,\n  "other": {"cell": 2},\n  "cell": 3\n}',
    );
    expect(duplicate).toEqual({
      key: 'cell',
      path: [],
      first: { line: 2, column: 3 },
      second: { line: 4, column: 3 },
    });
  });
});

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('loaders reject a duplicate key with file, row, vendor and both lines', () => {
  it('rejects a cell written twice in data/matrices', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etm-dup-'));
    temps.push(dir);
    await cp(DATA_DIR, dir, { recursive: true });
    const file = join(dir, 'matrices', 'linux.json');
    const text = await readFile(file, 'utf8');
    // Repeat the first cell of the first vendor with another status, as a careless merge would.
    const edited = text.replace(
      /("cells": \{\n(\s+))("[a-z0-9-]+": \{[^}]*\})/,
      (_all, head: string, indent: string, cell: string) =>
        `${head}${cell.replace(/"status": "[a-z-]+"/, '"status": "no"')},\n${indent}${cell}`,
    );
    expect(edited).not.toBe(text);
    await writeFile(file, edited);
    const error = await loadCoreData(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    const messages = (error as DataValidationError).issues.map((i) =>
      formatIssue(i).replaceAll(dir, '<data>'),
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /^<data>\/matrices\/linux\.json, row \d+ "[^"]+", vendor "[^"]+" → .*cells: key "[a-z0-9-]+" is written twice in one object \(line \d+, column \d+ and line \d+, column \d+\)/,
    );
  });

  it('rejects a --weights file with a weight written twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etm-dup-'));
    temps.push(dir);
    const weights = join(dir, 'weights.json');
    await writeFile(
      weights,
      '{\n  "linux": {\n    "Process Creation": 1,\n    "Process Creation": 9\n  }\n}\n',
    );
    const result = await promisify(execFile)(
      process.execPath,
      ['scoring/cli.ts', '--weights', weights],
      {
        encoding: 'utf8',
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${weights} → linux: key "Process Creation" is written twice in one object (line 3, column 5 and line 4, column 5)`,
    );
  });

  it('rejects an evidence rules file with a key written twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etm-dup-'));
    temps.push(dir);
    await cp('generators/evidence/rules', dir, { recursive: true });
    const file = join(dir, 'ecs.json');
    const text = await readFile(file, 'utf8');
    await writeFile(
      file,
      text.replace('"schemaVersion": 1,', '"schemaVersion": 1,\n  "schemaVersion": 1,'),
    );
    const error = await loadRuleSets({ dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    expect(String((error as Error).message)).toContain(
      'ecs.json: key "schemaVersion" is written twice in one object (line 2, column 3 and line 3, column 3)',
    );
  });
});
