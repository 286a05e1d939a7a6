/**
 * The reference agent (agent/) as a sensor for one capture: started with `node agent/src/cli.ts
 * --out <file> --ready-fd 3`, ready once it writes its ready signal on descriptor 3 (every family
 * attached), stopped with SIGINT (it drains the ring buffer and writes its summary before exiting).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ReadySignal, waitForReady } from '../../../agent/src/ready.ts';
import { auditStatus } from './auditd.ts';
import type { SensorSession } from './sensor.types.ts';

/** The kernel's audit `enabled` flag, or undefined when auditctl is not there. */
function auditEnabled(): string | undefined {
  try {
    return auditStatus().get('enabled');
  } catch {
    return undefined;
  }
}

const AGENT_CLI = fileURLToPath(new URL('../../../agent/src/cli.ts', import.meta.url));

export function agentUnavailable(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'the reference agent needs root (BPF): run as root (CI runs as root).';
  if (!existsSync(AGENT_CLI)) return `${AGENT_CLI} is missing: the agent is not in this checkout.`;
  if (!existsSync('/sys/kernel/btf/vmlinux'))
    return 'the kernel has no BTF (/sys/kernel/btf/vmlinux), which the agent needs.';
  return undefined;
}

export async function startAgent(
  dir: string,
  log: (line: string) => void,
  flags: readonly string[] = [],
): Promise<SensorSession> {
  const why = agentUnavailable();
  if (why !== undefined) throw new Error(`The reference agent cannot run: ${why}`);
  const capture = join(dir, 'agent.ndjson');
  // The agent switches kernel auditing on while it runs; the refresh puts it back however it ends.
  const auditBefore = auditEnabled();
  log(`agent: starting ${AGENT_CLI} --out ${capture} --ready-fd 3 ${flags.join(' ')}`);
  const child: ChildProcess = spawn(
    process.execPath,
    [AGENT_CLI, '--out', capture, '--ready-fd', '3', ...flags],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const ready = waitForReady(child, 3, 120_000).catch((error: Error) => {
    throw new Error(`${error.message} Its messages:\n${stderr.trim()}`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const restoreAudit = () => {
    const now = auditEnabled();
    if (auditBefore === undefined || now === undefined || now === auditBefore) return;
    execFileSync('/usr/sbin/auditctl', ['-e', auditBefore], { stdio: 'ignore' });
    log(`agent: kernel auditing was left at enabled=${now}; set back to ${auditBefore}`);
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await stopAgent();
    } finally {
      restoreAudit();
    }
  };
  const stopAgent = async () => {
    const tail = () => stderr.trim().split('\n').slice(-15).join('\n');
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `The agent ended on its own (status ${child.exitCode ?? child.signalCode}) before it was stopped, so the capture is incomplete. Its messages:\n${tail()}`,
      );
    }
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      throw new Error(
        'The agent did not stop within 30 s of SIGINT and was killed; the capture may be cut short.',
      );
    }
    if (child.exitCode !== 0) {
      throw new Error(
        `The agent exited with status ${child.exitCode} after SIGINT; the capture may be incomplete. Its messages:\n${tail()}`,
      );
    }
    const at = stderr.lastIndexOf('agent summary');
    log(`agent: stopped\n${at < 0 ? tail() : stderr.slice(at).trim()}`);
  };
  let signal: ReadySignal;
  try {
    signal = await ready;
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  log(
    `agent: ready (families ${signal.families.join(',')}, loader pid ${signal.loaderPid}), writing events to ${capture}`,
  );
  return {
    name: 'agent',
    pid: child.pid ?? 0,
    executable: AGENT_CLI,
    capture,
    tools: { 'reference agent': '0.1.0' },
    stop,
  };
}
