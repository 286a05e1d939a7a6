/**
 * The enricher's parts without a kernel: process lineage from decoded records, content facts and
 * their bounds, the exec hash cache, user names, path resolution and exclusion rules.
 */
import { createHash } from 'node:crypto';
import { rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskCtx } from '../../agent/src/decode.ts';
import type { Decoded } from '../../agent/src/decoders.ts';
import { Enricher } from '../../agent/src/enricher.ts';
import { parseExclusions } from '../../agent/src/exclusions.ts';
import { resolvePath } from '../../agent/src/families/file/enrich.ts';
import { ExecHashCache, FileAnalyzer, type FileFacts } from '../../agent/src/hashes.ts';
import { OutputBuffer } from '../../agent/src/output.ts';
import { NameCache } from '../../agent/src/users.ts';
import { ssdeepProgram } from '../ssdeep-program.ts';
import { announceSkip, entropy, tempDir } from './helpers.ts';

/** Why ssdeep cannot be checked here: without the ssdeep program there is no reference hash. */
const ssdeepMissing = (() => {
  const probe = join(tempDir('ssdeep-probe'), 'probe');
  writeFileSync(probe, 'probe');
  return ssdeepProgram(probe) === undefined
    ? "the ssdeep program is not installed (Debian package ssdeep), so the agent's ssdeep has no reference to be compared with"
    : undefined;
})();

function task(pid: number, ppid: number, over: Partial<TaskCtx> = {}): TaskCtx {
  return {
    pid,
    tid: pid,
    ppid,
    pgid: pid,
    sid: pid,
    uid: 0,
    gid: 0,
    euid: 0,
    egid: 0,
    suid: 0,
    sgid: 0,
    ttyMajor: 0,
    ttyMinor: 0,
    pidnsIno: 0xeffffffc,
    startNs: pid * 1e9,
    startTicks: pid * 100,
    parentStartTicks: ppid * 100,
    cgroupId: 1,
    comm: 'test',
    ...over,
  };
}

function enricher(dir: string) {
  const out = new OutputBuffer();
  writeFileSync(
    join(dir, 'passwd'),
    'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n',
  );
  writeFileSync(join(dir, 'group'), 'root:x:0:\nstaff:x:1000:\n');
  const e = new Enricher({
    out,
    names: new NameCache(join(dir, 'passwd'), join(dir, 'group')),
    execHashes: new ExecHashCache(),
    analyzer: new FileAnalyzer(),
    exclusions: parseExclusions([]),
    host: {
      bootId: 'boot-1',
      pidNsIno: 0xeffffffc,
      hostname: 'h',
      kernel: 'k',
      architecture: 'x86_64',
    },
    jsonDebug: false,
    ownPids: new Set([999]),
    procRoot: undefined,
    bootToRealNs: () => 0,
  });
  const feed = (recs: Decoded[]) => {
    for (const r of recs) e.onRecord(r);
    e.finish();
    return out
      .take()
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
  };
  return { e, feed };
}

function exec(t: TaskCtx, executable: string, args: string[], tsNs: number): Decoded {
  return {
    kind: 'exec',
    tsNs,
    task: t,
    exeIno: 1,
    exeSize: 10 ** 12,
    exeMtimeNs: 0,
    exeDev: 1,
    exeNlink: 1,
    exeMode: 0o100755,
    flags: 0,
    oldTid: t.pid,
    args,
    executable,
    cwd: '/srv',
    filename: executable,
  };
}

