/** Script content on the command line: bash -c, sh -c and python3 -c with known text. */
import type { Generator } from '../generator.types.ts';
import { runCommand } from '../lib/commands.ts';
import { sha256Hex } from '../lib/file-facts.ts';
import { requireBin } from '../lib/host.ts';

export const scriptContent: Generator = {
  name: 'script_content',
  summary: 'Runs inline scripts with bash -c, sh -c and python3 -c whose text carries the run id.',
  subCategories: ['script-content', 'process-creation', 'process-termination'],
  needsRoot: false,
  touches: 'short-lived interpreter processes only',
  unavailable: (host) =>
    host.bin.bash === undefined || host.bin.python3 === undefined
      ? `Missing interpreter: ${[host.bin.bash === undefined ? 'bash' : '', host.bin.python3 === undefined ? 'python3' : ''].filter(Boolean).join(' and ')} (install it with apt-get install bash python3).`
      : undefined,
  async run(ctx, host) {
    const bash = requireBin(host, 'bash');
    const scripts: Array<[string, string]> = [
      [
        requireBin(host, 'bash'),
        `marker='${ctx.runId}'; total=$((6 * 7)); echo "bash $marker $total"`,
      ],
      [host.bin.sh ?? '/bin/sh', `echo "sh ${ctx.runId}" | tr a-z A-Z`],
      [
        requireBin(host, 'python3'),
        `import hashlib, os\nmarker = "${ctx.runId}"\nprint("python3", marker, hashlib.sha256(marker.encode()).hexdigest()[:16], os.getpid())`,
      ],
    ];
    for (const [interpreter, content] of scripts) {
      const argv = [interpreter, '-c', content];
      await ctx.step(
        {
          subCategories: ['script-content', 'process-creation', 'process-termination'],
          operation: 'execve',
          via: 'command',
          args: {
            executable: interpreter,
            argv,
            script: { interpreter, content, sha256: sha256Hex(content) },
          },
        },
        () => {
          const out = runCommand(interpreter, ['-c', content], {
            env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
          });
          const printed = out.stdout.toUpperCase().includes(ctx.runId.toUpperCase());
          return {
            ...out,
            result: printed
              ? out.result
              : {
                  ...out.result,
                  ok: false,
                  message: `the script did not print its marker: ${out.stdout.trim()}`,
                },
            note: `stdout: ${out.stdout.trim()}`,
          };
        },
      );
    }
    const broken = `if then fi # ${ctx.runId} syntax error`;
    await ctx.step(
      {
        subCategories: ['script-content', 'process-creation', 'process-termination'],
        operation: 'execve',
        via: 'command',
        args: {
          executable: bash,
          argv: [bash, '-c', broken],
          script: { interpreter: bash, content: broken, sha256: sha256Hex(broken) },
        },
        expect: 'failure',
        note: 'A script with a syntax error: bash starts, parses, reports the error and exits 2. The content is still what a sensor should capture.',
      },
      () => runCommand(bash, ['-c', broken], { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } }),
    );
  },
};
