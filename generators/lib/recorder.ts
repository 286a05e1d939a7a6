/**
 * RunContext: what a generator uses to act and record. Each step takes the time and the actor
 * just before the call, runs it, and appends an Action with exactly what the kernel returned.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  Action,
  ActionArgs,
  ActionResult,
  ChildProcess,
  SubCategoryId,
} from '../manifest.schema.ts';
import { currentActor } from './actor.ts';
import { now } from './clock.ts';
import { describeErrno, errnoName } from './errno.ts';
import { Interrupted, StepFailed } from './errors.ts';
import { type CallResult, CLOCK, clockNs } from './native.ts';

export interface StepSpec {
  phase?: Action['phase'];
  subCategories: SubCategoryId[];
  operation: string;
  via: Action['via'];
  args?: ActionArgs;
  expect?: Action['expect'];
  note?: string;
}

export interface StepOutcome {
  result: ActionResult;
  /** Arguments only known after the call (fd numbers, ports, hashes). */
  args?: ActionArgs;
  children?: ChildProcess[];
  note?: string;
}

export interface Cleanup {
  label: string;
  run: () => void | Promise<void>;
}

/** Turns a raw libc outcome into a manifest result. */
export function fromCall(call: CallResult): ActionResult {
  if (call.errno === undefined) return { ok: true, returnValue: call.ret };
  return {
    ok: false,
    returnValue: call.ret,
    errno: call.errno,
    errnoName: errnoName(call.errno),
  };
}

/** Turns a Node exception (fs, net, child_process) into a manifest result. */
function fromError(error: unknown): ActionResult {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.errno === 'number' && e.errno !== 0) {
    const errno = Math.abs(e.errno);
    return { ok: false, errno, errnoName: e.code ?? errnoName(errno), message: e.message };
  }
  return { ok: false, message: e instanceof Error ? e.message : String(error) };
}

const HINTS: Record<string, string> = {
  EPERM:
    'The run lacks a privilege (run it as root) or a security module or device cgroup refused it.',
  EACCES: 'The run lacks a permission (run it as root) or a security module refused it.',
  ENOSYS: 'This kernel does not have the system call.',
  EINVAL: 'The kernel rejected the arguments; an older kernel may not know a flag.',
  ENOENT: 'A file or command it needs is missing.',
};

/** "<operation> failed: <errno> (<text>). <what to do>" for a failed action. */
export function describeFailure(action: Action): string {
  return `${action.operation} failed: ${describeResult(action.result)}`;
}

function describeResult(result: ActionResult): string {
  if (result.errno === undefined)
    return `${result.message ?? `returned ${result.returnValue ?? 'nothing'}`}.`;
  const hint = HINTS[result.errnoName ?? ''];
  return `${describeErrno(result.errno)}.${hint === undefined ? '' : ` ${hint}`}`;
}

export interface RunContextOptions {
  runId: string;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Called right after each action while its resources still exist (tests read them back);
   * synchronous, so nothing changes before it returns. */
  observe?: (action: Action) => void;
  pace?: number;
}

export class RunContext {
  readonly runId: string;
  readonly signal: AbortSignal;
  readonly actions: Action[] = [];
  readonly cleanups: Cleanup[] = [];
  readonly log: (line: string) => void;
  readonly observe: ((action: Action) => void) | undefined;
  /** Milliseconds to wait after each action (0: just yield). */
  readonly pace: number;
  #tempDir: string | undefined;

  constructor(options: RunContextOptions) {
    this.runId = options.runId;
    this.signal = options.signal;
    this.log = options.log;
    this.observe = options.observe;
    this.pace = options.pace ?? 0;
  }

  get tempDirPath(): string | undefined {
    return this.#tempDir;
  }

  /** The run's own temp dir (mode 0700, named after the run id), removed at cleanup. */
  tempDir(): string {
    if (this.#tempDir === undefined) {
      const dir = mkdtempSync(join(tmpdir(), `${this.runId}-`));
      this.#tempDir = dir;
      this.onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    }
    return this.#tempDir;
  }

