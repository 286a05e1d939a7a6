/**
 * Test harness: loads the generator code as root, drops to nobody for good, then runs the CLI
 * (`cli <args...>`) or one generator directly, past the CLI's root check (`execute <name>`), so
 * the kernel's own refusal is what gets recorded. Loading first keeps it working when the
 * checkout is not readable by nobody (a CI checkout under /root).
 */
import { tmpdir } from 'node:os';
import { main } from '../../generators/cli.ts';
import { executeRun, newRunId } from '../../generators/lib/execute.ts';
import { lookupUser, probeHost } from '../../generators/lib/host.ts';
import { dropPrivileges } from '../../generators/lib/privileges.ts';
import { findGenerator } from '../../generators/registry.ts';

const [mode, ...rest] = process.argv.slice(2);
const nobody = lookupUser('nobody');
if (nobody === undefined) throw new Error('no nobody user');
process.chdir(tmpdir());
dropPrivileges(nobody);

if (mode === 'cli') {
  process.exitCode = await main(rest);
} else if (mode === 'execute') {
  const generator = findGenerator(rest[0] ?? '');
  if (generator === undefined) throw new Error(`no generator ${rest[0]}`);
  const run = await executeRun(generator, {
    runId: newRunId(),
    iteration: 1,
    host: probeHost(),
    signal: new AbortController().signal,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(run)}\n`);
} else {
  throw new Error('usage: as-nobody.ts cli <args...> | execute <generator>');
}
