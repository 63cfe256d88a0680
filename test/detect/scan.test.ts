/**
 * Scan events (Merit darknet-events model, methods.md §2.1): every threshold's
 * edge on hand-built streams of classified rows (labelled: exact timings no
 * capture has), then the lab's real zmap, masscan and nmap scans: one event per
 * tool, port and source, with the tool's label.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ToolBit, TrafficKind } from '../../src/classify/rules.js';
import { Darknet } from '../../src/config/darknet.js';
import { PacketBatch, TCP_SYN } from '../../src/decode/batch.js';
import { ScanDetector, type ScanEvent } from '../../src/detect/scan.js';
import { feedLab } from '../helpers/lab.js';
import { sharedFile } from '../helpers/paths.js';

const SRC = 0xc6336401; // 198.51.100.1
const DARKNET = 0x64400000; // 100.64.0.0

/** Hand-built TCP SYN probes from SRC to port 23, one per (time, destination offset). */
function probes(rows: { t: number; dst: number; tools?: number; port?: number }[]): PacketBatch {
  const b = new PacketBatch(Math.max(rows.length, 1));
  rows.forEach((r, i) => {
    b.tsSec[i] = Math.floor(r.t);
    b.tsNsec[i] = Math.round((r.t - Math.floor(r.t)) * 1e9);
    b.ipVersion[i] = 4;
    b.proto[i] = 6;
    b.tcpFlags[i] = TCP_SYN;
    b.kind[i] = TrafficKind.TCP_SYN;
    b.src[i] = SRC;
    b.dst[i] = DARKNET + r.dst;
    b.dport[i] = r.port ?? 23;
    b.tools[i] = r.tools ?? 0;
  });
  b.length = rows.length;
  return b;
}

const spread = (n: number, seconds: number, from = 0) => Array.from({ length: n }, (_, i) => ({ t: from + (seconds * i) / Math.max(n - 1, 1), dst: i }));

function run(rows: { t: number; dst: number; tools?: number }[], factor = 1): ScanEvent[] {
  const d = new ScanDetector({ extrapolationFactor: factor, darknetSize: 1024 });
  d.add(probes(rows));
  return d.finish();
}

