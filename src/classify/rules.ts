/**
 * The classification rules as data: every traffic kind, tool fingerprint,
 * corsaro3 filter and composite tag with its bit, its exact condition in
 * words, where it comes from and how firmly (the tags of docs/methods.md:
 * SRC = read in the primary source, 2ND = secondary source, UNCONFIRMED,
 * DERIVED = derived from a source by us). Reports print these tables so
 * every number can cite its method; classifier.ts implements them.
 */

export type Confidence = 'SRC' | '2ND' | 'UNCONFIRMED' | 'DERIVED';

export interface RuleInfo {
  /** Name used in output (JSON keys, reports). */
  label: string;
  bit: number;
  condition: string;
  source: string;
  confidence: Confidence;
}

/** Version of this rule set; bump when a rule's meaning changes (stored with results). */
export const METHODS_VERSION = 'darkscope-methods/1 (docs/methods.md: zmap@8de8833d, masscan@2be4093b, Mirai@4889a6f7, nmap@db4aefdd, corsaro3@9e899dae, darknet-events@74f9f7db)';

// ---- traffic kinds (PacketBatch.kind) ----

export const TrafficKind = {
  OTHER: 0,
  TCP_SYN: 1,
  UDP: 2,
  ICMP_ECHO: 3,
  BACKSCATTER: 4,
  TCP_OTHER: 5,
} as const;

export const KIND_RULES: readonly RuleInfo[] = [
  { label: 'other', bit: TrafficKind.OTHER, condition: 'anything else: not IP, non-first fragments, other protocols and ICMP types', source: 'darkscope', confidence: 'DERIVED' },
  { label: 'tcp-syn', bit: TrafficKind.TCP_SYN, condition: 'TCP with SYN and without ACK, RST, FIN (PSH/URG/ECE/CWR allowed)', source: 'methods.md §0 conventions', confidence: 'SRC' },
  { label: 'udp', bit: TrafficKind.UDP, condition: 'UDP (corsaro3 never treats UDP as backscatter)', source: 'corsaro3 libcorsaro_plugin.c corsaro_is_backscatter_packet', confidence: 'SRC' },
  { label: 'icmp-echo', bit: TrafficKind.ICMP_ECHO, condition: 'ICMP echo request (type 8; ICMPv6 128)', source: 'RFC 792 / RFC 4443', confidence: 'SRC' },
  { label: 'backscatter', bit: TrafficKind.BACKSCATTER, condition: 'TCP (SYN and ACK) or RST; ICMP types 0, 3, 4, 5, 11, 12, 14, 16, 18 (ICMPv6: 129 and errors 1–4, by analogy)', source: 'corsaro3 libcorsaro_plugin.c:491-537 (corsaro_is_backscatter_packet)', confidence: 'SRC' },
  { label: 'tcp-other', bit: TrafficKind.TCP_OTHER, condition: 'TCP that is neither a SYN probe nor backscatter (ACK, FIN, …)', source: 'darkscope', confidence: 'DERIVED' },
];

/** What a DoS victim sent back (PacketBatch.response); the attack type follows from it (methods.md §3.1). */
export const Response = {
  NONE: 0,
  SYN_ACK: 1,
  RST_ACK: 2,
  RST: 3,
  ECHO_REPLY: 4,
  UNREACHABLE: 5,
  SOURCE_QUENCH: 6,
  REDIRECT: 7,
  TIME_EXCEEDED: 8,
  PARAMETER_PROBLEM: 9,
  TIMESTAMP_REPLY: 10,
  INFO_REPLY: 11,
  MASK_REPLY: 12,
  PACKET_TOO_BIG: 13,
} as const;

export const RESPONSE_NAMES: Record<number, string> = {
  0: '', 1: 'syn-ack', 2: 'rst-ack', 3: 'rst', 4: 'echo-reply', 5: 'unreachable', 6: 'source-quench', 7: 'redirect',
  8: 'time-exceeded', 9: 'parameter-problem', 10: 'timestamp-reply', 11: 'info-reply', 12: 'mask-reply', 13: 'packet-too-big',
};

// ---- tool fingerprints (PacketBatch.tools bits) ----

export const ToolBit = {
  MIRAI: 1,
  ZMAP: 2,
  ZMAP4: 4,
  MASSCAN: 8,
  MASSCAN_SHAPE: 16,
  NMAP: 32,
  HPING3: 64,
} as const;

export interface ToolRule extends RuleInfo {
  /** The scanner family a label belongs to (zmap and zmap4 are both ZMap). */
  tool: string;
}

