/** The same 100 real backbone packets as µs pcap, ns pcap and pcapng decode to identical batches. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLUMNS } from '../../src/decode/batch.js';
import { readAll } from '../helpers/read.js';
import { sharedFile } from '../helpers/paths.js';

test('libtrace-100: µs pcap, ns pcap and pcapng give identical PacketBatches', async () => {
  const us = await readAll(sharedFile('real/libtrace-100/100_packets.pcap'));
  const ns = await readAll(sharedFile('real/libtrace-100/100_packetsns.pcap'));
  const ng = await readAll(sharedFile('real/libtrace-100/100_packets.pcapng'));
  assert.equal(us.reader.info().precision, 'us');
  assert.equal(ns.reader.info().precision, 'ns');
  assert.equal(ng.reader.info().format, 'pcapng');
  assert.equal(us.rows.length, 100);
  for (const other of [ns, ng]) {
    assert.equal(other.rows.length, us.rows.length);
    for (const c of COLUMNS) {
      assert.deepEqual(Array.from(other.rows.column(c.name)), Array.from(us.rows.column(c.name)), `column ${c.name} (${other.reader.file})`);
    }
  }
});
