/**
 * One ingest benchmark run in its own process (peak RSS is its own): a capture
 * into a fresh DuckDB store, end to end (hash, read, decode, classify, enrich,
 * rollups, storage, compaction). Prints one JSON line.
 */
import { rmSync, statSync } from 'node:fs';
import { Darknet } from '../src/config/darknet.js';
import { GeoDb } from '../src/enrich/geo.js';
import { ingest } from '../src/ingest/run.js';
import { DuckDbStore } from '../src/store/duckdb/store.js';

const [file, db, cidrs = '100.64.0.0/16,2001:db8::/32'] = process.argv.slice(2);
if (!file || !db) {
  process.stderr.write('usage: ingest FILE DB [CIDR,CIDR]\n');
  process.exit(2);
}
for (const p of [db, `${db}.wal`]) rmSync(p, { force: true });
rmSync(`${db}.tmp`, { recursive: true, force: true });
const t0 = process.hrtime.bigint();
const geo = await GeoDb.load();
const store = await DuckDbStore.open(db);
const [o] = await ingest([file], store, Darknet.fromCidrs(cidrs.split(',')), geo);
await store.close();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ packets: o.rows, chunks: o.chunks, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, dbBytes: statSync(db).size }) + '\n');
