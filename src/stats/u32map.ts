/**
 * U32Map: uint32 key → non-negative int value, open addressing in typed
 * arrays. A JS Map boxes keys above 2^30 (IPv4 addresses) into heap numbers
 * on every lookup; this one allocates nothing per operation. Deletion uses
 * backward shifting (no tombstones), so a table that churns (Space-Saving
 * evictions) never degrades.
 */
import { mix32 } from './distinct.js';

const FREE = -1;

export class U32Map {
  private keys: Uint32Array;
  private vals: Int32Array;
  private count = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keys = new Uint32Array(cap);
    this.vals = new Int32Array(cap).fill(FREE);
  }

  get size(): number {
    return this.count;
  }

  /** The value for key, or -1. */
  get(key: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = keys.length - 1;
    key >>>= 0;
    for (let i = mix32(key) & mask; ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === FREE) return FREE;
      if (keys[i] === key) return v;
    }
  }

  /** Set key to value (≥ 0). */
  set(key: number, value: number): void {
    key >>>= 0;
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const vals = this.vals;
    const mask = keys.length - 1;
    for (let i = mix32(key) & mask; ; i = (i + 1) & mask) {
      if (vals[i] === FREE) {
        keys[i] = key;
        vals[i] = value;
        this.count++;
        return;
      }
      if (keys[i] === key) {
        vals[i] = value;
        return;
      }
    }
  }

  delete(key: number): boolean {
    key >>>= 0;
    const keys = this.keys;
    const vals = this.vals;
    const mask = keys.length - 1;
    let i = mix32(key) & mask;
    for (;;) {
      if (vals[i] === FREE) return false;
      if (keys[i] === key) break;
      i = (i + 1) & mask;
    }
    // Backward-shift: move later entries of the probe run into the hole.
    let hole = i;
    for (let j = (i + 1) & mask; vals[j] !== FREE; j = (j + 1) & mask) {
      const home = mix32(keys[j]) & mask;
      // Move j back if its home slot is not in the (cyclic) range (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        keys[hole] = keys[j];
        vals[hole] = vals[j];
        hole = j;
      }
    }
    vals[hole] = FREE;
    this.count--;
    return true;
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    this.keys = new Uint32Array(oldK.length * 2);
    this.vals = new Int32Array(oldK.length * 2).fill(FREE);
    this.count = 0;
    for (let i = 0; i < oldK.length; i++) if (oldV[i] !== FREE) this.set(oldK[i], oldV[i]);
  }
}
