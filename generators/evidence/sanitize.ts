/**
 * Everything that leaves a contributor's host goes through here first: sample events in pull
 * requests and evidence files, the captures committed as fixtures, and evidence packages
 * (`npm run evidence -- package`).
 *
 * Two tools live here, for two jobs:
 * - `sanitizeEvent` / `redactDoc` / `redactValue`: the proving fields of a sample event, host
 *   fields blanked to `<host>` and home directories to `<user>` (what data/evidence/*.json cite).
 * - `Sanitizer`: a whole capture or manifest, before an evidence package is written. Host and
 *   domain names, user names other than the generators' test accounts and the system's own, SIDs,
 *   non-loopback addresses, home and profile paths, e-mail addresses and secrets are replaced, each
 *   distinct value by its own stand-in (`<host-1>`, `<user-2>`, `192.0.2.3`), the same in every
 *   file the one instance reads, so events still tie to the manifest and to each other. It reports
 *   how many values of each kind it replaced, never the values.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { compileField, type Doc } from './readers/fields.ts';

export const REDACTED_HOST = '<host>';
const REDACTED_USER = '<user>';

/** Fields that identify the machine; their values are replaced whatever they hold. */
const HOST_KEYS =
  /^host\.(name|hostname|id|ip|mac|uptime|boot\.id)$|^agent\.(id|name|ephemeral_id)$|^observer\.(hostname|name|ip|mac)$|^node$/;
const HOME = /(\/home|\/Users|\/var\/home)\/[^/\s"',;:]+/g;
/** Always kept when present: they say when and what. */
const ALWAYS = [
  '@timestamp',
  'ID',
  'event.action',
  'event.category',
  'event.type',
  'event.outcome',
];

export interface Secrets {
  /** Host names, machine ids, boot ids to blank out wherever they appear. */
  words: readonly string[];
}

function redactText(text: string, secrets: Secrets): string {
  let out = text.replace(HOME, (_m, root: string) => `${root}/${REDACTED_USER}`);
  for (const word of secrets.words) {
    if (word.length >= 3) out = out.split(word).join(REDACTED_HOST);
  }
  return out;
}

/** Redacts one value, recursively. */
export function redactValue(value: unknown, secrets: Secrets): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, secrets)]));
  }
  return value;
}

/**
 * The proving fields of an event, flattened to dotted names and redacted.
 * @example sanitizeEvent(doc, ['process.Ext.memfd.name'], { words: ['build-7'] })
 */
export function sanitizeEvent(doc: Doc, fields: readonly string[], secrets: Secrets): Doc {
  const out: Doc = {};
  for (const field of [...ALWAYS, ...fields]) {
    if (field in out) continue;
    const value = compileField(field)(doc);
    if (value === undefined) continue;
    out[field] = HOST_KEYS.test(field) ? REDACTED_HOST : redactValue(value, secrets);
  }
  return out;
}

/**
 * A whole event redacted: host identifier fields blanked by name, home directories and secret
 * words blanked in every value. Used for the captures committed as test fixtures.
 */
export function redactDoc(doc: Doc, secrets: Secrets, prefix = ''): Doc {
  const out: Doc = {};
  for (const [key, value] of Object.entries(doc)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (HOST_KEYS.test(name)) out[key] = REDACTED_HOST;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value))
      out[key] = redactDoc(value as Doc, secrets, name);
    else out[key] = redactValue(value, secrets);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The package sanitiser

/** What a stand-in replaces. */
export const STAND_IN_KINDS = [
  'host',
  'domain',
  'host-id',
  'user',
  'sid',
  'email',
  'ipv4',
  'ipv6',
  'secret',
] as const;
export type StandInKind = (typeof STAND_IN_KINDS)[number];

/** Per kind: how many distinct values were replaced, and how many times in all. */
export type SanitizeReport = Partial<Record<StandInKind, { values: number; occurrences: number }>>;

/**
 * The accounts the generators themselves use (root, `nobody`, the run's own `etm-<8 hex>`
 * account, see generators/lib/test-user.ts) and the operating systems' built-in ones: none of them
 * names a person or a site, and the evidence needs them (a logon of `etm-1a2b3c4d`).
 */
