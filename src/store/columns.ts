/**
 * The stored packet row: which PacketBatch columns are kept, under which name
 * and SQL type. Shared by every Store implementation (DuckDB now, ClickHouse
 * later) so that a query means the same on both.
 *
 * Conventions (documented for analysts in the README):
 *  - ts is nanoseconds since the epoch (TIMESTAMP_NS);
 *  - IPv4 addresses are integers (192.0.2.10 → 3221225994); for IPv6 rows src
 *    holds the 32-bit hash darkscope counts distinct IPv6 sources by (the same
 *    one `analyze` uses) and dst is 0; the IPv6 addresses themselves are in
 *    packets_v6 (file_id, rec, src6, dst6, victim6), one row per IPv6 packet
 *    (1 % of a typical darknet's packets: 48 mostly-zero bytes on every row
 *    would cost every row a third of the insert speed);
 *  - columns are the ones analyses use: each column costs insert speed (with
 *    43 columns DuckDB took 1.7 M rows/s here, with 28 about 2.6 M). What the
 *    classifier derived from the dropped fields (options, fragments, lengths)
 *    is kept in tools / filters / tags;
 *  - country codes are packed: 'JP' → 0x4A50 (see cc() in SQL), 0 = unknown;
 *  - kind, response, tools, filters and tags are the classifier's codes and bit
 *    sets (tables kinds, tools, filters, tags name them).
 */
import type { ColumnName } from '../decode/batch.js';

export type SqlType = 'UTINYINT' | 'USMALLINT' | 'UINTEGER' | 'UBIGINT' | 'UHUGEINT' | 'TIMESTAMP_NS';

export interface StoredColumn {
  /** Column name in the packets table (view). */
  name: string;
  type: SqlType;
  /** The batch column copied as is, or how the value is made. */
  from: ColumnName | 'ts' | 'file' | 'rec' | 'srcKey' | 'packA' | 'packB';
  doc: string;
  /** Stored inside packed_a / packed_b (word, bit offset, width) instead of a column of its own. */
  packed?: { word: 'a' | 'b'; shift: number; bits: number };
}

export const PACKET_COLUMNS: readonly StoredColumn[] = [
  { name: 'ts', type: 'TIMESTAMP_NS', from: 'ts', doc: 'capture time (ns)' },
  { name: 'file_id', type: 'UINTEGER', from: 'file', doc: 'ingest ledger id of the capture file' },
  { name: 'rec', type: 'UBIGINT', from: 'rec', doc: 'record number in the file (0-based): (file_id, rec) is unique' },
  { name: 'sensor', type: 'USMALLINT', from: 'sensor', doc: 'sensor id (darknet configuration), 0 = not monitored', packed: { word: 'a', shift: 48, bits: 16 } },
  { name: 'ip_version', type: 'UTINYINT', from: 'ipVersion', doc: '4, 6, or 0 when not IP', packed: { word: 'a', shift: 40, bits: 8 } },
  { name: 'src', type: 'UINTEGER', from: 'srcKey', doc: 'IPv4 source; IPv6 rows: 32-bit hash of src6' },
  { name: 'dst', type: 'UINTEGER', from: 'dst', doc: 'IPv4 destination (0 for IPv6)' },
  { name: 'proto', type: 'UTINYINT', from: 'proto', doc: 'IP protocol (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6)', packed: { word: 'a', shift: 32, bits: 8 } },
  { name: 'ttl', type: 'UTINYINT', from: 'ttl', doc: 'TTL / hop limit', packed: { word: 'a', shift: 24, bits: 8 } },
  { name: 'ip_id', type: 'UINTEGER', from: 'ipId', doc: 'IPv4 identification' },
  { name: 'sport', type: 'USMALLINT', from: 'sport', doc: 'source port' },
  { name: 'dport', type: 'USMALLINT', from: 'dport', doc: 'destination port' },
  { name: 'tcp_flags', type: 'USMALLINT', from: 'tcpFlags', doc: 'TCP flags (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, …)', packed: { word: 'a', shift: 12, bits: 12 } },
  { name: 'seq', type: 'UINTEGER', from: 'seq', doc: 'TCP sequence number' },
  { name: 'tcp_window', type: 'USMALLINT', from: 'window', doc: 'TCP window' },
  { name: 'icmp_type', type: 'UTINYINT', from: 'icmpType', doc: 'ICMP type', packed: { word: 'b', shift: 16, bits: 8 } },
  { name: 'payload_len', type: 'UINTEGER', from: 'payloadLen', doc: 'transport payload bytes' },
  { name: 'kind', type: 'UTINYINT', from: 'kind', doc: 'traffic kind (table kinds)', packed: { word: 'a', shift: 8, bits: 4 } },
  { name: 'response', type: 'UTINYINT', from: 'response', doc: 'backscatter response type (table responses)', packed: { word: 'a', shift: 4, bits: 4 } },
  { name: 'tools', type: 'USMALLINT', from: 'tools', doc: 'tool fingerprint bits (table tools)' },
  { name: 'filters', type: 'UINTEGER', from: 'filters', doc: 'corsaro3 spoofing/erratic filter bits (table filters)' },
  { name: 'tags', type: 'UTINYINT', from: 'tags', doc: 'composite spoofing tags (table tags)', packed: { word: 'a', shift: 0, bits: 4 } },
  { name: 'victim', type: 'UINTEGER', from: 'victim', doc: 'backscatter: the DoS victim (IPv4)' },
  { name: 'victim_port', type: 'USMALLINT', from: 'victimPort', doc: "backscatter: the victim's port" },
  { name: 'victim_proto', type: 'UTINYINT', from: 'victimProto', doc: 'backscatter: protocol of the attack', packed: { word: 'b', shift: 8, bits: 8 } },
  { name: 'src_scope', type: 'UTINYINT', from: 'srcScope', doc: 'source inside an organisation live prefix / internal darknet', packed: { word: 'b', shift: 0, bits: 8 } },
  { name: 'src_country', type: 'USMALLINT', from: 'srcCountry', doc: 'source country, packed (cc())' },
  { name: 'src_asn', type: 'UINTEGER', from: 'srcAsn', doc: 'source AS number (0 unknown)' },
];

