/**
 * PacketBatch: a struct of typed-array columns, one row per captured frame.
 *
 * Every frame read from a capture gets a row, decodable or not (the `reason`
 * column says why a row is incomplete), so counts are exact and nothing is
 * lost between stages. Columns are fixed-width typed arrays: one object per
 * packet would cap throughput at a fraction of what the hot path needs.
 *
 * Conventions:
 *  - a timestamp is tsSec * 1e9 + tsNsec nanoseconds since the Unix epoch
 *    (two integer columns: a single float64 cannot hold ns exactly);
 *  - IPv4 addresses are uint32 in host order of the big-endian field
 *    (192.0.2.10 → 0xC000020A); for IPv6 rows src/dst are 0 and the address
 *    is in src6/dst6 as four big-endian 32-bit words at [4*row .. 4*row+3];
 *  - fields that a row does not have are 0 (tcpWscale: 255 = absent).
 */

/** Bytes of transport payload kept per row (head), and of its end when it is longer (tail). */
export const PAYLOAD_HEAD = 48;
export const PAYLOAD_TAIL = 16;

type Ctor = Uint8ArrayConstructor | Uint16ArrayConstructor | Uint32ArrayConstructor | Float64ArrayConstructor;

interface ColumnSpec {
  name: ColumnName;
  type: Ctor;
  /** Values per row (4 for IPv6 words). */
  width: number;
  /** Written for every row by the reader/decoder: no need to clear on reset. */
  alwaysWritten?: boolean;
  /** Cleared only when a row of this group was written since the last reset. */
  group?: 'v6' | 'inner' | 'inner6' | 'victim6' | 'class' | 'enrich';
}

export type ColumnName =
  | 'tsSec' | 'tsNsec' | 'iface' | 'capLen' | 'wireLen' | 'reason' | 'l3Type'
  | 'ipVersion' | 'src' | 'dst' | 'src6' | 'dst6' | 'proto' | 'ttl' | 'tos' | 'ipId' | 'ipLen'
  | 'ipHdrLen' | 'fragFlags' | 'fragOffset' | 'l3Offset'
  | 'sport' | 'dport' | 'tcpFlags' | 'seq' | 'ack' | 'window' | 'tcpHdrLen'
  | 'tcpOptLayout' | 'tcpMss' | 'tcpWscale' | 'udpLen' | 'icmpType' | 'icmpCode'
  | 'innerVersion' | 'innerSrc' | 'innerDst' | 'innerSrc6' | 'innerDst6' | 'innerProto' | 'innerTtl' | 'innerIpId'
  | 'innerSport' | 'innerDport' | 'innerSeq' | 'innerTcpFlags' | 'innerWindow'
  | 'payloadOffset' | 'payloadLen' | 'payloadHead' | 'payloadHeadLen' | 'payloadTail'
  | 'kind' | 'response' | 'tools' | 'filters' | 'tags' | 'victim' | 'victim6' | 'victimPort' | 'attackerPort'
  | 'victimProto' | 'sensor' | 'srcScope' | 'classFlags'
  | 'srcCountry' | 'srcAsn' | 'victimCountry' | 'victimAsn' | 'enrichFlags';

