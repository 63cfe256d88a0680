/**
 * Bad input is normal input: a sample of the conformance corpus (tcpdump, libpcap,
 * Wireshark, libtrace and pcapng test files, many of them fuzzed, truncated or hostile)
 * ingested into one store. Nothing throws; every file is stored, reported unreadable, or
 * recognised as a duplicate of an earlier one (the corpus has byte-identical copies);
 * each stored file has exactly the records the reader reads from it, once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Darknet } from '../../src/config/darknet.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { ingest, type FileOutcome } from '../../src/ingest/run.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { sharedFile } from '../helpers/paths.js';
import { tmpPath } from '../helpers/tmp.js';

describe('ingest of the hostile corpus', () => {
  const files = Object.keys(JSON.parse(readFileSync(sharedFile('oracle.json'), 'utf8')) as Record<string, unknown>)
    .sort()
    .filter((_, i) => i % 6 === 0)
    .map((f) => sharedFile(f));
  let outcomes: FileOutcome[];
  let store: DuckDbStore;

  before(async () => {
    store = await DuckDbStore.open(tmpPath('corpus.duckdb'));
    outcomes = await ingest(files, store, Darknet.fromCidrs(['0.0.0.0/1']), await GeoDb.load(), { chunkRecords: 64, compact: true });
  });

  it('every file has an outcome, none throws', () => {
    assert.ok(files.length > 150, `${files.length} files`);
    assert.equal(outcomes.length, files.length);
    const by = (s: string) => outcomes.filter((o) => o.status === s).length;
    assert.ok(by('ingested') > 100, `ingested ${by('ingested')}`);
    assert.ok(by('unreadable') > 0, 'the sample holds files that are not captures at all');
    assert.equal(by('ingested') + by('unreadable') + by('duplicate'), files.length);
    for (const o of outcomes.filter((x) => x.status === 'unreadable')) assert.match(o.message ?? '', /\S/, o.file);
  });

  it('each stored file holds exactly the records its reader read, once; the rollups count them all', async () => {
    const stored = await store.query('SELECT file_id, count(*) AS n, count(DISTINCT rec) AS u, max(rec) + 1 AS next FROM packets GROUP BY file_id');
    const perFile = new Map(stored.map((r) => [r.file_id as number, r]));
    let total = 0;
    for (const o of outcomes.filter((x) => x.status === 'ingested')) {
      const want = o.info!.packets;
      const got = perFile.get(o.fileId!);
      assert.equal(o.rows, want, o.file);
      assert.equal(got?.n ?? 0, want, o.file);
      if (want > 0) assert.deepEqual([got!.u, got!.next], [want, want], `${o.file}: records not 0..n-1 once each`);
      total += want;
    }
    const [r] = await store.query('SELECT (SELECT count(*) FROM packets) AS p, (SELECT sum(packets) FROM rollup_day) AS d, (SELECT sum(packets) FROM rollup_minute) AS m');
    assert.deepEqual([r.p, r.d, r.m], [total, total, total]);
    const [led] = await store.query("SELECT count(*) FILTER (WHERE status = 'complete') AS c, count(*) AS n FROM ingest_ledger");
    assert.equal(led.c, led.n, 'every stored file is complete');
    await store.close();
  });
});
