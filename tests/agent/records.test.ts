/**
 * Record constants that are #defines in agent/bpf/records.h, so not in any object's BTF for the
 * layout test: the family bits the ready signal names, the flag values the decoders test and
 * the lengths of the strings they read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DNS_DIR } from '../../agent/src/families/dns/records.ts';
import { FAMILY_BITS, familyNames } from '../../agent/src/families/loader/records.ts';
import { EXECF, MEMFD_NAME_LEN } from '../../agent/src/families/process/records.ts';
import { BASHF_TRUNCATED } from '../../agent/src/families/script/records.ts';
import { MODULE_NAME_LEN } from '../../agent/src/families/security/records.ts';
import { COMM_LEN } from '../../agent/src/records.ts';
import { REPO } from './helpers.ts';

const header = readFileSync(join(REPO, 'agent/bpf/records.h'), 'utf8');

/** The value of `#define NAME 0x..` in records.h. */
function define(name: string): number | undefined {
  const m = new RegExp(`^#define ${name}\\s+(0x[0-9a-fA-F]+|\\d+)\\b`, 'm').exec(header);
  return m ? Number(m[1]) : undefined;
}

describe('record constants shared with records.h', () => {
  it('gives every FAM_* bit its --families name', () => {
    const c = [...header.matchAll(/^#define (FAM_[A-Z]+)\s+(0x[0-9a-fA-F]+)\b/gm)].map(
      ([, n, v]) => [n, Number(v)] as const,
    );
    // FAM_SCRIPT is the family `--families` calls bash.
    const cName = (n: string) => (n === 'bash' ? 'FAM_SCRIPT' : `FAM_${n.toUpperCase()}`);
    expect(Object.entries(FAMILY_BITS).map(([n, v]) => [cName(n), v])).toEqual(c);
  });

  it('names the families of a mask in order', () => {
    expect(familyNames(0x1ff)).toEqual(Object.keys(FAMILY_BITS));
    expect(familyNames(0x101)).toEqual(['process', 'image']);
  });

  it('has the flag values of records.h', () => {
    expect(DNS_DIR).toEqual({ QUERY: define('DNS_DIR_QUERY'), ANSWER: define('DNS_DIR_ANSWER') });
    expect(BASHF_TRUNCATED).toBe(define('BASHF_TRUNCATED'));
    for (const [name, value] of Object.entries(EXECF)) {
      expect(value, `EXECF_${name}`).toBe(define(`EXECF_${name}`));
    }
  });

  it('has the string lengths of records.h', () => {
    expect(COMM_LEN).toBe(define('TASK_COMM_LEN_REC'));
    expect(MEMFD_NAME_LEN).toBe(define('MEMFD_NAME_LEN'));
    expect(MODULE_NAME_LEN).toBe(define('MODULE_NAME_LEN_REC'));
  });
});
