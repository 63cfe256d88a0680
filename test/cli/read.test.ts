/** `darkscope read` as a user runs it: the built command, real captures, pipes. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, sharedFile } from '../helpers/paths.js';
import { tmpFile, tmpPath } from '../helpers/tmp.js';

const BIN = join(ROOT, 'bin', 'darkscope');

function run(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(BIN, args, { encoding: 'utf8', input, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('read --json: one object per file with the documented keys; exit 0 when every file was read', () => {
  const r = run(['read', '--json', sharedFile('lab/masscan_tcp_syn.pcap'), sharedFile('corpus/wireshark/dns+icmp.pcapng.gz')]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 2);
  for (const l of lines) for (const k of ['file', 'format', 'packets', 'decoded', 'skipped', 'error']) assert.ok(k in l, `key ${k}`);
  assert.equal(lines[0].packets, 2048);
  assert.equal(lines[0].decoded, 2048);
  assert.deepEqual(lines[0].skipped, {});
  assert.equal(lines[0].error, null);
  assert.equal(lines[1].format, 'pcapng');
  assert.equal(lines[1].compression, 'gzip');
  assert.equal(lines[1].packets, 33);
});

test('read: exit status 1 only when a file could not be read at all; other files still reported', () => {
  const junk = tmpFile(Buffer.from('not a capture at all'), 'junk.pcap');
  const r = run(['read', '--json', junk, sharedFile('lab/nmap_syn.pcap'), '/nonexistent.pcap']);
  assert.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; packets: number; error: { message: string; offset: number } | null });
  assert.equal(lines.length, 3);
  assert.match(lines[0].error!.message, /unknown file format/);
  assert.equal(lines[0].error!.offset, 0);
  assert.equal(lines[1].packets, 320);
  assert.equal(lines[1].error, null);
  assert.match(lines[2].error!.message, /cannot open: ENOENT/);
  // A truncated capture is read as far as it goes: exit 0, error names the offset.
  const whole = readFileSync(sharedFile('lab/nmap_syn.pcap'));
  const cut = tmpFile(whole.subarray(0, whole.length - 7), 'cut.pcap');
  const t = run(['read', '--json', cut]);
  assert.equal(t.status, 0);
  const info = JSON.parse(t.stdout) as { packets: number; error: { message: string; offset: number } };
  assert.equal(info.packets, 319);
  assert.match(info.error.message, /truncated record at end of file/);
});

test('read: text report names format, counts, skipped reasons and time range', () => {
  const r = run(['read', sharedFile('real/stopddos/amp.TCP.reflection.SYNACK.pcap')]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /format\s+pcap 2\.4, little-endian, precision us, snaplen 65535/);
  assert.match(r.stdout, /packets\s+8000 read, 7996 decoded to IP/);
  assert.match(r.stdout, /skipped\s+not IP \(ethertype 0x0806 ARP\): 4/);
  assert.match(r.stdout, /time\s+2021-06-05T03:58:45\.551136000Z → /);
});

test('read: standard input and a FIFO work like files (gzip through a pipe too)', () => {
  const bytes = readFileSync(sharedFile('lab/zmap_tcp_syn.pcap'));
  const r = run(['read', '--json', '-'], bytes);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { packets: number }).packets, 1024);
  const fifo = tmpPath('capture.fifo');
  execFileSync('mkfifo', [fifo]);
  const writer = spawnSync('sh', ['-c', `gzip -c '${sharedFile('lab/zmap_tcp_syn.pcap')}' > '${fifo}' & '${BIN}' read --json '${fifo}'; wait`], { encoding: 'utf8' });
  assert.equal(writer.status, 0, writer.stderr);
  const info = JSON.parse(writer.stdout) as { packets: number; compression: string };
  assert.equal(info.packets, 1024);
  assert.equal(info.compression, 'gzip');
});

test('read: a directory is walked in name order', () => {
  const r = run(['read', '--json', sharedFile('real/libtrace-100')]);
  const files = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { file: string }).file.split('/').pop());
  assert.deepEqual(files, ['100_packets.erf', '100_packets.pcap', '100_packets.pcapng', '100_packetsns.pcap', 'README.md']);
});
