/**
 * Range tables: "which value covers this address?" for IPv4 and IPv6, with
 * lookups that allocate nothing and touch only a few cache lines.
 *
 * The allocation data we load (ip-location-db CSVs) has nested and partly
 * overlapping inclusive ranges: a /16 labelled DE with a /32 inside it
 * labelled BE, then DE again. A lookup structure needs disjoint segments, so
 * `flattenRanges` / `flattenRanges6` turn the raw rows into non-overlapping
 * sorted segments first, where the most specific row wins: among the rows
 * containing a point, the one that starts latest (ties: the one that ends
 * first, then the one listed last). For properly nested rows that is the
 * smallest containing row; for the few partial overlaps in the data it is the
 * later row, which is how the data's own merge ("front database over back
 * one") writes its corrections after the row they correct.
 *
 * Storage is three typed arrays (starts, ends, values) — a few MB for the
 * whole IPv4 Internet — plus, for IPv4, a 65,536-entry first-level index on
 * the top 16 bits, so a lookup is one index read and a binary search over
 * the handful of segments of that /16 instead of ~18 steps over all of them.
 * Value 0 always means "not covered".
 */

/** Disjoint, sorted IPv4 segments as produced by flattenRanges. */
export interface Segments4 {
  starts: Uint32Array;
  ends: Uint32Array;
  values: Uint32Array;
}

/** Disjoint, sorted IPv6 segments: 4 big-endian u32 words per bound. */
export interface Segments6 {
  /** 4 words per segment: starts[4i .. 4i+3]. */
  starts: Uint32Array;
  ends: Uint32Array;
  values: Uint32Array;
}

const MAGIC4 = 0x34545244; // 'DRT4' on a little-endian host
const MAGIC6 = 0x36545244; // 'DRT6'
const HEADER = 8; // magic u32, count u32
/**
 * The arrays are written in host byte order (a plain memory copy each way);
 * the header is too, so a file from a host of the other byte order fails the
 * magic check and is rebuilt rather than misread.
 */
const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------
// IPv4

/**
 * Turn possibly nested / overlapping inclusive ranges into disjoint sorted
 * segments where the most specific range wins (see the file comment), then
 * merge adjacent segments with equal values. Rows are expected sorted by
 * start (ties: larger range first), as the CSVs are; any other order is
 * sorted here first. A row with value 0 carves a hole (0 = not covered).
 * Bounds are uint32 (0 … 0xFFFFFFFF); start > end is an error.
 */
export function flattenRanges(starts: ArrayLike<number>, ends: ArrayLike<number>, values: ArrayLike<number>): Segments4 {
  const n = starts.length;
  if (ends.length !== n || values.length !== n) throw new RangeError('flattenRanges: starts, ends and values differ in length');
  for (let i = 0; i < n; i++) {
    const s = starts[i];
    const e = ends[i];
    if (!(s >= 0 && e <= 0xffffffff && s <= e && Number.isInteger(s) && Number.isInteger(e))) {
      throw new RangeError(`flattenRanges: bad range ${s}-${e} at row ${i}`);
    }
  }
  const order = priorityOrder(n, (a, b) => starts[a] - starts[b] || ends[b] - ends[a] || a - b);

  // Output: at most 2n-1 segments (each row adds at most one start and one resumption).
  const cap = Math.max(1, 2 * n);
  const os = new Uint32Array(cap);
  const oe = new Uint32Array(cap);
  const ov = new Uint32Array(cap);
  let m = 0;
  const emit = (s: number, e: number, v: number): void => {
    if (v === 0) return;
    if (m > 0 && ov[m - 1] === v && oe[m - 1] + 1 === s) {
      oe[m - 1] = e;
      return;
    }
    os[m] = s;
    oe[m] = e;
    ov[m] = v;
    m++;
  };

  // Sweep: the stack holds the rows covering `pos` in priority order (each
  // pushed row outranks every row below it), so the winner is the topmost
  // row that has not ended yet; rows that ended are dropped when they surface.
  const stack = new Int32Array(Math.max(1, n));
  let sp = 0;
  let pos = 0; // next address not yet emitted (a double: may reach 2^32)
  const advance = (limit: number): void => {
    // Emit segments for [pos, limit) from the stack.
    while (sp > 0 && pos < limit) {
      const top = stack[sp - 1];
      const te = ends[top];
      if (te < pos) {
        sp--;
        continue;
      }
      const segEnd = te < limit - 1 ? te : limit - 1;
      emit(pos, segEnd, values[top]);
      pos = segEnd + 1;
      if (te <= segEnd) sp--;
    }
  };
  for (let k = 0; k < n; k++) {
    const r = order ? order[k] : k;
    const s = starts[r];
    advance(s);
    if (pos < s) pos = s; // a gap: nothing covered it
    stack[sp++] = r;
  }
  advance(0x100000000);
  return { starts: os.slice(0, m), ends: oe.slice(0, m), values: ov.slice(0, m) };
}

