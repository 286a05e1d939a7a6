/**
 * Runs one generator in its own process, so a crash, a ptrace or a dlopen cannot affect the
 * others, and so generators that need no root can drop to `nobody` for good.
 * Protocol: the run request as JSON on stdin; progress on stderr; the Run as JSON on stdout.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { z } from 'zod';
import { executeRun } from './lib/execute.ts';
import { probeHost } from './lib/host.ts';
import { dropPrivileges } from './lib/privileges.ts';
import { findGenerator } from './registry.ts';

const RequestSchema = z.strictObject({
  generator: z.string(),
  runId: z.string(),
  iteration: z.number().int().positive(),
  dropTo: z.string().optional(),
  pace: z.number().int().nonnegative().optional(),
});

async function main(): Promise<void> {
  const request = RequestSchema.parse(JSON.parse(readFileSync(0, 'utf8')));
  const generator = findGenerator(request.generator);
  if (generator === undefined) throw new Error(`Unknown generator ${request.generator}.`);
  // Everything is imported before privileges drop: the checkout may not be readable by nobody.
  process.chdir(tmpdir());
  if (request.dropTo !== undefined) {
    const user = probeHost().nobody;
    if (user === undefined || user.name !== request.dropTo) {
      throw new Error(`User ${request.dropTo} does not exist; cannot drop privileges.`);
    }
    dropPrivileges(user);
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const prefix = `[${generator.name} ${request.runId}]`;
  const run = await executeRun(generator, {
    runId: request.runId,
    iteration: request.iteration,
    // Probed after dropping privileges so checks see the credentials the run has.
    host: { ...probeHost(), uid: process.getuid?.() ?? 0, isRoot: process.getuid?.() === 0 },
    signal: controller.signal,
    ...(request.pace === undefined ? {} : { pace: request.pace }),
    log: (line) => process.stderr.write(`${prefix} ${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