export const COLUMNS: readonly ColumnSpec[] = [
  { name: 'tsSec', type: Float64Array, width: 1, alwaysWritten: true },
  { name: 'tsNsec', type: Uint32Array, width: 1, alwaysWritten: true },
  { name: 'iface', type: Uint32Array, width: 1, alwaysWritten: true },
  { name: 'capLen', type: Uint32Array, width: 1, alwaysWritten: true },
  { name: 'wireLen', type: Uint32Array, width: 1, alwaysWritten: true },
  { name: 'reason', type: Uint8Array, width: 1 },
  { name: 'l3Type', type: Uint16Array, width: 1, alwaysWritten: true },
  { name: 'ipVersion', type: Uint8Array, width: 1 },
  { name: 'src', type: Uint32Array, width: 1 },
  { name: 'dst', type: Uint32Array, width: 1 },
  { name: 'src6', type: Uint32Array, width: 4, group: 'v6' },
  { name: 'dst6', type: Uint32Array, width: 4, group: 'v6' },
  { name: 'proto', type: Uint8Array, width: 1 },
  { name: 'ttl', type: Uint8Array, width: 1 },
  { name: 'tos', type: Uint8Array, width: 1 },
  { name: 'ipId', type: Uint32Array, width: 1 },
  { name: 'ipLen', type: Uint32Array, width: 1 },
  { name: 'ipHdrLen', type: Uint16Array, width: 1 },
  { name: 'fragFlags', type: Uint8Array, width: 1 },
  { name: 'fragOffset', type: Uint16Array, width: 1 },
  { name: 'l3Offset', type: Uint32Array, width: 1 },
  { name: 'sport', type: Uint16Array, width: 1 },
  { name: 'dport', type: Uint16Array, width: 1 },
  { name: 'tcpFlags', type: Uint16Array, width: 1 },
  { name: 'seq', type: Uint32Array, width: 1 },
  { name: 'ack', type: Uint32Array, width: 1 },
  { name: 'window', type: Uint16Array, width: 1 },
  { name: 'tcpHdrLen', type: Uint8Array, width: 1 },
  { name: 'tcpOptLayout', type: Uint32Array, width: 1 },
  { name: 'tcpMss', type: Uint16Array, width: 1 },
  { name: 'tcpWscale', type: Uint8Array, width: 1 },
  { name: 'udpLen', type: Uint16Array, width: 1 },
  { name: 'icmpType', type: Uint8Array, width: 1 },
  { name: 'icmpCode', type: Uint8Array, width: 1 },
  { name: 'innerVersion', type: Uint8Array, width: 1, group: 'inner' },
  { name: 'innerSrc', type: Uint32Array, width: 1, group: 'inner' },
  { name: 'innerDst', type: Uint32Array, width: 1, group: 'inner' },
  { name: 'innerSrc6', type: Uint32Array, width: 4, group: 'inner6' },
  { name: 'innerDst6', type: Uint32Array, width: 4, group: 'inner6' },
  { name: 'innerProto', type: Uint8Array, width: 1, group: 'inner' },
  { name: 'innerTtl', type: Uint8Array, width: 1, group: 'inner' },
  { name: 'innerIpId', type: Uint32Array, width: 1, group: 'inner' },
  { name: 'innerSport', type: Uint16Array, width: 1, group: 'inner' },
  { name: 'innerDport', type: Uint16Array, width: 1, group: 'inner' },
  { name: 'innerSeq', type: Uint32Array, width: 1, group: 'inner' },
  { name: 'innerTcpFlags', type: Uint16Array, width: 1, group: 'inner' },
  { name: 'innerWindow', type: Uint16Array, width: 1, group: 'inner' },
  { name: 'payloadOffset', type: Uint32Array, width: 1 },
  { name: 'payloadLen', type: Uint32Array, width: 1 },
  { name: 'payloadHead', type: Uint8Array, width: PAYLOAD_HEAD },
  { name: 'payloadHeadLen', type: Uint8Array, width: 1 },
  { name: 'payloadTail', type: Uint8Array, width: PAYLOAD_TAIL },
  // classification (src/classify)
  { name: 'kind', type: Uint8Array, width: 1, group: 'class' },
  { name: 'response', type: Uint8Array, width: 1, group: 'class' },
  { name: 'tools', type: Uint16Array, width: 1, group: 'class' },
  { name: 'filters', type: Uint32Array, width: 1, group: 'class' },
  { name: 'tags', type: Uint8Array, width: 1, group: 'class' },
  { name: 'victim', type: Uint32Array, width: 1, group: 'class' },
  { name: 'victim6', type: Uint32Array, width: 4, group: 'class' },
  { name: 'victimPort', type: Uint16Array, width: 1, group: 'class' },
  { name: 'attackerPort', type: Uint16Array, width: 1, group: 'class' },
  { name: 'victimProto', type: Uint8Array, width: 1, group: 'class' },
  { name: 'sensor', type: Uint16Array, width: 1, group: 'class' },
  { name: 'srcScope', type: Uint8Array, width: 1, group: 'class' },
  { name: 'classFlags', type: Uint8Array, width: 1, group: 'class' },
  // enrichment (src/enrich)
  { name: 'srcCountry', type: Uint16Array, width: 1, group: 'enrich' },
  { name: 'srcAsn', type: Uint32Array, width: 1, group: 'enrich' },
  { name: 'victimCountry', type: Uint16Array, width: 1, group: 'enrich' },
  { name: 'victimAsn', type: Uint32Array, width: 1, group: 'enrich' },
  { name: 'enrichFlags', type: Uint8Array, width: 1, group: 'enrich' },
];

