/**
 * Country codes as u16: the two ASCII letters of an ISO 3166-1 alpha-2 code
 * packed big-end first ('JP' → 'J' << 8 | 'P' = 0x4A50), 0 = unknown.
 * That is what the PacketBatch srcCountry / victimCountry columns hold: a
 * typed-array column and comparisons without strings, and the numbers sort
 * in the same order as the codes.
 */

/** True for two upper-case ASCII letters (the shape of ISO 3166-1 alpha-2 and of the user-assigned codes XK, ZZ, …). */
export function isCountryCode(code: string): boolean {
  return code.length === 2 && isUpper(code.charCodeAt(0)) && isUpper(code.charCodeAt(1));
}

/** True when `n` is 0 or unpacks to a valid code. */
export function isPackedCountry(n: number): boolean {
  return n === 0 || (Number.isInteger(n) && n >= 0 && n <= 0xffff && isUpper(n >>> 8) && isUpper(n & 0xff));
}

/** 'JP' → 0x4A50. Throws RangeError unless the code is two upper-case ASCII letters. */
export function packCountry(code: string): number {
  if (!isCountryCode(code)) throw new RangeError(`not a two-letter upper-case country code: ${JSON.stringify(code).slice(0, 20)}`);
  return (code.charCodeAt(0) << 8) | code.charCodeAt(1);
}

/** 0x4A50 → 'JP'; 0 → ''. Throws RangeError on a value that is not a packed code. */
export function unpackCountry(n: number): string {
  if (n === 0) return '';
  if (!isPackedCountry(n)) throw new RangeError(`not a packed country code: ${n}`);
  return String.fromCharCode(n >>> 8, n & 0xff);
}

/** Pack two bytes already known to be letters (CSV parsing), or 0 when they are not. */
export function packCountryBytes(a: number, b: number): number {
  return isUpper(a) && isUpper(b) ? (a << 8) | b : 0;
}

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
