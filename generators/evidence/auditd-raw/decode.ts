/**
 * Decoding auditd's field values the way LAUREL writes them, so LAUREL's rules read a plain
 * audit.log unchanged: hex-encoded strings to bytes, bytes to LAUREL's percent escape, socket
 * addresses to `{ saddr_fam, addr, port }`, numbers to numbers, hex and octal to `0x…` / `0o…`.
 *
 * **Bytes stay bytes.** A file name or argument need not be UTF-8 (`run-\xff\xfe`). Decoded
 * strings are written in LAUREL's escaped form, which is lossless: control bytes, 0x7f, `%`, `+`
 * and every byte that is not part of well-formed UTF-8 become `%xx` (lower-case hex); ASCII and
 * well-formed UTF-8 stay text. `run-\xff\xfe` is `run-%ff%fe`, as LAUREL 0.5.1 writes it (see
 * tests/fixtures/evidence/auditd-raw/laurel.raw.jsonl); `unescapeBytes` gives the exact bytes back.
 */
import type { RawValue } from './record.ts';

const HEX_TEXT = /^(?:[0-9A-F]{2})+$/;

/** Length of the well-formed UTF-8 sequence starting at `i` (RFC 3629), or 0. */
function utf8Length(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

const escaped = (b: number) => `%${b.toString(16).padStart(2, '0')}`;

/**
 * Bytes → LAUREL's escaped text (lossless), as LAUREL 0.5.1 writes it: control bytes, 0x7f, `%`,
 * `+` and every byte that is not part of well-formed UTF-8 become `%xx`; well-formed UTF-8 stays
 * text.
 * @example escapeBytes(Buffer.from([0x72, 0xff])) // 'r%ff'
 * @example escapeBytes(Buffer.from('café 5%+')) // 'café 5%25%2b'
 */
export function escapeBytes(bytes: Uint8Array): string {
  let plain = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 || b >= 0x7f || b === 0x25 || b === 0x2b) {
      plain = false;
      break;
    }
  }
  // Most values need no escape: one conversion instead of a string built byte by byte.
  if (plain) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let out = '';
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i] as number;
    if (b >= 0x80) {
      const n = utf8Length(buf, i);
      if (n > 0) {
        out += buf.toString('utf8', i, i + n);
        i += n - 1;
      } else out += escaped(b);
    } else if (b < 0x20 || b === 0x7f || b === 0x25 || b === 0x2b) out += escaped(b);
    else out += String.fromCharCode(b);
  }
  return out;
}

/**
 * LAUREL's escaped text → the exact bytes (a `%` not followed by two hex digits stays literal).
 * @example unescapeBytes('run-%ff%fe') // <Buffer 72 75 6e 2d ff fe>
 */
export function unescapeBytes(text: string): Buffer {
  const parts: Buffer[] = [];
  let run = '';
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x25 && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      if (run !== '') parts.push(Buffer.from(run, 'utf8'));
      run = '';
      parts.push(Buffer.from([Number.parseInt(text.slice(i + 1, i + 3), 16)]));
      i += 2;
    } else run += text[i];
  }
  if (run !== '') parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/**
 * Bytes → a JS string that keeps every byte (PEP 383's "surrogateescape", as Python's
 * `os.fsdecode`): well-formed UTF-8 is text, each other byte `b` the lone surrogate U+DC00+b,
 * which no UTF-8 text decodes to. This is how a name that is not UTF-8 is compared with a
 * manifest and written into JSON (`JSON.stringify` shows it as `"\udcff"`).
 * @example textFromBytes(Buffer.from([0x72, 0xff])) // 'r\udcff'
 */
export function textFromBytes(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let out = '';
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i] as number;
    if (b < 0x80) continue;
    const n = utf8Length(buf, i);
    if (n > 0) {
      i += n - 1;
      continue;
    }
    out += buf.toString('utf8', start, i) + String.fromCharCode(0xdc00 + b);
    start = i + 1;
  }
  return out + buf.toString('utf8', start);
}

/**
 * The inverse of `textFromBytes`: the exact bytes of a surrogate-escaped string.
 * @example bytesFromText('r\udcff') // <Buffer 72 ff>
 * @internal the inverse, so tests prove a name loses no byte on its way to the evidence.
 */
export function bytesFromText(text: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc80 || c > 0xdcff || (i > 0 && isHighSurrogate(text.charCodeAt(i - 1)))) continue;
    parts.push(Buffer.from(text.slice(start, i), 'utf8'), Buffer.from([c - 0xdc00]));
    start = i + 1;
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

/**
 * A surrogate-escaped string for people: each byte that is not UTF-8 as `\xff`, the way Python
 * and the shell's `$'…'` quoting write it (a lone surrogate written to a UTF-8 file would become
 * U+FFFD, losing the byte).
 * @example showBytes('run-\udcff\udcfe') // 'run-\\xff\\xfe'
 */
