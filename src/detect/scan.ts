/**
 * Scan events, the Merit/Stanford darknet-events model (docs/methods.md §2.1;
 * Merit-Research/darknet-events @ 74f9f7db), with Zeek's scan shapes (§2.3):
 *
 *  - an event per (source, port, traffic type): SYN probes and UDP by destination
 *    port, SYN-ACK and RST by source port, ICMP by type class with port 0
 *    (decode.go:90-110);
 *  - an event ends after `timeoutSec` (624) without packets (cache.go:188);
 *  - it is kept when it reached ≥ `minDestinations` (10) distinct darknet
 *    addresses and an extrapolated global rate ≥ `minRatePps` (10):
 *    packets × 2^32/N ÷ (last − first) (annotate.go:262-290; a zero duration
 *    gives an infinite rate, as there);
 *  - a tool label only when every one of the first k (3) packets carries it.
 *  - shape (Zeek scan.zeek, over epoch-aligned `shapeIntervalSec` (300 s) epochs
 *    as SumStats counts them): `horizontal` when the event reached more than
 *    `addrScanHosts` (25) distinct hosts within one epoch; `strobe` when its
 *    source did that on ≥ `portScanPorts` (15) ports in one epoch (many hosts ×
 *    many ports: darkscope's rule, methods.md marks strobe UNCONFIRMED);
 *    `vertical` events are their own: a source that began probes (TCP SYN, UDP)
 *    on ≥ `portScanPorts` ports of one host within one epoch. A port counts for
 *    the host its (source, port) key first probed, so parallel vertical scans of
 *    several hosts are counted from below.
 *
 * Memory is bounded and all typed arrays (no object per key, nothing for the
 * garbage collector): every key is a 64-byte record of a RecordTable (vertical
 * scans of every port make millions of keys, and one destination never makes an
 * event); at its second destination a key gets a block in an arena: an exact
 * (destination, epoch) table, then HyperLogLog registers. Caps: `maxKeys` keys,
 * `maxExtended` such blocks, `maxPairs` (source, host) pairs; packets past a cap
 * are counted in `droppedPackets`, not tracked. Events are emitted when they end
 * (stream time passing their timeout, checked every `sweepSec`) or at finish().
 *
 * Speed: a packet's key record and destination slot are cache (and TLB) misses
 * in tables of tens of megabytes; add() takes rows in blocks and loads those
 * slots for the whole block in short loops first, so that the misses overlap.
 */
import type { PacketBatch } from '../decode/batch.js';
import { formatIPv4, formatIPv6 } from '../config/cidr.js';
import { TOOL_RULES, TrafficKind, labelsOf, TAG_RULES } from '../classify/rules.js';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../decode/batch.js';
import { hash128, mix32 } from '../stats/distinct.js';
import { RecordTable } from './table.js';

export interface ScanOptions {
  timeoutSec: number;
  minDestinations: number;
  minRatePps: number;
  samples: number;
  /** Zeek addr_scan_threshold: a horizontal scan has more than this many hosts on one port in an epoch. */
  addrScanHosts: number;
  /** Zeek port_scan_threshold: a vertical scan has at least this many ports on one host in an epoch. */
  portScanPorts: number;
  /** Zeek addr_scan_interval / port_scan_interval (epoch length). */
  shapeIntervalSec: number;
  /** Keys tracked at once (64 bytes each); past it new keys' packets are dropped and counted. */
  maxKeys: number;
  /** Keys with two or more destinations (a destination block each). */
  maxExtended: number;
  /** (source, host) pairs tracked for vertical scans. */
  maxPairs: number;
  /** Destinations counted exactly per key; past it HyperLogLog (p = 10, 3.3 %). */
  exactDestinations: number;
  /**
   * Exact destination words (4 bytes) held by all keys together; past it keys estimate once
   * they have minDestinations (so that the threshold is decided exactly). An estimate is
   * never below the exact count it started from nor above the packets.
   */
  exactWords: number;
  sweepSec: number;
  /** 2^32 / N (Darknet.extrapolationFactor). */
  extrapolationFactor: number;
  /** N: monitored IPv4 addresses (for the share of IPv4 covered). */
  darknetSize: number;
}

export const SCAN_DEFAULTS: Omit<ScanOptions, 'extrapolationFactor' | 'darknetSize'> = {
  timeoutSec: 624,
  minDestinations: 10,
  minRatePps: 10,
  samples: 3,
  addrScanHosts: 25,
  portScanPorts: 15,
  shapeIntervalSec: 300,
  maxKeys: 2_000_000,
  maxExtended: 400_000,
  maxPairs: 1_000_000,
  exactDestinations: 1024,
  exactWords: 16_000_000,
  sweepSec: 300,
};

/** Merit's traffic types (decode.go), as darkscope labels. */
export const TRAFFIC_TYPES = ['tcp-syn', 'tcp-synack', 'tcp-ack', 'tcp-rst', 'tcp-other', 'udp', 'icmp-echo-request', 'icmp-echo-reply', 'icmp-unreachable', 'icmp-other'] as const;

export type ScanShape = 'horizontal' | 'vertical' | 'strobe';

