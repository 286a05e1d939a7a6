import { describe, expect, it } from 'vitest';
import {
  type Assertion,
  AssertionSchema,
  type EvidenceAssertion,
} from '../../scoring/provenance.schema.ts';
import type { StatusId } from '../../scoring/schema.ts';
import {
  assertionView,
  type CellProvenanceLike,
  cellBasis,
  disagreementText,
  provenanceSummary,
} from '../../src/lib/provenance-view.ts';

const SHA = 'ca3a2e679eacda11bca56997f55ec92fc46dc402';
const HEX64 = 'a'.repeat(64);

/** Fixtures go through the committed schema, so a test cannot pass on a shape the data never has. */
const claimed = (over: Record<string, unknown> = {}, source: Record<string, unknown> = {}) =>
  AssertionSchema.parse({
    basis: 'claimed',
    status: 'yes',
    date: '2025-09-22T10:00:00+02:00',
    source: {
      commit: SHA,
      commitUrl: `https://github.com/tsale/EDR-Telemetry/commit/${SHA}`,
      pr: 'https://github.com/tsale/EDR-Telemetry/pull/131',
      prNumber: 131,
      contributor: 'octo',
      contributorClass: 'external',
      change: 'baseline',
      ...source,
    },
    ...over,
  });

const evidence = (over: Record<string, unknown> = {}) =>
  AssertionSchema.parse({
    basis: 'evidence',
    status: 'partially',
    date: '2026-05-01T12:00:00Z',
    kind: 'sample-events',
    verdict: 'fields-shown',
    product: { vendor: 'elastic', name: 'Elastic Defend', version: '9.3.0' },
    sensor: { type: 'endpoint', version: '9.3.0', identity: 'known' },
    host: { os: 'Ubuntu 22.04', kernel: '6.8.0', arch: 'x86_64' },
    settings: [
      {
        setting: 'linux.advanced.events.populate_file_data: true',
        subCategories: ['file-entropy'],
      },
    ],
    tester: { handle: 'contributor-1', affiliation: 'independent' },
    evidence: {
      record: 'evidence/elastic-linux-pr199/record.json#file-entropy',
      captureSha256: HEX64,
      capture: 'evidence/elastic-linux-pr199/capture.csv.gz',
    },
    ...over,
  }) as EvidenceAssertion;

const draw = (id: StatusId) => ({ yes: '✅ Yes', partially: '⚠️ Partially' })[id as 'yes'] ?? id;
const prov = (assertions: Assertion[], over: Partial<CellProvenanceLike> = {}) => ({
  assertions,
  shown: assertions[0] as Assertion,
  disagreement: false,
  notTested: false,
  ...over,
});

