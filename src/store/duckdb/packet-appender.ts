/**
 * PacketAppender: rows of PacketBatches into the packets table.
 *
 * Rows are copied into a compact staging group (the stored columns only, about
 * 70 bytes a row against a batch's 300), and `INSERT INTO packets SELECT * FROM
 * darkscope_feed(id)` drains the group: DuckDB calls the table function for
 * each 2048-row data chunk, from two of its threads, and this thread only
 * copies staged memory into the vectors. Measured here (28 columns, 4 M rows):
 * an Appender's appendDataChunk took 0.5 µs a row on this thread; the feed,
 * 3.6 M rows/s with groups of three row groups (368,640 rows), which DuckDB
 * writes to the file as they come, but 1.4–2.6 M/s with smaller groups, which it
 * keeps in memory until the commit — hence the group size.
 *
 * The copies into DuckDB vectors are raw memcpy without bounds checks in the
 * binding, so every one goes through checkedCopy(), which checks the source
 * range, the element size and the row count first.
 */
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, type DuckDBAppender, type DuckDBConnection, type DuckDBType, DuckDBTableFunction, UTINYINT, USMALLINT, UINTEGER, UBIGINT, UHUGEINT, TIMESTAMP_NS } from '@duckdb/node-api';
import type { ColumnName, PacketBatch } from '../../decode/batch.js';
import { hash128 } from '../../stats/distinct.js';
import { PACKET_COLUMNS, RAW_COLUMNS, SQL_TYPE_BYTES, V6_COLUMNS, type SqlType } from '../columns.js';

/** Rows per DuckDB data chunk (DuckDB's STANDARD_VECTOR_SIZE). */
export const CHUNK_ROWS = 2048;
/** DuckDB's row group size: INSERTs of whole row groups avoid merging partial ones. */
export const ROW_GROUP_ROWS = 122_880;
/** Rows staged per INSERT: three row groups (two measured 2.6 M rows/s and kept them in memory; three, 3.6 M/s, written optimistically). */
export const GROUP_ROWS = 3 * ROW_GROUP_ROWS;

const TYPES: Record<SqlType, DuckDBType> = { UTINYINT, USMALLINT, UINTEGER, UBIGINT, UHUGEINT, TIMESTAMP_NS };

/** Largest ns timestamp DuckDB's TIMESTAMP_NS holds (2262-04-11); later capture times are clamped and counted. */
const MAX_TS_SEC = 9_223_372_035;

export class StoreWriteError extends Error {}

/**
 * Copy `bytes` bytes of `src` from `srcOffset` into row `row` of `vector`, whose elements are `elemBytes` wide.
 * Refuses anything that would read outside the source or write past the chunk.
 */
export function checkedCopy(vector: duckdb.Vector, row: number, elemBytes: number, src: ArrayBufferLike, srcOffset: number, bytes: number): void {
  if (!Number.isInteger(srcOffset) || !Number.isInteger(bytes) || srcOffset < 0 || bytes < 0 || srcOffset + bytes > src.byteLength)
    throw new StoreWriteError(`copy outside the source buffer: ${bytes} bytes at ${srcOffset} of ${src.byteLength}`);
  if (bytes % elemBytes !== 0) throw new StoreWriteError(`copy of ${bytes} bytes is not a whole number of ${elemBytes}-byte values`);
  if (!Number.isInteger(row) || row < 0 || row + bytes / elemBytes > CHUNK_ROWS) throw new StoreWriteError(`copy past the data chunk: rows ${row}..${row + bytes / elemBytes} of ${CHUNK_ROWS}`);
  if (bytes === 0) return;
  duckdb.copy_data_to_vector(vector, row * elemBytes, src as ArrayBuffer, srcOffset, bytes);
}

/** What an append saw that was not stored as captured. */
export interface AppendCounters {
  /** Capture times outside DuckDB's TIMESTAMP_NS range (before 1970 or after 2262), stored clamped. */
  clampedTimestamps: number;
}

type Typed = Uint8Array | Uint16Array | Uint32Array;

/** Staged rows of one chunk: one typed array per stored column (64-bit values as two u32 words). */
export class StagingGroup {
  readonly cols: Typed[];
  n = 0;
  /** Record number of the first row: the rows are consecutive records of one file. */
  firstRec = 0;
  /** Next row the table function hands out. */
  drained = 0;

  constructor(readonly capacity: number) {
    this.cols = RAW_COLUMNS.map((c) => {
      const bytes = SQL_TYPE_BYTES[c.type];
      if (c.from === 'file' || c.from === 'rec') return new Uint8Array(0); // made when drained
      return bytes === 8 ? new Uint32Array(capacity * 2) : bytes === 4 ? new Uint32Array(capacity) : bytes === 2 ? new Uint16Array(capacity) : new Uint8Array(capacity);
    });
  }
}

