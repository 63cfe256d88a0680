import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CaptureReader } from '../../src/capture/reader.js';
import { type PacketBatch, TCP_ACK, TCP_RST, TCP_SYN, FRAG_DF } from '../../src/decode/batch.js';
import {
  CATEGORY_NAMES, CATEGORY_SHARES, Category, generateMix, KIND_CATEGORY, KIND_NAMES, Kind, type KindName, type MixResult,
} from '../../bench/synth/mix.js';
import {
  frameArp, frameIPv4Icmp, frameIPv4Tcp, frameIPv6Tcp, icmpFields, ipv4Fields, ipv4Udp, ipv6Fields, linkFields,
  parseIPv4, parseIPv6, tcpFields, TH_SYN, udpFields, writeIPv4Header,
} from '../../bench/synth/packet.js';
import { PcapWriter } from '../../bench/synth/pcap-writer.js';
import { Rng } from '../../bench/synth/rng.js';

const N = 20000;
const DARKNET_BASE = 0x64400000; // 100.64.0.0/16

const dir = mkdtempSync(join(tmpdir(), 'darkscope-synth-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// ---- independent helpers (deliberately not the generator's own code) ----

function cksum(b: Uint8Array, off: number, len: number, init = 0): number {
  let s = init;
  for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

function be32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

interface RawRecord {
  sec: number;
  usec: number;
  frame: Uint8Array;
}

/** Minimal classic-pcap reader (little-endian, µs) for checking the writer independently of src/capture. */
function rawRecords(file: string): { header: Buffer; records: RawRecord[] } {
  const buf = readFileSync(file);
  const header = buf.subarray(0, 24);
  const records: RawRecord[] = [];
  let p = 24;
  while (p < buf.length) {
    assert.ok(p + 16 <= buf.length, 'truncated record header');
    const cap = buf.readUInt32LE(p + 8);
    const orig = buf.readUInt32LE(p + 12);
    assert.equal(cap, orig, 'caplen == origlen');
    assert.ok(p + 16 + cap <= buf.length, 'truncated record');
    records.push({ sec: buf.readUInt32LE(p), usec: buf.readUInt32LE(p + 4), frame: buf.subarray(p + 16, p + 16 + cap) });
    p += 16 + cap;
  }
  return { header, records };
}

/** Verify the IPv4 header checksum and the TCP/UDP/ICMP checksum of an Ethernet frame; returns what was checked. */
function verifyChecksums(f: Uint8Array): string {
  let p = 12;
  let et = (f[p] << 8) | f[p + 1];
  p += 2;
  if (et === 0x8100) {
    et = (f[p + 2] << 8) | f[p + 3];
    p += 4;
  }
  if (et === 0x0806) return 'arp';
  if (et === 0x86dd) {
    const plen = (f[p + 4] << 8) | f[p + 5];
    const nh = f[p + 6];
    let pseudo = nh + plen;
    for (let i = 0; i < 32; i += 2) pseudo += (f[p + 8 + i] << 8) | f[p + 9 + i];
    assert.equal(cksum(f, p + 40, plen, pseudo), 0, 'IPv6 transport checksum');
    return 'ipv6';
  }
  assert.equal(et, 0x0800);
  const ihl = (f[p] & 15) * 4;
  const tot = (f[p + 2] << 8) | f[p + 3];
  assert.equal(cksum(f, p, ihl), 0, 'IPv4 header checksum');
  const proto = f[p + 9];
  const l4 = p + ihl;
  const l4len = tot - ihl;
  if (proto === 1) {
    assert.equal(cksum(f, l4, l4len), 0, 'ICMP checksum');
    return 'icmp';
  }
  const src = be32(f, p + 12);
  const dst = be32(f, p + 16);
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4len;
  if (proto === 17 && f[l4 + 6] === 0 && f[l4 + 7] === 0) assert.fail('UDP checksum 0 (absent)');
  assert.equal(cksum(f, l4, l4len, pseudo), 0, `${proto === 6 ? 'TCP' : 'UDP'} checksum`);
  return proto === 6 ? 'tcp' : 'udp';
}

// ---- rng ----

test('rng: deterministic per seed, bounded', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 100 }, () => a.nextU32());
  assert.deepEqual(sa, Array.from({ length: 100 }, () => b.nextU32()));
  assert.notDeepEqual(sa, Array.from({ length: 100 }, () => c.nextU32()));
  const r = new Rng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 10000; i++) {
    const x = r.nextInt(7);
    assert.ok(Number.isInteger(x) && x >= 0 && x < 7);
    seen.add(x);
    const f = r.nextFloat();
    assert.ok(f >= 0 && f < 1);
    const y = r.range(5, 9);
    assert.ok(y >= 5 && y <= 9);
  }
  assert.equal(seen.size, 7);
  assert.ok(['a', 'b'].includes(r.pick(['a', 'b'])));
});

