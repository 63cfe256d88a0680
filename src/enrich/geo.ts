/**
 * GeoDb: address → country and address → ASN (+ AS name), IPv4 and IPv6,
 * from the ip-location-db packages pinned in package-lock.json:
 *
 *  - @ip-location-db/geo-whois-asn-country: country per range, merged by the
 *    package from GeoFeed > RIR WHOIS > RIR ASN data (CC BY 4.0, NRO). Where
 *    an operator publishes a geofeed (RFC 8805) its country wins over the RIR
 *    registrant's country that TSUBAME uses (methods.md §7.2): close to, but
 *    not exactly, "RIR allocation data";
 *  - @ip-location-db/asn: origin ASN and AS name per range, merged from
 *    RouteViews > RIR > DB-IP IP-to-ASN Lite (CC BY 4.0: RouteViews, NRO, DB-IP).
 *
 * The CSVs (≈ 50 MB) are parsed once into flattened range tables (ranges.ts)
 * and written to a binary cache keyed by the packages' versions and file
 * sizes, so later loads map the tables straight from one file in tens of ms.
 * A cache that is corrupt (checksum), stale (key) or unreadable is ignored
 * and rebuilt; a cache directory that cannot be written is not an error.
 * The default directory, <checkout>/.cache, gets a `*` .gitignore of its own.
 *
 * Special-purpose addresses (RFC 1918, CGN, loopback, link-local,
 * documentation, multicast, reserved; IPv6 outside 2000::/3 and the
 * documentation prefixes) are removed after flattening: they are never "in"
 * a country, yet the data labels some (172.16.0.0/12 and 192.168.0.0/16 as
 * AU, 2001:db8::/32 as JP in 2.3.2026061719).
 *
 * AS names are registry- / operator-controlled text: kept as data only,
 * with C0/C1 control and bidirectional-override characters replaced by
 * U+FFFD and the length bounded to 256 UTF-16 units.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packCountryBytes } from './country.js';
import { flattenRanges, flattenRanges6, RangeTable4, RangeTable6, subtractRanges, subtractRanges6, u32At } from './ranges.js';

export const COUNTRY_PACKAGE = '@ip-location-db/geo-whois-asn-country';
export const ASN_PACKAGE = '@ip-location-db/asn';
export const COUNTRY_LICENCE = 'CC BY 4.0 (NRO)';
export const ASN_LICENCE = 'CC BY 4.0 (RouteViews, DB-IP, NRO)';
/** Longest AS name kept (UTF-16 units); longer names are cut. */
export const AS_NAME_MAX = 256;
/** Bump when the cache layout or the table-building rules change. */
const CACHE_FORMAT = 1;
const CACHE_MAGIC = 'DSGEO\0\0\x01';

export interface DataVersion {
  package: string;
  version: string;
  licence: string;
}

export interface GeoVersions {
  country: DataVersion;
  asn: DataVersion;
}

export interface TableStats {
  /** Rows read from the CSV, and rows skipped as malformed. */
  rows: number;
  skipped: number;
  /** Disjoint segments after flattening, merging and removing special-purpose space. */
  segments: number;
}

export interface GeoStats {
  country4: TableStats;
  country6: TableStats;
  asn4: TableStats;
  asn6: TableStats;
  asNames: number;
}

export interface GeoTables {
  country4: RangeTable4;
  country6: RangeTable6;
  asn4: RangeTable4;
  asn6: RangeTable6;
  asNames: Map<number, string>;
}

/** GeoTables as read from the cache: AS names still encoded. */
type CachedTables = Omit<GeoTables, 'asNames'> & { asNames: Map<number, string> | Buffer };

export interface GeoLoadOptions {
  /** Where the binary cache lives: default $DARKSCOPE_CACHE, else <project root>/.cache. */
  cacheDir?: string;
  /** false: neither read nor write a cache (always parse the CSVs). Default true. */
  cache?: boolean;
  /** Keep the tables in a SharedArrayBuffer so worker threads can use them (see shareable()). */
  shared?: boolean;
}

/** A GeoDb as it crosses to a worker thread: the image (in a SharedArrayBuffer) and its labels. */
export interface SharedGeo {
  image: Uint8Array;
  versions: GeoVersions;
}