/**
 * Staging groups shared by the chunks being written: one fills while the one before is
 * inserted (a third, for the previous chunk's last group, measured no faster and cost 30 MB).
 */
export class StagingPool {
  private readonly free: StagingGroup[];
  private readonly waiting: ((g: StagingGroup) => void)[] = [];

  constructor(count = 2, rows = GROUP_ROWS) {
    this.free = Array.from({ length: count }, () => new StagingGroup(rows));
  }

  async acquire(): Promise<StagingGroup> {
    const g = this.free.pop();
    if (g) {
      g.n = 0;
      return g;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(g: StagingGroup): void {
    g.n = 0;
    const w = this.waiting.shift();
    if (w) w(g);
    else this.free.push(g);
  }
}

/** The bit layout stage() writes for packed_a / packed_b: checked against columns.ts once, at load. */
const PACKED_LAYOUT: Record<string, [string, number, number]> = {
  tags: ['a', 0, 4], response: ['a', 4, 4], kind: ['a', 8, 4], tcp_flags: ['a', 12, 12], ttl: ['a', 24, 8],
  proto: ['a', 32, 8], ip_version: ['a', 40, 8], sensor: ['a', 48, 16],
  src_scope: ['b', 0, 8], victim_proto: ['b', 8, 8], icmp_type: ['b', 16, 8],
};
for (const c of PACKET_COLUMNS) {
  if (!c.packed) continue;
  const l = PACKED_LAYOUT[c.name];
  if (!l || l[0] !== c.packed.word || l[1] !== c.packed.shift || l[2] !== c.packed.bits) throw new Error(`packed column ${c.name}: columns.ts and packet-appender.ts disagree`);
}

/** Feeds by id, for the table function (registered once per connection). */
const feeds = new Map<number, PacketAppender>();
let nextFeedId = 1;

/** Register darkscope_feed on a connection (outside any transaction: a registration inside one is rolled back with it). */
export function registerFeedFunction(conn: DuckDBConnection): void {
  const fn = DuckDBTableFunction.create({
    name: 'darkscope_feed',
    parameterTypes: [UINTEGER],
    bindFunction: (bi) => {
      for (const c of RAW_COLUMNS) bi.addResultColumn(c.name, TYPES[c.type]);
      bi.setBindData({ id: Number(bi.getParameter(0)) });
    },
    // One inserting thread: with two, DuckDB's threads and this one (which serves the callbacks) contend for two cores (14.4 s against 11.3 s for 10M packets here).
    initFunction: (ii) => ii.setMaxThreads(1),
    mainFunction: (fi, out) => {
      const feed = feeds.get((fi.bindData as { id: number }).id);
      try {
        if (!feed) throw new StoreWriteError('no such feed');
        feed.produce(out);
      } catch (e) {
        out.rowCount = 0;
        fi.setError(`darkscope_feed: ${(e as Error).message}`);
      }
    },
  });
  conn.registerTableFunction(fn);
}

export class PacketAppender {
  private readonly v6Chunk: DuckDBDataChunk;
  private readonly v6Vectors: duckdb.Vector[];
  /** Scratch for made columns: two u32 words per 64-bit value, four per 128-bit one. */
  private readonly s64 = new Uint32Array(CHUNK_ROWS * 2);
  private readonly s128 = new Uint32Array(CHUNK_ROWS * 4);
  private readonly s32 = new Uint32Array(CHUNK_ROWS);
  private readonly v6Rows = new Int32Array(CHUNK_ROWS);
  readonly counters: AppendCounters = { clampedTimestamps: 0 };
  private readonly id = nextFeedId++;
  /** The group being filled (null until the first row). */
  private filling: StagingGroup | null = null;
  private draining: StagingGroup | null = null;
  private inserting: Promise<void> = Promise.resolve();
  private failed: unknown = null;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly fileId: number,
    private readonly v6Appender: DuckDBAppender,
    private readonly pool: StagingPool,
  ) {
    feeds.set(this.id, this);
    this.v6Chunk = DuckDBDataChunk.create(V6_COLUMNS.map((c) => TYPES[c.type]));
    this.v6Vectors = V6_COLUMNS.map((_, i) => duckdb.data_chunk_get_vector(this.v6Chunk.chunk, i));
  }

  /**
   * Copy rows [from, to) of `batch`, the first being record `rec`; the batch is free again
   * when this returns (its promise only paces the caller while DuckDB catches up).
   */
  async append(batch: PacketBatch, from: number, to: number, rec: number): Promise<void> {
    if (this.failed) throw this.failed;
    if (from < 0 || to > batch.length || from > to) throw new StoreWriteError(`rows ${from}..${to} outside the batch of ${batch.length}`);
    if (batch.hasV6) for (let at = from; at < to; at += CHUNK_ROWS) this.appendV6(batch, at, Math.min(CHUNK_ROWS, to - at), rec + (at - from));
    while (from < to) {
      const g = (this.filling ??= await this.pool.acquire());
      if (g.n === 0) g.firstRec = rec;
      const n = Math.min(to - from, g.capacity - g.n);
      this.stage(g, batch, from, n);
      from += n;
      rec += n;
      if (g.n === g.capacity) {
        const before = this.inserting;
        this.flush();
        await before; // at most one group waits while one is inserted
      }
    }
  }

  /** Start the INSERT of the filling group; the other group becomes the filling one. */
  private flush(): void {
    const g = this.filling;
    if (!g || g.n === 0) return;
    this.filling = null;
    const prev = this.inserting;
    this.inserting = (async () => {
      await prev;
      this.draining = g;
      g.drained = 0;
      try {
        await this.conn.run('INSERT INTO packets_raw SELECT * FROM darkscope_feed(CAST($1 AS UINTEGER))', [this.id]);
        if (g.drained !== g.n) throw new StoreWriteError(`INSERT stopped early: ${g.drained} of ${g.n} rows`);
      } catch (e) {
        this.failed ??= e;
        throw e;
      } finally {
        this.draining = null;
        this.pool.release(g);
      }
    })();
    this.inserting.catch(() => undefined); // awaited by append() / finish()
  }

  /** Store everything staged; resolves when it is in the transaction. */
  async finish(): Promise<void> {
    this.flush();
    try {
      await this.inserting;
    } finally {
      feeds.delete(this.id);
    }
    this.v6Appender.closeSync();
  }

  /** Give up (the transaction is rolled back). */
  async abandon(): Promise<void> {
    if (this.filling) this.pool.release(this.filling);
    this.filling = null;
    await this.inserting.catch(() => undefined);
    feeds.delete(this.id);
    try {
      this.v6Appender.closeSync();
    } catch {
      // rolled back anyway
    }
  }

  /** The table function's body: the next ≤ 2048 staged rows (0 = done). Calls from DuckDB's threads are serialised on this thread. */
  produce(out: DuckDBDataChunk): void {
    const g = this.draining;
    const at = g ? g.drained : 0;
    const n = g ? Math.min(CHUNK_ROWS, g.n - at) : 0;
    out.rowCount = n;
    if (!g || n === 0) return;
    g.drained = at + n;
    const cols = RAW_COLUMNS;
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c];
      const vec = duckdb.data_chunk_get_vector(out.chunk, c);
      const bytes = SQL_TYPE_BYTES[col.type];
      if (col.from === 'file') {
        this.s32.fill(this.fileId >>> 0, 0, n);
        checkedCopy(vec, 0, 4, this.s32.buffer, 0, n * 4);
      } else if (col.from === 'rec') {
        const s = this.s64;
        for (let i = 0; i < n; i++) {
          const r = g.firstRec + at + i;
          s[2 * i] = r >>> 0;
          s[2 * i + 1] = Math.floor(r / 4294967296);
        }
        checkedCopy(vec, 0, 8, s.buffer, 0, n * 8);
      } else {
        const a = g.cols[c];
        checkedCopy(vec, 0, bytes, a.buffer, a.byteOffset + at * bytes, n * bytes);
      }
    }
  }

  /** Copy n rows of a batch into the group's columns. */
  private stage(g: StagingGroup, b: PacketBatch, from: number, n: number): void {
    const at = g.n;
    const cols = RAW_COLUMNS;
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c];
      const dst = g.cols[c];
      switch (col.from) {
        case 'file':
        case 'rec':
          break;
        case 'ts':
          this.stageTimestamps(dst as Uint32Array, at, b, from, n);
          break;
        case 'packA': {
          // Must match the bit layout in columns.ts (packed: word a); low word then high word.
          const d = dst as Uint32Array;
          const { tags, response, kind, tcpFlags, ttl, proto, ipVersion, sensor } = b;
          for (let i = 0; i < n; i++) {
            const r = from + i;
            d[2 * (at + i)] = (tags[r] | (response[r] << 4) | (kind[r] << 8) | ((tcpFlags[r] & 0xfff) << 12) | (ttl[r] << 24)) >>> 0;
            d[2 * (at + i) + 1] = (proto[r] | (ipVersion[r] << 8) | (sensor[r] << 16)) >>> 0;
          }
          break;
        }
        case 'packB': {
          const d = dst as Uint32Array;
          const { srcScope, victimProto, icmpType } = b;
          for (let i = 0; i < n; i++) {
            const r = from + i;
            d[at + i] = (srcScope[r] | (victimProto[r] << 8) | (icmpType[r] << 16)) >>> 0;
          }
          break;
        }
        case 'srcKey': {
          const s = dst as Uint32Array;
          s.set(b.src.subarray(from, from + n), at);
          if (b.hasV6) {
            const ipv = b.ipVersion;
            const s6 = b.src6;
            for (let i = 0; i < n; i++) {
              const r = from + i;
              if (ipv[r] === 6) s[at + i] = hash128(s6[4 * r], s6[4 * r + 1], s6[4 * r + 2], s6[4 * r + 3]);
            }
          }
          break;
        }
        default: {
          const src = b.column(col.from as ColumnName) as Typed;
          if (src.BYTES_PER_ELEMENT !== dst.BYTES_PER_ELEMENT) throw new StoreWriteError(`column ${col.name}: batch has ${src.BYTES_PER_ELEMENT}-byte values, ${col.type} needs ${dst.BYTES_PER_ELEMENT}`);
          (dst as Uint32Array).set(src.subarray(from, from + n) as Uint32Array, at);
        }
      }
    }
    g.n += n;
  }

  /** ns since the epoch as int64 words, exactly: sec * 1e9 exceeds 2^53, so the product is split. */
  private stageTimestamps(s: Uint32Array, at: number, b: PacketBatch, from: number, n: number): void {
    const secs = b.tsSec;
    const nsecs = b.tsNsec;
    for (let i = 0; i < n; i++) {
      let sec = secs[from + i];
      let nsec = nsecs[from + i];
      if (!(sec >= 0 && sec <= MAX_TS_SEC)) {
        this.counters.clampedTimestamps++;
        sec = sec > MAX_TS_SEC ? MAX_TS_SEC : 0;
        nsec = 0;
      }
      // sec = sh·2^16 + sl; sec·1e9 = (sh·1e9)·2^16 + sl·1e9, and sh·1e9 = xh·2^16 + xl.
      const sh = Math.floor(sec / 65536);
      const sl = sec - sh * 65536;
      const x = sh * 1e9;
      const xh = Math.floor(x / 65536);
      const xl = x - xh * 65536;
      let low = xl * 65536 + sl * 1e9 + nsec; // < 2^53: exact
      const carry = Math.floor(low / 4294967296);
      low -= carry * 4294967296;
      s[2 * (at + i)] = low;
      s[2 * (at + i) + 1] = xh + carry;
    }
  }

  /** packets_v6 rows for the IPv6 rows among [at, at + n): gathered, so the IPv4 majority costs nothing here. */
  private appendV6(b: PacketBatch, at: number, n: number, rec: number): void {
    const rowsV6 = this.v6Rows;
    const ipv = b.ipVersion;
    let m = 0;
    for (let i = 0; i < n; i++) if (ipv[at + i] === 6) rowsV6[m++] = at + i;
    if (m === 0) return;
    for (let c = 0; c < V6_COLUMNS.length; c++) {
      const col = V6_COLUMNS[c];
      const vec = this.v6Vectors[c];
      if (col.from === 'file') {
        this.s32.fill(this.fileId >>> 0, 0, m);
        checkedCopy(vec, 0, 4, this.s32.buffer, 0, m * 4);
      } else if (col.from === 'rec') {
        const s = this.s64;
        for (let j = 0; j < m; j++) {
          const r = rec + (rowsV6[j] - at);
          s[2 * j] = r >>> 0;
          s[2 * j + 1] = Math.floor(r / 4294967296);
        }
        checkedCopy(vec, 0, 8, s.buffer, 0, m * 8);
      } else {
        // Batch: four big-endian words, most significant first; DuckDB's UHUGEINT: lower u64 then upper u64, little-endian.
        const w = b.column(col.from as ColumnName) as Uint32Array;
        const s = this.s128;
        const written = col.from === 'victim6' ? b.hasVictim6 : true;
        for (let j = 0; j < m; j++) {
          const r = rowsV6[j] * 4;
          s[4 * j] = written ? w[r + 3] : 0;
          s[4 * j + 1] = written ? w[r + 2] : 0;
          s[4 * j + 2] = written ? w[r + 1] : 0;
          s[4 * j + 3] = written ? w[r] : 0;
        }
        checkedCopy(vec, 0, 16, s.buffer, 0, m * 16);
      }
    }
    this.v6Chunk.rowCount = m;
    this.v6Appender.appendDataChunk(this.v6Chunk);
  }
}
