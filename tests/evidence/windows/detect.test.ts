/**
 * Layout detection: each real capture and each derived layout is recognised from its first
 * records (gzip or not, UTF-8 or UTF-16LE), and Linux captures (an audit line with commas, LAUREL,
 * ECS, CSV) are not taken for Windows, with an error that says what was looked for.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  detectWindowsCapture,
  detectWindowsLayout,
  openWindowsCapture,
  WindowsCaptureError,
} from '../../../generators/evidence/windows/detect.ts';
import { collect, fixturePath, SAMPLES, samplePath } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'etm-windows-detect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const AUDIT_LINE =
  'type=SYSCALL msg=audit(1716023521.101:4242): arch=c000003e syscall=59 success=yes exit=0 a0=55d1,a1=55d2 items=2 ppid=1 pid=4321 auid=1000 uid=0 comm="bash" exe="/usr/bin/bash" key="etm-exec"';

describe('detecting the Windows layout', () => {
  it('recognises each real capture from its first records', async () => {
    const layouts: Record<string, string> = {};
    for (const name of Object.values(SAMPLES)) {
      const found = await detectWindowsCapture(samplePath(name));
      layouts[name] = found.ok ? found.layout : found.message;
    }
    expect(layouts).toEqual({
      cmd_service_mod_fax: 'eventlog-json',
      empire_persistence_registry_modification_run_keys_elevated_user: 'nxlog-json',
      psh_python_webserver: 'eventlog-json',
      schtask_create: 'eventlog-json',
    });
  });

  it('recognises wevtutil XML in UTF-8, UTF-16LE with BOM, gzip, and Winlogbeat', async () => {
    const xml = readFileSync(fixturePath('schtask_create.wevtutil.xml'), 'utf8');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
    const files = {
      utf8: fixturePath('schtask_create.wevtutil.xml'),
      utf16: join(tmp, 'ps.xml'),
      utf16gz: join(tmp, 'ps.xml.bin'),
      declared: join(tmp, 'declared.xml'),
      beat: fixturePath('schtask_create.winlogbeat.ndjson'),
    };
    writeFileSync(files.utf16, utf16);
    writeFileSync(files.utf16gz, gzipSync(utf16));
    writeFileSync(
      files.declared,
      `<?xml version="1.0" encoding="utf-8"?>\r\n<Events>\r\n${xml}</Events>\r\n`,
    );
    const out: Record<string, string> = {};
    for (const [k, path] of Object.entries(files)) {
      const found = await detectWindowsCapture(path);
      out[k] = found.ok ? `${found.layout}: ${found.reason}` : found.message;
    }
    expect(out).toMatchInlineSnapshot(`
      {
        "beat": "winlogbeat: record 1: JSON lines with "winlog.event_id" (nested or dotted)",
        "declared": "wevtutil-xml: an <Event> element at the start (utf-8)",
        "utf16": "wevtutil-xml: an <Event> element at the start (utf-16le with BOM)",
        "utf16gz": "wevtutil-xml: an <Event> element at the start (utf-16le with BOM)",
        "utf8": "wevtutil-xml: an <Event> element at the start (utf-8)",
      }
    `);
  });

  it('does not take a Linux audit line with commas for a Windows capture, and says what it looked for', () => {
    const found = detectWindowsLayout(Buffer.from(`${AUDIT_LINE}\n`));
    expect(found.ok).toBe(false);
    expect(found.ok ? '' : found.message).toMatchInlineSnapshot(`
      "This is not a Windows capture this tool reads: its first line is neither JSON nor XML ("type=SYSCALL msg=audit(1716023521.101:4242): arch=c000003e s"). It looked for one of:
        - an <Event xmlns=...> element at the start (UTF-8 or UTF-16LE with BOM)
        - JSON lines with "winlog.event_id" (nested or dotted)
        - JSON lines with "EventID" and NXLog's "SourceModuleType", "EventReceivedTime" or "EventTime"
        - JSON lines with "EventID", "TimeCreated" and "Channel" or "SourceName"
      Export the events in one of these layouts (or, for Linux, read the capture with the Linux readers)."
    `);
  });

  it('does not take LAUREL, Linux ECS or a CSV header for a Windows capture', () => {
    const samples = {
      laurel: '{"ID":"1716023521.101:4242","SYSCALL":{"syscall":"execve","pid":4321}}\n',
      ecs: '{"@timestamp":"2024-05-18T09:12:01.101Z","event":{"category":["process"],"action":"exec"},"process":{"pid":4321}}\n',
      csv: '@timestamp,event.action,process.pid\n2024-05-18T09:12:01.101Z,exec,4321\n',
      empty: '\n\n',
      html: '<html><body>not events</body></html>',
    };
    const out: Record<string, boolean> = {};
    for (const [k, text] of Object.entries(samples))
      out[k] = detectWindowsLayout(Buffer.from(text)).ok;
    expect(out).toEqual({ laurel: false, ecs: false, csv: false, empty: false, html: false });
  });

  it('opening a capture that is not Windows throws an error naming the file and what was looked for', async () => {
    const path = join(tmp, 'audit.log');
    writeFileSync(path, `${AUDIT_LINE}\n`);
    await expect(openWindowsCapture(path)).rejects.toThrow(WindowsCaptureError);
    await expect(openWindowsCapture(path)).rejects.toThrow(
      /audit\.log: This is not a Windows capture/,
    );
  });

  it('opens a capture with the detected reader, and with a forced layout', async () => {
    const read = await openWindowsCapture(samplePath(SAMPLES.empire));
    expect(read.layout).toBe('nxlog-json');
    expect((await collect(read)).length).toBe(657);
    const forced = await openWindowsCapture(fixturePath('schtask_create.wevtutil.xml'), {
      layout: 'wevtutil-xml',
    });
    expect((await collect(forced)).length).toBe(50);
  });
});
