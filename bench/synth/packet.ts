/**
 * Frame builders for synthetic captures.
 *
 * Every builder writes into a caller-provided Uint8Array at an offset and
 * returns the number of bytes written; nothing is allocated per packet, so the
 * field objects (LinkFields, IPv4Fields, TcpFields, …) are meant to be reused
 * and mutated between packets on a hot path. Every byte of the returned range
 * is written (no reliance on a zeroed buffer), and all checksums (IPv4 header,
 * TCP, UDP, ICMP) are correct.
 *
 * Layers:
 *  - writeEthernet / writeIPv4Header / writeIPv6Header: single headers;
 *  - ipv4Tcp / ipv4Udp / ipv4Icmp / ipv6Tcp / ipv6Udp: a whole IP packet
 *    without link layer (also what an ICMP error quotes);
 *  - frameIPv4Tcp / frameIPv4Udp / frameIPv4Icmp / frameIPv6Tcp /
 *    frameIPv6Udp / frameArp: Ethernet frames (optionally 802.1Q tagged,
 *    optionally padded to the 60-byte Ethernet minimum like a NIC delivers).
 *
 * Multi-byte fields are written big-endian (network order); addresses are
 * uint32 in the usual host-order sense (192.0.2.10 → 0xC000020A).
 */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const TH_FIN = 0x01;
export const TH_SYN = 0x02;
export const TH_RST = 0x04;
export const TH_PSH = 0x08;
export const TH_ACK = 0x10;
export const TH_URG = 0x20;
export const TH_ECE = 0x40;
export const TH_CWR = 0x80;

/** Minimum Ethernet frame length without FCS. */
export const ETH_MIN_FRAME = 60;

/** Link layer of a frame. */
export interface LinkFields {
  /** Destination and source MAC addresses (6 bytes each). */
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  /** 802.1Q VLAN id (0..4095), or -1 for an untagged frame. */
  vlan: number;
  /** 802.1Q priority code point (0..7); ignored when untagged. */
  pcp: number;
  /** Zero-pad frames shorter than 60 bytes to 60 (as captured from a NIC). */
  pad: boolean;
}

/** IPv4 header fields (20-byte header, no options). */
export interface IPv4Fields {
  src: number;
  dst: number;
  ttl: number;
  /** Identification (16 bits). */
  id: number;
  /** Don't-fragment flag. */
  df: boolean;
  tos: number;
}

/** IPv6 header fields (40-byte header, no extension headers). */
export interface IPv6Fields {
  /** 16-byte addresses. */
  src: Uint8Array;
  dst: Uint8Array;
  hopLimit: number;
  trafficClass: number;
  /** 20-bit flow label. */
  flowLabel: number;
}

/** TCP segment fields. */
export interface TcpFields {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** Flag bits (TH_*); bit 8 is NS. */
  flags: number;
  window: number;
  urgent: number;
  /** Raw option bytes (whole array), zero-padded (EOL) to a multiple of 4; null = none. At most 40 bytes. */
  options: Uint8Array | null;
  /** Payload bytes (whole array); null = none. */
  payload: Uint8Array | null;
}

/** UDP datagram fields. */
export interface UdpFields {
  sport: number;
  dport: number;
  /** Payload bytes (whole array); null = none. */
  payload: Uint8Array | null;
}

/** ICMPv4 message fields. */
export interface IcmpFields {
  type: number;
  code: number;
  /** The 32-bit "rest of header" word: (id << 16 | seq) for echo, 0 (or next-hop MTU) for errors. */
  rest: number;
  /** Message body: echo data, or the quoted original IP packet of an error; null = none. */
  data: Uint8Array | null;
  /** Bytes of `data` used (from its start): lets an error quote only the first bytes of a packet. */
  dataLen: number;
}

