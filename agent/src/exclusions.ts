/**
 * Exclusion rules: `path:<glob>` (file paths and executables), `name:<process name>`, `uid:<n>`
 * (real or effective). `*` matches any run of characters, `/` included; `?` one character.
 * Several rules are separated by commas or given as repeated --exclude flags.
 */
export interface Exclusions {
  paths: RegExp[];
  names: Set<string>;
  uids: Set<number>;
}

/** A rule that cannot be parsed; its message names the rule and the accepted forms. */
export class ExclusionRuleError extends Error {
  override name = 'ExclusionRuleError';
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function parseExclusions(specs: readonly string[]): Exclusions {
  const ex: Exclusions = { paths: [], names: new Set(), uids: new Set() };
  for (const spec of specs) {
    for (const rule of spec.split(',')) {
      const r = rule.trim();
      if (!r) continue;
      const colon = r.indexOf(':');
      const kind = colon > 0 ? r.slice(0, colon) : '';
      const value = r.slice(colon + 1);
      if (kind === 'path' && value.startsWith('/')) ex.paths.push(globToRegExp(value));
      else if (kind === 'name' && value) ex.names.add(value);
      else if (kind === 'uid' && /^\d+$/.test(value)) ex.uids.add(Number(value));
      else {
        throw new ExclusionRuleError(
          `The exclusion rule "${r}" is not understood. Use path:/absolute/glob*, name:<process name> or uid:<number>.`,
        );
      }
    }
  }
  return ex;
}

export function excludesPath(ex: Exclusions, path: string): boolean {
  for (const re of ex.paths) if (re.test(path)) return true;
  return false;
}