/**
 * IPv4 special-purpose blocks that are never attributed to a country or AS
 * (IANA IPv4 Special-Purpose Address Registry, not globally reachable, plus
 * multicast and the reserved 240/4).
 */
export const SPECIAL_V4: readonly string[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24',
  '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
];

/**
 * IPv6: everything outside global unicast 2000::/3 (loopback, ULA,
 * link-local, multicast, IPv4-mapped, NAT64, …) and the documentation
 * prefixes 2001:db8::/32 (RFC 3849) and 3fff::/20 (RFC 9637).
 */
export const SPECIAL_V6: readonly string[] = ['::/3', '4000::/2', '8000::/1', '2001:db8::/32', '3fff::/20'];

export class GeoDb {
  readonly country4: RangeTable4;
  readonly country6: RangeTable6;
  readonly asn4: RangeTable4;
  readonly asn6: RangeTable6;
  /** AS names; from a cache they are decoded on the first asName() call (saves ~10 ms per load). */
  private names: Map<number, string> | null;
  private namesSection: Buffer | null;
  readonly versions: GeoVersions;
  readonly stats: GeoStats;
  /** Where the tables came from on this load. */
  readonly source: 'csv' | 'cache' | 'tables';
  /** The cache file read or written, or null (none, or writing failed). */
  readonly cacheFile: string | null;
  /** Wall time of load(), ms. */
  readonly loadMillis: number;

  private constructor(t: CachedTables, versions: GeoVersions, stats: GeoStats, source: 'csv' | 'cache' | 'tables', cacheFile: string | null, loadMillis: number) {
    this.country4 = t.country4;
    this.country6 = t.country6;
    this.asn4 = t.asn4;
    this.asn6 = t.asn6;
    this.names = t.asNames instanceof Map ? t.asNames : null;
    this.namesSection = t.asNames instanceof Map ? null : t.asNames;
    this.versions = versions;
    this.stats = stats;
    this.source = source;
    this.cacheFile = cacheFile;
    this.loadMillis = loadMillis;
  }

  /** A GeoDb over tables built elsewhere (tests, other data sources). */
  static fromTables(t: GeoTables, versions?: GeoVersions): GeoDb {
    const st = (rows: number, segments: number): TableStats => ({ rows, skipped: 0, segments });
    const stats: GeoStats = {
      country4: st(t.country4.length, t.country4.length),
      country6: st(t.country6.length, t.country6.length),
      asn4: st(t.asn4.length, t.asn4.length),
      asn6: st(t.asn6.length, t.asn6.length),
      asNames: t.asNames.size,
    };
    const v = versions ?? {
      country: { package: 'custom', version: '', licence: '' },
      asn: { package: 'custom', version: '', licence: '' },
    };
    return new GeoDb(t, v, stats, 'tables', null, 0);
  }

  /** Load from the binary cache when it is current, else from the packages' CSVs (then write the cache). */
  static async load(opts: GeoLoadOptions = {}): Promise<GeoDb> {
    const t0 = performance.now();
    const src = await locateData();
    const useCache = opts.cache !== false;
    const defaultDir = opts.cacheDir === undefined && process.env.DARKSCOPE_CACHE === undefined;
    const dir = opts.cacheDir ?? process.env.DARKSCOPE_CACHE ?? join(projectRoot(), '.cache');
    const key = cacheKey(src);
    const file = join(dir, `geo-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.bin`);
    if (useCache) {
      const hit = await readCache(file, key, opts.shared === true);
      if (hit) {
        const db = new GeoDb(hit.tables, src.versions, hit.stats, 'cache', file, performance.now() - t0);
        if (opts.shared) db.image = hit.image;
        return db;
      }
    }
    const [c4, c6, a4, a6] = await Promise.all([readFile(src.country4), readFile(src.country6), readFile(src.asn4), readFile(src.asn6)]);
    const built = buildTables(c4, c6, a4, a6);
    let written: string | null = null;
    if (useCache) written = await writeCache(dir, file, key, built.tables, built.stats, defaultDir);
    return new GeoDb(built.tables, src.versions, built.stats, 'csv', written, performance.now() - t0);
  }

  /** The image the tables view, when it lives in a SharedArrayBuffer. */
  private image: Buffer | null = null;

