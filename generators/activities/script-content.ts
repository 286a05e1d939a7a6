/**
 * Script content by every way a script reaches an interpreter: on the command line (bash -c,
 * sh -c, python3 -c), as a file with a shebang executed by path, piped to standard input
 * (bash -s, python3 -), and typed into an interactive bash on a pseudo-terminal (readline).
 * A sensor that only logs argv sees the first kind alone.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Generator } from '../generator.types.ts';
import { type CommandOutcome, runCommand, runCommandAsync } from '../lib/commands.ts';
import { sha256Hex } from '../lib/file-facts.ts';
import { requireBin } from '../lib/host.ts';
import type { RunContext, StepOutcome } from '../lib/recorder.ts';
import type { ActionArgs } from '../manifest.schema.ts';

const SUB_CATEGORIES = ['script-content', 'process-creation', 'process-termination'] as const;
const ENV = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };

/** Fails an outcome whose output lacks the run id: the script did not really run. */
function requireMarker(out: CommandOutcome, runId: string): StepOutcome {
  const printed = out.stdout.toUpperCase().includes(runId.toUpperCase());
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
}

function withPid(args: ActionArgs, out: CommandOutcome): ActionArgs | undefined {
  const pid = out.child?.pid;
  if (pid === undefined || args.script === undefined) return undefined;
  return { script: { ...args.script, pid } };
}

async function inline(ctx: RunContext, interpreter: string, content: string): Promise<void> {
  const args: ActionArgs = {
    executable: interpreter,
    argv: [interpreter, '-c', content],
    script: { interpreter, content, sha256: sha256Hex(content), delivery: 'argv' },
  };
  await ctx.step(
    { subCategories: [...SUB_CATEGORIES], operation: 'execve', via: 'command', args },
    () => {
      const out = runCommand(interpreter, ['-c', content], { env: ENV });
      const extra = withPid(args, out);
      return { ...requireMarker(out, ctx.runId), ...(extra === undefined ? {} : { args: extra }) };
    },
  );
}

/** A file with a shebang, executed by path: the kernel reads `#!` and starts the interpreter. */
async function byFile(
  ctx: RunContext,
  interpreter: string,
  suffix: string,
  body: string,
): Promise<void> {
  const path = join(ctx.tempDir(), `${ctx.runId}-script.${suffix}`);
  const content = `#!${interpreter}\n${body}`;
  await ctx.step(
    {
      phase: 'setup',
      subCategories: [],
      operation: 'create',
      via: 'node',
      args: { path, mode: 0o700 },
      note: 'The script file, made executable (chmod 0700) so it can be run by path.',
    },
    () => {
      writeFileSync(path, content, { flag: 'wx', mode: 0o700 });
      chmodSync(path, 0o700);
      return { result: { ok: true, returnValue: 0 } };
    },
  );
  const args: ActionArgs = {
    executable: path,
    argv: [path],
    script: { interpreter, content, sha256: sha256Hex(content), delivery: 'file', path },
  };
  await ctx.step(
    {
      subCategories: [...SUB_CATEGORIES],
      operation: 'execve',
      via: 'command',
      args,
      note: `execve of the script itself; the kernel runs ${interpreter} ${path} from the shebang.`,
    },
    () => {
      const out = runCommand(path, [], { env: ENV });
      const extra = withPid(args, out);
      const outcome = requireMarker(out, ctx.runId);
      return {
        ...outcome,
        ...(extra === undefined ? {} : { args: extra }),
        // The process the kernel made runs the interpreter with the path as its first argument.
        ...(out.child === undefined
          ? {}
          : { children: [{ ...out.child, resolvedExecutable: interpreter }] }),
      };
    },
  );
}

/** The script piped to the interpreter's standard input; its argv carries no script text. */
async function byStdin(
  ctx: RunContext,
  interpreter: string,
  flag: string,
  content: string,
): Promise<void> {
  const args: ActionArgs = {
    executable: interpreter,
    argv: [interpreter, flag],
    script: { interpreter, content, sha256: sha256Hex(content), delivery: 'stdin' },
  };
  await ctx.stepAsync(
    {
      subCategories: [...SUB_CATEGORIES],
      operation: 'execve',
      via: 'command',
      args,
      note: `${interpreter} ${flag} reads the script from a pipe on its standard input.`,
    },
    async () => {
      const out = await runCommandAsync(interpreter, [flag], {
        input: content,
        env: ENV,
        signal: ctx.signal,
      });
      const extra = withPid(args, out);
      return { ...requireMarker(out, ctx.runId), ...(extra === undefined ? {} : { args: extra }) };
    },
  );
}

/**
 * A line typed into an interactive bash on a pseudo-terminal. `script` (util-linux) makes the
 * pty and runs bash on it; the line goes through the terminal into bash's readline, as a person's
 * typing would. The line prints bash's own pid and parent pid, which the manifest records.
 */
