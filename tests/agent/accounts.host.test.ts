/**
 * Accounts and logons from audit netlink, without auditd: the agent, on its defaults, switches
 * kernel auditing on while this test creates a uniquely named account with useradd, sets its
 * password, changes it with usermod, logs into it with su (as root, then as nobody with the right
 * and a wrong password) and deletes it; every step must come out as its ECS event. The audit text
 * parser is checked without root.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../agent/src/ecs-event.ts';
import { auditMeaning, parseAuditText } from '../../agent/src/families/audit/message.ts';
import {
  type AgentResult,
  announceSkip,
  BUILD,
  bpfSkipReason,
  buildAgent,
  sleep,
  startAgent,
  tempDir,
} from './helpers.ts';

describe('audit message text', () => {
  it('splits outer and msg fields, with multi-word op values and quoted strings', () => {
    const a = parseAuditText(
      `audit(1795442913.403:2527): pid=30425 uid=0 auid=4294967295 ses=4294967295 msg='op=adding user id=1001 exe="/usr/sbin/useradd" hostname=? addr=? terminal=? res=success'`,
    );
    expect(a.serial).toBe(2527);
    expect(a.timeMs).toBe(1795442913403);
    expect(Object.fromEntries(a.fields)).toEqual({
      pid: '30425',
      uid: '0',
      auid: '4294967295',
      ses: '4294967295',
      op: 'adding user',
      id: '1001',
      exe: '/usr/sbin/useradd',
      hostname: '?',
      addr: '?',
      terminal: '?',
      res: 'success',
    });
  });

  it('decodes hex-encoded account names (libaudit encodes names with spaces)', () => {
    const a = parseAuditText(
      `audit(1.2:3): pid=1 uid=0 msg='op=PAM:authentication acct=6A6F686E20646F65 exe="/usr/bin/su" res=failed'`,
    );
    expect(a.fields.get('acct')).toBe('john doe');
    expect(a.fields.get('op')).toBe('PAM:authentication');
  });

  it('maps message types and results to actions', () => {
    const f = (res: string) => new Map([['res', res]]);
    expect(auditMeaning(1112, f('success'))?.action).toBe('logged-in');
    expect(auditMeaning(1112, f('failed'))?.action).toBe('user-login-failed');
    expect(auditMeaning(1113, f('success'))?.action).toBe('logged-out');
    expect(auditMeaning(1100, f('failed'))).toMatchObject({
      action: 'user-login-failed',
      category: 'authentication',
    });
    expect(auditMeaning(1105, f('success'))).toMatchObject({
      action: 'session-opened',
      category: 'session',
      type: ['start'],
    });
    expect(auditMeaning(1114, f('success'))?.type).toEqual(['user', 'creation']);
    expect(auditMeaning(1115, f('success'))?.action).toBe('deleted-user');
    expect(auditMeaning(1102, f('success'))?.action).toBe('modified-user');
    // shadow-utils' usermod reports its edits as USER_CHAUTHTOK; only PAM's are password changes.
    const op = (o: string) =>
      new Map([
        ['res', 'success'],
        ['op', o],
      ]);
    expect(auditMeaning(1108, op('changing comment'))?.action).toBe('modified-user');
    expect(auditMeaning(1108, op('PAM:chauthtok'))?.action).toBe('changed-password');
    expect(auditMeaning(1300, f('success'))).toBeUndefined(); // SYSCALL: not an account message
  });
});

const TOOLS = ['useradd', 'userdel', 'usermod', 'chpasswd', 'su'];
const missingTools = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skip = announceSkip(
  'agent accounts and logons capture',
  bpfSkipReason() ??
    (missingTools.length
      ? `missing ${missingTools.join(', ')} (passwd, login packages)`
      : undefined),
);

function auditEnabled(): string | undefined {
  const r = spawnSync('auditctl', ['-s'], { encoding: 'utf8' });
  return r.status === 0 ? /^enabled (\d)/m.exec(r.stdout)?.[1] : undefined;
}

function run(
  cmd: string,
  args: string[],
  opts: { input?: string; uid?: number; gid?: number } = {},
) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000, ...opts });
}

describe.skipIf(skip)('agent capture of account changes and PAM logons via audit netlink', () => {
  const user = `etm-agent-${randomBytes(4).toString('hex')}`;
  const password = `Pw-${randomBytes(6).toString('hex')}`;
  let uid = -1;
  let result: AgentResult;
  let enabledBefore: string | undefined;
  let nobodyTried = false;
  /** Why the audit family could not attach here (e.g. inside a container), if it could not. */
  let unavailable: string | undefined;

  beforeAll(async () => {
    buildAgent();
    enabledBefore = auditEnabled();
    const dir = tempDir('accounts');
    const agent = await startAgent(['--families', 'process,audit'], dir);
    unavailable = /no audit family: ([^\n]*)/.exec(agent.stderr())?.[1];
    if (unavailable) {
      console.warn(`[skipped] audit capture: ${unavailable}`);
      result = await agent.stop();
      return;
    }
    try {
      const add = run('useradd', ['-M', '-s', '/bin/sh', user]);
      if (add.status !== 0) throw new Error(`useradd failed: ${add.stderr}`);
      uid = Number(run('id', ['-u', user]).stdout.trim());
      run('chpasswd', [], { input: `${user}:${password}\n` });
      run('usermod', ['-c', 'agent test', user]);
      run('su', ['--shell', '/bin/sh', '--command', 'true', user]);
      const nobody = run('id', ['-u', 'nobody']);
      if (nobody.status === 0) {
        nobodyTried = true;
        const ids = {
          uid: Number(nobody.stdout.trim()),
          gid: Number(run('id', ['-g', 'nobody']).stdout.trim()),
        };
        run('su', ['--shell', '/bin/sh', '--command', 'true', user], {
          ...ids,
          input: 'wrong-password\n',
        });
      }
      // useradd names the account by id only; the agent waits for /etc/passwd (up to a stats tick).
      await sleep(1500);
    } finally {
      run('userdel', [user]);
      await sleep(300);
      result = await agent.stop();
    }
  });

  afterAll(() => {
    run('userdel', [user]); // in case the test failed before deleting it
    if (result && result.code !== 0) console.error(result.stderr);
  });

  const named = (action: string, key: 'target' | 'self') =>
    result.events.filter((e) => {
      if (e.event.action !== action) return false;
      const u = e.user as { name?: string; target?: { name?: string } };
      return key === 'target' ? u.target?.name === user : u.name === user;
    });
  const one = (action: string, key: 'target' | 'self'): EcsEvent => {
    const list = named(action, key);
    expect(list, `${action} events for ${user}`).toHaveLength(1);
    return list[0] as EcsEvent;
  };
  const exe = (e: EcsEvent) => e.process.executable as string;

  it('exits cleanly and leaves kernel auditing as it found it', (ctx) => {
    if (unavailable) ctx.skip();
    expect(result.code).toBe(0);
    if (enabledBefore === '0') {
      expect(result.stderr).toMatch(/kernel auditing enabled for this run/);
    }
    if (enabledBefore !== undefined) expect(auditEnabled()).toBe(enabledBefore);
  });

  it('reports useradd as added-user naming the account and its id', (ctx) => {
    if (unavailable) ctx.skip();
    const e = one('added-user', 'target');
    expect(e.event).toMatchObject({
      category: ['iam'],
      type: ['user', 'creation'],
      outcome: 'success',
    });
    expect(e.user).toEqual({ id: '0', name: 'root', target: { id: String(uid), name: user } });
    expect(exe(e)).toBe(realpathSync(join('/usr/sbin', 'useradd')));
    expect((e.auditd as { data: { op: string } }).data.op).toBe('adding user');
    expect((e.auditd as { message_type: string }).message_type).toBe('add_user');
  });

  it('reports the group useradd created as added-group', (ctx) => {
    if (unavailable) ctx.skip();
    const g = result.events.filter(
      (e) => e.event.action === 'added-group' && (e.group as { name?: string })?.name === user,
    );
    expect(g).toHaveLength(1);
    expect(g[0]?.event.type).toEqual(['group', 'creation']);
  });

  it('reports chpasswd and usermod as account changes', (ctx) => {
    if (unavailable) ctx.skip();
    expect(one('changed-password', 'target').event.type).toEqual(['user', 'change']);
    const mod = one('modified-user', 'target');
    expect((mod.auditd as { data: { op: string } }).data.op).toBe('changing comment');
    expect(exe(mod)).toBe(realpathSync('/usr/sbin/usermod'));
  });

  it("reports su's PAM session as session-opened and session-closed for the account", (ctx) => {
    if (unavailable) ctx.skip();
    const open = one('session-opened', 'self');
    const close = one('session-closed', 'self');
    expect(open.event).toMatchObject({
      category: ['session'],
      type: ['start'],
      outcome: 'success',
    });
    expect(close.event).toMatchObject({ category: ['session'], type: ['end'] });
    expect(open.user).toEqual({ id: String(uid), name: user });
    expect(exe(open)).toBe(realpathSync('/usr/bin/su'));
    expect(open.process.pid).toBe(close.process.pid);
  });

  it('reports a wrong password as user-login-failed', (ctx) => {
    if (unavailable) ctx.skip();
    if (!nobodyTried) {
      console.warn('[skipped] failed logon: no nobody account to run su from');
      return;
    }
    const e = one('user-login-failed', 'self');
    expect(e.event).toMatchObject({ category: ['authentication'], outcome: 'failure' });
    expect((e.auditd as { data: { op: string } }).data.op).toBe('PAM:authentication');
    expect(exe(e)).toBe(realpathSync('/usr/bin/su'));
  });

  it('reports userdel as deleted-user, still naming the deleted account', (ctx) => {
    if (unavailable) ctx.skip();
    const e = one('deleted-user', 'target');
    expect(e.event).toMatchObject({
      category: ['iam'],
      type: ['user', 'deletion'],
      outcome: 'success',
    });
    expect(e.user).toMatchObject({ target: { id: String(uid), name: user } });
    expect(exe(e)).toBe(realpathSync('/usr/sbin/userdel'));
  });
});

