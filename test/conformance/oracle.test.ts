/**
 * Every file of ../shared/data/oracle.json (984 captures from tcpdump's,
 * libpcap's, Wireshark's, libtrace's and other test suites, many fuzzed):
 * no crash, no hang, and the packet count of the better reference reader.
 *  - libpcap and Wireshark agree → that count;
 *  - they differ → the more capable one: Wireshark where libpcap refuses
 *    (gzip, pcapng with mixed link types or snap lengths, pcap 2.5), libpcap
 *    where Wireshark lacks the link type;
 *  - both reject → darkscope rejects, with a message.
 * ERF may be rejected (the task allows it; darkscope reads pcap and pcapng only).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CaptureReader } from '../../src/capture/reader.js';
import { sharedFile } from '../helpers/paths.js';

interface RefResult {
  exit: number;
  message: string;
  packets: number | null;
}
type Oracle = Record<string, { libpcap: RefResult; wireshark: RefResult }>;

const oracle = JSON.parse(readFileSync(sharedFile('oracle.json'), 'utf8')) as Oracle;
const ERF_MAY_REJECT = new Set(['real/libtrace-100/100_packets.erf']);
const HANG_LIMIT_MS = 2000;

function expected(v: { libpcap: RefResult; wireshark: RefResult }): number | 'reject' {
  const { libpcap: l, wireshark: w } = v;
  if (l.exit !== 0 && w.exit !== 0) return 'reject';
  if (l.exit === 0 && w.exit === 0) {
    assert.equal(l.packets, w.packets, 'references agree on status but not on count: decide by hand');
    return l.packets!;
  }
  return w.exit === 0 ? w.packets! : l.packets!;
}

const groups = new Map<string, string[]>();
for (const f of Object.keys(oracle)) {
  const g = f.split('/').slice(0, 2).join('/');
  groups.set(g, [...(groups.get(g) ?? []), f]);
}

test('oracle.json lists the 984 files the issue names', () => {
  assert.equal(Object.keys(oracle).length, 984);
});

for (const [group, files] of groups) {
  test(`oracle packet counts: ${group} (${files.length} files)`, { timeout: 120_000 }, async () => {
    const problems: string[] = [];
    for (const f of files) {
      const want = expected(oracle[f]);
      const t0 = performance.now();
      const r = await CaptureReader.open(sharedFile(f));
      let rows = 0;
      for await (const b of r.batches()) rows += b.length;
      const ms = performance.now() - t0;
      const info = r.info();
      if (ms > HANG_LIMIT_MS) problems.push(`${f}: took ${ms.toFixed(0)} ms`);
      if (rows !== info.packets) problems.push(`${f}: ${rows} rows but info says ${info.packets} packets`);
      if (want === 'reject' || ERF_MAY_REJECT.has(f)) {
        if (ERF_MAY_REJECT.has(f) && !r.failed && info.packets === want) continue;
        if (!r.failed) problems.push(`${f}: both references reject it, darkscope read ${info.packets} packets`);
        else if (!info.error?.message) problems.push(`${f}: rejected without a message`);
        continue;
      }
      if (r.failed) problems.push(`${f}: expected ${want} packets, darkscope rejected it: ${info.error?.message}`);
      else if (info.packets !== want) problems.push(`${f}: expected ${want} packets, got ${info.packets}`);
      // Every row is accounted for: decoded to IP, or skipped with a reason.
      const skipped = Object.values(info.skipped).reduce((a, b) => a + b, 0);
      if (info.decoded + skipped !== info.packets) problems.push(`${f}: decoded ${info.decoded} + skipped ${skipped} != ${info.packets}`);
    }
    assert.deepEqual(problems, []);
  });
}

test('files both references reject are rejected with the reason', async () => {
  const cases: Record<string, RegExp> = {
    'corpus/libpcap/pcap-invalid-version-1.pcap': /archaic pcap format version 1\.4/,
    'corpus/libpcap/pcapng-invalid-vers-1.pcapng': /unsupported pcapng version 0\.1/,
    'corpus/libpcap/pcapng-invalid-vers-2.pcapng': /unsupported pcapng version 1\.1/,
    'corpus/libpcap/linktype-reserved-field-not-zero.pcap': /reserved bits set \(0x00300000\)/,
    'corpus/libpcap/shb-option-too-long.pcapng': /trailer don't match/,
    'corpus/npm-samples/malformed.pcap': /unknown file format/,
  };
  for (const [f, re] of Object.entries(cases)) {
    const r = await CaptureReader.open(sharedFile(f));
    for await (const _ of r.batches()) void _;
    assert.ok(r.failed, f);
    assert.match(r.info().error!.message, re, f);
    assert.equal(r.info().error!.offset, 0, f);
  }
});