  /**
   * What a worker thread needs to use these tables without loading or copying
   * them: the image in a SharedArrayBuffer (built now if the tables were not
   * loaded into one).
   */
  shareable(): SharedGeo {
    if (!this.image || !(this.image.buffer instanceof SharedArrayBuffer)) {
      const names = this.namesSection ?? serializeNames(this.names ?? new Map());
      this.image = buildImage('shared', { country4: this.country4, country6: this.country6, asn4: this.asn4, asn6: this.asn6, names }, this.stats, true);
    }
    return { image: this.image, versions: this.versions };
  }

  /** The tables of another thread's GeoDb (see shareable()): views, no copy, no checksum pass. */
  static fromShared(s: SharedGeo): GeoDb {
    const b = Buffer.from(s.image.buffer, s.image.byteOffset, s.image.byteLength);
    const parsed = parseImage(b, null, false);
    if (!parsed) throw new Error('shared geo image is not valid');
    const db = new GeoDb(parsed.tables, s.versions, parsed.stats, 'cache', null, 0);
    db.image = b;
    return db;
  }

  /** Packed country (see country.ts) of an IPv4 address (uint32), 0 unknown. */
  countryV4(ip: number): number {
    return this.country4.lookup(ip);
  }

  /** Packed country of an IPv6 address given as 4 big-endian u32 words, 0 unknown. */
  countryV6(w0: number, w1: number, w2: number, w3: number): number {
    return this.country6.lookup(w0, w1, w2, w3);
  }

  /** Origin ASN of an IPv4 address, 0 unknown (not announced / not in the data). */
  asnV4(ip: number): number {
    return this.asn4.lookup(ip);
  }

  asnV6(w0: number, w1: number, w2: number, w3: number): number {
    return this.asn6.lookup(w0, w1, w2, w3);
  }

  /** The AS name as published (sanitised, ≤ 256 units) — display as text, never interpret. */
  asName(asn: number): string | undefined {
    if (this.names === null) {
      try {
        this.names = deserializeNames(this.namesSection as Buffer);
      } catch {
        this.names = new Map(); // cannot happen after the checksum; never fail a lookup
      }
      this.namesSection = null;
    }
    return this.names.get(asn);
  }

  /** Credit to show wherever country / ASN data is displayed (CC BY 4.0 and DB-IP's terms ask for it). */
  attribution(): string {
    const c = this.versions.country;
    const a = this.versions.asn;
    return (
      `Country data: ${c.package} ${c.version} (RIR WHOIS and delegation data © Number Resource Organization (NRO), https://www.nro.net/, CC BY 4.0). ` +
      `ASN data: ${a.package} ${a.version} (RouteViews, https://www.routeviews.org/; NRO, https://www.nro.net/; ` +
      `IP Geolocation by DB-IP, https://db-ip.com; CC BY 4.0, https://creativecommons.org/licenses/by/4.0/). ` +
      `Compiled by ip-location-db (https://github.com/sapics/ip-location-db); ` +
      `modified by darkscope: nested ranges flattened, special-purpose addresses removed.`
    );
  }
}

// ---------------------------------------------------------------------------
// Locating the data

interface DataSources {
  versions: GeoVersions;
  country4: string;
  country6: string;
  asn4: string;
  asn6: string;
  sizes: number[];
}

const req = createRequire(import.meta.url);

async function locateData(): Promise<DataSources> {
  const cdir = dirname(req.resolve(`${COUNTRY_PACKAGE}/package.json`));
  const adir = dirname(req.resolve(`${ASN_PACKAGE}/package.json`));
  const version = (d: string) => String((JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { version?: unknown }).version ?? '');
  const files = {
    country4: join(cdir, 'geo-whois-asn-country-ipv4-num.csv'),
    country6: join(cdir, 'geo-whois-asn-country-ipv6.csv'),
    asn4: join(adir, 'asn-ipv4-num.csv'),
    asn6: join(adir, 'asn-ipv6.csv'),
  };
  const sizes = await Promise.all(Object.values(files).map(async (f) => (await stat(f)).size));
  return {
    versions: {
      country: { package: COUNTRY_PACKAGE, version: version(cdir), licence: COUNTRY_LICENCE },
      asn: { package: ASN_PACKAGE, version: version(adir), licence: ASN_LICENCE },
    },
    ...files,
    sizes,
  };
}

