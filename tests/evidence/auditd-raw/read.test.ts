/**
 * Plain auditd logs read into LAUREL's event shape, on a real capture
 * (tests/fixtures/evidence/auditd-raw/, RAW and ENRICHED, see its README): every event compared
 * with LAUREL's own reading of the same log, the non-UTF-8 executable name kept as bytes, split
 * and hex-encoded EXECVE arguments, PROCTITLE and SOCKADDR decoding, RAW and ENRICHED giving
 * the same events, gzip, malformed lines located, detection, and the LAUREL rules applying.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeProctitle,
  decodeSockaddr,
  escapeBytes,
  unescapeBytes,
} from '../../../generators/evidence/auditd-raw/decode.ts';
import { type AuditEvent, buildLaurelDoc } from '../../../generators/evidence/auditd-raw/event.ts';
import { readAuditLog } from '../../../generators/evidence/auditd-raw/read.ts';
import {
  type AuditRecord,
  detectAuditLog,
  parseAuditLine,
} from '../../../generators/evidence/auditd-raw/record.ts';
import { ARCH_NAMES, syscallName } from '../../../generators/evidence/auditd-raw/syscalls.ts';
import type { Doc } from '../../../generators/evidence/readers/fields.ts';
import { factsOf, RuleIndex } from '../../../generators/evidence/rule-engine.ts';
import { loadRuleSets } from '../../../generators/evidence/rules.ts';

/** From the auditd package; the tables in syscalls.ts were generated with it. */
const AUSYSCALL = '/usr/bin/ausyscall';
const FIXTURES = resolve(import.meta.dirname, '../../fixtures/evidence/auditd-raw');
const fixture = (name: string) => readFileSync(resolve(FIXTURES, name));
const RAW = fixture('audit.raw.log');
/** auditd's own interpretation after the GS byte of an ENRICHED SYSCALL line. */
const ENRICHED_NAMES = new RegExp(`${String.fromCharCode(0x1d)}ARCH=(\\S+) SYSCALL=(\\S+)`);
const ENRICHED = fixture('audit.enriched.log');

async function readAll(bytes: Buffer | string, source = 'test.log') {
  const { events, stats } = readAuditLog(Readable.from([Buffer.from(bytes)]), source);
  const out: AuditEvent[] = [];
  for await (const e of events) out.push(e);
  return { events: out, stats };
}

function byId(events: readonly AuditEvent[]): Map<string, Doc> {
  return new Map(events.map((e) => [e.id, e.doc]));
}

function laurelReading(name: string): Doc[] {
  return fixture(name)
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Doc);
}

/** The first event whose SYSCALL.SYSCALL is `name` and whose comm/exe mentions `hint`. */
function find(events: readonly AuditEvent[], name: string, hint = ''): AuditEvent {
  const e = events.find((x) => {
    const s = x.doc.SYSCALL as Doc | undefined;
    return s?.SYSCALL === name && `${s.comm} ${s.exe}`.includes(hint);
  });
  if (e === undefined) throw new Error(`no ${name} event (${hint}) in the fixture`);
  return e;
}

/** The raw text of one record of one event, found by a regex over the log (not the parser). */
function rawField(log: Buffer, id: string, type: string, field: string): string {
  const line = log
    .toString('latin1')
    .split('\n')
    .find((l) => l.startsWith(`type=${type} msg=audit(${id}):`) && l.includes(` ${field}=`));
  const m = line === undefined ? null : new RegExp(` ${field}=(\\S+)`).exec(line);
  if (m === null) throw new Error(`no ${type} ${field}= for ${id}`);
  return m[1] as string;
}

describe('a real RAW audit.log against LAUREL reading the same log', () => {
  it('gives every event LAUREL gives, field for field', async () => {
    const { events, stats } = await readAll(RAW);
    expect(stats).toMatchObject({ lines: 47, records: 47, events: 12, malformed: 0 });
    expect(stats.logFormat).toBe('raw');
    const mine = byId(events);
    const laurel = laurelReading('laurel.raw.jsonl');
    expect(laurel).toHaveLength(12);
    for (const doc of laurel) expect(mine.get(doc.ID as string), String(doc.ID)).toEqual(doc);
  });

  it('gives the ENRICHED log LAUREL reads, with the BPF prog-id as the number LAUREL garbles', async () => {
    const { events, stats } = await readAll(ENRICHED);
    expect(stats).toMatchObject({ lines: 130, events: 40, malformed: 0, logFormat: 'enriched' });
    const mine = byId(events);
    const laurel = laurelReading('laurel.enriched.jsonl');
    expect(laurel).toHaveLength(40);
    let bpf = 0;
    for (const doc of laurel) {
      const ours = structuredClone(mine.get(doc.ID as string)) as Doc;
      const theirs = doc.BPF;
      const own = ours.BPF;
      if (Array.isArray(theirs) && Array.isArray(own)) {
        bpf++;
        // LAUREL 0.5.1 writes prog-id as "%18i"; the log says prog-id=1869.
        const id = rawField(ENRICHED, doc.ID as string, 'BPF', 'prog-id');
        expect((own[0] as Doc)['prog-id']).toBe(Number(id));
        (own[0] as Doc)['prog-id'] = (theirs[0] as Doc)['prog-id'];
      }
      expect(ours, String(doc.ID)).toEqual(doc);
    }
    expect(bpf).toBe(29);
  });
});

