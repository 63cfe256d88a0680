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
 * Memory is bounded and mostly typed arrays: every key is a KeyTable slot and
 * six numbers (vertical scans of every port make millions of keys, and one
 * destination never makes an event); a key gets an object with distinct
 * counters (exact, then HyperLogLog) only at its second destination. Caps:
 * `maxKeys` keys, `maxExtended` such objects, `maxPairs` (source, host) pairs;
 * packets past a cap are counted in `droppedPackets`, not tracked. Events are
 * emitted when they end (stream time passing their timeout, checked every
 * `sweepSec`) or at finish().
 */
import type { PacketBatch } from '../decode/batch.js';
import { formatIPv4, formatIPv6 } from '../config/cidr.js';
import { TOOL_RULES, TrafficKind, labelsOf, TAG_RULES } from '../classify/rules.js';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../decode/batch.js';
import { DistinctCounter, hash128, mix32 } from '../stats/distinct.js';
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
  /** Keys tracked at once (48 bytes each); past it new keys' packets are dropped and counted. */
  maxKeys: number;
  /** Keys with two or more destinations (a counter object each). */
  maxExtended: number;
  /** (source, host) pairs tracked for vertical scans. */
  maxPairs: number;
  /** Destinations counted exactly per key; past it HyperLogLog (p = 10, 3.3 %). */
  exactDestinations: number;
  /** Exact destination words (4 bytes) held by all keys together; past it keys estimate. */
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

/**
 * The distinct destinations of a key with two or more, and the distinct ones of
 * the current epoch, in one probe a packet: an open-addressing table of
 * (destination, epoch + 1) while exact; past `exactLimit` (or the detector's
 * budget of exact words) HyperLogLog counters and a short per-epoch host list.
 */
export class Destinations {
  private t: Uint32Array | null = new Uint32Array(16);
  private n = 0;
  epoch = -1;
  epochN = 0;
  /** Last epoch in which the key passed the host threshold (-1: never). */
  hEpoch = -1;
  private dsts: DistinctCounter | null = null;
  private nets: DistinctCounter | null = null;
  private hosts: Uint32Array | null = null;

  constructor(private readonly budget: { words: number; limit: number; exactLimit: number }) {
    budget.words += 16;
  }

  get approximate(): boolean {
    return this.t === null;
  }

