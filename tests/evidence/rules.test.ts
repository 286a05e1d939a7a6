/**
 * Rules are data: the shipped files must validate against the schema and the project's taxonomy,
 * and a broken rules file must be reported with every problem located. A hand-written
 * Elastic-style ECS capture must be classified into the right sub-categories.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchCaptures } from '../../generators/evidence/matcher.ts';
import type { RuleSet } from '../../generators/evidence/rules.schema.ts';
import {
  deriveRuleSet,
  linuxSubCategories,
  loadRuleSets,
  parseRuleSet,
} from '../../generators/evidence/rules.ts';
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
    // auditd computes no hashes, entropy, header bytes or sizes, and sees no DNS question name (a
    // connect to port 53 is not a query): no LAUREL event can prove them.
    expect(all.filter((s) => !laurel.has(s))).toEqual([
      'dns-query',
      'md5',
      'sha',
      'fuzzy-hash',
      'file-entropy',
      'file-header-bytes',
      'file-size',
    ]);
  });
});

describe('derived rules', () => {
  it('give CSV the ECS rules, each under a csv- id, reading the columns named like ECS fields', async () => {
    const rules = await loadRuleSets();
    expect(rules.csv.map((r) => r.id)).toEqual(rules.ecs.map((r) => r.id.replace(/^ecs-/, 'csv-')));
    const strip = ({ id: _id, conditions: _c, ...rest }: (typeof rules.csv)[number]) => rest;
    expect(rules.csv.map(strip)).toEqual(rules.ecs.map(strip));
  });

  it('rename every field path through the declared column mapping', () => {
    const base: RuleSet = {
      schemaVersion: 1,
      format: 'ecs',
      about: 'x',
      strings: 'plain',
      rules: [
        {
          id: 'ecs-memfd',
          subCategory: 'memory-backed-file-creation',
          description: 'x',
          when: { 'event.action': ['memfd_create'] },
          facts: {
            pid: ['process.pid'],
            memfdFlags: [{ bits: { 'process.Ext.memfd.flag.cloexec': 1 } }],
            path: [{ field: 'file.path', relativeTo: 'process.working_directory' }],
          },
          collect: [],
          keys: ['pid'],
          required: ['memfdFlags'],
        },
      ],
    };
    const derived = deriveRuleSet(base, {
      schemaVersion: 1,
      format: 'csv',
      about: 'y',
      derivedFrom: {
        format: 'ecs',
        columns: {
          'event.action': 'Action',
          'process.pid': 'PID',
          'file.path': 'Path',
          'process.working_directory': 'CWD',
          'process.Ext.memfd.flag.cloexec': 'Cloexec',
        },
      },
    });
    expect(derived.rules[0]).toMatchObject({
      id: 'csv-memfd',
      when: { Action: ['memfd_create'] },
      facts: {
        pid: ['PID'],
        memfdFlags: [{ bits: { Cloexec: 1 } }],
        path: [{ field: 'Path', relativeTo: 'CWD' }],
      },
    });
  });

  it('fail with the file and path when the base format has no rules of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etm-rules-'));
    try {
      const derived = (format: string, from: string) =>
        JSON.stringify({
          schemaVersion: 1,
          format,
          about: 'x',
          derivedFrom: { format: from, columns: {} },
        });
      writeFileSync(join(dir, 'ecs.json'), derived('ecs', 'csv'));
      writeFileSync(join(dir, 'csv.json'), derived('csv', 'ecs'));
      writeFileSync(join(dir, 'laurel.json'), derived('laurel', 'laurel'));
      await expect(loadRuleSets({ dir })).rejects.toThrow(
        `${join(dir, 'ecs.json')} → derivedFrom.format: "csv" has no rules of its own to derive from; name a format whose file lists rules.`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
