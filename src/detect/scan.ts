/**
 * Scan events, the Merit/Stanford darknet-events model (docs/methods.md §2.1;
 * Merit-Research/darknet-events @ 74f9f7db):
 *
 *  - an event per (source, port, traffic type): SYN probes and UDP by destination
 *    port, SYN-ACK and RST by source port, ICMP by type class with port 0
 *    (decode.go:90-110);
 *  - an event ends after `timeoutSec` (624) without packets (cache.go:188);
 *  - it is kept when it reached ≥ `minDestinations` (10) distinct darknet
 *    addresses and an extrapolated global rate ≥ `minRatePps` (10):
 *    packets × 2^32/N ÷ (last − first) (annotate.go:262-290; a zero duration
 *    gives an infinite rate, as there);
 *  - a tool label only when every one of the first k (3) packets carries it
 *    (Merit stores k samples and requires the flag on each).
 *
 * Memory is bounded: a key with a single destination so far is a few numbers in
 * typed arrays (vertical scans of every port make millions of them; one
 * destination never makes an event), promoted to an event object at its second
 * destination; at most `maxEvents` events and 4× as many candidates (packets
 * past them are counted, not tracked); per event, counters that switch from
 * exact sets to HyperLogLog. Events are emitted when they end (stream time passing their
 * timeout, checked every `sweepSec`) or at finish().
 */
import type { PacketBatch } from '../decode/batch.js';
import { formatIPv4, formatIPv6 } from '../config/cidr.js';
import { TOOL_RULES, TrafficKind, labelsOf, TAG_RULES } from '../classify/rules.js';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../decode/batch.js';
import { DistinctCounter, hash128 } from '../stats/distinct.js';

export interface ScanOptions {
  timeoutSec: number;
  minDestinations: number;
  minRatePps: number;
  samples: number;
  maxEvents: number;
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
  maxEvents: 2_000_000,
  sweepSec: 60,
};

/** Merit's traffic types (decode.go), as darkscope labels. */
export const TRAFFIC_TYPES = ['tcp-syn', 'tcp-synack', 'tcp-ack', 'tcp-rst', 'tcp-other', 'udp', 'icmp-echo-request', 'icmp-echo-reply', 'icmp-unreachable', 'icmp-other'] as const;

export interface ScanEvent {
  source: string;
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
  approximate: boolean;
}

interface Open {
  source: string | number;
  port: number;
  type: number;
  packets: number;
  first: number;
  last: number;
  dsts: DistinctCounter;
  nets: DistinctCounter;
  /** Tool bits common to the samples so far, and how many samples were taken. */
  sampleTools: number;
  sampled: number;
  tags: number;
}

export class ScanDetector {
  readonly opts: ScanOptions;
  private readonly open = new Map<number, Open>();
  private readonly out: ScanEvent[] = [];
  private nextSweep = -Infinity;
  droppedPackets = 0;

  constructor(opts: Partial<ScanOptions> & Pick<ScanOptions, 'extrapolationFactor' | 'darknetSize'>) {
    this.opts = { ...SCAN_DEFAULTS, ...opts };
  }

  get openEvents(): number {
    return this.open.size;
  }

  /** Merit's type and port of a row, or null for rows that are not IP. */
  static typeOf(b: PacketBatch, i: number): [number, number] | null {
    if (b.ipVersion[i] === 0) return null;
    const proto = b.proto[i];
    if (proto === 6) {
      const f = b.tcpFlags[i] & 0x1ff;
      if (f === TCP_SYN) return [0, b.dport[i]];
      if (f === (TCP_SYN | TCP_ACK)) return [1, b.sport[i]];
      if (f === TCP_ACK) return [2, b.dport[i]];
      if (f === TCP_RST) return [3, b.sport[i]];
      return [4, b.dport[i]];
    }
    if (proto === 17) return [5, b.dport[i]];
    if (proto === 1 || proto === 58) {
      const t = b.icmpType[i];
      const v6 = proto === 58;
      if (t === (v6 ? 128 : 8)) return [6, 0];
      if (t === (v6 ? 129 : 0)) return [7, 0];
      if (t === (v6 ? 1 : 3)) return [8, 0];
      return [9, 0];
    }
    return null;
  }