  /** Count dst at `epoch`; returns the distinct hosts of the epoch so far (capped at `cap`). */
  add(dst: number, epoch: number, cap: number): number {
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.epochN = 0;
    }
    const t = this.t;
    if (t === null) return this.addApprox(dst, cap);
    const mask = (t.length >>> 1) - 1;
    const mark = epoch + 1;
    let i = mix32(dst) & mask;
    for (;;) {
      const e = t[2 * i + 1];
      if (e === 0) break;
      if (t[2 * i] === dst) {
        if (e !== mark) {
          t[2 * i + 1] = mark;
          this.epochN++;
        }
        return this.epochN;
      }
      i = (i + 1) & mask;
    }
    t[2 * i] = dst;
    t[2 * i + 1] = mark;
    this.n++;
    this.epochN++;
    if (this.n * 2 > mask + 1) this.grow(cap);
    return this.epochN;
  }

  private addApprox(dst: number, cap: number): number {
    this.dsts!.add(dst);
    this.nets!.add(dst >>> 8);
    const h = this.hosts!;
    if (this.epochN > cap) return this.epochN;
    for (let k = 0; k < this.epochN; k++) if (h[k] === dst) return this.epochN;
    if (this.epochN < h.length) h[this.epochN] = dst;
    return ++this.epochN;
  }

  private grow(cap: number): void {
    const old = this.t!;
    const b = this.budget;
    if (this.n > b.exactLimit || b.words + old.length > b.limit) {
      // Estimates from here on: the exact entries seed the sketches and this epoch's host list.
      this.dsts = new DistinctCounter(10, 0);
      this.nets = new DistinctCounter(10, 0);
      this.hosts = new Uint32Array(cap + 1);
      let k = 0;
      for (let j = 0; j < old.length; j += 2) {
        if (old[j + 1] === 0) continue;
        this.dsts.add(old[j]);
        this.nets.add(old[j] >>> 8);
        if (old[j + 1] === this.epoch + 1 && k <= cap) this.hosts[k++] = old[j];
      }
      this.t = null;
      b.words -= old.length;
      return;
    }
    const t = new Uint32Array(old.length * 2);
    const mask = (t.length >>> 1) - 1;
    for (let j = 0; j < old.length; j += 2) {
      if (old[j + 1] === 0) continue;
      let i = mix32(old[j]) & mask;
      while (t[2 * i + 1] !== 0) i = (i + 1) & mask;
      t[2 * i] = old[j];
      t[2 * i + 1] = old[j + 1];
    }
    b.words += t.length - old.length;
    this.t = t;
  }

  count(): number {
    return this.t === null ? this.dsts!.count() : this.n;
  }

  /** Distinct /24s (/64-ish hashes for IPv6 keys: the destination word's high 24 bits). */
  slash24s(): number {
    if (this.t === null) return this.nets!.count();
    const nets = new Set<number>();
    for (let j = 0; j < this.t.length; j += 2) if (this.t[j + 1] !== 0) nets.add(this.t[j] >>> 8);
    return nets.size;
  }

  /** Give the exact words back to the budget. */
  release(): void {
    if (this.t) this.budget.words -= this.t.length;
    this.t = null;
  }
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
// Key records (RecordTable, 12 words): 0 source, 1 port | type << 16 | v6 | used, 2 meta
// (sampleTools | sampled << 8 | tags << 16), 3 first destination, f64 4-5 first, f64 6-7 last,
// 8 packets, 9 Destinations index + 1 (0: one destination so far).
const K_META = 2, K_DST0 = 3, K_FIRST = 4, K_LAST = 6, K_PACKETS = 8, K_EXT = 9;
// Pair records (source, host): 2 meta (sampleTools | sampled << 8 | type << 16), 3 ports this
// epoch, f64 4-5 first, f64 6-7 last, 8 epoch, 9 ports, 10 most ports in an epoch.
const P_META = 2, P_EPOCH_PORTS = 3, P_FIRST = 4, P_LAST = 6, P_EPOCH = 8, P_PORTS = 9, P_MAX = 10;
const META_MASK = 0x7fffffff;
/** Rows per block of the two-pass loop in add(). */
const BLOCK = 256;

export class ScanDetector {
  readonly opts: ScanOptions;
  private readonly out: ScanEvent[] = [];
  private nextSweep = -Infinity;
  droppedPackets = 0;
  private readonly keys = new RecordTable(12);
  private readonly pairs = new RecordTable(12);
  private readonly ext: (Destinations | undefined)[] = [];
  private readonly extFree: number[] = [];
  private extCount = 0;
  /** Exact destination words held by all keys (bounded by `limit`: past it keys estimate). */
  private readonly budget: { words: number; limit: number; exactLimit: number };
  /** IPv6 text of sources (keys) and of (source, host) pairs, by key: their records hold hashes. */
  private readonly v6Text = new Map<string, string>();
  private readonly shapes = new Map<number, SourceShape>();
  private readonly scratchSrc = new Uint32Array(BLOCK);
  private readonly scratchDst = new Uint32Array(BLOCK);
  private readonly scratchKb = new Uint32Array(BLOCK);
  /** Where touch() loads go (kept so they are not optimised away). */
  sink = 0;

  constructor(opts: Partial<ScanOptions> & Pick<ScanOptions, 'extrapolationFactor' | 'darknetSize'>) {
    this.opts = { ...SCAN_DEFAULTS, ...opts };
    this.budget = { words: 0, limit: this.opts.exactWords, exactLimit: this.opts.exactDestinations };
  }

  /** Keys tracked now (open events and one-destination keys). */
  get tracked(): number {
    return this.keys.size;
  }

  /** Keys with two or more destinations now. */
  get extended(): number {
    return this.extCount;
  }

  /** Bytes of detector state in typed arrays (tables and exact destination sets). */
  get stateBytes(): number {
    return (this.keys.capacity + this.pairs.capacity) * 48 + this.budget.words * 4;
  }

  /** Merit's type and port of a row, or null for rows that are not IP. */
  static typeOf(b: PacketBatch, i: number): [number, number] | null {
    const tp = typeCode(b, i);
    return tp < 0 ? null : [tp & 0xf, tp >>> 4];
  }

