import { constants } from 'node:os';

const NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  // Aliases (EWOULDBLOCK = EAGAIN, EDEADLOCK = EDEADLK) keep the first, canonical name.
  if (!NAMES.has(value)) NAMES.set(value, name);
}

const DESCRIPTIONS: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'out of memory',
  EACCES: 'permission denied',
  EFAULT: 'bad address',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  EINVAL: 'invalid argument',
  ENOSYS: 'function not implemented',
  ENOTSUP: 'operation not supported',
  EOPNOTSUPP: 'operation not supported',
  ECONNREFUSED: 'connection refused',
  EADDRINUSE: 'address already in use',
};

/** Symbolic errno name (EINVAL) for a number, or `E<n>` when Node does not know it. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/** "EINVAL (invalid argument)" for messages. */
export function describeErrno(errno: number): string {
  const name = errnoName(errno);
  const text = DESCRIPTIONS[name];
  return text === undefined ? name : `${name} (${text})`;
}

/** Names of the bits set in `value`, in table order; unknown bits become 0x.. */
export function flagNames(value: number, table: Readonly<Record<string, number>>): string[] {
  const names: string[] = [];
  let rest = value;
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (value & bit) === bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names;
}