export interface ScanEvent {
  source: string;
  /** The port of the event; 0 for ICMP and for vertical scans (see `ports`). */
  port: number;
  trafficType: (typeof TRAFFIC_TYPES)[number];
  packets: number;
  destinations: number;
  slash24s: number;
  firstSec: number;
  lastSec: number;
  /** Extrapolated global rate (packets/s × 2^32 / N). */
  ratePps: number;
  /** Share of IPv4 covered: distinct destinations / N. */
  ipv4Share: number;
  /** The tool label every one of the first k packets carried, or null. */
  tool: string | null;
  /** Spoofing tags seen on any packet of the event. */
  tags: string[];
  /** Zeek shape, or null (fewer hosts than a horizontal scan in every epoch). */
  shape: ScanShape | null;
  /** Vertical scans: the host scanned and the distinct ports it was probed on. */
  host: string | null;
  ports: number;
  approximate: boolean;
}

/** Per source with horizontal keys: ports passing addrScanHosts per epoch, and strobe epochs. */
interface SourceShape {
  epoch: number;
  ports: number;
  strobeFrom: number;
  strobeTo: number;
  /** Horizontal keys of this source still open (the entry lives while any is). */
  refs: number;
}

const V6_BIT = 1 << 20;
const USED_BIT = 1 << 21;
// Key records (RecordTable, 16 words, one cache line's worth): 0 source, 1 port | type << 16 |
// v6 | used, 2 meta (sampleTools | sampled << 8 | tags << 16), 3 first destination, f64 4-5
// first, f64 6-7 last, 8 packets, 9 word offset of the key's destination block, 10 its mode
// (below), 11-14 the header of keys with two or more destinations (i32, below), 15 IPv6
// keys: their source's slot in v6Keys + 1.
const K_META = 2, K_DST0 = 3, K_FIRST = 4, K_LAST = 6, K_PACKETS = 8, K_BLOCK = 9, K_MODE = 10, K_HDR = 11, K_V6 = 15;
// Modes: one destination so far (no block); 1 + c: exact set of 8 << c (destination, epoch + 1)
// entries in the exact arena; APPROX: HyperLogLog registers and a host list in the estimate arena.
const ONE = 0, APPROX = 0xff;
// Pair records (source, host): 2 meta (sampleTools | sampled << 8 | type << 16), 3 ports this
// epoch, f64 4-5 first, f64 6-7 last, 8 epoch, 9 ports, 10 most ports in an epoch, 11 IPv6
// pairs: their addresses' slot in v6Pairs + 1.
const P_META = 2, P_EPOCH_PORTS = 3, P_FIRST = 4, P_LAST = 6, P_EPOCH = 8, P_PORTS = 9, P_MAX = 10, P_V6 = 11;
const META_MASK = 0x7fffffff;
// Keys with two or more destinations have a header in their record (i32 words from K_HDR):
// 0 distinct destinations (exact), 1 epoch, 2 distinct hosts this epoch, 3 last epoch past
// the host threshold (-1: never); epochs are int32. Exact blocks: an open-addressing
// table of 8 << c (destination, epoch + 1) pairs (mark 0: empty). Estimate blocks: the epoch's
// first hosts (addrScanHosts + 1 words, rounded up to 4), then 2^10 one-byte HyperLogLog
// registers for destinations and 2^10 for /24s (as DistinctCounter(10) keeps them).
const H_N = 0, H_EPOCH = 1, H_EPOCHN = 2, H_HEPOCH = 3;
const HLL_P = 10, HLL_WORDS = (1 << HLL_P) >>> 2;
/** Words of the estimate arena past its first small one (it grows by doubling). */
const AP_RESERVE = 1 << 22;
/** Rows per block of the three-pass loop in add(). */
const BLOCK = 128;

export class ScanDetector {
  readonly opts: ScanOptions;
  private readonly out: ScanEvent[] = [];
  private nextSweep = -Infinity;
  droppedPackets = 0;
  private readonly keys = new RecordTable(16);
  private readonly pairs = new RecordTable(12);
  private extCount = 0;
  /** Exact destination words held by all keys (bounded by `limit`: past it keys estimate). */
  private readonly budget: { words: number; limit: number; exactLimit: number };
  /** Exact blocks (one arena, a free list per size class; grows by doubling). */
  private ex = new Uint32Array(1 << 14);
  private exTop = 0;
  private readonly exFree: number[][] = [];
  /** Estimate blocks (fixed size `apWords`). */
  private ap = new Uint32Array(1 << 14);
  private apB = new Uint8Array(this.ap.buffer);
  private apTop = 0;
  private readonly apFree: number[] = [];
  private readonly exReserve: number;
  private readonly apHosts: number;
  private readonly apWords: number;
  /** IPv6 addresses of keys' sources and of (source, host) pairs: their records hold hashes. */
  private readonly v6Keys = new AddressSlab(4);
  private readonly v6Pairs = new AddressSlab(8);
  private readonly shapes = new Map<number, SourceShape>();
  private readonly scratchSrc = new Uint32Array(BLOCK);
  private readonly scratchDst = new Uint32Array(BLOCK);
  private readonly scratchKb = new Uint32Array(BLOCK);
  private readonly scratchHash = new Int32Array(BLOCK);
  private readonly scratchOff = new Int32Array(BLOCK);
  private readonly scratchA1 = new Int32Array(BLOCK);
  private readonly scratchA2 = new Int32Array(BLOCK);
  private readonly scratchA3 = new Int32Array(BLOCK);
  private readonly scratchA4 = new Int32Array(BLOCK);
  private scratchNets = new Uint32Array(64);
  /** Where prefetching loads go (kept so they are not optimised away). */
  sink = 0;