describe.skipIf(skip)('audit source with kernel auditing off', () => {
  it('says that account events need auditing when told not to switch it on, instead of staying silent', () => {
    if (auditEnabled() !== '0') {
      console.warn(
        '[skipped] kernel auditing is on here (or auditctl is missing): nothing to warn about',
      );
      return;
    }
    buildAgent();
    const r = spawnSync(join(BUILD, 'agent-loader'), ['-f', 'memfd,audit'], {
      encoding: 'utf8',
      timeout: 3000,
      killSignal: 'SIGTERM',
    });
    expect(r.stderr).toMatch(
      /kernel auditing is off .* Start with -A \(what npm run agent does unless given --no-audit-enable\)/,
    );
    expect(auditEnabled()).toBe('0');
  });
});

describe.skipIf(skip)('audit switch shared by two agents', () => {
  /** A loader with the audit family (and memfd: it needs one BPF family), resolved once it has said what it did with auditing. */
  async function loader() {
    const child = spawn(join(BUILD, 'agent-loader'), ['-f', 'memfd,audit', '-A'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.resume();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    for (let i = 0; i < 100 && !/kernel auditing (enabled|is on)/.test(stderr); i++)
      await sleep(50);
    return {
      stderr: () => stderr,
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
      },
    };
  }

  it('stays on until the last agent that relies on it exits, then is off as found', async () => {
    if (auditEnabled() !== '0') {
      console.warn('[skipped] kernel auditing is on here (or auditctl is missing)');
      return;
    }
    buildAgent();
    const first = await loader();
    const second = await loader();
    try {
      expect(first.stderr()).toContain('kernel auditing enabled for this run');
      expect(second.stderr()).toContain('switched on by an agent-loader');
      await first.stop();
      expect(auditEnabled(), 'the second agent still needs it').toBe('1');
      expect(first.stderr()).toMatch(/kernel auditing stays on for agent-loader pid \d+/);
    } finally {
      await first.stop();
      await second.stop();
    }
    expect(auditEnabled()).toBe('0');
  });
});