function cacheKey(s: DataSources): string {
  return JSON.stringify({ format: CACHE_FORMAT, checksum: CHECKSUM, country: s.versions.country.version, asn: s.versions.asn.version, sizes: s.sizes });
}

/** The directory holding package.json, walking up from this module (dist/src/enrich/ → the checkout). */
export function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json'))) return d;
    const up = dirname(d);
    if (up === d) return process.cwd();
    d = up;
  }
}

// ---------------------------------------------------------------------------
// CSV parsing (bytes, not strings: ~50 MB of CSV, one pass each)

const NL = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;

/** Rows of a CSV in a Buffer: one more than the newlines, minus a trailing newline. */
function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NL); i >= 0; i = b.indexOf(NL, i + 1)) n++;
  return b.length > 0 && b[b.length - 1] !== NL ? n + 1 : n;
}

/** Index just past the end of the line starting at or before `i`. */
function nextLine(b: Buffer, i: number): number {
  const j = b.indexOf(NL, i);
  return j < 0 ? b.length : j + 1;
}

/**
 * Decimal uint32 at b[i…] followed by a comma (or, with `last`, by the end
 * of the line); -1 when malformed. Leaves the terminator's index in `parsedEnd`.
 */
let parsedEnd = 0;
function parseUint(b: Buffer, i: number, last = false): number {
  let v = 0;
  const start = i;
  for (; i < b.length; i++) {
    const c = b[i];
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    if (v > 0xffffffff) return -1;
  }
  parsedEnd = i;
  if (i === start) return -1;
  if (i < b.length && b[i] === COMMA) return v;
  return last && (i >= b.length || b[i] === NL || b[i] === CR) ? v : -1;
}

function endOfField(b: Buffer, i: number): number {
  while (i < b.length && b[i] !== COMMA && b[i] !== NL && b[i] !== CR) i++;
  return i;
}

interface Rows4 {
  starts: Uint32Array;
  ends: Uint32Array;
  values: Uint32Array;
  rows: number;
  skipped: number;
}

interface Rows6 {
  starts: Uint32Array;
  ends: Uint32Array;
  values: Uint32Array;
  rows: number;
  skipped: number;
}

/** geo-whois-asn-country-ipv4-num.csv: `start,end,CC`. */
function parseCountry4(b: Buffer): Rows4 {
  const cap = countLines(b);
  const starts = new Uint32Array(cap);
  const ends = new Uint32Array(cap);
  const values = new Uint32Array(cap);
  let n = 0;
  let skipped = 0;
  for (let i = 0; i < b.length; ) {
    const s = parseUint(b, i);
    const e = s >= 0 ? parseUint(b, parsedEnd + 1) : -1;
    let cc = 0;
    if (e >= 0) {
      const j = parsedEnd + 1;
      const k = endOfField(b, j);
      if (k === j + 2) cc = packCountryBytes(b[j], b[j + 1]);
    }
    if (cc !== 0 && s <= e) {
      starts[n] = s;
      ends[n] = e;
      values[n] = cc;
      n++;
    } else if (!(b[i] === NL || b[i] === CR)) skipped++;
    i = nextLine(b, i);
  }
  return { starts: starts.subarray(0, n), ends: ends.subarray(0, n), values: values.subarray(0, n), rows: n + skipped, skipped };
}

/** asn-ipv4-num.csv: `start,end,asn,name` (name CSV-quoted when it holds commas or quotes). */
function parseAsn4(b: Buffer, names: Map<number, string>): Rows4 {
  const cap = countLines(b);
  const starts = new Uint32Array(cap);
  const ends = new Uint32Array(cap);
  const values = new Uint32Array(cap);
  let n = 0;
  let skipped = 0;
  for (let i = 0; i < b.length; ) {
    const s = parseUint(b, i);
    const e = s >= 0 ? parseUint(b, parsedEnd + 1) : -1;
    const asn = e >= 0 ? parseUint(b, parsedEnd + 1, true) : -1;
    if (asn > 0 && s <= e) {
      starts[n] = s;
      ends[n] = e;
      values[n] = asn;
      n++;
      if (!names.has(asn) && b[parsedEnd] === COMMA) {
        const name = readNameField(b, parsedEnd + 1);
        if (name) names.set(asn, name);
      }
    } else if (!(b[i] === NL || b[i] === CR)) skipped++;
    i = nextLine(b, i);
  }
  return { starts: starts.subarray(0, n), ends: ends.subarray(0, n), values: values.subarray(0, n), rows: n + skipped, skipped };
}