  /** Rows [from, to) of a classified batch, in time order. */
  add(b: PacketBatch, from = 0, to = b.length): void {
    const { timeoutSec, samples, maxEvents } = this.opts;
    const staged = this.opts.minDestinations >= 2;
    for (let i = from; i < to; i++) {
      const tp = ScanDetector.typeOf(b, i);
      if (tp === null || b.kind[i] === TrafficKind.OTHER) continue;
      const t = b.tsSec[i] + b.tsNsec[i] / 1e9;
      if (t >= this.nextSweep) this.sweep(t);
      const v6 = b.ipVersion[i] === 6;
      const w = 4 * i;
      const src = v6 ? hash128(b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]) >>> 0 : b.src[i];
      // (source, port, type) as one exact number: 32 + 16 + 5 bits < 2^53; IPv6 sources by their hash.
      const key = (src * 65536 + tp[1]) * 32 + tp[0] + (v6 ? 16 : 0);
      const dst = v6 ? hash128(b.dst6[w], b.dst6[w + 1], b.dst6[w + 2], b.dst6[w + 3]) >>> 0 : b.dst[i];
      let e = this.open.get(key);
      if (e && t - e.last > timeoutSec) {
        this.close(e);
        this.open.delete(key);
        e = undefined;
      }
      if (!e && staged && !v6) {
        // A key with one destination so far lives in the candidate arrays (no object): vertical
        // scans make millions of such keys, and one destination can never make an event.
        const c = this.candidate(key, t, dst, b.tools[i], b.tags[i]);
        if (c < 0) continue; // still one destination (or dropped)
        e = this.promote(key, c, src, tp);
        if (!e) continue;
      }
      if (!e) {
        if (this.open.size >= maxEvents) {
          this.droppedPackets++;
          continue;
        }
        e = { source: v6 ? formatIPv6([b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]]) : src, port: tp[1], type: tp[0], packets: 0, first: t, last: t, dsts: new DistinctCounter(12, 1024), nets: new DistinctCounter(12, 1024), sampleTools: 0x7f, sampled: 0, tags: 0 };
        this.open.set(key, e);
      }
      e.packets++;
      if (t > e.last) e.last = t;
      e.dsts.add(dst);
      e.nets.add(v6 ? b.dst6[w + 1] ^ Math.imul(b.dst6[w], 0x9e3779b1) : dst >>> 8);
      if (e.sampled < samples) {
        e.sampleTools &= b.tools[i];
        e.sampled++;
      }
      e.tags |= b.tags[i];
    }
  }

  // ---- candidates: keys with a single destination so far, in typed arrays ----
  private readonly cand = new Map<number, number>();
  private cFirst = new Float64Array(1024);
  private cLast = new Float64Array(1024);
  private cPackets = new Uint32Array(1024);
  private cDst = new Uint32Array(1024);
  /** sampleTools | sampled << 8 | tags << 16 */
  private cMeta = new Uint32Array(1024);
  private cFree: number[] = [];
  private cUsed = 0;

  get candidates(): number {
    return this.cand.size;
  }

  /**
   * Count a packet of a key not open as an event. Returns -1 while the key has one destination
   * (the packet is counted there), or its slot when this packet brings a second one.
   */
  private candidate(key: number, t: number, dst: number, tools: number, tags: number): number {
    let slot = this.cand.get(key);
    if (slot !== undefined && t - this.cLast[slot] > this.opts.timeoutSec) {
      // Its event ended with one destination: never kept. Start again in the same slot.
      this.cFirst[slot] = this.cLast[slot] = t;
      this.cPackets[slot] = 1;
      this.cDst[slot] = dst;
      this.cMeta[slot] = (tools & 0x7f) | (1 << 8) | (tags << 16);
      return -1;
    }
    if (slot === undefined) {
      if (this.cand.size >= this.opts.maxEvents * 4) {
        this.droppedPackets++;
        return -1;
      }
      slot = this.cFree.pop() ?? this.cUsed++;
      if (slot >= this.cFirst.length) this.growCandidates();
      this.cand.set(key, slot);
      this.cFirst[slot] = this.cLast[slot] = t;
      this.cPackets[slot] = 1;
      this.cDst[slot] = dst;
      this.cMeta[slot] = (tools & 0x7f) | (1 << 8) | (tags << 16);
      return -1;
    }
    if (this.cDst[slot] === dst) {
      this.cPackets[slot]++;
      if (t > this.cLast[slot]) this.cLast[slot] = t;
      const m = this.cMeta[slot];
      const sampled = (m >>> 8) & 0xff;
      const sampleTools = sampled < this.opts.samples ? m & tools & 0x7f : m & 0x7f;
      this.cMeta[slot] = sampleTools | (Math.min(sampled + 1, 255) << 8) | ((((m >>> 16) & 0xff) | tags) << 16);
      return -1;
    }
    return slot;
  }

  /** The candidate in `slot` becomes an open event (its first destination and samples carried over). */
  private promote(key: number, slot: number, src: number, tp: [number, number]): Open | undefined {
    this.cand.delete(key);
    this.cFree.push(slot);
    if (this.open.size >= this.opts.maxEvents) {
      this.droppedPackets += this.cPackets[slot] + 1;
      return undefined;
    }
    const m = this.cMeta[slot];
    const e: Open = {
      source: src, port: tp[1], type: tp[0], packets: this.cPackets[slot], first: this.cFirst[slot], last: this.cLast[slot],
      dsts: new DistinctCounter(12, 1024), nets: new DistinctCounter(12, 1024),
      sampleTools: m & 0x7f, sampled: Math.min((m >>> 8) & 0xff, this.opts.samples), tags: (m >>> 16) & 0xff,
    };
    e.dsts.add(this.cDst[slot]);
    e.nets.add(this.cDst[slot] >>> 8);
    this.open.set(key, e);
    return e;
  }

  private growCandidates(): void {
    const grow = <T extends Float64Array | Uint32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.cFirst = grow(this.cFirst);
    this.cLast = grow(this.cLast);
    this.cPackets = grow(this.cPackets);
    this.cDst = grow(this.cDst);
    this.cMeta = grow(this.cMeta);
  }

  /** Close the events idle for longer than the timeout at stream time t. */
  private sweep(t: number): void {
    this.nextSweep = t + this.opts.sweepSec;
    for (const [k, slot] of this.cand)
      if (t - this.cLast[slot] > this.opts.timeoutSec) {
        this.cand.delete(k);
        this.cFree.push(slot);
      }
    for (const [k, e] of this.open)
      if (t - e.last > this.opts.timeoutSec) {
        this.close(e);
        this.open.delete(k);
      }
  }

  private close(e: Open): void {
    const { minDestinations, minRatePps, extrapolationFactor, darknetSize, samples } = this.opts;
    const destinations = e.dsts.count();
    const duration = e.last - e.first;
    const ratePps = duration > 0 ? (e.packets * extrapolationFactor) / duration : Infinity;
    if (destinations < minDestinations || ratePps < minRatePps) return;
    // Merit: the label only if every stored sample has it (k samples, or all packets when fewer).
    const toolBits = e.sampled >= Math.min(samples, e.packets) ? e.sampleTools : 0;
    const tools = labelsOf(toolBits, TOOL_RULES);
    this.out.push({
      source: typeof e.source === 'number' ? formatIPv4(e.source) : e.source,
      port: e.port,
      trafficType: TRAFFIC_TYPES[e.type],
      packets: e.packets,
      destinations,
      slash24s: e.nets.count(),
      firstSec: e.first,
      lastSec: e.last,
      ratePps,
      ipv4Share: darknetSize > 0 ? destinations / darknetSize : 0,
      tool: tools.length ? tools.filter((x) => !x.endsWith('-shape')).join('+') || tools.join('+') : null,
      tags: labelsOf(e.tags, TAG_RULES),
      approximate: e.dsts.approximate,
    });
  }

  /** Events that ended since the last call. */
  take(): ScanEvent[] {
    return this.out.splice(0);
  }

  /** End of input: close every open event. */
  finish(): ScanEvent[] {
    for (const e of this.open.values()) this.close(e);
    this.open.clear();
    this.cand.clear();
    this.cFree = [];
    this.cUsed = 0;
    return this.take();
  }
}
