/**
 * Reading a dotted ECS field name from an event whatever its shape: flattened
 * (`{"process.pid": 1}`), nested (`{"process": {"pid": 1}}`) or a mix of both, which is what
 * Elastic exports, Beats and SIEM pipelines produce. Arrays of objects (LAUREL's PATH records)
 * yield the values of every element.
 */

export type Doc = Record<string, unknown>;

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collect(values: unknown[], rest: string): unknown {
  const out: unknown[] = [];
  for (const item of values) {
    if (!isObject(item)) continue;
    const found = getField(item, rest);
    if (found === undefined) continue;
    if (Array.isArray(found)) out.push(...found);
    else out.push(found);
  }
  return out.length === 0 ? undefined : out;
}

/**
 * The value at `path`, or undefined. Tries the whole key first, then every split point, so
 * `process.Ext.memfd.name` is found in `{"process.Ext": {"memfd.name": "x"}}` too.
 * @example getField({ process: { pid: 7 } }, 'process.pid') // 7
 */
export function getField(doc: Doc, path: string): unknown {
  const direct = doc[path];
  if (direct !== undefined) return direct;
  let dot = path.indexOf('.');
  while (dot !== -1) {
    const head = doc[path.slice(0, dot)];
    if (head !== undefined) {
      const rest = path.slice(dot + 1);
      if (isObject(head)) {
        const found = getField(head, rest);
        if (found !== undefined) return found;
      } else if (Array.isArray(head)) {
        const found = collect(head, rest);
        if (found !== undefined) return found;
      }
    }
    dot = path.indexOf('.', dot + 1);
  }
  return undefined;
}

export type FieldGetter = (doc: Doc) => unknown;

const compiled = new Map<string, FieldGetter>();

/**
 * `getField` for one fixed path, with its split points computed once: the hot loop of the
 * classifier reads the same dozen fields from millions of events.
 */
export function compileField(path: string): FieldGetter {
  const known = compiled.get(path);
  if (known !== undefined) return known;
  const splits: { head: string; restPath: string; rest?: FieldGetter }[] = [];
  let dot = path.indexOf('.');
  while (dot !== -1) {
    splits.push({ head: path.slice(0, dot), restPath: path.slice(dot + 1) });
    dot = path.indexOf('.', dot + 1);
  }
  const getter: FieldGetter = (doc) => {
    const direct = doc[path];
    if (direct !== undefined) return direct;
    for (const split of splits) {
      const head = doc[split.head];
      if (head === undefined) continue;
      if (isObject(head)) {
        if (split.rest === undefined) split.rest = compileField(split.restPath);
        const found = split.rest(head);
        if (found !== undefined) return found;
      } else if (Array.isArray(head)) {
        const found = collect(head, split.restPath);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  compiled.set(path, getter);
  return getter;
}

/** Every leaf as a dotted key, for samples and `classify` examples. Arrays stay values. */
export function flatten(doc: Doc, prefix = '', out: Doc = {}): Doc {
  for (const [key, value] of Object.entries(doc)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (isObject(value)) flatten(value, name, out);
    else out[name] = value;
  }
  return out;
}
