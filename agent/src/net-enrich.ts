/**
 * ECS enrichment of the network, DNS, accounts/logons (audit) and bash readline families, plus
 * the interpreter script arguments added to exec events. The Enricher hands these records here and
 * writes what comes back through its familyEvent(), so every event shares one head (timestamp,
 * event, host, user, process with lineage). Field choices are documented in agent/README.md.
 */
import { readFileSync } from 'node:fs';
import { type AuditMeaning, auditId, auditMeaning, parseAuditText } from './audit-message.ts';
import type { Decoded, TaskCtx } from './decode.ts';
import { type DnsMessage, parseDns } from './dns-message.ts';
import type {
  AuditUserRec,
  BashReadlineRec,
  DnsPacketRec,
  NetDecoded,
  NetSockRec,
  NetStateRec,
} from './net-decode.ts';
import { TCP_STATE } from './net-records.ts';
import type { Proc, ProcessTable } from './processes.ts';
import type { NameCache } from './users.ts';

const q = JSON.stringify;

/** One ECS event for Enricher.familyEvent. */
export interface FamilyEvent {
  rec: Decoded;
  tsNs: number;
  category: string[];
  type: string[];
  action: string;
  outcome?: 'success' | 'failure' | 'unknown';
  /** The process, with lineage; undefined when it is not known (then `fallbackProcess` is used). */
  proc?: Proc;
  /** The record's task, for exclusion rules. */
  task?: TaskCtx;
  /** Members added inside "process":{...}, each starting with a comma. */
  procExtra?: string;
  /** `"process":{...}` when proc is undefined. */
  fallbackProcess?: string;
  /** `"user":{...}` (and optionally `,"group":{...}`) replacing the process's user. */
  user?: string;
  /** Top-level members, each starting with a comma. */
  top: string;
}

export interface FamilySink {
  readonly processes: ProcessTable;
  familyEvent(e: FamilyEvent): void;
}

const PROTOCOLS: Record<number, string> = {
  6: 'tcp',
  17: 'udp',
  1: 'icmp',
  58: 'ipv6-icmp',
  132: 'sctp',
};
const ERRNO: Record<number, string> = {
  1: 'EPERM',
  4: 'EINTR',
  9: 'EBADF',
  11: 'EAGAIN',
  13: 'EACCES',
  22: 'EINVAL',
  97: 'EAFNOSUPPORT',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
  101: 'ENETUNREACH',
  103: 'ECONNABORTED',
  104: 'ECONNRESET',
  106: 'EISCONN',
  110: 'ETIMEDOUT',
  111: 'ECONNREFUSED',
  113: 'EHOSTUNREACH',
  114: 'EALREADY',
  115: 'EINPROGRESS',
};
const EINPROGRESS = -115;

/** Interpreters whose arguments can carry a whole script, and the flags that introduce it. */
const SCRIPT_FLAGS: ReadonlyMap<string, readonly string[]> = new Map([
  ['bash', ['-c']],
  ['sh', ['-c']],
  ['dash', ['-c']],
  ['zsh', ['-c']],
  ['ksh', ['-c']],
  ['busybox', ['-c']],
  ['python', ['-c']],
  ['python2', ['-c']],
  ['python3', ['-c']],
  ['perl', ['-e', '-E']],
  ['ruby', ['-e']],
  ['node', ['-e', '--eval', '-p', '--print']],
  ['php', ['-r']],
  ['lua', ['-e']],
  ['pwsh', ['-c', '-command', '-Command']],
]);

/** "python3.12" → "python3"; other names unchanged. */
function interpreterOf(name: string): string {
  const m = /^(python[23]?)(\.\d+)?$/.exec(name);
  return m ? (m[1] as string) : name;
}

/**
 * `,"interpreter":{...}` for process.Ext of an exec whose arguments carry inline script text
 * (bash -c, sh -lc, python3 -c, perl -e...), or '' when they do not.
 */
export function scriptArgsExt(name: string, args: readonly string[]): string {
  const interp = interpreterOf(name);
  const flags = SCRIPT_FLAGS.get(interp);
  if (!flags) return '';
  const shell = flags[0] === '-c' && !interp.startsWith('python') && interp !== 'pwsh';
  for (let i = 1; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') break;
    // Shells take clustered short options (-lc, -ec): the script is the next argument.
    const hit =
      flags.includes(a) || (shell && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(a) && !a.startsWith('--'));
    if (hit && i + 1 < args.length) {
      return `"interpreter":{"name":${q(interp)},"flag":${q(a)},"script":${q(args[i + 1])}}`;
    }
    // python3 -c'code', perl -e'code': the script attached to the flag.
    for (const f of flags) {
      if (f.length === 2 && a.startsWith(f) && a.length > 2 && !shell) {
        return `"interpreter":{"name":${q(interp)},"flag":${q(f)},"script":${q(a.slice(2))}}`;
      }
    }
    if (!a.startsWith('-')) break; // a script file or the first operand: no inline script
  }
  return '';
}