/**
 * What is stored: the unpacked columns, then the small ones packed into two words. The
 * `packets` view decodes them, so SQL sees PACKET_COLUMNS. Fewer, wider columns insert
 * faster (measured, 4M real rows, one thread: 28 columns 1.86–2.03 s, 19 columns 1.61 s).
 */
export const RAW_COLUMNS: readonly StoredColumn[] = [
  ...PACKET_COLUMNS.filter((c) => !c.packed),
  { name: 'packed_a', type: 'UBIGINT', from: 'packA', doc: 'sensor, ip_version, proto, ttl, tcp_flags, kind, response, tags' },
  { name: 'packed_b', type: 'UINTEGER', from: 'packB', doc: 'icmp_type, victim_proto, src_scope' },
];

/** SELECT list of the packets view over packets_raw. */
export function packetsViewSelect(): string {
  return PACKET_COLUMNS.map((c) => {
    if (!c.packed) return c.name;
    const { word, shift, bits } = c.packed;
    return `CAST((packed_${word} >> ${shift}) & ${2 ** bits - 1} AS ${c.type}) AS ${c.name}`;
  }).join(', ');
}

/** The IPv6 side table: addresses of the IPv6 rows, keyed like packets. */
export const V6_COLUMNS: readonly StoredColumn[] = [
  { name: 'file_id', type: 'UINTEGER', from: 'file', doc: 'ingest ledger id' },
  { name: 'rec', type: 'UBIGINT', from: 'rec', doc: 'record number in the file' },
  { name: 'src6', type: 'UHUGEINT', from: 'src6', doc: 'IPv6 source' },
  { name: 'dst6', type: 'UHUGEINT', from: 'dst6', doc: 'IPv6 destination' },
  { name: 'victim6', type: 'UHUGEINT', from: 'victim6', doc: 'backscatter: the IPv6 DoS victim (0 otherwise)' },
];

export const SQL_TYPE_BYTES: Record<SqlType, number> = { UTINYINT: 1, USMALLINT: 2, UINTEGER: 4, UBIGINT: 8, UHUGEINT: 16, TIMESTAMP_NS: 8 };