const KEPT_USERS =
  /^(?:root|nobody|etm-[0-9a-f]{8}|daemon|bin|sys|sync|games|man|lp|mail|news|uucp|proxy|www-data|backup|list|irc|gnats|_apt|systemd-[a-z-]+|messagebus|sshd|syslog|polkitd|unset|\(unset\)|\(none\)|\(invalid user\)|unknown|system|local service|network service|anonymous logon|administrator|guest|defaultaccount|wdagutilityaccount|dwm-\d+|umfd-\d+|-)$/i;
/** Windows' built-in domains (and the workgroup default): not a site's name. */
const KEPT_DOMAINS =
  /^(?:nt authority|builtin|nt service|window manager|font driver host|workgroup|nt virtual machine|iis apppool|-|\.)$/i;
/** `C:\Users\<name>` folders that are not a person's. */
const KEPT_PROFILES =
  /^(?:public|default|default user|all users|defaultapppool|<[a-z0-9-]+>|&lt;[a-z0-9-]+&gt;)$/i;

/** Key names (the last dotted segment, or the whole ECS path) whose value is a machine's name. */
const HOST_FIELD =
  /^(?:computer|computername|hostname|workstationname|workstation|fqdn|sourcehostname|destinationhostname|machinename|node)$/i;
const HOST_PATH =
  /(?:^|\.)(?:host\.(?:name|hostname)|observer\.(?:name|hostname)|agent\.(?:name|hostname)|winlog\.computer_name|client\.domain|source\.domain)$/;
/** Machine and install identifiers: replaced whole. */
const HOST_ID_PATH =
  /(?:^|\.)(?:host\.(?:id|mac|boot\.id)|machineId|bootId|agent\.(?:id|ephemeral_id)|observer\.mac)$/;
const DOMAIN_FIELD =
  /^(?:subjectdomainname|targetdomainname|targetoutbounddomainname|domainname|domain|accountdomain|clientdomain)$/i;
const USER_FIELD =
  /^(?:subjectusername|targetusername|targetoutboundusername|username|accountname|samaccountname|user|acct|uid|auid|euid|suid|fsuid|ouid|login|clientuser)$/i;
const USER_PATH = /(?:^|\.)(?:user|real_user|saved_user|effective|target|changes)\.name$/;
/** Keys whose value is a secret whatever it looks like. */
const SECRET_FIELD =
  /^(?:.*[_-])?(?:token|access_?token|refresh_?token|id_?token|auth_?token|password|passwd|passphrase|secret|client_?secret|api_?key|private_?key)$|^(?:pwd|authorization|apikey|x-api-key|credentials?|cookie|set-cookie|session_?id)$/i;
/** Keys whose value is an identifier or a digest (random by nature, not a secret). */
const NOT_SECRET_FIELD =
  /(?:entity_id|guid|hash|hashes|sha1|sha256|sha384|sha512|md5|ssdeep|tlsh|imphash|header_bytes|^id$|record_id|logonid|sequence|keywords|calltrace)$/i;

