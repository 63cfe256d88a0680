/**
 * SYN/ACK reflection into the darknet (methods.md §5.1, view 2) and the DoS
 * victims' service, country and AS (§3, §6).
 *
 * Real input: StopDDoS's amp.TCP.reflection.SYNACK.pcap, a victim-side capture of
 * a real SYN/ACK reflection attack on 10.10.10.10 (real reflectors' addresses). Taken
 * as a darknet of 10.10.10.0/24 it is what §5.1 describes: SYN/ACKs from thousands of
 * sources into one dark prefix. Oracle: expected-tshark-stats.json (6,651 SYN/ACKs),
 * expected-geo-asn.json (104.252.89.100: US, AS211273), and `tcpdump -nr FILE
 * 'tcp[13] == 0x12'` (tcpdump 4.99.3): 6,035 distinct sources, 5,890 SYN/ACKs from
 * port 80 and 760 from 443.
 * Hand-built rows (labelled) for the threshold edges no capture has.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Response, TrafficKind } from '../../src/classify/rules.js';
import { Darknet } from '../../src/config/darknet.js';
import { PacketBatch } from '../../src/decode/batch.js';
import { DosDetector } from '../../src/detect/dos.js';
import { ReflectionDetector } from '../../src/detect/reflection.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { feedCapture } from '../helpers/lab.js';
import { sharedFile } from '../helpers/paths.js';

const FILE = sharedFile('real/stopddos/amp.TCP.reflection.SYNACK.pcap');
const stats = JSON.parse(readFileSync(sharedFile('real/stopddos/expected-tshark-stats.json'), 'utf8'))['amp.TCP.reflection.SYNACK.pcap'] as { tcp_synack: number };
const geoOracle = JSON.parse(readFileSync(sharedFile('real/stopddos/expected-geo-asn.json'), 'utf8'))['amp.TCP.reflection.SYNACK.pcap'] as { top_sources: { ip: string; country: string; asn: number | null }[] };

describe('SYN/ACK reflection into a dark prefix (real attack capture)', () => {
  let geo: GeoDb;
  before(async () => {
    geo = await GeoDb.load({ shared: true });
  });

  it('one event on 10.10.10.0/24: every SYN/ACK, the reflectors counted, their ports and countries', async () => {
    const d = new ReflectionDetector();
    await feedCapture(FILE, Darknet.fromCidrs(['10.10.10.0/24']), (b) => d.add(b), geo);
    const events = d.finish();
    assert.equal(events.length, 1, JSON.stringify(events));
    const [e] = events;
    assert.equal(e.prefix, '10.10.10.0/24');
    assert.equal(e.packets, stats.tcp_synack);
    assert.equal(e.minutes, 1);
    // 6,035 distinct sources by tcpdump; past 4,096 the count is HyperLogLog (p = 10, ±3.3 %).
    assert.ok(Math.abs(e.reflectors - 6035) / 6035 < 0.066, `${e.reflectors} reflectors`);
    assert.equal(e.approximate, true);
    assert.deepEqual(e.ports.slice(0, 2).map((p) => [p.port, p.service, p.packets]), [[80, 'http', 5890], [443, 'https', 760]]);
    assert.equal(e.countries[0].country, 'US');
  });

  it('Moore backscatter is not reflection: the lab victim answering many dark addresses flags nothing', async () => {
    const d = new ReflectionDetector();
    await feedCapture(sharedFile('lab/bs_synflood_open_port.pcap'), Darknet.fromCidrs(['100.64.0.0/22']), (b) => d.add(b));
    assert.deepEqual(d.finish(), []);
  });

  it('the DoS view of the same capture: a reflector as a victim, with its service, country and AS (thresholds lowered: 0.15 s of capture)', async () => {
    const d = new DosDetector({ extrapolationFactor: 2 ** 24, minPackets: 4, minDurationSec: 0, minWindowPackets: 1 });
    await feedCapture(FILE, Darknet.fromCidrs(['10.10.10.0/24']), (b) => d.add(b), geo);
    const oracle = geoOracle.top_sources.find((s) => s.ip === '104.252.89.100')!;
    const a = d.finish().find((x) => x.victim === oracle.ip);
    assert.ok(a, 'the reflector with the most SYN/ACKs is a vector');
    assert.deepEqual([a.victimPort, a.victimService, a.victimCountry, a.victimAsn, a.packets], [80, 'http', oracle.country, oracle.asn, 4]);
    assert.deepEqual(a.labels, []);
  });
});

/** Hand-built rows: SYN/ACKs from `sources` distinct addresses to dark addresses of 10.1.0.0/24 (+ `net` << 8), at second t. */
function synAcks(rows: { t: number; sources: number; net?: number; sport?: number }[]): PacketBatch {
  const n = rows.reduce((s, r) => s + r.sources, 0);
  const b = new PacketBatch(Math.max(n, 1));
  let i = 0;
  for (const r of rows) {
    for (let k = 0; k < r.sources; k++, i++) {
      b.tsSec[i] = r.t;
      b.ipVersion[i] = 4;
      b.proto[i] = 6;
      b.kind[i] = TrafficKind.BACKSCATTER;
      b.response[i] = Response.SYN_ACK;
      b.src[i] = 0xc6336400 + ((r.net ?? 0) << 8) + k; // 198.51.100.0 + k (another /24 of sources per dark /24)
      b.dst[i] = 0x0a010000 + ((r.net ?? 0) << 8) + (k % 250) + 1;
      b.sport[i] = r.sport ?? 80;
    }
  }
  b.length = n;
  return b;
}

