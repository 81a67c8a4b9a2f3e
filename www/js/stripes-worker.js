// The stripes page's worker: holds the state and the training job (Rust, through wasm) and
// runs it a step at a time with progress and Cancel: the network's training (its curve posted
// as it goes), the scores, then DeepFool on test images. Posts the numbers as JSON and the
// pictures as RGBA pixels made by Rust. A drawing is classified and attacked here. No math.

import init, { StripesDemo, image_rgba, perturbation_rgba } from '../pkg/barriers_lab.js';
import { message, post, runPosting, serve } from './worker-common.js';

/** A picture's RGBA pixels: as the network gets it, and on the magnified colour scale. */
function rgba(pixels, side, scale) {
  const v = new Float64Array(pixels);
  return { grey: image_rgba(v, side), colour: perturbation_rgba(v, side, scale) };
}

/** The pictures of the trained network (a training image, a test image, its false twin and
 *  DeepFool's r) as RGBA, with their captions' numbers. */
function postPictures(demo, query) {
  const p = JSON.parse(demo.pictures());
  const side = p.size;
  const out = { side, scale: p.magnify };
  const transfer = [];
  for (const k of ['train', 'test', 'false_twin']) {
    const { pixels, ...rest } = p[k];
    const img = rgba(pixels, side, p.magnify);
    out[k] = { ...rest, ...img };
    transfer.push(img.grey.buffer, img.colour.buffer);
  }
  if (p.perturbation) {
    const { r, scaled, perturbed, ...rest } = p.perturbation;
    const rImg = perturbation_rgba(new Float64Array(r), side, 0);
    const adv = perturbation_rgba(new Float64Array(perturbed), side, p.magnify);
    out.perturbation = { ...rest, r: rImg, adv };
    transfer.push(rImg.buffer, adv.buffer);
  }
  post({ type: 'pictures', query, pictures: out }, transfer);
}

/** @param {StripesDemo} demo */
async function compute(demo, stale) {
  const state = JSON.parse(demo.state_json());
  const query = demo.query();
  post({ type: 'state', state, query });
  const postResult = () => post({ type: 'result', query, result: JSON.parse(demo.result()) });
  let finished = demo.prepare();
  postResult();
  let pictured = false;
  const picture = (s) => {
    // Once trained: the pictures without DeepFool's r, and again when the attacks are done.
    if (s[3] && !pictured) {
      pictured = true;
      postPictures(demo, query);
    }
  };
  if (finished) picture([0, 0, 1, 1]);
  if (!finished) {
    let step = [0, 0, 0, 0, 0];
    const what = () => (step[3] ? 'Scoring the network and attacking test images with DeepFool' : `Training: epoch ${step[4]} of ${state.epochs}`);
    finished = await runPosting(
      what,
      () => {
        step = Array.from(demo.step());
        picture(step);
        return step;
      },
      postResult,
      stale,
    );
    if (stale()) return;
    postResult();
  }
  if (finished) postPictures(demo, query);
  post({ type: 'shown', query, finished });
}

serve({
  init,
  make: () => new StripesDemo(''),
  schema: () => StripesDemo.schema(),
  compute,
  handlers: {
    // Continue after a Cancel: the job resumes where it stopped.
    run: (_msg, _demo, { refresh }) => refresh(),
    // A drawing from the pad: made 32 x 32 on the chosen background, classified and attacked.
    draw(msg, demo) {
      try {
        const d = JSON.parse(demo.drawing(msg.rgba, msg.width, msg.height, msg.sign));
        const side = d.size;
        const img = rgba(d.pixels, side, d.magnify);
        const r = perturbation_rgba(new Float64Array(d.perturbation.r), side, 0);
        post({ type: 'drawn', drawn: { ...d, pixels: undefined, image: img, r, perturbation: { ...d.perturbation, r: undefined, scaled: undefined, perturbed: undefined } } }, [img.grey.buffer, img.colour.buffer, r.buffer]);
      } catch (e) {
        post({ type: 'error', source: 'drawing', message: message(e) });
      }
    },
  },
});
