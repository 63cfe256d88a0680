/**
 * The worker pipeline: WorkerStage hands shared batches to worker threads and
 * gets them back; analyze() gives the same report with workers as without.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { analyze } from '../../src/analyze/run.js';
import { Darknet } from '../../src/config/darknet.js';
import { BatchPool } from '../../src/decode/batch.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { WorkerStage } from '../../src/pipeline/worker-stage.js';
import { sharedFile } from '../helpers/paths.js';
import { tmpFile } from '../helpers/tmp.js';

const STAGE = new URL('../helpers/failing-stage.js', import.meta.url);

/** Hand-set rows (no capture needed: the stage only counts them). */
function fill(pool: BatchPool, rows: number, firstSrc = 100) {
  const b = pool.acquire();
  b.length = rows;
  b.src[0] = firstSrc;
  return b;
}

test('WorkerStage: every row reaches a worker once, both workers work, batches come back (memory bounded by the in-flight cap)', async () => {
  const pool = new BatchPool(64, 32, true);
  const stage = new WorkerStage<{ rows: number }>(STAGE, { failOnFinish: false }, pool, 3, 2);
  const seen = new Set<unknown>();
  let sent = 0;
  for (let i = 0; i < 200; i++) {
    const b = fill(pool, 1 + (i % 64));
    seen.add(b);
    sent += b.length;
    await stage.send(b);
  }
  const results = await stage.finish();
  assert.equal(results.length, 2);
  assert.equal(results[0].rows + results[1].rows, sent);
  assert.ok(results[0].rows > 0 && results[1].rows > 0, `split ${results[0].rows} / ${results[1].rows}`);
  // At most 3 out with the workers plus the one being filled: never more than 4 buffers.
  assert.ok(seen.size <= 4, `${seen.size} distinct batches`);
  assert.equal(pool.idle, seen.size, 'every batch returned to the pool');
});

test('WorkerStage: a worker error rejects the producer with its message (no hang); an error in finish too', async () => {
  const pool = new BatchPool(16, 8, true);
  const stage = new WorkerStage<{ rows: number }>(STAGE, { failOnFinish: false }, pool, 2, 2);
  await assert.rejects(async () => {
    await stage.send(fill(pool, 5));
    await stage.send(fill(pool, 5, 1)); // this one the worker rejects
    for (let i = 0; i < 100; i++) await stage.send(fill(pool, 5));
    await stage.finish();
  }, /source 0\.0\.0\.1 rejected/);
  await stage.abort();

  const late = new WorkerStage<{ rows: number }>(STAGE, { failOnFinish: true }, pool, 2, 1);
  await late.send(fill(pool, 5));
  await assert.rejects(late.finish(), /finish failed/);

  const plain = new WorkerStage<{ rows: number }>(STAGE, { failOnFinish: false }, new BatchPool(16), 2, 1);
  await assert.rejects(plain.send(new BatchPool(16).acquire()), /shared BatchPool/);
  await plain.abort();
});

test('analyze: the report with 1, 2 and 3 workers equals the one computed in this thread (small batches, many per worker)', async () => {
  const geo = await GeoDb.load({ shared: true });
  const darknet = Darknet.fromCidrs(['100.64.0.0/22', '10.10.10.10/32']);
  const files = ['lab/telescope_all.pcap', 'real/stopddos/amp.TCP.reflection.SYNACK.pcap', 'real/stopddos/pkt.TCP.synflood.spoofed.pcap', 'real/stratosphere/test7-malicious.pcap'].map(sharedFile);
  const inThread = await analyze(files, darknet, geo, { workers: 0, batchRows: 256, top: 50 });
  assert.equal(inThread.report.packets, 7172 + 8000 + 37_841 + 2000);
  for (const workers of [1, 2, 3]) {
    const r = await analyze(files, darknet, geo, { workers, batchRows: 256, top: 50 });
    const [a, b] = [inThread.report, r.report] as unknown as Record<string, unknown>[];
    const differ = Object.keys(a).filter((k) => !isDeepStrictEqual(a[k], b[k]));
    assert.deepEqual(differ, [], `${workers} workers: fields that differ`);
    assert.deepEqual(r.files, inThread.files);
  }
});

test('analyze with workers: unreadable inputs are reported, the readable ones counted, and the workers end', async () => {
  const geo = await GeoDb.load({ shared: true });
  const junk = tmpFile(Buffer.from('this is not a capture'), 'junk.pcap');
  const r = await analyze([junk, sharedFile('lab/nmap_syn.pcap'), '/nonexistent/x.pcap'], Darknet.fromCidrs(['100.64.0.0/22']), geo, { workers: 2 });
  assert.equal(r.report.packets, 320);
  assert.match(r.files[0].error!.message, /unknown file format/);
  assert.match(r.files[2].error!.message, /cannot open/);
});
