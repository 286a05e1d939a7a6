/**
 * The Windows readers on the four real OTRF captures (credit: Open Threat Research Forge, MIT;
 * tests/fixtures/evidence/windows/LICENSE.OTRF) and on the derived wevtutil XML and Winlogbeat
 * files: record counts against an independent reading, time from Sysmon's UtcTime, UTF-16LE,
 * gzip, and malformed records located by line or byte offset.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WindowsEventSchema } from '../../../generators/evidence/windows/event.ts';
import {
  normaliseEventlogRecord,
  readEventlogJson,
} from '../../../generators/evidence/windows/eventlog-json.ts';
import { readNxlogJson, sysmonEventType } from '../../../generators/evidence/windows/nxlog-json.ts';
import { openFile } from '../../../generators/evidence/windows/stream.ts';
import {
  parseElement,
  readWevtutilXml,
} from '../../../generators/evidence/windows/wevtutil-xml.ts';
import { readWinlogbeat } from '../../../generators/evidence/windows/winlogbeat.ts';
import {
  bytesStream,
  collect,
  fixturePath,
  SAMPLES,
  samplePath,
  sampleRecords,
  sampleText,
  tally,
} from './helpers.ts';

const XML_FILE = fixturePath('schtask_create.wevtutil.xml');
const BEAT_FILE = fixturePath('schtask_create.winlogbeat.ndjson');

describe('event-log JSON lines (TimeCreated + hex Keywords) on the real samples', () => {
  for (const name of [SAMPLES.cmd, SAMPLES.psh, SAMPLES.schtask]) {
    it(`reads every record of ${name}, with the counts per provider and event id of JSON.parse`, async () => {
      const read = readEventlogJson(openFile(samplePath(name)), name);
      const events = await collect(read);
      const records = sampleRecords(name);
      expect(read.stats).toMatchObject({ gzip: true, malformed: 0, events: records.length });
      expect(events.length).toBe(records.length);
      expect(tally(events)).toEqual(
        tally(
          records.map(({ row }) => ({
            provider: String(row.SourceName),
            eventId: Number(row.EventID),
          })),
        ),
      );
      for (const e of events) expect(WindowsEventSchema.safeParse(e).success).toBe(true);
    });
  }

  it('counts the records the sample README gives, and skips the empty line 547 of schtask_create', async () => {
    const counts: Record<string, number> = {};
    for (const name of [SAMPLES.cmd, SAMPLES.psh, SAMPLES.schtask]) {
      const read = readEventlogJson(openFile(samplePath(name)), name);
      await collect(read);
      counts[name] = read.stats.events;
    }
    expect(counts).toEqual({
      cmd_service_mod_fax: 437,
      psh_python_webserver: 2395,
      schtask_create: 1041,
    });
    expect(sampleText(SAMPLES.schtask).split('\n')[546]).toBe('');
  });

  it('takes a Sysmon event time from UtcTime, 16 h away from the exporter time in cmd_service_mod_fax', async () => {
    const events = await collect(readEventlogJson(openFile(samplePath(SAMPLES.cmd)), 'cmd'));
    const sysmon = events.find((e) => e.kind === 'sysmon' && e.eventId === 1);
    expect(sysmon).toMatchObject({
      timeSource: 'utc-time',
      time: '2020-10-22T00:45:33.684Z',
      systemTime: '2020-10-21T08:45:33.686Z',
      forwarderTime: '2020-10-21T08:45:33.686Z',
    });
    expect(sysmon?.data.UtcTime).toBe('2020-10-22 00:45:33.684');
    // Security events have no UtcTime: their time is the record's TimeCreated, flagged as such.
    const security = events.find((e) => e.kind === 'security' && e.eventId === 4688);
    expect(security).toMatchObject({ timeSource: 'system-time', time: '2020-10-21T08:45:33.684Z' });
  });

  it('finds UtcTime 8 h before TimeCreated in psh_python_webserver and 5 h after it in schtask_create', async () => {
    const hours = async (name: string) => {
      const events = await collect(readEventlogJson(openFile(samplePath(name)), name));
      const diffs = new Set(
        events
          .filter((e) => e.timeSource === 'utc-time')
          .map((e) => Math.round((Date.parse(e.systemTime ?? '') - (e.timeMs ?? 0)) / 3_600_000)),
      );
      return [...diffs];
    };
    expect(await hours(SAMPLES.psh)).toEqual([8]);
    expect(await hours(SAMPLES.schtask)).toEqual([-5]);
  });

  it('normalises Keywords to 16 hex digits and keeps record fields out of the event data', () => {
    const event = normaliseEventlogRecord(
      {
        EventID: 4688,
        SourceName: 'Microsoft-Windows-Security-Auditing',
        Channel: 'Security',
        Hostname: 'H',
        TimeCreated: '2020-10-21T08:45:33.684Z',
        Keywords: '0x8020000000000000',
        Message: 'A new process has been created.',
        NewProcessName: 'C:\\Windows\\System32\\sc.exe',
      },
      { file: 'f', line: 7 },
    );
    expect(event).toMatchObject({
      keywords: '0x8020000000000000',
      data: { NewProcessName: 'C:\\Windows\\System32\\sc.exe' },
      origin: { file: 'f', layout: 'eventlog-json', line: 7 },
    });
    expect('Message' in ('data' in event ? event.data : {})).toBe(false);
  });
});

describe('NXLog-style JSON lines on the real sample', () => {
  const name = SAMPLES.empire;

  it('reads all 657 records of the empire sample, with the counts per provider and event id of JSON.parse', async () => {
    const read = readNxlogJson(openFile(samplePath(name)), name);
    const events = await collect(read);
    const records = sampleRecords(name);
    expect(records.length).toBe(657);
    expect(read.stats).toMatchObject({ gzip: true, malformed: 0, events: 657 });
    expect(tally(events)).toEqual(
      tally(
        records.map(({ row }) => ({
          provider: String(row.SourceName),
          eventId: Number(row.EventID),
        })),
      ),
    );
    for (const e of events) expect(WindowsEventSchema.safeParse(e).success).toBe(true);
  });

  it('takes Sysmon times from UtcTime (EventTime is local, 4 h off) and flags the forwarder time on the rest', async () => {
    const read = readNxlogJson(openFile(samplePath(name)), name);
    const events = await collect(read);
    const first = events.find((e) => e.kind === 'sysmon');
    const raw = sampleRecords(name).find(({ line }) => line === first?.origin.line)?.row;
    expect(raw?.EventTime).toBe('2020-07-22 00:18:48');
    expect(first).toMatchObject({
      timeSource: 'utc-time',
      time: '2020-07-22T04:18:46.905Z',
      forwarderTime: '2020-07-22T04:18:49.998Z',
    });
    expect(first?.systemTime).toBeUndefined();
    const nonSysmon = events.filter((e) => e.kind !== 'sysmon');
    expect(new Set(nonSysmon.map((e) => e.timeSource))).toEqual(new Set(['forwarder']));
    expect(read.stats.forwarderTimed).toBe(nonSysmon.length);
  });

  it("keeps Sysmon's own EventType and drops NXLog's (INFO, AUDIT_SUCCESS) from the event data", async () => {
    const events = await collect(readNxlogJson(openFile(samplePath(name)), name));
    const types = (id: number) => [
      ...new Set(
        events.filter((e) => e.kind === 'sysmon' && e.eventId === id).map((e) => e.data.EventType),
      ),
    ];
    expect(types(12)).toEqual(['CreateKey']);
    expect(types(13)).toEqual(['SetValue']);
    expect(types(18)).toEqual(['ConnectPipe']);
    expect(types(3)).toEqual([undefined]);
    expect(
      events.some((e) => e.data.EventType === 'AUDIT_SUCCESS' || e.data.EventType === 'INFO'),
    ).toBe(false);
    // The record number and the signed decimal Keywords are normalised too.
    expect(events[0]).toMatchObject({ recordId: 9020754, keywords: '0x8020000000000000' });
  });

  it("recovers Sysmon's EventType from the Message or the event id, and leaves Sysmon 12 without one when neither tells", () => {
    expect(
      sysmonEventType(
        12,
        'INFO',
        'Registry object added or deleted:\r\nRuleName: -\r\nEventType: DeleteKey\r\nUtcTime: x',
      ),
    ).toBe('DeleteKey');
    expect(sysmonEventType(13, 'INFO', undefined)).toBe('SetValue');
    expect(sysmonEventType(17, 'INFO', undefined)).toBe('CreatePipe');
    expect(sysmonEventType(12, 'INFO', undefined)).toBeUndefined();
    expect(sysmonEventType(12, 'CreateKey', undefined)).toBe('CreateKey');
    expect(sysmonEventType(1, 'INFO', 'EventType: X')).toBeUndefined();
  });
});

describe('wevtutil XML', () => {
  const text = readFileSync(XML_FILE, 'utf8');
  /** Byte offsets of every "<Event " in the UTF-8 file, found with indexOf on the bytes. */
  const offsets = (() => {
    const bytes = readFileSync(XML_FILE);
    const out: number[] = [];
    for (let i = bytes.indexOf('<Event '); i !== -1; i = bytes.indexOf('<Event ', i + 1))
      out.push(i);
    return out;
  })();

  it('reads one event per "<Event " in the file, each located by its byte offset', async () => {
    const read = readWevtutilXml(bytesStream(readFileSync(XML_FILE)), 'x.xml');
    const events = await collect(read);
    expect(offsets.length).toBe(50);
    expect(events.length).toBe(offsets.length);
    expect(events.map((e) => e.origin.byteOffset)).toEqual(offsets);
    expect(read.stats).toMatchObject({ gzip: false, malformed: 0, events: 50 });
    for (const e of events) expect(WindowsEventSchema.safeParse(e).success).toBe(true);
  });

  it('gives the same events as the JSON records they were written from (one event shape for every layout)', async () => {
    const xmlEvents = await collect(readWevtutilXml(bytesStream(readFileSync(XML_FILE)), 'x.xml'));
    const json = await collect(readEventlogJson(openFile(samplePath(SAMPLES.schtask)), 'j'));
    const byLine = new Map(json.map((e) => [e.origin.line, e]));
    for (const e of xmlEvents) {
      const twin = byLine.get(e.recordId);
      expect(twin).toBeDefined();
      const { origin: _a, recordId: _b, forwarderTime: _c, ...mine } = e;
      const { origin: _d, forwarderTime: _e, ...theirs } = twin ?? e;
      expect(mine).toEqual(theirs);
    }
  });

  it('reads UTF-16LE with a BOM (as PowerShell redirects it), with byte offsets in UTF-16 bytes', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const read = readWevtutilXml(bytesStream(utf16, 1001), 'x16.xml');
    const events = await collect(read);
    expect(events.length).toBe(50);
    const charOffsets: number[] = [];
    for (let i = text.indexOf('<Event '); i !== -1; i = text.indexOf('<Event ', i + 1))
      charOffsets.push(i);
    expect(events.map((e) => e.origin.byteOffset)).toEqual(charOffsets.map((c) => 2 + 2 * c));
    const utf8 = await collect(readWevtutilXml(bytesStream(readFileSync(XML_FILE)), 'x.xml'));
    expect(events.map((e) => e.data)).toEqual(utf8.map((e) => e.data));
  });

  it('reads UTF-16LE gzip and UTF-8 with a BOM, and events written with no separator at all', async () => {
    const utf16gz = gzipSync(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    );
    const a = readWevtutilXml(bytesStream(utf16gz), 'a');
    expect((await collect(a)).length).toBe(50);
    expect(a.stats.gzip).toBe(true);
    const bom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(text.replace(/\r\n/g, '')),
    ]);
    const b = readWevtutilXml(bytesStream(bom), 'b');
    const events = await collect(b);
    expect(events.length).toBe(50);
    expect(events[0]?.origin.byteOffset).toBe(3);
    expect(b.stats.malformed).toBe(0);
  });

  it('skips an XML declaration and an <Events> wrapper some tools add around the events', async () => {
    const wrapped = `<?xml version="1.0" encoding="utf-8"?>\r\n<Events>\r\n${text}</Events>\r\n`;
    const read = readWevtutilXml(bytesStream(Buffer.from(wrapped)), 'wrapped.xml');
    expect((await collect(read)).length).toBe(50);
    expect(read.stats.malformed).toBe(0);
  });

  it('reports text outside any event, by byte offset', async () => {
    const parts = text.split('\r\n').filter((p) => p !== '');
    const body = `${parts[0]}\r\ngarbage\r\n${parts[1]}`;
    const read = readWevtutilXml(bytesStream(Buffer.from(body)), 'junk.xml');
    expect((await collect(read)).length).toBe(2);
    expect(read.stats.malformedSamples).toEqual([
      {
        file: 'junk.xml',
        byteOffset: Buffer.byteLength(parts[0] ?? ''),
        reason: 'text outside any <Event> element',
      },
    ]);
  });

  it('reports a truncated event and a bad entity by byte offset, and reads the events around them', async () => {
    const parts = text.split('\r\n').filter((p) => p !== '');
    const truncated = (parts[1] ?? '').replace('</Event>', '');
    const badEntity = (parts[3] ?? '').replace('<Data Name=', '<Data Bad=&nbsp; Name=');
    const body = [parts[0], truncated, parts[2], badEntity, parts[4]].join('\r\n');
    const read = readWevtutilXml(bytesStream(Buffer.from(body)), 'broken.xml');
    const events = await collect(read);
    expect(events.length).toBe(3);
    const at = (i: number) =>
      Buffer.byteLength([parts[0], truncated, parts[2], badEntity].slice(0, i).join('\r\n')) + 2;
    expect(read.stats.malformedSamples).toEqual([
      {
        file: 'broken.xml',
        byteOffset: at(1),
        reason: 'an <Event> element that ends before its </Event> (another <Event> begins)',
      },
      {
        file: 'broken.xml',
        byteOffset: at(3),
        reason: "malformed XML: a malformed <Data> tag (attributes are name='value')",
      },
    ]);
  });

  it('reads UserData fields, unnamed Data as param1.., entities and CDATA (built from the documented event schema)', () => {
    const el = parseElement(
      "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1102</EventID></System>" +
        "<UserData><LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'><SubjectUserName>wardog</SubjectUserName></LogFileCleared></UserData>" +
        '<EventData><Data>a &amp; b &#x41;</Data><Data><![CDATA[<x>]]></Data></EventData></Event>',
    );
    expect(el.children.map((c) => c.name)).toEqual(['System', 'UserData', 'EventData']);
    expect(el.children[2]?.children.map((c) => c.text)).toEqual(['a & b A', '<x>']);
  });
});

