/**
 * ReadWindow: the bytes of a capture between the parser and the byte source.
 *
 * Two buffers: the parser works in one while the next chunk is read into the
 * other (the read runs on libuv's thread pool, overlapping the decode). The
 * unread tail of a buffer (at most one partial record, usually a few hundred
 * bytes) is copied into the headroom in front of the next chunk, so records
 * that straddle two reads are contiguous without copying the bulk. Records
 * longer than the headroom take a slower path that grows the buffer, up to
 * MAX_RECORD: memory stays bounded whatever the file says.
 */
import { MAX_RECORD, type Window } from './parser.js';
import { type ByteSource, SourceError } from './source.js';

/** Room in front of each chunk for the previous chunk's unread tail. */
const HEADROOM = 64 * 1024;

export class ReadWindow implements Window {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  end = 0;
  base = 0;
  eof = false;
  /** Set when the source failed; reading stops as at end of file. */
  error: { message: string; offset: number } | null = null;
  private spare: Uint8Array;
  private spareView: DataView;
  private pending: Promise<number> | null = null;

  constructor(private readonly source: ByteSource, chunkSize: number) {
    const size = Math.max(chunkSize, 1) + HEADROOM;
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.spare = new Uint8Array(size);
    this.spareView = new DataView(this.spare.buffer);
    this.pos = this.end = HEADROOM;
    this.base = -HEADROOM;
    this.prefetch();
  }

  /** Stream offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  private prefetch(): void {
    const spare = this.spare;
    this.pending = this.source.read(spare, HEADROOM, spare.length - HEADROOM).catch((e: unknown) => {
      this.error ??= { message: e instanceof SourceError ? e.message : String(e), offset: this.base + this.end };
      return 0;
    });
  }

  /** Make at least `need` unread bytes available from `pos`, unless the stream ends first. */
  async fill(need: number): Promise<void> {
    if (need > MAX_RECORD + HEADROOM) need = MAX_RECORD + HEADROOM;
    while (!this.eof && this.end - this.pos < need) {
      const n = await this.pending!;
      this.pending = null;
      if (n === 0) {
        this.eof = true;
        break;
      }
      const tail = this.end - this.pos;
      const incoming = this.spare;
      if (tail <= HEADROOM) {
        // Fast path: put the tail in front of the new chunk and swap buffers.
        incoming.set(this.buf.subarray(this.pos, this.end), HEADROOM - tail);
        const view = this.spareView;
        this.spare = this.buf;
        this.spareView = this.view;
        this.base += this.pos - (HEADROOM - tail);
        this.buf = incoming;
        this.view = view;
        this.pos = HEADROOM - tail;
        this.end = HEADROOM + n;
      } else {
        // A record longer than the headroom: append the chunk behind it, growing the buffer.
        if (this.end + n > this.buf.length) {
          const size = Math.max(tail + n, this.buf.length);
          const room = size > this.buf.length ? new Uint8Array(Math.min(Math.max(size, this.buf.length * 2), MAX_RECORD + 2 * HEADROOM + this.spare.length)) : this.buf;
          room.set(this.buf.subarray(this.pos, this.end), 0);
          this.base += this.pos;
          this.buf = room;
          this.view = new DataView(room.buffer);
          this.end = tail;
          this.pos = 0;
        }
        this.buf.set(incoming.subarray(HEADROOM, HEADROOM + n), this.end);
        this.end += n;
      }
      this.prefetch();
    }
  }

  /** Wait for the read in flight (the source must not be closed under it). */
  async settle(): Promise<void> {
    if (this.pending) await this.pending;
    this.pending = null;
  }
}
