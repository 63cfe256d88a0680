/**
 * The DuckDB schema and its migrations. The version lives in meta; opening a
 * store applies the migrations it lacks, in one transaction each, and refuses
 * a database made by a newer darkscope.
 */
import { FILTER_RULES, KIND_RULES, RESPONSE_NAMES, TAG_RULES, TOOL_RULES, ToolBit, TrafficKind } from '../../classify/rules.js';
import { packetsViewSelect, RAW_COLUMNS, V6_COLUMNS } from '../columns.js';

export const SCHEMA_VERSION = 3;

/** Rollup levels: table name and bucket width. */
export const ROLLUP_LEVELS = [
  { table: 'rollup_minute', unit: 'minute', ms: 60_000 },
  { table: 'rollup_hour', unit: 'hour', ms: 3_600_000 },
  { table: 'rollup_day', unit: 'day', ms: 86_400_000 },
] as const;

/** The rollup key, in order. */
export const ROLLUP_KEY = ['bucket', 'sensor', 'ip_version', 'kind', 'proto', 'port', 'country', 'tools'] as const;

const rollupTable = (name: string) => `CREATE TABLE ${name} (
  bucket TIMESTAMP NOT NULL,
  sensor USMALLINT NOT NULL,
  ip_version UTINYINT NOT NULL,
  kind UTINYINT NOT NULL,
  proto UTINYINT NOT NULL,
  port USMALLINT NOT NULL,
  country USMALLINT NOT NULL,
  tools USMALLINT NOT NULL,
  packets UBIGINT NOT NULL,
  sources UINTEGER[] NOT NULL
)`;

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const lookup = (table: string, rules: readonly { label: string; bit: number; condition?: string; source?: string; confidence?: string }[]) =>
  [
    `CREATE TABLE ${table} (code UINTEGER PRIMARY KEY, label VARCHAR NOT NULL, condition VARCHAR, source VARCHAR, confidence VARCHAR)`,
    ...(rules.length ? [`INSERT INTO ${table} VALUES ${rules.map((r) => `(${r.bit}, ${quote(r.label)}, ${quote(r.condition ?? '')}, ${quote(r.source ?? '')}, ${quote(r.confidence ?? '')})`).join(', ')}`] : []),
  ];

