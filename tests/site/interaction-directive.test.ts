import { afterEach, describe, expect, it, vi } from 'vitest';
import interaction from '../../src/directives/interaction.ts';

/** A stand-in window: real EventTarget dispatch, a settable query string. */
function fakeWindow(search: string) {
  const target = new EventTarget();
  return Object.assign(target, { location: { search } });
}

function setup(search: string) {
  const win = fakeWindow(search);
  vi.stubGlobal('window', win);
  const hydrate = vi.fn(async () => {});
  const load = vi.fn(async () => hydrate);
  interaction(load, { name: 'MatrixExplorer', value: '' }, {} as HTMLElement);
  return { win, load, hydrate };
}

afterEach(() => vi.unstubAllGlobals());

describe('client:interaction', () => {
  it('loads nothing until the reader interacts, then hydrates once', async () => {
    const { win, load, hydrate } = setup('');
    await Promise.resolve();
    expect(load).not.toHaveBeenCalled();
    win.dispatchEvent(new Event('pointermove'));
    win.dispatchEvent(new Event('keydown'));
    win.dispatchEvent(new Event('scroll'));
    await vi.waitFor(() => expect(hydrate).toHaveBeenCalledTimes(1));
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('hydrates at once when the address carries a shared view', async () => {
    const { load, hydrate } = setup('?q=dns');
    await vi.waitFor(() => expect(hydrate).toHaveBeenCalledTimes(1));
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('ignores events it does not listen to', async () => {
    const { win, load } = setup('');
    win.dispatchEvent(new Event('resize'));
    await Promise.resolve();
    expect(load).not.toHaveBeenCalled();
  });
});
