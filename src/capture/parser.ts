/**
 * The contract between the capture reader (I/O, buffering) and the format
 * parsers (pcap, pcapng): a parser consumes whole records from a window of
 * bytes and writes one PacketBatch row per packet record.
 */
import type { PacketBatch } from '../decode/batch.js';
import type { TimeRange } from './time.js';

export const enum ParseStatus {
  /** The batch is full; call again with a fresh batch. */
  FULL = 0,
  /** The window holds no complete record; `need` bytes from window.pos are required. */
  MORE = 1,
  /** Reading must stop: a fatal problem was logged. */
  STOP = 2,
}

/** A slice of the byte stream: buf[pos, end) is unread; base is the stream offset of buf[0]. */
export interface Window {
  buf: Uint8Array;
  /** DataView over buf (same offsets): one load per 16/32-bit field. */
  view: DataView;
  pos: number;
  end: number;
  base: number;
}

export interface RecordParser {
  /** Bytes needed from window.pos when parse() returned MORE. */
  need: number;
  /** Time range of the packets parsed so far. */
  readonly times: TimeRange;
  /** Packets per global interface id. */
  packetsByInterface(): Map<number, number>;
  parse(w: Window, batch: PacketBatch): ParseStatus;
}

/**
 * Largest record or block accepted (16 MiB, as libpcap's pcapng reader).
 * Larger length fields are treated as corruption: they would make a hostile
 * file allocate without bound.
 */
export const MAX_RECORD = 16 * 1024 * 1024;
