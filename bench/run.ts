/**
 * `npm run bench`: benchmarks with their reference run in the same script.
 *
 *   read   read + decode the synthetic darknet mix (default 10M packets) into
 *          PacketBatches, against `tcpdump -r FILE -w /dev/null` on the same
 *          file (libpcap's copy speed) and a plain JS walk of the records.
 *   stream bounded memory on a capture far larger than RAM: the mix repeated
 *          to --stream-gb GB (default 100) through a pipe into read + decode;
 *          prints packets/s and peak RSS (nothing is written to disk).
 *
 * Every run is a separate process, pinned to one core (taskset -c 0) unless
 * --no-pin; the figure is the median of --runs runs; peak RSS is the child's.
 * Options: --packets N (10000000) --seed S (1) --runs R (3) --suite read|stream|all
 *          --stream-gb G (100) --data DIR (bench/data) --json
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMix } from './synth/mix.js';

interface Args {
  packets: number;
  seed: number;
  runs: number;
  suite: string;
  data: string;
  pin: boolean;
  json: boolean;
  streamGb: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

function parseArgs(argv: string[]): Args {
  const a: Args = { packets: 10_000_000, seed: 1, runs: 3, suite: 'read', data: join(root, 'bench', 'data'), pin: true, json: false, streamGb: 100 };
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
    else if (k === '--json') a.json = true;
    else throw new Error(`unknown option ${k}`);
  }
  if (!Number.isInteger(a.packets) || a.packets < 1) throw new Error('--packets must be a positive integer');
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('--runs must be a positive integer');
  return a;
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

interface Timed {
  wallSeconds: number;
  out: string;
}

function timed(cmd: string, args: string[], pin: boolean): Timed {
  const [c, a] = pin && have('taskset') ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return { wallSeconds, out: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function ensureMix(a: Args): Promise<string> {
  mkdirSync(a.data, { recursive: true });
  const file = join(a.data, `mix-${a.packets}-seed${a.seed}.pcap`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} …\n`);
    const t0 = Date.now();
    await generateMix({ packets: a.packets, seed: a.seed, out: file });
    process.stderr.write(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  return file;
}

async function benchRead(a: Args): Promise<Record<string, unknown>> {
  const file = await ensureMix(a);
  readFileSync(file).length; // warm the page cache: every contestant reads from memory
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

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const suites: Record<string, (a: Args) => Promise<Record<string, unknown>>> = { read: benchRead, stream: benchStream };
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
