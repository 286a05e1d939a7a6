/**
 * Child process for memfd_create_exec: replaces itself with the program in fd 3 through
 * execveat(3, "", argv, envp, AT_EMPTY_PATH). Only returns on failure, then prints the errno.
 */
import { AT_EMPTY_PATH, execveat, keepAcrossExec } from './native.ts';

// Node marks its stdio close-on-exec; the payload needs them.
for (const fd of [0, 1, 2]) keepAcrossExec(fd);
const argv = process.argv.slice(2);
const result = execveat(3, '', argv, [], AT_EMPTY_PATH);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(126);