/** fragFlags bits (IPv4 flags field; IPv6 fragment header's M flag maps to MF). */
export const FRAG_MF = 1;
export const FRAG_DF = 2;
export const FRAG_RESERVED = 4;

/** TCP flag bits as in the header (NS is the ninth bit). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
export const TCP_NS = 0x100;

export const WSCALE_ABSENT = 255;
/** Rows per batch: small enough that a batch stays in the L2 cache while stages work on it. */
export const DEFAULT_BATCH_ROWS = 8192;

/** Row count and the flags kept beside the columns. */
export interface BatchFlags {
  length: number;
  hasV6: boolean;
  hasInner: boolean;
  hasInner6: boolean;
  hasVictim6: boolean;
  classified: boolean;
  enriched: boolean;
}

/** Byte offset of each column in a batch's buffer (cache-line aligned, staggered) and the total size. */
function layout(capacity: number): { offsets: Record<ColumnName, number>; total: number } {
  const offsets = {} as Record<ColumnName, number>;
  let at = 0;
  COLUMNS.forEach((c, i) => {
    offsets[c.name] = at;
    // Columns of power-of-two sizes would all start on the same cache sets and evict each other
    // when a row is read across them: stagger their starts by a few cache lines.
    at += Math.ceil((capacity * c.width * c.type.BYTES_PER_ELEMENT) / 64) * 64 + 64 * ((i * 7) % 17);
  });
  return { offsets, total: at };
}

/** Bytes one batch of `capacity` rows occupies. */
export function batchByteLength(capacity: number): number {
  return layout(capacity).total;
}

export class PacketBatch {
  readonly capacity: number;
  length = 0;
  /** Set when a row of the group was written; lets reset() skip clean columns. */
  hasV6 = false;
  hasInner = false;
  hasInner6 = false;
  hasVictim6 = false;
  /**
   * Set by Classifier / Enricher, which write their columns for every row; until
   * then those columns hold whatever the batch held before (reset() does not clear them).
   */
  classified = false;
  enriched = false;