describe('enricher process lineage', () => {
  it('links a forked and exec-ed child to its parent and keeps the exec chain', () => {
    const { feed } = enricher(tempDir('lineage'));
    const parent = task(100, 1, { euid: 1000, egid: 1000 });
    const child = task(101, 100, { euid: 1000, egid: 1000, sid: 100, pgid: 100 });
    const events = feed([
      {
        kind: 'hello',
        tsNs: 0,
        bootToRealNs: 1.7e18,
        loaderPid: 50,
        features: 0,
        families: 15,
        ringBytes: 1,
        drainMs: 20,
      },
      exec(parent, '/usr/bin/bash', ['bash'], 1e9),
      { kind: 'fork', tsNs: 2e9, task: child },
      exec(child, '/usr/bin/ls', ['ls', '-l'], 3e9),
      { kind: 'exit', tsNs: 4e9, task: child, exitCode: 9 },
      { kind: 'fork', tsNs: 5e9, task: task(999, 1) },
      {
        kind: 'stats',
        tsNs: 6e9,
        records: 7,
        bytes: 900,
        cpuUserUs: 1,
        cpuSysUs: 1,
        drops: [{ type: 1, reason: 'ringbuf_full', count: 2 }],
        final: true,
      },
    ]);
    // The sensor's own start and clean stop frame what it saw.
    expect(events.map((e) => e.event?.action)).toEqual([
      'agent_start',
      'exec',
      'fork',
      'exec',
      'end',
      'agent_stop',
    ]);
    expect(events.at(-1)).toMatchObject({
      event: { category: ['host'], type: ['end'] },
      process: { pid: 50, name: 'agent-loader' },
      message: 'reference agent detached: 7 records read, 2 dropped in the kernel',
    });
    events.shift();
    type Ev = {
      process: Record<string, unknown> & { entity_id: string };
      group: unknown;
      '@timestamp': string;
    };
    const [pExec, cFork, cExec, cEnd] = events as unknown as [Ev, Ev, Ev, Ev];
    const rel = (e: Ev, k: string) => e.process[k] as { entity_id: string };
    expect(cFork.process.entity_id).toBe(cExec.process.entity_id);
    expect(rel(cExec, 'parent').entity_id).toBe(pExec.process.entity_id);
    expect(rel(cExec, 'session_leader').entity_id).toBe(pExec.process.entity_id);
    expect(cExec.process.entry_leader).toMatchObject({
      entity_id: pExec.process.entity_id,
      entry_meta: { type: 'init' },
    });
    expect(cExec.process.previous).toEqual([
      { args: ['bash'], args_count: 1, executable: '/usr/bin/bash' },
    ]);
    expect(cExec.process.user).toEqual({ id: '1000', name: 'alice' });
    expect(cExec.group).toEqual({ id: '1000', name: 'staff' });
    expect(cExec.process.hash).toBeUndefined();
    expect(cExec.process.Ext).toEqual({ hash_skipped: 'size' });
    expect(cEnd.process.exit_code).toBe(137);
    expect(cExec['@timestamp']).toBe(new Date(1.7e12 + 3000).toISOString());
    const expectedId = createHash('sha256')
      .update(`boot-1:${0xeffffffc}:101:10100`)
      .digest('base64url')
      .slice(0, 32);
    expect(cExec.process.entity_id).toBe(expectedId);
  });
});

describe('enricher audit events', () => {
  it('waits for an exec the audit socket overtook, so the account change names the right process', () => {
    const { feed } = enricher(tempDir('audit-order'));
    const shell = task(100, 1);
    const child = task(101, 100, { sid: 100, pgid: 100 });
    const text =
      'audit(1795442913.403:2527): pid=101 uid=0 auid=4294967295 ses=4294967295 msg=\'op=deleting user id=1000 exe="/usr/sbin/userdel" hostname=? addr=? terminal=? res=success\'';
    const events = feed([
      exec(shell, '/usr/bin/node', ['node'], 1e9),
      { kind: 'fork', tsNs: 2e9, task: child },
      // The loader read the audit message before the ring buffer had the child's exec.
      { kind: 'audit_user', tsNs: 3e9, auditType: 1115, text },
      exec(child, '/usr/sbin/userdel', ['userdel', 'alice'], 2.5e9),
    ]);
    type Ev = { event: { action: string }; process: { executable: string; entity_id: string } };
    const byAction = (a: string) => (events as unknown as Ev[]).filter((e) => e.event.action === a);
    const [deleted] = byAction('deleted-user');
    const userdelExec = byAction('exec').find((e) => e.process.executable === '/usr/sbin/userdel');
    expect(deleted?.process.executable).toBe('/usr/sbin/userdel');
    expect(deleted?.process.entity_id).toBe(userdelExec?.process.entity_id);
  });
});

