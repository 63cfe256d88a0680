/**
 * DuckDbStore: the embedded default Store, one DuckDB file per observatory.
 *
 * Exactly-once: a chunk's packets, its rollup deltas and the ledger's new
 * position are written in one transaction (the Appender writes inside the
 * connection's open transaction), so a process killed at any moment leaves
 * either all of a chunk or none of it. DuckDB locks the file for one writer:
 * a second process gets StoreError('locked') with the holder's PID.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampValue, listValue } from '@duckdb/node-api';
import { formatIPv4, formatIPv6 } from '../../config/cidr.js';
import type { PacketBatch } from '../../decode/batch.js';
import { packCountry, unpackCountry } from '../../enrich/country.js';
import { serviceLabel } from '../../enrich/services.js';
import { KIND_RULES, TAG_RULES, TOOL_RULES, TrafficKind } from '../../classify/rules.js';
import { compileFilter, type Dialect, type FilterExpr } from '../filter.js';
import { AddressMatcher } from '../event-match.js';
import {
  type ChunkTransaction,
  type ExportFormat,
  type LedgerEntry,
  type NewFile,
  type ChunkRollups,
  type CommitOptions,
  type EventQuery,
  type StoredEvent,
  type MiraiDay,
  type ReportDay,
  type SpoofedBucket,
  type Totals,
  type ActivityQuery,
  type ActivityRow,
  type EventType,
  type SpoofEvidence,
  type SeriesQuery,
  type SeriesRow,
  type SqlResult,
  type Store,
  StoreError,
  type StoredDarknet,
  type TopQuery,
  type TopRow,
  type Selection,
} from '../store.js';
import { GROUP_ROWS, PacketAppender, registerFeedFunction, StagingPool } from './packet-appender.js';
import { RollupAppender } from './rollup-appender.js';
import type { RollupRows } from '../rollup.js';
import { DAY_SUMMARIES, MIGRATIONS, ROLLUP_KEY, ROLLUP_LEVELS, SCHEMA_VERSION, SourceFlag, summaryInserts } from './schema.js';

export const DEFAULT_DB_PATH = './darkscope.duckdb';
/** DuckDB's memory limit (buffer pool, hash tables); ingest's peak RSS target is 500 MB in all. */
export const DEFAULT_MEMORY_LIMIT = process.env.DARKSCOPE_DUCKDB_MEMORY ?? '96MB';
/** For read-only opens (queries, export): list merges cannot spill, and no ingest shares the process. */
export const QUERY_MEMORY_LIMIT = process.env.DARKSCOPE_DUCKDB_QUERY_MEMORY ?? '1GB';

export interface OpenOptions {
  readOnly?: boolean;
  /** Allow COPY TO / reading files from SQL (export needs it; the analysts' `sql` command does not get it). */
  externalAccess?: boolean;
  memoryLimit?: string;
  /** DuckDB worker threads (default: all cores). */
  threads?: number;
  /** Answer from the day summaries where they cover a selection (default true; false: the rollups only, the reference the tests and benchmark compare with). */
  summaries?: boolean;
}

/** Translate DuckDB's open errors into what the user should know. */
function openError(path: string, e: unknown): StoreError {
  const m = e instanceof Error ? e.message : String(e);
  const lock = /Could not set lock on file[\s\S]*?(?:PID (\d+))?/.exec(m);
  if (lock) {
    const pid = /PID (\d+)/.exec(m)?.[1];
    return new StoreError('locked', `database ${path} is in use by another process${pid ? ` (PID ${pid})` : ''}: DuckDB allows one writer; wait for it to finish or use another --db`);
  }
  if (/not a valid DuckDB database|Corrupt|corrupt|checksum|Invalid Input Error: The file|IO Error: .*(magic|header|version)|Serialization Error|INTERNAL Error/i.test(m))
    return new StoreError('corrupt', `database ${path} is not a readable DuckDB database (corrupt or not a darkscope store): ${m.split('\n')[0].slice(0, 300)}`);
  if (/No such file|does not exist/i.test(m)) return new StoreError('missing', `database ${path} does not exist (run darkscope ingest first)`);
  return new StoreError('corrupt', `cannot open database ${path}: ${m.split('\n')[0].slice(0, 300)}`);
}

const duckDialect = (params: DuckDBValue[]): Dialect => ({
  param(value, type) {
    if (type === 'TIMESTAMP') {
      params.push(new DuckDBTimestampValue(BigInt(Math.round(Date.parse(String(value)) * 1000))));
      return `$${params.length}`;
    }
    if (type === 'UHUGEINT') {
      // As decimal text: a bigint binds as HUGEINT, which cannot hold addresses from 2^127 (fe80::, ff00::…).
      params.push(BigInt(value).toString());
      return `CAST($${params.length} AS UHUGEINT)`;
    }
    params.push(typeof value === 'bigint' ? value : BigInt(value));
    return `CAST($${params.length} AS ${type})`;
  },
});

/** Rows of a query as plain objects with bigint → number (counts here stay far below 2^53). */
/** A port key as top() writes it ('23/tcp', '53/udp', '0/1') → a bound "(port, proto)" pair. */
function portPair(key: string, d: Dialect): string {
  const m = /^(\d+)\/(tcp|udp|\d+)$/.exec(key);
  if (!m) throw new StoreError('query', `not a port key: ${JSON.stringify(key.slice(0, 20))}`);
  return `(${d.param(Number(m[1]), 'UINTEGER')}, ${d.param(m[2] === 'tcp' ? 6 : m[2] === 'udp' ? 17 : Number(m[2]), 'UINTEGER')})`;
}

async function rows(c: DuckDBConnection, sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
  const r = await c.runAndReadAll(sql, params);
  const names = r.columnNames();
  return r.getRows().map((row) => Object.fromEntries(row.map((v, i) => [names[i], typeof v === 'bigint' ? Number(v) : v])));
}

const KEY = ROLLUP_KEY.join(', ');
const DAY_MS = 86_400_000;
/** Day summaries: days rebuilt per transaction (a week of a large telescope's day rows). */
const SUMMARY_DAYS = 7;
/** Compaction partitions: at most this many source-list elements / keys merged at once (≈ 10 MB of list states). */
const COMPACT_ELEMENTS = 500_000;
const COMPACT_KEYS = 50_000;
/** The rollup port: the probe's destination port; for backscatter the victim's port (the attacked service). */
const PORT_EXPR = 'CASE WHEN kind = 4 THEN victim_port WHEN proto IN (6, 17) AND kind <> 0 THEN dport ELSE 0 END';
const SOURCES_AGG = 'coalesce(list_sort(list(DISTINCT src) FILTER (WHERE ip_version <> 0)), []::UINTEGER[])';
const MERGE_SOURCES = 'list_sort(list_distinct(flatten(list(sources))))';

/** A selection's sensor, kind and protocol filters as bound SQL conditions (every table has those columns). */
function filterConds(sel: Selection, d: Dialect): string[] {
  const conds: string[] = [];
  const list = (xs: readonly number[]) => xs.map((x) => d.param(x, 'UINTEGER')).join(', ');
  if (sel.sensors?.length) conds.push(`sensor IN (${list(sel.sensors)})`);
  if (sel.kinds?.length) conds.push(`kind IN (${list(sel.kinds)})`);
  if (sel.protos?.length) conds.push(`proto IN (${list(sel.protos)})`);
  return conds;
}

/** A whole-day selection's range on a day summary's `day` column (TRUE when unbounded). */
function dayConds(sel: Selection, d: Dialect): string[] {
  const day = (ms: number) => `CAST(${d.param(new Date(ms).toISOString(), 'TIMESTAMP')} AS DATE)`;
  const conds = ['TRUE'];
  if (sel.from !== undefined) conds.push(`day >= ${day(sel.from)}`);
  if (sel.to !== undefined) conds.push(`day < ${day(sel.to)}`);
  return conds;
}

/**
 * The day_sources flags that stand for a kind filter: undefined → 0 (every source); a union of
 * whole groups (probe kinds, backscatter, other) → their flags; anything else → null (the
 * summary cannot answer it).
 */
function kindFlags(kinds: readonly number[] | undefined): number | null {
  if (!kinds?.length) return 0;
  const set = new Set(kinds);
  const K = TrafficKind;
  const groups: [number[], number][] = [
    [[K.TCP_SYN, K.UDP, K.ICMP_ECHO, K.TCP_OTHER], SourceFlag.PROBE],
    [[K.BACKSCATTER], SourceFlag.BACKSCATTER],
    [[K.OTHER], SourceFlag.OTHER],
  ];
  if ([...set].some((k) => !groups.some(([g]) => g.includes(k)))) return null;
  let flags = 0;
  for (const [g, f] of groups) {
    const n = g.filter((k) => set.has(k)).length;
    if (n === g.length) flags |= f;
    else if (n > 0) return null;
  }
  return flags;
}

/** packets rows → rollup rows at one level (unit), for a WHERE clause on packets. */
function rollupFromPackets(unit: string, where: string): string {
  return `SELECT date_trunc('${unit}', ts::TIMESTAMP) AS bucket, sensor, ip_version, kind, proto, ${PORT_EXPR} AS port, src_country AS country, tools,
    count(*)::UBIGINT AS packets, ${SOURCES_AGG} AS sources
    FROM packets WHERE ${where} GROUP BY ALL`;
}

