/**
 * A deterministic darknet observation of two calendar quarters (2026Q2 and
 * 2026Q3) for the periodic-report demo and its tests: 100.64.0.0/16 behind two
 * sensors, home country JP (QUARTERS_DARKNET_YAML).
 *
 *  - background: exact counts of OS-like SYNs (window 29200, MSS option, TTL
 *    40–60) per day, port and quarter, plus DNS probes to 53/udp, from fixed
 *    pools of 60 sources per country; the country of a probe follows the
 *    quarter's weights exactly (smooth weighted round-robin), so the country
 *    ranks are by construction, not by luck of the seed;
 *  - Mirai SYNs (seq = destination address) from a pool of 200 sources, 30 % JP
 *    (126/8, 133/8), and a JP Mirai wave in Q3;
 *  - port sweepers (≥ 100 ports a day: the NPA figure), a JP surge on 37215/tcp,
 *    a spoofed SYN flood on 445/tcp, a new port (9530/tcp) and two DDoS
 *    backscatter episodes (SYN-ACK, some RST-ACK).
 *
 * `scale` multiplies the background and Mirai counts only: the episodes keep
 * their size so they stay detectable (and recognisable) at any scale.
 *
 * Every non-spoofed source is drawn from address blocks the bundled geo data
 * attributes to its country, and checked against it, so the truth's country
 * counts hold for whoever enriches with the same data. The truth is counted as
 * packets are written, never read back from the file.
 */
import { unpackCountry } from '../../src/enrich/country.js';
import type { GeoDb } from '../../src/enrich/geo.js';
import { Rng } from './rng.js';
import { formatIPv4, frameIPv4Tcp, frameIPv4Udp, ipv4Fields, linkFields, parseIPv4, tcpFields, TH_ACK, TH_RST, TH_SYN, udpFields } from './packet.js';
import { PcapWriter } from './pcap-writer.js';

export interface QuarterTruth {
  label: '2026Q2' | '2026Q3';
  /** ISO, [from, to). */
  from: string;
  to: string;
  /** Probe packets (every packet that is not backscatter) by destination port: '23/tcp', '53/udp'. */
  ports: Record<string, number>;
  /** Probe packets by source country ('US', …; '' unknown), via geo.countryV4. */
  countries: Record<string, number>;
  /** All packets (backscatter included), and distinct sources of all packets. */
  packets: number;
  sources: number;
  /** Mirai-featured packets. */
  miraiPackets: number;
}

export interface QuartersTruth {
  packets: number;
  quarters: [QuarterTruth, QuarterTruth];
  /** Per UTC day ('2026-04-01'): all packets, and sources that probed ≥ 100 distinct ports that day. */
  days: Record<string, { packets: number; portSweepers: number }>;
  /** Where the episodes are (UTC day strings and ports/victims); the Mirai wave's `to` is its last day (inclusive). */
  episodes: {
    surge: { days: string[]; port: number };
    spoofed: { day: string; port: number; sources: number };
    newPort: { day: string; port: number };
    dos: { victim: string; port: number; day: string; packets: number }[];
    miraiWave: { from: string; to: string };
  };
}

export interface QuartersOptions {
  /** Default 7. */
  seed?: number;
  /** Multiplies the background and Mirai counts (rounded); default 1. */
  scale?: number;
  /** For the sources' countries (checked at generation) and the truth. */
  geo: GeoDb;
}

/** The darknet of this observation, in the project's configuration format. */
export const QUARTERS_DARKNET_YAML = `homeCountry: JP
sensors:
  - name: sensor-a
    prefixes: [100.64.0.0/17]
  - name: sensor-b
    prefixes: [100.64.128.0/17]
`;

const DARKNET = 0x64400000; // 100.64.0.0/16
const DAY = 86400;

type Country = 'US' | 'CN' | 'JP' | 'KR' | 'DE' | 'RU' | 'GB' | 'BR';

/**
 * Address blocks per country, each wholly in its country in the bundled geo data
 * (checked again at generation). Not 8.8.0.0/14: 8.10.6.0/23 is DO; not
 * 187.0.0.0/14: 187.0.40.0/22 is AR.
 */