  constructor(opts: Partial<ScanOptions> & Pick<ScanOptions, 'extrapolationFactor' | 'darknetSize'>) {
    this.opts = { ...SCAN_DEFAULTS, ...opts };
    this.budget = { words: 0, limit: this.opts.exactWords, exactLimit: this.opts.exactDestinations };
    this.apHosts = (this.opts.addrScanHosts + 4) & ~3;
    this.apWords = this.apHosts + 2 * HLL_WORDS;
    // The exact words plus headers and blocks on the free lists (about half again, measured).
    this.exReserve = 2 ** Math.ceil(Math.log2(Math.max(1 << 14, Math.min(this.opts.exactWords * 2, 1 << 28))));
  }

  /** Keys tracked now (open events and one-destination keys). */
  get tracked(): number {
    return this.keys.size;
  }

  /** Keys with two or more destinations now. */
  get extended(): number {
    return this.extCount;
  }

  /** Bytes of detector state in typed arrays (key and pair tables, the arenas' used part). */
  get stateBytes(): number {
    return this.keys.u32.byteLength + this.pairs.u32.byteLength + 4 * (this.exTop + this.apTop);
  }

  /** Merit's type and port of a row, or null for rows that are not IP. */
  static typeOf(b: PacketBatch, i: number): [number, number] | null {
    const tp = typeCode(b, i);
    return tp < 0 ? null : [tp & 0xf, tp >>> 4];
  }

