/**
 * CaptureReader: one capture file (pcap or pcapng, plain or gzip) as a stream
 * of PacketBatches, with a running account of what was read, decoded,
 * skipped and why. Memory is bounded by the window (a few MiB, growing only to
 * the largest record, itself capped) and the batches in flight.
 */
import { BatchPool, type PacketBatch } from '../decode/batch.js';
import { DecodeReason, reasonLabel } from '../decode/reasons.js';
import { ethertypeLabel } from './ethertypes.js';
import { type InterfaceInfo, InterfaceRegistry } from './interfaces.js';
import { linkTypeName } from './linktypes.js';
import { CaptureLog, type CaptureProblem } from './log.js';
import { MAX_RECORD, ParseStatus, type RecordParser, type Window } from './parser.js';
import { isPcapMagic, parsePcapHeader, PcapParser, PCAP_HEADER_LEN, type PcapHeader } from './pcap.js';
import { isPcapngMagic, PcapngParser } from './pcapng.js';
import { type ByteSource, openByteSource, SourceError } from './source.js';
import { compareTs, formatTimestamp, type Timestamp } from './time.js';

export interface ReadOptions {
  /** Shared across files so interface ids stay unique in a merge. */
  registry?: InterfaceRegistry;
  pool?: BatchPool;
  /** Bytes read from the file per I/O call (default 4 MiB). */
  chunkSize?: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/** Per-file account; `read --json` prints it (plus derived fields) as one line. */
export interface CaptureInfo {
  file: string;
  format: CaptureFormat | null;
  compression: 'gzip' | null;
  byteOrder: 'little-endian' | 'big-endian' | 'mixed' | null;
  version: string | null;
  /** Timestamp precision of the file: "us", "ns", or the pcapng resolutions ("1e-6", "2^-10", …). */
  precision: string | null;
  snaplen: number | null;
  linkTypes: { linkType: number; name: string; packets: number }[];
  interfaces: InterfaceInfo[];
  sections: number;
  /** Records read: the number libpcap / Wireshark report. */
  packets: number;
  /** Packets whose IP header was decoded. */
  decoded: number;
  /** Packets not decoded to IP, by reason (sums to packets − decoded). */
  skipped: Record<string, number>;
  /** Packets decoded to IP whose transport layer is incomplete, by reason. */
  partial: Record<string, number>;
  /** Records that could not be read at all (not in `packets`), by reason. */
  unreadable: Record<string, { count: number; offset: number; message: string }>;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  /** Packets whose timestamp is earlier than the packet before them in the file. */
  outOfOrder: number;
  /** Bytes of the (decompressed) capture consumed. */
  bytes: number;
  error: { message: string; offset: number } | null;
  warnings: { message: string; offset: number; count: number }[];
}

const DEFAULT_CHUNK = 4 << 20;

export class CaptureReader {
  readonly log = new CaptureLog();
  format: CaptureFormat | null = null;
  compression: 'gzip' | null = null;
  /** True when the file could not be read at all (not a capture, bad header, I/O); final once batches() is done. */
  failed = false;
  packets = 0;
  decoded = 0;
  outOfOrder = 0;
  first: Timestamp | null = null;
  last: Timestamp | null = null;
  private prevSec = -Infinity;
  private prevNsec = 0;
  /** (reason << 32 | detail) → count, detail = ethertype or link type. */
  private readonly reasonCounts = new Map<number, number>();
  private readonly linkTypePackets = new Map<number, number>();
  private readonly registry: InterfaceRegistry;
  private readonly pool: BatchPool;
  private source: ByteSource | null = null;
  private parser: RecordParser | null = null;
  private pcapHeader: PcapHeader | null = null;
  private readonly firstIface: number;
  private window: Window = { buf: new Uint8Array(0), pos: 0, end: 0, base: 0 };
  private eof = false;
  private started = false;

  private constructor(readonly file: string, opts: ReadOptions) {
    this.registry = opts.registry ?? new InterfaceRegistry();
    this.pool = opts.pool ?? new BatchPool();
    this.firstIface = this.registry.size;
    this.window.buf = new Uint8Array(opts.chunkSize ?? DEFAULT_CHUNK);
  }

  /** Open a capture and read its header. Never throws for bad input: see `failed` and `log.error`. */
  static async open(file: string, opts: ReadOptions = {}): Promise<CaptureReader> {
    const r = new CaptureReader(file, opts);
    await r.init();
    return r;
  }