/**
 * Remove the addresses of `holes` (inclusive [start, end] pairs, any order)
 * from disjoint segments: used to blank special-purpose space (RFC 1918,
 * documentation prefixes, …) that registry data sometimes labels anyway.
 */
export function subtractRanges(seg: Segments4, holes: readonly (readonly [number, number])[]): Segments4 {
  const hs = [...holes].sort((a, b) => a[0] - b[0]);
  const n = seg.starts.length;
  const cap = n + hs.length + 1;
  const os = new Uint32Array(cap);
  const oe = new Uint32Array(cap);
  const ov = new Uint32Array(cap);
  let m = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    let s = seg.starts[i];
    const e = seg.ends[i];
    const v = seg.values[i];
    while (h < hs.length && hs[h][1] < s) h++;
    let k = h;
    while (s <= e) {
      if (k >= hs.length || hs[k][0] > e) {
        os[m] = s;
        oe[m] = e;
        ov[m] = v;
        m++;
        break;
      }
      const [hs0, he0] = hs[k];
      if (hs0 > s) {
        os[m] = s;
        oe[m] = hs0 - 1;
        ov[m] = v;
        m++;
      }
      s = Math.max(s, he0 + 1);
      k++;
    }
  }
  return { starts: os.slice(0, m), ends: oe.slice(0, m), values: ov.slice(0, m) };
}

/** Sort permutation by `cmp`, or null when the rows are already in that order (the common case: no copy). */
function priorityOrder(n: number, cmp: (a: number, b: number) => number): Uint32Array | null {
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (cmp(i - 1, i) > 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) return null;
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort(cmp);
  return Uint32Array.from(idx);
}

/**
 * Disjoint sorted IPv4 segments with a /16 first-level index.
 * `index[h]` = first segment whose end ≥ h·2^16, for h = 0 … 65536
 * (index[65536] = length), so the segment holding an address of /16 `h`, if
 * any, lies in [index[h], index[h+1]] — usually 1–10 segments.
 */
export class RangeTable4 {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly values: Uint32Array;
  readonly index: Int32Array;
  readonly length: number;

  /** The arrays are taken over, not copied; they must be disjoint and sorted (checked: O(n)). */
  constructor(starts: Uint32Array, ends: Uint32Array, values: Uint32Array) {
    const n = starts.length;
    if (ends.length !== n || values.length !== n) throw new RangeError('RangeTable4: starts, ends and values differ in length');
    for (let i = 0; i < n; i++) {
      if (starts[i] > ends[i] || (i > 0 && starts[i] <= ends[i - 1])) throw new RangeError(`RangeTable4: segment ${i} is not disjoint and sorted`);
    }
    this.starts = starts;
    this.ends = ends;
    this.values = values;
    this.length = n;
    const index = new Int32Array(65537);
    let i = 0;
    for (let h = 0; h < 65536; h++) {
      const blockStart = h * 65536;
      while (i < n && ends[i] < blockStart) i++;
      index[h] = i;
    }
    index[65536] = n;
    this.index = index;
  }

  static fromSegments(s: Segments4): RangeTable4 {
    return new RangeTable4(s.starts, s.ends, s.values);
  }