async function byPty(ctx: RunContext, scriptBin: string, bash: string): Promise<void> {
  const words = `"typed ${ctx.runId} pid=$$ ppid=$PPID"`;
  const line = `echo ${words}`;
  // Typed out of order: the words, Ctrl-A (readline: beginning of line), then "echo ". Only
  // readline's line editing turns these keys into the line, so the output proves it read them.
  const input = `${words}\x01echo \nexit\n`;
  // exec -a tags bash's argv[0] with the run id, so the safety net finds it if the run is killed.
  const command = `exec -a ${ctx.runId}-bash ${bash} --norc --noprofile -i`;
  const argv = [scriptBin, '--quiet', '--flush', '--return', '--command', command, '/dev/null'];
  const args: ActionArgs = {
    executable: scriptBin,
    argv,
    script: { interpreter: bash, content: line, sha256: sha256Hex(line), delivery: 'pty' },
  };
  await ctx.stepAsync(
    {
      subCategories: [...SUB_CATEGORIES],
      operation: 'execve',
      via: 'command',
      args,
      note: `script opens a pty and runs an interactive bash (no rc files, no history file) on it; the line is typed into the terminal as ${JSON.stringify(words)}, Ctrl-A, "echo " and Enter, so readline's editing makes the recorded line; then "exit".`,
    },
    async () => {
      const out = await runCommandAsync(scriptBin, argv.slice(1), {
        input,
        // SHELL runs the --command; bash execs the single command, so bash's parent is script.
        env: { ...ENV, SHELL: bash, HISTFILE: '', TERM: 'dumb' },
        signal: ctx.signal,
      });
      const outcome = requireMarker(out, ctx.runId);
      const m = new RegExp(`typed ${ctx.runId} pid=(\\d+) ppid=(\\d+)`).exec(out.stdout);
      if (m === null || out.child === undefined) {
        return {
          ...outcome,
          result: { ...outcome.result, ok: false, message: 'bash did not print its pid' },
        };
      }
      const pid = Number(m[1]);
      const ppid = Number(m[2]);
      return {
        ...outcome,
        note: `bash ${pid} (child of script ${ppid}) printed: typed ${ctx.runId}`,
        args: { script: { ...(args.script as NonNullable<ActionArgs['script']>), pid } },
        children: [
          out.child,
          {
            pid,
            ppid,
            executable: bash,
            argv: [`${ctx.runId}-bash`, '--norc', '--noprofile', '-i'],
            exitCode: out.child.exitCode,
            signal: null,
          },
        ],
      };
    },
  );
}

export const scriptContent: Generator = {
  name: 'script_content',
  summary:
    'Runs scripts carrying the run id four ways: inline (bash -c, sh -c, python3 -c), a shebang file run by path, piped to bash -s and python3 -, and typed into an interactive bash on a pty.',
  subCategories: [...SUB_CATEGORIES],
  needsRoot: false,
  touches: 'short-lived interpreter processes, and two script files in its temp dir',
  unavailable: (host) => {
    const missing = (['bash', 'python3', 'script'] as const).filter(
      (b) => host.bin[b] === undefined,
    );
    return missing.length > 0
      ? `Missing ${missing.join(' and ')} (install it with apt-get install bash python3 util-linux).`
      : undefined;
  },
  async run(ctx, host) {
    const bash = requireBin(host, 'bash');
    const python3 = requireBin(host, 'python3');
    const marker = ctx.runId;
    await inline(ctx, bash, `marker='${marker}'; total=$((6 * 7)); echo "bash $marker $total"`);
    await inline(ctx, host.bin.sh ?? '/bin/sh', `echo "sh ${marker}" | tr a-z A-Z`);
    await inline(
      ctx,
      python3,
      `import hashlib, os\nmarker = "${marker}"\nprint("python3", marker, hashlib.sha256(marker.encode()).hexdigest()[:16], os.getpid())`,
    );
    await byFile(ctx, bash, 'sh', `marker='${marker}'\necho "file bash $marker $$"\n`);
    await byFile(
      ctx,
      python3,
      'py',
      `import os\nprint("file python3", "${marker}", os.getpid())\n`,
    );
    await byStdin(ctx, bash, '-s', `marker='${marker}'\necho "stdin bash $marker $$"\n`);
    await byStdin(
      ctx,
      python3,
      '-',
      `import os\nprint("stdin python3", "${marker}", os.getpid())\n`,
    );
    await byPty(ctx, requireBin(host, 'script'), bash);

    const broken = `if then fi # ${ctx.runId} syntax error`;
    const brokenArgs: ActionArgs = {
      executable: bash,
      argv: [bash, '-c', broken],
      script: { interpreter: bash, content: broken, sha256: sha256Hex(broken), delivery: 'argv' },
    };
    await ctx.step(
      {
        subCategories: [...SUB_CATEGORIES],
        operation: 'execve',
        via: 'command',
        args: brokenArgs,
        expect: 'failure',
        note: 'A script with a syntax error: bash starts, parses, reports the error and exits 2. The content is still what a sensor should capture.',
      },
      () => {
        const out = runCommand(bash, ['-c', broken], { env: ENV });
        const extra = withPid(brokenArgs, out);
        return { ...out, ...(extra === undefined ? {} : { args: extra }) };
      },
    );
  },
};
