/**
 * The capture readers on small hand-made files: ECS NDJSON (nested and flattened keys), CSV
 * (RFC 4180 quoting across lines), LAUREL JSONL, gzip, and malformed lines counted with their
 * numbers rather than stopping the read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CaptureError,
  type CaptureEvent,
  detectFormat,
  readCapture,
} from '../../generators/evidence/readers/capture.ts';
import { compileField, getField } from '../../generators/evidence/readers/fields.ts';
import { streamLines } from '../../generators/evidence/readers/lines.ts';

const HANDMADE = resolve(import.meta.dirname, '../fixtures/evidence/handmade');
const tmp = mkdtempSync(join(tmpdir(), 'etm-evidence-readers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function read(path: string, format?: 'ecs' | 'laurel' | 'csv') {
  const events: CaptureEvent[] = [];
  const summary = await readCapture(path, { format }, (e) => events.push(e));
  return { summary, events };
}

describe('field access', () => {
  it('reads nested, flattened and mixed keys the same way', () => {
    const nested = { process: { Ext: { memfd: { name: 'x' } } } };
    const flat = { 'process.Ext.memfd.name': 'x' };
    const mixed = { 'process.Ext': { 'memfd.name': 'x' } };
    for (const doc of [nested, flat, mixed]) {
      expect(getField(doc, 'process.Ext.memfd.name')).toBe('x');
      expect(compileField('process.Ext.memfd.name')(doc)).toBe('x');
    }
    expect(getField(nested, 'process.Ext.memfd.flags')).toBeUndefined();
  });

  it('collects a field from every element of an array of objects (LAUREL PATH records)', () => {
    const doc = {
      PATH: [
        { name: '/tmp', nametype: 'PARENT' },
        { name: '/tmp/a', nametype: 'CREATE' },
      ],
    };
    expect(getField(doc, 'PATH.name')).toEqual(['/tmp', '/tmp/a']);
    expect(compileField('PATH.nametype')(doc)).toEqual(['PARENT', 'CREATE']);
  });
});

describe('line streaming', () => {
  it('splits LF and CRLF lines, keeps a last line without newline, and counts bytes', async () => {
    const path = join(tmp, 'lines.txt');
    writeFileSync(path, 'a\r\nbb\n\nccc');
    const lines: [string, number][] = [];
    const stats = await streamLines(path, (text, n) => lines.push([text, n]));
    expect(lines).toEqual([
      ['a', 1],
      ['bb', 2],
      ['', 3],
      ['ccc', 4],
    ]);
    expect(stats).toEqual({ bytes: 10, lines: 4, gzip: false });
  });

  it('reads gzip transparently, whatever the file is called', async () => {
    const path = join(tmp, 'renamed.log');
    writeFileSync(path, gzipSync('{"a":1}\n{"a":2}\n'));
    const lines: string[] = [];
    const stats = await streamLines(path, (t) => lines.push(t));
    expect(lines).toEqual(['{"a":1}', '{"a":2}']);
    expect(stats.gzip).toBe(true);
  });
});

describe('format detection', () => {
  it('tells LAUREL from ECS by the audit event id, and CSV by its header', () => {
    expect(detectFormat(['{"ID":"1795443055.803:2728","SYSCALL":{}}'])).toBe('laurel');
    expect(detectFormat(['{"@timestamp":"2026-01-01T00:00:00Z","event":{}}'])).toBe('ecs');
    expect(detectFormat(['{broken', '{"event.action":"exec"}'])).toBe('ecs');
    expect(detectFormat(['@timestamp,event.action,process.pid'])).toBe('csv');
    expect(detectFormat(['just some text'])).toBeUndefined();
  });

  it('does not take a raw auditd line with commas in its values for a CSV header', () => {
    const raw =
      'type=SYSCALL msg=audit(1795443055.803:2728): arch=c000003e syscall=59 success=yes exit=0 comm="a,b" exe="/usr/bin/x,y"';
    expect(detectFormat([raw])).toBeUndefined();
    expect(detectFormat([`node=host-1 ${raw}`])).toBeUndefined();
    // A header that merely mentions audit fields is still CSV.
    expect(detectFormat(['type,msg,process.pid'])).toBe('csv');
  });

  it('fails with what to do when the format cannot be recognised', async () => {
    const path = join(tmp, 'prose.txt');
    writeFileSync(path, 'hello\nworld\n');
    await expect(readCapture(path, {}, () => {})).rejects.toThrowErrorMatchingInlineSnapshot(
      `[CaptureError: ${path}: the capture format cannot be recognised from its first lines ("hello"). Pass --input-format ecs, laurel or csv.]`,
    );
    await expect(readCapture(join(tmp, 'missing.ndjson'), {}, () => {})).rejects.toBeInstanceOf(
      CaptureError,
    );
  });
});

describe('ECS NDJSON', () => {
  it('reads an Elastic Defend style export, counting malformed lines with their numbers', async () => {
    const { summary, events } = await read(join(HANDMADE, 'elastic-defend.ndjson'));
    expect(summary.format).toBe('ecs');
    expect(summary.events).toBe(10);
    expect(events.map((e) => e.line)).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10, 12]);
    expect(
      summary.malformedSamples.map(({ line, reason }) => ({ line, reason })),
    ).toMatchInlineSnapshot(`
      [
        {
          "line": 11,
          "reason": "not JSON (Expected ',' or '}' after property value in JSON at position 151 (line 1 column 152))",
        },
        {
          "line": 13,
          "reason": "a JSON value that is not an object",
        },
      ]
    `);
    expect(events[0]?.timeMs).toBe(Date.parse('2026-05-18T09:12:01.101Z'));
  });

  it('reads timestamps with any fraction and offset exactly as Date.parse does', async () => {
    const values = [
      '2026-05-18T09:12:01.101Z',
      '2026-05-18T09:12:01.1Z',
      '2026-05-18T09:12:01.009Z',
      '2026-05-18T09:12:01.123456789Z',
      '2026-05-18T09:12:02.999Z',
      '2026-05-18T10:12:01+01:00',
    ];
    const path = join(tmp, 'times.ndjson');
    writeFileSync(path, values.map((v) => JSON.stringify({ '@timestamp': v })).join('\n'));
    const { events } = await read(path);
    expect(events.map((e) => e.timeMs)).toEqual(values.map((v) => Date.parse(v)));
  });

  it('reads the same export gzipped to the same events', async () => {
    const plain = await read(join(HANDMADE, 'elastic-defend.ndjson'));
    const gz = await read(join(HANDMADE, 'elastic-defend-copy.ndjson.gz'));
    expect(gz.summary.gzip).toBe(true);
    expect(gz.events.map((e) => e.doc)).toEqual(plain.events.map((e) => e.doc));
  });

  it('reports a damaged gzip file instead of crashing', async () => {
    const path = join(tmp, 'cut.ndjson.gz');
    writeFileSync(path, gzipSync('{"a":1}\n'.repeat(1000)).subarray(0, 40));
    await expect(readCapture(path, {}, () => {})).rejects.toThrow(
      /starts like gzip but the compressed data is damaged or cut short/,
    );
  });
});

describe('CSV', () => {
  it('splits RFC 4180 records: quotes, doubled quotes, commas, empty fields', async () => {
    const path = join(tmp, 'quotes.csv');
    writeFileSync(path, 'a,b,c,d,e\nx,"b,c","say ""hi""",,\nx,b"c,,,\nx,y,,,\nx,"open,,,\n');
    const { summary, events } = await read(path, 'csv');
    expect(events.map((e) => [e.line, e.doc])).toEqual([
      [2, { a: 'x', b: 'b,c', c: 'say "hi"' }],
      [4, { a: 'x', b: 'y' }],
    ]);
    expect(summary.lines).toBe(5);
    expect(summary.malformedSamples.map(({ line, reason }) => `${line}: ${reason}`)).toEqual([
      '3: broken CSV: a quote inside an unquoted field on line 3',
      '5: broken CSV: a quoted field is never closed before the end of the file',
    ]);
  });

  it('reads gzip and counts bytes and lines as the line reader does', async () => {
    const text = '@timestamp,event.action\n2026-05-18T09:12:01.101Z,exec\n\n';
    const plain = join(tmp, 'count.csv');
    const gz = join(tmp, 'count.csv.gz');
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
    const lines = await streamLines(plain, () => {});
    for (const path of [plain, gz]) {
      const { summary, events } = await read(path);
      expect(summary).toMatchObject({ format: 'csv', bytes: lines.bytes, lines: lines.lines });
      expect(events).toHaveLength(1);
      // A blank line is a record of one empty field, reported with its number.
      expect(summary.malformedSamples.map((m) => m.line)).toEqual([3]);
    }
  });

  it('ignores a UTF-8 byte order mark before the header', async () => {
    const path = join(tmp, 'bom.csv');
    writeFileSync(path, '\uFEFF@timestamp,event.action\r\n2026-05-18T09:12:01.101Z,exec\r\n');
    const { events } = await read(path);
    expect(events[0]?.doc).toEqual({
      '@timestamp': '2026-05-18T09:12:01.101Z',
      'event.action': 'exec',
    });
    expect(events[0]?.timeMs).toBe(Date.parse('2026-05-18T09:12:01.101Z'));
  });

  it('reads a SIEM export with a multi-line quoted field and reports broken rows', async () => {
    const { summary, events } = await read(join(HANDMADE, 'siem-export.csv'));
    expect(summary.format).toBe('csv');
    expect(events.map((e) => e.line)).toEqual([2, 3, 4, 6, 9]);
    expect(events[2]?.doc['file.path']).toBe('/tmp/name with "quotes", a comma\nand a newline.txt');
    expect(events[0]?.doc['process.args']).toEqual(['bash', '-c', 'echo "hi, there"']);
    expect(
      summary.malformedSamples.map(({ line, reason }) => `${line}: ${reason}`),
    ).toMatchInlineSnapshot(`
      [
        "7: 7 fields where the header has 12",
        "8: broken CSV: unexpected character after a closing quote on line 8",
      ]
    `);
  });
});

describe('LAUREL JSONL', () => {
  it('reads LAUREL records with their audit timestamps and rejects records without an ID', async () => {
    const { summary, events } = await read(join(HANDMADE, 'laurel-sample.jsonl'));
    expect(summary.format).toBe('laurel');
    expect(events).toHaveLength(3);
    expect(events[0]?.timeMs).toBe(
      Math.round(Number(String(events[0]?.doc.ID).split(':')[0]) * 1000),
    );
    expect(summary.malformedSamples.map(({ line, reason }) => `${line}: ${reason}`)).toEqual([
      '3: a LAUREL record without its "ID" (seconds.millis:serial)',
      expect.stringMatching(/^5: not JSON/),
    ]);
  });
});
