/**
 * Which stored events concern given addresses: a SOC's "what happened to or from my
 * prefixes". Events keep addresses as text — a scan's or infected host's source, a DoS
 * victim, a reflection's dark prefix ("10.10.10.0/24"), a surge's country ("JP") — so they
 * are matched here by range overlap, not in SQL (DuckDB's inet functions are an extension
 * that is not installed offline).
 */
import { type Cidr, cidrRange, parseIPv4, parseIPv6, tryParseCidr, wordsToBigInt } from '../config/cidr.js';

type Range = { v: 4 | 6; lo: bigint; hi: bigint };

/** An event's address or prefix text as a range; null for anything else (a country, none). */
function rangeOf(text: string | null): Range | null {
  if (!text) return null;
  if (text.includes('/')) {
    const c = tryParseCidr(text);
    if (typeof c === 'string') return null;
    const [lo, hi] = cidrRange(c);
    return { v: c.version, lo, hi };
  }
  if (text.includes(':')) {
    const w = parseIPv6(text);
    if (!w) return null;
    const x = wordsToBigInt(w);
    return { v: 6, lo: x, hi: x };
  }
  const a = parseIPv4(text);
  return a === null ? null : { v: 4, lo: BigInt(a), hi: BigInt(a) };
}

export class AddressMatcher {
  private readonly ranges: Range[];

  constructor(prefixes: readonly Cidr[]) {
    this.ranges = prefixes.map((c) => {
      const [lo, hi] = cidrRange(c);
      return { v: c.version, lo, hi };
    });
  }

  /** Whether any of these texts (an event's source, victim) overlaps a prefix. */
  matches(...texts: (string | null)[]): boolean {
    for (const t of texts) {
      const r = rangeOf(t);
      if (!r) continue;
      for (const p of this.ranges) if (p.v === r.v && p.lo <= r.hi && r.lo <= p.hi) return true;
    }
    return false;
  }
}
