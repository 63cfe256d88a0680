/**
 * Streaming classic-pcap writer: little-endian, microsecond timestamps
 * (magic a1b2c3d4 written as d4 c3 b2 a1), version 2.4.
 *
 * Records are assembled in one reusable buffer (4 MiB by default) and written
 * with fs.writeSync when it fills, so memory stays bounded whatever the file
 * size. To avoid a copy per packet the caller can build a frame directly in
 * the writer's buffer:
 *
 *   const off = w.begin(maxFrameLen);     // room for one record
 *   const len = frameIPv4Tcp(w.buf, off, link, ip, tcp);
 *   w.end(tsSec, tsUsec, len);
 *
 * or hand over finished bytes with writeRecord().
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

export interface PcapWriterOptions {
  /** Link type of the file (default 1, Ethernet). */
  linkType?: number;
  /** Snapshot length declared in the header; longer frames are cut to it (default 65535). */
  snaplen?: number;
  /** Size of the assembly buffer in bytes (default 4 MiB; at least 64 KiB + a record header). */
  bufferSize?: number;
}

const DEFAULT_BUFFER = 4 << 20;
const MIN_BUFFER = 65536 + PCAP_RECORD_HEADER_LEN;

export class PcapWriter {
  /** The assembly buffer; frames are built in it at the offset begin() returns. May be replaced by begin(). */
  buf: Buffer;
  readonly snaplen: number;
  readonly linkType: number;
  /** Records written (including those still buffered). */
  packets = 0;
  /** File bytes produced so far (including buffered bytes and the global header). */
  bytes = 0;
  private pos = 0;
  private fd: number;
  /** Offset of the record header of the record begun but not ended, or -1. */
  private open = -1;

  constructor(readonly path: string, opts: PcapWriterOptions = {}) {
    this.snaplen = opts.snaplen ?? 65535;
    this.linkType = opts.linkType ?? LINKTYPE_ETHERNET;
    if (!Number.isInteger(this.snaplen) || this.snaplen < 1) throw new RangeError(`bad snaplen ${this.snaplen}`);
    this.buf = Buffer.alloc(Math.max(opts.bufferSize ?? DEFAULT_BUFFER, MIN_BUFFER));
    this.fd = openSync(path, 'w');
    const b = this.buf;
    b.writeUInt32LE(PCAP_MAGIC_USEC, 0);
    b.writeUInt16LE(2, 4); // version 2.4
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8); // thiszone
    b.writeUInt32LE(0, 12); // sigfigs
    b.writeUInt32LE(this.snaplen, 16);
    b.writeUInt32LE(this.linkType, 20);
    this.pos = PCAP_GLOBAL_HEADER_LEN;
    this.bytes = PCAP_GLOBAL_HEADER_LEN;
  }

  /**
   * Reserve room for one record whose frame is at most maxLen bytes; returns
   * the offset in `buf` where the frame must be written. Follow with end().
   * (Read `buf` after calling begin(): it is replaced if maxLen needs a larger buffer.)
   */
  begin(maxLen: number): number {
    let need = this.pos + PCAP_RECORD_HEADER_LEN + maxLen;
    if (need > this.buf.length) {
      this.flush();
      need = PCAP_RECORD_HEADER_LEN + maxLen;
      if (need > this.buf.length) this.buf = Buffer.alloc(need);
    }
    this.open = this.pos;
    return this.pos + PCAP_RECORD_HEADER_LEN;
  }

  /**
   * Complete the record started by begin(): the frame is buf[off, off+len);
   * origLen is the length on the wire (default len). Frames longer than the
   * snap length are cut to it.
   */
  end(tsSec: number, tsUsec: number, len: number, origLen = len): void {
    const h = this.open;
    if (h < 0) throw new Error('PcapWriter.end() without begin()');
    this.open = -1;
    const cap = len > this.snaplen ? this.snaplen : len;
    const b = this.buf;
    le32(b, h, tsSec);
    le32(b, h + 4, tsUsec);
    le32(b, h + 8, cap);
    le32(b, h + 12, origLen);
    const rec = PCAP_RECORD_HEADER_LEN + cap;
    this.pos = h + rec;
    this.bytes += rec;
    this.packets++;
  }

  /** Write one record whose frame is data[off, off+len) (copied). */
  writeRecord(tsSec: number, tsUsec: number, data: Uint8Array, off: number, len: number, origLen = len): void {
    const cap = len > this.snaplen ? this.snaplen : len;
    const at = this.begin(cap);
    this.buf.set(data.subarray(off, off + cap), at);
    this.end(tsSec, tsUsec, cap, origLen);
  }

  /** Write out everything buffered. */
  flush(): void {
    if (this.fd < 0) throw new Error('PcapWriter is closed');
    let p = 0;
    while (p < this.pos) p += writeSync(this.fd, this.buf, p, this.pos - p);
    this.pos = 0;
  }

  /** Flush and close the file (a record begun but not ended is dropped). Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    this.open = -1;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

function le32(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}