export const TOOL_RULES: readonly ToolRule[] = [
  { label: 'mirai', tool: 'Mirai', bit: ToolBit.MIRAI, condition: 'TCP SYN with seq = destination IPv4 address', source: 'Mirai scanner.c:225 (jgamblin/Mirai-Source-Code@4889a6f7); darknet-events annotate.go:334; NPA', confidence: 'SRC' },
  { label: 'zmap', tool: 'ZMap', bit: ToolBit.ZMAP, condition: 'probe (TCP SYN, UDP or ICMP echo) with IPv4 ID 54321 (ZMap ≤ 4.0)', source: 'zmap packet.c:91 (make_ip_header, all probe modules); darknet-events annotate.go:300-336', confidence: 'SRC' },
  { label: 'zmap4', tool: 'ZMap', bit: ToolBit.ZMAP4, condition: 'TCP SYN, window 65535, options exactly 02 04 05 b4 01 03 03 08 01 01 04 02, DF clear, TTL ≤ 64, IPv4 total length 52 (ZMap ≥ 4.1 default probe)', source: 'zmap module_tcp_synscan.c:39-84, packet.c (fields [SRC]); as a classifier', confidence: 'UNCONFIRMED' },
  { label: 'masscan', tool: 'Masscan', bit: ToolBit.MASSCAN, condition: 'TCP SYN with IPv4 ID = (dst ^ dport ^ seq) & 0xffff', source: 'masscan templ-pkt.c:942 (2be4093b); darknet-events annotate.go:331', confidence: 'SRC' },
  { label: 'masscan-shape', tool: 'Masscan', bit: ToolBit.MASSCAN_SHAPE, condition: 'TCP SYN, TTL ≥ 200, window 1024, no options (masscan ≤ 1.3.2 template; = corsaro3 large-scale-scan)', source: 'masscan templ-pkt.c:39-54; corsaro3 libcorsaro_filtering.c large-scale-scan', confidence: 'SRC' },
  { label: 'nmap', tool: 'Nmap', bit: ToolBit.NMAP, condition: 'TCP SYN, window 1024, options exactly MSS 1460 (02 04 05 b4), IPv4 total length 44, DF clear, TTL ≤ 59', source: 'nmap tcpip.cc:532-607, nmap.h:162-164 (db4aefdd) for the fields; as a classifier', confidence: 'UNCONFIRMED' },
  { label: 'hping3', tool: 'hping3', bit: ToolBit.HPING3, condition: 'TCP SYN, window 512, no options (hping3 default DEFAULT_SRCWINSIZE)', source: 'hping3 hping2.h DEFAULT_SRCWINSIZE 512 (lab truth hping3_rand_dest_syn)', confidence: 'DERIVED' },
];

// ---- corsaro3 elementary filters (PacketBatch.filters bits) ----

export const FilterBit = {
  TTL_200: 1 << 0,
  TCPWIN_1024: 1 << 1,
  NO_TCP_OPTIONS: 1 << 2,
  TTL_200_NONSPOOFED: 1 << 3,
  FRAGMENT: 1 << 4,
  LAST_SRC_IP_0: 1 << 5,
  LAST_SRC_IP_255: 1 << 6,
  SAME_SRC_DEST_IP: 1 << 7,
  UDP_PORT_0: 1 << 8,
  TCP_PORT_0: 1 << 9,
  UDP_DESTPORT_80: 1 << 10,
  UDP_0X31: 1 << 11,
  SIP_STATUS: 1 << 12,
  UDP_IPLEN_96: 1 << 13,
  UDP_IPLEN_1500: 1 << 14,
  PORT_53: 1 << 15,
  TCP_PORT_23: 1 << 16,
  TCP_PORT_80: 1 << 17,
  TCP_PORT_5000: 1 << 18,
  DNS_RESP_NONSTANDARD: 1 << 19,
  NETBIOS_QUERY_NAME: 1 << 20,
  BACKSCATTER: 1 << 21,
  RFC5735: 1 << 22,
  ABNORMAL_PROTOCOL: 1 << 23,
  BITTORRENT: 1 << 24,
  NOTIP: 1 << 25,
} as const;

const CF = 'corsaro3 libcorsaro_filtering.c (9e899dae)';