  /** Registers an undo step; cleanups run in reverse order, also after an error or a signal. */
  onCleanup(label: string, run: Cleanup['run']): void {
    this.cleanups.push({ label, run });
  }

  /** Throws Interrupted once a signal arrived, so the run stops between steps. */
  checkpoint(): void {
    if (this.signal.aborted) throw new Interrupted('Interrupted by a signal.');
  }

  /**
   * Runs one synchronous action and records it, then yields (and waits `pace` ms) so a signal can
   * stop the run between steps. Throws StepFailed when it did not go as expected.
   */
  async step(spec: StepSpec, perform: () => StepOutcome): Promise<Action> {
    if (spec.phase !== 'cleanup') this.checkpoint();
    const at = now();
    const actor = currentActor();
    let outcome: StepOutcome;
    try {
      outcome = perform();
    } catch (error) {
      if (error instanceof Interrupted) throw error;
      outcome = { result: fromError(error) };
    }
    const action = this.#finish(spec, at, actor, outcome);
    await this.#pause(spec);
    return action;
  }

  /** Like `step` for actions that must wait (network, children). */
  async stepAsync(spec: StepSpec, perform: () => Promise<StepOutcome>): Promise<Action> {
    if (spec.phase !== 'cleanup') this.checkpoint();
    const at = now();
    const actor = currentActor();
    let outcome: StepOutcome;
    try {
      outcome = await perform();
    } catch (error) {
      if (error instanceof Interrupted) throw error;
      outcome = { result: fromError(error) };
    }
    const action = this.#finish(spec, at, actor, outcome);
    await this.#pause(spec);
    return action;
  }

  /** Between steps: let pending signals in, wait `pace` ms, stop if a signal arrived. */
  async #pause(spec: StepSpec): Promise<void> {
    if (spec.phase === 'cleanup') return;
    await new Promise<void>((resolve) => {
      if (this.pace <= 0) {
        setImmediate(resolve);
        return;
      }
      const timer = setTimeout(done, this.pace);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.signal.addEventListener('abort', done, { once: true });
    });
    this.checkpoint();
  }

  #finish(spec: StepSpec, at: Action['at'], actor: Action['actor'], outcome: StepOutcome): Action {
    const expect = spec.expect ?? 'success';
    const note = outcome.note ?? spec.note;
    const action: Action = {
      seq: this.actions.length + 1,
      phase: spec.phase ?? 'action',
      subCategories: spec.subCategories,
      operation: spec.operation,
      via: spec.via,
      at,
      durationNs: (clockNs(CLOCK.MONOTONIC) - BigInt(at.monotonicNs)).toString(),
      actor,
      args: { ...spec.args, ...outcome.args },
      ...(outcome.children === undefined ? {} : { children: outcome.children }),
      expect,
      result: outcome.result,
      ...(note === undefined ? {} : { note }),
    };
    this.actions.push(action);
    const mark = action.result.ok ? 'ok' : (action.result.errnoName ?? 'failed');
    this.log(`  #${action.seq} ${action.operation} ${summarizeArgs(action.args)} → ${mark}`);
    this.observe?.(action);
    // A step cut short by a signal failed because of the signal: report the interruption.
    if (action.phase !== 'cleanup') this.checkpoint();
    if (expect === 'success' && !action.result.ok) {
      throw new StepFailed(describeFailure(action));
    }
    if (expect === 'failure' && action.result.ok) {
      throw new StepFailed(
        `${action.operation} succeeded although the generator expected the kernel to refuse it.`,
      );
    }
    return action;
  }
}

function summarizeArgs(args: ActionArgs): string {
  const key =
    args.memfdName ??
    args.path ??
    args.library?.path ??
    args.user?.name ??
    args.unit?.path ??
    args.dns?.name ??
    (args.network === undefined
      ? undefined
      : `${args.network.protocol} ${args.network.localAddress}:${args.network.localPort}`) ??
    args.executable ??
    args.argv?.join(' ') ??
    '';
  return key.length > 80 ? `${key.slice(0, 77)}...` : key;
}
