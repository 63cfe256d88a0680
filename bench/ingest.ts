/**
 * One ingest benchmark run in its own process (peak RSS is its own): a capture
 * into a fresh DuckDB store, end to end (start-up, hash, read, decode, classify,
 * enrich, rollups, storage); then `top --by port` on the store as ingest left it;
 * then compaction, timed apart (`darkscope compact`). Prints one JSON line.
 */
import { rmSync, statSync } from 'node:fs';
import { Darknet } from '../src/config/darknet.js';
import { GeoDb } from '../src/enrich/geo.js';
import { ingest } from '../src/ingest/run.js';
import { DuckDbStore } from '../src/store/duckdb/store.js';

const args = process.argv.slice(2);
// --detect: the detectors run too (scan, DoS, infected hosts, then surges over the store).
const detect = args.includes('--detect');
const [file, db, cidrs = '100.64.0.0/16,2001:db8::/32'] = args.filter((x) => x !== '--detect');
if (!file || !db) {
  process.stderr.write('usage: ingest FILE DB [CIDR,CIDR] [--detect]\n');
  process.exit(2);
}
for (const p of [db, `${db}.wal`]) rmSync(p, { force: true });
rmSync(`${db}.tmp`, { recursive: true, force: true });
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const geo = await GeoDb.load();
const store = await DuckDbStore.open(db);
const [o] = await ingest([file], store, Darknet.fromCidrs(cidrs.split(',')), geo, { detect });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
// CPU of all the process's threads (main, workers, DuckDB's): what ingest costs a 2-core machine.
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const ingestRssMB = process.resourceUsage().maxRSS / 1024;
const events = detect ? (await store.events({})).length : null;
// top --by port before compaction (warm, median of 5).
await store.top({ by: 'port', limit: 10 });
const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  await store.top({ by: 'port', limit: 10 });
  times.push(performance.now() - t);
}
const rowsBefore = await store.rollupRows();
const t1 = performance.now();
await store.compact();
const compactSeconds = (performance.now() - t1) / 1000;
const rowsAfter = await store.rollupRows();
await store.close();
process.stdout.write(
  JSON.stringify({
    packets: o.rows,
    chunks: o.chunks,
    seconds,
    cpuSeconds,
    events,
    maxRssMB: ingestRssMB,
    maxRssWithCompactMB: process.resourceUsage().maxRSS / 1024,
    topPortUncompactedMs: times.sort((a, b) => a - b)[2],
    compactSeconds,
    rollupRowsBefore: rowsBefore,
    rollupRowsAfter: rowsAfter,
    dbBytes: statSync(db).size,
  }) + '\n',
);