function ep(e: { ip: string; port: number }): string {
  return `{"ip":"${e.ip}","port":${e.port}}`;
}

function transport(protocol: number): string {
  return PROTOCOLS[protocol] ?? `ipproto-${protocol}`;
}

function dnsMembers(m: DnsMessage, answer: boolean): string {
  let s = `"id":"${m.id}","type":"${answer ? 'answer' : 'query'}","op_code":"${m.opCode}","header_flags":${q(m.headerFlags)}`;
  if (answer) s += `,"response_code":"${m.responseCode}"`;
  if (m.question) {
    s += `,"question":{"name":${q(m.question.name)},"type":"${m.question.type}","class":"${m.question.class}"}`;
  }
  if (answer) {
    s += `,"answers":${q(m.answers)}`;
    if (m.resolvedIps.length) s += `,"resolved_ip":${q(m.resolvedIps)}`;
  }
  if (m.error) s += `,"Ext":{"parse_error":${q(m.error)}}`;
  return s;
}

export class NetEnricher {
  private readonly sink: FamilySink;
  private readonly names: NameCache;
  private readonly passwdPath: string;
  private readonly groupPath: string;
  /** Every uid → name seen, so a deleted account keeps its name in the events about it. */
  private readonly knownUsers = new Map<number, string>();
  /** Audit records waiting for the name of the account they name by id only. */
  private deferred: AuditUserRec[] = [];

  constructor(
    sink: FamilySink,
    names: NameCache,
    passwdPath = '/etc/passwd',
    groupPath = '/etc/group',
  ) {
    this.sink = sink;
    this.names = names;
    this.passwdPath = passwdPath;
    this.groupPath = groupPath;
    this.rereadAccounts();
  }

  onRecord(rec: NetDecoded): void {
    switch (rec.kind) {
      case 'net_connect':
      case 'net_accept':
      case 'net_listen':
        return this.sock(rec);
      case 'net_state':
        return this.tcpState(rec);
      case 'dns_packet':
        return this.dns(rec);
      case 'audit_user':
        return this.audit(rec);
      case 'bash_readline':
        return this.readline(rec);
    }
  }

  private sock(rec: NetSockRec): void {
    const p = this.sink.processes.forTask(rec.task);
    const proto = transport(rec.protocol);
    const ext = `"Ext":{"socket_cookie":"${rec.sockCookie}","fd":${rec.fd}${rec.kind === 'net_listen' ? `,"backlog":${rec.backlog}` : ''}}`;
    let action: string;
    let top: string;
    let outcome: FamilyEvent['outcome'] = 'success';
    let direction: string;
    if (rec.kind === 'net_connect') {
      action = 'connection_attempted';
      direction = 'egress';
      top = `,"source":${ep(rec.local)},"destination":${ep(rec.remote)}`;
      if (rec.ret === EINPROGRESS) outcome = 'unknown';
      else if (rec.ret < 0) {
        outcome = 'failure';
        top += `,"error":{"code":"${ERRNO[-rec.ret] ?? String(-rec.ret)}"}`;
      }
    } else if (rec.kind === 'net_accept') {
      action = 'connection_accepted';
      direction = 'ingress';
      top = `,"source":${ep(rec.remote)},"destination":${ep(rec.local)}`;
    } else {
      action = 'listen';
      direction = 'ingress';
      top = `,"destination":${ep(rec.local)},"server":${ep(rec.local)}`;
    }
    top += `,"network":{"transport":"${proto}","type":"${rec.netType}","direction":"${direction}","iana_number":"${rec.protocol}",${ext}}`;
    this.sink.familyEvent({
      rec,
      tsNs: rec.tsNs,
      category: ['network'],
      type: action === 'listen' ? ['start'] : ['start', 'connection'],
      action,
      outcome,
      proc: p,
      task: rec.task,
      top,
    });
  }