/** A stand-in, as written in text or escaped in XML (`&lt;host-1&gt;`). */
const STAND_IN = /^(?:<[a-z0-9-]+>|&lt;[a-z0-9-]+&gt;)$/;
const SID = /\bS-1-(?:5-21|12-1)(?:-\d+){3,6}\b/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// `&` ends a name too: an XML capture writes a stand-in as `&lt;user-1&gt;`.
const UNIX_HOME = /(\/(?:home|Users|var\/home))\/([^/\s"',;:<>&]+)/g;
const WINDOWS_PROFILE = /(\\(?:Users|Documents and Settings)\\+)([^\\/"\s,;:<>&]+)/gi;
const IPV4 = /(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?!\w|\.\d)/g;
const IPV6 =
  /(?<![\w:.])((?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?)(?![\w:]|\.\d)/g;
/** `password=x`, `"token": "x"`, `Authorization: Bearer x`, `--api-key x`: the value goes. */
const SECRET_IN_TEXT =
  /((?:\b(?:(?:access_?|refresh_?|auth_?|api_?|id_?)?token|password|passwd|pwd|secret|client_?secret|api_?key|apikey|authorization)["']?\s*[:=]\s*["']?)|(?:--(?:password|token|api-key|secret)[ =]))((?:Bearer|Basic|Token)\s+)?([^\s"'&,;]{4,})/gi;
const TOKEN = /[A-Za-z0-9+/=_-]{24,}/g;

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/**
 * A random-looking token: long, mixed case with digits, high Shannon entropy (≥ 4.3 bits per
 * character: an API key or JWT is above 4.3, a path or a CamelCase name below). Hex strings are
 * digests and GUIDs, which evidence needs, and a leading `/` makes it a path.
 */
function looksSecret(token: string): boolean {
  if (/^[0-9a-fA-F-]+$/.test(token) || token.startsWith('/') || token.includes('//')) return false;
  if (!/[0-9]/.test(token) || !/[a-z]/.test(token) || !/[A-Z]/.test(token)) return false;
  return entropy(token) >= 4.3;
}

function isKeptIpv4(ip: string): boolean {
  const [a, b, c] = ip.split('.').map(Number) as [number, number, number, number];
  return (
    a === 127 || // loopback
    ip === '0.0.0.0' ||
    ip === '255.255.255.255' ||
    a >= 224 || // multicast and reserved: not a host's address
    (a === 192 && b === 0 && c === 2) || // the documentation ranges the stand-ins come from
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  );
}

function isKeptIpv6(ip: string): boolean {
  const lower = ip.toLowerCase();
  if (lower === '::' || lower === '::1' || lower.startsWith('2001:db8:')) return true;
  // An IPv4-mapped address is judged by its IPv4 part.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped?.[1] !== undefined && isIPv4(mapped[1]) && isKeptIpv4(mapped[1]);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Stand-ins escaped for XML, where a bare `<host-1>` would read as an element. */
export function escapeStandIns(xml: string): string {
  return xml.replace(/<((?:host|domain|host-id|user|sid|email|secret)-\d+)>/g, '&lt;$1&gt;');
}

/**
 * Replaces identifying values with stable stand-ins. Use one instance for every file of a
 * package: first `learn` from every document (host, domain and user names found in known fields
 * are then also replaced where they appear in free text, such as a Windows event's `Message`),
 * then `doc` / `text` each one.
 * @example
 * const s = new Sanitizer();
 * for (const d of docs) s.learn(d);
 * const clean = docs.map((d) => s.doc(d));
 * s.report(); // { host: { values: 1, occurrences: 12 }, ... }
 */
export class Sanitizer {
  private readonly maps = new Map<StandInKind, Map<string, string>>();
  private readonly counts = new Map<StandInKind, number>();
  /** Learnt names → kind, lower-cased (Windows names are case-insensitive). */
  private readonly words = new Map<string, 'host' | 'domain' | 'user'>();
  private wordPattern: RegExp | undefined;

  /** The stand-in of one value of a kind, created on first sight; counts the occurrence. */
  private standIn(kind: StandInKind, value: string): string {
    let map = this.maps.get(kind);
    if (map === undefined) {
      map = new Map();
      this.maps.set(kind, map);
    }
    const key = kind === 'secret' || kind === 'sid' ? value : value.toLowerCase();
    let out = map.get(key);
    if (out === undefined) {
      const n = map.size + 1;
      out =
        kind === 'ipv4'
          ? documentationIpv4(n)
          : kind === 'ipv6'
            ? `2001:db8::${n.toString(16)}`
            : `<${kind}-${n}>`;
      map.set(key, out);
    }
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    return out;
  }

  private learnWord(word: string, kind: 'host' | 'domain' | 'user'): void {
    const w = word.trim();
    if (w.length < 3 || STAND_IN.test(w) || w.includes('<') || w.includes('&lt;')) return;
    const key = w.toLowerCase();
    if (this.words.has(key)) return;
    this.words.set(key, kind);
    this.wordPattern = undefined;
  }

  private learnHost(value: string): void {
    const v = value.trim().replace(/\$$/, '');
    if (v === '' || v === '-' || isIPv4(v) || isIPv6(v) || v.toLowerCase() === 'localhost') return;
    const dot = v.indexOf('.');
    if (dot === -1) this.learnWord(v, 'host');
    else {
      this.learnWord(v.slice(0, dot), 'host');
      this.learnWord(v.slice(dot + 1), 'domain');
    }
  }

  private learnUser(value: string): void {
    const v = value.trim();
    const slash = v.lastIndexOf('\\');
    if (slash !== -1) {
      const domain = v.slice(0, slash);
      if (!KEPT_DOMAINS.test(domain)) this.learnWord(domain, 'domain');
      this.learnUser(v.slice(slash + 1));
      return;
    }
    if (v.endsWith('$')) {
      this.learnHost(v);
      return;
    }
    if (/^\d+$/.test(v) || KEPT_USERS.test(v) || v.includes('@')) return;
    this.learnWord(v, 'user');
  }

  /** Collects the names found in known fields and home paths of one document. */
  learn(value: unknown, path = ''): void {
    if (typeof value === 'string') {
      const last = path.slice(path.lastIndexOf('.') + 1);
      if (NOT_SECRET_FIELD.test(last)) return;
      if (HOST_FIELD.test(last) || HOST_PATH.test(path)) this.learnHost(value);
      else if (DOMAIN_FIELD.test(last)) {
        if (!KEPT_DOMAINS.test(value.trim())) this.learnWord(value, 'domain');
      } else if (USER_FIELD.test(last) || USER_PATH.test(path)) this.learnUser(value);
      for (const m of value.matchAll(UNIX_HOME)) if (m[2] !== undefined) this.learnUser(m[2]);
      for (const m of value.matchAll(WINDOWS_PROFILE))
        if (m[2] !== undefined && !KEPT_PROFILES.test(m[2])) this.learnUser(m[2]);
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) this.learn(v, path);
      return;
    }
    if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) this.learn(v, path === '' ? k : `${path}.${k}`);
    }
  }

  /** Learns from raw text lines that are not JSON (auditd's `node=`, wevtutil XML, a CSV). */
  learnText(line: string): void {
    for (const m of line.matchAll(/\b(node|hostname|acct|addr)=("?)([^"\s]+)\2/g)) {
      const [, key, , value] = m;
      if (value === undefined || value === '?') continue;
      if (key === 'acct') this.learnUser(value);
      else if (key !== 'addr') this.learnHost(value);
    }
    for (const m of line.matchAll(/<Computer>([^<]+)<\/Computer>/g))
      if (m[1] !== undefined) this.learnHost(m[1]);
    for (const m of line.matchAll(/<Data Name=['"](\w+)['"]>([^<]*)<\/Data>/g))
      if (m[1] !== undefined && m[2] !== undefined) this.learn(m[2], m[1]);
    this.learn(line, '');
  }

  private words_(): RegExp | undefined {
    if (this.words.size === 0) return undefined;
    if (this.wordPattern === undefined) {
      const alternatives = [...this.words.keys()]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp);
      this.wordPattern = new RegExp(
        `(?<![A-Za-z0-9_-])(?:${alternatives.join('|')})(?![A-Za-z0-9_-])`,
        'gi',
      );
    }
    return this.wordPattern;
  }

  /** One string of free text. */
  text(input: string, key = ''): string {
    // A digest or an identifier is random by nature and names nobody.
    if (input === '' || STAND_IN.test(input) || NOT_SECRET_FIELD.test(key)) return input;
    let out = input.replace(SID, (sid) => this.standIn('sid', sid));
    out = out.replace(EMAIL, (email) => this.standIn('email', email));
    out = out.replace(UNIX_HOME, (whole, root: string, name: string) =>
      STAND_IN.test(name) || KEPT_USERS.test(name)
        ? whole
        : `${root}/${this.standIn('user', name)}`,
    );
    out = out.replace(WINDOWS_PROFILE, (whole, root: string, name: string) =>
      KEPT_PROFILES.test(name) || KEPT_USERS.test(name)
        ? whole
        : `${root}${this.standIn('user', name)}`,
    );
    const words = this.words_();
    if (words !== undefined)
      out = out.replace(words, (word) => {
        const kind = this.words.get(word.toLowerCase());
        return kind === undefined ? word : this.standIn(kind, word);
      });
    // IPv6 first: an IPv4-mapped address (::ffff:10.1.2.3) is one address, not two.
    out = out.replace(IPV6, (ip) => {
      // Two groups at least: "3::" is an address to isIPv6 but an empty ssdeep to everyone else.
      if (!isIPv6(ip) || ip.split(':').filter(Boolean).length < 2 || isKeptIpv6(ip)) return ip;
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
      return mapped === undefined
        ? this.standIn('ipv6', ip)
        : `::ffff:${this.standIn('ipv4', mapped)}`;
    });
    out = out.replace(IPV4, (ip) =>
      !isIPv4(ip) || isKeptIpv4(ip) ? ip : this.standIn('ipv4', ip),
    );
    out = out.replace(
      SECRET_IN_TEXT,
      (whole, name: string, scheme: string | undefined, value: string) =>
        STAND_IN.test(value) || value.startsWith('%%')
          ? whole
          : `${name}${scheme ?? ''}${this.standIn('secret', value)}`,
    );
    out = out.replace(TOKEN, (token) =>
      looksSecret(token) ? this.standIn('secret', token) : token,
    );
    return out;
  }

  /** One value under a key (dotted path): fields that are names or secrets by their key are replaced whole. */
  value(value: unknown, path = ''): unknown {
    if (Array.isArray(value)) return value.map((v) => this.value(v, path));
    if (typeof value === 'object' && value !== null) return this.doc(value as Doc, path);
    const last = path.slice(path.lastIndexOf('.') + 1);
    if (SECRET_FIELD.test(last) && (typeof value === 'string' || typeof value === 'number')) {
      const text = String(value);
      return text === '' || STAND_IN.test(text) ? value : this.standIn('secret', text);
    }
    if (typeof value !== 'string') return value;
    // A name met for the first time in a known field is replaced here too, learnt or not.
    this.learn(value, path);
    if (HOST_ID_PATH.test(path) && value !== '' && !STAND_IN.test(value))
      return this.standIn('host-id', value);
    return this.text(value, last);
  }

  /** A whole document (an event, a manifest), keys kept, values sanitised. */
  doc(doc: Doc, prefix = ''): Doc {
    const out: Doc = {};
    for (const [key, v] of Object.entries(doc))
      out[key] = this.value(v, prefix === '' ? key : `${prefix}.${key}`);
    return out;
  }

  /** What was replaced, per kind: distinct values and occurrences (never the values). */
  report(): SanitizeReport {
    const out: SanitizeReport = {};
    for (const kind of STAND_IN_KINDS) {
      const values = this.maps.get(kind)?.size ?? 0;
      if (values > 0) out[kind] = { values, occurrences: this.counts.get(kind) ?? 0 };
    }
    return out;
  }
}

/** The n-th address of the IPv4 documentation ranges (RFC 5737): 192.0.2.1, ... 203.0.113.254. */
function documentationIpv4(n: number): string {
  const ranges = ['192.0.2', '198.51.100', '203.0.113'];
  const i = (n - 1) % (254 * ranges.length);
  return `${ranges[Math.floor(i / 254)]}.${(i % 254) + 1}`;
}

/** The report in one line for a terminal: "3 host names (12×), 1 e-mail address (1×)". */
export function describeReport(report: SanitizeReport): string {
  const names: Record<StandInKind, string> = {
    host: 'host name',
    domain: 'domain name',
    'host-id': 'machine identifier',
    user: 'user name',
    sid: 'SID',
    email: 'e-mail address',
    ipv4: 'IPv4 address',
    ipv6: 'IPv6 address',
    secret: 'secret',
  };
  const parts = STAND_IN_KINDS.flatMap((kind) => {
    const r = report[kind];
    if (r === undefined) return [];
    const name = names[kind];
    const plural = name.endsWith('s') ? `${name}es` : `${name}s`;
    return [`${r.values} ${r.values === 1 ? name : plural} (${r.occurrences}×)`];
  });
  return parts.length === 0 ? 'nothing to replace' : parts.join(', ');
}