/** The last field of a line starting at b[i]: plain to the end of line, or "quoted" with "" for a quote. */
function readNameField(b: Buffer, i: number): string {
  let raw: string;
  if (b[i] === QUOTE) {
    let j = i + 1;
    let escaped = false;
    for (; j < b.length; j++) {
      if (b[j] === QUOTE) {
        if (b[j + 1] === QUOTE) {
          escaped = true;
          j++;
        } else break;
      }
    }
    raw = b.toString('utf8', i + 1, Math.min(j, b.length));
    if (escaped) raw = raw.replace(/""/g, '"');
  } else {
    let j = b.indexOf(NL, i);
    if (j < 0) j = b.length;
    if (j > i && b[j - 1] === CR) j--;
    raw = b.toString('utf8', i, j);
  }
  return sanitizeName(raw);
}

// C0 and C1 controls, DEL, and the bidirectional embedding/override/isolate characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Keep a registry-controlled name as inert text: no control characters, bounded length. */
export function sanitizeName(raw: string): string {
  let s = raw.replace(UNSAFE, '\ufffd').trim();
  if (s.length > AS_NAME_MAX) {
    let cut = AS_NAME_MAX;
    const c = s.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--; // don't split a surrogate pair
    s = s.slice(0, cut);
  }
  return s;
}

/**
 * *-ipv6.csv: `start,end,value…` with textual IPv6 bounds; `value` parsed by
 * `val` (0 = skip the row); `onRow` gets each kept row's value and the index
 * where the field after the value starts (-1 when there is none).
 */
function parse6(b: Buffer, val: (b: Buffer, i: number) => number, onRow?: (value: number, next: number) => void): Rows6 {
  const cap = countLines(b);
  const starts = new Uint32Array(4 * cap);
  const ends = new Uint32Array(4 * cap);
  const values = new Uint32Array(cap);
  let n = 0;
  let skipped = 0;
  for (let i = 0; i < b.length; ) {
    const sEnd = endOfField(b, i);
    let ok = b[sEnd] === COMMA && parseIPv6Bytes(b, i, sEnd, starts, 4 * n);
    let eEnd = sEnd;
    if (ok) {
      eEnd = endOfField(b, sEnd + 1);
      ok = b[eEnd] === COMMA && parseIPv6Bytes(b, sEnd + 1, eEnd, ends, 4 * n);
    }
    const v = ok ? val(b, eEnd + 1) : 0;
    if (v !== 0 && !greater6(starts, ends, 4 * n)) {
      values[n] = v;
      if (onRow) {
        const f = endOfField(b, eEnd + 1);
        onRow(v, b[f] === COMMA ? f + 1 : -1);
      }
      n++;
    } else if (!(b[i] === NL || b[i] === CR)) skipped++;
    i = nextLine(b, i);
  }
  return { starts: starts.subarray(0, 4 * n), ends: ends.subarray(0, 4 * n), values: values.subarray(0, n), rows: n + skipped, skipped };
}

function greater6(s: Uint32Array, e: Uint32Array, at: number): boolean {
  for (let k = 0; k < 4; k++) if (s[at + k] !== e[at + k]) return s[at + k] > e[at + k];
  return false;
}

const country6Value = (b: Buffer, i: number): number => (endOfField(b, i) === i + 2 ? packCountryBytes(b[i], b[i + 1]) : 0);

function asn6Value(b: Buffer, i: number): number {
  const v = parseUint(b, i, true);
  return v > 0 ? v : 0;
}

const hexGroups = new Int32Array(8);

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 0x20;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Parse textual IPv6 in b[from, to) into 4 big-endian u32 words at out[at…].
 * Accepts '::' compression and a dotted-quad tail; false when malformed.
 */
