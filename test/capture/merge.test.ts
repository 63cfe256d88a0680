/** Many files merged in timestamp order (hand-made files, labelled). */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CaptureSet } from '../../src/capture/merge.js';
import { BatchPool } from '../../src/decode/batch.js';
import { ethernet, ipv4TcpSyn, pcapFile, pcapngFile } from '../helpers/build.js';
import { tmpFile, tmpPath } from '../helpers/tmp.js';

const frame = (tag: number) => ethernet(ipv4TcpSyn({ src: tag, dst: 0x64400000, sport: 1, dport: 2, seq: tag }));

async function collect(set: CaptureSet): Promise<{ ts: string[]; tags: number[] }> {
  const ts: string[] = [];
  const tags: number[] = [];
  for await (const b of set.batches()) {
    for (let i = 0; i < b.length; i++) {
      ts.push(`${b.tsSec[i]}.${String(b.tsNsec[i]).padStart(9, '0')}`);
      tags.push(b.src[i]);
    }
    set.pool.release(b);
  }
  return { ts, tags };
}

test('hand-made: interleaved files merge in timestamp order, ties to the file listed first', async () => {
  // File A: even seconds; file B: odd seconds and one tie with A at 4 s (pcapng, ns).
  const a = tmpFile(pcapFile({}, [0, 2, 4, 6, 8].map((s) => ({ sec: s, frac: 0, data: frame(100 + s) }))));
  const b = tmpFile(pcapngFile([{ blocks: [{ kind: 'idb', linkType: 1, tsresol: 9 }, ...[1, 3, 4, 5, 9].map((s) => ({ kind: 'epb' as const, iface: 0, ticks: BigInt(s) * 1_000_000_000n, data: frame(200 + s) }))] }]));
  // Small batches force runs that cross batch boundaries.
  const set = await CaptureSet.open([a, b], { pool: new BatchPool(3) });
  const { tags } = await collect(set);
  assert.deepEqual(tags, [100, 201, 102, 203, 104, 204, 205, 106, 108, 209]);
  const infos = set.fileInfos();
  assert.deepEqual(infos.map((i) => i.packets), [5, 5]);
  assert.deepEqual(infos.map((i) => i.format), ['pcap', 'pcapng']);
});

test('hand-made: a directory of rotated captures is merged keeping only overlapping files open', async () => {
  const dir = tmpPath('rotated');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  // Names out of time order on purpose; one non-capture file; one empty capture.
  for (const [name, start] of [['c.pcap', 200], ['a.pcap', 0], ['sub/b.pcap', 100], ['z-empty.pcap', -1]] as const) {
    const recs = start < 0 ? [] : Array.from({ length: 50 }, (_, i) => ({ sec: start + i, frac: 0, data: frame(start + i) }));
    writeFileSync(join(dir, name), pcapFile({}, recs));
  }
  writeFileSync(join(dir, 'notes.txt'), 'not a capture');
  const set = await CaptureSet.open([dir], { pool: new BatchPool(16) });
  const { tags } = await collect(set);
  assert.deepEqual(tags, [...Array(50).keys(), ...Array.from({ length: 50 }, (_, i) => 100 + i), ...Array.from({ length: 50 }, (_, i) => 200 + i)]);
  assert.equal(set.maxOpen, 1, 'rotated files never overlap: one open at a time');
  const infos = set.fileInfos();
  assert.deepEqual(infos.map((i) => i.file.slice(dir.length + 1)), ['a.pcap', 'c.pcap', 'notes.txt', 'sub/b.pcap', 'z-empty.pcap']);
  assert.match(infos[2].error!.message, /unknown file format/);
  assert.equal(infos[4].packets, 0);
});