describe('the execve of a file whose name is not UTF-8', () => {
  it('keeps the name as bytes in SYSCALL.exe, comm, EXECVE, PATH and PROCTITLE', async () => {
    const { events } = await readAll(RAW);
    const e = find(events, 'execve', 'run-');
    const sys = e.doc.SYSCALL as Doc;
    const path = (e.doc.PATH as Doc[])[0] as Doc;
    // The bytes, read from the log's hex by a regex, not by the reader.
    const exeBytes = Buffer.from(rawField(RAW, e.id, 'SYSCALL', 'exe'), 'hex');
    expect(exeBytes.subarray(-6)).toEqual(Buffer.from([0x72, 0x75, 0x6e, 0x2d, 0xff, 0xfe]));
    expect(unescapeBytes(sys.exe as string)).toEqual(exeBytes);
    expect(sys.exe).toMatch(/\/run-%ff%fe$/);
    expect(sys.comm).toBe('run-%ff%fe');
    expect(path.name).toBe('./run-%ff%fe');
    expect(unescapeBytes(path.name as string)).toEqual(
      Buffer.from(rawField(RAW, e.id, 'PATH', 'name'), 'hex'),
    );
    expect((e.doc.EXECVE as Doc).ARGV).toHaveProperty([0], './run-%ff%fe');
    expect((e.doc.PROCTITLE as Doc).ARGV).toHaveProperty([0], './run-%ff%fe');
    // A lossy UTF-8 decode would have turned ff fe into U+FFFD twice.
    expect(JSON.stringify(e.doc)).not.toContain('\ufffd');
  });

  it('keeps the created file name as bytes too (PATH nametype CREATE)', async () => {
    const { events } = await readAll(RAW);
    const e = find(events, 'openat');
    const created = (e.doc.PATH as Doc[]).find((p) => p.nametype === 'CREATE') as Doc;
    expect(created.name).toMatch(/\/files-raw\/note-run-%ff%fe\.txt$/);
    expect(unescapeBytes(created.name as string).subarray(-10)).toEqual(
      Buffer.from('run-\xff\xfe.txt', 'latin1'),
    );
  });

  it('escapes losslessly: bytes → text → the same bytes, for every byte value', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const text = escapeBytes(all);
    expect(text).toMatch(/^[\x20-\x7e]+$/);
    expect(unescapeBytes(text)).toEqual(all);
    expect(escapeBytes(Buffer.from('a%b\t'))).toBe('a%25b%09');
    const mixed = Buffer.concat([
      Buffer.from('é€😀'),
      Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98]), // broken, surrogate, cut
    ]);
    expect(escapeBytes(mixed)).toBe('é€😀%c3(%ed%a0%80%f0%9f%98');
    expect(unescapeBytes(escapeBytes(mixed))).toEqual(mixed);
  });

  it('escapes as LAUREL does: UTF-8 kept, %, + and control bytes escaped', async () => {
    // LAUREL 0.5.1 fed this event on stdin wrote PATH[0].name "café %25%2b%01~".
    const name = Buffer.from('café %+\x01~').toString('hex').toUpperCase();
    const log = [
      'type=SYSCALL msg=audit(1700000000.001:5): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=0 a3=0 items=1 ppid=1 pid=10 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe="/x" key=(null)',
      `type=PATH msg=audit(1700000000.001:5): item=0 name=${name} inode=1 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`,
      'type=PROCTITLE msg=audit(1700000000.001:5): proctitle="x"',
    ].join('\n');
    const { events } = await readAll(log);
    expect(events[0]?.doc.PATH).toMatchObject([{ name: 'café %25%2b%01~' }]);
  });
});

