/**
 * SYN/ACK reflection aimed at the darknet's own address space (methods.md §5.1,
 * view 2): an attacker sends SYNs spoofed with addresses of a prefix that holds dark
 * space to many TCP servers; each server (a reflector) answers the prefix with
 * SYN/ACKs. Moore backscatter is one victim → many darknet addresses (dos.ts keys it
 * by that victim); this is many sources → one dark prefix, each with a few packets,
 * so it is counted per destination prefix: distinct SYN/ACK sources per dark /24
 * (IPv6: /64) per minute, as methods.md suggests. NICTER saw > 70 M sources in one day
 * of such a surge (2020-03-11).
 *
 * A minute is flagged when a prefix got SYN/ACKs from ≥ `minSources` distinct sources;
 * consecutive flagged minutes of a prefix make one event, which ends at the first
 * minute that is not flagged. The thresholds are UNCONFIRMED (no published rule;
 * methods.md says to make them configurable) and every one is an option.
 *
 * Memory is bounded: at most `maxPrefixes` prefixes per minute and `maxEvents` open
 * events (past them packets are counted in `droppedPackets`), and fixed-size counters
 * per prefix (exact to 64 sources a minute and 4096 an event, then HyperLogLog, p = 10).
 */
import type { PacketBatch } from '../decode/batch.js';
import { formatIPv4, formatIPv6 } from '../config/cidr.js';
import { Response, TrafficKind } from '../classify/rules.js';
import { DistinctCounter } from '../stats/distinct.js';
import { serviceName } from '../enrich/services.js';
import { unpackCountry } from '../enrich/country.js';

export interface ReflectionOptions {
  /** Distinct SYN/ACK sources into one dark prefix within a minute that flag it (UNCONFIRMED default). */
  minSources: number;
  /** IPv4 prefix length the darknet is counted by (IPv6: /64). */
  prefixLength: number;
  /** Bucket length (seconds). */
  bucketSec: number;
  maxPrefixes: number;
  maxEvents: number;
}

export const REFLECTION_DEFAULTS: ReflectionOptions = {
  minSources: 20,
  prefixLength: 24,
  bucketSec: 60,
  maxPrefixes: 65_536,
  maxEvents: 4096,
};

export interface ReflectionEvent {
  /** The dark prefix the SYN/ACKs were aimed at (the attack's victim). */
  prefix: string;
  firstSec: number;
  lastSec: number;
  /** Flagged minutes (buckets). */
  minutes: number;
  /** SYN/ACKs received by the prefix in the flagged minutes. */
  packets: number;
  /** Distinct reflectors over the event (exact to 4096, then estimated). */
  reflectors: number;
  /** The busiest minute: its start (ISO) and its distinct reflectors. */
  peakMinute: string;
  peakReflectors: number;
  /** The reflectors' source ports (their services), busiest first, at most 10. */
  ports: { port: number; service: string | null; packets: number }[];
  /** Reflectors' countries by packets, busiest first, at most 10 (enriched batches). */
  countries: { country: string; packets: number }[];
  approximate: boolean;
}

interface Bucket {
  key: number | string;
  sources: DistinctCounter;
  packets: number;
  first: number;
  last: number;
  /** IPv4 prefix (network address) or the IPv6 /64's first two words. */
  v4: number;
  v6: [number, number] | null;
  ports: Map<number, number>;
  countries: Map<number, number>;
}

interface OpenEvent {
  bucket: Bucket;
  firstSec: number;
  lastSec: number;
  lastBucket: number;
  minutes: number;
  packets: number;
  reflectors: DistinctCounter;
  peakStart: number;
  peakReflectors: number;
  ports: Map<number, number>;
  countries: Map<number, number>;
}

/** Small count maps stay small: keys past `cap` are not added (their packets still count in the totals). */
function bump(m: Map<number, number>, k: number, n: number, cap: number): void {
  const v = m.get(k);
  if (v !== undefined) m.set(k, v + n);
  else if (m.size < cap) m.set(k, n);
}

function newEvent(k: Bucket, start: number): OpenEvent {
  return { bucket: k, firstSec: k.first, lastSec: k.last, lastBucket: start, minutes: 0, packets: 0, reflectors: new DistinctCounter(10, 4096), peakStart: start, peakReflectors: 0, ports: new Map(), countries: new Map() };
}

/** A flagged minute (bucket k, starting at `start`, n sources) joins event e. */
function extend(e: OpenEvent, k: Bucket, start: number, n: number): void {
  e.lastSec = k.last;
  e.lastBucket = start;
  e.minutes++;
  e.packets += k.packets;
  e.reflectors.merge(k.sources);
  if (n > e.peakReflectors) {
    e.peakReflectors = n;
    e.peakStart = start;
  }
  for (const [p, c] of k.ports) bump(e.ports, p, c, 64);
  for (const [c, x] of k.countries) bump(e.countries, c, x, 256);
}

function topOf(m: Map<number, number>, n: number): [number, number][] {
  return [...m].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, n);
}

export class ReflectionDetector {
  readonly opts: ReflectionOptions;
  private bucketStart = NaN;
  private buckets = new Map<number | string, Bucket>();
  private readonly open = new Map<number | string, OpenEvent>();
  private readonly out: ReflectionEvent[] = [];
  private readonly mask: number;
  droppedPackets = 0;

