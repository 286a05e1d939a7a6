/**
 * The TypeScript decoder reads records at the offsets in agent/src/records.ts; this compares every
 * one of them (and every struct size) with the BTF clang wrote into agent/build/layout.bpf.o, both
 * ways: a field added in C without a TS offset fails too. layout.bpf.o is compiled for the BPF
 * target from the same records.h as the programs (whose -O2 objects keep no BTF for record types),
 * and records.h makes implicit padding a compile error for clang and gcc, so the loader agrees.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAYOUTS } from '../../agent/src/records.ts';
import { announceSkip, BUILD, buildAgent, buildSkipReason } from './helpers.ts';

interface BtfStruct {
  size: number;
  members: Map<string, number>;
}

/** Parses `bpftool btf dump file <obj> format raw` into struct name → size and byte offsets. */
export function parseBtfStructs(raw: string): Map<string, BtfStruct> {
  const structs = new Map<string, BtfStruct>();
  let current: BtfStruct | undefined;
  for (const line of raw.split('\n')) {
    const head = /^\[\d+\] STRUCT '([^']*)' size=(\d+) vlen=\d+/.exec(line);
    if (head) {
      current = { size: Number(head[2]), members: new Map() };
      if (head[1]) structs.set(head[1], current);
      continue;
    }
    const member = /^\s+'([^']*)' type_id=\d+ bits_offset=(\d+)/.exec(line);
    if (member && current) {
      current.members.set(member[1] as string, Number(member[2]) / 8);
      continue;
    }
    if (!line.startsWith('\t') && !line.startsWith(' ')) current = undefined;
  }
  return structs;
}

function dump(obj: string): Map<string, BtfStruct> {
  const r = spawnSync('bpftool', ['btf', 'dump', 'file', obj, 'format', 'raw'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bpftool btf dump ${obj} failed: ${r.stderr}`);
  return parseBtfStructs(r.stdout);
}

function compare(name: string, ts: Record<string, number>, btf: BtfStruct): string[] {
  const problems: string[] = [];
  if (ts.SIZE !== btf.size)
    problems.push(`${name}: size is ${btf.size} in BTF, ${ts.SIZE} in records.ts`);
  for (const [field, off] of btf.members) {
    if (ts[field] === undefined)
      problems.push(`${name}.${field}: at ${off} in BTF, missing in records.ts`);
    else if (ts[field] !== off)
      problems.push(`${name}.${field}: at ${off} in BTF, ${ts[field]} in records.ts`);
  }
  for (const field of Object.keys(ts)) {
    if (field !== 'SIZE' && !btf.members.has(field))
      problems.push(`${name}.${field}: in records.ts, not in BTF`);
  }
  return problems;
}

const skip = announceSkip('agent record layout', buildSkipReason());

describe.skipIf(skip)('record layout shared by BPF, loader and decoder', () => {
  beforeAll(() => buildAgent());

  it('matches every struct of records.h in the layout object', () => {
    const structs = dump(join(BUILD, 'layout.bpf.o'));
    const problems: string[] = [];
    for (const [name, ts] of Object.entries(LAYOUTS)) {
      const btf = structs.get(name);
      if (!btf) problems.push(`${name}: not in the BTF of layout.bpf.o`);
      else problems.push(...compare(name, ts, btf));
    }
    expect(problems).toEqual([]);
  });

  it('reports a drifted offset with the struct, field and both values', () => {
    const btf: BtfStruct = {
      size: 16,
      members: new Map([
        ['type', 0],
        ['version', 2],
        ['size', 4],
        ['ts_ns', 8],
      ]),
    };
    expect(compare('rec_hdr', { type: 0, version: 2, size: 6, ts_ns: 8, SIZE: 16 }, btf)).toEqual([
      'rec_hdr.size: at 4 in BTF, 6 in records.ts',
    ]);
  });
});
