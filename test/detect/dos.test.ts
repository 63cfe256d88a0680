/**
 * DoS attacks from backscatter (corsaro3's model, methods.md §3.3): the test
 * vectors TV-VEC-1..4 and each threshold's edge, on hand-built streams of
 * classified rows (labelled: the vectors need exact timings no capture has);
 * then the lab's real backscatter captures, with the duration and rate
 * thresholds lowered because the lab floods last a few seconds (said in each test).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Response, TrafficKind } from '../../src/classify/rules.js';
import { Darknet } from '../../src/config/darknet.js';
import { PacketBatch } from '../../src/decode/batch.js';
import { attackType, DosDetector, type DosAttack } from '../../src/detect/dos.js';
import { feedLab } from '../helpers/lab.js';
import { sharedFile } from '../helpers/paths.js';

const VICTIM = 0xcb007105; // 203.0.113.5
const DARKNET = 0x0a010000; // 10.1.0.0/16

/** Hand-built classified rows: SYN-ACK backscatter from VICTIM:80 at the given seconds (each to another darknet address). */
function backscatter(times: number[], opts: { response?: number; proto?: number; port?: number } = {}): PacketBatch {
  const b = new PacketBatch(Math.max(times.length, 1));
  times.forEach((t, i) => {
    b.tsSec[i] = Math.floor(t);
    b.tsNsec[i] = Math.round((t - Math.floor(t)) * 1e9);
    b.ipVersion[i] = 4;
    b.kind[i] = TrafficKind.BACKSCATTER;
    b.victim[i] = VICTIM;
    b.victimProto[i] = opts.proto ?? 6;
    b.victimPort[i] = opts.port ?? 80;
    b.response[i] = opts.response ?? Response.SYN_ACK;
    b.src[i] = VICTIM;
    b.dst[i] = DARKNET + (i % 5000);
    b.ipLen[i] = 44;
  });
  b.length = times.length;
  return b;
}

const detector = () => new DosDetector({ extrapolationFactor: 2 ** 16 });
const run = (times: number[]): DosAttack[] => {
  const d = detector();
  d.add(backscatter(times));
  return d.finish();
};
const evenly = (n: number, from: number, to: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / Math.max(n - 1, 1));

