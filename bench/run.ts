/**
 * `npm run bench`: benchmarks with their reference run in the same script.
 *
 *   read   read + decode the synthetic darknet mix (default 10M packets) into
 *          PacketBatches, against `tcpdump -r FILE -w /dev/null` on the same
 *          file (libpcap's copy speed) and a plain JS walk of the records.
 *   analyze read + decode + classify + enrich + summarise (`darkscope analyze`,
 *          worker thread included, so not pinned) against `tcpdump -r -w
 *          /dev/null` (not pinned either) on the same file; peak RSS at the
 *          default size and at --rss-packets (50M) packets, to show it flat.
 *   store  `darkscope ingest` of the mix into a fresh DuckDB store, end to end, against
 *          `analyze` of the same file in the same script (what ingest adds is the
 *          storage); peak RSS; `top --by port` as ingest left the rollups; then
 *          `compact`, timed apart; database bytes per million packets; `top --by
 *          port` from the compacted rollups against the same answer from packets.
 *   detect `darkscope ingest --detect` against `ingest` without detectors, runs
 *          alternating in the same script (target ≥ 0.8×); peak RSS of both; then
 *          the same with a core for the detectors (ingest on CPU 0 in both runs, the
 *          detector worker on CPU 1; not with --no-pin).
 *   report a quarterly full report (ja) over a store of --report-packets (100M) packets
 *          spread over 2026Q3: gather + render + HTML (target ≤ 2 s), the PDF apart,
 *          against the top-5 ports computed from the packets table.
 *   geo    GeoDb lookups per second (country + ASN) on random and repeated
 *          addresses, and the Enricher's cached rate, against a plain typed-
 *          array binary search written inline (the reference).
 *   stream bounded memory on a capture far larger than RAM: the mix repeated
 *          to --stream-gb GB (default 100) through a pipe into read + decode;
 *          prints packets/s and peak RSS (nothing is written to disk).
 *
 * Every run is a separate process, pinned to one core (taskset -c 0) unless
 * --no-pin; the figure is the median of --runs runs; peak RSS is the child's.
 * Options: --packets N (10000000) --seed S (1) --runs R (3)
 *          --suite read,analyze,geo (default) | store | stream | all | any comma list
 *          --stream-gb G (100) --data DIR (bench/data) --json
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMix } from './synth/mix.js';

interface Args {
  packets: number;
  seed: number;
  runs: number;
  suite: string;
  data: string;
  reportPackets: number;
  pin: boolean;
  json: boolean;
  streamGb: number;
  rssPackets: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

function parseArgs(argv: string[]): Args {
  const a: Args = { packets: 10_000_000, seed: 1, runs: 3, suite: 'read,analyze,geo', data: join(root, 'bench', 'data'), pin: true, json: false, streamGb: 100, rssPackets: 50_000_000, reportPackets: 100_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--packets') a.packets = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--runs') a.runs = Number(v());
    else if (k === '--suite') a.suite = v();
    else if (k === '--data') a.data = resolve(v());
    else if (k === '--no-pin') a.pin = false;
    else if (k === '--stream-gb') a.streamGb = Number(v());
    else if (k === '--rss-packets') a.rssPackets = Number(v());
    else if (k === '--report-packets') a.reportPackets = Number(v());
    else if (k === '--json') a.json = true;
    else throw new Error(`unknown option ${k}`);
  }
  if (!Number.isInteger(a.packets) || a.packets < 1) throw new Error('--packets must be a positive integer');
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('--runs must be a positive integer');
  return a;
}

/**
 * Read a file once so the runs find it in the page cache, through one small buffer: a child's
 * peak RSS (getrusage) starts from this process's RSS at the fork, so this process must stay small.
 */
