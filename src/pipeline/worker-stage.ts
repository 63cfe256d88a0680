/**
 * WorkerStage: hand PacketBatches to one or more worker threads running the
 * same stage, without copying them. Batches live in SharedArrayBuffers
 * (BatchPool with shared = true); a message carries a batch id and its flags
 * (the buffer itself only the first time), the worker works on the same
 * memory and answers with the id, and only then may the batch be reused. At
 * most `maxInFlight` batches are out at once (all workers together): the
 * producer waits for one to come back, so memory stays bounded when the
 * workers are the slower side. A batch goes to the worker with the fewest.
 *
 * The worker script (see worker-host.ts) receives `{ type: 'init', init }`,
 * then `{ type: 'batch', id, buffer?, capacity, flags }` per batch
 * (reply `{ type: 'done', id }` once it has processed and cleared the
 * batch: PacketBatch.reset() runs in the worker), then `{ type: 'finish' }` (reply
 * `{ type: 'result', result }`). A reply `{ type: 'error', message }` or a
 * crash of a worker rejects whatever is pending.
 */
import { Worker } from 'node:worker_threads';
import type { BatchPool, PacketBatch } from '../decode/batch.js';

interface Message {
  type: string;
  id?: number;
  result?: unknown;
  message?: string;
}

export class WorkerStage<Result> {
  private readonly workers: Worker[];
  /** Batches out with each worker. */
  private readonly load: number[];
  private readonly ids = new Map<PacketBatch, number>();
  private readonly byId: PacketBatch[] = [];
  /** Worker index holding each batch id, or -1. */
  private readonly holder: number[] = [];
  /** Per batch id, a bit per worker that has been sent its buffer (later messages name only the id). */
  private readonly seenBy: number[] = [];
  private out = 0;
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  /** Set once we terminate the workers ourselves (their exit is then no failure). */
  private closing = false;

  constructor(
    script: URL,
    init: unknown,
    private readonly pool: BatchPool,
    private readonly maxInFlight = 4,
    workers = 1,
  ) {
    this.workers = Array.from({ length: Math.max(1, workers) }, (_, w) => {
      const worker = new Worker(script);
      worker.on('message', (m: Message) => this.onMessage(w, m));
      worker.on('error', (e) => this.fail(e));
      worker.on('exit', (code) => {
        if (code !== 0 && !this.closing) this.fail(new Error(`worker exited with code ${code}`));
      });
      worker.postMessage({ type: 'init', init });
      return worker;
    });
    this.load = this.workers.map(() => 0);
  }

  /** Receives each worker's result once finish() has asked for them. */
  private results: ((w: number, r: unknown) => void) | null = null;

  private onMessage(w: number, m: Message): void {
    if (m.type === 'done') {
      const id = m.id!;
      if (this.holder[id] === w) {
        this.holder[id] = -1;
        this.load[w]--;
        this.out--;
        const batch = this.byId[id];
        batch.length = 0; // the worker cleared it (worker-host.ts): release() need not clear it again
        this.pool.release(batch);
        this.wake();
      }
    } else if (m.type === 'result') {
      this.results?.(w, m.result);
    } else if (m.type === 'error') {
      this.fail(new Error(`worker: ${m.message}`));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Give a (shared) batch to a worker; it returns to the pool when the worker is done with it. */
  async send(batch: PacketBatch): Promise<void> {
    if (!(batch.buffer instanceof SharedArrayBuffer)) throw new Error('WorkerStage needs batches from a shared BatchPool');
    while (this.out >= this.maxInFlight && !this.failure) await new Promise<void>((r) => (this.waiter = r));
    if (this.failure) throw this.failure;
    let id = this.ids.get(batch);
    let buffer: SharedArrayBuffer | undefined;
    if (id === undefined) {
      id = this.byId.length;
      this.ids.set(batch, id);
      this.byId.push(batch);
    }
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i] < this.load[w]) w = i;
    // A worker that has not seen this batch's buffer yet gets it with the message.
    if (((this.seenBy[id] ?? 0) & (1 << w)) === 0) buffer = batch.buffer as SharedArrayBuffer;
    this.seenBy[id] = (this.seenBy[id] ?? 0) | (1 << w);
    this.holder[id] = w;
    this.load[w]++;
    this.out++;
    this.workers[w].postMessage({ type: 'batch', id, buffer, capacity: batch.capacity, flags: batch.flags });
  }

  /** Wait for every batch, then collect each worker's result (in worker order) and end the workers. */
  async finish(): Promise<Result[]> {
    while (this.out > 0 && !this.failure) await new Promise<void>((r) => (this.waiter = r));
    const results: Result[] = new Array(this.workers.length);
    let pending = this.workers.length;
    this.results = (w, r) => {
      results[w] = r as Result;
      if (--pending === 0) this.wake();
    };
    if (!this.failure) for (const worker of this.workers) worker.postMessage({ type: 'finish' });
    // A failing or crashing worker wakes this loop too (fail() calls wake()).
    while (pending > 0 && !this.failure) await new Promise<void>((r) => (this.waiter = r));
    await this.abort();
    if (this.failure) throw this.failure;
    return results;
  }

  /** Stop the workers (after a failure on the producer's side, or when done). */
  async abort(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
