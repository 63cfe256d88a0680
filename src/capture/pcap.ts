/**
 * Classic pcap (libpcap savefile): µs and ns magics, both byte orders,
 * versions 2.x (2.2 and older with the caplen/len fields swapped, as libpcap
 * handles them), the link-type field's FCS bits, and Kuznetzov's modified
 * format (a1b2cd34: 8 extra bytes per record header).
 * https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
 */
import { type PacketBatch } from '../decode/batch.js';
import { decodeFrame } from '../decode/frame.js';
import type { CaptureLog } from './log.js';
import { MAX_SNAPLEN } from './linktypes.js';
import { MAX_RECORD, ParseStatus, type RecordParser, type Window } from './parser.js';
import { TimeRange } from './time.js';

export interface PcapHeader {
  littleEndian: boolean;
  nanosecond: boolean;
  /** Kuznetzov / Alexey's patched libpcap format: 24-byte record headers. */
  modified: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
  /** FCS bytes per frame when the link-type field says so, else null. */
  fcsLength: number | null;
}

export const PCAP_HEADER_LEN = 24;

/** Magic as read big-endian from the first 4 bytes → [littleEndian, nanosecond, modified]. */
const MAGICS: Record<number, [boolean, boolean, boolean]> = {
  0xa1b2c3d4: [false, false, false],
  0xd4c3b2a1: [true, false, false],
  0xa1b23c4d: [false, true, false],
  0x4d3cb2a1: [true, true, false],
  0xa1b2cd34: [false, false, true],
  0x34cdb2a1: [true, false, true],
};

export function isPcapMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  return MAGICS[((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0] !== undefined;
}

function u32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}