  /** The value covering `ip` (uint32, 192.0.2.10 → 0xC000020A), or 0 when none does. */
  lookup(ip: number): number {
    const n = this.length;
    if (n === 0) return 0;
    ip = ip >>> 0;
    const h = ip >>> 16;
    const index = this.index;
    const starts = this.starts;
    let lo = index[h];
    let hi = index[h + 1];
    if (hi >= n) hi = n - 1;
    if (lo > hi) return 0; // no segment reaches this /16
    // Last segment in [lo, hi] starting at or before ip.
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= ip) lo = mid;
      else hi = mid - 1;
    }
    return starts[lo] <= ip && ip <= this.ends[lo] ? this.values[lo] : 0;
  }

  /** Byte size of the typed arrays (for memory accounting). */
  get byteLength(): number {
    return this.starts.byteLength + this.ends.byteLength + this.values.byteLength + this.index.byteLength;
  }

  /** One Buffer: magic, count, starts, ends, values (host byte order; the index is rebuilt on load). */
  serialize(): Buffer {
    const n = this.length;
    const buf = Buffer.alloc(HEADER + 12 * n);
    writeHeader(buf, MAGIC4, n);
    copyWords(buf, HEADER, this.starts);
    copyWords(buf, HEADER + 4 * n, this.ends);
    copyWords(buf, HEADER + 8 * n, this.values);
    return buf;
  }

  /** Inverse of serialize(); throws RangeError on anything malformed. Views `buf` when aligned. */
  static deserialize(buf: Uint8Array): RangeTable4 {
    const n = readHeader(buf, MAGIC4, 12, 'RangeTable4');
    return new RangeTable4(u32At(buf, HEADER, n), u32At(buf, HEADER + 4 * n, n), u32At(buf, HEADER + 8 * n, n));
  }
}

// ---------------------------------------------------------------------------
// IPv6: bounds are 128-bit, held as 4 big-endian u32 words. Arithmetic on
// them is done word-wise (BigInt would allocate per step).