  private async init(): Promise<void> {
    try {
      this.source = await openByteSource(this.file);
      this.compression = this.source.compression;
    } catch (e) {
      this.fail(e instanceof SourceError ? e.message : String(e), 0);
      return;
    }
    await this.fill(PCAP_HEADER_LEN);
    const w = this.window;
    const head = w.buf.subarray(0, w.end);
    if (isPcapngMagic(head)) {
      this.format = 'pcapng';
      this.parser = new PcapngParser(this.file, this.registry, this.log);
    } else if (isPcapMagic(head)) {
      this.format = 'pcap';
      const h = parsePcapHeader(head);
      if (typeof h === 'string') {
        this.fail(h, 0);
        return;
      }
      this.pcapHeader = h;
      const iface = this.registry.add({
        file: this.file,
        section: 0,
        index: 0,
        linkType: h.linkType,
        snaplen: h.snaplen,
        tsResolution: h.nanosecond ? '1e-9' : '1e-6',
        fcsLength: h.fcsLength,
      });
      this.parser = new PcapParser(h, iface.id, this.log);
      w.pos = PCAP_HEADER_LEN;
    } else if (w.end === 0 && !this.log.error) {
      this.fail('empty file', 0);
    } else if (!this.log.error) {
      const hex = Array.from(head.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
      this.fail(`unknown file format (first bytes ${hex}): not pcap or pcapng`, 0);
    } else {
      this.failed = true;
    }
  }

  private fail(message: string, offset: number): void {
    this.failed = true;
    this.log.fatal(message, offset);
    void this.close();
  }

  /** Read until at least `need` unread bytes are in the window, or end of stream. */
  private async fill(need: number): Promise<void> {
    const w = this.window;
    if (w.pos > 0 && w.end - w.pos < need) {
      // Keep the unread tail (at most one record) and make room after it.
      w.buf.copyWithin(0, w.pos, w.end);
      w.base += w.pos;
      w.end -= w.pos;
      w.pos = 0;
    }
    if (need > w.buf.length) {
      const grown = new Uint8Array(Math.min(Math.max(need, w.buf.length * 2), MAX_RECORD + 64));
      grown.set(w.buf.subarray(0, w.end));
      w.buf = grown;
    }
    while (!this.eof && w.end - w.pos < need) {
      let n: number;
      try {
        n = await this.source!.read(w.buf, w.end, w.buf.length - w.end);
      } catch (e) {
        this.log.fatal(e instanceof SourceError ? e.message : String(e), w.base + w.end);
        n = 0;
      }
      if (n === 0) this.eof = true;
      w.end += n;
    }
  }

  /**
   * The packets, in file order, as batches. A batch belongs to the consumer,
   * who may hand it back with `pool.release(batch)` once done with it.
   */
  async *batches(): AsyncGenerator<PacketBatch> {
    if (this.started) throw new Error('CaptureReader.batches() can be iterated only once');
    this.started = true;
    const parser = this.parser;
    if (!parser || this.failed) return;
    const w = this.window;
    let batch = this.pool.acquire();
    try {
      for (;;) {
        const status = parser.parse(w, batch);
        if (status === ParseStatus.FULL) {
          this.tally(batch);
          yield batch;
          batch = this.pool.acquire();
          continue;
        }
        if (status === ParseStatus.STOP) {
          // A pcapng file whose first section header is unusable could not be read at all.
          if (parser instanceof PcapngParser && parser.sections.length === 0) this.failed = true;
          break;
        }
        if (this.eof) {
          if (w.end > w.pos) this.truncatedTail(parser.need);
          break;
        }
        await this.fill(parser.need);
      }
      if (batch.length > 0) {
        this.tally(batch);
        yield batch;
      } else {
        this.pool.release(batch);
      }
    } finally {
      await this.close();
    }
  }

  private truncatedTail(need: number): void {
    const w = this.window;
    const have = w.end - w.pos;
    const offset = w.base + w.pos;
    const what = this.format === 'pcapng' ? 'block' : 'record';
    const message = `truncated ${what} at end of file: needs ${need} bytes, only ${have} present`;
    this.log.skipRecord(`truncated ${what}`, offset, message);
    this.log.fatal(message, offset);
  }

  async close(): Promise<void> {
    const s = this.source;
    this.source = null;
    if (s) await s.close();
  }

  /** Count what a batch holds: decoded, reasons, link types, time range. */
  private tally(batch: PacketBatch): void {
    const n = batch.length;
    this.packets += n;
    const reason = batch.reason;
    const ipv = batch.ipVersion;
    const tsSec = batch.tsSec;
    const tsNsec = batch.tsNsec;
    let decoded = 0;
    let prevSec = this.prevSec;
    let prevNsec = this.prevNsec;
    let minSec = Infinity;
    let minNsec = 0;
    let maxSec = -Infinity;
    let maxNsec = 0;
    let ooo = 0;
    for (let i = 0; i < n; i++) {
      if (ipv[i] !== 0) decoded++;
      if (reason[i] !== 0) this.countReason(batch, i, reason[i]);
      const s = tsSec[i];
      const ns = tsNsec[i];
      if (s < prevSec || (s === prevSec && ns < prevNsec)) ooo++;
      if (s < minSec || (s === minSec && ns < minNsec)) {
        minSec = s;
        minNsec = ns;
      }
      if (s > maxSec || (s === maxSec && ns > maxNsec)) {
        maxSec = s;
        maxNsec = ns;
      }
      prevSec = s;
      prevNsec = ns;
    }
    this.prevSec = prevSec;
    this.prevNsec = prevNsec;
    this.decoded += decoded;
    this.outOfOrder += ooo;
    if (n > 0) {
      if (!this.first || compareTs(minSec, minNsec, this.first.sec, this.first.nsec) < 0) this.first = { sec: minSec, nsec: minNsec };
      if (!this.last || compareTs(maxSec, maxNsec, this.last.sec, this.last.nsec) > 0) this.last = { sec: maxSec, nsec: maxNsec };
      // Link types per interface run: count rows by interface only when it changes.
      const iface = batch.iface;
      let runStart = 0;
      for (let i = 1; i <= n; i++) {
        if (i === n || iface[i] !== iface[runStart]) {
          const lt = this.registry.linkTypeOf(iface[runStart]);
          this.linkTypePackets.set(lt, (this.linkTypePackets.get(lt) ?? 0) + (i - runStart));
          runStart = i;
        }
      }
    }
  }

  private countReason(batch: PacketBatch, i: number, r: number): void {
    let detail = 0;
    if (r === DecodeReason.NOT_IP) detail = batch.l3Type[i];
    else if (r === DecodeReason.UNSUPPORTED_LINKTYPE) detail = this.registry.linkTypeOf(batch.iface[i]) >>> 0;
    // Whether the IP header was decoded decides "partial" vs "skipped", whatever the reason code.
    const key = (r * 2 + (batch.ipVersion[i] !== 0 ? 1 : 0)) * 4294967296 + detail;
    this.reasonCounts.set(key, (this.reasonCounts.get(key) ?? 0) + 1);
  }

  /** The interfaces this file declared. */
  interfaces(): InterfaceInfo[] {
    const out: InterfaceInfo[] = [];
    for (let id = this.firstIface; id < this.registry.size; id++) {
      const i = this.registry.get(id)!;
      if (i.file === this.file) out.push(i);
    }
    return out;
  }

  info(): CaptureInfo {
    const skipped: Record<string, number> = {};
    const partial: Record<string, number> = {};
    const keys = [...this.reasonCounts.keys()].sort((a, b) => a - b);
    for (const key of keys) {
      const r = Math.floor(key / 8589934592);
      const ipDecoded = Math.floor(key / 4294967296) % 2 === 1;
      const detail = key % 4294967296;
      let label = reasonLabel(r);
      if (r === DecodeReason.NOT_IP) label = `not IP (${ethertypeLabel(detail)})`;
      else if (r === DecodeReason.UNSUPPORTED_LINKTYPE) label = `unsupported link type ${detail} (${linkTypeName(detail)})`;
      const target = ipDecoded ? partial : skipped;
      target[label] = (target[label] ?? 0) + this.reasonCounts.get(key)!;
    }
    const unreadable: CaptureInfo['unreadable'] = {};
    for (const [k, p] of this.log.unreadable) unreadable[k] = { count: p.count, offset: p.offset, message: p.message };
    const ifaces = this.interfaces();
    const ng = this.parser instanceof PcapngParser ? this.parser : null;
    let byteOrder: CaptureInfo['byteOrder'] = null;
    let version: string | null = null;
    let precision: string | null = null;
    if (this.pcapHeader) {
      const h = this.pcapHeader;
      byteOrder = h.littleEndian ? 'little-endian' : 'big-endian';
      version = `${h.versionMajor}.${h.versionMinor}`;
      precision = h.nanosecond ? 'ns' : 'us';
    } else if (ng && ng.sections.length > 0) {
      const orders = new Set(ng.sections.map((s) => s.byteOrder));
      byteOrder = orders.size > 1 ? 'mixed' : ng.sections[0].byteOrder;
      version = [...new Set(ng.sections.map((s) => s.version))].join(',');
      const res = [...new Set(ifaces.map((i) => i.tsResolution))];
      precision = res.length === 0 ? null : res.map((r) => (r === '1e-6' ? 'us' : r === '1e-9' ? 'ns' : r)).join(',');
    }
    const snaps = [...new Set(ifaces.map((i) => i.snaplen))];
    return {
      file: this.file,
      format: this.format,
      compression: this.compression,
      byteOrder,
      version,
      precision,
      snaplen: snaps.length === 1 ? snaps[0] : null,
      linkTypes: this.linkTypeSummary(ifaces),
      interfaces: ifaces,
      sections: ng ? ng.sections.length : this.pcapHeader ? 1 : 0,
      packets: this.packets,
      decoded: this.decoded,
      skipped,
      partial,
      unreadable,
      firstTimestamp: this.first ? formatTimestamp(this.first) : null,
      lastTimestamp: this.last ? formatTimestamp(this.last) : null,
      outOfOrder: this.outOfOrder,
      bytes: this.window.base + this.window.pos,
      error: this.log.error,
      warnings: [...this.log.warnings.values()].map((p: CaptureProblem) => ({ message: p.message, offset: p.offset, count: p.count })),
    };
  }

  private linkTypeSummary(ifaces: InterfaceInfo[]): CaptureInfo['linkTypes'] {
    const lts = new Set<number>(ifaces.map((i) => i.linkType));
    return [...lts].sort((a, b) => a - b).map((lt) => ({ linkType: lt, name: linkTypeName(lt), packets: this.linkTypePackets.get(lt) ?? 0 }));
  }
}