  /** The handshake of a connect() finished: its real outcome (a non-blocking connect's too). */
  private tcpState(rec: NetStateRec): void {
    const p = this.sink.processes.forTask(rec.task);
    const ok = rec.newState === TCP_STATE.ESTABLISHED;
    this.sink.familyEvent({
      rec,
      tsNs: rec.tsNs,
      category: ['network'],
      type: ok ? ['start', 'connection'] : ['connection', 'end'],
      action: ok ? 'connection_established' : 'connection_failed',
      outcome: ok ? 'success' : 'failure',
      proc: p,
      task: rec.task,
      top:
        `,"source":${ep(rec.local)},"destination":${ep(rec.remote)}` +
        `,"network":{"transport":"${transport(rec.protocol)}","type":"${rec.netType}","direction":"egress","iana_number":"${rec.protocol}"` +
        `,"Ext":{"socket_cookie":"${rec.sockCookie}","tcp_state":{"old":${rec.oldState},"new":${rec.newState}}}}`,
    });
  }

  private dns(rec: DnsPacketRec): void {
    const msg = parseDns(rec.payload);
    const t = this.sink.processes;
    const p = rec.pid ? t.get(rec.pid) : undefined;
    const top =
      `,"source":${ep(rec.source)},"destination":${ep(rec.destination)}` +
      `,"network":{"transport":"udp","protocol":"dns","type":"${rec.netType}","direction":"${rec.answer ? 'ingress' : 'egress'}"` +
      `,"Ext":{"socket_cookie":"${rec.sockCookie}","bytes_captured":${rec.payload.length},"bytes":${rec.wireLen}}}` +
      `,"dns":{${dnsMembers(msg, rec.answer)}}`;
    const user = `"user":${this.idName(rec.uid)}`;
    this.sink.familyEvent({
      rec,
      tsNs: rec.tsNs,
      category: ['network'],
      type: ['protocol', 'info'],
      action: rec.answer ? 'lookup_result' : 'lookup_requested',
      ...(rec.answer ? { outcome: msg.responseCode === 'NOERROR' ? 'success' : 'failure' } : {}),
      ...(p ? { proc: p } : {}),
      fallbackProcess: rec.pid
        ? `"process":{"pid":${rec.pid},"thread":{"id":${rec.tid}},"name":${q(rec.comm)}}`
        : '"process":{"pid":0}',
      ...(p ? {} : { user }),
      top,
    });
  }

  private idName(uid: number): string {
    const name = this.userName(uid);
    return name === undefined ? `{"id":"${uid}"}` : `{"id":"${uid}","name":${q(name)}}`;
  }

  private rereadAccounts(): void {
    for (const [path, into] of [[this.passwdPath, this.knownUsers]] as const) {
      try {
        for (const line of readFileSync(path, 'utf8').split('\n')) {
          const f = line.split(':');
          const id = Number(f[2]);
          if (f[0] && Number.isInteger(id)) into.set(id, f[0]);
        }
      } catch {
        // No passwd (minimal container): ids stay without names.
      }
    }
  }

  /** A uid's name, also for accounts deleted since the agent saw them. */
  private userName(uid: number): string | undefined {
    const cached = this.names.user(uid);
    if (cached !== undefined) {
      this.knownUsers.set(uid, cached);
      return cached;
    }
    if (!this.knownUsers.has(uid)) this.rereadAccounts();
    return this.knownUsers.get(uid);
  }

  private groupName(gid: number): string | undefined {
    const cached = this.names.group(gid);
    if (cached !== undefined) return cached;
    try {
      for (const line of readFileSync(this.groupPath, 'utf8').split('\n')) {
        const f = line.split(':');
        if (f[0] && Number(f[2]) === gid) return f[0];
      }
    } catch {
      // No group file: the id alone is reported.
    }
    return undefined;
  }

  /**
   * Emits the audit events held back for a name (call on every loader stats record, about once a
   * second, and at the end of the stream).
   */
  tick(): void {
    if (this.deferred.length === 0) return;
    const list = this.deferred;
    this.deferred = [];
    this.rereadAccounts();
    for (const rec of list) this.audit(rec, true);
  }

