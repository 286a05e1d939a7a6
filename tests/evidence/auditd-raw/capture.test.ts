/**
 * A raw audit.log given to the evidence tool is recognised and read into LAUREL's event shape, so
 * it yields the events LAUREL itself wrote for the same log (laurel.raw.jsonl, LAUREL 0.5.1's own
 * reading, is the reference).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchCaptures } from '../../../generators/evidence/matcher.ts';
import { type CaptureEvent, readCapture } from '../../../generators/evidence/readers/capture.ts';
import { renderClassify } from '../../../generators/evidence/report.ts';
import { loadRuleSets } from '../../../generators/evidence/rules.ts';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/evidence/auditd-raw');

describe('readCapture on auditd’s own log', () => {
  it('detects audit.log and yields LAUREL’s events for it, as the LAUREL rules read them', async () => {
    const events: CaptureEvent[] = [];
    const summary = await readCapture(resolve(FIXTURES, 'audit.raw.log'), {}, (e) =>
      events.push(e),
    );
    expect(summary).toMatchObject({
      format: 'laurel',
      layout: 'audit.log',
      detected: true,
      malformed: 0,
    });
    const laurel = readFileSync(resolve(FIXTURES, 'laurel.raw.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { ID: string });
    // Each tool writes an event when it is complete, so the order may differ; the set may not.
    expect(events.map((e) => e.doc.ID).sort()).toEqual(laurel.map((e) => e.ID).sort());
    expect(events.every((e) => e.format === 'laurel' && e.timeMs !== undefined)).toBe(true);
  });

  it('still reads a LAUREL capture as LAUREL', async () => {
    const summary = await readCapture(resolve(FIXTURES, 'laurel.raw.jsonl'), {}, () => {});
    expect(summary.format).toBe('laurel');
    expect(summary.layout).toBeUndefined();
  });

  it('is named as auditd’s own log in the classify summary, not as a LAUREL file', async () => {
    const path = resolve(FIXTURES, 'audit.enriched.log');
    const result = await matchCaptures([path], { rules: await loadRuleSets() });
    const text = renderClassify({ ...result, names: new Map() }, { words: [] });
    expect(text.split('\n')[0]).toBe(
      "Capture `audit.enriched.log` (auditd's own audit.log, read as LAUREL JSONL, 40 events, no malformed lines)",
    );
  });
});
