import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { QUARTERS_DARKNET_YAML, type QuartersTruth, writeQuarters } from '../../bench/synth/quarters.js';
import { parseDarknetConfig } from '../../src/config/load.js';
import { unpackCountry } from '../../src/enrich/country.js';
import { GeoDb } from '../../src/enrich/geo.js';

const dir = mkdtempSync(join(tmpdir(), 'darkscope-quarters-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const geo = await GeoDb.load();
const file = join(dir, 'q.pcap');
const truth = writeQuarters(file, { scale: 0.2, geo });

// ---- an independent reader: classic pcap, Ethernet + IPv4 + TCP/UDP, parsed by hand ----

interface QuarterCount {
  packets: number;
  sources: Set<number>;
  ports: Record<string, number>;
  countries: Record<string, number>;
  mirai: number;
}

interface Counted {
  quarters: [QuarterCount, QuarterCount];
  /** UTC day → packets, and per source the distinct probed ports. */
  days: Map<string, { packets: number; ports: Map<number, Set<string>> }>;
  /** Backscatter packets by victim address. */
  backscatter: Map<number, number>;
  ordered: boolean;
  outsideDarknet: number;
}

function count(path: string, t: QuartersTruth): Counted {
  const b = readFileSync(path);
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4);
  assert.equal(b.readUInt32LE(20), 1); // Ethernet
  const q1From = Date.parse(t.quarters[1].from) / 1000;
  const q = (): QuarterCount => ({ packets: 0, sources: new Set(), ports: {}, countries: {}, mirai: 0 });
  const c: Counted = { quarters: [q(), q()], days: new Map(), backscatter: new Map(), ordered: true, outsideDarknet: 0 };
  const add = (rec: Record<string, number>, k: string) => (rec[k] = (rec[k] ?? 0) + 1);
  let prev = -1;
  for (let p = 24; p < b.length; ) {
    const ts = b.readUInt32LE(p) + b.readUInt32LE(p + 4) / 1e6;
    const incl = b.readUInt32LE(p + 8);
    const f = p + 16;
    p = f + incl;
    if (ts < prev) c.ordered = false;
    prev = ts;
    assert.equal(b.readUInt16BE(f + 12), 0x0800);
    const ip = f + 14;
    const l4 = ip + (b[ip] & 15) * 4;
    const proto = b[ip + 9];
    const src = b.readUInt32BE(ip + 12);
    const dst = b.readUInt32BE(ip + 16);
    if (dst >>> 16 !== 0x6440) c.outsideDarknet++;
    const qc = c.quarters[ts < q1From ? 0 : 1];
    qc.packets++;
    qc.sources.add(src);
    const dayKey = new Date(Math.floor(ts) * 1000).toISOString().slice(0, 10);
    let day = c.days.get(dayKey);
    if (!day) c.days.set(dayKey, (day = { packets: 0, ports: new Map() }));
    day.packets++;
    let portKey: string;
    if (proto === 17) portKey = `${b.readUInt16BE(l4 + 2)}/udp`;
    else {
      assert.equal(proto, 6);
      const flags = b[l4 + 13];
      if ((flags & 0x10) !== 0) {
        c.backscatter.set(src, (c.backscatter.get(src) ?? 0) + 1);
        continue;
      }
      assert.equal(flags, 0x02);
      portKey = `${b.readUInt16BE(l4 + 2)}/tcp`;
      if (b.readUInt32BE(l4 + 4) === dst) qc.mirai++;
    }
    add(qc.ports, portKey);
    add(qc.countries, unpackCountry(geo.countryV4(src)));
    let ports = day.ports.get(src);
    if (!ports) day.ports.set(src, (ports = new Set()));
    ports.add(portKey);
  }
  return c;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const top = (rec: Record<string, number>, n: number) => Object.entries(rec).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k]) => k);