export const FILTER_RULES: readonly RuleInfo[] = [
  { label: 'ttl-200', bit: FilterBit.TTL_200, condition: 'protocol not ICMP and TTL ≥ 200', source: `${CF}:69-83`, confidence: 'SRC' },
  { label: 'tcpwin-1024', bit: FilterBit.TCPWIN_1024, condition: 'TCP SYN without ACK, window 1024', source: `${CF}:93-105`, confidence: 'SRC' },
  { label: 'no-tcp-options', bit: FilterBit.NO_TCP_OPTIONS, condition: 'TCP SYN without ACK, data offset 5', source: `${CF}:107-118`, confidence: 'SRC' },
  { label: 'ttl-200-nonspoofed', bit: FilterBit.TTL_200_NONSPOOFED, condition: 'ttl-200 and not (tcpwin-1024 and no-tcp-options)', source: `${CF}:120-141`, confidence: 'SRC' },
  { label: 'fragmented', bit: FilterBit.FRAGMENT, condition: '(ip_off & 0x9fff) ≠ 0: fragment offset or reserved bit (MF alone does not match)', source: `${CF}:143-155`, confidence: 'SRC' },
  { label: 'last-byte-src-0', bit: FilterBit.LAST_SRC_IP_0, condition: 'source address ends in .0', source: `${CF}:157-170`, confidence: 'SRC' },
  { label: 'last-byte-src-255', bit: FilterBit.LAST_SRC_IP_255, condition: 'source address ends in .255', source: `${CF}:172-185`, confidence: 'SRC' },
  { label: 'same-src-dst', bit: FilterBit.SAME_SRC_DEST_IP, condition: 'source = destination', source: `${CF}:187-198`, confidence: 'SRC' },
  { label: 'udp-port-0', bit: FilterBit.UDP_PORT_0, condition: 'UDP with source or destination port 0', source: `${CF}:200-216`, confidence: 'SRC' },
  { label: 'tcp-port-0', bit: FilterBit.TCP_PORT_0, condition: 'TCP with source or destination port 0', source: `${CF}:218-234`, confidence: 'SRC' },
  { label: 'udp-destport-80', bit: FilterBit.UDP_DESTPORT_80, condition: 'UDP to port 80', source: `${CF}:236-252`, confidence: 'SRC' },
  { label: 'udp-0x31', bit: FilterBit.UDP_0X31, condition: 'UDP, IP length 58, payload starts 00×8 31 00', source: `${CF}:254-277`, confidence: 'SRC' },
  { label: 'sip-status', bit: FilterBit.SIP_STATUS, condition: 'UDP 5060 → 5060, payload starts "SIP/2.0"', source: `${CF}:279-298`, confidence: 'SRC' },
  { label: 'udp-ip-len-96', bit: FilterBit.UDP_IPLEN_96, condition: 'UDP with IP total length 96', source: `${CF}:300-312`, confidence: 'SRC' },
  { label: 'udp-ip-len-1500', bit: FilterBit.UDP_IPLEN_1500, condition: 'UDP with IP total length 1500', source: `${CF}:314-326`, confidence: 'SRC' },
  { label: 'port-53', bit: FilterBit.PORT_53, condition: 'source or destination port 53 (for ICMP the "ports" are type and code)', source: `${CF}:328-336`, confidence: 'SRC' },
  { label: 'tcp-port-23', bit: FilterBit.TCP_PORT_23, condition: 'TCP from or to port 23', source: `${CF}:338-369`, confidence: 'SRC' },
  { label: 'tcp-port-80', bit: FilterBit.TCP_PORT_80, condition: 'TCP from or to port 80', source: `${CF}:338-369`, confidence: 'SRC' },
  { label: 'tcp-port-5000', bit: FilterBit.TCP_PORT_5000, condition: 'TCP from or to port 5000', source: `${CF}:338-369`, confidence: 'SRC' },
  { label: 'dns-resp-non-standard', bit: FilterBit.DNS_RESP_NONSTANDARD, condition: 'UDP, IP length > 42, payload ≥ 12, (flags & 0xfff0) = 0x8180, each count < 10', source: `${CF}:371-414`, confidence: 'SRC' },
  { label: 'netbios-query-name', bit: FilterBit.NETBIOS_QUERY_NAME, condition: 'UDP 137 → 137, IP length > 48, payload ≥ 20, words 6..9 = 2043 4b41 4141 4141', source: `${CF}:416-453`, confidence: 'SRC' },
  { label: 'backscatter', bit: FilterBit.BACKSCATTER, condition: 'UDP from port 53; ICMP types 0, 3, 4, 5, 11, 12, 14, 16, 18; TCP (SYN and ACK) or RST', source: `${CF}:455-485`, confidence: 'SRC' },
  { label: 'rfc5735', bit: FilterBit.RFC5735, condition: 'source in 0/8, 10/8, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4', source: `${CF}:487-574`, confidence: 'SRC' },
  { label: 'abnormal-protocol', bit: FilterBit.ABNORMAL_PROTOCOL, condition: 'protocol not ICMP, UDP, TCP or 41; TCP unless flags (SYN ACK FIN PSH RST URG) are exactly SYN, ACK, RST, FIN, SYN+FIN, SYN+ACK, FIN+ACK, ACK+PSH or FIN+ACK+PSH', source: `${CF}:576-659`, confidence: 'SRC' },
  { label: 'bittorrent', bit: FilterBit.BITTORRENT, condition: 'UDP payload patterns of BitTorrent DHT (bencode), handshake, uTP', source: `${CF}:661-729`, confidence: 'SRC' },
  { label: 'not-ip', bit: FilterBit.NOTIP, condition: 'no IPv4 header (corsaro3 has no IPv6 filters: IPv6 packets are not-ip to it)', source: `${CF} _apply_notip_filter`, confidence: 'SRC' },
];

