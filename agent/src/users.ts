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