  /** Rows [from, to) of a classified batch, in time order. */
  add(b: PacketBatch, from = 0, to = b.length): void {
    const { timeoutSec, samples, maxKeys, shapeIntervalSec, addrScanHosts } = this.opts;
    const kind = b.kind, ipVersion = b.ipVersion, tsSec = b.tsSec, tsNsec = b.tsNsec, tools = b.tools, tags = b.tags;
    const keys = this.keys;
    const S = this.scratchSrc, D = this.scratchDst, K = this.scratchKb;
    for (let blockStart = from; blockStart < to; blockStart += BLOCK) {
      const blockEnd = Math.min(to, blockStart + BLOCK);
      // Pass 1: each row's key, and a load of its record's slot (misses overlap; see touch()).
      let sink = 0;
      for (let i = blockStart, j = 0; i < blockEnd; i++, j++) {
        const tp = kind[i] === TrafficKind.OTHER ? -1 : typeCode(b, i);
        if (tp < 0) {
          K[j] = 0;
          continue;
        }
        const v6 = ipVersion[i] === 6;
        const w = 4 * i;
        S[j] = v6 ? hash128(b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]) : b.src[i];
        D[j] = v6 ? hash128(b.dst6[w], b.dst6[w + 1], b.dst6[w + 2], b.dst6[w + 3]) : b.dst[i];
        K[j] = (tp >>> 4) | ((tp & 0xf) << 16) | (v6 ? V6_BIT : 0) | USED_BIT;
        sink ^= keys.touch(S[j], K[j]);
      }
      this.sink ^= sink;
    for (let i = blockStart, j = 0; i < blockEnd; i++, j++) {
      const kb = K[j];
      if (kb === 0) continue;
      const tp = (kb >>> 16) & 0xf | ((kb & 0xffff) << 4);
      const t = tsSec[i] + tsNsec[i] / 1e9;
      if (t >= this.nextSweep) this.sweep(t);
      const v6 = (kb & V6_BIT) !== 0;
      const w = 4 * i;
      const src = S[j], dst = D[j];
      let o = keys.find(src, kb);
      if (o >= 0 && t - keys.f64[(o + K_LAST) >>> 1] > timeoutSec) {
        // The key's event ended before this packet: a new one starts in the same record.
        this.close(o, src, kb);
        this.start(o, t, dst, tools[i], tags[i]);
        if (v6) this.v6Text.set(`${src}/${kb}`, formatIPv6([b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]]));
        this.beginProbe(b, i, src, dst, tp, t, v6);
        continue;
      }
      if (o < 0) {
        if (keys.size >= maxKeys) {
          this.droppedPackets++;
          continue;
        }
        o = keys.insert(src, kb);
        this.start(o, t, dst, tools[i], tags[i]);
        if (v6) this.v6Text.set(`${src}/${kb}`, formatIPv6([b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]]));
        this.beginProbe(b, i, src, dst, tp, t, v6);
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
      let x = u[o + K_EXT];
      if (x === 0) {
        if (dst === u[o + K_DST0]) continue;
        x = this.extend(o, prevLast);
        if (x === 0) continue;
      }
      const d = this.ext[x - 1]!;
      const epoch = Math.floor(t / shapeIntervalSec);
      if (d.add(dst, epoch, addrScanHosts) > addrScanHosts && d.hEpoch !== epoch) {
        const first = d.hEpoch < 0;
        d.hEpoch = epoch;
        this.horizontalPort(src, epoch, first);
      }
    }
    }
  }

  private start(o: number, t: number, dst: number, tools: number, tags: number): void {
    const u = this.keys.u32, f = this.keys.f64;
    f[(o + K_FIRST) >>> 1] = f[(o + K_LAST) >>> 1] = t;
    u[o + K_PACKETS] = 1;
    u[o + K_DST0] = dst;
    u[o + K_META] = ((tools & 0x7f) | (1 << 8) | (tags << 16) | 0x80000000) >>> 0;
    u[o + K_EXT] = 0;
  }

  /** The key's second destination: it gets a Destinations (or stays counted only, past the cap). */
  private extend(o: number, prevLast: number): number {
    if (this.extCount >= this.opts.maxExtended) {
      this.droppedPackets++;
      return 0;
    }
    const d = new Destinations(this.budget);
    // The first destination counts in the epoch its packets (all to it) last reached.
    d.add(this.keys.u32[o + K_DST0], Math.floor(prevLast / this.opts.shapeIntervalSec), this.opts.addrScanHosts);
    const x = this.extFree.length > 0 ? this.extFree.pop()! : this.ext.length;
    this.ext[x] = d;
    this.extCount++;
    this.keys.u32[o + K_EXT] = x + 1;
    return x + 1;
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
      if (v6) {
        const w = 4 * i;
        this.v6Text.set(`p${src}/${host}`, `${formatIPv6([b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]])} ${formatIPv6([b.dst6[w], b.dst6[w + 1], b.dst6[w + 2], b.dst6[w + 3]])}`);
      }
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
    const u = this.pairs.u32, f = this.pairs.f64;
    let text: string | undefined;
    if ((u[o + P_META] & V6_BIT) !== 0) {
      text = this.v6Text.get(`p${src}/${host}`);
      this.v6Text.delete(`p${src}/${host}`);
    }
    if (u[o + P_MAX] < this.opts.portScanPorts) return;
    const m = u[o + P_META] & META_MASK;
    const first = f[(o + P_FIRST) >>> 1], last = f[(o + P_LAST) >>> 1];
    const ports = u[o + P_PORTS];
    const duration = last - first;
    const [s6, h6] = text?.split(' ') ?? [];
    this.out.push({
      source: s6 ?? formatIPv4(src),
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
      host: h6 ?? formatIPv4(host),
      ports,
      approximate: false,
    });
  }

  /** End the events idle for longer than the timeout at stream time t. */
  private sweep(t: number): void {
    this.nextSweep = t + this.opts.sweepSec;
    const timeout = this.opts.timeoutSec;
    const kf = this.keys.f64, pf = this.pairs.f64;
    this.keys.sweep((o, a, b) => {
      if (t - kf[(o + K_LAST) >>> 1] <= timeout) return false;
      this.close(o, a, b);
      return true;
    });
    this.pairs.sweep((o, a, b) => {
      if (t - pf[(o + P_LAST) >>> 1] <= timeout) return false;
      this.closePair(o, a, b);
      return true;
    });
  }

  /** The key's event ends: emitted if it passed the thresholds; its counters and text are freed. */
  private close(o: number, src: number, kb: number): void {
    const { minDestinations, minRatePps, extrapolationFactor, darknetSize, samples } = this.opts;
    const u = this.keys.u32, f = this.keys.f64;
    const x = u[o + K_EXT];
    const d = x > 0 ? this.ext[x - 1]! : null;
    if (d) {
      this.ext[x - 1] = undefined;
      this.extFree.push(x - 1);
      this.extCount--;
      u[o + K_EXT] = 0;
    }
    let source6: string | undefined;
    if ((kb & V6_BIT) !== 0) {
      source6 = this.v6Text.get(`${src}/${kb}`);
      this.v6Text.delete(`${src}/${kb}`);
    }
    const first = f[(o + K_FIRST) >>> 1], last = f[(o + K_LAST) >>> 1];
    let strobe = false;
    if (d && d.hEpoch >= 0) {
      const s = this.shapes.get(src);
      if (s) {
        strobe = s.strobeFrom <= last && s.strobeTo > first;
        if (--s.refs <= 0) this.shapes.delete(src);
      }
    }
    const destinations = d ? d.count() : 1;
    const slash24s = d ? d.slash24s() : 1;
    const approximate = d ? d.approximate : false;
    d?.release();
    const packets = u[o + K_PACKETS];
    const duration = last - first;
    const ratePps = duration > 0 ? (packets * extrapolationFactor) / duration : Infinity;
    if (destinations < minDestinations || ratePps < minRatePps) return;
    const m = u[o + K_META] & META_MASK;
    // Merit: the label only if every stored sample has it (k samples, or all packets when fewer).
    const toolBits = ((m >>> 8) & 0xff) >= Math.min(samples, packets) ? m & 0x7f : 0;
    this.out.push({
      source: source6 ?? formatIPv4(src),
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
      shape: strobe ? 'strobe' : d && d.hEpoch >= 0 ? 'horizontal' : null,
      host: null,
      ports: 1,
      approximate,
    });
  }

  /** Events that ended since the last call. */
  take(): ScanEvent[] {
    return this.out.splice(0);
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
    this.v6Text.clear();
    return this.take();
  }
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