function warmCache(file: string): void {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

interface Timed {
  wallSeconds: number;
  out: string;
}

function timed(cmd: string, args: string[], pin: boolean, env?: Record<string, string>): Timed {
  const [c, a] = pin && have('taskset') ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { encoding: 'utf8', maxBuffer: 1 << 24, ...(env ? { env: { ...process.env, ...env } } : {}) });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return { wallSeconds, out: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function ensureMix(a: Args, packets = a.packets): Promise<string> {
  mkdirSync(a.data, { recursive: true });
  const file = join(a.data, `mix-${packets}-seed${a.seed}.pcap`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} …\n`);
    const t0 = Date.now();
    await generateMix({ packets, seed: a.seed, out: file });
    process.stderr.write(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  return file;
}

async function benchRead(a: Args): Promise<Record<string, unknown>> {
  const file = await ensureMix(a);
  warmCache(file); // every contestant reads from memory
  const size = statSync(file).size;
  const node = process.execPath;
  const runs = { darkscope: [] as number[], darkscopeWall: [] as number[], tcpdump: [] as number[], walk: [] as number[] };
  let rss = 0;
  let packets = 0;
  let decoded = 0;
  const tcpdump = have('tcpdump');
  for (let i = 0; i < a.runs; i++) {
    const d = timed(node, [join(here, 'read-decode.js'), file], a.pin);
    const r = JSON.parse(d.out) as { packets: number; decoded: number; seconds: number; maxRssMB: number };
    runs.darkscope.push(r.seconds);
    runs.darkscopeWall.push(d.wallSeconds);
    rss = Math.max(rss, r.maxRssMB);
    packets = r.packets;
    decoded = r.decoded;
    if (tcpdump) runs.tcpdump.push(timed('tcpdump', ['-r', file, '-w', '/dev/null'], a.pin).wallSeconds);
    runs.walk.push((JSON.parse(timed(node, [join(here, 'walk.js'), file], a.pin).out) as { seconds: number }).seconds);
  }
  const pps = (s: number) => packets / s;
  const res: Record<string, unknown> = {
    suite: 'read',
    file,
    fileBytes: size,
    packets,
    decoded,
    runs: a.runs,
    pinnedToOneCore: a.pin && have('taskset'),
    darkscopePps: pps(median(runs.darkscope)),
    darkscopeWallPps: pps(median(runs.darkscopeWall)),
    peakRssMB: rss,
    jsWalkPps: pps(median(runs.walk)),
    tcpdumpPps: tcpdump ? pps(median(runs.tcpdump)) : null,
    ratioToTcpdump: tcpdump ? median(runs.tcpdump) / median(runs.darkscope) : null,
    ratioToTcpdumpWall: tcpdump ? median(runs.tcpdump) / median(runs.darkscopeWall) : null,
  };
  if (!a.json) {
    const m = (x: number) => `${(x / 1e6).toFixed(2)} M packets/s`;
    const lines = [
      `read + decode: ${packets.toLocaleString('en')} packets (${(size / 1e6).toFixed(0)} MB), median of ${a.runs} runs${res.pinnedToOneCore ? ', each pinned to one core' : ''}`,
      `  darkscope         ${m(res.darkscopePps as number)}  (whole process incl. start-up: ${m(res.darkscopeWallPps as number)})`,
      `  tcpdump -r -w     ${tcpdump ? m(res.tcpdumpPps as number) : 'not installed (apt-get install -y tcpdump)'}`,
      `  plain JS walk     ${m(res.jsWalkPps as number)}  (record headers only)`,
      `  ratio to tcpdump  ${tcpdump ? `${(res.ratioToTcpdump as number).toFixed(2)}× (whole process: ${(res.ratioToTcpdumpWall as number).toFixed(2)}×)` : 'n/a'}   target ≥ 1.0×`,
      `  peak RSS          ${rss.toFixed(0)} MB   target ≤ 200 MB`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  return res;
}

async function benchStream(a: Args): Promise<Record<string, unknown>> {
  const file = await ensureMix(a);
  const size = statSync(file).size;
  const copies = Math.max(1, Math.ceil((a.streamGb * 1e9) / (size - 24)));
  // The pcap header once, then the records of the mix over and over: a valid capture of any size.
  const producer = `cat '${file}'; i=1; while [ $i -lt ${copies} ]; do tail -c +25 '${file}'; i=$((i+1)); done`;
  const pin = a.pin && have('taskset') ? 'taskset -c 0 ' : '';
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `set -o pipefail; (${producer}) | ${pin}'${process.execPath}' '${join(here, 'read-decode.js')}' -`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`stream run failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { packets: number; seconds: number; maxRssMB: number; error: unknown };
  const bytes = 24 + copies * (size - 24);
  const res = { suite: 'stream', bytes, packets: out.packets, seconds: out.seconds, wallSeconds: wall, pps: out.packets / out.seconds, peakRssMB: out.maxRssMB, error: out.error };
  if (!a.json) {
    process.stdout.write(
      [
        `stream: ${(bytes / 1e9).toFixed(1)} GB (${copies} copies of the mix) through a pipe into read + decode${pin ? ', reader pinned to one core' : ''}`,
        `  packets           ${out.packets.toLocaleString('en')} in ${out.seconds.toFixed(1)} s = ${(res.pps / 1e6).toFixed(2)} M packets/s`,
        `  peak RSS          ${out.maxRssMB.toFixed(0)} MB (bounded: independent of the capture's size)`,
      ].join('\n') + '\n',
    );
  }
  return res;
}

/**
 * geo: GeoDb load time (CSV → tables, then from the binary cache) and lookup
 * speed, in this process (lookups are in-memory work; no child needed):
 *   - country + ASN for --geo-lookups (5M) random public IPv4 addresses, against
 *     a reference in the same run: a plain binary search over the same
 *     country segments without the /16 index;
 *   - the Enricher over PacketBatches whose sources are drawn from 10k
 *     repeated addresses (the darknet case: scanners send many probes).
 * Deterministic PRNG (xorshift32, --seed); each figure is the median of --runs.
 */
async function benchGeo(a: Args): Promise<Record<string, unknown>> {
  const { GeoDb } = await import('../src/enrich/geo.js');
  const { Enricher } = await import('../src/enrich/enricher.js');
  const { PacketBatch } = await import('../src/decode/batch.js');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const N = 5_000_000;
  const SOURCES = 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'darkscope-geo-bench-'));
  let fromCsv: Awaited<ReturnType<typeof GeoDb.load>>;
  let fromCache: Awaited<ReturnType<typeof GeoDb.load>>;
  try {
    fromCsv = await GeoDb.load({ cacheDir: dir });
    fromCache = await GeoDb.load({ cacheDir: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (fromCsv.source !== 'csv' || fromCache.source !== 'cache') throw new Error(`geo: expected csv then cache, got ${fromCsv.source}, ${fromCache.source}`);
  const db = fromCache;

  let x = a.seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
  // Public unicast only: skip 0/8, 10/8, 127/8, 100.64/10, 169.254/16, 172.16/12, 192.168/16, 224/3.
  const isPublic = (ip: number): boolean => {
    const o = ip >>> 24;
    const o2 = (ip >>> 16) & 255;
    return !(o === 0 || o === 10 || o === 127 || o >= 224 || (o === 100 && o2 >= 64 && o2 < 128) || (o === 169 && o2 === 254) || (o === 172 && o2 >= 16 && o2 < 32) || (o === 192 && o2 === 168));
  };
  const random = new Uint32Array(N);
  for (let i = 0; i < N; ) {
    const ip = next();
    if (isPublic(ip)) random[i++] = ip;
  }
  const sources = new Uint32Array(SOURCES);
  for (let i = 0; i < SOURCES; ) {
    const ip = next();
    if (isPublic(ip)) sources[i++] = ip;
  }
  const repeated = new Uint32Array(N);
  for (let i = 0; i < N; i++) repeated[i] = sources[next() % SOURCES];

  // Reference: the same segments, binary search over all of them (no first-level index).
  const rs = db.country4.starts;
  const re = db.country4.ends;
  const rv = db.country4.values;
  const plainLookup = (ip: number): number => {
    let lo = 0;
    let hi = rs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (rs[mid] <= ip) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && ip <= re[found] ? rv[found] : 0;
  };
  const time = (f: () => number): number => {
    f(); // warm-up (JIT)
    const ts: number[] = [];
    for (let r = 0; r < a.runs; r++) {
      const t0 = process.hrtime.bigint();
      const sink = f();
      ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
      if (sink === -1) process.stdout.write(''); // keep the result alive
    }
    return median(ts);
  };
  const both = (ips: Uint32Array) => () => {
    let s = 0;
    for (let i = 0; i < ips.length; i++) s += db.countryV4(ips[i]) + db.asnV4(ips[i]);
    return s;
  };
  const countryOnly = () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += db.countryV4(random[i]);
    return s;
  };
  const countryPlain = () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += plainLookup(random[i]);
    return s;
  };
  let check = 0;
  for (let i = 0; i < 100_000; i++) if (db.countryV4(random[i]) !== plainLookup(random[i])) check++;
  if (check) throw new Error(`geo: indexed and plain lookups disagree on ${check} addresses`);

  const tRandom = time(both(random));
  const tCountry = time(countryOnly);
  const tPlain = time(countryPlain);
  const tRepeatedDirect = time(both(repeated));

  // Enricher over batches: ipVersion 4, sources from the repeated stream; only enrich() is timed.
  const en = new Enricher(db, 'JP');
  const batch = new PacketBatch();
  batch.ipVersion.fill(4);
  const enrichAll = () => {
    let t = 0n;
    for (let at = 0; at < N; at += batch.capacity) {
      const n = Math.min(batch.capacity, N - at);
      batch.src.set(repeated.subarray(at, at + n));
      batch.length = n;
      const t0 = process.hrtime.bigint();
      en.enrich(batch);
      t += process.hrtime.bigint() - t0;
    }
    return Number(t);
  };
  enrichAll();
  en.hits = en.misses = 0;
  const enrichTimes: number[] = [];
  for (let r = 0; r < a.runs; r++) enrichTimes.push(enrichAll() / 1e9);
  const tEnrich = median(enrichTimes);
  const hitRate = en.hits / (en.hits + en.misses);

  const res = {
    suite: 'geo',
    versions: db.versions,
    segments: { country4: db.country4.length, asn4: db.asn4.length, country6: db.country6.length, asn6: db.asn6.length },
    loadCsvMs: fromCsv.loadMillis,
    loadCacheMs: fromCache.loadMillis,
    addresses: N,
    randomAddrPerSec: N / tRandom,
    randomCountryLookupsPerSec: N / tCountry,
    plainBinarySearchPerSec: N / tPlain,
    ratioToPlain: tPlain / tCountry,
    repeatedDirectAddrPerSec: N / tRepeatedDirect,
    enricherRowsPerSec: N / tEnrich,
    enricherCacheHitRate: hitRate,
  };
  if (!a.json) {
    const m = (v: number) => `${(v / 1e6).toFixed(1)} M/s`;
    process.stdout.write(
      [
        `geo: ${db.versions.country.package} ${db.versions.country.version}, ${db.versions.asn.package} ${db.versions.asn.version}; median of ${a.runs} runs, ${N.toLocaleString('en')} addresses`,
        `  load from CSV            ${fromCsv.loadMillis.toFixed(0)} ms (${res.segments.country4.toLocaleString('en')} + ${res.segments.asn4.toLocaleString('en')} IPv4, ${res.segments.country6.toLocaleString('en')} + ${res.segments.asn6.toLocaleString('en')} IPv6 segments)`,
        `  load from cache          ${fromCache.loadMillis.toFixed(0)} ms`,
        `  random public IPv4       ${m(res.randomAddrPerSec)} addresses (country + ASN)   target ≥ 5 M/s`,
        `  country, /16 index       ${m(res.randomCountryLookupsPerSec)} lookups`,
        `  country, plain bsearch   ${m(res.plainBinarySearchPerSec)} lookups (reference)   ratio ${res.ratioToPlain.toFixed(2)}×`,
        `  10k repeated, GeoDb      ${m(res.repeatedDirectAddrPerSec)} addresses (country + ASN, no cache)`,
        `  10k repeated, Enricher   ${m(res.enricherRowsPerSec)} rows (cache hit rate ${(hitRate * 100).toFixed(1)} %)   target ≥ 20 M/s`,
      ].join('\n') + '\n',
    );
  }
  return res;
}

async function benchAnalyze(a: Args): Promise<Record<string, unknown>> {
  const file = await ensureMix(a);
  warmCache(file);
  const node = process.execPath;
  const script = join(here, 'analyze.js');
  const darkscope: number[] = [];
  const tcpdumpRuns: number[] = [];
  let rss = 0;
  let packets = 0;
  const tcpdump = have('tcpdump');
  for (let i = 0; i < a.runs; i++) {
    const r = JSON.parse(timed(node, [script, file], false).out) as { packets: number; seconds: number; maxRssMB: number };
    darkscope.push(r.seconds);
    rss = Math.max(rss, r.maxRssMB);
    packets = r.packets;
    if (tcpdump) tcpdumpRuns.push(timed('tcpdump', ['-r', file, '-w', '/dev/null'], false).wallSeconds);
  }
  // Flat memory: the same analysis on a capture five times as long.
  let big: { packets: number; seconds: number; maxRssMB: number } | null = null;
  if (a.rssPackets > a.packets) {
    const bigFile = await ensureMix(a, a.rssPackets);
    big = JSON.parse(timed(node, [script, bigFile], false).out) as { packets: number; seconds: number; maxRssMB: number };
  }
  const pps = packets / median(darkscope);
  const res: Record<string, unknown> = {
    suite: 'analyze',
    packets,
    runs: a.runs,
    analyzePps: pps,
    tcpdumpPps: tcpdump ? packets / median(tcpdumpRuns) : null,
    ratioToTcpdump: tcpdump ? median(tcpdumpRuns) / median(darkscope) : null,
    peakRssMB: rss,
    bigPackets: big?.packets ?? null,
    bigPeakRssMB: big?.maxRssMB ?? null,
    bigPps: big ? big.packets / big.seconds : null,
  };
  if (!a.json) {
    const m = (x: number) => `${(x / 1e6).toFixed(2)} M packets/s`;
    process.stdout.write(
      [
        `analyze: ${packets.toLocaleString('en')} packets, median of ${a.runs} runs (worker thread on; not pinned, nor is tcpdump)`,
        `  darkscope analyze ${m(pps)}`,
        `  tcpdump -r -w     ${tcpdump ? m(res.tcpdumpPps as number) : 'not installed'}`,
        `  ratio to tcpdump  ${tcpdump ? (res.ratioToTcpdump as number).toFixed(2) + '×' : 'n/a'}   target ≥ 0.5× (goal 1.0×)`,
        `  peak RSS          ${rss.toFixed(0)} MB at ${(packets / 1e6).toFixed(0)}M packets${big ? `, ${big.maxRssMB.toFixed(0)} MB at ${(big.packets / 1e6).toFixed(0)}M packets (${m(big.packets / big.seconds)})` : ''}   target ≤ 300 MB, flat`,
      ].join('\n') + '\n',
    );
  }
  return res;
}

async function benchStore(a: Args): Promise<Record<string, unknown>> {
  const file = await ensureMix(a);
  warmCache(file);
  const node = process.execPath;
  const db = join(a.data, `bench-store-${a.packets}.duckdb`);
  const ingestRuns: { packets: number; chunks: number; seconds: number; maxRssMB: number; maxRssWithCompactMB: number; topPortUncompactedMs: number; compactSeconds: number; rollupRowsBefore: number; rollupRowsAfter: number; dbBytes: number }[] = [];
  const analyzeRuns: number[] = [];
  for (let i = 0; i < a.runs; i++) {
    ingestRuns.push(JSON.parse(timed(node, [join(here, 'ingest.js'), file, db], false).out));
    analyzeRuns.push((JSON.parse(timed(node, [join(here, 'analyze.js'), file], false).out) as { seconds: number }).seconds);
  }
  const q = JSON.parse(timed(node, [join(here, 'query.js'), db], false).out) as { packets: number; topPortMs: number; topPortFromPacketsMs: number; series5mMs: number };
  const packets = ingestRuns[0].packets;
  const ingestSeconds = median(ingestRuns.map((r) => r.seconds));
  const res: Record<string, unknown> = {
    suite: 'store',
    packets,
    runs: a.runs,
    ingestPps: packets / ingestSeconds,
    analyzePps: packets / median(analyzeRuns),
    ratioToAnalyze: median(analyzeRuns) / ingestSeconds,
    peakRssMB: Math.max(...ingestRuns.map((r) => r.maxRssMB)),
    dbBytesPerMillion: ingestRuns[ingestRuns.length - 1].dbBytes / (packets / 1e6),
    compactSeconds: median(ingestRuns.map((r) => r.compactSeconds)),
    topPortUncompactedMs: median(ingestRuns.map((r) => r.topPortUncompactedMs)),
    topPortMs: q.topPortMs,
    topPortFromPacketsMs: q.topPortFromPacketsMs,
    series5mMs: q.series5mMs,
  };
  if (!a.json) {
    const m = (x: number) => `${(x / 1e6).toFixed(2)} M packets/s`;
    process.stdout.write(
      [
        `store: ${packets.toLocaleString('en')} packets, median of ${a.runs} runs, each a fresh database (not pinned: DuckDB uses both cores)`,
        `  ingest, end to end  ${m(res.ingestPps as number)}   target ≥ 1 M/s (goal 3 M/s)`,
        `  analyze (reference) ${m(res.analyzePps as number)}   ingest/analyze ${(res.ratioToAnalyze as number).toFixed(2)}×`,
        `  peak RSS            ${(res.peakRssMB as number).toFixed(0)} MB (runs: ${ingestRuns.map((r) => r.maxRssMB.toFixed(0)).join(', ')} MB; seconds: ${ingestRuns.map((r) => r.seconds.toFixed(2)).join(', ')})   target ≤ 500 MB`,
        `  compact (apart)     ${(res.compactSeconds as number).toFixed(2)} s, rollup rows ${ingestRuns[0].rollupRowsBefore.toLocaleString('en')} → ${ingestRuns[0].rollupRowsAfter.toLocaleString('en')}; peak RSS with it ${Math.max(...ingestRuns.map((r) => r.maxRssWithCompactMB)).toFixed(0)} MB`,
        `  database            ${((res.dbBytesPerMillion as number) / 1e6).toFixed(1)} MB per million packets (compacted)`,
        `  top --by port       ${(res.topPortUncompactedMs as number).toFixed(1)} ms as ingest left the rollups, ${q.topPortMs.toFixed(1)} ms compacted, ${q.topPortFromPacketsMs.toFixed(1)} ms from packets (reference)   target ≤ 100 ms`,
        `  series --step 5m    ${q.series5mMs.toFixed(1)} ms (top 5 ports)`,
      ].join('\n') + '\n',
    );
  }
  return res;
}

/** Ingest with the detectors against ingest without, alternating in one script (target ≥ 0.8×). */
async function benchDetect(a: Args): Promise<Record<string, unknown>> {
  const file = await ensureMix(a);
  warmCache(file);
  const node = process.execPath;
  const db = join(a.data, `bench-detect-${a.packets}.duckdb`);
  type Run = { packets: number; seconds: number; maxRssMB: number; events: number | null };
  const plain: Run[] = [];
  const withDetect: Run[] = [];
  for (let i = 0; i < a.runs; i++) {
    plain.push(JSON.parse(timed(node, [join(here, 'ingest.js'), file, db], false).out));
    withDetect.push(JSON.parse(timed(node, [join(here, 'ingest.js'), file, db, '--detect'], false).out));
  }
  // The same with a core for the detectors: ingest held to CPU 0 in both runs, the detector
  // worker's thread on CPU 1 (DARKSCOPE_DETECT_CPU): what they cost where they do not take
  // ingest's CPU (a machine with a core more than ingest uses).
  const ownCore = a.pin && have('taskset') && cpus().length >= 2;
  const plain1: Run[] = [];
  const detect1: Run[] = [];
  for (let i = 0; ownCore && i < a.runs; i++) {
    plain1.push(JSON.parse(timed(node, [join(here, 'ingest.js'), file, db], true).out));
    detect1.push(JSON.parse(timed(node, [join(here, 'ingest.js'), file, db, '--detect'], true, { DARKSCOPE_DETECT_CPU: '1' }).out));
  }
  const packets = plain[0].packets;
  const s0 = median(plain.map((r) => r.seconds));
  const s1 = median(withDetect.map((r) => r.seconds));
  const res: Record<string, unknown> = {
    suite: 'detect',
    packets,
    runs: a.runs,
    ingestPps: packets / s0,
    ingestDetectPps: packets / s1,
    ratio: s0 / s1,
    detectorNsPerPacket: ((s1 - s0) / packets) * 1e9,
    events: withDetect[0].events,
    peakRssMB: Math.max(...plain.map((r) => r.maxRssMB)),
    peakRssDetectMB: Math.max(...withDetect.map((r) => r.maxRssMB)),
    ...(ownCore ? { ownCoreRatio: median(plain1.map((r) => r.seconds)) / median(detect1.map((r) => r.seconds)), ownCoreSeconds: { ingest: plain1.map((r) => r.seconds), detect: detect1.map((r) => r.seconds) } } : {}),
  };
  if (!a.json) {
    const m = (x: number) => `${(x / 1e6).toFixed(2)} M packets/s`;
    process.stdout.write(
      [
        `detect: ${packets.toLocaleString('en')} packets, median of ${a.runs} runs each way, alternating, each a fresh database`,
        `  ingest              ${m(res.ingestPps as number)} (seconds: ${plain.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${(res.peakRssMB as number).toFixed(0)} MB`,
        `  ingest --detect     ${m(res.ingestDetectPps as number)} (seconds: ${withDetect.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${(res.peakRssDetectMB as number).toFixed(0)} MB, ${withDetect[0].events} events`,
        `  ratio               ${(res.ratio as number).toFixed(2)}×   target ≥ 0.8×; the detectors add ${(res.detectorNsPerPacket as number).toFixed(0)} ns a packet`,
        ...(ownCore
          ? [
              `  a core for the detectors (ingest on CPU 0 in both, the detector worker on CPU 1):`,
              `    ingest ${plain1.map((r) => r.seconds.toFixed(2)).join(', ')} s; --detect ${detect1.map((r) => r.seconds.toFixed(2)).join(', ')} s; ratio ${(res.ownCoreRatio as number).toFixed(2)}×`,
            ]
          : []),
      ].join('\n') + '\n',
    );
  }
  return res;
}

/**
 * A quarterly full report over a store of --report-packets (100M) packets spread over 2026Q3
 * (the mix at ~12.6 packets/s of simulated time): the store is built once (ingest --detect
 * --compact, not timed) and kept in --data; then bench/report.ts, median of --runs.
 */
async function benchReport(a: Args): Promise<Record<string, unknown>> {
  const packets = a.reportPackets;
  mkdirSync(a.data, { recursive: true });
  const Q3 = { start: Date.UTC(2026, 6, 1) / 1000, seconds: 92 * 86_400 };
  const file = join(a.data, `mix-q3-${packets}-seed${a.seed}.pcap`);
  const db = join(a.data, `bench-report-${packets}.duckdb`);
  if (!existsSync(db)) {
    if (!existsSync(file)) {
      process.stderr.write(`generating ${file} …\n`);
      await generateMix({ packets, seed: a.seed, out: file, startSec: Q3.start, pps: packets / Q3.seconds });
    }
    process.stderr.write(`ingesting into ${db} (once; kept for later runs) …\n`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(here, '..', 'src', 'cli', 'main.js'), 'ingest', '--darknet', '100.64.0.0/16,2001:db8::/32', '--db', db, '--compact', '--detect', '--quiet', file], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`ingest failed (${r.status})`);
    process.stderr.write(`ingested in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  // A store built by an earlier darkscope: migrated and its day summaries built, once (not timed in the report).
  const c = timed(process.execPath, [join(here, '..', 'src', 'cli', 'main.js'), 'compact', '--db', db], false);
  if (c.out.trim() !== 'nothing to compact') process.stderr.write(c.out);
  type Run = { packets: number; openMs: number; gatherMs: number; renderMs: number; reportMs: number; figures: number; referenceTopPortsFromPacketsMs: number; referenceMatches: boolean; gatherFromRollupsMs: number; summariesMatchRollups: boolean; pdfMs: number; pdfPages: number; pdfBytes: number };
  const runs: Run[] = [];
  for (let i = 0; i < a.runs; i++) runs.push(JSON.parse(timed(process.execPath, [join(here, 'report.js'), db, '2026Q3', 'full', 'ja'], false).out));
  const m = (f: (r: Run) => number) => median(runs.map(f));
  const res: Record<string, unknown> = {
    suite: 'report',
    packets: runs[0].packets,
    runs: a.runs,
    reportMs: m((r) => r.reportMs),
    gatherMs: m((r) => r.gatherMs),
    renderMs: m((r) => r.renderMs),
    openMs: m((r) => r.openMs),
    referenceTopPortsFromPacketsMs: m((r) => r.referenceTopPortsFromPacketsMs),
    referenceMatches: runs.every((r) => r.referenceMatches),
    gatherFromRollupsMs: m((r) => r.gatherFromRollupsMs),
    summariesMatchRollups: runs.every((r) => r.summariesMatchRollups),
    pdfMs: m((r) => r.pdfMs),
    pdfPages: runs[0].pdfPages,
    pdfBytes: runs[0].pdfBytes,
  };
  if (!a.json)
    process.stdout.write(
      [
        `report: a quarterly full report (ja) of 2026Q3 over ${runs[0].packets.toLocaleString('en')} stored packets, median of ${a.runs} runs (each its own process)`,
        `  report (gather + render + HTML)  ${(res.reportMs as number).toFixed(0)} ms (gather ${(res.gatherMs as number).toFixed(0)}, render ${(res.renderMs as number).toFixed(0)}; ${runs[0].figures} figures; runs: ${runs.map((r) => r.reportMs.toFixed(0)).join(', ')} ms)   target ≤ 2000 ms`,
        `  reference: the same numbers from the rollups alone (no day summaries)  ${(res.gatherFromRollupsMs as number).toFixed(0)} ms (same report: ${res.summariesMatchRollups}); gather/reference ${((res.gatherMs as number) / (res.gatherFromRollupsMs as number)).toFixed(2)}×`,
        `  reference: top-5 ports from the packets table  ${(res.referenceTopPortsFromPacketsMs as number).toFixed(0)} ms (same ports: ${res.referenceMatches}); report/reference ${((res.reportMs as number) / (res.referenceTopPortsFromPacketsMs as number)).toFixed(2)}×`,
        `  PDF (Chromium, apart)            ${(res.pdfMs as number).toFixed(0)} ms, ${res.pdfPages} pages, ${(res.pdfBytes as number).toLocaleString('en')} bytes`,
        `  store open + GeoDb load          ${(res.openMs as number).toFixed(0)} ms (not in the report time)`,
      ].join('\n') + '\n',
    );
  return res;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const suites: Record<string, (a: Args) => Promise<Record<string, unknown>>> = { read: benchRead, analyze: benchAnalyze, store: benchStore, detect: benchDetect, report: benchReport, stream: benchStream, geo: benchGeo };
  const results: Record<string, unknown>[] = [];
  for (const name of a.suite === 'all' ? Object.keys(suites) : a.suite.split(',')) {
    const s = suites[name];
    if (!s) throw new Error(`unknown suite ${name} (have: ${Object.keys(suites).join(', ')}, all)`);
    results.push(await s(a));
  }
  if (a.json) process.stdout.write(JSON.stringify(results) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
