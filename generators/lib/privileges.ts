import koffi from 'koffi';
import type { PasswdEntry } from './host.ts';

const PR_SET_DUMPABLE = 4;
const prctl = koffi
  .load('libc.so.6')
  .func(
    'int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)',
  );

/**
 * Drops root for good (groups, gid, then uid) before a generator that needs no privilege runs.
 * Changing credentials makes the process non-dumpable, which would hide its own /proc/self/fd
 * from itself (memfd read-back) and block ptrace of it; dumpable is restored since the process no
 * longer holds anything privileged.
 */
export function dropPrivileges(user: PasswdEntry): void {
  process.setgroups?.([]);
  process.setgid?.(user.gid);
  process.setuid?.(user.uid);
  if (process.getuid?.() !== user.uid || process.geteuid?.() !== user.uid) {
    throw new Error(`Could not drop privileges to ${user.name} (uid ${user.uid}).`);
  }
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  process.env.HOME = '/';
  process.env.USER = user.name;
  process.env.LOGNAME = user.name;
}
