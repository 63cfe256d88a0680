/**
 * Frame decoder: IPv4/IPv6/TCP/UDP/ICMP details and every reason code.
 * Frames are hand-made (labelled) unless they come from ../shared/data.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLUMNS, FRAG_DF, FRAG_MF, PacketBatch, TCP_ACK, TCP_SYN, WSCALE_ABSENT } from '../../src/decode/batch.js';
import { decodeFrameBytes } from '../../src/decode/frame.js';
import { DecodeReason } from '../../src/decode/reasons.js';
import { describeTcpOptions, scanTcpOptions, scannedMss, scannedWscale, tcpOptionsLayout, walkTcpOptions } from '../../src/decode/tcpopts.js';
import { Bytes, ipv4TcpSyn } from '../helpers/build.js';
import { sharedFile } from '../helpers/paths.js';
import { ipv4, readAll } from '../helpers/read.js';
import { readFileSync } from 'node:fs';

function raw(frame: Uint8Array): PacketBatch {
  const b = new PacketBatch(1);
  decodeFrameBytes(frame, 0, frame.length, 101, b, 0);
  b.length = 1;
  return b;
}

const ZMAP4_OPTS = [0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x08, 0x01, 0x01, 0x04, 0x02];

test('hand-made: TCP options signature: layout hash, MSS and window scale', () => {
  const b = raw(ipv4TcpSyn({ src: 1, dst: 2, sport: 3, dport: 4, seq: 5, options: ZMAP4_OPTS }));
  assert.equal(b.tcpHdrLen[0], 32);
  assert.equal(b.tcpOptLayout[0], tcpOptionsLayout(ZMAP4_OPTS));
  assert.equal(b.tcpMss[0], 1460);
  assert.equal(b.tcpWscale[0], 8);
  assert.equal(describeTcpOptions(Uint8Array.from(ZMAP4_OPTS)), 'mss,nop,ws,nop,nop,sok');
  // Same layout, other values: same signature; MSS and WS differ in their own columns.
  const other = [0x02, 0x04, 0x05, 0x78, 0x01, 0x03, 0x03, 0x07, 0x01, 0x01, 0x04, 0x02];
  assert.equal(tcpOptionsLayout(other), tcpOptionsLayout(ZMAP4_OPTS));
  // Different layouts differ; no options is 0.
  assert.notEqual(tcpOptionsLayout([2, 4, 5, 0xb4]), tcpOptionsLayout(ZMAP4_OPTS));
  const none = raw(ipv4TcpSyn({ src: 1, dst: 2, sport: 3, dport: 4, seq: 5 }));
  assert.equal(none.tcpOptLayout[0], 0);
  assert.equal(none.tcpWscale[0], WSCALE_ABSENT);
  // Timestamp values do not change the signature.
  const ts1 = [8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1];
  const ts2 = [8, 10, 9, 9, 9, 9, 0, 0, 0, 7, 1, 1];
  assert.equal(tcpOptionsLayout(ts1), tcpOptionsLayout(ts2));
  assert.equal(describeTcpOptions(Uint8Array.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7])), 'mss,sok,ts,nop,ws');
  // Malformed lists are a distinct signature, never an exception.
  assert.equal(describeTcpOptions(Uint8Array.from([2, 40, 5, 0xb4])), 'bad');
  assert.notEqual(tcpOptionsLayout([2, 40, 5, 0xb4]), tcpOptionsLayout([2, 4, 5, 0xb4]));
  assert.equal(describeTcpOptions(Uint8Array.from([1, 0, 0, 0])), 'nop,eol+2');
});

test('the fast paths for common option layouts give exactly what the general walk gives', () => {
  const shapes = [
    [2, 4, -1, -1],
    [2, 4, -1, -1, 1, 3, 3, -1, 1, 1, 4, 2],
    [2, 4, -1, -1, 4, 2, 8, 10, -1, -1, -1, -1, -1, -1, -1, -1, 1, 3, 3, -1],
    // near misses must fall through to the walk
    [2, 4, -1, -1, 1, 3, 3, -1, 1, 1, 4, 3],
    [2, 4, -1, -1, 4, 2, 8, 10, -1, -1, -1, -1, -1, -1, -1, -1, 1, 3, 4, -1],
    [2, 4, -1, -1, 1, 1],
  ];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  for (const shape of shapes) {
    for (let k = 0; k < 200; k++) {
      const bytes = Uint8Array.from(shape.map((x) => (x < 0 ? rnd() : x)));
      const fast = scanTcpOptions(bytes, new DataView(bytes.buffer), 0, bytes.length);
      const fastMss = scannedMss;
      const fastWs = scannedWscale;
      assert.equal(fast, walkTcpOptions(bytes, 0, bytes.length), `layout of ${Array.from(bytes)}`);
      assert.equal(fastMss, scannedMss);
      assert.equal(fastWs, scannedWscale);
    }
  }
});

test('hand-made: IPv4 header fields, DF/MF, fragments and bad lengths', () => {
  const f = ipv4TcpSyn({ src: 0x01020304, dst: 0x05060708, sport: 1, dport: 2, seq: 3, ttl: 200, id: 54321 });
  f[6] = 0x40; // DF
  let b = raw(f);
  assert.equal(b.fragFlags[0], FRAG_DF);
  assert.equal(b.ipId[0], 54321);
  assert.equal(b.ttl[0], 200);
  assert.equal(b.tcpFlags[0], TCP_SYN);
  const frag = Uint8Array.from(f);
  frag[6] = 0x20; // MF, offset 185 (× 8 bytes)
  frag[7] = 185;
  b = raw(frag);
  assert.equal(b.reason[0], DecodeReason.FRAGMENT);
  assert.equal(b.fragFlags[0], FRAG_MF);
  assert.equal(b.fragOffset[0], 185);
  assert.equal(b.sport[0], 0, 'no transport header in a non-first fragment');
  const ihl = Uint8Array.from(f);
  ihl[0] = 0x44;
  assert.equal(raw(ihl).reason[0], DecodeReason.BAD_IHL);
  assert.equal(raw(ihl).ipVersion[0], 4, 'the IP fields are still there');
  const opts = Uint8Array.from(f);
  opts[0] = 0x4f; // 60-byte header (total length 60), captured only to byte 30
  opts[3] = 60;
  assert.equal(raw(opts.subarray(0, 30)).reason[0], DecodeReason.TRUNCATED_IP_OPTIONS);
  const len = Uint8Array.from(f);
  len[2] = 0;
  len[3] = 10;
  assert.equal(raw(len).reason[0], DecodeReason.BAD_IP_LENGTH);
  assert.equal(raw(f.subarray(0, 19)).reason[0], DecodeReason.TRUNCATED_IP);
  assert.equal(raw(f.subarray(0, 19)).ipVersion[0], 0);
});

test('hand-made: truncated TCP keeps every captured field; bad data offset', () => {
  const f = ipv4TcpSyn({ src: 1, dst: 2, sport: 1234, dport: 80, seq: 0xdeadbeef });
  let b = raw(f.subarray(0, 20 + 9));
  assert.equal(b.reason[0], DecodeReason.TRUNCATED_L4);
  assert.equal(b.sport[0], 1234);
  assert.equal(b.dport[0], 80);
  assert.equal(b.seq[0], 0xdeadbeef);
  assert.equal(b.tcpFlags[0], 0, 'flags were not captured');
  const off = Uint8Array.from(f);
  off[32] = 0x30;
  b = raw(off);
  assert.equal(b.reason[0], DecodeReason.BAD_TCP_OFFSET);
  // Options cut by the snap length: fields kept, reason says so.
  const withOpts = ipv4TcpSyn({ src: 1, dst: 2, sport: 3, dport: 4, seq: 5, options: ZMAP4_OPTS });
  b = raw(withOpts.subarray(0, 46));
  assert.equal(b.reason[0], DecodeReason.TRUNCATED_L4);
  assert.equal(b.tcpMss[0], 1460);
});

test('hand-made: ICMP error quoting a TCP SYN: inner addresses, ports, seq, flags (backscatter victim fields)', () => {
  const quoted = ipv4TcpSyn({ src: 0x64400009, dst: 0xcb007101, sport: 5555, dport: 80, seq: 77, ttl: 250, id: 54321 });
  const icmp = new Bytes(false).u8(3).u8(3).u16(0).u32(0).bytes(quoted.subarray(0, 28)).build();
  const outer = new Bytes(false).u8(0x45).u8(0).u16(20 + icmp.length).u16(9).u16(0).u8(60).u8(1).u16(0).u32(0xcb007101).u32(0x64400009).bytes(icmp).build();
  const b = raw(outer);
  assert.equal(b.reason[0], DecodeReason.OK);
  assert.equal(b.icmpType[0], 3);
  assert.equal(b.icmpCode[0], 3);
  assert.equal(b.innerVersion[0], 4);
  assert.equal(ipv4(b.innerSrc[0]), '100.64.0.9');
  assert.equal(ipv4(b.innerDst[0]), '203.0.113.1');
  assert.equal(b.innerProto[0], 6);
  assert.equal(b.innerSport[0], 5555);
  assert.equal(b.innerDport[0], 80);
  assert.equal(b.innerSeq[0], 77);
  assert.equal(b.innerIpId[0], 54321);
  assert.equal(b.innerTtl[0], 250);
  assert.equal(b.innerTcpFlags[0], 0, 'only 8 bytes of TCP quoted: no flags');
  assert.equal(b.sport[0], 0, 'outer ICMP has no ports');
  // Echo request is not an error: nothing quoted.
  const echo = Uint8Array.from(outer);
  echo[20] = 8;
  assert.equal(raw(echo).innerVersion[0], 0);
});

test('hand-made: IPv6 with hop-by-hop, fragment header and ICMPv6 error quoting UDP', () => {
  const udp = new Bytes(false).u16(53).u16(4444).u16(8).u16(0).build();
  const inner = new Bytes(false).u32(0x60000000).u16(8).u8(17).u8(64).u32(0x20010db8).u32(0).u32(0).u32(9).u32(0x20010db8).u32(0).u32(0).u32(1).bytes(udp).build();
  const icmp6 = new Bytes(false).u8(1).u8(4).u16(0).u32(0).bytes(inner).build();
  const hbh = new Bytes(false).u8(44).u8(0).bytes([1, 4, 0, 0, 0, 0]).build(); // hop-by-hop → fragment
  const frag = new Bytes(false).u8(58).u8(0).u16(0).u32(0xabcdef01).build(); // offset 0, last fragment
  const payload = new Bytes(false).bytes(hbh).bytes(frag).bytes(icmp6).build();
  const pkt = new Bytes(false).u32(0x60000000).u16(payload.length).u8(0).u8(57).u32(0x20010db8).u32(0).u32(0).u32(1).u32(0x20010db8).u32(0).u32(0).u32(9).bytes(payload).build();
  const b = raw(pkt);
  assert.equal(b.reason[0], DecodeReason.OK);
  assert.equal(b.ipVersion[0], 6);
  assert.equal(b.proto[0], 58);
  assert.equal(b.ipHdrLen[0], 40 + 8 + 8);
  assert.equal(b.ipId[0], 0xabcdef01);
  assert.equal(b.ttl[0], 57);
  assert.equal(b.src[0], 0, 'IPv4 columns stay 0 for IPv6 rows');
  assert.equal(b.icmpType[0], 1);
  assert.equal(b.innerVersion[0], 6);
  assert.equal(b.innerProto[0], 17);
  assert.equal(b.innerSport[0], 53);
  assert.equal(b.innerDport[0], 4444);
  assert.equal(b.innerDst6[3], 1);
  // A non-first IPv6 fragment.
  const later = Uint8Array.from(pkt);
  later[40 + 8 + 2] = 0x01; // offset 32 × 8
  assert.equal(raw(later).reason[0], DecodeReason.FRAGMENT);
  // Extension headers cut by the capture length.
  assert.equal(raw(pkt.subarray(0, 44)).reason[0], DecodeReason.TRUNCATED_IPV6_EXT);
});

test('hand-made: a hostile chain of 100 IPv6 destination-options headers is cut off with a reason', () => {
  const p = new Bytes(false).u32(0x60000000).u16(800).u8(60).u8(64);
  for (let i = 0; i < 8; i++) p.u32(0);
  for (let i = 0; i < 100; i++) p.u8(60).u8(0).bytes([1, 4, 0, 0, 0, 0]);
  const b = raw(p.build());
  assert.equal(b.reason[0], DecodeReason.IPV6_EXT_TOO_DEEP);
  assert.equal(b.ipVersion[0], 6);
});

test('decoder reads only inside the frame: the same frame with hostile neighbours decodes the same, cut at every length', async () => {
  // Real frames of the lab capture (TCP, UDP, ICMP errors) plus a hand-made one with options,
  // each cut at every length and placed between 0xff bytes.
  const frames: Uint8Array[] = [ipv4TcpSyn({ src: 1, dst: 2, sport: 3, dport: 4, seq: 5, options: ZMAP4_OPTS })];
  const file = readFileSync(sharedFile('lab/telescope_all.pcap'));
  for (let p = 24, n = 0; p + 16 <= file.length; n++) {
    const incl = file.readUInt32LE(p + 8);
    // Every 17th record spreads the sample over the capture's traffic kinds; Ethernet stripped: raw IP.
    if (n % 17 === 0) frames.push(Uint8Array.from(file.subarray(p + 16 + 14, p + 16 + incl)));
    p += 16 + incl;
  }
  assert.ok(frames.length > 300);
  let checked = 0;
  for (const f of frames) {
    for (let len = 0; len <= f.length; len++) {
      const exact = new PacketBatch(1);
      decodeFrameBytes(f.subarray(0, len), 0, len, 101, exact, 0);
      const padded = new Uint8Array(len + 64).fill(0xff);
      padded.set(f.subarray(0, len), 32);
      const inBuf = new PacketBatch(1);
      decodeFrameBytes(padded, 32, len, 101, inBuf, 0);
      for (const c of COLUMNS) {
        if (c.name === 'payloadOffset') continue;
        const a = exact.column(c.name);
        const b = inBuf.column(c.name);
        for (let k = 0; k < c.width; k++) if (a[k] !== b[k]) assert.fail(`${c.name} differs for a frame cut at ${len}/${f.length}`);
      }
      checked++;
    }
  }
  assert.ok(checked > 10000, `${checked} cuts checked`);
});

test('backscatter shapes from the lab decode as the tools sent them (SYN-ACK, RST, echo reply)', async () => {
  const { rows } = await readAll(sharedFile('lab/bs_synflood_open_port.pcap'));
  let synAck = 0;
  for (let i = 0; i < rows.length; i++) if ((rows.tcpFlags[i] & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) synAck++;
  assert.ok(synAck > 0);
  const echo = await readAll(sharedFile('lab/bs_icmp_echo_flood.pcap'));
  for (let i = 0; i < echo.rows.length; i++) assert.equal(echo.rows.icmpType[i], 0, 'echo replies');
});
