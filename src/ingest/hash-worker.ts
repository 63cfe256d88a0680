/** Worker: SHA-256 of one file, streamed (see identity.ts). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const { path } = workerData as { path: string };
const h = createHash('sha256');
createReadStream(path, { highWaterMark: 4 << 20 })
  .on('data', (chunk) => h.update(chunk))
  .on('error', (e) => parentPort!.postMessage({ error: e.message }))
  .on('end', () => parentPort!.postMessage({ sha256: h.digest('hex') }));
