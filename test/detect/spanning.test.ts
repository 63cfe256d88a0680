/**
 * Events across capture files (detectors.ts): the lab's captures split in two at a
 * record in the middle of an activity and ingested in one run, or in two runs (the
 * second replays the first file), give the events of the whole file; files out of order
 * do not continue each other; every file stores its open events as provisional ('open:'
 * ids), deleted once a later file emits them whole; a crash inside the continuing file
 * loses and doubles nothing.
 *
 * DoS thresholds are lowered as dos.test.ts does for the lab floods (they last seconds):
 * 5-s intervals and windows sliding by 0.5 s, ≥ 10 packets in a window, ≥ 0.2 s.
 */
import assert from 'node:assert/strict';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Darknet } from '../../src/config/darknet.js';
import type { DetectOptions } from '../../src/detect/detectors.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { ingest, type FileOutcome } from '../../src/ingest/run.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { Store, StoredEvent } from '../../src/store/store.js';
import { sharedFile } from '../helpers/paths.js';
import { tmpPath } from '../helpers/tmp.js';

const darknet = Darknet.fromCidrs(['100.64.0.0/22']);
const DETECT: DetectOptions = { dos: { minDurationSec: 0.2, minWindowPackets: 10, windowSec: 5, slideSec: 0.5, intervalSec: 5 } };
const FLOOD = sharedFile('lab/bs_synflood_open_port.pcap');
const SCAN = sharedFile('lab/masscan_tcp_syn.pcap');

/** The pcap's global header and the offsets of its records (16-byte header + caplen each). */
function records(path: string): { buf: Buffer; le: boolean; offsets: number[] } {
  const buf = readFileSync(path);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const offsets: number[] = [];
  for (let o = 24; o + 16 <= buf.length; o += 16 + (le ? buf.readUInt32LE(o + 8) : buf.readUInt32BE(o + 8))) offsets.push(o);
  return { buf, le, offsets };
}

/** Records [0, n) and [n, end) as two captures. */
function split(path: string, n: number, name: string): [string, string] {
  const { buf, offsets } = records(path);
  const a = tmpPath(`${name}-a.pcap`);
  const b = tmpPath(`${name}-b.pcap`);
  writeFileSync(a, buf.subarray(0, offsets[n]));
  writeFileSync(b, Buffer.concat([buf.subarray(0, 24), buf.subarray(offsets[n])]));
  return [a, b];
}

/** The capture with every timestamp `sec` seconds later. */
function shifted(path: string, sec: number, name: string): string {
  const { buf, le, offsets } = records(path);
  const out = Buffer.from(buf);
  for (const o of offsets) le ? out.writeUInt32LE(out.readUInt32LE(o) + sec, o) : out.writeUInt32BE(out.readUInt32BE(o) + sec, o);
  const p = tmpPath(name);
  writeFileSync(p, out);
  return p;
}