describe('enricher file events', () => {
  it('keeps two opens apart when a struct file address comes back for another file', () => {
    const dir = tempDir('cookie');
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    writeFileSync(a, 'aaaa');
    writeFileSync(b, 'bb');
    const { feed } = enricher(dir);
    const t = task(300, 1);
    const ref = (path: string) => {
      const st = statSync(path);
      return {
        cookie: '1:2',
        ino: st.ino,
        size: st.size,
        dev: 1,
        mode: 0o100644,
        flags: 0,
        fd: 3,
        nlink: 1,
        path,
        pathFlags: 0,
      };
    };
    const events = feed([
      { kind: 'file_create', tsNs: 1e9, task: t, file: ref(a) },
      // a exec'ed with O_CLOEXEC: no close seen; the same address now belongs to b
      { kind: 'file_create', tsNs: 2e9, task: t, file: ref(b) },
      { kind: 'file_close', tsNs: 3e9, task: t, file: ref(b) },
    ]);
    const files = events.map((e) => e.file as { path: string; size: number });
    expect(files.map((f) => [f.path, f.size])).toEqual([
      [a, 4],
      [b, 2],
    ]);
  });
});

describe('content facts', () => {
  it('measures a file: size, entropy, header bytes, hashes', () => {
    const dir = tempDir('facts');
    const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251));
    const path = join(dir, 'f.bin');
    writeFileSync(path, content);
    const { ino } = statSync(path);
    const facts = new FileAnalyzer().analyze(path, ino);
    expect(facts).toEqual({
      size: 5000,
      entropy: expect.closeTo(entropy(content), 9),
      header: content.subarray(0, 16).toString('hex'),
      digest: {
        sha256: createHash('sha256').update(content).digest('hex'),
        md5: createHash('md5').update(content).digest('hex'),
        ssdeep: expect.stringMatching(/^\d+:[A-Za-z0-9+/]+:[A-Za-z0-9+/]*$/),
      },
    });
  });

  it.skipIf(announceSkip('content facts, ssdeep comparison', ssdeepMissing))(
    'computes ssdeep as the ssdeep program does',
    () => {
      const dir = tempDir('fuzzy-ref');
      const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251));
      const path = join(dir, 'f.bin');
      writeFileSync(path, content);
      const facts = new FileAnalyzer().analyze(path, statSync(path).ino) as FileFacts;
      expect(facts.digest?.ssdeep).toBe(ssdeepProgram(path));
    },
  );

  it('gives ssdeep only to files within its own size cap and byte budget', () => {
    const dir = tempDir('fuzzy');
    const small = join(dir, 'small');
    const big = join(dir, 'big');
    writeFileSync(small, Buffer.alloc(200 << 10, 0x61));
    writeFileSync(big, Buffer.alloc((256 << 10) + 1, 0x61));
    const ino = (p: string) => statSync(p).ino;
    let now = 0;
    const a = new FileAnalyzer(16 << 20, 16 << 20, () => now);
    const fuzzy = (p: string) => (a.analyze(p, ino(p)) as FileFacts).digest?.ssdeep;
    expect(fuzzy(big), 'over 256 KiB: hashes, no ssdeep').toBeUndefined();
    for (let i = 1; i <= 5; i++) expect(fuzzy(small), `200 KiB file ${i} of 5`).toBeDefined();
    expect(fuzzy(small), 'a sixth 200 KiB in the same second is over 1 MiB/s').toBeUndefined();
    now = 1000;
    expect(fuzzy(small)).toBeDefined();
  });

  it('skips files over the size cap or the byte budget but keeps size and header', () => {
    const dir = tempDir('bounds');
    const big = join(dir, 'big');
    writeFileSync(big, Buffer.alloc(2048, 0x41));
    const ino = (p: string) => statSync(p).ino;
    expect(new FileAnalyzer(1024, 1 << 20).analyze(big, ino(big))).toEqual({
      size: 2048,
      header: '41'.repeat(16),
      skipped: 'size',
    });
    let now = 0;
    const a = new FileAnalyzer(1 << 20, 3000, () => now);
    expect(a.analyze(big, ino(big))).toMatchObject({ size: 2048, digest: expect.any(Object) });
    expect(a.analyze(big, ino(big))).toMatchObject({ skipped: 'rate' });
    now = 1000;
    expect(a.analyze(big, ino(big))).toMatchObject({ digest: expect.any(Object) });
  });

  it('refuses a path that now holds another inode', () => {
    const dir = tempDir('replaced');
    const path = join(dir, 'x');
    writeFileSync(path, 'a');
    expect(new FileAnalyzer().analyze(path, 1)).toBe('replaced');
    expect(new FileAnalyzer().analyze(join(dir, 'gone'), 1)).toBe('unreadable');
  });
});

