/**
 * The store against `analyze`: after ingesting the lab and real captures, top and
 * series give the numbers analyze gives on the same files — whatever the chunk
 * size (chunk boundaries split minutes, hours and sources; the rollups must merge
 * them exactly). Also re-ingest, renamed files and the ledger.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { analyze, type AnalysisResult } from '../../src/analyze/run.js';
import { Darknet } from '../../src/config/darknet.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { ingest } from '../../src/ingest/run.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { TopRow } from '../../src/store/store.js';
import { sharedFile } from '../helpers/paths.js';
import { tmpPath } from '../helpers/tmp.js';

let geo: GeoDb;
before(async () => {
  geo = await GeoDb.load();
});

interface Dataset {
  name: string;
  inputs: string[];
  darknet: Darknet;
}

const DATASETS: Dataset[] = [
  { name: 'lab (all captures)', inputs: [sharedFile('lab')], darknet: Darknet.fromCidrs(['100.64.0.0/22']) },
  { name: 'stopddos (real DDoS captures)', inputs: [sharedFile('real/stopddos')], darknet: Darknet.fromCidrs(['10.10.10.10/32']) },
];

/** Ingest into a fresh store, with small chunks (many boundaries) and low coarse caps when asked. */
async function storeOf(d: Dataset, name: string, chunkRecords?: number): Promise<DuckDbStore> {
  const store = await DuckDbStore.open(tmpPath(`${name}.duckdb`));
  await ingest(d.inputs, store, d.darknet, geo, { chunkRecords, coarseCaps: chunkRecords ? { pairs: 50, rows: 20 } : undefined });
  return store;
}

