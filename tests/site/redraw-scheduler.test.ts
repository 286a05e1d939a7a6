import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRedrawScheduler } from '../../src/lib/redraw-scheduler.ts';

// Frames are driven by hand: a redraw must wait for the frame (the paint of the control's answer)
// and then for the pause, and only the newest view is drawn.
let frames: Map<number, FrameRequestCallback>;
let nextId: number;
const runFrame = () => {
  const pending = [...frames.values()];
  frames.clear();
  for (const callback of pending) callback(0);
};

beforeEach(() => {
  vi.useFakeTimers();
  frames = new Map();
  nextId = 1;
  vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => {
    frames.set(nextId, callback);
    return nextId++;
  });
  vi.stubGlobal('cancelAnimationFrame', (id: number) => frames.delete(id));
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('the matrix redraw scheduler', () => {
  it('draws only after the next frame has painted, never in the input’s own task', () => {
    const draw = vi.fn();
    createRedrawScheduler().schedule(draw);
    vi.runAllTimers();
    expect(draw).not.toHaveBeenCalled();
    runFrame();
    expect(draw).not.toHaveBeenCalled();
    vi.runAllTimers();
    expect(draw).toHaveBeenCalledOnce();
  });

  it('waits for the typing pause after the paint', () => {
    const draw = vi.fn();
    createRedrawScheduler().schedule(draw, 250);
    runFrame();
    vi.advanceTimersByTime(249);
    expect(draw).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(draw).toHaveBeenCalledOnce();
  });

  it('draws only the newest view when changes come faster than redraws', () => {
    const scheduler = createRedrawScheduler();
    const first = vi.fn();
    const second = vi.fn();
    const third = vi.fn();
    scheduler.schedule(first, 250);
    runFrame();
    vi.advanceTimersByTime(100);
    scheduler.schedule(second, 250);
    scheduler.schedule(third, 250);
    runFrame();
    vi.runAllTimers();
    expect(first).not.toHaveBeenCalled();
    expect(second).not.toHaveBeenCalled();
    expect(third).toHaveBeenCalledOnce();
  });

  it('draws nothing once cancelled', () => {
    const draw = vi.fn();
    const scheduler = createRedrawScheduler();
    scheduler.schedule(draw);
    scheduler.cancel();
    runFrame();
    vi.runAllTimers();
    expect(draw).not.toHaveBeenCalled();
  });
});