/** Compare the 128-bit numbers a[ai..ai+3] and b[bi..bi+3]. */
function cmp6(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number): number {
  for (let k = 0; k < 4; k++) {
    const x = a[ai + k];
    const y = b[bi + k];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** dst[di..] = src[si..] + delta (delta ±1); returns false on wrap-around (overflow past 2^128-1 or below 0). */
function add6(dst: Uint32Array, di: number, src: ArrayLike<number>, si: number, delta: 1 | -1): boolean {
  let carry: number = delta;
  for (let k = 3; k >= 0; k--) {
    const x = src[si + k] + carry;
    if (x > 0xffffffff) {
      dst[di + k] = 0;
      carry = 1;
    } else if (x < 0) {
      dst[di + k] = 0xffffffff;
      carry = -1;
    } else {
      dst[di + k] = x;
      carry = 0;
    }
  }
  return carry === 0;
}

/** IPv6 counterpart of flattenRanges: starts/ends hold 4 words per row. */
export function flattenRanges6(starts: Uint32Array, ends: Uint32Array, values: ArrayLike<number>): Segments6 {
  const n = values.length;
  if (starts.length !== 4 * n || ends.length !== 4 * n) throw new RangeError('flattenRanges6: need 4 words per bound');
  for (let i = 0; i < n; i++) {
    if (cmp6(starts, 4 * i, ends, 4 * i) > 0) throw new RangeError(`flattenRanges6: start > end at row ${i}`);
  }
  const order = priorityOrder(n, (a, b) => cmp6(starts, 4 * a, starts, 4 * b) || cmp6(ends, 4 * b, ends, 4 * a) || a - b);

  const cap = Math.max(1, 2 * n);
  const os = new Uint32Array(4 * cap);
  const oe = new Uint32Array(4 * cap);
  const ov = new Uint32Array(cap);
  let m = 0;
  const tmp = new Uint32Array(4);
  const emit = (s: Uint32Array, si: number, e: ArrayLike<number>, ei: number, v: number): void => {
    if (v === 0) return;
    if (m > 0 && ov[m - 1] === v && add6(tmp, 0, oe, 4 * (m - 1), 1) && cmp6(tmp, 0, s, si) === 0) {
      for (let k = 0; k < 4; k++) oe[4 * (m - 1) + k] = e[ei + k];
      return;
    }
    for (let k = 0; k < 4; k++) {
      os[4 * m + k] = s[si + k];
      oe[4 * m + k] = e[ei + k];
    }
    ov[m] = v;
    m++;
  };

  const stack = new Int32Array(Math.max(1, n));
  let sp = 0;
  const pos = new Uint32Array(4); // next address not yet emitted
  let done = false; // pos wrapped past ffff:…:ffff: everything emitted
  const limitM1 = new Uint32Array(4);
  // Emit [pos, limit) where limit = starts row `lim` (or the end of the space when lim < 0).
  const advance = (lim: number): void => {
    let hasLimit = false;
    if (lim >= 0) {
      if (!add6(limitM1, 0, starts, 4 * lim, -1)) return; // limit is :: — nothing before it
      hasLimit = true;
    }
    while (sp > 0 && !done && (!hasLimit || cmp6(pos, 0, starts, 4 * lim) < 0)) {
      const top = stack[sp - 1];
      if (cmp6(ends, 4 * top, pos, 0) < 0) {
        sp--;
        continue;
      }
      // segEnd = min(end of top, limit - 1)
      const endFirst = !hasLimit || cmp6(ends, 4 * top, limitM1, 0) <= 0;
      const segEndArr: ArrayLike<number> = endFirst ? ends : limitM1;
      const segEndAt = endFirst ? 4 * top : 0;
      emit(pos, 0, segEndArr, segEndAt, values[top]);
      if (endFirst) sp--;
      if (!add6(pos, 0, segEndArr, segEndAt, 1)) done = true;
    }
  };
  for (let k = 0; k < n; k++) {
    const r = order ? order[k] : k;
    advance(r);
    if (!done && cmp6(pos, 0, starts, 4 * r) < 0) for (let w = 0; w < 4; w++) pos[w] = starts[4 * r + w];
    else if (done) {
      // Everything up to the top of the space is emitted; a row starting
      // later cannot exist (rows are sorted), so this is unreachable.
      break;
    }
    stack[sp++] = r;
  }
  advance(-1);
  return { starts: os.slice(0, 4 * m), ends: oe.slice(0, 4 * m), values: ov.slice(0, m) };
}

/** Remove inclusive IPv6 holes (each [start words, end words]) from disjoint segments. */
export function subtractRanges6(seg: Segments6, holes: readonly (readonly [Uint32Array, Uint32Array])[]): Segments6 {
  const hs = [...holes].sort((a, b) => cmp6(a[0], 0, b[0], 0));
  const n = seg.values.length;
  const cap = n + hs.length + 1;
  const os = new Uint32Array(4 * cap);
  const oe = new Uint32Array(4 * cap);
  const ov = new Uint32Array(cap);
  let m = 0;
  const s = new Uint32Array(4);
  const put = (a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, v: number): void => {
    for (let k = 0; k < 4; k++) {
      os[4 * m + k] = a[ai + k];
      oe[4 * m + k] = b[bi + k];
    }
    ov[m++] = v;
  };
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 4; k++) s[k] = seg.starts[4 * i + k];
    const e = seg.ends;
    const ei = 4 * i;
    const v = seg.values[i];
    for (let k = 0; ; k++) {
      if (k >= hs.length || cmp6(hs[k][0], 0, e, ei) > 0) {
        put(s, 0, e, ei, v);
        break;
      }
      const [h0, h1] = hs[k];
      if (cmp6(h1, 0, s, 0) < 0) continue; // hole entirely before
      if (cmp6(h0, 0, s, 0) > 0) {
        const before = new Uint32Array(4);
        add6(before, 0, h0, 0, -1);
        put(s, 0, before, 0, v);
      }
      if (cmp6(h1, 0, e, ei) >= 0) break; // the hole reaches the segment's end
      add6(s, 0, h1, 0, 1);
    }
  }
  return { starts: os.slice(0, 4 * m), ends: oe.slice(0, 4 * m), values: ov.slice(0, m) };
}

/**
 * Disjoint sorted IPv6 segments; lookup is a plain binary search with 4-word
 * comparison (~18 steps for 200k segments). IPv6 is rare on IPv4 darknets,
 * so no first-level index.
 */
export class RangeTable6 {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly values: Uint32Array;
  readonly length: number;

