/**
 * The detectors alone, in their own process: a capture is read, decoded, classified
 * and enriched as ingest does; only the detectors' add() calls are timed (per
 * detector), so their cost per packet is seen apart from the rest. Prints one JSON line.
 */
import { CaptureReader } from '../src/capture/reader.js';
import { Classifier } from '../src/classify/classifier.js';
import { Darknet } from '../src/config/darknet.js';
import { BatchPool } from '../src/decode/batch.js';
import { Enricher } from '../src/enrich/enricher.js';
import { GeoDb } from '../src/enrich/geo.js';
import { DosDetector } from '../src/detect/dos.js';
import { ScanDetector } from '../src/detect/scan.js';

const [file, cidrs = '100.64.0.0/16,2001:db8::/32'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: detect FILE [CIDR,CIDR]\n');
  process.exit(2);
}
const geo = await GeoDb.load({ shared: true });
const darknet = Darknet.fromCidrs(cidrs.split(','));
const classifier = new Classifier(darknet);
const enricher = new Enricher(geo, darknet.homeCountry);
const pool = new BatchPool();
const dos = new DosDetector({ extrapolationFactor: darknet.extrapolationFactor });
const scan = new ScanDetector({ extrapolationFactor: darknet.extrapolationFactor, darknetSize: darknet.sizeV4 });
const rssBefore = process.memoryUsage().rss;
const reader = await CaptureReader.open(file, { pool });
let packets = 0;
let nsDos = 0n;
let nsScan = 0n;
/** The scan detector's time on the second half of the packets (tables grown, arenas warm). */
let nsScan2 = 0n;
let packets2 = 0;
let events = 0;
let maxOpen = 0;
for await (const batch of reader.batches()) {
  classifier.classify(batch);
  enricher.enrich(batch);
  const t0 = process.hrtime.bigint();
  dos.add(batch, 0, batch.length);
  events += dos.take().length;
  const t1 = process.hrtime.bigint();
  scan.add(batch, 0, batch.length);
  events += scan.take().length;
  const dt = process.hrtime.bigint() - t1;
  nsScan += dt;
  if (packets >= 5_000_000) {
    nsScan2 += dt;
    packets2 += batch.length;
  }
  nsDos += t1 - t0;
  maxOpen = Math.max(maxOpen, scan.tracked);
  packets += batch.length;
  pool.release(batch);
}
const rssEnd = process.memoryUsage().rss;
events += dos.finish().length + scan.finish().length;
const per = (ns: bigint) => Math.round(Number(ns) / packets);
process.stdout.write(JSON.stringify({ packets, dosNsPerPacket: per(nsDos), scanNsPerPacket: per(nsScan), scanNsPerPacketAfter5M: packets2 ? Math.round(Number(nsScan2) / packets2) : null, events, dropped: { dos: dos.droppedPackets, scan: scan.droppedPackets }, scanKeysMax: maxOpen, rssGrowthMB: (rssEnd - rssBefore) / 2 ** 20, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
