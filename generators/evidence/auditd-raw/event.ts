/**
 * Audit records grouped into events, each written in the JSON shape LAUREL gives it, so
 * generators/evidence/rules/laurel.json reads a plain audit.log unchanged:
 *
 * ```
 * { ID: "1796215394.436:80611",
 *   SYSCALL: { arch: "0xc000003e", syscall: 59, success: "yes", pid, ppid, comm, exe, key,
 *              ARGV: ["0x…" ×4], ARCH: "x86_64", SYSCALL: "execve", …ENRICHED (AUID, UID…) },
 *   EXECVE: { argc: 4, ARGV: ["./run-%ff%fe", "hello world", …] },
 *   CWD: { cwd }, PATH: [{ item, name, inode, dev, mode: "0o100755", nametype, … }],
 *   SOCKADDR: [{ SADDR: { saddr_fam: "inet", addr: "127.0.0.1", port: 40917 } }],
 *   PROCTITLE: { ARGV: [...] }, BPRM_FCAPS: [{…}], OBJ_PID: [{…}] }
 * ```
 *
 * SYSCALL, EXECVE, CWD, PROCTITLE and user-space records (ADD_USER, USER_AUTH, auditd's
 * DAEMON_START…) are objects; every other kernel record type is a list, also when it occurs once
 * or without a SYSCALL (CONFIG_CHANGE, PATH, SOCKADDR, BPF, OBJ_PID: LAUREL's layout). The one
 * value written differently on purpose: BPF `prog-id` is the number (LAUREL 0.5.1 writes a
 * garbled `"%18i"` there, see laurel.enriched.jsonl). What is not reproduced from
 * LAUREL: its enrichment from /proc (`PPID`, `PID`, `SCRIPT`, container info) and user-name
 * translation of a RAW log (`UID: "root"`; an ENRICHED log's own translations are kept).
 *
 * Grouping is by the full `node` + `audit(seconds.millis:serial)` id. auditd writes no EOE
 * records to its log (the dispatcher's plugins see them), so a syscall event ends at its
 * PROCTITLE, which the kernel writes last (audit_log_exit), or at an EOE where one is present; a
 * user-space record is an event at once; anything else (a lone CONFIG_CHANGE or BPF record, a
 * task without a proctitle) ends when a record 2 s newer arrives, when 4096 events are open, or
 * at the end of the input.
 */
import type { Doc } from '../readers/fields.ts';
import {
  decodeField,
  decodeProctitle,
  decodeSockaddr,
  decodeString,
  escapeBytes,
  hexNumber,
  stringBytes,
} from './decode.ts';
import type { AuditRecord, RawValue } from './record.ts';
import { ARCH_NAMES, syscallName } from './syscalls.ts';

export interface AuditEvent {
  /** LAUREL's `ID`: `seconds.millis:serial`. */
  id: string;
  node: string | undefined;
  timeMs: number;
  /** 1-based line of the event's first record. */
  line: number;
  /** The event in LAUREL's shape (what the rules read). */
  doc: Doc;
  /** What could not be reassembled (a missing EXECVE argument, a split argument cut short). */
  problems: string[];
}

/** Record types written by user space (no EOE follows): the event is complete at once. */
const USER_SPACE =
  /^(?:USER_|CRED_|DAEMON_|ADD_|DEL_|GRP_|ACCT_|CHGRP_|CHUSER_|ROLE_|SERVICE_|SYSTEM_|SOFTWARE_|RESP_|USYS_|TRUSTED_APP|AVC_USER|USER$)/;
const SINGLE = new Set(['SYSCALL', 'EXECVE', 'CWD', 'PROCTITLE']);
const EVENT_TIMEOUT_MS = 2000;
const MAX_OPEN = 4096;

function enrichedText(v: RawValue): string {
  return v.text;
}

function addEnriched(obj: Doc, record: AuditRecord, skip: ReadonlySet<string>): void {
  for (const [k, v] of record.enriched) if (!skip.has(k)) obj[k] = enrichedText(v);
}

function enrichedValue(record: AuditRecord, key: string): string | undefined {
  const found = record.enriched.find(([k]) => k === key);
  return found === undefined ? undefined : enrichedText(found[1]);
}

