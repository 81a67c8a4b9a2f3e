// The slide protocol: how a slide deck and a demo embedded in it talk, by window.postMessage.
// One module for both ends: the demo pages import `listenForDeck`; a reveal.js deck registers
// the plugin `LabDemos()`; any other deck (or a course page's own script) can post the same
// messages with `tell(iframe, message)`.
//
// The deck tells the demo (posted to the iframe's contentWindow):
//   'slide:start', 'slide:stop'    the demo's slide was shown / left (reveal.js posts these
//                                  strings itself to every iframe of a slide it shows or leaves)
//   {lab: 'resume'}, {lab: 'suspend'}   the same, for decks that are not reveal.js
//   {lab: 'link', query}           replace the state by a link's (URL hash, without '#'):
//                                  read leniently, so a bad key is dropped and named, not fatal
//   {lab: 'set', query}            change some keys of the current state ('eps=0.05')
//   {lab: 'reset'}                 the default state
//   {lab: 'run'}, {lab: 'step'}    the page's main action, one step of it (the buttons marked
//                                  data-deck="run" / "step"; a page without one ignores it)
//
// The demo tells the deck (posted to window.parent):
//   {lab: 'ready', page}           its controls are built; it takes messages
//   {lab: 'drawn', page, query}    it shows the complete figure of `query`
//   {lab: 'escape'}                Escape was pressed in the demo: give the keyboard back
//   {lab: 'key', key}              a navigation key the demo does not use (arrows, Page Up or
//                                  Down on no control): the deck moves as if it had the focus
//
// A suspended demo holds back every change for its worker and its worker's running jobs
// wait, so a demo on a slide that is not shown computes nothing. A demo opened with
// `?paused=1` starts suspended: a deck that preloads its neighbouring slides' demos gives
// them that flag, and each computes its figure only once its slide is shown.

/** Keys a demo hands on to the deck when nothing in the demo uses them. */
const NAV_KEYS = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'PageUp', 'PageDown'];

// ------------------------------------------------------------------------- the demo's end

/**
 * Listens for a deck's messages (from the parent window only). `on` answers them; the
 * demo posts `ready`, `drawn`, `escape` and `key` through the returned functions.
 * @param {{suspend: () => void, resume: () => void, link: (q: string) => void, set: (q: string) => void,
 *          reset: () => void, run: () => void, step: () => void}} on
 */
