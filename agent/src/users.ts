/**
 * uid → user name and gid → group name from /etc/passwd and /etc/group, parsed once and re-read
 * only when the file's mtime changes (checked at most every `recheckMs`), so a lookup is a map hit.
 */
import { readFileSync, statSync } from 'node:fs';

interface NameFile {
  path: string;
  names: Map<number, string>;
  /** Rendered ECS `{"id":..,"name":..}` objects, cleared when the file is re-read. */
  json: Map<number, string>;
  mtimeMs: number;
  checkedAt: number;
}

function parse(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const name = f[0];
    const id = Number(f[2]);
    if (name && Number.isInteger(id) && !names.has(id)) names.set(id, name);
  }
  return names;
}

export class NameCache {
  private readonly files: { user: NameFile; group: NameFile };
  private readonly recheckMs: number;
  private readonly now: () => number;

  constructor(
    passwdPath = '/etc/passwd',
    groupPath = '/etc/group',
    recheckMs = 5000,
    now: () => number = Date.now,
  ) {
    const blank = (path: string): NameFile => ({
      path,
      names: new Map(),
      json: new Map(),
      mtimeMs: -1,
      checkedAt: -Infinity,
    });
    this.files = { user: blank(passwdPath), group: blank(groupPath) };
    this.recheckMs = recheckMs;
    this.now = now;
  }

  user(uid: number): string | undefined {
    return this.lookup(this.files.user, uid);
  }

  group(gid: number): string | undefined {
    return this.lookup(this.files.group, gid);
  }

  /** `{"id":"<uid>","name":"<name>"}` (no name when unknown), rendered once per id. */
  userJson(uid: number): string {
    return this.json(this.files.user, uid);
  }

  groupJson(gid: number): string {
    return this.json(this.files.group, gid);
  }

  private json(f: NameFile, id: number): string {
    const name = this.lookup(f, id);
    let j = f.json.get(id);
    if (j === undefined) {
      j = name === undefined ? `{"id":"${id}"}` : `{"id":"${id}","name":${JSON.stringify(name)}}`;
      f.json.set(id, j);
    }
    return j;
  }

  private lookup(f: NameFile, id: number): string | undefined {
    const t = this.now();
    if (t - f.checkedAt >= this.recheckMs) {
      f.checkedAt = t;
      try {
        const st = statSync(f.path);
        if (st.mtimeMs !== f.mtimeMs) {
          f.names = parse(readFileSync(f.path, 'utf8'));
          f.json = new Map();
          f.mtimeMs = st.mtimeMs;
        }
      } catch {
        // No passwd/group (minimal container): names stay unknown, ids are still reported.
        f.names = new Map();
        f.json = new Map();
      }
    }
    return f.names.get(id);
  }
}

/**
 * Account names for events about accounts (audit) and sockets (DNS): the NameCache's, plus every
 * uid → name seen since the start, so an account deleted since keeps its name in the events
 * about it. Unknown ids re-read the passwd file first (useradd writes it after its audit message).
 */
export class KnownAccounts {
  private readonly names: NameCache;
  private readonly passwdPath: string;
  private readonly groupPath: string;
  private readonly users = new Map<number, string>();

  constructor(names: NameCache, passwdPath = '/etc/passwd', groupPath = '/etc/group') {
    this.names = names;
    this.passwdPath = passwdPath;
    this.groupPath = groupPath;
    this.reread();
  }

  /** Reads the passwd file again, adding its accounts to those remembered. */
  reread(): void {
    try {
      for (const line of readFileSync(this.passwdPath, 'utf8').split('\n')) {
        const f = line.split(':');
        const id = Number(f[2]);
        if (f[0] && Number.isInteger(id)) this.users.set(id, f[0]);
      }
    } catch {
      // No passwd (minimal container): ids stay without names.
    }
  }

  /** A uid's name, also for accounts deleted since the agent saw them. */
  userName(uid: number): string | undefined {
    const cached = this.names.user(uid);
    if (cached !== undefined) {
      this.users.set(uid, cached);
      return cached;
    }
    if (!this.users.has(uid)) this.reread();
    return this.users.get(uid);
  }

  /** A gid's name, read from the group file when the cache does not know it. */
  groupName(gid: number): string | undefined {
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

  /** The uid of an account name, if it was ever seen. */
  uidOf(name: string): number | undefined {
    for (const [id, n] of this.users) if (n === name) return id;
    this.reread();
    for (const [id, n] of this.users) if (n === name) return id;
    return undefined;
  }

  /** ECS `{"id":"<uid>","name":"<name>"}`, without the name when it is unknown. */
  userJson(uid: number): string {
    const name = this.userName(uid);
    return name === undefined
      ? `{"id":"${uid}"}`
      : `{"id":"${uid}","name":${JSON.stringify(name)}}`;
  }
}
