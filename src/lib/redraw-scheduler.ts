/**
 * When the matrix is redrawn after a change of view: once the browser has painted the control's
 * own answer (the typed character, the ticked box, the turned arrow), never in the same frame.
 * Redrawing the Windows matrix (57 × 23 cells) costs a few hundred milliseconds of style, layout
 * and paint at 4x CPU throttling whatever the script does, and Event Timing measures an
 * interaction from its input to the next paint; the redraw must not be in that paint. While the
 * reader types, the redraw waits for a pause, so a keystroke does not land behind a redraw of the
 * text before it. Used by the pre-hydration filter script and by the island (one rule for both).
 */

/** How long the filter box must rest before the table follows it; a quick typist's gap is ~60-150 ms. */
export const TYPING_PAUSE_MS = 250;

export interface RedrawScheduler {
  /** Runs `draw` after the next paint, then after `pauseMs` more; replaces a redraw not yet run. */
  schedule(draw: () => void, pauseMs?: number): void;
  /** Drops the redraw not yet run, if any. */
  cancel(): void;
}

export function createRedrawScheduler(): RedrawScheduler {
  let frame = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancel = () => {
    if (frame) cancelAnimationFrame(frame);
    if (timer !== undefined) clearTimeout(timer);
    frame = 0;
    timer = undefined;
  };
  return {
    schedule(draw, pauseMs = 0) {
      cancel();
      // A frame callback runs just before the paint; a task queued from it runs after that paint.
      frame = requestAnimationFrame(() => {
        frame = 0;
        timer = setTimeout(() => {
          timer = undefined;
          draw();
        }, pauseMs);
      });
    },
    cancel,
  };
}
