/** Read one capture (a lab one by name, or any path), classify (and enrich) it, and hand each batch to `add` (a detector). */
import { CaptureReader } from '../../src/capture/reader.js';
import { Classifier } from '../../src/classify/classifier.js';
import type { Darknet } from '../../src/config/darknet.js';
import { BatchPool, type PacketBatch } from '../../src/decode/batch.js';
import { Enricher } from '../../src/enrich/enricher.js';
import type { GeoDb } from '../../src/enrich/geo.js';
import { sharedFile } from './paths.js';

export async function feedLab(name: string, darknet: Darknet, add: (b: PacketBatch) => void): Promise<void> {
  await feedCapture(sharedFile(`lab/${name}.pcap`), darknet, add);
}

/** As ingest prepares batches for the detectors: classified, and enriched when `geo` is given. */
export async function feedCapture(path: string, darknet: Darknet, add: (b: PacketBatch) => void, geo?: GeoDb): Promise<void> {
  const pool = new BatchPool();
  const classifier = new Classifier(darknet);
  const enricher = geo ? new Enricher(geo, darknet.homeCountry) : null;
  const r = await CaptureReader.open(path, { pool });
  for await (const b of r.batches()) {
    classifier.classify(b);
    enricher?.enrich(b);
    add(b);
    pool.release(b);
  }
}