describe('Merit thresholds (methods.md §2.1)', () => {
  it('kept from 10 distinct destinations; 9 are not enough', () => {
    assert.equal(run(spread(10, 0.5)).length, 1);
    assert.deepEqual(run(spread(9, 0.5)), []);
    // 30 packets to the same 9 addresses are still 9 destinations.
    assert.deepEqual(run([...spread(9, 0.5), ...spread(9, 0.5, 0.6), ...spread(9, 0.5, 1.2)]), []);
  });

  it('kept from an extrapolated 10 packets/s: 10 packets over 1 s with factor 1 pass, over 1.01 s do not', () => {
    assert.equal(run(spread(10, 1)).length, 1); // 10 packets / 1 s = 10 pps exactly
    assert.deepEqual(run(spread(10, 1.01)), []); // 9.9 pps
    // The same slow scan seen by a small darknet (factor 2^16) is fast globally.
    const [e] = run(spread(10, 1.01), 2 ** 16);
    assert.ok(Math.abs(e.ratePps - (10 * 2 ** 16) / 1.01) < 1e-6);
  });

  it('ends after 624 s without packets: 624 s apart is one event, 625 s apart two', () => {
    const burst = (t0: number) => spread(20, 1, t0).map((r, i) => ({ ...r, dst: i + (t0 > 0 ? 100 : 0) }));
    assert.equal(run([...burst(0), ...burst(1 + 624)], 2 ** 16).length, 1);
    const two = run([...burst(0), ...burst(1 + 625.001)], 2 ** 16);
    assert.equal(two.length, 2);
    assert.deepEqual(two.map((e) => e.packets), [20, 20]);
  });

  it('tool label only when every one of the first 3 packets carries it', () => {
    const all = spread(20, 1).map((r) => ({ ...r, tools: ToolBit.MIRAI }));
    assert.equal(run(all)[0].tool, 'mirai');
    const second = all.map((r, i) => (i === 1 ? { ...r, tools: 0 } : r));
    assert.equal(run(second)[0].tool, null);
    const fourth = all.map((r, i) => (i === 3 ? { ...r, tools: 0 } : r));
    assert.equal(run(fourth)[0].tool, 'mirai', 'only the first three are samples');
  });

  it('reports destinations, /24s, the share of IPv4 and the source', () => {
    const rows = Array.from({ length: 600 }, (_, i) => ({ t: i / 100, dst: i })); // 600 addresses in 3 /24s
    const [e] = run(rows, 2 ** 22);
    assert.equal(e.source, '198.51.100.1');
    assert.equal(e.port, 23);
    assert.equal(e.trafficType, 'tcp-syn');
    assert.equal(e.destinations, 600);
    assert.equal(e.slash24s, 3);
    assert.equal(e.ipv4Share, 600 / 1024);
  });

  it('memory is bounded: one-destination keys are table records only; caps on keys, extended keys and pairs count what they drop', () => {
    // A vertical scan: one packet to each of 20 ports: 20 keys, none with a counter object.
    const vertical = new ScanDetector({ extrapolationFactor: 1, darknetSize: 1024 });
    vertical.add(probes(Array.from({ length: 20 }, (_, i) => ({ t: i, dst: 7, port: 1000 + i }))));
    assert.deepEqual([vertical.tracked, vertical.extended, vertical.droppedPackets], [20, 0, 0]);
    // At most 5 keys: the packets of the other 5 are counted as dropped.
    const capped = new ScanDetector({ extrapolationFactor: 1, darknetSize: 1024, maxKeys: 5 });
    capped.add(probes(Array.from({ length: 10 }, (_, i) => ({ t: i, dst: 7, port: 1000 + i }))));
    assert.deepEqual([capped.tracked, capped.droppedPackets], [5, 5]);
    // 30 keys with two destinations each, at most 4 of them extended: 26 second packets dropped.
    const few = new ScanDetector({ extrapolationFactor: 1, darknetSize: 1024, maxExtended: 4 });
    few.add(probes(Array.from({ length: 60 }, (_, i) => ({ t: i, dst: i % 2, port: 1000 + (i >> 1) }))));
    assert.deepEqual([few.tracked, few.extended, few.droppedPackets], [30, 4, 26]);
  });

  it('destinations past exactDestinations are estimated (HyperLogLog) and flagged approximate', () => {
    const d = new ScanDetector({ extrapolationFactor: 1, darknetSize: 1 << 16, exactDestinations: 64 });
    d.add(probes(Array.from({ length: 5000 }, (_, i) => ({ t: i / 1000, dst: i }))));
    const [e] = d.finish();
    assert.equal(e.approximate, true);
    assert.ok(Math.abs(e.destinations - 5000) / 5000 < 0.1, `${e.destinations}`);
    assert.ok(Math.abs(e.slash24s - 20) <= 2, `${e.slash24s}`);
    const exact = run(Array.from({ length: 1000 }, (_, i) => ({ t: i / 1000, dst: i })));
    assert.deepEqual([exact[0].approximate, exact[0].destinations], [false, 1000]);
  });
  it('a candidate promoted at its second destination keeps its first packets (count, time, samples)', () => {
    const rows = [{ t: 0, dst: 1, tools: ToolBit.MIRAI }, { t: 0.1, dst: 1, tools: ToolBit.MIRAI }, ...spread(12, 1, 0.2).map((r) => ({ ...r, dst: r.dst + 2, tools: ToolBit.MIRAI }))];
    const [e] = run(rows);
    assert.equal(e.packets, 14);
    assert.equal(e.destinations, 13);
    assert.equal(e.firstSec, 0);
    assert.equal(e.tool, 'mirai');
    const noTool = run(rows.map((r, i) => (i === 1 ? { ...r, tools: 0 } : r)));
    assert.equal(noTool[0].tool, null, 'the second sample (still a candidate) lacked the flag');
  });
});

