/**
 * Rules are data: the shipped files must validate against the schema and the project's taxonomy,
 * and a broken rules file must be reported with every problem located. A hand-written
 * Elastic-style ECS capture must be classified into the right sub-categories.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchCaptures } from '../../generators/evidence/matcher.ts';
import { linuxSubCategories, loadRuleSets, parseRuleSet } from '../../generators/evidence/rules.ts';
import { formatIssue } from '../../scoring/issues.ts';

const HANDMADE = resolve(import.meta.dirname, '../fixtures/evidence/handmade');

describe('shipped rules', () => {
  it('load for every input format and name only sub-categories of the Linux taxonomy', async () => {
    const rules = await loadRuleSets();
    const known = new Set(await linuxSubCategories());
    for (const format of ['ecs', 'laurel', 'csv'] as const) {
      expect(rules[format].length).toBeGreaterThan(10);
      for (const rule of rules[format]) expect(known.has(rule.subCategory)).toBe(true);
    }
  });

  it('map every sub-category a generator exercises, except those a format cannot carry', async () => {
    const rules = await loadRuleSets();
    const ecs = new Set<string>(rules.ecs.map((r) => r.subCategory));
    const laurel = new Set<string>(rules.laurel.map((r) => r.subCategory));
    const all = await linuxSubCategories();
    expect(all.filter((s) => !ecs.has(s))).toEqual([]);
    // auditd computes no hashes, entropy, header bytes or sizes: no LAUREL event can prove them.
    expect(all.filter((s) => !laurel.has(s))).toEqual([
      'md5',
      'sha',
      'fuzzy-hash',
      'file-entropy',
      'file-header-bytes',
      'file-size',
    ]);
  });
});

describe('a broken rules file', () => {
  it('is reported with every problem at once, each with its path', () => {
    const known = new Set(['process-creation']);
    const result = parseRuleSet(
      {
        schemaVersion: 1,
        format: 'ecs',
        about: 'test',
        rules: [
          {
            id: 'a',
            subCategory: 'file-entropy',
            description: 'x',
            when: { 'event.action': ['exec'] },
            facts: { pid: ['process.pid'] },
            keys: ['path'],
            required: ['pid'],
          },
          {
            id: 'a',
            subCategory: 'process-creation',
            description: 'x',
            when: { 'process.name': { pattern: '([' } },
            facts: { pid: ['process.pid'] },
            keys: ['pid'],
            required: ['pid'],
          },
        ],
      },
      'rules/ecs.json',
      known,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map(formatIssue)).toMatchInlineSnapshot(`
      [
        "rules/ecs.json → rules[0].subCategory: "file-entropy" is not a sub-category of data/matrices/linux.json.",
        "rules/ecs.json → rules[0].facts: fact "path" is used in keys or collect but has no source in facts.",
        "rules/ecs.json → rules[1].id: rule id "a" is used twice.",
        "rules/ecs.json → rules[1].when.process.name: the pattern is not a regular expression (Invalid regular expression: /([/: Unterminated character class).",
      ]
    `);
  });

  it('rejects unknown fact names and sub-category ids through the schema', () => {
    const result = parseRuleSet(
      {
        schemaVersion: 1,
        format: 'ecs',
        about: 'x',
        rules: [
          {
            id: 'b',
            subCategory: 'nope',
            description: 'x',
            when: {},
            facts: { colour: ['x'] },
            keys: ['pid'],
            required: ['pid'],
          },
        ],
      },
      'rules/ecs.json',
      new Set(),
    );
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
        expect.stringMatching(/^rules\[0\]\.subCategory: expected "process-creation" \| /),
        expect.stringMatching(/^rules\[0\]\.facts: .*colour/),
      ]);
  });
});

describe('classify on a hand-written Elastic Defend style capture', () => {
  it('puts each event under the sub-categories it is telemetry of', async () => {
    const rules = await loadRuleSets();
    const result = await matchCaptures([resolve(HANDMADE, 'elastic-defend.ndjson')], {
      rules,
      subCategories: await linuxSubCategories(),
    });
    const counts = Object.fromEntries(result.classes.map((c) => [c.subCategory, c.events]));
    expect(counts).toEqual({
      'process-creation': 1,
      'process-termination': 1,
      'file-creation': 1,
      'file-modification': 1,
      'file-deletion': 1,
      'script-content': 1,
      'network-connection': 1,
      'dns-query': 1,
      'user-account-created': 1,
      'process-access': 1,
      'memory-backed-file-creation': 1,
      sha: 1,
      'file-entropy': 2,
      'file-header-bytes': 2,
      'file-size': 2,
    });
    const memfd = result.classes.find((c) => c.subCategory === 'memory-backed-file-creation');
    expect(memfd?.example?.line).toBe(2);
    expect(memfd?.example?.fields).toContain('process.Ext.memfd.name');
    expect(result.captures[0]?.malformed).toBe(2);
  });

  it('classifies the CSV export of the same kind of events', async () => {
    const rules = await loadRuleSets();
    const result = await matchCaptures([resolve(HANDMADE, 'siem-export.csv')], { rules });
    expect(Object.fromEntries(result.classes.map((c) => [c.subCategory, c.events]))).toEqual({
      'dns-query': 1,
      'file-creation': 2,
      'file-entropy': 2,
      'process-creation': 1,
      'process-termination': 1,
      'script-content': 1,
    });
  });
});
