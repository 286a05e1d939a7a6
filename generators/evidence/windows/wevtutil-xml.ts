/**
 * What `wevtutil qe <channel> /f:xml` writes: `<Event xmlns='http://schemas.microsoft.com/win/
 * 2004/08/events/event'>` elements one after another, with no root element, so no XML parser
 * reads the file as a document. Redirected from PowerShell (`> events.xml`) the file is UTF-16LE
 * with a byte order mark; from cmd.exe or `Out-File -Encoding utf8` it is UTF-8. The encoding is
 * detected from the first bytes.
 *
 * The reader is a small streaming parser for exactly this subset: elements, attributes, text,
 * the five predefined entities and character references, comments, CDATA and processing
 * instructions (an `<?xml?>` line, a `<Events>` wrapper some tools add are skipped). One event is
 * held at a time. A malformed event is reported with the byte offset of its `<Event` in the
 * (decompressed) file, BOM included, and the read goes on with the next event.
 */
import type { Readable } from 'node:stream';
import {
  asInt,
  buildWindowsEvent,
  countEvent,
  countMalformed,
  newStats,
  type WindowsEvent,
  type WindowsRead,
} from './event.ts';
import { decompressed, MAX_RECORD_BYTES } from './stream.ts';

export interface XmlElement {
  /** Local name, without a namespace prefix. */
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (not its children's), entities decoded. */
  text: string;
}

class XmlError extends Error {
  override name = 'XmlError';
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;\s&]{1,10});|&/g, (whole, name: string | undefined) => {
    if (name === undefined) throw new XmlError('a bare "&" (write it as &amp;)');
    if (name.startsWith('#x') || name.startsWith('#X')) {
      const code = Number.parseInt(name.slice(2), 16);
      if (Number.isNaN(code)) throw new XmlError(`a bad character reference "${whole}"`);
      return String.fromCodePoint(code);
    }
    if (name.startsWith('#')) {
      const code = Number.parseInt(name.slice(1), 10);
      if (Number.isNaN(code)) throw new XmlError(`a bad character reference "${whole}"`);
      return String.fromCodePoint(code);
    }
    const value = ENTITIES[name];
    if (value === undefined) throw new XmlError(`an unknown entity "${whole}"`);
    return value;
  });
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTR = /\s*([A-Za-z_][\w.:-]*)\s*=\s*(?:'([^'<]*)'|"([^"<]*)")/y;

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/**
 * Parses one element (with everything inside it) from `xml`. Throws an `XmlError` saying what
 * is wrong on anything outside the subset or not well-formed.
 */
export function parseElement(xml: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt === -1 ? xml.length : lt;
    if (textEnd > i) {
      const text = xml.slice(i, textEnd);
      const top = stack.at(-1);
      if (top !== undefined) top.text += decodeEntities(text);
      else if (text.trim() !== '') throw new XmlError('text outside the element');
    }
    if (lt === -1) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end === -1) throw new XmlError('a comment that never ends');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt + 9);
      if (end === -1) throw new XmlError('a CDATA section that never ends');
      const top = stack.at(-1);
      if (top === undefined) throw new XmlError('CDATA outside the element');
      top.text += xml.slice(lt + 9, end);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<?', lt)) {
      const end = xml.indexOf('?>', lt + 2);
      if (end === -1) throw new XmlError('a processing instruction that never ends');
      i = end + 2;
      continue;
    }
    if (xml.startsWith('</', lt)) {
      const end = xml.indexOf('>', lt + 2);
      if (end === -1) throw new XmlError('a closing tag that never ends');
      const name = xml.slice(lt + 2, end).trim();
      const open = stack.pop();
      if (open === undefined || localName(name) !== open.name)
        throw new XmlError(
          `</${name}> closes ${open === undefined ? 'nothing' : `<${open.name}>`}`,
        );
      i = end + 1;
      if (stack.length === 0) {
        if (xml.slice(i).trim() !== '') throw new XmlError('content after the element');
        break;
      }
      continue;
    }
    const nameMatch = NAME.exec(xml.slice(lt + 1, lt + 200));
    if (nameMatch === null) throw new XmlError('a "<" that starts no tag (write it as &lt;)');
    const element: XmlElement = {
      name: localName(nameMatch[0]),
      attrs: {},
      children: [],
      text: '',
    };
    let j = lt + 1 + nameMatch[0].length;
    for (;;) {
      ATTR.lastIndex = j;
      const a = ATTR.exec(xml);
      if (a === null) break;
      element.attrs[localName(a[1] as string)] = decodeEntities(a[2] ?? a[3] ?? '');
      j = ATTR.lastIndex;
    }
    while (j < xml.length && /\s/.test(xml[j] as string)) j++;
    const selfClosing = xml.startsWith('/>', j);
    if (!selfClosing && xml[j] !== '>')
      throw new XmlError(`a malformed <${element.name}> tag (attributes are name='value')`);
    const parent = stack.at(-1);
    if (parent !== undefined) parent.children.push(element);
    else if (root === undefined) root = element;
    else throw new XmlError('a second element at the top');
    i = j + (selfClosing ? 2 : 1);
    if (!selfClosing) stack.push(element);
    else if (stack.length === 0) break;
  }
  if (stack.length > 0) throw new XmlError(`<${stack.at(-1)?.name}> is never closed`);
  if (root === undefined) throw new XmlError('no element');
  return root;
}