describe('Zeek scan shapes (methods.md §2.3): 5-min epochs', () => {
  const shapes = (rows: { t: number; dst: number; port?: number }[]) => {
    const d = new ScanDetector({ extrapolationFactor: 2 ** 16, darknetSize: 1 << 16 });
    d.add(probes(rows));
    return d.finish();
  };
  const hosts = (n: number, port: number, from = 0) => Array.from({ length: n }, (_, i) => ({ t: from + i * 0.5, dst: i, port }));

  it('horizontal: more than 25 hosts on one port within one epoch; 25 are not', () => {
    assert.equal(shapes(hosts(26, 23))[0].shape, 'horizontal');
    const [e] = shapes(hosts(25, 23));
    assert.deepEqual([e.destinations, e.shape], [25, null]);
    // 20 hosts at the end of one epoch and 20 others at the start of the next: 40 hosts, no epoch above 25.
    const split = shapes([...hosts(20, 23, 280), ...hosts(20, 23, 300).map((r) => ({ ...r, dst: r.dst + 100 }))]);
    assert.deepEqual([split.length, split[0].destinations, split[0].shape], [1, 40, null]);
  });

  it('vertical: at least 15 ports of one host within one epoch is a vertical event; 14 are not', () => {
    const ports = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ t: from + i, dst: 9, port: 2000 + i }));
    const v = shapes(ports(15)).filter((e) => e.shape === 'vertical');
    assert.equal(v.length, 1);
    assert.deepEqual([v[0].source, v[0].host, v[0].ports, v[0].trafficType], ['198.51.100.1', '100.64.0.9', 15, 'tcp-syn']);
    assert.deepEqual(shapes(ports(14)), []);
    // 10 ports before an epoch boundary, 10 after: no epoch has 15.
    assert.deepEqual(shapes([...ports(10, 290), ...ports(10, 300).map((r) => ({ ...r, port: r.port + 100 }))]), []);
  });

  it('strobe: the source passed the host threshold on 15 ports in one epoch; on 14 its events stay horizontal', () => {
    const block = (nPorts: number) => Array.from({ length: nPorts * 26 }, (_, i) => ({ t: i * 0.1, dst: Math.floor(i / nPorts), port: 100 + (i % nPorts) }));
    const strobe = shapes(block(15)).filter((e) => e.shape !== 'vertical');
    assert.equal(strobe.length, 15);
    assert.ok(strobe.every((e) => e.shape === 'strobe'), strobe.map((e) => e.shape).join());
    const horizontal = shapes(block(14));
    assert.equal(horizontal.length, 14);
    assert.ok(horizontal.every((e) => e.shape === 'horizontal'));
  });
});

describe('the lab scans (real zmap, masscan, nmap)', () => {
  const darknet = Darknet.fromCidrs(['100.64.0.0/22']);
  async function events(name: string): Promise<ScanEvent[]> {
    const d = new ScanDetector({ extrapolationFactor: darknet.extrapolationFactor, darknetSize: darknet.sizeV4 });
    await feedLab(name, darknet, (b) => d.add(b));
    return d.finish();
  }
  const cases: [string, string][] = [
    ['zmap_tcp_syn', 'zmap'],
    ['masscan_tcp_syn', 'masscan'],
    ['nmap_syn', 'nmap'],
  ];
  for (const [name, tool] of cases) {
    it(`${name}: one ${tool} event per port, from the truth's source`, async () => {
      const truth = JSON.parse(readFileSync(sharedFile(`lab/${name}.truth.json`), 'utf8')) as { sources: string[]; dst_ports: number[] };
      const ev = (await events(name)).filter((e) => e.trafficType === 'tcp-syn');
      assert.deepEqual(ev.map((e) => e.port).sort((a, b) => a - b), [...truth.dst_ports].sort((a, b) => a - b));
      for (const e of ev) {
        assert.equal(e.source, truth.sources[0]);
        assert.equal(e.tool, tool, `${name} port ${e.port}: ${e.tool}`);
        assert.ok(e.destinations >= 10);
      }
    });
  }
});

