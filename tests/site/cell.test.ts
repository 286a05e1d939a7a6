import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { StatusesFileSchema } from '../../scoring/schema.ts';
import { MatrixCell } from '../../src/components/MatrixCell.tsx';
import { type CellInput, cellView, reasonText } from '../../src/lib/cell.ts';

const statuses = StatusesFileSchema.parse(
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../../data/statuses.json'), 'utf8')),
).statuses;
const partially = { id: 'partially', label: 'Partially', symbol: '⚠️' } as const;
const input = (over: Partial<CellInput> = {}): CellInput => ({
  status: partially,
  href: '#dns-query--acme',
  reason: false,
  evidence: false,
  ...over,
});
const html = (over: Partial<CellInput> = {}) =>
  renderToStaticMarkup(createElement(MatrixCell, { view: cellView(input(over)) }));

describe('cellView', () => {
  it('draws symbol and label as one text run and names the link without the symbol', () => {
    expect(cellView(input())).toEqual({
      kind: 'listed',
      href: '#dns-query--acme',
      status: 'partially',
      text: '⚠️ Partially',
      name: 'Partially',
      notes: [],
      basis: 'claimed',
    });
  });

  it('marks a basis other than a plain claim with a character and words in the accessible name', () => {
    expect(cellView(input({ basis: 'measured', evidence: true }))).toMatchObject({
      basis: 'measured',
      marker: 'M',
      name: 'Partially (measured)',
      notes: [],
    });
    expect(cellView(input({ basis: 'disagreement', reason: true }))).toMatchObject({
      marker: '≠',
      name: 'Partially (reason) (assertions disagree)',
    });
    expect(cellView(input({ basis: 'claimed' }))).not.toHaveProperty('marker');
  });

  it('marks a reason and evidence in the text and in the accessible name', () => {
    const view = cellView(input({ reason: true, evidence: true }));
    expect(view).toMatchObject({
      name: 'Partially (reason) (evidence)',
      notes: ['(reason)', '(evidence)'],
    });
  });

  it('says "not listed" when the vendor has no cell in the row', () => {
    expect(cellView(input({ status: undefined }))).toEqual({ kind: 'absent', text: 'not listed' });
  });
});

describe('MatrixCell (the islands’ cell)', () => {
  it('renders the markup the static table renders', () => {
    expect(html({ reason: true })).toBe(
      '<td data-status="partially" data-basis="claimed"><a href="#dns-query--acme" aria-label="Partially (reason)">⚠️ Partially<span class="note">(reason)</span></a></td>',
    );
    expect(html({ basis: 'evidence' })).toBe(
      '<td data-status="partially" data-basis="evidence"><a href="#dns-query--acme" aria-label="Partially (evidence)">⚠️ Partially<span class="basis">E</span></a></td>',
    );
    expect(html({ status: undefined })).toBe('<td class="empty">not listed</td>');
  });
});

describe('reasonText', () => {
  it('shows the reason a cell carries', () => {
    expect(reasonText('Only on kernel 5.8+', { requiresReason: true, origin: 'upstream' })).toBe(
      'Only on kernel 5.8+',
    );
  });

  it('says "no reason given upstream" only for upstream statuses that require a reason', () => {
    const requiring = statuses.filter((s) => s.requiresReason && s.origin === 'upstream');
    expect(requiring.map((s) => s.id)).toEqual(['partially']);
    for (const status of requiring)
      expect(reasonText(undefined, status), status.id).toBe('no reason given upstream');
  });

  it('adds nothing for statuses that take a reason upstream often leaves out', () => {
    const optional = statuses.filter((s) => s.takesReason && !s.requiresReason);
    expect(optional.map((s) => s.id).sort()).toEqual(['via-enabling-telemetry', 'via-event-logs']);
    for (const status of optional) expect(reasonText(undefined, status), status.id).toBeUndefined();
  });

  it('says "no reason recorded" for a project status (Not Tested) left without one', () => {
    const notTested = statuses.find((s) => s.id === 'not-tested');
    expect(notTested && reasonText(undefined, notTested)).toBe('no reason recorded');
  });

  it('shows nothing for a status that takes no reason', () => {
    for (const status of statuses.filter((s) => !s.takesReason))
      expect(reasonText(undefined, status), status.id).toBeUndefined();
  });
});