describe('exec hash cache', () => {
  it('hashes once per (dev, inode, size, mtime) and serves repeats without reading', () => {
    const dir = tempDir('exec');
    const path = join(dir, 'bin');
    writeFileSync(path, 'binary');
    const { ino, size } = statSync(path);
    const cache = new ExecHashCache();
    const key = { dev: 1, ino, size, mtimeNs: 5 };
    const first = cache.get(key, [path]);
    rmSync(path);
    expect(cache.get(key, [path])).toEqual(first);
    expect(first).toEqual({
      sha256: createHash('sha256').update('binary').digest('hex'),
      md5: createHash('md5').update('binary').digest('hex'),
    });
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
    expect(cache.get({ ...key, mtimeNs: 6 }, [path])).toBe('unreadable');
  });
});

describe('user and group names', () => {
  it('re-reads passwd when its mtime changes', () => {
    const dir = tempDir('names');
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, 'bob:x:1001:1001::/:/bin/sh\n');
    let now = 0;
    const names = new NameCache(passwd, join(dir, 'group'), 1000, () => now);
    expect(names.user(1001)).toBe('bob');
    writeFileSync(passwd, 'robert:x:1001:1001::/:/bin/sh\n');
    utimesSync(passwd, new Date(), new Date(Date.now() + 5000));
    expect(names.user(1001)).toBe('bob');
    now = 2000;
    expect(names.user(1001)).toBe('robert');
    expect(names.group(5)).toBeUndefined();
  });
});

describe('paths and exclusions', () => {
  it('joins syscall names with their directory lexically', () => {
    expect(resolvePath('/home/a', 'x.txt')).toBe('/home/a/x.txt');
    expect(resolvePath('/home/a', '../b/./y')).toBe('/home/b/y');
    expect(resolvePath('/home/a', '/etc/passwd')).toBe('/etc/passwd');
    expect(resolvePath('/', 'z')).toBe('/z');
  });

  it('parses rules and names the accepted forms on a bad one', () => {
    const ex = parseExclusions(['path:/tmp/*.log,name:cron', 'uid:33']);
    expect(ex.paths[0]?.test('/tmp/a/b.log')).toBe(true);
    expect(ex.paths[0]?.test('/var/tmp/b.log')).toBe(false);
    expect([...ex.names]).toEqual(['cron']);
    expect([...ex.uids]).toEqual([33]);
    expect(() => parseExclusions(['path:relative'])).toThrowErrorMatchingInlineSnapshot(
      `[ExclusionRuleError: The exclusion rule "path:relative" is not understood. Use path:/absolute/glob*, name:<process name> or uid:<number>.]`,
    );
  });
});
