/** `darkscope analyze` as a user runs it: the built command on real captures. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, sharedFile } from '../helpers/paths.js';
import { tmpFile } from '../helpers/tmp.js';

const BIN = join(ROOT, 'bin', 'darkscope');
const TELESCOPE = sharedFile('lab/telescope_all.pcap');

function run(args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  packets: number;
  byKind: Record<string, number>;
  byTool: Record<string, number>;
  bySpoofTag: Record<string, number>;
  topPorts: { port: number; proto: string; label: string; packets: number; sources: number }[];
  topCountries: { country: string | null; packets: number; sources: number }[];
  victims: { addr: string; port: number | null; proto: number; packets: number; ports: number; responses: string[] }[];
  sources: { total: number; domestic: number; approximate: boolean };
  darknet: { sensors: { name: string; prefixes: string[] }[]; sizeV4: number };
  methods: string;
  attribution: string;
}

test('analyze --json on the lab telescope: kinds, tools, ports and the victim as the lab truth has them', () => {
  const r = run(['analyze', '--json', '--quiet', '--darknet', '100.64.0.0/22', TELESCOPE]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Report;
  assert.equal(j.packets, 7172);
  // masscan 2048 + zmap 1280 + nmap 320 + hping3 random-dest SYNs; backscatter from the one victim.
  assert.deepEqual(j.byKind, { 'tcp-syn': 3592, backscatter: 3324, 'icmp-echo': 256 });
  assert.equal(j.byTool.masscan, 2048);
  assert.equal(j.byTool.nmap, 320);
  assert.deepEqual(j.sources, { total: 5, domestic: 0, approximate: false });
  assert.deepEqual(j.topPorts.slice(0, 3).map((p) => p.label), ['Telnet(23/TCP)', 'http(80/TCP)', 'https(443/TCP)']);
  // TCP: SYN floods on the open port 80 (nginx; most packets) and on closed ports; UDP: a random-port
  // flood, so no main port (292 distinct, more than the 8 counted per victim).
  assert.deepEqual(
    j.victims.map((v) => [v.addr, v.proto, v.port, v.packets, v.ports]),
    [
      ['203.0.113.80', 6, 80, 2724, 3],
      ['203.0.113.80', 1, 0, 300, 1],
      ['203.0.113.80', 17, null, 300, 292],
    ],
  );
  assert.equal(j.darknet.sizeV4, 1024);
  assert.match(j.methods, /^darkscope-methods\//);
  assert.match(j.attribution, /CC BY 4\.0/);
});

test('analyze text output: the sections a report reader looks for, and a config file instead of --darknet', () => {
  const cfg = tmpFile(Buffer.from('homeCountry: JP\nsensors:\n  - name: lab\n    prefixes: [100.64.0.0/22]\n'), 'darknet.yaml');
  const r = run(['analyze', '--quiet', '--config', cfg, '--top', '3', TELESCOPE]);
  assert.equal(r.status, 0, r.stderr);
  for (const s of ['traffic kinds', 'tool fingerprints', 'spoofing tags (corsaro3)', 'top destination ports', 'top source countries', 'backscatter victims (3;', 'packets per sensor IP per day', 'methods: ']) assert.ok(r.stdout.includes(s), `section ${s}`);
  assert.match(r.stdout, /darknet {5}lab \(100\.64\.0\.0\/22\): 1,024 IPv4 addresses, home country JP/);
  // --top 3: three port rows in the first port table.
  const ports = r.stdout.split('top destination ports (by packets')[1].split('\n\n')[0];
  assert.equal(ports.split('\n').filter((l) => /\/(TCP|UDP)\)/.test(l)).length, 3);
});

test('analyze: usage errors exit 2 with a clear message; unreadable files exit 1, the rest still analysed', () => {
  const none = run(['analyze', TELESCOPE]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /needs the darknet: --config FILE or --darknet/);
  const both = run(['analyze', '--darknet', '100.64.0.0/22', '--config', '/x.yaml', TELESCOPE]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /not both/);
  const top = run(['analyze', '--darknet', '100.64.0.0/22', '--top', 'lots', TELESCOPE]);
  assert.equal(top.status, 2);
  assert.match(top.stderr, /--top must be an integer/);
  const badCidr = run(['analyze', '--darknet', '100.64.0.0/33', TELESCOPE]);
  assert.equal(badCidr.status, 2);
  assert.match(badCidr.stderr, /100\.64\.0\.0\/33/);

  const junk = tmpFile(Buffer.from('<html>not a capture</html>'), 'page.pcap');
  const r = run(['analyze', '--json', '--quiet', '--darknet', '100.64.0.0/22', junk, TELESCOPE]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /page\.pcap: unknown file format .* \(at byte 0\)/);
  assert.equal((JSON.parse(r.stdout) as Report).packets, 7172);
});