export function parseIPv6Bytes(b: Uint8Array, from: number, to: number, out: Uint32Array, at: number): boolean {
  const G = hexGroups;
  let g = 0;
  let dc = -1; // group index where '::' stands
  let p = from;
  if (p < to && b[p] === 58) {
    if (p + 1 >= to || b[p + 1] !== 58) return false;
    dc = 0;
    p += 2;
  }
  while (p < to) {
    const q = p;
    let v = 0;
    while (p < to && p - q < 5) {
      const h = hexVal(b[p]);
      if (h < 0) break;
      v = v * 16 + h;
      p++;
    }
    if (p < to && b[p] === 46) {
      // dotted-quad tail: a.b.c.d fills the last two groups
      if (g > 6) return false;
      let x = 0;
      let parts = 0;
      let acc = 0;
      let digits = 0;
      for (p = q; p <= to; p++) {
        const c = p < to ? b[p] : 46;
        if (c === 46) {
          if (digits === 0 || acc > 255) return false;
          x = x * 256 + acc;
          parts++;
          acc = 0;
          digits = 0;
        } else if (c >= 48 && c <= 57 && digits < 3) {
          acc = acc * 10 + (c - 48);
          digits++;
        } else return false;
      }
      if (parts !== 4) return false;
      G[g++] = Math.floor(x / 65536);
      G[g++] = x % 65536;
      p = to;
      break;
    }
    const nd = p - q;
    if (nd === 0 || nd > 4 || g >= 8) return false;
    G[g++] = v;
    if (p === to) break;
    if (b[p] !== 58) return false;
    p++;
    if (p < to && b[p] === 58) {
      if (dc >= 0) return false;
      dc = g;
      p++;
    } else if (p === to) return false; // a trailing single colon
  }
  if (dc < 0 ? g !== 8 : g > 7) return false;
  // Expand '::' and pack pairs of groups into words.
  const zeros = dc < 0 ? 0 : 8 - g;
  for (let k = 0; k < 4; k++) {
    const hi = groupAt(2 * k, dc, zeros, g);
    const lo = groupAt(2 * k + 1, dc, zeros, g);
    out[at + k] = ((hi << 16) | lo) >>> 0;
  }
  return true;
}

function groupAt(idx: number, dc: number, zeros: number, g: number): number {
  if (dc < 0) return hexGroups[idx];
  if (idx < dc) return hexGroups[idx];
  if (idx < dc + zeros) return 0;
  const src = idx - zeros;
  return src < g ? hexGroups[src] : 0;
}

/** '2001:db8::1' → [0x20010db8, 0, 0, 1], or null when not IPv6 text. */
export function ipv6ToWords(text: string): [number, number, number, number] | null {
  const b = Buffer.from(text, 'latin1');
  const out = new Uint32Array(4);
  return parseIPv6Bytes(b, 0, b.length, out, 0) ? [out[0], out[1], out[2], out[3]] : null;
}

/** '192.0.2.10' → 0xC000020A, or -1 when not dotted-quad IPv4. */
export function ipv4ToNumber(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return -1;
  const o = [m[1], m[2], m[3], m[4]].map(Number);
  if (o.some((x) => x > 255)) return -1;
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

// ---------------------------------------------------------------------------
// Building the tables

function cidr4(c: string): [number, number] {
  const [a, l] = c.split('/');
  const base = ipv4ToNumber(a);
  const len = Number(l);
  const size = 2 ** (32 - len);
  return [base, base + size - 1];
}

function cidr6(c: string): [Uint32Array, Uint32Array] {
  const [a, l] = c.split('/');
  const w = ipv6ToWords(a);
  if (!w) throw new Error(`bad CIDR ${c}`);
  const len = Number(l);
  const lo = new Uint32Array(4);
  const hi = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const bits = Math.max(0, Math.min(32, len - 32 * k)); // network bits in this word
    const mask = bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    lo[k] = (w[k] & mask) >>> 0;
    hi[k] = (lo[k] | (~mask >>> 0)) >>> 0;
  }
  return [lo, hi];
}

const HOLES4 = SPECIAL_V4.map(cidr4);
const HOLES6 = SPECIAL_V6.map(cidr6);

function table4(r: Rows4): { table: RangeTable4; stats: TableStats } {
  const seg = subtractRanges(flattenRanges(r.starts, r.ends, r.values), HOLES4);
  return { table: RangeTable4.fromSegments(seg), stats: { rows: r.rows, skipped: r.skipped, segments: seg.starts.length } };
}

