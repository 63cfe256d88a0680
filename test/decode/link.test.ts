/**
 * Link layers. Real captures where the corpus has them (first packets checked
 * against `tcpdump -enr`), hand-made frames (labelled) where it has none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketBatch } from '../../src/decode/batch.js';
import { decodeFrameBytes } from '../../src/decode/frame.js';
import { DecodeReason } from '../../src/decode/reasons.js';
import { Bytes, ethernet, ipv4TcpSyn, pcapFile } from '../helpers/build.js';
import { sharedFile } from '../helpers/paths.js';
import { ipv4, readAll } from '../helpers/read.js';
import { tmpFile } from '../helpers/tmp.js';

const IP = ipv4TcpSyn({ src: 0xc0000201, dst: 0x64400005, sport: 4444, dport: 23, seq: 0x64400005, ttl: 61 });

function decodeOne(frame: Uint8Array, linkType: number): PacketBatch {
  const b = new PacketBatch(1);
  decodeFrameBytes(frame, 0, frame.length, linkType, b, 0);
  b.length = 1;
  return b;
}

function assertIp(b: PacketBatch, what: string): void {
  assert.equal(b.reason[0], DecodeReason.OK, `${what}: reason ${b.reason[0]}`);
  assert.equal(b.ipVersion[0], 4, what);
  assert.equal(ipv4(b.src[0]), '192.0.2.1', what);
  assert.equal(ipv4(b.dst[0]), '100.64.0.5', what);
  assert.equal(b.dport[0], 23, what);
  assert.equal(b.seq[0], 0x64400005, what);
}

test('hand-made: BSD loopback LOOP (108, family big-endian) and NULL (0, family in the writer\'s byte order)', () => {
  assertIp(decodeOne(new Bytes(false).u32(2).bytes(IP).build(), 108), 'LOOP AF_INET');
  assertIp(decodeOne(new Bytes(true).u32(2).bytes(IP).build(), 0), 'NULL little-endian AF_INET');
  assertIp(decodeOne(new Bytes(false).u32(2).bytes(IP).build(), 0), 'NULL big-endian AF_INET');
  const v6 = new Uint8Array(60);
  v6[0] = 0x60;
  v6[6] = 59; // no next header
  for (const af of [10, 24, 28, 30]) {
    const b = decodeOne(new Bytes(false).u32(af).bytes(v6).build(), 108);
    assert.equal(b.ipVersion[0], 6, `LOOP AF_INET6=${af}`);
  }
  const other = decodeOne(new Bytes(false).u32(7).bytes(IP).build(), 108);
  assert.equal(other.reason[0], DecodeReason.NOT_IP);
  assert.equal(decodeOne(Uint8Array.from([0, 0]), 108).reason[0], DecodeReason.TRUNCATED_LINK);
});

test('hand-made: a LOOP capture file read end to end', async () => {
  const frame = new Bytes(false).u32(2).bytes(IP).build();
  const { reader, rows } = await readAll(tmpFile(pcapFile({ linkType: 108 }, [{ sec: 1, frac: 0, data: frame }])));
  assert.equal(reader.info().linkTypes[0].name, 'LOOP');
  assert.equal(rows.ipVersion[0], 4);
  assert.equal(rows.l3Offset[0], 4);
});

test('hand-made: raw IP under link types 101, 12, 14, 228, 229; version mismatch is a reason', () => {
  for (const lt of [101, 12, 14, 228]) assertIp(decodeOne(IP, lt), `link type ${lt}`);
  assert.equal(decodeOne(IP, 229).reason[0], DecodeReason.BAD_IP_VERSION);
  const junk = Uint8Array.from(IP);
  junk[0] = 0x55;
  assert.equal(decodeOne(junk, 101).reason[0], DecodeReason.BAD_IP_VERSION);
});

test('hand-made: Ethernet 802.1Q, QinQ (88a8 + 8100), MPLS stack, PPPoE, LLC/SNAP; too deep and truncated', () => {
  assertIp(decodeOne(ethernet(IP, 0x0800, [10]), 1), 'one VLAN tag');
  const qinq = new Bytes(false).bytes([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]).u16(0x88a8).u16(100).u16(0x8100).u16(200).u16(0x0800).bytes(IP).build();
  assertIp(decodeOne(qinq, 1), 'QinQ');
  const mpls = new Bytes(false).bytes([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]).u16(0x8847).u32((16 << 12) | 64).u32((17 << 12) | 0x100 | 64).bytes(IP).build();
  assertIp(decodeOne(mpls, 1), 'two MPLS labels');
  const pppoe = new Bytes(false).bytes([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]).u16(0x8864).u8(0x11).u8(0).u16(0x17).u16(IP.length + 2).u16(0x0021).bytes(IP).build();
  assertIp(decodeOne(pppoe, 1), 'PPPoE session');
  const snap = new Bytes(false).bytes([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]).u16(IP.length + 8).bytes([0xaa, 0xaa, 0x03, 0, 0, 0]).u16(0x0800).bytes(IP).build();
  assertIp(decodeOne(snap, 1), '802.3 + LLC/SNAP');
  const deep = new Bytes(false).bytes([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
  for (let i = 0; i < 40; i++) deep.u16(0x8100).u16(i);
  deep.u16(0x0800).bytes(IP);
  assert.equal(decodeOne(deep.build(), 1).reason[0], DecodeReason.TOO_DEEP);
  assert.equal(decodeOne(ethernet(IP, 0x0800, [10]).subarray(0, 16), 1).reason[0], DecodeReason.TRUNCATED_LINK);
  const arp = decodeOne(ethernet(new Uint8Array(28), 0x0806), 1);
  assert.equal(arp.reason[0], DecodeReason.NOT_IP);
  assert.equal(arp.l3Type[0], 0x0806);
});

test('hand-made: SLL (113) with a VLAN tag, SLL2 (276), PPP (9, 50), Cisco HDLC (104)', () => {
  const sll = new Bytes(false).u16(0).u16(1).u16(6).bytes([1, 2, 3, 4, 5, 6, 0, 0]).u16(0x8100).u16(7).u16(0x0800).bytes(IP).build();
  assertIp(decodeOne(sll, 113), 'SLL + 802.1Q');
  const sll2 = new Bytes(false).u16(0x0800).u16(0).u32(3).u16(1).u8(0).u8(6).bytes([1, 2, 3, 4, 5, 6, 0, 0]).bytes(IP).build();
  assertIp(decodeOne(sll2, 276), 'SLL2');
  assertIp(decodeOne(new Bytes(false).bytes([0xff, 0x03]).u16(0x0021).bytes(IP).build(), 9), 'PPP with address/control');
  assertIp(decodeOne(new Bytes(false).u8(0x21).bytes(IP).build(), 50), 'PPP, compressed protocol field');
  assertIp(decodeOne(new Bytes(false).bytes([0x0f, 0x00]).u16(0x0800).bytes(IP).build(), 104), 'Cisco HDLC');
});

test('unsupported link types are counted by number, never fatal', async () => {
  const { reader } = await readAll(tmpFile(pcapFile({ linkType: 147 }, [{ sec: 1, frac: 0, data: IP }, { sec: 2, frac: 0, data: IP }])));
  assert.equal(reader.failed, false);
  assert.equal(reader.info().packets, 2);
  assert.deepEqual(reader.info().skipped, { 'unsupported link type 147 (LINKTYPE_147)': 2 });
  const radiotap = await readAll(sharedFile('corpus/libtrace/10_packets_radiotap.pcap'));
  assert.deepEqual(radiotap.reader.info().skipped, { 'unsupported link type 127 (IEEE802_11_RADIOTAP)': 10 });
});

test('real captures: VLAN, MPLS, SLL (gzip), SLL2, raw IPv6 (first packets as tcpdump shows them)', async () => {
  const vlan = await readAll(sharedFile('corpus/libtrace/vlan.pcap'));
  assert.equal(ipv4(vlan.rows.src[0]), '131.151.32.129');
  assert.equal(vlan.rows.sport[0], 1162);
  assert.equal(vlan.rows.dport[0], 6000);
  assert.equal(vlan.rows.seq[0], 1309986985);
  assert.equal(vlan.rows.l3Offset[0], 18);
  const qinq = await readAll(sharedFile('corpus/libtrace/qinq.pcap'));
  assert.equal(qinq.rows.reason[0], DecodeReason.NOT_IP);
  assert.equal(qinq.rows.l3Type[0], 0x0806, 'ARP under two VLAN tags');
  const mpls = await readAll(sharedFile('corpus/libtrace/10_mpls_ip.pcap'));
  assert.equal(ipv4(mpls.rows.src[0]), '172.16.10.10');
  assert.equal(mpls.rows.icmpType[0], 8);
  assert.equal(mpls.rows.icmpType[1], 0);
  const sll = await readAll(sharedFile('corpus/libtrace/sll.pcap.gz'));
  assert.equal(sll.reader.info().compression, 'gzip');
  assert.equal(ipv4(sll.rows.src[1]), '130.217.250.13');
  assert.equal(sll.rows.dport[1], 6000);
  const sll2 = await readAll(sharedFile('corpus/lwerdna/simple_http_sll2.pcap'));
  assert.equal(sll2.rows.seq[0], 139636242);
  assert.equal(sll2.rows.tcpMss[0], 65495);
  assert.equal(sll2.rows.tcpWscale[0], 7);
  const raw6 = await readAll(sharedFile('corpus/tcpdump/captures/LINKTYPE_RAW_ipv6.pcap'));
  assert.equal(raw6.rows.ipVersion[0], 6);
  assert.equal(raw6.rows.src6[0], 0x20010db8);
  assert.equal(raw6.rows.src6[3], 1);
  assert.equal(raw6.rows.dport[0], 53);
});
