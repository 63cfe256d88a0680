/**
 * Deterministic synthetic darknet traffic: a mix of scanner SYNs (generic OS
 * stacks, Mirai, masscan, ZMap, nmap, hping3), DDoS backscatter, UDP probes,
 * ICMP echo requests, ICMP errors quoting spoofed packets, IPv6 SYNs and ARP,
 * written as a classic pcap (Ethernet, µs timestamps).
 *
 * Everything derives from one seeded PRNG stream, so a seed always gives the
 * byte-identical file. Memory is bounded (fixed source pools + the writer's
 * buffer; the optional per-packet labels are the only O(packets) state) and
 * nothing is allocated per packet: frames are built in the writer's buffer
 * from reused field objects.
 *
 * Packet shapes follow /work/shared/docs/methods.md §1.1-1.4 (ZMap, masscan,
 * Mirai, nmap) and §3 (backscatter).
 */
import { Rng } from './rng.js';
import {
  frameArp, frameIPv4Icmp, frameIPv4Tcp, frameIPv4Udp, frameIPv6Tcp, icmpFields, ipv4Fields, ipv4Tcp, ipv4Udp,
  ipv6Fields, linkFields, parseIPv4, parseIPv6, tcpFields, TH_ACK, TH_RST, TH_SYN, udpFields, type LinkFields,
} from './packet.js';
import { PcapWriter } from './pcap-writer.js';

/** Traffic categories; shares (in 1/10000) of the mix in CATEGORY_SHARES. */
export const Category = {
  tcp_scan: 0,
  mirai: 1,
  masscan: 2,
  zmap: 3,
  nmap: 4,
  hping3: 5,
  backscatter: 6,
  udp: 7,
  icmp_echo: 8,
  icmp_error: 9,
  ipv6_syn: 10,
  arp: 11,
} as const;
export type CategoryName = keyof typeof Category;
export const CATEGORY_NAMES = Object.keys(Category) as CategoryName[];
/** Share of each category in basis points (sums to 10000), in Category order. */
export const CATEGORY_SHARES: readonly number[] = [2500, 1500, 1000, 1000, 400, 200, 1200, 1000, 600, 400, 100, 100];

/** Fine-grained packet kinds (the per-packet label); each belongs to one category. */
export const Kind = {
  syn_linux: 0,
  syn_windows: 1,
  mirai: 2,
  masscan: 3,
  zmap_classic: 4,
  zmap_modern: 5,
  nmap: 6,
  hping3: 7,
  bs_synack: 8,
  bs_rstack: 9,
  bs_rst: 10,
  bs_echo_reply: 11,
  udp_dns: 12,
  udp_ntp: 13,
  udp_ssdp: 14,
  udp_snmp: 15,
  udp_sip: 16,
  udp_other: 17,
  icmp_echo: 18,
  icmp_echo_zmap: 19,
  icmp_unreach_host: 20,
  icmp_unreach_port: 21,
  icmp_unreach_admin: 22,
  icmp_time_exceeded: 23,
  ipv6_syn: 24,
  arp: 25,
} as const;
export type KindName = keyof typeof Kind;
export const KIND_NAMES = Object.keys(Kind) as KindName[];
/** Category of each kind, indexed by kind code. */
export const KIND_CATEGORY: readonly number[] = [
  Category.tcp_scan, Category.tcp_scan, Category.mirai, Category.masscan, Category.zmap, Category.zmap,
  Category.nmap, Category.hping3,
  Category.backscatter, Category.backscatter, Category.backscatter, Category.backscatter,
  Category.udp, Category.udp, Category.udp, Category.udp, Category.udp, Category.udp,
  Category.icmp_echo, Category.icmp_echo,
  Category.icmp_error, Category.icmp_error, Category.icmp_error, Category.icmp_error,
  Category.ipv6_syn, Category.arp,
];

export interface MixOptions {
  /** Number of packets to write. */
  packets: number;
  /** PRNG seed (integer). */
  seed: number;
  /** Output pcap path (overwritten). */
  out: string;
  /** IPv4 darknet prefix: destinations are uniform inside it, sources never in it. Default 100.64.0.0/16. */
  darknet?: string;
  /** IPv6 darknet prefix for the IPv6 SYNs. Default 2001:db8::/32. */
  darknet6?: string;
  /** Timestamp of the first packet (Unix seconds). Default 1767225600 (2026-01-01T00:00:00Z). */
  startSec?: number;
  /** Mean packets per simulated second. Default 3000. */
  pps?: number;
  /** Tag every frame with this 802.1Q VLAN id. Default: untagged. */
  vlan?: number;
  /** Pcap writer buffer size in bytes (default 4 MiB). */
  bufferSize?: number;
  /** Return the kind code of every packet, in file order (costs one byte per packet). */
  labels?: boolean;
}

export interface MixResult {
  out: string;
  packets: number;
  /** File size in bytes. */
  bytes: number;
  counts: Record<CategoryName, number>;
  kinds: Record<KindName, number>;
  /** First and last timestamp, Unix seconds (µs precision). */
  firstTs: number;
  lastTs: number;
  /** Kind code per packet when options.labels was set. */
  labels?: Uint8Array;
}

/** Largest frame the mix builds (ICMP errors quoting whole packets, SIP). */
const MAX_FRAME = 1600;

/** Parse "a.b.c.d/len" (host bits must be zero). */
export function parseCidr4(s: string): { base: number; prefix: number; mask: number; hostMask: number } {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s.trim());
  if (!m || Number(m[2]) > 32) throw new Error(`bad IPv4 CIDR: ${s}`);
  const prefix = Number(m[2]);
  const base = parseIPv4(m[1]);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & ~mask) >>> 0 !== 0) throw new Error(`CIDR ${s} has host bits set`);
  return { base, prefix, mask, hostMask: ~mask >>> 0 };
}

