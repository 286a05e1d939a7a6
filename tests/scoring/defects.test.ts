/**
 * One fixture per defect class: upstream's files with exactly one defect injected. Each must stop
 * the import with a message that names the file, the row, the vendor and the reason.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatIssue } from '../../scoring/issues.ts';
import { importUpstream } from '../../scoring/upstream/import.ts';
import {
  copyUpstream,
  DATA_DIR,
  editJson,
  type Row,
  type WeightsJson,
  writeText,
} from './upstream-fixture.ts';

let dir = '';
let cleanup: () => Promise<void> = async () => {};

beforeEach(async () => {
  ({ dir, cleanup } = await copyUpstream());
});
afterEach(() => cleanup());

/** Runs the import on the defective copy; returns its messages with the temp folder hidden. */
async function importMessages(): Promise<string[]> {
  const result = await importUpstream({ from: dir, dataDir: DATA_DIR });
  expect(result.ok, 'the defect must stop the import').toBe(false);
  if (result.ok) return [];
  return result.issues.map((i) => formatIssue(i).replaceAll(dir, '<upstream>'));
}

const findRow = (rows: Row[], sub: string): Row => {
  const row = rows.find((r) => r['Sub-Category'] === sub);
  if (!row) throw new Error(`fixture has no row ${sub}`);
  return row;
};

