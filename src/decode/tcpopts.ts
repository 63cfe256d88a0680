/**
 * Compact TCP options signature.
 *
 * Tool and OS fingerprints care about the *layout* of the options (which kinds,
 * in which order, with which lengths) and about two values (MSS, window scale);
 * timestamps and SACK blocks vary per packet and are left out. The layout is
 * hashed (FNV-1a, 32 bit) so it fits one column and is stable across runs and
 * machines; MSS and window scale get their own columns. describeTcpOptions()
 * gives the same layout as p0f-style text ("mss,nop,ws,nop,nop,sok").
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Marker mixed into the hash when the option list is malformed (bad length). */
const MALFORMED = 0xff;
/** Options area is at most 40 bytes; cap the walk for hostile inputs anyway. */
const MAX_OPTIONS = 40;

/** Values found by the last scanTcpOptions() call (module scratch: avoids an object per packet). */
export let scannedMss = 0;
export let scannedWscale = 255;

/**
 * Options in b[p, end) (dv: a DataView over b): returns the layout hash (0
 * when there are no options) and leaves MSS / window scale in scannedMss /
 * scannedWscale. The layouts that make up most SYNs and SYN-ACKs on a
 * telescope are recognised by their fixed bytes (a few loads, small enough for
 * V8 to inline); the answer is exactly what the general walk gives.
 */
export function scanTcpOptions(b: Uint8Array, dv: DataView, p: number, end: number): number {
  const len = end - p;
  if (len >= 4 && dv.getUint16(p) === 0x0204) {
    if (len === 4) {
      scannedWscale = 255;
      scannedMss = dv.getUint16(p + 2);
      return LAYOUT_MSS;
    }
    if (len === 12 && (dv.getUint32(p + 4) & 0xffffff00) === 0x01030300 && dv.getUint32(p + 8) === 0x01010402) {
      scannedMss = dv.getUint16(p + 2);
      scannedWscale = b[p + 7];
      return LAYOUT_WINDOWS;
    }
    if (len === 20 && dv.getUint32(p + 4) === 0x0402080a && dv.getUint16(p + 16) === 0x0103 && b[p + 18] === 3) {
      scannedMss = dv.getUint16(p + 2);
      scannedWscale = b[p + 19];
      return LAYOUT_LINUX;
    }
  }
  return walkTcpOptions(b, p, end);
}

/** The general walk: any layout, malformed ones included. */
export function walkTcpOptions(b: Uint8Array, p: number, end: number): number {
  scannedMss = 0;
  scannedWscale = 255;
  if (p >= end) return 0;
  let h = FNV_OFFSET;
  let n = 0;
  while (p < end && n < MAX_OPTIONS) {
    n++;
    const kind = b[p];
    if (kind === 0) {
      // EOL: the rest is padding; its length is part of the shape (p0f "eol+N").
      h = Math.imul(h ^ 0, FNV_PRIME);
      h = Math.imul(h ^ (end - p - 1), FNV_PRIME);
      break;
    }
    if (kind === 1) {
      h = Math.imul(h ^ 1, FNV_PRIME);
      p++;
      continue;
    }
    if (p + 1 >= end) {
      h = Math.imul(h ^ MALFORMED, FNV_PRIME);
      break;
    }
    const len = b[p + 1];
    h = Math.imul(h ^ kind, FNV_PRIME);
    h = Math.imul(h ^ len, FNV_PRIME);
    if (len < 2 || p + len > end) {
      h = Math.imul(h ^ MALFORMED, FNV_PRIME);
      break;
    }
    if (kind === 2 && len === 4) scannedMss = (b[p + 2] << 8) | b[p + 3];
    else if (kind === 3 && len === 3) scannedWscale = b[p + 2];
    p += len;
  }
  // 0 is reserved for "no options"; the hash of a real layout is never folded onto it.
  return (h >>> 0) || 1;
}

const NAMES: Record<number, string> = { 2: 'mss', 3: 'ws', 4: 'sok', 5: 'sack', 8: 'ts' };

/** p0f-style text of an options area: "mss,nop,ws,nop,nop,sok", "eol+2", "?30", "bad". */
export function describeTcpOptions(b: Uint8Array, p = 0, end = b.length): string {
  const out: string[] = [];
  let n = 0;
  while (p < end && n < MAX_OPTIONS) {
    n++;
    const kind = b[p];
    if (kind === 0) {
      out.push(`eol+${end - p - 1}`);
      break;
    }
    if (kind === 1) {
      out.push('nop');
      p++;
      continue;
    }
    if (p + 1 >= end) {
      out.push('bad');
      break;
    }
    const len = b[p + 1];
    if (len < 2 || p + len > end) {
      out.push('bad');
      break;
    }
    out.push(NAMES[kind] ?? `?${kind}`);
    p += len;
  }
  return out.join(',');
}

/** Layout hash of an options byte string, e.g. for fingerprint tables: tcpOptionsLayout([2,4,5,0xb4]). */
export function tcpOptionsLayout(bytes: ArrayLike<number>): number {
  const b = Uint8Array.from(bytes);
  return scanTcpOptions(b, new DataView(b.buffer), 0, b.length);
}

/** mss */
const LAYOUT_MSS = walkTcpOptions(Uint8Array.from([2, 4, 0, 0]), 0, 4);
/** mss,nop,ws,nop,nop,sok (Windows; ZMap ≥ 4.1) */
const LAYOUT_WINDOWS = walkTcpOptions(Uint8Array.from([2, 4, 0, 0, 1, 3, 3, 0, 1, 1, 4, 2]), 0, 12);
/** mss,sok,ts,nop,ws (Linux) */
const LAYOUT_LINUX = walkTcpOptions(Uint8Array.from([2, 4, 0, 0, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 0]), 0, 20);
