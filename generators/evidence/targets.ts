/**
 * Targets: what each manifest action says a sensor should have recorded, per sub-category, as
 * facts with their acceptable values. The rules say where a format keeps each fact; this module
 * says what the values must be. Only actions that happened count (result.ok), except a refused
 * logon, whose attempt is the activity.
 */
import { realpathSync } from 'node:fs';
import { constants } from 'node:os';
import type { Action, ChildProcess, Manifest, Run, SubCategoryId } from '../manifest.schema.ts';
import type { FactName } from './rules.schema.ts';

export interface Target {
  subCategory: SubCategoryId;
  generator: string;
  runId: string;
  seq: number;
  operation: string;
  /** Short description for reports: "memfd_create etm-1a2b-cloexec". */
  label: string;
  /** The run's time span (ms since epoch); events are matched inside it, widened by the skew. */
  startMs: number;
  endMs: number;
  /** When the action started. */
  atMs: number;
  /** Acceptable values per fact; an empty list accepts any value that is present. */
  expected: Partial<Record<FactName, unknown[]>>;
  /** The action in words a reader understands: "the UDP datagram from 127.0.0.1:47324 to 127.0.0.1:38609". */
  description: string;
  /**
   * Later states of the same file (content facts only), each from the moment a later action of
   * the run left it: a sensor that hashes on close legitimately reports one of them, so a value is
   * right when it equals the state at some moment between the action and the event.
   */
  states?: { atMs: number; expected: Target['expected'] }[];
}

/** Why a sub-category has no target in this manifest. */
export interface Untestable {
  subCategory: string;
  reason: string;
  generators: string[];
}

const defined = <T>(xs: (T | undefined | null)[]): T[] =>
  xs.filter((x): x is T => x !== undefined && x !== null);

/** Executable paths as the kernel reports them: the path given plus its resolved target. */
function exeCandidates(paths: (string | undefined)[]): string[] {
  const out = new Set<string>();
  for (const p of defined(paths)) {
    out.add(p);
    if (p.startsWith('/') && !p.startsWith('/proc/')) {
      try {
        out.add(realpathSync(p));
      } catch {}
    }
  }
  return [...out];
}

function exitCodeOf(child: ChildProcess): number[] {
  if (child.exitCode !== null) return [child.exitCode];
  const signo =
    child.signal === null
      ? undefined
      : (constants.signals as Record<string, number | undefined>)[child.signal];
  return signo === undefined ? [] : [128 + signo];
}

function fileFacts(action: Action): Target['expected'] | undefined {
  const f = action.args.file;
  if (f === undefined) return undefined;
  return {
    path: defined([f.path, action.args.path, action.args.newPath]),
    size: [f.size],
    entropy: [f.entropy],
    headerBytes: [f.headerHex],
    md5: [f.md5],
    sha256: [f.sha256],
    sha1: [f.sha1],
    ssdeep: [f.ssdeep],
    fuzzyHash: [],
  };
}

/** ptrace request numbers (linux/ptrace.h), for formats that log the raw argument. */
const PTRACE_REQUESTS: Record<string, number> = {
  PTRACE_TRACEME: 0,
  PTRACE_PEEKTEXT: 1,
  PTRACE_PEEKDATA: 2,
  PTRACE_PEEKUSER: 3,
  PTRACE_POKETEXT: 4,
  PTRACE_POKEDATA: 5,
  PTRACE_POKEUSER: 6,
  PTRACE_CONT: 7,
  PTRACE_KILL: 8,
  PTRACE_SINGLESTEP: 9,
  PTRACE_GETREGS: 12,
  PTRACE_SETREGS: 13,
  PTRACE_ATTACH: 16,
  PTRACE_DETACH: 17,
  PTRACE_SEIZE: 0x4206,
  PTRACE_INTERRUPT: 0x4207,
};

const outcomeOf = (action: Action): 'success' | 'failure' =>
  action.result.ok ? 'success' : 'failure';

/** Per child process, or once for the actor when the action started none. */
function perChild(
  action: Action,
  make: (child: ChildProcess | undefined) => Target['expected'],
): Target['expected'][] {
  const children = action.children ?? [];
  return children.length === 0 ? [make(undefined)] : children.map((c) => make(c));
}