/** LinkFields with defaults (locally administered MACs, untagged, padded). */
export function linkFields(p: Partial<LinkFields> = {}): LinkFields {
  return {
    dstMac: p.dstMac ?? Uint8Array.of(0x02, 0x00, 0x5e, 0x10, 0x00, 0x01),
    srcMac: p.srcMac ?? Uint8Array.of(0x02, 0x00, 0x5e, 0x20, 0x00, 0x01),
    vlan: p.vlan ?? -1,
    pcp: p.pcp ?? 0,
    pad: p.pad ?? true,
  };
}

/** IPv4Fields with defaults (TTL 64, id 0, no DF, TOS 0). */
export function ipv4Fields(p: Partial<IPv4Fields> = {}): IPv4Fields {
  return { src: p.src ?? 0, dst: p.dst ?? 0, ttl: p.ttl ?? 64, id: p.id ?? 0, df: p.df ?? false, tos: p.tos ?? 0 };
}

/** IPv6Fields with defaults (hop limit 64, zero addresses). */
export function ipv6Fields(p: Partial<IPv6Fields> = {}): IPv6Fields {
  return {
    src: p.src ?? new Uint8Array(16),
    dst: p.dst ?? new Uint8Array(16),
    hopLimit: p.hopLimit ?? 64,
    trafficClass: p.trafficClass ?? 0,
    flowLabel: p.flowLabel ?? 0,
  };
}

/** TcpFields with defaults (a bare SYN, window 0, no options). */
export function tcpFields(p: Partial<TcpFields> = {}): TcpFields {
  return {
    sport: p.sport ?? 0,
    dport: p.dport ?? 0,
    seq: p.seq ?? 0,
    ack: p.ack ?? 0,
    flags: p.flags ?? TH_SYN,
    window: p.window ?? 0,
    urgent: p.urgent ?? 0,
    options: p.options ?? null,
    payload: p.payload ?? null,
  };
}

/** UdpFields with defaults. */
export function udpFields(p: Partial<UdpFields> = {}): UdpFields {
  return { sport: p.sport ?? 0, dport: p.dport ?? 0, payload: p.payload ?? null };
}

/** IcmpFields with defaults (echo request); dataLen defaults to the whole of `data`. */
export function icmpFields(p: Partial<IcmpFields> = {}): IcmpFields {
  const data = p.data ?? null;
  return { type: p.type ?? 8, code: p.code ?? 0, rest: p.rest ?? 0, data, dataLen: p.dataLen ?? (data ? data.length : 0) };
}

/** Parse dotted-quad IPv4 text to a uint32. Throws on malformed input. */
export function parseIPv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) throw new Error(`bad IPv4 address: ${s}`);
  let v = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) throw new Error(`bad IPv4 address: ${s}`);
    v = v * 256 + Number(part);
  }
  return v;
}

