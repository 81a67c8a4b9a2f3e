/// <reference types="node" />
// Reads a `wasm-pack test` log and fails unless the named suite really ran in the named
// environment and passed at least one test (wasm-pack exits 0 when it skips a suite).
// Usage: node scripts/check-wasm-log.mjs LOG node|chrome SUITE
import { readFileSync } from 'node:fs';

const [log, env, suite] = process.argv.slice(2);
const text = readFileSync(log, 'utf8');
// Each suite's section starts at a line "Running [unittests ]<suite>.rs (<file>.wasm)".
const starts = [...text.matchAll(/^\s*Running (?:unittests )?(\S+\.rs) \(/gm)];
const i = starts.findIndex((m) => m[1] === suite);
const section = i < 0 ? undefined : text.slice(starts[i].index, i + 1 < starts.length ? starts[i + 1].index : undefined);
const fail = (why) => {
  console.error(`check-wasm-log: ${suite} in ${env}: ${why}`);
  process.exit(1);
};
if (!section) fail('the suite did not run');
if (env === 'chrome' && !/Running headless tests in Chrome/.test(section)) fail('it did not run in headless Chrome');
if (env === 'node' && /only configured to run in a browser|Running headless tests/.test(section)) fail('it did not run in Node');
const m = section.match(/test result: ok\. (\d+) passed; (\d+) failed/);
if (!m) fail('no passing test result');
if (Number(m[1]) === 0) fail('zero tests ran');
console.log(`check-wasm-log: ${suite} ran in ${env}: ${m[1]} passed, ${m[2]} failed`);
