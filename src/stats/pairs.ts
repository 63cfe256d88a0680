/**
 * KeyedDistinct: distinct sources per key (per destination port) for many
 * keys at once, in fixed memory.
 *
 * One open-addressing table of (key, source) pairs holds every pair exactly
 * — one random memory access per packet, where a counter object per key
 * costs three or four dependent ones (object, table object, table) once
 * thousands of keys are active. The table never grows: it is allocated at
 * its full size, so memory is flat from the first packet to the last. When
 * it is full, pairs not in it go to a small HyperLogLog per key (p = 8,
 * ±6.5 %): the pairs in the table and the ones sketched are disjoint sets,
 * so distinct(key) = exact count + sketch estimate, never counting a pair
 * twice.
 */
import { DistinctCounter, mix32 } from './distinct.js';

/** 2^22 slots × 8 bytes = 32 MiB: 2.9 M exact pairs at the 0.7 load limit. */
const DEFAULT_BITS = 22;
const MAX_LOAD = 0.7;
/** 2^18 memo slots. */
const MEMO_SHIFT = 14;

export class KeyedDistinct {
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  private readonly limit: number;
  private used = 0;
  /** Exact distinct count per key. */
  readonly exact: Float64Array;
  private readonly overflow = new Map<number, DistinctCounter>();
  private readonly memoKey = new Int32Array(1 << (32 - MEMO_SHIFT));
  private readonly memoValue = new Int32Array(1 << (32 - MEMO_SHIFT));

  /**
   * @param keySpace keys are integers 0 … keySpace − 1
   * @param bits log2 of the table size
   */
  constructor(
    readonly keySpace: number,
    bits = DEFAULT_BITS,
  ) {
    const size = 1 << bits;
    this.keys = new Int32Array(size); // key + 1; 0 = empty
    this.values = new Int32Array(size);
    this.mask = size - 1;
    this.limit = Math.floor(size * MAX_LOAD);
    this.exact = new Float64Array(keySpace);
  }

  /** Count `value` (an int32: an IPv4 address | 0, or a hash) under key. */
  add(key: number, value: number): void {
    const k = key + 1;
    // Scanners repeat (port, source) pairs: a direct-mapped memo of recent pairs (2 MiB, cache
    // resident) answers most repeats without touching the big table.
    const m = Math.imul(value ^ Math.imul(k, 0x85ebca6b), 0x9e3779b1) >>> MEMO_SHIFT;
    if (this.memoKey[m] === k && this.memoValue[m] === value) return;
    this.memoKey[m] = k;
    this.memoValue[m] = value;
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = mix32(value ^ Math.imul(k, 0x9e3779b1)) & mask;
    for (;;) {
      const have = keys[i];
      if (have === 0) break;
      if (have === k && values[i] === value) return;
      i = (i + 1) & mask;
    }
    if (this.used < this.limit) {
      keys[i] = k;
      values[i] = value;
      this.used++;
      this.exact[key]++;
      return;
    }
    let o = this.overflow.get(key);
    if (o === undefined) this.overflow.set(key, (o = new DistinctCounter(8, 0)));
    o.add(value);
  }

  count(key: number): number {
    return this.exact[key] + (this.overflow.get(key)?.count() ?? 0);
  }

  /** True when some counts include a sketch estimate. */
  get approximate(): boolean {
    return this.overflow.size > 0;
  }
}
