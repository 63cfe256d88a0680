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
import { ParseStatus, type RecordParser } from './parser.js';
import { isPcapMagic, parsePcapHeader, PcapParser, PCAP_HEADER_LEN, type PcapHeader } from './pcap.js';
import { isPcapngMagic, PcapngParser } from './pcapng.js';
import { type ByteSource, openByteSource, SourceError } from './source.js';
import { ReadWindow } from './window.js';
import { formatTimestamp } from './time.js';

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
  /** The file's interfaces (at most the first 64: a hostile pcapng may declare thousands). */
  interfaces: InterfaceInfo[];
  interfaceCount: number;
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
const MAX_LISTED_INTERFACES = 64;

export class CaptureReader {
  readonly log = new CaptureLog();
  format: CaptureFormat | null = null;
  compression: 'gzip' | null = null;
  /** True when the file could not be read at all (not a capture, bad header, I/O); final once batches() is done. */
  failed = false;
  packets = 0;
  decoded = 0;
  /** (reason * 2 + ipDecoded) → detail (ethertype or link type) → count; small-integer keys. */
  private readonly reasonCounts = new Map<number, Map<number, number>>();
  private readonly registry: InterfaceRegistry;
  private readonly pool: BatchPool;
  private source: ByteSource | null = null;
  private parser: RecordParser | null = null;
  private pcapHeader: PcapHeader | null = null;
  private readonly firstIface: number;
  private window: ReadWindow | null = null;
  private readonly chunkSize: number;
  private started = false;

  private constructor(readonly file: string, opts: ReadOptions) {
    this.registry = opts.registry ?? new InterfaceRegistry();
    this.pool = opts.pool ?? new BatchPool();
    this.firstIface = this.registry.size;
    this.chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
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
      this.window = new ReadWindow(this.source, this.chunkSize);
    } catch (e) {
      this.fail(e instanceof SourceError ? e.message : String(e), 0);
      return;
    }
    await this.fill(PCAP_HEADER_LEN);
    const w = this.window!;
    const head = w.buf.subarray(w.pos, w.end);
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
      w.pos += PCAP_HEADER_LEN;
    } else if (head.length === 0 && !this.log.error) {
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
    const w = this.window!;
    await w.fill(need);
    if (w.error) this.log.fatal(w.error.message, w.error.offset);
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
    const w = this.window!;
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
        if (w.eof) {
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
    const w = this.window!;
    const have = w.end - w.pos;
    const offset = w.base + w.pos;
    const what = this.format === 'pcapng' ? 'block' : 'record';
    const message = `truncated ${what} at end of file: needs ${need} bytes, only ${have} present`;
    this.log.skipRecord(`truncated ${what}`, offset, message);
    this.log.fatal(message, offset);
  }

  /** Bytes of the file itself (compressed, for gzip) consumed so far: progress against its size. */
  get fileBytesRead(): number {
    return this.source ? this.source.fileBytesRead : this.closedBytesRead;
  }
  private closedBytesRead = 0;

  async close(): Promise<void> {
    const s = this.source;
    this.source = null;
    if (s) {
      this.closedBytesRead = s.fileBytesRead;
      await this.window?.settle();
      await s.close();
    }
  }

  /** Count what a batch holds: packets decoded to IP and the reasons for the others. */
  private tally(batch: PacketBatch): void {
    const n = batch.length;
    this.packets += n;
    const reason = batch.reason;
    const ipv = batch.ipVersion;
    let decoded = 0;
    for (let i = 0; i < n; i++) {
      decoded += ipv[i] !== 0 ? 1 : 0;
      if (reason[i] !== 0) this.countReason(batch, i, reason[i]);
    }
    this.decoded += decoded;
  }

  private countReason(batch: PacketBatch, i: number, r: number): void {
    let detail = 0;
    if (r === DecodeReason.NOT_IP) detail = batch.l3Type[i];
    else if (r === DecodeReason.UNSUPPORTED_LINKTYPE) detail = this.registry.linkTypeOf(batch.iface[i]) & 0xffff;
    // Whether the IP header was decoded decides "partial" vs "skipped", whatever the reason code.
    const key = r * 2 + (batch.ipVersion[i] !== 0 ? 1 : 0);
    let m = this.reasonCounts.get(key);
    if (!m) this.reasonCounts.set(key, (m = new Map()));
    m.set(detail, (m.get(detail) ?? 0) + 1);
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
    for (const key of [...this.reasonCounts.keys()].sort((a, b) => a - b)) {
      const r = key >> 1;
      const target = key & 1 ? partial : skipped;
      const details = this.reasonCounts.get(key)!;
      for (const detail of [...details.keys()].sort((a, b) => a - b)) {
        let label = reasonLabel(r);
        if (r === DecodeReason.NOT_IP) label = `not IP (${ethertypeLabel(detail)})`;
        else if (r === DecodeReason.UNSUPPORTED_LINKTYPE) label = `unsupported link type ${detail} (${linkTypeName(detail)})`;
        target[label] = (target[label] ?? 0) + details.get(detail)!;
      }
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
    const times = this.parser?.times;
    return {
      file: this.file,
      format: this.format,
      compression: this.compression,
      byteOrder,
      version,
      precision,
      snaplen: snaps.length === 1 ? snaps[0] : null,
      linkTypes: this.linkTypeSummary(ifaces),
      interfaces: ifaces.slice(0, MAX_LISTED_INTERFACES),
      interfaceCount: ifaces.length,
      sections: ng ? ng.sections.length : this.pcapHeader ? 1 : 0,
      packets: this.packets,
      decoded: this.decoded,
      skipped,
      partial,
      unreadable,
      firstTimestamp: times?.first ? formatTimestamp(times.first) : null,
      lastTimestamp: times?.last ? formatTimestamp(times.last) : null,
      outOfOrder: times?.outOfOrder ?? 0,
      bytes: this.window ? Math.max(0, this.window.offset) : 0,
      error: this.log.error,
      warnings: [...this.log.warnings.values()].map((p: CaptureProblem) => ({ message: p.message, offset: p.offset, count: p.count })),
    };
  }

  private linkTypeSummary(ifaces: InterfaceInfo[]): CaptureInfo['linkTypes'] {
    const perIface = this.parser?.packetsByInterface() ?? new Map<number, number>();
    const perLinkType = new Map<number, number>();
    for (const i of ifaces) perLinkType.set(i.linkType, (perLinkType.get(i.linkType) ?? 0) + (perIface.get(i.id) ?? 0));
    return [...perLinkType.keys()].sort((a, b) => a - b).map((lt) => ({ linkType: lt, name: linkTypeName(lt), packets: perLinkType.get(lt)! }));
  }
}
