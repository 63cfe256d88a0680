/**
 * Surges, new ports and spoofed-source surges (src/detect/surge.ts) on a
 * time-compressed synthetic 60 days (bench/synth/series.ts: hand-built probes, a
 * few hundred a day): an infection wave on 37215/TCP from JP sources (day 45), a
 * spoofed SYN flood on 445/TCP (day 52) and a port never seen before (day 40).
 * Each is found with the right type, they are told apart, and nothing else is
 * flagged. Then the robust baseline's edges on plain numbers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { writeSeries } from '../../bench/synth/series.js';
import { Darknet } from '../../src/config/darknet.js';
import { baseline, detectSurges } from '../../src/detect/surge.js';
import { surgeWhat } from '../../src/cli/events.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { ingest } from '../../src/ingest/run.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { StoredEvent, Totals } from '../../src/store/store.js';
import type { PassReport } from '../../src/ingest/passes.js';
import { tmpPath } from '../helpers/tmp.js';
import { ROOT } from '../helpers/paths.js';

const START = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

describe('surges over a synthetic 60 days', () => {
  let store: DuckDbStore;
  let events: StoredEvent[];

  before(async () => {
    const file = tmpPath('series.pcap');
    writeSeries(file, {
      days: 60,
      episodes: [
        { kind: 'surge', day: 45, port: 37215, sources: 150, packetsPerSource: 3 },
        { kind: 'spoofed', day: 52, port: 445, sources: 3000, packetsPerSource: 1 },
        { kind: 'newPort', day: 40, port: 60001, sources: 25, packetsPerSource: 2 },
      ],
    });
    store = await DuckDbStore.open(tmpPath('series.duckdb'));
    await ingest([file], store, Darknet.fromCidrs(['100.64.0.0/16'], 'JP'), await GeoDb.load(), { detect: true });
    events = await store.events({ types: ['surge', 'new-port', 'spoofed-surge'] });
  });

  it('flags the JP wave on 37215/TCP as a surge, per port, per port × JP, and by the hour', () => {
    const wave = events.filter((e) => e.port === 37215);
    assert.ok(wave.length >= 3, JSON.stringify(wave.map((e) => e.id)));
    const hours = wave.filter((e) => (e.details as { granularity: string }).granularity === 'hour');
    assert.ok(hours.length >= 1 && hours.every((e) => e.firstSec * 1000 >= START + 45 * DAY && e.lastSec * 1000 <= START + 46 * DAY));
    assert.ok(wave.every((e) => e.type === 'surge'));
    const day = wave.filter((e) => (e.details as { granularity: string }).granularity === 'day');
    assert.deepEqual(day.map((e) => [e.firstSec * 1000, e.source]).sort(), [[START + 45 * DAY, 'JP'], [START + 45 * DAY, null]].sort());
    const whole = day.find((e) => e.source === null)!;
    const d = whole.details as { sources: number; triggers: { metric: string; score: number; ratio: number }[]; port: string };
    assert.ok(d.sources >= 150, `${d.sources}`);
    assert.ok(d.triggers.some((t) => t.metric === 'sources' && t.score >= 6 && t.ratio >= 3));
    assert.equal(d.port, '37215/TCP');
  });

  it('tells the spoofed SYN flood on 445/TCP apart: spoofed-surge, with the sources to leave out of host counts', () => {
    const flood = events.filter((e) => e.port === 445);
    // The day at port level (its country slices are not news of their own) and the merged flagged hours.
    assert.deepEqual(flood.map((e) => (e.details as { granularity: string }).granularity).sort(), ['day', 'hour']);
    assert.ok(flood.every((e) => e.type === 'spoofed-surge'), flood.map((e) => `${e.id} ${e.type}`).join('\n'));
    const whole = flood.find((e) => e.source === null && (e.details as { granularity: string }).granularity === 'day')!;
    assert.equal(whole.firstSec * 1000, START + 52 * DAY);
    const s = (whole.details as { spoofing: { nonroutableShare: number; busySources: number; excludedSources: number; sources: number } }).spoofing;
    assert.ok(s.nonroutableShare > 0.05, `${s.nonroutableShare}`);
    assert.ok(s.excludedSources >= 3000);
  });

  it('reports the never-seen port, and flags nothing else', () => {
    const fresh = events.filter((e) => e.type === 'new-port');
    assert.deepEqual(fresh.map((e) => [e.port, e.firstSec * 1000]), [[60001, START + 40 * DAY]]);
    const others = events.filter((e) => ![37215, 445, 60001].includes(e.port!));
    assert.deepEqual(others.map((e) => e.id), []);
  });

  it('darkscope events says each against its baseline, and what gave a spoofed one away', () => {
    const whole = events.find((e) => e.port === 37215 && e.source === null && (e.details as { granularity: string }).granularity === 'day')!;
    assert.match(surgeWhat(whole), /^day: \d{3} sources \(\d+(\.\d)?× the median \d+(\.\d)?\)(, \d+ packets \(.*\))?$/);
    const hours = events.filter((e) => e.port === 37215 && (e.details as { granularity: string }).granularity === 'hour');
    for (const e of hours) assert.match(surgeWhat(e), /^(hour|\d+ h, peak hour): \d+ (sources|packets) \(/);
    const flood = events.find((e) => e.port === 445 && (e.details as { granularity: string }).granularity === 'day')!;
    assert.match(surgeWhat(flood), /; spoofed \(\d+ % non-routable(, [\d.]+ % \.0\/\.255)?\), 3,\d{3} sources not counted as hosts$/);
    assert.equal(surgeWhat(events.find((e) => e.type === 'new-port')!), 'day: new port, 25 sources');
  });

  it('a second pass over the same days replaces its results (no duplicates)', async () => {
    const again = await detectSurges(store, { from: START, to: START + 60 * DAY });
    assert.equal(again.length, events.length);
    assert.equal((await store.events({ types: ['surge', 'new-port', 'spoofed-surge'] })).length, events.length);
  });
});

describe('passes during a long ingest run', () => {
  const episodes = [
    { kind: 'surge' as const, day: 45, port: 37215, sources: 150, packetsPerSource: 3 },
    { kind: 'spoofed' as const, day: 52, port: 445, sources: 3000, packetsPerSource: 1 },
    { kind: 'newPort' as const, day: 40, port: 60001, sources: 25, packetsPerSource: 2 },
  ];
  const darknet = Darknet.fromCidrs(['100.64.0.0/16'], 'JP');

  it('stores the surge and whole-day numbers while the capture goes on, ends as a run without passes, and an interrupted run loses no surge day', async () => {
    const file = tmpPath('series-live.pcap');
    const n = writeSeries(file, { days: 60, episodes });
    const chunkRecords = Math.ceil(n / 12);
    const geo = await GeoDb.load();
    // The reference: the same chunks, the passes only at the end.
    const refPath = tmpPath('series-ref.duckdb');
    const ref = await DuckDbStore.open(refPath);
    const endOnly: PassReport[] = [];
    await ingest([file], ref, darknet, geo, { detect: true, chunkRecords, passEverySec: Infinity, onPass: (p) => void endOnly.push(p) });
    assert.deepEqual(endOnly.map((p) => p.at), ['end']);

    const live = await DuckDbStore.open(tmpPath('series-live.duckdb'));
    const passes: { to: number; wholeDays: number; totals: Totals; waveStored: boolean }[] = [];
    await ingest([file], live, darknet, geo, {
      detect: true,
      chunkRecords,
      passEverySec: 0,
      onPass: async (p) => {
        if (p.at !== 'chunk') return;
        assert.ok(p.through !== null && p.surgeDays && p.surges, 'a pass during the run covers the rows committed since the last');
        assert.ok(p.surgeDays.from <= p.through && p.through < p.surgeDays.to);
        // Days before the one in progress are whole in the store: read as whole days.
        const wholeDays = Math.floor(p.through / DAY) * DAY;
        const totals = await live.totals({ from: START, to: wholeDays }, true);
        const waveStored = (await live.events({ types: ['surge'] })).some((e) => e.port === 37215);
        passes.push({ to: p.through, wholeDays, totals, waveStored });
      },
    });
    assert.ok(passes.length >= 10, `${passes.length} passes`);
    // The wave of day 45 was in the store before the capture's last day was read, not at its end.
    const first = passes.find((p) => p.waveStored);
    assert.ok(first && first.to > START + 45 * DAY && first.to < START + 55 * DAY, JSON.stringify(first));
    assert.ok(passes.every((p) => !p.waveStored || p.to > START + 45 * DAY));
    // Whole days read during the run are what the finished store says of them (hour and day
    // rows written before each pass, not only at the file's end).
    for (const p of passes) {
      if (p.wholeDays <= START) continue;
      assert.deepEqual(p.totals, await ref.totals({ from: START, to: p.wholeDays }, true), new Date(p.wholeDays).toISOString());
    }
    // Nothing counted twice, nothing left from a pass over part of a day: the events, the
    // numbers and a report's rankings are those of the run without passes.
    const strip = (es: StoredEvent[]) => es.map((e) => JSON.stringify(e)).sort();
    assert.deepEqual(strip(await live.events({})), strip(await ref.events({})));
    assert.deepEqual(await live.totals({}, true), await ref.totals({}, true));
    assert.deepEqual(await live.top({ by: 'port', limit: 20 }), await ref.top({ by: 'port', limit: 20 }));

    // A pass clears the surge marks of its days: none left after either run.
    assert.equal(await ref.surgeMarkedDays(), null);
    assert.equal(await live.surgeMarkedDays(), null);
    await live.close();

    // A run killed after its last commit, before its end pass: no surges, its days still marked
    // for a surge pass (and a compaction since). The re-run skips the stored file but still
    // gives them their surges.
    const surgesOf = async (st: DuckDbStore) => strip(await st.events({ types: ['surge', 'new-port', 'spoofed-surge'] }));
    const whole = await surgesOf(ref);
    assert.ok(whole.length >= 5);
    await ref.putEvents([], { types: ['surge', 'new-port', 'spoofed-surge'], from: START, to: START + 61 * DAY });
    await ref.close();
    const sql = "INSERT INTO rollup_pending SELECT 1, 'surge', min(bucket), max(bucket) FROM rollup_day";
    const duck = spawnSync(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; const c = await (await DuckDBInstance.create(${JSON.stringify(refPath)})).connect(); await c.run(${JSON.stringify(sql)}); c.closeSync();`], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(duck.status, 0, duck.stderr);
    const again = await DuckDbStore.open(refPath);
    await again.compact();
    await again.refreshSummaries();
    assert.deepEqual(await again.surgeMarkedDays(), { from: START, to: START + 60 * DAY });
    assert.deepEqual(await surgesOf(again), []);
    const [o] = await ingest([file], again, darknet, geo, { detect: true, chunkRecords });
    assert.equal(o.status, 'duplicate');
    assert.deepEqual(await surgesOf(again), whole);
    assert.equal(await again.surgeMarkedDays(), null);
    await again.close();
  });
});

describe('robust baseline', () => {
  it('median and MAD; the scale is at least √median and 1', () => {
    assert.deepEqual(baseline([10, 12, 11, 13, 50]), { median: 12, mad: 1, scale: Math.max(1.4826, Math.sqrt(12)), days: 5 });
    assert.equal(baseline([0, 0, 0]).scale, 1);
    assert.equal(baseline([100, 100, 100, 100]).scale, 10);
  });
});
