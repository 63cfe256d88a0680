/** Read one lab capture, classify it, and hand each batch to `add` (a detector). */
import { CaptureReader } from '../../src/capture/reader.js';
import { Classifier } from '../../src/classify/classifier.js';
import type { Darknet } from '../../src/config/darknet.js';
import { BatchPool, type PacketBatch } from '../../src/decode/batch.js';
import { sharedFile } from './paths.js';

export async function feedLab(name: string, darknet: Darknet, add: (b: PacketBatch) => void): Promise<void> {
  const pool = new BatchPool();
  const classifier = new Classifier(darknet);
  const r = await CaptureReader.open(sharedFile(`lab/${name}.pcap`), { pool });
  for await (const b of r.batches()) {
    classifier.classify(b);
    add(b);
    pool.release(b);
  }
}