function syscallDoc(record: AuditRecord): Doc {
  const obj: Doc = {};
  const argv: string[] = [];
  let arch = '';
  let nr: number | undefined;
  for (const [k, v] of record.fields) {
    if (/^a[0-3]$/.test(k)) {
      argv.push(hexNumber(v.text));
      continue;
    }
    const value = decodeField(k, v);
    obj[k] = value;
    if (k === 'arch') arch = v.text;
    if (k === 'syscall' && typeof value === 'number') nr = value;
  }
  addEnriched(obj, record, new Set(['ARCH', 'SYSCALL']));
  obj.ARGV = argv;
  const archName = ARCH_NAMES[arch.toLowerCase()] ?? enrichedValue(record, 'ARCH');
  if (archName !== undefined) obj.ARCH = archName;
  const name =
    (nr === undefined ? undefined : syscallName(arch, nr)) ?? enrichedValue(record, 'SYSCALL');
  if (name !== undefined) obj.SYSCALL = name;
  return obj;
}

/**
 * EXECVE records (one or several: auditd splits long command lines) → `{ argc, ARGV }`.
 * An argument is `aN="text"` or `aN=<hex>`, or, when long, `aN_len=<encoded length>` followed
 * by `aN[0]=…`, `aN[1]=…` chunks (each quoted or hex), possibly across records.
 */
function execveDoc(records: AuditRecord[], problems: string[]): Doc {
  let argc: number | undefined;
  const whole = new Map<number, Buffer>();
  const chunks = new Map<number, Map<number, { bytes: Buffer; encoded: number }>>();
  const declared = new Map<number, number>();
  for (const record of records) {
    for (const [k, v] of record.fields) {
      if (k === 'argc') {
        argc = Number(v.text);
        continue;
      }
      let m = /^a(\d+)$/.exec(k);
      if (m !== null) {
        whole.set(Number(m[1]), stringBytes(v) ?? Buffer.alloc(0));
        continue;
      }
      m = /^a(\d+)_len$/.exec(k);
      if (m !== null) {
        declared.set(Number(m[1]), Number(v.text));
        continue;
      }
      m = /^a(\d+)\[(\d+)\]$/.exec(k);
      if (m !== null) {
        const arg = Number(m[1]);
        const list = chunks.get(arg) ?? new Map();
        list.set(Number(m[2]), {
          bytes: stringBytes(v) ?? Buffer.alloc(0),
          encoded: v.text.length,
        });
        chunks.set(arg, list);
      }
    }
  }
  const count = argc ?? Math.max(-1, ...whole.keys(), ...chunks.keys(), ...declared.keys()) + 1;
  const argv: string[] = [];
  for (let i = 0; i < count; i++) {
    const direct = whole.get(i);
    if (direct !== undefined) {
      argv.push(escapeBytes(direct));
      continue;
    }
    const parts = chunks.get(i);
    if (parts === undefined) {
      problems.push(`EXECVE argument a${i} is missing (argc=${count}).`);
      argv.push('');
      continue;
    }
    const order = [...parts.keys()].sort((a, b) => a - b);
    const gap = order.findIndex((n, j) => n !== j);
    if (gap !== -1) problems.push(`EXECVE argument a${i} lacks chunk a${i}[${gap}].`);
    const encoded = order.reduce((s, n) => s + (parts.get(n)?.encoded ?? 0), 0);
    const want = declared.get(i);
    if (want !== undefined && want !== encoded) {
      problems.push(`EXECVE argument a${i} has ${encoded} of its ${want} encoded characters.`);
    }
    const bytes = Buffer.concat(order.map((n) => parts.get(n)?.bytes ?? Buffer.alloc(0)));
    argv.push(escapeBytes(bytes));
  }
  return { argc: count, ARGV: argv };
}

function plainDoc(record: AuditRecord): Doc {
  const obj: Doc = {};
  for (const [k, v] of record.fields) obj[k] = decodeField(k, v);
  addEnriched(obj, record, new Set());
  return obj;
}

