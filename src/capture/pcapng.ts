/**
 * pcapng (draft-ietf-opsawg-pcapng): several sections, each with its own byte
 * order; one IDB per interface with its own link type, snap length,
 * if_tsresol (decimal or power of two) and if_tsoffset; EPB, SPB and the
 * obsolete PB carry packets; every other block (NRB, ISB, DSB, custom, …) is
 * skipped by its length. Options are parsed with bounds checks.
 */
import { type PacketBatch } from '../decode/batch.js';
import { decodeFrame } from '../decode/frame.js';
import { InterfaceRegistry, MAX_INTERFACES_PER_FILE } from './interfaces.js';
import type { CaptureLog } from './log.js';
import { MAX_RECORD, ParseStatus, type RecordParser, type Window } from './parser.js';
import { TimeRange } from './time.js';

export const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_PB = 0x00000002;
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;
/** Blocks we know and deliberately skip. */
const KNOWN_SKIPPED = new Set([
  0x00000004, // NRB
  0x00000005, // ISB
  0x00000007, // IRIG timestamp (obsolete)
  0x00000008, // ARINC 429 (obsolete)
  0x00000009, // systemd journal export
  0x0000000a, // decryption secrets
  0x00000bad, // custom, copyable
  0x40000bad, // custom, not copyable
]);

const MAX_STRING = 256;

export function isPcapngMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a;
}

interface IfState {
  globalId: number;
  linkType: number;
  snaplen: number;
  /** Ticks per second when it is 10^k with k ≤ 9 (fast path), else 0. */
  tsDiv: number;
  /** Nanoseconds per tick on the fast path. */
  tsMult: number;
  /** Ticks per second for every other resolution (exact BigInt path). */
  tsBigDiv: bigint;
  tsOffset: number;
  packets: number;
}

export interface PcapngSection {
  byteOrder: 'little-endian' | 'big-endian';
  version: string;
  hardware?: string;
  os?: string;
  application?: string;
}

function u32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}

function text(b: Uint8Array, p: number, len: number): string {
  // Strings from the file are attacker-controlled: bounded and NUL-trimmed; escaping is the renderer's job.
  let n = Math.min(len, MAX_STRING);
  while (n > 0 && b[p + n - 1] === 0) n--;
  return Buffer.from(b.buffer, b.byteOffset + p, n).toString('utf8');
}

/**
 * Walk an options area b[p, end). Calls fn(code, valueOffset, valueLength) for
 * each option; returns false when an option runs past the end (malformed).
 */
function walkOptions(b: Uint8Array, p: number, end: number, le: boolean, fn: (code: number, v: number, len: number) => void): boolean {
  while (p + 4 <= end) {
    const code = u16(b, p, le);
    const len = u16(b, p + 2, le);
    if (code === 0) return true; // opt_endofopt
    if (p + 4 + len > end) return false;
    fn(code, p + 4, len);
    p += 4 + ((len + 3) & ~3);
  }
  return p === end || end - p < 4;
}

export class PcapngParser implements RecordParser {
  need = 12;
  readonly times = new TimeRange();
  /** Every interface of every section, for the per-interface counts. */
  private readonly allIfaces: IfState[] = [];
  readonly sections: PcapngSection[] = [];
  private le = true;
  private ifaces: IfState[] = [];
  private interfacesInFile = 0;
  private lastSec = 0;
  private lastNsec = 0;
  /** Timestamp scratch of toTimestamp(). */
  private outSec = 0;
  private outNsec = 0;

  constructor(
    private readonly file: string,
    private readonly registry: InterfaceRegistry,
    private readonly log: CaptureLog,
  ) {}

