/**
 * The Store: where an observatory keeps what it saw. DuckDB (one file) is the
 * embedded default; a ClickHouse implementation for deployments that outgrow
 * one machine implements the same interface. Callers never see SQL dialects:
 * ingest hands over PacketBatch rows chunk by chunk, queries come as
 * TopQuery / SeriesQuery / Filter values.
 */
import type { Cidr } from '../config/cidr.js';
import type { PacketBatch } from '../decode/batch.js';
import type { FilterExpr } from './filter.js';
import type { RollupRows } from './rollup.js';

/** A capture file's identity: its content, not its name (a renamed file is the same file). */
export interface FileIdentity {
  sha256: string;
  size: number;
  /** SHA-256 of the size, first and last MiB: finds candidates before the full hash is known. */
  quick: string;
}

export type LedgerStatus = 'partial' | 'complete';

export interface LedgerEntry {
  fileId: number;
  sha256: string;
  size: number;
  quick: string;
  /** The path it was first ingested from. */
  name: string;
  /** Capture point label given at ingest (--sensor), or null. */
  sensor: string | null;
  configId: number;
  status: LedgerStatus;
  /** Records committed: ingest resumes at this record number. */
  nextRec: number;
  /** Records whose hour and day rollups are stored: a resumed ingest replays [rollupRec, nextRec) into its rollup state. */
  rollupRec: number;
  /** Packets stored (= nextRec: every record gets a row, decodable or not). */
  rows: number;
  chunks: number;
  startedAt: string;
  finishedAt: string | null;
  /** What the reader found (format, errors, undecodable counts) once complete. */
  info: unknown;
}

/** The rollup rows a chunk commits: its minute rows, and the hour and day rows when the file's coarse state is written. */
export interface ChunkRollups {
  minute: RollupRows | null;
  hour?: RollupRows;
  day?: RollupRows;
}