  readonly tsSec: Float64Array;
  readonly tsNsec: Uint32Array;
  /** Global interface id (see InterfaceRegistry): which capture interface / sensor. */
  readonly iface: Uint32Array;
  readonly capLen: Uint32Array;
  readonly wireLen: Uint32Array;
  readonly reason: Uint8Array;
  /** EtherType-space id of the network layer found (0x0800, 0x86dd, 0x0806, …; 0 unknown). */
  readonly l3Type: Uint16Array;
  readonly ipVersion: Uint8Array;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  readonly src6: Uint32Array;
  readonly dst6: Uint32Array;
  /** Upper-layer protocol (IPv6: after extension headers). */
  readonly proto: Uint8Array;
  /** TTL (IPv4) or hop limit (IPv6). */
  readonly ttl: Uint8Array;
  /** IPv4 TOS / IPv6 traffic class. */
  readonly tos: Uint8Array;
  /** IPv4 identification; IPv6 fragment-header identification when present. */
  readonly ipId: Uint32Array;
  /** IPv4 total length; IPv6 40 + payload length. */
  readonly ipLen: Uint32Array;
  /** IPv4 IHL in bytes; IPv6 40 + extension headers. */
  readonly ipHdrLen: Uint16Array;
  readonly fragFlags: Uint8Array;
  /** Fragment offset in 8-byte units, as in the header. */
  readonly fragOffset: Uint16Array;
  /** Offset of the IP header inside the frame. */
  readonly l3Offset: Uint32Array;
  /** TCP/UDP/SCTP/DCCP ports. */
  readonly sport: Uint16Array;
  readonly dport: Uint16Array;
  readonly tcpFlags: Uint16Array;
  /** Raw (absolute) TCP sequence and acknowledgement numbers. */
  readonly seq: Uint32Array;
  readonly ack: Uint32Array;
  readonly window: Uint16Array;
  readonly tcpHdrLen: Uint8Array;
  /** Compact TCP options signature: hash of the option kinds and lengths in order (0 = none); see tcpopts.ts. */
  readonly tcpOptLayout: Uint32Array;
  readonly tcpMss: Uint16Array;
  readonly tcpWscale: Uint8Array;
  readonly udpLen: Uint16Array;
  readonly icmpType: Uint8Array;
  readonly icmpCode: Uint8Array;
  /** The packet quoted by an ICMP error or carried by a tunnel (GRE, IP-in-IP); innerVersion 0 = none. */
  readonly innerVersion: Uint8Array;
  readonly innerSrc: Uint32Array;
  readonly innerDst: Uint32Array;
  readonly innerSrc6: Uint32Array;
  readonly innerDst6: Uint32Array;
  readonly innerProto: Uint8Array;
  /** TTL / hop limit and IPv4 id of the quoted packet (the spoofer's tool shows in them). */
  readonly innerTtl: Uint8Array;
  readonly innerIpId: Uint32Array;
  /** First four bytes after the quoted IP header as two ports (the ports for TCP/UDP/SCTP/DCCP). */
  readonly innerSport: Uint16Array;
  readonly innerDport: Uint16Array;
  /** Quoted TCP fields, as far as the quote reaches (RFC 792 guarantees only 8 bytes). */
  readonly innerSeq: Uint32Array;
  readonly innerTcpFlags: Uint16Array;
  readonly innerWindow: Uint16Array;
  /** Offset of the transport payload inside the frame, and its length as the IP header declares it. */
  readonly payloadOffset: Uint32Array;
  readonly payloadLen: Uint32Array;
  /**
   * Payload excerpt: the first payloadHeadLen (≤ PAYLOAD_HEAD) captured bytes at
   * [PAYLOAD_HEAD·row …]; when more than PAYLOAD_HEAD bytes were captured, the last
   * PAYLOAD_TAIL captured bytes at [PAYLOAD_TAIL·row …] (payload patterns, evidence).
   */
  readonly payloadHead: Uint8Array;
  readonly payloadHeadLen: Uint8Array;
  readonly payloadTail: Uint8Array;
  /** DataViews over payloadHead / payloadTail for word-wise copies. */
  readonly payloadHeadView: DataView;
  readonly payloadTailView: DataView;

  // ---- classification (src/classify): 0 where not classified ----
  /** TrafficKind. */
  readonly kind: Uint8Array;
  /** BackscatterResponse: what the victim sent (SYN-ACK, RST-ACK, …); 0 unless backscatter. */
  readonly response: Uint8Array;
  /** Tool fingerprint bits (ToolBit). */
  readonly tools: Uint16Array;
  /** corsaro3 elementary filter bits (FilterBit). */
  readonly filters: Uint32Array;
  /** corsaro3 composite tags (SpoofTag: spoofed 1, erratic 2, non-routable 4, large-scale scan 8). */
  readonly tags: Uint8Array;
  /** Backscatter: the DoS victim (IPv4; IPv6 in victim6), its port and protocol, and the attacker (spoofed) port. */
  readonly victim: Uint32Array;
  readonly victim6: Uint32Array;
  readonly victimPort: Uint16Array;
  readonly attackerPort: Uint16Array;
  readonly victimProto: Uint8Array;
  /** 1-based index of the sensor whose monitored prefixes hold the destination; 0 = not monitored. */
  readonly sensor: Uint16Array;
  /** Where the source lies in the observatory's own space (SourceScope). */
  readonly srcScope: Uint8Array;
  /** ClassFlag bits (ICMP inner-source mismatch, …). */
  readonly classFlags: Uint8Array;

