/**
 * Query benchmark on a store: `top --by port` (limit 10) answered from the
 * rollups, against the same answer computed from the packets table (the
 * reference: what a store without rollups would do). Warm: one untimed run
 * first, then the median of RUNS. Prints one JSON line.
 */
import { DuckDbStore } from '../src/store/duckdb/store.js';

const [db, runsArg = '7'] = process.argv.slice(2);
const runs = Number(runsArg);
const store = await DuckDbStore.open(db, { readOnly: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(f: () => Promise<unknown>): Promise<number> {
  await f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  return median(t);
}
const top = await store.top({ by: 'port', limit: 10 });
const fromRollups = await time(() => store.top({ by: 'port', limit: 10 }));
const fromPackets = await time(() =>
  store.query(`SELECT proto, dport, count(*) AS packets, count(DISTINCT src) AS sources FROM packets
    WHERE proto IN (6, 17) AND kind NOT IN (0, 4) GROUP BY proto, dport ORDER BY packets DESC, proto, dport LIMIT 10`),
);
const seriesMs = await time(() => store.series({ by: 'port', step: { label: '5m', ms: 300_000 }, limit: 5 }));
const [{ n }] = await store.query('SELECT count(*) AS n FROM packets');
await store.close();
process.stdout.write(JSON.stringify({ packets: n, topPortMs: fromRollups, topPortFromPacketsMs: fromPackets, series5mMs: seriesMs, top: top.slice(0, 3).map((r) => `${r.key} ${r.packets}`) }) + '\n');
