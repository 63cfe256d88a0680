/**
 * Mirai metrics per day from the rollups (NPA's Mirai packets per sensor IP; TSUBAME's
 * domestic 23/TCP sources with and without the feature) against the same figures
 * computed independently from the packets table, on two days of the synthetic mix.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { generateMix } from '../../bench/synth/mix.js';
import { Darknet } from '../../src/config/darknet.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { ingest } from '../../src/ingest/run.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { MiraiDay } from '../../src/store/store.js';
import { tmpPath } from '../helpers/tmp.js';

describe('Mirai metrics per day', () => {
  let store: DuckDbStore;
  let days: MiraiDay[];
  const JP = 0x4a50;

  before(async () => {
    const file = tmpPath('mirai-mix.pcap');
    generateMix({ packets: 150_000, seed: 5, out: file, pps: 1.2 }); // ~35 hours: two UTC days
    store = await DuckDbStore.open(tmpPath('mirai.duckdb'));
    await ingest([file], store, Darknet.fromCidrs(['100.64.0.0/16', '2001:db8::/32']), await GeoDb.load(), { chunkRecords: 20_000 });
    days = await store.miraiDays({});
  });

  it('covers each day, with Mirai traffic from domestic sources', () => {
    assert.equal(days.length, 2);
    for (const d of days) {
      assert.ok(d.miraiPackets > 1000, `${d.day}: ${d.miraiPackets}`);
      assert.ok(d.telnetDomesticWithMirai > 0 && d.telnetDomesticWithoutMirai > 0, JSON.stringify(d));
    }
  });

  it('equals the figures computed from the packets table', async () => {
    const q = (sql: string) => store.query(sql);
    const day = "strftime(ts::TIMESTAMP, '%Y-%m-%d')";
    const packets = await q(`SELECT ${day} AS d, sensor, count(*) AS n FROM packets WHERE (tools & 1) <> 0 GROUP BY ALL ORDER BY ALL`);
    const sources = await q(`SELECT ${day} AS d, count(DISTINCT src) AS n, count(DISTINCT src) FILTER (WHERE src_country = ${JP}) AS dom FROM packets WHERE (tools & 1) <> 0 AND ip_version <> 0 GROUP BY ALL ORDER BY ALL`);
    const telnet = await q(`SELECT d, count(*) AS all_n, count(*) FILTER (WHERE m) AS with_n FROM (
      SELECT ${day} AS d, src, bool_or((tools & 1) <> 0) AS m FROM packets WHERE src_country = ${JP} AND proto = 6 AND dport = 23 AND kind = 1 AND ip_version <> 0 GROUP BY ALL) GROUP BY d ORDER BY d`);
    assert.deepEqual(days.map((x) => [x.day, x.perSensor.map((p) => p.miraiPackets)]), packets.map((r) => [r.d, [r.n]]));
    assert.deepEqual(days.map((x) => [x.day, x.miraiSources, x.miraiSourcesDomestic]), sources.map((r) => [r.d, r.n, r.dom]));
    assert.deepEqual(days.map((x) => [x.day, x.telnetDomesticWithMirai, x.telnetDomesticWithoutMirai]), telnet.map((r) => [r.d, r.with_n, (r.all_n as number) - (r.with_n as number)]));
    // Per sensor IP: the darknet is one sensor of 65,536 IPv4 addresses.
    for (const x of days) assert.equal(x.perSensor[0].perIp, x.perSensor[0].miraiPackets / 65536);
  });

  it('a range inside a day counts only that part', async () => {
    const [d0] = days;
    const from = Date.parse(`${d0.day}T12:00:00Z`);
    const part = await store.miraiDays({ from, to: from + 3_600_000 });
    const [{ n }] = await store.query(`SELECT count(*) AS n FROM packets WHERE (tools & 1) <> 0 AND ts >= '${d0.day} 12:00:00' AND ts < '${d0.day} 13:00:00'`);
    assert.equal(part.length, 1);
    assert.equal(part[0].miraiPackets, n);
    await store.close();
  });
});
