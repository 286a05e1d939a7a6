/**
 * Runs each generator for real, in this process, and checks every action against the kernel while
 * its resources still exist (observe hook): memfds through /proc/<pid>/fd, fixtures re-hashed from
 * disk, sockets in /proc/net, BPF programs through bpftool, accounts in /etc/passwd.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
} from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Generator } from '../../generators/generator.types.ts';
import { executeRun, newRunId } from '../../generators/lib/execute.ts';
import { probeHost } from '../../generators/lib/host.ts';
import {
  type Action,
  LINUX_SUB_CATEGORY_IDS,
  type Run,
  RunSchema,
} from '../../generators/manifest.schema.ts';
import { findGenerator, GENERATORS } from '../../generators/registry.ts';
import { announceRootSkip, bpfProgramExists, isRoot, traces } from './helpers.ts';

announceRootSkip('tests/generators/activities.test.ts');

function generator(name: string): Generator {
  const g = findGenerator(name);
  if (g === undefined) throw new Error(`no generator ${name}`);
  return g;
}

/**
 * Runs a generator with a check per action; failures inside observe fail the test. A generator
 * this host cannot run skips the test with the host's reason.
 */
async function run(
  name: string,
  skip: (note: string) => never,
  check: (action: Action, runId: string) => void,
): Promise<Run> {
  const missing = generator(name).unavailable(probeHost());
  if (missing !== undefined) skip(`${name} is not possible on this host: ${missing}`);
  const runId = newRunId();
  const problems: string[] = [];
  const result = await executeRun(generator(name), {
    runId,
    iteration: 1,
    host: probeHost(),
    signal: new AbortController().signal,
    log: () => {},
    observe: (action) => {
      try {
        check(action, runId);
      } catch (error) {
        problems.push(`#${action.seq} ${action.operation}: ${(error as Error).message}`);
      }
    },
  });
  expect(problems).toEqual([]);
  expect(RunSchema.parse(result)).toEqual(result);
  if (result.status === 'not-possible')
    skip(`${name} is not possible on this host: ${result.reason}`);
  expect(result.leftovers).toEqual([]);
  expect(traces(runId)).toEqual([]);
  return result;
}