describe('Winlogbeat ECS', () => {
  it('reads one event per line of the derived file, host from winlog.computer_name, not the collector', async () => {
    const lines = readFileSync(BEAT_FILE, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const read = readWinlogbeat(openFile(BEAT_FILE), 'beat');
    const events = await collect(read);
    expect(events.length).toBe(lines.length);
    expect(new Set(events.map((e) => e.host))).toEqual(
      new Set(['WORKSTATION5.theshire.local', 'WORKSTATION6.theshire.local']),
    );
    const xml = await collect(
      readWevtutilXml(openFile(fixturePath('schtask_create.wevtutil.xml')), 'x'),
    );
    // Winlogbeat writes keywords as names, not the bit mask: the only field it lacks.
    const strip = ({ origin: _o, keywords: _k, ...rest }: (typeof events)[number]) => rest;
    expect(events.map(strip)).toEqual(xml.map(strip));
  });

  it('reads flattened dotted keys and a numeric event id, with UtcTime for Sysmon', async () => {
    const doc = {
      '@timestamp': '2024-01-01T10:00:00.000Z',
      'winlog.event_id': 1,
      'winlog.channel': 'Microsoft-Windows-Sysmon/Operational',
      'winlog.provider_name': 'Microsoft-Windows-Sysmon',
      'winlog.computer_name': 'PC1',
      'winlog.event_data.UtcTime': '2024-01-01 09:59:59.500',
      'winlog.event_data.Image': 'C:\\Windows\\System32\\cmd.exe',
    };
    const events = await collect(
      readWinlogbeat(bytesStream(Buffer.from(`${JSON.stringify(doc)}\n`)), 'flat'),
    );
    expect(events[0]).toMatchObject({
      eventId: 1,
      kind: 'sysmon',
      host: 'PC1',
      time: '2024-01-01T09:59:59.500Z',
      timeSource: 'utc-time',
      systemTime: '2024-01-01T10:00:00.000Z',
      data: { Image: 'C:\\Windows\\System32\\cmd.exe' },
    });
  });
});

describe('malformed JSON records', () => {
  it('are counted with their line numbers and the read goes on', async () => {
    const lines = sampleText(SAMPLES.cmd).split('\n').slice(0, 6);
    lines[2] = '{"EventID": 4688, "SourceName": broken';
    lines[3] = '{"SourceName": "Microsoft-Windows-Sysmon", "Hostname": "H"}';
    const read = readEventlogJson(bytesStream(gzipSync(Buffer.from(lines.join('\n')))), 'cut.gz');
    const events = await collect(read);
    expect(events.map((e) => e.origin.line)).toEqual([1, 2, 5, 6]);
    expect(read.stats.malformed).toBe(2);
    expect(
      read.stats.malformedSamples.map((m) => [m.line, m.reason.replace(/\(.*\)/, '(…)')]),
    ).toEqual([
      [3, 'not JSON (…)'],
      [4, 'a record without a numeric "EventID"'],
    ]);
  });

  it('in the NXLog layout are located by line too', async () => {
    const lines = sampleText(SAMPLES.empire).split('\n').slice(0, 3);
    lines[1] = '[1, 2]';
    const read = readNxlogJson(bytesStream(Buffer.from(lines.join('\r\n'))), 'nx');
    expect((await collect(read)).length).toBe(2);
    expect(read.stats.malformedSamples).toEqual([
      { file: 'nx', line: 2, reason: 'a JSON value that is not an object' },
    ]);
  });
});
