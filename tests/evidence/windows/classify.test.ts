/**
 * Classification of the four real OTRF captures (credit: Open Threat Research Forge, MIT): per
 * host, the Windows sub-categories each shows with counts and sources, Sysmon as the product's own
 * telemetry and Windows' own logs as via event logs, the clock offsets the exports carry, and
 * hosts told apart when captures are concatenated or records edited.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  classifyWindowsCaptures,
  classifyWindowsEvents,
  type WindowsClassification,
} from '../../../generators/evidence/windows/classify.ts';
import { readEventlogJson } from '../../../generators/evidence/windows/eventlog-json.ts';
import { loadWindowsRules } from '../../../generators/evidence/windows/rules.ts';
import {
  bytesStream,
  fixturePath,
  SAMPLES,
  samplePath,
  sampleRecords,
  sampleText,
} from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'etm-windows-classify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** host → sub-category → "events telemetry (source: n, ...)" */
function summary(result: WindowsClassification): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const h of result.hosts) {
    const subs: Record<string, string> = {};
    for (const s of h.subCategories) {
      const sources = Object.entries(s.sources)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      subs[s.subCategory] = `${s.events} ${s.telemetry} (${sources})`;
    }
    out[`${h.host} (${h.events} events, ${h.unclassified} unclassified)`] = subs;
  }
  return out;
}

async function classifySample(name: string) {
  return classifyWindowsCaptures([samplePath(name)]);
}