describe('reflection thresholds (hand-built rows)', () => {
  const run = (rows: Parameters<typeof synAcks>[0], opts = {}) => {
    const d = new ReflectionDetector(opts);
    d.add(synAcks(rows));
    return d.finish();
  };

  it('19 distinct sources into a /24 in a minute: nothing; 20: an event', () => {
    assert.deepEqual(run([{ t: 60, sources: 19 }]), []);
    const [e] = run([{ t: 60, sources: 20 }]);
    assert.deepEqual([e.prefix, e.packets, e.reflectors, e.peakReflectors, e.minutes, e.approximate], ['10.1.0.0/24', 20, 20, 20, 1, false]);
  });

  it('20 sources split over two /24s flag neither; a /16 prefix length joins them', () => {
    const rows = [{ t: 60, sources: 10 }, { t: 61, sources: 10, net: 1 }];
    assert.deepEqual(run(rows), []);
    assert.equal(run(rows, { prefixLength: 16 })[0].prefix, '10.1.0.0/16');
  });

  it('consecutive flagged minutes are one event; an unflagged minute between ends it', () => {
    const merged = run([{ t: 60, sources: 30 }, { t: 120, sources: 40 }, { t: 180, sources: 25 }]);
    assert.equal(merged.length, 1);
    assert.deepEqual([merged[0].minutes, merged[0].packets, merged[0].reflectors, merged[0].peakReflectors, merged[0].peakMinute], [3, 95, 40, 40, '1970-01-01T00:02:00.000Z']);
    const split = run([{ t: 60, sources: 30 }, { t: 120, sources: 5 }, { t: 180, sources: 25 }]);
    assert.deepEqual(split.map((e) => [e.firstSec, e.minutes, e.packets]), [[60, 1, 30], [180, 1, 25]]);
    const gap = run([{ t: 60, sources: 30 }, { t: 240, sources: 30 }]);
    assert.equal(gap.length, 2);
  });

  it('memory is bounded: prefixes past maxPrefixes in a minute are counted, not tracked', () => {
    const d = new ReflectionDetector({ maxPrefixes: 2 });
    d.add(synAcks([{ t: 60, sources: 20 }, { t: 60, sources: 20, net: 1 }, { t: 60, sources: 20, net: 2 }]));
    assert.equal(d.finish().length, 2);
    assert.equal(d.droppedPackets, 20);
  });
});
