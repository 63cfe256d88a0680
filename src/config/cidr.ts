/**
 * IPv4 / IPv6 addresses and CIDR prefixes, parsed and formatted by hand.
 *
 * Everything here reads user input (config files, `--darknet`), so parsing is
 * strict and every rejection says why. Addresses use the PacketBatch
 * representation: IPv4 as an unsigned 32-bit integer (192.0.2.10 → 0xC000020A),
 * IPv6 as four big-endian 32-bit words.
 *
 * Choices:
 *  - IPv4 octets with a leading zero ("01.2.3.4", "10.010.0.0") are REJECTED:
 *    inet_aton and many tools read them as octal (010 = 8), others as decimal,
 *    so the same text means two different networks (the netmask / Python
 *    ipaddress CVEs of 2021). A lone "0" is fine.
 *  - Only the dotted-quad form: no "10.1", no hex or octal octets, no spaces.
 *  - IPv6 zone ids ("fe80::1%eth0") are rejected: a prefix has no zone.
 *  - A prefix length is decimal without sign or leading zeros ("/8", not "/08").
 *  - A CIDR needs its "/len": a bare address is an error (a forgotten "/22"
 *    would otherwise silently monitor a single address).
 *  - Host bits set ("100.64.0.5/22") are an error whose message names the
 *    network address, rather than being masked silently.
 */

/** An IPv4 prefix: base is the network address as an unsigned 32-bit integer. */
export interface Cidr4 {
  readonly version: 4;
  readonly base: number;
  readonly prefixLen: number;
}

/** An IPv6 prefix: base is the network address as four big-endian words. */
export interface Cidr6 {
  readonly version: 6;
  readonly base: Uint32Array;
  readonly prefixLen: number;
}

export type Cidr = Cidr4 | Cidr6;

/** A CIDR that could not be parsed; the message starts with the quoted input. */
export class CidrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CidrError';
  }
}

// ---------------------------------------------------------------- IPv4

const DECIMAL = /^[0-9]+$/;

/** IPv4 text → uint32, or the reason it is not an address. */
function scanIPv4(s: string): number | string {
  const parts = s.split('.');
  if (parts.length !== 4) return `expected 4 dot-separated numbers, found ${parts.length}`;
  let n = 0;
  for (const p of parts) {
    if (p === '') return 'empty octet';
    if (!DECIMAL.test(p)) return `octet "${p}" is not a decimal number`;
    if (p.length > 1 && p[0] === '0') return `octet "${p}" has a leading zero (ambiguous: some tools read it as octal)`;
    if (p.length > 3 || Number(p) > 255) return `octet ${p} is out of range (0–255)`;
    n = n * 256 + Number(p);
  }
  return n;
}

/** Parse a dotted-quad IPv4 address ("192.0.2.10" → 0xC000020A); null if invalid. */
export function parseIPv4(s: string): number | null {
  const r = scanIPv4(s);
  return typeof r === 'number' ? r : null;
}

/** Format an IPv4 address given as an integer (signed or unsigned 32-bit). */
export function formatIPv4(n: number): string {
  const u = n >>> 0;
  return `${u >>> 24}.${(u >>> 16) & 255}.${(u >>> 8) & 255}.${u & 255}`;
}

// ---------------------------------------------------------------- IPv6

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Colon-separated groups (the last may be dotted IPv4) → 16-bit values, or a reason. */
function scanGroups(text: string, allowV4Tail: boolean): number[] | string {
  if (text === '') return [];
  const parts = text.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === '') return 'empty group (a single ":" where "::" or a number was expected)';
    if (p.includes('.')) {
      if (!allowV4Tail || i !== parts.length - 1) return `embedded IPv4 "${p}" is only allowed as the last 32 bits`;
      const v4 = scanIPv4(p);
      if (typeof v4 === 'string') return `embedded IPv4 "${p}": ${v4}`;
      out.push(v4 >>> 16, v4 & 0xffff);
      continue;
    }
    if (!HEX_GROUP.test(p)) return `group "${p}" is not 1–4 hex digits`;
    out.push(parseInt(p, 16));
  }
  return out;
}

/** IPv6 text → four big-endian words, or the reason it is not an address. */
function scanIPv6(s: string): Uint32Array | string {
  if (s.includes('%')) return 'zone ids ("%…") are not allowed';
  const first = s.indexOf('::');
  if (first >= 0 && s.indexOf('::', first + 1) >= 0) return 'more than one "::"';
  let groups: number[];
  if (first < 0) {
    const all = scanGroups(s, true);
    if (typeof all === 'string') return all;
    if (all.length !== 8) return `expected 8 groups, found ${all.length}`;
    groups = all;
  } else {
    const head = scanGroups(s.slice(0, first), false);
    if (typeof head === 'string') return head;
    const tail = scanGroups(s.slice(first + 2), true);
    if (typeof tail === 'string') return tail;
    // "::" stands for at least one zero group.
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return `too many groups for "::" (${head.length + tail.length})`;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = groups[2 * i] * 0x10000 + groups[2 * i + 1];
  return w;
}

/** Parse an IPv6 address ('::' compression, IPv4 tail) → four big-endian words; null if invalid. */
export function parseIPv6(s: string): Uint32Array | null {
  const r = scanIPv6(s);
  return typeof r === 'string' ? null : r;
}

/** True for the IPv4-mapped block ::ffff:0:0/96, written with a dotted tail (RFC 5952 §5). */
function isV4Mapped(w: ArrayLike<number>): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] >>> 0 === 0xffff;
}

