/**
 * Finds keys that appear twice in one JSON object. `JSON.parse` keeps the last one silently, so a
 * pull request could change a status while the diff shows the old value too; every file the
 * project reads as data goes through this check.
 *
 * Hand-written rather than a parser library's visitor: it runs after `JSON.parse` has accepted
 * the text (so it only has to recognise valid JSON) and costs a few milliseconds on
 * `data/history.json` where jsonc-parser's `visit` took about 115 ms, which the scoring budget
 * cannot afford. `tests/scoring/duplicate-keys.test.ts` checks it against jsonc-parser.
 */

export interface KeyOccurrence {
  /** 1-based line and column of the key's opening quote. */
  line: number;
  column: number;
}

export interface DuplicateKey {
  /** The key as JSON.parse reads it (escapes decoded). */
  key: string;
  /** Path of the object holding the key, e.g. `[2]` or `["categories", 0, "cells"]`. */
  path: (string | number)[];
  first: KeyOccurrence;
  second: KeyOccurrence;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

interface ObjectFrame {
  kind: 'object';
  /** Keys seen so far and their offsets, side by side: objects are small, so a scan beats a Map. */
  keys: string[];
  offsets: number[];
  /** The key whose value is being read, for the path of nested duplicates. */
  current: string | undefined;
}
interface ArrayFrame {
  kind: 'array';
  index: number;
}

/** Every duplicate key in `text`, which must be JSON that `JSON.parse` accepts. */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  const found: { key: string; path: (string | number)[]; first: number; second: number }[] = [];
  const stack: (ObjectFrame | ArrayFrame)[] = [];
  // Jump from one structural character to the next natively; only strings need a closer look.
  const structural = /["{}[\],]/g;
  for (let match = structural.exec(text); match !== null; match = structural.exec(text)) {
    const i = match.index;
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = text.indexOf('"', i + 1);
      // A quote preceded by an odd number of backslashes belongs to the string.
      for (;;) {
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      structural.lastIndex = end + 1;
      const frame = stack[stack.length - 1];
      if (frame?.kind === 'object' && frame.current === undefined) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const seen = frame.keys.indexOf(key);
        if (seen !== -1) {
          found.push({ key, path: pathOf(stack), first: frame.offsets[seen] as number, second: i });
        } else {
          frame.keys.push(key);
          frame.offsets.push(i);
        }
        frame.current = key;
      }
    } else if (c === OPEN_OBJECT)
      stack.push({ kind: 'object', keys: [], offsets: [], current: undefined });
    else if (c === OPEN_ARRAY) stack.push({ kind: 'array', index: 0 });
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) stack.pop();
    else if (c === COMMA) {
      const frame = stack[stack.length - 1];
      if (frame?.kind === 'object') frame.current = undefined;
      else if (frame) frame.index++;
    }
  }
  if (found.length === 0) return [];
  const lines = lineStarts(text);
  return found.map((d) => ({
    key: d.key,
    path: d.path,
    first: position(lines, d.first),
    second: position(lines, d.second),
  }));
}

/** The path of the innermost object, as keys and indexes from the root. */
function pathOf(stack: readonly (ObjectFrame | ArrayFrame)[]): (string | number)[] {
  const path: (string | number)[] = [];
  for (let depth = 0; depth < stack.length - 1; depth++) {
    const frame = stack[depth] as ObjectFrame | ArrayFrame;
    path.push(frame.kind === 'array' ? frame.index : (frame.current as string));
  }
  return path;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return starts;
}

function position(lines: readonly number[], offset: number): KeyOccurrence {
  let low = 0;
  let high = lines.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((lines[mid] as number) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (lines[low] as number) + 1 };
}