/** Format a uint32 IPv4 address as dotted quad. */
export function formatIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Parse IPv6 text (full or with "::"; no embedded IPv4) into 16 bytes. Throws on malformed input. */
export function parseIPv6(s: string): Uint8Array {
  const halves = s.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address: ${s}`);
  const groups = (h: string): number[] =>
    h === ''
      ? []
      : h.split(':').map((g) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`bad IPv6 address: ${s}`);
          return parseInt(g, 16);
        });
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) throw new Error(`bad IPv6 address: ${s}`);
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 255;
  });
  return out;
}

/**
 * One's-complement sum of b[off, off+len) as big-endian 16-bit words (odd
 * trailing byte padded with zero), added to `init`; not folded.
 */
export function onesSum(b: Uint8Array, off: number, len: number, init = 0): number {
  let sum = init;
  const even = off + (len & ~1);
  let i = off;
  for (; i < even; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (len & 1) sum += b[i] << 8;
  return sum;
}

/** Fold a sum from onesSum() to 16 bits and complement it: the Internet checksum (RFC 1071). */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** Internet checksum of b[off, off+len) with `init` pre-added. Over data that includes a valid checksum it is 0. */
export function internetChecksum(b: Uint8Array, off: number, len: number, init = 0): number {
  return foldChecksum(onesSum(b, off, len, init));
}

/** Unfolded sum of the IPv4 pseudo header (RFC 793/768). */
export function pseudoSum4(src: number, dst: number, proto: number, l4Len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4Len;
}

/** Unfolded sum of the IPv6 pseudo header (RFC 8200 §8.1); addresses read from an IPv6 header at b[ip]. */
export function pseudoSum6(b: Uint8Array, ip: number, nextHeader: number, l4Len: number): number {
  return onesSum(b, ip + 8, 32, nextHeader + (l4Len >>> 16) + (l4Len & 0xffff));
}

function put16(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 8;
  b[p + 1] = v;
}

function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

function copyBytes(b: Uint8Array, p: number, src: Uint8Array, len: number): void {
  if (len > 32) {
    b.set(len === src.length ? src : src.subarray(0, len), p);
    return;
  }
  for (let i = 0; i < len; i++) b[p + i] = src[i];
}

/** Ethernet II header (+ 802.1Q tag when link.vlan >= 0). Returns 14 or 18. */
export function writeEthernet(b: Uint8Array, off: number, link: LinkFields, etherType: number): number {
  const d = link.dstMac;
  const s = link.srcMac;
  for (let i = 0; i < 6; i++) {
    b[off + i] = d[i];
    b[off + 6 + i] = s[i];
  }
  if (link.vlan >= 0) {
    put16(b, off + 12, ETHERTYPE_VLAN);
    put16(b, off + 14, ((link.pcp & 7) << 13) | (link.vlan & 0xfff));
    put16(b, off + 16, etherType);
    return 18;
  }
  put16(b, off + 12, etherType);
  return 14;
}

/** IPv4 header without options, with a correct header checksum, for `payloadLen` bytes of `proto`. Returns 20. */
export function writeIPv4Header(b: Uint8Array, off: number, ip: IPv4Fields, proto: number, payloadLen: number): number {
  b[off] = 0x45;
  b[off + 1] = ip.tos;
  put16(b, off + 2, 20 + payloadLen);
  put16(b, off + 4, ip.id);
  b[off + 6] = ip.df ? 0x40 : 0;
  b[off + 7] = 0;
  b[off + 8] = ip.ttl;
  b[off + 9] = proto;
  b[off + 10] = 0;
  b[off + 11] = 0;
  put32(b, off + 12, ip.src);
  put32(b, off + 16, ip.dst);
  put16(b, off + 10, internetChecksum(b, off, 20));
  return 20;
}

/** IPv6 header for `payloadLen` bytes of `nextHeader`. Returns 40. */
export function writeIPv6Header(b: Uint8Array, off: number, ip: IPv6Fields, nextHeader: number, payloadLen: number): number {
  const tc = ip.trafficClass & 0xff;
  const fl = ip.flowLabel & 0xfffff;
  b[off] = 0x60 | (tc >>> 4);
  b[off + 1] = ((tc & 15) << 4) | (fl >>> 16);
  put16(b, off + 2, fl & 0xffff);
  put16(b, off + 4, payloadLen);
  b[off + 6] = nextHeader;
  b[off + 7] = ip.hopLimit;
  const s = ip.src;
  const d = ip.dst;
  for (let i = 0; i < 16; i++) {
    b[off + 8 + i] = s[i];
    b[off + 24 + i] = d[i];
  }
  return 40;
}

/** TCP header + options + payload with a zero checksum field. Returns the segment length. */
function writeTcpBody(b: Uint8Array, off: number, tcp: TcpFields): number {
  const opts = tcp.options;
  const optLen = opts ? opts.length : 0;
  const optPadded = (optLen + 3) & ~3;
  if (optPadded > 40) throw new RangeError(`TCP options too long: ${optLen} bytes`);
  const hl = 20 + optPadded;
  put16(b, off, tcp.sport);
  put16(b, off + 2, tcp.dport);
  put32(b, off + 4, tcp.seq);
  put32(b, off + 8, tcp.ack);
  b[off + 12] = ((hl >>> 2) << 4) | ((tcp.flags >>> 8) & 1);
  b[off + 13] = tcp.flags;
  put16(b, off + 14, tcp.window);
  b[off + 16] = 0;
  b[off + 17] = 0;
  put16(b, off + 18, tcp.urgent);
  if (opts) {
    copyBytes(b, off + 20, opts, optLen);
    for (let i = optLen; i < optPadded; i++) b[off + 20 + i] = 0;
  }
  const pl = tcp.payload;
  const plen = pl ? pl.length : 0;
  if (pl) copyBytes(b, off + hl, pl, plen);
  return hl + plen;
}

/** UDP header + payload with a zero checksum field. Returns the datagram length. */
function writeUdpBody(b: Uint8Array, off: number, udp: UdpFields): number {
  const pl = udp.payload;
  const plen = pl ? pl.length : 0;
  const len = 8 + plen;
  put16(b, off, udp.sport);
  put16(b, off + 2, udp.dport);
  put16(b, off + 4, len);
  b[off + 6] = 0;
  b[off + 7] = 0;
  if (pl) copyBytes(b, off + 8, pl, plen);
  return len;
}

/** An IPv4 packet carrying a TCP segment (checksums filled in). Returns the IP packet length. */
export function ipv4Tcp(b: Uint8Array, off: number, ip: IPv4Fields, tcp: TcpFields): number {
  const l4 = off + 20;
  const len = writeTcpBody(b, l4, tcp);
  writeIPv4Header(b, off, ip, IPPROTO_TCP, len);
  put16(b, l4 + 16, internetChecksum(b, l4, len, pseudoSum4(ip.src, ip.dst, IPPROTO_TCP, len)));
  return 20 + len;
}

/** An IPv4 packet carrying a UDP datagram (checksums filled in; a zero UDP checksum is sent as 0xffff). */
export function ipv4Udp(b: Uint8Array, off: number, ip: IPv4Fields, udp: UdpFields): number {
  const l4 = off + 20;
  const len = writeUdpBody(b, l4, udp);
  writeIPv4Header(b, off, ip, IPPROTO_UDP, len);
  put16(b, l4 + 6, internetChecksum(b, l4, len, pseudoSum4(ip.src, ip.dst, IPPROTO_UDP, len)) || 0xffff);
  return 20 + len;
}

/**
 * An IPv4 packet carrying an ICMP message: echo request/reply (rest = id<<16|seq,
 * data = echo data) or an error (rest = 0, data = the quoted original packet,
 * dataLen = how much of it is quoted: at least its IP header + 8 bytes).
 */
export function ipv4Icmp(b: Uint8Array, off: number, ip: IPv4Fields, icmp: IcmpFields): number {
  const l4 = off + 20;
  const dlen = icmp.data ? icmp.dataLen : 0;
  const len = 8 + dlen;
  b[l4] = icmp.type;
  b[l4 + 1] = icmp.code;
  b[l4 + 2] = 0;
  b[l4 + 3] = 0;
  put32(b, l4 + 4, icmp.rest);
  if (icmp.data) copyBytes(b, l4 + 8, icmp.data, dlen);
  writeIPv4Header(b, off, ip, IPPROTO_ICMP, len);
  put16(b, l4 + 2, internetChecksum(b, l4, len));
  return 20 + len;
}

/** An IPv6 packet carrying a TCP segment (checksum filled in). Returns the IP packet length. */
export function ipv6Tcp(b: Uint8Array, off: number, ip: IPv6Fields, tcp: TcpFields): number {
  const l4 = off + 40;
  const len = writeTcpBody(b, l4, tcp);
  writeIPv6Header(b, off, ip, IPPROTO_TCP, len);
  put16(b, l4 + 16, internetChecksum(b, l4, len, pseudoSum6(b, off, IPPROTO_TCP, len)));
  return 40 + len;
}

/** An IPv6 packet carrying a UDP datagram (checksum filled in; mandatory in IPv6). */
export function ipv6Udp(b: Uint8Array, off: number, ip: IPv6Fields, udp: UdpFields): number {
  const l4 = off + 40;
  const len = writeUdpBody(b, l4, udp);
  writeIPv6Header(b, off, ip, IPPROTO_UDP, len);
  put16(b, l4 + 6, internetChecksum(b, l4, len, pseudoSum6(b, off, IPPROTO_UDP, len)) || 0xffff);
  return 40 + len;
}

/** Zero-pad a frame to the Ethernet minimum when link.pad is set. Returns the final frame length. */
function finish(b: Uint8Array, off: number, len: number, link: LinkFields): number {
  if (!link.pad || len >= ETH_MIN_FRAME) return len;
  for (let i = len; i < ETH_MIN_FRAME; i++) b[off + i] = 0;
  return ETH_MIN_FRAME;
}

/** Ethernet + IPv4 + TCP frame. Returns the frame length. */
export function frameIPv4Tcp(b: Uint8Array, off: number, link: LinkFields, ip: IPv4Fields, tcp: TcpFields): number {
  const h = writeEthernet(b, off, link, ETHERTYPE_IPV4);
  return finish(b, off, h + ipv4Tcp(b, off + h, ip, tcp), link);
}

/** Ethernet + IPv4 + UDP frame. Returns the frame length. */
export function frameIPv4Udp(b: Uint8Array, off: number, link: LinkFields, ip: IPv4Fields, udp: UdpFields): number {
  const h = writeEthernet(b, off, link, ETHERTYPE_IPV4);
  return finish(b, off, h + ipv4Udp(b, off + h, ip, udp), link);
}

/** Ethernet + IPv4 + ICMP frame (echo or error, see ipv4Icmp). Returns the frame length. */
export function frameIPv4Icmp(b: Uint8Array, off: number, link: LinkFields, ip: IPv4Fields, icmp: IcmpFields): number {
  const h = writeEthernet(b, off, link, ETHERTYPE_IPV4);
  return finish(b, off, h + ipv4Icmp(b, off + h, ip, icmp), link);
}

/** Ethernet + IPv6 + TCP frame. Returns the frame length. */
export function frameIPv6Tcp(b: Uint8Array, off: number, link: LinkFields, ip: IPv6Fields, tcp: TcpFields): number {
  const h = writeEthernet(b, off, link, ETHERTYPE_IPV6);
  return finish(b, off, h + ipv6Tcp(b, off + h, ip, tcp), link);
}

/** Ethernet + IPv6 + UDP frame. Returns the frame length. */
export function frameIPv6Udp(b: Uint8Array, off: number, link: LinkFields, ip: IPv6Fields, udp: UdpFields): number {
  const h = writeEthernet(b, off, link, ETHERTYPE_IPV6);
  return finish(b, off, h + ipv6Udp(b, off + h, ip, udp), link);
}

/**
 * Ethernet + ARP (IPv4 over Ethernet) frame: op 1 = request ("who has
 * targetIp, tell senderIp"), 2 = reply. For a request, targetMac is usually
 * all zeros and link.dstMac the broadcast address. Returns the frame length.
 */
export function frameArp(
  b: Uint8Array, off: number, link: LinkFields, op: number,
  senderMac: Uint8Array, senderIp: number, targetMac: Uint8Array, targetIp: number,
): number {
  const p = off + writeEthernet(b, off, link, ETHERTYPE_ARP);
  put16(b, p, 1); // hardware: Ethernet
  put16(b, p + 2, ETHERTYPE_IPV4);
  b[p + 4] = 6;
  b[p + 5] = 4;
  put16(b, p + 6, op);
  for (let i = 0; i < 6; i++) {
    b[p + 8 + i] = senderMac[i];
    b[p + 18 + i] = targetMac[i];
  }
  put32(b, p + 14, senderIp);
  put32(b, p + 24, targetIp);
  return finish(b, off, p + 28 - off, link);
}