  constructor(starts: Uint32Array, ends: Uint32Array, values: Uint32Array) {
    const n = values.length;
    if (starts.length !== 4 * n || ends.length !== 4 * n) throw new RangeError('RangeTable6: need 4 words per bound');
    for (let i = 0; i < n; i++) {
      if (cmp6(starts, 4 * i, ends, 4 * i) > 0 || (i > 0 && cmp6(starts, 4 * i, ends, 4 * (i - 1)) <= 0)) {
        throw new RangeError(`RangeTable6: segment ${i} is not disjoint and sorted`);
      }
    }
    this.starts = starts;
    this.ends = ends;
    this.values = values;
    this.length = n;
  }

  static fromSegments(s: Segments6): RangeTable6 {
    return new RangeTable6(s.starts, s.ends, s.values);
  }

  /** The value covering the address w0:w1:w2:w3 (big-endian u32 words), or 0. */
  lookup(w0: number, w1: number, w2: number, w3: number): number {
    const starts = this.starts;
    w0 >>>= 0;
    w1 >>>= 0;
    w2 >>>= 0;
    w3 >>>= 0;
    // Last segment whose start ≤ address; -1 when none.
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = 4 * mid;
      let le: boolean;
      const s0 = starts[b];
      if (s0 !== w0) le = s0 < w0;
      else {
        const s1 = starts[b + 1];
        if (s1 !== w1) le = s1 < w1;
        else {
          const s2 = starts[b + 2];
          if (s2 !== w2) le = s2 < w2;
          else le = starts[b + 3] <= w3;
        }
      }
      if (le) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return 0;
    const e = this.ends;
    const b = 4 * found;
    // address ≤ end?
    const e0 = e[b];
    if (e0 !== w0) return e0 > w0 ? this.values[found] : 0;
    const e1 = e[b + 1];
    if (e1 !== w1) return e1 > w1 ? this.values[found] : 0;
    const e2 = e[b + 2];
    if (e2 !== w2) return e2 > w2 ? this.values[found] : 0;
    return e[b + 3] >= w3 ? this.values[found] : 0;
  }

  get byteLength(): number {
    return this.starts.byteLength + this.ends.byteLength + this.values.byteLength;
  }

  serialize(): Buffer {
    const n = this.length;
    const buf = Buffer.alloc(HEADER + 36 * n);
    writeHeader(buf, MAGIC6, n);
    copyWords(buf, HEADER, this.starts);
    copyWords(buf, HEADER + 16 * n, this.ends);
    copyWords(buf, HEADER + 32 * n, this.values);
    return buf;
  }

  static deserialize(buf: Uint8Array): RangeTable6 {
    const n = readHeader(buf, MAGIC6, 36, 'RangeTable6');
    return new RangeTable6(u32At(buf, HEADER, 4 * n), u32At(buf, HEADER + 16 * n, 4 * n), u32At(buf, HEADER + 32 * n, n));
  }
}

// ---------------------------------------------------------------------------
// Serialisation helpers (host byte order, like the typed arrays themselves).

function copyWords(dst: Buffer, at: number, src: Uint32Array): void {
  dst.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), at);
}

function writeHeader(buf: Buffer, magic: number, n: number): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint32(0, magic, HOST_LE);
  dv.setUint32(4, n, HOST_LE);
}

function readHeader(buf: Uint8Array, magic: number, bytesPerRow: number, what: string): number {
  if (buf.byteLength < HEADER) throw new RangeError(`${what}: truncated header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, HOST_LE) !== magic) throw new RangeError(`${what}: bad magic (or written on a host of the other byte order)`);
  const n = dv.getUint32(4, HOST_LE);
  if (buf.byteLength !== HEADER + bytesPerRow * n) throw new RangeError(`${what}: length ${buf.byteLength} does not match ${n} segments`);
  return n;
}

/** `count` u32 words at byte `at` of `buf`: a view when aligned, else a copy. */
export function u32At(buf: Uint8Array, at: number, count: number): Uint32Array {
  const off = buf.byteOffset + at;
  if ((off & 3) === 0) return new Uint32Array(buf.buffer, off, count);
  const out = new Uint32Array(count);
  new Uint8Array(out.buffer).set(buf.subarray(at, at + 4 * count));
  return out;
}
