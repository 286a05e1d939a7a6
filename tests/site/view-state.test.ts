import { describe, expect, it } from 'vitest';
import { STATUS_IDS } from '../../scoring/schema.ts';
import {
  decodeView,
  defaultView,
  encodeView,
  isDefaultView,
  moveVendor,
  type ViewUniverse,
} from '../../src/lib/view-state.ts';

const universe: ViewUniverse = {
  vendorIds: ['auditd', 'crowdstrike', 'elastic'],
  categoryIds: ['process-activity', 'file-manipulation'],
  statusIds: STATUS_IDS,
  basisIds: ['claimed', 'evidence', 'measured', 'disagreement', 'not-tested'],
};

describe('matrix view state in the URL', () => {
  it('gives the default view an empty query string', () => {
    expect(encodeView(defaultView(universe), universe)).toBe('');
    expect(isDefaultView(decodeView('', universe), universe)).toBe(true);
  });

  it('round-trips every part of a changed view', () => {
    const view = {
      vendors: ['elastic', 'auditd'],
      query: 'dns query',
      statuses: ['no' as const, 'partially' as const],
      bases: ['measured' as const, 'evidence' as const],
      collapsed: ['file-manipulation'],
      sort: { vendorId: 'elastic', desc: true },
    };
    const query = encodeView(view, universe);
    expect(query).toMatchInlineSnapshot(
      `"v=elastic,auditd&q=dns+query&s=partially,no&b=evidence,measured&c=file-manipulation&sort=-elastic"`,
    );
    expect(decodeView(query, universe)).toEqual({
      ...view,
      statuses: ['partially', 'no'],
      bases: ['evidence', 'measured'],
    });
  });

  it('drops unknown vendors, statuses, categories and sort targets from old links', () => {
    const view = decodeView(
      '?v=gone,elastic,elastic&s=Yes,no&b=rumour,measured&c=nope&sort=gone',
      universe,
    );
    expect(view).toEqual({
      vendors: ['elastic'],
      query: '',
      statuses: ['no'],
      bases: ['measured'],
      collapsed: [],
      sort: null,
    });
  });

  it('falls back to every vendor when the link names none that exist', () => {
    expect(decodeView('?v=gone', universe).vendors).toEqual(universe.vendorIds);
  });

  it('is not the default view once a basis is chosen', () => {
    expect(isDefaultView({ ...defaultView(universe), bases: ['measured'] }, universe)).toBe(false);
  });

  it('is not the default view once vendors are reordered', () => {
    const view = { ...defaultView(universe), vendors: ['crowdstrike', 'auditd', 'elastic'] };
    expect(isDefaultView(view, universe)).toBe(false);
  });
});

describe('moveVendor', () => {
  it('moves a vendor one place left or right', () => {
    expect(moveVendor(['a', 'b', 'c'], 'c', -1)).toEqual(['a', 'c', 'b']);
    expect(moveVendor(['a', 'b', 'c'], 'a', 1)).toEqual(['b', 'a', 'c']);
  });

  it('leaves the order alone at the edges and for unknown ids', () => {
    expect(moveVendor(['a', 'b'], 'a', -1)).toEqual(['a', 'b']);
    expect(moveVendor(['a', 'b'], 'b', 1)).toEqual(['a', 'b']);
    expect(moveVendor(['a', 'b'], 'x', 1)).toEqual(['a', 'b']);
  });
});
