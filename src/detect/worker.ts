/**
 * The detectors in a worker thread. Ingest's threads already keep about 1.7 of the
 * machine's 2 cores busy (main: read, decode, classify, enrich, DuckDB's appends;
 * DuckDB's own threads; the rollup and hash workers); on the main thread the detectors
 * were added in series (ingest --detect ran at 0.57× ingest without). Here they run
 * beside it on the same PacketBatches: batches come from a shared BatchPool, a message
 * names a batch (its SharedArrayBuffer only the first time) and a row range, and the
 * batch goes back to the pool only when the worker has read every range sent of it.
 *
 * Messages keep their order, so take() answers with the events ended by the rows sent
 * before it: what FileDetectors.take() would return at that point on one thread (events
 * stay committed with the chunk holding the record that ended them; see detectors.ts).
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { type BatchFlags, type BatchPool, PacketBatch } from '../decode/batch.js';
import type { StoredEvent } from '../store/store.js';
import { type DetectOptions, type DetectorDropped, type DetectorSpace, FileDetectors } from './detectors.js';

type Request =
  | { type: 'file'; fileId: number; space: DetectorSpace; opts: DetectOptions }
  | { type: 'continue'; fileId: number }
  | { type: 'add'; id: number; buffer?: SharedArrayBuffer; capacity: number; flags: BatchFlags; from: number; to: number }
  | { type: 'take'; req: number; discard: boolean }
  | { type: 'finish'; req: number }
  | { type: 'pause'; req: number };

type Reply =
  | { type: 'done'; id: number }
  | { type: 'events'; req: number; events: StoredEvent[]; superseded?: string[]; dropped?: DetectorDropped }
  | { type: 'error'; message: string };

if (!isMainThread && parentPort) {
  const port = parentPort;
  const cpus = process.env.DARKSCOPE_DETECT_CPU;
  if (cpus) pinThread(cpus);
  const views: PacketBatch[] = [];
  let detectors: FileDetectors | null = null;
  const need = () => {
    if (!detectors) throw new Error('detector worker: rows before a file began');
    return detectors;
  };
  port.on('message', (m: Request) => {
    try {
      if (m.type === 'file') detectors = new FileDetectors(m.space, m.fileId, m.opts);
      else if (m.type === 'continue') need().continueAs(m.fileId);
      else if (m.type === 'add') {
        let b = views[m.id];
        if (!b) views[m.id] = b = new PacketBatch(m.capacity, m.buffer);
        b.flags = m.flags;
        need().add(b, m.from, m.to);
        port.postMessage({ type: 'done', id: m.id } satisfies Reply);
      } else if (m.type === 'take') {
        const d = need();
        const events = d.take();
        const superseded = d.takeSuperseded();
        port.postMessage({ type: 'events', req: m.req, events: m.discard ? [] : events, superseded: m.discard ? [] : superseded } satisfies Reply);
      } else {
        const d = need();
        const events = m.type === 'pause' ? d.pause() : d.finish();
        port.postMessage({ type: 'events', req: m.req, events, dropped: d.dropped } satisfies Reply);
        if (m.type === 'finish') detectors = null;
      }
    } catch (e) {
      port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies Reply);
    }
  });
}

/**
 * DARKSCOPE_DETECT_CPU=LIST (Linux, taskset): this thread only on those CPUs, e.g. the detect
 * benchmark's run with a core for the detectors while ingest is held to another. A failure is
 * said and ignored (the detectors run unpinned).
 */
function pinThread(cpus: string): void {
  try {
    const tid = readlinkSync('/proc/thread-self').split('/').pop()!;
    if (!/^[0-9][0-9,-]*$/.test(cpus)) throw new Error(`not a CPU list: ${JSON.stringify(cpus.slice(0, 20))}`);
    execFileSync('taskset', ['-p', '-c', cpus, tid], { stdio: 'ignore' });
  } catch (e) {
    process.stderr.write(`darkscope: DARKSCOPE_DETECT_CPU: detector thread not pinned: ${(e as Error).message}\n`);
  }
}

/** The main thread's handle on the detector worker (one per ingest run, files in turn). */
export class DetectorWorker {
  private readonly worker = new Worker(new URL(import.meta.url));
  private readonly ids = new Map<PacketBatch, number>();
  private readonly byId: PacketBatch[] = [];
  private readonly sentBuffer: boolean[] = [];
  /** Per batch id: ranges sent and not yet read by the worker; whether the main thread is done with it. */
  private readonly outstanding: number[] = [];
  private readonly released: boolean[] = [];
  /** Per batch id: sent since it last went back to the pool. */
  private readonly holding: boolean[] = [];
  /** Batches out of the pool's reach because of the worker (sent, not yet back). */
  private held = 0;
  private nextReq = 1;
  private readonly pending = new Map<number, { resolve: (r: { events: StoredEvent[]; superseded?: string[]; dropped?: DetectorDropped }) => void; reject: (e: Error) => void }>();
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  private closing = false;