  parse(w: Window, batch: PacketBatch): ParseStatus {
    const b = w.buf;
    const end = w.end;
    let pos = w.pos;
    while (batch.length < batch.capacity) {
      if (end - pos < 12) {
        this.need = 12;
        break;
      }
      const off = w.base + pos;
      let le = this.le;
      const type = u32(b, pos, le);
      if (type === BT_SHB) {
        const bom = u32(b, pos + 8, true);
        if (bom === 0x1a2b3c4d) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else return this.stop(w, pos, `section header has a bad byte-order magic 0x${bom.toString(16)}`, off);
      } else if (this.sections.length === 0) {
        return this.stop(w, pos, 'file does not start with a section header block', off);
      }
      const len = u32(b, pos + 4, le);
      if (len < 12 || len % 4 !== 0) return this.stop(w, pos, `block of type 0x${type.toString(16)} has an invalid total length ${len}`, off);
      if (len > MAX_RECORD) return this.stop(w, pos, `block of type 0x${type.toString(16)} claims ${len} bytes (limit ${MAX_RECORD}): file is corrupt from here`, off);
      if (end - pos < len) {
        this.need = len;
        break;
      }
      if (u32(b, pos + len - 4, le) !== len) return this.stop(w, pos, "block total length in header and trailer don't match", off);
      const body = pos + 8;
      const bodyEnd = pos + len - 4;
      switch (type) {
        case BT_EPB:
          this.packet(b, w.view, body, bodyEnd, off, batch, false);
          break;
        case BT_SHB:
          if (!this.section(b, body, bodyEnd, le, off)) return this.stop(w, pos, this.log.error!.message, off);
          break;
        case BT_IDB:
          this.interface(b, body, bodyEnd, off);
          break;
        case BT_SPB:
          this.simplePacket(b, w.view, body, bodyEnd, off, batch);
          break;
        case BT_PB:
          this.packet(b, w.view, body, bodyEnd, off, batch, true);
          break;
        default:
          if (!KNOWN_SKIPPED.has(type)) this.log.warn(`block:${type}`, `skipped block(s) of unknown type 0x${type.toString(16)}`, off);
      }
      pos += len;
    }
    w.pos = pos;
    return batch.length >= batch.capacity ? ParseStatus.FULL : ParseStatus.MORE;
  }

  private stop(w: Window, pos: number, message: string, offset: number): ParseStatus {
    this.log.fatal(message, offset);
    w.pos = pos;
    return ParseStatus.STOP;
  }

  packetsByInterface(): Map<number, number> {
    return new Map(this.allIfaces.map((i) => [i.globalId, i.packets]));
  }

