/**
 * DoS attacks seen through their backscatter, the corsaro3 dos plugin's model
 * (docs/methods.md §3; CAIDA corsaro3 @ 9e899dae, corsaro_dos.c):
 *
 *  - an attack vector per victim and protocol (the victim is the backscatter's
 *    source, or for ICMP errors the quoted packet's destination: the classifier's
 *    `victim` / `victimProto` columns);
 *  - packets are counted in 10-s buckets; at the end of each interval (60 s),
 *    buckets older than 50 s are pruned and the windows starting at the remaining
 *    buckets are summed over 60 s; the largest sum is kept as a running maximum
 *    (maxPPM);
 *  - a vector is reportable at an interval end when maxPPM ≥ 30, packets ≥ 25 and
 *    latest − start ≥ 60 s, all cumulative over its life;
 *  - a vector with no packet during a whole interval ends (corsaro3 deletes it);
 *    darkscope then emits one DosAttack if it was ever reportable.
 *
 * Every threshold is an option; defaults are corsaro3's. Memory is bounded: at
 * most `maxVectors` vectors (new victims past it are counted, not tracked), and
 * per vector fixed-size counters and sets.
 */
import type { PacketBatch } from '../decode/batch.js';
import { formatIPv4, formatIPv6 } from '../config/cidr.js';
import { Response, TrafficKind } from '../classify/rules.js';
import { DistinctCounter } from '../stats/distinct.js';
import { serviceName } from '../enrich/services.js';
import { unpackCountry } from '../enrich/country.js';

/** Bitcoin's P2P ports (mainnet, testnet3): a victim answering from one is a Bitcoin node (methods.md §6). */
const BITCOIN_PORTS = new Set([8333, 18333]);

export interface DosOptions {
  minPackets: number;
  minDurationSec: number;
  /** Minimum of the largest packet count in a rate window. */
  minWindowPackets: number;
  windowSec: number;
  slideSec: number;
  intervalSec: number;
  /** Vectors tracked at once; past it new victims are dropped (and counted). */
  maxVectors: number;
  /** 2^32 / N: extrapolation from the darknet to all of IPv4 (Darknet.extrapolationFactor). */
  extrapolationFactor: number;
}

export const DOS_DEFAULTS: Omit<DosOptions, 'extrapolationFactor'> = {
  minPackets: 25,
  minDurationSec: 60,
  minWindowPackets: 30,
  windowSec: 60,
  slideSec: 10,
  intervalSec: 60,
  maxVectors: 1_000_000,
};

/** What the victim's replies say the attack was (methods.md §3.1). */
export function attackType(responses: number): string {
  const has = (r: number) => (responses & (1 << r)) !== 0;
  const types: string[] = [];
  if (has(Response.SYN_ACK)) types.push('syn-flood-open-port');
  if (has(Response.RST_ACK)) types.push('syn-flood-closed-port');
  if (has(Response.RST)) types.push('ack-flood');
  if (has(Response.UNREACHABLE)) types.push('udp-flood');
  if (has(Response.ECHO_REPLY)) types.push('icmp-flood');
  if (types.length === 0) types.push('other');
  return types.join('+');
}

export interface DosAttack {
  victim: string;
  /** Protocol table of the vector (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
  proto: number;
  /** The victim's first target port (corsaro3's first_target_port). */
  victimPort: number;
  /** What listens on victimPort (the darkscope overlay, else IANA's name; TCP and UDP only), or null. */
  victimService: string | null;
  /** Distinct target ports (exact to 64, then estimated). */
  victimPorts: number;
  /** The victim's country (ISO code) and origin AS, as enriched at its first packet; null when unknown. */
  victimCountry: string | null;
  victimAsn: number | null;
  /** `bitcoin_backscatter` when a TCP victim answered from 8333 or 18333 (methods.md §6). */
  labels: string[];
  attackType: string;
  packets: number;
  /** Sum of the backscatter packets' IP lengths. */
  bytes: number;
  startSec: number;
  endSec: number;
  /** Largest packet count in a `windowSec` window. */
  maxWindowPackets: number;
  /** Backscatter packets per second seen × 2^32 / N: the attack's estimated packet rate. */
  estimatedAttackPps: number;
  /** Distinct darknet addresses the replies reached (the spoofed sources seen). */
  spoofedSources: number;
  /** Distinct /16s of them (corsaro3 keeps these rather than addresses). */
  spoofedSlash16s: number;
  icmpMismatches: number;
}

