/**
 * HeavyHitters: the K most frequent keys of a stream in O(K) memory
 * (Space-Saving, Metwally, Agrawal & El Abbadi, ICDT 2005).
 *
 * While there are at most K distinct keys every count is exact. After that a
 * new key takes the slot of the least counted one and inherits its count as
 * `error`: a reported count c is the true count within [c − error, c], and
 * every key with true count > N/K is in the table. Each entry carries a
 * payload the caller fills in (first port, country, …). A min-heap keeps the
 * eviction O(log K), so a hostile stream of all-new keys stays fast.
 */

import { U32Map } from './u32map.js';

export interface HeavyEntry<P> {
  key: number | string;
  count: number;
  /** Over-count bound inherited at eviction (0 = exact). */
  error: number;
  payload: P;
}

export class HeavyHitters<P> {
  private readonly entries: HeavyEntry<P>[] = [];
  /** heap[i] = index into entries; pos[entry] = heap position. */
  private readonly heap: number[] = [];
  private readonly pos: number[] = [];
  private readonly index: { get(k: number | string): number | undefined; set(k: number | string, v: number): void; delete(k: number | string): boolean };
  total = 0;

  /**
   * @param u32Keys keys are uint32 numbers (IPv4 addresses): index them in a
   *   typed-array hash that allocates nothing, instead of a Map.
   */
  constructor(
    readonly capacity: number,
    private readonly newPayload: () => P,
    u32Keys = false,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    if (u32Keys) {
      const m = new U32Map(capacity);
      this.index = {
        get: (k) => {
          const v = m.get(k as number);
          return v < 0 ? undefined : v;
        },
        set: (k, v) => m.set(k as number, v),
        delete: (k) => m.delete(k as number),
      };
    } else this.index = new Map<number | string, number>();
  }

  /** Count `by` for key and return its entry (to update the payload). */
  add(key: number | string, by = 1): HeavyEntry<P> {
    this.total += by;
    let e = this.index.get(key);
    if (e === undefined) {
      if (this.entries.length < this.capacity) {
        e = this.entries.length;
        this.entries.push({ key, count: 0, error: 0, payload: this.newPayload() });
      } else {
        // Evict the least counted key; the newcomer inherits its count as the error bound.
        if (!this.heaped) this.buildHeap();
        e = this.heap[0];
        const victim = this.entries[e];
        this.index.delete(victim.key);
        victim.key = key;
        victim.error = victim.count;
        victim.payload = this.newPayload();
      }
      this.index.set(key, e);
    }
    const entry = this.entries[e];
    entry.count += by;
    // The heap only matters once evictions start: until the table is full, counting is O(1).
    if (this.heaped) this.siftDown(this.pos[e]);
    return entry;
  }

  private heaped = false;

  private buildHeap(): void {
    const n = this.entries.length;
    this.heap.length = 0;
    this.pos.length = 0;
    for (let i = 0; i < n; i++) {
      this.heap.push(i);
      this.pos.push(i);
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
    this.heaped = true;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Every entry, in no particular order (for merging and for moving across threads). */
  all(): readonly HeavyEntry<P>[] {
    return this.entries;
  }

  /**
   * Add another table's entries: counts add up (exact while neither table has
   * evicted anything), errors add up, payloads are combined by `mergePayload`.
   */
  merge(other: readonly HeavyEntry<P>[], mergePayload: (into: P, from: P) => void): void {
    for (const o of other) {
      const fresh = this.index.get(o.key) === undefined;
      const e = this.add(o.key, o.count);
      e.error += o.error;
      if (fresh && e.count === o.count) e.payload = o.payload;
      else mergePayload(e.payload, o.payload);
    }
  }

  /** The n largest entries, by count then key (deterministic). */
  top(n = this.capacity): HeavyEntry<P>[] {
    return [...this.entries].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, n);
  }

  private less(a: number, b: number): boolean {
    return this.entries[this.heap[a]].count < this.entries[this.heap[b]].count;
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const t = h[a];
    h[a] = h[b];
    h[b] = t;
    this.pos[h[a]] = a;
    this.pos[h[b]] = b;
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
