/**
 * End to end on the real kernel: start the agent, run tests/agent/activity.c (fork+exec, memfd,
 * files, ptrace, process_vm, creds, setsid, bpf, raw read), stop the agent, and compare its ECS
 * events with the activity's own account of what it did.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../agent/src/ecs-event.ts';
import { ssdeepProgram } from '../ssdeep-program.ts';
import {
  type AgentResult,
  announceSkip,
  bpfSkipReason,
  buildActivity,
  buildAgent,
  entropy,
  sleep,
  startAgent,
  tempDir,
} from './helpers.ts';

const skip = announceSkip('agent capture', bpfSkipReason());

type Step = Record<string, unknown> & { step: string; pid: number };

/** The ssdeep program's hash of some bytes, the reference for the agent's (CI installs it). */
function ssdeepOf(content: Buffer): string | undefined {
  const file = join(tempDir('ssdeep'), 'content');
  writeFileSync(file, content);
  return ssdeepProgram(file);
}

/** Why the agent's ssdeep cannot be checked here: without the program there is no reference. */
const ssdeepMissing =
  ssdeepOf(Buffer.from('probe')) === undefined
    ? 'the ssdeep program is not installed (Debian package ssdeep), so file.hash.ssdeep has no reference to be compared with'
    : undefined;

