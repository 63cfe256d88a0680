/**
 * Generate the two-quarter synthetic observation (bench/synth/quarters.ts).
 *
 *   node dist/bench/gen-quarters.js --out FILE.pcap [--seed N] [--scale S] [--truth FILE.json] [--darknet FILE.yaml]
 *
 * Prints one JSON line {packets, file}; --truth also writes the truth as JSON, --darknet the
 * darknet configuration to ingest it with.
 * The darknet to ingest it with is QUARTERS_DARKNET_YAML (100.64.0.0/16, two sensors, JP).
 */
import { eachFlag } from './cli-args.js';
import { writeFileSync } from 'node:fs';
import { GeoDb } from '../src/enrich/geo.js';
import { QUARTERS_DARKNET_YAML, writeQuarters } from './synth/quarters.js';

const USAGE = 'usage: gen-quarters --out FILE.pcap [--seed N] [--scale S] [--truth FILE.json] [--darknet FILE.yaml]';

function fail(msg: string): never {
  process.stderr.write(`gen-quarters: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { out: string; seed: number; scale: number; truth: string | null; darknet: string | null } {
  let out = '';
  let seed = 7;
  let scale = 1;
  let truth: string | null = null;
  let darknet: string | null = null;
  eachFlag(argv, USAGE, fail, (flag, val, a) => {
    switch (flag) {
      case '--out':
        out = val();
        break;
      case '--seed':
        seed = Number(val());
        if (!Number.isSafeInteger(seed) || seed < 0) fail('--seed must be a non-negative integer');
        break;
      case '--scale':
        scale = Number(val());
        if (!Number.isFinite(scale) || scale < 0) fail('--scale must be a non-negative number');
        break;
      case '--truth':
        truth = val();
        break;
      case '--darknet':
        darknet = val();
        break;
      default:
        fail(`unknown argument ${a}`);
    }
  });
  if (!out) fail('--out is required');
  return { out, seed, scale, truth, darknet };
}

const o = parseArgs(process.argv.slice(2));
const t0 = performance.now();
const geo = await GeoDb.load();
const t1 = performance.now();
const res = writeQuarters(o.out, { seed: o.seed, scale: o.scale, geo });
const t2 = performance.now();
if (o.truth) writeFileSync(o.truth, JSON.stringify(res, null, 2) + '\n');
if (o.darknet) writeFileSync(o.darknet, QUARTERS_DARKNET_YAML);
process.stdout.write(JSON.stringify({ packets: res.packets, file: o.out }) + '\n');
process.stderr.write(`wrote ${res.packets} packets to ${o.out} in ${((t2 - t1) / 1000).toFixed(2)} s (geo load ${((t1 - t0) / 1000).toFixed(2)} s)\n`);