function expectOk(r: Run): void {
  const unexpected = r.actions.filter(
    (a) => (a.expect === 'success' && !a.result.ok) || (a.expect === 'failure' && a.result.ok),
  );
  expect(unexpected).toEqual([]);
  expect(r.status, r.reason).toBe('ok');
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Shannon entropy written independently of generators/lib/file-facts.ts. */
function entropy(data: Uint8Array): number {
  const counts = new Map<number, number>();
  for (const b of data) counts.set(b, (counts.get(b) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / data.length) * (Math.log(c / data.length) / Math.LN2);
  return h;
}

const MAGIC: Record<string, string> = {
  elf: '7f454c46',
  zip: '504b0304',
  xz: 'fd377a585a00',
  gzip: '1f8b08',
  pdf: '255044462d',
};

describe('memfd_create_exec', () => {
  it('records what the kernel did for every flag combination, seal, write and exec', async ({
    skip,
  }) => {
    const payload = readFileSync(probeHost().bin.cat as string);
    const r = await run('memfd_create_exec', skip, (a) => {
      const fdPath = `/proc/${a.actor.pid}/fd/${a.args.fd}`;
      const names = a.args.flags?.names ?? [];
      if (a.operation === 'memfd_create' && a.result.ok) {
        expect(readlinkSync(fdPath)).toBe(`/memfd:${a.args.memfdName} (deleted)`);
        expect(a.result.returnValue).toBe(a.args.fd);
        const fdFlags = Number.parseInt(
          /flags:\s+(\d+)/.exec(
            readFileSync(`/proc/${a.actor.pid}/fdinfo/${a.args.fd}`, 'utf8'),
          )?.[1] ?? '',
          8,
        );
        expect((fdFlags & 0o2000000) !== 0).toBe(names.includes('MFD_CLOEXEC'));
        const seals = a.args.seals?.value;
        if (names.includes('MFD_NOEXEC_SEAL')) expect(seals).toBe(0x20);
        else if (names.includes('MFD_ALLOW_SEALING')) expect(seals).toBe(0);
        else expect(seals).toBe(0x1);
      }
      if (a.operation === 'memfd_create' && !a.result.ok) {
        expect(names).toEqual(expect.arrayContaining(['MFD_NOEXEC_SEAL', 'MFD_EXEC']));
        expect([a.result.errno, a.result.errnoName]).toEqual([22, 'EINVAL']);
      }
      if (a.operation === 'write') {
        const back = readFileSync(fdPath);
        expect(sha256(back)).toBe(a.args.file?.sha256);
        expect(back.equals(payload)).toBe(true);
      }
      if (a.operation === 'execve' || a.operation === 'execveat') {
        if (a.result.ok) {
          const child = a.children?.[0];
          expect(child?.resolvedExecutable).toBe(`/memfd:${a.args.memfdName} (deleted)`);
          expect(child?.exitCode).toBe(0);
          expect(child?.pid).toBeGreaterThan(0);
        } else {
          expect(a.args.memfdName).toMatch(/-noexec-seal$/);
          expect(a.result.errnoName).toBe('EACCES');
        }
      }
    });
    expectOk(r);
    expect(r.actions.filter((a) => a.operation === 'memfd_create')).toHaveLength(16);
    expect(
      r.actions.filter((a) => a.operation === 'execveat' && a.result.ok).length,
    ).toBeGreaterThanOrEqual(2);
    const open = readdirSync('/proc/self/fd').map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    });
    expect(open.filter((target) => target.includes(r.runId))).toEqual([]);
  });
});

describe('file_metadata', () => {
  it('reports size, hashes, entropy and header bytes that match the bytes on disk', async ({
    skip,
  }) => {
    const kinds = new Set<string>();
    const r = await run('file_metadata', skip, (a) => {
      if (a.operation === 'unlink') {
        expect(existsSync(a.args.path as string)).toBe(false);
        return;
      }
      const f = a.args.file;
      if (f === undefined) throw new Error('no file facts');
      const data = readFileSync(f.path);
      expect(f.size).toBe(data.length);
      expect(f.sha256).toBe(sha256(data));
      expect(f.md5).toBe(createHash('md5').update(data).digest('hex'));
      expect(f.sha1).toBe(createHash('sha1').update(data).digest('hex'));
      expect(f.ssdeep).toMatch(/^\d+:[A-Za-z0-9+/]*:[A-Za-z0-9+/]*$/);
      expect(f.entropy).toBeCloseTo(entropy(data), 5);
      expect(f.headerHex).toBe(data.subarray(0, 16).toString('hex'));
      if (f.kind !== undefined) kinds.add(f.kind);
      const magic = MAGIC[f.kind ?? ''];
      if (magic !== undefined) expect(f.headerHex.startsWith(magic)).toBe(true);
      if (f.kind === 'random') expect(f.entropy).toBeGreaterThan(7.9);
      if (f.kind === 'ascii') expect(f.entropy).toBeLessThan(4.5);
      if (f.kind === 'gzip') expect(gunzipSync(data).toString()).toContain('fixture');
      if (f.kind === 'xz') expect(data.subarray(-2).toString()).toBe('YZ');
    });
    expectOk(r);
    expect([...kinds].sort()).toEqual(['ascii', 'elf', 'gzip', 'pdf', 'random', 'xz', 'zip']);
    expect(r.actions.map((a) => a.operation)).toEqual([
      ...Array(7).fill('create'),
      'write',
      'rename',
      ...Array(7).fill('unlink'),
    ]);
    expect(existsSync(r.tempDir as string)).toBe(false);
  });
});

