/**
 * auditd + LAUREL as a sensor for one capture, without touching the host's audit setup: auditd
 * runs in the foreground with its own config directory (log file and plugin dir in a temp dir),
 * LAUREL writes JSONL into that temp dir and auditd its own log beside it (what an administrator
 * without LAUREL has), the project's rules are loaded for the capture only, and afterwards the
 * rules are deleted and the kernel's audit settings (enabled, backlog limit, backlog wait time)
 * are put back as they were. Stopping drains LAUREL first and runs auditd's shutdown at real-time
 * priority, so the capture's tail and the daemon's end record reach LAUREL on a busy host too.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SensorSession } from './sensor.types.ts';

const AUDIT_RULES = fileURLToPath(new URL('../auditd/edr-telemetry.rules', import.meta.url));
const AUDITD = '/usr/sbin/auditd';
const AUDITCTL = '/usr/sbin/auditctl';
const LAUREL = '/usr/sbin/laurel';
const HOST_AUDITD_CONF = '/etc/audit/auditd.conf';

/**
 * One audit user at a time on a host: the kernel has a single audit daemon slot and one rule
 * list. Whoever starts auditd for a measurement (this refresh, a benchmark) holds this file,
 * created exclusively and holding its pid; a stale file (pid gone) is taken over.
 */