const BLOCKS: Record<Country, [number, number][]> = Object.fromEntries(
  Object.entries({
    US: ['8.8.0.0/15'],
    CN: ['1.80.0.0/14', '36.96.0.0/14'],
    JP: ['126.0.0.0/14', '133.0.0.0/14'],
    KR: ['1.224.0.0/14'],
    DE: ['84.128.0.0/14', '91.0.0.0/14'],
    RU: ['95.24.0.0/14', '178.64.0.0/14'],
    GB: ['81.128.0.0/14'],
    BR: ['187.8.0.0/14'],
  }).map(([c, cidrs]) => [c, cidrs.map((cidr): [number, number] => {
    const [a, len] = cidr.split('/');
    return [parseIPv4(a), 2 ** (32 - Number(len))];
  })]),
) as Record<Country, [number, number][]>;
const COUNTRIES = Object.keys(BLOCKS) as Country[];
const POOL_SIZE = 60;

interface QuarterPlan {
  label: '2026Q2' | '2026Q3';
  /** Unix seconds at 00:00 UTC of the first day. */
  start: number;
  days: number;
  /** Background probes per day: [port, count]. */
  tcp: [number, number][];
  udp: [number, number][];
  weights: [Country, number][];
  miraiPerDay: number;
  sweepersPerDay: number;
}

const QUARTERS: [QuarterPlan, QuarterPlan] = [
  {
    label: '2026Q2',
    start: Date.UTC(2026, 3, 1) / 1000,
    days: 91,
    tcp: [[23, 300], [8728, 220], [22, 180], [445, 150], [80, 120], [3389, 90], [8080, 70], [5555, 40], [2323, 30], [37215, 20]],
    udp: [[53, 50]],
    weights: [['US', 30], ['CN', 25], ['JP', 15], ['KR', 10], ['DE', 8], ['RU', 6], ['GB', 3], ['BR', 3]],
    miraiPerDay: 60,
    sweepersPerDay: 1,
  },
  {
    label: '2026Q3',
    start: Date.UTC(2026, 6, 1) / 1000,
    days: 92,
    tcp: [[23, 320], [37215, 240], [22, 200], [8728, 160], [80, 130], [445, 100], [3389, 90], [8080, 60], [5555, 40], [2323, 30]],
    udp: [[53, 50]],
    weights: [['US', 28], ['CN', 20], ['RU', 14], ['JP', 12], ['KR', 9], ['DE', 7], ['GB', 5], ['BR', 5]],
    miraiPerDay: 80,
    sweepersPerDay: 2,
  },
];

// Episodes: `quarter` is 0 (Q2) or 1 (Q3); days are 0-based within the quarter.
const MIRAI_POOL = 200;
const MIRAI_JP_SHARE = 0.3;
const MIRAI_WAVE = { quarter: 1, from: 21, to: 34, perDay: 60, sources: 100 };
const SWEEP_PORTS = Array.from({ length: 120 }, (_, i) => 1000 + i);
const SURGE = { quarter: 1, days: [30, 31, 32], port: 37215, sources: 500, packetsPerSource: 3 };
const SPOOFED = { quarter: 1, day: 60, port: 445, sources: 1500 };
const NEW_PORT = { quarter: 1, day: 70, port: 9530, sources: 40, packetsPerSource: 2 };
const DOS = [
  { quarter: 0, day: 45, at: 14 * 3600, victim: '8.9.10.11', port: 80, pps: 1, seconds: 20 * 60, rstShare: 0, ttl: 52 },
  { quarter: 1, day: 40, at: 3 * 3600, victim: '91.0.10.20', port: 8333, pps: 2, seconds: 40 * 60, rstShare: 0.05, ttl: 47 },
];
/** Sources probing at least this many distinct ports in a day count as port sweepers. */
const SWEEPER_PORTS = 100;

const enum Kind { SYN, DNS, MIRAI, SYNACK, RSTACK }

/** One packet of a day before it is written: time within the day (s), kind, source, port (dport; the service port for backscatter), TTL. */
interface Row {
  t: number;
  kind: Kind;
  src: number;
  port: number;
  ttl: number;
}

