/**
 * One benchmark run, in its own process so peak RSS is this job's alone:
 * read + decode every packet of a capture into PacketBatches.
 * Prints one JSON line: packets, decoded, seconds, maxRssMB.
 */
import { CaptureReader } from '../src/capture/reader.js';
import { BatchPool } from '../src/decode/batch.js';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: read-decode FILE\n');
  process.exit(2);
}
const pool = new BatchPool();
const t0 = process.hrtime.bigint();
const reader = await CaptureReader.open(file, { pool });
let packets = 0;
for await (const b of reader.batches()) {
  packets += b.length;
  pool.release(b);
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const info = reader.info();
process.stdout.write(JSON.stringify({ packets, decoded: info.decoded, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, error: info.error }) + '\n');
