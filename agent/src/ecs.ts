/**
 * ECS JSON fragments, built as strings from templates: a process's members are rendered once and
 * cached on the process, so an event is a handful of concatenations rather than a JSON.stringify
 * of a nested object (the enricher's hot path).
 */
import type { Digest } from './hashes.ts';
import type { Proc } from './processes.ts';
import type { NameCache } from './users.ts';

export const ECS_VERSION = '8.17.0';

/** ECS agent.type of this sensor's own events (start, stop). */
export const AGENT_TYPE = 'etm-reference-agent';

const q = JSON.stringify;

/** The members (without braces) ECS RFC 0030 gives every process object. */
export function procMembers(p: Proc, names: NameCache): string {
  return p.anemicJson + imageMembers(p, names);
}

/**
 * The members after entity_id/pid/start: the process image and credentials, starting with a comma.
 * Cached on p; a forked child shares its parent's until it execs or changes credentials.
 */
function imageMembers(p: Proc, names: NameCache): string {
  if (p.json !== undefined) return p.json;
  const tty =
    p.ttyMajor !== 0
      ? `,"tty":{"char_device":{"major":${p.ttyMajor},"minor":${p.ttyMinor}}},"interactive":true`
      : ',"interactive":false';
  p.json =
    (p.executable ? `,"executable":${q(p.executable)}` : '') +
    `,"name":${q(p.name)},"args":${q(p.args)},"args_count":${p.args.length}` +
    `,"command_line":${q(p.args.join(' '))}` +
    (p.cwd ? `,"working_directory":${q(p.cwd)}` : '') +
    tty +
    `,"user":${names.userJson(p.euid)},"group":${names.groupJson(p.egid)}` +
    `,"real_user":${names.userJson(p.uid)},"real_group":${names.groupJson(p.gid)}` +
    `,"saved_user":${names.userJson(p.suid)},"saved_group":${names.groupJson(p.sgid)}`;
  return p.json;
}

/** imageMembers as UTF-8 bytes, re-encoded only when they change. */
export function imageMembersBuf(p: Proc, names: NameCache): Buffer {
  const json = imageMembers(p, names);
  if (p.jsonBuf === undefined || p.jsonBufOf !== json) {
    p.jsonBuf = Buffer.from(json, 'utf8');
    p.jsonBufOf = json;
  }
  return p.jsonBuf;
}

/** userMembers as UTF-8 bytes, re-encoded only when they change. */
export function userMembersBuf(p: Proc, names: NameCache): Buffer {
  const json = userMembers(p, names);
  if (p.userBuf === undefined || p.userBufOf !== json) {
    p.userBuf = Buffer.from(json, 'utf8');
    p.userBufOf = json;
  }
  return p.userBuf;
}

/** Top-level `"user":{..},"group":{..}` (the effective ids, as RFC 0030 puts them). Cached on p. */
function userMembers(p: Proc, names: NameCache): string {
  if (p.userJson !== undefined) return p.userJson;
  p.userJson = `"user":${names.userJson(p.euid)},"group":${names.groupJson(p.egid)}`;
  return p.userJson;
}

/** hashMembers by digest: an executable's digest is cached, so each exec of it renders nothing. */
const hashJson = new WeakMap<Digest, string>();

export function hashMembers(d: Digest): string {
  let j = hashJson.get(d);
  if (j === undefined) {
    j = `"hash":{"sha256":"${d.sha256}","md5":"${d.md5}"${d.ssdeep === undefined ? '' : `,"ssdeep":${q(d.ssdeep)}`}}`;
    hashJson.set(d, j);
  }
  return j;
}

/**
 * Rendered exec-chain entries by their argv array: a forked child shares its parent's argv, so in
 * a fork+exec loop every child's chain starts with the same entry, rendered once.
 */
const previousJson = new WeakMap<readonly string[], { executable: string; json: string }>();

/** `"previous":[{"args":..,"args_count":..,"executable":..}]` (the exec chain, newest first). */
export function previousMember(p: Proc): string {
  if (p.previous.length === 0) return '';
  let s = ',"previous":[';
  for (let i = 0; i < p.previous.length; i++) {
    const e = p.previous[i];
    if (!e) continue;
    let r = previousJson.get(e.args);
    if (r === undefined || r.executable !== e.executable) {
      r = {
        executable: e.executable,
        json: `{"args":${q(e.args)},"args_count":${e.args.length},"executable":${q(e.executable)}}`,
      };
      previousJson.set(e.args, r);
    }
    s += i ? `,${r.json}` : r.json;
  }
  return `${s}]`;
}

/** File members common to every file event. */
export function fileMembers(path: string): string {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  return (
    `"path":${q(path)},"name":${q(name)},"directory":${q(slash > 0 ? path.slice(0, slash) : '/')}` +
    (dot > 0 ? `,"extension":${q(name.slice(dot + 1))}` : '')
  );
}

export function mode(m: number): string {
  return (m & 0o7777).toString(8).padStart(4, '0');
}

/** S_IFMT → ECS file.type. */
export function fileType(m: number): string {
  switch (m & 0o170000) {
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o100000:
      return 'file';
    case 0o060000:
      return 'block_device';
    case 0o020000:
      return 'char_device';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return 'unknown';
  }
}
