/** Read a whole capture into memory for assertions (test files are small). */
import { PacketBatch, PAYLOAD_HEAD, PAYLOAD_TAIL } from '../../src/decode/batch.js';
import { CaptureReader, type ReadOptions } from '../../src/capture/reader.js';

export interface ReadAll {
  reader: CaptureReader;
  /** Every row of the file in one batch. */
  rows: PacketBatch;
}

export async function readAll(file: string, opts: ReadOptions = {}): Promise<ReadAll> {
  const reader = await CaptureReader.open(file, opts);
  const parts: PacketBatch[] = [];
  for await (const b of reader.batches()) parts.push(b.clone());
  const total = parts.reduce((n, b) => n + b.length, 0);
  const rows = new PacketBatch(Math.max(1, total));
  for (const b of parts) rows.appendRows(b, 0, b.length);
  return { reader, rows };
}

export function ipv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Columns whose bytes are valid only as far as payloadHeadLen says (compare with excerptOf). */
export const EXCERPT_COLUMNS = new Set(['payloadHead', 'payloadTail']);

/** The valid payload excerpt bytes of a row. */
export function excerptOf(b: PacketBatch, row: number): { head: number[]; tail: number[] } {
  const n = b.payloadHeadLen[row];
  const head = Array.from(b.payloadHead.subarray(row * PAYLOAD_HEAD, row * PAYLOAD_HEAD + n));
  const captured = Math.min(b.capLen[row] - b.payloadOffset[row], b.payloadLen[row]);
  const tail = n === PAYLOAD_HEAD && captured > PAYLOAD_HEAD ? Array.from(b.payloadTail.subarray(row * PAYLOAD_TAIL, (row + 1) * PAYLOAD_TAIL)) : [];
  return { head, tail };
}