  /**
   * Rows [from, to) of a classified batch, in time order. In blocks of rows, three passes:
   * keys and a load of their record slots; records found and loads of the destination
   * slots they will probe; then the packets in order. The first two only warm the cache
   * (many misses in flight at once instead of one after another); the third does all the
   * work and reuses a record found in the second unless records moved since.
   */
  add(b: PacketBatch, from = 0, to = b.length): void {
    const { timeoutSec, samples, maxKeys, shapeIntervalSec, addrScanHosts } = this.opts;
    const kind = b.kind, ipVersion = b.ipVersion, tsSec = b.tsSec, tsNsec = b.tsNsec, tools = b.tools, tags = b.tags;
    const keys = this.keys, pairs = this.pairs;
    const S = this.scratchSrc, D = this.scratchDst, K = this.scratchKb, H = this.scratchHash, O = this.scratchOff;
    const A1 = this.scratchA1, A2 = this.scratchA2, A3 = this.scratchA3, A4 = this.scratchA4;
    const regs = 4 * this.apHosts;
    for (let blockStart = from; blockStart < to; blockStart += BLOCK) {
      const blockEnd = Math.min(to, blockStart + BLOCK);
      // Pass 1: each row's key and its hash; then (a loop short enough for many misses to be
      // in flight) loads of the records' home slots.
      let sink = 0;
      for (let i = blockStart, j = 0; i < blockEnd; i++, j++) {
        const tp = kind[i] === TrafficKind.OTHER ? -1 : typeCode(b, i);
        if (tp < 0) {
          K[j] = 0;
          continue;
        }
        const v6 = ipVersion[i] === 6;
        const w = 4 * i;
        const src = v6 ? hash128(b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]) : b.src[i];
        const kb = (tp >>> 4) | ((tp & 0xf) << 16) | (v6 ? V6_BIT : 0) | USED_BIT;
        S[j] = src;
        D[j] = v6 ? hash128(b.dst6[w], b.dst6[w + 1], b.dst6[w + 2], b.dst6[w + 3]) : b.dst[i];
        K[j] = kb;
        H[j] = RecordTable.hash(src, kb);
      }
      {
        const ku = keys.u32, last = keys.stride - 1, n = blockEnd - blockStart;
        for (let j = 0; j < n; j++) {
          if (K[j] === 0) continue;
          const o = keys.homeOffset(H[j]);
          sink ^= ku[o] ^ ku[o + last];
        }
      }
      // Pass 2: find the records and where each row's destination (or new pair) will be
      // looked up; then, again in a short loop, loads of those slots.
      const moves = keys.moves;
      {
        const ku = keys.u32, pu = pairs.u32, plast = pairs.stride - 1, ex = this.ex, apB = this.apB;
        const n = blockEnd - blockStart;
        for (let j = 0; j < n; j++) {
          const kb = K[j];
          A1[j] = A2[j] = A3[j] = -1;
          if (kb === 0) continue;
          const o = keys.findHashed(S[j], kb, H[j]);
          O[j] = o;
          if (o < 0) {
            const type = (kb >>> 16) & 0xf;
            if (type === 0 || type === 5) A1[j] = pairs.homeOffset(RecordTable.hash(S[j], ((kb & V6_BIT) !== 0 ? D[j] ^ 0x80000000 : D[j]) >>> 0));
            continue;
          }
          const mode = ku[o + K_MODE];
          if (mode === ONE) continue;
          const bo = ku[o + K_BLOCK], dst = D[j];
          if (mode !== APPROX) {
            A2[j] = bo + 2 * (mix32(dst) & ((8 << (mode - 1)) - 1));
          } else {
            A3[j] = 4 * bo + regs + (mix32(dst) >>> (32 - HLL_P));
            A4[j] = 4 * bo + regs + (1 << HLL_P) + (mix32(dst >>> 8) >>> (32 - HLL_P));
          }
        }
        // A1: a pair record (new keys); A2: an exact slot; A3 and A4: an estimate's registers.
        for (let j = 0; j < n; j++) {
          const a2 = A2[j];
          if (a2 >= 0) sink ^= ex[a2];
          else {
            const a3 = A3[j];
            if (a3 >= 0) sink ^= apB[a3] ^ apB[A4[j]];
            else {
              const a1 = A1[j];
              if (a1 >= 0) sink ^= pu[a1] ^ pu[a1 + plast];
            }
          }
        }
      }
      this.sink ^= sink;
      // Pass 3: the packets.
      for (let i = blockStart, j = 0; i < blockEnd; i++, j++) {
        const kb = K[j];
        if (kb === 0) continue;
        const t = tsSec[i] + tsNsec[i] / 1e9;
        if (t >= this.nextSweep) this.sweep(t);
        const src = S[j], dst = D[j];
        let o = O[j] >= 0 && keys.moves === moves ? O[j] : keys.findHashed(src, kb, H[j]);
        if (o >= 0 && t - keys.f64[(o + K_LAST) >>> 1] > timeoutSec) {
          // The key's event ended before this packet: a new one starts in the same record.
          this.close(o, src, kb);
          this.begin(b, i, o, src, dst, kb, t);
          continue;
        }
        if (o < 0) {
          if (keys.size >= maxKeys) {
            this.droppedPackets++;
            continue;
          }
          o = keys.insert(src, kb);
          this.begin(b, i, o, src, dst, kb, t);
          continue;
        }
        const u = keys.u32, f = keys.f64;
        const p = u[o + K_PACKETS];
        if (p !== 0xffffffff) u[o + K_PACKETS] = p + 1;
        const li = (o + K_LAST) >>> 1;
        const prevLast = f[li];
        if (t > prevLast) f[li] = t;
        const m = u[o + K_META] & META_MASK;
        const sampled = (m >>> 8) & 0xff;
        u[o + K_META] = ((sampled < samples ? (m & tools[i] & 0x7f) | ((sampled + 1) << 8) : m & 0xffff) | (((m >>> 16) | tags[i]) << 16) | 0x80000000) >>> 0;
        if (u[o + K_MODE] === ONE) {
          if (dst === u[o + K_DST0]) continue;
          if (!this.extend(o, prevLast)) continue;
        }
        const epoch = Math.floor(t / shapeIntervalSec);
        if (this.addDestination(o, dst, epoch, addrScanHosts) > addrScanHosts) {
          const h = o + K_HDR, hd = keys.i32;
          const hEpoch = hd[h + H_HEPOCH];
          if (hEpoch !== epoch) {
            hd[h + H_HEPOCH] = epoch;
            this.horizontalPort(src, epoch, hEpoch < 0);
          }
        }
      }
    }
  }

  /** A key's event begins with this packet (record o is new or was just closed). */
  private begin(b: PacketBatch, i: number, o: number, src: number, dst: number, kb: number, t: number): void {
    this.start(o, t, dst, b.tools[i], b.tags[i]);
    const v6 = (kb & V6_BIT) !== 0;
    if (v6) this.keys.u32[o + K_V6] = this.v6Keys.store(b.src6, 4 * i, null, 0) + 1;
    this.beginProbe(b, i, src, dst, ((kb >>> 16) & 0xf) | ((kb & 0xffff) << 4), t, v6);
  }

  private start(o: number, t: number, dst: number, tools: number, tags: number): void {
    const u = this.keys.u32, f = this.keys.f64;
    f[(o + K_FIRST) >>> 1] = f[(o + K_LAST) >>> 1] = t;
    u[o + K_PACKETS] = 1;
    u[o + K_DST0] = dst;
    u[o + K_META] = ((tools & 0x7f) | (1 << 8) | (tags << 16) | 0x80000000) >>> 0;
    u[o + K_MODE] = ONE;
    u[o + K_BLOCK] = 0;
    u[o + K_V6] = 0;
  }

  /** The key's second destination: it gets an exact block (or stays counted only, past the cap). */
  private extend(o: number, prevLast: number): boolean {
    if (this.extCount >= this.opts.maxExtended) {
      this.droppedPackets++;
      return false;
    }
    const bo = this.exAlloc(0);
    this.budget.words += 16;
    const hd = this.keys.i32, h = o + K_HDR;
    hd[h + H_N] = 0;
    hd[h + H_EPOCH] = -1;
    hd[h + H_EPOCHN] = 0;
    hd[h + H_HEPOCH] = -1;
    const u = this.keys.u32;
    u[o + K_BLOCK] = bo;
    u[o + K_MODE] = 1;
    this.extCount++;
    // The first destination counts in the epoch its packets (all to it) last reached.
    this.addDestination(o, u[o + K_DST0], Math.floor(prevLast / this.opts.shapeIntervalSec), this.opts.addrScanHosts);
    return true;
  }

  /**
   * Count destination dst of key record o at `epoch`; returns the distinct hosts of the
   * epoch so far (capped at `cap`). Exact sets keep (destination, epoch + 1) so that the
   * epoch's hosts are counted in the same probe; past `exactDestinations` (or the budget of
   * exact words) estimates (see grow()).
   */
  private addDestination(o: number, dst: number, epoch: number, cap: number): number {
    const ku = this.keys.u32;
    const mode = ku[o + K_MODE], bo = ku[o + K_BLOCK], h = o + K_HDR;
    const hd = this.keys.i32;
    let epochN = hd[h + H_EPOCHN];
    if (hd[h + H_EPOCH] !== epoch) {
      hd[h + H_EPOCH] = epoch;
      epochN = 0;
    }
    if (mode === APPROX) return this.addApprox(bo, h, dst, epochN, cap);
    const x = this.ex;
    const size = 8 << (mode - 1);
    const mask = size - 1, mark = epoch + 1;
    let i = mix32(dst) & mask;
    for (;;) {
      const e = x[bo + 2 * i + 1];
      if (e === 0) break;
      if (x[bo + 2 * i] === dst) {
        if (e !== mark) {
          x[bo + 2 * i + 1] = mark;
          epochN++;
        }
        hd[h + H_EPOCHN] = epochN;
        return epochN;
      }
      i = (i + 1) & mask;
    }
    x[bo + 2 * i] = dst;
    x[bo + 2 * i + 1] = mark;
    const n = ++hd[h + H_N];
    hd[h + H_EPOCHN] = ++epochN;
    if (n * 2 > size) this.grow(o, cap);
    return epochN;
  }

  private addApprox(bo: number, h: number, dst: number, epochN: number, cap: number): number {
    const a = this.ap, hd = this.keys.i32;
    const regs = 4 * (bo + this.apHosts);
    hllAdd(this.apB, regs, dst);
    hllAdd(this.apB, regs + (1 << HLL_P), dst >>> 8);
    if (epochN > cap) {
      hd[h + H_EPOCHN] = epochN;
      return epochN;
    }
    for (let k = 0; k < epochN; k++) {
      if (a[bo + k] === dst) {
        hd[h + H_EPOCHN] = epochN;
        return epochN;
      }
    }
    if (epochN <= cap) a[bo + epochN] = dst;
    hd[h + H_EPOCHN] = ++epochN;
    return epochN;
  }

  /** Key record o's exact set is half full: twice the size, or estimates from here on. */
  private grow(o: number, cap: number): void {
    const ku = this.keys.u32;
    const mode = ku[o + K_MODE], bo = ku[o + K_BLOCK], h = o + K_HDR, hd = this.keys.i32;
    const c = mode - 1, size = 8 << c, oldWords = 2 * size;
    const b = this.budget;
    // Past the word budget a key estimates only once it has minDestinations exactly: the
    // threshold decision stays exact (the overdraft is bounded: maxExtended blocks of ≤ 32 entries).
    if (hd[h + H_N] > b.exactLimit || (b.words + oldWords > b.limit && hd[h + H_N] >= this.opts.minDestinations)) {
      // Estimates from here on: the exact entries seed the registers and this epoch's host list.
      const ao = this.apAlloc();
      const x = this.ex, a = this.ap, r = this.apB;
      const mark = hd[h + H_EPOCH] + 1;
      const regs = 4 * (ao + this.apHosts);
      let k = 0;
      for (let j = bo, end = bo + oldWords; j < end; j += 2) {
        if (x[j + 1] === 0) continue;
        hllAdd(r, regs, x[j]);
        hllAdd(r, regs + (1 << HLL_P), x[j] >>> 8);
        if (x[j + 1] === mark && k <= cap) a[ao + k++] = x[j];
      }
      this.exRelease(bo, c);
      b.words -= oldWords;
      ku[o + K_MODE] = APPROX;
      ku[o + K_BLOCK] = ao;
      return;
    }
    const no = this.exAlloc(c + 1);
    const x = this.ex;
    const mask = 2 * size - 1;
    for (let j = bo, end = bo + oldWords; j < end; j += 2) {
      if (x[j + 1] === 0) continue;
      let i = mix32(x[j]) & mask;
      while (x[no + 2 * i + 1] !== 0) i = (i + 1) & mask;
      x[no + 2 * i] = x[j];
      x[no + 2 * i + 1] = x[j + 1];
    }
    this.exRelease(bo, c);
    b.words += oldWords;
    ku[o + K_MODE] = mode + 1;
    ku[o + K_BLOCK] = no;
  }

  /**
   * A zeroed exact block of class c (8 << c entries): a free one of its class, else the
   * smallest larger free one split in halves (once the budget is spent, keys estimate and
   * give back large blocks that no key grows into any more), else a new one.
   */
  private exAlloc(c: number): number {
    const words = 16 << c;
    const free = this.exFree;
    let o = c < free.length && free[c].length > 0 ? free[c].pop()! : -1;
    for (let k = c + 1; o < 0 && k < free.length; k++) {
      if (free[k].length === 0) continue;
      o = free[k].pop()!;
      for (let q = k - 1; q >= c; q--) free[q].push(o + (16 << q));
    }
    if (o >= 0) {
      this.ex.fill(0, o, o + words);
      return o;
    }
    if (this.exTop + words > this.ex.length) {
      // Past the first small arena, straight to one sized for the budget: untouched pages of a
      // fresh buffer cost nothing, and every growth copies the arena and faults in its pages.
      let len = Math.max(this.ex.length * 2, this.exReserve);
      while (this.exTop + words > len) len *= 2;
      const ex = new Uint32Array(len);
      ex.set(this.ex.subarray(0, this.exTop));
      this.ex = ex;
    }
    o = this.exTop;
    this.exTop += words;
    this.ex.fill(0, o, o + words); // fresh pages: written before they are read (one fault, not two)
    return o;
  }

  private exRelease(o: number, c: number): void {
    while (this.exFree.length <= c) this.exFree.push([]);
    this.exFree[c].push(o);
  }

  /** A zeroed estimate block. */
  private apAlloc(): number {
    const words = this.apWords;
    if (this.apFree.length > 0) {
      const o = this.apFree.pop()!;
      this.ap.fill(0, o, o + words);
      return o;
    }
    if (this.apTop + words > this.ap.length) {
      let len = Math.max(this.ap.length * 2, AP_RESERVE);
      while (this.apTop + words > len) len *= 2;
      const ap = new Uint32Array(len);
      ap.set(this.ap.subarray(0, this.apTop));
      this.ap = ap;
      this.apB = new Uint8Array(ap.buffer);
    }
    const o = this.apTop;
    this.apTop += words;
    this.ap.fill(0, o, o + words);
    return o;
  }

  /** Distinct /24s of an exact block (/64-ish hashes for IPv6 keys: the destination word's high 24 bits). */
  private exactSlash24s(bo: number, size: number): number {
    let t = this.scratchNets;
    if (t.length < 2 * size) t = this.scratchNets = new Uint32Array(2 * size);
    const x = this.ex, mask = 2 * size - 1;
    let n = 0;
    for (let j = bo, end = bo + 2 * size; j < end; j += 2) {
      if (x[j + 1] === 0) continue;
      const v = (x[j] >>> 8) + 1;
      let i = mix32(v) & mask;
      for (;;) {
        const e = t[i];
        if (e === 0) {
          t[i] = v;
          n++;
          break;
        }
        if (e === v) break;
        i = (i + 1) & mask;
      }
    }
    t.fill(0, 0, 2 * size);
    return n;
  }

  /** A key of `src` passed the host threshold in `epoch`: strobe when enough of its ports did. */
  private horizontalPort(src: number, epoch: number, firstTime: boolean): void {
    let s = this.shapes.get(src);
    if (!s) {
      s = { epoch, ports: 0, strobeFrom: Infinity, strobeTo: -Infinity, refs: 0 };
      this.shapes.set(src, s);
    }
    if (firstTime) s.refs++;
    if (s.epoch !== epoch) {
      s.epoch = epoch;
      s.ports = 0;
    }
    if (++s.ports === this.opts.portScanPorts) {
      const I = this.opts.shapeIntervalSec;
      s.strobeFrom = Math.min(s.strobeFrom, epoch * I);
      s.strobeTo = Math.max(s.strobeTo, (epoch + 1) * I);
    }
  }

  /** A new (source, port, type) key began: a port for the vertical count of (source, host). */
  private beginProbe(b: PacketBatch, i: number, src: number, dst: number, tp: number, t: number, v6: boolean): void {
    const type = tp & 0xf;
    if (type !== 0 && type !== 5) return; // probes: TCP SYN, UDP (Zeek counts failed attempts)
    const pairs = this.pairs;
    const host = (v6 ? dst ^ 0x80000000 : dst) >>> 0;
    const { timeoutSec, shapeIntervalSec, samples } = this.opts;
    const epoch = Math.floor(t / shapeIntervalSec);
    let o = pairs.find(src, host);
    if (o >= 0 && t - pairs.f64[(o + P_LAST) >>> 1] > timeoutSec) {
      this.closePair(o, src, host);
      pairs.remove(src, host);
      o = -1;
    }
    if (o < 0) {
      if (pairs.size >= this.opts.maxPairs) return; // the shape is not tracked past the cap (the key is)
      o = pairs.insert(src, host);
      pairs.f64[(o + P_FIRST) >>> 1] = pairs.f64[(o + P_LAST) >>> 1] = t;
      pairs.u32[o + P_EPOCH] = epoch;
      pairs.u32[o + P_META] = (0x7f | (type << 16) | (v6 ? V6_BIT : 0) | 0x80000000) >>> 0;
      if (v6) pairs.u32[o + P_V6] = this.v6Pairs.store(b.src6, 4 * i, b.dst6, 4 * i) + 1;
    }
    const u = pairs.u32;
    if (u[o + P_EPOCH] !== epoch) {
      u[o + P_EPOCH] = epoch;
      u[o + P_EPOCH_PORTS] = 0;
    }
    const li = (o + P_LAST) >>> 1;
    if (t > pairs.f64[li]) pairs.f64[li] = t;
    u[o + P_PORTS]++;
    const n = ++u[o + P_EPOCH_PORTS];
    if (n > u[o + P_MAX]) u[o + P_MAX] = n;
    const m = u[o + P_META] & META_MASK;
    const sampled = (m >>> 8) & 0xff;
    if (sampled < samples) u[o + P_META] = ((m & b.tools[i] & 0x7f) | ((sampled + 1) << 8) | (m & 0x7fff0000) | 0x80000000) >>> 0;
  }

  private closePair(o: number, src: number, host: number): void {
    const e = this.describePair(o, src, host);
    const u = this.pairs.u32;
    if ((u[o + P_META] & V6_BIT) !== 0) this.v6Pairs.release(u[o + P_V6] - 1);
    if (e) this.out.push(e);
  }

  /** The vertical scan pair record o would emit if it ended now (read-only). */
  private describePair(o: number, src: number, host: number): ScanEvent | null {
    const u = this.pairs.u32, f = this.pairs.f64;
    const v6 = (u[o + P_META] & V6_BIT) !== 0 ? u[o + P_V6] - 1 : -1;
    if (u[o + P_MAX] < this.opts.portScanPorts) return null;
    const m = u[o + P_META] & META_MASK;
    const first = f[(o + P_FIRST) >>> 1], last = f[(o + P_LAST) >>> 1];
    const ports = u[o + P_PORTS];
    const duration = last - first;
    return {
      source: v6 >= 0 ? this.v6Pairs.text(v6, 0) : formatIPv4(src),
      port: 0,
      trafficType: TRAFFIC_TYPES[(m >>> 16) & 0xf],
      packets: ports,
      destinations: 1,
      slash24s: 1,
      firstSec: first,
      lastSec: last,
      ratePps: duration > 0 ? (ports * this.opts.extrapolationFactor) / duration : Infinity,
      ipv4Share: 0,
      tool: toolLabel(labelsOf(m & 0x7f, TOOL_RULES)),
      tags: [],
      shape: 'vertical',
      host: v6 >= 0 ? this.v6Pairs.text(v6, 1) : formatIPv4(host),
      ports,
      approximate: false,
    };
  }

  /** End the events idle for longer than the timeout at stream time t. */
  private sweep(t: number): void {
    // On multiples of sweepSec: a file resumed with fresh state (its events split from the file
    // before, see detectors.ts) ends events at the same records as the run that carried state.
    const S = this.opts.sweepSec;
    this.nextSweep = S > 0 ? (Math.floor(t / S) + 1) * S : t;
    const timeout = this.opts.timeoutSec;
    this.keys.sweepIdle(K_LAST, t, timeout, (o, a, b) => this.close(o, a, b));
    this.pairs.sweepIdle(P_LAST, t, timeout, (o, a, b) => this.closePair(o, a, b));
  }

  /** The key's event ends: emitted if it passed the thresholds; its counters and text are freed. */
  private close(o: number, src: number, kb: number): void {
    const e = this.describe(o, src, kb);
    const u = this.keys.u32;
    const mode = u[o + K_MODE], bo = u[o + K_BLOCK];
    if (mode !== ONE) {
      if (mode === APPROX) this.apFree.push(bo);
      else {
        this.exRelease(bo, mode - 1);
        this.budget.words -= 16 << (mode - 1);
      }
      this.extCount--;
      u[o + K_MODE] = ONE;
      u[o + K_BLOCK] = 0;
      if (this.keys.i32[o + K_HDR + H_HEPOCH] >= 0) {
        const s = this.shapes.get(src);
        if (s && --s.refs <= 0) this.shapes.delete(src);
      }
    }
    if ((kb & V6_BIT) !== 0) this.v6Keys.release(u[o + K_V6] - 1);
    if (e) this.out.push(e);
  }

  /** The event key record o would emit if it ended now, or null below the thresholds (read-only). */
  private describe(o: number, src: number, kb: number): ScanEvent | null {
    const { minDestinations, minRatePps, extrapolationFactor, darknetSize, samples } = this.opts;
    const u = this.keys.u32, f = this.keys.f64;
    const mode = u[o + K_MODE], bo = u[o + K_BLOCK];
    const first = f[(o + K_FIRST) >>> 1], last = f[(o + K_LAST) >>> 1];
    const packets = u[o + K_PACKETS];
    const duration = last - first;
    const ratePps = duration > 0 ? (packets * extrapolationFactor) / duration : Infinity;
    let destinations = 1, slash24s = 1, approximate = false, hEpoch = -1;
    if (mode !== ONE) {
      // The /24s are counted only for events that are kept.
      const h = o + K_HDR, hd = this.keys.i32;
      hEpoch = hd[h + H_HEPOCH];
      if (mode === APPROX) {
        const regs = 4 * (bo + this.apHosts);
        // H_N still holds the exact count when the key began estimating: a floor; packets a ceiling.
        destinations = Math.min(packets, Math.max(hd[h + H_N], hllCount(this.apB, regs)));
        if (!(destinations < minDestinations || ratePps < minRatePps)) slash24s = Math.min(destinations, hllCount(this.apB, regs + (1 << HLL_P)));
        approximate = true;
      } else {
        destinations = hd[h + H_N];
        if (!(destinations < minDestinations || ratePps < minRatePps)) slash24s = this.exactSlash24s(bo, 8 << (mode - 1));
      }
    }
    if (destinations < minDestinations || ratePps < minRatePps) return null;
    let strobe = false;
    if (hEpoch >= 0) {
      const s = this.shapes.get(src);
      if (s) strobe = s.strobeFrom <= last && s.strobeTo > first;
    }
    const v6 = (kb & V6_BIT) !== 0 ? u[o + K_V6] - 1 : -1;
    const m = u[o + K_META] & META_MASK;
    // Merit: the label only if every stored sample has it (k samples, or all packets when fewer).
    const toolBits = ((m >>> 8) & 0xff) >= Math.min(samples, packets) ? m & 0x7f : 0;
    return {
      source: v6 >= 0 ? this.v6Keys.text(v6, 0) : formatIPv4(src),
      port: kb & 0xffff,
      trafficType: TRAFFIC_TYPES[(kb >>> 16) & 0xf],
      packets,
      destinations,
      slash24s,
      firstSec: first,
      lastSec: last,
      ratePps,
      ipv4Share: darknetSize > 0 ? destinations / darknetSize : 0,
      tool: toolLabel(labelsOf(toolBits, TOOL_RULES)),
      tags: labelsOf((m >>> 16) & 0xff, TAG_RULES),
      shape: strobe ? 'strobe' : hEpoch >= 0 ? 'horizontal' : null,
      host: null,
      ports: 1,
      approximate,
    };
  }

  /** Events that ended since the last call. */
  take(): ScanEvent[] {
    return this.out.splice(0);
  }

  /** The events open keys and pairs would emit if the input ended now (read-only). */
  openEvents(): ScanEvent[] {
    const out: ScanEvent[] = [];
    this.keys.sweep((o, a, b) => {
      const e = this.describe(o, a, b);
      if (e) out.push(e);
      return false;
    });
    this.pairs.sweep((o, a, b) => {
      const e = this.describePair(o, a, b);
      if (e) out.push(e);
      return false;
    });
    return out;
  }

  /** End of input: close every open event. */
  finish(): ScanEvent[] {
    this.keys.sweep((o, a, b) => {
      this.close(o, a, b);
      return true;
    });
    this.pairs.sweep((o, a, b) => {
      this.closePair(o, a, b);
      return true;
    });
    this.shapes.clear();
    this.v6Keys.clear();
    this.v6Pairs.clear();
    return this.take();
  }
}