  /**
   * @param pool where batches return once read (it must be shared: BatchPool(rows, maxFree, true))
   * @param maxHeld batches the worker may hold before room() waits (memory bound when it is the slower side)
   */
  constructor(
    private readonly pool: BatchPool,
    private readonly maxHeld = 12,
  ) {
    if (!pool.shared) throw new Error('DetectorWorker needs a shared BatchPool');
    this.worker.on('message', (m: Reply) => this.onMessage(m));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`detector worker exited with code ${code}`));
    });
  }

  private onMessage(m: Reply): void {
    if (m.type === 'done') {
      this.outstanding[m.id]--;
      this.maybeRelease(m.id);
    } else if (m.type === 'events') {
      const p = this.pending.get(m.req);
      this.pending.delete(m.req);
      p?.resolve(m);
    } else this.fail(new Error(`detector worker: ${m.message}`));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private maybeRelease(id: number): void {
    if (this.outstanding[id] !== 0 || !this.released[id]) return;
    this.released[id] = false;
    this.holding[id] = false;
    this.held--;
    this.pool.release(this.byId[id]);
    this.wake();
  }

  private request(m: { type: 'take'; discard: boolean } | { type: 'finish' } | { type: 'pause' }): Promise<{ events: StoredEvent[]; superseded?: string[]; dropped?: DetectorDropped }> {
    if (this.failure) return Promise.reject(this.failure);
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      this.pending.set(req, { resolve, reject });
      this.worker.postMessage({ ...m, req } satisfies Request);
    });
  }

  /** A file begins with fresh detector state. */
  beginFile(fileId: number, space: DetectorSpace, opts: DetectOptions): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage({ type: 'file', fileId, space, opts } satisfies Request);
  }

  /** A file begins with the state the file before paused with (see detectors.ts). */
  continueFile(fileId: number): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage({ type: 'continue', fileId } satisfies Request);
  }

  /** Rows [from, to) of a classified, enriched (shared) batch, in record order. */
  add(b: PacketBatch, from: number, to: number): void {
    if (this.failure) throw this.failure;
    if (from >= to) return;
    let id = this.ids.get(b);
    if (id === undefined) {
      id = this.byId.length;
      this.ids.set(b, id);
      this.byId.push(b);
      this.outstanding.push(0);
      this.released.push(false);
      this.holding.push(false);
      this.sentBuffer.push(false);
    }
    if (!this.holding[id]) {
      this.holding[id] = true;
      this.held++;
    }
    this.outstanding[id]++;
    const buffer = this.sentBuffer[id] ? undefined : (b.buffer as SharedArrayBuffer);
    this.sentBuffer[id] = true;
    this.worker.postMessage({ type: 'add', id, buffer, capacity: b.capacity, flags: b.flags, from, to } satisfies Request);
  }

  /** The main thread is done with the batch: it returns to the pool once the worker has read it. */
  release(b: PacketBatch): void {
    const id = this.ids.get(b);
    if (id === undefined || !this.holding[id]) {
      this.pool.release(b);
      return;
    }
    this.released[id] = true;
    this.maybeRelease(id);
  }

  /** Wait while the worker holds `maxHeld` batches. */
  async room(): Promise<void> {
    while (this.held >= this.maxHeld && !this.failure) await new Promise<void>((r) => (this.waiter = r));
    if (this.failure) throw this.failure;
  }

  /**
   * Events ended by the rows sent so far, and the provisional ids of the file before they
   * supersede (discard: rebuilt state of a resume, already stored).
   */
  async take(discard = false): Promise<{ events: StoredEvent[]; superseded: string[] }> {
    const r = await this.request({ type: 'take', discard });
    return { events: r.events, superseded: r.superseded ?? [] };
  }

  /** End of a file: ended and provisional events; the state stays (the next file may continue it). */
  async pause(): Promise<{ events: StoredEvent[]; dropped: DetectorDropped }> {
    const r = await this.request({ type: 'pause' });
    return { events: r.events, dropped: r.dropped! };
  }

  /** End of the data: every open event ends; with the caps' drop counters (ingest pauses instead). */
  async finish(): Promise<{ events: StoredEvent[]; dropped: DetectorDropped }> {
    const r = await this.request({ type: 'finish' });
    return { events: r.events, dropped: r.dropped! };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}