// ---- hand-built packets ----

test('packet: IPv4 header checksum matches the textbook example', () => {
  // 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7
  const b = new Uint8Array(20);
  writeIPv4Header(b, 0, ipv4Fields({ src: parseIPv4('192.168.0.1'), dst: parseIPv4('192.168.0.199'), ttl: 64, df: true }), 17, 0x73 - 20);
  assert.deepEqual(
    Array.from(b),
    [0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7],
  );
});

let oneCounter = 0;

/** Decode one hand-built frame the way a capture is read: write it to a pcap, read it back with CaptureReader. */
async function decodeOne(frame: Uint8Array, len: number): Promise<PacketBatch> {
  const file = join(dir, `one-${oneCounter++}.pcap`);
  const w = new PcapWriter(file);
  w.writeRecord(1767225600, 0, frame, 0, len);
  w.close();
  const reader = await CaptureReader.open(file);
  const batches: PacketBatch[] = [];
  for await (const b of reader.batches()) batches.push(b);
  assert.equal(reader.failed, false);
  assert.equal(batches.length, 1);
  assert.equal(batches[0].length, 1);
  return batches[0];
}

test('packet: masscan TV-MASS-1 and Mirai TV-MIRAI-1 decode with the documented fields', async () => {
  const b = new Uint8Array(128);
  const dst = parseIPv4('192.0.2.10');
  const seq = 0x12345678;
  const ipId = ((dst ^ 80 ^ seq) >>> 0) & 0xffff;
  assert.equal(ipId, 0x5422);
  let len = frameIPv4Tcp(b, 0, linkFields(), ipv4Fields({ src: parseIPv4('203.0.113.9'), dst, ttl: 250, id: ipId }), tcpFields({ sport: 45678, dport: 80, seq, window: 1024 }));
  assert.equal(len, 60, '54-byte frame padded to 60');
  let r = await decodeOne(b, len);
  assert.equal(r.reason[0], 0);
  assert.equal(r.ipId[0], 0x5422);
  assert.equal(r.seq[0], seq);
  assert.equal(r.window[0], 1024);
  assert.equal(r.tcpFlags[0], TCP_SYN);
  assert.equal(r.ipLen[0], 40);
  assert.equal(verifyChecksums(b.subarray(0, len)), 'tcp');

  const mdst = parseIPv4('198.51.100.7');
  len = frameIPv4Tcp(b, 0, linkFields({ vlan: 42 }), ipv4Fields({ src: parseIPv4('203.0.113.1'), dst: mdst, id: 999 }), tcpFields({ sport: 4000, dport: 23, seq: mdst, window: 777 }));
  r = await decodeOne(b, len);
  assert.equal(r.reason[0], 0);
  assert.equal(r.seq[0], 3325256711);
  assert.equal(r.seq[0], r.dst[0]);
  assert.equal(r.dport[0], 23);
  assert.equal(verifyChecksums(b.subarray(0, len)), 'tcp');
});

