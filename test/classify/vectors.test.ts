/**
 * Every per-packet test vector of docs/methods.md (TV-ZMAP-*, TV-MASS-*,
 * TV-MIRAI-*, TV-BS-*, TV-F-*), built as real frames with the synthetic
 * packet builder (hand-made, labelled: no real capture has them), decoded by
 * the decoder and classified by the classifier.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameIPv4Icmp, frameIPv4Tcp, frameIPv4Udp, icmpFields, ipv4Fields, ipv4Udp, linkFields, parseIPv4, tcpFields, udpFields, TH_ACK, TH_CWR, TH_ECE, TH_RST, TH_SYN } from '../../bench/synth/packet.js';
import { Classifier } from '../../src/classify/classifier.js';
import { ClassFlag, FilterBit, labelsOf, Response, SpoofTag, TAG_RULES, TOOL_RULES, ToolBit, TrafficKind } from '../../src/classify/rules.js';
import { PacketBatch } from '../../src/decode/batch.js';
import { decodeFrameBytes } from '../../src/decode/frame.js';

const link = linkFields();

function classifyOne(build: (b: Uint8Array) => number): { b: PacketBatch; i: number } {
  const buf = new Uint8Array(2048);
  const n = build(buf);
  const b = new PacketBatch(1);
  decodeFrameBytes(buf.subarray(0, n), 0, n, 1, b, 0);
  b.length = 1;
  new Classifier(null).classify(b);
  return { b, i: 0 };
}

function syn(o: { src?: string; dst: string; dport?: number; sport?: number; seq: number; id: number; ttl?: number; window?: number; df?: boolean; options?: number[]; flags?: number; ipOff?: number }) {
  return classifyOne((buf) =>
    frameIPv4Tcp(
      buf,
      0,
      link,
      ipv4Fields({ src: parseIPv4(o.src ?? '45.33.32.156'), dst: parseIPv4(o.dst), ttl: o.ttl ?? 64, id: o.id, df: o.df ?? false }),
      tcpFields({ sport: o.sport ?? 40000, dport: o.dport ?? 80, seq: o.seq, flags: o.flags ?? TH_SYN, window: o.window ?? 65535, options: o.options ? Uint8Array.from(o.options) : null }),
    ),
  );
}

const tools = (r: { b: PacketBatch; i: number }) => labelsOf(r.b.tools[r.i], TOOL_RULES);

test('TV-ZMAP-1/2/3: ZMap classic IP ID 54321; ZMap ≥ 4.1 options shape', () => {
  const z1 = syn({ dst: '192.0.2.10', seq: 1, id: 54321, ttl: 247, window: 65535 });
  assert.deepEqual(tools(z1), ['zmap']);
  const z2 = syn({ dst: '192.0.2.10', seq: 1, id: 54320, ttl: 247, window: 65535 });
  assert.equal(z2.b.tools[0] & ToolBit.ZMAP, 0);
  const z3 = syn({ dst: '192.0.2.10', seq: 1, id: 0x1a2b, ttl: 57, window: 65535, df: false, options: [0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x08, 0x01, 0x01, 0x04, 0x02] });
  assert.equal(z3.b.ipLen[0], 52);
  assert.deepEqual(tools(z3), ['zmap4']);
  // With DF set (a Windows host's SYN) the shape is not ZMap's.
  const win = syn({ dst: '192.0.2.10', seq: 1, id: 0x1a2b, ttl: 57, window: 65535, df: true, options: [0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x08, 0x01, 0x01, 0x04, 0x02] });
  assert.deepEqual(tools(win), []);
});

test('TV-MASS-1/2/3: masscan IP ID = (dst ^ dport ^ seq) & 0xffff', () => {
  const m1 = syn({ dst: '192.0.2.10', dport: 80, seq: 0x12345678, id: 0x5422, window: 29200 });
  assert.ok(m1.b.tools[0] & ToolBit.MASSCAN);
  const m2 = syn({ dst: '203.0.113.200', dport: 23, seq: 0xdeadbeef, id: 0xcf30, window: 29200 });
  assert.ok(m2.b.tools[0] & ToolBit.MASSCAN);
  const m3 = syn({ dst: '192.0.2.10', dport: 80, seq: 0x12345678, id: 0x5423, window: 29200 });
  assert.equal(m3.b.tools[0] & ToolBit.MASSCAN, 0);
  // masscan ≤ 1.3.2's template shape on top of the formula.
  const shaped = syn({ dst: '192.0.2.10', dport: 80, seq: 0x12345678, id: 0x5422, ttl: 254, window: 1024 });
  assert.deepEqual(tools(shaped), ['masscan', 'masscan-shape']);
});

test('TV-MIRAI-1/2: seq = destination address, SYN only', () => {
  const m1 = syn({ dst: '198.51.100.7', dport: 23, seq: 3325256711, id: 777, window: 14000 });
  assert.equal(m1.b.seq[0], 0xc6336407);
  assert.deepEqual(tools(m1), ['mirai']);
  const m2 = syn({ dst: '198.51.100.7', dport: 23, seq: 3325256711, id: 777, flags: TH_SYN | TH_ACK });
  assert.equal(m2.b.tools[0], 0);
  assert.equal(m2.b.kind[0], TrafficKind.BACKSCATTER);
});

test('TV-BS-1: SYN-ACK backscatter: victim = outer source, target port = source port', () => {
  const r = syn({ src: '203.0.113.5', dst: '10.1.2.3', sport: 80, dport: 40001, seq: 5, id: 1, flags: TH_SYN | TH_ACK });
  assert.equal(r.b.kind[0], TrafficKind.BACKSCATTER);
  assert.equal(r.b.response[0], Response.SYN_ACK);
  assert.equal(r.b.victim[0], parseIPv4('203.0.113.5'));
  assert.equal(r.b.victimProto[0], 6);
  assert.equal(r.b.victimPort[0], 80);
  assert.equal(r.b.attackerPort[0], 40001);
  const rst = syn({ src: '203.0.113.5', dst: '10.1.2.3', sport: 443, dport: 40001, seq: 0, id: 1, flags: TH_RST | TH_ACK });
  assert.equal(rst.b.response[0], Response.RST_ACK);
  const bare = syn({ src: '203.0.113.5', dst: '10.1.2.3', sport: 443, dport: 40001, seq: 0, id: 1, flags: TH_RST });
  assert.equal(bare.b.response[0], Response.RST);
});

function icmpError(outerDst: string, type = 3, code = 3) {
  return classifyOne((buf) => {
    const inner = new Uint8Array(64);
    const n = ipv4Udp(inner, 0, ipv4Fields({ src: parseIPv4('10.9.9.9'), dst: parseIPv4('192.0.2.77'), ttl: 50 }), udpFields({ sport: 1234, dport: 53, payload: Uint8Array.from([1, 2, 3, 4]) }));
    return frameIPv4Icmp(buf, 0, link, ipv4Fields({ src: parseIPv4('198.51.100.1'), dst: parseIPv4(outerDst), ttl: 60 }), icmpFields({ type, code, data: inner, dataLen: Math.min(28, n) }));
  });
}

test('TV-BS-2 / 2b: ICMP port unreachable quoting UDP: victim from the quote; inner-source mismatch counted', () => {
  const r = icmpError('10.9.9.9');
  assert.equal(r.b.kind[0], TrafficKind.BACKSCATTER);
  assert.equal(r.b.response[0], Response.UNREACHABLE);
  assert.equal(r.b.victim[0], parseIPv4('192.0.2.77'));
  assert.equal(r.b.victimProto[0], 17);
  assert.equal(r.b.attackerPort[0], 1234);
  assert.equal(r.b.victimPort[0], 53);
  assert.equal(r.b.classFlags[0] & ClassFlag.ICMP_MISMATCH, 0);
  const m = icmpError('10.9.9.8');
  assert.equal(m.b.classFlags[0] & ClassFlag.ICMP_MISMATCH, ClassFlag.ICMP_MISMATCH);
  assert.equal(m.b.victim[0], parseIPv4('192.0.2.77'));
});

test('TV-BS-3: echo request is not backscatter; echo reply is (corsaro quirk: ports = type·256, code·256, mismatch counted)', () => {
  const req = classifyOne((buf) => frameIPv4Icmp(buf, 0, link, ipv4Fields({ src: parseIPv4('192.0.2.1'), dst: parseIPv4('10.0.0.1'), id: 54321 }), icmpFields({ type: 8, code: 0, rest: 0x00010001 })));
  assert.equal(req.b.kind[0], TrafficKind.ICMP_ECHO);
  assert.deepEqual(tools(req), ['zmap'], 'a ZMap ICMP echo probe');
  const rep = classifyOne((buf) => frameIPv4Icmp(buf, 0, link, ipv4Fields({ src: parseIPv4('192.0.2.1'), dst: parseIPv4('10.0.0.1') }), icmpFields({ type: 0, code: 0 })));
  assert.equal(rep.b.kind[0], TrafficKind.BACKSCATTER);
  assert.equal(rep.b.victim[0], parseIPv4('192.0.2.1'));
  assert.equal(rep.b.victimProto[0], 1);
  const ts = classifyOne((buf) => frameIPv4Icmp(buf, 0, link, ipv4Fields({ src: parseIPv4('192.0.2.1'), dst: parseIPv4('10.0.0.1') }), icmpFields({ type: 14, code: 0 })));
  assert.equal(ts.b.victimPort[0], 14 << 8, 'ntohs(type) on a little-endian host');
  assert.equal(ts.b.classFlags[0] & ClassFlag.ICMP_MISMATCH, ClassFlag.ICMP_MISMATCH);
});

const F = (r: { b: PacketBatch }) => r.b.filters[0];
const T = (r: { b: PacketBatch }) => r.b.tags[0];

test('TV-F-1: masscan-shaped SYN: large-scale-scan, ttl-200, not spoofed, erratic', () => {
  const r = syn({ dst: '10.0.0.1', seq: 1, id: 1, ttl: 240, window: 1024 });
  assert.ok(F(r) & FilterBit.TTL_200);
  assert.equal(F(r) & FilterBit.TTL_200_NONSPOOFED, 0);
  assert.equal(T(r) & SpoofTag.SPOOFED, 0);
  assert.ok(T(r) & SpoofTag.LARGE_SCALE_SCAN);
  assert.ok(T(r) & SpoofTag.ERRATIC);
  assert.deepEqual(labelsOf(T(r), TAG_RULES), ['erratic', 'large-scale-scan']);
});

test('TV-F-2: high TTL with options and another window: ttl-200-nonspoofed → spoofed', () => {
  const r = syn({ dst: '10.0.0.1', seq: 1, id: 1, ttl: 240, window: 29200, options: [2, 4, 5, 0xb4] });
  assert.equal(r.b.tcpHdrLen[0], 24);
  assert.ok(F(r) & FilterBit.TTL_200_NONSPOOFED);
  assert.ok(T(r) & SpoofTag.SPOOFED);
});

test('TV-F-3: ICMP is excluded from ttl-200', () => {
  const r = classifyOne((buf) => frameIPv4Icmp(buf, 0, link, ipv4Fields({ src: parseIPv4('192.0.2.1'), dst: parseIPv4('10.0.0.1'), ttl: 250 }), icmpFields({ type: 8, code: 0 })));
  assert.equal(F(r) & FilterBit.TTL_200, 0);
});

test('TV-F-4: fragmented = offset or reserved bit, MF alone does not match', () => {
  for (const [off, want] of [[0x2000, 0], [0x2001, FilterBit.FRAGMENT], [0x8000, FilterBit.FRAGMENT]] as const) {
    const r = classifyOne((buf) => {
      const n = frameIPv4Udp(buf, 0, link, ipv4Fields({ src: parseIPv4('192.0.2.1'), dst: parseIPv4('10.0.0.1') }), udpFields({ sport: 1, dport: 2, payload: Uint8Array.from([1]) }));
      buf[14 + 6] = off >> 8;
      buf[14 + 7] = off & 0xff;
      return n;
    });
    assert.equal(F(r) & FilterBit.FRAGMENT, want, `ip_off 0x${off.toString(16)}`);
  }
});

test('TV-F-5: SYN+RST is abnormal (spoofed); SYN+ECE+CWR is not', () => {
  const bad = syn({ dst: '10.0.0.1', seq: 1, id: 1, flags: TH_SYN | TH_RST });
  assert.ok(F(bad) & FilterBit.ABNORMAL_PROTOCOL);
  assert.ok(T(bad) & SpoofTag.SPOOFED);
  const ecn = syn({ dst: '10.0.0.1', seq: 1, id: 1, flags: TH_SYN | TH_ECE | TH_CWR });
  assert.equal(F(ecn) & FilterBit.ABNORMAL_PROTOCOL, 0);
  assert.equal(ecn.b.kind[0], TrafficKind.TCP_SYN, 'a SYN with ECN bits is still a SYN probe');
});

test('TV-F-6: source 192.0.2.255: last-byte-src-255 and rfc5735 (non-routable)', () => {
  const r = syn({ src: '192.0.2.255', dst: '10.0.0.1', seq: 1, id: 1 });
  assert.ok(F(r) & FilterBit.LAST_SRC_IP_255);
  assert.ok(F(r) & FilterBit.RFC5735);
  assert.ok(T(r) & SpoofTag.NONROUTABLE);
  assert.ok(T(r) & SpoofTag.SPOOFED);
});
