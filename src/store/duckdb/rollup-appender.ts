/**
 * Writes RollupRows into a rollup table through an Appender, filling data
 * chunks by memory copies, the source lists included (list entries and the
 * child vector are written directly: building them value by value cost more
 * than computing the rollup). Every copy goes through checkedCopy().
 */
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, type DuckDBAppender, LIST, TIMESTAMP, UBIGINT, UINTEGER, USMALLINT, UTINYINT } from '@duckdb/node-api';
import type { RollupRows } from '../rollup.js';
import { CHUNK_ROWS, checkedCopy, StoreWriteError } from './packet-appender.js';

/** Column order of the rollup tables (schema.ts). */
const TYPES = [TIMESTAMP, USMALLINT, UTINYINT, UTINYINT, UTINYINT, USMALLINT, USMALLINT, USMALLINT, UBIGINT, LIST(UINTEGER)];
const LIST_COLUMN = 9;

export class RollupAppender {
  private readonly chunk = DuckDBDataChunk.create(TYPES);
  private readonly vectors = TYPES.map((_, i) => duckdb.data_chunk_get_vector(this.chunk.chunk, i));
  private readonly s64 = new Uint32Array(CHUNK_ROWS * 2);
  private readonly entries = new Uint32Array(CHUNK_ROWS * 4);

  append(appender: DuckDBAppender, r: RollupRows): void {
    for (let at = 0; at < r.n; at += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, r.n - at);
      this.chunk.reset();
      const v = this.vectors;
      // bucket (µs) and packets as int64 words
      this.words64(r.bucketMs, at, n, 1000);
      checkedCopy(v[0], 0, 8, this.s64.buffer, 0, n * 8);
      const cols = [r.sensor, r.ipVersion, r.kind, r.proto, r.port, r.country, r.tools];
      cols.forEach((col, i) => checkedCopy(v[i + 1], 0, col.BYTES_PER_ELEMENT, col.buffer, col.byteOffset + at * col.BYTES_PER_ELEMENT, n * col.BYTES_PER_ELEMENT));
      this.words64(r.packets, at, n, 1);
      checkedCopy(v[8], 0, 8, this.s64.buffer, 0, n * 8);
      // list entries {offset u64, length u64}, offsets relative to this chunk's child vector
      const base = r.srcStart[at];
      const total = r.srcStart[at + n] - base;
      const e = this.entries;
      for (let i = 0; i < n; i++) {
        const off = r.srcStart[at + i] - base;
        e[4 * i] = off;
        e[4 * i + 1] = 0;
        e[4 * i + 2] = r.srcStart[at + i + 1] - r.srcStart[at + i];
        e[4 * i + 3] = 0;
      }
      checkedCopy(v[LIST_COLUMN], 0, 16, e.buffer, 0, n * 16);
      duckdb.list_vector_reserve(v[LIST_COLUMN], total);
      const child = duckdb.list_vector_get_child(v[LIST_COLUMN]);
      if (base + total > r.srcs.length) throw new StoreWriteError(`rollup sources out of range: ${base + total} of ${r.srcs.length}`);
      if (total > 0) duckdb.copy_data_to_vector(child, 0, r.srcs.buffer as ArrayBuffer, r.srcs.byteOffset + base * 4, total * 4);
      duckdb.list_vector_set_size(v[LIST_COLUMN], total);
      this.chunk.rowCount = n;
      appender.appendDataChunk(this.chunk);
    }
  }

  /** Non-negative integers (< 2^53) × scale as little-endian int64 words. */
  private words64(src: Float64Array, at: number, n: number, scale: number): void {
    const s = this.s64;
    for (let i = 0; i < n; i++) {
      const x = src[at + i] * scale;
      s[2 * i] = x >>> 0;
      s[2 * i + 1] = Math.floor(x / 4294967296);
    }
  }
}
