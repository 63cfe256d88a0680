/**
 * A worker stage for the WorkerStage tests: counts rows, and fails on the
 * batch whose first source address is 0.0.0.1 (hand-set by the test), or on
 * finish when init asks for it.
 */
import { isMainThread } from 'node:worker_threads';
import { hostStage } from '../../src/pipeline/worker-host.js';

let rows = 0;
let failOnFinish = false;
// The test runner also loads this file as a test (everything under dist/test): then it does nothing.
if (!isMainThread)
  hostStage<{ failOnFinish: boolean }, { rows: number }>({
  init(init) {
    failOnFinish = init.failOnFinish;
  },
  batch(b) {
    if (b.length > 0 && b.src[0] === 1) throw new Error('batch with source 0.0.0.1 rejected');
    rows += b.length;
  },
  finish() {
    if (failOnFinish) throw new Error('finish failed');
    return { result: { rows } };
  },
});
