/**
 * The derived fixtures (wevtutil XML and Winlogbeat) are the real records of schtask_create
 * rewritten by convert.ts, as their README says: regenerating them gives the committed bytes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toWevtutilXml, toWinlogbeat } from './convert.ts';
import { fixturePath, SAMPLES, sampleRecords } from './helpers.ts';

/** The first two records of each (provider, event id) pair, with their line numbers. */
function picked() {
  const seen = new Map<string, number>();
  return sampleRecords(SAMPLES.schtask).filter(({ row }) => {
    const key = `${row.SourceName}:${row.EventID}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n < 2;
  });
}

describe('derived Windows fixtures', () => {
  it('schtask_create.wevtutil.xml is the real records rewritten by toWevtutilXml', () => {
    const rows = picked();
    expect(rows.length).toBe(50);
    const made = `${rows.map(({ row, line }) => toWevtutilXml(row, line)).join('\r\n')}\r\n`;
    expect(made).toBe(readFileSync(fixturePath('schtask_create.wevtutil.xml'), 'utf8'));
  });

  it('schtask_create.winlogbeat.ndjson is the real records rewritten by toWinlogbeat', () => {
    const made = `${picked()
      .map(({ row, line }) => JSON.stringify(toWinlogbeat(row, line)))
      .join('\n')}\n`;
    expect(made).toBe(readFileSync(fixturePath('schtask_create.winlogbeat.ndjson'), 'utf8'));
  });
});
