/** Classic pcap reader: hand-made files (labelled) for the cases the corpus lacks. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BatchPool, COLUMNS } from '../../src/decode/batch.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { ethernet, ipv4TcpSyn, pcapFile, pcapHeader, type PcapRecord } from '../helpers/build.js';
import { sharedFile } from '../helpers/paths.js';
import { EXCERPT_COLUMNS, excerptOf, readAll } from '../helpers/read.js';
import { tmpFile } from '../helpers/tmp.js';

const SRC = 0xc6336407; // 198.51.100.7
const DST = 0x64400001; // 100.64.0.1

function syn(i: number): Uint8Array {
  return ethernet(ipv4TcpSyn({ src: SRC + i, dst: DST + i, sport: 40000 + i, dport: 23, seq: DST + i, id: i, ttl: 50 }));
}

function records(n: number, ns = false): PcapRecord[] {
  return Array.from({ length: n }, (_, i) => ({ sec: 1700000000 + i, frac: ns ? 123456789 : 123456, data: syn(i) }));
}

test('hand-made: big-endian nanosecond pcap', async () => {
  const f = tmpFile(pcapFile({ le: false, ns: true }, records(3, true)));
  const { reader, rows } = await readAll(f);
  const info = reader.info();
  assert.equal(info.byteOrder, 'big-endian');
  assert.equal(info.precision, 'ns');
  assert.equal(info.packets, 3);
  assert.equal(info.decoded, 3);
  assert.equal(rows.tsSec[2], 1700000002);
  assert.equal(rows.tsNsec[2], 123456789);
  assert.equal(rows.src[1], SRC + 1);
  assert.equal(rows.seq[1], DST + 1);
  assert.equal(info.firstTimestamp, '2023-11-14T22:13:20.123456789Z');
});

test('hand-made: the four magics (µs/ns × LE/BE) decode to the same rows', async () => {
  const base = await readAll(tmpFile(pcapFile({}, records(5))));
  for (const o of [{ le: false }, { ns: true }, { le: false, ns: true }]) {
    const recs = records(5).map((r) => ({ ...r, frac: o.ns ? r.frac * 1000 : r.frac }));
    const got = await readAll(tmpFile(pcapFile(o, recs)));
    for (const c of COLUMNS) assert.deepEqual(Array.from(got.rows.column(c.name)), Array.from(base.rows.column(c.name)), `${JSON.stringify(o)} ${c.name}`);
  }
});

test('hand-made: version 2.2 has caplen and len swapped (libpcap rule); 2.3 swaps when caplen > len', async () => {
  const recs = records(2).map((r) => ({ ...r, orig: 1500 }));
  const v22 = await readAll(tmpFile(pcapFile({ minor: 2 }, recs)));
  assert.equal(v22.reader.info().version, '2.2');
  assert.equal(v22.rows.capLen[0], recs[0].data.length);
  assert.equal(v22.rows.wireLen[0], 1500);
  assert.equal(v22.reader.info().decoded, 2);
  // 2.3, written in the old order: caplen field (1500) > len field (58) → swapped back.
  const old = pcapFile({ minor: 2 }, recs);
  old[6] = 3;
  const v23 = await readAll(tmpFile(old));
  assert.equal(v23.rows.capLen[1], recs[1].data.length);
  assert.equal(v23.rows.wireLen[1], 1500);
});

test('hand-made: pcap 2.5 is read with a warning (Wireshark reads it, libpcap refuses)', async () => {
  const { reader } = await readAll(tmpFile(pcapFile({ minor: 5 }, records(1))));
  assert.equal(reader.failed, false);
  assert.equal(reader.info().packets, 1);
  assert.match(reader.info().warnings[0].message, /2\.5 is newer than 2\.4/);
});

test('hand-made: FCS bits of the link-type field give the FCS length; reserved bits reject the file', async () => {
  const withFcs = records(1).map((r) => ({ ...r, data: Uint8Array.from([...r.data, 0xde, 0xad, 0xbe, 0xef]) }));
  // 0x04000000 = FCS present, 0x20000000 = 2 × 16 bits.
  const { reader, rows } = await readAll(tmpFile(pcapFile({ linkType: 0x24000001 }, withFcs)));
  assert.equal(reader.info().interfaces[0].fcsLength, 4);
  assert.equal(reader.info().interfaces[0].linkType, 1);
  assert.equal(rows.reason[0], 0);
  assert.equal(rows.payloadLen[0], 0, 'FCS bytes are not payload');
  const bad = await readAll(tmpFile(pcapFile({ linkType: 0x00010001 }, records(1))));
  assert.equal(bad.reader.failed, true);
  assert.match(bad.reader.info().error!.message, /reserved bits set \(0x00010001\)/);
});

test('hand-made: truncated final record keeps the packets before it and names the offset', async () => {
  const full = pcapFile({}, records(3));
  const cut = full.subarray(0, full.length - 10);
  const { reader, rows } = await readAll(tmpFile(cut));
  const info = reader.info();
  assert.equal(rows.length, 2);
  assert.equal(info.packets, 2);
  assert.equal(reader.failed, false, 'the file could be read, only its last record is lost');
  const lastRecordOffset = 24 + 2 * (16 + syn(0).length);
  assert.deepEqual(info.error, { message: `truncated record at end of file: needs ${16 + syn(2).length} bytes, only ${16 + syn(2).length - 10} present`, offset: lastRecordOffset });
  assert.equal(info.unreadable['truncated record'].count, 1);
  assert.equal(info.unreadable['truncated record'].offset, lastRecordOffset);
});

test('hand-made: a 300 KiB record is read (with a warning) and the next record too', async () => {
  const big = new Uint8Array(300 * 1024);
  big.set(syn(1));
  const recs: PcapRecord[] = [{ sec: 1, frac: 0, data: syn(0) }, { sec: 2, frac: 0, data: big }, { sec: 3, frac: 0, data: syn(2) }];
  const f = tmpFile(pcapFile({ snaplen: 262144 }, recs));
  // A small window forces the reader to grow it for the big record.
  const { reader, rows } = await readAll(f, { chunkSize: 4096 });
  const info = reader.info();
  assert.equal(info.packets, 3);
  assert.equal(info.decoded, 3);
  assert.equal(rows.capLen[1], 300 * 1024);
  assert.equal(rows.seq[1], DST + 1);
  assert.equal(rows.seq[2], DST + 2);
  assert.equal(info.error, null);
  assert.match(info.warnings[0].message, /record of 307200 bytes exceeds 262144/);
  assert.equal(info.warnings[0].offset, 24 + 16 + syn(0).length);
});

test('hand-made: caplen beyond 16 MiB is corruption: stop there with the offset, keep what came before', async () => {
  const recs: PcapRecord[] = [{ sec: 1, frac: 0, data: syn(0) }, { sec: 2, frac: 0, data: syn(1), incl: 0x7fffffff }];
  const { reader } = await readAll(tmpFile(pcapFile({}, recs)));
  const info = reader.info();
  assert.equal(info.packets, 1);
  assert.equal(reader.failed, false);
  assert.equal(info.error!.offset, 24 + 16 + syn(0).length);
  assert.match(info.error!.message, /claims 2147483647 captured bytes/);
});

test('hand-made: caplen > snaplen is read and reported', async () => {
  const { reader } = await readAll(tmpFile(pcapFile({ snaplen: 40 }, records(2))));
  assert.equal(reader.info().packets, 2);
  assert.equal(reader.info().warnings[0].count, 2);
  assert.match(reader.info().warnings[0].message, /longer than the snap length 40/);
});

test('hand-made: microsecond fractions ≥ 1e6 carry into seconds', async () => {
  const { rows } = await readAll(tmpFile(pcapFile({}, [{ sec: 10, frac: 2_500_000, data: syn(0) }])));
  assert.equal(rows.tsSec[0], 12);
  assert.equal(rows.tsNsec[0], 500_000_000);
});

test('hand-made: files that cannot be read at all say why', async () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /empty file/],
    [pcapHeader().build().subarray(0, 10), /file header truncated \(10 of 24 bytes\)/],
    [Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4]), /zstd-compressed file: not supported/],
    [Buffer.from('hello, this is text'), /unknown file format \(first bytes 68 65 6c 6c\)/],
  ];
  for (const [bytes, re] of cases) {
    const r = await CaptureReader.open(tmpFile(bytes));
    for await (const _ of r.batches()) void _;
    assert.equal(r.failed, true);
    assert.match(r.info().error!.message, re);
  }
  const missing = await CaptureReader.open('/nonexistent/file.pcap');
  assert.equal(missing.failed, true);
  assert.match(missing.info().error!.message, /cannot open: ENOENT/);
});

test('hand-made: Kuznetzov modified pcap (a1b2cd34) has 24-byte record headers', async () => {
  const b = pcapHeader().build();
  b.set([0x34, 0xcd, 0xb2, 0xa1], 0);
  const frames = [syn(0), syn(1)];
  const parts: number[] = [...b];
  for (const [i, fr] of frames.entries()) {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(100 + i, 0);
    h.writeUInt32LE(0, 4);
    h.writeUInt32LE(fr.length, 8);
    h.writeUInt32LE(fr.length, 12);
    parts.push(...h, ...fr);
  }
  const { reader, rows } = await readAll(tmpFile(Uint8Array.from(parts)));
  assert.equal(reader.info().packets, 2);
  assert.equal(rows.tsSec[1], 101);
  assert.equal(rows.seq[1], DST + 1);
});

test('gzip is detected by magic bytes, not by name (a .pcapng that is gzip-compressed pcap)', async () => {
  const plain = readFileSync(sharedFile('lab/nmap_syn.pcap'));
  const f = tmpFile(gzipSync(plain), 'really-gzip.pcapng');
  const gz = await readAll(f);
  const ref = await readAll(sharedFile('lab/nmap_syn.pcap'));
  assert.equal(gz.reader.info().compression, 'gzip');
  assert.equal(gz.reader.info().format, 'pcap');
  assert.equal(gz.rows.length, ref.rows.length);
  for (const c of COLUMNS) assert.deepEqual(Array.from(gz.rows.column(c.name)), Array.from(ref.rows.column(c.name)), c.name);
});

test('truncated gzip keeps what was decompressed and reports the problem', async () => {
  const plain = readFileSync(sharedFile('lab/masscan_tcp_syn.pcap'));
  const z = gzipSync(plain);
  const { reader } = await readAll(tmpFile(z.subarray(0, Math.floor(z.length * 0.6))));
  const info = reader.info();
  assert.ok(info.packets > 100 && info.packets < 2048, `kept ${info.packets} packets`);
  assert.equal(reader.failed, false);
  assert.ok(info.error, 'an error is reported');
  assert.match(info.error!.message, /gzip: unexpected end of file|truncated record/);
});

test('every window size and batch size gives the same rows (records spanning reads, pooled batches reused)', async () => {
  const file = sharedFile('real/stopddos/amp.TCP.reflection.SYNACK.pcap');
  const ref = await readAll(file);
  for (const [chunkSize, rowsPerBatch] of [[64, 7], [1000, 1], [65536, 1000]]) {
    const pool = new BatchPool(rowsPerBatch);
    const r = await CaptureReader.open(file, { chunkSize, pool });
    let at = 0;
    for await (const b of r.batches()) {
      for (const c of COLUMNS) {
        if (EXCERPT_COLUMNS.has(c.name)) continue;
        const w = c.width;
        assert.deepEqual(Array.from(b.column(c.name).subarray(0, b.length * w)), Array.from(ref.rows.column(c.name).subarray(at * w, (at + b.length) * w)), `${c.name} at row ${at} (chunk ${chunkSize}, batch ${rowsPerBatch})`);
      }
      for (let i = 0; i < b.length; i++) assert.deepEqual(excerptOf(b, i), excerptOf(ref.rows, at + i), `payload excerpt of row ${at + i}`);
      at += b.length;
      pool.release(b); // the next batch reuses this one: stale values must not leak
    }
    assert.equal(at, ref.rows.length);
    assert.deepEqual(r.info().skipped, ref.reader.info().skipped);
  }
});

test('hand-made: first/last timestamps are the earliest/latest, packets going back in time are counted', async () => {
  const recs = [5, 3, 7, 6, 9].map((sec, i) => ({ sec, frac: i, data: syn(i) }));
  const { reader } = await readAll(tmpFile(pcapFile({}, recs)));
  const info = reader.info();
  assert.equal(info.firstTimestamp, '1970-01-01T00:00:03.000001000Z');
  assert.equal(info.lastTimestamp, '1970-01-01T00:00:09.000004000Z');
  assert.equal(info.outOfOrder, 2);
});