describe('classifying the real captures', () => {
  it('cmd_service_mod_fax: one host, Sysmon and Security, registry and image loads', async () => {
    const { classification } = await classifySample(SAMPLES.cmd);
    expect(summary(classification)).toMatchInlineSnapshot(`
      {
        "WORKSTATION5 (437 events, 87 unclassified)": {
          "file-creation": "3 own (sysmon 3)",
          "image-library-loaded": "97 own (sysmon 97)",
          "imphash": "101 own (sysmon 101)",
          "key-value-creation": "159 own (sysmon 159)",
          "key-value-modification": "14 own (sysmon 14)",
          "md5": "101 own (sysmon 101)",
          "process-access": "59 own (sysmon 59)",
          "process-creation": "8 own (security 4, sysmon 4)",
          "process-termination": "8 own (security 4, sysmon 4)",
          "sha": "101 own (sysmon 101)",
          "tcp-connection": "2 via-event-logs (security 2)",
        },
      }
    `);
  });

  it('empire_persistence_registry_modification_run_keys_elevated_user (NXLog): three hosts, logons and WFP connections', async () => {
    const { classification } = await classifySample(SAMPLES.empire);
    expect(summary(classification)).toMatchInlineSnapshot(`
      {
        "MORDORDC.mordor.local (282 events, 40 unclassified)": {
          "account-login": "4 via-event-logs (security 4)",
          "account-logoff": "5 via-event-logs (security 5)",
          "image-library-loaded": "10 own (sysmon 10)",
          "imphash": "10 own (sysmon 10)",
          "key-value-creation": "4 own (sysmon 4)",
          "key-value-modification": "3 own (sysmon 3)",
          "md5": "10 own (sysmon 10)",
          "pipe-connection": "4 own (sysmon 4)",
          "process-termination": "6 own (sysmon 3, security 3)",
          "sha": "10 own (sysmon 10)",
          "tcp-connection": "186 own (security 165, sysmon 21)",
          "udp-connection": "20 own (security 11, sysmon 9)",
        },
        "WORKSTATION5.mordor.local (349 events, 278 unclassified)": {
          "file-creation": "1 own (sysmon 1)",
          "key-value-creation": "13 own (sysmon 13)",
          "key-value-modification": "6 own (sysmon 6)",
          "process-access": "17 own (sysmon 17)",
          "tcp-connection": "34 own (security 21, sysmon 13)",
        },
        "WORKSTATION6.mordor.local (26 events, 3 unclassified)": {
          "file-creation": "1 own (sysmon 1)",
          "key-value-creation": "2 own (sysmon 2)",
          "key-value-modification": "4 own (sysmon 4)",
          "process-access": "13 own (sysmon 13)",
          "tcp-connection": "3 own (sysmon 3)",
        },
      }
    `);
  });

  it('psh_python_webserver: one host, a DNS query and TCP connections only via the Security log', async () => {
    const { classification } = await classifySample(SAMPLES.psh);
    expect(summary(classification)).toMatchInlineSnapshot(`
      {
        "WORKSTATION5 (2395 events, 1620 unclassified)": {
          "dns-query": "1 own (sysmon 1)",
          "file-creation": "4 own (sysmon 4)",
          "image-library-loaded": "254 own (sysmon 254)",
          "imphash": "257 own (sysmon 257)",
          "key-value-creation": "28 own (sysmon 28)",
          "key-value-modification": "23 own (sysmon 23)",
          "md5": "257 own (sysmon 257)",
          "process-access": "451 own (sysmon 451)",
          "process-creation": "6 own (security 3, sysmon 3)",
          "process-termination": "4 own (security 2, sysmon 2)",
          "sha": "257 own (sysmon 257)",
          "tcp-connection": "4 via-event-logs (security 4)",
        },
      }
    `);
  });

  it('schtask_create: two hosts, the scheduled task shown via event logs on WORKSTATION6 only', async () => {
    const { classification } = await classifySample(SAMPLES.schtask);
    expect(summary(classification)).toMatchInlineSnapshot(`
      {
        "WORKSTATION5.theshire.local (546 events, 61 unclassified)": {
          "dns-query": "1 own (sysmon 1)",
          "file-creation": "6 own (sysmon 6)",
          "image-library-loaded": "230 own (sysmon 230)",
          "imphash": "236 own (sysmon 236)",
          "key-value-creation": "16 own (sysmon 16)",
          "key-value-modification": "21 own (sysmon 21)",
          "md5": "236 own (sysmon 236)",
          "pipe-connection": "2 own (sysmon 2)",
          "pipe-creation": "2 own (sysmon 2)",
          "process-access": "176 own (sysmon 176)",
          "process-creation": "12 own (security 6, sysmon 6)",
          "process-termination": "8 own (security 4, sysmon 4)",
          "remote-thread-creation": "1 own (sysmon 1)",
          "sha": "236 own (sysmon 236)",
          "tcp-connection": "10 own (security 8, sysmon 2)",
        },
        "WORKSTATION6.theshire.local (495 events, 38 unclassified)": {
          "account-login": "1 via-event-logs (security 1)",
          "account-logoff": "1 via-event-logs (security 1)",
          "file-creation": "4 own (sysmon 4)",
          "image-library-loaded": "161 own (sysmon 161)",
          "imphash": "165 own (sysmon 165)",
          "key-value-creation": "12 own (sysmon 12)",
          "key-value-modification": "18 own (sysmon 18)",
          "md5": "165 own (sysmon 165)",
          "process-access": "228 own (sysmon 228)",
          "process-creation": "8 own (security 4, sysmon 4)",
          "process-termination": "8 own (security 4, sysmon 4)",
          "scheduled-task-creation": "2 via-event-logs (security 1, task-scheduler 1)",
          "scheduled-task-modification": "1 via-event-logs (task-scheduler 1)",
          "sha": "165 own (sysmon 165)",
          "tcp-connection": "13 own (security 9, sysmon 4)",
        },
      }
    `);
  });

  it('counts events per host that add up to the capture, as JSON.parse counts them per Hostname', async () => {
    for (const name of Object.values(SAMPLES)) {
      const { classification } = await classifySample(name);
      const byHost: Record<string, number> = {};
      for (const { row } of sampleRecords(name)) {
        const host = String(row.Hostname);
        byHost[host] = (byHost[host] ?? 0) + 1;
      }
      expect(Object.fromEntries(classification.hosts.map((h) => [h.host, h.events]))).toEqual(
        byHost,
      );
    }
  });

  it('reports the exporter clock offset against Sysmon UtcTime per host (-16 h, +8 h, -5 h; none for NXLog)', async () => {
    const offsets: Record<string, (number | undefined)[]> = {};
    for (const name of Object.values(SAMPLES)) {
      const { classification } = await classifySample(name);
      offsets[name] = classification.hosts.map((h) => h.clockOffset?.minutes);
    }
    expect(offsets).toEqual({
      cmd_service_mod_fax: [-960],
      empire_persistence_registry_modification_run_keys_elevated_user: [
        undefined,
        undefined,
        undefined,
      ],
      psh_python_webserver: [480],
      schtask_create: [-300, -300],
    });
  });

  it('gives one example per sub-category with the rule fields, user directories redacted, from an own source first', async () => {
    const { classification } = await classifySample(SAMPLES.psh);
    const dns = classification.hosts[0]?.subCategories.find((s) => s.subCategory === 'dns-query');
    const example = dns && {
      ...dns.example,
      origin: { ...dns.example.origin, file: basename(dns.example.origin.file) },
    };
    expect(example).toMatchInlineSnapshot(`
      {
        "fields": {
          "data.Image": "C:\\Users\\<user>\\AppData\\Local\\Programs\\Python\\Python39\\python.exe",
          "data.ProcessId": "10220",
          "data.QueryName": "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
          "data.QueryResults": "type:  12 WORKSTATION5;",
          "eventId": "22",
        },
        "origin": {
          "file": "psh_python_webserver.ndjson.gz",
          "layout": "eventlog-json",
          "line": 2133,
        },
        "rule": "sysmon-dns-query",
        "source": "sysmon",
        "time": "2020-10-29T04:16:07.471Z",
        "timeSource": "utc-time",
      }
    `);
    const creation = classification.hosts[0]?.subCategories.find(
      (s) => s.subCategory === 'process-creation',
    );
    expect(creation?.example.source).toBe('sysmon');
  });

  it('claims nothing a capture does not carry: only Security handle events show no sub-category', async () => {
    const lines = sampleText(SAMPLES.psh)
      .split('\n')
      .filter((l) => /"EventID":(4656|4658|4663|4690),/.test(l));
    expect(lines.length).toBe(1604);
    const read = readEventlogJson(bytesStream(Buffer.from(lines.join('\n'))), 'handles');
    const result = await classifyWindowsEvents(read.events, { rules: await loadWindowsRules() });
    expect(
      result.hosts.map((h) => [h.host, h.events, h.subCategories.length, h.unclassified]),
    ).toEqual([['WORKSTATION5', 1604, 0, 1604]]);
  });

  it('marks every shown sub-category with platform "windows" and names it from the Windows taxonomy', async () => {
    const { classification } = await classifySample(SAMPLES.schtask);
    const all = classification.hosts.flatMap((h) => h.subCategories);
    expect(all.every((s) => s.platform === 'windows')).toBe(true);
    expect(all.find((s) => s.subCategory === 'key-value-creation')?.name).toBe(
      'Key/Value Creation',
    );
  });
});