describe.skipIf(skip)('agent capture of known activity', () => {
  let dir: string;
  let result: AgentResult;
  let steps: Map<string, Step>;
  let agentPid: number;
  let loaderPid: number;

  beforeAll(async () => {
    buildAgent();
    dir = tempDir('capture');
    const activity = buildActivity(dir);
    writeFileSync(join(dir, 'agent-existing.txt'), 'first\n');
    // Other test files run in parallel and write files too: a budget they cannot use up.
    const run = await startAgent(['--analysis-rate-mib', '1024'], dir);
    agentPid = run.child.pid ?? -1;
    loaderPid = run.loaderPid;
    const act = spawnSync(activity, [dir, '/bin/true'], { cwd: dir, encoding: 'utf8' });
    if (act.status !== 0) throw new Error(`activity failed: ${act.stderr}`);
    steps = new Map(
      act.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const s = JSON.parse(l) as Step;
          return [s.step, s];
        }),
    );
    await sleep(500);
    result = await run.stop();
  });

  afterAll(() => {
    if (result && result.code !== 0) console.error(result.stderr);
  });

  const byPid = (pid: unknown, action?: string) =>
    result.events.filter(
      (e) => e.process.pid === pid && (action === undefined || e.event.action === action),
    );
  const one = (pid: unknown, action: string): EcsEvent => {
    const list = byPid(pid, action);
    expect(list, `${action} events of pid ${String(pid)}`).toHaveLength(1);
    return list[0] as EcsEvent;
  };
  const step = (name: string): Step => {
    const s = steps.get(name);
    if (!s) throw new Error(`activity did not report step ${name}`);
    return s;
  };

  it('exits cleanly and reports no kernel drops or malformed records', () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/dropped in the kernel: 0\n/);
    expect(result.stderr).toMatch(/ 0 malformed/);
  });

  it('reports fork, exec and end of a child with args, hashes and the parent linked by entity id', () => {
    const s = step('fork_exec');
    const parentExec = one(s.parent, 'exec');
    const fork = one(s.child, 'fork');
    const exec = one(s.child, 'exec');
    const end = one(s.child, 'end');
    const trueBin = realpathSync('/bin/true');
    const bytes = readFileSync(trueBin);

    expect(fork.event.category).toEqual(['process']);
    expect(fork.event.type).toEqual(['start']);
    expect((fork.process.parent as EcsEvent['process']).entity_id).toBe(
      parentExec.process.entity_id,
    );
    expect((fork.process.parent as EcsEvent['process']).pid).toBe(s.parent);
    expect(exec.process.entity_id).toBe(fork.process.entity_id);
    expect(end.process.entity_id).toBe(fork.process.entity_id);
    expect(exec.process.executable).toBe(trueBin);
    expect(exec.process.name).toBe('true');
    expect(exec.process.args).toEqual(['true', 'agent-test-arg']);
    expect(exec.process.args_count).toBe(2);
    expect(exec.process.working_directory).toBe(realpathSync(dir));
    expect(exec.process.hash).toEqual({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      md5: createHash('md5').update(bytes).digest('hex'),
    });
    expect(exec.process.previous).toEqual([
      {
        args: parentExec.process.args,
        args_count: (parentExec.process.args as string[]).length,
        executable: parentExec.process.executable,
      },
    ]);
    expect(exec.user).toEqual({ id: '0', name: 'root' });
    expect(end.process.exit_code).toBe(0);
    expect(end.event.type).toEqual(['end']);
  });

  it('gives every process its group and session leaders, and an entry leader', () => {
    const exec = one(step('fork_exec').child, 'exec');
    // The activity inherits this worker's process group and session. A leader that exited before
    // the agent started (a CI runner's detached shell, say) cannot be described, so only live
    // leaders are required, and their pids must be the right ones.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const [pgid, sid] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(2, 4)
      .map(Number);
    const alive = (pid: number | undefined) => pid !== undefined && existsSync(`/proc/${pid}`);
    for (const [key, pid] of [
      ['group_leader', pgid],
      ['session_leader', sid],
    ] as const) {
      const leader = exec.process[key] as EcsEvent['process'] | undefined;
      if (!alive(pid)) {
        console.warn(`${key} ${pid} is gone, so it cannot be described; not asserted`);
        continue;
      }
      expect(leader?.pid, key).toBe(pid);
      expect(leader?.entity_id, key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    }
    if (alive(sid)) {
      const entry = exec.process.entry_leader as {
        entity_id: string;
        entry_meta: { type: string };
      };
      expect(entry.entity_id).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(typeof entry.entry_meta.type).toBe('string');
    }
  });

  it('reports memfd_create with its name and each flag', () => {
    const s = step('memfd');
    const events = byPid(s.pid, 'memfd_create');
    expect(events).toHaveLength(2);
    const [first, second] = events.map(
      (e) => (e.process.Ext as { memfd: Record<string, unknown> }).memfd,
    );
    // Expected booleans come from the flags the activity really used (MFD_EXEC needs 6.3+).
    const flagsOf = (f: number) => ({
      allow_seal: (f & 0x2) !== 0,
      exec: (f & 0x10) !== 0,
      noexec_seal: (f & 0x8) !== 0,
      hugetlb: (f & 0x4) !== 0,
      cloexec: (f & 0x1) !== 0,
    });
    expect(first).toEqual({
      name: 'agent-test-memfd',
      flags: s.flags,
      flag: flagsOf(Number(s.flags)),
      fd: s.fd,
    });
    expect(second).toEqual({
      name: 'agent-test-noexec',
      flags: s.flags2,
      flag: flagsOf(Number(s.flags2)),
      fd: s.fd2,
    });
    if (s.flags === 0x13) {
      // The usual case (6.3+): pinned literally so a wrong bit in either place fails.
      expect((first as { flag: unknown }).flag).toEqual({
        allow_seal: true,
        exec: true,
        noexec_seal: false,
        hugetlb: false,
        cloexec: true,
      });
    }
  });

  it('makes the exec of a memfd recognisable', () => {
    const exec = one(step('memfd').exec_child, 'exec');
    expect(exec.process.executable).toBe('/memfd:agent-test-memfd (deleted)');
    expect(exec.process.args).toEqual(['memfd-true']);
    expect(exec.process.Ext).toMatchObject({
      exe_deleted: true,
      memfd: { name: 'agent-test-memfd' },
    });
  });

  it('makes the exec of a deleted file recognisable', () => {
    const s = step('deleted_exec');
    expect(s.exit_status).toBe(0);
    const exec = one(s.child, 'exec');
    expect(exec.process.executable).toBe(
      `${realpathSync(dir)}${String(s.path).slice(dir.length)} (deleted)`,
    );
    expect(exec.process.Ext).toMatchObject({ exe_deleted: true });
    expect((exec.process.Ext as Record<string, unknown>).memfd).toBeUndefined();
  });

  it('reports file creation and modification with size, entropy, header bytes and hashes after close', () => {
    const s = step('files');
    const content = Buffer.from(String(s.content_hex), 'hex');
    const created = realpathSync(dir) + String(s.created).slice(dir.length);
    const creation = byPid(s.pid, 'creation').filter((e) => e.file?.path === created);
    const modification = byPid(s.pid, 'modification').filter((e) => e.file?.path === created);
    expect(creation).toHaveLength(1);
    expect(modification).toHaveLength(1); // two writes, one open: one event
    for (const e of [...creation, ...modification]) {
      const f = e.file as Record<string, unknown>;
      expect(f.Ext, 'content analysis ran').not.toHaveProperty('analysis_skipped');
      expect(f.size).toBe(content.length);
      expect(f.type).toBe('file');
      expect(f.mode).toBe('0640');
      expect(f.hash).toEqual({
        sha256: createHash('sha256').update(content).digest('hex'),
        md5: createHash('md5').update(content).digest('hex'),
        ssdeep: expect.any(String),
      });
      const ext = f.Ext as { entropy: number; header_bytes: string };
      expect(ext.header_bytes).toBe(content.subarray(0, 16).toString('hex'));
      expect(ext.entropy).toBeCloseTo(entropy(content), 5);
    }
    expect((creation[0] as EcsEvent).event.type).toEqual(['creation']);
    expect((modification[0] as EcsEvent).event.type).toEqual(['change']);
  });

  it.skipIf(announceSkip('agent capture, ssdeep comparison', ssdeepMissing))(
    'reports file.hash.ssdeep as the ssdeep program computes it',
    () => {
      const s = step('files');
      const content = Buffer.from(String(s.content_hex), 'hex');
      const created = realpathSync(dir) + String(s.created).slice(dir.length);
      const events = [...byPid(s.pid, 'creation'), ...byPid(s.pid, 'modification')].filter(
        (e) => e.file?.path === created,
      );
      expect(events).toHaveLength(2);
      const reference = ssdeepOf(content);
      for (const e of events) {
        expect((e.file as { hash: { ssdeep: string } }).hash.ssdeep).toBe(reference);
      }
    },
  );

  it('reports one modification per open of an existing file and no creation', () => {
    const s = step('files');
    const existing = realpathSync(String(s.existing));
    expect(byPid(s.pid, 'creation').filter((e) => e.file?.path === existing)).toHaveLength(0);
    const mods = byPid(s.pid, 'modification').filter((e) => e.file?.path === existing);
    expect(mods).toHaveLength(1);
    expect((mods[0] as EcsEvent).file?.size).toBe('first\nmore\nagain\n'.length);
  });

  it('reports the first write of every process even when the last one exited without close()', () => {
    const s = step('exit_without_close');
    const path = realpathSync(String(s.path));
    const children = s.children as number[];
    expect(children).toHaveLength(20);
    for (const child of children) {
      const mods = byPid(child, 'modification').filter((e) => e.file?.path === path);
      expect(mods, `modification by child ${child}`).toHaveLength(1);
    }
  });

  it('reports rename with the original path and deletion of the renamed file', () => {
    const s = step('files');
    const real = realpathSync(dir);
    const renamed = real + String(s.renamed).slice(dir.length);
    const created = real + String(s.created).slice(dir.length);
    const rename = byPid(s.pid, 'rename').filter((e) => e.file?.path === renamed);
    expect(rename).toHaveLength(1);
    expect((rename[0] as EcsEvent).file?.Ext).toEqual({
      original: { path: created, name: 'agent-created.bin' },
    });
    const deletion = byPid(s.pid, 'deletion').filter((e) => e.file?.path === renamed);
    expect(deletion).toHaveLength(1);
    expect((deletion[0] as EcsEvent).event.type).toEqual(['deletion']);
  });

  it('reports ptrace requests against the traced child, linked by entity id', () => {
    const s = step('ptrace');
    const events = byPid(s.pid, 'ptrace');
    expect(
      events.map((e) => (e.process.Ext as { ptrace: { request: number } }).ptrace.request),
    ).toEqual(s.requests);
    expect(
      events.map(
        (e) => (e.process.Ext as { ptrace: { request_name: string } }).ptrace.request_name,
      ),
    ).toEqual(['PTRACE_ATTACH', 'PTRACE_PEEKDATA', 'PTRACE_DETACH']);
    const targetFork = one(s.target, 'fork');
    for (const e of events) {
      expect(e.Target?.process.pid).toBe(s.target);
      expect(e.Target?.process.entity_id).toBe(targetFork.process.entity_id);
      expect(e.event.outcome).toBe('success');
    }
    expect(events[0]?.event.type).toEqual(['access']);
  });

  it('reports process_vm_writev and process_vm_readv with bytes and target', () => {
    const s = step('process_vm');
    const w = one(s.pid, 'process_vm_writev');
    const r = one(s.pid, 'process_vm_readv');
    expect(w.Target?.process.pid).toBe(s.target);
    expect((w.process.Ext as { process_vm: { bytes: number } }).process_vm.bytes).toBe(s.written);
    expect(w.event.type).toEqual(['change']);
    expect(r.Target?.process.pid).toBe(s.target);
    expect((r.process.Ext as { process_vm: { bytes: number } }).process_vm.bytes).toBe(s.read);
    expect(r.event.type).toEqual(['access']);
  });

  it('reports setsid as session_begin and setresgid/setresuid as gid_change/uid_change', () => {
    const s = step('creds');
    const session = one(s.child, 'session_begin');
    expect(session.process.session_leader).toMatchObject({
      pid: s.child,
      entity_id: session.process.entity_id,
    });
    const gid = one(s.child, 'gid_change');
    const uid = one(s.child, 'uid_change');
    expect(gid.process.group).toEqual({ id: '65534', name: expect.any(String) });
    expect(gid.process.Ext).toMatchObject({
      cred_change: {
        syscall: 'setresgid',
        args: [65534, 65534, 65534],
        previous: { group: { id: '0' } },
      },
    });
    expect(uid.process.user).toEqual({ id: '65534', name: 'nobody' });
    expect(uid.user).toEqual({ id: '65534', name: 'nobody' });
    expect(uid.process.Ext).toMatchObject({
      cred_change: { syscall: 'setresuid', previous: { user: { id: '0', name: 'root' } } },
    });
  });

  it('reports a BPF program load with type, name and size', () => {
    const s = step('bpf');
    const e = one(s.pid, 'bpf_prog_load');
    expect(e.process.Ext).toEqual({
      bpf: {
        prog_type: 1,
        prog_type_name: 'socket_filter',
        prog_name: 'agent_test',
        insn_cnt: 2,
        expected_attach_type: 0,
      },
    });
    expect(e.event.outcome).toBe('success');
  });

  it('reports opening a block device for reading as raw access', (ctx) => {
    const s = step('raw_read');
    if (s.path === null) {
      console.warn('[skipped] raw access: no block device could be opened on this machine');
      ctx.skip();
    }
    const e = byPid(s.pid, 'raw_access_read').filter(
      (x) => x.file?.path === realpathSync(String(s.path)),
    );
    expect(e).toHaveLength(1);
    expect((e[0] as EcsEvent).file?.type).toBe('block_device');
  });

  it('attaches no library loads on the defaults (the image family is opt-in)', () => {
    expect(result.events.filter((e) => e.event.category.includes('library'))).toEqual([]);
  });

  it("never reports the agent's own activity, only its start first and its stop last", () => {
    const own = result.events.filter(
      (e) => e.process.pid === agentPid || e.process.pid === loaderPid,
    );
    expect(own.map((e) => [e.event.action, e.process.pid])).toEqual([
      ['agent_start', loaderPid],
      ['agent_stop', loaderPid],
    ]);
    expect(result.events[0]).toMatchObject({
      event: { action: 'agent_start', category: ['host'] },
      process: { pid: loaderPid, parent: { pid: agentPid } },
    });
    expect(result.events.at(-1)?.event).toMatchObject({ action: 'agent_stop', type: ['end'] });
    expect(result.events.at(-1)?.message).toMatch(
      /^reference agent detached: \d+ records read, 0 dropped/,
    );
    expect(result.events.length).toBeGreaterThan(20);
  });

  it('writes ECS basics on every event, and an entity id on every process, file and security one', () => {
    // Actions of the families under test here; the others (network, audit...) have their own tests.
    const actions = new Set([
      'fork',
      'exec',
      'end',
      'session_begin',
      'memfd_create',
      'creation',
      'modification',
      'rename',
      'deletion',
      'raw_access_read',
      'ptrace',
      'process_vm_writev',
      'process_vm_readv',
      'bpf_prog_load',
      'uid_change',
      'gid_change',
    ]);
    let checked = 0;
    for (const e of result.events) {
      expect(e['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(e.ecs).toEqual({ version: '8.17.0' });
      expect(e.event.kind).toBe('event');
      if (!actions.has(e.event.action)) continue;
      checked++;
      expect(e.process.entity_id, `${e.event.action} of pid ${e.process.pid}`).toMatch(
        /^[A-Za-z0-9_-]{32}$/,
      );
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe.skipIf(skip)('agent image family (library loads, off by default)', () => {
  it('reports the libraries ld.so maps for a dynamic program, linked to its exec', async () => {
    buildAgent();
    const dir = tempDir('image');
    const run = await startAgent(['--families', 'process,image'], dir);
    const child = spawnSync('/usr/bin/true');
    await sleep(400);
    const { events, code } = await run.stop();
    expect(code).toBe(0);
    const pid = child.pid as number;
    const libc = realpathSync(
      spawnSync('sh', ['-c', 'ldd /usr/bin/true | sed -n "s/.*libc.so.6 => \\([^ ]*\\).*/\\1/p"'], {
        encoding: 'utf8',
      }).stdout.trim(),
    );
    const loads = events.filter((e) => e.event.action === 'load' && e.process.pid === pid);
    expect(loads.map((e) => (e.dll as { path: string }).path)).toContain(libc);
    const exec = events.find((e) => e.event.action === 'exec' && e.process.pid === pid);
    expect(loads[0]?.event.category).toEqual(['library']);
    expect(loads[0]?.process.entity_id).toBe(exec?.process.entity_id);
    expect(loads[0]?.process.executable).toBe('/usr/bin/true');
  });
});

describe.skipIf(skip)('agent exclusions', () => {
  it('drops events matching path, name and uid rules', async () => {
    buildAgent();
    const dir = tempDir('exclude');
    const run = await startAgent(
      ['--exclude', `path:${realpathSync(dir)}/skip-*,name:true`, '--exclude', 'uid:65534'],
      dir,
    );
    writeFileSync(join(dir, 'skip-me.txt'), 'x');
    writeFileSync(join(dir, 'keep-me.txt'), 'y');
    spawnSync('/bin/true');
    spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sleep', '0']);
    await sleep(400);
    const { events, code } = await run.stop();
    expect(code).toBe(0);
    const real = realpathSync(dir);
    expect(events.some((e) => e.file?.path === `${real}/keep-me.txt`)).toBe(true);
    expect(events.filter((e) => e.file?.path === `${real}/skip-me.txt`)).toEqual([]);
    expect(events.filter((e) => e.process.name === 'true')).toEqual([]);
    expect(events.filter((e) => e.user?.id === '65534')).toEqual([]);
  });
});
