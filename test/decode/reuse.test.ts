/**
 * Batches are reused without clearing their row columns: the decoder must give
 * every row column a value for every row. Decoding into batches full of
 * garbage (as reset() leaves them, hand-made worst case) must give exactly
 * what decoding into fresh, zeroed batches gives — on every real, lab and
 * corpus capture that has IP traffic of many shapes (IPv4/IPv6, TCP with and
 * without options, UDP, ICMP errors, fragments, truncated headers, tunnels).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CaptureReader } from '../../src/capture/reader.js';
import { BatchPool, COLUMNS, type PacketBatch } from '../../src/decode/batch.js';
import { EXCERPT_COLUMNS, excerptOf } from '../helpers/read.js';
import { sharedFile, SHARED_DATA } from '../helpers/paths.js';

/** A pool whose batches arrive dirty: every byte 0xA5, then reset() as after a real use. */
class DirtyPool extends BatchPool {
  override acquire(): PacketBatch {
    const b = super.acquire();
    new Uint8Array(b.buffer).fill(0xa5);
    b.length = b.capacity;
    b.hasV6 = b.hasInner = b.hasInner6 = true;
    b.reset();
    return b;
  }
}

const DECODED = COLUMNS.filter((c) => c.group !== 'class' && c.group !== 'enrich' && !EXCERPT_COLUMNS.has(c.name));

async function rows(file: string, pool: BatchPool): Promise<string[]> {
  const out: string[] = [];
  const r = await CaptureReader.open(file, { pool });
  for await (const b of r.batches()) {
    for (let i = 0; i < b.length; i++) {
      const cells = DECODED.map((c) => `${c.name}=${Array.from(b.column(c.name).subarray(i * c.width, (i + 1) * c.width)).join(',')}`);
      out.push(cells.join(' ') + ' ' + JSON.stringify(excerptOf(b, i)));
    }
    pool.release(b);
  }
  return out;
}

function captures(): string[] {
  const files: string[] = [];
  for (const dir of ['real', 'lab']) {
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(pcap|pcapng)$/.test(e)) files.push(p);
      }
    };
    walk(sharedFile(dir));
  }
  // The corpus files both references read (many link types, fuzzed headers).
  const oracle = JSON.parse(readFileSync(sharedFile('oracle.json'), 'utf8')) as Record<string, { libpcap: { exit: number }; wireshark: { exit: number } }>;
  for (const [f, v] of Object.entries(oracle)) if (f.startsWith('corpus/') && (v.libpcap.exit === 0 || v.wireshark.exit === 0)) files.push(join(SHARED_DATA, f));
  return files;
}

test('decoding into dirty reused batches, or into shared ones, gives the same rows as fresh batches (every column, every row)', async () => {
  const files = captures();
  assert.ok(files.length > 500, `${files.length} captures`);
  let total = 0;
  for (const f of files) {
    const clean = await rows(f, new BatchPool(256, 0)); // maxFree 0: every batch is new
    const dirty = await rows(f, new DirtyPool(256, 4));
    assert.equal(dirty.length, clean.length, f);
    for (let i = 0; i < clean.length; i++) if (dirty[i] !== clean[i]) assert.equal(dirty[i], clean[i], `${f} row ${i}`);
    if (!f.includes('/corpus/')) {
      // Batches in shared memory (for worker threads) start out like plain ones.
      const shared = await rows(f, new BatchPool(256, 0, true));
      for (let i = 0; i < clean.length; i++) if (shared[i] !== clean[i]) assert.equal(shared[i], clean[i], `${f} row ${i} (shared batch)`);
    }
    total += clean.length;
  }
  assert.ok(total > 50_000, `${total} rows compared`);
});
