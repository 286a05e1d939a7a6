/**
 * A measured row next to the claimed column of the same product (auditd + LAUREL next to
 * upstream's Auditd): per sub-category both statuses and a sentence explaining any difference,
 * so the site can show every disagreement with its reason.
 */
import { matrixRows } from '../../scoring/dataset.ts';
import type { PlatformMatrix } from '../../scoring/schema.ts';
import type { StatusCatalog } from '../../scoring/statuses.ts';
import type { EvidenceFile } from './evidence-file.schema.ts';

type Comparison = NonNullable<EvidenceFile['comparison']>;

/** Compares the evidence file's cells with `vendorId`'s claimed cells in `matrix`. */
export function compareWithClaimed(
  file: EvidenceFile,
  matrix: PlatformMatrix,
  vendorId: string,
  statuses: StatusCatalog,
): Comparison {
  const vendor = matrix.vendors.find((v) => v.id === vendorId && v.source === 'claimed');
  if (vendor === undefined)
    throw new Error(`The Linux matrix has no claimed vendor "${vendorId}" to compare with.`);
  const label = (id: string) => statuses.byId.get(id as never)?.label ?? id;
  const cells: Comparison['cells'] = {};
  for (const { sub } of matrixRows(matrix)) {
    const claimed = sub.cells[vendorId];
    const measured = file.cells[sub.id];
    if (claimed === undefined || measured === undefined) continue;
    const agree = claimed.status === measured.status;
    const upstream = `${vendor.name}'s claimed column says ${label(claimed.status)}${claimed.reason ? ` (${claimed.reason})` : ''}`;
    let explanation: string;
    if (agree) {
      explanation = `Measured and claimed agree: ${label(measured.status)}. ${measured.reason}`;
    } else if (measured.verdict === 'not-testable') {
      explanation = `${upstream}; the measurement cannot say: ${measured.reason.replace(/^Not testable here: /, '')}`;
    } else if (measured.verdict === 'observed') {
      explanation = `${upstream}, but the capture shows it (${measured.proof.slice(0, 4).join(', ')}${measured.proof.length > 4 ? ', ...' : ''}; rule ${measured.rules.join(', ')}). ${measured.reason}`;
    } else if (measured.verdict === 'partially') {
      explanation = `${upstream}; the capture shows the activity but not everything: ${measured.reason.replace(/^Partially: /, '')}`;
    } else {
      explanation = `${upstream}, but the capture has no event for it with the project's rules: ${measured.reason.replace(/^Not observed: /, '')}`;
    }
    cells[sub.id] = { claimed: claimed.status, measured: measured.status, agree, explanation };
  }
  return { vendor: vendorId, name: vendor.name, cells };
}