const AUDIT_LOCK = '/tmp/etm-audit.lock';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits for and takes the audit lock; returns the release function. */
async function lockAudit(timeoutMs = 180_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(AUDIT_LOCK, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(AUDIT_LOCK, 'utf8') === String(process.pid)) rmSync(AUDIT_LOCK);
        } catch {}
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(AUDIT_LOCK, 'utf8').trim() || '0');
      if (!pidAlive(holder)) {
        rmSync(AUDIT_LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `process ${holder} holds ${AUDIT_LOCK} (it is using auditd); try again when it is done.`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** `auditctl -s` as a map: enabled, pid, backlog_limit, backlog_wait_time... */
export function auditStatus(): Map<string, string> {
  const text = execFileSync(AUDITCTL, ['-s'], { encoding: 'utf8' });
  return new Map(
    text
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((p) => p.length >= 2)
      .map((p) => [p[0] as string, p[1] as string]),
  );
}

function loadedRules(): string {
  return execFileSync(AUDITCTL, ['-l'], { encoding: 'utf8' }).trim();
}

function packageVersion(pkg: string): string {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not a JS template.
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Why auditd + LAUREL cannot be started here without disturbing the host, or undefined. */
export function auditdUnavailable(checkInUse = true): string | undefined {
  if (process.getuid?.() !== 0) return 'auditd needs root: run as root (CI runs as root).';
  for (const bin of [AUDITD, AUDITCTL, LAUREL]) {
    if (!existsSync(bin))
      return `${bin} is missing: install the Debian packages auditd and laurel.`;
  }
  if (!checkInUse) return undefined;
  let status: Map<string, string>;
  try {
    status = auditStatus();
  } catch (error) {
    return `auditctl -s failed (${(error as Error).message.split('\n')[0]}): the kernel may lack audit support.`;
  }
  const pid = Number(status.get('pid') ?? '0');
  if (pid !== 0) {
    return `an audit daemon already runs (pid ${pid}); the refresh never touches a host's own audit setup, so stop it first or run on a host without one.`;
  }
  if (loadedRules() !== 'No rules') {
    return 'audit rules are already loaded; the refresh would have to delete them, so it refuses (auditctl -l shows them).';
  }
  return undefined;
}

/** An auditd session: LAUREL's JSONL is the capture, auditd's own log of the same run beside it. */
export interface AuditdSession extends SensorSession {
  /**
   * auditd's own `audit.log` (log_format as on the host), complete once `stop()` returned; only
   * when asked for (`rawLog: true`).
   */
  rawLog?: string;
}

/** Whether `file` holds `text` at or after byte `from`; returns the offset to search from next. */
function scanFor(file: string, text: string, from: number): { found: boolean; next: number } {
  if (!existsSync(file)) return { found: false, next: from };
  const size = statSync(file).size;
  if (size <= from) return { found: false, next: from };
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    if (buf.includes(text)) return { found: true, next: size };
    // The marker may straddle this read's end: search its last bytes again next time.
    return { found: false, next: Math.max(from, size - text.length) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Waits until LAUREL has written everything auditd queued before this call: a user message with
 * a fresh nonce goes through the same queue, so once it is in LAUREL's file, so is all before it.
 * auditd's shutdown stops its dispatcher without draining the plugin queue, so a LAUREL still
 * behind a burst of generator events loses the tail, and the daemon's own end record with it.
 */
async function drainToLaurel(capture: string, log: (line: string) => void): Promise<void> {
  const nonce = `etm-capture-end-${randomUUID()}`;
  try {
    execFileSync(AUDITCTL, ['-m', nonce], { stdio: 'ignore' });
  } catch (error) {
    log(`auditd: could not send the end marker (${(error as Error).message.split('\n')[0]})`);
    return;
  }
  let next = 0;
  const started = Date.now();
  try {
    await waitFor(
      () => {
        const r = scanFor(capture, nonce, next);
        next = r.next;
        return r.found;
      },
      60_000,
      'LAUREL to write the events auditd had queued',
    );
    log(
      `auditd: LAUREL wrote every queued event (${Date.now() - started} ms after the rules went)`,
    );
  } catch (error) {
    log(`auditd: ${(error as Error).message} The capture's tail may be incomplete.`);
  }
}

/**
 * auditd 3.0 queues its `DAEMON_END` record and gives it 10 ms to reach the dispatcher before
 * shutting the dispatcher down; on a busy host (a parallel test run) that is too short, and
 * LAUREL never gets the record. For its shutdown only, every auditd thread runs at real-time
 * priority, so the 10 ms is auditd's own; failing that, the highest nice priority.
 */
function prioritiseShutdown(pid: number, log: (line: string) => void): void {
  try {
    execFileSync('chrt', ['--fifo', '--all-tasks', '--pid', '50', String(pid)], {
      stdio: 'ignore',
    });
    return;
  } catch {}
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      execFileSync('renice', ['-n', '-20', '-p', tid], { stdio: 'ignore' });
    }
    log('auditd: real-time priority refused; shutting down at nice -20 instead');
  } catch (error) {
    log(
      `auditd: could not raise its priority for shutdown (${(error as Error).message.split('\n')[0]}); on a busy host its end record may miss LAUREL`,
    );
  }
}

function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() > deadline)
        reject(new Error(`Timed out after ${ms} ms waiting for ${what}.`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

/**
 * Starts auditd (foreground, private config) with LAUREL as its plugin and loads the project's
 * rules. `stop()` always runs the full restore, also after errors.
 */
export async function startAuditd(
  dir: string,
  log: (line: string) => void,
  options: { rules?: boolean; rawLog?: boolean } = {},
): Promise<AuditdSession> {
  if (process.getuid?.() !== 0) throw new Error('auditd + LAUREL cannot run: auditd needs root.');
  const unlock = await lockAudit();
  try {
    return await startLocked(dir, log, unlock, options.rules !== false, options.rawLog === true);
  } catch (error) {
    unlock();
    throw error;
  }
}

async function startLocked(
  dir: string,
  log: (line: string) => void,
  unlock: () => void,
  withRules: boolean,
  withRawLog: boolean,
): Promise<AuditdSession> {
  const why = auditdUnavailable();
  if (why !== undefined) throw new Error(`auditd + LAUREL cannot run: ${why}`);
  const before = auditStatus();
  const confDir = join(dir, 'auditd');
  const pluginDir = join(confDir, 'plugins.d');
  const laurelDir = join(dir, 'laurel');
  mkdirSync(pluginDir, { recursive: true });
  mkdirSync(laurelDir, { recursive: true });
  // LAUREL drops to _laurel: the temp dir must be traversable and its output dir writable by it.
  chmodSync(dir, 0o755);
  const laurelUser = execFileSync('id', ['-u', '_laurel'], { encoding: 'utf8' }).trim();
  chownSync(laurelDir, Number(laurelUser), -1);
  const rawLog = join(confDir, 'audit.log');
  const capture = join(laurelDir, 'audit.log');
  const conf = readFileSync(HOST_AUDITD_CONF, 'utf8')
    .replace(/^log_file\s*=.*$/m, `log_file = ${rawLog}`)
    .replace(/^plugin_dir\s*=.*$/m, `plugin_dir = ${pluginDir}`)
    // On request, auditd's own log of the same capture, in the host's log_format (Debian:
    // ENRICHED), so the raw reader can be checked against LAUREL on one run; one file, since a
    // rotation would split it. Off otherwise: measured rows are LAUREL's, and a second copy
    // of every event only slows the daemon down during the burst.
    .replace(/^write_logs\s*=.*$/m, `write_logs = ${withRawLog ? 'yes' : 'no'}`)
    .replace(/^max_log_file_action\s*=.*$/m, 'max_log_file_action = IGNORE')
    // The plugin queue must hold a burst: the generators make thousands of events in seconds,
    // and an overflow silently drops events before LAUREL sees them.
    .replace(/^q_depth\s*=.*$/m, 'q_depth = 65536')
    .replace(/^overflow_action\s*=.*$/m, 'overflow_action = SYSLOG');
  writeFileSync(join(confDir, 'auditd.conf'), conf, { mode: 0o640 });
  const laurelConf = join(confDir, 'laurel.toml');
  writeFileSync(
    laurelConf,
    [
      `directory = "${laurelDir}"`,
      'user = "_laurel"',
      'statusreport-period = 0',
      '[auditlog]',
      'file = "audit.log"',
      'size = 4000000000',
      'generations = 2',
      '[transform]',
      'execve-argv = [ "array" ]',
      '[translate]',
      'universal = true',
      'user-db = true',
      '[enrich]',
      'pid = true',
      'execve-env = []',
      'container = false',
      'script = true',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(pluginDir, 'laurel.conf'),
    `active = yes\ndirection = out\ntype = always\nformat = string\npath = ${LAUREL}\nargs = --config ${laurelConf}\n`,
  );
  log(
    `auditd: starting ${AUDITD} -n -c ${confDir} with LAUREL (${laurelDir})${withRawLog ? `, its own log in ${rawLog}` : ''}`,
  );
  const child: ChildProcess = spawn(AUDITD, ['-n', '-c', confDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const restore = () => {
    const steps: [string, string[]][] = [
      ['delete the rules', ['-D']],
      ['restore enabled', ['-e', before.get('enabled') ?? '0']],
      ['restore backlog_limit', ['-b', before.get('backlog_limit') ?? '64']],
      [
        'restore backlog_wait_time',
        ['--backlog_wait_time', before.get('backlog_wait_time') ?? '15000'],
      ],
    ];
    const failures: string[] = [];
    for (const [what, args] of steps) {
      try {
        execFileSync(AUDITCTL, args, { stdio: 'ignore' });
      } catch (error) {
        failures.push(
          `${what} (auditctl ${args.join(' ')}): ${(error as Error).message.split('\n')[0]}`,
        );
      }
    }
    return failures;
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const failures: string[] = [];
    try {
      execFileSync(AUDITCTL, ['-D'], { stdio: 'ignore' });
    } catch {}
    if (child.exitCode === null) await drainToLaurel(capture, log);
    if (child.exitCode === null && child.pid !== undefined) {
      prioritiseShutdown(child.pid, log);
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) {
        log('auditd: still running 5 s after SIGTERM; killed (its end record may be missing)');
        child.kill('SIGKILL');
      }
    }
    const lost = Number(auditStatus().get('lost') ?? '0') - Number(before.get('lost') ?? '0');
    if (lost > 0)
      log(`auditd: the kernel lost ${lost} audit records during the capture (backlog full)`);
    failures.push(...restore());
    unlock();
    log('auditd: stopped; rules deleted and audit settings restored');
    if (failures.length > 0) {
      throw new Error(`auditd stopped, but restoring the host failed: ${failures.join('; ')}.`);
    }
  };
  try {
    await waitFor(
      () => child.exitCode !== null || Number(auditStatus().get('pid') ?? '0') === child.pid,
      10_000,
      'auditd to register with the kernel',
    );
    if (child.exitCode !== null)
      throw new Error(`auditd exited at start: ${stderr.trim() || `status ${child.exitCode}`}`);
    if (withRules) {
      execFileSync(AUDITCTL, ['-R', AUDIT_RULES], { stdio: ['ignore', 'ignore', 'pipe'] });
      log(`auditd: ${loadedRules().split('\n').length} rules loaded from ${AUDIT_RULES}`);
    } else {
      // Debian's auditd ships no rules (/etc/audit/rules.d/audit.rules only sets -D, -b, -f):
      // what this run sees is what auditd records out of the box.
      log("auditd: no rules loaded (Debian's default configuration)");
    }
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  return {
    name: 'auditd',
    pid: child.pid ?? 0,
    executable: AUDITD,
    capture,
    ...(withRawLog ? { rawLog } : {}),
    tools: { auditd: packageVersion('auditd'), laurel: packageVersion('laurel') },
    stop,
  };
}
