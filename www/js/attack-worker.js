// The attack page's worker: owns the data, the models and the state (Rust, through wasm);
// runs the attack whenever the state changes and posts the pictures as RGBA pixels. The ratio
// table's images are independent: a pool of helpers (this file with ?helper, one per core;
// pool.js) attacks those this worker has not started, with the same numbers (a model retrained
// here or chosen by the student stays with this worker).

import init, { AttackDemo, image_rgba, perturbation_rgba } from '../pkg/barriers_lab.js';
import { post, message, ensureLoaded, exposeMemory, runJob, serve } from './worker-common.js';
import { Pool, compileModule, isHelper, serveHelper } from './pool.js';

/** The compiled module, shared with the helpers. */
let compiled = null;
const pool = new Pool(new URL(import.meta.url), () => compiled);

/** @param {AttackDemo} demo */
async function compute(demo) {
  await ensureLoaded(demo);
  const o = JSON.parse(demo.run());
  const side = o.side;
  const pictures = {
    image: image_rgba(new Float64Array(o.image), side),
    perturbation: perturbation_rgba(new Float64Array(o.perturbation), side, 0),
    adversarial: image_rgba(new Float64Array(o.adversarial), side),
    steps: o.steps.map((s) => image_rgba(new Float64Array(s), side)),
  };
  const table = o.table;
  delete o.image;
  delete o.adversarial;
  delete o.steps;
  delete o.table;
  post(
    {
      type: 'result',
      query: demo.query(),
      state: JSON.parse(demo.state_json()),
      outcome: o,
      table,
      model: JSON.parse(demo.model_info()),
      classNames: JSON.parse(demo.class_names()),
      pictures,
    },
    [pictures.image.buffer, pictures.perturbation.buffer, pictures.adversarial.buffer, ...pictures.steps.map((s) => s.buffer)],
  );
}

/** Runs `work` and reports its failure as the page's error. */
async function guarded(work) {
  try {
    await work();
  } catch (e) {
    post({ type: 'error', source: 'internal', message: message(e) });
  }
}

/** @param {AttackDemo} demo */
const ratios = (demo) =>
  guarded(async () => {
    await ensureLoaded(demo);
    demo.start_ratios();
    const query = demo.query();
    const finished = await runJob(
      'Attacking test images',
      () => {
        const [d, t] = demo.ratios_step(1);
        return [d, t, d >= t];
      },
      {
        // A part is [run, part, test index] (the Rust names it).
        pool: pool.runner({
          handOut: () => demo.ratios_hand_out(),
          message: (part) => ({ index: part[2], query }),
          put: (part, numbers) => demo.ratios_put(part[0], part[1], numbers),
          takeBack: (part) => demo.ratios_take_back(part[0], part[1]),
          waiting: () => demo.ratios_waiting(),
        }),
      },
    );
    post({ type: 'ratios', result: JSON.parse(demo.ratios_result()), finished, state: JSON.parse(demo.state_json()) });
  });

/** @param {AttackDemo} demo */
const train = (demo, seed, epochs, refresh) =>
  guarded(async () => {
    await ensureLoaded(demo);
    demo.start_training(seed, epochs);
    const finished = await runJob('Training, epoch', () => {
      const [d, t] = demo.training_step();
      return [d, t, d >= t];
    });
    // A cancelled run keeps the model that was there.
    if (!finished) return;
    post({ type: 'trained', info: JSON.parse(demo.finish_training()) });
    refresh();
  });

if (isHelper()) {
  // A helper: attacks the test images it is sent with the state of their link, after loading
  // its data set and (shipped) model.
  serveHelper(
    async (module) => {
      exposeMemory(await init({ module_or_path: module }));
      return new AttackDemo();
    },
    async (demo, msg) => {
      if (demo.query() !== msg.query) demo.set_query(msg.query);
      await ensureLoaded(demo);
      return demo.ratio_image(msg.index);
    },
  );
} else {
  serve({
    init: async () => {
      compiled = await compileModule();
      return init({ module_or_path: compiled });
    },
    make: () => new AttackDemo(),
    schema: () => AttackDemo.schema(),
    compute,
    handlers: {
      draw: (msg, demo, { apply }) => apply('drawing', () => demo.set_drawing(msg.rgba, msg.width, msg.height)),
      ratios: (_msg, demo) => ratios(demo),
      train: (msg, demo, { refresh }) => train(demo, msg.seed, msg.epochs, refresh),
      'save-model': (_msg, demo) =>
        guarded(async () => {
          const bytes = demo.model_file();
          post({ type: 'model-file', bytes }, [bytes.buffer]);
        }),
      'load-model': (msg, demo, { apply }) => apply('file', () => demo.load_model_file(msg.bytes)),
      'shipped-model': (_msg, demo, { refresh }) => {
        demo.forget_model();
        refresh();
      },
    },
  });
}
