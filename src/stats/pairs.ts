/**
 * KeyedDistinct: distinct sources per key (per destination port) for many
 * keys at once, in fixed memory.
 *
 * One open-addressing table of (key, source) pairs holds every pair exactly
 * — one random memory access per packet, where a counter object per key
 * costs three or four dependent ones (object, table object, table) once
 * thousands of keys are active. When the table is full, pairs not in it go
 * to a small HyperLogLog per key (2^7 registers, ±9.2 %) in one flat arena:
 * the pairs in the table and the ones sketched are disjoint sets, so
 * distinct(key) = exact count + sketch estimate, never counting a pair twice.
 *
 * Everything is allocated — and touched — up front (32 MiB of table, 16 MiB
 * of sketches for 131,072 keys): memory is flat from the first packet to the
 * last, whatever the traffic.
 */
import { mix32 } from './distinct.js';

/** 2^22 slots × 8 bytes = 32 MiB: 2.9 M exact pairs at the 0.7 load limit. */
const DEFAULT_BITS = 22;
const MAX_LOAD = 0.7;
/** 2^18 memo slots. */
const MEMO_SHIFT = 14;
/** Overflow sketches: 2^7 one-byte registers per key. */
const SKETCH_P = 7;
const SKETCH_M = 1 << SKETCH_P;

export class KeyedDistinct {
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  private readonly limit: number;
  private used = 0;
  /** Exact distinct count per key. */
  readonly exact: Float64Array;
  /** Overflow HyperLogLog registers, SKETCH_M per key. */
  private readonly sketches: Uint8Array;
  private readonly sketched: Uint8Array;
  private anySketched = false;
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
    this.keys = new Int32Array(size).fill(0); // key + 1; 0 = empty (fill: resident now, not as it fills)
    this.values = new Int32Array(size).fill(0);
    this.mask = size - 1;
    this.limit = Math.floor(size * MAX_LOAD);
    this.exact = new Float64Array(keySpace);
    this.sketches = new Uint8Array(keySpace * SKETCH_M).fill(0);
    this.sketched = new Uint8Array(keySpace);
  }

  /** Count `value` (an int32: an IPv4 address | 0, or a hash) under key. */
  add(key: number, value: number): void {
    value |= 0; // the table holds int32s
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
    // Table full: HyperLogLog of this key's remaining pairs.
    const h = mix32(value);
    const r = Math.clz32(((h << SKETCH_P) | (1 << (SKETCH_P - 1))) >>> 0) + 1;
    const at = key * SKETCH_M + (h >>> (32 - SKETCH_P));
    if (r > this.sketches[at]) this.sketches[at] = r;
    this.sketched[key] = 1;
    this.anySketched = true;
  }

  count(key: number): number {
    return this.exact[key] + (this.sketched[key] ? this.sketchEstimate(key) : 0);
  }

  private sketchEstimate(key: number): number {
    const regs = this.sketches;
    const base = key * SKETCH_M;
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < SKETCH_M; j++) {
      sum += 2 ** -regs[base + j];
      if (regs[base + j] === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / SKETCH_M);
    const e = (alpha * SKETCH_M * SKETCH_M) / sum;
    return Math.round(e <= 2.5 * SKETCH_M && zeros > 0 ? SKETCH_M * Math.log(SKETCH_M / zeros) : e);
  }

  /** True when some counts include a sketch estimate. */
  get approximate(): boolean {
    return this.anySketched;
  }
}
