// The inexact-input page's worker: holds the state and the jobs (Rust, through wasm) and runs
// them a step at a time with progress and Cancel: first the current state's cell (FIRENET and
// Chambolle-Pock in a blink, then LISTA's training, posted as it goes), then the nine-cell
// table (kept when only K or n change). Posts their numbers as JSON. No math here.

import init, { InexactDemo } from '../pkg/barriers_lab.js';
import { post, runPosting, serve } from './worker-common.js';

/** @param {InexactDemo} demo */
async function compute(demo, stale) {
  const state = JSON.parse(demo.state_json());
  const query = demo.query();
  post({ type: 'state', state, query });
  const postTable = () => post({ type: 'table', query, result: JSON.parse(demo.table_result()) });
  // The table held so far, with the new state's row marked.
  postTable();

  // The cell: the picture, the readouts and the curves.
  const postCell = () => post({ type: 'cell', query, result: JSON.parse(demo.cell_result()) });
  let finished = demo.cell_prepare();
  postCell();
  if (!finished) {
    let step = [0, 0, 0, 0, 0];
    const what = () => (step[3] ? `The cell: training LISTA, Adam step ${step[4]} of ${state.lista_steps}` : 'The cell: FIRENET and Chambolle-Pock');
    finished = await runPosting(what, () => (step = Array.from(demo.cell_step())), postCell, stale);
    if (stale()) return;
    postCell();
  }

  // The table, once the cell is done.
  if (finished) {
    finished = demo.table_prepare();
    postTable();
    if (!finished) {
      let cells = 0;
      const what = () => `The table: cell ${Math.min(cells + 1, 9)} of 9`;
      finished = await runPosting(
        what,
        () => {
          const s = Array.from(demo.table_step());
          cells = s[3];
          return s;
        },
        postTable,
        stale,
      );
      if (stale()) return;
      postTable();
    }
  }
  post({ type: 'shown', query, finished });
}

serve({
  init,
  make: () => new InexactDemo(''),
  schema: () => InexactDemo.schema(),
  compute,
  handlers: {
    // Continue after a Cancel: the jobs resume where they stopped.
    run: (_msg, _demo, { refresh }) => refresh(),
  },
});