interface Vector {
  key: number | string;
  ipVersion: 4 | 6;
  victim4: number;
  victim6: string | null;
  proto: number;
  packets: number;
  bytes: number;
  start: number;
  latest: number;
  firstPort: number;
  country: number;
  asn: number;
  ports: DistinctCounter;
  spoofed: DistinctCounter;
  slash16: DistinctCounter;
  responses: number;
  mismatches: number;
  /** 10-s bucket starts (seconds) and their packet counts, oldest first. */
  bucketStart: number[];
  bucketCount: number[];
  maxPpm: number;
  reportable: boolean;
}

export class DosDetector {
  readonly opts: DosOptions;
  private readonly vectors = new Map<number | string, Vector>();
  /** End of the current interval (seconds); NaN before the first packet. */
  private intervalEnd = NaN;
  private readonly out: DosAttack[] = [];
  /** Packets of victims not tracked because maxVectors was reached. */
  droppedPackets = 0;

  constructor(opts: Partial<DosOptions> & Pick<DosOptions, 'extrapolationFactor'>) {
    this.opts = { ...DOS_DEFAULTS, ...opts };
  }

  get vectorCount(): number {
    return this.vectors.size;
  }

  /** Count the backscatter rows among [from, to) of a classified batch (rows in time order). */
  add(b: PacketBatch, from = 0, to = b.length): void {
    const kind = b.kind;
    for (let i = from; i < to; i++) {
      if (kind[i] !== TrafficKind.BACKSCATTER) continue;
      const t = b.tsSec[i] + b.tsNsec[i] / 1e9;
      this.advance(t);
      this.count(b, i, t);
    }
  }

  /** Intervals ending at or before `t` are evaluated first (time only moves forward). */
  private advance(t: number): void {
    const I = this.opts.intervalSec;
    if (Number.isNaN(this.intervalEnd)) this.intervalEnd = (Math.floor(t / I) + 1) * I;
    // After two evaluations without packets every vector has ended: a long gap is then skipped.
    let k = 0;
    while (t >= this.intervalEnd) {
      this.evaluate(this.intervalEnd);
      this.intervalEnd += I;
      if (++k >= 2 && t >= this.intervalEnd + I) this.intervalEnd = Math.floor(t / I) * I;
    }
  }

  private count(b: PacketBatch, i: number, t: number): void {
    const proto = b.victimProto[i];
    const v6 = b.ipVersion[i] === 6;
    const w = 4 * i;
    const victim6 = v6 ? formatIPv6([b.victim6[w], b.victim6[w + 1], b.victim6[w + 2], b.victim6[w + 3]]) : null;
    const key: number | string = v6 ? `${victim6}/${proto}` : b.victim[i] * 256 + proto;
    let v = this.vectors.get(key);
    if (!v) {
      if (this.vectors.size >= this.opts.maxVectors) {
        this.droppedPackets++;
        return;
      }
      v = {
        key, ipVersion: v6 ? 6 : 4, victim4: b.victim[i], victim6, proto, packets: 0, bytes: 0, start: t, latest: t,
        firstPort: b.victimPort[i], country: b.enriched ? b.victimCountry[i] : 0, asn: b.enriched ? b.victimAsn[i] : 0, ports: new DistinctCounter(10, 64), spoofed: new DistinctCounter(12, 4096), slash16: new DistinctCounter(10, 1024),
        responses: 0, mismatches: 0, bucketStart: [], bucketCount: [], maxPpm: 0, reportable: false,
      };
      this.vectors.set(key, v);
    }
    v.packets++;
    v.bytes += b.ipLen[i];
    v.latest = t;
    v.ports.add(b.victimPort[i]);
    v.responses |= 1 << b.response[i];
    if ((b.classFlags[i] & 1) !== 0) v.mismatches++;
    if (!v6) {
      v.spoofed.add(b.dst[i]);
      v.slash16.add(b.dst[i] >>> 16);
    } else {
      v.spoofed.add(b.dst6[w + 3] ^ Math.imul(b.dst6[w + 2], 0x9e3779b1));
      v.slash16.add(b.dst6[w]);
    }
    const s = this.opts.slideSec;
    const bs = Math.floor(t / s) * s;
    const n = v.bucketStart.length;
    if (n > 0 && v.bucketStart[n - 1] === bs) v.bucketCount[n - 1]++;
    else {
      v.bucketStart.push(bs);
      v.bucketCount.push(1);
    }
  }

