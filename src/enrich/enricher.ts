/**
 * Enricher: fills the enrichment columns of a PacketBatch — country and ASN
 * of the source and of the backscatter victim, and whether each is domestic
 * (in the observatory's home country, the split TSUBAME reports by).
 *
 * Darknet traffic is dominated by repeat sources (a scanner sends thousands
 * of probes), so IPv4 lookups go through a small direct-mapped cache in
 * front of GeoDb: a hit is one multiply, one shift and three typed-array
 * reads; a miss costs two range-table lookups. The cache lives here, not in
 * GeoDb, so GeoDb stays a pure read-only structure that many enrichers (one
 * per worker) can share.
 */
import type { PacketBatch } from '../decode/batch.js';
import { isCountryCode, packCountry } from './country.js';
import type { GeoDb } from './geo.js';

/** enrichFlags bits. */
export const EnrichFlag = { SRC_DOMESTIC: 1, VICTIM_DOMESTIC: 2 } as const;

/**
 * Default cache: 2^16 entries × 10 bytes = 640 kB per Enricher. Measured on
 * 10k repeated sources (bench --suite geo): 2^12 slots hit 38 % (23 M rows/s),
 * 2^14 76 % (44 M rows/s), 2^16 93 % (79 M rows/s); a miss costs ~50 ns.
 */
export const DEFAULT_CACHE_BITS = 16;

export class Enricher {
  readonly geo: GeoDb;
  /** Packed home country (0: none given, no row is domestic). */
  readonly home: number;
  /** Lookups answered by the cache, and those that went to GeoDb (IPv4 only). */
  hits = 0;
  misses = 0;

  private readonly shift: number;
  private readonly keys: Uint32Array;
  private readonly cc: Uint16Array;
  private readonly as: Uint32Array;

  /**
   * @param homeCountry ISO 3166-1 alpha-2 code of the observatory ('JP'), or '' for none.
   * @param cacheBits log2 of the cache size (8 … 22).
   */
  constructor(geo: GeoDb, homeCountry: string, cacheBits = DEFAULT_CACHE_BITS) {
    if (homeCountry !== '' && !isCountryCode(homeCountry)) throw new RangeError(`home country must be two upper-case letters (ISO 3166-1 alpha-2), got ${JSON.stringify(homeCountry)}`);
    if (!Number.isInteger(cacheBits) || cacheBits < 8 || cacheBits > 22) throw new RangeError(`cacheBits must be an integer in 8 … 22, got ${cacheBits}`);
    this.geo = geo;
    this.home = homeCountry === '' ? 0 : packCountry(homeCountry);
    const size = 1 << cacheBits;
    this.shift = 32 - cacheBits;
    this.keys = new Uint32Array(size);
    this.cc = new Uint16Array(size);
    this.as = new Uint32Array(size);
    // Every slot starts as a valid entry for address 0 (keys are 0), so no
    // "empty" marker is needed in the hot path.
    this.cc.fill(geo.countryV4(0));
    this.as.fill(geo.asnV4(0));
  }

  /** Fill srcCountry, srcAsn, victimCountry, victimAsn and enrichFlags for rows 0 … length-1. */
  enrich(batch: PacketBatch): void {
    const n = batch.length;
    const ver = batch.ipVersion;
    const src = batch.src;
    const src6 = batch.src6;
    const victim = batch.victim;
    const victim6 = batch.victim6;
    const hasVictim6 = batch.hasVictim6;
    const outSrcCc = batch.srcCountry;
    const outSrcAs = batch.srcAsn;
    const outVicCc = batch.victimCountry;
    const outVicAs = batch.victimAsn;
    const outFlags = batch.enrichFlags;
    const keys = this.keys;
    const ccs = this.cc;
    const ases = this.as;
    const shift = this.shift;
    const geo = this.geo;
    const home = this.home;
    let misses = 0;
    let lookups = 0;
    for (let i = 0; i < n; i++) {
      const v = ver[i];
      let sc = 0;
      let sa = 0;
      if (v === 4) {
        lookups++;
        const ip = src[i];
        const slot = Math.imul(ip, 0x9e3779b1) >>> shift; // Fibonacci hashing: spreads neighbouring addresses
        if (keys[slot] === ip) {
          sc = ccs[slot];
          sa = ases[slot];
        } else {
          sc = geo.countryV4(ip);
          sa = geo.asnV4(ip);
          keys[slot] = ip;
          ccs[slot] = sc;
          ases[slot] = sa;
          misses++;
        }
      } else if (v === 6) {
        const b = 4 * i;
        sc = geo.countryV6(src6[b], src6[b + 1], src6[b + 2], src6[b + 3]);
        sa = geo.asnV6(src6[b], src6[b + 1], src6[b + 2], src6[b + 3]);
      }
      let vc = 0;
      let va = 0;
      if (v !== 0) {
        const vip = victim[i];
        if (vip !== 0) {
          lookups++;
          const slot = Math.imul(vip, 0x9e3779b1) >>> shift;
          if (keys[slot] === vip) {
            vc = ccs[slot];
            va = ases[slot];
          } else {
            vc = geo.countryV4(vip);
            va = geo.asnV4(vip);
            keys[slot] = vip;
            ccs[slot] = vc;
            ases[slot] = va;
            misses++;
          }
        } else if (hasVictim6) {
          const b = 4 * i;
          const w0 = victim6[b];
          const w1 = victim6[b + 1];
          const w2 = victim6[b + 2];
          const w3 = victim6[b + 3];
          if ((w0 | w1 | w2 | w3) !== 0) {
            vc = geo.countryV6(w0, w1, w2, w3);
            va = geo.asnV6(w0, w1, w2, w3);
          }
        }
      }
      outSrcCc[i] = sc;
      outSrcAs[i] = sa;
      outVicCc[i] = vc;
      outVicAs[i] = va;
      // home is never 0 when it matches: unknown countries (0) are not domestic.
      outFlags[i] = (home !== 0 && sc === home ? EnrichFlag.SRC_DOMESTIC : 0) | (home !== 0 && vc === home ? EnrichFlag.VICTIM_DOMESTIC : 0);
    }
    this.misses += misses;
    this.hits += lookups - misses;
    batch.enriched = true;
  }
}
