/**
 * Script content on the real kernel: lines typed into an interactive bash (on a pseudo-terminal
 * made by util-linux `script`) come out as bash_readline events, and interpreters started with
 * inline code (bash -c, sh -c, python3 -c, perl -e) carry it in process.Ext.interpreter of their
 * exec event. The argument scanner is checked without root.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../agent/src/ecs-event.ts';
import { scriptArgsExt } from '../../agent/src/families/script/interpreter.ts';
import {
  type AgentResult,
  announceSkip,
  bpfSkipReason,
  buildAgent,
  sleep,
  startAgent,
  tempDir,
} from './helpers.ts';

describe('interpreter script arguments', () => {
  const ext = (name: string, args: string[]) => {
    const s = scriptArgsExt(name, args);
    return s
      ? (JSON.parse(`{${s}}`) as { interpreter: Record<string, string> }).interpreter
      : undefined;
  };
  it('finds -c of shells, also clustered with other options', () => {
    expect(ext('bash', ['bash', '-c', 'echo hi'])).toEqual({
      name: 'bash',
      flag: '-c',
      script: 'echo hi',
    });
    expect(ext('sh', ['sh', '-ec', 'false'])).toEqual({ name: 'sh', flag: '-ec', script: 'false' });
    expect(ext('bash', ['bash', '--norc', '-c', 'x'])?.script).toBe('x');
  });
  it('finds python -c (also attached and after other options) and perl -e', () => {
    expect(ext('python3.11', ['python3', '-c', 'print(1)'])).toEqual({
      name: 'python3',
      flag: '-c',
      script: 'print(1)',
    });
    expect(ext('python3', ['python3', '-I', '-cprint(2)'])?.script).toBe('print(2)');
    expect(ext('perl', ['perl', '-e', 'print 3'])?.flag).toBe('-e');
  });
  it('ignores script files, operands and programs that are not interpreters', () => {
    expect(ext('bash', ['bash', 'script.sh', '-c', 'x'])).toBeUndefined();
    expect(ext('python3', ['python3', 'tool.py', '-c', 'x'])).toBeUndefined();
    expect(ext('grep', ['grep', '-c', 'x'])).toBeUndefined();
    expect(ext('bash', ['bash', '-c'])).toBeUndefined();
  });
});

const hasScript = spawnSync('sh', ['-c', 'command -v script && command -v bash']).status === 0;
const skip = announceSkip(
  'agent script content capture',
  bpfSkipReason() ?? (hasScript ? undefined : 'util-linux script or bash is missing'),
);

describe.skipIf(skip)('agent capture of bash command lines and inline scripts', () => {
  const marker = `agent-readline-${randomBytes(4).toString('hex')}`;
  let result: AgentResult;

  beforeAll(async () => {
    buildAgent();
    const dir = tempDir('script');
    const agent = await startAgent(['--families', 'process,bash'], dir);
    try {
      // `script` gives bash a terminal, so it reads with readline as for a person typing.
      const typed = spawnSync('script', ['-qec', 'bash --norc --noprofile -i', '/dev/null'], {
        input: `echo ${marker} | tr a-z A-Z\n\ncd /tmp && export X=${marker}\nexit\n`,
        encoding: 'utf8',
        timeout: 20_000,
      });
      if (typed.status !== 0) throw new Error(`interactive bash failed: ${typed.stderr}`);
      spawnSync('bash', ['-c', `echo ${marker}-bash`]);
      spawnSync('sh', ['-c', `echo ${marker}-sh`]);
      spawnSync('python3', ['-c', `print("${marker}-py")`]);
      spawnSync('perl', ['-e', `print "${marker}-pl"`]);
      await sleep(300);
    } finally {
      result = await agent.stop();
    }
  });

  afterAll(() => {
    if (result && result.code !== 0) console.error(result.stderr);
  });

  const readline = (e: EcsEvent) =>
    (e.process.Ext as { readline?: { line: string } } | undefined)?.readline?.line;

  it('exits cleanly without kernel drops', () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/dropped in the kernel: 0\n/);
  });

  it('reports each typed line, in order, from the interactive bash', () => {
    const lines = result.events.filter((e) => e.event.action === 'bash_readline');
    const mine = lines.filter((e) => readline(e)?.includes(marker) || readline(e) === 'exit');
    // The empty line is not reported; builtins (cd, export, exit) are, which exec events never show.
    expect(mine.map(readline)).toEqual([
      `echo ${marker} | tr a-z A-Z`,
      `cd /tmp && export X=${marker}`,
      'exit',
    ]);
    const first = mine[0] as EcsEvent;
    expect(first.event).toMatchObject({ category: ['process'], type: ['info'] });
    expect(first.process.name).toBe('bash');
    expect(first.process.args).toEqual(['bash', '--norc', '--noprofile', '-i']);
    expect(first.process.interactive).toBe(true);
    expect(new Set(mine.map((e) => e.process.entity_id)).size).toBe(1);
  });

  it('adds the inline script of bash -c, sh -c, python3 -c and perl -e to their exec events', () => {
    const script = (suffix: string) =>
      result.events
        .filter((e) => e.event.action === 'exec')
        .map(
          (e) =>
            (e.process.Ext as { interpreter?: Record<string, string> } | undefined)?.interpreter,
        )
        .filter((i) => i?.script?.includes(`${marker}-${suffix}`));
    expect(script('bash')).toEqual([{ name: 'bash', flag: '-c', script: `echo ${marker}-bash` }]);
    // sh is usually a link to dash or bash: the interpreter is named after what really ran.
    const sh = basename(
      realpathSync(spawnSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).stdout.trim()),
    );
    expect(script('sh')).toEqual([{ name: sh, flag: '-c', script: `echo ${marker}-sh` }]);
    const py = spawnSync('sh', ['-c', 'command -v python3']).status === 0;
    if (py)
      expect(script('py')).toEqual([
        { name: 'python3', flag: '-c', script: `print("${marker}-py")` },
      ]);
    const pl = spawnSync('sh', ['-c', 'command -v perl']).status === 0;
    if (pl)
      expect(script('pl')).toEqual([{ name: 'perl', flag: '-e', script: `print "${marker}-pl"` }]);
  });
});