  constructor(opts: Partial<ReflectionOptions> = {}) {
    this.opts = { ...REFLECTION_DEFAULTS, ...opts };
    const l = this.opts.prefixLength;
    if (!Number.isInteger(l) || l < 0 || l > 32) throw new RangeError(`prefix length ${l} outside 0..32`);
    this.mask = l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0;
  }

  /** Rows [from, to) of a classified (and, for countries, enriched) batch, in time order. */
  add(b: PacketBatch, from = 0, to = b.length): void {
    const kind = b.kind, response = b.response;
    for (let i = from; i < to; i++) {
      if (kind[i] !== TrafficKind.BACKSCATTER || response[i] !== Response.SYN_ACK) continue;
      const t = b.tsSec[i] + b.tsNsec[i] / 1e9;
      const start = Math.floor(t / this.opts.bucketSec) * this.opts.bucketSec;
      if (start !== this.bucketStart) {
        if (!Number.isNaN(this.bucketStart)) this.closeBucket(start);
        this.bucketStart = start;
      }
      const v6 = b.ipVersion[i] === 6;
      const w = 4 * i;
      const net = v6 ? 0 : (b.dst[i] & this.mask) >>> 0;
      const key: number | string = v6 ? `${b.dst6[w]}:${b.dst6[w + 1]}` : net;
      let k = this.buckets.get(key);
      if (!k) {
        if (this.buckets.size >= this.opts.maxPrefixes) {
          this.droppedPackets++;
          continue;
        }
        k = { key, sources: new DistinctCounter(10, 64), packets: 0, first: t, last: t, v4: net, v6: v6 ? [b.dst6[w], b.dst6[w + 1]] : null, ports: new Map(), countries: new Map() };
        this.buckets.set(key, k);
      }
      k.packets++;
      k.last = t;
      k.sources.add(v6 ? b.src6[w + 3] ^ Math.imul(b.src6[w + 2], 0x9e3779b1) ^ Math.imul(b.src6[w], 0x85ebca6b) : b.src[i]);
      bump(k.ports, b.sport[i], 1, 64);
      if (b.enriched && b.srcCountry[i]) bump(k.countries, b.srcCountry[i], 1, 256);
    }
  }

  /** The minute before `next` is over: flag its prefixes, extend or end their events. */
  private closeBucket(next: number): void {
    const { minSources, bucketSec } = this.opts;
    const start = this.bucketStart;
    for (const k of this.buckets.values()) {
      const n = k.sources.count();
      if (n < minSources) continue;
      let e = this.open.get(k.key);
      if (!e) {
        if (this.open.size >= this.opts.maxEvents) {
          this.droppedPackets += k.packets;
          continue;
        }
        e = newEvent(k, start);
        this.open.set(k.key, e);
      }
      extend(e, k, start, n);
    }
    this.buckets = new Map();
    // Events whose prefix was not flagged in this minute have ended.
    for (const [key, e] of this.open) {
      if (e.lastBucket === start && next === start + bucketSec) continue;
      if (e.lastBucket === start && Number.isNaN(next)) continue;
      this.end(e);
      this.open.delete(key);
    }
  }

  private end(e: OpenEvent): void {
    this.out.push(this.describe(e));
  }

  private describe(e: OpenEvent): ReflectionEvent {
    const b = e.bucket;
    return {
      prefix: b.v6 ? `${formatIPv6([b.v6[0], b.v6[1], 0, 0])}/64` : `${formatIPv4(b.v4)}/${this.opts.prefixLength}`,
      firstSec: e.firstSec,
      lastSec: e.lastSec,
      minutes: e.minutes,
      packets: e.packets,
      reflectors: e.reflectors.count(),
      peakMinute: new Date(e.peakStart * 1000).toISOString(),
      peakReflectors: e.peakReflectors,
      ports: topOf(e.ports, 10).map(([port, packets]) => ({ port, service: serviceName(port, 6)?.name ?? null, packets })),
      countries: topOf(e.countries, 10).map(([c, packets]) => ({ country: unpackCountry(c), packets })),
      approximate: e.reflectors.approximate,
    };
  }

  /** The events finish() would emit now (the open minute judged as it would), read-only. */
  openEvents(): ReflectionEvent[] {
    const { minSources, maxEvents } = this.opts;
    const views = new Map(this.open);
    let size = this.open.size;
    if (!Number.isNaN(this.bucketStart)) {
      for (const k of this.buckets.values()) {
        const n = k.sources.count();
        if (n < minSources) continue;
        const e = this.open.get(k.key);
        let v: OpenEvent;
        if (e) {
          const reflectors = new DistinctCounter(10, 4096);
          reflectors.merge(e.reflectors);
          v = { ...e, reflectors, ports: new Map(e.ports), countries: new Map(e.countries) };
        } else {
          if (size >= maxEvents) continue;
          size++;
          v = newEvent(k, this.bucketStart);
        }
        extend(v, k, this.bucketStart, n);
        views.set(k.key, v);
      }
    }
    return [...views.values()].map((e) => this.describe(e));
  }

  /** Events that ended since the last call. */
  take(): ReflectionEvent[] {
    return this.out.splice(0);
  }

  /** End of input: the open minute is judged and every event ends. */
  finish(): ReflectionEvent[] {
    if (!Number.isNaN(this.bucketStart)) this.closeBucket(NaN);
    for (const e of this.open.values()) this.end(e);
    this.open.clear();
    this.bucketStart = NaN;
    return this.take();
  }
}
