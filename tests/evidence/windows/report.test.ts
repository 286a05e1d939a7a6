/**
 * The classify output for Windows captures: a Markdown table per host and one JSON object, with
 * the captures, their malformed records and the clock offsets named.
 */
import { describe, expect, it } from 'vitest';
import { classifyWindowsCaptures } from '../../../generators/evidence/windows/classify.ts';
import {
  renderWindowsClassify,
  windowsClassifyJson,
} from '../../../generators/evidence/windows/report.ts';
import {
  loadWindowsRules,
  unexercisedWindowsRules,
} from '../../../generators/evidence/windows/rules.ts';
import { SAMPLES, samplePath } from './helpers.ts';

describe('Windows classify output', () => {
  it('prints a table per host with telemetry and sources, and the clock offset', async () => {
    const result = await classifyWindowsCaptures([samplePath(SAMPLES.cmd)]);
    const text = renderWindowsClassify(result).replace(/Capture \S+\//, 'Capture ');
    expect(text).toMatchInlineSnapshot(`
      "Capture cmd_service_mod_fax.ndjson.gz: event-log JSON lines with TimeCreated and hex Keywords, gzip; 437 events, 0 malformed.

      ## Windows host WORKSTATION5 (437 events, 87 unclassified)
      From 2020-10-22T00:45:32.931Z to 2020-10-22T00:45:42.276Z (UTC, by Sysmon's UtcTime).
      The records' own time is -960 minutes off Sysmon's UtcTime (341 Sysmon events): the times of this host's other events are likely off by as much.

      | sub-category | events | telemetry | sources | rules | absent facts |
      | --- | --- | --- | --- | --- | --- |
      | Process Creation (\`process-creation\`) | 8 | own | security 4, sysmon 4 | security-process-creation 4, sysmon-process-creation 4 |  |
      | Process Termination (\`process-termination\`) | 8 | own | security 4, sysmon 4 | security-process-termination 4, sysmon-process-termination 4 |  |
      | Process Access (\`process-access\`) | 59 | own | sysmon 59 | sysmon-process-access 59 |  |
      | Image/Library Loaded (\`image-library-loaded\`) | 97 | own | sysmon 97 | sysmon-image-load 97 |  |
      | File Creation (\`file-creation\`) | 3 | own | sysmon 3 | sysmon-file-create 3 |  |
      | TCP Connection (\`tcp-connection\`) | 2 | via-event-logs | security 2 | security-wfp-tcp 2 |  |
      | MD5 (\`md5\`) | 101 | own | sysmon 101 | sysmon-hash-md5 101 |  |
      | SHA (\`sha\`) | 101 | own | sysmon 101 | sysmon-hash-sha 101 |  |
      | IMPHASH (\`imphash\`) | 101 | own | sysmon 101 | sysmon-hash-imphash 101 |  |
      | Key/Value Creation (\`key-value-creation\`) | 159 | own | sysmon 159 | sysmon-registry-create-key 159 |  |
      | Key/Value Modification (\`key-value-modification\`) | 14 | own | sysmon 14 | sysmon-registry-set-value 14 |  |
      "
    `);
  });

  it('prints one JSON object with the platform, the captures and the hosts', async () => {
    const result = await classifyWindowsCaptures([samplePath(SAMPLES.schtask)]);
    const json = JSON.parse(windowsClassifyJson(result)) as { platform: string; hosts: unknown[] };
    expect(json.platform).toBe('windows');
    expect(json.hosts.length).toBe(2);
  });

  it('lists the rules written from the documentation for the methodology page', async () => {
    const list = unexercisedWindowsRules(await loadWindowsRules());
    expect(list.length).toBe(21);
    expect(list.every((r) => r.documentedSchema !== '')).toBe(true);
  });
});