/** IPv6 addresses in slots of `width` words (reused once released), formatted only for events. */
class AddressSlab {
  private words: Uint32Array;
  private top = 0;
  private readonly free: number[] = [];

  constructor(private readonly width: number) {
    this.words = new Uint32Array(width * 64);
  }

  /** Store a[i..i+4) (and b[j..j+4) when width is 8); returns the slot. */
  store(a: Uint32Array, i: number, b: Uint32Array | null, j: number): number {
    let o = this.free.pop();
    if (o === undefined) {
      o = this.top;
      this.top += this.width;
      if (this.top > this.words.length) {
        const w = new Uint32Array(this.words.length * 2);
        w.set(this.words);
        this.words = w;
      }
    }
    const w = this.words;
    for (let k = 0; k < 4; k++) w[o + k] = a[i + k];
    if (b !== null) for (let k = 0; k < 4; k++) w[o + 4 + k] = b[j + k];
    return o;
  }

  /** The k-th address of slot o. */
  text(o: number, k: number): string {
    const w = this.words, x = o + 4 * k;
    return formatIPv6([w[x], w[x + 1], w[x + 2], w[x + 3]]);
  }

  release(o: number): void {
    this.free.push(o);
  }

  clear(): void {
    this.top = 0;
    this.free.length = 0;
  }
}