describe('state in typed arrays (records, blocks and slots reused): the same events as counter objects gave', () => {
  /** Hand-built IPv6 TCP SYN probes from 2001:db8:ffff::1 to 2001:db8::<dst>. */
  function probes6(rows: { t: number; dst: number; port?: number }[]): PacketBatch {
    const b = new PacketBatch(Math.max(rows.length, 1));
    rows.forEach((r, i) => {
      b.tsSec[i] = Math.floor(r.t);
      b.tsNsec[i] = Math.round((r.t - Math.floor(r.t)) * 1e9);
      b.ipVersion[i] = 6;
      b.proto[i] = 6;
      b.tcpFlags[i] = TCP_SYN;
      b.kind[i] = TrafficKind.TCP_SYN;
      b.src6.set([0x20010db8, 0xffff0000, 0, 1], 4 * i);
      b.dst6.set([0x20010db8, 0, 0, r.dst], 4 * i);
      b.dport[i] = r.port ?? 23;
    });
    b.length = rows.length;
    return b;
  }

  it('IPv6 sources and hosts are reported as text (horizontal and vertical events)', () => {
    const d = new ScanDetector({ extrapolationFactor: 2 ** 16, darknetSize: 1 << 16 });
    d.add(probes6(Array.from({ length: 30 }, (_, i) => ({ t: i * 0.1, dst: 100 + i }))));
    d.add(probes6(Array.from({ length: 15 }, (_, i) => ({ t: 10 + i, dst: 7, port: 2000 + i }))));
    const ev = d.finish();
    const h = ev.find((e) => e.port === 23)!;
    assert.deepEqual([h.source, h.destinations, h.shape, h.approximate], ['2001:db8:ffff::1', 30, 'horizontal', false]);
    const v = ev.filter((e) => e.shape === 'vertical');
    assert.deepEqual(v.map((e) => [e.source, e.host, e.ports]), [['2001:db8:ffff::1', '2001:db8::7', 15]]);
  });

  it('the budget of exact words: keys that would pass it estimate, the others stay exact', () => {
    // Three ports, 40 destinations each, interleaved: a table of 16 words doubles at 5, 9, 17 and
    // 33 destinations. Of 300 words, port 24 finds no room at 17 (port 23 has 128 already: 256
    // in use, + 64 > 300), port 23 none at 33; port 25 doubles into the words they gave back.
    const rows = Array.from({ length: 120 }, (_, i) => ({ t: i * 0.01, dst: Math.floor(i / 3), port: 23 + (i % 3) }));
    const d = new ScanDetector({ extrapolationFactor: 2 ** 16, darknetSize: 1 << 16, exactWords: 300 });
    d.add(probes(rows));
    const ev = d.finish().sort((a, b) => a.port - b.port);
    assert.deepEqual(ev.map((e) => [e.port, e.approximate]), [[23, true], [24, true], [25, false]]);
    assert.equal(ev[2].destinations, 40);
    for (const e of ev.slice(0, 2)) assert.ok(Math.abs(e.destinations - 40) <= 3, `${e.destinations}`);
  });

  it('past the budget a key stays exact until it has minDestinations; an estimate lies between that count and the packets', () => {
    // A budget of one block: the 12-destination key grows at 5 and 9 destinations (below 10) exactly
    // anyway, so the ≥ 10 decision is exact; the 40-destination key estimates from 17 on.
    const d = new ScanDetector({ extrapolationFactor: 2 ** 16, darknetSize: 1 << 16, exactWords: 16 });
    const small = Array.from({ length: 12 }, (_, i) => ({ t: i * 0.01, dst: i, port: 23 }));
    const big = Array.from({ length: 40 }, (_, i) => ({ t: 1 + i * 0.01, dst: 100 + i, port: 80 }));
    d.add(probes([...small, ...big]));
    const ev = d.finish().sort((a, b) => a.port - b.port);
    assert.deepEqual(ev.map((e) => [e.port, e.approximate, e.approximate ? null : e.destinations]), [[23, false, 12], [80, true, null]]);
    assert.ok(ev[1].destinations >= 17 && ev[1].destinations <= 40, `${ev[1].destinations}`);
    assert.ok(ev[1].slash24s <= ev[1].destinations);
  });

  it('a key that estimated starts exact again after its timeout; freed blocks come back empty', () => {
    const d = new ScanDetector({ extrapolationFactor: 2 ** 16, darknetSize: 1 << 16, exactDestinations: 16 });
    const first = Array.from({ length: 100 }, (_, i) => ({ t: i * 0.01, dst: i, port: 23 }));
    // Meanwhile another key grows through the sizes the first one frees.
    const other = Array.from({ length: 12 }, (_, i) => ({ t: 2 + i * 0.01, dst: 500 + i, port: 80 }));
    const again = Array.from({ length: 12 }, (_, i) => ({ t: 700 + i * 0.01, dst: 1000 + i, port: 23 }));
    const later = Array.from({ length: 11 }, (_, i) => ({ t: 701 + i * 0.01, dst: 2000 + i, port: 81 }));
    d.add(probes([...first, ...other, ...again, ...later]));
    const ev = d.finish().sort((a, b) => a.firstSec - b.firstSec);
    assert.deepEqual(
      ev.map((e) => [e.port, e.approximate, e.approximate ? 0 : e.destinations, e.slash24s]),
      [[23, true, 0, 1], [80, false, 12, 1], [23, false, 12, 1], [81, false, 11, 1]],
    );
  });
});
