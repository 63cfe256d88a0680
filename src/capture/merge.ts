/**
 * CaptureSet: many capture files (or directories) read as one stream of
 * PacketBatches in timestamp order, like mergecap.
 *
 * Each file is assumed to be in time order itself (as capture tools write
 * them; `read` reports packets that are not). Files are opened only when the
 * merge reaches their first timestamp, so rotated captures (one file per hour)
 * keep one or two files open however many there are: memory grows with the
 * number of files that overlap in time, not with the number of files.
 * Ties between files go to the file listed first.
 */
import { stat } from 'node:fs/promises';
import { BatchPool, type PacketBatch } from '../decode/batch.js';
import { expandInputs } from './files.js';
import { InterfaceRegistry } from './interfaces.js';
import { type CaptureInfo, CaptureReader, type ReadOptions } from './reader.js';

interface Stream {
  index: number;
  reader: CaptureReader;
  it: AsyncIterator<PacketBatch>;
  batch: PacketBatch | null;
  row: number;
}

interface PendingFile {
  index: number;
  file: string;
  /** First timestamp (sec, nsec) found by peeking; files without packets sort first. */
  sec: number;
  nsec: number;
}

function before(aSec: number, aNsec: number, bSec: number, bNsec: number): boolean {
  return aSec < bSec || (aSec === bSec && aNsec < bNsec);
}

export class CaptureSet {
  readonly registry: InterfaceRegistry;
  readonly pool: BatchPool;
  /** Most files open at once during the merge (memory grows with it). */
  maxOpen = 0;
  private readonly infos: (CaptureInfo | null)[];
  private readonly readers: (CaptureReader | null)[];

  private constructor(readonly files: string[], private readonly opts: ReadOptions) {
    this.registry = opts.registry ?? new InterfaceRegistry();
    this.pool = opts.pool ?? new BatchPool();
    this.infos = files.map(() => null);
    this.readers = files.map(() => null);
  }

  /** Size of each file (0 for pipes): the denominator of progress(). */
  private sizes: number[] = [];

  static async open(inputs: readonly string[], opts: ReadOptions = {}): Promise<CaptureSet> {
    const set = new CaptureSet(await expandInputs(inputs), opts);
    set.sizes = await Promise.all(
      set.files.map(async (f) => {
        try {
          const st = await stat(f);
          return st.isFile() ? st.size : 0;
        } catch {
          return 0;
        }
      }),
    );
    return set;
  }

  /** How far the reading is: file bytes consumed (compressed bytes for gzip) against the total. */
  progress(): { bytesRead: number; bytesTotal: number } {
    let bytesRead = 0;
    for (let i = 0; i < this.files.length; i++) {
      const r = this.readers[i];
      if (this.infos[i] !== null) bytesRead += this.sizes[i] ?? 0;
      else if (r) bytesRead += r.fileBytesRead;
    }
    return { bytesRead, bytesTotal: this.sizes.reduce((a, b) => a + b, 0) };
  }

  /** What each file held, in input order (complete once batches() has finished). */
  fileInfos(): CaptureInfo[] {
    return this.files.map((f, i) => this.infos[i] ?? this.readers[i]?.info() ?? emptyInfo(f));
  }

  private async openReader(index: number): Promise<CaptureReader> {
    const r = await CaptureReader.open(this.files[index], { ...this.opts, registry: this.registry, pool: this.pool });
    this.readers[index] = r;
    return r;
  }

  /** First timestamp of a file, from its first batch; the file is closed again. */
  private async peek(index: number): Promise<PendingFile> {
    const file = this.files[index];
    const r = await CaptureReader.open(file, { ...this.opts, pool: this.pool, registry: new InterfaceRegistry() });
    const it = r.batches();
    const first = await it.next();
    await it.return(undefined);
    const b = first.done ? null : first.value;
    const p: PendingFile = { index, file, sec: b && b.length ? b.tsSec[0] : -Infinity, nsec: b && b.length ? b.tsNsec[0] : 0 };
    if (b) this.pool.release(b);
    return p;
  }