function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

function flattenInto(element: XmlElement, prefix: string, into: Record<string, string>): void {
  if (element.children.length === 0) {
    into[prefix] = element.text;
    return;
  }
  for (const c of element.children)
    flattenInto(c, prefix === '' ? c.name : `${prefix}.${c.name}`, into);
}

/**
 * The normalised event of one parsed `<Event>`, or why it is not one.
 * @example eventFromXml(parseElement(xml), { file: 'a.xml', byteOffset: 0 })
 */
export function eventFromXml(
  root: XmlElement,
  where: { file: string; byteOffset: number },
): WindowsEvent | { reason: string } {
  if (root.name !== 'Event')
    return { reason: `a <${root.name}> element where <Event> was expected` };
  const system = child(root, 'System');
  if (system === undefined) return { reason: 'an <Event> without <System>' };
  const eventId = asInt(child(system, 'EventID')?.text.trim());
  if (eventId === undefined) return { reason: 'an <Event> without a numeric <EventID>' };
  const provider = child(system, 'Provider')?.attrs.Name ?? '';
  const channel = child(system, 'Channel')?.text.trim() ?? '';
  const host = child(system, 'Computer')?.text.trim();
  if (host === undefined) return { reason: 'an <Event> without <Computer>' };
  const data: Record<string, string> = {};
  const eventData = child(root, 'EventData');
  let unnamed = 0;
  for (const d of eventData?.children ?? []) {
    if (d.name !== 'Data') continue;
    const name = d.attrs.Name;
    if (name !== undefined) data[name] = d.text;
    else data[`param${++unnamed}`] = d.text;
  }
  // UserData holds one provider-defined element whose children are the fields.
  for (const wrapper of child(root, 'UserData')?.children ?? []) flattenInto(wrapper, '', data);
  return buildWindowsEvent({
    provider,
    channel,
    eventId,
    host,
    data,
    systemTime: child(system, 'TimeCreated')?.attrs.SystemTime,
    forwarderTime: undefined,
    recordId: child(system, 'EventRecordID')?.text.trim(),
    keywords: child(system, 'Keywords')?.text.trim(),
    origin: { file: where.file, layout: 'wevtutil-xml', byteOffset: where.byteOffset },
  });
}

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** The text encoding and BOM length from the first bytes. */
export function sniffEncoding(head: Uint8Array): { encoding: Encoding; bom: number } {
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bom: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bom: 2 };
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)
    return { encoding: 'utf-8', bom: 3 };
  // "<" then a zero byte: UTF-16LE written without a BOM.
  if (head.length >= 2 && head[0] !== 0 && head[1] === 0) return { encoding: 'utf-16le', bom: 0 };
  return { encoding: 'utf-8', bom: 0 };
}

/** `<Event` followed by a space, `>` or `/`: not `<EventData`, `<EventID`, `<EventXML`. */
const EVENT_START = /<(?:[A-Za-z_][\w.-]*:)?Event[\s/>]/g;
/** What may stand between events: white space, an XML declaration, a wrapper, comments. */
const BETWEEN = /^(?:\s+|<\?[\s\S]*?\?>|<\/?Events(?:\s[^>]*)?>|<!--[\s\S]*?-->)*$/;