/** Count key in HyperLogLog registers r[at .. at + 2^10) as DistinctCounter(10) does. */
function hllAdd(r: Uint8Array, at: number, key: number): void {
  const h = mix32(key);
  const idx = h >>> (32 - HLL_P);
  const rank = Math.clz32(((h << HLL_P) | (1 << (HLL_P - 1))) >>> 0) + 1;
  if (rank > r[at + idx]) r[at + idx] = rank;
}

/** 2^-r for HyperLogLog register values r (exact powers of two). */
const POW2_NEG = Float64Array.from({ length: 64 }, (_, r) => 2 ** -r);

/**
 * DistinctCounter(10)'s estimate from registers r[at .. at + 2^10): its count(), with the
 * same operations in the same order (so the same number), 2^-r from a table.
 */
function hllCount(r: Uint8Array, at: number): number {
  const m = 1 << HLL_P;
  let sum = 0;
  let zeros = 0;
  for (let i = at, end = at + m; i < end; i++) {
    const v = r[i];
    sum += POW2_NEG[v];
    if (v === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / m);
  let e = (alpha * m * m) / sum;
  if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
  else if (e > 2 ** 32 / 30) e = -(2 ** 32) * Math.log(1 - e / 2 ** 32);
  return Math.round(e);
}

/** Tool labels without the "-shape" ones when a named tool is there. */
function toolLabel(tools: string[]): string | null {
  return tools.length ? tools.filter((x) => !x.endsWith('-shape')).join('+') || tools.join('+') : null;
}

/** type | port << 4 (Merit's traffic type and port), or -1 for rows that are not IP. */
function typeCode(b: PacketBatch, i: number): number {
  const v = b.ipVersion[i];
  if (v === 0) return -1;
  const proto = b.proto[i];
  if (proto === 6) {
    const f = b.tcpFlags[i] & 0x1ff;
    if (f === TCP_SYN) return 0 | (b.dport[i] << 4);
    if (f === (TCP_SYN | TCP_ACK)) return 1 | (b.sport[i] << 4);
    if (f === TCP_ACK) return 2 | (b.dport[i] << 4);
    if (f === TCP_RST) return 3 | (b.sport[i] << 4);
    return 4 | (b.dport[i] << 4);
  }
  if (proto === 17) return 5 | (b.dport[i] << 4);
  if (proto === 1 || proto === 58) {
    const t = b.icmpType[i];
    const v6 = proto === 58;
    if (t === (v6 ? 128 : 8)) return 6;
    if (t === (v6 ? 129 : 0)) return 7;
    if (t === (v6 ? 1 : 3)) return 8;
    return 9;
  }
  return -1;
}
