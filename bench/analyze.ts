/**
 * One analyze benchmark run in its own process (peak RSS is its own):
 * read + decode + classify + enrich + summarise a capture.
 * Prints one JSON line: packets, seconds, maxRssMB, and the summary's headline numbers.
 */
import { analyze } from '../src/analyze/run.js';
import { Darknet } from '../src/config/darknet.js';
import { GeoDb } from '../src/enrich/geo.js';

const [file, cidrs = '100.64.0.0/16,2001:db8::/32'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: analyze FILE [CIDR,CIDR]\n');
  process.exit(2);
}
const geo = await GeoDb.load({ shared: true });
const darknet = Darknet.fromCidrs(cidrs.split(','));
const t0 = process.hrtime.bigint();
const { report } = await analyze([file], darknet, geo);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ packets: report.packets, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, byKind: report.byKind, sources: report.sources, victims: report.victimCount }) + '\n');
