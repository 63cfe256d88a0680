/**
 * Small seeded PRNG for the synthetic traffic generator: xoshiro128** (32-bit
 * state words, Math.imul only, no allocation per call), seeded through
 * splitmix32. The same seed gives the same sequence on every machine and Node
 * version: everything is integer arithmetic on 32-bit values.
 */

const TWO_NEG_32 = 2.3283064365386963e-10; // 2^-32

/** One splitmix32 step: a well-mixed 32-bit value from a 32-bit state. */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** seed: any integer in [0, 2^53) (negative and larger values are folded). */
  constructor(seed: number) {
    if (!Number.isFinite(seed) || !Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    let x = splitmix32(lo ^ 0x5eed1234);
    x = splitmix32(x ^ hi);
    this.s0 = x = splitmix32(x);
    this.s1 = x = splitmix32(x);
    this.s2 = x = splitmix32(x);
    this.s3 = splitmix32(x);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is a fixed point
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32 (exact for n < 2^21, negligible bias above). */
  nextInt(n: number): number {
    const r = Math.floor(this.nextU32() * n * TWO_NEG_32);
    return r < n ? r : n - 1;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.nextInt(hi - lo + 1);
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number {
    return this.nextU32() * TWO_NEG_32;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextU32() * TWO_NEG_32 < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: ArrayLike<T>): T {
    return items[this.nextInt(items.length)];
  }

  /** An index in [0, n) biased towards small values (density ~ 1/sqrt): a few heavy hitters, a long tail. */
  skewed(n: number): number {
    const f = this.nextU32() * TWO_NEG_32;
    return Math.floor(f * f * n);
  }

  /** Fill b[off, off+len) with random bytes. */
  fill(b: Uint8Array, off: number, len: number): void {
    const end = off + len;
    let p = off;
    while (p + 4 <= end) {
      const x = this.nextU32();
      b[p] = x >>> 24;
      b[p + 1] = x >>> 16;
      b[p + 2] = x >>> 8;
      b[p + 3] = x;
      p += 4;
    }
    if (p < end) {
      let x = this.nextU32();
      while (p < end) {
        b[p++] = x;
        x >>>= 8;
      }
    }
  }
}
