// The attack page's worker: owns the data, the models and the state (Rust, through wasm);
// runs the attack whenever the state changes and posts the pictures as RGBA pixels.

import init, { AttackDemo, image_rgba, perturbation_rgba } from '../pkg/barriers_lab.js';
import { post, message, ensureLoaded, runJob, cancelJob, refresher } from './worker-common.js';

/** @type {AttackDemo} */
let demo;

async function compute() {
  await ensureLoaded(demo);
  const o = JSON.parse(demo.run());
  const side = o.side;
  const pictures = {
    image: image_rgba(new Float64Array(o.image), side),
    perturbation: perturbation_rgba(new Float64Array(o.perturbation), side, 0),
    adversarial: image_rgba(new Float64Array(o.adversarial), side),
    steps: o.steps.map((s) => image_rgba(new Float64Array(s), side)),
  };
  delete o.image;
  delete o.adversarial;
  delete o.steps;
  post(
    {
      type: 'result',
      query: demo.query(),
      state: JSON.parse(demo.state_json()),
      outcome: o,
      table: JSON.parse(demo.all_attacks()),
      model: JSON.parse(demo.model_info()),
      classNames: JSON.parse(demo.class_names()),
      pictures,
    },
    [pictures.image.buffer, pictures.perturbation.buffer, pictures.adversarial.buffer, ...pictures.steps.map((s) => s.buffer)],
  );
}

const refresh = refresher(compute, (e) => post({ type: 'error', source: 'internal', message: message(e) }));

/** Applies a change of state; a refused one is reported and changes nothing. */
function apply(source, fn) {
  try {
    fn();
  } catch (e) {
    post({ type: 'error', source, message: message(e) });
  }
  refresh();
}

async function ratios() {
  try {
    await ensureLoaded(demo);
    demo.start_ratios();
    const finished = await runJob('Attacking test images', () => {
      const [d, t] = demo.ratios_step(1);
      return [d, t, d >= t];
    });
    post({ type: 'ratios', result: JSON.parse(demo.ratios_result()), finished, state: JSON.parse(demo.state_json()) });
  } catch (e) {
    post({ type: 'error', source: 'internal', message: message(e) });
  }
}

async function train(seed, epochs) {
  try {
    await ensureLoaded(demo);
    demo.start_training(seed, epochs);
    await runJob('Training, epoch', () => {
      const [d, t] = demo.training_step();
      return [d, t, d >= t];
    });
    post({ type: 'trained', info: JSON.parse(demo.finish_training()) });
    refresh();
  } catch (e) {
    post({ type: 'error', source: 'internal', message: message(e) });
  }
}

self.onmessage = (ev) => {
  const msg = ev.data;
  if (!demo) return;
  switch (msg.type) {
    case 'load':
      apply(msg.first ? 'link' : 'link-edit', () => demo.set_query(msg.query));
      break;
    case 'set':
      apply(msg.source || 'control', () => demo.set_state_json(msg.json ?? JSON.stringify({ ...JSON.parse(demo.state_json()), ...msg.changes })));
      break;
    case 'draw':
      apply('drawing', () => demo.set_drawing(msg.ink, msg.width, msg.height));
      break;
    case 'ratios':
      ratios();
      break;
    case 'train':
      train(msg.seed, msg.epochs);
      break;
    case 'cancel':
      cancelJob();
      break;
    case 'save-model':
      try {
        const bytes = demo.model_file();
        post({ type: 'model-file', bytes }, [bytes.buffer]);
      } catch (e) {
        post({ type: 'error', source: 'internal', message: message(e) });
      }
      break;
    case 'load-model':
      apply('file', () => demo.load_model_file(msg.bytes));
      break;
    case 'shipped-model':
      demo.forget_model();
      refresh();
      break;
    default:
      post({ type: 'error', source: 'internal', message: `unknown message ${msg.type}` });
  }
};

init()
  .then(() => {
    demo = new AttackDemo();
    post({ type: 'ready', schema: JSON.parse(AttackDemo.schema()) });
  })
  .catch((e) => post({ type: 'error', source: 'internal', message: `could not start WebAssembly: ${message(e)}` }));