test('the file matches the truth: packets, sources, ports, countries, Mirai, per day', () => {
  const c = count(file, truth);
  assert.ok(c.ordered, 'packets in time order');
  assert.equal(c.outsideDarknet, 0);
  assert.equal(c.quarters[0].packets + c.quarters[1].packets, truth.packets);
  for (let i = 0; i < 2; i++) {
    const [got, want] = [c.quarters[i], truth.quarters[i]];
    assert.equal(got.packets, want.packets, `${want.label} packets`);
    assert.equal(got.sources.size, want.sources, `${want.label} sources`);
    assert.deepEqual(got.ports, want.ports, `${want.label} ports`);
    assert.deepEqual(got.countries, want.countries, `${want.label} countries`);
    assert.equal(got.mirai, want.miraiPackets, `${want.label} Mirai`);
  }
  assert.equal(Object.keys(truth.days).length, 183);
  for (const [day, want] of Object.entries(truth.days)) {
    const got = c.days.get(day);
    assert.equal(got?.packets ?? 0, want.packets, `${day} packets`);
    const sweepers = got ? [...got.ports.values()].filter((s) => s.size >= 100).length : 0;
    assert.equal(sweepers, want.portSweepers, `${day} port sweepers`);
  }
  // The designed sweepers: one a day in Q2, two in Q3.
  assert.equal(truth.days['2026-05-10'].portSweepers, 1);
  assert.equal(truth.days['2026-08-20'].portSweepers, 2);
});

test('the episodes are where the truth says', () => {
  const c = count(file, truth);
  const e = truth.episodes;
  assert.deepEqual(e.surge, { days: ['2026-07-31', '2026-08-01', '2026-08-02'], port: 37215 });
  for (const day of e.surge.days) {
    const sources = [...c.days.get(day)!.ports].filter(([, ports]) => ports.has('37215/tcp')).length;
    assert.ok(sources >= 500, `${day}: ${sources} sources on 37215/tcp`);
  }
  assert.deepEqual(e.spoofed, { day: '2026-08-30', port: 445, sources: 1500 });
  assert.deepEqual(e.newPort, { day: '2026-09-09', port: 9530 });
  assert.equal(truth.quarters[1].ports['9530/tcp'], 80);
  assert.equal(truth.quarters[0].ports['9530/tcp'], undefined);
  assert.deepEqual(e.miraiWave, { from: '2026-07-22', to: '2026-08-04' });
  assert.deepEqual(e.dos.map((d) => [d.victim, d.port, d.day, d.packets]), [['8.9.10.11', 80, '2026-05-16', 1200], ['91.0.10.20', 8333, '2026-08-10', 4800]]);
  assert.deepEqual([...c.backscatter].sort((a, b) => a[0] - b[0]), [[0x08090a0b, 1200], [0x5b000a14, 4800]]);
});

test('the darknet YAML is a valid configuration', () => {
  const dn = parseDarknetConfig(QUARTERS_DARKNET_YAML, 'quarters');
  assert.equal(dn.homeCountry, 'JP');
  assert.deepEqual(dn.sensors.map((s) => s.name), ['sensor-a', 'sensor-b']);
  assert.equal(dn.sizeV4, 65536);
});

test('the same seed gives the same bytes, another seed others', () => {
  const [a, b, other] = ['a', 'b', 'other'].map((n) => join(dir, `${n}.pcap`));
  writeQuarters(a, { seed: 7, scale: 0.05, geo });
  writeQuarters(b, { seed: 7, scale: 0.05, geo });
  writeQuarters(other, { seed: 8, scale: 0.05, geo });
  assert.equal(sha(a), sha(b));
  assert.notEqual(sha(a), sha(other));
});

test('the ranks are as designed (scale 1: the episodes do not scale)', () => {
  const full = join(dir, 'full.pcap');
  const t = writeQuarters(full, { geo });
  rmSync(full);
  const [q2, q3] = t.quarters;
  assert.deepEqual(top(q2.ports, 5), ['23/tcp', '8728/tcp', '22/tcp', '445/tcp', '80/tcp']);
  assert.deepEqual(top(q3.ports, 5), ['23/tcp', '37215/tcp', '22/tcp', '8728/tcp', '80/tcp']);
  assert.deepEqual(top(q2.countries, 5), ['US', 'CN', 'JP', 'KR', 'DE']);
  // RU outweighs JP in the Q3 background (14 vs 12); the surge and the Mirai wave put JP ahead.
  assert.deepEqual(top(q3.countries, 5), ['US', 'CN', 'JP', 'RU', 'KR']);
});
