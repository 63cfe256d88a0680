/**
 * WorkerStage: hand PacketBatches to a stage running in a worker thread,
 * without copying them. Batches live in SharedArrayBuffers (BatchPool with
 * shared = true); a message carries a batch id and its flags (the buffer
 * itself only the first time), the worker works on the same memory and
 * answers with the id, and only then may the batch be reused. At most
 * `maxInFlight` batches are with the worker: the producer waits for it,
 * so memory stays bounded when the worker is the slower side.
 *
 * Completion is also signalled through shared memory (a flag per batch id,
 * set with Atomics): the producer thread is usually busy decoding and does
 * not turn its event loop for a while, so it polls the flags before it
 * waits for a message — a finished batch is reused at once.
 *
 * The worker script receives `{ type: 'init', init, status }`, then
 * `{ type: 'batch', id, gen, buffer?, capacity, flags }` per batch (reply
 * `{ type: 'done', id, gen }`), then `{ type: 'finish' }` (reply
 * `{ type: 'result', result }`). A reply `{ type: 'error', message }` or a
 * crash of the worker rejects whatever is pending.
 */
import { Worker } from 'node:worker_threads';
import type { BatchPool, PacketBatch } from '../decode/batch.js';

/** Batch ids with a shared completion flag (a pool reuses a handful of batches). */
const MAX_TRACKED = 1024;

export class WorkerStage<Result> {
  private readonly worker: Worker;
  private readonly ids = new Map<PacketBatch, number>();
  private readonly byId: PacketBatch[] = [];
  private readonly inFlight = new Set<number>();
  /** How many times each batch id has been sent (its current round). */
  private readonly gens: number[] = [];
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;
  private result: ((r: Result) => void) | null = null;
  /** status[id] = 1 while batch id is with the worker, 0 once it is done (shared with the worker). */
  private readonly status = new Int32Array(new SharedArrayBuffer(4 * MAX_TRACKED));
  private resultFailed: ((e: Error) => void) | null = null;

  constructor(
    script: URL,
    init: unknown,
    private readonly pool: BatchPool,
    private readonly maxInFlight = 4,
  ) {
    this.worker = new Worker(script);
    this.worker.on('message', (m: { type: string; id?: number; gen?: number; result?: Result; message?: string }) => this.onMessage(m));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`worker exited with code ${code}`));
    });
    this.worker.postMessage({ type: 'init', init, status: this.status });
  }

  private onMessage(m: { type: string; id?: number; gen?: number; result?: Result; message?: string }): void {
    if (m.type === 'done') {
      // A message can arrive after the flag already returned the batch and it was sent again:
      // only the round it names may complete it.
      if (m.gen === this.gens[m.id!]) this.complete(m.id!);
      this.wake();
    } else if (m.type === 'result') {
      this.result?.(m.result!);
    } else if (m.type === 'error') {
      this.fail(new Error(`worker: ${m.message}`));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.resultFailed?.(this.failure);
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private complete(id: number): void {
    if (!this.inFlight.delete(id)) return; // already seen through the flags
    this.pool.release(this.byId[id]);
  }

  /** Release the batches the worker has flagged done (no event-loop turn needed). */
  private poll(): void {
    for (const id of this.inFlight) if (id < MAX_TRACKED && Atomics.load(this.status, id) === 0) this.complete(id);
  }

  /** Give a (shared) batch to the worker; it returns to the pool when the worker is done with it. */
  async send(batch: PacketBatch): Promise<void> {
    if (!(batch.buffer instanceof SharedArrayBuffer)) throw new Error('WorkerStage needs batches from a shared BatchPool');
    if (this.inFlight.size >= this.maxInFlight) this.poll();
    while (this.inFlight.size >= this.maxInFlight && !this.failure) {
      await new Promise<void>((r) => this.waiters.push(r));
      this.poll();
    }
    if (this.failure) throw this.failure;
    let id = this.ids.get(batch);
    let buffer: SharedArrayBuffer | undefined;
    if (id === undefined) {
      id = this.byId.length;
      this.ids.set(batch, id);
      this.byId.push(batch);
      buffer = batch.buffer as SharedArrayBuffer;
    }
    this.inFlight.add(id);
    const gen = (this.gens[id] = (this.gens[id] ?? 0) + 1);
    if (id < MAX_TRACKED) Atomics.store(this.status, id, 1);
    this.worker.postMessage({ type: 'batch', id, gen, buffer, capacity: batch.capacity, flags: batch.flags });
  }

  /** Wait for every batch, then ask the worker for its result and end it. */
  async finish(): Promise<Result> {
    while (this.inFlight.size > 0 && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) {
      await this.worker.terminate();
      throw this.failure;
    }
    const result = await new Promise<Result>((resolve, reject) => {
      this.result = resolve;
      this.resultFailed = reject;
      this.worker.postMessage({ type: 'finish' });
    });
    await this.worker.terminate();
    return result;
  }

  /** Stop the worker (after a failure on the producer's side). */
  async abort(): Promise<void> {
    await this.worker.terminate();
  }
}