describe('file_activity, process_lifecycle, script_content', () => {
  it('file_activity leaves the file facts of each step and an ENOENT for the second unlink', async ({
    skip,
  }) => {
    const checked: string[] = [];
    const r = await run('file_activity', skip, (a) => {
      if (a.args.file !== undefined)
        expect(sha256(readFileSync(a.args.file.path))).toBe(a.args.file.sha256);
      if (a.operation === 'chmod' || a.operation === 'truncate') {
        checked.push(a.operation);
        expect(a.args.file, `${a.operation} records the file as it is afterwards`).toBeDefined();
        if (a.operation === 'chmod') expect(a.args.file?.mode).toBe(0o600);
        else expect(a.args.file?.size).toBe(10);
      }
    });
    expectOk(r);
    // A run without the truncate or the chmod must fail here, not skip the checks above.
    expect(checked).toEqual(['truncate', 'chmod']);
    expect(r.actions.at(-1)?.result.errnoName).toBe('ENOENT');
  });

  it('process_lifecycle records exit codes, the failed exec and the SIGTERM', async ({ skip }) => {
    const r = await run('process_lifecycle', skip, () => {});
    expectOk(r);
    const children = r.actions.map((a) => a.children?.[0]);
    expect(children[0]?.exitCode).toBe(0);
    expect(children[1]?.exitCode).toBe(1);
    expect(r.actions[2]?.result.errnoName).toBe('ENOENT');
    expect(children[3]?.signal).toBe('SIGTERM');
  });

  it('script_content runs each script and records its text and hash', async ({ skip }) => {
    // Each working script prints its run id (the sh one upper-cased).
    const r = await run('script_content', skip, (a, runId) => {
      if (a.args.script === undefined) return;
      expect(a.args.script.sha256).toBe(sha256(Buffer.from(a.args.script.content)));
      expect(a.children?.[0]?.exitCode).toBe(a.expect === 'failure' ? 2 : 0);
      if (a.expect === 'success') expect(a.note?.toUpperCase()).toContain(runId.toUpperCase());
    });
    expectOk(r);
    expect(
      r.actions.flatMap((a) =>
        a.args.script === undefined
          ? []
          : [`${a.args.script.delivery} ${a.args.script.interpreter.split('/').pop()}`],
      ),
    ).toEqual([
      'argv bash',
      'argv sh',
      'argv python3',
      'file bash',
      'file python3',
      'stdin bash',
      'stdin python3',
      'pty bash',
      'argv bash',
    ]);
  });
});

describe('network_loopback and dns_query', () => {
  it('listens, connects and accepts only on loopback, visible in /proc/net while open', async ({
    skip,
  }) => {
    const r = await run('network_loopback', skip, (a) => {
      const n = a.args.network;
      if (n === undefined) throw new Error('no network facts');
      expect(['127.0.0.1', '::1']).toContain(n.localAddress);
      if (n.remoteAddress !== undefined)
        expect(['127.0.0.1', '::1', '::ffff:127.0.0.1']).toContain(n.remoteAddress);
      if (a.operation === 'listen' && a.result.ok) {
        const table = readFileSync(
          n.family === 'ipv4' ? '/proc/net/tcp' : '/proc/net/tcp6',
          'utf8',
        );
        const port = n.localPort.toString(16).toUpperCase().padStart(4, '0');
        expect(table).toMatch(new RegExp(`:${port} [0-9A-F]+:0000 0A `));
      }
    });
    expectOk(r);
    expect(r.actions.at(-1)?.result.errnoName).toBe('ECONNREFUSED');
  });

  it('resolves through a real resolver to its own loopback server and records the answers', async ({
    skip,
  }) => {
    const r = await run('dns_query', skip, () => {});
    expectOk(r);
    const answers = Object.fromEntries(
      r.actions
        .filter((a) => a.args.dns)
        .map((a) => [a.args.dns?.type + (a.result.ok ? '' : '-nx'), a.args.dns]),
    );
    expect(answers.A?.answers).toEqual(['127.0.0.1']);
    expect(answers.AAAA?.answers).toEqual(['::1']);
    expect(answers.TXT?.answers).toEqual([`etm ${r.runId}`]);
    expect(answers.A?.clientPort).toBeGreaterThan(0);
    expect(answers['A-nx']?.rcode).toBe('NXDOMAIN');
    expect(answers.A?.server).toMatch(/^127\./);
  });
});