for (const d of DATASETS) {
  describe(`store = analyze: ${d.name}`, () => {
    let report: AnalysisResult['report'];
    const stores: [string, DuckDbStore][] = [];
    before(async () => {
      report = (await analyze(d.inputs, d.darknet, geo, { top: 50, workers: 0 })).report;
      stores.push(['one chunk per file', await storeOf(d, `${d.name}-big`.replace(/\W/g, '_'))]);
      stores.push(['chunks of 997 records', await storeOf(d, `${d.name}-small`.replace(/\W/g, '_'), 997)]);
    });
    after(async () => {
      for (const [, s] of stores) await s.close();
    });

    it('stores every packet once', async () => {
      assert.ok(report.packets > 1000, `dataset too small: ${report.packets}`);
      for (const [how, s] of stores) {
        const [r] = await s.query('SELECT count(*) AS n, count(DISTINCT (file_id, rec)) AS u FROM packets');
        assert.equal(r.n, report.packets, how);
        assert.equal(r.u, report.packets, `${how}: duplicate (file_id, rec)`);
        const [l] = await s.query("SELECT sum(rows) AS rows, count(*) FILTER (WHERE status <> 'complete') AS partial FROM ingest_ledger");
        assert.equal(l.rows, report.packets, how);
        assert.equal(l.partial, 0, how);
      }
    });

    it('top --by port: the ports, packets and distinct sources analyze reports', async () => {
      const want = report.topPorts.map((p) => [p.label, p.packets, p.sources]);
      assert.ok(want.length > 0);
      for (const [how, s] of stores) {
        const got = (await s.top({ by: 'port', limit: 50 })).map((r) => [r.detail.label, r.packets, r.sources]);
        assert.deepEqual(got, want, how);
      }
    });

    it('top --by country and --by tool', async () => {
      const want = report.topCountries.map((c) => [c.country ?? 'unknown', c.packets]);
      const tools = Object.entries(report.byTool).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      for (const [how, s] of stores) {
        const got = await s.top({ by: 'country', limit: 50 });
        assert.deepEqual(got.map((r) => [r.key, r.packets]), want, how);
        // The store counts sources exactly; analyze does up to 16,384 per country, then HyperLogLog (±0.81 %).
        got.forEach((r, i) => {
          const a = report.topCountries[i].sources;
          if (a <= 16_384) assert.equal(r.sources, a, `${how} ${r.key}`);
          else assert.ok(Math.abs(r.sources! - a) <= 0.025 * a, `${how} ${r.key}: ${r.sources} vs HLL ${a}`);
        });
        assert.deepEqual((await s.top({ by: 'tool', limit: 50 })).map((r) => [r.key, r.packets]), tools, how);
      }
    });

    it('top --by victim: the backscatter victims, their packets and main port', async () => {
      const want = report.victims.map((v) => [v.addr, v.proto, v.packets, v.port]);
      for (const [how, s] of stores) {
        const got = (await s.top({ by: 'victim', limit: 50 })).map((r: TopRow) => [r.key, r.detail.proto, r.packets, r.detail.port]);
        assert.deepEqual(got, want, how);
      }
    });

    it('series: per-day packets add up to analyze per sensor-day, and a whole-range bucket has all distinct sources', async () => {
      const perDay = new Map<string, number>();
      for (const r of report.perSensorDay) perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.packets);
      for (const [how, s] of stores) {
        const days = await s.series({ by: 'total', step: { label: '1d', ms: 86_400_000 }, limit: 1 });
        const got = new Map(days.map((x) => [x.t.slice(0, 10), x.packets]));
        // analyze's per-sensor-day counts IP packets; the store counts every frame (non-IP too).
        const nonIp = report.packets - report.decoded;
        const sum = [...got.values()].reduce((a, b) => a + b, 0);
        assert.equal(sum, report.packets, how);
        for (const [day, n] of perDay) assert.ok(got.get(day)! >= n && got.get(day)! <= n + nonIp, `${how} ${day}: ${got.get(day)} vs ${n}`);
        if (days.length === 1 && !report.sources.approximate) assert.equal(days[0].sources, report.sources.total, how);
        // Minute steps add up to the same packets and never exceed the day's distinct sources.
        const minutes = await s.series({ by: 'total', step: { label: '1m', ms: 60_000 }, limit: 1 });
        assert.equal(minutes.reduce((a, x) => a + x.packets, 0), report.packets, how);
        for (const m of minutes) assert.ok(m.sources <= report.sources.total);
      }
    });

    it('a time range cut inside minutes (raw-packet edges + rollups) adds up', async () => {
      const [span] = await stores[0][1].query('SELECT epoch_ms(min(ts)::TIMESTAMP) AS lo, epoch_ms(max(ts)::TIMESTAMP) AS hi FROM packets');
      const lo = span.lo as number;
      const hi = (span.hi as number) + 1;
      const mid = Math.floor((lo + hi) / 2) + 12_345; // not on a minute boundary
      for (const [how, s] of stores) {
        const all = await s.top({ by: 'kind', limit: 10 });
        const a = await s.top({ by: 'kind', limit: 10, from: lo, to: mid });
        const b = await s.top({ by: 'kind', limit: 10, from: mid, to: hi });
        const count = (rows: TopRow[]) => rows.reduce((x, r) => x + r.packets, 0);
        assert.equal(count(a) + count(b), count(all), how);
        const [direct] = await s.query(`SELECT count(*) AS n FROM packets WHERE ts < make_timestamp(${mid} * 1000)`);
        assert.equal(count(a), direct.n, how);
      }
    });

    it('the chunked store has the same rollups as the single-chunk one, before and after compaction', async () => {
      const canon = async (s: DuckDbStore, table: string) =>
        JSON.stringify(await s.query(`SELECT bucket::VARCHAR AS b, sensor, ip_version, kind, proto, port, country, tools, sum(packets) AS p, list_sort(list_distinct(flatten(list(sources)))) AS s FROM ${table} GROUP BY ALL ORDER BY ALL`));
      const levels = ['rollup_minute', 'rollup_hour', 'rollup_day'];
      const before = await Promise.all(levels.map((t) => canon(stores[1][1], t)));
      const rowsBefore = await stores[1][1].rollupRows();
      assert.ok((await stores[1][1].compact()) > 0, 'chunks of 997 records and tiny caps leave ranges to compact');
      assert.ok((await stores[1][1].rollupRows()) < rowsBefore);
      await stores[0][1].compact();
      for (const [i, t] of levels.entries()) {
        assert.equal(await canon(stores[1][1], t), before[i], `${t}: compaction changed the merged answer`);
        assert.equal(await canon(stores[1][1], t), await canon(stores[0][1], t), t);
        // Compaction left one row per key.
        const [dup] = await stores[1][1].query(`SELECT count(*) - count(DISTINCT (bucket, sensor, ip_version, kind, proto, port, country, tools)) AS d FROM ${t}`);
        assert.equal(dup.d, 0, `${t} has uncompacted rows`);
      }
    });
  });
}

describe('exactly once by content', () => {
  it('re-ingesting a file, or a renamed copy, adds nothing and says so', async () => {
    const store = await DuckDbStore.open(tmpPath('reingest.duckdb'));
    try {
      const darknet = Darknet.fromCidrs(['100.64.0.0/22']);
      const file = sharedFile('lab/nmap_syn.pcap');
      const [first] = await ingest([file], store, darknet, geo, { chunkRecords: 100 });
      assert.equal(first.status, 'ingested');
      assert.ok(first.rows > 100 && first.chunks > 1);
      const copy = tmpPath('renamed-nmap.pcap');
      copyFileSync(file, copy);
      const again = await ingest([file, copy], store, darknet, geo);
      assert.deepEqual(again.map((o) => [o.status, o.rows, o.duplicateOf?.fileId]), [
        ['duplicate', 0, first.fileId],
        ['duplicate', 0, first.fileId],
      ]);
      const [r] = await store.query('SELECT count(*) AS n FROM packets');
      assert.equal(r.n, first.rows);
      assert.equal((await store.files()).length, 1);
    } finally {
      await store.close();
    }
  });
});
