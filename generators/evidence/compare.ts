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
  /** Rule id → its description (rules/<format>.json), to say what records show a cell. */
  ruleDescriptions: ReadonlyMap<string, string> = new Map(),
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
    const cause = causeOf(measured, ruleDescriptions);
    let explanation: string;
    if (agree) {
      explanation = `Measured and claimed agree: ${label(measured.status)}. ${measured.reason}`;
    } else if (measured.verdict === 'not-testable') {
      explanation = `${upstream}; the measurement cannot say: ${stripVerdict(measured.reason)}`;
    } else {
      explanation = `${upstream}; measured ${label(measured.status)}: ${cause}`;
    }
    cells[sub.id] = {
      claimed: claimed.status,
      measured: measured.status,
      agree,
      explanation,
      ...(agree ? {} : { cause }),
      ...(claimed.reason ? { claimedReason: claimed.reason } : {}),
      ...(measured.setting === undefined ? {} : { setting: measured.setting }),
    };
  }
  return { vendor: vendorId, name: vendor.name, cells };
}

const stripVerdict = (reason: string) =>
  reason.replace(/^(Yes|No|Partially|Not tested|Not testable here|Observed|Not observed): /, '');

/**
 * Why the measurement says what it says, in one or two sentences: the setting it needed, the
 * records that show it (from the rules' own descriptions), and what is missing or wrong.
 */
function causeOf(
  cell: EvidenceFile['cells'][string],
  ruleDescriptions: ReadonlyMap<string, string>,
): string {
  const setting =
    cell.setting === undefined
      ? ''
      : `Only with a non-default setting: ${cell.setting}; without it the sensor records less. `;
  const seen = cell.rules
    .map((id) => ruleDescriptions.get(id))
    .find((d): d is string => d !== undefined);
  const stripped = stripVerdict(cell.reason);
  const what = stripped.charAt(0).toUpperCase() + stripped.slice(1);
  switch (cell.verdict) {
    case 'observed':
      return `${setting}${seen === undefined ? '' : `Recorded as: ${seen} `}${what}`;
    case 'partially':
      return `${setting}${seen === undefined ? '' : `Recorded as: ${seen} `}Not complete: ${stripped}`;
    case 'not-observed':
      return `${setting}Not recorded: ${stripped}`;
    default:
      return `Not tested: ${stripped}`;
  }
}
