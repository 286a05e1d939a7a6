/**
 * Facts: the format-independent things an event can say about an action (pid, path, memfd name,
 * entropy...). Rules (data, one file per input format) say where each fact lives in that format;
 * this module reads facts out of events and compares them with what the manifest says.
 */

import { posix } from 'node:path';
import { textFromBytes, unescapeBytes } from './auditd-raw/decode.ts';
import type { Doc } from './readers/fields.ts';
import { compileField } from './readers/fields.ts';
import type { FactName, FactSource } from './rules.schema.ts';

/** How a fact is compared with the manifest's value. */
type Comparator =
  | 'int'
  | 'text'
  | 'exact'
  | 'exe'
  | 'path'
  | 'argv'
  | 'memfd'
  | 'hex'
  | 'entropy'
  | 'flags'
  | 'ip'
  | 'dns'
  | 'contains'
  | 'present'
  | 'portset'
  | 'ipset'
  | 'direction'
  | 'outcome';

export const FACTS: Record<FactName, { compare: Comparator; label: string; meaning: string }> = {
  pid: {
    compare: 'int',
    label: 'pid',
    meaning: 'process id of the process that acted (or was started)',
  },
  ppid: { compare: 'int', label: 'parent pid', meaning: 'parent process id' },
  executable: { compare: 'exe', label: 'executable', meaning: 'executable path of the process' },
  args: { compare: 'argv', label: 'arguments', meaning: 'argument vector of a started process' },
  exitCode: { compare: 'int', label: 'exit code', meaning: 'exit status of an ended process' },
  memfdName: { compare: 'memfd', label: 'memfd name', meaning: 'name given to memfd_create' },
  memfdFlags: {
    compare: 'flags',
    label: 'memfd flags',
    meaning: 'memfd_create flags as a bit mask (MFD_*)',
  },
  path: { compare: 'path', label: 'path', meaning: 'file path acted on (either side of a rename)' },
  size: { compare: 'int', label: 'size', meaning: 'file size in bytes' },
  entropy: {
    compare: 'entropy',
    label: 'entropy',
    meaning: 'Shannon entropy of the file content, bits per byte',
  },
  headerBytes: { compare: 'hex', label: 'header bytes', meaning: 'first bytes of the file, hex' },
  md5: { compare: 'text', label: 'MD5', meaning: 'MD5 of the file content' },
  sha1: { compare: 'text', label: 'SHA-1', meaning: 'SHA-1 of the file content' },
  sha256: { compare: 'text', label: 'SHA-256', meaning: 'SHA-256 of the file content' },
  // base64 digits: case matters, unlike the hex hashes.
  ssdeep: { compare: 'exact', label: 'ssdeep', meaning: 'ssdeep fuzzy hash of the file content' },
  fuzzyHash: {
    compare: 'present',
    label: 'fuzzy hash',
    meaning: 'a fuzzy hash the manifest has no value for (TLSH), checked for presence only',
  },
  // Every port and address the event names must be one of the action's: a port shared with a
  // neighbour (the listener's port on the client's connect) cannot tie an event to the wrong end.
  ports: { compare: 'portset', label: 'port', meaning: 'ports of a socket (local or remote)' },
  addresses: {
    compare: 'ipset',
    label: 'address',
    meaning: 'IP addresses of a socket (local or remote)',
  },
  dnsName: { compare: 'dns', label: 'DNS question name', meaning: 'DNS question name' },
  scriptContent: {
    compare: 'contains',
    label: 'script text',
    meaning: 'script text run by an interpreter',
  },
  userName: { compare: 'text', label: 'user name', meaning: 'user account acted on or logged on' },
  userId: { compare: 'int', label: 'uid', meaning: 'numeric uid of the account acted on' },
  targetPid: {
    compare: 'int',
    label: 'target pid',
    meaning: 'pid of the process acted on (ptrace, process_vm_*)',
  },
  bpfProgId: { compare: 'int', label: 'BPF program id', meaning: 'id of a loaded BPF program' },
  sensorEvent: {
    compare: 'present',
    label: 'sensor record',
    meaning: "the sensor's own start or stop record",
  },
  request: {
    compare: 'text',
    label: 'request',
    meaning: 'ptrace request (name or number) or the syscall that accessed the process',
  },
  protocol: { compare: 'text', label: 'protocol', meaning: 'transport protocol (tcp, udp)' },
  direction: {
    compare: 'direction',
    label: 'direction',
    meaning: 'outbound (connect, send) or inbound (accept, receive)',
  },
  outcome: {
    compare: 'outcome',
    label: 'outcome',
    meaning: 'whether the call succeeded (success) or was refused (failure)',
  },
};

/**
 * Facts that tell an action apart from its neighbours: when an event carries one and it
 * disagrees with the action, the event is not a record of that action, even if the rule does not
 * list the fact as a key (an export may lack it; one that has it must agree).
 */
export const DISCRIMINATING_FACTS: readonly FactName[] = [
  'request',
  'protocol',
  'direction',
  'outcome',
];

