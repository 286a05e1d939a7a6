/**
 * A matrix cell in React, for the matrix and compare islands. Draws `cellView`'s fields exactly
 * as `MatrixTable.astro` does (the build test compares the two), so a cell looks and reads the
 * same in the static table, the island and the comparison.
 */
import type { CellView } from '../lib/cell.ts';

export function MatrixCell({ view }: { view: CellView }) {
  if (view.kind === 'absent') return <td className="empty">{view.text}</td>;
  return (
    <td data-status={view.status} data-basis={view.basis}>
      <a href={view.href} aria-label={view.name}>
        {view.text}
        {view.notes.map((note) => (
          <span key={note} className="note">
            {note}
          </span>
        ))}
        {view.marker && <span className="basis">{view.marker}</span>}
      </a>
    </td>
  );
}
