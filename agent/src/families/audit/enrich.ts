/**
 * ECS events of the audit family (accounts and logons): the user-space audit messages of
 * useradd, passwd, PAM and friends, read by the loader from the audit netlink socket, turned
 * into auditbeat-style `iam` and `authentication`/`session` events by message.ts's mapping.
 */
import type { EnrichContext } from '../../event.ts';
import type { KnownAccounts } from '../../users.ts';
import type { AuditUserRec } from './decode.ts';
import { type AuditMeaning, auditId, auditMeaning, parseAuditText } from './message.ts';

const q = JSON.stringify;

/** Audit fields that become ECS fields of their own rather than auditd.data. */
const NOT_DATA = new Set(['pid', 'uid', 'auid', 'ses', 'subj', 'res']);

export class AuditEnricher {
  private readonly ctx: EnrichContext;
  private readonly accounts: KnownAccounts;
  /** Audit records waiting for the name of the account they name by id only. */
  private deferred: AuditUserRec[] = [];

  constructor(ctx: EnrichContext, accounts: KnownAccounts) {
    this.ctx = ctx;
    this.accounts = accounts;
  }

  onRecord(rec: AuditUserRec): void {
    this.audit(rec, false);
  }

  /**
   * Emits the audit events held back for a name (call on every loader stats record, about once a
   * second, and at the end of the stream).
   */
  tick(): void {
    if (this.deferred.length === 0) return;
    const list = this.deferred;
    this.deferred = [];
    this.accounts.reread();
    for (const rec of list) this.audit(rec, true);
  }

  private audit(rec: AuditUserRec, late: boolean): void {
    const parsed = parseAuditText(rec.text);
    const f = parsed.fields;
    const meaning = auditMeaning(rec.auditType, f);
    if (!meaning) return;
    // useradd reports "adding user id=N" before it writes /etc/passwd: wait for the name.
    const targetId = auditId(f, 'id');
    if (!late && meaning.category === 'iam' && meaning.type[0] === 'user' && !f.has('acct')) {
      if (targetId !== undefined && this.accounts.userName(targetId) === undefined) {
        this.deferred.push(rec);
        return;
      }
    }
    const pid = auditId(f, 'pid') ?? 0;
    const exe = f.get('exe');
    const p = pid ? this.ctx.processes.get(pid) : undefined;
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
      if (!NOT_DATA.has(k)) data[k] = v;
    }
    let top =
      `,"auditd":{"message_type":"${meaning.messageType}","sequence":${parsed.serial},"result":${q(res ?? 'unknown')}` +
      `,"session":${q(f.get('ses') ?? '')},"data":${q(data)}}`;
    const addr = f.get('addr');
    if (addr && addr !== '?' && /^[0-9a-fA-F:.]+$/.test(addr)) top += `,"source":{"ip":"${addr}"}`;
    const auid = auditId(f, 'auid');
    let user: string;
    if (meaning.category === 'iam') {
      user = this.iamUser(meaning, f, uid);
    } else {
      // The account logging in, authenticating or opening a session.
      const acct = f.get('acct');
      const id = auditId(f, 'id') ?? (acct ? this.accounts.uidOf(acct) : undefined);
      user =
        acct !== undefined
          ? `"user":{${id === undefined ? '' : `"id":"${id}",`}"name":${q(acct)}}`
          : `"user":${uid === undefined ? '{}' : this.accounts.userJson(uid)}`;
    }
    if (auid !== undefined)
      user += `,"related":{"user":[${q(this.accounts.userName(auid) ?? String(auid))}]}`;
    this.ctx.events.write({
      rec,
      tsNs: rec.tsNs,
      category: [meaning.category],
      type: meaning.type,
      action: meaning.action,
      outcome,
      proc: p,
      fallbackProcess: `"process":{"pid":${pid}${exe && exe !== '?' ? `,"executable":${q(exe)},"name":${q(exe.slice(exe.lastIndexOf('/') + 1))}` : ''}}`,
      user,
      top,
    });
  }

  /** user (the actor) and user.target / group (the account acted on) of an iam event. */
  private iamUser(meaning: AuditMeaning, f: Map<string, string>, uid: number | undefined): string {
    const actor = uid === undefined ? '{}' : this.accounts.userJson(uid);
    const acct = f.get('acct');
    const id = auditId(f, 'id');
    if (meaning.type[0] === 'group') {
      const name = acct ?? (id === undefined ? undefined : this.accounts.groupName(id));
      const group = `{${id === undefined ? '' : `"id":"${id}"${name === undefined ? '' : ','}`}${name === undefined ? '' : `"name":${q(name)}`}}`;
      return `"user":${actor.slice(0, -1)}${actor === '{}' ? '' : ','}"target":{"group":${group}}},"group":${group}`;
    }
    const name = acct ?? (id === undefined ? undefined : this.accounts.userName(id));
    const tid = id ?? (acct ? this.accounts.uidOf(acct) : undefined);
    const target = `{${tid === undefined ? '' : `"id":"${tid}"${name === undefined ? '' : ','}`}${name === undefined ? '' : `"name":${q(name)}`}}`;
    return `"user":${actor.slice(0, -1)}${actor === '{}' ? '' : ','}"target":${target}}`;
  }
}
