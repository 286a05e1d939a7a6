/**
 * Custom weights (`npm run score -- --weights file`, and the site's "your own weights"): a partial
 * `{ "<platform>": { "<sub-category id or name>": number } }` validated as strictly as `data/`.
 */
import { matrixRows } from './dataset.ts';
import type { DataIssue } from './issues.ts';
import { PLATFORM_IDS, type PlatformId, type PlatformMatrix, type WeightsFile } from './schema.ts';

/** Returns new weights with the overrides applied, or every problem found in them. */
export function applyWeightOverrides(
  weights: WeightsFile,
  matrices: Readonly<Record<PlatformId, PlatformMatrix>>,
  overrides: unknown,
  file: string,
): { ok: true; weights: WeightsFile } | { ok: false; issues: DataIssue[] } {
  const issues: DataIssue[] = [];
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    return {
      ok: false,
      issues: [
        { file, message: 'expected an object such as { "linux": { "process-creation": 0.5 } }.' },
      ],
    };
  }
  const next: WeightsFile = structuredClone(weights);
  for (const [platformKey, entries] of Object.entries(overrides)) {
    const platform = PLATFORM_IDS.find((p) => p === platformKey.toLowerCase());
    if (!platform) {
      issues.push({
        file,
        path: platformKey,
        message: `unknown platform; expected one of ${PLATFORM_IDS.join(', ')}.`,
      });
      continue;
    }
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
      issues.push({
        file,
        path: platformKey,
        message: 'expected an object of sub-category weights.',
      });
      continue;
    }
    const rows = matrixRows(matrices[platform]);
    for (const [key, weight] of Object.entries(entries)) {
      const row = rows.find((r) => r.sub.id === key || r.sub.name === key);
      const where = {
        file,
        path: `${platformKey}.${key}`,
        ...(row ? { row: { number: row.number, subCategory: row.sub.name } } : {}),
      };
      if (!row) {
        issues.push({
          ...where,
          message: `no sub-category with this id or name in the ${platform} matrix.`,
        });
      } else if (typeof weight !== 'number' || !Number.isFinite(weight)) {
        issues.push({
          ...where,
          message: `a weight is a number; received ${JSON.stringify(weight)}.`,
        });
      } else if (weight < 0) {
        issues.push({ ...where, message: `a weight cannot be negative; received ${weight}.` });
      } else {
        next.platforms[platform][row.sub.id] = weight;
      }
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, weights: next };
}