function expectationsFor(
  sub: SubCategoryId,
  action: Action,
  uids: ReadonlyMap<string, number> = new Map(),
): Target['expected'][] {
  const a = action.args;
  const pid = [action.actor.pid];
  const childPids = (action.children ?? []).map((c) => c.pid);
  const user = a.user;
  // userdel records only the name; the uid is the one useradd gave the account in this run.
  const uid = user?.uid ?? (user?.name === undefined ? undefined : uids.get(user.name));
  const userFacts = (name: string | undefined): Target['expected'] => ({
    ...(name === undefined ? {} : { userName: [name] }),
    ...(uid === undefined ? {} : { userId: [uid] }),
    pid: childPids.length > 0 ? childPids : pid,
  });
  switch (sub) {
    case 'process-creation':
      return (action.children ?? []).map((c, i) => {
        const script = a.script;
        // A shebang script run by path: the kernel starts the interpreter with the script's path
        // as its first argument (binfmt_script), so the exec shows [interpreter, path, ...args].
        const byPath =
          script?.delivery === 'file' && i === 0 && script.path !== undefined
            ? {
                args: [c.argv, [script.interpreter, script.path, ...c.argv.slice(1)]],
                executable: exeCandidates([
                  c.resolvedExecutable,
                  c.executable,
                  script.interpreter,
                  script.path,
                ]),
              }
            : undefined;
        return {
          pid: [c.pid],
          ppid: [c.ppid],
          executable: byPath?.executable ?? exeCandidates([c.resolvedExecutable, c.executable]),
          args: byPath?.args ?? [c.argv],
        };
      });
    case 'process-termination':
      return (action.children ?? []).map((c) => ({
        pid: [c.pid],
        exitCode: exitCodeOf(c),
        executable: exeCandidates([
          c.resolvedExecutable,
          c.executable,
          ...(a.script?.delivery === 'file' ? [a.script.interpreter] : []),
        ]),
      }));
    case 'memory-backed-file-creation':
      return [
        {
          pid,
          memfdName: defined([a.memfdName]),
          memfdFlags: defined([a.flags?.value]),
          executable: [action.actor.executable],
        },
      ];
    case 'file-creation':
      return [{ path: defined([a.newPath ?? a.path, a.file?.path]), pid }];
    case 'file-modification':
      return [{ path: defined([a.path, a.newPath, a.file?.path]), pid }];
    case 'file-deletion':
      return [{ path: defined([a.path]), pid }];
    case 'md5':
    case 'sha':
    case 'fuzzy-hash':
    case 'file-entropy':
    case 'file-header-bytes':
    case 'file-size': {
      const facts = fileFacts(action);
      return facts === undefined ? [] : [{ ...facts, pid }];
    }
    case 'network-connection': {
      const n = a.network;
      if (n === undefined) return [];
      return [
        {
          pid,
          ports: defined([n.remotePort, n.localPort]).filter((p) => p > 0),
          addresses: defined([n.remoteAddress, n.localAddress]),
          protocol: [n.protocol],
          ...(n.direction === undefined ? {} : { direction: [n.direction] }),
          outcome: [outcomeOf(action)],
        },
      ];
    }
    case 'network-socket-listen': {
      const n = a.network;
      if (n === undefined) return [];
      return [
        {
          pid,
          ports: [n.localPort],
          addresses: [n.localAddress],
          protocol: [n.protocol],
          outcome: [outcomeOf(action)],
        },
      ];
    }
    case 'dns-query': {
      const d = a.dns;
      if (d === undefined) return [];
      return [
        {
          pid,
          dnsName: [d.name],
          ports: defined([d.serverPort, d.clientPort]),
          addresses: [d.server],
        },
      ];
    }
    case 'script-content': {
      const script = a.script;
      if (script === undefined) return [];
      // The interpreter that read the script: script.pid when the manifest has it (a pty's
      // children[0] is `script`, not the bash), else each child.
      if (script.pid !== undefined) return [{ pid: [script.pid], scriptContent: [script.content] }];
      return perChild(action, (c) => ({
        pid: c === undefined ? pid : [c.pid],
        scriptContent: [script.content],
      }));
    }
    case 'user-account-created':
    case 'user-account-modified':
    case 'user-account-deleted':
      return [{ ...userFacts(user?.name), outcome: [outcomeOf(action)] }];
    case 'user-logon':
    case 'user-logoff':
    case 'logon-failed':
      return [userFacts(a.targetUser ?? user?.name)];
    case 'process-access':
    case 'process-tampering': {
      const target = a.targetPid ?? a.memory?.targetPid;
      if (target === undefined) return [];
      const request =
        action.operation === 'ptrace' && a.request !== undefined
          ? [
              a.request,
              ...(PTRACE_REQUESTS[a.request] === undefined ? [] : [PTRACE_REQUESTS[a.request]]),
            ]
          : [action.operation];
      return [{ pid, targetPid: [target], request, outcome: [outcomeOf(action)] }];
    }
    case 'ebpf-event':
      return [
        {
          pid,
          bpfProgId: defined([a.bpf?.progId]),
          request: defined([a.request, action.operation]),
        },
      ];
    case 'raw-access-read':
      return [{ pid, path: defined([a.blockDevice?.path ?? a.path]) }];
    case 'image-load':
      return a.library === undefined ? [] : [{ pid, path: [a.library.path] }];
    case 'scheduled-task':
      return [
        {
          path: defined([a.crontab?.spoolPath, a.unit?.path, a.path]),
          pid: childPids.length > 0 ? childPids : pid,
          ...(a.crontab === undefined ? {} : { userName: [a.crontab.user] }),
        },
      ];
    case 'service-creation':
    case 'service-modification':
    case 'service-deletion':
      return [{ pid, path: defined([a.unit?.path, a.path]) }];
    case 'driver-load':
      return [{ pid }];
    case 'agent-start':
    case 'agent-stop':
      return [{ sensorEvent: [], pid: childPids.length > 0 ? childPids : pid }];
    default:
      // A sub-category added to the taxonomy after this list: nothing to look for yet.
      return [];
  }
}