// ---- composite tags (PacketBatch.tags bits; corsaro3 tag bit values) ----

export const SpoofTag = {
  SPOOFED: 1,
  ERRATIC: 2,
  NONROUTABLE: 4,
  LARGE_SCALE_SCAN: 8,
} as const;

const SPOOFED_PARTS = FilterBit.ABNORMAL_PROTOCOL | FilterBit.TTL_200_NONSPOOFED | FilterBit.FRAGMENT | FilterBit.LAST_SRC_IP_0 | FilterBit.LAST_SRC_IP_255 | FilterBit.SAME_SRC_DEST_IP | FilterBit.UDP_PORT_0 | FilterBit.TCP_PORT_0 | FilterBit.UDP_DESTPORT_80;
const ERRATIC_PARTS = FilterBit.BACKSCATTER | FilterBit.BITTORRENT | FilterBit.UDP_0X31 | FilterBit.SIP_STATUS | FilterBit.UDP_IPLEN_96 | FilterBit.UDP_IPLEN_1500 | FilterBit.PORT_53 | FilterBit.TCP_PORT_23 | FilterBit.TCP_PORT_80 | FilterBit.TCP_PORT_5000 | FilterBit.TTL_200 | FilterBit.DNS_RESP_NONSTANDARD | FilterBit.NETBIOS_QUERY_NAME;
const LARGE_SCALE_PARTS = FilterBit.TTL_200 | FilterBit.NO_TCP_OPTIONS | FilterBit.TCPWIN_1024;

/** Filter bits whose union makes each tag (large-scale-scan needs all of its parts). */
export const TAG_PARTS = { SPOOFED: SPOOFED_PARTS, ERRATIC: SPOOFED_PARTS | ERRATIC_PARTS, NONROUTABLE: FilterBit.RFC5735, LARGE_SCALE_SCAN: LARGE_SCALE_PARTS } as const;

export const TAG_RULES: readonly RuleInfo[] = [
  { label: 'spoofed', bit: SpoofTag.SPOOFED, condition: 'abnormal-protocol ∨ ttl-200-nonspoofed ∨ fragmented ∨ last-byte-src-0 ∨ last-byte-src-255 ∨ same-src-dst ∨ udp-port-0 ∨ tcp-port-0 ∨ udp-destport-80', source: 'corsaro3 libcorsaro_filtering.c:815-855, 1249-1371', confidence: 'SRC' },
  { label: 'erratic', bit: SpoofTag.ERRATIC, condition: 'spoofed ∨ backscatter ∨ bittorrent ∨ udp-0x31 ∨ sip-status ∨ udp-ip-len-96 ∨ udp-ip-len-1500 ∨ port-53 ∨ tcp-port-23 ∨ tcp-port-80 ∨ tcp-port-5000 ∨ ttl-200 ∨ dns-resp-non-standard ∨ netbios-query-name', source: 'corsaro3 libcorsaro_filtering.c:857-918', confidence: 'SRC' },
  { label: 'nonroutable', bit: SpoofTag.NONROUTABLE, condition: 'rfc5735 (corsaro3 calls the tag "routed"; it marks non-routable sources)', source: 'corsaro3 libcorsaro_tagging.h:77-85', confidence: 'SRC' },
  { label: 'large-scale-scan', bit: SpoofTag.LARGE_SCALE_SCAN, condition: 'ttl-200 ∧ no-tcp-options ∧ tcpwin-1024 (masscan ≤ 1.3.2 shape)', source: 'corsaro3 libcorsaro_filtering.c large-scale-scan', confidence: 'SRC' },
];

/** Per-packet flags beside the bit sets (PacketBatch.classFlags). */
export const ClassFlag = {
  /** ICMP backscatter whose quoted source is not the darknet address it reached (corsaro3 "mismatch"). */
  ICMP_MISMATCH: 1,
} as const;

/** Names of the bits set in `value` according to `rules`. */
export function labelsOf(value: number, rules: readonly RuleInfo[]): string[] {
  return rules.filter((r) => r.bit !== 0 && (value & r.bit) === r.bit).map((r) => r.label);
}