describe('assertionView', () => {
  it('names a claim’s contributor, class, kind of change and pull request', () => {
    expect(assertionView(claimed(), 'dns-query')).toEqual({
      basis: 'Claimed',
      status: 'yes',
      date: '2025-09-22',
      verified: 'claimed in',
      facts: [
        { label: 'Who', text: 'by @octo (external)' },
        { label: 'Change', text: 'baseline' },
      ],
      links: [{ text: 'PR #131', href: 'https://github.com/tsale/EDR-Telemetry/pull/131' }],
    });
  });

  it('links a direct commit’s claim to the commit and leaves out what the ledger does not know', () => {
    const view = assertionView(
      claimed(
        {},
        {
          pr: undefined,
          prNumber: undefined,
          contributor: undefined,
          contributorClass: 'unknown',
          change: 'unknown',
        },
      ),
      'dns-query',
    );
    expect(view.facts).toEqual([]);
    expect(view.links).toEqual([
      { text: 'commit ca3a2e6', href: 'https://github.com/tsale/EDR-Telemetry/commit/ca3a2e6' },
    ]);
  });

  it('shows an affiliation only where the source states one', () => {
    expect(assertionView(claimed({}, { affiliation: 'Elastic' }), 'x').facts[0]?.text).toBe(
      'by @octo (external, Elastic)',
    );
    expect(assertionView(claimed({}, { contributorClass: 'unknown' }), 'x').facts[0]?.text).toBe(
      'by @octo',
    );
  });

  it('gives sample events their product version, setting, host, sensor and “no time window”', () => {
    const view = assertionView(evidence(), 'file-entropy');
    expect(view.verified).toBe('evidence re-derived by CI');
    expect(Object.fromEntries(view.facts.map((f) => [f.label, f.text]))).toEqual({
      Tester: 'contributor-1 (independent)',
      Product: 'Elastic Defend 9.3.0',
      Settings: 'linux.advanced.events.populate_file_data: true',
      Host: 'Ubuntu 22.04, kernel 6.8.0, x86_64',
      'Time window': 'no time window: sample events',
      Sensor: 'endpoint 9.3.0',
      Kind: 'sample events without a generator run: they show the fields exist, never a strict Yes alone',
      'Capture SHA-256': 'aaaaaaaaaaaa…',
    });
    expect(view.links).toEqual([
      {
        text: 'evidence record',
        href: expect.stringMatching(
          /\/blob\/main\/data\/evidence\/elastic-linux-pr199\/record\.json#file-entropy$/,
        ),
      },
      {
        text: 'capture',
        href: expect.stringMatching(
          /\/blob\/main\/data\/evidence\/elastic-linux-pr199\/capture\.csv\.gz$/,
        ),
      },
    ]);
  });

  it('states what the evidence found in its own words', () => {
    const view = assertionView(evidence({ reason: 'Supports the claimed Yes.' }), 'x');
    expect(view.facts.find((f) => f.label === 'Finding')?.text).toBe('Supports the claimed Yes.');
  });

  it('shows only the settings that concern the cell’s sub-category', () => {
    const settings = assertionView(evidence(), 'file-size').facts.find(
      (f) => f.label === 'Settings',
    );
    expect(settings?.text).toBe('none beyond the product’s defaults');
  });

  it('gives a measured generator run its UTC window, manifest hash, build and policy', () => {
    const view = assertionView(
      evidence({
        basis: 'measured',
        kind: 'generator-run',
        verdict: 'observed',
        product: {
          vendor: 'reference-agent',
          name: 'Reference agent',
          version: '0.1.0',
          build: 'abc',
        },
        window: { start: '2026-05-01T10:00:00.250Z', end: '2026-05-01T10:02:03Z' },
        policy: { name: 'default', sha256: 'b'.repeat(64) },
        tester: { handle: 'ci', affiliation: 'ci' },
        sensor: { identity: 'absent' },
        evidence: {
          record: 'evidence/reference-agent.json#dns-query',
          manifestSha256: HEX64,
          captureSha256: 'c'.repeat(64),
        },
      }),
      'dns-query',
    );
    const facts = Object.fromEntries(view.facts.map((f) => [f.label, f.text]));
    expect(view.verified).toBe('measured by CI');
    expect(facts).toMatchObject({
      Tester: 'ci (CI)',
      Product: 'Reference agent 0.1.0 build abc',
      Policy: 'default (SHA-256 bbbbbbbbbbbb…)',
      'Time window': '2026-05-01 10:00:00 to 2026-05-01 10:02:03 UTC',
      Sensor: 'the capture names no sensor',
      Kind: 'a generator run matched action by action: every action observed',
      'Manifest SHA-256': 'aaaaaaaaaaaa…',
      'Capture SHA-256': 'cccccccccccc…',
    });
    expect(view.links.map((l) => l.text)).toEqual(['evidence record']);
  });

  it('says so when a record states only when its capture began', () => {
    const view = assertionView(
      evidence({
        kind: 'generator-run',
        verdict: 'observed',
        window: { start: '2026-05-01T10:00:00Z' },
      }),
      'x',
    );
    expect(view.facts.find((f) => f.label === 'Time window')?.text).toBe(
      'from 2026-05-01 10:00:00 UTC (the record states only the start)',
    );
  });

  it('names a measured sensor by the product when the record states only a version', () => {
    const view = assertionView(evidence({ sensor: { version: '0.1.0', identity: 'known' } }), 'x');
    expect(view.facts.find((f) => f.label === 'Sensor')?.text).toBe(
      'the product itself, version 0.1.0',
    );
  });

  it('says so when a tester states no affiliation', () => {
    const view = assertionView(evidence({ tester: { handle: 'someone' } }), 'x');
    expect(view.facts[0]).toEqual({ label: 'Tester', text: 'someone (affiliation not stated)' });
  });

  it('says when a capture’s sensor is of a type the project does not know', () => {
    const view = assertionView(evidence({ sensor: { type: 'mystery', identity: 'unknown' } }), 'x');
    expect(view.facts.find((f) => f.label === 'Sensor')?.text).toBe(
      'mystery (a sensor type this project does not know)',
    );
  });
});