/** An event without the file it was stored with (in its id too) nor whether it was still open: what the activity was. */
function body(e: StoredEvent) {
  const { provisional: _, ...details } = e.details as { provisional?: boolean };
  return { ...e, id: e.id.replace(/^(open:)?(\w+):\d+:/, '$2:'), fileId: 0, details };
}
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A store whose `n`-th openChunk fails (the chunks before it commit): a crash at that point. */
function crashingAt(store: DuckDbStore, n: number): Store {
  let opened = 0;
  return new Proxy(store, {
    get(t, p) {
      if (p === 'openChunk') {
        return (fileId: number) => {
          if (++opened === n) return Promise.reject(new Error('simulated crash'));
          return t.openChunk(fileId);
        };
      }
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

describe('events across capture files (state carried through one ingest run)', () => {
  let geo: GeoDb;
  const stores: DuckDbStore[] = [];
  let n = 0;

  before(async () => {
    geo = await GeoDb.load();
  });
  after(async () => {
    for (const s of stores) await s.close();
  });

  async function open(): Promise<DuckDbStore> {
    const s = await DuckDbStore.open(tmpPath(`s${n++}.duckdb`));
    stores.push(s);
    return s;
  }

  async function run(files: string[], opts: { chunkRecords?: number } = {}): Promise<{ store: DuckDbStore; events: StoredEvent[] }> {
    const store = await open();
    await ingest(files, store, darknet, geo, { detect: DETECT, ...opts });
    return { store, events: await store.events({ types: ['dos', 'scan', 'infected', 'reflection'] }) };
  }

  async function packets(store: DuckDbStore): Promise<{ n: number; u: number }> {
    const [r] = await store.query('SELECT count(*)::INTEGER AS n, count(DISTINCT (file_id, rec))::INTEGER AS u FROM packets');
    return { n: r.n as number, u: r.u as number };
  }

  it('a DoS flood split in the middle: one attack, as from the whole file (victim, packets, start, end)', async () => {
    const whole = (await run([FLOOD])).events.filter((e) => e.type === 'dos');
    assert.equal(whole.length, 1);
    const [a, b] = split(FLOOD, 912, 'flood');
    const { store, events } = await run([a, b]);
    const dos = events.filter((e) => e.type === 'dos');
    assert.deepEqual(dos.map((e) => [e.victim, e.packets, e.firstSec, e.lastSec]), whole.map((e) => [e.victim, e.packets, e.firstSec, e.lastSec]));
    assert.deepEqual(dos.map(body), whole.map(body));
    assert.equal(dos[0].fileId, 2, 'the attack continued into the second file');
    // Open where the data ends (whole file or second half): provisional, of the last file only.
    assert.match(whole[0].id, /^open:dos:1:/);
    assert.match(dos[0].id, /^open:dos:2:/);
    assert.deepEqual(events.filter((e) => e.fileId !== 2).map((e) => e.id), []);
    assert.deepEqual(await packets(store), { n: 1824, u: 1824 });
  });

  it('a masscan scan split in the middle: the scan events of the whole file, and no provisional event left', async () => {
    const whole = (await run([SCAN])).events;
    assert.deepEqual(whole.filter((e) => e.type === 'scan' && e.source === '198.51.100.11').map((e) => e.port).sort(), [443, 80]);
    const [a, b] = split(SCAN, 1024, 'scan');
    const { events } = await run([a, b]);
    assert.deepEqual(events.map(body).sort(byId), whole.map(body).sort(byId));
    assert.ok(events.every((e) => e.fileId === 2), 'the first file’s provisional events are gone');
  });

  it('halves in reverse order: no carry (an attack per file), every packet once', async () => {
    const whole = (await run([FLOOD])).events.find((e) => e.type === 'dos')!;
    const [a, b] = split(FLOOD, 912, 'flood-r');
    const { store, events } = await run([b, a]);
    const dos = events.filter((e) => e.type === 'dos');
    // Each half's attack is open where its data ends: both provisional, and both stay.
    assert.deepEqual(dos.map((e) => [e.fileId, e.id.startsWith('open:')]).sort(), [[1, true], [2, true]]);
    assert.ok(dos.every((e) => e.victim === whole.victim));
    assert.equal(dos[0].packets + dos[1].packets, whole.packets);
    assert.equal(Math.min(...dos.map((e) => e.firstSec)), whole.firstSec);
    assert.equal(Math.max(...dos.map((e) => e.lastSec)), whole.lastSec);
    assert.deepEqual(await packets(store), { n: 1824, u: 1824 });
  });

  it("a file stores its open events as provisional ('open:' ids, details.provisional)", async () => {
    const [a, b] = split(SCAN, 1024, 'scan-p');
    const copy = tmpPath('scan-p-copy.pcap');
    writeFileSync(copy, readFileSync(a));
    // The copy is a duplicate: nothing continues the first file.
    const { events } = await run([a, copy]);
    const scans = events.filter((e) => e.source === '198.51.100.11');
    assert.equal(scans.length, 2);
    for (const e of scans) {
      assert.match(e.id, /^open:scan:1:/);
      assert.equal((e.details as { provisional?: boolean }).provisional, true);
    }
    // Both halves in one run: the second continues the first, whose provisional events go.
    const both = await run([a, b]);
    assert.deepEqual(both.events.filter((e) => e.fileId === 1).map((e) => e.id), []);
    assert.ok(both.events.filter((e) => e.source === '198.51.100.11').every((e) => e.id.startsWith('open:scan:2:')));
  });

  it('three files: the attack of the first two ends in the third (its provisional event goes in that chunk), then a second one', async () => {
    const [a, b] = split(FLOOD, 912, 'flood-3');
    const c = shifted(FLOOD, 30, 'flood-3-c.pcap');
    const whole = (await run([FLOOD])).events.find((e) => e.type === 'dos')!;
    const { events } = await run([a, b, c], { chunkRecords: 200 });
    const dos = events.filter((e) => e.type === 'dos');
    // The second attack is open where the data ends: provisional.
    assert.deepEqual(dos.map((e) => [e.id.startsWith('open:'), e.fileId]), [[false, 3], [true, 3]]);
    assert.deepEqual(body(dos[0]), body(whole));
    assert.equal(dos[1].firstSec, whole.firstSec + 30);
    assert.equal(dos[1].packets, whole.packets);
  });

  it('a crash inside the continuing file: what ended stays whole, what was open keeps its provisional part (nothing lost or doubled)', async () => {
    const [a, b] = split(FLOOD, 912, 'flood-c');
    const c = shifted(FLOOD, 30, 'flood-c-c.pcap');
    const cleanAll = (await run([a, b, c], { chunkRecords: 200 })).events;
    const clean = cleanAll.filter((e) => e.type === 'dos');
    const whole = (await run([FLOOD])).events.find((e) => e.type === 'dos')!;

    // Files of 912, 912 and 1824 records in chunks of 200: a has openChunk 1–5, b 6–10, c 11–20.
    // Crash in c after its second chunk: the first two files' attack ended in c's first chunk.
    const s1 = await open();
    await assert.rejects(ingest([a, b, c], crashingAt(s1, 13), darknet, geo, { detect: DETECT, chunkRecords: 200 }), /simulated crash/);
    const mid = await s1.events({ types: ['dos'] });
    assert.deepEqual(mid.map((e) => e.id), [clean[0].id], 'stored whole, its provisional part gone in the same commit');
    await ingest([a, b, c], s1, darknet, geo, { detect: DETECT, chunkRecords: 200 });
    assert.deepEqual(await s1.events({ types: ['dos'] }), clean);
    assert.deepEqual(await packets(s1), { n: 3648, u: 3648 });
    // The victim's SYN-ACKs are also a scan event, open through c at the crash: two parts now, the same packets.
    const synack = (es: StoredEvent[]) => es.filter((e) => e.type === 'scan' && e.source === whole.victim);
    const scanParts = synack(await s1.events({ types: ['scan'] }));
    assert.equal(synack(cleanAll).length, 1);
    assert.deepEqual(scanParts.map((e) => [e.fileId, e.id.startsWith('open:')]), [[2, true], [3, true]]);
    assert.equal(scanParts[0].packets + scanParts[1].packets, synack(cleanAll)[0].packets);

    // Crash in b after its second chunk: the attack is still open there.
    const s2 = await open();
    await assert.rejects(ingest([a, b], crashingAt(s2, 8), darknet, geo, { detect: DETECT, chunkRecords: 200 }), /simulated crash/);
    const open1 = await s2.events({ types: ['dos'] });
    assert.deepEqual(open1.map((e) => e.id.replace(/:[^:]*$/, '')), [`open:dos:1:${whole.victim}:6`], 'the first file’s provisional part is kept');
    await ingest([a, b], s2, darknet, geo, { detect: DETECT, chunkRecords: 200 });
    const parts = await s2.events({ types: ['dos'] });
    // The rerun starts b fresh: the attack in two parts, the first provisional; every packet in one of them.
    assert.deepEqual(parts.map((e) => [e.fileId, e.id.startsWith('open:')]), [[1, true], [2, true]]);
    assert.equal(parts[0].packets + parts[1].packets, whole.packets);
    assert.deepEqual([parts[0].firstSec, parts[1].lastSec], [whole.firstSec, whole.lastSec]);
    assert.deepEqual(await packets(s2), { n: 1824, u: 1824 });
  });

  async function into(store: Store, files: string[], opts: { chunkRecords?: number } = {}): Promise<FileOutcome[]> {
    return ingest(files, store, darknet, geo, { detect: DETECT, ...opts });
  }

  it('halves in two runs: the second replays the first file and continues its open events (the events of the whole file)', async () => {
    const whole = (await run([FLOOD])).events;
    const [a, b] = split(FLOOD, 912, 'flood-2r');
    const store = await open();
    await into(store, [a]);
    const first = await store.events({ types: ['dos', 'scan'] });
    assert.ok(first.length > 0 && first.every((e) => e.id.startsWith('open:') && e.fileId === 1));
    const [o] = await into(store, [b]);
    assert.equal(o.continuedFrom, 1);
    assert.equal(o.replayMissing, undefined);
    const events = await store.events({ types: ['dos', 'scan', 'infected', 'reflection'] });
    assert.deepEqual(events.map(body).sort(byId), whole.map(body).sort(byId));
    assert.equal(events.filter((e) => e.type === 'dos').length, 1, 'one attack, not one per run');
    assert.ok(events.every((e) => e.fileId === 2), 'the first file’s provisional events are gone');
    assert.deepEqual(await packets(store), { n: 1824, u: 1824 });
  });

  it('halves in two runs, the first file gone before the second: no replay, its provisional events stay, nothing doubled', async () => {
    const whole = (await run([FLOOD])).events.find((e) => e.type === 'dos')!;
    const [a, b] = split(FLOOD, 912, 'flood-2g');
    const store = await open();
    await into(store, [a]);
    const first = await store.events({ types: ['dos', 'scan', 'infected', 'reflection'] });
    unlinkSync(a);
    const [o] = await into(store, [b]);
    assert.equal(o.continuedFrom, undefined);
    assert.match(o.replayMissing ?? '', /file 1 .* is gone/);
    const events = await store.events({ types: ['dos', 'scan', 'infected', 'reflection'] });
    assert.deepEqual(events.filter((e) => e.fileId === 1), first, 'the first half’s provisional events, unchanged');
    const dos = events.filter((e) => e.type === 'dos');
    assert.deepEqual(dos.map((e) => [e.fileId, e.id.startsWith('open:')]), [[1, true], [2, true]]);
    assert.equal(dos[0].packets + dos[1].packets, whole.packets);
    assert.deepEqual([dos[0].firstSec, dos[1].lastSec], [whole.firstSec, whole.lastSec]);
    assert.deepEqual(await packets(store), { n: 1824, u: 1824 });
  });

  it('three runs, an attack through all three: the third file cannot replay the second (its part from the first is missing), starts fresh, nothing doubled', async () => {
    const whole = (await run([FLOOD])).events.find((e) => e.type === 'dos')!;
    const { buf, offsets } = records(FLOOD);
    const parts = [[0, 600], [600, 1200], [1200, offsets.length]].map(([x, y], i) => {
      const p = tmpPath(`flood-3r-${i}.pcap`);
      writeFileSync(p, Buffer.concat([buf.subarray(0, 24), buf.subarray(offsets[x], y < offsets.length ? offsets[y] : buf.length)]));
      return p;
    });
    const store = await open();
    await into(store, [parts[0]]);
    assert.equal((await into(store, [parts[1]]))[0].continuedFrom, 1);
    const [o] = await into(store, [parts[2]]);
    assert.equal(o.continuedFrom, undefined);
    assert.match(o.replayMissing ?? '', /file 2 .*does not end as stored/);
    const dos = await store.events({ types: ['dos'] });
    assert.deepEqual(dos.map((e) => [e.fileId, e.id.startsWith('open:')]), [[2, true], [3, true]]);
    assert.equal(dos[0].packets + dos[1].packets, whole.packets);
    assert.deepEqual([dos[0].firstSec, dos[1].lastSec], [whole.firstSec, whole.lastSec]);
    assert.deepEqual(await packets(store), { n: 1824, u: 1824 });
  });

  it('a crash in the second run: right after the replay the rerun replays again (the clean result); inside the file nothing is lost or doubled', async () => {
    const [a, b] = split(FLOOD, 912, 'flood-2c');
    const whole = (await run([FLOOD])).events.find((e) => e.type === 'dos')!;
    const cleanStore = await open();
    await into(cleanStore, [a], { chunkRecords: 200 });
    await into(cleanStore, [b], { chunkRecords: 200 });
    const clean = await cleanStore.events({ types: ['dos', 'scan', 'infected', 'reflection'] });

    // Crash at the second file's first chunk: the replay ran, nothing of b committed.
    const s1 = await open();
    await into(s1, [a], { chunkRecords: 200 });
    await assert.rejects(into(crashingAt(s1, 1), [b], { chunkRecords: 200 }), /simulated crash/);
    assert.ok((await s1.events({ types: ['dos', 'scan'] })).every((e) => e.fileId === 1 && e.id.startsWith('open:')));
    const [o] = await into(s1, [b], { chunkRecords: 200 });
    assert.equal(o.continuedFrom, 1);
    assert.deepEqual(await s1.events({ types: ['dos', 'scan', 'infected', 'reflection'] }), clean);
    assert.deepEqual(await packets(s1), { n: 1824, u: 1824 });

    // Crash after b's second chunk (the attack still open): the rerun resumes b fresh; the
    // first part keeps its provisional event, b's part is a second one; every packet in one.
    const s2 = await open();
    await into(s2, [a], { chunkRecords: 200 });
    await assert.rejects(into(crashingAt(s2, 3), [b], { chunkRecords: 200 }), /simulated crash/);
    const [r] = await into(s2, [b], { chunkRecords: 200 });
    assert.equal(r.status, 'resumed');
    const parts = await s2.events({ types: ['dos'] });
    assert.deepEqual(parts.map((e) => [e.fileId, e.id.startsWith('open:')]), [[1, true], [2, true]]);
    assert.equal(parts[0].packets + parts[1].packets, whole.packets);
    assert.deepEqual([parts[0].firstSec, parts[1].lastSec], [whole.firstSec, whole.lastSec]);
    assert.deepEqual(await packets(s2), { n: 1824, u: 1824 });
  });
});