/** Parse an IPv6 "prefix/len". */
export function parseCidr6(s: string): { base: Uint8Array; prefix: number } {
  const i = s.indexOf('/');
  const prefix = i < 0 ? NaN : Number(s.slice(i + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 128) throw new Error(`bad IPv6 CIDR: ${s}`);
  return { base: parseIPv6(s.slice(0, i)), prefix };
}

/** Special-purpose / non-public IPv4 space (RFC 6890 and friends) a public source never comes from. */
export function isSpecialIPv4(ip: number): boolean {
  const a = ip >>> 24;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return true;
  const ab = ip >>> 16;
  if ((ip & 0xffc00000) >>> 0 === 0x64400000) return true; // 100.64/10
  if (ab === 0xa9fe || ab === 0xc0a8) return true; // 169.254/16, 192.168/16
  if ((ip & 0xfff00000) >>> 0 === 0xac100000) return true; // 172.16/12
  if ((ip & 0xfffe0000) >>> 0 === 0xc6120000) return true; // 198.18/15
  const abc = ip >>> 8;
  return abc === 0xc00000 || abc === 0xc00002 || abc === 0xc05863 || abc === 0xc63364 || abc === 0xcb0071;
  // 192.0.0/24, 192.0.2/24, 192.88.99/24, 198.51.100/24, 203.0.113/24
}

function bytes(...parts: (number[] | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (let i = 0; i < p.length; i++) out.push(p.charCodeAt(i) & 0xff);
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

/** A DNS query message (txid 0 until patched). */
function dnsQuery(name: string, qtype: number, qclass: number, edns: boolean): Uint8Array {
  const q: number[] = [0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0];
  for (const label of name.split('.')) {
    q.push(label.length);
    for (let i = 0; i < label.length; i++) q.push(label.charCodeAt(i));
  }
  q.push(0, qtype >> 8, qtype & 255, qclass >> 8, qclass & 255);
  if (edns) q.push(0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0); // OPT, 4096-byte UDP payload
  return Uint8Array.from(q);
}

/** DER TLV. */
function tlv(tag: number, body: number[]): number[] {
  if (body.length > 127) throw new Error('long TLV not needed here');
  return [tag, body.length, ...body];
}

/** SNMPv2c GetRequest, community "public", sysDescr.0; request id at SNMP_REQID_OFFSET. */
function snmpGet(): Uint8Array {
  const oid = [0x2b, 6, 1, 2, 1, 1, 1, 0];
  const varbind = tlv(0x30, [...tlv(0x06, oid), 0x05, 0x00]);
  const pdu = tlv(0xa0, [...tlv(0x02, [0x12, 0x34, 0x56, 0x78]), ...tlv(0x02, [0]), ...tlv(0x02, [0]), ...tlv(0x30, varbind)]);
  const community = [...'public'].map((c) => c.charCodeAt(0));
  return Uint8Array.from(tlv(0x30, [...tlv(0x02, [1]), ...tlv(0x04, community), ...pdu]));
}
const SNMP_REQID_OFFSET = 17;

/** Common scanned TCP ports with weights; expanded into a 256-entry lookup table. */
const PORT_WEIGHTS: [number, number][] = [
  [23, 30], [22, 26], [80, 22], [443, 16], [445, 18], [3389, 16], [8080, 14], [5555, 8], [37215, 8], [52869, 6],
  [8728, 5], [6379, 6], [21, 6], [25, 5], [1433, 7], [3306, 6], [5900, 6], [8443, 6], [81, 5], [8000, 5],
  [2222, 4], [7547, 5], [9200, 3], [5432, 4], [8088, 3], [60001, 3], [2375, 3], [8888, 3], [1723, 2], [110, 2],
];
function portTable(): Uint16Array {
  const total = PORT_WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const t = new Uint16Array(256);
  let i = 0;
  let acc = 0;
  for (const [port, w] of PORT_WEIGHTS) {
    acc += w;
    const upto = Math.round((acc * 256) / total);
    while (i < upto) t[i++] = port;
  }
  while (i < 256) t[i++] = PORT_WEIGHTS[0][0];
  return t;
}
const PORTS = portTable();

const SSDP_MSEARCH = bytes('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n');
const SIP_OPTIONS = bytes(
  'OPTIONS sip:100@1.1.1.1 SIP/2.0\r\n' +
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2304170337;rport\r\n' +
    'Max-Forwards: 70\r\n' +
    'To: "sipvicious"<sip:100@1.1.1.1>\r\n' +
    'From: "sipvicious"<sip:100@1.1.1.1>;tag=6136353731323334\r\n' +
    'User-Agent: friendly-scanner\r\n' +
    'Call-ID: 1234567890\r\n' +
    'CSeq: 1 OPTIONS\r\n' +
    'Contact: <sip:100@127.0.0.1:5060>\r\n' +
    'Accept: application/sdp\r\n' +
    'Content-Length: 0\r\n\r\n',
);
const NTP_CLIENT = (() => {
  const b = new Uint8Array(48);
  b[0] = 0xe3; // LI 3 (unsynchronised), version 4, mode 3 (client)
  return b;
})();
const NTP_MONLIST = bytes([0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0]);
const WINDOWS_PING = bytes('abcdefghijklmnopqrstuvwabcdefghi');

// TCP option layouts.
/** Windows SYN: MSS 1460, NOP, WS 8, NOP, NOP, SACK-permitted (also ZMap ≥ 4.1 default). */
const OPT_WINDOWS = bytes([0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x08, 0x01, 0x01, 0x04, 0x02]);
/** MSS 1460 only (ZMap 3.0-4.0, nmap -sS). */
const OPT_MSS = bytes([0x02, 0x04, 0x05, 0xb4]);
/** MSS 1440 only (IPv6). */
const OPT_MSS6 = bytes([0x02, 0x04, 0x05, 0xa0]);
/** Linux SYN template: MSS, SACKOK, TS (val at 8, ecr at 12), NOP, WS 7. */
function linuxOptions(mss: number): Uint8Array {
  return bytes([0x02, 0x04, mss >> 8, mss & 255, 0x04, 0x02, 0x08, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x03, 0x03, 0x07]);
}

function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

/** The generator state: source pools, reused field objects, clock. */
class MixGenerator {
  private readonly rng: Rng;
  private readonly dnBase: number;
  private readonly dnMask: number;
  private readonly dnHostMask: number;
  private readonly dn6: Uint8Array;
  private readonly dn6Prefix: number;
  readonly startSec: number;
  sec: number;
  usec = 0;
  private readonly gapSpan: number;
  kind = 0;

  // Reused field objects and scratch payloads.
  private readonly link: LinkFields;
  private readonly arpLink: LinkFields;
  private readonly ip = ipv4Fields();
  private readonly inner = ipv4Fields();
  private readonly ip6 = ipv6Fields();
  private readonly tcp = tcpFields();
  private readonly innerTcp = tcpFields();
  private readonly udp = udpFields();
  private readonly innerUdp = udpFields();
  private readonly icmp = icmpFields();
  private readonly quoted = new Uint8Array(1600);
  private readonly optLinux = linuxOptions(1460);
  private readonly optLinux6 = linuxOptions(1440);
  private readonly optSynAckLinux = linuxOptions(1460);
  private readonly linuxPing = new Uint8Array(56);
  private readonly dnsTemplates: Uint8Array[];
  private readonly snmp = snmpGet();
  /** randomPayload[n]: scratch array of n bytes, refilled with random bytes when used. */
  private readonly randomPayload: Uint8Array[] = [];
  private readonly zeroMac = new Uint8Array(6);
  private readonly gatewayIp: number;

  // Source pools (typed arrays: bounded and allocation-free).
  private readonly scan: { ip: Uint32Array; os: Uint8Array; ttl: Uint8Array; win: Uint16Array; ipId: Uint16Array; ts: Uint32Array };
  private readonly bots: { ip: Uint32Array; win: Uint16Array; sport: Uint16Array; ttl: Uint8Array };
  private readonly mass: { ip: Uint32Array; sport: Uint16Array; ttl: Uint8Array; allPorts: Uint8Array };
  private readonly zmapC: { ip: Uint32Array; dport: Uint16Array; ttl: Uint8Array };
  private readonly zmapM: { ip: Uint32Array; dport: Uint16Array; ttl: Uint8Array };
  private readonly nmap: { ip: Uint32Array; seq: Uint32Array; sport: Uint16Array; hops: Uint8Array };
  private readonly hping: { ip: Uint32Array; dport: Uint16Array; sport: Uint16Array; ttl: Uint8Array };
  private readonly victims: { ip: Uint32Array; kind: Uint8Array; port: Uint16Array; os: Uint8Array; ttl: Uint8Array; ipId: Uint16Array; randomPorts: Uint8Array };
  private readonly udpSrc: { ip: Uint32Array; ttl: Uint8Array; df: Uint8Array };
  private readonly pingers: { ip: Uint32Array; os: Uint8Array; ttl: Uint8Array; echoId: Uint16Array; echoSeq: Uint16Array; ipId: Uint16Array };
  private readonly zmapIcmp: { ip: Uint32Array; ttl: Uint8Array };
  private readonly routers: { ip: Uint32Array; ttl: Uint8Array; tos: Uint8Array; quoteAll: Uint8Array };
  private readonly floodVictims: { ip: Uint32Array; tcpPort: Uint16Array; udpPort: Uint16Array; ttl: Uint8Array };
  private readonly v6: { ip: Uint8Array; hops: Uint8Array; linux: Uint8Array; ts: Uint32Array };

  constructor(opts: MixOptions) {
    this.rng = new Rng(opts.seed);
    const dn = parseCidr4(opts.darknet ?? '100.64.0.0/16');
    this.dnBase = dn.base;
    this.dnMask = dn.mask;
    this.dnHostMask = dn.hostMask;
    const dn6 = parseCidr6(opts.darknet6 ?? '2001:db8::/32');
    this.dn6 = dn6.base;
    this.dn6Prefix = dn6.prefix;
    this.startSec = this.sec = opts.startSec ?? 1767225600;
    const pps = opts.pps ?? 3000;
    if (!(pps > 0)) throw new RangeError(`pps must be positive, got ${pps}`);
    // Uniform gaps in [0, gapSpan) µs: mean ≈ 1e6 / pps.
    this.gapSpan = Math.max(1, Math.round(2e6 / pps));
    const vlan = opts.vlan ?? -1;
    this.link = linkFields({
      dstMac: Uint8Array.of(0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5e), // the telescope's capture NIC
      srcMac: Uint8Array.of(0x00, 0x1c, 0x73, 0x00, 0x00, 0x99), // upstream router
      vlan,
    });
    this.arpLink = linkFields({ dstMac: Uint8Array.of(255, 255, 255, 255, 255, 255), srcMac: this.link.srcMac, vlan });
    this.gatewayIp = (dn.base + (dn.hostMask > 1 ? 1 : 0)) >>> 0;
    this.dnsTemplates = [
      dnsQuery('version.bind', 16, 3, false), // TXT CH: resolver fingerprinting
      dnsQuery('example.com', 1, 1, false),
      dnsQuery('isc.org', 255, 1, true), // ANY + EDNS: amplification probe
      dnsQuery('google.com', 1, 1, true),
    ];
    for (let n = 0; n <= 64; n++) this.randomPayload.push(new Uint8Array(n));
    // Linux ping data after the timestamp: bytes 0x10..0x37.
    for (let i = 16; i < 56; i++) this.linuxPing[i] = i;

    const r = this.rng;
    const pub = (): number => this.randomPublic();
    const u32 = (n: number, f: (i: number) => number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => f(i));
    const u16 = (n: number, f: (i: number) => number): Uint16Array => Uint16Array.from({ length: n }, (_, i) => f(i));
    const u8 = (n: number, f: (i: number) => number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => f(i));

    {
      const n = 3000;
      const os = u8(n, () => (r.chance(0.6) ? 0 : 1));
      this.scan = {
        ip: u32(n, pub),
        os,
        ttl: u8(n, (i) => (os[i] === 0 ? 64 - r.range(0, 14) : 128 - r.range(0, 18))),
        win: u16(n, (i) => (os[i] === 0 || r.chance(0.5) ? 64240 : 65535)),
        ipId: u16(n, () => r.nextInt(65536)),
        ts: u32(n, () => r.nextU32()),
      };
    }
    {
      const n = 2000;
      this.bots = { ip: u32(n, pub), win: u16(n, () => r.nextInt(65536)), sport: u16(n, () => r.range(1024, 65535)), ttl: u8(n, () => 64 - r.range(3, 20)) };
    }
    {
      const n = 16;
      this.mass = { ip: u32(n, pub), sport: u16(n, () => 40000 + r.nextInt(20000)), ttl: u8(n, () => 255 - r.range(3, 20)), allPorts: u8(n, () => (r.chance(0.4) ? 1 : 0)) };
    }
    this.zmapC = { ip: u32(30, pub), dport: u16(30, () => PORTS[r.nextInt(256)]), ttl: u8(30, () => 255 - r.range(3, 20)) };
    this.zmapM = { ip: u32(10, pub), dport: u16(10, () => PORTS[r.nextInt(256)]), ttl: u8(10, () => 64 - r.range(3, 20)) };
    this.nmap = { ip: u32(40, pub), seq: u32(40, () => r.nextU32()), sport: u16(40, () => 33000 + r.nextInt(32261)), hops: u8(40, () => r.range(3, 15)) };
    this.hping = { ip: u32(8, pub), dport: u16(8, () => PORTS[r.nextInt(256)]), sport: u16(8, () => r.range(1024, 65000)), ttl: u8(8, () => 64 - r.range(3, 20)) };
    {
      // Backscatter victims: which kind of reply each one sends.
      const kinds = [Kind.bs_synack, Kind.bs_synack, Kind.bs_synack, Kind.bs_synack, Kind.bs_rstack, Kind.bs_rstack, Kind.bs_rstack, Kind.bs_rst, Kind.bs_echo_reply, Kind.bs_echo_reply];
      const n = kinds.length;
      const synackPorts = [80, 443, 8333, 22, 25, 3389, 53];
      const os = u8(n, () => r.nextInt(3)); // 0 Linux, 1 Windows, 2 MSS-only (appliance / SYN cookies)
      this.victims = {
        ip: u32(n, pub),
        kind: Uint8Array.from(kinds),
        port: u16(n, (i) => (kinds[i] === Kind.bs_synack ? synackPorts[i % synackPorts.length] : r.pick(synackPorts))),
        os,
        ttl: u8(n, (i) => (os[i] === 1 ? 128 : 64) - r.range(2, 20)),
        ipId: u16(n, () => r.nextInt(65536)),
        randomPorts: u8(n, () => (r.chance(0.5) ? 1 : 0)),
      };
    }
    {
      const n = 1500;
      this.udpSrc = { ip: u32(n, pub), ttl: u8(n, () => r.pick([64, 128, 255]) - r.range(2, 22)), df: u8(n, () => (r.chance(0.3) ? 1 : 0)) };
    }
    {
      const n = 500;
      const os = u8(n, () => (r.chance(0.7) ? 0 : 1));
      this.pingers = {
        ip: u32(n, pub),
        os,
        ttl: u8(n, (i) => (os[i] === 0 ? 64 : 128) - r.range(2, 20)),
        echoId: u16(n, (i) => (os[i] === 0 ? r.nextInt(65536) : 1)),
        echoSeq: u16(n, () => r.nextInt(100)),
        ipId: u16(n, () => r.nextInt(65536)),
      };
    }
    this.zmapIcmp = { ip: u32(10, pub), ttl: u8(10, () => 255 - r.range(3, 20)) };
    {
      const n = 300;
      this.routers = {
        ip: u32(n, pub),
        ttl: u8(n, () => (r.chance(0.6) ? 255 : 64) - r.range(2, 20)),
        tos: u8(n, () => (r.chance(0.5) ? 0xc0 : 0)),
        quoteAll: u8(n, () => (r.chance(0.3) ? 1 : 0)),
      };
    }
    {
      const n = 12;
      const udpPorts = [53, 123, 27015, 3074, 19, 1900, 11211];
      this.floodVictims = {
        ip: u32(n, pub),
        tcpPort: u16(n, () => r.pick([80, 443, 22, 25565, 8080])),
        udpPort: u16(n, () => (r.chance(0.7) ? r.pick(udpPorts) : r.range(1024, 65535))),
        ttl: u8(n, () => 64 - r.range(2, 20)),
      };
    }
    {
      const n = 200;
      const ip = new Uint8Array(n * 16);
      const prefixes = [0x2a00, 0x2a01, 0x2a02, 0x2400, 0x2600, 0x2001, 0x2a0e, 0x2604];
      for (let i = 0; i < n; i++) {
        r.fill(ip, i * 16, 16);
        const p = r.pick(prefixes);
        ip[i * 16] = p >> 8;
        ip[i * 16 + 1] = p & 255;
        if (p === 0x2001 && ip[i * 16 + 2] === 0x0d && ip[i * 16 + 3] === 0xb8) ip[i * 16 + 2] = 0x0e; // not 2001:db8::/32
      }
      this.v6 = { ip, hops: u8(n, () => r.range(2, 20)), linux: u8(n, () => (r.chance(0.8) ? 1 : 0)), ts: u32(n, () => r.nextU32()) };
    }
  }

  /** A random public IPv4 address outside the darknet. */
  private randomPublic(): number {
    for (;;) {
      const ip = this.rng.nextU32();
      if (!isSpecialIPv4(ip) && (ip & this.dnMask) >>> 0 !== this.dnBase) return ip;
    }
  }

  /** A uniformly random darknet address. */
  private darkAddr(): number {
    return (this.dnBase + ((this.rng.nextU32() & this.dnHostMask) >>> 0)) >>> 0;
  }

  /** Milliseconds since the start of the capture (for TCP timestamps). */
  private elapsedMs(): number {
    return (this.sec - this.startSec) * 1000 + Math.floor(this.usec / 1000);
  }

  /** Advance the clock by a random gap (timestamps never decrease). */
  tick(): void {
    let u = this.usec + this.rng.nextInt(this.gapSpan);
    if (u >= 1000000) {
      const s = Math.floor(u / 1000000);
      this.sec += s;
      u -= s * 1000000;
    }
    this.usec = u;
  }

  /** Build one packet of a random category into b at off; sets this.kind, returns the frame length. */
  emit(b: Uint8Array, off: number): number {
    let r = this.rng.nextInt(10000);
    if ((r -= 2500) < 0) return this.tcpScan(b, off);
    if ((r -= 1500) < 0) return this.mirai(b, off);
    if ((r -= 1000) < 0) return this.masscan(b, off);
    if ((r -= 1000) < 0) return this.zmap(b, off);
    if ((r -= 400) < 0) return this.nmapSyn(b, off);
    if ((r -= 200) < 0) return this.hping3(b, off);
    if ((r -= 1200) < 0) return this.backscatter(b, off);
    if ((r -= 1000) < 0) return this.udpProbe(b, off);
    if ((r -= 600) < 0) return this.icmpEcho(b, off);
    if ((r -= 400) < 0) return this.icmpError(b, off);
    if ((r -= 100) < 0) return this.ipv6Syn(b, off);
    return this.arp(b, off);
  }

  private tcpScan(b: Uint8Array, off: number): number {
    const r = this.rng;
    const s = this.scan;
    const i = r.skewed(s.ip.length);
    const ip = this.ip;
    const tcp = this.tcp;
    ip.src = s.ip[i];
    ip.dst = this.darkAddr();
    ip.ttl = s.ttl[i];
    ip.df = true;
    ip.tos = 0;
    tcp.dport = r.chance(0.8) ? PORTS[r.nextInt(256)] : r.range(1, 65535);
    tcp.seq = r.nextU32();
    tcp.ack = 0;
    tcp.flags = TH_SYN;
    tcp.window = s.win[i];
    tcp.payload = null;
    if (s.os[i] === 0) {
      this.kind = Kind.syn_linux;
      ip.id = r.nextInt(65536);
      tcp.sport = r.range(32768, 60999);
      put32(this.optLinux, 8, (s.ts[i] + this.elapsedMs()) >>> 0);
      tcp.options = this.optLinux;
    } else {
      this.kind = Kind.syn_windows;
      s.ipId[i] += 1 + r.nextInt(8); // global counter (other traffic in between)
      ip.id = s.ipId[i];
      tcp.sport = r.range(49152, 65535);
      tcp.options = OPT_WINDOWS;
    }
    return frameIPv4Tcp(b, off, this.link, ip, tcp);
  }

  private mirai(b: Uint8Array, off: number): number {
    const r = this.rng;
    const s = this.bots;
    const i = r.nextInt(s.ip.length);
    const ip = this.ip;
    const tcp = this.tcp;
    this.kind = Kind.mirai;
    ip.src = s.ip[i];
    ip.dst = this.darkAddr();
    ip.ttl = s.ttl[i];
    ip.id = r.nextInt(65536);
    ip.df = false;
    ip.tos = 0;
    tcp.sport = s.sport[i];
    tcp.dport = r.nextInt(10) === 0 ? 2323 : 23;
    tcp.seq = ip.dst;
    tcp.ack = 0;
    tcp.flags = TH_SYN;
    tcp.window = s.win[i];
    tcp.options = null;
    tcp.payload = null;
    return frameIPv4Tcp(b, off, this.link, ip, tcp);
  }

  private masscan(b: Uint8Array, off: number): number {
    const r = this.rng;
    const s = this.mass;
    const i = r.skewed(s.ip.length);
    const ip = this.ip;
    const tcp = this.tcp;
    this.kind = Kind.masscan;
    ip.src = s.ip[i];
    ip.dst = this.darkAddr();
    ip.ttl = s.ttl[i];
    ip.df = false;
    ip.tos = 0;
    tcp.sport = s.sport[i];
    tcp.dport = s.allPorts[i] ? r.range(1, 65535) : PORTS[r.nextInt(256)];
    tcp.seq = r.nextU32();
    ip.id = ((ip.dst ^ tcp.dport ^ tcp.seq) >>> 0) & 0xffff;
    tcp.ack = 0;
    tcp.flags = TH_SYN;
    tcp.window = 1024;
    tcp.options = null;
    tcp.payload = null;
    return frameIPv4Tcp(b, off, this.link, ip, tcp);
  }

  private zmap(b: Uint8Array, off: number): number {
    const r = this.rng;
    const ip = this.ip;
    const tcp = this.tcp;
    const modern = r.nextInt(4) === 0;
    const s = modern ? this.zmapM : this.zmapC;
    const i = r.skewed(s.ip.length);
    ip.src = s.ip[i];
    ip.dst = this.darkAddr();
    ip.ttl = s.ttl[i];
    ip.df = false;
    ip.tos = 0;
    tcp.sport = r.range(32768, 61000);
    tcp.dport = s.dport[i];
    tcp.seq = r.nextU32();
    tcp.ack = 0;
    tcp.flags = TH_SYN;
    tcp.window = 65535;
    tcp.payload = null;
    if (modern) {
      this.kind = Kind.zmap_modern;
      ip.id = r.nextInt(65536);
      tcp.options = OPT_WINDOWS;
    } else {
      this.kind = Kind.zmap_classic;
      ip.id = 54321;
      tcp.options = OPT_MSS;
    }
    return frameIPv4Tcp(b, off, this.link, ip, tcp);
  }

  private nmapSyn(b: Uint8Array, off: number): number {
    const r = this.rng;
    const s = this.nmap;
    const i = r.skewed(s.ip.length);
    const ip = this.ip;
    const tcp = this.tcp;
    this.kind = Kind.nmap;
    ip.src = s.ip[i];
    ip.dst = this.darkAddr();
    ip.ttl = r.range(37, 59) - s.hops[i];
    ip.id = r.nextInt(65536);
    ip.df = false;
    ip.tos = 0;
    tcp.sport = s.sport[i];
    tcp.dport = r.chance(0.7) ? PORTS[r.nextInt(256)] : r.range(1, 65535);
    tcp.seq = s.seq[i];
    tcp.ack = 0;
    tcp.flags = TH_SYN;
    tcp.window = 1024;
    tcp.options = OPT_MSS;
    tcp.payload = null;
    return frameIPv4Tcp(b, off, this.link, ip, tcp);
  }

  private hping3(b: Uint8Array, off: number): number {
    const r = this.rng;
    const s = this.hping;
    const i = r.nextInt(s.ip.length);
    const ip = this.ip;
    const tcp = this.tcp;
    this.kind = Kind.hping3;
    ip.src = s.ip[i];
    ip.dst = this.darkAddr();
    ip.ttl = s.ttl[i];
    ip.id = r.nextInt(65536);
    ip.df = false;
    ip.tos = 0;
    s.sport[i]++; // hping3 increments the source port per packet
    tcp.sport = s.sport[i];
    tcp.dport = s.dport[i];
    tcp.seq = r.nextU32();
    tcp.ack = 0;
    tcp.flags = TH_SYN;
    tcp.window = 512;
    tcp.options = null;
    tcp.payload = null;
    return frameIPv4Tcp(b, off, this.link, ip, tcp);
  }

  private backscatter(b: Uint8Array, off: number): number {
    const r = this.rng;
    const v = this.victims;
    const i = r.skewed(v.ip.length);
    const ip = this.ip;
    const kind = v.kind[i];
    const os = v.os[i];
    this.kind = kind;
    ip.src = v.ip[i];
    ip.dst = this.darkAddr(); // the spoofed source of the attack packet
    ip.ttl = v.ttl[i];
    ip.tos = 0;
    // TCP replies carry DF; Linux TCP replies have IP id 0, Windows increments a counter.
    ip.df = kind !== Kind.bs_echo_reply;
    if (os === 1) {
      v.ipId[i] += 1 + r.nextInt(4);
      ip.id = v.ipId[i];
    } else {
      ip.id = kind === Kind.bs_echo_reply ? r.nextInt(65536) : 0;
    }
    if (kind === Kind.bs_echo_reply) {
      const icmp = this.icmp;
      const data = this.randomPayload[r.pick(ECHO_SIZES)];
      r.fill(data, 0, data.length);
      icmp.type = 0;
      icmp.code = 0;
      icmp.rest = r.nextU32();
      icmp.data = data;
      icmp.dataLen = data.length;
      return frameIPv4Icmp(b, off, this.link, ip, icmp);
    }
    const tcp = this.tcp;
    tcp.sport = v.randomPorts[i] && kind !== Kind.bs_synack ? r.range(1, 65535) : v.port[i];
    tcp.dport = r.range(1024, 65535);
    tcp.payload = null;
    tcp.options = null;
    if (kind === Kind.bs_synack) {
      tcp.flags = TH_SYN | TH_ACK;
      tcp.seq = r.nextU32();
      tcp.ack = r.nextU32();
      if (os === 0) {
        tcp.window = 65160;
        const o = this.optSynAckLinux;
        put32(o, 8, r.nextU32());
        put32(o, 12, r.nextU32());
        tcp.options = o;
      } else if (os === 1) {
        tcp.window = 65535;
        tcp.options = OPT_WINDOWS;
      } else {
        tcp.window = 29200;
        tcp.options = OPT_MSS;
      }
    } else if (kind === Kind.bs_rstack) {
      // Closed port answering a spoofed SYN: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>.
      tcp.flags = TH_RST | TH_ACK;
      tcp.seq = 0;
      tcp.ack = r.nextU32();
      tcp.window = 0;
    } else {
      // Closed port answering a spoofed ACK: <SEQ=SEG.ACK><CTL=RST>.
      tcp.flags = TH_RST;
      tcp.seq = r.nextU32();
      tcp.ack = 0;
      tcp.window = 0;
    }
    return frameIPv4Tcp(b, off, this.link, ip, tcp);
  }

  private udpProbe(b: Uint8Array, off: number): number {
    const r = this.rng;
    const s = this.udpSrc;
    const i = r.skewed(s.ip.length);
    const ip = this.ip;
    const udp = this.udp;
    ip.src = s.ip[i];
    ip.dst = this.darkAddr();
    ip.ttl = s.ttl[i];
    ip.id = r.nextInt(65536);
    ip.df = s.df[i] === 1;
    ip.tos = 0;
    udp.sport = r.range(1024, 65535);
    const x = r.nextInt(100);
    if (x < 30) {
      this.kind = Kind.udp_dns;
      const q = this.dnsTemplates[r.nextInt(this.dnsTemplates.length)];
      const txid = r.nextInt(65536);
      q[0] = txid >>> 8;
      q[1] = txid;
      udp.dport = 53;
      udp.payload = q;
    } else if (x < 45) {
      this.kind = Kind.udp_ntp;
      udp.dport = 123;
      udp.payload = r.chance(0.5) ? NTP_CLIENT : NTP_MONLIST;
    } else if (x < 55) {
      this.kind = Kind.udp_ssdp;
      udp.dport = 1900;
      udp.payload = SSDP_MSEARCH;
    } else if (x < 67) {
      this.kind = Kind.udp_snmp;
      put32(this.snmp, SNMP_REQID_OFFSET, r.range(0x01000000, 0x7fffffff));
      udp.dport = 161;
      udp.payload = this.snmp;
    } else if (x < 80) {
      this.kind = Kind.udp_sip;
      udp.sport = 5060;
      udp.dport = 5060;
      udp.payload = SIP_OPTIONS;
    } else {
      this.kind = Kind.udp_other;
      const p = this.randomPayload[r.nextInt(33)];
      r.fill(p, 0, p.length);
      udp.dport = r.range(1024, 65535);
      udp.payload = p;
    }
    return frameIPv4Udp(b, off, this.link, ip, udp);
  }

  private icmpEcho(b: Uint8Array, off: number): number {
    const r = this.rng;
    const ip = this.ip;
    const icmp = this.icmp;
    ip.dst = this.darkAddr();
    ip.tos = 0;
    icmp.type = 8;
    icmp.code = 0;
    if (r.nextInt(4) === 0) {
      // ZMap icmp_echoscan ≤ 4.0: IP id 54321, TTL 255, id/seq from the validation word, no data.
      const s = this.zmapIcmp;
      const i = r.nextInt(s.ip.length);
      this.kind = Kind.icmp_echo_zmap;
      ip.src = s.ip[i];
      ip.ttl = s.ttl[i];
      ip.id = 54321;
      ip.df = false;
      icmp.rest = r.nextU32();
      icmp.data = null;
      icmp.dataLen = 0;
    } else {
      const s = this.pingers;
      const i = r.skewed(s.ip.length);
      this.kind = Kind.icmp_echo;
      ip.src = s.ip[i];
      ip.ttl = s.ttl[i];
      s.echoSeq[i]++;
      icmp.rest = ((s.echoId[i] << 16) | s.echoSeq[i]) >>> 0;
      if (s.os[i] === 0) {
        // iputils ping: DF, random IP id, 56 bytes = struct timeval (16, little-endian) + 0x10..0x37.
        ip.id = r.nextInt(65536);
        ip.df = true;
        const d = this.linuxPing;
        const sec = this.sec;
        const usec = this.usec;
        d[0] = sec;
        d[1] = sec >>> 8;
        d[2] = sec >>> 16;
        d[3] = sec >>> 24;
        d[4] = d[5] = d[6] = d[7] = 0;
        d[8] = usec;
        d[9] = usec >>> 8;
        d[10] = usec >>> 16;
        d[11] = d[12] = d[13] = d[14] = d[15] = 0;
        icmp.data = d;
        icmp.dataLen = 56;
      } else {
        // Windows ping: no DF, incrementing IP id, 32 bytes "abc…".
        s.ipId[i] += 1 + r.nextInt(16);
        ip.id = s.ipId[i];
        ip.df = false;
        icmp.data = WINDOWS_PING;
        icmp.dataLen = 32;
      }
    }
    return frameIPv4Icmp(b, off, this.link, ip, icmp);
  }

  private icmpError(b: Uint8Array, off: number): number {
    const r = this.rng;
    const ip = this.ip;
    const inner = this.inner;
    const icmp = this.icmp;
    const fv = this.floodVictims;
    const vi = r.skewed(fv.ip.length);
    const x = r.nextInt(100);
    const dark = this.darkAddr();
    // The quoted packet: an attack packet whose (spoofed) source is this darknet address.
    inner.src = dark;
    inner.dst = fv.ip[vi];
    inner.id = r.nextInt(65536);
    inner.df = false;
    inner.tos = 0;
    inner.ttl = r.range(30, 60);
    let udpInner = r.chance(0.5);
    let quoteAll: boolean;
    ip.dst = dark;
    ip.id = r.nextInt(65536);
    ip.df = false;
    icmp.rest = 0;
    if (x < 25) {
      // Port unreachable from the victim host itself (Linux: TOS 0xc0, quotes the whole packet).
      this.kind = Kind.icmp_unreach_port;
      icmp.type = 3;
      icmp.code = 3;
      udpInner = true;
      ip.src = fv.ip[vi];
      ip.ttl = fv.ttl[vi];
      ip.tos = 0xc0;
      quoteAll = true;
    } else {
      const rt = this.routers;
      const ri = r.nextInt(rt.ip.length);
      ip.src = rt.ip[ri];
      ip.ttl = rt.ttl[ri];
      ip.tos = rt.tos[ri];
      quoteAll = rt.quoteAll[ri] === 1;
      if (x < 55) {
        this.kind = Kind.icmp_unreach_host;
        icmp.type = 3;
        icmp.code = 1;
      } else if (x < 75) {
        this.kind = Kind.icmp_unreach_admin;
        icmp.type = 3;
        icmp.code = 13;
      } else {
        this.kind = Kind.icmp_time_exceeded;
        icmp.type = 11;
        icmp.code = 0;
        inner.ttl = 1; // as the router saw it when it expired
      }
    }
    let len: number;
    if (udpInner) {
      const u = this.innerUdp;
      u.sport = r.range(1024, 65535);
      u.dport = fv.udpPort[vi];
      const p = this.randomPayload[r.nextInt(65)];
      r.fill(p, 0, p.length);
      u.payload = p;
      len = ipv4Udp(this.quoted, 0, inner, u);
    } else {
      const t = this.innerTcp;
      t.sport = r.range(1024, 65535);
      t.dport = fv.tcpPort[vi];
      t.seq = r.nextU32();
      t.ack = 0;
      t.flags = TH_SYN;
      t.window = r.pick(FLOOD_WINDOWS);
      t.options = null;
      t.payload = null;
      len = ipv4Tcp(this.quoted, 0, inner, t);
    }
    icmp.data = this.quoted;
    icmp.dataLen = quoteAll ? Math.min(len, 548) : 28; // RFC 792: IP header + 64 bits; RFC 1812 / Linux: as much as fits
    return frameIPv4Icmp(b, off, this.link, ip, icmp);
  }

  private ipv6Syn(b: Uint8Array, off: number): number {
    const r = this.rng;
    const s = this.v6;
    const i = r.skewed(s.hops.length);
    const ip6 = this.ip6;
    const tcp = this.tcp;
    this.kind = Kind.ipv6_syn;
    const src = ip6.src;
    const base = i * 16;
    for (let k = 0; k < 16; k++) src[k] = s.ip[base + k];
    // Destination: the darknet prefix, random host bits.
    const dst = ip6.dst;
    r.fill(dst, 0, 16);
    const pfx = this.dn6Prefix;
    const full = pfx >>> 3;
    for (let k = 0; k < full; k++) dst[k] = this.dn6[k];
    if (pfx & 7) {
      const m = (0xff << (8 - (pfx & 7))) & 0xff;
      dst[full] = (this.dn6[full] & m) | (dst[full] & ~m & 0xff);
    }
    ip6.hopLimit = 64 - s.hops[i];
    ip6.trafficClass = 0;
    tcp.sport = r.range(32768, 60999);
    tcp.dport = r.chance(0.8) ? PORTS[r.nextInt(256)] : r.range(1, 65535);
    tcp.seq = r.nextU32();
    tcp.ack = 0;
    tcp.flags = TH_SYN;
    tcp.payload = null;
    if (s.linux[i]) {
      ip6.flowLabel = r.nextInt(0x100000);
      tcp.window = 64800;
      put32(this.optLinux6, 8, (s.ts[i] + this.elapsedMs()) >>> 0);
      tcp.options = this.optLinux6;
    } else {
      ip6.flowLabel = 0;
      tcp.window = 65535;
      tcp.options = OPT_MSS6;
    }
    return frameIPv6Tcp(b, off, this.link, ip6, tcp);
  }

  private arp(b: Uint8Array, off: number): number {
    this.kind = Kind.arp;
    // The upstream router resolving a darknet address nobody answers for.
    return frameArp(b, off, this.arpLink, 1, this.link.srcMac, this.gatewayIp, this.zeroMac, this.darkAddr());
  }
}

const ECHO_SIZES = [0, 8, 32, 56, 64];
const FLOOD_WINDOWS = [512, 1024, 8192, 14600, 65535];

/** Write `packets` packets of the mix to `out`; returns what was written. */
export function generateMix(opts: MixOptions): MixResult {
  const n = opts.packets;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`packets must be a non-negative integer, got ${n}`);
  const gen = new MixGenerator(opts);
  const kinds = new Float64Array(KIND_NAMES.length);
  const labels = opts.labels ? new Uint8Array(n) : undefined;
  const w = new PcapWriter(opts.out, { bufferSize: opts.bufferSize });
  const firstTs = gen.sec;
  try {
    for (let i = 0; i < n; i++) {
      if (i > 0) gen.tick();
      const off = w.begin(MAX_FRAME);
      const len = gen.emit(w.buf, off);
      w.end(gen.sec, gen.usec, len);
      kinds[gen.kind]++;
      if (labels) labels[i] = gen.kind;
    }
  } finally {
    w.close();
  }
  const counts = Object.fromEntries(CATEGORY_NAMES.map((c) => [c, 0])) as Record<CategoryName, number>;
  const kindCounts = {} as Record<KindName, number>;
  KIND_NAMES.forEach((k, i) => {
    kindCounts[k] = kinds[i];
    counts[CATEGORY_NAMES[KIND_CATEGORY[i]]] += kinds[i];
  });
  const res: MixResult = {
    out: opts.out,
    packets: w.packets,
    bytes: w.bytes,
    counts,
    kinds: kindCounts,
    firstTs: n > 0 ? firstTs : 0,
    lastTs: n > 0 ? gen.sec + gen.usec / 1e6 : 0,
  };
  if (labels) res.labels = labels;
  return res;
}