test('packet: ICMP error quoting a spoofed UDP packet (TV-BS-2), IPv6 SYN, ARP', async () => {
  const q = new Uint8Array(64);
  const darkAddr = parseIPv4('10.9.9.9');
  const qlen = ipv4Udp(q, 0, ipv4Fields({ src: darkAddr, dst: parseIPv4('192.0.2.77'), ttl: 50 }), udpFields({ sport: 1234, dport: 53, payload: new Uint8Array(12) }));
  assert.equal(qlen, 40);
  const b = new Uint8Array(256);
  let len = frameIPv4Icmp(b, 0, linkFields(), ipv4Fields({ src: parseIPv4('198.51.100.1'), dst: darkAddr, ttl: 250 }), icmpFields({ type: 3, code: 3, data: q, dataLen: 28 }));
  assert.equal(len, 14 + 20 + 8 + 28);
  let r = await decodeOne(b, len);
  assert.equal(r.icmpType[0], 3);
  assert.equal(r.icmpCode[0], 3);
  assert.equal(r.innerVersion[0], 4);
  assert.equal(r.innerSrc[0], darkAddr);
  assert.equal(r.innerDst[0], parseIPv4('192.0.2.77'));
  assert.equal(r.innerProto[0], 17);
  assert.equal(r.innerSport[0], 1234);
  assert.equal(r.innerDport[0], 53);
  assert.equal(verifyChecksums(b.subarray(0, len)), 'icmp');

  const ip6 = ipv6Fields({ src: parseIPv6('2a00:1450::1'), dst: parseIPv6('2001:db8::42'), hopLimit: 55, flowLabel: 0x12345 });
  len = frameIPv6Tcp(b, 0, linkFields(), ip6, tcpFields({ sport: 40000, dport: 22, seq: 1, window: 64800, options: Uint8Array.of(2, 4, 5, 0xa0) }));
  r = await decodeOne(b, len);
  assert.equal(r.reason[0], 0);
  assert.equal(r.ipVersion[0], 6);
  assert.equal(r.dst6[0], 0x20010db8);
  assert.equal(r.dst6[3], 0x42);
  assert.equal(r.ttl[0], 55);
  assert.equal(r.tcpMss[0], 1440);
  assert.equal(verifyChecksums(b.subarray(0, len)), 'ipv6');

  len = frameArp(b, 0, linkFields({ dstMac: new Uint8Array(6).fill(255) }), 1, new Uint8Array(6).fill(2), parseIPv4('10.0.0.1'), new Uint8Array(6), parseIPv4('10.0.0.2'));
  assert.equal(len, 60);
  r = await decodeOne(b, len);
  assert.equal(r.l3Type[0], 0x0806);
  assert.equal(r.ipVersion[0], 0);
});