/** Parse the 24-byte file header. Returns an error message when the file cannot be read at all. */
export function parsePcapHeader(b: Uint8Array): PcapHeader | string {
  if (b.length < PCAP_HEADER_LEN) return `file header truncated (${b.length} of ${PCAP_HEADER_LEN} bytes)`;
  const m = MAGICS[((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0];
  if (!m) return 'not a pcap file';
  const [le, ns, modified] = m;
  const versionMajor = u16(b, 4, le);
  const versionMinor = u16(b, 6, le);
  if (versionMajor < 2) return `archaic pcap format version ${versionMajor}.${versionMinor} not supported`;
  if (versionMajor > 2) return `unsupported pcap version ${versionMajor}.${versionMinor}`;
  const snaplen = u32(b, 16, le);
  const field = u32(b, 20, le);
  // Bits 16-25 are reserved and must be zero (libpcap, Wireshark and the pcap draft agree).
  const reserved = field & 0x03ff0000;
  if (reserved !== 0) return `link-type field has reserved bits set (0x${(field >>> 0).toString(16).padStart(8, '0')})`;
  const fcsLength = field & 0x04000000 ? ((field >>> 28) & 0xf) * 2 : null;
  return { littleEndian: le, nanosecond: ns, modified, versionMajor, versionMinor, snaplen, linkType: field & 0xffff, fcsLength };
}

const enum LengthOrder {
  NORMAL = 0,
  /** Versions before 2.3 wrote len before caplen. */
  SWAPPED = 1,
  /** Version 2.3 files may be either: swap when caplen > len (libpcap's rule). */
  MAYBE = 2,
}

export class PcapParser implements RecordParser {
  need = 16;
  readonly times = new TimeRange();
  private packets = 0;
  private readonly le: boolean;
  private readonly fracToNs: number;
  private readonly fracPerSec: number;
  private readonly recHdr: number;
  private readonly lengthOrder: LengthOrder;
  private readonly snaplen: number;

  constructor(
    private readonly hdr: PcapHeader,
    private readonly ifaceId: number,
    private readonly log: CaptureLog,
  ) {
    this.le = hdr.littleEndian;
    this.fracToNs = hdr.nanosecond ? 1 : 1000;
    this.fracPerSec = hdr.nanosecond ? 1e9 : 1e6;
    this.recHdr = hdr.modified ? 24 : 16;
    this.lengthOrder = hdr.versionMinor < 3 ? LengthOrder.SWAPPED : hdr.versionMinor === 3 ? LengthOrder.MAYBE : LengthOrder.NORMAL;
    // libpcap: a snaplen of 0 or beyond the maximum means "the maximum".
    this.snaplen = hdr.snaplen === 0 || hdr.snaplen > MAX_SNAPLEN ? MAX_SNAPLEN : hdr.snaplen;
    if (hdr.versionMinor > 4) log.warn('version', `pcap version 2.${hdr.versionMinor} is newer than 2.4; read as 2.4`, 4);
  }

  parse(w: Window, batch: PacketBatch): ParseStatus {
    const b = w.buf;
    const dv = w.view;
    const end = w.end;
    const le = this.le;
    const recHdr = this.recHdr;
    const linkType = this.hdr.linkType;
    const iface = this.ifaceId;
    const fracToNs = this.fracToNs;
    const fracPerSec = this.fracPerSec;
    const cap = batch.capacity;
    const tsSec = batch.tsSec;
    const tsNsec = batch.tsNsec;
    const ifaceCol = batch.iface;
    const capLenCol = batch.capLen;
    const wireLenCol = batch.wireLen;
    const times = this.times;
    const lengthOrder = this.lengthOrder;
    const snaplen = this.snaplen;
    let pos = w.pos;
    const row0 = batch.length;
    let row = row0;
    while (row < cap) {
      if (end - pos < recHdr) {
        this.need = recHdr;
        break;
      }
      let sec = dv.getUint32(pos, le);
      let frac = dv.getUint32(pos + 4, le);
      let incl = dv.getUint32(pos + 8, le);
      let orig = dv.getUint32(pos + 12, le);
      if (lengthOrder !== LengthOrder.NORMAL && (lengthOrder === LengthOrder.SWAPPED || incl > orig)) {
        const t = incl;
        incl = orig;
        orig = t;
      }
      if (incl > snaplen) {
        if (incl > MAX_RECORD) {
          this.log.fatal(`record claims ${incl} captured bytes (limit ${MAX_RECORD}): file is corrupt from here`, w.base + pos);
          w.pos = pos;
          batch.length = row;
          this.packets += row - row0;
          return ParseStatus.STOP;
        }
        this.noteLongRecord(incl, w.base + pos);
      }
      const total = recHdr + incl;
      if (end - pos < total) {
        this.need = total;
        break;
      }
      if (frac >= fracPerSec) {
        // Out-of-range fraction (seen in fuzzed files): carry into seconds rather than lose it.
        sec += Math.floor(frac / fracPerSec);
        frac %= fracPerSec;
      }
      const nsec = frac * fracToNs;
      tsSec[row] = sec;
      tsNsec[row] = nsec;
      times.add(sec, nsec);
      ifaceCol[row] = iface;
      capLenCol[row] = incl;
      wireLenCol[row] = orig;
      decodeFrame(b, dv, pos + recHdr, incl, linkType, batch, row);
      row++;
      pos += total;
    }
    w.pos = pos;
    batch.length = row;
    this.packets += row - row0;
    return row >= cap ? ParseStatus.FULL : ParseStatus.MORE;
  }

  packetsByInterface(): Map<number, number> {
    return new Map([[this.ifaceId, this.packets]]);
  }

  private noteLongRecord(incl: number, offset: number): void {
    if (incl > MAX_SNAPLEN) {
      this.log.warn('oversize', `record of ${incl} bytes exceeds ${MAX_SNAPLEN} (libpcap and Wireshark stop here; darkscope reads it)`, offset);
    } else {
      this.log.warn('caplen>snaplen', `record of ${incl} bytes is longer than the snap length ${this.hdr.snaplen}`, offset);
    }
  }
}
