import { describe, expect, it } from 'vitest';
import {
  encodeWeightParams,
  parseWeight,
  parseWeightParams,
  type WeightTable,
} from '../../src/lib/weights-url.ts';

const defaults: WeightTable = {
  linux: { 'process-creation': 1, 'dns-query': 1, md5: 0.5 },
  windows: { 'process-creation': 1 },
};

describe('weights in a link', () => {
  it('writes only changed weights, readable, and reads them back', () => {
    const weights = {
      linux: { 'process-creation': 1, 'dns-query': 0, md5: 2.5 },
      windows: { 'process-creation': 1 },
    };
    const query = encodeWeightParams(weights, defaults, 'linux');
    expect(query).toBe('p=linux&linux=dns-query:0,md5:2.5');
    const parsed = parseWeightParams(`?${query}`, defaults);
    expect(parsed).toEqual({ weights, platform: 'linux', backedOnly: false, problems: [] });
  });

  it('keeps “evidence-backed cells only” in the link', () => {
    const query = encodeWeightParams(defaults, defaults, 'windows', true);
    expect(query).toBe('p=windows&backed=1');
    expect(parseWeightParams(`?${query}`, defaults)).toMatchObject({
      platform: 'windows',
      backedOnly: true,
      problems: [],
    });
    expect(parseWeightParams('?linux=md5:1', defaults).backedOnly).toBe(false);
  });

  it('counts every cell and says why when the backed flag has another value', () => {
    const parsed = parseWeightParams('?backed=yes', defaults);
    expect(parsed.backedOnly).toBe(false);
    expect(parsed.problems).toMatchInlineSnapshot(`
      [
        ""backed=yes" is not understood; "backed=1" counts only evidence-backed cells, so every cell was counted.",
      ]
    `);
  });

  it('gives the published weights for an empty query', () => {
    expect(encodeWeightParams(defaults, defaults, undefined)).toBe('');
    expect(parseWeightParams('', defaults).weights).toEqual(defaults);
  });

  it('ignores and reports unknown platforms, sub-categories and bad numbers', () => {
    const parsed = parseWeightParams(
      '?linux=dns-query:-1,nope:1,md5:abc,process-creation:0&mars=x:1&p=mars',
      defaults,
    );
    expect(parsed.weights.linux).toEqual({ 'process-creation': 0, 'dns-query': 1, md5: 0.5 });
    expect(parsed.platform).toBeUndefined();
    expect(parsed.problems).toMatchInlineSnapshot(`
      [
        "The linux weight of "dns-query" must be a number from 0 to 100; "-1" was ignored.",
        ""nope" is not a linux sub-category, so its weight was ignored.",
        "The linux weight of "md5" must be a number from 0 to 100; "abc" was ignored.",
        ""mars" is not a platform of this site, so its weights were ignored.",
      ]
    `);
  });

  it('does not let a link change the published defaults it was given', () => {
    parseWeightParams('?linux=md5:9', defaults);
    expect(defaults.linux?.md5).toBe(0.5);
  });
});

describe('parseWeight', () => {
  it('accepts plain non-negative decimals up to the maximum', () => {
    expect(parseWeight('0')).toBe(0);
    expect(parseWeight('.5')).toBe(0.5);
    expect(parseWeight(' 2.25 ')).toBe(2.25);
    expect(parseWeight('100')).toBe(100);
  });

  it('rejects negatives, exponents, blanks and values over the maximum', () => {
    for (const text of ['-1', '1e3', '', ' ', 'NaN', 'Infinity', '100.5', '0x10']) {
      expect(parseWeight(text), text).toBeUndefined();
    }
  });
});
