/**
 * A capture file's identity by content: SHA-256 and size. The full hash reads
 * the whole file (about 1 GB/s here), so it runs in a worker thread while
 * ingest starts; a quick hash of the size and the first and last MiB is known
 * at once and finds the ledger entries the file could be (a file whose quick
 * hash matches none is new, whatever its full hash turns out to be).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

const EDGE = 1 << 20;

export async function quickHash(path: string): Promise<{ size: number; quick: string }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const h = createHash('sha256');
    h.update(`darkscope-quick-v1:${size}:`);
    const buf = Buffer.alloc(Math.min(EDGE, size));
    const head = await fh.read(buf, 0, buf.length, 0);
    h.update(buf.subarray(0, head.bytesRead));
    if (size > EDGE) {
      const tail = await fh.read(buf, 0, buf.length, size - buf.length);
      h.update(buf.subarray(0, tail.bytesRead));
    }
    return { size, quick: h.digest('hex') };
  } finally {
    await fh.close();
  }
}

/** SHA-256 of the whole file, computed in a worker thread. */
export function fullHash(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: { path } });
    w.once('message', (m: { sha256?: string; error?: string }) => (m.sha256 ? resolve(m.sha256) : reject(new Error(m.error ?? 'hash failed'))));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`hash worker exited with ${code}`)));
  });
}
