/**
 * The worker side of WorkerStage: keeps one PacketBatch view per shared
 * buffer and runs the stage's functions on each message.
 */
import { parentPort } from 'node:worker_threads';
import { type BatchFlags, PacketBatch } from '../decode/batch.js';

export interface StageImpl<Init, Result> {
  init(init: Init): Promise<void> | void;
  batch(b: PacketBatch): void;
  /** The result, and buffers to move to the main thread instead of copying them. */
  finish(): { result: Result; transfer?: ArrayBuffer[] };
}

export function hostStage<Init, Result>(impl: StageImpl<Init, Result>): void {
  const port = parentPort;
  if (!port) throw new Error('hostStage must run in a worker thread');
  const views: PacketBatch[] = [];
  // Messages run in order. Only init is asynchronous: until it is done, messages queue behind it;
  // after that each runs at once in the message handler (no promise hop per batch).
  let initDone = false;
  let queue: Promise<void> = Promise.resolve();
  const handle = (m: Message): void => {
    try {
      if (m.type === 'batch') {
        let b = views[m.id!];
        if (!b) views[m.id!] = b = new PacketBatch(m.capacity!, m.buffer!);
        b.flags = m.flags!;
        impl.batch(b);
        // Clear the batch here, not on the producer's thread: the reader is the busier side
        // (measured: reading + decoding + classifying is the pipeline's longer half).
        b.reset();
        port.postMessage({ type: 'done', id: m.id });
      } else if (m.type === 'finish') {
        const { result, transfer } = impl.finish();
        port.postMessage({ type: 'result', result }, transfer ?? []);
      }
    } catch (e) {
      port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  };
  port.on('message', (m: Message) => {
    if (m.type === 'init') {
      queue = Promise.resolve(impl.init(m.init as Init)).then(
        () => {
          initDone = true;
        },
        (e: unknown) => {
          port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        },
      );
    } else if (initDone) handle(m);
    else queue = queue.then(() => handle(m));
  });
}

interface Message {
  type: string;
  init?: unknown;
  id?: number;
  buffer?: SharedArrayBuffer;
  capacity?: number;
  flags?: BatchFlags;
}