/** The file's states left by later successful actions of the run on the same path. */
function laterStates(run: Run, action: Action): NonNullable<Target['states']> {
  const path = action.args.file?.path;
  if (path === undefined) return [];
  return run.actions
    .filter((b) => b.seq > action.seq && b.result.ok && b.args.file?.path === path)
    .flatMap((b) => {
      const facts = fileFacts(b);
      return facts === undefined ? [] : [{ atMs: Date.parse(b.at.time), expected: facts }];
    });
}

/** Whether the action's activity took place, so that a sensor could have seen it. */
function happened(action: Action, sub: SubCategoryId): boolean {
  if (action.result.ok) return true;
  // A refused logon is the activity itself: PAM and the sensor saw the attempt.
  return sub === 'logon-failed' && action.expect === 'failure';
}

const CONTENT_SUBS = new Set<string>([
  'md5',
  'sha',
  'fuzzy-hash',
  'file-entropy',
  'file-header-bytes',
  'file-size',
]);

const endpoint = (address: string | undefined, port: number | undefined) =>
  address === undefined
    ? `port ${port ?? '?'}`
    : `${address.includes(':') ? `[${address}]` : address}:${port ?? '?'}`;

/**
 * The action in words, for "... was not recorded":
 * @example describe(sendto, 'network-connection', {}) // "the UDP datagram from 127.0.0.1:47324 to 127.0.0.1:38609"
 */
export function describeAction(
  action: Action,
  sub: SubCategoryId,
  expected: Target['expected'],
): string {
  const a = action.args;
  const n = a.network;
  const pidOf = () => (expected.pid?.[0] === undefined ? '' : ` (pid ${String(expected.pid[0])})`);
  if (n !== undefined && (sub === 'network-connection' || sub === 'network-socket-listen')) {
    const proto = n.protocol.toUpperCase();
    const local = endpoint(n.localAddress, n.localPort);
    const remote = endpoint(n.remoteAddress, n.remotePort);
    switch (action.operation) {
      case 'connect':
        return `the ${proto} connection from ${local} to ${remote}`;
      case 'accept':
        return `the ${proto} connection accepted on ${local} from ${remote}`;
      case 'sendto':
        return `the ${proto} datagram sent from ${local} to ${remote}`;
      case 'recvfrom':
        return `the ${proto} datagram received on ${local} from ${remote}`;
      case 'listen':
        return `the ${proto} listen on ${local}`;
      case 'bind':
        return `the ${proto} socket bound to ${local}`;
      default:
        return `the ${proto} ${action.operation} on ${local}`;
    }
  }
  if (sub === 'ebpf-event') {
    const what = a.request ?? action.operation;
    const name = a.bpf?.progName === undefined ? '' : ` of ${a.bpf.progName}`;
    return `the ${action.operation} ${what}${name}`.replace(/ (\S+) \1/, ' $1');
  }
  if (sub === 'dns-query' && a.dns !== undefined)
    return `the ${a.dns.type} query for ${a.dns.name}`;
  if (sub === 'process-creation') {
    const argv = expected.args?.[0];
    const name = Array.isArray(argv) ? String(argv[0]) : action.operation;
    return `the start of ${name}${pidOf()}`;
  }
  if (sub === 'process-termination') return `the exit of pid ${String(expected.pid?.[0] ?? '?')}`;
  if (sub === 'script-content' && a.script !== undefined) {
    const interp = a.script.interpreter.split('/').pop() ?? a.script.interpreter;
    const how: Record<string, string> = {
      argv: `the ${interp} script given on the command line`,
      file: `the ${interp} script file ${a.script.path ?? ''} run by path`,
      stdin: `the ${interp} script piped to standard input`,
      pty: `the line typed at an interactive ${interp} on a terminal`,
    };
    return `${how[a.script.delivery ?? 'argv'] ?? how.argv}${pidOf()}`;
  }
  if (sub === 'process-access' || sub === 'process-tampering') {
    const what = action.operation === 'ptrace' ? (a.request ?? 'ptrace') : action.operation;
    return `${what} on pid ${String(a.targetPid ?? a.memory?.targetPid ?? '?')}`;
  }
  const path = a.newPath ?? a.path ?? a.file?.path;
  const fileOps: Record<string, string> = {
    create: `the creation of ${path}`,
    mkdir: `the directory ${path} made by mkdir`,
    link: `the hard link ${path}`,
    symlink: `the symbolic link ${path}`,
    copy: `the copy ${path}`,
    write: `the write to ${a.path}`,
    truncate: `the truncation of ${a.path}`,
    chmod: `the chmod of ${a.path}`,
    rename: `the rename of ${a.path} to ${a.newPath}`,
    unlink: `the deletion of ${a.path}`,
    rmdir: `the removal of the directory ${a.path}`,
  };
  if (path !== undefined && fileOps[action.operation] !== undefined) {
    const phrase = fileOps[action.operation] as string;
    return CONTENT_SUBS.has(sub) ? phrase.replace(/^the /, 'the file after the ') : phrase;
  }
  const user = a.user?.name ?? a.targetUser;
  if (user !== undefined) return `${action.operation} of the account ${user}`;
  return `the ${label(action)}`;
}