/**
 * Reads a `wevtutil qe /f:xml` capture (UTF-8 or UTF-16, gzip or not).
 * @example const { events, stats } = readWevtutilXml(openFile('security.xml'), 'security.xml')
 */
export function readWevtutilXml(input: Readable, file: string): WindowsRead {
  const stats = newStats(file, 'wevtutil-xml');
  async function* events(): AsyncGenerator<WindowsEvent> {
    let decoder: TextDecoder | undefined;
    let unitBytes: ((text: string) => number) | undefined;
    let text = '';
    /** Byte offset of text[0] in the file. */
    let base = 0;
    const consume = (chars: number) => {
      base += unitBytes?.(text.slice(0, chars)) ?? 0;
      text = text.slice(chars);
    };
    const junk = (chunk: string, at: number) => {
      if (!BETWEEN.test(chunk))
        countMalformed(stats, {
          file,
          byteOffset: at,
          reason: 'text outside any <Event> element',
        });
    };
    // Own copy of the pattern: its lastIndex is state, and readers may run interleaved.
    const eventStart = new RegExp(EVENT_START.source, 'g');
    function* drain(final: boolean): Generator<WindowsEvent> {
      for (;;) {
        eventStart.lastIndex = 0;
        const start = eventStart.exec(text);
        if (start === null) {
          // Between events there is only white space or a declaration: wait for the next one.
          if (final || text.length > MAX_RECORD_BYTES) {
            junk(text, base);
            consume(text.length);
          }
          return;
        }
        if (start.index > 0) {
          junk(text.slice(0, start.index), base);
          consume(start.index);
        }
        const at = base;
        const close = text.indexOf('</Event>');
        eventStart.lastIndex = 1;
        const next = eventStart.exec(text);
        if (next !== null && (close === -1 || next.index < close)) {
          countMalformed(stats, {
            file,
            byteOffset: at,
            reason: 'an <Event> element that ends before its </Event> (another <Event> begins)',
          });
          consume(next.index);
          continue;
        }
        if (close === -1) {
          if (final) {
            countMalformed(stats, {
              file,
              byteOffset: at,
              reason: 'an <Event> element that never closes (the file ends first)',
            });
            consume(text.length);
          } else if (text.length > MAX_RECORD_BYTES) {
            countMalformed(stats, {
              file,
              byteOffset: at,
              reason: `an <Event> element longer than ${MAX_RECORD_BYTES} bytes`,
            });
            consume(text.length);
          }
          return;
        }
        const end = close + '</Event>'.length;
        const xml = text.slice(0, end);
        consume(end);
        let event: WindowsEvent | { reason: string };
        try {
          event = eventFromXml(parseElement(xml), { file, byteOffset: at });
        } catch (error) {
          if (!(error instanceof XmlError)) throw error;
          event = { reason: `malformed XML: ${error.message}` };
        }
        if ('reason' in event) {
          countMalformed(stats, { file, byteOffset: at, reason: event.reason });
          continue;
        }
        countEvent(stats, event);
        yield event;
      }
    }
    const bytes = decompressed(input, (gzip) => {
      stats.gzip = gzip;
    });
    let head: Buffer | undefined = Buffer.alloc(0);
    for await (const chunk of bytes) {
      stats.bytes += chunk.length;
      let body = chunk;
      if (decoder === undefined) {
        head = Buffer.concat([head ?? Buffer.alloc(0), chunk]);
        if (head.length < 4) continue;
        const { encoding, bom } = sniffEncoding(head);
        decoder = new TextDecoder(encoding, { ignoreBOM: true });
        unitBytes =
          encoding === 'utf-8' ? (s) => Buffer.byteLength(s, 'utf8') : (s) => s.length * 2;
        base = bom;
        body = head.subarray(bom);
        head = undefined;
      }
      text += decoder.decode(body, { stream: true });
      yield* drain(false);
    }
    if (decoder === undefined && head !== undefined && head.length > 0) {
      const { encoding, bom } = sniffEncoding(head);
      decoder = new TextDecoder(encoding, { ignoreBOM: true });
      unitBytes = encoding === 'utf-8' ? (s) => Buffer.byteLength(s, 'utf8') : (s) => s.length * 2;
      base = bom;
      text += decoder.decode(head.subarray(bom), { stream: true });
    }
    if (decoder !== undefined) text += decoder.decode();
    yield* drain(true);
  }
  return { events: events(), stats };
}