function table6(r: Rows6): { table: RangeTable6; stats: TableStats } {
  const seg = subtractRanges6(flattenRanges6(r.starts, r.ends, r.values), HOLES6);
  return { table: RangeTable6.fromSegments(seg), stats: { rows: r.rows, skipped: r.skipped, segments: seg.values.length } };
}

/** Build all tables from the four CSVs' bytes (exported for tests and tools). */
export function buildTables(country4Csv: Buffer, country6Csv: Buffer, asn4Csv: Buffer, asn6Csv: Buffer): { tables: GeoTables; stats: GeoStats } {
  const names = new Map<number, string>();
  const c4 = table4(parseCountry4(country4Csv));
  const c6 = table6(parse6(country6Csv, country6Value));
  const a4 = table4(parseAsn4(asn4Csv, names));
  const a6 = table6(
    parse6(asn6Csv, asn6Value, (asn, next) => {
      if (next >= 0 && !names.has(asn)) {
        const name = readNameField(asn6Csv, next);
        if (name) names.set(asn, name);
      }
    }),
  );
  return {
    tables: { country4: c4.table, country6: c6.table, asn4: a4.table, asn6: a6.table, asNames: names },
    stats: { country4: c4.stats, country6: c6.stats, asn4: a4.stats, asn6: a6.stats, asNames: names.size },
  };
}

// ---------------------------------------------------------------------------
// Binary cache: magic (8) | header length u32 | header JSON | pad to 4 |
// checksum of the rest (32 bytes) | sections, each u32 length + bytes + pad to 4:
// country4, country6, asn4, asn6, AS names.

/**
 * Checksum of the cache body, to catch truncated or damaged files (not
 * tampering: whoever can write the cache can write anything). CRC-32 from
 * zlib where Node has it (≥ 20.15: ~5 ms for the 23 MB file), else SHA-256
 * (~20 ms). The two never mix: the algorithm is part of the cache key.
 */
const crc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
const CHECKSUM = crc32 ? 'crc32' : 'sha256';

function checksum(b: Uint8Array): Buffer {
  const out = Buffer.alloc(32);
  if (crc32) out.writeUInt32LE(crc32(b) >>> 0, 0);
  else createHash('sha256').update(b).digest().copy(out, 0);
  return out;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function serializeNames(names: Map<number, string>): Buffer {
  const asns = Uint32Array.from([...names.keys()].sort((a, b) => a - b));
  const offsets = new Uint32Array(asns.length + 1);
  let joined = '';
  for (let i = 0; i < asns.length; i++) {
    joined += names.get(asns[i]);
    offsets[i + 1] = joined.length;
  }
  const blob = Buffer.from(joined, 'utf8');
  const out = Buffer.alloc(4 + 4 * asns.length + 4 * offsets.length + blob.length);
  out.writeUInt32LE(asns.length, 0);
  out.set(new Uint8Array(asns.buffer), 4);
  out.set(new Uint8Array(offsets.buffer), 4 + 4 * asns.length);
  out.set(blob, 4 + 4 * asns.length + 4 * offsets.length);
  return out;
}

/** Structural check of the names section (sizes only; the text is decoded lazily). */
function checkNames(b: Buffer): Buffer {
  if (b.length < 4 || 4 + 8 * b.readUInt32LE(0) + 4 > b.length) throw new RangeError('names: truncated');
  return b;
}

function deserializeNames(b: Buffer): Map<number, string> {
  if (b.length < 4) throw new RangeError('names: truncated');
  const n = b.readUInt32LE(0);
  const blobAt = 4 + 8 * n + 4;
  if (blobAt > b.length) throw new RangeError('names: truncated');
  const asns = u32At(b, 4, n);
  const offsets = u32At(b, 4 + 4 * n, n + 1);
  const text = b.toString('utf8', blobAt);
  if (offsets[n] !== text.length) throw new RangeError('names: offsets do not match the text');
  const m = new Map<number, string>();
  for (let i = 0; i < n; i++) {
    const a = offsets[i];
    const z = offsets[i + 1];
    if (z < a) throw new RangeError('names: offsets not increasing');
    m.set(asns[i], text.slice(a, z));
  }
  return m;
}

/** The tables as one image (the cache file's format), optionally in a SharedArrayBuffer. */
function buildImage(key: string, t: { country4: RangeTable4; country6: RangeTable6; asn4: RangeTable4; asn6: RangeTable6; names: Buffer }, stats: GeoStats, shared = false): Buffer {
  const sections = [t.country4.serialize(), t.country6.serialize(), t.asn4.serialize(), t.asn6.serialize(), t.names];
  const header = Buffer.from(JSON.stringify({ key, stats }), 'utf8');
  const headAt = 12;
  const digestAt = pad4(headAt + header.length);
  let size = digestAt + 32;
  for (const s of sections) size += 4 + pad4(s.length);
  const out = shared ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.alloc(size);
  out.write(CACHE_MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 8);
  out.set(header, headAt);
  let at = digestAt + 32;
  for (const s of sections) {
    out.writeUInt32LE(s.length, at);
    out.set(s, at + 4);
    at += 4 + pad4(s.length);
  }
  checksum(out.subarray(digestAt + 32)).copy(out, digestAt);
  return out;
}

async function writeCache(dir: string, file: string, key: string, t: GeoTables, stats: GeoStats, inCheckout: boolean): Promise<string | null> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const out = buildImage(key, { ...t, names: serializeNames(t.asNames) }, stats);
    await mkdir(dir, { recursive: true });
    // <checkout>/.cache holds a 23 MB derived file: keep it out of git whatever the project's .gitignore says.
    if (inCheckout && !existsSync(join(dir, '.gitignore'))) await writeFile(join(dir, '.gitignore'), '# written by darkscope: derived data, rebuilt on demand\n*\n').catch(() => undefined);
    await writeFile(tmp, out);
    await rename(tmp, file); // atomic: concurrent loaders see the old file or the whole new one
    // Drop caches of other data versions (only our own file name pattern).
    const mine = file.slice(dir.length + 1);
    for (const f of await readdir(dir)) {
      if (/^geo-[0-9a-f]{16}\.bin$/.test(f) && f !== mine) await unlink(join(dir, f)).catch(() => undefined);
    }
    return file;
  } catch {
    await unlink(tmp).catch(() => undefined);
    return null; // read-only checkout, full disk, …: keep going in memory
  }
}

