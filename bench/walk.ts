/**
 * Reference: a plain JavaScript walk over a classic pcap's record headers
 * (sync reads, no decoding). It bounds what any JS reader can reach here.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const fd = openSync(process.argv[2], 'r');
const buf = Buffer.alloc(8 << 20);
const t0 = process.hrtime.bigint();
let have = readSync(fd, buf, 0, buf.length, null);
let pos = 24;
let packets = 0;
let sum = 0;
for (;;) {
  while (pos + 16 <= have) {
    const incl = buf.readUInt32LE(pos + 8);
    if (pos + 16 + incl > have) break;
    sum = (sum + buf.readUInt32LE(pos)) | 0; // touch the timestamp so the walk is not optimised away
    pos += 16 + incl;
    packets++;
  }
  buf.copy(buf, 0, pos, have);
  have -= pos;
  pos = 0;
  const n = readSync(fd, buf, have, buf.length - have, null);
  if (n === 0) break;
  have += n;
}
closeSync(fd);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ packets, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, sum }) + '\n');
