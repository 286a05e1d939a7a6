/**
 * The CLI end to end, as root: every generator for real, the manifest validated, the host left as
 * it was; interrupted and killed runs clean up; root generators fail cleanly without root.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest, type Run, RunSchema } from '../../generators/manifest.schema.ts';
import { GENERATORS } from '../../generators/registry.ts';
import {
  announceRootSkip,
  hostSnapshot,
  isRoot,
  notPossibleHere,
  ROOT,
  runCli,
  startCli,
  traces,
} from './helpers.ts';

announceRootSkip('tests/generators/run.test.ts');

const work = mkdtempSync(join(tmpdir(), 'etm-generators-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function asNobody(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'tests', 'generators', 'as-nobody.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** The worker process the CLI started (a node child of the CLI). */
function workerOf(cliPid: number): number | undefined {
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === cliPid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('worker.ts'))
        return Number(name);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

describe.runIf(isRoot)('generate all as root', () => {
  it('runs every generator, writes a valid manifest and leaves the host as it was', {
    timeout: 180_000,
  }, () => {
    const before = hostSnapshot();
    const out = join(work, 'all.json');
    const res = runCli(['all', '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    const manifest = parseManifest(readFileSync(out, 'utf8'), out);
    expect(hostSnapshot()).toEqual(before);

    expect(manifest.runs.map((r) => r.generator)).toEqual(GENERATORS.map((g) => g.name));
    const nobodyUid = Number(
      readFileSync('/etc/passwd', 'utf8').match(/^nobody:[^:]*:(\d+):/m)?.[1],
    );
    for (const run of manifest.runs) {
      const generator = GENERATORS.find((g) => g.name === run.generator);
      expect(run.leftovers).toEqual([]);
      expect(traces(run.runId)).toEqual([]);
      expect(res.stdout).toMatch(
        new RegExp(`^${run.generator} +${run.runId} +${run.status} `, 'm'),
      );
      if (run.status === 'not-possible') {
        expect(run.reason?.length, run.generator).toBeGreaterThan(40);
        continue;
      }
      expect(run.status, `${run.generator}: ${run.reason}`).toBe('ok');
      expect(run.actions.length).toBeGreaterThan(0);
      expect(run.ranAs.uid).toBe(generator?.needsRoot ? 0 : nobodyUid);
      const actors = new Set(run.actions.map((a) => a.actor.pid));
      expect(actors.size, 'one worker process did every action').toBe(1);
      expect(actors.has(manifest.invocation.pid)).toBe(false);
      run.actions.forEach((a, i) => {
        expect(a.seq).toBe(i + 1);
        if (a.phase !== 'cleanup' && !generator?.needsRoot) expect(a.actor.euid).toBe(nobodyUid);
        if (a.result.errno !== undefined && a.result.errnoName?.startsWith('E')) {
          expect(constants.errno[a.result.errnoName as keyof typeof constants.errno]).toBe(
            a.result.errno,
          );
        }
        if (a.expect === 'success')
          expect(a.result.ok, `${run.generator} #${a.seq} ${a.operation}`).toBe(true);
        if (a.expect === 'failure')
          expect(a.result.ok, `${run.generator} #${a.seq} ${a.operation}`).toBe(false);
      });
      const times = run.actions.map((a) => BigInt(a.at.monotonicNs));
      expect([...times].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(times);
    }
    expect(manifest.runs.find((r) => r.generator === 'driver_load')?.status).toBe('not-possible');
    // Dropped to nobody, the DNS server still gets port 53, where sensors look for DNS.
    const dnsServer = manifest.runs
      .find((r) => r.generator === 'dns_query')
      ?.actions.find((a) => a.operation === 'bind');
    expect(dnsServer?.args.network?.localPort).toBe(53);
    if (Number(before.unprivilegedPortStart) > 53)
      expect(res.stderr).toMatch(
        /\[dns_query \S+\] net\.ipv4\.ip_unprivileged_port_start: restored/,
      );
  });

  it('gives each --repeat its own run id', () => {
    const out = join(work, 'repeat.json');
    const res = runCli(['file_metadata', '--repeat', '2', '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    const runs = parseManifest(readFileSync(out, 'utf8')).runs;
    expect(runs.map((r) => r.iteration)).toEqual([1, 2]);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(2);
  });

  it('prints the summary as one JSON object per run with --json', () => {
    const out = join(work, 'json.json');
    const res = runCli(['file_activity', 'driver_load', '--json', '--out', out]);
    expect(res.code).toBe(0);
    const rows = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const runs = parseManifest(readFileSync(out, 'utf8')).runs;
    expect(rows).toEqual([
      {
        generator: 'file_activity',
        runId: runs[0]?.runId,
        status: 'ok',
        actions: 13,
        ok: 12,
        refused: 1,
        failed: 0,
        reason: '',
      },
      {
        generator: 'driver_load',
        runId: runs[1]?.runId,
        status: 'not-possible',
        actions: 0,
        ok: 0,
        refused: 0,
        failed: 0,
        reason: runs[1]?.reason,
      },
    ]);
  });

  it('writes the manifest to stdout and the table to stderr without --out', () => {
    const res = runCli(['file_activity']);
    expect(res.code).toBe(0);
    expect(parseManifest(res.stdout).runs[0]?.status).toBe('ok');
    expect(res.stderr).toMatch(
      /^GENERATOR +RUN ID +STATUS +ACTIONS +OK +REFUSED +FAILED +REASON$/m,
    );
  });
});

describe.runIf(isRoot)('interrupted runs clean up', () => {
  it('SIGINT mid-run removes the test account and stops before the next generator', async ({
    skip,
  }) => {
    const missing = notPossibleHere('logon');
    if (missing !== undefined) skip(missing);
    const before = hostSnapshot();
    const out = join(work, 'interrupted.json');
    const cli = startCli(['logon', 'user_account', 'file_metadata', '--out', out]);
    const [, runId] = await cli.waitFor(/\[logon (etm-[0-9a-f]{8})\] +#\d+ chpasswd \S+ → ok/);
    cli.proc.kill('SIGINT');
    const res = await cli.done;
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('SIGINT received: stopping the current run and cleaning up.');
    const manifest = parseManifest(readFileSync(out, 'utf8'), out);
    expect(manifest.runs.map((r) => r.generator)).toEqual(['logon']);
    const run = manifest.runs[0] as Run;
    expect(run.runId).toBe(runId);
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/^Interrupted by a signal/);
    expect(
      run.actions.some((a) => a.phase === 'cleanup' && a.operation === 'userdel' && a.result.ok),
    ).toBe(true);
    expect(traces(runId as string)).toEqual([]);
    expect(hostSnapshot()).toEqual(before);
  });

  it.for<[string, RegExp]>([
    ['service_unit', /#1 create (\/etc\/systemd\/system\/etm-[0-9a-f]{8}\.service) → ok/],
    ['image_load', /#1 copy \S+ → ok/],
  ])(
    'SIGINT while %s waits between steps removes its unit file or temp dir',
    async ([name, created], { skip }) => {
      const missing = notPossibleHere(name);
      if (missing !== undefined) skip(missing);
      const before = hostSnapshot();
      const out = join(work, `paced-${name}.json`);
      const cli = startCli([name, 'file_activity', '--pace', '2000', '--out', out]);
      await cli.waitFor(created);
      cli.proc.kill('SIGINT');
      const res = await cli.done;
      expect(res.code).toBe(1);
      const runs = parseManifest(readFileSync(out, 'utf8')).runs;
      expect(runs.map((r) => r.generator)).toEqual([name]);
      const run = runs[0] as Run;
      expect(run.reason).toMatch(/^Interrupted by a signal/);
      expect(run.actions[0]?.result.ok).toBe(true);
      expect(run.leftovers).toEqual([]);
      expect(traces(run.runId)).toEqual([]);
      expect(hostSnapshot()).toEqual(before);
    },
  );

  it('a worker killed with SIGKILL is cleaned up by the CLI', async ({ skip }) => {
    const missing = notPossibleHere('logon');
    if (missing !== undefined) skip(missing);
    const before = hostSnapshot();
    const out = join(work, 'killed.json');
    const cli = startCli(['logon', '--out', out]);
    const [, runId] = await cli.waitFor(/\[logon (etm-[0-9a-f]{8})\] +#\d+ chpasswd \S+ → ok/);
    const worker = workerOf(cli.proc.pid as number);
    expect(worker).toBeDefined();
    process.kill(worker as number, 'SIGKILL');
    const res = await cli.done;
    expect(res.code).toBe(1);
    const run = parseManifest(readFileSync(out, 'utf8')).runs[0] as Run;
    expect(run.status).toBe('failed');
    expect(run.reason).toContain('The worker process ended (SIGKILL) without reporting its run');
    expect(run.leftovers).toEqual([]);
    expect(traces(runId as string)).toEqual([]);
    expect(hostSnapshot()).toEqual(before);
  });
});

describe.runIf(isRoot)('without root', () => {
  const rootOnly = GENERATORS.filter((g) => g.needsRoot && g.name !== 'driver_load').map(
    (g) => g.name,
  );

  it('the CLI refuses root generators up front, says what to do, and changes nothing', () => {
    const before = hostSnapshot();
    const res = asNobody(['cli', ...rootOnly]);
    expect(res.status, res.stderr).toBe(1);
    const manifest = parseManifest(res.stdout, 'stdout');
    expect(manifest.invocation.uid).not.toBe(0);
    for (const run of manifest.runs) {
      if (run.status === 'not-possible') continue;
      expect(run.status).toBe('failed');
      expect(run.actions).toEqual([]);
      const generator = GENERATORS.find((g) => g.name === run.generator);
      expect(run.reason).toBe(
        `${run.generator} needs root to ${generator?.rootReason}; run it as root, e.g. sudo npm run generate -- ${run.generator}.`,
      );
    }
    expect(hostSnapshot()).toEqual(before);
  });

  // setpriv runs the real CLI as nobody; it needs the checkout readable by nobody (not true of a
  // checkout under /root), the harness above does not.
  const readable =
    spawnSync('setpriv', [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      'test',
      '-r',
      join(ROOT, 'generators', 'cli.ts'),
    ]).status === 0;
  if (!readable)
    console.warn(
      'tests/generators/run.test.ts: the setpriv test is skipped: nobody cannot read this checkout.',
    );
  it.runIf(readable)(
    'under setpriv as nobody, runs what needs no root and refuses the rest',
    () => {
      const res = spawnSync(
        'setpriv',
        [
          '--reuid=nobody',
          '--regid=nogroup',
          '--clear-groups',
          process.execPath,
          join(ROOT, 'generators', 'cli.ts'),
          'file_activity',
          'user_account',
        ],
        { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 },
      );
      expect(res.status, res.stderr).toBe(1);
      const [files, users] = parseManifest(res.stdout).runs;
      expect(files?.status).toBe('ok');
      expect(files?.actions.every((a) => a.actor.uid !== 0)).toBe(true);
      expect(users?.status).toBe('failed');
      expect(users?.reason).toMatch(
        /^user_account needs root to add, change and delete a local account; run it as root/,
      );
      expect(res.stderr).toMatch(
        /^user_account +etm-[0-9a-f]{8} +failed +0 +0 +0 +0 +user_account needs root/m,
      );
    },
  );

  it.for<[string, string | RegExp]>([
    [
      'ebpf_program',
      'bpf failed: EPERM (operation not permitted). The run lacks a privilege (run it as root) or a security module or device cgroup refused it.',
    ],
    ['user_account', /^useradd failed: useradd: (Permission denied|cannot lock \/etc\/passwd)/],
    [
      'service_unit',
      'create failed: EACCES (permission denied). The run lacks a permission (run it as root) or a security module refused it.',
    ],
  ])(
    '%s run directly as nobody records the refused call and its errno, then stops',
    ([name, reason], { skip }) => {
      const missing = notPossibleHere(name);
      if (missing !== undefined) skip(missing);
      if (
        name === 'ebpf_program' &&
        readFileSync('/proc/sys/kernel/unprivileged_bpf_disabled', 'utf8').trim() === '0'
      ) {
        skip(
          'unprivileged BPF is allowed on this host (kernel.unprivileged_bpf_disabled = 0), so nobody may load the program',
        );
      }
      const before = hostSnapshot();
      const res = asNobody(['execute', name]);
      const run = RunSchema.parse(JSON.parse(res.stdout));
      expect(run.ranAs.user).toBe('nobody');
      expect(run.status).toBe('failed');
      if (typeof reason === 'string') expect(run.reason).toBe(reason);
      else expect(run.reason).toMatch(reason);
      expect(run.actions.at(-1)?.result.ok).toBe(false);
      expect(run.leftovers).toEqual([]);
      expect(hostSnapshot()).toEqual(before);
    },
  );
});