async function readCache(file: string, key: string, shared: boolean): Promise<{ tables: CachedTables; stats: GeoStats; image: Buffer } | null> {
  let b: Buffer;
  try {
    b = await readFile(file);
  } catch {
    return null;
  }
  if (shared) {
    // Threads share the image (SharedArrayBuffer) and view the tables in it: one copy in memory.
    const sab = Buffer.from(new SharedArrayBuffer(b.length));
    sab.set(b);
    b = sab;
  }
  return parseImage(b, key, true);
}

/** The tables of an image, as views into it; null when it is not a current, intact image. */
function parseImage(b: Buffer, key: string | null, verify: boolean): { tables: CachedTables; stats: GeoStats; image: Buffer } | null {
  try {
    if (b.length < 12 || b.toString('latin1', 0, 8) !== CACHE_MAGIC) return null;
    const hlen = b.readUInt32LE(8);
    if (12 + hlen > b.length) return null;
    const header = JSON.parse(b.toString('utf8', 12, 12 + hlen)) as { key?: unknown; stats?: GeoStats };
    if ((key !== null && header.key !== key) || !header.stats) return null;
    const digestAt = pad4(12 + hlen);
    if (digestAt + 32 > b.length) return null;
    if (verify && !checksum(b.subarray(digestAt + 32)).equals(b.subarray(digestAt, digestAt + 32))) return null;
    const sections: Buffer[] = [];
    let at = digestAt + 32;
    for (let i = 0; i < 5; i++) {
      if (at + 4 > b.length) return null;
      const len = b.readUInt32LE(at);
      if (at + 4 + len > b.length) return null;
      sections.push(b.subarray(at + 4, at + 4 + len));
      at += 4 + pad4(len);
    }
    return {
      tables: {
        country4: RangeTable4.deserialize(sections[0]),
        country6: RangeTable6.deserialize(sections[1]),
        asn4: RangeTable4.deserialize(sections[2]),
        asn6: RangeTable6.deserialize(sections[3]),
        asNames: checkNames(sections[4]),
      },
      stats: header.stats,
      image: b,
    };
  } catch {
    return null; // corrupt: rebuilt by the caller
  }
}
