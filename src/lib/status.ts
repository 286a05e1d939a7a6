/** Status helpers the site needs beyond the catalog in `scoring/statuses.ts`. */
import { STATUS_IDS, type StatusId } from '../../scoring/schema.ts';

/** 0 for the best status; the same order as `StatusCatalog.rank`, usable without a catalog. */
export function statusRank(id: StatusId): number {
  return STATUS_IDS.indexOf(id);
}