  // ---- enrichment (src/enrich) ----
  /** Country of the source / victim as two ASCII letters packed ('J' << 8 | 'P'); 0 = unknown. */
  readonly srcCountry: Uint16Array;
  readonly srcAsn: Uint32Array;
  readonly victimCountry: Uint16Array;
  readonly victimAsn: Uint32Array;
  /** EnrichFlag bits (source domestic, victim domestic). */
  readonly enrichFlags: Uint8Array;

  /** All columns in COLUMNS order, for generic row operations. */
  private readonly columns: (Uint8Array | Uint16Array | Uint32Array | Float64Array)[];

  /** The one buffer all columns live in (a SharedArrayBuffer for batches shared with workers). */
  readonly buffer: ArrayBufferLike;

  /**
   * @param buffer an existing buffer laid out by batchByteLength(capacity) — a
   *   SharedArrayBuffer received from another thread: the batch then views the
   *   same rows. Without it a fresh buffer is allocated.
   */
  constructor(capacity = DEFAULT_BATCH_ROWS, buffer?: ArrayBufferLike) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`batch capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    const { offsets, total } = layout(capacity);
    if (buffer && buffer.byteLength < total) throw new RangeError(`batch buffer of ${buffer.byteLength} bytes is smaller than the ${total} a batch of ${capacity} rows needs`);
    this.buffer = buffer ?? new ArrayBuffer(total);
    // Named assignments (not a loop over COLUMNS): V8 keeps the object's fast shape.
    // Typed arrays view a SharedArrayBuffer as well as an ArrayBuffer (the lib types only say the latter).
    const b = this.buffer as ArrayBuffer;
    const o = offsets;
    this.tsSec = new Float64Array(b, o.tsSec, capacity);
    this.tsNsec = new Uint32Array(b, o.tsNsec, capacity);
    this.iface = new Uint32Array(b, o.iface, capacity);
    this.capLen = new Uint32Array(b, o.capLen, capacity);
    this.wireLen = new Uint32Array(b, o.wireLen, capacity);
    this.reason = new Uint8Array(b, o.reason, capacity);
    this.l3Type = new Uint16Array(b, o.l3Type, capacity);
    this.ipVersion = new Uint8Array(b, o.ipVersion, capacity);
    this.src = new Uint32Array(b, o.src, capacity);
    this.dst = new Uint32Array(b, o.dst, capacity);
    this.src6 = new Uint32Array(b, o.src6, capacity * 4);
    this.dst6 = new Uint32Array(b, o.dst6, capacity * 4);
    this.proto = new Uint8Array(b, o.proto, capacity);
    this.ttl = new Uint8Array(b, o.ttl, capacity);
    this.tos = new Uint8Array(b, o.tos, capacity);
    this.ipId = new Uint32Array(b, o.ipId, capacity);
    this.ipLen = new Uint32Array(b, o.ipLen, capacity);
    this.ipHdrLen = new Uint16Array(b, o.ipHdrLen, capacity);
    this.fragFlags = new Uint8Array(b, o.fragFlags, capacity);
    this.fragOffset = new Uint16Array(b, o.fragOffset, capacity);
    this.l3Offset = new Uint32Array(b, o.l3Offset, capacity);
    this.sport = new Uint16Array(b, o.sport, capacity);
    this.dport = new Uint16Array(b, o.dport, capacity);
    this.tcpFlags = new Uint16Array(b, o.tcpFlags, capacity);
    this.seq = new Uint32Array(b, o.seq, capacity);
    this.ack = new Uint32Array(b, o.ack, capacity);
    this.window = new Uint16Array(b, o.window, capacity);
    this.tcpHdrLen = new Uint8Array(b, o.tcpHdrLen, capacity);
    this.tcpOptLayout = new Uint32Array(b, o.tcpOptLayout, capacity);
    this.tcpMss = new Uint16Array(b, o.tcpMss, capacity);
    this.tcpWscale = new Uint8Array(b, o.tcpWscale, capacity);
    this.udpLen = new Uint16Array(b, o.udpLen, capacity);
    this.icmpType = new Uint8Array(b, o.icmpType, capacity);
    this.icmpCode = new Uint8Array(b, o.icmpCode, capacity);
    this.innerVersion = new Uint8Array(b, o.innerVersion, capacity);
    this.innerSrc = new Uint32Array(b, o.innerSrc, capacity);
    this.innerDst = new Uint32Array(b, o.innerDst, capacity);
    this.innerSrc6 = new Uint32Array(b, o.innerSrc6, capacity * 4);
    this.innerDst6 = new Uint32Array(b, o.innerDst6, capacity * 4);
    this.innerProto = new Uint8Array(b, o.innerProto, capacity);
    this.innerTtl = new Uint8Array(b, o.innerTtl, capacity);
    this.innerIpId = new Uint32Array(b, o.innerIpId, capacity);
    this.innerSport = new Uint16Array(b, o.innerSport, capacity);
    this.innerDport = new Uint16Array(b, o.innerDport, capacity);
    this.innerSeq = new Uint32Array(b, o.innerSeq, capacity);
    this.innerTcpFlags = new Uint16Array(b, o.innerTcpFlags, capacity);
    this.innerWindow = new Uint16Array(b, o.innerWindow, capacity);
    this.payloadOffset = new Uint32Array(b, o.payloadOffset, capacity);
    this.payloadLen = new Uint32Array(b, o.payloadLen, capacity);
    this.payloadHead = new Uint8Array(b, o.payloadHead, capacity * PAYLOAD_HEAD);
    this.payloadHeadLen = new Uint8Array(b, o.payloadHeadLen, capacity);
    this.payloadTail = new Uint8Array(b, o.payloadTail, capacity * PAYLOAD_TAIL);
    this.kind = new Uint8Array(b, o.kind, capacity);
    this.response = new Uint8Array(b, o.response, capacity);
    this.tools = new Uint16Array(b, o.tools, capacity);
    this.filters = new Uint32Array(b, o.filters, capacity);
    this.tags = new Uint8Array(b, o.tags, capacity);
    this.victim = new Uint32Array(b, o.victim, capacity);
    this.victim6 = new Uint32Array(b, o.victim6, capacity * 4);
    this.victimPort = new Uint16Array(b, o.victimPort, capacity);
    this.attackerPort = new Uint16Array(b, o.attackerPort, capacity);
    this.victimProto = new Uint8Array(b, o.victimProto, capacity);
    this.sensor = new Uint16Array(b, o.sensor, capacity);
    this.srcScope = new Uint8Array(b, o.srcScope, capacity);
    this.classFlags = new Uint8Array(b, o.classFlags, capacity);
    this.srcCountry = new Uint16Array(b, o.srcCountry, capacity);
    this.srcAsn = new Uint32Array(b, o.srcAsn, capacity);
    this.victimCountry = new Uint16Array(b, o.victimCountry, capacity);
    this.victimAsn = new Uint32Array(b, o.victimAsn, capacity);
    this.enrichFlags = new Uint8Array(b, o.enrichFlags, capacity);
    if (!buffer) this.tcpWscale.fill(WSCALE_ABSENT);
    this.payloadHeadView = new DataView(this.buffer, offsets.payloadHead, capacity * PAYLOAD_HEAD);
    this.payloadTailView = new DataView(this.buffer, offsets.payloadTail, capacity * PAYLOAD_TAIL);
    this.columns = COLUMNS.map((c) => this.column(c.name));
  }

  /** A batch whose columns live in a SharedArrayBuffer, to hand to worker threads without copying. */
  static shared(capacity = DEFAULT_BATCH_ROWS): PacketBatch {
    const b = new PacketBatch(capacity, new SharedArrayBuffer(layout(capacity).total));
    b.tcpWscale.fill(WSCALE_ABSENT); // as a new batch has it (views of an existing buffer leave it be)
    return b;
  }

  /** The flags that live outside the buffer (send them with the buffer to another thread). */
  get flags(): BatchFlags {
    return { length: this.length, hasV6: this.hasV6, hasInner: this.hasInner, hasInner6: this.hasInner6, hasVictim6: this.hasVictim6, classified: this.classified, enriched: this.enriched };
  }

  set flags(f: BatchFlags) {
    this.length = f.length;
    this.hasV6 = f.hasV6;
    this.hasInner = f.hasInner;
    this.hasInner6 = f.hasInner6;
    this.hasVictim6 = f.hasVictim6;
    this.classified = f.classified;
    this.enriched = f.enriched;
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  column(name: ColumnName): Uint8Array | Uint16Array | Uint32Array | Float64Array {
    return (this as unknown as Record<ColumnName, Uint8Array | Uint16Array | Uint32Array | Float64Array>)[name];
  }

  /** Empty the batch for reuse; clears only the rows written (and column groups used). */
  reset(): void {
    const n = this.length;
    if (n > 0) {
      for (let i = 0; i < COLUMNS.length; i++) {
        const c = COLUMNS[i];
        if (c.alwaysWritten) continue;
        if (c.group === 'v6' && !this.hasV6) continue;
        if (c.group === 'inner' && !this.hasInner) continue;
        if (c.group === 'inner6' && !this.hasInner6) continue;
        // Classification and enrichment columns are written whole by Classifier / Enricher.
        if (c.group === 'class' || c.group === 'enrich') continue;
        if (c.width > 4) continue; // payload bytes: valid only as far as payloadHeadLen says
        this.columns[i].fill(c.name === 'tcpWscale' ? WSCALE_ABSENT : 0, 0, n * c.width);
      }
    }
    this.length = 0;
    this.hasV6 = this.hasInner = this.hasInner6 = false;
    this.classified = this.enriched = false;
  }

  /**
   * Append rows [from, from+count) of `other` (same column layout) to this batch.
   * Returns the number of rows copied (bounded by the free capacity).
   */
  appendRows(other: PacketBatch, from: number, count: number): number {
    const n = Math.min(count, this.capacity - this.length, other.length - from);
    if (n <= 0) return 0;
    const at = this.length;
    const dst = this.columns;
    const src = other.columns;
    for (let c = 0; c < dst.length; c++) {
      const w = COLUMNS[c].width;
      const d = dst[c];
      const s = src[c];
      if (n * w <= 16) {
        // Short runs (interleaved merges): a loop beats creating a subarray view.
        for (let k = 0; k < n * w; k++) d[at * w + k] = s[from * w + k];
      } else {
        d.set(s.subarray(from * w, (from + n) * w), at * w);
      }
    }
    this.hasV6 ||= other.hasV6;
    this.hasInner ||= other.hasInner;
    this.hasInner6 ||= other.hasInner6;
    this.hasVictim6 ||= other.hasVictim6;
    this.length = at + n;
    return n;
  }

  /** A compact copy holding only this batch's rows, for consumers that keep batches. */
  clone(): PacketBatch {
    const b = new PacketBatch(Math.max(1, this.length));
    b.appendRows(this, 0, this.length);
    return b;
  }

  /** Timestamp of a row as a float in seconds (exact to ~0.2 µs at today's epoch). */
  timeSeconds(row: number): number {
    return this.tsSec[row] + this.tsNsec[row] / 1e9;
  }
}

/** Hands out PacketBatches and takes them back, so steady-state reading allocates nothing. */
export class BatchPool {
  private readonly free: PacketBatch[] = [];
  /**
   * @param shared allocate batches in SharedArrayBuffers (to hand them to worker threads).
   */
  constructor(
    readonly rows = DEFAULT_BATCH_ROWS,
    private readonly maxFree = 4,
    readonly shared = false,
  ) {}

  acquire(): PacketBatch {
    const b = this.free.pop();
    if (b) return b;
    return this.shared ? PacketBatch.shared(this.rows) : new PacketBatch(this.rows);
  }

  /** Batches waiting for reuse. */
  get idle(): number {
    return this.free.length;
  }

  release(b: PacketBatch): void {
    if (b.capacity !== this.rows || this.free.length >= this.maxFree) return;
    b.reset();
    this.free.push(b);
  }
}