/** Statements of each version (index 0 → version 1). Constants only: nothing here comes from input. */
export const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE packets_raw (\n  ${RAW_COLUMNS.map((c) => `${c.name} ${c.type} NOT NULL`).join(',\n  ')}\n)`,
    // What SQL sees: every column by name and type, the packed ones decoded.
    `CREATE VIEW packets AS SELECT ${packetsViewSelect()} FROM packets_raw`,
    `CREATE TABLE packets_v6 (\n  ${V6_COLUMNS.map((c) => `${c.name} ${c.type} NOT NULL`).join(',\n  ')}\n)`,
    // Every packet with its IPv6 addresses (0 for IPv4 rows): what export and IPv6 filters read.
    `CREATE VIEW packets_full AS SELECT p.*, coalesce(v.src6, 0::UHUGEINT) AS src6, coalesce(v.dst6, 0::UHUGEINT) AS dst6, coalesce(v.victim6, 0::UHUGEINT) AS victim6
      FROM packets p LEFT JOIN packets_v6 v ON p.ip_version = 6 AND v.file_id = p.file_id AND v.rec = p.rec`,
    ...ROLLUP_LEVELS.map((l) => rollupTable(l.table)),
    // Time ranges whose rollup rows still hold one delta per chunk: merged by compact() after each file.
    // level: minute, hour, day, or all; lo/hi: the buckets that may hold more than one row per key.
    `CREATE TABLE rollup_pending (file_id UINTEGER NOT NULL, level VARCHAR NOT NULL, lo TIMESTAMP NOT NULL, hi TIMESTAMP NOT NULL)`,
    `CREATE TABLE darknet_configs (
      config_id UINTEGER PRIMARY KEY,
      sha256 VARCHAR NOT NULL UNIQUE,
      home_country VARCHAR NOT NULL,
      sensors VARCHAR NOT NULL,
      config VARCHAR NOT NULL,
      first_used TIMESTAMP NOT NULL
    )`,
    // The ledger is insert-only (a file, its chunks, its completion), so that the next chunk's
    // transaction can be open while the previous one commits without conflicting with it.
    `CREATE TABLE ingest_files (
      file_id UINTEGER PRIMARY KEY,
      sha256 VARCHAR NOT NULL,
      size UBIGINT NOT NULL,
      quick VARCHAR NOT NULL,
      name VARCHAR NOT NULL,
      sensor VARCHAR,
      config_id UINTEGER NOT NULL,
      started_at TIMESTAMP NOT NULL,
      UNIQUE (sha256, size)
    )`,
    `CREATE TABLE ingest_chunks (
      file_id UINTEGER NOT NULL,
      first_rec UBIGINT NOT NULL,
      rows UBIGINT NOT NULL,
      rollup_rec UBIGINT NOT NULL,
      committed_at TIMESTAMP NOT NULL,
      PRIMARY KEY (file_id, first_rec)
    )`,
    `CREATE TABLE ingest_done (
      file_id UINTEGER PRIMARY KEY,
      finished_at TIMESTAMP NOT NULL,
      first_ts TIMESTAMP_NS,
      last_ts TIMESTAMP_NS,
      info VARCHAR NOT NULL
    )`,
    `CREATE VIEW ingest_ledger AS
      SELECT f.*, coalesce(c.next_rec, 0) AS next_rec, coalesce(c.rollup_rec, 0) AS rollup_rec, coalesce(c.rows, 0) AS rows, coalesce(c.chunks, 0) AS chunks,
        CASE WHEN d.file_id IS NULL THEN 'partial' ELSE 'complete' END AS status, d.finished_at, d.first_ts, d.last_ts, d.info
      FROM ingest_files f
      LEFT JOIN (SELECT file_id, max(first_rec + rows) AS next_rec, max(rollup_rec) AS rollup_rec, sum(rows) AS rows, count(*) FILTER (WHERE rows > 0) AS chunks FROM ingest_chunks GROUP BY file_id) c USING (file_id)
      LEFT JOIN ingest_done d USING (file_id)`,
    // Filled by the detectors (issue 5); the shape common to every event type, details as JSON text.
    `CREATE TABLE events (
      event_id UBIGINT PRIMARY KEY,
      type VARCHAR NOT NULL,
      first_seen TIMESTAMP_NS NOT NULL,
      last_seen TIMESTAMP_NS NOT NULL,
      sensor USMALLINT NOT NULL,
      src UINTEGER,
      src6 UHUGEINT,
      port USMALLINT,
      proto UTINYINT,
      packets UBIGINT NOT NULL,
      details VARCHAR NOT NULL
    )`,
    ...lookup('kinds', KIND_RULES),
    ...lookup('tools', TOOL_RULES),
    ...lookup('tags', TAG_RULES),
    ...lookup('filters', FILTER_RULES),
    ...lookup(
      'responses',
      Object.entries(RESPONSE_NAMES)
        .filter(([, n]) => n !== '')
        .map(([code, label]) => ({ label, bit: Number(code) })),
    ),
    // Readable forms for analysts' SQL: ipv4(src) → '192.0.2.1', cc(src_country) → 'JP'.
    `CREATE MACRO ipv4(x) AS CAST(x >> 24 AS VARCHAR) || '.' || CAST((x >> 16) & 255 AS VARCHAR) || '.' || CAST((x >> 8) & 255 AS VARCHAR) || '.' || CAST(x & 255 AS VARCHAR)`,
    `CREATE MACRO cc(x) AS CASE WHEN x = 0 THEN NULL ELSE chr(CAST(x >> 8 AS INTEGER)) || chr(CAST(x & 255 AS INTEGER)) END`,
    `CREATE MACRO ipv6(x) AS array_to_string([lpad(printf('%x', CAST((x >> CAST(112 - 16 * i AS UHUGEINT)) & CAST(65535 AS UHUGEINT) AS INTEGER)), 1, '0') FOR i IN range(8)], ':')`,
  ],
  // v2: events as the detectors write them, with a deterministic id (type, file, key, first
  // time). No index on it: an index lives in memory, and ingest's events can be millions.
  [
    'DROP TABLE events',
    `CREATE TABLE events (
      event_id VARCHAR NOT NULL,
      type VARCHAR NOT NULL,
      file_id UINTEGER NOT NULL,
      first_seen TIMESTAMP_NS NOT NULL,
      last_seen TIMESTAMP_NS NOT NULL,
      source VARCHAR,
      port USMALLINT,
      proto UTINYINT,
      tool VARCHAR,
      victim VARCHAR,
      victim_port USMALLINT,
      attack_type VARCHAR,
      packets UBIGINT NOT NULL,
      details VARCHAR NOT NULL
    )`,
  ],
  // v3: day summaries, derived from rollup_day by Store.refreshSummaries for the days ingest
  // marked ('summary' rows of rollup_pending): what a quarter's report reads instead of
  // millions of day rows and their source lists (see DAY_SUMMARIES).
  [
    `CREATE TABLE day_ports (
      day DATE NOT NULL, sensor USMALLINT NOT NULL, kind UTINYINT NOT NULL, proto UTINYINT NOT NULL, port USMALLINT NOT NULL, packets UBIGINT NOT NULL
    )`,
    `CREATE TABLE day_countries (
      day DATE NOT NULL, sensor USMALLINT NOT NULL, ip_version UTINYINT NOT NULL, kind UTINYINT NOT NULL, proto UTINYINT NOT NULL,
      country USMALLINT NOT NULL, tools USMALLINT NOT NULL, packets UBIGINT NOT NULL
    )`,
    `CREATE TABLE day_sources (
      day DATE NOT NULL, src UINTEGER NOT NULL, country USMALLINT NOT NULL, flags USMALLINT NOT NULL, probe_ports UINTEGER NOT NULL, ports UINTEGER NOT NULL
    )`,
    // Days stored before v3: summarised by the next ingest or `darkscope compact`.
    `INSERT INTO rollup_pending SELECT 0, 'summary', min(bucket), max(bucket) FROM rollup_day HAVING count(*) > 0`,
  ],
];

/**
 * Flags of a day_sources row: what the source did that day (bits OR-ed over its rollup rows).
 * Probe kinds are TCP SYN, UDP, ICMP echo and other TCP (report's PROBE_KINDS); telnet is a
 * TCP SYN to 23 (TSUBAME's figure 3).
 */
export const SourceFlag = {
  PROBE: 1,
  BACKSCATTER: 2,
  OTHER: 4,
  MIRAI: 8,
  TELNET: 16,
  TELNET_MIRAI: 32,
} as const;

/**
 * The day summaries: one statement each, for the rollup_day rows of `where` (a range of whole
 * days). day_sources goes through (day, source, port) first: no DISTINCT aggregates, so DuckDB
 * can spill it.
 */
export function summaryInserts(where: string): string[] {
  const F = SourceFlag, K = TrafficKind;
  const mirai = `(tools & ${ToolBit.MIRAI}) <> 0`;
  const flags = `(CASE WHEN kind IN (${K.TCP_SYN}, ${K.UDP}, ${K.ICMP_ECHO}, ${K.TCP_OTHER}) THEN ${F.PROBE} WHEN kind = ${K.BACKSCATTER} THEN ${F.BACKSCATTER} ELSE ${F.OTHER} END)
    | (CASE WHEN ${mirai} THEN ${F.MIRAI} ELSE 0 END)
    | (CASE WHEN kind = ${K.TCP_SYN} AND proto = 6 AND port = 23 THEN ${F.TELNET} | (CASE WHEN ${mirai} THEN ${F.TELNET_MIRAI} ELSE 0 END) ELSE 0 END)`;
  return [
    `INSERT INTO day_ports SELECT bucket::DATE, sensor, kind, proto, port, sum(packets)::UBIGINT FROM rollup_day WHERE ${where} GROUP BY ALL`,
    `INSERT INTO day_countries SELECT bucket::DATE, sensor, ip_version, kind, proto, country, tools, sum(packets)::UBIGINT FROM rollup_day WHERE ${where} GROUP BY ALL`,
    `INSERT INTO day_sources
     SELECT day, s, max(country), bit_or(flags), count(*) FILTER (WHERE probe), count(*)
     FROM (SELECT day, s, proto, port, max(country) AS country, bit_or(flags)::USMALLINT AS flags, bool_or(kind IN (${K.TCP_SYN}, ${K.UDP})) AS probe
           FROM (SELECT bucket::DATE AS day, kind, proto, port, country, ${flags} AS flags, unnest(sources) AS s FROM rollup_day WHERE ${where})
           GROUP BY day, s, proto, port)
     GROUP BY day, s`,
  ];
}

export const DAY_SUMMARIES = ['day_ports', 'day_countries', 'day_sources'] as const;