test('pcap-writer: header, records, buffer flushes, snaplen cut', () => {
  const file = join(dir, 'w.pcap');
  const w = new PcapWriter(file, { bufferSize: 1, snaplen: 100 }); // raised to the minimum buffer size
  const frame = new Uint8Array(300).map((_, i) => i & 0xff);
  for (let i = 0; i < 1000; i++) w.writeRecord(1000 + i, i, frame, 0, 60);
  const off = w.begin(300);
  w.buf.set(frame, off);
  w.end(5000, 999999, 300);
  w.close();
  const { header, records } = (() => {
    const buf = readFileSync(file);
    const recs: { cap: number; orig: number; sec: number; usec: number }[] = [];
    for (let p = 24; p < buf.length; ) {
      const cap = buf.readUInt32LE(p + 8);
      recs.push({ sec: buf.readUInt32LE(p), usec: buf.readUInt32LE(p + 4), cap, orig: buf.readUInt32LE(p + 12) });
      p += 16 + cap;
    }
    return { header: buf.subarray(0, 24), records: recs };
  })();
  assert.deepEqual(Array.from(header.subarray(0, 8)), [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
  assert.equal(header.readUInt32LE(16), 100);
  assert.equal(header.readUInt32LE(20), 1);
  assert.equal(records.length, 1001);
  assert.deepEqual(records[999], { sec: 1999, usec: 999, cap: 60, orig: 60 });
  assert.deepEqual(records[1000], { sec: 5000, usec: 999999, cap: 100, orig: 300 });
  assert.equal(w.packets, 1001);
  assert.equal(w.bytes, readFileSync(file).length);
});

// ---- the mix ----

test('mix: kind/category tables are consistent', () => {
  assert.equal(KIND_CATEGORY.length, KIND_NAMES.length);
  KIND_NAMES.forEach((k, i) => assert.equal(Kind[k], i));
  CATEGORY_NAMES.forEach((c, i) => assert.equal(Category[c], i));
  assert.equal(CATEGORY_SHARES.reduce((a, b) => a + b, 0), 10000);
  assert.equal(CATEGORY_SHARES.length, CATEGORY_NAMES.length);
});

let mixA: MixResult;
const fileA = join(dir, 'a.pcap');

test('mix: same seed gives a byte-identical file (whatever the buffer size), another seed a different one', () => {
  mixA = generateMix({ packets: N, seed: 7, out: fileA, labels: true });
  const fileB = join(dir, 'b.pcap');
  const b = generateMix({ packets: N, seed: 7, out: fileB, bufferSize: 70000 });
  const fileC = join(dir, 'c.pcap');
  const c = generateMix({ packets: N, seed: 8, out: fileC });
  const A = readFileSync(fileA);
  assert.equal(A.length, mixA.bytes);
  assert.ok(A.equals(readFileSync(fileB)), 'same seed → identical bytes');
  assert.deepEqual(b.kinds, mixA.kinds);
  assert.ok(!A.equals(readFileSync(fileC)), 'different seed → different file');
  assert.notDeepEqual(c.kinds, mixA.kinds);
});

test('mix: counts, shares, timestamps and checksums of the raw records', () => {
  assert.equal(mixA.packets, N);
  assert.equal(mixA.labels!.length, N);
  const sumKinds = Object.values(mixA.kinds).reduce((a, b) => a + b, 0);
  const sumCats = Object.values(mixA.counts).reduce((a, b) => a + b, 0);
  assert.equal(sumKinds, N);
  assert.equal(sumCats, N);
  CATEGORY_NAMES.forEach((c, i) => {
    const expected = (CATEGORY_SHARES[i] / 10000) * N;
    const got = mixA.counts[c];
    assert.ok(Math.abs(got - expected) < 5 * Math.sqrt(expected) + 1, `${c}: ${got} vs ~${expected}`);
  });
  const { header, records } = rawRecords(fileA);
  assert.deepEqual(Array.from(header.subarray(0, 4)), [0xd4, 0xc3, 0xb2, 0xa1]);
  assert.equal(header.readUInt32LE(16), 65535);
  assert.equal(header.readUInt32LE(20), 1);
  assert.equal(records.length, N);
  assert.equal(records[0].sec, 1767225600);
  assert.equal(records[0].usec, 0);
  const checked: Record<string, number> = {};
  let prev = 0;
  for (const r of records) {
    assert.ok(r.usec < 1e6);
    const t = r.sec * 1e6 + r.usec;
    assert.ok(t >= prev, 'timestamps non-decreasing');
    prev = t;
    assert.ok(r.frame.length >= 60, 'padded to the Ethernet minimum');
    const what = verifyChecksums(r.frame);
    checked[what] = (checked[what] ?? 0) + 1;
  }
  assert.equal(checked.arp, mixA.counts.arp);
  assert.equal(checked.ipv6, mixA.counts.ipv6_syn);
  const seconds = (prev - records[0].sec * 1e6) / 1e6;
  const pps = N / seconds;
  assert.ok(pps > 1000 && pps < 10000, `a few thousand packets per simulated second (got ${pps.toFixed(0)})`);
});

interface Row {
  kind: KindName;
  reason: number; l3Type: number; ipVersion: number;
  src: number; dst: number; dst6: number; proto: number; ttl: number; tos: number; ipId: number; ipLen: number; df: boolean;
  sport: number; dport: number; flags: number; seq: number; ack: number; window: number;
  tcpHdrLen: number; tcpMss: number; tcpWscale: number; tcpOptLayout: number;
  udpLen: number; payloadLen: number; icmpType: number; icmpCode: number;
  innerVersion: number; innerSrc: number; innerDst: number; innerProto: number; innerSport: number; innerDport: number;
}

test('mix: read back with CaptureReader; per-category packet shapes', async () => {
  const reader = await CaptureReader.open(fileA);
  const rows: Row[] = [];
  for await (const b of reader.batches()) {
    for (let i = 0; i < b.length; i++) {
      rows.push({
        kind: KIND_NAMES[mixA.labels![rows.length]],
        reason: b.reason[i], l3Type: b.l3Type[i], ipVersion: b.ipVersion[i],
        src: b.src[i], dst: b.dst[i], dst6: b.dst6[4 * i], proto: b.proto[i], ttl: b.ttl[i], tos: b.tos[i], ipId: b.ipId[i],
        ipLen: b.ipLen[i], df: (b.fragFlags[i] & FRAG_DF) !== 0,
        sport: b.sport[i], dport: b.dport[i], flags: b.tcpFlags[i], seq: b.seq[i], ack: b.ack[i], window: b.window[i],
        tcpHdrLen: b.tcpHdrLen[i], tcpMss: b.tcpMss[i], tcpWscale: b.tcpWscale[i], tcpOptLayout: b.tcpOptLayout[i],
        udpLen: b.udpLen[i], payloadLen: b.payloadLen[i], icmpType: b.icmpType[i], icmpCode: b.icmpCode[i],
        innerVersion: b.innerVersion[i], innerSrc: b.innerSrc[i], innerDst: b.innerDst[i], innerProto: b.innerProto[i],
        innerSport: b.innerSport[i], innerDport: b.innerDport[i],
      });
    }
  }
  const info = reader.info();
  assert.equal(reader.failed, false);
  assert.equal(info.packets, N);
  assert.equal(rows.length, N);
  assert.equal(info.decoded, N - mixA.counts.arp);
  assert.equal(info.outOfOrder, 0);
  assert.deepEqual(info.partial, {});
  assert.deepEqual(info.skipped, { 'not IP (ethertype 0x0806 ARP)': mixA.counts.arp });
  assert.equal(info.firstTimestamp, '2026-01-01T00:00:00.000000000Z');

  const byKind = new Map<KindName, Row[]>();
  for (const r of rows) {
    let l = byKind.get(r.kind);
    if (!l) byKind.set(r.kind, (l = []));
    l.push(r);
  }
  for (const k of KIND_NAMES) assert.equal(byKind.get(k)?.length ?? 0, mixA.kinds[k], `rows labelled ${k}`);

  /** Every row of the kind satisfies pred; reports the first offender. */
  const all = (kind: KindName, what: string, pred: (r: Row) => boolean): void => {
    const list = byKind.get(kind) ?? [];
    assert.ok(list.length > 0, `no ${kind} rows`);
    const bad = list.find((r) => !pred(r));
    assert.equal(bad, undefined, `${kind}: ${what}`);
  };
  /** Within each source, field f is constant. */
  const constantPerSource = (kind: KindName, f: keyof Row): void => {
    const seen = new Map<number, unknown>();
    for (const r of byKind.get(kind)!) {
      if (!seen.has(r.src)) seen.set(r.src, r[f]);
      assert.equal(r[f], seen.get(r.src), `${kind}: ${String(f)} constant per source`);
    }
  };
  const SYN = TCP_SYN;
  const inDarknet = (a: number): boolean => (a & 0xffff0000) >>> 0 === DARKNET_BASE;

  // Every IP row: fully decoded; IPv4 destinations inside the darknet, sources outside it.
  for (const r of rows) {
    if (r.kind === 'arp') continue;
    assert.equal(r.reason, 0, `${r.kind} decodes completely`);
    if (r.ipVersion === 4) {
      assert.ok(inDarknet(r.dst), `${r.kind}: dst in the darknet`);
      assert.ok(!inDarknet(r.src), `${r.kind}: src outside the darknet`);
    }
  }

  all('syn_linux', 'Linux SYN shape', (r) => r.flags === SYN && r.df && r.window === 64240 && r.tcpHdrLen === 40 && r.tcpMss === 1460 && r.tcpWscale === 7 && r.ttl >= 50 && r.ttl <= 64);
  all('syn_windows', 'Windows SYN shape', (r) => r.flags === SYN && r.df && (r.window === 64240 || r.window === 65535) && r.tcpHdrLen === 32 && r.tcpMss === 1460 && r.tcpWscale === 8 && r.ttl >= 110 && r.ttl <= 128);

  all('mirai', 'seq === dst', (r) => r.seq === r.dst);
  all('mirai', 'Mirai shape', (r) => r.flags === SYN && r.ack === 0 && !r.df && r.ttl <= 64 && r.tcpHdrLen === 20 && r.ipLen === 40 && (r.dport === 23 || r.dport === 2323));
  constantPerSource('mirai', 'window');
  constantPerSource('mirai', 'sport');
  const mirai = byKind.get('mirai')!;
  const share2323 = mirai.filter((r) => r.dport === 2323).length / mirai.length;
  assert.ok(share2323 > 0.06 && share2323 < 0.14, `Mirai 2323 share ${share2323}`);
  // Reverse: no other SYN has seq === dst.
  assert.equal(rows.filter((r) => r.proto === 6 && r.flags === SYN && r.seq === r.dst && r.kind !== 'mirai').length, 0);

  all('masscan', 'IP id = (dst ^ dport ^ seq) & 0xffff', (r) => r.ipId === (((r.dst ^ r.dport ^ r.seq) >>> 0) & 0xffff));
  all('masscan', 'masscan shape', (r) => r.flags === SYN && r.window === 1024 && r.tcpHdrLen === 20 && r.ipLen === 40 && !r.df && r.ttl >= 230);
  constantPerSource('masscan', 'sport');

  all('zmap_classic', 'ZMap ≤4.0 shape', (r) => r.ipId === 54321 && r.flags === SYN && r.window === 65535 && r.tcpHdrLen === 24 && r.tcpMss === 1460 && r.ipLen === 44 && !r.df && r.ttl >= 230);
  constantPerSource('zmap_classic', 'dport');
  const winLayout = byKind.get('syn_windows')![0].tcpOptLayout;
  all('zmap_modern', 'ZMap ≥4.1 shape', (r) => r.flags === SYN && r.window === 65535 && r.tcpHdrLen === 32 && r.ipLen === 52 && r.tcpOptLayout === winLayout && r.tcpWscale === 8 && !r.df && r.ttl <= 64);
  const modernIds = new Set(byKind.get('zmap_modern')!.map((r) => r.ipId));
  assert.ok(modernIds.size > byKind.get('zmap_modern')!.length * 0.9, 'ZMap ≥4.1 IP ids are random');

  all('nmap', 'nmap -sS shape', (r) => r.flags === SYN && r.window === 1024 && r.tcpHdrLen === 24 && r.tcpMss === 1460 && r.ipLen === 44 && !r.df && r.ttl <= 59);
  constantPerSource('nmap', 'seq');
  constantPerSource('nmap', 'sport');

  all('hping3', 'hping3 shape', (r) => r.flags === SYN && r.window === 512 && r.tcpHdrLen === 20);

  all('bs_synack', 'SYN-ACK', (r) => r.proto === 6 && r.flags === (TCP_SYN | TCP_ACK) && r.dport >= 1024);
  all('bs_rstack', 'RST-ACK, seq 0', (r) => r.proto === 6 && r.flags === (TCP_RST | TCP_ACK) && r.seq === 0 && r.window === 0);
  all('bs_rst', 'bare RST', (r) => r.proto === 6 && r.flags === TCP_RST && r.ack === 0);
  all('bs_echo_reply', 'echo reply', (r) => r.proto === 1 && r.icmpType === 0 && r.icmpCode === 0);

  const udpPort: [KindName, number][] = [['udp_dns', 53], ['udp_ntp', 123], ['udp_ssdp', 1900], ['udp_snmp', 161], ['udp_sip', 5060]];
  for (const [k, port] of udpPort) all(k, `UDP to ${port} with payload`, (r) => r.proto === 17 && r.dport === port && r.payloadLen > 0 && r.udpLen === 8 + r.payloadLen);
  all('udp_other', 'UDP to a high port', (r) => r.proto === 17 && r.dport >= 1024 && r.udpLen === 8 + r.payloadLen && r.payloadLen <= 32);

  all('icmp_echo', 'echo request', (r) => r.proto === 1 && r.icmpType === 8 && r.icmpCode === 0);
  all('icmp_echo_zmap', 'ZMap echo request', (r) => r.proto === 1 && r.icmpType === 8 && r.ipId === 54321 && r.ttl >= 230);

  const errors: [KindName, number, number][] = [['icmp_unreach_host', 3, 1], ['icmp_unreach_port', 3, 3], ['icmp_unreach_admin', 3, 13], ['icmp_time_exceeded', 11, 0]];
  for (const [k, type, code] of errors) {
    all(k, `ICMP ${type}/${code}`, (r) => r.proto === 1 && r.icmpType === type && r.icmpCode === code);
    all(k, 'quotes a spoofed packet from the darknet address to the victim', (r) =>
      r.innerVersion === 4 && r.innerSrc === r.dst && !inDarknet(r.innerDst) && (r.innerProto === 6 || r.innerProto === 17) && r.innerSport > 0 && r.innerDport > 0);
  }
  all('icmp_unreach_port', 'sent by the victim about UDP', (r) => r.src === r.innerDst && r.innerProto === 17);

  all('ipv6_syn', 'IPv6 SYN to 2001:db8::/32', (r) => r.ipVersion === 6 && r.dst6 === 0x20010db8 && r.proto === 6 && r.flags === SYN && r.src === 0);
  all('arp', 'ARP, not IP', (r) => r.l3Type === 0x0806 && r.ipVersion === 0);

  // Destinations spread over the darknet.
  const dsts = new Set(rows.filter((r) => r.ipVersion === 4).map((r) => r.dst & 0xffff));
  assert.ok(dsts.size > 10000, `distinct darknet destinations: ${dsts.size}`);
});

test('mix: custom darknet and VLAN tagging', async () => {
  const file = join(dir, 'v.pcap');
  const res = generateMix({ packets: 2000, seed: 3, out: file, darknet: '192.0.2.0/24', vlan: 100, startSec: 1700000000, labels: true });
  const reader = await CaptureReader.open(file);
  let n = 0;
  for await (const b of reader.batches()) {
    for (let i = 0; i < b.length; i++, n++) {
      if (b.ipVersion[i] !== 4) continue;
      assert.equal(b.dst[i] >>> 8, 0xc00002, 'dst in 192.0.2.0/24');
      assert.equal(b.l3Offset[i], 18, '802.1Q tag present');
    }
  }
  assert.equal(n, 2000);
  assert.equal(reader.info().decoded, 2000 - res.counts.arp);
  assert.equal(reader.info().firstTimestamp, '2023-11-14T22:13:20.000000000Z');
  for (const r of rawRecords(file).records) verifyChecksums(r.frame);
});
