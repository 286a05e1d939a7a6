/**
 * One line of a plain auditd log (`/var/log/audit/audit.log`) as a record: its type, its event id
 * `audit(seconds.millis:serial)`, its fields in order, and, in auditd's ENRICHED format, the
 * interpreted fields auditd appends after a `\x1d` (GS) byte (`ARCH=x86_64 SYSCALL=execve
 * AUID="root"`). Values are kept as auditd wrote them; `decode.ts` interprets them.
 *
 * Lines are read as latin1 text so that every byte stays one character: a quoted value with bytes
 * above 0x7e (auditd normally hex-encodes those, but not every user-space writer does) is turned
 * back into exactly those bytes.
 */

/** A value as written: `"quoted"`, `'single quoted'` (user-space `msg='…'`), `{ braced }` or bare. */
export interface RawValue {
  text: string;
  quote: 'double' | 'single' | 'brace' | 'none';
}

export interface AuditRecord {
  /** `SYSCALL`, `EXECVE`, `PATH`, `UNKNOWN[1334]`… */
  type: string;
  /** `seconds.millis:serial`, exactly as in `msg=audit(…)`: LAUREL's `ID`. */
  id: string;
  /** Event time in ms since the epoch. */
  timeMs: number;
  /** `node=` prefix (auditd's `name_format`), when present. */
  node: string | undefined;
  /** Fields in the order written (EXECVE's `a1[0]` keeps its brackets). */
  fields: [string, RawValue][];
  /** The ENRICHED part (after `\x1d`), empty in RAW format. */
  enriched: [string, RawValue][];
  /** Whether the line had an ENRICHED part. */
  hasEnriched: boolean;
}

export type ParsedLine = { ok: true; record: AuditRecord } | { ok: false; reason: string };

const HEAD = /^(?:node=(\S+) )?type=(\S+) msg=audit\((\d+)\.(\d{3}):(\d+)\):/;
/** The GS byte auditd puts between the raw and the interpreted fields (ENRICHED format). */
const GS = '\x1d';

/**
 * `key=value` pairs separated by spaces; a value may be double-quoted, single-quoted or braced
 * (`SADDR={ saddr_fam=inet laddr=127.0.0.1 lport=80 }`) and then holds spaces.
 * Returns undefined when a quote or brace is never closed.
 */
export function splitFields(text: string): [string, RawValue][] | undefined {
  const out: [string, RawValue][] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text[i] === ' ') i++;
    if (i >= n) break;
    const eq = text.indexOf('=', i);
    const space = text.indexOf(' ', i);
    if (eq === -1 || (space !== -1 && space < eq)) {
      // A bare word without "=" (older kernels' "audit_enabled" style): keep it as a flag.
      const end = space === -1 ? n : space;
      out.push([text.slice(i, end), { text: '', quote: 'none' }]);
      i = end;
      continue;
    }
    const key = text.slice(i, eq);
    let j = eq + 1;
    const c = text[j];
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, j + 1);
      if (close === -1) return undefined;
      out.push([key, { text: text.slice(j + 1, close), quote: c === '"' ? 'double' : 'single' }]);
      j = close + 1;
    } else if (c === '{') {
      const close = text.indexOf('}', j + 1);
      if (close === -1) return undefined;
      out.push([key, { text: text.slice(j, close + 1), quote: 'brace' }]);
      j = close + 1;
    } else {
      const end = text.indexOf(' ', j);
      const stop = end === -1 ? n : end;
      out.push([key, { text: text.slice(j, stop), quote: 'none' }]);
      j = stop;
    }
    i = j;
  }
  return out;
}

/**
 * Parses one audit.log line (RAW or ENRICHED).
 * @example parseAuditLine('type=CWD msg=audit(1700000000.123:42): cwd="/tmp"')
 */
export function parseAuditLine(line: string): ParsedLine {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const head = HEAD.exec(text);
  if (head === null) {
    return {
      ok: false,
      reason: 'not an audit record: expected "type=<TYPE> msg=audit(<seconds>.<ms>:<serial>): …"',
    };
  }
  const [whole, node, type, sec, ms, serial] = head as unknown as [
    string,
    string | undefined,
    string,
    string,
    string,
    string,
  ];
  const rest = text.slice(whole.length);
  const gs = rest.indexOf(GS);
  const rawPart = gs === -1 ? rest : rest.slice(0, gs);
  const fields = splitFields(rawPart);
  if (fields === undefined) return { ok: false, reason: 'a quoted value is never closed' };
  const enriched = gs === -1 ? [] : splitFields(rest.slice(gs + 1));
  if (enriched === undefined) {
    return { ok: false, reason: 'a quoted value of the ENRICHED part is never closed' };
  }
  return {
    ok: true,
    record: {
      type,
      id: `${sec}.${ms}:${serial}`,
      timeMs: Number(sec) * 1000 + Number(ms),
      node,
      fields,
      enriched,
      hasEnriched: gs !== -1,
    },
  };
}

/**
 * Whether the first non-empty lines (up to five) of a file are a plain auditd log: all of them,
 * or all but one (a line cut by a copy or rotation), audit records (`type=SYSCALL
 * msg=audit(…): …`, with or without `node=`). A LAUREL or ECS line (JSON) or a CSV row is never
 * taken for one.
 * @example detectAuditLog(['type=DAEMON_START msg=audit(1700000000.001:1): op=start']) // true
 */
export function detectAuditLog(lines: readonly string[]): boolean {
  const sample = lines.filter((l) => l.trim() !== '').slice(0, 5);
  const hits = sample.filter((l) => HEAD.test(l)).length;
  // One line may be cut (a log copied mid-write, a partial first line after rotation).
  return hits > 0 && hits >= sample.length - 1;
}
