// The lecture deck: reveal.js (from npm, copied next to the deck by the build; no CDN) with
// the lab's slide protocol plugin, which suspends the demos of slides that are not shown,
// lets fragments change a demo, gives the keyboard back on Escape, and shows posters in
// print. Slides are 1280 x 720; each demo's iframe is 1200 x 560 (the pages' embed layout).
import Reveal from './vendor/reveal/reveal.mjs';
import { LabDemos } from '../www/js/slide-protocol.js';

const deck = new Reveal({
  width: 1280,
  height: 720,
  margin: 0.02,
  hash: true,
  // The next slide's demo is loaded ahead (and suspended), so that a slide's figure comes
  // soon after it is shown; demos further away are unloaded (reveal.js counts the current
  // slide in this distance).
  viewDistance: 2,
  transition: 'fade',
  // Printed, a slide is one page in its final state (its fragments shown), with its poster.
  pdfSeparateFragments: false,
  transitionSpeed: 'fast',
  plugins: [LabDemos()],
});
deck.initialize().then(() => document.documentElement.setAttribute('data-deck-ready', 'true'));
/** @type {any} */ (window).deck = deck;
