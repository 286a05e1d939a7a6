import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../generators/registry.ts';
import { ROOT, runCli } from './helpers.ts';

describe('generate CLI usage', () => {
  it('prints help with a usage line and every flag, exit 0', () => {
    const res = runCli(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /^Usage: npm run generate -- <generator\.\.\.\|all> \[--out <file>\]/,
    );
    expect(res.stdout).toContain('\n       npm run generate -- --list [--json]\n');
    expect(res.stdout).toContain('Exit codes: 0 every run ok or not possible on this host');
    for (const flag of [
      '<generator...|all>',
      '--list',
      '--out <file>',
      '--repeat <n>',
      '--pace <ms>',
      '--dry-run',
      '--json',
      '--verbose',
      '--help',
    ]) {
      expect(res.stdout).toContain(flag);
    }
  });

  it('rejects an unknown flag with the help on stderr and exit 2', () => {
    const res = runCli(['all', '--bogus']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^Unknown option '--bogus'\. .*\n\nUsage:/);
  });

  it('rejects an unknown generator and names the known ones', () => {
    const res = runCli(['teleport']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      'Unknown generator "teleport". Known: memfd_create_exec, file_metadata',
    );
  });

  it('rejects a --repeat that is not a whole number from 1 to 100', () => {
    for (const value of ['0', '2.5', 'x', '101']) {
      const res = runCli(['file_activity', '--repeat', value]);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`--repeat takes a whole number from 1 to 100, not "${value}".`);
    }
  });

  it('rejects a --pace outside 0 to 60000 ms', () => {
    for (const value of ['-5', '1.5', '60001']) {
      const res = runCli(['file_activity', '--pace', value]);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`--pace takes milliseconds from 0 to 60000, not "${value}".`);
    }
  });

  it('refuses an --out it cannot write before running anything', () => {
    const res = runCli(['file_activity', '--out', '/nonexistent-dir/m.json']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'Cannot write the manifest to /nonexistent-dir/m.json: the directory /nonexistent-dir does not exist. Choose another --out; nothing was run.\n',
    );
  });

  it('asks for a generator when none is named', () => {
    const res = runCli([]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^Name at least one generator, or all\./);
  });
});

describe('generate --list', () => {
  it('describes every generator: sub-categories, root, what it touches, whether it runs here', () => {
    const res = runCli(['--list']);
    expect(res.code).toBe(0);
    for (const g of GENERATORS) {
      expect(res.stdout).toContain(
        `${g.name}  (${g.needsRoot ? 'needs root' : 'no root needed'}; here: `,
      );
      expect(res.stdout).toContain(`  sub-categories: ${g.subCategories.join(', ')}`);
      expect(res.stdout).toContain(`  touches: ${g.touches}`);
    }
  });

  it('prints one JSON object per generator with --json', () => {
    const res = runCli(['--list', '--json']);
    const rows = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => r.generator)).toEqual(GENERATORS.map((g) => g.name));
    const driver = rows.find((r) => r.generator === 'driver_load');
    expect(driver?.canRunHere).toBe(false);
    expect(String(driver?.reason)).toMatch(/module/);
  });
});

describe('generate --dry-run', () => {
  it('says what would run and does nothing', () => {
    const res = runCli(['all', '--dry-run', '--json']);
    expect(res.code).toBe(0);
    const rows = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { generator: string; wouldRun: boolean });
    expect(rows).toHaveLength(GENERATORS.length);
    expect(res.stderr).not.toContain('start');
    // Every run gets an id when it starts: none appearing means nothing ran.
    expect(`${res.stdout}${res.stderr}`).not.toMatch(/etm-[0-9a-f]{8}/);
  });
});

describe('generators/README.md', () => {
  it('documents every generator and whether it needs root', () => {
    const readme = readFileSync(join(ROOT, 'generators', 'README.md'), 'utf8');
    for (const g of GENERATORS) {
      expect(readme).toMatch(
        new RegExp(`^\\| \`${g.name}\` +\\| ${g.needsRoot ? 'yes' : 'no'} +\\|`, 'm'),
      );
    }
  });
});
