/**
 * The rollup counting in a worker thread: ingest's main thread is on the
 * critical path (it reads, decodes, classifies and feeds DuckDB's inserts),
 * so the hash-table work of RollupBuilder runs beside it. The main thread
 * sends each segment's keys (rollupKeys(), 20 bytes a row, transferred, not
 * copied) and asks for the rows at each commit; messages keep their order.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { RollupBuilder, type RollupKeys, type RollupRows } from './rollup.js';

type Request =
  | { type: 'keys'; keys: RollupKeys }
  | { type: 'take'; id: number; emit: boolean; coarse: 'no' | 'yes' | { pairs: number; rows: number } }
  | { type: 'clear' };

export interface TakeResult {
  minute: RollupRows | null;
  coarse: [RollupRows, RollupRows] | null;
}

function transferOf(r: RollupRows | null): ArrayBuffer[] {
  if (!r) return [];
  return [r.bucketMs, r.sensor, r.ipVersion, r.kind, r.proto, r.port, r.country, r.tools, r.packets, r.srcStart, r.srcs].map((a) => a.buffer as ArrayBuffer);
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const builder = new RollupBuilder();
  port.on('message', (m: Request) => {
    try {
      if (m.type === 'keys') builder.addKeys(m.keys);
      else if (m.type === 'clear') builder.clear();
      else {
        const minute = builder.takeMinutes(m.emit);
        const over = typeof m.coarse === 'object' && (builder.coarsePairs > m.coarse.pairs || builder.coarseRows > m.coarse.rows);
        const coarse = m.coarse === 'yes' || over ? builder.takeCoarse() : null;
        const res: TakeResult = { minute, coarse };
        port.postMessage({ id: m.id, res }, [...transferOf(minute), ...(coarse ? [...transferOf(coarse[0]), ...transferOf(coarse[1])] : [])]);
      }
    } catch (e) {
      port.postMessage({ id: 'id' in m ? m.id : -1, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  });
}

/** The main thread's handle on the rollup worker. */
export class RollupWorker {
  private readonly worker = new Worker(new URL(import.meta.url));
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: TakeResult) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor() {
    this.worker.on('message', (m: { id: number; res?: TakeResult; error?: string }) => {
      const p = this.pending.get(m.id);
      if (m.error !== undefined) {
        this.failure = new Error(`rollup worker: ${m.error}`);
        if (p) p.reject(this.failure);
        else for (const q of this.pending.values()) q.reject(this.failure);
        this.pending.clear();
        return;
      }
      this.pending.delete(m.id);
      p?.resolve(m.res!);
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      for (const q of this.pending.values()) q.reject(e);
      this.pending.clear();
    });
  }

  add(keys: RollupKeys): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage({ type: 'keys', keys }, [keys.w0.buffer as ArrayBuffer]);
  }

  /** The rows counted since the last take (emit false: folded only); coarse: whether to take the hour/day rows too. */
  take(emit: boolean, coarse: 'no' | 'yes' | { pairs: number; rows: number }): Promise<TakeResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'take', id, emit, coarse } satisfies Request);
    });
  }

  clear(): void {
    this.worker.postMessage({ type: 'clear' } satisfies Request);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