const DIRECTIONS: Record<string, string> = {
  outbound: 'outbound',
  egress: 'outbound',
  outgoing: 'outbound',
  connect: 'outbound',
  sendto: 'outbound',
  sendmsg: 'outbound',
  sendmmsg: 'outbound',
  inbound: 'inbound',
  ingress: 'inbound',
  incoming: 'inbound',
  accept: 'inbound',
  accept4: 'inbound',
  recvfrom: 'inbound',
  recvmsg: 'inbound',
  recvmmsg: 'inbound',
};
const OUTCOMES: Record<string, string> = {
  success: 'success',
  yes: 'success',
  true: 'success',
  ok: 'success',
  failure: 'failure',
  failed: 'failure',
  no: 'failure',
  false: 'failure',
};

/**
 * LAUREL's escaping: %XX for bytes outside printable ASCII. The bytes are read as UTF-8, keeping
 * any that are not as lone surrogates (`textFromBytes`), so a file name that is not UTF-8 equals
 * the manifest's name for it byte for byte instead of collapsing to U+FFFD.
 */
function percentDecode(s: string): string {
  return s.includes('%') ? textFromBytes(unescapeBytes(s)) : s;
}

function decodeAll(v: unknown): unknown {
  if (typeof v === 'string') return percentDecode(v);
  if (Array.isArray(v)) return v.map(decodeAll);
  return v;
}

export interface ReadOptions {
  /** Decode %XX escapes in text values (LAUREL). */
  percent?: boolean;
}

type SourceReader = (doc: Doc) => unknown;

/** Readers per source, compiled once: rules name the same sources for millions of events. */
const compiledPaths = new Map<string, SourceReader>();
const compiledSources = new WeakMap<Exclude<FactSource, string>, SourceReader>();

/** Reads one source; undefined when absent or not parseable. */
function readRaw(doc: Doc, source: FactSource): unknown {
  return sourceReader(source)(doc);
}

function sourceReader(source: FactSource): SourceReader {
  let reader = typeof source === 'string' ? compiledPaths.get(source) : compiledSources.get(source);
  if (reader === undefined) {
    reader = compileSource(source);
    if (typeof source === 'string') compiledPaths.set(source, reader);
    else compiledSources.set(source, reader);
  }
  return reader;
}

function compileSource(source: FactSource): SourceReader {
  if (typeof source === 'string') {
    const get = compileField(source);
    return (doc) => normalise(get(doc));
  }
  if (source.bits !== undefined) {
    const bits = Object.entries(source.bits).map(([field, bit]) => ({
      get: compileField(field),
      bit,
    }));
    return (doc) => {
      let mask = 0;
      let seen = false;
      for (const { get, bit } of bits) {
        const v = get(doc);
        if (v === undefined) continue;
        seen = true;
        if (v === true || v === 'true') mask |= bit;
      }
      return seen ? mask : undefined;
    };
  }
  const get = compileField(source.field ?? '');
  const { index, parse } = source;
  const re = source.regex === undefined ? undefined : new RegExp(source.regex);
  const pick = (v: unknown) => {
    const m = typeof v === 'string' ? (re as RegExp).exec(v) : null;
    return m?.[1];
  };
  const getBase = source.relativeTo === undefined ? undefined : compileField(source.relativeTo);
  return (doc) => {
    let value = get(doc);
    if (value === undefined) return undefined;
    if (index !== undefined) {
      if (!Array.isArray(value)) return undefined;
      value = value[index];
    }
    if (re !== undefined) {
      value = Array.isArray(value) ? value.map(pick).filter((v) => v !== undefined) : pick(value);
      if (Array.isArray(value) && value.length === 0) return undefined;
    }
    if (value === undefined) return undefined;
    if (getBase !== undefined) {
      const base = getBase(doc);
      if (typeof base === 'string') {
        const resolve = (v: unknown) =>
          typeof v === 'string' && v !== '' && !v.startsWith('/') ? posix.resolve(base, v) : v;
        value = Array.isArray(value) ? value.map(resolve) : resolve(value);
      }
    }
    switch (parse) {
      case 'hex': {
        const n =
          typeof value === 'string' ? Number.parseInt(value.replace(/^0x/, ''), 16) : Number(value);
        return Number.isFinite(n) ? n : undefined;
      }
      case 'int': {
        const n = Number(value);
        return Number.isInteger(n) ? n : undefined;
      }
      default:
        return normalise(value);
    }
  };
}

function normalise(value: unknown): unknown {
  if (value === null || value === '' || (Array.isArray(value) && value.length === 0))
    return undefined;
  return value;
}

/** The field names a fact was read from in `doc` (the first source present), for proof lists. */
export function factFields(doc: Doc, sources: readonly FactSource[]): string[] {
  for (const source of sources) {
    if (readRaw(doc, source) === undefined) continue;
    if (typeof source === 'string') return [source];
    if (source.bits !== undefined) return Object.keys(source.bits);
    return source.field === undefined ? [] : [source.field];
  }
  return [];
}