describe('corsaro3 thresholds (methods.md TV-VEC-1..4)', () => {
  // corsaro3 prunes the buckets older than 50 s before it sums the windows at an interval's end,
  // so a burst starting in the first 10 s of an interval never starts a window: the bursts
  // below start at 10 s. A vector also ends after a whole idle interval: each stream keeps
  // its vector alive.
  it('TV-VEC-1: 24 SYN/ACKs over 120 s → not reported (packets < 25); 25 → reported (rate threshold off to isolate the count)', () => {
    const count = (n: number) => {
      const d = new DosDetector({ extrapolationFactor: 1, minWindowPackets: 1 });
      d.add(backscatter(evenly(n, 0, 120)));
      return d.finish();
    };
    assert.deepEqual(count(24), []);
    assert.equal(count(25).length, 1);
    assert.deepEqual(run(evenly(24, 0, 115)), [], 'with all thresholds');
  });

  it('TV-VEC-2: 30 SYN/ACKs all within 30 s → not reported (duration < 60); the edge at 60 s', () => {
    assert.deepEqual(run(evenly(30, 0, 30)), []);
    assert.deepEqual(run([...evenly(30, 10, 19.9), 69.9]), [], 'duration 59.9 s');
    assert.equal(run([...evenly(30, 10, 19.9), 70]).length, 1, 'duration exactly 60 s');
  });

  it('TV-VEC-3: 60 packets evenly over 10 min (6/min) → not reported (maxPPM 6 < 30)', () => {
    assert.deepEqual(run(evenly(60, 0, 600)), []);
  });

  it('the rate edge: 29 packets in the busiest 60-s window → not reported; 30 → reported', () => {
    assert.deepEqual(run([...evenly(29, 10, 19.9), 75]), []);
    const a = run([...evenly(30, 10, 19.9), 75]);
    assert.equal(a.length, 1);
    assert.equal(a[0].maxWindowPackets, 30);
    assert.equal(a[0].packets, 31);
  });

  it('TV-VEC-4: 40 packets in seconds 20–29 and one at 85: not reportable at the first interval end, reported at the second', () => {
    const d = detector();
    d.add(backscatter(evenly(40, 20, 29.9)));
    d.add(backscatter([85])); // crossing t = 60 evaluates the first interval first
    assert.deepEqual(d.reportableNow(), [], 'at 60 s: duration 9.9 s');
    const [a, ...rest] = d.finish(); // the interval ending at 120 s
    assert.equal(rest.length, 0);
    assert.equal(a.packets, 41);
    assert.equal(a.maxWindowPackets, 40);
    assert.ok(Math.abs(a.endSec - a.startSec - 65) < 1e-6);
  });

  it('an attack ends after a whole idle interval: two floods an hour apart are two attacks', () => {
    const flood = (t0: number) => evenly(100, t0, t0 + 90);
    const d = detector();
    d.add(backscatter([...flood(0), ...flood(3600)]));
    const a = d.finish();
    assert.equal(a.length, 2);
    assert.deepEqual(a.map((x) => x.packets), [100, 100]);
    assert.equal(d.vectorCount, 0);
  });

  it('reports victim, port, type, rate extrapolated by 2^32 / N, and the spoofed sources', () => {
    const [a] = run(evenly(120, 0, 119));
    assert.equal(a.victim, '203.0.113.5');
    assert.equal(a.proto, 6);
    assert.equal(a.victimPort, 80);
    assert.equal(a.attackType, 'syn-flood-open-port');
    assert.equal(a.spoofedSources, 120);
    assert.equal(a.spoofedSlash16s, 1);
    assert.equal(a.bytes, 120 * 44);
    assert.ok(Math.abs(a.estimatedAttackPps - (120 / 119) * 2 ** 16) < 1e-6);
  });

  it('a victim answering from 8333/TCP is a Bitcoin node (methods.md §6): service and label; 80 is http without it', () => {
    const d = detector();
    d.add(backscatter(evenly(120, 0, 119), { port: 8333 }));
    const [a] = d.finish();
    assert.deepEqual([a.victimPort, a.victimService, a.labels], [8333, 'bitcoin', ['bitcoin_backscatter']]);
    const [h] = run(evenly(120, 0, 119));
    assert.deepEqual([h.victimService, h.labels, h.victimCountry, h.victimAsn], ['http', [], null, null]);
  });

  it('attack types from the replies (methods.md §3.1)', () => {
    assert.equal(attackType(1 << Response.RST_ACK), 'syn-flood-closed-port');
    assert.equal(attackType(1 << Response.RST), 'ack-flood');
    assert.equal(attackType(1 << Response.UNREACHABLE), 'udp-flood');
    assert.equal(attackType(1 << Response.ECHO_REPLY), 'icmp-flood');
    assert.equal(attackType((1 << Response.SYN_ACK) | (1 << Response.RST_ACK)), 'syn-flood-open-port+syn-flood-closed-port');
  });

  it('memory is bounded: victims past maxVectors are counted, not tracked', () => {
    const d = new DosDetector({ extrapolationFactor: 1, maxVectors: 10 });
    const b = backscatter(evenly(50, 0, 10));
    for (let i = 0; i < 50; i++) b.victim[i] = VICTIM + i; // 50 victims
    d.add(b);
    assert.equal(d.vectorCount, 10);
    assert.equal(d.droppedPackets, 40);
  });
});

describe('the lab floods (real kernel backscatter; thresholds lowered: the floods last seconds)', () => {
  const darknet = Darknet.fromCidrs(['100.64.0.0/22']);
  async function attacks(name: string): Promise<DosAttack[]> {
    // Lab floods: 200–800 packets in 0.5–2 s, then the victim's SYN-ACK retransmissions (1 s, 3 s later).
    // Scaled down 12×: 5-s intervals and windows sliding by 0.5 s, ≥ 10 packets in a window, duration ≥ 0.2 s.
    const d = new DosDetector({ extrapolationFactor: darknet.extrapolationFactor, minDurationSec: 0.2, minWindowPackets: 10, windowSec: 5, slideSec: 0.5, intervalSec: 5 });
    await feedLab(name, darknet, (b) => d.add(b));
    return d.finish();
  }

  const cases: [string, number, string, number | null][] = [
    ['bs_synflood_open_port', 6, 'syn-flood-open-port', 80],
    ['bs_synflood_closed_port', 6, 'syn-flood-closed-port', 443],
    ['bs_udpflood_closed_port', 17, 'udp-flood', null],
    ['bs_icmp_echo_flood', 1, 'icmp-flood', null],
    ['bs_hping3_spoofed_synflood', 6, 'syn-flood-open-port', 8080],
  ];
  for (const [name, proto, type, port] of cases) {
    it(`${name}: one attack on the truth's victim, ${type}`, async () => {
      const truth = JSON.parse(readFileSync(sharedFile(`lab/${name}.truth.json`), 'utf8')) as { victim: string };
      const a = await attacks(name);
      assert.equal(a.length, 1, JSON.stringify(a));
      assert.equal(a[0].victim, truth.victim);
      assert.equal(a[0].proto, proto);
      assert.match(a[0].attackType, new RegExp(`^${type.replace(/\+/g, '\\+')}`));
      if (port !== null) assert.equal(a[0].victimPort, port);
      assert.ok(a[0].spoofedSources > 1 && a[0].spoofedSources <= 1024, `${a[0].spoofedSources} spoofed sources inside the /22`);
    });
  }
});