export function listenForDeck(on) {
  const inFrame = window.parent !== window;
  const toDeck = (msg) => inFrame && window.parent.postMessage(msg, '*');
  window.addEventListener('message', (ev) => {
    if (!inFrame || ev.source !== window.parent) return;
    const d = ev.data;
    if (d === 'slide:start') return on.resume();
    if (d === 'slide:stop') return on.suspend();
    if (!d || typeof d !== 'object' || typeof d.lab !== 'string') return;
    const query = typeof d.query === 'string' ? d.query.replace(/^#/, '') : '';
    switch (d.lab) {
      case 'resume':
        return on.resume();
      case 'suspend':
        return on.suspend();
      case 'link':
        return on.link(query);
      case 'set':
        return on.set(query);
      case 'reset':
        return on.reset();
      case 'run':
        return on.run();
      case 'step':
        return on.step();
      default:
    }
  });
  if (inFrame) {
    // Escape gives the keyboard back to the deck; a navigation key that no control of the
    // demo uses moves the deck. Keys go nowhere while the demo does not have the focus, so
    // the demo never takes one from the deck before it is clicked.
    document.addEventListener('keydown', (ev) => {
      if (ev.defaultPrevented) return;
      const t = /** @type {HTMLElement} */ (ev.target);
      const onControl = t && t !== document.body && t.matches('input, select, textarea, [tabindex], [contenteditable]');
      if (ev.key === 'Escape') {
        t?.blur?.();
        toDeck({ lab: 'escape' });
      } else if (NAV_KEYS.includes(ev.key) && !onControl && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
        ev.preventDefault();
        toDeck({ lab: 'key', key: ev.key });
      }
    });
  }
  return {
    ready: (page) => toDeck({ lab: 'ready', page }),
    drawn: (page, query) => toDeck({ lab: 'drawn', page, query }),
  };
}

/**
 * `base` with the keys of `changes` put in (a key in both takes its value from `changes`);
 * both are URL hashes (`key=value&...`), kept as written (a value is not re-encoded).
 */
export function mergeQuery(base, changes) {
  const pairs = (q) => q.split('&').filter(Boolean).map((p) => [p.split('=')[0], p]);
  const out = new Map(pairs(base));
  for (const [k, p] of pairs(changes)) out.set(k, p);
  return [...out.values()].join('&');
}

// ------------------------------------------------------------------------- the deck's end

/** Posts a protocol message to a demo in an iframe. */
export function tell(iframe, msg) {
  iframe?.contentWindow?.postMessage(msg, '*');
}

/**
 * The reveal.js plugin: `Reveal.initialize({ plugins: [LabDemos()] })`.
 *
 * - A fragment with `data-lab-set="key=value&..."` changes the demo of its slide when it is
 *   shown, and changes it back when it is hidden: the demo shows the iframe's link with the
 *   keys of every fragment shown so far. A fragment with `data-lab-run` (or `data-lab-step`)
 *   presses the demo's main button when it is shown.
 * - `Escape` in a demo, or a navigation key it does not use, gives the keyboard back to the
 *   deck (and the key moves the deck).
 * - Printed (`?print-pdf`), or where WebAssembly is unavailable, the deck shows each slide's
 *   poster instead of its live demo (an img of class lab-poster, whose data-poster attribute
 *   names the file, loaded only then; class `lab-posters` on the root element), and loads no
 *   demo.
 * - reveal.js itself posts 'slide:start' / 'slide:stop' to the demos of the slides it shows
 *   and leaves; demos that stay loaded (`data-preload`) are suspended while not shown.
 */
export function LabDemos() {
  return {
    id: 'lab-demos',
    /** @param {any} deck a reveal.js instance */
    init(deck) {
      const root = document.documentElement;
      const printing = /print-pdf/i.test(location.search);
      if (printing || typeof WebAssembly !== 'object') {
        root.classList.add('lab-posters');
        for (const f of document.querySelectorAll('.reveal iframe[data-src]')) f.remove();
        for (const img of document.querySelectorAll('.reveal img.lab-poster[data-poster]')) img.setAttribute('src', img.getAttribute('data-poster'));
        return;
      }
      /** The demo of a slide, its link and the fragments that change it. */
      const demoOf = (slide) => /** @type {HTMLIFrameElement|null} */ (slide?.querySelector('iframe'));
      const baseOf = (iframe) => {
        const src = iframe.getAttribute('data-src') || iframe.getAttribute('src') || '';
        const i = src.indexOf('#');
        return i < 0 ? '' : src.slice(i + 1);
      };
      /** The link a slide's demo shows with the fragments shown so far. */
      const linkOf = (slide, iframe) => {
        let q = baseOf(iframe);
        for (const f of slide.querySelectorAll('.fragment.visible[data-lab-set]')) q = mergeQuery(q, f.getAttribute('data-lab-set'));
        return q;
      };
      const refresh = (ev) => {
        const slide = deck.getCurrentSlide();
        const iframe = demoOf(slide);
        if (!iframe) return;
        if ([...ev.fragments].some((f) => f.hasAttribute('data-lab-set'))) tell(iframe, { lab: 'link', query: linkOf(slide, iframe) });
        if (ev.type === 'fragmentshown') {
          for (const f of ev.fragments) {
            if (f.hasAttribute('data-lab-run')) tell(iframe, { lab: 'run' });
            if (f.hasAttribute('data-lab-step')) tell(iframe, { lab: 'step' });
          }
        }
      };
      deck.on('fragmentshown', refresh);
      deck.on('fragmenthidden', refresh);

      window.addEventListener('message', (ev) => {
        const d = ev.data;
        if (!d || typeof d !== 'object' || typeof d.lab !== 'string') return;
        const iframe = [...document.querySelectorAll('.reveal iframe')].find((f) => /** @type {HTMLIFrameElement} */ (f).contentWindow === ev.source);
        if (!iframe) return;
        const slide = iframe.closest('section');
        if (d.lab === 'ready' && slide) {
          // A demo that (re)loads on a slide whose fragments are already shown takes their state.
          if (slide.querySelector('.fragment.visible[data-lab-set]')) tell(iframe, { lab: 'link', query: linkOf(slide, iframe) });
          // reveal.js posts 'slide:start' when the slide is shown, which a demo still loading
          // misses: its 'ready' answers with where its slide is now.
          tell(iframe, slide === deck.getCurrentSlide() ? 'slide:start' : 'slide:stop');
        } else if (d.lab === 'escape' || d.lab === 'key') {
          /** @type {HTMLIFrameElement} */ (iframe).blur();
          /** @type {HTMLElement} */ (document.activeElement)?.blur?.();
          window.focus();
          if (d.lab === 'key') {
            if (['ArrowRight', 'ArrowDown', 'PageDown'].includes(d.key)) deck.next();
            else if (['ArrowLeft', 'ArrowUp', 'PageUp'].includes(d.key)) deck.prev();
          }
        }
      });
    },
  };
}