/**
 * RFC 5952 canonical text: lowercase hex without leading zeros, the longest
 * run of two or more zero groups shortened to "::" (the first on ties), and
 * IPv4-mapped addresses as ::ffff:a.b.c.d.
 */
export function formatIPv6(words: ArrayLike<number>): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push((words[i] >>> 16) & 0xffff, words[i] & 0xffff);
  if (isV4Mapped(words)) return `::ffff:${formatIPv4(words[3])}`;
  let bestAt = -1;
  let bestLen = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

// ---------------------------------------------------------------- CIDR

/** Network mask for an IPv4 prefix length (0–32) as uint32. */
function mask4(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Mask of word i (0–3) of an IPv6 prefix of length len. */
function mask6Word(len: number, i: number): number {
  const bits = Math.min(32, Math.max(0, len - 32 * i));
  return mask4(bits);
}

/** The prefix-length text after "/" → number, or a reason. */
function scanPrefixLen(text: string, max: number): number | string {
  if (!DECIMAL.test(text) || (text.length > 1 && text[0] === '0')) {
    return `prefix length "${text}" is not a number 0–${max}`;
  }
  const n = Number(text);
  if (n > max) return `prefix length ${n} is out of range for IPv${max === 32 ? 4 : 6} (0–${max})`;
  return n;
}

/** The input quoted for a message, cut short if it is long (it is user input). */
function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/** Parse "a.b.c.d/len" or "x:…:y/len". Throws CidrError with a message naming the input. */
export function parseCidr(s: string): Cidr {
  const q = quote(s);
  if (s.trim() === '') throw new CidrError(`${q} is empty (expected a CIDR such as 192.0.2.0/24)`);
  if (/\s/.test(s)) throw new CidrError(`${q} contains spaces`);
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const v6 = addr.includes(':');
  const max = v6 ? 128 : 32;
  const parsed = v6 ? scanIPv6(addr) : scanIPv4(addr);
  if (typeof parsed === 'string') {
    throw new CidrError(`${q} is not a valid IPv${v6 ? 6 : 4} prefix: ${parsed}`);
  }
  if (slash < 0) throw new CidrError(`${q} has no prefix length; write ${addr}/${max} for a single address`);
  const len = scanPrefixLen(s.slice(slash + 1), max);
  if (typeof len === 'string') throw new CidrError(`${q}: ${len}`);
  const cidr: Cidr = typeof parsed === 'number'
    ? { version: 4, base: parsed, prefixLen: len }
    : { version: 6, base: parsed, prefixLen: len };
  const net = networkOf(cidr);
  if (!sameBase(net, cidr)) {
    throw new CidrError(`${q} has host bits set; did you mean ${formatCidr(net)}?`);
  }
  return cidr;
}

/** Parse a CIDR; the error message instead of an exception. */
export function tryParseCidr(s: string): Cidr | string {
  try {
    return parseCidr(s);
  } catch (e) {
    return (e as Error).message;
  }
}

/** The same prefix with its host bits cleared. */
export function networkOf(c: Cidr): Cidr {
  if (c.version === 4) return { version: 4, base: (c.base & mask4(c.prefixLen)) >>> 0, prefixLen: c.prefixLen };
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = (c.base[i] & mask6Word(c.prefixLen, i)) >>> 0;
  return { version: 6, base: w, prefixLen: c.prefixLen };
}

function sameBase(a: Cidr, b: Cidr): boolean {
  if (a.version === 4 || b.version === 4) return a.version === b.version && a.base === b.base;
  for (let i = 0; i < 4; i++) if (a.base[i] !== b.base[i]) return false;
  return true;
}

/** Canonical text of a prefix ("100.64.0.0/22", "2001:db8::/32"). */
export function formatCidr(c: Cidr): string {
  return `${c.version === 4 ? formatIPv4(c.base) : formatIPv6(c.base)}/${c.prefixLen}`;
}

/** Number of IPv4 addresses in a prefix (0 for IPv6). Exact: at most 2^32. */
export function sizeV4(c: Cidr): number {
  return c.version === 4 ? 2 ** (32 - c.prefixLen) : 0;
}

/** Four words → one 128-bit BigInt (for the rare, non-hot IPv6 paths). */
export function wordsToBigInt(w: ArrayLike<number>): bigint {
  let v = 0n;
  for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(w[i] >>> 0);
  return v;
}

/** First and last address of a prefix as BigInts (IPv4 in the low 32 bits). */
export function cidrRange(c: Cidr): [bigint, bigint] {
  const bits = c.version === 4 ? 32 : 128;
  const start = c.version === 4 ? BigInt(c.base) : wordsToBigInt(c.base);
  return [start, start + (1n << BigInt(bits - c.prefixLen)) - 1n];
}