describe('cellBasis', () => {
  it('marks a disagreement first, then Not Tested, then the shown assertion’s basis', () => {
    expect(cellBasis(undefined)).toBe('claimed');
    expect(cellBasis(prov([claimed()]))).toBe('claimed');
    expect(cellBasis(prov([evidence(), claimed()]))).toBe('evidence');
    // Sample events support the claim the matrix keeps showing: evidence, not a plain claim.
    expect(cellBasis(prov([evidence({ status: 'yes' }), claimed()], { shown: claimed() }))).toBe(
      'evidence',
    );
    expect(cellBasis(prov([evidence(), claimed()], { disagreement: true, notTested: true }))).toBe(
      'disagreement',
    );
    expect(
      cellBasis(prov([evidence({ basis: 'measured', status: 'not-tested' })], { notTested: true })),
    ).toBe('not-tested');
  });
});

describe('disagreementText', () => {
  it('states each basis’s status and which one the matrix shows', () => {
    const p = prov([evidence(), claimed(), claimed({ date: '2024-01-01T00:00:00Z' })], {
      disagreement: true,
    });
    expect(disagreementText(p, draw)).toBe(
      'Its assertions disagree: evidence ⚠️ Partially (2026-05-01); claimed ✅ Yes (2025-09-22). The matrix shows and scores the evidence assertion: ⚠️ Partially.',
    );
  });
});

describe('provenanceSummary', () => {
  it('counts cells by basis, cells without evidence, the oldest claims and the versions covered', () => {
    const cells = [
      {
        subCategoryId: 'a',
        subCategory: 'A',
        provenance: prov([claimed({ date: '2024-03-01T00:00:00Z' })]),
      },
      {
        subCategoryId: 'b',
        subCategory: 'B',
        provenance: prov([claimed({ date: '2023-04-19T06:18:54Z' })]),
      },
      {
        subCategoryId: 'c',
        subCategory: 'C',
        provenance: prov([evidence(), claimed({ date: '2022-01-01T00:00:00Z' })]),
      },
      {
        subCategoryId: 'd',
        subCategory: 'D',
        provenance: prov(
          [evidence({ product: { vendor: 'elastic', name: 'Elastic Defend', version: '9.1.4' } })],
          {
            disagreement: true,
          },
        ),
      },
    ];
    expect(provenanceSummary(cells, 2)).toEqual({
      byBasis: { claimed: 2, evidence: 1, measured: 0, disagreement: 1, 'not-tested': 0 },
      withoutEvidence: 2,
      oldestClaims: [
        { subCategoryId: 'c', subCategory: 'C', date: '2022-01-01' },
        { subCategoryId: 'b', subCategory: 'B', date: '2023-04-19' },
      ],
      versions: ['Elastic Defend 9.3.0', 'Elastic Defend 9.1.4'],
    });
  });
});
