/** Lookups over `data/statuses.json`, the only place status labels and symbols are spelt. */
import type { StatusDefinition, StatusesFile, StatusId } from './schema.ts';
import { STATUS_IDS } from './schema.ts';

export interface StatusCatalog {
  /** In the canonical order of `STATUS_IDS` (best coverage first). */
  list: readonly StatusDefinition[];
  byId: ReadonlyMap<StatusId, StatusDefinition>;
  byLabel: ReadonlyMap<string, StatusDefinition>;
  /** 0 for the best status; use for sorting, never compare labels as strings. */
  rank(id: StatusId): number;
}

/**
 * The statuses upstream's files may carry: the catalog that reads and writes them, so a project
 * status (Not Tested) in an upstream file is an unknown status and export never writes one.
 */
export function upstreamStatuses(catalog: StatusCatalog): StatusCatalog {
  const list = catalog.list.filter((s) => s.origin === 'upstream');
  return {
    list,
    byId: new Map(list.map((s) => [s.id, s] as const)),
    byLabel: new Map(list.map((s) => [s.label, s] as const)),
    rank: catalog.rank,
  };
}

export function statusCatalog(file: StatusesFile): StatusCatalog {
  const byId = new Map(file.statuses.map((s) => [s.id, s] as const));
  const list = STATUS_IDS.map((id) => byId.get(id)).filter(
    (s): s is StatusDefinition => s !== undefined,
  );
  return {
    list,
    byId,
    byLabel: new Map(list.map((s) => [s.label, s] as const)),
    rank: (id) => STATUS_IDS.indexOf(id),
  };
}

/** The closest known label to a misspelt one (`"Yes "`, `"yes"`), for a helpful message. */
export function suggestLabel(catalog: StatusCatalog, label: string): string | undefined {
  const wanted = label.trim().toLowerCase().replace(/\s+/g, ' ');
  for (const s of catalog.list) {
    const known = s.label.toLowerCase();
    if (known === wanted || known.replace(/\s+/g, '') === wanted.replace(/\s+/g, ''))
      return s.label;
    if (wanted.length >= 4 && known.startsWith(wanted.slice(0, 4))) return s.label;
  }
  return undefined;
}
