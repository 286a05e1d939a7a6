/**
 * `client:interaction`: hydrate an island when the reader first shows up (moves the pointer,
 * scrolls, touches, presses a key, focuses something), or at once when the address carries a
 * shared view (a query string). Until then the page is static HTML and costs no main-thread
 * time: the matrix island's React runtime is ~85 KB of script that would otherwise run on load.
 */
import type { ClientDirective } from 'astro';

const EVENTS = [
  'pointermove',
  'pointerdown',
  'keydown',
  'touchstart',
  'wheel',
  'scroll',
  'focusin',
];

const interaction: ClientDirective = (load) => {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    for (const name of EVENTS) window.removeEventListener(name, start, true);
    void load().then((hydrate) => hydrate());
  };
  if (window.location.search !== '') {
    start();
    return;
  }
  for (const name of EVENTS) window.addEventListener(name, start, { capture: true, passive: true });
};

export default interaction;