export class DuckDbStore implements Store {
  /**
   * Records per ingest chunk: three of DuckDB's insert groups (1,105,920), so every INSERT
   * is whole row groups (written to the file as they come, not held until the commit).
   */
  readonly chunkRecords = 3 * GROUP_ROWS;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly readOnly: boolean,
    /** The limit asked for at open (kept whatever the workload), or null for the defaults. */
    private readonly memoryLimit: string | null = null,
    private readonly summaries = true,
  ) {}

  /** The workload set last (the memory limit DuckDB has now). */
  private workload: 'ingest' | 'query' = 'ingest';

  async setWorkload(w: 'ingest' | 'query'): Promise<void> {
    this.workload = w;
    const limit = this.memoryLimit ?? (w === 'query' || this.readOnly ? QUERY_MEMORY_LIMIT : DEFAULT_MEMORY_LIMIT);
    // A setting, not data: still only a size goes into the statement.
    if (!/^\d+(\.\d+)?\s*[KMGT]?i?B$/i.test(limit)) throw new StoreError('query', `memory limit ${JSON.stringify(limit)} is not a size such as 96MB or 1GB`);
    try {
      await this.conn.run(`SET memory_limit = '${limit}'`);
    } catch (e) {
      // Going back down fails while DuckDB holds more than the lower limit (a large store's
      // table metadata): the higher limit stays, which costs memory, never correctness.
      if (w === 'query') throw e;
    }
  }

  static async open(path: string = DEFAULT_DB_PATH, opts: OpenOptions = {}): Promise<DuckDbStore> {
    let instance: DuckDBInstance;
    // DuckDB's default buffer pool is 80 % of RAM; an observatory shares its machine. Beyond this it spills to disk.
    // Checkpoints every 256 MB of WAL rather than DuckDB's 16 MB: the WAL holds the rollup rows
    // (packet rows are written to the file directly); fewer checkpoints measured 2–3 % faster.
    const config: Record<string, string> = { preserve_insertion_order: 'false', memory_limit: opts.memoryLimit ?? (opts.readOnly ? QUERY_MEMORY_LIMIT : DEFAULT_MEMORY_LIMIT), checkpoint_threshold: '256MB' };
    if (opts.readOnly) config.access_mode = 'READ_ONLY';
    const threads = opts.threads ?? (process.env.DARKSCOPE_DUCKDB_THREADS ? Number(process.env.DARKSCOPE_DUCKDB_THREADS) : undefined);
    if (threads) config.threads = String(threads);
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (e) {
      throw openError(path, e);
    }
    const conn = await instance.connect();
    const store = new DuckDbStore(path, instance, conn, Boolean(opts.readOnly), opts.memoryLimit ?? null, opts.summaries !== false);
    try {
      await store.migrate();
      if (opts.externalAccess === false) await conn.run('SET enable_external_access = false; SET lock_configuration = true');
    } catch (e) {
      conn.closeSync();
      instance.closeSync();
      throw e instanceof StoreError ? e : openError(path, e);
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const c = this.conn;
    const hasMeta = (await rows(c, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'"))[0].n as number;
    let version = 0;
    if (hasMeta) version = Number((await rows(c, "SELECT value FROM meta WHERE key = 'schema_version'"))[0]?.value ?? 0);
    else {
      const tables = (await rows(c, "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'main'"))[0].n as number;
      if (tables > 0) throw new StoreError('corrupt', `database ${this.path} is a DuckDB database but not a darkscope store (it has tables and no meta table)`);
    }
    if (version > SCHEMA_VERSION) throw new StoreError('version', `database ${this.path} has schema version ${version}, newer than this darkscope (${SCHEMA_VERSION}): upgrade darkscope`);
    if (version === SCHEMA_VERSION) return;
    if (this.readOnly) throw new StoreError(version === 0 ? 'missing' : 'version', version === 0 ? `database ${this.path} is empty (run darkscope ingest first)` : `database ${this.path} has schema version ${version}; run darkscope compact (or an ingest) on it once to migrate it to ${SCHEMA_VERSION}`);
    for (let v = version; v < SCHEMA_VERSION; v++) {
      await c.run('BEGIN TRANSACTION');
      try {
        if (v === 0) await c.run('CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
        for (const stmt of MIGRATIONS[v]) await c.run(stmt);
        await c.run("INSERT OR REPLACE INTO meta VALUES ('schema_version', $1)", [String(v + 1)]);
        await c.run('COMMIT');
      } catch (e) {
        await c.run('ROLLBACK');
        throw e;
      }
    }
  }

  // ---- darknet configuration and ledger ----

  async saveDarknet(d: { sha256: string; config: unknown; sensors: StoredDarknet['sensors']; homeCountry: string }): Promise<number> {
    const have = await rows(this.conn, 'SELECT config_id FROM darknet_configs WHERE sha256 = $1', [d.sha256]);
    if (have.length) return have[0].config_id as number;
    const id = ((await rows(this.conn, 'SELECT coalesce(max(config_id), 0) + 1 AS id FROM darknet_configs'))[0].id as number) >>> 0;
    await this.conn.run('INSERT INTO darknet_configs VALUES ($1, $2, $3, $4, $5, now()::TIMESTAMP)', [id, d.sha256, d.homeCountry, JSON.stringify(d.sensors), JSON.stringify(d.config)]);
    return id;
  }

  async latestDarknet(): Promise<StoredDarknet | null> {
    const r = await rows(this.conn, 'SELECT * FROM darknet_configs ORDER BY config_id DESC LIMIT 1');
    if (!r.length) return null;
    return { configId: r[0].config_id as number, sha256: r[0].sha256 as string, config: JSON.parse(r[0].config as string), sensors: JSON.parse(r[0].sensors as string), homeCountry: r[0].home_country as string };
  }

  private static entry(r: Record<string, unknown>): LedgerEntry {
    return {
      fileId: r.file_id as number,
      sha256: r.sha256 as string,
      size: r.size as number,
      quick: r.quick as string,
      name: r.name as string,
      sensor: (r.sensor as string | null) ?? null,
      configId: r.config_id as number,
      status: r.status as LedgerEntry['status'],
      nextRec: r.next_rec as number,
      rollupRec: r.rollup_rec as number,
      rows: r.rows as number,
      chunks: r.chunks as number,
      startedAt: String(r.started_at),
      finishedAt: r.finished_at === null ? null : String(r.finished_at),
      info: r.info ? JSON.parse(r.info as string) : null,
    };
  }

  async findFiles(size: number, quick: string): Promise<LedgerEntry[]> {
    return (await rows(this.conn, 'SELECT * FROM ingest_ledger WHERE size = $1 AND quick = $2 ORDER BY file_id', [BigInt(size), quick])).map(DuckDbStore.entry);
  }

  async files(): Promise<LedgerEntry[]> {
    return (await rows(this.conn, 'SELECT * FROM ingest_ledger ORDER BY file_id')).map(DuckDbStore.entry);
  }

  async nextFileId(): Promise<number> {
    return ((await rows(this.conn, 'SELECT coalesce(max(file_id), 0) + 1 AS id FROM ingest_files'))[0].id as number) >>> 0;
  }

  /** Connections for chunks: one chunk can fill while the previous one commits. */
  private chunkConns: DuckDBConnection[] = [];
  /** Staging groups for the packets INSERTs, shared by the chunk connections. */
  private staging: StagingPool | null = null;
  private readonly busyConns = new Set<DuckDBConnection>();
  private readonly connWaiters: (() => void)[] = [];
  /** Chunks open at once: one fills while the one before commits. */
  private readonly maxChunks = 2;
  private readonly rollupAppender = new RollupAppender();

  async openChunk(fileId: number): Promise<ChunkTransaction> {
    if (this.readOnly) throw new StoreError('readonly', 'store opened read-only');
    let conn = this.chunkConns.find((c) => !this.busyConns.has(c));
    while (!conn && this.chunkConns.length >= this.maxChunks) {
      // All chunk connections are busy: wait for a commit to finish.
      await new Promise<void>((resolve) => this.connWaiters.push(resolve));
      conn = this.chunkConns.find((c) => !this.busyConns.has(c));
    }
    if (!conn) {
      conn = await this.instance.connect();
      registerFeedFunction(conn);
      this.chunkConns.push(conn);
    }
    this.staging ??= new StagingPool();
    this.busyConns.add(conn);
    const c = conn;
    try {
      await c.run('BEGIN TRANSACTION');
      const v6 = await c.createAppender('packets_v6');
      return new DuckChunk(this, c, fileId, new PacketAppender(c, fileId, v6, this.staging), () => {
        this.busyConns.delete(c);
        this.connWaiters.shift()?.();
      });
    } catch (e) {
      this.busyConns.delete(c);
      throw e;
    }
  }

  /**
   * Rollup deltas for records [fromRec, toRec) of a file, appended to the three levels
   * (inside the chunk's transaction). A bucket that spans chunks gets one row per chunk
   * until compact() merges them; every query sums and unites rows of the same key, so
   * the answers are the same before and after.
   */
  async writeRollups(c: DuckDBConnection, r: ChunkRollups): Promise<void> {
    const levels = [r.minute, r.hour, r.day];
    for (let l = 0; l < ROLLUP_LEVELS.length; l++) {
      const rows = levels[l];
      if (!rows || rows.n === 0) continue;
      const appender = await c.createAppender(ROLLUP_LEVELS[l].table);
      this.rollupAppender.append(appender, rows);
      appender.closeSync();
    }
  }

  /** Mark buckets that may now hold more than one row per key (in the chunk's transaction). */
  async markPending(c: DuckDBConnection, fileId: number, level: string, loMs: number, hiMs: number): Promise<void> {
    await c.run('INSERT INTO rollup_pending VALUES ($1, $2, make_timestamp(CAST($3 AS BIGINT)), make_timestamp(CAST($4 AS BIGINT)))', [fileId, level, BigInt(loMs * 1000), BigInt(hiMs * 1000)]);
  }

  /** A file is done: its time span, and pending marks where it overlaps files stored before (their buckets are shared). */
  async finishFile(c: DuckDBConnection, fileId: number, info: unknown): Promise<void> {
    await c.run(
      `INSERT INTO ingest_done SELECT $1, now()::TIMESTAMP, min(ts), max(ts), $2 FROM packets WHERE file_id = $1`,
      [fileId, JSON.stringify(info)],
    );
    await c.run(
      `INSERT INTO rollup_pending SELECT $1, 'all', greatest(d.first_ts, me.first_ts)::TIMESTAMP, least(d.last_ts, me.last_ts)::TIMESTAMP
       FROM ingest_done d, (SELECT first_ts, last_ts FROM ingest_done WHERE file_id = $1) me
       WHERE d.file_id <> $1 AND d.first_ts <= me.last_ts AND d.last_ts >= me.first_ts`,
      [fileId],
    );
  }

  /**
   * Merge the rows of every pending bucket range into one row per key. Only the buckets a
   * chunk boundary, a second hour/day write or an overlapping file can have split are
   * looked at; only keys with more than one row are touched, in partitions by key hash
   * small enough that the merged source lists stay within DuckDB's memory limit (list
   * aggregates cannot spill), one transaction each. A crash leaves ranges pending and the
   * answers unchanged (queries merge rows of a key anyway); the next ingest finishes them.
   */
  async compact(): Promise<number> {
    // Merging a busy port's rows merges its source lists (tens of MiB each on a quarter of a
    // large telescope): compaction gets the memory of queries, not ingest's.
    return this.withQueryMemory(() => this.compactPending());
  }

  /** Run `f` with the memory of queries, then give back the caller's workload. */
  private async withQueryMemory<T>(f: () => Promise<T>): Promise<T> {
    const before = this.workload;
    await this.setWorkload('query');
    try {
      return await f();
    } finally {
      await this.setWorkload(before);
    }
  }

  private async compactPending(): Promise<number> {
    const c = this.conn;
    // (summary and surge marks are not merge work: the refresh and the surge pass take them)
    const pending = (await rows(c, "SELECT count(*) AS n FROM rollup_pending WHERE level NOT IN ('summary', 'surge')"))[0].n as number;
    if (pending === 0) return 0;
    const keyHash = `hash(${ROLLUP_KEY.join(', ')})`;
    await c.run("CREATE OR REPLACE TEMP TABLE compacting AS SELECT * FROM rollup_pending WHERE level NOT IN ('summary', 'surge')");
    for (const level of ROLLUP_LEVELS) {
      await c.run(
        `CREATE OR REPLACE TEMP TABLE ranges AS SELECT DISTINCT date_trunc('${level.unit}', lo) AS lo, date_trunc('${level.unit}', hi) AS hi
         FROM compacting WHERE level IN ('${level.unit}', 'all')`,
      );
      if (((await rows(c, 'SELECT count(*) AS n FROM ranges'))[0].n as number) === 0) continue;
      const range = `EXISTS (SELECT 1 FROM ranges g WHERE bucket BETWEEN g.lo AND g.hi)`;
      // The keys with more than one row (no lists held: cheap), then their rows merged partition by partition.
      await c.run(`CREATE OR REPLACE TEMP TABLE dup_keys AS SELECT ${KEY}, sum(len(sources)) AS elems FROM ${level.table} WHERE ${range} GROUP BY ${KEY} HAVING count(*) > 1`);
      const dup = await rows(c, 'SELECT count(*) AS keys, coalesce(sum(elems), 0) AS elems FROM dup_keys');
      let parts = Math.max(1, Math.ceil((dup[0].elems as number) / COMPACT_ELEMENTS), Math.ceil((dup[0].keys as number) / COMPACT_KEYS));
      for (let part = 0; (dup[0].keys as number) > 0 && part < parts; part++) {
        try {
          await this.mergePart(level.table, range, [], keyHash, parts, part);
        } catch (e) {
          // Lists larger than estimated: more, smaller partitions (merged parts stay merged; merging is idempotent).
          if (!/Out of Memory/i.test((e as Error).message) || parts >= 1 << 12) throw e;
          parts *= 4;
          part = -1;
        }
      }
      await c.run('DROP TABLE dup_keys');
    }
    await c.run('DELETE FROM rollup_pending r USING compacting p WHERE r.file_id = p.file_id AND r.level = p.level AND r.lo = p.lo AND r.hi = p.hi');
    await c.run('DROP TABLE compacting; DROP TABLE IF EXISTS ranges');
    return pending;
  }

  /**
   * Rebuild the day summaries (schema v3) of the days marked since the last refresh, from
   * rollup_day, a few days per transaction; then drop the marks taken. Idempotent: a crash
   * leaves marks, and queries read the rollups for marked days until the next refresh.
   * Returns the days refreshed.
   */
  async refreshSummaries(): Promise<number> {
    // Unnesting a week of a busy telescope's day rows needs the memory of queries, not ingest's
    // 96 MB (whoever calls: ingest's end, `darkscope compact`).
    return this.withQueryMemory(() => this.refreshMarked());
  }

  async surgeMarkedDays(): Promise<{ from: number; to: number } | null> {
    const r = await rows(
      this.conn,
      "SELECT epoch_ms(date_trunc('day', min(lo))) AS lo, epoch_ms(date_trunc('day', max(hi)) + INTERVAL 1 DAY) AS hi FROM rollup_pending WHERE level = 'surge'",
    );
    return r[0].lo === null ? null : { from: Number(r[0].lo), to: Number(r[0].hi) };
  }

  async clearSurgeMarks(days: { from: number; to: number }): Promise<void> {
    await this.conn.run(
      "DELETE FROM rollup_pending WHERE level = 'surge' AND lo >= make_timestamp(CAST($1 AS BIGINT)) AND hi < make_timestamp(CAST($2 AS BIGINT))",
      [BigInt(days.from * 1000), BigInt(days.to * 1000)],
    );
  }

  private async refreshMarked(): Promise<number> {
    const c = this.conn;
    await c.run(`CREATE OR REPLACE TEMP TABLE summarising AS SELECT * FROM rollup_pending WHERE level = 'summary'`);
    const days = (
      await rows(
        c,
        `SELECT DISTINCT epoch_ms(unnest(range(date_trunc('day', lo), date_trunc('day', hi) + INTERVAL 1 DAY, INTERVAL 1 DAY))) AS d FROM summarising ORDER BY d`,
      )
    ).map((r) => Number(r.d));
    // Runs of consecutive days, at most SUMMARY_DAYS each: one range scan of rollup_day per
    // transaction; a run DuckDB has no memory for is redone a day at a time.
    for (let i = 0; i < days.length; ) {
      let j = i + 1;
      while (j < days.length && j - i < SUMMARY_DAYS && days[j] === days[j - 1] + DAY_MS) j++;
      try {
        await this.summariseDays(days[i], days[j - 1] + DAY_MS);
      } catch (e) {
        if (!/Out of Memory/i.test((e as Error).message) || j - i === 1) throw e;
        for (let k = i; k < j; k++) await this.summariseDays(days[k], days[k] + DAY_MS);
      }
      i = j;
    }
    await c.run("DELETE FROM rollup_pending r USING summarising p WHERE r.level = 'summary' AND r.file_id = p.file_id AND r.lo = p.lo AND r.hi = p.hi");
    await c.run('DROP TABLE summarising');
    return days.length;
  }

  /** Rebuild the day summaries of the whole days in [lo, hi) ms, in one transaction. */
  private async summariseDays(lo: number, hi: number): Promise<void> {
    const c = this.conn;
    const ts = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}'`;
    // Times computed here from numbers: no input reaches the statement text.
    const where = `bucket >= ${ts(lo)} AND bucket < ${ts(hi)}`;
    const dayWhere = `day >= ${ts(lo)}::DATE AND day < ${ts(hi)}::DATE`;
    await c.run('BEGIN TRANSACTION');
    try {
      for (const t of DAY_SUMMARIES) await c.run(`DELETE FROM ${t} WHERE ${dayWhere}`);
      for (const stmt of summaryInserts(where)) await c.run(stmt);
      await c.run('COMMIT');
    } catch (e) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /**
   * Whether the day summaries answer for `sel`: whole UTC days, no day marked for a refresh,
   * and not turned off at open. Else the query reads the rollups (same answer, slower).
   */
  private async summarised(sel: Selection): Promise<boolean> {
    if (!this.summaries) return false;
    const from = sel.from ?? 0;
    const to = sel.to ?? 8.64e15;
    if (from % DAY_MS !== 0 || to % DAY_MS !== 0 || to <= from) return false;
    const r = await rows(
      this.conn,
      "SELECT count(*) AS n FROM rollup_pending WHERE level = 'summary' AND hi >= make_timestamp(CAST($1 AS BIGINT)) AND lo < make_timestamp(CAST($2 AS BIGINT))",
      [BigInt(from * 1000), BigInt(Math.min(to, 8.64e15) * 1000)],
    );
    return Number(r[0].n) === 0;
  }

  /**
   * A day summary of a selection as a relation with rollup_day's column names (bucket is the
   * day): day_ports (no country, tools, sources) or day_countries (no port, sources). Null
   * when the summaries do not answer for it.
   */
  private async summaryRelation(table: 'day_ports' | 'day_countries', sel: Selection, params: DuckDBValue[]): Promise<string | null> {
    if (!(await this.summarised(sel))) return null;
    const d = duckDialect(params);
    const conds = [...dayConds(sel, d), ...filterConds(sel, d)];
    return `(SELECT day::TIMESTAMP AS bucket, * EXCLUDE (day) FROM ${table} WHERE ${conds.join(' AND ')})`;
  }

  /** day_sources rows of a selection with no sensor, kind or protocol filter (those it cannot answer), or null. */
  private async sourceDays(sel: Selection, params: DuckDBValue[]): Promise<string | null> {
    if (sel.sensors?.length || sel.kinds?.length || sel.protos?.length || !(await this.summarised(sel))) return null;
    return `(SELECT * FROM day_sources WHERE ${dayConds(sel, duckDialect(params)).join(' AND ')})`;
  }

  /** Rows in the three rollup tables. */
  async rollupRows(): Promise<number> {
    return (await rows(this.conn, `SELECT ${ROLLUP_LEVELS.map((l) => `(SELECT count(*) FROM ${l.table})`).join(' + ')} AS n`))[0].n as number;
  }

  /** Merge the rows of one partition of the duplicated keys, in one transaction. */
  private async mergePart(table: string, range: string, span: DuckDBValue[], keyHash: string, parts: number, part: number): Promise<void> {
    const c = this.conn;
    await c.run('BEGIN TRANSACTION');
    try {
      await c.run(
        `CREATE OR REPLACE TEMP TABLE merged AS SELECT ${KEY}, sum(packets)::UBIGINT AS packets, ${MERGE_SOURCES} AS sources
         FROM ${table} r SEMI JOIN (SELECT ${KEY} FROM dup_keys WHERE ${keyHash} % ${parts} = ${part}) d USING (${KEY})
         WHERE ${range} GROUP BY ALL`,
        span,
      );
      await c.run(`DELETE FROM ${table} r USING merged m WHERE ${ROLLUP_KEY.map((k) => `r.${k} = m.${k}`).join(' AND ')}`);
      await c.run(`INSERT INTO ${table} SELECT * FROM merged`);
      await c.run('DROP TABLE merged');
      await c.run('COMMIT');
    } catch (e) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  // ---- queries ----

  private async sensorNames(): Promise<Map<number, string>> {
    const d = await this.latestDarknet();
    return new Map((d?.sensors ?? []).map((s) => [s.id, s.name]));
  }

  /**
   * The rollup rows of a selection as one relation: [from, to) split into whole days
   * (rollup_day), whole hours and minutes at the edges, and raw packets for what is
   * left of a minute at either end — so any range is exact, and mostly read from rollups.
   */
  private rollupRelation(sel: Selection, params: DuckDBValue[], coarsest: 'day' | 'hour' | 'minute' = 'day'): string {
    const d = duckDialect(params);
    const conds: string[] = [];
    conds.push(...filterConds(sel, d));
    const extra = conds.length ? ` AND ${conds.join(' AND ')}` : '';
    const ts = (ms: number) => d.param(new Date(ms).toISOString(), 'TIMESTAMP');
    if (sel.from === undefined && sel.to === undefined && coarsest === 'day') return `(SELECT * FROM rollup_day WHERE TRUE${extra})`;
    const from = sel.from ?? 0;
    const to = sel.to ?? 8.64e15;
    const parts: string[] = [];
    const level = (table: string, lo: number, hi: number) => {
      if (hi > lo) parts.push(`SELECT * FROM ${table} WHERE bucket >= ${ts(lo)} AND bucket < ${ts(hi)}${extra}`);
    };
    const up = (t: number, u: number) => Math.ceil(t / u) * u;
    const down = (t: number, u: number) => Math.floor(t / u) * u;
    const [M, H, D] = ROLLUP_LEVELS.map((l) => l.ms);
    const m0 = up(from, M), m1 = down(to, M);
    if (m0 >= m1) {
      parts.push(rollupFromPackets('minute', `ts >= ${ts(from)} AND ts < ${ts(to)}${extra}`));
    } else {
      const h0 = up(m0, H), h1 = down(m1, H);
      if (h0 >= h1 || coarsest === 'minute') level('rollup_minute', m0, m1);
      else {
        const d0 = up(h0, D), d1 = down(h1, D);
        if (d0 >= d1 || coarsest === 'hour') level('rollup_hour', h0, h1);
        else {
          level('rollup_day', d0, d1);
          level('rollup_hour', h0, d0);
          level('rollup_hour', d1, h1);
        }
        level('rollup_minute', m0, h0);
        level('rollup_minute', h1, m1);
      }
      if (from < m0) parts.push(rollupFromPackets('minute', `ts >= ${ts(from)} AND ts < ${ts(m0)}${extra}`));
      if (m1 < to) parts.push(rollupFromPackets('minute', `ts >= ${ts(m1)} AND ts < ${ts(to)}${extra}`));
    }
    return `(${parts.join(' UNION ALL ')})`;
  }

  /** WHERE conditions on the packets table for a selection. */
  private packetWhere(sel: Selection, params: DuckDBValue[]): string {
    const d = duckDialect(params);
    const conds = ['TRUE'];
    const ts = (ms: number) => d.param(new Date(ms).toISOString(), 'TIMESTAMP');
    if (sel.from !== undefined) conds.push(`ts >= ${ts(sel.from)}`);
    if (sel.to !== undefined) conds.push(`ts < ${ts(sel.to)}`);
    conds.push(...filterConds(sel, d));
    return conds.join(' AND ');
  }

  /** Defaults that make `top` mean what `analyze` means: ports of probes (not backscatter, not other), over TCP and UDP. */
  private static portDefaults(q: Selection): Selection {
    return { ...q, kinds: q.kinds ?? KIND_RULES.map((r) => r.bit).filter((k) => k !== 0 && k !== 4), protos: q.protos ?? [6, 17] };
  }

  async top(q: TopQuery): Promise<TopRow[]> {
    const params: DuckDBValue[] = [];
    const limit = Math.max(1, Math.min(q.limit, 100_000));
    const c = this.conn;
    const sensors = await this.sensorNames();
    switch (q.by) {
      case 'port': {
        const sel = DuckDbStore.portDefaults(q);
        // The ranking from the day summary where it answers; the sources of the top keys from the rollups' lists.
        const rank = await this.summaryRelation('day_ports', sel, params);
        // (DuckDB refuses unused parameters: the rollups' relation only when it is read.)
        const rel = rank && q.withSources === false ? '' : this.rollupRelation(sel, params);
        const r = await this.ranked(rel, ['proto', 'port'], '', 'proto, port', limit, params, q.withSources !== false, rank);
        return r.map((x) => {
          const proto = x.proto === 6 ? 'tcp' : x.proto === 17 ? 'udp' : String(x.proto);
          return { key: `${x.port}/${proto}`, packets: x.packets as number, sources: x.sources as number | null, detail: { port: x.port as number, proto, label: proto === 'tcp' || proto === 'udp' ? serviceLabel(x.port as number, proto) : `${x.port}/${proto}` } };
        });
      }
      case 'country':
      case 'kind':
      case 'sensor': {
        const col = q.by;
        const summary = await this.summaryRelation('day_countries', q, params);
        const only = col === 'country' ? 'WHERE ip_version <> 0' : '';
        const rank = summary ? `(SELECT ${col} AS k, packets FROM ${summary} ${only})` : null;
        const rel = rank && q.withSources === false ? '' : `(SELECT ${col} AS k, packets, sources FROM ${this.rollupRelation(q, params)} ${only})`;
        const r = await this.ranked(rel, ['k'], '', '(k = 0), k', limit, params, q.withSources !== false, rank);
        return r.map((x) => {
          const k = x.k as number;
          const key = col === 'country' ? unpackCountry(k) || 'unknown' : col === 'kind' ? (KIND_RULES.find((r) => r.bit === k)?.label ?? String(k)) : (sensors.get(k) ?? (k === 0 ? '(not monitored)' : String(k)));
          return { key, packets: x.packets as number, sources: x.sources as number | null, detail: { code: k } };
        });
      }
      case 'tool': {
        const rel = `(SELECT t.label AS k, r.packets, r.sources FROM ${this.rollupRelation(q, params)} r JOIN tools t ON (r.tools & t.code) <> 0)`;
        const r = await this.ranked(rel, ['k'], '', 'k', limit, params);
        return r.map((x) => ({ key: x.k as string, packets: x.packets as number, sources: x.sources as number, detail: { tool: TOOL_RULES.find((t) => t.label === x.k)?.tool ?? null } }));
      }
      case 'asn': {
        const where = this.packetWhere(q, params);
        const r = await rows(c, `SELECT src_asn AS k, count(*) AS packets, count(DISTINCT src) AS sources FROM packets WHERE ip_version <> 0 AND ${where} GROUP BY k ORDER BY packets DESC, (k = 0), k LIMIT ${limit}`, params);
        return r.map((x) => ({ key: x.k ? `AS${x.k}` : 'unknown', packets: x.packets as number, sources: x.sources as number, detail: { asn: (x.k as number) || null } }));
      }
      case 'source': {
        const where = this.packetWhere(q, params);
        const r = await rows(
          c,
          `SELECT ip_version, src, any_value(src6) AS src6, count(*) AS packets, any_value(src_country) AS country, any_value(src_asn) AS asn, count(DISTINCT dport) AS ports
           FROM packets_full WHERE ip_version <> 0 AND ${where} GROUP BY ip_version, src ORDER BY packets DESC, ip_version, src LIMIT ${limit}`,
          params,
        );
        return r.map((x) => ({ key: x.ip_version === 4 ? formatIPv4(x.src as number) : v6text(x.src6), packets: x.packets as number, sources: null, detail: { country: unpackCountry(x.country as number) || null, asn: (x.asn as number) || null, ports: x.ports as number } }));
      }
      case 'victim': {
        const where = this.packetWhere({ ...q, kinds: [4] }, params);
        const r = await rows(
          c,
          // The victim's port as analyze reports it: the one with most packets (lowest on a tie), none past 8 ports.
          `WITH vp AS (
             SELECT ip_version, victim, victim6, victim_proto, victim_port, count(*) AS c, min(ts) AS f, max(ts) AS l
             FROM packets_full WHERE ${where} GROUP BY ALL)
           SELECT ip_version, victim, victim6, victim_proto AS proto, sum(c)::UBIGINT AS packets, count(*) AS ports,
             CASE WHEN count(*) > 8 THEN NULL ELSE arg_max(victim_port, c * 65536 - victim_port) END AS port,
             min(f)::VARCHAR AS first, max(l)::VARCHAR AS last
           FROM vp GROUP BY ip_version, victim, victim6, victim_proto ORDER BY packets DESC, ip_version, victim, victim6, proto LIMIT ${limit}`,
          params,
        );
        return r.map((x) => ({
          key: x.ip_version === 4 ? formatIPv4(x.victim as number) : v6text(x.victim6),
          packets: x.packets as number,
          sources: null,
          detail: { proto: x.proto as number, port: (x.port as number | null) ?? null, ports: x.ports as number, first: x.first as string, last: x.last as string },
        }));
      }
    }
  }

  /**
   * Keys ranked by packets over a rollup relation (no source lists held), then the distinct
   * sources of the top `limit` keys only, from their lists unnested: a query over months of
   * rollups touches the lists of ten keys, not of every port.
   */
  private async ranked(rel: string, keys: string[], where: string, order: string, limit: number, params: DuckDBValue[], withSources = true, rank: string | null = null): Promise<Record<string, unknown>[]> {
    const k = keys.join(', ');
    // A ranking alone (e.g. the previous period's ranks) needs no source lists: packet sums only.
    if (!withSources) return rows(this.conn, `SELECT ${k}, sum(packets)::UBIGINT AS packets, NULL AS sources FROM ${rank ?? rel} ${where} GROUP BY ${k} ORDER BY packets DESC, ${order} LIMIT ${limit}`, params);
    return rows(
      this.conn,
      // `rank`: the same keys and packets from a day summary (the ranking without the rollups' rows).
      `WITH r AS (SELECT * FROM ${rel} ${where}),
       top AS (SELECT ${k}, sum(packets)::UBIGINT AS packets FROM ${rank ? `${rank} ${where}` : 'r'} GROUP BY ${k} ORDER BY packets DESC, ${order} LIMIT ${limit}),
       src AS (SELECT ${k}, count(DISTINCT s) AS sources FROM (SELECT ${k}, unnest(sources) AS s FROM r SEMI JOIN top USING (${k})) GROUP BY ${k})
       SELECT top.*, coalesce(src.sources, 0) AS sources FROM top LEFT JOIN src USING (${k}) ORDER BY packets DESC, ${order}`,
      params,
    );
  }

  /** Append events (inside the chunk's transaction; an Appender, as a VALUES insert failed for memory beside the packet inserts). */
  async writeEvents(c: DuckDBConnection, events: StoredEvent[]): Promise<void> {
    const a = await c.createAppender('events');
    const ns = (sec: number) => new DuckDBTimestampNanosecondsValue(BigInt(Math.round(sec * 1e6)) * 1000n);
    const text = (v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));
    const u16 = (v: number | null) => (v === null ? a.appendNull() : a.appendUSmallInt(v));
    for (const e of events) {
      a.appendVarchar(e.id);
      a.appendVarchar(e.type);
      a.appendUInteger(e.fileId);
      a.appendTimestampNanoseconds(ns(e.firstSec));
      a.appendTimestampNanoseconds(ns(e.lastSec));
      text(e.source);
      u16(e.port);
      if (e.proto === null) a.appendNull();
      else a.appendUTinyInt(e.proto);
      text(e.tool);
      text(e.victim);
      u16(e.victimPort);
      text(e.attackType);
      a.appendUBigInt(BigInt(e.packets));
      a.appendVarchar(JSON.stringify(e.details));
      a.endRow();
    }
    a.closeSync();
  }

  async events(q: EventQuery): Promise<StoredEvent[]> {
    const params: DuckDBValue[] = [];
    const d = duckDialect(params);
    const conds = ['TRUE'];
    if (q.types?.length) conds.push(`type IN (${q.types.map((t) => { params.push(t); return `$${params.length}`; }).join(', ')})`);
    if (q.from !== undefined) conds.push(`last_seen >= ${d.param(new Date(q.from).toISOString(), 'TIMESTAMP')}`);
    if (q.to !== undefined) conds.push(`first_seen < ${d.param(new Date(q.to).toISOString(), 'TIMESTAMP')}`);
    if (q.ports?.length) {
      params.push(listValue(q.ports.map((p) => Math.trunc(p))));
      const list = `$${params.length}::INTEGER[]`;
      conds.push(`(list_contains(${list}, port) OR list_contains(${list}, victim_port))`);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 1_000_000, 10_000_000));
    if (!q.addrs?.length) return this.eventRows(`${conds.join(' AND ')} ORDER BY first_seen, event_id LIMIT ${limit}`, params);
    // Addresses: the candidates' ids and addresses first, matched in JavaScript, then the rows.
    const match = new AddressMatcher(q.addrs);
    const ids: string[] = [];
    for (const x of await rows(this.conn, `SELECT event_id, source, victim FROM events WHERE ${conds.join(' AND ')} ORDER BY first_seen, event_id`, params)) {
      if (match.matches(x.source as string | null, x.victim as string | null)) ids.push(x.event_id as string);
      if (ids.length >= limit) break;
    }
    if (!ids.length) return [];
    return this.eventRows('list_contains($1::VARCHAR[], event_id) ORDER BY first_seen, event_id', [listValue(ids)]);
  }

  async provisionalEvents(fileId: number): Promise<StoredEvent[]> {
    return this.eventRows(`file_id = $1 AND event_id LIKE 'open:%' ORDER BY first_seen, event_id`, [fileId]);
  }

  private async eventRows(where: string, params: DuckDBValue[]): Promise<StoredEvent[]> {
    const r = await rows(
      this.conn,
      `SELECT event_id, type, file_id, epoch_us(first_seen::TIMESTAMP) AS f, epoch_us(last_seen::TIMESTAMP) AS l, source, port, proto, tool, victim, victim_port, attack_type, packets, details
       FROM events WHERE ${where}`,
      params,
    );
    return r.map((x) => ({
      id: x.event_id as string,
      type: x.type as StoredEvent['type'],
      fileId: x.file_id as number,
      firstSec: (x.f as number) / 1e6,
      lastSec: (x.l as number) / 1e6,
      source: (x.source as string | null) ?? null,
      port: (x.port as number | null) ?? null,
      proto: (x.proto as number | null) ?? null,
      tool: (x.tool as string | null) ?? null,
      victim: (x.victim as string | null) ?? null,
      victimPort: (x.victim_port as number | null) ?? null,
      attackType: (x.attack_type as string | null) ?? null,
      packets: x.packets as number,
      details: JSON.parse(x.details as string),
    }));
  }

  async portActivity(q: ActivityQuery): Promise<ActivityRow[]> {
    const params: DuckDBValue[] = [];
    // Hour buckets must not come from day rows (their bucket is the day's start).
    const rel = this.rollupRelation({ ...q, kinds: q.kinds ?? [1, 2] }, params, q.step);
    const step = q.step === 'hour' ? 'INTERVAL 1 HOUR' : 'INTERVAL 1 DAY';
    const country = q.byCountry ? ', country' : '';
    const conds: string[] = [];
    if (q.ports) {
      if (!q.ports.length) return [];
      conds.push(`(CAST(port AS VARCHAR) || '/' || CAST(proto AS VARCHAR)) IN (${q.ports.map((k) => { params.push(k); return `$${params.length}`; }).join(', ')})`);
    }
    if (q.active) {
      // Ports with a bucket of at least `min` packets from `from` on (cheap: packet sums, no source lists).
      const d = duckDialect(params);
      const act = this.rollupRelation({ from: q.active.from, to: q.to, kinds: q.kinds ?? [1, 2] }, params, q.step);
      conds.push(
        `(port, proto) IN (SELECT port, proto FROM (SELECT time_bucket(${step}, bucket) AS b, port, proto, sum(packets) AS n FROM ${act} GROUP BY ALL) WHERE n >= ${d.param(q.active.minPackets, 'UBIGINT')})`,
      );
    }
    const keep = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    // Distinct sources through a DISTINCT over unnested rows: a hash aggregate DuckDB can spill
    // (list_distinct over whole groups ran out of ingest's 96 MB on 10M packets of 65k ports).
    const g = `b, proto, port${country}`;
    const r = await rows(
      this.conn,
      `WITH r AS (SELECT time_bucket(${step}, bucket) AS b, proto, port, country, packets, sources FROM ${rel} ${keep}),
       p AS (SELECT ${g}, sum(packets)::UBIGINT AS packets FROM r GROUP BY ${g}),
       s AS (SELECT ${g}, count(*) AS sources FROM (SELECT DISTINCT ${g}, unnest(sources) AS s FROM r) GROUP BY ${g})
       SELECT epoch_ms(p.b) AS b, p.proto, p.port${q.byCountry ? ', p.country' : ''}, p.packets, coalesce(s.sources, 0) AS sources
       FROM p LEFT JOIN s USING (${g}) ORDER BY ${g}`,
      params,
    );
    return r.map((x) => ({ bucketMs: Number(x.b), proto: x.proto as number, port: x.port as number, country: q.byCountry ? unpackCountry(x.country as number) : null, packets: Number(x.packets), sources: Number(x.sources) }));
  }

  async keySources(sel: Selection, ports: string[], countries: string[]): Promise<{ ports: Map<string, number>; countries: Map<string, number> }> {
    const out = { ports: new Map<string, number>(), countries: new Map<string, number>() };
    if (ports.length) {
      // Only the rows of these ports are unnested (a few keys' lists, not the period's).
      const params: DuckDBValue[] = [];
      const d = duckDialect(params);
      const rel = this.rollupRelation(sel, params);
      const pairs = ports.map((k) => portPair(k, d));
      const r = await rows(this.conn, `SELECT port, proto, count(DISTINCT s) AS n FROM (SELECT port, proto, unnest(sources) AS s FROM ${rel} WHERE (port, proto) IN (${pairs.join(', ')})) GROUP BY port, proto`, params);
      for (const x of r) {
        const proto = Number(x.proto);
        out.ports.set(`${x.port}/${proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto}`, Number(x.n));
      }
    }
    if (countries.length) {
      const params: DuckDBValue[] = [];
      const d = duckDialect(params);
      const code = (c: string) => d.param(c === 'unknown' || c === '' ? 0 : packCountry(c), 'UINTEGER');
      // A source's country is one per day (its address's): the day summary's sources answer.
      const flag = kindFlags(sel.kinds);
      const src = flag === null ? null : await this.sourceDays({ ...sel, kinds: undefined }, params);
      const sql = src
        ? `SELECT country, count(DISTINCT src) AS n FROM ${src} WHERE ${flag ? `(flags & ${flag}) <> 0 AND ` : ''}country IN (${countries.map(code).join(', ')}) GROUP BY country`
        : `SELECT country, count(DISTINCT s) AS n FROM (SELECT country, unnest(sources) AS s FROM ${this.rollupRelation(sel, params)} WHERE ip_version <> 0 AND country IN (${countries.map(code).join(', ')})) GROUP BY country`;
      for (const x of await rows(this.conn, sql, params)) out.countries.set(unpackCountry(Number(x.country)) || 'unknown', Number(x.n));
    }
    return out;
  }

  async sensorDays(sel: Selection): Promise<{ sensor: string; days: number; packets: number }[]> {
    const params: DuckDBValue[] = [];
    const rel = (await this.summaryRelation('day_countries', sel, params)) ?? this.rollupRelation(sel, params);
    const names = await this.sensorNames();
    const r = await rows(this.conn, `SELECT sensor, count(DISTINCT time_bucket(INTERVAL 1 DAY, bucket)) AS days, sum(packets)::UBIGINT AS packets FROM ${rel} GROUP BY sensor ORDER BY sensor`, params);
    return r.map((x) => ({ sensor: names.get(Number(x.sensor)) ?? (Number(x.sensor) === 0 ? '(not monitored)' : String(x.sensor)), days: Number(x.days), packets: Number(x.packets) }));
  }

  async activeDays(sel: Selection): Promise<number[]> {
    const params: DuckDBValue[] = [];
    const rel = (await this.summaryRelation('day_countries', sel, params)) ?? this.rollupRelation(sel, params);
    const r = await rows(this.conn, `SELECT DISTINCT epoch_ms(time_bucket(INTERVAL 1 DAY, bucket)) AS d FROM ${rel} ORDER BY d`, params);
    return r.map((x) => Number(x.d));
  }

  async portFirstSeen(): Promise<Map<string, number>> {
    const r = await rows(this.conn, `SELECT CAST(port AS VARCHAR) || '/' || CAST(proto AS VARCHAR) AS k, epoch_ms(min(bucket)) AS f FROM rollup_day WHERE kind IN (1, 2) GROUP BY ALL`);
    return new Map(r.map((x) => [x.k as string, Number(x.f)]));
  }

  async spoofEvidence(q: { from: number; to: number; port: number; proto: number; country?: string; kinds?: number[] }): Promise<SpoofEvidence> {
    const params: DuckDBValue[] = [];
    const d = duckDialect(params);
    const kinds = (q.kinds ?? [1, 2]).map((k) => d.param(k, 'UINTEGER')).join(', ');
    const countryCond = q.country !== undefined ? ` AND src_country = ${d.param(q.country ? packCountry(q.country) : 0, 'UINTEGER')}` : '';
    const range = `ts >= ${d.param(new Date(q.from).toISOString(), 'TIMESTAMP')} AND ts < ${d.param(new Date(q.to).toISOString(), 'TIMESTAMP')}`;
    // RFC5735 is filter bit 22; last byte 0 / 255 are bits 5 and 6 (methods.md §4.1).
    const r = await rows(
      this.conn,
      `WITH p AS (SELECT src, dport, filters FROM packets WHERE ${range} AND kind IN (${kinds}) AND proto = ${d.param(q.proto, 'UINTEGER')}${countryCond}),
       s AS (SELECT src, count(*) AS n, bool_or((filters & ${1 << 22}) <> 0) AS nonroutable, bool_or((filters & ${(1 << 5) | (1 << 6)}) <> 0) AS last_byte
             FROM p WHERE dport = ${d.param(q.port, 'UINTEGER')} GROUP BY src)
       SELECT (SELECT sum(n) FROM s)::UBIGINT AS packets, (SELECT count(*) FROM s) AS sources,
         (SELECT count(*) FROM s WHERE nonroutable) AS nonroutable, (SELECT count(*) FROM s WHERE last_byte) AS last_byte,
         (SELECT count(*) FROM s WHERE n > 2) AS busy, (SELECT count(DISTINCT dport) FROM p SEMI JOIN s USING (src)) AS ports`,
      params,
    );
    const x = r[0];
    return { packets: Number(x.packets ?? 0), sources: Number(x.sources), nonroutableSources: Number(x.nonroutable), lastByteSources: Number(x.last_byte), busySources: Number(x.busy), ports: Number(x.ports) };
  }

  async putEvents(events: StoredEvent[], replace: { types: EventType[]; from: number; to: number }): Promise<void> {
    const c = this.conn;
    const params: DuckDBValue[] = [];
    const d = duckDialect(params);
    const types = replace.types.map((t) => { params.push(t); return `$${params.length}`; }).join(', ');
    await c.run('BEGIN TRANSACTION');
    try {
      if (replace.types.length) await c.run(`DELETE FROM events WHERE type IN (${types}) AND first_seen >= ${d.param(new Date(replace.from).toISOString(), 'TIMESTAMP')} AND first_seen < ${d.param(new Date(replace.to).toISOString(), 'TIMESTAMP')}`, params);
      if (events.length) await this.writeEvents(c, events);
      await c.run('COMMIT');
    } catch (e) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  async reportDays(sel: Selection, minPorts: number, spoofed: SpoofedBucket[] = []): Promise<{ days: ReportDay[]; sources: number }> {
    const params: DuckDBValue[] = [];
    const summary = await this.summaryRelation('day_countries', sel, params);
    const src = summary ? await this.sourceDays(sel, params) : null;
    if (!src) params.length = 0;
    const rel = src ? '' : this.rollupRelation(sel, params);
    const d = duckDialect(params);
    const dk = await this.latestDarknet();
    const home = dk ? packCountry(dk.homeCountry) : 0;
    const minP = d.param(Math.max(1, Math.floor(minPorts)), 'UINTEGER');
    const { TCP_SYN, UDP, BACKSCATTER } = TrafficKind;
    const ts = (ms: number) => d.param(new Date(ms).toISOString(), 'TIMESTAMP');
    // The spoofed addresses of each spoofed bucket: one or two probes to its port (methods.md §5.2).
    const sp = spoofed.length
      ? spoofed
          .map(
            (b) => `SELECT time_bucket(INTERVAL 1 DAY, ts)::DATE AS day, src AS s, dport AS port, proto FROM packets
              WHERE ts >= ${ts(b.from)} AND ts < ${ts(b.to)} AND dport = ${d.param(b.port, 'UINTEGER')} AND proto = ${d.param(b.proto, 'UINTEGER')} AND kind IN (${TCP_SYN}, ${UDP})
              GROUP BY ALL HAVING count(*) <= 2`,
          )
          .join(' UNION ')
      : 'SELECT NULL::DATE AS day, NULL::UINTEGER AS s, NULL::USMALLINT AS port, NULL::UTINYINT AS proto WHERE FALSE';
    const F = SourceFlag;
    // From the day summaries: a source is a host unless its spoofed probes' ports are all the
    // ports it touched that day (the same test as below, with ports counted at refresh).
    const fast = `WITH f AS (SELECT bucket::DATE AS day, country, kind, packets FROM ${summary}),
       sp AS (${sp}),
       spn AS (SELECT day, s, count(*) AS n FROM sp GROUP BY day, s),
       p AS (SELECT day, sum(packets)::UBIGINT AS packets, coalesce(sum(packets) FILTER (WHERE country = ${home}), 0)::UBIGINT AS dom_p,
               coalesce(sum(packets) FILTER (WHERE kind = ${BACKSCATTER}), 0)::UBIGINT AS bs_p FROM f GROUP BY day),
       ds AS (SELECT x.day, x.src AS s, x.country = ${home} AS dom, (x.flags & ${F.BACKSCATTER}) <> 0 AS bs, x.probe_ports, coalesce(spn.n, 0) < x.ports AS host
              FROM ${src} x LEFT JOIN spn ON spn.day = x.day AND spn.s = x.src),
       s AS (SELECT day, count(*) FILTER (WHERE host) AS n, count(*) FILTER (WHERE NOT host) AS spoofed, count(*) FILTER (WHERE dom AND host) AS dom_n,
               count(*) FILTER (WHERE bs) AS bs_n, count(*) FILTER (WHERE probe_ports >= ${minP}) AS sweepers FROM ds GROUP BY day)
       SELECT p.day::VARCHAR AS day, p.packets, p.dom_p, p.bs_p, coalesce(s.n, 0) AS n, coalesce(s.spoofed, 0) AS spoofed, coalesce(s.dom_n, 0) AS dom_n,
         coalesce(s.bs_n, 0) AS bs_n, coalesce(s.sweepers, 0) AS sweepers, (SELECT count(DISTINCT s) FILTER (WHERE host) FROM ds) AS hosts
       FROM p LEFT JOIN s USING (day) ORDER BY p.day`;
    // Per (day, source): domestic, backscatter, and whether anything it did was not a spoofed probe.
    // Sweepers apart, on the (day, source) pairs with at least minPorts probe rows first (a
    // source's distinct ports never exceed its rows): twice as fast on a quarter of 100M packets.
    const r = await rows(
      this.conn,
      src ? fast : `WITH f AS (SELECT time_bucket(INTERVAL 1 DAY, bucket)::DATE AS day, country, kind, proto, port, packets, sources FROM ${rel}),
       sp AS (${sp}),
       p AS (SELECT day, sum(packets)::UBIGINT AS packets, coalesce(sum(packets) FILTER (WHERE country = ${home}), 0)::UBIGINT AS dom_p,
               coalesce(sum(packets) FILTER (WHERE kind = ${BACKSCATTER}), 0)::UBIGINT AS bs_p FROM f GROUP BY day),
       ds AS (SELECT u.day, u.s, bool_or(u.country = ${home}) AS dom, bool_or(u.kind = ${BACKSCATTER}) AS bs, ${spoofed.length ? 'bool_or(sp.s IS NULL)' : 'TRUE'} AS host
              FROM (SELECT day, country, kind, proto, port, unnest(sources) AS s FROM f) u
              ${spoofed.length ? 'LEFT JOIN sp ON u.day = sp.day AND u.s = sp.s AND u.port = sp.port AND u.proto = sp.proto' : ''} GROUP BY u.day, u.s),
       s AS (SELECT day, count(*) FILTER (WHERE host) AS n, count(*) FILTER (WHERE NOT host) AS spoofed, count(*) FILTER (WHERE dom AND host) AS dom_n,
               count(*) FILTER (WHERE bs) AS bs_n FROM ds GROUP BY day),
       pr AS (SELECT day, proto, port, unnest(sources) AS s FROM f WHERE kind IN (${TCP_SYN}, ${UDP})),
       cand AS (SELECT day, s FROM pr GROUP BY day, s HAVING count(*) >= ${minP}),
       w AS (SELECT day, count(*) AS n FROM (SELECT day, s, count(DISTINCT proto * 65536 + port) AS ports FROM pr SEMI JOIN cand USING (day, s) GROUP BY day, s) WHERE ports >= ${minP} GROUP BY day)
       SELECT p.day::VARCHAR AS day, p.packets, p.dom_p, p.bs_p, coalesce(s.n, 0) AS n, coalesce(s.spoofed, 0) AS spoofed, coalesce(s.dom_n, 0) AS dom_n,
         coalesce(s.bs_n, 0) AS bs_n, coalesce(w.n, 0) AS sweepers, (SELECT count(DISTINCT s) FILTER (WHERE host) FROM ds) AS hosts
       FROM p LEFT JOIN s USING (day) LEFT JOIN w USING (day) ORDER BY p.day`,
      params,
    );
    const days = r.map((x) => ({
      day: x.day as string,
      packets: Number(x.packets),
      sources: Number(x.n),
      spoofedSources: Number(x.spoofed),
      domesticPackets: Number(x.dom_p),
      domesticSources: Number(x.dom_n),
      backscatterPackets: Number(x.bs_p),
      backscatterVictims: Number(x.bs_n),
      portSweepers: Number(x.sweepers),
    }));
    return { days, sources: r.length ? Number(r[0].hosts) : 0 };
  }

  async dailyPackets(sel: Selection, by: 'port' | 'country', keys: string[]): Promise<{ day: string; key: string; packets: number }[]> {
    if (!keys.length) return [];
    const params: DuckDBValue[] = [];
    const d = duckDialect(params);
    const s = by === 'port' ? DuckDbStore.portDefaults(sel) : sel;
    const rel = (await this.summaryRelation(by === 'port' ? 'day_ports' : 'day_countries', s, params)) ?? this.rollupRelation(s, params);
    let keyExpr: string;
    let keep: string;
    if (by === 'port') {
      const pairs = keys.map((k) => portPair(k, d));
      keyExpr = "CAST(port AS VARCHAR) || '/' || CASE proto WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' ELSE CAST(proto AS VARCHAR) END";
      keep = `(port, proto) IN (${pairs.join(', ')})`;
    } else {
      keyExpr = 'country';
      keep = `ip_version <> 0 AND country IN (${keys.map((k) => d.param(k === 'unknown' || k === '' ? 0 : packCountry(k), 'UINTEGER')).join(', ')})`;
    }
    const r = await rows(this.conn, `SELECT time_bucket(INTERVAL 1 DAY, bucket)::DATE::VARCHAR AS day, ${keyExpr} AS k, sum(packets)::UBIGINT AS packets FROM ${rel} WHERE ${keep} GROUP BY ALL ORDER BY day, k`, params);
    return r.map((x) => ({ day: x.day as string, key: by === 'country' ? unpackCountry(Number(x.k)) || 'unknown' : (x.k as string), packets: Number(x.packets) }));
  }

  async totals(sel: Selection, withSources = true): Promise<Totals> {
    const params: DuckDBValue[] = [];
    const summary = await this.summaryRelation('day_countries', sel, params);
    if (summary) {
      const src = withSources ? await this.sourceDays(sel, params) : null;
      if (src || !withSources) {
        const r = await rows(
          this.conn,
          `SELECT coalesce(sum(packets), 0)::UBIGINT AS packets, count(DISTINCT bucket) AS days, ${src ? `(SELECT count(DISTINCT src) FROM ${src})` : 'NULL'} AS sources FROM ${summary}`,
          params,
        );
        return { packets: Number(r[0].packets), sources: src ? Number(r[0].sources) : null, days: Number(r[0].days) };
      }
      params.length = 0;
    }
    const rel = this.rollupRelation(sel, params);
    if (!withSources) {
      const r = await rows(this.conn, `SELECT coalesce(sum(packets), 0)::UBIGINT AS packets, count(DISTINCT time_bucket(INTERVAL 1 DAY, bucket)) AS days FROM ${rel}`, params);
      return { packets: Number(r[0].packets), sources: null, days: Number(r[0].days) };
    }
    const r = await rows(
      this.conn,
      `WITH f AS (SELECT bucket, packets, sources FROM ${rel})
       SELECT coalesce(sum(packets), 0)::UBIGINT AS packets, (SELECT count(DISTINCT s) FROM (SELECT unnest(sources) AS s FROM f)) AS sources,
         count(DISTINCT time_bucket(INTERVAL 1 DAY, bucket)) AS days FROM f`,
      params,
    );
    return { packets: Number(r[0].packets), sources: Number(r[0].sources), days: Number(r[0].days) };
  }

  async miraiDays(sel: Selection): Promise<MiraiDay[]> {
    const params: DuckDBValue[] = [];
    const d = await this.latestDarknet();
    const home = d ? packCountry(d.homeCountry) : 0;
    const sizes = new Map((d?.sensors ?? []).map((x) => [x.id, x]));
    const MIRAI = 1; // ToolBit.MIRAI
    const F = SourceFlag;
    const summary = await this.summaryRelation('day_countries', sel, params);
    const src = summary ? await this.sourceDays(sel, params) : null;
    if (!src) params.length = 0;
    // From the day summaries: packets per sensor from day_countries, sources from day_sources' flags.
    const fast = `WITH f AS (SELECT bucket::DATE::VARCHAR AS day, sensor, tools, packets FROM ${summary}),
       m AS (SELECT day, sensor, sum(packets)::UBIGINT AS p FROM f WHERE (tools & ${MIRAI}) <> 0 GROUP BY day, sensor),
       x AS (SELECT day::VARCHAR AS day, count(*) FILTER (WHERE (flags & ${F.MIRAI}) <> 0) AS n, count(*) FILTER (WHERE (flags & ${F.MIRAI}) <> 0 AND country = ${home}) AS dom,
               count(*) FILTER (WHERE (flags & ${F.TELNET}) <> 0 AND country = ${home}) AS all_n, count(*) FILTER (WHERE (flags & ${F.TELNET_MIRAI}) <> 0 AND country = ${home}) AS with_n
             FROM ${src} GROUP BY day),
       days AS (SELECT DISTINCT day FROM f)
       SELECT days.day, coalesce(to_json(list(struct_pack(sensor := m.sensor, p := m.p)) FILTER (WHERE m.sensor IS NOT NULL))::VARCHAR, '[]') AS per_sensor,
         coalesce(any_value(x.n), 0) AS mirai_sources, coalesce(any_value(x.dom), 0) AS mirai_dom,
         coalesce(any_value(x.all_n), 0) AS tel_all, coalesce(any_value(x.with_n), 0) AS tel_with
       FROM days LEFT JOIN m USING (day) LEFT JOIN x USING (day) GROUP BY days.day ORDER BY days.day`;
    const rel = src ? '' : this.rollupRelation(sel, params);
    // One pass per figure over the day-bucketed rollup rows; sources from the unnested lists.
    const r = await rows(
      this.conn,
      src ? fast : `WITH f AS (SELECT time_bucket(INTERVAL 1 DAY, bucket)::DATE::VARCHAR AS day, sensor, country, proto, port, kind, tools, packets, sources FROM ${rel}),
       m AS (SELECT day, sensor, sum(packets)::UBIGINT AS p FROM f WHERE (tools & ${MIRAI}) <> 0 GROUP BY day, sensor),
       ms AS (SELECT day, count(DISTINCT s) AS n, count(DISTINCT s) FILTER (WHERE country = ${home}) AS dom FROM (SELECT day, country, unnest(sources) AS s FROM f WHERE (tools & ${MIRAI}) <> 0) GROUP BY day),
       tel AS (SELECT day, count(DISTINCT s) AS all_n, count(DISTINCT s) FILTER (WHERE mirai) AS with_n
               FROM (SELECT day, (tools & ${MIRAI}) <> 0 AS mirai, unnest(sources) AS s FROM f WHERE country = ${home} AND proto = 6 AND port = 23 AND kind = 1) GROUP BY day),
       days AS (SELECT DISTINCT day FROM f)
       SELECT days.day, coalesce(to_json(list(struct_pack(sensor := m.sensor, p := m.p)) FILTER (WHERE m.sensor IS NOT NULL))::VARCHAR, '[]') AS per_sensor,
         coalesce(any_value(ms.n), 0) AS mirai_sources, coalesce(any_value(ms.dom), 0) AS mirai_dom,
         coalesce(any_value(tel.all_n), 0) AS tel_all, coalesce(any_value(tel.with_n), 0) AS tel_with
       FROM days LEFT JOIN m USING (day) LEFT JOIN ms USING (day) LEFT JOIN tel USING (day) GROUP BY days.day ORDER BY days.day`,
      params,
    );
    return r.map((x) => {
      const per = (JSON.parse(x.per_sensor as string) as { sensor: number; p: number }[]).map((e) => {
        const s = sizes.get(e.sensor);
        const p = Number(e.p);
        return { sensor: s?.name ?? (e.sensor === 0 ? '(not monitored)' : String(e.sensor)), miraiPackets: p, perIp: s && s.sizeV4 > 0 ? p / s.sizeV4 : null };
      }).sort((a, b) => (a.sensor < b.sensor ? -1 : a.sensor > b.sensor ? 1 : 0));
      const telAll = x.tel_all as number;
      const telWith = x.tel_with as number;
      return {
        day: x.day as string,
        miraiPackets: per.reduce((a, e) => a + e.miraiPackets, 0),
        perSensor: per,
        miraiSources: x.mirai_sources as number,
        miraiSourcesDomestic: x.mirai_dom as number,
        telnetDomesticWithMirai: telWith,
        telnetDomesticWithoutMirai: telAll - telWith,
      };
    });
  }

  async series(q: SeriesQuery): Promise<SeriesRow[]> {
    const c = this.conn;
    const sel: Selection = q.by === 'port' ? DuckDbStore.portDefaults(q) : q;
    let keyExpr: string;
    let keys: TopRow[] = [];
    let join = '';
    if (q.by === 'total') keyExpr = "'total'";
    else if (q.by === 'port' || q.by === 'country' || q.by === 'kind' || q.by === 'sensor' || q.by === 'tool') {
      // The followed keys only (their sources per bucket come below).
      keys = await this.top({ ...q, by: q.by, limit: q.limit, withSources: false });
      if (!keys.length) return [];
      if (q.by === 'port') keyExpr = `CAST(port AS VARCHAR) || '/' || CASE proto WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' ELSE CAST(proto AS VARCHAR) END`;
      else if (q.by === 'tool') {
        keyExpr = 't.label';
        join = ' JOIN tools t ON (r.tools & t.code) <> 0';
      } else keyExpr = `CAST(${q.by} AS VARCHAR)`;
    } else throw new StoreError('query', `series --by ${q.by} is not available from rollups (use port, country, kind, sensor, tool or total)`);
    const params: DuckDBValue[] = [];
    // Buckets finer than a rollup level must not be read from it (its rows sit at the level's start).
    const [, H, D] = ROLLUP_LEVELS.map((l) => l.ms);
    const rel = this.rollupRelation(sel, params, q.step.ms % D === 0 ? 'day' : q.step.ms % H === 0 ? 'hour' : 'minute');
    const stepUs = BigInt(q.step.ms) * 1000n;
    // Only the followed keys' rows reach the source lists (as key text, bound as parameters).
    const keyTexts = keys.map((k) => (q.by === 'port' || q.by === 'tool' ? k.key : String(k.detail.code)));
    const keep = q.by === 'total' ? '' : `WHERE k IN (${keyTexts.map((t) => { params.push(t); return `$${params.length}`; }).join(', ')})`;
    // The same keys as columns, so that DuckDB drops other rows before building key texts.
    const d = duckDialect(params);
    const conds = q.by === 'country' ? ['r.ip_version <> 0'] : [];
    if (q.by === 'port') conds.push(`(r.port, r.proto) IN (${keys.map((k) => portPair(k.key, d)).join(', ')})`);
    else if (q.by === 'country' || q.by === 'kind' || q.by === 'sensor') conds.push(`r.${q.by} IN (${keys.map((k) => d.param(Number(k.detail.code), 'UINTEGER')).join(', ')})`);
    const r = await rows(
      c,
      `WITH f AS (SELECT * FROM (SELECT time_bucket(to_microseconds(${stepUs}), r.bucket)::VARCHAR AS t, ${keyExpr} AS k, r.packets, r.sources
                  FROM ${rel} r${join} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}) ${keep}),
       pk AS (SELECT t, k, sum(packets)::UBIGINT AS packets FROM f GROUP BY t, k),
       sc AS (SELECT t, k, count(DISTINCT s) AS sources FROM (SELECT t, k, unnest(sources) AS s FROM f) GROUP BY t, k)
       SELECT pk.t, pk.k, pk.packets, coalesce(sc.sources, 0) AS sources FROM pk LEFT JOIN sc USING (t, k) ORDER BY pk.t, pk.k`,
      params,
    );
    // Keys in the store's codes → the text top() gives them.
    const text = (k: string): string | null => {
      if (q.by === 'total' || q.by === 'port' || q.by === 'tool') return k;
      const code = Number(k);
      const row = keys.find((x) => x.detail.code === code);
      return row ? row.key : null;
    };
    const wanted = new Set(keys.map((k) => k.key));
    const out: SeriesRow[] = [];
    for (const x of r) {
      const key = text(x.k as string);
      if (key === null || (q.by !== 'total' && !wanted.has(key))) continue;
      out.push({ t: new Date((x.t as string).replace(' ', 'T') + 'Z').toISOString(), key, packets: x.packets as number, sources: x.sources as number });
    }
    return out;
  }

  async sql(text: string): Promise<SqlResult> {
    if (!this.readOnly) throw new StoreError('readonly', 'sql runs on a store opened read-only');
    try {
      const r = await this.conn.runAndReadAll(text);
      // JSON-safe values; integers stay numbers while exact (DuckDB's JSON form makes every BIGINT a string).
      const raw = r.getRows();
      const json = r.getRowsJson() as unknown[][];
      const rowsOut = raw.map((row, i) => row.map((v, j) => (typeof v === 'bigint' ? (v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString()) : json[i][j])));
      return { columns: r.columnNames(), rows: rowsOut };
    } catch (e) {
      throw new StoreError('query', (e as Error).message.split('\n').slice(0, 3).join(' '));
    }
  }

  async export(filter: FilterExpr | null, format: ExportFormat, out: string): Promise<number> {
    const params: DuckDBValue[] = [];
    const where = filter ? compileFilter(filter, duckDialect(params)) : 'TRUE';
    const select = `SELECT ${EXPORT_COLUMNS} FROM packets_full WHERE ${where} ORDER BY ts, file_id, rec`;
    const opts = format === 'csv' ? "(FORMAT csv, HEADER true)" : format === 'jsonl' ? '(FORMAT json)' : "(FORMAT parquet, COMPRESSION zstd)";
    // The output path is the analyst's own argument, written as an SQL string literal (quotes doubled).
    const r = await rows(this.conn, `COPY (${select}) TO '${out.replace(/'/g, "''")}' ${opts}`, params);
    return Number(r[0]?.Count ?? r[0]?.count ?? 0);
  }

  async close(): Promise<void> {
    for (const c of this.chunkConns) c.closeSync();
    this.conn.closeSync();
    this.instance.closeSync();
  }

  /** For tests and benchmarks: a query on the open connection. */
  async query(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return rows(this.conn, sql, params);
  }
}

/** A UHUGEINT IPv6 address as RFC 5952 text. */
function v6text(x: unknown): string {
  const v = typeof x === 'bigint' ? x : BigInt(String(x ?? 0));
  return formatIPv6([3, 2, 1, 0].map((i) => Number((v >> BigInt(32 * i)) & 0xffffffffn)));
}

/** Comma-separated labels of the bits set in a column (labels are constants of the rule tables, not input). */
function bitLabels(col: string, rules: readonly { label: string; bit: number }[]): string {
  return `concat_ws(',', ${rules.map((r) => `CASE WHEN (${col} & ${r.bit}) <> 0 THEN '${r.label}' END`).join(', ')}) AS ${col}`;
}

/** What export writes per packet: readable forms next to the codes. */
const EXPORT_COLUMNS = [
  // ISO 8601 with the nanoseconds the capture had (strftime stops at µs).
  "strftime(ts::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%f') || lpad(CAST(epoch_ns(ts) % 1000 AS VARCHAR), 3, '0') || 'Z' AS time",
  'file_id',
  'rec',
  'sensor',
  'ip_version',
  'CASE WHEN ip_version = 4 THEN ipv4(src) WHEN ip_version = 6 THEN ipv6(src6) END AS src',
  'CASE WHEN ip_version = 4 THEN ipv4(dst) WHEN ip_version = 6 THEN ipv6(dst6) END AS dst',
  'proto',
  'sport',
  'dport',
  'tcp_flags',
  'ttl',
  'ip_id',
  'seq',
  'tcp_window',
  'payload_len',
  `CASE kind ${KIND_RULES.map((r) => `WHEN ${r.bit} THEN '${r.label}'`).join(' ')} END AS kind`,
  bitLabels('tools', TOOL_RULES),
  bitLabels('tags', TAG_RULES),
  'filters',
  'CASE WHEN kind = 4 THEN (CASE WHEN ip_version = 4 THEN ipv4(victim) ELSE ipv6(victim6) END) END AS victim',
  'CASE WHEN kind = 4 THEN victim_port END AS victim_port',
  'cc(src_country) AS src_country',
  'nullif(src_asn, 0) AS src_asn',
].join(', ');

/** One chunk's transaction on its own connection: rows appended as they come, rollups and ledger at commit. */
class DuckChunk implements ChunkTransaction {
  private firstRec = -1;
  private nextRec = -1;
  private rowsIn = 0;
  private closed = false;

  constructor(
    private readonly store: DuckDbStore,
    private readonly conn: DuckDBConnection,
    private readonly fileId: number,
    private readonly appender: PacketAppender,
    private readonly release: () => void,
  ) {}

  private stored: Promise<void> | null = null;

  append(batch: PacketBatch, from: number, to: number, rec: number): Promise<void> {
    if (this.closed) throw new Error('chunk already committed');
    if (this.firstRec < 0) this.firstRec = this.nextRec = rec;
    if (rec !== this.nextRec) throw new Error(`records out of order in a chunk: expected ${this.nextRec}, got ${rec}`);
    this.nextRec += to - from;
    this.rowsIn += to - from;
    return this.appender.append(batch, from, to, rec);
  }

  get clampedTimestamps(): number {
    return this.appender.counters.clampedTimestamps;
  }

  seal(): void {
    if (this.closed) throw new Error('chunk already committed');
    this.closed = true;
    this.stored = this.appender.finish();
    this.stored.catch(() => undefined); // awaited by commit()
  }

  async commit(nextRec: number, opts: CommitOptions): Promise<void> {
    if (!this.closed) this.seal();
    const c = this.conn;
    const { begin, done, rollups } = opts;
    try {
      await this.stored;
      if (begin) {
        const id = begin.identity;
        await c.run('INSERT INTO ingest_files VALUES ($1, $2, $3, $4, $5, $6, $7, now()::TIMESTAMP)', [this.fileId, id.sha256, BigInt(id.size), id.quick, begin.name, begin.sensor, begin.configId]);
      }
      if (this.rowsIn > 0) {
        if (this.nextRec !== nextRec) throw new Error(`chunk ends at record ${this.nextRec}, ledger would say ${nextRec}`);
      }
      await this.store.writeRollups(c, rollups);
      const drop = opts.dropOpenEvents;
      if (drop && (!drop.ids || drop.ids.length)) {
        const only = drop.ids ? ' AND list_contains($2::VARCHAR[], event_id)' : '';
        await c.run(`DELETE FROM events WHERE file_id = $1 AND event_id LIKE 'open:%'${only}`, drop.ids ? [drop.fileId, listValue(drop.ids)] : [drop.fileId]);
      }
      if (opts.events?.length) await this.store.writeEvents(c, opts.events);
      // Buckets this chunk may share with rows already stored: its first minute (the previous
      // chunk's last), and the hours and days of a second hour/day write of the file.
      if (rollups.minute && rollups.minute.n > 0 && this.firstRec > 0) {
        const first = rollups.minute.bucketMs.reduce((a, b) => Math.min(a, b), Infinity);
        await this.store.markPending(c, this.fileId, 'minute', first, first);
      }
      if (opts.coarseAgain) {
        for (const [unit, r] of [['hour', rollups.hour], ['day', rollups.day]] as const) {
          if (!r || r.n === 0) continue;
          let lo = Infinity, hi = -Infinity;
          for (const b of r.bucketMs) {
            if (b < lo) lo = b;
            if (b > hi) hi = b;
          }
          await this.store.markPending(c, this.fileId, unit, lo, hi);
        }
      }
      if (rollups.day && rollups.day.n > 0) {
        // The days this chunk wrote: their summaries are stale until refreshSummaries().
        let lo = Infinity, hi = -Infinity;
        for (const b of rollups.day.bucketMs) {
          if (b < lo) lo = b;
          if (b > hi) hi = b;
        }
        await this.store.markPending(c, this.fileId, 'summary', lo, hi);
        // And with detectors, their surge pass is due on them (cleared by the pass).
        if (opts.surgeMarks) await this.store.markPending(c, this.fileId, 'surge', lo, hi);
      }
      if (this.rowsIn > 0 || rollups.hour) {
        // A chunk row also records how far the hour/day rollups are written (rollup_rec).
        const first = this.rowsIn > 0 ? this.firstRec : nextRec;
        await c.run('INSERT INTO ingest_chunks VALUES ($1, $2, $3, $4, now()::TIMESTAMP)', [this.fileId, BigInt(first), BigInt(this.rowsIn), BigInt(opts.rollupRec)]);
      }
      if (done) {
        await this.store.finishFile(c, this.fileId, done.info);
      }
      await c.run('COMMIT');
    } catch (e) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      this.release();
    }
  }

  async rollback(): Promise<void> {
    this.closed = true;
    await this.appender.abandon();
    try {
      await this.conn.run('ROLLBACK');
    } finally {
      this.release();
    }
  }
}
