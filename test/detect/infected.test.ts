/**
 * Infected hosts (DAEDALUS's alert, src/detect/infected.ts) on the lab's real
 * nmap SYN scan: with the scanner's address configured as one of the
 * organisation's live prefixes, it is one infected host with its packets, the
 * ports it probed and the first three packets as evidence; without it, nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseDarknetConfig } from '../../src/config/load.js';
import { InfectedDetector } from '../../src/detect/infected.js';
import { feedLab } from '../helpers/lab.js';
import { sharedFile } from '../helpers/paths.js';

describe('infected hosts', () => {
  const truth = JSON.parse(readFileSync(sharedFile('lab/nmap_syn.truth.json'), 'utf8')) as { sources: string[]; dst_ports: number[] };
  const config = (live: string) => parseDarknetConfig(`sensors:\n  - name: lab\n    prefixes: [100.64.0.0/22]\n${live}`, "test.yaml");

  it('a live-prefix host scanning the darknet is one infected host with evidence', async () => {
    const d = new InfectedDetector();
    let packets = 0;
    await feedLab('nmap_syn', config(`    livePrefixes: [${truth.sources[0]}/32]\n`), (b) => {
      for (let i = 0; i < b.length; i++) if (b.ipVersion[i] === 4 && b.src[i] === ipv4(truth.sources[0])) packets++;
      d.add(b);
    });
    const hosts = d.finish();
    assert.equal(hosts.length, 1);
    const [h] = hosts;
    assert.deepEqual([h.host, h.scope, h.packets], [truth.sources[0], 'live', packets]);
    assert.ok(packets > 0);
    assert.equal(h.ports, new Set(truth.dst_ports).size);
    assert.equal(h.samples.length, 3);
    assert.ok(h.samples.every((s) => s.destination.startsWith('100.64.') && truth.dst_ports.includes(s.port)));
    assert.ok(h.tools.includes('nmap'), h.tools.join());
  });

  it('nothing when no live prefix holds the source', async () => {
    const d = new InfectedDetector();
    await feedLab('nmap_syn', config(''), (b) => d.add(b));
    assert.deepEqual(d.finish(), []);
  });
});

function ipv4(s: string): number {
  return s.split('.').reduce((a, x) => a * 256 + Number(x), 0);
}
