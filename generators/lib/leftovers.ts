/**
 * Every artifact a run creates carries its run id (etm-<8 hex>) in its name, so what is left
 * after a run can be found, and removed by the root parent, without touching anything else.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whichSystem } from './commands.ts';
import { lookupUser } from './host.ts';

const UNIT_DIR = '/etc/systemd/system';
const CRON_SPOOL = '/var/spool/cron/crontabs';

function entries(dir: string, prefix: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.startsWith(prefix))
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

function groupExists(name: string): boolean {
  try {
    return readFileSync('/etc/group', 'utf8')
      .split('\n')
      .some((line) => line.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

/** Processes whose command line carries the run id (payloads and helpers are tagged with it). */
function taggedProcesses(runId: string): number[] {
  const pids: number[] = [];
  for (const name of entries('/proc', '')) {
    const pid = Number(name.slice('/proc/'.length));
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(runId)) pids.push(pid);
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return pids;
}

/** Loop devices whose backing file lives in one of the run's temp dirs. */
function taggedLoopDevices(runId: string): string[] {
  const found: string[] = [];
  for (const dir of entries('/sys/block', 'loop')) {
    try {
      if (readFileSync(join(dir, 'loop', 'backing_file'), 'utf8').includes(runId)) {
        found.push(`/dev/${dir.slice('/sys/block/'.length)}`);
      }
    } catch {
      // not attached
    }
  }
  return found;
}

/**
 * A file in a run's temp dir listing, one per line, the directories outside it that the run
 * created and must remove (e.g. sshd's /run/sshd), so the safety net removes them too when the
 * run was killed before its own cleanup. Only empty directories are removed.
 */
const CREATED_OUTSIDE = '.etm-created-outside';

/**
 * Notes, before creating it, a directory outside the run's temp dir that the run is about to
 * create, so a killed run's directory is still found and removed.
 */
export function noteCreatedOutside(tempDir: string, path: string): void {
  appendFileSync(join(tempDir, CREATED_OUTSIDE), `${path}\n`, { mode: 0o600 });
}

function createdOutside(runId: string): string[] {
  const paths: string[] = [];
  for (const dir of entries(tmpdir(), `${runId}-`)) {
    try {
      const lines = readFileSync(join(dir, CREATED_OUTSIDE), 'utf8').split('\n');
      paths.push(...lines.filter((line) => line.startsWith('/') && !line.includes('..')));
    } catch {
      // no such list: the run created nothing outside its temp dir
    }
  }
  return paths;
}

/** Describes what of a run is still on the host; empty when it left nothing behind. */
export function findLeftovers(runId: string): string[] {
  const found = [
    ...createdOutside(runId).filter((path) => existsSync(path)),
    ...entries(tmpdir(), `${runId}-`),
    ...entries(UNIT_DIR, runId),
    ...entries(CRON_SPOOL, runId),
  ];
  if (lookupUser(runId) !== undefined) found.push(`user ${runId}`);
  if (groupExists(runId)) found.push(`group ${runId}`);
  for (const pid of taggedProcesses(runId)) found.push(`process ${pid}`);
  for (const loop of taggedLoopDevices(runId)) found.push(`loop device ${loop}`);
  return found;
}

/** Removes whatever a run left (after a crash or kill -9 of its worker). Returns what remains. */
export function removeLeftovers(runId: string): string[] {
  for (const pid of taggedProcesses(runId)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const losetup = whichSystem('losetup');
  for (const loop of taggedLoopDevices(runId)) {
    if (losetup !== undefined) spawnSync(losetup, ['--detach', loop], { stdio: 'ignore' });
  }
  const userdel = whichSystem('userdel');
  if (userdel !== undefined && lookupUser(runId) !== undefined) {
    spawnSync(userdel, [runId], { stdio: 'ignore' });
  }
  const groupdel = whichSystem('groupdel');
  if (groupdel !== undefined && groupExists(runId)) {
    spawnSync(groupdel, [runId], { stdio: 'ignore' });
  }
  // Read before the temp dirs holding the list go; the processes using them are gone by now.
  const outside = createdOutside(runId);
  for (const path of outside) {
    try {
      rmdirSync(path);
    } catch {
      // already gone, or no longer empty: then it is not only ours, and is reported below
    }
  }
  for (const path of [
    ...entries(tmpdir(), `${runId}-`),
    ...entries(UNIT_DIR, runId),
    ...entries(CRON_SPOOL, runId),
  ]) {
    rmSync(path, { recursive: true, force: true });
  }
  return [...outside.filter((path) => existsSync(path)), ...findLeftovers(runId)];
}
