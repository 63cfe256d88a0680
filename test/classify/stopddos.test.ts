/**
 * Real DDoS captures (../shared/data/real/stopddos, victim side: the darknet
 * configured as the one victim address 10.10.10.10/32) analysed end to end.
 * The counts are darkscope's, written here with the reasoning that makes
 * them right; where an independent count exists (tshark statistics and the
 * ip-location-db mapping in expected-*.json) it is checked against that.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyze } from '../../src/analyze/run.js';
import { Darknet } from '../../src/config/darknet.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { sharedFile } from '../helpers/paths.js';

const darknet = Darknet.fromCidrs(['10.10.10.10/32']);
const tshark = JSON.parse(readFileSync(sharedFile('real/stopddos/expected-tshark-stats.json'), 'utf8')) as Record<string, { packets: number; tcp_synack: number; tcp_rst_any: number; unique_ipv4_src: number; fingerprint_zmap_ipid_54321: number; icmp_type_code: Record<string, number> }>;
const geoTruth = JSON.parse(readFileSync(sharedFile('real/stopddos/expected-geo-asn.json'), 'utf8')) as Record<string, { unique_src: number; top_countries_by_unique_src: Record<string, number> }>;

async function run(name: string) {
  const geo = await GeoDb.load({ shared: true });
  return (await analyze([sharedFile(`real/stopddos/${name}`)], darknet, geo, { top: 10 })).report;
}

test('stopddos spoofed SYN flood: every packet a SYN probe tagged spoofed; sources spread like random spoofing', async () => {
  const name = 'pkt.TCP.synflood.spoofed.pcap';
  const r = await run(name);
  assert.equal(r.packets, tshark[name].packets); // 37,841
  // All pure SYNs (tshark: tcp_flags 0x002 ×37,841) to one port.
  assert.deepEqual(r.byKind, { 'tcp-syn': 37_841 });
  assert.equal(r.topPorts.length, 1);
  assert.equal(r.topPorts[0].port, 25565);
  // Every packet arrives with TTL ≥ 200 and without options, but not with masscan's window 1024:
  // no-tcp-options holds, tcpwin-1024 does not, so ttl-200-nonspoofed fires → corsaro3 calls all of them spoofed.
  assert.equal(r.byFilter['ttl-200'], 37_841);
  assert.equal(r.byFilter['no-tcp-options'], 37_841);
  assert.equal(r.byFilter['ttl-200-nonspoofed'], 37_841);
  assert.equal(r.bySpoofTag.spoofed, 37_841);
  assert.equal(r.bySpoofTag['large-scale-scan'], undefined, 'window is not 1024: not the masscan shape');
  // Uniformly random sources end in .0 or .255 once in 256 each: 37,623/256 ≈ 147 ± 12 expected.
  assert.equal(r.byFilter['last-byte-src-0'], 136);
  assert.equal(r.byFilter['last-byte-src-255'], 140);
  // The generator avoided special-purpose space (expected-geo-asn: bogon_src 0): nothing non-routable.
  assert.equal(r.bySpoofTag.nonroutable, undefined);
  // Tools: one chance ZMap match (IP ID 54321 is 1 in 65,536; tshark counts the same 1), nothing else.
  assert.deepEqual(r.byTool, { zmap: tshark[name].fingerprint_zmap_ipid_54321 });
  // Distinct sources exact (below the 65,536 exact limit) and equal to tshark's; countries equal to the reference mapping.
  assert.deepEqual(r.sources, { total: tshark[name].unique_ipv4_src, domestic: 2101, approximate: false });
  const want = geoTruth[name].top_countries_by_unique_src;
  assert.deepEqual(Object.fromEntries(r.topCountriesBySources.map((c) => [c.country, c.sources])), want);
  // Per-port distinct sources beyond 1,024 are a p=12 HyperLogLog estimate: within 3 × 1.6 % of 37,623.
  assert.ok(Math.abs(r.topPorts[0].sources - 37_623) / 37_623 < 0.048, `port sources ${r.topPorts[0].sources}`);
  assert.equal(r.victims.length, 0, 'a SYN flood seen at its target is not backscatter');
});

test('stopddos SYN-ACK reflection: backscatter-shaped replies from thousands of reflectors, few packets each', async () => {
  const name = 'amp.TCP.reflection.SYNACK.pcap';
  const r = await run(name);
  const t = tshark[name];
  assert.equal(r.packets, 8000);
  assert.equal(r.decoded, 7996, '4 ARP frames');
  // corsaro3 backscatter: SYN-ACK (6,651) + RST with or without ACK (813 + 205 = tshark's 1,018) + ICMP errors (153 = 135 + 4 + 14).
  assert.equal(r.byResponse['syn-ack'], t.tcp_synack);
  assert.equal((r.byResponse.rst ?? 0) + (r.byResponse['rst-ack'] ?? 0), t.tcp_rst_any);
  assert.equal(r.byResponse.unreachable, Object.values(t.icmp_type_code).reduce((a, b) => a + b, 0));
  assert.equal(r.byKind.backscatter, 6651 + 1018 + 153);
  // Reflection, not Moore backscatter (methods.md §5.1): one destination, thousands of answering sources
  // (each counted by corsaro3's rule as its own "victim"), none with more than a handful of packets —
  // no vector comes near corsaro3's 25-packet threshold.
  assert.equal(r.victimCount, 7039);
  assert.ok(r.victims[0].packets <= 14, `largest vector ${r.victims[0].packets} packets`);
  assert.equal(r.sources.total, t.unique_ipv4_src);
  // RST+ACK is not among corsaro3's normal flag sets: those 205 are abnormal-protocol, hence "spoofed";
  // with the 72 high-TTL packets without masscan's shape and the one fragment that makes 278.
  assert.equal(r.byFilter['abnormal-protocol'], 205);
  assert.equal(r.byFilter['ttl-200-nonspoofed'], 72);
  assert.equal(r.bySpoofTag.spoofed, 278);
  // The capture's destinations were rewritten (tcprewrite, README) but not the headers quoted inside
  // ICMP errors: every ICMP error's inner source differs from the address it reached.
  assert.equal(r.icmpMismatches, 153);
  assert.deepEqual(Object.fromEntries(r.topCountriesBySources.map((c) => [c.country, c.sources])), geoTruth[name].top_countries_by_unique_src);
});