function sockaddrDoc(record: AuditRecord): Doc {
  const saddr = record.fields.find(([k]) => k === 'saddr')?.[1];
  if (saddr === undefined) return plainDoc(record);
  const decoded = decodeSockaddr(saddr.text);
  const interpreted = enrichedValue(record, 'SADDR');
  // An address family this decoder does not know keeps auditd's own reading when there is one.
  if (decoded.saddr_fam === 'unknown' && interpreted !== undefined) return { SADDR: interpreted };
  return { SADDR: decoded };
}

/**
 * One event's records → LAUREL's JSON object. Problems found while reassembling are appended
 * to `problems`.
 */
export function buildLaurelDoc(records: readonly AuditRecord[], problems: string[] = []): Doc {
  const first = records[0];
  const doc: Doc = { ID: first?.id ?? '' };
  if (first?.node !== undefined) doc.NODE = first.node;
  const byType = new Map<string, AuditRecord[]>();
  for (const r of records) {
    if (r.type === 'EOE') continue;
    const list = byType.get(r.type) ?? [];
    list.push(r);
    byType.set(r.type, list);
  }
  for (const [type, list] of byType) {
    const one = list[0] as AuditRecord;
    if (type === 'EXECVE') {
      doc.EXECVE = execveDoc(list, problems);
      continue;
    }
    if (type === 'SYSCALL') {
      doc.SYSCALL = syscallDoc(one);
      continue;
    }
    if (type === 'PROCTITLE') {
      const title = one.fields.find(([k]) => k === 'proctitle')?.[1];
      doc.PROCTITLE = { ARGV: title === undefined ? [] : decodeProctitle(title) };
      continue;
    }
    if (type === 'CWD') {
      const cwd = one.fields.find(([k]) => k === 'cwd')?.[1];
      doc.CWD = { cwd: cwd === undefined ? null : decodeString(cwd) };
      continue;
    }
    const objs = list.map((r) => (type === 'SOCKADDR' ? sockaddrDoc(r) : plainDoc(r)));
    doc[type] = SINGLE.has(type) || USER_SPACE.test(type) ? objs[0] : objs;
  }
  return doc;
}

interface OpenEvent {
  records: AuditRecord[];
  line: number;
  timeMs: number;
}

/**
 * Groups records into events as they arrive; `push` and `flush` return the events completed.
 * @example
 * const assembler = new EventAssembler();
 * for (const [line, record] of records) for (const e of assembler.push(record, line)) use(e);
 * for (const e of assembler.flush()) use(e);
 */
export class EventAssembler {
  #open = new Map<string, OpenEvent>();

  push(record: AuditRecord, line: number): AuditEvent[] {
    const done: AuditEvent[] = [];
    this.#expire(record.timeMs, done);
    const key = `${record.node ?? ''}|${record.id}`;
    if (record.type === 'EOE') {
      const open = this.#open.get(key);
      if (open !== undefined) {
        this.#open.delete(key);
        done.push(finish(open));
      }
      return done;
    }
    let open = this.#open.get(key);
    if (open === undefined) {
      open = { records: [], line, timeMs: record.timeMs };
      this.#open.set(key, open);
    }
    open.records.push(record);
    // auditd does not write EOE to its log; the kernel writes PROCTITLE last in a syscall event.
    if (
      record.type === 'PROCTITLE' ||
      (open.records.length === 1 && USER_SPACE.test(record.type))
    ) {
      this.#open.delete(key);
      done.push(finish(open));
    }
    return done;
  }

  /** Completes every open event (end of input). */
  flush(): AuditEvent[] {
    const done = [...this.#open.values()].map(finish);
    this.#open.clear();
    return done;
  }

  #expire(nowMs: number, done: AuditEvent[]): void {
    for (const [key, open] of this.#open) {
      if (open.timeMs >= nowMs - EVENT_TIMEOUT_MS && this.#open.size <= MAX_OPEN) break;
      this.#open.delete(key);
      done.push(finish(open));
    }
  }
}

function finish(open: OpenEvent): AuditEvent {
  const problems: string[] = [];
  const doc = buildLaurelDoc(open.records, problems);
  const first = open.records[0] as AuditRecord;
  return { id: first.id, node: first.node, timeMs: open.timeMs, line: open.line, doc, problems };
}
