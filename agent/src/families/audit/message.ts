/**
 * The text of an audit user message, as PAM and shadow-utils send it through libaudit and the
 * kernel stamps it:
 *
 *   audit(1795442913.403:2527): pid=30425 uid=0 auid=4294967295 ses=4294967295
 *     msg='op=adding user id=1001 exe="/usr/sbin/useradd" hostname=? addr=? terminal=? res=success'
 *
 * → its fields, and the account/logon meaning of each message type (linux/audit.h numbers).
 */

export interface AuditFields {
  /** Audit serial number ("audit(<time>:<serial>)"): one event may span several records. */
  serial: number;
  /** Unix epoch ms from the audit stamp. */
  timeMs: number;
  /** key → value, outer and msg='...' fields together (msg fields win); hex values decoded. */
  fields: Map<string, string>;
}

/** What an audit user message means for ECS. */
export interface AuditMeaning {
  /** ECS event.action (see agent/README.md, "Accounts and logons"). */
  action: string;
  category: 'authentication' | 'session' | 'iam';
  type: string[];
  /** The audit name of the type, lowercased, as auditbeat's auditd.message_type. */
  messageType: string;
}

const UNSET_ID = '4294967295';

/** Message types and their names (include/uapi/linux/audit.h). */
const AUDIT_TYPES: ReadonlyMap<number, string> = new Map([
  [1100, 'USER_AUTH'],
  [1101, 'USER_ACCT'],
  [1102, 'USER_MGMT'],
  [1103, 'CRED_ACQ'],
  [1104, 'CRED_DISP'],
  [1105, 'USER_START'],
  [1106, 'USER_END'],
  [1108, 'USER_CHAUTHTOK'],
  [1109, 'USER_ERR'],
  [1110, 'CRED_REFR'],
  [1112, 'USER_LOGIN'],
  [1113, 'USER_LOGOUT'],
  [1114, 'ADD_USER'],
  [1115, 'DEL_USER'],
  [1116, 'ADD_GROUP'],
  [1117, 'DEL_GROUP'],
  [1119, 'CHGRP_ID'],
  [1123, 'USER_CMD'],
  [1125, 'CHUSER_ID'],
  [1126, 'GRP_AUTH'],
  [1132, 'GRP_MGMT'],
  [1133, 'GRP_CHAUTHTOK'],
]);

/** Keys whose unquoted values libaudit hex-encodes when they hold spaces, quotes or controls. */
const HEX_KEYS = new Set(['acct', 'exe', 'cmd', 'grp', 'new-group', 'old-group', 'comm', 'cwd']);

const FIELD = /([A-Za-z_][\w-]*)=("[^"]*"|'[^']*'|\S*(?: (?![A-Za-z_][\w-]*=)\S+)*)/g;

function decodeValue(key: string, raw: string): string {
  if (raw.startsWith('"') && raw.endsWith('"')) return raw.slice(1, -1);
  if (HEX_KEYS.has(key) && raw.length % 2 === 0 && /^[0-9A-F]+$/.test(raw)) {
    return Buffer.from(raw, 'hex').toString('utf8');
  }
  return raw;
}

function scan(text: string, into: Map<string, string>): void {
  for (const m of text.matchAll(FIELD)) {
    const key = m[1] as string;
    const raw = m[2] ?? '';
    if (key === 'msg' && raw.startsWith("'")) continue;
    into.set(key, decodeValue(key, raw));
  }
}

export function parseAuditText(text: string): AuditFields {
  const head = /^audit\((\d+)\.(\d+):(\d+)\):\s*/.exec(text);
  const fields = new Map<string, string>();
  const body = head ? text.slice(head[0].length) : text;
  const msgAt = body.indexOf("msg='");
  if (msgAt >= 0) {
    scan(body.slice(0, msgAt), fields);
    const end = body.lastIndexOf("'");
    scan(body.slice(msgAt + 5, end > msgAt + 4 ? end : body.length), fields);
  } else {
    scan(body, fields);
  }
  return {
    serial: head ? Number(head[3]) : 0,
    timeMs: head ? Number(head[1]) * 1000 + Number(head[2]) : 0,
    fields,
  };
}

/** The account/logon meaning of a message, or undefined for types the agent does not report. */
export function auditMeaning(type: number, fields: Map<string, string>): AuditMeaning | undefined {
  const name = AUDIT_TYPES.get(type);
  if (!name) return undefined;
  const ok = fields.get('res') === 'success' || fields.get('res') === '1';
  const m = (action: string, category: AuditMeaning['category'], t: string[]): AuditMeaning => ({
    action,
    category,
    type: t,
    messageType: name.toLowerCase(),
  });
  switch (name) {
    case 'USER_LOGIN':
      return ok
        ? m('logged-in', 'authentication', ['start'])
        : m('user-login-failed', 'authentication', ['start']);
    case 'USER_LOGOUT':
      return m('logged-out', 'authentication', ['end']);
    case 'USER_START':
      // PAM session open: the logon of su, sudo, sshd, login and cron alike.
      return m(ok ? 'session-opened' : 'session-open-failed', 'session', ['start']);
    case 'USER_END':
      return m('session-closed', 'session', ['end']);
    case 'USER_AUTH':
      return ok
        ? m('authenticated', 'authentication', ['info'])
        : m('user-login-failed', 'authentication', ['start']);
    case 'USER_ACCT':
      return m(ok ? 'authorized' : 'authorization-failed', 'authentication', ['info']);
    case 'CRED_ACQ':
      return m('credentials-acquired', 'authentication', ['info']);
    case 'CRED_DISP':
      return m('credentials-disposed', 'authentication', ['info']);
    case 'CRED_REFR':
      return m('credentials-refreshed', 'authentication', ['info']);
    case 'USER_ERR':
      return m('user-login-failed', 'authentication', ['start']);
    case 'ADD_USER':
      return m('added-user', 'iam', ['user', 'creation']);
    case 'DEL_USER':
      return m('deleted-user', 'iam', ['user', 'deletion']);
    case 'USER_MGMT':
    case 'CHUSER_ID':
      return m('modified-user', 'iam', ['user', 'change']);
    case 'USER_CHAUTHTOK':
      // PAM password changes, but also usermod's edits ("changing comment", "changing user shell").
      return /password|chauthtok/i.test(fields.get('op') ?? '')
        ? m('changed-password', 'iam', ['user', 'change'])
        : m('modified-user', 'iam', ['user', 'change']);
    case 'ADD_GROUP':
      return m('added-group', 'iam', ['group', 'creation']);
    case 'DEL_GROUP':
      return m('deleted-group', 'iam', ['group', 'deletion']);
    case 'GRP_MGMT':
    case 'CHGRP_ID':
    case 'GRP_CHAUTHTOK':
      return m('modified-group', 'iam', ['group', 'change']);
    case 'GRP_AUTH':
      return m(ok ? 'group-authenticated' : 'group-authentication-failed', 'authentication', [
        'info',
      ]);
    case 'USER_CMD':
      return m('ran-command', 'authentication', ['info']);
    default:
      return undefined;
  }
}

/** A numeric id field, or undefined when absent or unset (-1 / 4294967295). */
export function auditId(fields: Map<string, string>, key: string): number | undefined {
  const v = fields.get(key);
  if (v === undefined || v === UNSET_ID || v === '-1' || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}
