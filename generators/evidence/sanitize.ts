/**
 * Sample events go into pull requests and into data/: before they leave the host, home
 * directories, host names and host identifiers are redacted, and only the fields that prove the
 * cell are kept (an EDR event carries environment, tokens and much else nobody should publish).
 */
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