/**
 * A reader of one fact: the first source present, or with `collect` every source's value. Compile
 * once per rule, read per event.
 * @example compileFact(['process.pid'])(doc) // 4242
 */
export function compileFact(
  sources: readonly FactSource[],
  collect = false,
  options: ReadOptions = {},
): (doc: Doc) => unknown {
  const readers = sources.map(sourceReader);
  const read = options.percent
    ? (r: SourceReader, doc: Doc) => decodeAll(r(doc))
    : (r: SourceReader, doc: Doc) => r(doc);
  if (!collect) {
    return (doc) => {
      for (const r of readers) {
        const v = read(r, doc);
        if (v !== undefined) return v;
      }
      return undefined;
    };
  }
  return (doc) => {
    const out: unknown[] = [];
    for (const r of readers) {
      const v = read(r, doc);
      if (v === undefined) continue;
      if (Array.isArray(v)) out.push(...v);
      else out.push(v);
    }
    return out.length === 0 ? undefined : out;
  };
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

/** `/memfd:x (deleted)`, `memfd:x` and `/proc/self/fd/3` style names reduced for comparison. */
function exeKey(v: string): string {
  return v.replace(/ \(deleted\)$/, '').replace(/^\//, '');
}

function normIp(v: string): string {
  const s = v.trim().toLowerCase();
  return s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s;
}

function argvOf(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') {
    if (v.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(v);
        if (Array.isArray(parsed)) return parsed.map(String);
      } catch {}
    }
    return undefined;
  }
  return undefined;
}

/**
 * Whether the event's value agrees with one of the manifest's acceptable values.
 * `expected` is a list of acceptable values; an empty list means "any value present".
 */
export function factAgrees(name: FactName, actual: unknown, expected: readonly unknown[]): boolean {
  if (actual === undefined) return false;
  if (expected.length === 0) return true;
  const cmp = FACTS[name].compare;
  const values = asList(actual);
  switch (cmp) {
    case 'present':
      return true;
    case 'int':
      return values.some((a) => {
        const x = toInt(a);
        return x !== undefined && expected.some((e) => toInt(e) === x);
      });
    case 'text':
      return values.some((a) =>
        expected.some((e) => String(a).trim().toLowerCase() === String(e).trim().toLowerCase()),
      );
    case 'exact':
      return values.some((a) => expected.some((e) => String(a).trim() === String(e)));
    case 'exe':
      return values.some((a) => expected.some((e) => exeKey(String(a)) === exeKey(String(e))));
    case 'path':
      return values.some((a) => expected.some((e) => String(a) === String(e)));
    case 'memfd':
      return values.some((a) => {
        const s = String(a).replace(/^memfd:/, '');
        return expected.some((e) => s === String(e));
      });
    case 'argv': {
      const got = argvOf(actual);
      return expected.some((e) => {
        const want = argvOf(e);
        if (want === undefined) return false;
        if (got !== undefined)
          return got.length === want.length && got.every((g, i) => g === want[i]);
        // A command line string: all arguments joined by spaces, as Elastic's process.command_line.
        return typeof actual === 'string' && actual === want.join(' ');
      });
    }
    case 'hex':
      return values.some((a) => {
        const s = String(a)
          .toLowerCase()
          .replace(/[^0-9a-f]/g, '');
        return expected.some((e) => {
          const w = String(e).toLowerCase();
          const n = Math.min(s.length, w.length);
          // Sensors keep 8 to 32 leading bytes; compare what both have, at least 4 bytes.
          return n >= 8 && s.slice(0, n) === w.slice(0, n);
        });
      });
    case 'entropy':
      return values.some((a) => {
        const x = Number(a);
        return Number.isFinite(x) && expected.some((e) => Math.abs(Number(e) - x) <= 0.01);
      });
    case 'flags': {
      // The five MFD_* bits every sensor can decode; others (huge page sizes) are ignored.
      const known = 0x1f;
      return values.some((a) => {
        const x = toInt(a);
        return x !== undefined && expected.some((e) => ((toInt(e) ?? -1) & known) === (x & known));
      });
    }
    case 'ip':
      return values.some((a) => expected.some((e) => normIp(String(a)) === normIp(String(e))));
    case 'dns':
      return values.some((a) =>
        expected.some(
          (e) =>
            String(a).toLowerCase().replace(/\.$/, '') ===
            String(e).toLowerCase().replace(/\.$/, ''),
        ),
      );
    case 'contains':
      return values.some((a) => expected.some((e) => String(a).includes(String(e))));
    case 'portset': {
      const got = values.map(toInt).filter((x): x is number => x !== undefined && x > 0);
      return got.length > 0 && got.every((x) => expected.some((e) => toInt(e) === x));
    }
    case 'ipset':
      return values.every((a) => expected.some((e) => normIp(String(a)) === normIp(String(e))));
    case 'direction':
      return values.some((a) =>
        expected.some((e) => DIRECTIONS[String(a).toLowerCase()] === String(e)),
      );
    case 'outcome':
      return values.some((a) =>
        expected.some((e) => OUTCOMES[String(a).toLowerCase()] === String(e)),
      );
  }
}