export function showBytes(text: string): string {
  return text.replace(
    /(?<![\ud800-\udbff])[\udc80-\udcff]/g,
    (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16)}`,
  );
}

/**
 * An "untrusted string" field's bytes: `"quoted"` text (read as latin1, so one char per byte),
 * hex-encoded text, or null for `(null)` / an empty value.
 */
export function stringBytes(value: RawValue): Buffer | null {
  if (value.quote === 'double' || value.quote === 'single')
    return Buffer.from(value.text, 'latin1');
  if (value.text === '(null)' || value.text === '') return null;
  if (HEX_TEXT.test(value.text)) return Buffer.from(value.text, 'hex');
  return Buffer.from(value.text, 'latin1');
}

/** An untrusted string field as LAUREL writes it: escaped text, or null. */
export function decodeString(value: RawValue): string | null {
  const bytes = stringBytes(value);
  return bytes === null ? null : escapeBytes(bytes);
}

/**
 * `proctitle=` as LAUREL's `PROCTITLE.ARGV`: hex of the NUL-separated command line (the kernel
 * keeps at most 128 bytes), or one quoted word when the title needed no encoding.
 * @example decodeProctitle({ text: '6C73002D6C', quote: 'none' }) // ['ls', '-l']
 */
export function decodeProctitle(value: RawValue): string[] {
  const bytes = stringBytes(value);
  if (bytes === null) return [];
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0) {
      if (i > start || i < bytes.length) out.push(escapeBytes(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  return out;
}

/** A decoded `SOCKADDR saddr=`; the families LAUREL names, plus the raw bytes for others. */
export type SockAddr =
  | { saddr_fam: 'inet'; addr: string; port: number }
  | { saddr_fam: 'inet6'; addr: string; port: number; flowinfo: number; scope_id: number }
  | { saddr_fam: 'local'; path: string }
  | { saddr_fam: 'netlink'; pid: number; groups: string }
  | { saddr_fam: 'unspec' }
  | { saddr_fam: 'unknown'; family: number; data: string };

/** RFC 5952 text of 16 IPv6 bytes (longest run of zero groups as `::`). */
function ipv6Text(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * A socket address from `saddr=` hex: family (little-endian u16 on the hosts auditd runs on,
 * x86_64 and aarch64), then per family: inet port (big-endian) and address; inet6 port,
 * flowinfo, address, scope id; local the path (abstract names start with a NUL, shown as `@`);
 * netlink the port id and groups.
 * @example decodeSockaddr('02001F907F0000010000000000000000') // { saddr_fam: 'inet', addr: '127.0.0.1', port: 8080 }
 */
export function decodeSockaddr(hex: string): SockAddr {
  const b = Buffer.from(hex, 'hex');
  if (b.length < 2) return { saddr_fam: 'unknown', family: -1, data: hex };
  const family = b.readUInt16LE(0);
  if (family === 2 && b.length >= 8) {
    return { saddr_fam: 'inet', addr: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port: b.readUInt16BE(2) };
  }
  if (family === 10 && b.length >= 24) {
    return {
      saddr_fam: 'inet6',
      addr: ipv6Text(b.subarray(8, 24)),
      port: b.readUInt16BE(2),
      flowinfo: b.readUInt32BE(4),
      scope_id: b.length >= 28 ? b.readUInt32LE(24) : 0,
    };
  }
  if (family === 1) {
    const raw = b.subarray(2);
    if (raw[0] === 0) return { saddr_fam: 'local', path: `@${escapeBytes(raw.subarray(1))}` };
    const nul = raw.indexOf(0);
    return { saddr_fam: 'local', path: escapeBytes(nul === -1 ? raw : raw.subarray(0, nul)) };
  }
  if (family === 16 && b.length >= 12) {
    return {
      saddr_fam: 'netlink',
      pid: b.readUInt32LE(4),
      groups: `0x${b.readUInt32LE(8).toString(16)}`,
    };
  }
  if (family === 0) return { saddr_fam: 'unspec' };
  return { saddr_fam: 'unknown', family, data: hex };
}

/** Fields auditd writes with audit_log_untrustedstring: quoted, hex-encoded, or (null). */
const STRING_FIELDS = new Set([
  'comm',
  'exe',
  'name',
  'cwd',
  'path',
  'key',
  'ocomm',
  'acct',
  'cmd',
  'data',
  'dir',
  'file',
  'watch',
  'old-chardev',
  'new-chardev',
  'vm',
  'root_dir',
]);

/** Numeric fields auditd writes in hex without `0x`; LAUREL writes `0x…`. */
const HEX_FIELDS = new Set([
  'arch',
  'a0',
  'a1',
  'a2',
  'a3',
  'cap_fp',
  'cap_fi',
  'cap_fver',
  'fp',
  'fi',
  'fver',
  'pp',
  'pi',
  'pe',
  'pa',
  'old_pp',
  'old_pi',
  'old_pe',
  'old_pa',
  'pid_ns',
  'prot',
  'flags',
  'pmm',
]);

/** Fields LAUREL keeps as text although they look decimal. */
const TEXT_FIELDS = new Set(['frootid', 'cap_frootid', 'ver']);

/** `0001fffe` → `0x1fffe`. */
export function hexNumber(text: string): string {
  const t = text
    .toLowerCase()
    .replace(/^0x/, '')
    .replace(/^0+(?=.)/, '');
  return `0x${t}`;
}

/**
 * One field's value as LAUREL writes it: untrusted strings decoded and escaped, `(null)` and `?`
 * null, decimal integers as numbers, hex fields `0x…`, `mode` `0o…`, anything else as text.
 */
export function decodeField(key: string, value: RawValue): string | number | null {
  if (value.quote === 'brace') return value.text;
  if (STRING_FIELDS.has(key)) return decodeString(value);
  if (value.quote !== 'none') return escapeBytes(Buffer.from(value.text, 'latin1'));
  const t = value.text;
  if (t === '(null)' || t === '?') return null;
  if (HEX_FIELDS.has(key) && /^[0-9a-fA-F]+$/.test(t)) return hexNumber(t);
  if (key === 'mode' && /^[0-7]+$/.test(t)) return `0o${t.replace(/^0+(?=.)/, '')}`;
  if (!TEXT_FIELDS.has(key) && /^-?\d+$/.test(t)) {
    const n = Number(t);
    if (Number.isSafeInteger(n)) return n;
  }
  return escapeBytes(Buffer.from(t, 'latin1'));
}
