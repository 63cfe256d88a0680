/**
 * Crash test: `darkscope ingest` of a multi-chunk capture in a child process,
 * killed with SIGKILL at random moments (seeded), then re-run to completion.
 * The store must end exactly as after one clean run: the same packets (each
 * record once), the same rollups, the same distinct-source counts. After every
 * kill the store must hold whole chunks only (packets = what the ledger says).
 *
 * The detectors run too (--detect): the events must also equal the clean run's.
 * The capture is the synthetic darknet mix (bench/synth: scanners, Mirai,
 * backscatter, IPv6, non-IP; labelled hand-built traffic), 300,000 packets over
 * ~17 minutes, ingested in chunks of 5,000 records with the hour/day rollup
 * caps lowered so that resumes also replay the rollup state.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { generateMix } from '../../bench/synth/mix.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { ROOT } from '../helpers/paths.js';
import { tmpPath } from '../helpers/tmp.js';
import { prng } from '../helpers/prng.js';

const BIN = join(ROOT, 'bin', 'darkscope');
const ENV = { ...process.env, DARKSCOPE_COARSE_CAPS: '20000,5000' };
const PACKETS = 300_000;

function ingestArgs(file: string, db: string): string[] {
  return ['ingest', file, '--darknet', '100.64.0.0/16,2001:db8::/32', '--db', db, '--chunk', '5000', '--detect', '--quiet'];
}

/** Run the CLI; kill it with SIGKILL after `killAfterMs` (if given and still running). */
function run(args: string[], killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; stderr: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(BIN, args, { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - t0, stderr });
    });
  });
}

/** Everything a clean run and a crashed-and-resumed run must agree on. */
async function snapshot(db: string) {
  const s = await DuckDbStore.open(db, { readOnly: true });
  try {
    const q = (sql: string) => s.query(sql);
    const canon = async (t: string) =>
      JSON.stringify(await q(`SELECT bucket::VARCHAR AS b, sensor, ip_version, kind, proto, port, country, tools, sum(packets) AS p, list_sort(list_distinct(flatten(list(sources)))) AS s FROM ${t} GROUP BY ALL ORDER BY ALL`));
    return {
      packets: (await q('SELECT count(*) AS n, count(DISTINCT (file_id, rec)) AS u, sum(hash(ts, src, dst, sport, dport, seq, tools, src_country)) AS h FROM packets'))[0],
      v6: (await q('SELECT count(*) AS n, count(DISTINCT (file_id, rec)) AS u, sum(hash(src6, dst6, victim6)) AS h FROM packets_v6'))[0],
      ledger: (await q("SELECT status, rows, next_rec FROM ingest_ledger"))[0],
      minute: await canon('rollup_minute'),
      hour: await canon('rollup_hour'),
      day: await canon('rollup_day'),
      ports: JSON.stringify(await s.top({ by: 'port', limit: 25 })),
      countries: JSON.stringify(await s.top({ by: 'country', limit: 25 })),
      series: JSON.stringify(await s.series({ by: 'port', step: { label: '5m', ms: 300_000 }, limit: 5 })),
      events: JSON.stringify((await s.events({})).map((e) => ({ ...e, details: JSON.stringify(e.details) })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))),
      eventCount: (await s.events({})).length,
    };
  } finally {
    await s.close();
  }
}


describe('crash test: SIGKILL during ingest, then resume', () => {
  let file: string;
  let clean: Awaited<ReturnType<typeof snapshot>>;
  let startupMs = 0;
  let ingestMs = 0;

  before(async () => {
    file = tmpPath('crash-mix.pcap');
    generateMix({ packets: PACKETS, seed: 42, out: file, pps: 300 });
    // Start-up (node, GeoDb, DuckDB) measured on a tiny capture; the rest of a clean run is ingest.
    const tiny = tmpPath('tiny.pcap');
    generateMix({ packets: 10, seed: 1, out: tiny });
    startupMs = (await run(ingestArgs(tiny, tmpPath('tiny.duckdb')))).ms;
    const r = await run(ingestArgs(file, tmpPath('clean.duckdb')));
    assert.equal(r.code, 0, r.stderr);
    ingestMs = Math.max(r.ms - startupMs, 200);
    clean = await snapshot(tmpPath('clean.duckdb'));
  });

  it('the clean run stored every record once, IPv6 included', () => {
    assert.equal(clean.packets.n, PACKETS);
    assert.equal(clean.packets.u, PACKETS);
    assert.ok((clean.v6.n as number) > 1000, `IPv6 rows: ${clean.v6.n}`);
    assert.deepEqual(clean.ledger, { status: 'complete', rows: PACKETS, next_rec: PACKETS });
    assert.ok(clean.eventCount > 100, `events: ${clean.eventCount}`);
  });

  it('killed at ≥ 10 random moments and re-run: the same store as the clean run, with no duplicates', async (t) => {
    const db = tmpPath('crashed.duckdb');
    const rnd = prng(20261122);
    let interrupted = 0;
    let done = 0;
    const states: string[] = [];
    for (let attempt = 0; interrupted < 12 && attempt < 30; attempt++) {
      // A moment inside what is left of the work: start-up, then at most a fifth of the remaining
      // records' time, so that the kills keep landing before the end even on a loaded machine.
      const r = await run(ingestArgs(file, db), Math.floor(startupMs * (0.3 + 0.9 * rnd()) + ingestMs * (1 - done / PACKETS) * 0.2 * rnd()));
      if (r.signal !== 'SIGKILL') {
        assert.equal(r.code, 0, r.stderr);
        break; // it finished before the kill: nothing left to interrupt
      }
      interrupted++;
      if (!existsSync(db)) {
        states.push('no database yet');
        continue;
      }
      // Whole chunks only: the packets are exactly the records the ledger says are committed.
      const s = await DuckDbStore.open(db);
      try {
        const [p] = await s.query('SELECT count(*) AS n, count(DISTINCT (file_id, rec)) AS u, coalesce(max(rec) + 1, 0) AS next FROM packets');
        const led = await s.query('SELECT rows, next_rec, status FROM ingest_ledger');
        const ledRows = led.length ? (led[0].rows as number) : 0;
        assert.equal(p.n, ledRows, 'packets stored ≠ ledger rows');
        assert.equal(p.u, p.n, 'duplicate records');
        assert.equal(p.next, led.length ? led[0].next_rec : 0, 'records beyond the ledger position');
        states.push(led.length ? `${led[0].status} at ${led[0].next_rec}` : 'empty ledger');
        done = led.length ? (led[0].next_rec as number) : 0;
        if (led.length && led[0].status === 'complete') break; // nothing left to interrupt but the compaction
      } finally {
        await s.close();
      }
    }
    assert.ok(interrupted >= 10, `only ${interrupted} kills landed during the ingest (${states.join('; ')})`);
    // At least some kills must have left a partly ingested file (else the test proves little).
    assert.ok(states.filter((x) => x.startsWith('partial')).length >= 3, states.join('; '));
    t.diagnostic(`${interrupted} kills: ${states.join('; ')}`);
    const final = await run(ingestArgs(file, db));
    assert.equal(final.code, 0, final.stderr);
    const got = await snapshot(db);
    assert.deepEqual(got, clean);
  });
});
