/**
 * Generate a synthetic darknet capture.
 *
 *   node dist/bench/gen-mix.js --packets N --seed S --out FILE [--darknet CIDR]
 *        [--darknet6 CIDR] [--start UNIXSEC] [--pps N] [--vlan ID]
 *
 * N accepts k/M/G suffixes and exponent notation (10M, 1e7). Prints one JSON
 * object: the per-category and per-kind counts, file size and elapsed time.
 */
import { eachFlag } from './cli-args.js';
import { generateMix, type MixOptions } from './synth/mix.js';

const USAGE = 'usage: gen-mix --packets N --seed S --out FILE [--darknet CIDR] [--darknet6 CIDR] [--start UNIXSEC] [--pps N] [--vlan ID]';

function count(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmMgG]?)$/.exec(v);
  const mult = m ? { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'] : NaN;
  const n = m ? Number(m[1]) * mult : NaN;
  if (!Number.isSafeInteger(n) || n < 0) fail(`${flag}: not a non-negative integer: ${v}`);
  return n;
}

function fail(msg: string): never {
  process.stderr.write(`gen-mix: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): MixOptions {
  const o: Partial<MixOptions> = {};
  eachFlag(argv, USAGE, fail, (flag, val, a) => {
    switch (flag) {
      case '--packets':
        o.packets = count(flag, val());
        break;
      case '--seed':
        o.seed = count(flag, val());
        break;
      case '--out':
        o.out = val();
        break;
      case '--darknet':
        o.darknet = val();
        break;
      case '--darknet6':
        o.darknet6 = val();
        break;
      case '--start':
        o.startSec = count(flag, val());
        break;
      case '--pps':
        o.pps = count(flag, val());
        break;
      case '--vlan':
        o.vlan = count(flag, val());
        if (o.vlan > 4095) fail('--vlan must be 0..4095');
        break;
      default:
        fail(`unknown argument ${a}`);
    }
  });
  if (o.packets === undefined || o.seed === undefined || !o.out) fail('--packets, --seed and --out are required');
  return o as MixOptions;
}

const opts = parseArgs(process.argv.slice(2));
const t0 = process.hrtime.bigint();
let res;
try {
  res = generateMix(opts);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
const { labels: _labels, ...rest } = res;
process.stdout.write(
  JSON.stringify({
    ...rest,
    elapsedSec: Math.round(elapsed * 1000) / 1000,
    packetsPerSec: elapsed > 0 ? Math.round(res.packets / elapsed) : null,
    mbPerSec: elapsed > 0 ? Math.round(res.bytes / 1e6 / elapsed) : null,
  }, null, 2) + '\n',
);
process.stderr.write(`wrote ${res.packets} packets (${(res.bytes / 1e6).toFixed(1)} MB) to ${res.out} in ${elapsed.toFixed(2)} s\n`);