  private audit(rec: AuditUserRec, late = false): void {
    const parsed = parseAuditText(rec.text);
    const f = parsed.fields;
    const meaning = auditMeaning(rec.auditType, f);
    if (!meaning) return;
    // useradd reports "adding user id=N" before it writes /etc/passwd: wait for the name.
    const targetId = auditId(f, 'id');
    if (!late && meaning.category === 'iam' && meaning.type[0] === 'user' && !f.has('acct')) {
      if (targetId !== undefined && this.userName(targetId) === undefined) {
        this.deferred.push(rec);
        return;
      }
    }
    const pid = auditId(f, 'pid') ?? 0;
    const exe = f.get('exe');
    const p = pid ? this.sink.processes.get(pid) : undefined;
    // The audit socket can overtake the ring buffer: a process that names another executable than
    // the table holds may have its exec record still in flight, so wait a tick for it. A table that
    // still disagrees then is right in its own way (a script's exe= is its interpreter).
    if (!late && p && exe && exe !== '?' && p.executable !== exe) {
      this.deferred.push(rec);
      return;
    }
    const uid = auditId(f, 'uid');
    const res = f.get('res');
    const outcome = res === 'success' || res === '1' ? 'success' : res ? 'failure' : 'unknown';
    const data: Record<string, string> = {};
    for (const [k, v] of f) {
      if (!['pid', 'uid', 'auid', 'ses', 'subj', 'res'].includes(k)) data[k] = v;
    }
    let top =
      `,"auditd":{"message_type":"${meaning.messageType}","sequence":${parsed.serial},"result":${q(res ?? 'unknown')}` +
      `,"session":${q(f.get('ses') ?? '')},"data":${q(data)}}`;
    const addr = f.get('addr');
    if (addr && addr !== '?' && /^[0-9a-fA-F:.]+$/.test(addr)) top += `,"source":{"ip":"${addr}"}`;
    const auid = auditId(f, 'auid');
    const subject = (id: number | undefined) => (id === undefined ? undefined : this.idName(id));
    let user: string;
    if (meaning.category === 'iam') {
      user = this.iamUser(meaning, f, uid);
    } else {
      // The account logging in, authenticating or opening a session.
      const acct = f.get('acct');
      const id = auditId(f, 'id') ?? (acct ? this.uidOf(acct) : undefined);
      user =
        acct !== undefined
          ? `"user":{${id === undefined ? '' : `"id":"${id}",`}"name":${q(acct)}}`
          : `"user":${subject(uid) ?? '{}'}`;
    }
    if (auid !== undefined)
      user += `,"related":{"user":[${q(this.userName(auid) ?? String(auid))}]}`;
    this.sink.familyEvent({
      rec,
      tsNs: rec.tsNs,
      category: [meaning.category],
      type: meaning.type,
      action: meaning.action,
      outcome,
      ...(p ? { proc: p } : {}),
      fallbackProcess: `"process":{"pid":${pid}${exe && exe !== '?' ? `,"executable":${q(exe)},"name":${q(exe.slice(exe.lastIndexOf('/') + 1))}` : ''}}`,
      user,
      top,
    });
  }

  private uidOf(name: string): number | undefined {
    for (const [id, n] of this.knownUsers) if (n === name) return id;
    this.rereadAccounts();
    for (const [id, n] of this.knownUsers) if (n === name) return id;
    return undefined;
  }

  /** user (the actor) and user.target / group (the account acted on) of an iam event. */
  private iamUser(meaning: AuditMeaning, f: Map<string, string>, uid: number | undefined): string {
    const actor = uid === undefined ? '{}' : this.idName(uid);
    const acct = f.get('acct');
    const id = auditId(f, 'id');
    if (meaning.type[0] === 'group') {
      const name = acct ?? (id === undefined ? undefined : this.groupName(id));
      const group = `{${id === undefined ? '' : `"id":"${id}"${name === undefined ? '' : ','}`}${name === undefined ? '' : `"name":${q(name)}`}}`;
      return `"user":${actor.slice(0, -1)}${actor === '{}' ? '' : ','}"target":{"group":${group}}},"group":${group}`;
    }
    const name = acct ?? (id === undefined ? undefined : this.userName(id));
    const tid = id ?? (acct ? this.uidOf(acct) : undefined);
    const target = `{${tid === undefined ? '' : `"id":"${tid}"${name === undefined ? '' : ','}`}${name === undefined ? '' : `"name":${q(name)}`}}`;
    return `"user":${actor.slice(0, -1)}${actor === '{}' ? '' : ','}"target":${target}}`;
  }

  private readline(rec: BashReadlineRec): void {
    const p = this.sink.processes.forTask(rec.task);
    this.sink.familyEvent({
      rec,
      tsNs: rec.tsNs,
      category: ['process'],
      type: ['info'],
      action: 'bash_readline',
      proc: p,
      task: rec.task,
      procExtra: `,"Ext":{"readline":{"line":${q(rec.line)}${rec.truncated ? ',"truncated":true' : ''}}}`,
      top: '',
    });
  }
}
