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

/** Per child process, or once for the actor when the action started none. */
function perChild(
  action: Action,
  make: (child: ChildProcess | undefined) => Target['expected'],
): Target['expected'][] {
  const children = action.children ?? [];
  return children.length === 0 ? [make(undefined)] : children.map((c) => make(c));
}

function expectationsFor(sub: SubCategoryId, action: Action): Target['expected'][] {
  const a = action.args;
  const pid = [action.actor.pid];
  const childPids = (action.children ?? []).map((c) => c.pid);
  const user = a.user;
  const userFacts = (name: string | undefined): Target['expected'] => ({
    ...(name === undefined ? {} : { userName: [name] }),
    ...(user?.uid === undefined ? {} : { userId: [user.uid] }),
    pid: childPids.length > 0 ? childPids : pid,
  });
  switch (sub) {
    case 'process-creation':
      return (action.children ?? []).map((c) => ({
        pid: [c.pid],
        ppid: [c.ppid],
        executable: exeCandidates([c.resolvedExecutable, c.executable]),
        args: [c.argv],
      }));
    case 'process-termination':
      return (action.children ?? []).map((c) => ({
        pid: [c.pid],
        exitCode: exitCodeOf(c),
        executable: exeCandidates([c.resolvedExecutable, c.executable]),
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
        },
      ];
    }
    case 'network-socket-listen': {
      const n = a.network;
      if (n === undefined) return [];
      return [{ pid, ports: [n.localPort], addresses: [n.localAddress] }];
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
    case 'script-content':
      return a.script === undefined
        ? []
        : perChild(action, (c) => ({
            pid: c === undefined ? pid : [c.pid],
            scriptContent: [a.script?.content],
          }));
    case 'user-account-created':
    case 'user-account-modified':
    case 'user-account-deleted':
      return [userFacts(user?.name)];
    case 'user-logon':
    case 'user-logoff':
    case 'logon-failed':
      return [userFacts(a.targetUser ?? user?.name)];
    case 'process-access':
    case 'process-tampering': {
      const target = a.targetPid ?? a.memory?.targetPid;
      return target === undefined ? [] : [{ pid, targetPid: [target] }];
    }
    case 'ebpf-event':
      return [{ pid, bpfProgId: defined([a.bpf?.progId]) }];
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

/** Whether the action's activity took place, so that a sensor could have seen it. */
function happened(action: Action, sub: SubCategoryId): boolean {
  if (action.result.ok) return true;
  // A refused logon is the activity itself: PAM and the sensor saw the attempt.
  return sub === 'logon-failed' && action.expect === 'failure';
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
      for (const action of run.actions) {
        for (const sub of action.subCategories) {
          if (!happened(action, sub)) continue;
          for (const expected of expectationsFor(sub, action)) {
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