describe('import rejects each defect class with its location', () => {
  it('errors if a status has a trailing space', async () => {
    await editJson<Row[]>(dir, 'EDR_telem_linux.json', (rows) => {
      findRow(rows, 'File Creation').CrowdStrike = 'Yes ';
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/EDR_telem_linux.json, row 3 "File Creation", vendor "CrowdStrike": unknown status "Yes "; expected one of "Yes", "Via EnablingTelemetry", "Partially", "Via EventLogs", "Pending Response", "No" (did you mean "Yes"?).",
      ]
    `);
  });

  it('errors if a status is lower-case', async () => {
    await editJson<Row[]>(dir, 'EDR_telem_windows.json', (rows) => {
      findRow(rows, 'Process Creation').MDE = 'yes';
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/EDR_telem_windows.json, row 1 "Process Creation", vendor "MDE": unknown status "yes"; expected one of "Yes", "Via EnablingTelemetry", "Partially", "Via EventLogs", "Pending Response", "No" (did you mean "Yes"?).",
      ]
    `);
  });

  it('errors if a status is not one of the six ("Partial")', async () => {
    await editJson<Row[]>(dir, 'EDR_telem_macOS.json', (rows) => {
      findRow(rows, 'File Creation').Elastic = 'Partial';
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/EDR_telem_macOS.json, row 3 "File Creation", vendor "Elastic": unknown status "Partial"; expected one of "Yes", "Via EnablingTelemetry", "Partially", "Via EventLogs", "Pending Response", "No" (did you mean "Partially"?).",
      ]
    `);
  });

  it('errors if a vendor is missing from one row', async () => {
    await editJson<Row[]>(dir, 'EDR_telem_linux.json', (rows) => {
      delete findRow(rows, 'DNS Query').Elastic;
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/EDR_telem_linux.json, row 12 "DNS Query", vendor "Elastic": the vendor is missing from this row; every row has one cell per vendor.",
      ]
    `);
  });

  it('errors if one row has an extra vendor', async () => {
    await editJson<Row[]>(dir, 'EDR_telem_linux.json', (rows) => {
      findRow(rows, 'DNS Query').Elastik = 'Yes';
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/EDR_telem_linux.json, row 12 "DNS Query", vendor "Elastik": this vendor appears on this row only; add it to every row or remove it (a misspelt vendor name?).",
      ]
    `);
  });

  it('errors if a sub-category appears twice', async () => {
    await editJson<Row[]>(dir, 'EDR_telem_linux.json', (rows) => {
      const copy = { ...findRow(rows, 'File Deletion'), 'Telemetry Feature Category': null };
      rows.splice(5, 0, copy);
      return rows;
    });
    const messages = await importMessages();
    expect(messages.filter((m) => m.includes('duplicate'))).toMatchInlineSnapshot(`
      [
        "<upstream>/EDR_telem_linux.json, row 6 "File Deletion": duplicate sub-category: row 5 is already "File Deletion". Merge or rename one of them.",
      ]
    `);
  });

  it('errors if a sub-category has no weight', async () => {
    await editJson<WeightsJson>(dir, 'weights.json', (w) => {
      delete w.weights.linux?.['Image Load'];
      return w;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/weights.json, row 18 "Image Load" → weights.linux: the sub-category has no weight, so it would silently score 0 for every vendor. Add "Image Load" to weights.linux.",
      ]
    `);
  });

  it('errors if a weight names no sub-category', async () => {
    await editJson<WeightsJson>(dir, 'weights.json', (w) => {
      (w.weights.macos ?? {})['Kernel Extension Loaded'] = 1;
      return w;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/weights.json → weights.macos.Kernel Extension Loaded: the weight names no sub-category of the macos matrix (misspelt, or the row was removed).",
      ]
    `);
  });

  it('errors if a weight is negative', async () => {
    await editJson<WeightsJson>(dir, 'weights.json', (w) => {
      (w.weights.linux ?? {})['Process Creation'] = -1;
      return w;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/weights.json → weights.linux.Process Creation: a weight cannot be negative; received -1.",
      ]
    `);
  });

  it('errors if a weight is not a number', async () => {
    await editJson<WeightsJson>(dir, 'weights.json', (w) => {
      (w.weights.windows ?? {})['Process Creation'] = '1';
      return w;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/weights.json → weights.windows.Process Creation: a weight is a number; received "1".",
      ]
    `);
  });

  it('errors if the first row has no category', async () => {
    await editJson<Row[]>(dir, 'EDR_telem_macOS.json', (rows) => {
      const [first] = rows;
      if (first) first['Telemetry Feature Category'] = null;
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/EDR_telem_macOS.json, row 1 "Process Creation": the first row has no "Telemetry Feature Category"; later rows inherit the category from it, so it must be named.",
      ]
    `);
  });

  it('errors if an explanation sits on a cell whose status takes none', async () => {
    await editJson<Row[]>(dir, 'partially_value_explanations_linux.json', (rows) => {
      findRow(rows, 'Process Creation').Elastic = { Partially: 'only some exec events' };
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/partially_value_explanations_linux.json, row 1 "Process Creation", vendor "Elastic": a reason is given (keyed "Partially") but the cell's status is "Yes", which takes none. Remove the reason or correct the status.",
      ]
    `);
  });

  it('errors if an explanation names an unknown vendor', async () => {
    await editJson<Row[]>(dir, 'partially_value_explanations_windows.json', (rows) => {
      findRow(rows, 'Process Creation')['Crowd Strike'] = '';
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/partially_value_explanations_windows.json, row 1 "Process Creation", vendor "Crowd Strike": the explanation names a vendor the matrix does not have; vendor names must match the matrix exactly.",
      ]
    `);
  });

  it('errors if an explanation row matches no matrix row', async () => {
    await editJson<Row[]>(dir, 'partially_value_explanations_linux.json', (rows) => {
      rows.push({
        'Telemetry Feature Category': '',
        'Sub-Category': 'Kernel Module Tampering',
        Elastic: '',
      });
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/partially_value_explanations_linux.json, row 35 "Kernel Module Tampering": this explanation row matches no row of the matrix (EDR_telem_linux.json); rows are matched by sub-category name.",
      ]
    `);
  });

  it('errors if a file is not valid JSON', async () => {
    await writeText(dir, 'EDR_telem_linux.json', '[{"Sub-Category": "Process Creation",}]');
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/EDR_telem_linux.json: the file is not valid JSON (Expected double-quoted property name in JSON at position 37 (line 1 column 38)). Fix the syntax and run again.",
      ]
    `);
  });

  it('errors if a file is empty', async () => {
    await writeText(dir, 'partially_value_explanations_macOS.json', '  \n');
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/partially_value_explanations_macOS.json: the file is empty; it must hold a JSON document.",
      ]
    `);
  });

  it('errors if an upstream file carries the project status "Not Tested"', async () => {
    await editJson<Row[]>(dir, 'EDR_telem_linux.json', (rows) => {
      findRow(rows, 'File Creation').CrowdStrike = 'Not Tested';
      return rows;
    });
    const messages = await importMessages();
    expect(messages).toEqual([
      expect.stringMatching(
        /^<upstream>\/EDR_telem_linux\.json, row 3 "File Creation", vendor "CrowdStrike": unknown status "Not Tested"/,
      ),
    ]);
  });

  it('errors if a vendor key is written twice in one row, naming both lines', async () => {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const file = join(dir, 'EDR_telem_linux.json');
    const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
    // Upstream's own layout, one row of many: a second "CrowdStrike" key that JSON.parse would keep.
    const rows = JSON.parse(text) as Row[];
    const at = rows.findIndex((r) => r['Sub-Category'] === 'File Creation');
    const lines = rows.map((r, i) => {
      const body = JSON.stringify(r, null, 2);
      return i === at ? body.replace(/\n}$/, ',\n  "CrowdStrike": "No"\n}') : body;
    });
    await writeText(dir, 'EDR_telem_linux.json', `[\n${lines.join(',\n')}\n]\n`);
    const messages = await importMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /^<upstream>\/EDR_telem_linux\.json, row 3 "File Creation", vendor "CrowdStrike" → \[2\]: key "CrowdStrike" is written twice in one object \(line \d+, column 3 and line \d+, column 3\); JSON keeps only the last/,
    );
  });

  it('errors if an explanations file lacks a row of the matrix', async () => {
    await editJson<Row[]>(dir, 'partially_value_explanations_linux.json', (rows) =>
      rows.filter((r) => r['Sub-Category'] !== 'File Modification'),
    );
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/partially_value_explanations_linux.json, row 4 "File Modification": no explanation row for matrix row 4 "File Modification" (EDR_telem_linux.json); upstream keeps the two files row for row, and without it every reason in the row is lost. Add the row, with "" for cells that have no reason.",
      ]
    `);
  });

  it('errors if a Partially cell has no reason and no correction lists it', async () => {
    await editJson<Row[]>(dir, 'partially_value_explanations_linux.json', (rows) => {
      findRow(rows, 'File Modification').MDE = '';
      return rows;
    });
    expect(await importMessages()).toMatchInlineSnapshot(`
      [
        "<upstream>/partially_value_explanations_linux.json, row 4 "File Modification", vendor "MDE": the cell is "Partially" in EDR_telem_linux.json but has no reason; a reader cannot tell what is covered. Add the reason, or list the cell in data/corrections.json as "keep-without-reason".",
      ]
    `);
  });

  it('reports every defect of a run, not only the first', async () => {
    await editJson<Row[]>(dir, 'EDR_telem_linux.json', (rows) => {
      findRow(rows, 'File Creation').CrowdStrike = 'Yes ';
      findRow(rows, 'DNS Query').Elastic = 'Partial';
      findRow(rows, 'Agent Stop').MDE = 'no';
      return rows;
    });
    expect(await importMessages()).toHaveLength(3);
  });

  it('fails on an upstream defect that no correction lists', async () => {
    await editJson<Row[]>(dir, 'partially_value_explanations_windows.json', (rows) => {
      findRow(rows, 'Process Creation').Sysmon = '   ';
      return rows;
    });
    const messages = await importMessages();
    expect(messages).toEqual([expect.stringContaining('vendor "Sysmon": blank reason "   "')]);
  });
});

describe('import accepts what is fine', () => {
  it('accepts a UTF-8 byte order mark', async () => {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const text = await readFile(join(dir, 'EDR_telem_linux.json'), 'utf8');
    await writeText(dir, 'EDR_telem_linux.json', `\uFEFF${text}`);
    const result = await importUpstream({ from: dir, dataDir: DATA_DIR });
    expect(result.ok).toBe(true);
  });
});
