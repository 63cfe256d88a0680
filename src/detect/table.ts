/**
 * RecordTable: an open-addressing hash table of fixed-size records keyed by two
 * 32-bit words, all in one ArrayBuffer (u32, i32 and f64 views over the same bytes).
 *
 * Why by hand: detectors track hundreds of thousands to millions of short-lived
 * keys (a source × port × type per probe of a vertical scan). A JavaScript Map
 * keyed by the combined number stores heap numbers and cost the scan detector
 * ~1 µs a packet; columns in separate typed arrays cost a cache miss each. Here
 * a lookup touches one record (its key and its fields side by side).
 *
 * Record layout (`stride` u32 words, even): word 0 key a, word 1 key b, word 2
 * bit 31 "used" (bits 0..30 are the caller's), words 3.. the caller's; f64
 * fields sit at even word offsets ≥ 4 (f64 index = (slot·stride + word) / 2);
 * u32, i32 and f64 are views of the same bytes.
 * Linear probing with backward-shift deletion: records move when others are
 * removed or the table grows, so a slot is valid only until the next insert,
 * remove or sweep. The size is bounded by the caller (`size` before `insert`).
 */
const USED = 0x80000000;

export class RecordTable {
  u32: Uint32Array;
  i32: Int32Array;
  f64: Float64Array;
  private mask: number;
  size = 0;
  /** Bumped whenever records move (removal, growth): offsets found before stay valid while it is unchanged. */
  moves = 0;

  constructor(
    readonly stride: number,
    initialSlots = 1 << 12,
  ) {
    if (stride < 4 || stride % 2 !== 0) throw new RangeError('stride must be even and ≥ 4');
    let cap = 16;
    while (cap < initialSlots) cap *= 2;
    this.mask = cap - 1;
    const buf = new ArrayBuffer(cap * stride * 4);
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  static hash(a: number, b: number): number {
    let h = Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 13);
  }

  /**
   * Word offset of the home slot of a key whose hash() is h: callers load it (and sum the
   * words to ignore) for a block of keys before their find()s, so that the misses overlap
   * (JavaScript has no prefetch instruction).
   */
  homeOffset(h: number): number {
    return (h & this.mask) * this.stride;
  }

  /** Word offset of key (a, b)'s record, or -1. */
  find(a: number, b: number): number {
    return this.findHashed(a, b, RecordTable.hash(a, b));
  }

  /** find() with the key's hash() already computed. */
  findHashed(a: number, b: number, h: number): number {
    const u = this.u32, s = this.stride, mask = this.mask;
    let i = h & mask;
    for (;;) {
      const o = i * s;
      if ((u[o + 2] & USED) === 0) return -1;
      if (u[o] === a >>> 0 && u[o + 1] === b >>> 0) return o;
      i = (i + 1) & mask;
    }
  }

  /** Add key (a, b), which must be absent; returns its record's word offset (other words zero). */
  insert(a: number, b: number): number {
    if ((this.size + 1) * 10 > this.capacity * 7) this.rehash(this.capacity * 2);
    const u = this.u32, s = this.stride, mask = this.mask;
    let i = RecordTable.hash(a, b) & mask;
    while ((u[i * s + 2] & USED) !== 0) i = (i + 1) & mask;
    const o = i * s;
    for (let k = 3; k < s; k++) u[o + k] = 0; // (a builtin call costs more for a few words)
    u[o] = a;
    u[o + 1] = b;
    u[o + 2] = USED;
    this.size++;
    return o;
  }

  /** Remove key (a, b) if present; true if it was. */
  remove(a: number, b: number): boolean {
    const o = this.find(a, b);
    if (o < 0) return false;
    this.size--;
    this.removeAt(o / this.stride);
    return true;
  }

  /**
   * Visit every record (word offset and key); those for which `drop` returns true
   * are removed. Safe while removing: starts after an empty slot and re-checks a
   * slot that a backward shift refilled.
   */
  sweep(drop: (o: number, a: number, b: number) => boolean): void {
    if (this.size === 0) return;
    const u = this.u32, s = this.stride, cap = this.capacity;
    let start = 0;
    while ((u[start * s + 2] & USED) !== 0) start++;
    let i = (start + 1) & this.mask;
    for (let visited = 0; visited < cap; ) {
      const o = i * s;
      if ((u[o + 2] & USED) !== 0 && drop(o, u[o], u[o + 1])) {
        this.size--;
        this.removeAt(i);
        if ((u[o + 2] & USED) !== 0) continue; // refilled by the shift: look at it again
      }
      i = (i + 1) & this.mask;
      visited++;
    }
  }

  /**
   * sweep() for the common case: the records whose f64 at word `lastWord` is more than
   * `timeout` before t (or not comparable) are passed to `close` and removed.
   */
  sweepIdle(lastWord: number, t: number, timeout: number, close: (o: number, a: number, b: number) => void): void {
    if (this.size === 0) return;
    const s = this.stride, cap = this.capacity;
    let u = this.u32, f = this.f64;
    let start = 0;
    while ((u[start * s + 2] & USED) !== 0) start++;
    let i = (start + 1) & this.mask;
    for (let visited = 0; visited < cap; ) {
      const o = i * s;
      if ((u[o + 2] & USED) !== 0 && !(t - f[(o + lastWord) >>> 1] <= timeout)) {
        close(o, u[o], u[o + 1]);
        u = this.u32;
        f = this.f64;
        this.size--;
        this.removeAt(i);
        if ((u[o + 2] & USED) !== 0) continue; // refilled by the shift: look at it again
      }
      i = (i + 1) & this.mask;
      visited++;
    }
  }

  clear(): void {
    this.moves++;
    this.u32.fill(0);
    this.size = 0;
  }

  /** Backward-shift deletion of slot i (linear probing, no tombstones). */
  private removeAt(i: number): void {
    this.moves++;
    const u = this.u32, s = this.stride, mask = this.mask;
    let hole = i;
    let j = (i + 1) & mask;
    for (;;) {
      const o = j * s;
      if ((u[o + 2] & USED) === 0) break;
      const home = RecordTable.hash(u[o], u[o + 1]) & mask;
      // j may move into the hole unless its home lies in (hole, j] cyclically.
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!stays) {
        for (let k = 0, d = hole * s; k < s; k++) u[d + k] = u[o + k];
        hole = j;
      }
      j = (j + 1) & mask;
    }
    for (let k = 0, d = hole * s; k < s; k++) u[d + k] = 0;
  }

  private rehash(cap: number): void {
    this.moves++;
    const old = this.u32, s = this.stride;
    const buf = new ArrayBuffer(cap * s * 4);
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
    this.mask = cap - 1;
    const u = this.u32;
    // Write the fresh pages before probing them: a read first maps the shared zero page and
    // the write after it faults again.
    u.fill(0);
    for (let o = 0; o < old.length; o += s) {
      if ((old[o + 2] & USED) === 0) continue;
      let i = RecordTable.hash(old[o], old[o + 1]) & this.mask;
      while ((u[i * s + 2] & USED) !== 0) i = (i + 1) & this.mask;
      for (let k = 0, d = i * s; k < s; k++) u[d + k] = old[o + k];
    }
  }
}
