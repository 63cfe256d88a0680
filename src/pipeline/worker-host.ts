/**
 * The worker side of WorkerStage: keeps one PacketBatch view per shared
 * buffer and runs the stage's functions on each message.
 */
import { parentPort } from 'node:worker_threads';
import { type BatchFlags, PacketBatch } from '../decode/batch.js';

export interface StageImpl<Init, Result> {
  init(init: Init): Promise<void> | void;
  batch(b: PacketBatch): void;
  finish(): Result;
}

export function hostStage<Init, Result>(impl: StageImpl<Init, Result>): void {
  const port = parentPort;
  if (!port) throw new Error('hostStage must run in a worker thread');
  const views: PacketBatch[] = [];
  let status: Int32Array | null = null;
  let ready: Promise<void> = Promise.resolve();
  port.on('message', (m: { type: string; init?: Init; status?: Int32Array; id?: number; gen?: number; buffer?: SharedArrayBuffer; capacity?: number; flags?: BatchFlags }) => {
    ready = ready.then(async () => {
      try {
        if (m.type === 'init') {
          status = m.status ?? null;
          await impl.init(m.init!);
        }
        else if (m.type === 'batch') {
          let b = views[m.id!];
          if (!b) views[m.id!] = b = new PacketBatch(m.capacity!, m.buffer!);
          b.flags = m.flags!;
          impl.batch(b);
          // The flag lets a busy producer see it at once; the message wakes one that is waiting.
          if (status && m.id! < status.length) Atomics.store(status, m.id!, 0);
          port.postMessage({ type: 'done', id: m.id, gen: m.gen });
        } else if (m.type === 'finish') {
          port.postMessage({ type: 'result', result: impl.finish() });
        }
      } catch (e) {
        port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      }
    });
  });
}
