/**
 * Field by field against tshark 4.0.17 (../shared/data/oracle-fields): for
 * every packet of real/ and lab/, the decoded IP, TCP, UDP and ICMP fields
 * equal Wireshark's.
 *
 * Two documented differences in how the readers work, not in the values:
 *  - tshark reassembles IP fragments and shows the transport header on the
 *    fragment that completes the datagram; darkscope does not reassemble, so
 *    a non-first fragment has no transport fields (checked to be absent) and
 *    a first fragment has the transport header it carries (as tcpdump shows
 *    it), where tshark shows none;
 *  - for ICMP errors and tunnels (GRE) tshark's tcp_ and udp_ columns hold the
 *    quoted or carried inner packet, which darkscope keeps in the inner*
 *    columns;
 *  - tshark's icmp_ columns are ICMPv4 only (ICMPv6 has its own fields).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { DecodeReason } from '../../src/decode/reasons.js';
import { FRAG_MF, type PacketBatch } from '../../src/decode/batch.js';
import { ipv4, readAll } from '../helpers/read.js';
import { sharedFile } from '../helpers/paths.js';

type Row = Record<string, string>;

function readCsv(path: string): Row[] {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n').filter((l) => l.length > 0);
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(head.map((h, i) => [h, cells[i] ?? '']));
  });
}

/** oracle-fields/lab_x.pcap.csv.gz → lab/x.pcap; real_<dir>_x → real/<dir>/x */
function captureFor(csv: string): string {
  const name = csv.replace(/\.csv\.gz$/, '');
  if (name.startsWith('lab_')) return `lab/${name.slice(4)}`;
  for (const dir of ['stopddos', 'stratosphere', 'libtrace-100']) {
    if (name.startsWith(`real_${dir}_`)) return `real/${dir}/${name.slice(6 + dir.length)}`;
  }
  throw new Error(`no capture for ${csv}`);
}

function ipv6(words: Uint32Array, row: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[row * 4 + i];
    parts.push((w >>> 16).toString(16), (w & 0xffff).toString(16));
  }
  // tshark prints the compressed RFC 5952 form; compare after expanding both.
  return parts.join(':');
}

function expand6(s: string): string {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === null ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => parseInt(x, 16).toString(16)).join(':');
}

const num = (s: string) => (s.startsWith('0x') ? parseInt(s, 16) : Number(s));

function compareRow(b: PacketBatch, i: number, r: Row, where: string, out: string[]): void {
  const eq = (field: string, got: number | string, want: string | number) => {
    if (String(got) !== String(want)) out.push(`${where} ${field}: darkscope ${got}, tshark ${want}`);
  };
  if (r.ipv6_src) {
    eq('ipVersion', b.ipVersion[i], 6);
    eq('ipv6_src', ipv6(b.src6, i), expand6(r.ipv6_src));
    eq('ipv6_dst', ipv6(b.dst6, i), expand6(r.ipv6_dst));
  } else if (r.ip_src) {
    eq('ipVersion', b.ipVersion[i], 4);
    eq('ip_src', ipv4(b.src[i]), r.ip_src);
    eq('ip_dst', ipv4(b.dst[i]), r.ip_dst);
    eq('ip_proto', b.proto[i], r.ip_proto);
    eq('ip_ttl', b.ttl[i], r.ip_ttl);
    eq('ip_id', b.ipId[i], num(r.ip_id));
    eq('ip_len', b.ipLen[i], r.ip_len);
    eq('frag_offset', b.fragOffset[i], r.frag_offset);
  } else {
    eq('ipVersion', b.ipVersion[i], 0);
    return;
  }
  const fragment = b.reason[i] === DecodeReason.FRAGMENT;
  const hasInner = b.innerVersion[i] !== 0;
  const firstFragment = (b.fragFlags[i] & FRAG_MF) !== 0 && b.fragOffset[i] === 0;
  if (firstFragment && !r.tcp_sport && !r.udp_sport) {
    // tshark waits for reassembly; the header is in this frame, so it must be decoded.
    if (b.proto[i] === 6 || b.proto[i] === 17) assert.notEqual(b.dport[i] | b.sport[i], 0, `${where}: first fragment without ports`);
    return;
  }
  if (fragment) {
    // No reassembly: a non-first fragment carries no transport header.
    eq('sport (fragment)', b.sport[i], 0);
    eq('dport (fragment)', b.dport[i], 0);
    return;
  }
  if (hasInner) {
    const tcp = b.innerProto[i] === 6;
    const udp = b.innerProto[i] === 17;
    eq('inner tcp_sport', tcp ? b.innerSport[i] : '', r.tcp_sport);
    eq('inner tcp_dport', tcp ? b.innerDport[i] : '', r.tcp_dport);
    if (r.tcp_flags) eq('inner tcp_flags', b.innerTcpFlags[i], num(r.tcp_flags));
    if (r.tcp_win) eq('inner tcp_win', b.innerWindow[i], r.tcp_win);
    if (r.tcp_seq_raw) eq('inner tcp_seq_raw', b.innerSeq[i], r.tcp_seq_raw);
    eq('inner udp_sport', udp ? b.innerSport[i] : '', r.udp_sport);
    eq('inner udp_dport', udp ? b.innerDport[i] : '', r.udp_dport);
  } else {
    const tcp = b.proto[i] === 6;
    const udp = b.proto[i] === 17;
    eq('tcp_sport', tcp ? b.sport[i] : '', r.tcp_sport);
    eq('tcp_dport', tcp ? b.dport[i] : '', r.tcp_dport);
    eq('tcp_flags', tcp ? b.tcpFlags[i] : '', r.tcp_flags ? num(r.tcp_flags) : '');
    eq('tcp_seq_raw', tcp ? b.seq[i] : '', r.tcp_seq_raw);
    eq('tcp_win', tcp ? b.window[i] : '', r.tcp_win);
    eq('udp_sport', udp ? b.sport[i] : '', r.udp_sport);
    eq('udp_dport', udp ? b.dport[i] : '', r.udp_dport);
  }
  const icmp = b.proto[i] === 1;
  eq('icmp_type', icmp ? b.icmpType[i] : '', r.icmp_type);
  eq('icmp_code', icmp ? b.icmpCode[i] : '', r.icmp_code);
}

const csvs = readdirSync(sharedFile('oracle-fields')).filter((f) => f.endsWith('.csv.gz')).sort();

test('every capture in real/ and lab/ has a tshark field oracle', () => {
  assert.equal(csvs.length, 23);
});

for (const csv of csvs) {
  const capture = captureFor(csv);
  test(`fields equal tshark's: ${capture}`, async () => {
    const rows = readCsv(sharedFile(`oracle-fields/${csv}`));
    const { rows: b } = await readAll(sharedFile(capture));
    assert.equal(b.length, rows.length, 'packet count');
    const problems: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      assert.equal(Number(rows[i].frame), i + 1);
      compareRow(b, i, rows[i], `frame ${i + 1}`, problems);
      if (problems.length > 20) break;
    }
    assert.deepEqual(problems, []);
  });
}
