/** pcapng reader: hand-made files (labelled) plus the pcapng-test-generator and Wireshark corpus files. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ethernet, ipv4TcpSyn, pcapngFile, type NgBlock } from '../helpers/build.js';
import { sharedFile } from '../helpers/paths.js';
import { readAll } from '../helpers/read.js';
import { tmpFile } from '../helpers/tmp.js';

const ip = (i: number) => ipv4TcpSyn({ src: 0x0a000001 + i, dst: 0x64400000 + i, sport: 1000 + i, dport: 80, seq: i });
const eth = (i: number) => ethernet(ip(i));

test('hand-made: sections of different byte orders in one file, interfaces reset per section', async () => {
  const f = tmpFile(
    pcapngFile([
      { le: true, blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'epb', iface: 0, ticks: 1_000_000n, data: eth(0) }] },
      {
        le: false,
        blocks: [
          { kind: 'idb', linkType: 101 },
          { kind: 'idb', linkType: 1, snaplen: 128 },
          { kind: 'epb', iface: 0, ticks: 2_000_000n, data: ip(1) },
          { kind: 'epb', iface: 1, ticks: 3_000_000n, data: eth(2) },
        ],
      },
    ]),
  );
  const { reader, rows } = await readAll(f);
  const info = reader.info();
  assert.equal(info.byteOrder, 'mixed');
  assert.equal(info.sections, 2);
  assert.equal(info.interfaces.length, 3);
  assert.deepEqual(info.linkTypes.map((l) => [l.linkType, l.packets]), [[1, 2], [101, 1]]);
  assert.equal(info.snaplen, null, 'snap lengths differ per interface');
  assert.equal(info.packets, 3);
  assert.equal(info.decoded, 3);
  assert.deepEqual(Array.from(rows.tsSec), [1, 2, 3]);
  assert.deepEqual(Array.from(rows.dst), [0x64400000, 0x64400001, 0x64400002]);
  // Section 2's interface 0 is a new interface, not section 1's.
  assert.notEqual(rows.iface[0], rows.iface[1]);
});

test('hand-made: if_tsresol decimal and power of two, if_tsoffset, 64-bit nanosecond ticks', async () => {
  const blocks: NgBlock[] = [
    { kind: 'idb', linkType: 1 }, // default 1e-6
    { kind: 'idb', linkType: 1, tsresol: 9 }, // ns
    { kind: 'idb', linkType: 1, tsresol: 3 }, // ms
    { kind: 'idb', linkType: 1, tsresol: 0x80 | 10 }, // 2^-10 s
    { kind: 'idb', linkType: 1, tsresol: 0x80 | 20, tsoffset: 1_000_000_000 }, // 2^-20 s, +1e9 s
    { kind: 'idb', linkType: 1, tsresol: 12 }, // ps (BigInt path)
    { kind: 'epb', iface: 0, ticks: 1_700_000_000_123_456n, data: eth(0) },
    { kind: 'epb', iface: 1, ticks: 1_700_000_000_123_456_789n, data: eth(1) }, // above 2^53: limb division
    { kind: 'epb', iface: 2, ticks: 1_700_000_000_123n, data: eth(2) },
    { kind: 'epb', iface: 3, ticks: (5n << 10n) | 512n, data: eth(3) }, // 5.5 s
    { kind: 'epb', iface: 4, ticks: (7n << 20n) | (1n << 18n), data: eth(4) }, // 7.25 s + offset
    { kind: 'epb', iface: 5, ticks: 1_700_000_000_123_456_789_012n & 0xffffffffffffffffn, data: eth(5) },
  ];
  const { reader, rows } = await readAll(tmpFile(pcapngFile([{ blocks }])));
  assert.deepEqual(reader.info().interfaces.map((i) => i.tsResolution), ['1e-6', '1e-9', '1e-3', '2^-10', '2^-20', '1e-12']);
  const ts = Array.from({ length: rows.length }, (_, i) => `${rows.tsSec[i]}.${String(rows.tsNsec[i]).padStart(9, '0')}`);
  const ps = 1_700_000_000_123_456_789_012n & 0xffffffffffffffffn;
  assert.deepEqual(ts, [
    '1700000000.123456000',
    '1700000000.123456789',
    '1700000000.123000000',
    '5.500000000',
    '1000000007.250000000',
    `${ps / 10n ** 12n}.${String(((ps % 10n ** 12n) * 1_000_000_000n) / 10n ** 12n).padStart(9, '0')}`,
  ]);
});

test('hand-made: SPB (interface 0, previous timestamp, snaplen), obsolete PB, unknown and custom blocks', async () => {
  const blocks: NgBlock[] = [
    { kind: 'idb', linkType: 1, snaplen: 60 },
    { kind: 'raw', type: 0x0bad, body: Uint8Array.from([0, 0, 0x7e, 0xd3, 1, 2, 3, 4]) }, // custom block: skipped silently
    { kind: 'pb', iface: 0, ticks: 9_000_000n, data: eth(0) },
    { kind: 'spb', data: eth(1) },
    { kind: 'raw', type: 0x12345678, body: Uint8Array.from([1, 2, 3, 4]) }, // unknown: skipped, warned
    { kind: 'spb', data: new Uint8Array(100), orig: 100 }, // cut to the snap length 60
  ];
  const { reader, rows } = await readAll(tmpFile(pcapngFile([{ blocks }])));
  const info = reader.info();
  assert.equal(info.packets, 3);
  assert.deepEqual(Array.from(rows.tsSec), [9, 9, 9]);
  assert.equal(rows.dst[1], 0x64400001);
  assert.equal(rows.capLen[2], 60);
  assert.equal(rows.wireLen[2], 100);
  const warnings = info.warnings.map((w) => w.message).join('\n');
  assert.match(warnings, /unknown type 0x12345678/);
  assert.match(warnings, /simple packet blocks carry no timestamp/);
  assert.doesNotMatch(warnings, /0xbad/);
});

test('hand-made: bad records are skipped and counted with their offset; bad options do not lose the interface', async () => {
  const badOpts = Uint8Array.from([9, 0, 200, 0, 6, 0, 0, 0]); // if_tsresol claiming 200 bytes
  const blocks: NgBlock[] = [
    { kind: 'idb', linkType: 1, rawOptions: badOpts },
    { kind: 'epb', iface: 7, ticks: 1n, data: eth(0) }, // no such interface
    { kind: 'epb', iface: 0, ticks: 2n, data: eth(1), capLen: 5000 }, // caplen beyond the block
    { kind: 'epb', iface: 0, ticks: 3n, data: eth(2) },
  ];
  const bytes = pcapngFile([{ blocks }]);
  const { reader } = await readAll(tmpFile(bytes));
  const info = reader.info();
  assert.equal(info.packets, 1);
  assert.equal(info.unreadable['undefined interface'].count, 1);
  assert.equal(info.unreadable['undefined interface'].offset, 28 + 28, 'SHB 28 bytes, IDB 28 bytes, then the EPB');
  assert.match(info.unreadable['captured length exceeds block'].message, /captured length 5000 exceeds/);
  assert.match(info.warnings[0].message, /malformed options in an interface description block/);
  assert.equal(info.error, null);
});

test('hand-made: a corrupt block mid-file stops reading there, with the offset; packets before are kept', async () => {
  const bytes = pcapngFile([{ blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'epb', iface: 0, ticks: 1n, data: eth(0) }, { kind: 'epb', iface: 0, ticks: 2n, data: eth(1) }] }]);
  const secondEpb = bytes.length - (32 + ((eth(1).length + 3) & ~3));
  const v = new DataView(bytes.buffer);
  v.setUint32(secondEpb + 4, 0x7ffffff0, true); // absurd block length
  const { reader } = await readAll(tmpFile(bytes));
  assert.equal(reader.info().packets, 1);
  assert.equal(reader.failed, false);
  assert.equal(reader.info().error!.offset, secondEpb);
  assert.match(reader.info().error!.message, /claims 2147483632 bytes/);
});

test('pcapng corpus: many interfaces, mixed link types and snap lengths, both byte orders', async () => {
  const mi = await readAll(sharedFile('corpus/wireshark/many_interfaces.pcapng.1'));
  assert.equal(mi.reader.info().packets, 64);
  assert.ok(mi.reader.info().interfaces.length >= 10, `${mi.reader.info().interfaces.length} interfaces`);
  for (const order of ['le', 'be']) {
    const t = await readAll(sharedFile(`corpus/pcapng-test-generator/output_${order}/basic/test006.pcapng`));
    assert.equal(t.reader.info().packets, 5);
    assert.equal(t.reader.info().byteOrder, order === 'le' ? 'little-endian' : 'big-endian');
  }
});
