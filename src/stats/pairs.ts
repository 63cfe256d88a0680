/**
 * KeyedDistinct: distinct sources per key (per destination port) for many
 * keys at once, in fixed memory.
 *
 * One open-addressing table of (key, source) pairs holds every pair exactly
 * — one random memory access per packet (key and source side by side, one
 * cache line; a memo of recent pairs in front of it measured slower: its
 * misses cost more than the table lookups it saved), where a counter object per key
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
/** Overflow sketches: 2^7 one-byte registers per key. */
const SKETCH_P = 7;
const SKETCH_M = 1 << SKETCH_P;

export class KeyedDistinct {
  /** Slot i: key + 1 at 2i (0 = empty), source at 2i + 1. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly limit: number;
  private used = 0;
  /** Exact distinct count per key. */
  readonly exact: Float64Array;
  /** Overflow HyperLogLog registers, SKETCH_M per key. */
  private readonly sketches: Uint8Array;
  private readonly sketched: Uint8Array;
  private anySketched = false;

  /**
   * @param keySpace keys are integers 0 … keySpace − 1
   * @param bits log2 of the table size
   */
  constructor(
    readonly keySpace: number,
    bits = DEFAULT_BITS,
  ) {
    const size = 1 << bits;
    this.slots = new Int32Array(2 * size).fill(0); // fill: resident now, not as it fills
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
    const slots = this.slots;
    const mask = this.mask;
    let i = mix32(value ^ Math.imul(k, 0x9e3779b1)) & mask;
    for (;;) {
      const have = slots[2 * i];
      if (have === 0) break;
      if (have === k && slots[2 * i + 1] === value) return;
      i = (i + 1) & mask;
    }
    if (this.used < this.limit) {
      slots[2 * i] = k;
      slots[2 * i + 1] = value;
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

  /**
   * Add everything `other` counted. Its exact pairs go through add() (a pair both
   * counted is counted once); its sketches are merged register by register — once
   * tables overflow, a pair exact in one and sketched in the other can count twice
   * (the counts are estimates from then on anyway).
   */
  merge(other: KeyedDistinct): void {
    if (other.keySpace !== this.keySpace) throw new RangeError('cannot merge KeyedDistinct of different key spaces');
    const os = other.slots;
    for (let i = 0; i < os.length; i += 2) if (os[i] !== 0) this.add(os[i] - 1, os[i + 1]);
    if (!other.anySketched) return;
    for (let key = 0; key < this.keySpace; key++) {
      if (!other.sketched[key]) continue;
      const base = key * SKETCH_M;
      for (let j = 0; j < SKETCH_M; j++) if (other.sketches[base + j] > this.sketches[base + j]) this.sketches[base + j] = other.sketches[base + j];
      this.sketched[key] = 1;
    }
    this.anySketched = true;
  }

  /** Plain data for another thread; `transfer` lists the buffers to move rather than copy. */
  toState(): { state: KeyedDistinctState; transfer: ArrayBuffer[] } {
    const state: KeyedDistinctState = { keySpace: this.keySpace, slots: this.slots, used: this.used, exact: this.exact, sketches: this.sketches, sketched: this.sketched, anySketched: this.anySketched };
    return { state, transfer: [this.slots.buffer, this.exact.buffer, this.sketches.buffer, this.sketched.buffer] as ArrayBuffer[] };
  }

  static fromState(s: KeyedDistinctState): KeyedDistinct {
    const kd = Object.create(KeyedDistinct.prototype) as KeyedDistinct;
    const w = kd as unknown as Record<string, unknown>;
    Object.assign(w, {
      keySpace: s.keySpace, slots: s.slots, mask: s.slots.length / 2 - 1, limit: Math.floor((s.slots.length / 2) * MAX_LOAD), used: s.used,
      exact: s.exact, sketches: s.sketches, sketched: s.sketched, anySketched: s.anySketched,
    });
    return kd;
  }
}

export interface KeyedDistinctState {
  keySpace: number;
  slots: Int32Array;
  used: number;
  exact: Float64Array;
  sketches: Uint8Array;
  sketched: Uint8Array;
  anySketched: boolean;
}