  async *batches(): AsyncGenerator<PacketBatch> {
    if (this.files.length === 1) {
      const r = await this.openReader(0);
      yield* r.batches();
      this.infos[0] = r.info();
      return;
    }
    const pending: PendingFile[] = [];
    for (let i = 0; i < this.files.length; i++) pending.push(await this.peek(i));
    pending.sort((a, b) => (before(a.sec, a.nsec, b.sec, b.nsec) ? -1 : before(b.sec, b.nsec, a.sec, a.nsec) ? 1 : a.index - b.index));
    const active: Stream[] = [];
    let out = this.pool.acquire();

    const admit = async (p: PendingFile) => {
      const reader = await this.openReader(p.index);
      const s: Stream = { index: p.index, reader, it: reader.batches(), batch: null, row: 0 };
      if (await this.advance(s)) active.push(s);
      this.maxOpen = Math.max(this.maxOpen, active.length);
    };

    try {
      for (;;) {
        // Open every file whose first packet is not later than the earliest head.
        let head = this.earliest(active);
        while (pending.length > 0 && (head === null || !before(active[head].batch!.tsSec[active[head].row], active[head].batch!.tsNsec[active[head].row], pending[0].sec, pending[0].nsec))) {
          await admit(pending.shift()!);
          head = this.earliest(active);
        }
        if (head === null) break;
        const s = active[head];
        const b = s.batch!;
        // The run of s that comes before every other stream's head (and the next file's start).
        let limSec = Infinity;
        let limNsec = 0;
        let limIndex = Infinity;
        for (const o of active) {
          if (o === s) continue;
          const sec = o.batch!.tsSec[o.row];
          const nsec = o.batch!.tsNsec[o.row];
          if (before(sec, nsec, limSec, limNsec) || (sec === limSec && nsec === limNsec && o.index < limIndex)) {
            limSec = sec;
            limNsec = nsec;
            limIndex = o.index;
          }
        }
        if (pending.length > 0 && before(pending[0].sec, pending[0].nsec, limSec, limNsec)) {
          limSec = pending[0].sec;
          limNsec = pending[0].nsec;
          limIndex = pending[0].index;
        }
        const tsSec = b.tsSec;
        const tsNsec = b.tsNsec;
        let r = s.row;
        const n = b.length;
        const tieOk = s.index < limIndex;
        while (r < n && (tsSec[r] < limSec || (tsSec[r] === limSec && (tsNsec[r] < limNsec || (tsNsec[r] === limNsec && tieOk))))) r++;
        if (r === s.row) r++; // s is the earliest head: at least its first row goes
        if (s.row === 0 && r === n && out.length === 0) {
          // The whole batch comes first: hand it on as it is.
          s.batch = null;
          yield b;
        } else {
          let from = s.row;
          while (from < r) {
            from += out.appendRows(b, from, r - from);
            if (out.full) {
              yield out;
              out = this.pool.acquire();
            }
          }
          s.row = r;
          if (r < n) continue;
          this.pool.release(b);
          s.batch = null;
        }
        if (!(await this.advance(s))) active.splice(head, 1);
      }
      if (out.length > 0) yield out;
      else this.pool.release(out);
    } finally {
      for (const s of active) await s.it.return?.(undefined);
      for (let i = 0; i < this.readers.length; i++) if (this.readers[i]) this.infos[i] = this.readers[i]!.info();
    }
  }

  /** Load the stream's next batch; false when the file is done. */
  private async advance(s: Stream): Promise<boolean> {
    for (;;) {
      const nx = await s.it.next();
      if (nx.done) {
        this.infos[s.index] = s.reader.info();
        return false;
      }
      if (nx.value.length > 0) {
        s.batch = nx.value;
        s.row = 0;
        return true;
      }
      this.pool.release(nx.value);
    }
  }

  private earliest(active: Stream[]): number | null {
    let best: number | null = null;
    for (let i = 0; i < active.length; i++) {
      const s = active[i];
      if (best === null) {
        best = i;
        continue;
      }
      const o = active[best];
      const sec = s.batch!.tsSec[s.row];
      const nsec = s.batch!.tsNsec[s.row];
      const osec = o.batch!.tsSec[o.row];
      const onsec = o.batch!.tsNsec[o.row];
      if (before(sec, nsec, osec, onsec) || (sec === osec && nsec === onsec && s.index < o.index)) best = i;
    }
    return best;
  }
}

function emptyInfo(file: string): CaptureInfo {
  return {
    file, format: null, compression: null, byteOrder: null, version: null, precision: null, snaplen: null,
    linkTypes: [], interfaces: [], interfaceCount: 0, sections: 0, packets: 0, decoded: 0, skipped: {}, partial: {}, unreadable: {},
    firstTimestamp: null, lastTimestamp: null, outOfOrder: 0, bytes: 0, error: null, warnings: [],
  };
}
