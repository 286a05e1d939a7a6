/**
 * The ssdeep program as the reference for the project's own ssdeep (generators/lib/ssdeep.ts),
 * used by the generator and agent tests alike. CI installs it (Debian package ssdeep).
 */
import { spawnSync } from 'node:child_process';

/** The hash `ssdeep -s -b` prints for a file, or undefined when the program is not installed. */
export function ssdeepProgram(file: string): string | undefined {
  const out = spawnSync('ssdeep', ['-s', '-b', file], { encoding: 'utf8' });
  if (out.error !== undefined || out.status !== 0) return undefined;
  const line = out.stdout.trim().split('\n').at(-1) ?? '';
  return line.slice(0, line.indexOf(','));
}
