import { readFileSync, readlinkSync } from 'node:fs';
import type { Actor } from '../manifest.schema.ts';
import { gettid } from './native.ts';

let cached: { pid: number; comm: string; executable: string } | undefined;

function statusField(status: string, field: string): string[] {
  const line = status.split('\n').find((l) => l.startsWith(`${field}:`));
  if (line === undefined) throw new Error(`/proc/self/status has no ${field} line.`);
  return line
    .slice(field.length + 1)
    .trim()
    .split(/\s+/);
}

/** The calling process as the kernel sees it now (credentials can change between actions). */
export function currentActor(): Actor {
  if (cached?.pid !== process.pid) {
    cached = {
      pid: process.pid,
      comm: readFileSync('/proc/self/comm', 'utf8').trimEnd(),
      executable: readlinkSync('/proc/self/exe'),
    };
  }
  const status = readFileSync('/proc/self/status', 'utf8');
  const [uid, euid] = statusField(status, 'Uid').map(Number);
  const [gid, egid] = statusField(status, 'Gid').map(Number);
  const tid = gettid();
  return {
    pid: cached.pid,
    ppid: Number(statusField(status, 'PPid')[0]),
    ...(tid === cached.pid ? {} : { tid }),
    uid: uid ?? 0,
    euid: euid ?? 0,
    gid: gid ?? 0,
    egid: egid ?? 0,
    comm: cached.comm,
    executable: cached.executable,
  };
}
