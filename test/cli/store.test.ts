/**
 * The store commands as a user runs them: ingest, top, series, sql, export on the
 * lab captures; and the failures a user meets (a locked or corrupt database, a
 * write attempted through `sql`, a hostile filter) as clear messages, not stacks.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ROOT, sharedFile } from '../helpers/paths.js';
import { tmpPath } from '../helpers/tmp.js';

const BIN = join(ROOT, 'bin', 'darkscope');
const LAB = sharedFile('lab');

function run(args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An expected failure: exit 2, one line starting "darkscope:", no stack trace. */
function assertCleanError(r: ReturnType<typeof run>, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'stack trace in the message');
}

describe('store commands on the lab captures', () => {
  const db = tmpPath('cli.duckdb');
  let ingestOut: ReturnType<typeof run>;
  before(() => {
    ingestOut = run(['ingest', LAB, '--darknet', '100.64.0.0/22', '--db', db, '--quiet']);
  });

  it('ingest reports each file, and a second ingest says every file is already stored', () => {
    // The lab folder holds eleven captures and their truth files (JSON): those are not captures (exit status 1).
    assert.equal(ingestOut.status, 1, ingestOut.stderr);
    const lines = ingestOut.stdout.trim().split('\n');
    assert.equal(lines.length, 22);
    for (const l of lines.filter((x) => x.includes('.pcap:'))) assert.match(l, /: [\d,]+ packets stored in \d+ chunk\(s\) as file \d+$/);
    for (const l of lines.filter((x) => x.includes('.json:'))) assert.match(l, /\.truth\.json: cannot read: unknown file format .*: not pcap or pcapng \(at byte 0\)$/);
    assert.equal(lines.filter((x) => x.includes('packets stored')).length, 11);
    const again = run(['ingest', LAB, '--db', db, '--quiet']); // the stored configuration is reused
    assert.equal(again.status, 1, again.stderr);
    const stored = again.stdout.trim().split('\n').filter((x) => x.includes('.pcap:'));
    assert.equal(stored.length, 11);
    for (const l of stored) assert.match(l, /already ingested \(file \d+, .*\): nothing added$/);
  });

  it('top in text, JSON and CSV agree', () => {
    const json = JSON.parse(run(['top', '--by', 'port', '--db', db, '--json', '--limit', '3']).stdout) as { rows: { key: string; packets: number; sources: number }[] };
    assert.equal(json.rows.length, 3);
    assert.deepEqual(json.rows[0], { ...json.rows[0], key: '23/tcp' });
    const csv = run(['top', '--by', 'port', '--db', db, '--csv', '--limit', '3']).stdout.trim().split('\n');
    assert.equal(csv[0], 'rank,port,packets,sources,port,proto,label');
    assert.equal(csv[1], `1,23/tcp,${json.rows[0].packets},${json.rows[0].sources},23,tcp,Telnet(23/TCP)`);
    const text = run(['top', '--by', 'port', '--db', db, '--limit', '3']).stdout;
    assert.match(text, new RegExp(`1\\s+Telnet\\(23/TCP\\)\\s+${json.rows[0].packets.toLocaleString('en')}`));
  });

  it('top --by tool/--kind/--proto/--sensor filters and orders by packets, ties by key', () => {
    const tools = JSON.parse(run(['top', '--by', 'tool', '--db', db, '--json']).stdout).rows as { key: string; packets: number }[];
    for (let i = 1; i < tools.length; i++) assert.ok(tools[i - 1].packets > tools[i].packets || (tools[i - 1].packets === tools[i].packets && tools[i - 1].key < tools[i].key));
    const bs = JSON.parse(run(['top', '--by', 'port', '--kind', 'backscatter', '--db', db, '--json']).stdout).rows as { key: string }[];
    assert.ok(bs.some((r) => r.key === '80/tcp'), 'the SYN floods hit 80/tcp');
    const udp = JSON.parse(run(['top', '--by', 'port', '--proto', 'udp', '--db', db, '--json']).stdout).rows as { key: string }[];
    for (const r of udp) assert.match(r.key, /\/udp$/);
    assertCleanError(run(['top', '--by', 'port', '--sensor', 'nosuch', '--db', db]), /no sensor "nosuch"/);
    assertCleanError(run(['top', '--by', 'colour', '--db', db]), /--by must be one of/);
    assertCleanError(run(['top', '--by', 'port', '--from', '2025-02-30', '--db', db]), /--from must be an ISO 8601/);
  });

  it('series with 1m steps adds up to the total', () => {
    const total = (JSON.parse(run(['top', '--by', 'kind', '--db', db, '--json', '--limit', '20']).stdout).rows as { packets: number }[]).reduce((a, r) => a + r.packets, 0);
    const s = JSON.parse(run(['series', '--step', '1m', '--db', db, '--json']).stdout) as { rows: { t: string; packets: number }[] };
    assert.ok(s.rows.length >= 1);
    assert.equal(s.rows.reduce((a, r) => a + r.packets, 0), total);
    for (const r of s.rows) assert.match(r.t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
    assertCleanError(run(['series', '--step', '7s', '--db', db]), /--step must be/);
  });

  it('sql reads; it cannot write, read files or change settings', () => {
    const ok = run(['sql', "SELECT count(*) AS n FROM packets WHERE ip_version = 4 AND ipv4(src) = '198.51.100.10'", '--db', db, '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(JSON.parse(ok.stdout).n > 0);
    assertCleanError(run(['sql', 'DELETE FROM packets_raw', '--db', db]), /read-only/i);
    assertCleanError(run(['sql', 'DELETE FROM packets', '--db', db]), /read-only|base table/i); // a view over packets_raw
    assertCleanError(run(['sql', 'DROP TABLE packets', '--db', db]), /read-only/i);
    assertCleanError(run(['sql', `COPY packets TO '${tmpPath('leak.csv')}'`, '--db', db]), /disabled|external|read-only/i);
    assertCleanError(run(['sql', "SELECT * FROM read_csv('/etc/passwd')", '--db', db]), /disabled|external/i);
    assertCleanError(run(['sql', 'SET enable_external_access = true', '--db', db]), /lock|configuration|cannot/i);
    assertCleanError(run(['sql', 'SELEC nonsense', '--db', db]), /syntax error/i);
  });

  it('export: CSV, JSON lines and Parquet with a filter; the filter is validated', async () => {
    const masscan = (JSON.parse(run(['top', '--by', 'tool', '--db', db, '--json']).stdout).rows as { key: string; packets: number }[]).find((r) => r.key === 'masscan')!.packets;
    const jsonl = tmpPath('m.jsonl');
    const e = run(['export', '--db', db, '--format', 'jsonl', '--where', 'tool:masscan and dport in (80, 443, 23) or (tool:masscan and not dport in (80,443,23))', '--out', jsonl]);
    assert.equal(e.status, 0, e.stderr);
    const rows = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rows.length, masscan);
    assert.equal(rows[0].src, '198.51.100.11');
    assert.match(String(rows[0].tools), /masscan/);
    assert.match(String(rows[0].time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const csv = tmpPath('v.csv');
    assert.equal(run(['export', '--db', db, '--format', 'csv', '--where', 'kind:backscatter and victim:203.0.113.80', '--out', csv]).status, 0);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    assert.match(lines[0], /^time,file_id,rec,sensor,ip_version,src,dst,proto,/);
    assert.ok(lines.length > 100);
    const pq = tmpPath('all.parquet');
    assert.equal(run(['export', '--db', db, '--format', 'parquet', '--where', 'src:198.51.100.0/24', '--out', pq]).status, 0);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const n = (await duck.runAndReadAll(`SELECT count(*) FROM read_parquet('${pq}')`)).getRows()[0][0];
    const want = JSON.parse(run(['sql', 'SELECT count(*) AS n FROM packets WHERE ip_version = 4 AND src BETWEEN 3325256704 AND 3325256959', '--db', db, '--json']).stdout).n;
    assert.equal(Number(n), want);
    assertCleanError(run(['export', '--db', db, '--where', "tool:mirai'; DROP TABLE packets; --", '--out', tmpPath('x.csv')]), /invalid filter at position 11/);
    assertCleanError(run(['export', '--db', db, '--where', 'colour:red', '--out', tmpPath('x.csv')]), /invalid filter at position 1: unknown field "colour"/);
  });
});

describe('ingest --detect and darkscope events', () => {
  it('stores the lab scans as scan events with source, port and tool', () => {
    const db = tmpPath('events.duckdb');
    const r = run(['ingest', join(LAB, 'telescope_all.pcap'), '--darknet', '100.64.0.0/22', '--db', db, '--detect', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const ev = run(['events', '--db', db, '--type', 'scan', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; source: string; port: number; tool: string | null; details: { trafficType: string } });
    const probes = ev.filter((e) => e.details.trafficType === 'tcp-syn').map((e) => `${e.source} ${e.port} ${e.tool}`).sort();
    assert.deepEqual(probes, [
      '198.51.100.10 23 zmap',
      '198.51.100.11 443 masscan',
      '198.51.100.11 80 masscan',
      '198.51.100.12 22 nmap',
      '198.51.100.12 23 nmap',
      '198.51.100.12 3389 nmap',
      '198.51.100.12 443 nmap',
      '198.51.100.12 80 nmap',
      '198.51.100.13 445 hping3',
    ]);
    for (const e of ev) assert.equal(e.type, 'scan');
    // A SOC's own space and ports: --addr (addresses or prefixes), --port.
    const who = (args: string[]) => run(['events', '--db', db, '--json', ...args]).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { source: string | null; victim: string | null; port: number | null; victimPort: number | null });
    const nmap = who(['--addr', '198.51.100.12']);
    assert.equal(nmap.length, 5);
    assert.ok(nmap.every((e) => e.source === '198.51.100.12'));
    assert.deepEqual(who(['--addr', '198.51.100.0/28', '--port', '80,443']).map((e) => `${e.source} ${e.port}`).sort(), ['198.51.100.11 443', '198.51.100.11 80', '198.51.100.12 443', '198.51.100.12 80']);
    assert.deepEqual(who(['--addr', '198.51.100.0/30']), []);
    assert.deepEqual(who(['--addr', '198.51.100.12', '--limit', '2']), nmap.slice(0, 2), 'the limit counts matching events');
    const backscatter = who(['--addr', '203.0.113.0/24']);
    assert.ok(backscatter.length >= 3 && backscatter.every((e) => e.source === '203.0.113.80' || e.victim === '203.0.113.80'));
    assertCleanError(run(['events', '--db', db, '--addr', '1.2.3.4/8']), /--addr: "1.2.3.4\/8" is not an address or prefix \(has host bits set; did you mean 1.0.0.0\/8\?\)/);
    assertCleanError(run(['events', '--db', db, '--port', '70000']), /--port must be port numbers 0–65535/);
    // Without --detect nothing is detected; a bad --type is a usage error.
    const plain = tmpPath('no-events.duckdb');
    assert.equal(run(['ingest', join(LAB, 'telescope_all.pcap'), '--darknet', '100.64.0.0/22', '--db', plain, '--quiet']).status, 0);
    assert.equal(run(['events', '--db', plain]).stdout.trim(), 'no events');
    assertCleanError(run(['events', '--db', db, '--type', 'worm']), /--type must be among scan, dos/);
  });

  it('stores a real SYN/ACK reflection attack as a reflection event on the dark prefix, and its reflectors as DoS victims', () => {
    // StopDDoS amp.TCP.reflection.SYNACK.pcap, 10.10.10.0/24 taken as the darknet (see test/detect/reflection.test.ts).
    const db = tmpPath('reflection.duckdb');
    const r = run(['ingest', sharedFile('real/stopddos/amp.TCP.reflection.SYNACK.pcap'), '--darknet', '10.10.10.0/24', '--db', db, '--detect', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const ev = run(['events', '--db', db, '--type', 'reflection', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; victim: string; attackType: string; packets: number; details: { reflectors: number } });
    assert.deepEqual(ev.map((e) => [e.type, e.victim, e.attackType, e.packets]), [['reflection', '10.10.10.0/24', 'syn-ack-reflection', 6651]]);
    // 0.15 s of capture: no reflector passes corsaro3's DoS thresholds (≥ 25 packets over ≥ 60 s).
    assert.equal(run(['events', '--db', db, '--type', 'dos']).stdout.trim(), 'no events');
    assert.match(run(['events', '--db', db]).stdout, /syn-ack-reflection (5[89]|6[01])\d{2} reflectors, 1 min/);
    // The dark prefix an address of it lies in: its reflection event.
    assert.deepEqual(run(['events', '--db', db, '--addr', '10.10.10.77', '--type', 'reflection', '--json']).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { victim: string }).victim), ['10.10.10.0/24']);
  });
});

describe('darkscope compact', () => {
  it('merges split rollup rows without changing any answer; a second run has nothing to do', () => {
    const db = tmpPath('compact.duckdb');
    const r = run(['ingest', join(LAB, 'telescope_all.pcap'), join(LAB, 'masscan_tcp_syn.pcap'), '--darknet', '100.64.0.0/22', '--db', db, '--chunk', '500', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const answers = () => ['port', 'country', 'tool', 'kind'].map((by) => run(['top', '--by', by, '--db', db, '--json', '--limit', '50']).stdout).join('') + run(['series', '--by', 'port', '--step', '1m', '--db', db, '--json']).stdout;
    const before = answers();
    const c = run(['compact', '--db', db]);
    assert.equal(c.status, 0, c.stderr);
    const m = /^compacted (\d+) pending range\(s\) in [\d.]+ s: rollup rows ([\d,]+) → ([\d,]+)$/.exec(c.stdout.trim());
    assert.ok(m, c.stdout);
    assert.ok(Number(m[3].replace(/,/g, '')) < Number(m[2].replace(/,/g, '')), c.stdout);
    assert.equal(answers(), before);
    assert.equal(run(['compact', '--db', db]).stdout.trim(), 'nothing to compact');
  });

  it('builds the day summaries an interrupted ingest left to do (its marks), and they answer as the rollups did', () => {
    const db = tmpPath('summaries.duckdb');
    assert.equal(run(['ingest', join(LAB, 'telescope_all.pcap'), '--darknet', '100.64.0.0/22', '--db', db, '--quiet']).status, 0);
    const answers = () => ['port', 'country', 'kind'].map((by) => run(['top', '--by', by, '--db', db, '--json', '--limit', '50']).stdout).join('');
    const before = answers();
    // As after a crash between a chunk's commit and the refresh: summaries gone, their days marked.
    const duck = spawnSync(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; const c = await (await DuckDBInstance.create(${JSON.stringify(db)})).connect(); await c.run("DELETE FROM day_ports; DELETE FROM day_countries; DELETE FROM day_sources; INSERT INTO rollup_pending SELECT 1, 'summary', min(bucket), max(bucket) FROM rollup_day"); c.closeSync();`], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(duck.status, 0, duck.stderr);
    assert.equal(answers(), before, 'marked days are read from the rollups');
    const c = run(['compact', '--db', db]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /^summarised [1-9]\d* day\(s\) in [\d.]+ s$/m);
    assert.equal(answers(), before);
    const left = JSON.parse(run(['sql', "SELECT (SELECT count(*) FROM rollup_pending WHERE level = 'summary') AS marks, (SELECT count(*) FROM rollup_pending WHERE level = 'surge') AS surge, (SELECT count(*) FROM day_ports) > 0 AS ports", '--db', db, '--json']).stdout);
    // (an ingest without --detect marks no day for a surge pass)
    assert.deepEqual(left, { marks: 0, surge: 0, ports: true });
  });
});

describe('ingest --pass-every (a long run), DARKSCOPE_DETECT_CPU', () => {
  it('says after each chunk what it brought up to date; a bad interval is a usage error', () => {
    const db = tmpPath('passes.duckdb');
    const r = run(['ingest', join(LAB, 'telescope_all.pcap'), '--darknet', '100.64.0.0/22', '--db', db, '--chunk', '2000', '--detect', '--pass-every', '0']);
    assert.equal(r.status, 0, r.stderr);
    const stored = /(\d[\d,]*) packets stored in (\d+) chunk\(s\)/.exec(r.stdout);
    assert.ok(stored, r.stdout);
    // A pass follows every whole chunk (the last, partial one is followed by the run's end pass).
    const passes = r.stderr.split('\n').filter((l) => l.startsWith('pass '));
    assert.equal(passes.length, Math.floor(Number(stored[1].replace(/,/g, '')) / 2000), r.stderr);
    assert.equal(JSON.parse(run(['sql', "SELECT count(*) AS n FROM rollup_pending WHERE level IN ('summary', 'surge')", '--db', db, '--json']).stdout).n, 0);
    for (const l of passes) assert.match(l, /^pass \(rows through \d{4}-\d\d-\d\d \d\d:\d\d UTC\): summaries of \d+ day\(s\) rebuilt, \d+ surge event\(s\) for \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d in [\d.]+ s$/);
    assertCleanError(run(['ingest', join(LAB, 'nmap_syn.pcap'), '--db', db, '--pass-every', '-1']), /^darkscope: --pass-every must be a number of seconds ≥ 0/);
  });

  it('DARKSCOPE_DETECT_CPU pins the detector thread; a bad list is said and the detectors run unpinned', () => {
    const ingestWith = (cpus: string, db: string) =>
      spawnSync(BIN, ['ingest', join(LAB, 'nmap_syn.pcap'), '--darknet', '100.64.0.0/22', '--db', db, '--detect', '--quiet'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, DARKSCOPE_DETECT_CPU: cpus } });
    const ok = ingestWith('0', tmpPath('pinned.duckdb'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.doesNotMatch(ok.stderr, /not pinned/);
    const bad = ingestWith('0;rm', tmpPath('unpinned.duckdb'));
    assert.equal(bad.status, 0, bad.stderr);
    assert.match(bad.stderr, /DARKSCOPE_DETECT_CPU: detector thread not pinned: not a CPU list: "0;rm"/);
    assert.equal(bad.stdout.replace(/file \d+/, ''), ok.stdout.replace(/file \d+/, ''));
  });
});

describe('a database the store cannot use', () => {
  it('locked by another process: a clear message naming the holder', async () => {
    const db = tmpPath('locked.duckdb');
    assert.equal(run(['ingest', join(LAB, 'nmap_syn.pcap'), '--darknet', '100.64.0.0/22', '--db', db, '--quiet']).status, 0);
    // Another process holds the database open for writing while we query it.
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; const i = await DuckDBInstance.create(${JSON.stringify(db)}); await i.connect(); console.log('open'); setTimeout(() => {}, 20000);`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      assertCleanError(run(['top', '--by', 'port', '--db', db]), new RegExp(`database .*locked\\.duckdb is in use by another process \\(PID ${holder.pid}\\)`));
      assertCleanError(run(['ingest', join(LAB, 'zmap_tcp_syn.pcap'), '--db', db]), /is in use by another process/);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('corrupt, truncated, foreign or missing: a clear message', () => {
    const garbage = tmpPath('garbage.duckdb');
    writeFileSync(garbage, Buffer.alloc(64 * 1024, 0x41));
    assertCleanError(run(['top', '--by', 'port', '--db', garbage]), /not a readable DuckDB database|cannot open database/);
    assertCleanError(run(['ingest', join(LAB, 'nmap_syn.pcap'), '--darknet', '100.64.0.0/22', '--db', garbage]), /not a readable DuckDB database|cannot open database/);
    // A real store cut short.
    const good = tmpPath('good.duckdb');
    assert.equal(run(['ingest', join(LAB, 'nmap_syn.pcap'), '--darknet', '100.64.0.0/22', '--db', good, '--quiet']).status, 0);
    const cut = tmpPath('cut.duckdb');
    copyFileSync(good, cut);
    truncateSync(cut, Math.floor(statSync(good).size / 3));
    const r = run(['top', '--by', 'port', '--db', cut]);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /^darkscope: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assertCleanError(run(['top', '--by', 'port', '--db', tmpPath('nothing-here.duckdb')]), /does not exist|is empty/);
    // A store from a newer darkscope (schema version 99): refused with a clear message, left untouched.
    const newer = tmpPath('newer.duckdb');
    copyFileSync(good, newer);
    const duck = spawnSync(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; const c = await (await DuckDBInstance.create(${JSON.stringify(newer)})).connect(); await c.run("UPDATE meta SET value = '99' WHERE key = 'schema_version'"); c.closeSync();`], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(duck.status, 0, duck.stderr);
    assertCleanError(run(['top', '--by', 'port', '--db', newer]), /schema version 99, newer than this darkscope \(3\): upgrade darkscope/);
    assertCleanError(run(['ingest', join(LAB, 'zmap_tcp_syn.pcap'), '--db', newer]), /schema version 99/);
    // A version-1 store (before the events table took its shape) is migrated when opened for writing.
    const v1 = tmpPath('v1.duckdb');
    copyFileSync(good, v1);
    const back = spawnSync(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; const c = await (await DuckDBInstance.create(${JSON.stringify(v1)})).connect(); await c.run("UPDATE meta SET value = '1' WHERE key = 'schema_version'; DROP TABLE day_ports; DROP TABLE day_countries; DROP TABLE day_sources; DROP TABLE events; CREATE TABLE events (event_id UBIGINT PRIMARY KEY, type VARCHAR NOT NULL, first_seen TIMESTAMP_NS NOT NULL, last_seen TIMESTAMP_NS NOT NULL, sensor USMALLINT NOT NULL, src UINTEGER, src6 UHUGEINT, port USMALLINT, proto UTINYINT, packets UBIGINT NOT NULL, details VARCHAR NOT NULL)"); c.closeSync();`], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(back.status, 0, back.stderr);
    assertCleanError(run(['top', '--by', 'port', '--db', v1]), /schema version 1; run darkscope compact \(or an ingest\) on it once to migrate it to 3/);
    assert.equal(run(['ingest', join(LAB, 'zmap_tcp_syn.pcap'), '--db', v1, '--detect', '--quiet']).status, 0);
    assert.equal(JSON.parse(run(['sql', "SELECT value FROM meta WHERE key = 'schema_version'", '--db', v1, '--json']).stdout).value, '3');
    // v3's day summaries: the days stored before the migration are summarised by that ingest.
    assert.deepEqual(JSON.parse(run(['sql', "SELECT (SELECT count(*) FROM day_sources) > 0 AS summarised, (SELECT count(*) FROM rollup_pending WHERE level = 'summary') AS marks", '--db', v1, '--json']).stdout), { summarised: true, marks: 0 });
    assert.ok(run(['events', '--db', v1, '--json']).stdout.includes('"tool":"zmap"'));
  });
});