describe('several hosts', () => {
  it('tells apart the hosts of two captures concatenated into one gzip stream', async () => {
    const both = Buffer.concat([
      readFileSync(samplePath(SAMPLES.cmd)),
      readFileSync(samplePath(SAMPLES.schtask)),
    ]);
    const path = join(tmp, 'both.bin');
    writeFileSync(path, both);
    const { captures, classification } = await classifyWindowsCaptures([path]);
    expect(captures[0]).toMatchObject({ gzip: true, events: 437 + 1041, malformed: 0 });
    expect(classification.hosts.map((h) => [h.host, h.events])).toEqual([
      ['WORKSTATION5', 437],
      ['WORKSTATION5.theshire.local', 546],
      ['WORKSTATION6.theshire.local', 495],
    ]);
  });

  it('splits one capture when half its records name another host, and keeps per-host evidence apart', async () => {
    const lines = sampleText(SAMPLES.cmd)
      .split('\n')
      .filter((l) => l.trim() !== '');
    const edited = lines.map((l, i) =>
      i % 2 === 1 ? l.replace('"Hostname":"WORKSTATION5"', '"Hostname":"WORKSTATION9"') : l,
    );
    const path = join(tmp, 'edited.ndjson.gz');
    writeFileSync(path, gzipSync(edited.join('\n')));
    const whole = (await classifySample(SAMPLES.cmd)).classification;
    const { classification } = await classifyWindowsCaptures([path]);
    expect(classification.hosts.map((h) => [h.host, h.events])).toEqual([
      ['WORKSTATION5', 219],
      ['WORKSTATION9', 218],
    ]);
    // Per sub-category, the two hosts' counts add up to the single host's.
    const counts = (h: number) =>
      Object.fromEntries(
        classification.hosts[h]?.subCategories.map((s) => [s.subCategory, s.events]) ?? [],
      );
    const [a, b] = [counts(0), counts(1)];
    for (const s of whole.hosts[0]?.subCategories ?? [])
      expect((a[s.subCategory] ?? 0) + (b[s.subCategory] ?? 0)).toBe(s.events);
  });

  it('groups a host written in two cases (WORKSTATION5, workstation5) as one', async () => {
    const lines = sampleText(SAMPLES.cmd).split('\n').slice(0, 10);
    const edited = lines.map((l, i) =>
      i % 2 ? l.replace('"Hostname":"WORKSTATION5"', '"Hostname":"workstation5"') : l,
    );
    const read = readEventlogJson(bytesStream(Buffer.from(edited.join('\n'))), 'case');
    const result = await classifyWindowsEvents(read.events, { rules: await loadWindowsRules() });
    expect(result.hosts.map((h) => [h.host, h.key, h.events])).toEqual([
      ['WORKSTATION5', 'workstation5', 10],
    ]);
  });

  it('reads the derived wevtutil XML and Winlogbeat files into the same per-host classification', async () => {
    const xml = await classifyWindowsCaptures([fixturePath('schtask_create.wevtutil.xml')]);
    const beat = await classifyWindowsCaptures([fixturePath('schtask_create.winlogbeat.ndjson')]);
    expect(summary(beat.classification)).toEqual(summary(xml.classification));
    expect(xml.captures[0]?.layout).toBe('wevtutil-xml');
    expect(Object.keys(summary(xml.classification))).toMatchInlineSnapshot(`
      [
        "WORKSTATION5.theshire.local (42 events, 14 unclassified)",
        "WORKSTATION6.theshire.local (8 events, 3 unclassified)",
      ]
    `);
  });
});