describe('EXECVE arguments', () => {
  it('reassembles the split arguments of the real capture (aN_len, aN[i]) and decodes their hex', async () => {
    const { events } = await readAll(RAW);
    const e = find(events, 'execve', 'run-');
    expect(e.problems).toEqual([]);
    const argv = (e.doc.EXECVE as Doc).ARGV as string[];
    expect((e.doc.EXECVE as Doc).argc).toBe(4);
    expect(argv[1]).toBe('hello world'); // a1=68656C6C6F20776F726C64: hex because of the space
    expect(argv[2]).toBe('A'.repeat(8000));
    expect(argv[3]).toBe('B%09'.repeat(2000));
    expect(unescapeBytes(argv[3] as string)).toEqual(Buffer.from('B\t'.repeat(2000)));
    // The log really split them: a2_len=16000 and chunks a2[0], a2[1]… over several records.
    const log = RAW.toString('latin1');
    expect(log).toContain('a2_len=16000 a2[0]=');
    expect(log).toMatch(/ a3\[1\]=/);
  });

  it('joins quoted and hex chunks across records and reports a missing chunk or argument', () => {
    const records = [
      'type=EXECVE msg=audit(1700000000.001:7): argc=3 a0="sh" a1_len=10 a1[0]="abc"',
      'type=EXECVE msg=audit(1700000000.001:7):  a1[1]=646566 a1[2]="g"',
    ].map((l) => (parseAuditLine(l) as { record: AuditRecord }).record);
    const problems: string[] = [];
    const doc = buildLaurelDoc(records, problems);
    expect(doc.EXECVE).toEqual({ argc: 3, ARGV: ['sh', 'abcdefg', ''] });
    expect(problems).toMatchInlineSnapshot(`
      [
        "EXECVE argument a2 is missing (argc=3).",
      ]
    `);
    const cut = buildLaurelDoc(
      ['type=EXECVE msg=audit(1700000000.001:8): argc=1 a0_len=8 a0[0]="ab" a0[2]="ef"'].map(
        (l) => (parseAuditLine(l) as { record: AuditRecord }).record,
      ),
      problems,
    );
    expect((cut.EXECVE as Doc).ARGV).toEqual(['abef']);
    expect(problems.slice(1)).toMatchInlineSnapshot(`
      [
        "EXECVE argument a0 lacks chunk a0[1].",
        "EXECVE argument a0 has 4 of its 8 encoded characters.",
      ]
    `);
  });
});

describe('PROCTITLE and SOCKADDR', () => {
  it('splits the proctitle at NUL bytes, as the log encodes it', async () => {
    const { events } = await readAll(RAW);
    const e = find(events, 'execve', 'run-');
    const hex = rawField(RAW, e.id, 'PROCTITLE', 'proctitle');
    const parts = Buffer.from(hex, 'hex').toString('latin1').split('\0');
    expect((e.doc.PROCTITLE as Doc).ARGV).toEqual(
      parts.map((p) => escapeBytes(Buffer.from(p, 'latin1'))),
    );
    expect(decodeProctitle({ text: 'bash', quote: 'double' })).toEqual(['bash']);
  });

  it('decodes the connect to 127.0.0.1 as auditd interprets it in the ENRICHED log', async () => {
    const { events } = await readAll(ENRICHED);
    const e = find(events, 'connect', 'perl');
    const line = ENRICHED.toString('latin1')
      .split('\n')
      .find((l) => l.startsWith(`type=SOCKADDR msg=audit(${e.id}):`)) as string;
    const port = Number(/lport=(\d+)/.exec(line)?.[1]);
    expect(line).toContain('\x1dSADDR={ saddr_fam=inet laddr=127.0.0.1 lport=');
    expect(e.doc.SOCKADDR).toEqual([{ SADDR: { saddr_fam: 'inet', addr: '127.0.0.1', port } }]);
  });

  it('decodes IPv6, unix and netlink addresses built byte by byte', () => {
    const v6 = Buffer.alloc(28);
    v6.writeUInt16LE(10, 0);
    v6.writeUInt16BE(443, 2);
    v6[23] = 1; // ::1
    expect(decodeSockaddr(v6.toString('hex'))).toEqual({
      saddr_fam: 'inet6',
      addr: '::1',
      port: 443,
      flowinfo: 0,
      scope_id: 0,
    });
    const mapped = Buffer.alloc(28);
    mapped.writeUInt16LE(10, 0);
    Buffer.from([0xff, 0xff, 10, 0, 0, 7]).copy(mapped, 18);
    expect(decodeSockaddr(mapped.toString('hex'))).toMatchObject({ addr: '::ffff:10.0.0.7' });
    const doc = Buffer.alloc(28);
    doc.writeUInt16LE(10, 0);
    Buffer.from('20010db8000000000000000000000001', 'hex').copy(doc, 8);
    expect(decodeSockaddr(doc.toString('hex'))).toMatchObject({ addr: '2001:db8::1' });
    const unix = Buffer.concat([Buffer.from([1, 0]), Buffer.from('/run/x.sock\0')]);
    expect(decodeSockaddr(unix.toString('hex'))).toEqual({
      saddr_fam: 'local',
      path: '/run/x.sock',
    });
    expect(decodeSockaddr('100000000000000000000000')).toEqual({
      saddr_fam: 'netlink',
      pid: 0,
      groups: '0x0',
    });
  });
});

