import { describe, expect, it } from 'vitest';
import { csvField, type ExportView, viewToCsv, viewToJson } from '../../src/lib/export.ts';

const view: ExportView = {
  platform: 'linux',
  columns: [
    { id: 'acme', name: 'Acme, Inc.', score: 12.5 },
    { id: 'evil', name: '=HYPERLINK("http://x")', score: 3 },
  ],
  rows: [
    {
      category: 'Process Activity',
      subCategoryId: 'process-creation',
      subCategory: 'Process Creation',
      weight: 1,
      statuses: [{ id: 'yes', label: 'Yes' }, null],
    },
    {
      category: 'Network "Activity"',
      subCategoryId: 'dns-query',
      subCategory: 'DNS Query',
      weight: 0.5,
      statuses: [
        { id: 'partially', label: 'Partially' },
        { id: 'no', label: 'No' },
      ],
    },
  ],
};

describe('CSV export', () => {
  it('quotes commas and quotes, and defuses spreadsheet formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('-cmd')).toBe("'-cmd");
    expect(csvField(-1)).toBe('-1');
  });

  it('writes a header and one line per row, empty for missing cells', () => {
    expect(viewToCsv(view).split('\r\n')).toEqual([
      `Category,Sub-category,Weight,"Acme, Inc.","'=HYPERLINK(""http://x"")"`,
      'Process Activity,Process Creation,1,Yes,',
      '"Network ""Activity""",DNS Query,0.5,Partially,No',
      '',
    ]);
  });
});

describe('JSON export', () => {
  it('keys cells by vendor id with status ids, null when missing', () => {
    const parsed = JSON.parse(viewToJson(view));
    expect(parsed.vendors).toEqual([
      { id: 'acme', name: 'Acme, Inc.', score: 12.5 },
      { id: 'evil', name: '=HYPERLINK("http://x")', score: 3 },
    ]);
    expect(parsed.rows[0]).toEqual({
      category: 'Process Activity',
      subCategory: 'process-creation',
      name: 'Process Creation',
      weight: 1,
      cells: { acme: 'yes', evil: null },
    });
    expect(parsed.rows[1].cells).toEqual({ acme: 'partially', evil: 'no' });
  });
});