/** A detector's event as stored (src/detect): scans and DoS attacks for now. */
/** Event types: streaming detectors (over the files of an ingest run) and the store-level surge pass. */
export const EVENT_TYPES = ['scan', 'dos', 'reflection', 'infected', 'surge', 'new-port', 'spoofed-surge'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface StoredEvent {
  /** Deterministic: type, file (0 for store-level events), key and first time. */
  id: string;
  type: EventType;
  fileId: number;
  firstSec: number;
  lastSec: number;
  source: string | null;
  port: number | null;
  proto: number | null;
  tool: string | null;
  victim: string | null;
  victimPort: number | null;
  attackType: string | null;
  packets: number;
  details: unknown;
}

/** Probe activity per bucket and port (and source country): the surge pass's input. */
export interface ActivityQuery extends Selection {
  step: 'hour' | 'day';
  byCountry: boolean;
  /** Only these ports ("port/proto number" keys, e.g. "37215/6"); all when absent. */
  ports?: string[];
  /** Only ports with a bucket of at least `minPackets` packets at or after `from` (the rest of their history included). */
  active?: { from: number; minPackets: number };
}

export interface ActivityRow {
  bucketMs: number;
  proto: number;
  port: number;
  /** Source country code (byCountry), '' unknown; null when not by country. */
  country: string | null;
  packets: number;
  sources: number;
}

/** What the packets of one bucket × port (× country) say about spoofing (methods.md §4, §5.2). */
export interface SpoofEvidence {
  packets: number;
  sources: number;
  /** Sources tagged non-routable (RFC 5735 space). */
  nonroutableSources: number;
  /** Sources whose last byte is 0 or 255. */
  lastByteSources: number;
  /** Sources that sent more than two packets. */
  busySources: number;
  /** Distinct destination ports of those sources' packets (all ports, same bucket). */
  ports: number;
}

export interface EventQuery {
  types?: StoredEvent['type'][];
  from?: number;
  to?: number;
  /** Events whose source or victim (an address, or a reflection's prefix) overlaps one of these. */
  addrs?: Cidr[];
  /** Events on one of these ports: the probed port, the victim's port, the surging port. */
  ports?: number[];
  limit?: number;
}

export interface CommitOptions {
  /** Creates the file's ledger entry in the same transaction (its first chunk). */
  begin?: NewFile;
  /** Marks the file complete. */
  done?: { info: unknown };
  rollups: ChunkRollups;
  /** Records whose hour and day rollups are stored once this commits (resume replays from here). */
  rollupRec: number;
  /** The hour/day rows are not the file's first such write (their buckets may already have rows). */
  coarseAgain?: boolean;
  /** Events the detectors emitted while reading this chunk's records. */
  events?: StoredEvent[];
  /**
   * The run does a surge pass (--detect): the days this chunk writes are marked for it too,
   * so that a run interrupted before its pass leaves them to the next one.
   */
  surgeMarks?: boolean;
  /**
   * Provisional events (ids `open:…`) of the file this one continues, deleted in the same
   * transaction: those whose events ended whole in this chunk (`ids`), or all of them.
   */
  dropOpenEvents?: { fileId: number; ids?: string[] };
}

/** A ledger entry to create with a file's first chunk. */
export interface NewFile {
  identity: FileIdentity;
  name: string;
  sensor: string | null;
  configId: number;
}

/** One chunk of one file, written in one transaction with its rollups and ledger update. */
export interface ChunkTransaction {
  /**
   * Rows [from, to) of `batch`, the first being record `rec` of the file. They are copied
   * before this returns (the batch is free again); the promise paces the caller while
   * the store catches up.
   */
  append(batch: PacketBatch, from: number, to: number, rec: number): Promise<void>;
  /** No more rows: start storing the rest (commit() does it if not done). */
  seal(): void;
  /** Capture times outside what the store holds, stored clamped (counted into the ledger's info). */
  readonly clampedTimestamps: number;
  /** Commit rows, rollups and the ledger's new position together. */
  commit(nextRec: number, opts: CommitOptions): Promise<void>;
  rollback(): Promise<void>;
}

export interface StoredDarknet {
  configId: number;
  sha256: string;
  config: unknown;
  sensors: { id: number; name: string; sizeV4: number }[];
  homeCountry: string;
}

export const TOP_DIMENSIONS = ['port', 'country', 'asn', 'tool', 'victim', 'source', 'kind', 'sensor'] as const;
export type TopDimension = (typeof TOP_DIMENSIONS)[number];

/** Common selection of top and series. Times are ms since the epoch, [from, to). */
export interface Selection {
  from?: number;
  to?: number;
  sensors?: number[];
  kinds?: number[];
  protos?: number[];
}

export interface TopQuery extends Selection {
  by: TopDimension;
  limit: number;
  /** false: the ranking only (packets), no distinct sources (null): far cheaper over long ranges. */
  withSources?: boolean;
}

export interface TopRow {
  /** The key as text: "23/tcp", "JP", "AS4713", "mirai", "192.0.2.1", … */
  key: string;
  packets: number;
  /** Distinct sources (null where the dimension is the source itself). */
  sources: number | null;
  /** Dimension-specific fields (port number and protocol, service label, country code, …). */
  detail: Record<string, string | number | null>;
}

export type SeriesStep = { label: string; ms: number };

export interface SeriesQuery extends Selection {
  by: TopDimension | 'total';
  step: SeriesStep;
  /** Keys followed: the top `limit` over the whole range. */
  limit: number;
}

export interface SeriesRow {
  /** Bucket start, ISO 8601. */
  t: string;
  key: string;
  packets: number;
  sources: number;
}

/**
 * Mirai-fingerprinted traffic (TCP SYN with seq = destination, methods.md §1.3) per day:
 * the NPA's packets per sensor IP, TSUBAME's domestic 23/TCP sources with and without the
 * feature (its figure 3). Distinct counts are exact (rollup source lists).
 */
export interface MiraiDay {
  day: string;
  /** Mirai-featured packets, and per sensor: packets ÷ the sensor's IPv4 addresses. */
  miraiPackets: number;
  perSensor: { sensor: string; miraiPackets: number; perIp: number | null }[];
  /** Distinct sources that sent a Mirai-featured packet; those registered in the home country. */
  miraiSources: number;
  miraiSourcesDomestic: number;
  /** Domestic sources of TCP SYNs to 23/TCP: with the feature on some packet that day, and the others. */
  telnetDomesticWithMirai: number;
  telnetDomesticWithoutMirai: number;
}

/**
 * The day figures periodic reports print (NPA, NICTER), from the rollups, per UTC day with
 * packets. Sources are distinct per day (rollup source lists; IPv6 sources as 32-bit hashes).
 */
export interface ReportDay {
  day: string;
  packets: number;
  /** Distinct sources, not counting those seen only as spoofed sources of a spoofed surge (see reportDays). */
  sources: number;
  /** Sources left out as spoofed that day. */
  spoofedSources: number;
  /** From sources registered in the home country. */
  domesticPackets: number;
  domesticSources: number;
  /** Backscatter (DoS victims' replies) and its distinct sources, the victims. */
  backscatterPackets: number;
  backscatterVictims: number;
  /** Sources that probed (TCP SYN, UDP) at least `minPorts` distinct ports that day. */
  portSweepers: number;
}

/** A spoofed surge's bucket: [from, to) ms, its port and protocol. */
export interface SpoofedBucket {
  from: number;
  to: number;
  port: number;
  proto: number;
}

/** Packets and distinct sources over a whole selection. */
export interface Totals {
  packets: number;
  /** Null when not asked for. */
  sources: number | null;
  /** UTC days with packets. */
  days: number;
}

export type ExportFormat = 'csv' | 'jsonl' | 'parquet';

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
}