describe('RAW and ENRICHED', () => {
  it('give the same events for the same log, apart from the interpreted fields ENRICHED adds', async () => {
    const rawFromEnriched = ENRICHED.toString('latin1')
      .split('\n')
      .map((l) => l.split('\x1d')[0])
      .join('\n');
    const enriched = await readAll(ENRICHED);
    const raw = await readAll(Buffer.from(rawFromEnriched, 'latin1'));
    expect(raw.stats.logFormat).toBe('raw');
    const added = new Set<string>();
    for (const line of ENRICHED.toString('latin1').split('\n')) {
      for (const m of (line.split('\x1d')[1] ?? '').matchAll(/(?:^| )([A-Z_]+)=/g))
        added.add(m[1] as string);
    }
    added.delete('ARCH');
    added.delete('SYSCALL');
    added.delete('SADDR');
    const strip = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(strip);
      if (typeof v !== 'object' || v === null) return v;
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !added.has(k))
          .map(([k, x]) => [k, strip(x)]),
      );
    };
    expect(added).toContain('AUID');
    expect(raw.events.map((e) => e.doc)).toEqual(enriched.events.map((e) => strip(e.doc)));
  });

  it('names every syscall as auditd itself does in the ENRICHED log', async () => {
    const lines = ENRICHED.toString('latin1')
      .split('\n')
      .filter((l) => l.startsWith('type=SYSCALL'));
    expect(lines.length).toBeGreaterThan(30);
    for (const line of lines) {
      const arch = /arch=(\w+)/.exec(line)?.[1] as string;
      const nr = Number(/ syscall=(\d+)/.exec(line)?.[1]);
      const named = ENRICHED_NAMES.exec(line);
      expect([ARCH_NAMES[arch], syscallName(arch, nr)]).toEqual([named?.[1], named?.[2]]);
    }
  });
});

describe('syscall tables', () => {
  it('know x86_64 and aarch64 numbers', () => {
    expect(syscallName('c000003e', 59)).toBe('execve');
    expect(syscallName('0xc000003e', 42)).toBe('connect');
    expect(syscallName('c00000b7', 221)).toBe('execve');
    expect(syscallName('c00000b7', 203)).toBe('connect');
    expect(syscallName('c00000b7', 56)).toBe('openat');
    expect(syscallName('deadbeef', 1)).toBeUndefined();
  });

  it.skipIf(!existsSync(AUSYSCALL))(
    'agree with ausyscall on this host (skipped without the auditd package)',
    () => {
      for (const [arch, hex] of [
        ['x86_64', 'c000003e'],
        ['aarch64', 'c00000b7'],
      ] as const) {
        for (const name of ['execve', 'connect', 'openat', 'memfd_create', 'bpf']) {
          const nr = Number(execFileSync(AUSYSCALL, [arch, name, '--exact'], { encoding: 'utf8' }));
          expect(syscallName(hex, nr), `${arch} ${name}`).toBe(name);
        }
      }
    },
  );
});

