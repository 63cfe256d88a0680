/**
 * A deterministic, time-compressed observation of many days: a few hundred
 * probes a day over a fixed set of ports from stable scanner pools (ordinary OS
 * stacks: window 29200, MSS option, TTL < 64), plus injected episodes:
 *
 *  - `surge`: many JP sources (126/8, 133/8: Japanese in the bundled RIR data)
 *    probing one port, 2–3 SYNs each, on one day (a new infection wave);
 *  - `spoofed`: a SYN flood from uniformly random sources, one SYN each — spoofed
 *    sources (RFC 5735 space and .0/.255 included, as uniform spoofing gives);
 *  - `newPort`: a port never probed before, from a few dozen sources.
 *
 * Everything comes from one seeded PRNG, so a seed gives the same file. The
 * truth returned says which (day, port) each episode used.
 */
import { Rng } from './rng.js';
import { frameIPv4Tcp, ipv4Fields, linkFields, tcpFields, TH_SYN } from './packet.js';
import { PcapWriter } from './pcap-writer.js';

export interface Episode {
  kind: 'surge' | 'spoofed' | 'newPort';
  day: number;
  port: number;
  /** Distinct sources and packets per source. */
  sources: number;
  packetsPerSource: number;
}

export interface SeriesOptions {
  seed?: number;
  /** First day, Unix seconds at 00:00 UTC. */
  startSec?: number;
  days: number;
  /** Baseline probes per port per day (mean; ±20 %). */
  perPortPerDay?: number;
  ports?: number[];
  /** Darknet /16 (first two octets). */
  darknet?: [number, number];
  episodes: Episode[];
}

const BASE_PORTS = [23, 22, 80, 443, 445, 3389, 8080, 2323, 5555, 37215];
const OPTIONS = new Uint8Array([2, 4, 5, 180, 1, 1, 4, 2]); // MSS 1460, NOP NOP, SACK permitted

/** Write the series to `file`; returns the packet count. */
export function writeSeries(file: string, o: SeriesOptions): number {
  const r = new Rng(o.seed ?? 7);
  const start = o.startSec ?? 1767225600; // 2026-01-01
  const ports = o.ports ?? BASE_PORTS;
  const [d0, d1] = o.darknet ?? [100, 64];
  const perPort = o.perPortPerDay ?? 40;
  // A stable pool of scanners per port: public-looking addresses, last byte 1..254.
  const pools = ports.map(() => Array.from({ length: 60 }, () => (((r.range(1, 223) << 24) | (r.nextInt(256) << 16) | (r.nextInt(256) << 8) | r.range(1, 254)) >>> 0)));
  const w = new PcapWriter(file);
  const link = linkFields();
  let n = 0;
  const emit = (sec: number, src: number, dport: number, ttl: number) => {
    const off = w.begin(128);
    const dst = ((d0 << 24) | (d1 << 16) | (r.nextInt(256) << 8) | r.nextInt(256)) >>> 0;
    const len = frameIPv4Tcp(w.buf, off, link, ipv4Fields({ src, dst, ttl, id: r.nextInt(65536) }), tcpFields({ sport: r.range(32768, 60999), dport, seq: r.nextU32(), window: 29200, flags: TH_SYN, options: OPTIONS }));
    w.end(Math.floor(sec), Math.floor((sec % 1) * 1e6), len);
    n++;
  };
  for (let day = 0; day < o.days; day++) {
    const rows: [number, number, number, number][] = [];
    ports.forEach((port, k) => {
      const count = Math.round(perPort * (0.8 + 0.4 * r.nextFloat()) * (port === 37215 ? 0.25 : 1));
      for (let i = 0; i < count; i++) rows.push([r.nextFloat() * 86400, pools[k][r.nextInt(pools[k].length)], port, r.range(40, 60)]);
    });
    for (const e of o.episodes) {
      if (e.day !== day) continue;
      for (let s = 0; s < e.sources; s++) {
        let src: number;
        if (e.kind === 'surge') src = (((r.chance(0.5) ? 126 : 133) << 24) | (r.nextInt(256) << 16) | (r.nextInt(256) << 8) | r.range(1, 254)) >>> 0;
        else if (e.kind === 'spoofed') src = r.nextU32();
        else src = (((r.range(1, 223) << 24) | (r.nextInt(256) << 16) | (r.nextInt(256) << 8) | r.range(1, 254)) >>> 0);
        const t0 = r.nextFloat() * 86000;
        for (let p = 0; p < e.packetsPerSource; p++) rows.push([t0 + p * 3, src, e.port, e.kind === 'spoofed' ? r.range(30, 120) : r.range(40, 60)]);
      }
    }
    rows.sort((a, b) => a[0] - b[0]);
    for (const [t, src, port, ttl] of rows) emit(start + day * 86400 + t, src, port, ttl);
  }
  w.close();
  return n;
}
