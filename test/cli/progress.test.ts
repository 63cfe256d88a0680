/** The progress display of long runs: redrawn on a terminal, log lines otherwise, nothing with --quiet. */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { Progress } from '../../src/cli/progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
}

test('progress on a terminal: one redrawn line (percent, rate, ETA) at most every 200 ms, a final line', () => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  try {
    let read = 0;
    const { writes, out } = sink(true);
    const p = new Progress('analyze', { progress: () => ({ bytesRead: read, bytesTotal: 1000 }) }, true, out);
    read = 250;
    p.tick(1_000_000);
    assert.equal(writes.length, 0, 'nothing before 200 ms');
    mock.timers.tick(1000);
    p.tick(1_000_000);
    assert.equal(writes.length, 1);
    assert.match(writes[0], /^\r\x1b\[2Kanalyze: {2}25\.0 % 2,000,000 packets, 2\.00 M packets\/s, ETA 3 s$/);
    p.tick(10); // within 200 ms of the last draw
    assert.equal(writes.length, 1);
    read = 1000;
    mock.timers.tick(1000);
    p.done();
    assert.match(writes.at(-1)!, /100\.0 % 2,000,010 packets, 1\.00 M packets\/s, 2\.0 s\n$/);
  } finally {
    mock.timers.reset();
  }
});

test('progress without a terminal: a plain line every 5 s; nothing at all when disabled (--quiet)', () => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  try {
    const log = sink(false);
    const p = new Progress('read', { progress: () => ({ bytesRead: 0, bytesTotal: 0 }) }, true, log.out);
    mock.timers.tick(4000);
    p.tick(5);
    assert.equal(log.writes.length, 0);
    mock.timers.tick(2000);
    p.tick(5);
    assert.equal(log.writes.length, 1);
    assert.match(log.writes[0], /^read: {2}10 packets, 0\.00 M packets\/s\n$/, 'no percentage or ETA when the size is unknown (a pipe)');
    const quiet = sink(true);
    const q = new Progress('read', { progress: () => ({ bytesRead: 1, bytesTotal: 2 }) }, false, quiet.out);
    mock.timers.tick(10_000);
    q.tick(1);
    q.done();
    assert.deepEqual(quiet.writes, []);
  } finally {
    mock.timers.reset();
  }
});