  /** End of an interval at `ts`: rates, reportability, and the end of idle vectors. */
  private evaluate(ts: number): void {
    const { intervalSec, minPackets, minDurationSec, minWindowPackets } = this.opts;
    const keepFrom = this.keepFrom(ts);
    for (const [key, v] of this.vectors) {
      // corsaro3: a vector without packets during the whole interval is deleted.
      if (v.latest < ts - intervalSec) {
        this.end(v);
        this.vectors.delete(key);
        continue;
      }
      let drop = 0;
      while (drop < v.bucketStart.length && v.bucketStart[drop] < keepFrom) drop++;
      if (drop > 0) {
        v.bucketStart.splice(0, drop);
        v.bucketCount.splice(0, drop);
      }
      v.maxPpm = this.peak(v, 0);
      if (v.maxPpm >= minWindowPackets && v.packets >= minPackets && v.latest - v.start >= minDurationSec) v.reportable = true;
    }
  }

  private keepFrom(ts: number): number {
    const { windowSec, slideSec } = this.opts;
    return ts - (windowSec / slideSec - 1) * slideSec;
  }

  /** The running maximum with the windows starting at buckets [from, …) (read-only). */
  private peak(v: Vector, from: number): number {
    const windowSec = this.opts.windowSec;
    let max = v.maxPpm;
    for (let a = from; a < v.bucketStart.length; a++) {
      let sum = 0;
      for (let c = a; c < v.bucketStart.length && v.bucketStart[c] < v.bucketStart[a] + windowSec; c++) sum += v.bucketCount[c];
      if (sum > max) max = sum;
    }
    return max;
  }

  private end(v: Vector): void {
    if (v.reportable) this.out.push(this.attack(v, v.maxPpm));
  }

  private attack(v: Vector, maxPpm: number): DosAttack {
    const duration = v.latest - v.start;
    return {
      victim: v.ipVersion === 4 ? formatIPv4(v.victim4) : v.victim6!,
      proto: v.proto,
      victimPort: v.firstPort,
      victimService: v.proto === 6 || v.proto === 17 ? (serviceName(v.firstPort, v.proto)?.name ?? null) : null,
      victimPorts: v.ports.count(),
      victimCountry: v.country ? unpackCountry(v.country) : null,
      victimAsn: v.asn || null,
      labels: v.proto === 6 && BITCOIN_PORTS.has(v.firstPort) ? ['bitcoin_backscatter'] : [],
      attackType: attackType(v.responses),
      packets: v.packets,
      bytes: v.bytes,
      startSec: v.start,
      endSec: v.latest,
      maxWindowPackets: maxPpm,
      estimatedAttackPps: duration > 0 ? (v.packets / duration) * this.opts.extrapolationFactor : 0,
      spoofedSources: v.spoofed.count(),
      spoofedSlash16s: v.slash16.count(),
      icmpMismatches: v.mismatches,
    };
  }

  /** The attacks that ended since the last call. */
  take(): DosAttack[] {
    return this.out.splice(0);
  }

  /** Which vectors are reportable now (victim/proto keys): what corsaro3 would report at this interval. */
  reportableNow(): string[] {
    return [...this.vectors.values()].filter((v) => v.reportable).map((v) => `${v.ipVersion === 4 ? formatIPv4(v.victim4) : v.victim6}/${v.proto}`);
  }

  /** The attacks finish() would emit now (the open interval judged as it would), read-only. */
  openEvents(): DosAttack[] {
    if (Number.isNaN(this.intervalEnd)) return [];
    const { intervalSec, minPackets, minDurationSec, minWindowPackets } = this.opts;
    const ts = this.intervalEnd, keepFrom = this.keepFrom(ts);
    const out: DosAttack[] = [];
    for (const v of this.vectors.values()) {
      if (v.latest < ts - intervalSec) {
        if (v.reportable) out.push(this.attack(v, v.maxPpm));
        continue;
      }
      let from = 0;
      while (from < v.bucketStart.length && v.bucketStart[from] < keepFrom) from++;
      const maxPpm = this.peak(v, from);
      if (v.reportable || (maxPpm >= minWindowPackets && v.packets >= minPackets && v.latest - v.start >= minDurationSec)) out.push(this.attack(v, maxPpm));
    }
    return out;
  }

  /** End of input: evaluate the open interval and end every vector. */
  finish(): DosAttack[] {
    if (!Number.isNaN(this.intervalEnd)) this.evaluate(this.intervalEnd);
    for (const v of this.vectors.values()) this.end(v);
    this.vectors.clear();
    return this.take();
  }
}
