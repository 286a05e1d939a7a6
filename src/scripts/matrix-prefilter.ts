/**
 * Filters the static matrix from the first keystroke, while the matrix island (React, TanStack
 * Table, ~90 KB) is still loading: a reader who taps the filter box and types at once sees the
 * table filtered, and the island takes the text, caret and focus over as they are when it
 * hydrates (it marks its form `data-ready`; from then on this script stands aside). Like the
 * island, it redraws the table once the box has painted the keystroke and the typing has paused
 * (`lib/redraw-scheduler.ts`). The rule is the island's own (`lib/explorer-filter.ts` through
 * `lib/explorer-dom.ts`). Inside the island it writes only the summary's text (which React
 * hydrates with `suppressHydrationWarning`): any other difference from the server's markup would
 * make React render the island afresh and drop the reader's focus.
 */
import { filterStaticRows, readStaticMatrix, type StaticMatrix } from '../lib/explorer-dom.ts';
import { summaryText } from '../lib/explorer-filter.ts';
import { createRedrawScheduler, TYPING_PAUSE_MS } from '../lib/redraw-scheduler.ts';

const form = document.querySelector<HTMLFormElement>('.explorer form');
const input = form?.querySelector<HTMLInputElement>('input[name="q"]');
const summary = form?.querySelector<HTMLElement>('.summary');
let matrix: StaticMatrix | null | undefined;
const redraw = createRedrawScheduler();

function filter() {
  if (!form || !input || form.hasAttribute('data-ready')) return;
  matrix ??= readStaticMatrix(document.querySelector<HTMLTableElement>('#static-matrix table'));
  if (!matrix) return;
  const shown = filterStaticRows(matrix, input.value);
  const vendors = matrix.head.cells.length;
  if (summary)
    summary.textContent = summaryText(
      { shown, total: matrix.rowCount },
      { shown: vendors, total: vendors },
    );
}

input?.addEventListener('input', () => redraw.schedule(filter, TYPING_PAUSE_MS));
// Text typed before this script ran (it is a deferred module) counts too.
if (input?.value) redraw.schedule(filter);