export interface Store {
  readonly path: string;
  /** Records per ingest chunk (one transaction) that suit this store. */
  readonly chunkRecords: number;
  /** The darknet configuration in force: stored once per distinct content, returns its id. */
  saveDarknet(d: { sha256: string; config: unknown; sensors: StoredDarknet['sensors']; homeCountry: string }): Promise<number>;
  latestDarknet(): Promise<StoredDarknet | null>;
  /** Ledger entries whose size and quick hash match (candidates: confirm with the full hash). */
  findFiles(size: number, quick: string): Promise<LedgerEntry[]>;
  files(): Promise<LedgerEntry[]>;
  /** The id the next new file gets (one writer: nobody else takes it meanwhile). */
  nextFileId(): Promise<number>;
  openChunk(fileId: number): Promise<ChunkTransaction>;
  /** Tidy what ingest left for later (merge rollup deltas); safe to interrupt. Returns the ranges done. */
  compact(): Promise<number>;
  /**
   * Bring the day summaries (per-day ports, countries and sources, derived from the day
   * rollups) up to date for the days written since the last refresh; ingest calls it at its
   * end. Until then queries over those days read the rollups. Returns the days refreshed.
   */
  refreshSummaries(): Promise<number>;
  /**
   * The whole UTC days (ms, [from, to)) from the first to the last day marked for a surge
   * pass (by chunks committed with `surgeMarks`), or null.
   */
  surgeMarkedDays(): Promise<{ from: number; to: number } | null>;
  /** A surge pass covered these whole days (ms, [from, to)): their surge marks go. */
  clearSurgeMarks(days: { from: number; to: number }): Promise<void>;
  rollupRows(): Promise<number>;

  top(q: TopQuery): Promise<TopRow[]>;
  series(q: SeriesQuery): Promise<SeriesRow[]>;
  /** Stored events, in time order. */
  events(q: EventQuery): Promise<StoredEvent[]>;
  /** A file's provisional events (ids `open:…`: still open where its data ended), in time order. */
  provisionalEvents(fileId: number): Promise<StoredEvent[]>;
  /** Probe packets and distinct sources per bucket × port (× country), from the rollups. */
  portActivity(q: ActivityQuery): Promise<ActivityRow[]>;
  /**
   * Distinct sources of some ports ('23/tcp') and some source countries ('US', 'unknown') over a
   * selection, in one pass over the rollups' source lists (a report's two ranked tables).
   */
  keySources(sel: Selection, ports: string[], countries: string[]): Promise<{ ports: Map<string, number>; countries: Map<string, number> }>;
  /** Per sensor (by name; '(not monitored)' for packets outside every sensor): UTC days with packets, and its packets. */
  sensorDays(sel: Selection): Promise<{ sensor: string; days: number; packets: number }[]>;
  /** UTC days (ms) with packets of the selection, in order. */
  activeDays(sel: Selection): Promise<number[]>;
  /** First day (ms) each probed port ("port/proto" key) was seen, over the whole store. */
  portFirstSeen(): Promise<Map<string, number>>;
  /** Spoofing evidence of one bucket's probes on a port (from the packets table). */
  spoofEvidence(q: { from: number; to: number; port: number; proto: number; country?: string; kinds?: number[] }): Promise<SpoofEvidence>;
  /** Replace the events of `types` whose first time lies in [from, to) by `events` (one transaction). */
  putEvents(events: StoredEvent[], replace: { types: EventType[]; from: number; to: number }): Promise<void>;
  /**
   * What the store is doing now: ingest keeps its memory small (DuckDB: 96 MB); passes that
   * query history after ingest (the surge pass) get the memory queries have (1 GB): a busy
   * port's day rollup row alone can hold a 32 MiB source list.
   */
  setWorkload(w: 'ingest' | 'query'): Promise<void>;
  /**
   * Per-day report figures (UTC), from the rollups; `minPorts` for portSweepers (NPA: 100);
   * and the period's distinct sources. A source that, on a day, did nothing but send one or
   * two probes to the port of a `spoofed` bucket (spoofed-surge events: the packets table says
   * who) is a spoofed address, not a host: it is left out of the source counts.
   */
  reportDays(sel: Selection, minPorts: number, spoofed?: SpoofedBucket[]): Promise<{ days: ReportDay[]; sources: number }>;
  /** Packets, distinct sources (unless withSources is false) and days with packets over a selection, from the rollups. */
  totals(sel: Selection, withSources?: boolean): Promise<Totals>;
  /** Packets per UTC day of the given keys (ports '23/tcp' or country codes), from the rollups: no source lists read. */
  dailyPackets(sel: Selection, by: 'port' | 'country', keys: string[]): Promise<{ day: string; key: string; packets: number }[]>;
  /** Mirai metrics per day (UTC), from the rollups. */
  miraiDays(sel: Selection): Promise<MiraiDay[]>;
  /** A read-only query by an analyst. */
  sql(text: string): Promise<SqlResult>;
  export(filter: FilterExpr | null, format: ExportFormat, out: string): Promise<number>;
  close(): Promise<void>;
}

export type StoreErrorCode = 'locked' | 'corrupt' | 'version' | 'readonly' | 'query' | 'missing';

/** An expected failure with a message for the user (no stack trace). */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
