/**
 * AnalysisSummary of a capture split between two summaries (as the workers
 * split it), moved through structured clone and merged, equals the summary of
 * the whole capture in one piece.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisSummary, type SummaryContext } from '../../src/analyze/summary.js';
import { CaptureSet } from '../../src/capture/merge.js';
import { Classifier } from '../../src/classify/classifier.js';
import { Darknet } from '../../src/config/darknet.js';
import { BatchPool } from '../../src/decode/batch.js';
import { Enricher } from '../../src/enrich/enricher.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { sharedFile } from '../helpers/paths.js';

test('AnalysisSummary: halves merged through toState/fromState equal the whole (scans, backscatter, three files)', async () => {
  const geo = await GeoDb.load();
  // The lab telescope (100.64.0.0/22) and two stopddos captures seen at their victim 10.10.10.10.
  const darknet = Darknet.fromCidrs(['100.64.0.0/22', '10.10.10.10/32']);
  const files = ['lab/telescope_all.pcap', 'real/stopddos/amp.TCP.reflection.SYNACK.pcap', 'real/stopddos/pkt.TCP.synflood.spoofed.pcap'].map(sharedFile);
  const classifier = new Classifier(darknet);
  const enricher = new Enricher(geo, darknet.homeCountry);
  const whole = new AnalysisSummary();
  const halves = [new AnalysisSummary(), new AnalysisSummary()];
  const set = await CaptureSet.open(files, { pool: new BatchPool(300) });
  let batches = 0;
  for await (const b of set.batches()) {
    classifier.classify(b);
    enricher.enrich(b);
    whole.add(b);
    halves[batches++ % 3 === 0 ? 0 : 1].add(b); // uneven split: one third and two thirds
    set.pool.release(b);
  }
  assert.ok(batches > 100, `${batches} batches`);
  const merged = AnalysisSummary.fromState(structuredClone(halves[0].toState().state));
  merged.merge(AnalysisSummary.fromState(structuredClone(halves[1].toState().state)));
  const ctx: SummaryContext = { sensors: darknet.sensors.map((s) => ({ id: s.id, name: s.name, sizeV4: s.sizeV4 })), sizeV4: darknet.sizeV4, homeCountry: 'JP', asName: (a) => geo.asName(a) };
  const want = whole.toJSON(ctx, 50);
  assert.equal(want.packets, 7172 + 8000 + 37_841);
  assert.ok(want.victimCount > 1000, `many reflectors as victims: ${want.victimCount}`);
  assert.deepEqual(merged.toJSON(ctx, 50), want);
});
