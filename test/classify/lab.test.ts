/**
 * Real tools, real backscatter: the namespace-lab captures of ../shared/data/lab
 * (zmap 2.1.1, masscan 1.3.2, nmap 7.93, hping3; a Linux victim answering
 * spoofed floods), classified with the darknet 100.64.0.0/22 and checked
 * against each capture's *.truth.json.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseIPv4 } from '../../bench/synth/packet.js';
import { Classifier } from '../../src/classify/classifier.js';
import { labelsOf, Response, TOOL_RULES, TrafficKind } from '../../src/classify/rules.js';
import { Darknet } from '../../src/config/darknet.js';
import type { PacketBatch } from '../../src/decode/batch.js';
import { sharedFile } from '../helpers/paths.js';
import { ipv4, readAll } from '../helpers/read.js';

interface Truth {
  tool: string | null;
  category: string;
  sources: string[];
  victim: string | null;
  attack: { victim_port: number | string; kind: string } | null;
  observed_at_sensor: { packets: number; by_type: Record<string, number>; src_ips: Record<string, number> };
}

const darknet = Darknet.fromCidrs(['100.64.0.0/22']);

async function classified(name: string): Promise<{ rows: PacketBatch; truth: Truth }> {
  const truth = JSON.parse(readFileSync(sharedFile(`lab/${name}.truth.json`), 'utf8')) as Truth;
  const { rows } = await readAll(sharedFile(`lab/${name}.pcap`));
  new Classifier(darknet).classify(rows);
  return { rows, truth };
}

/** The scanner family of each label (zmap and zmap4 are both ZMap, masscan-shape is Masscan). */
function families(mask: number): Set<string> {
  return new Set(TOOL_RULES.filter((r) => (mask & r.bit) !== 0).map((r) => r.tool));
}

const SCANS: [string, string, number, string][] = [
  ['zmap_tcp_syn', 'ZMap', TrafficKind.TCP_SYN, 'zmap'],
  ['zmap_icmp_echo', 'ZMap', TrafficKind.ICMP_ECHO, 'zmap'],
  ['masscan_tcp_syn', 'Masscan', TrafficKind.TCP_SYN, 'masscan'],
  ['nmap_syn', 'Nmap', TrafficKind.TCP_SYN, 'nmap'],
  ['hping3_rand_dest_syn', 'hping3', TrafficKind.TCP_SYN, 'hping3'],
];

for (const [name, family, kind, label] of SCANS) {
  test(`lab ${name}: every probe is labelled ${label} and carries no other tool's label`, async () => {
    const { rows, truth } = await classified(name);
    assert.equal(rows.length, truth.observed_at_sensor.packets);
    for (let i = 0; i < rows.length; i++) {
      assert.equal(rows.kind[i], kind, `row ${i} kind`);
      assert.equal(rows.sensor[i], 1, `row ${i} reaches the darknet`);
      assert.ok(labelsOf(rows.tools[i], TOOL_RULES).includes(label), `row ${i}: ${labelsOf(rows.tools[i], TOOL_RULES)}`);
      assert.deepEqual([...families(rows.tools[i])], [family], `row ${i}: ${labelsOf(rows.tools[i], TOOL_RULES)}`);
      assert.ok(truth.sources.includes(ipv4(rows.src[i])));
    }
  });
}

const FLOODS: [string, number, number][] = [
  ['bs_synflood_open_port', Response.SYN_ACK, 6],
  ['bs_synflood_closed_port', Response.RST_ACK, 6],
  ['bs_hping3_spoofed_synflood', Response.SYN_ACK, 6],
  ['bs_udpflood_closed_port', Response.UNREACHABLE, 17],
  ['bs_icmp_echo_flood', Response.ECHO_REPLY, 1],
];

for (const [name, response, proto] of FLOODS) {
  test(`lab ${name}: every packet is backscatter naming the victim and port of the truth`, async () => {
    const { rows, truth } = await classified(name);
    const victim = parseIPv4(truth.victim!);
    assert.ok(rows.length > 0);
    for (let i = 0; i < rows.length; i++) {
      assert.equal(rows.kind[i], TrafficKind.BACKSCATTER, `row ${i}`);
      assert.equal(rows.response[i], response, `row ${i}`);
      assert.equal(rows.victim[i], victim, `row ${i} victim ${ipv4(rows.victim[i])}`);
      assert.equal(rows.victimProto[i], proto);
      assert.equal(rows.tools[i], 0, 'backscatter carries no tool label');
      assert.equal(rows.sensor[i], 1);
      const port = truth.attack!.victim_port;
      if (typeof port === 'number') assert.equal(rows.victimPort[i], port);
      else if (proto === 17) {
        // Random closed ports: the port is the one the flood packet (quoted in the ICMP error) was sent to.
        assert.equal(rows.victimPort[i], rows.innerDport[i]);
        assert.equal(rows.attackerPort[i], rows.innerSport[i]);
        assert.equal(rows.classFlags[i], 0, 'the quoted source is the darknet address the error reached');
      } else assert.equal(rows.victimPort[i], 0, 'echo reply: corsaro3 puts ntohs(type 0) = 0');
    }
  });
}

test('lab telescope_all: the whole mixed run, packet by packet, against the sources of the truth files', async () => {
  const { rows, truth } = await classified('telescope_all');
  const bySource: Record<string, string> = {
    '198.51.100.10': 'ZMap',
    '198.51.100.11': 'Masscan',
    '198.51.100.12': 'Nmap',
    '198.51.100.13': 'hping3',
  };
  const counts: Record<string, number> = {};
  for (let i = 0; i < rows.length; i++) {
    const src = ipv4(rows.src[i]);
    const fam = bySource[src];
    if (fam) {
      assert.deepEqual([...families(rows.tools[i])], [fam], `row ${i} from ${src}`);
    } else {
      assert.equal(src, '203.0.113.80', 'everything else is the victim answering');
      assert.equal(rows.kind[i], TrafficKind.BACKSCATTER);
      assert.equal(rows.victim[i], parseIPv4('203.0.113.80'));
    }
    const k = ['other', 'tcp-syn', 'udp', 'icmp-echo', 'backscatter', 'tcp-other'][rows.kind[i]];
    counts[k] = (counts[k] ?? 0) + 1;
  }
  const t = truth.observed_at_sensor.by_type;
  assert.deepEqual(counts, {
    'tcp-syn': t.tcp_syn,
    'icmp-echo': t.icmp_echo_request,
    backscatter: t.tcp_synack + t.tcp_rstack + t.icmp_echo_reply + t.icmp_unreach_port,
  });
});