describe('streaming', () => {
  it('reads a gzipped log by its magic bytes, with the same events', async () => {
    const plain = await readAll(RAW);
    const gz = await readAll(gzipSync(RAW), 'audit.log.1');
    expect(gz.stats.gzip).toBe(true);
    expect(plain.stats.gzip).toBe(false);
    expect(gz.events).toEqual(plain.events);
  });

  it('counts and locates malformed lines and reads on', async () => {
    const lines = RAW.toString('latin1').split('\n');
    lines.splice(4, 0, 'garbage that is no audit record');
    lines.splice(8, 0, 'type=CWD msg=audit(1796215394.436:99999): cwd="/never-closed');
    const { events, stats } = await readAll(Buffer.from(lines.join('\n'), 'latin1'));
    expect(events).toHaveLength(12);
    expect(stats.malformed).toBe(2);
    expect(stats.malformedSamples).toMatchInlineSnapshot(`
      [
        {
          "line": 5,
          "reason": "not an audit record: expected "type=<TYPE> msg=audit(<seconds>.<ms>:<serial>): …"",
          "source": "test.log",
        },
        {
          "line": 9,
          "reason": "a quoted value is never closed",
          "source": "test.log",
        },
      ]
    `);
  });

  it('groups records by their full id, also when events interleave', async () => {
    const log = [
      'type=SYSCALL msg=audit(1700000000.001:1): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=10 comm="a" exe="/a" key=(null)',
      'type=SYSCALL msg=audit(1700000000.001:2): arch=c00000b7 syscall=221 success=no exit=-2 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=11 comm="b" exe="/b" key="k"',
      'type=CWD msg=audit(1700000000.001:1): cwd="/one"',
      'type=CWD msg=audit(1700000000.001:2): cwd="/two"',
      'type=EOE msg=audit(1700000000.001:2): ',
      'type=EOE msg=audit(1700000000.001:1): ',
      'type=ADD_USER msg=audit(1700000000.002:3): pid=5 uid=0 auid=4294967295 ses=4294967295 msg=\'op=adding user id=1001 exe="/usr/sbin/useradd" res=success\'',
    ].join('\n');
    const { events } = await readAll(log);
    expect(events.map((e) => [e.id, e.line, (e.doc.CWD as Doc | undefined)?.cwd])).toEqual([
      ['1700000000.001:2', 2, '/two'],
      ['1700000000.001:1', 1, '/one'],
      ['1700000000.002:3', 7, undefined],
    ]);
    expect(events[0]?.doc.SYSCALL).toMatchObject({
      ARCH: 'aarch64',
      SYSCALL: 'execve',
      success: 'no',
      key: 'k',
      ARGV: ['0x1', '0x2', '0x3', '0x4'],
    });
    expect(events[1]?.doc.SYSCALL).toMatchObject({ key: null, SYSCALL: 'execve' });
    expect(events[2]?.doc.ADD_USER).toEqual({
      pid: 5,
      uid: 0,
      auid: 4294967295,
      ses: 4294967295,
      msg: 'op=adding user id=1001 exe="/usr/sbin/useradd" res=success',
    });
  });
});

describe('detection', () => {
  it('recognises RAW and ENRICHED logs from their first lines, and nothing else', () => {
    const head = (b: Buffer) => b.toString('latin1').split('\n').slice(0, 5);
    expect(detectAuditLog(head(RAW))).toBe(true);
    expect(detectAuditLog(head(ENRICHED))).toBe(true);
    expect(
      detectAuditLog(['node=web1 type=SYSCALL msg=audit(1700000000.001:1): arch=c000003e']),
    ).toBe(true);
    expect(detectAuditLog(head(fixture('laurel.raw.jsonl')))).toBe(false);
    expect(
      detectAuditLog(['{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"}}']),
    ).toBe(false);
    expect(detectAuditLog(['event.action,process.pid', 'exec,1'])).toBe(false);
    expect(detectAuditLog([])).toBe(false);
    // A copy that starts in the middle of a line.
    expect(detectAuditLog(['ss=4294967295 res=success', ...head(RAW).slice(1)])).toBe(true);
    expect(detectAuditLog(['x', 'y', head(RAW)[0] as string])).toBe(false);
  });
});

describe('the existing LAUREL rules on the normalised events', () => {
  it('match the execve, the connect and the file creation of the real RAW log', async () => {
    const rules = await loadRuleSets();
    const index = new RuleIndex(rules.laurel);
    const { events } = await readAll(RAW);
    const applying = (e: AuditEvent) => {
      const ids: string[] = [];
      index.forEachApplying(e.doc, (r) => ids.push(r.id));
      return ids;
    };
    const exec = find(events, 'execve', 'run-');
    expect(applying(exec)).toContain('laurel-exec');
    const execRule = rules.laurel.find((r) => r.id === 'laurel-exec');
    if (execRule === undefined) throw new Error('laurel-exec is gone from rules/laurel.json');
    expect(factsOf(execRule, exec.doc)).toMatchObject({
      pid: (exec.doc.SYSCALL as Doc).pid,
      ppid: (exec.doc.SYSCALL as Doc).ppid,
    });
    const connect = find(events, 'connect', 'perl');
    expect(applying(connect)).toContain('laurel-connect');
    const connectRule = rules.laurel.find((r) => r.id === 'laurel-connect');
    if (connectRule === undefined) throw new Error('laurel-connect is gone from rules/laurel.json');
    const sockaddr = (connect.doc.SOCKADDR as Doc[])[0]?.SADDR as Doc;
    expect(factsOf(connectRule, connect.doc)).toMatchObject({
      ports: [sockaddr.port],
      addresses: ['127.0.0.1'],
    });
    expect(applying(find(events, 'openat'))).toContain('laurel-path-create');
  });
});