function label(action: Action): string {
  const a = action.args;
  const key =
    a.memfdName ??
    a.dns?.name ??
    a.user?.name ??
    a.unit?.path ??
    a.crontab?.spoolPath ??
    a.library?.path ??
    a.blockDevice?.path ??
    a.newPath ??
    a.path ??
    (a.network === undefined
      ? undefined
      : `${a.network.protocol} ${a.network.remoteAddress ?? a.network.localAddress}:${a.network.remotePort ?? a.network.localPort}`) ??
    (a.targetPid === undefined ? undefined : `pid ${a.targetPid}`) ??
    a.argv?.[0] ??
    '';
  return `${action.operation}${key === '' ? '' : ` ${key}`}`;
}

/**
 * Every target of every manifest, plus the sub-categories that cannot be judged and why.
 * @example const { targets, untestable } = manifestTargets([manifest], allLinuxIds)
 */
export function manifestTargets(
  manifests: readonly Manifest[],
  subCategories: readonly string[],
): { targets: Target[]; untestable: Untestable[] } {
  const targets: Target[] = [];
  const mentioned = new Map<string, { runs: Run[] }>();
  for (const manifest of manifests) {
    for (const run of manifest.runs) {
      for (const sub of run.subCategories) {
        const m = mentioned.get(sub) ?? { runs: [] };
        m.runs.push(run);
        mentioned.set(sub, m);
      }
      const startMs = Date.parse(run.startTime);
      const endMs = Date.parse(run.endTime);
      const uids = new Map<string, number>();
      for (const action of run.actions) {
        const u = action.args.user;
        if (u?.uid !== undefined && !uids.has(u.name)) uids.set(u.name, u.uid);
      }
      for (const action of run.actions) {
        for (const sub of action.subCategories) {
          if (!happened(action, sub)) continue;
          for (const expected of expectationsFor(sub, action, uids)) {
            const states = CONTENT_SUBS.has(sub) ? laterStates(run, action) : [];
            targets.push({
              subCategory: sub,
              generator: run.generator,
              runId: run.runId,
              seq: action.seq,
              operation: action.operation,
              label: label(action),
              startMs,
              endMs,
              atMs: Date.parse(action.at.time),
              expected,
              description: describeAction(action, sub, expected),
              ...(states.length === 0 ? {} : { states }),
            });
          }
        }
      }
    }
  }
  const covered = new Set<string>(targets.map((t) => t.subCategory));
  const untestable: Untestable[] = [];
  for (const sub of subCategories) {
    if (covered.has(sub)) continue;
    const runs = mentioned.get(sub)?.runs ?? [];
    const generators = [...new Set(runs.map((r) => r.generator))];
    const notPossible = runs.find((r) => r.status === 'not-possible');
    const failed = runs.find((r) => r.status === 'failed');
    const reason =
      notPossible !== undefined
        ? `${notPossible.generator} could not run here: ${notPossible.reason ?? 'the manifest gives no reason'}`
        : failed !== undefined
          ? `${failed.generator} failed before any action for it succeeded: ${failed.reason ?? 'no reason given'}`
          : runs.length > 0
            ? `${generators.join(', ')} ran but no action for it succeeded`
            : 'no generator in the manifest exercises it';
    untestable.push({ subCategory: sub, reason, generators });
  }
  return { targets, untestable };
}