describe('image_load, process_access, process_tampering', () => {
  it('image_load maps the copied library while loaded and fails on a non-ELF file', async ({
    skip,
  }) => {
    const r = await run('image_load', skip, (a) => {
      const maps = readFileSync(`/proc/${a.actor.pid}/maps`, 'utf8');
      if (a.operation === 'dlopen' && a.result.ok) {
        expect(maps).toContain(a.args.library?.path);
        expect(sha256(readFileSync(a.args.library?.path as string))).toBe(a.args.library?.sha256);
      }
      if (a.operation === 'dlclose') expect(maps).not.toContain(a.args.library?.path);
    });
    expectOk(r);
    expect(r.actions.at(-1)?.result.message).toMatch(/ELF|header|short/i);
  });

  it('process_access reads the marker through ptrace and process_vm_readv while being the tracer', async ({
    skip,
  }) => {
    let target = 0;
    const r = await run('process_access', skip, (a) => {
      if (a.args.request === 'PTRACE_ATTACH') {
        target = a.args.targetPid as number;
        expect(readFileSync(`/proc/${target}/status`, 'utf8')).toMatch(
          new RegExp(`TracerPid:\\s+${a.actor.pid}\\n`),
        );
      }
      if (a.args.request === 'PTRACE_DETACH')
        expect(readFileSync(`/proc/${target}/status`, 'utf8')).toMatch(/TracerPid:\s+0\n/);
      if (a.args.memory?.bytesHex !== undefined && a.result.ok) {
        expect(`${a.args.memory.targetPid}`).toBe(`${target}`);
        expect(Buffer.from(a.args.memory.bytesHex, 'hex').toString('latin1')).toMatch(/^etm-/);
      }
    });
    expectOk(r);
    expect(r.actions.at(-1)?.result.errnoName).toBe('EFAULT');
  });

  it.runIf(isRoot)(
    'process_tampering changes the child memory, checked through /proc/<pid>/mem',
    async ({ skip }) => {
      const r = await run('process_tampering', skip, (a) => {
        if (a.operation === 'process_vm_writev' && a.result.ok) {
          const m = a.args.memory;
          if (m === undefined) throw new Error('no memory facts');
          const fd = openSync(`/proc/${m.targetPid}/mem`, 'r');
          const buf = Buffer.alloc(m.length);
          readSync(fd, buf, 0, m.length, Number(BigInt(m.address)));
          closeSync(fd);
          expect(buf.toString('hex')).toBe(m.bytesHex);
        }
      });
      expectOk(r);
    },
  );
});