const OPTIONS = new Uint8Array([2, 4, 5, 180, 1, 1, 4, 2]); // MSS 1460, NOP NOP, SACK permitted
const SYNACK_OPTIONS = new Uint8Array([2, 4, 5, 180]); // MSS 1460
// DNS query "version.bind" TXT CH, the usual resolver/fingerprint probe; bytes 0–1 (id) set per packet.
const DNS_QUERY = Uint8Array.from([
  0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
  7, ...Buffer.from('version'), 4, ...Buffer.from('bind'), 0, 0, 16, 0, 3,
]);

/**
 * Smooth weighted round-robin (as nginx balances upstreams): every run of
 * sum(weights) picks gives each index exactly its weight, well interleaved.
 */
class WeightedCycle {
  private readonly current: number[];
  private readonly total: number;
  constructor(private readonly weights: number[]) {
    this.current = weights.map(() => 0);
    this.total = weights.reduce((a, b) => a + b, 0);
  }
  next(): number {
    let best = 0;
    for (let i = 0; i < this.weights.length; i++) {
      this.current[i] += this.weights[i];
      if (this.current[i] > this.current[best]) best = i;
    }
    this.current[best] -= this.total;
    return best;
  }
}

/** The record with its keys in descending count order (then by key), for a readable truth file. */
function byCount(rec: Record<string, number>): Record<string, number> {
  const key = (k: string) => parseInt(k, 10);
  return Object.fromEntries(Object.entries(rec).sort(([ka, a], [kb, b]) => b - a || key(ka) - key(kb) || (ka < kb ? -1 : ka > kb ? 1 : 0)));
}

const isoDay = (sec: number): string => new Date(sec * 1000).toISOString().slice(0, 10);
const iso = (sec: number): string => new Date(sec * 1000).toISOString();

