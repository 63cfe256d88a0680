/**
 * PrefixSet: which of many prefixes holds an address, answered once per
 * packet without allocating.
 *
 * The prefixes are flattened at build time into sorted, non-overlapping
 * address ranges in typed arrays (adjacent ranges with the same value are
 * merged, so a sensor's consecutive /24s cost one range). Each range carries a
 * small integer value (a sensor id, a SourceScope); 0 means "in no prefix".
 *
 * Building works on BigInts (simple and exact for both families; it runs once);
 * lookups work on plain numbers.
 */
import { type Cidr, cidrRange, formatCidr } from './cidr.js';

/** A prefix and the value an address inside it maps to (1–65535). */
export interface PrefixEntry {
  readonly prefix: Cidr;
  readonly value: number;
}

/**
 * How overlapping prefixes are handled:
 * 'error'   — they are a mistake (two sensors claiming one address): build throws;
 * 'highest' — the larger value wins where prefixes overlap (SourceScope layers).
 */
export type OverlapPolicy = 'error' | 'highest';

/**
 * Linear scan up to this many ranges, binary search above. Measured on Node 20
 * (ns per lookup): at 2 ranges the scan is ~2x faster; at 8 it is ~6 ns vs ~9
 * for addresses inside the ranges (sensorOf: destinations) but ~13 vs ~10 for
 * random ones (scopeOf: sources) — about even, so 8 is the crossover.
 */
const LINEAR_MAX = 8;

interface Range {
  start: bigint;
  end: bigint; // inclusive, so 255.255.255.255 needs no 2^32
  value: number;
}

export class PrefixSet {
  /** IPv4 ranges: inclusive [starts[i], ends[i]] → values[i], sorted by start. */
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  private readonly values: Uint16Array;
  private readonly n4: number;
  /** IPv6 ranges: four words per start / end. */
  private readonly starts6: Uint32Array;
  private readonly ends6: Uint32Array;
  private readonly values6: Uint16Array;
  /** Number of IPv4 addresses covered by the set. */
  readonly sizeV4: number;

  private constructor(v4: Range[], v6: Range[]) {
    this.n4 = v4.length;
    this.starts = Uint32Array.from(v4, (r) => Number(r.start));
    this.ends = Uint32Array.from(v4, (r) => Number(r.end));
    this.values = Uint16Array.from(v4, (r) => r.value);
    this.starts6 = toWords(v6.map((r) => r.start));
    this.ends6 = toWords(v6.map((r) => r.end));
    this.values6 = Uint16Array.from(v6, (r) => r.value);
    this.sizeV4 = v4.reduce((s, r) => s + Number(r.end - r.start + 1n), 0);
  }

  /** Build from (prefix, value) pairs; values must be integers 1–65535. */
  static build(entries: readonly PrefixEntry[], overlap: OverlapPolicy = 'error'): PrefixSet {
    for (const e of entries) {
      if (!Number.isInteger(e.value) || e.value < 1 || e.value > 0xffff) {
        throw new RangeError(`PrefixSet value ${e.value} for ${formatCidr(e.prefix)} is not in 1–65535`);
      }
    }
    if (overlap === 'error') {
      const clash = findOverlaps(entries.map((e) => e.prefix));
      if (clash.length > 0) {
        const [a, b] = clash[0];
        throw new Error(`PrefixSet: ${formatCidr(entries[a].prefix)} overlaps ${formatCidr(entries[b].prefix)}`);
      }
    }
    const family = (v: 4 | 6) => flatten(entries.filter((e) => e.prefix.version === v));
    return new PrefixSet(family(4), family(6));
  }

  /** Number of IPv4 ranges after merging (which lookup path runs: ≤ 8 linear). */
  get rangesV4(): number {
    return this.n4;
  }

  /** Number of IPv6 ranges after merging. */
  get rangesV6(): number {
    return this.values6.length;
  }

  /**
   * Value of the range holding an IPv4 address (as PacketBatch stores it), or 0.
   * The hot path: no allocation, a few comparisons.
   */
  lookupV4(ip: number): number {
    ip = ip >>> 0;
    const n = this.n4;
    const starts = this.starts;
    if (n <= LINEAR_MAX) {
      for (let i = 0; i < n; i++) {
        if (ip < starts[i]) return 0; // sorted: no later range can hold it
        if (ip <= this.ends[i]) return this.values[i];
      }
      return 0;
    }
    // The last range starting at or before ip is the only candidate.
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= ip) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && ip <= this.ends[hi] ? this.values[hi] : 0;
  }

  /** Value of the range holding an IPv6 address (four big-endian words), or 0. Rare path: a scan. */
  lookupV6(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.starts6;
    const e = this.ends6;
    for (let i = 0; i < this.values6.length; i++) {
      const k = 4 * i;
      if (compare6(w0, w1, w2, w3, s, k) >= 0 && compare6(w0, w1, w2, w3, e, k) <= 0) return this.values6[i];
    }
    return 0;
  }
}

/** Sign of (address − words[k..k+3]), comparing unsigned words from the most significant. */
function compare6(w0: number, w1: number, w2: number, w3: number, words: Uint32Array, k: number): number {
  let a = w0 >>> 0;
  let b = words[k];
  if (a === b) { a = w1 >>> 0; b = words[k + 1]; }
  if (a === b) { a = w2 >>> 0; b = words[k + 2]; }
  if (a === b) { a = w3 >>> 0; b = words[k + 3]; }
  return a < b ? -1 : a > b ? 1 : 0;
}