  /** SHB: a new section with its own byte order; interfaces of the previous section end. */
  private section(b: Uint8Array, p: number, end: number, le: boolean, off: number): boolean {
    if (end - p < 16) {
      this.log.fatal('section header block too short', off);
      return false;
    }
    const major = u16(b, p + 4, le);
    const minor = u16(b, p + 6, le);
    // libpcap accepts 1.0 and 1.2 (written by some old tools); so does Wireshark.
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      this.log.fatal(`unsupported pcapng version ${major}.${minor}`, off);
      return false;
    }
    const s: PcapngSection = { byteOrder: le ? 'little-endian' : 'big-endian', version: `${major}.${minor}` };
    const ok = walkOptions(b, p + 16, end, le, (code, v, len) => {
      if (code === 2) s.hardware = text(b, v, len);
      else if (code === 3) s.os = text(b, v, len);
      else if (code === 4) s.application = text(b, v, len);
    });
    if (!ok) this.log.warn('shb-options', 'malformed options in a section header block (ignored from there)', off);
    this.le = le;
    this.ifaces = [];
    this.sections.push(s);
    return true;
  }

  private interface(b: Uint8Array, p: number, end: number, off: number): void {
    const le = this.le;
    if (end - p < 8) {
      this.log.skipRecord('interface description block too short', off);
      this.ifaces.push(undefined as unknown as IfState); // keep later interface ids aligned
      return;
    }
    const linkType = u16(b, p, le);
    const snaplen = u32(b, p + 4, le);
    let resolByte = 6;
    let tsOffset = 0;
    let fcsLength: number | null = null;
    let name: string | undefined;
    let description: string | undefined;
    const ok = walkOptions(b, p + 8, end, le, (code, v, len) => {
      if (code === 9 && len >= 1) resolByte = b[v];
      else if (code === 14 && len >= 8) {
        const hi = u32(b, le ? v + 4 : v, le);
        const lo = u32(b, le ? v : v + 4, le);
        tsOffset = (hi | 0) * 4294967296 + lo; // signed 64-bit seconds
      } else if (code === 13 && len >= 1) fcsLength = b[v];
      else if (code === 2) name = text(b, v, len);
      else if (code === 3) description = text(b, v, len);
    });
    if (!ok) this.log.warn('idb-options', 'malformed options in an interface description block (ignored from there)', off);
    if (this.interfacesInFile >= MAX_INTERFACES_PER_FILE) {
      this.log.skipRecord('too many interfaces', off, `more than ${MAX_INTERFACES_PER_FILE} interfaces in one file`);
      this.ifaces.push(undefined as unknown as IfState);
      return;
    }
    this.interfacesInFile++;
    const exp = resolByte & 0x7f;
    const binary = (resolByte & 0x80) !== 0;
    const info = this.registry.add({
      file: this.file,
      section: this.sections.length - 1,
      index: this.ifaces.length,
      linkType,
      snaplen,
      tsResolution: binary ? `2^-${exp}` : `1e-${exp}`,
      fcsLength,
      ...(name !== undefined ? { name } : {}),
      ...(description !== undefined ? { description } : {}),
    });
    const fast = !binary && exp <= 9;
    this.ifaces.push({
      globalId: info.id,
      linkType,
      snaplen,
      tsDiv: fast ? 10 ** exp : 0,
      tsMult: fast ? 10 ** (9 - exp) : 0,
      tsBigDiv: binary ? 1n << BigInt(exp) : 10n ** BigInt(exp),
      tsOffset,
      packets: 0,
    });
    this.allIfaces.push(this.ifaces[this.ifaces.length - 1]);
  }

  /** EPB (or the obsolete PB when `obsolete`): interface, 64-bit timestamp, lengths, data. */
  private packet(b: Uint8Array, dv: DataView, p: number, end: number, off: number, batch: PacketBatch, obsolete: boolean): void {
    const le = this.le;
    if (end - p < 20) {
      this.log.skipRecord(obsolete ? 'packet block too short' : 'enhanced packet block too short', off);
      return;
    }
    const ifid = obsolete ? u16(b, p, le) : u32(b, p, le);
    const st = ifid < this.ifaces.length ? this.ifaces[ifid] : undefined;
    if (st === undefined) {
      this.log.skipRecord('undefined interface', off, `packet for interface ${ifid}, which has no (valid) interface description block`);
      return;
    }
    const capLen = u32(b, p + 12, le);
    if (capLen > end - p - 20) {
      this.log.skipRecord('captured length exceeds block', off, `captured length ${capLen} exceeds the block's data area (${end - p - 20} bytes)`);
      return;
    }
    this.toTimestamp(st, u32(b, p + 4, le), u32(b, p + 8, le));
    this.emit(b, dv, p + 20, capLen, u32(b, p + 16, le), st, batch);
  }

  /** SPB: no timestamp and no interface id (interface 0); takes the previous packet's time. */
  private simplePacket(b: Uint8Array, dv: DataView, p: number, end: number, off: number, batch: PacketBatch): void {
    if (end - p < 4) {
      this.log.skipRecord('simple packet block too short', off);
      return;
    }
    const st = this.ifaces.length > 0 ? this.ifaces[0] : undefined;
    if (st === undefined) {
      this.log.skipRecord('undefined interface', off, 'simple packet block without an interface description block');
      return;
    }
    const orig = u32(b, p, this.le);
    let capLen = Math.min(orig, end - p - 4);
    if (st.snaplen !== 0 && capLen > st.snaplen) capLen = st.snaplen;
    this.log.warn('spb-time', 'simple packet blocks carry no timestamp: the previous packet\'s timestamp is used', off);
    this.outSec = this.lastSec;
    this.outNsec = this.lastNsec;
    this.emit(b, dv, p + 4, capLen, orig, st, batch);
  }

  private emit(b: Uint8Array, dv: DataView, data: number, capLen: number, wireLen: number, st: IfState, batch: PacketBatch): void {
    const row = batch.length;
    batch.tsSec[row] = this.lastSec = this.outSec;
    batch.tsNsec[row] = this.lastNsec = this.outNsec;
    batch.iface[row] = st.globalId;
    this.times.add(this.outSec, this.outNsec);
    st.packets++;
    batch.capLen[row] = capLen;
    batch.wireLen[row] = wireLen;
    decodeFrame(b, dv, data, capLen, st.linkType, batch, row);
    batch.length = row + 1;
  }

  /** 64-bit tick count (hi, lo) in the interface's resolution → outSec / outNsec. */
  private toTimestamp(st: IfState, hi: number, lo: number): void {
    const d = st.tsDiv;
    if (d !== 0) {
      let s: number;
      let r: number;
      if (hi < 0x200000) {
        // Below 2^53 ticks the float arithmetic is exact; fix the quotient's rounding.
        const t = hi * 4294967296 + lo;
        s = Math.floor(t / d);
        r = t - s * d;
      } else {
        // Long division by 16-bit limbs keeps every intermediate below 2^53 (d ≤ 1e9).
        const qh = Math.floor(hi / d);
        r = hi - qh * d;
        const mid = r * 65536 + (lo >>> 16);
        const q1 = Math.floor(mid / d);
        r = mid - q1 * d;
        const low = r * 65536 + (lo & 0xffff);
        const q0 = Math.floor(low / d);
        r = low - q0 * d;
        s = qh * 4294967296 + q1 * 65536 + q0;
      }
      if (r < 0) {
        s--;
        r += d;
      } else if (r >= d) {
        s++;
        r -= d;
      }
      this.outSec = s + st.tsOffset;
      this.outNsec = r * st.tsMult;
      return;
    }
    const t = (BigInt(hi) << 32n) | BigInt(lo);
    const div = st.tsBigDiv;
    this.outSec = Number(t / div) + st.tsOffset;
    this.outNsec = Number(((t % div) * 1_000_000_000n) / div);
  }
}