/** Write the two quarters to `file`; returns the truth. */
export function writeQuarters(file: string, opts: QuartersOptions): QuartersTruth {
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`scale must be a non-negative number, got ${scale}`);
  const geo = opts.geo;
  const r = new Rng(opts.seed ?? 7);
  const victims = DOS.map((d) => parseIPv4(d.victim));
  // Every drawn source is distinct (and never a victim), so "fresh" sources are fresh.
  const used = new Set<number>(victims);
  const draw = (c: Country): number => {
    const blocks = BLOCKS[c];
    for (;;) {
      const [base, size] = blocks[r.nextInt(blocks.length)];
      const a = (base + (r.nextInt(size >>> 8) << 8) + r.range(1, 254)) >>> 0;
      if (used.has(a)) continue;
      const got = unpackCountry(geo.countryV4(a));
      if (got !== c) throw new Error(`quarters: ${formatIPv4(a)} is ${got || 'unknown'} in the geo data, not ${c}: update BLOCKS`);
      used.add(a);
      return a;
    }
  };
  const pools = Object.fromEntries(COUNTRIES.map((c) => [c, Array.from({ length: POOL_SIZE }, () => draw(c))])) as Record<Country, number[]>;
  const others = COUNTRIES.filter((c) => c !== 'JP');
  const miraiJp = Math.round(MIRAI_POOL * MIRAI_JP_SHARE);
  const miraiPool = [
    ...Array.from({ length: miraiJp }, () => draw('JP')),
    ...Array.from({ length: MIRAI_POOL - miraiJp }, (_, i) => draw(others[i % others.length])),
  ];
  const wavePool = Array.from({ length: MIRAI_WAVE.sources }, () => draw('JP'));
  const sweepPool = [...pools.US, ...pools.CN];

  // ---- truth, counted as packets are written ----
  const quarters = QUARTERS.map((p): QuarterTruth => ({
    label: p.label, from: iso(p.start), to: iso(p.start + p.days * DAY), ports: {}, countries: {}, packets: 0, sources: 0, miraiPackets: 0,
  })) as [QuarterTruth, QuarterTruth];
  const days: QuartersTruth['days'] = {};
  const dosPackets = DOS.map(() => 0);
  const countryOf = new Map<number, string>();
  let total = 0;

  const w = new PcapWriter(file);
  const link = linkFields();
  const ip = ipv4Fields();
  const tcp = tcpFields();
  const udp = udpFields({ dport: 53, payload: DNS_QUERY });

  for (let q = 0; q < 2; q++) {
    const plan = QUARTERS[q];
    const qt = quarters[q];
    const qSources = new Set<number>();
    const cycle = new WeightedCycle(plan.weights.map(([, weight]) => weight));
    const cyclePools = plan.weights.map(([c]) => pools[c]);
    for (let d = 0; d < plan.days; d++) {
      const rows: Row[] = [];
      const push = (t: number, kind: Kind, src: number, port: number, ttl: number) => rows.push({ t, kind, src, port, ttl });
      const background = (ports: [number, number][], kind: Kind) => {
        for (const [port, perDay] of ports) {
          const n = Math.round(perDay * scale);
          for (let i = 0; i < n; i++) {
            const pool = cyclePools[cycle.next()];
            push(r.nextFloat() * DAY, kind, pool[r.nextInt(pool.length)], port, r.range(40, 60));
          }
        }
      };
      background(plan.tcp, Kind.SYN);
      background(plan.udp, Kind.DNS);
      // Mirai: 9 of 10 to 23/tcp, 1 of 10 to 2323/tcp, exactly.
      const mirai = (n: number, pool: number[]) => {
        for (let i = 0; i < n; i++) push(r.nextFloat() * DAY, Kind.MIRAI, pool[r.nextInt(pool.length)], i % 10 === 9 ? 2323 : 23, r.range(40, 60));
      };
      mirai(Math.round(plan.miraiPerDay * scale), miraiPool);
      if (q === MIRAI_WAVE.quarter && d >= MIRAI_WAVE.from && d <= MIRAI_WAVE.to) mirai(Math.round(MIRAI_WAVE.perDay * scale), wavePool);
      // Sweepers walk the ports in order, 2 s apart, from a fresh pick of the US/CN pools each day.
      const sweepers = new Set<number>();
      while (sweepers.size < plan.sweepersPerDay) sweepers.add(sweepPool[r.nextInt(sweepPool.length)]);
      for (const src of sweepers) {
        const t0 = r.nextFloat() * (DAY - 2 * SWEEP_PORTS.length);
        SWEEP_PORTS.forEach((port, k) => push(t0 + 2 * k, Kind.SYN, src, port, r.range(40, 60)));
      }
      if (q === SURGE.quarter && SURGE.days.includes(d)) {
        for (let s = 0; s < SURGE.sources; s++) {
          const src = draw('JP');
          const t0 = r.nextFloat() * (DAY - 10);
          for (let p = 0; p < SURGE.packetsPerSource; p++) push(t0 + 3 * p, Kind.SYN, src, SURGE.port, r.range(40, 60));
        }
      }
      if (q === SPOOFED.quarter && d === SPOOFED.day) {
        // Uniformly spoofed: any address (special and darknet space included), as a flood tool draws them.
        const t0 = r.nextFloat() * (DAY - 3600);
        const spoofed = new Set<number>();
        while (spoofed.size < SPOOFED.sources) {
          const src = r.nextU32();
          if (used.has(src) || spoofed.has(src)) continue;
          spoofed.add(src);
          push(t0 + r.nextFloat() * 3600, Kind.SYN, src, SPOOFED.port, r.range(30, 120));
        }
      }
      if (q === NEW_PORT.quarter && d === NEW_PORT.day) {
        for (let s = 0; s < NEW_PORT.sources; s++) {
          const src = draw(COUNTRIES[r.nextInt(COUNTRIES.length)]);
          const t0 = r.nextFloat() * (DAY - 10);
          for (let p = 0; p < NEW_PORT.packetsPerSource; p++) push(t0 + 3 * p, Kind.SYN, src, NEW_PORT.port, r.range(40, 60));
        }
      }
      DOS.forEach((e, k) => {
        if (q !== e.quarter || d !== e.day) return;
        for (let i = 0; i < e.pps * e.seconds; i++) {
          const kind = e.rstShare > 0 && r.chance(e.rstShare) ? Kind.RSTACK : Kind.SYNACK;
          push(e.at + (i + r.nextFloat()) / e.pps, kind, victims[k], e.port, e.ttl);
          dosPackets[k]++;
        }
      });

      // Stable sort: ties keep generation order, so the bytes depend on the seed only.
      rows.sort((a, b) => a.t - b.t);
      const dayStart = plan.start + d * DAY;
      const portsOf = new Map<number, Set<number>>();
      for (const row of rows) {
        const { src, kind } = row;
        const dst = (DARKNET | r.nextInt(65536)) >>> 0;
        ip.src = src;
        ip.dst = dst;
        ip.ttl = row.ttl;
        ip.id = r.nextInt(65536);
        const off = w.begin(128);
        let len: number;
        if (kind === Kind.DNS) {
          udp.sport = r.range(1024, 65535);
          udp.dport = row.port;
          const id = r.nextInt(65536);
          DNS_QUERY[0] = id >>> 8;
          DNS_QUERY[1] = id & 255;
          len = frameIPv4Udp(w.buf, off, link, ip, udp);
        } else {
          if (kind === Kind.SYN || kind === Kind.MIRAI) {
            tcp.sport = r.range(32768, 60999);
            tcp.dport = row.port;
            tcp.ack = 0;
            tcp.flags = TH_SYN;
            if (kind === Kind.SYN) {
              tcp.seq = r.nextU32();
              tcp.window = 29200;
              tcp.options = OPTIONS;
            } else {
              // Mirai's scanner: seq = destination address, random window, no options.
              tcp.seq = dst;
              tcp.window = r.nextInt(65536);
              tcp.options = null;
            }
          } else {
            // Backscatter: the victim answers spoofed SYNs that named darknet addresses.
            tcp.sport = row.port;
            tcp.dport = r.range(1024, 65535);
            tcp.seq = r.nextU32();
            tcp.ack = r.nextU32();
            tcp.flags = kind === Kind.SYNACK ? TH_SYN | TH_ACK : TH_RST | TH_ACK;
            tcp.window = kind === Kind.SYNACK ? 65535 : 0;
            tcp.options = kind === Kind.SYNACK ? SYNACK_OPTIONS : null;
          }
          len = frameIPv4Tcp(w.buf, off, link, ip, tcp);
        }
        const sec = dayStart + row.t;
        w.end(Math.floor(sec), Math.floor((row.t % 1) * 1e6), len);

        total++;
        qt.packets++;
        qSources.add(src);
        if (kind === Kind.SYNACK || kind === Kind.RSTACK) continue;
        const udpProbe = kind === Kind.DNS;
        const key = `${row.port}/${udpProbe ? 'udp' : 'tcp'}`;
        qt.ports[key] = (qt.ports[key] ?? 0) + 1;
        let cc = countryOf.get(src);
        if (cc === undefined) countryOf.set(src, (cc = unpackCountry(geo.countryV4(src))));
        qt.countries[cc] = (qt.countries[cc] ?? 0) + 1;
        if (kind === Kind.MIRAI) qt.miraiPackets++;
        let ports = portsOf.get(src);
        if (!ports) portsOf.set(src, (ports = new Set()));
        ports.add(udpProbe ? row.port + 65536 : row.port);
      }
      let portSweepers = 0;
      for (const ports of portsOf.values()) if (ports.size >= SWEEPER_PORTS) portSweepers++;
      days[isoDay(dayStart)] = { packets: rows.length, portSweepers };
    }
    qt.sources = qSources.size;
    qt.ports = byCount(qt.ports);
    qt.countries = byCount(qt.countries);
  }
  w.close();

  const day = (q: number, d: number) => isoDay(QUARTERS[q].start + d * DAY);
  return {
    packets: total,
    quarters,
    days,
    episodes: {
      surge: { days: SURGE.days.map((d) => day(SURGE.quarter, d)), port: SURGE.port },
      spoofed: { day: day(SPOOFED.quarter, SPOOFED.day), port: SPOOFED.port, sources: SPOOFED.sources },
      newPort: { day: day(NEW_PORT.quarter, NEW_PORT.day), port: NEW_PORT.port },
      dos: DOS.map((e, k) => ({ victim: e.victim, port: e.port, day: day(e.quarter, e.day), packets: dosPackets[k] })),
      miraiWave: { from: day(MIRAI_WAVE.quarter, MIRAI_WAVE.from), to: day(MIRAI_WAVE.quarter, MIRAI_WAVE.to) },
    },
  };
}