function toWords(values: bigint[]): Uint32Array {
  const w = new Uint32Array(values.length * 4);
  values.forEach((v, i) => {
    for (let j = 0; j < 4; j++) w[4 * i + j] = Number((v >> BigInt(96 - 32 * j)) & 0xffffffffn);
  });
  return w;
}

/**
 * Prefixes of one family → sorted disjoint ranges, the highest value winning
 * where they overlap, adjacent equal values merged. A sweep over start / end
 * events, keeping a count per value active at the sweep position (few: only
 * the values of prefixes nested around it).
 */
function flatten(entries: readonly PrefixEntry[]): Range[] {
  const events: { at: bigint; value: number; delta: number }[] = [];
  for (const e of entries) {
    const [start, end] = cidrRange(e.prefix);
    events.push({ at: start, value: e.value, delta: 1 }, { at: end + 1n, value: e.value, delta: -1 });
  }
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const active = new Map<number, number>();
  const out: Range[] = [];
  let open: Range | null = null;
  for (let i = 0; i < events.length; ) {
    const at = events[i].at;
    for (; i < events.length && events[i].at === at; i++) {
      const ev = events[i];
      const c = (active.get(ev.value) ?? 0) + ev.delta;
      if (c === 0) active.delete(ev.value); // keep only active values: the scan below stays short
      else active.set(ev.value, c);
    }
    let top = 0;
    for (const v of active.keys()) if (v > top) top = v;
    if (open && open.value === top) continue; // same value continues across the boundary
    if (open) { open.end = at - 1n; out.push(open); open = null; }
    if (top > 0) open = { start: at, end: at, value: top };
  }
  return out;
}

/**
 * Pairs [later, earlier] of indices into `list` whose prefixes overlap
 * (CIDRs either nest or are disjoint, so "overlap" means one holds the other;
 * identical duplicates included). `later` is the one listed second, so an
 * error can point at it and name the first. Every prefix that overlaps
 * another is in at least one pair; each is paired with the nearest prefix
 * holding it.
 */
export function findOverlaps(list: readonly Cidr[]): [number, number][] {
  const pairs = sweep(list.map((c, i) => ({ c, i, g: 0 as const })), false);
  return pairs.map(([x, y]) => (x.i > y.i ? [x.i, y.i] : [y.i, x.i]));
}

/**
 * Pairs [ia, ib] where a[ia] overlaps b[ib]: prefixes of two roles that must
 * not share addresses (live vs monitored). Every prefix of either list that
 * overlaps one of the other is in at least one pair.
 */
export function findCrossOverlaps(a: readonly Cidr[], b: readonly Cidr[]): [number, number][] {
  const items: SweepItem[] = [...a.map((c, i) => ({ c, i, g: 0 as const })), ...b.map((c, i) => ({ c, i, g: 1 as const }))];
  return sweep(items, true).map(([x, y]) => (x.g === 0 ? [x.i, y.i] : [y.i, x.i]));
}

interface SweepItem {
  c: Cidr;
  i: number;
  g: 0 | 1;
}

/** Prefixes holding the sweep position, outermost first (CIDRs nest, so a chain). */
interface Chain {
  items: { it: SweepItem; end: bigint }[];
  /** items[0 .. reported) have already been put in a pair (cross mode). */
  reported: number;
}

/**
 * Sort by (family, start, widest first) and keep, per group, the chain of
 * prefixes holding the current start: everything left on a chain after
 * dropping those ending before an item holds that item. Within one group an
 * item is paired with the innermost holder; across groups it is paired with
 * the other group's innermost holder, and every holder not yet paired is
 * paired with it, so no offender on either side goes unreported. O(n log n).
 */
function sweep(items: SweepItem[], cross: boolean): [SweepItem, SweepItem][] {
  const keyed = items.map((it) => ({ it, v: it.c.version, r: cidrRange(it.c) }));
  keyed.sort((x, y) => x.v - y.v || cmp(x.r[0], y.r[0]) || cmp(y.r[1], x.r[1]) || x.it.g - y.it.g || x.it.i - y.it.i);
  const out: [SweepItem, SweepItem][] = [];
  const chains: Chain[] = [{ items: [], reported: 0 }, { items: [], reported: 0 }];
  let version = 0;
  for (const k of keyed) {
    for (const ch of chains) {
      if (k.v !== version) ch.items.length = 0;
      while (ch.items.length > 0 && ch.items[ch.items.length - 1].end < k.r[0]) ch.items.pop();
      ch.reported = Math.min(ch.reported, ch.items.length);
    }
    version = k.v;
    const other = chains[cross ? 1 - k.it.g : k.it.g];
    if (other.items.length > 0) out.push([k.it, other.items[other.items.length - 1].it]);
    if (cross) {
      for (let j = other.reported; j < other.items.length - 1; j++) out.push([other.items[j].it, k.it]);
      other.reported = other.items.length;
    }
    chains[k.it.g].items.push({ it: k.it, end: k.r[1] });
  }
  return out;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