describe.runIf(isRoot)('root generators', () => {
  it('ebpf_program: the program exists under its id while loaded and is gone after', async ({
    skip,
  }) => {
    let progId: number | undefined;
    const r = await run('ebpf_program', skip, (a) => {
      if (a.args.request === 'BPF_PROG_LOAD' && a.result.ok) {
        progId = a.args.bpf?.progId;
        const shown = spawnSync('bpftool', ['prog', 'show', 'id', String(progId)], {
          encoding: 'utf8',
        });
        if (shown.error === undefined) {
          expect(shown.stdout).toContain(a.args.bpf?.progName as string);
          expect(shown.stdout).toContain(a.args.bpf?.progTag as string);
        }
      }
    });
    expectOk(r);
    expect(progId).toBeGreaterThan(0);
    expect(bpfProgramExists(progId as number)).not.toBe(true);
    expect(r.actions.find((a) => a.expect === 'failure')?.result.errnoName).toBe('EINVAL');
  });

  it('raw_access_read: the recorded hash is the hash of the first 512 bytes of the device', async ({
    skip,
  }) => {
    const r = await run('raw_access_read', skip, (a) => {
      const dev = a.args.blockDevice;
      if (a.operation === 'read' && a.result.ok && dev !== undefined) {
        const fd = openSync(dev.path, 'r');
        const buf = Buffer.alloc(512);
        readSync(fd, buf, 0, 512, 0);
        closeSync(fd);
        expect(sha256(buf)).toBe(dev.sha256);
      }
    });
    expectOk(r);
    expect(r.actions.some((a) => a.operation === 'read' && a.result.ok)).toBe(true);
  });

  it('user_account: /etc/passwd shows each change while it is in effect', async ({ skip }) => {
    const entry = (name: string) =>
      readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}:`));
    const r = await run('user_account', skip, (a, runId) => {
      const line = entry(runId);
      if (a.operation === 'useradd' && a.result.ok)
        expect(line?.split(':')[2]).toBe(String(a.args.user?.uid));
      if (a.operation === 'usermod') expect(line?.split(':')[6]).toBe('/bin/sh');
      if (a.operation === 'userdel') expect(line).toBeUndefined();
    });
    expectOk(r);
    expect(r.actions.find((a) => a.expect === 'failure')?.result.returnValue).toBe(9);
  });

  it('logon: su with the right password runs as the test user, a wrong one fails', async ({
    skip,
  }) => {
    const r = await run('logon', skip, () => {});
    expectOk(r);
    const su = r.actions.filter((a) => a.operation === 'su');
    expect(su.map((a) => a.children?.[0]?.exitCode)).toEqual([0, 1]);
    expect(su[1]?.result.message).toContain('Authentication failure');
    expect(su[0]?.children?.[0]?.pid).toBeGreaterThan(0);
  });

  it('service_unit: the unit file holds the recorded bytes, then is gone', async ({ skip }) => {
    const r = await run('service_unit', skip, (a) => {
      if (a.args.file !== undefined)
        expect(sha256(readFileSync(a.args.file.path))).toBe(a.args.file.sha256);
      if (a.operation === 'unlink') expect(existsSync(a.args.path as string)).toBe(false);
      if (a.args.unit !== undefined)
        expect(a.args.unit.daemonReload).toBe(probeHost().systemdIsPid1);
      if (a.expect === 'failure') expect(a.result.errnoName).toBe('EEXIST');
    });
    expectOk(r);
    expect(r.actions.map((a) => a.operation)).toContain('unlink');
  });

  it('scheduled_task: the crontab holds the entry while installed', async ({ skip }) => {
    const host = probeHost();
    const viaCron = host.bin.crontab !== undefined && host.bin.useradd !== undefined;
    const checked: string[] = [];
    const r = await run('scheduled_task', skip, (a) => {
      if (a.operation !== 'crontab' && a.operation !== 'crontab -r') return;
      checked.push(a.operation);
      const spool = a.args.crontab?.spoolPath;
      expect(spool, `${a.operation} names the crontab file`).toBeDefined();
      if (a.operation === 'crontab')
        expect(readFileSync(spool as string, 'utf8')).toContain(a.args.crontab?.entry);
      else expect(existsSync(spool as string)).toBe(false);
    });
    expectOk(r);
    if (viaCron) {
      // With cron here, a run that never installed or removed the crontab must fail.
      expect(checked).toEqual(['crontab', 'crontab -r']);
    } else {
      expect(checked).toEqual([]);
      expect(r.actions.some((a) => a.args.unit?.type === 'timer')).toBe(true);
    }
  });
});

describe('every generator', () => {
  it('together they exercise every Linux sub-category a host can trigger (all but agent start and stop)', () => {
    const covered = new Set(GENERATORS.flatMap((g) => g.subCategories));
    const missing = LINUX_SUB_CATEGORY_IDS.filter((id) => !covered.has(id));
    expect(missing).toEqual(['agent-start', 'agent-stop']);
  });
});
