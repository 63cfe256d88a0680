/**
 * Classifier: PacketBatch columns in, classification columns out (kind,
 * backscatter response and victim, tool fingerprint bits, corsaro3 filter
 * bits and composite tags, sensor, source scope). One pass over the rows, no
 * allocation; the rules, their sources and confidence are in rules.ts.
 *
 * Deliberate corsaro3 quirks kept (methods.md §3, §4):
 *  - ICMP backscatter that is not an error with a full quoted IPv4 header
 *    ("boring ICMP": echo reply, 14/16/18, short quotes) has the victim = the
 *    outer source and "ports" = ntohs(code), ntohs(type) as corsaro computes
 *    them on a little-endian host (code·256, type·256);
 *  - the inner-source mismatch is counted for every ICMP backscatter packet
 *    whose quoted source (0 when nothing usable is quoted) differs from the
 *    darknet address it reached — so boring ICMP always counts as a mismatch;
 *  - IPv6 is "not IP" to corsaro3's filters: IPv6 rows get the not-ip filter
 *    bit and no tags. Kinds and backscatter victims are extended to IPv6
 *    (ICMPv6 echo 128/129, errors 1–4) by analogy, and documented as such.
 */
import { FRAG_DF, PAYLOAD_HEAD, PAYLOAD_TAIL, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type PacketBatch } from '../decode/batch.js';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_IPV6_IN_IP, PROTO_TCP, PROTO_UDP } from '../decode/frame.js';
import { DecodeReason } from '../decode/reasons.js';
import { tcpOptionsLayout } from '../decode/tcpopts.js';
import { ClassFlag, FilterBit, Response, SpoofTag, TAG_PARTS, ToolBit, TrafficKind } from './rules.js';

/** What the classifier needs of the darknet configuration (src/config Darknet implements it). */
export interface DarknetLookup {
  /** 1-based sensor whose monitored prefixes hold the address (given as uint32 or int32); 0 = none. */
  sensorOf(v4: number): number;
  sensorOfV6(w0: number, w1: number, w2: number, w3: number): number;
  /** SourceScope of a source address. */
  scopeOf(v4: number): number;
  scopeOfV6(w0: number, w1: number, w2: number, w3: number): number;
}

const ZMAP_IP_ID = 54321;
/** ZMap ≥ 4.1 default options: mss 1460, nop, ws 8, nop, nop, sackok. */
const LAYOUT_ZMAP4 = tcpOptionsLayout([0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x08, 0x01, 0x01, 0x04, 0x02]);
/** nmap -sS: mss 1460 only. */
const LAYOUT_MSS = tcpOptionsLayout([0x02, 0x04, 0x05, 0xb4]);

/** TCP flags corsaro3's abnormal-protocol filter looks at. */
const SIX_FLAGS = TCP_SYN | TCP_ACK | TCP_FIN | TCP_PSH | TCP_RST | TCP_URG;
/** The flag sets it calls normal: SYN, ACK, RST, FIN, SYN+FIN, SYN+ACK, FIN+ACK, ACK+PSH, FIN+ACK+PSH. */
const NORMAL_TCP = new Set([TCP_SYN, TCP_ACK, TCP_RST, TCP_FIN, TCP_SYN | TCP_FIN, TCP_SYN | TCP_ACK, TCP_FIN | TCP_ACK, TCP_ACK | TCP_PSH, TCP_FIN | TCP_ACK | TCP_PSH]);
const NORMAL_TCP_TABLE = new Uint8Array(64);
for (const f of NORMAL_TCP) NORMAL_TCP_TABLE[f] = 1;

/** ICMPv4 types that are backscatter, and what each says the victim sent. */
const ICMP4_RESPONSE = new Uint8Array(256);
ICMP4_RESPONSE[0] = Response.ECHO_REPLY;
ICMP4_RESPONSE[3] = Response.UNREACHABLE;
ICMP4_RESPONSE[4] = Response.SOURCE_QUENCH;
ICMP4_RESPONSE[5] = Response.REDIRECT;
ICMP4_RESPONSE[11] = Response.TIME_EXCEEDED;
ICMP4_RESPONSE[12] = Response.PARAMETER_PROBLEM;
ICMP4_RESPONSE[14] = Response.TIMESTAMP_REPLY;
ICMP4_RESPONSE[16] = Response.INFO_REPLY;
ICMP4_RESPONSE[18] = Response.MASK_REPLY;
const ICMP6_RESPONSE = new Uint8Array(256);
ICMP6_RESPONSE[1] = Response.UNREACHABLE;
ICMP6_RESPONSE[2] = Response.PACKET_TOO_BIG;
ICMP6_RESPONSE[3] = Response.TIME_EXCEEDED;
ICMP6_RESPONSE[4] = Response.PARAMETER_PROBLEM;
ICMP6_RESPONSE[129] = Response.ECHO_REPLY;

function isIcmp4Error(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

// Precomputed filter bits (corsaro3's per-field tests as lookups).
const TTL_BITS = new Uint32Array(256);
for (let t = 200; t < 256; t++) TTL_BITS[t] = FilterBit.TTL_200;
const LAST_BYTE_BITS = new Uint32Array(256);
LAST_BYTE_BITS[0] = FilterBit.LAST_SRC_IP_0;
LAST_BYTE_BITS[255] = FilterBit.LAST_SRC_IP_255;
/**
 * TCP: port 0, 53, 23, 80, 5000 on either side. Every port with a bit is below
 * PORT_TABLE: small tables stay in L1 where 64 Ki-entry ones missed the cache on
 * every random scanner port.
 */
const PORT_TABLE = 8192;
const TCP_PORT_BITS = new Uint32Array(PORT_TABLE);
TCP_PORT_BITS[0] = FilterBit.TCP_PORT_0;
TCP_PORT_BITS[53] = FilterBit.PORT_53;
TCP_PORT_BITS[23] = FilterBit.TCP_PORT_23;
TCP_PORT_BITS[80] = FilterBit.TCP_PORT_80;
TCP_PORT_BITS[5000] = FilterBit.TCP_PORT_5000;
/** UDP: port 0 or 53 either side; destination 80; source 53 is also the DNS-response backscatter rule. */
const UDP_SRC_BITS = new Uint32Array(PORT_TABLE);
const UDP_DST_BITS = new Uint32Array(PORT_TABLE);
UDP_SRC_BITS[0] = UDP_DST_BITS[0] = FilterBit.UDP_PORT_0;
UDP_SRC_BITS[53] = FilterBit.PORT_53 | FilterBit.BACKSCATTER;
UDP_DST_BITS[53] = FilterBit.PORT_53;
UDP_DST_BITS[80] = FilterBit.UDP_DESTPORT_80;
/** First octets under which RFC 5735 has special-purpose space (whole /8s marked 2). */
const RFC5735_OCTET = new Uint8Array(256);
for (const a of [0, 10, 127]) RFC5735_OCTET[a] = 2;
for (let a = 224; a < 256; a++) RFC5735_OCTET[a] = 2;
for (const a of [169, 172, 192, 198, 203]) RFC5735_OCTET[a] = 1;

/** The composite tags of a filter bit set (corsaro3's tag definitions; masks in rules.ts). */
function tagsOf(f: number): number {
  return (
    ((f & TAG_PARTS.SPOOFED) !== 0 ? SpoofTag.SPOOFED : 0) |
    ((f & TAG_PARTS.ERRATIC) !== 0 ? SpoofTag.ERRATIC : 0) |
    ((f & TAG_PARTS.NONROUTABLE) !== 0 ? SpoofTag.NONROUTABLE : 0) |
    ((f & TAG_PARTS.LARGE_SCALE_SCAN) === TAG_PARTS.LARGE_SCALE_SCAN ? SpoofTag.LARGE_SCALE_SCAN : 0)
  );
}

function rfc5735Bits(ip: number): number {
  const o = RFC5735_OCTET[ip >>> 24];
  if (o === 0) return 0;
  return o === 2 || isRfc5735(ip) ? FilterBit.RFC5735 : 0;
}

/** corsaro3 RFC 5735 filter: the source is special-purpose (non-routable) space. */
export function isRfc5735(ip: number): boolean {
  const a = ip >>> 24;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return true;
  const ab = ip >>> 16;
  if (ab === 0xa9fe || ab === 0xc0a8) return true; // 169.254/16, 192.168/16
  if (ip >>> 20 === 0xac1) return true; // 172.16/12
  if (ip >>> 17 === 0xc612 >>> 1) return true; // 198.18/15
  const abc = ip >>> 8;
  return abc === 0xc00000 || abc === 0xc00002 || abc === 0xc05863 || abc === 0xc63364 || abc === 0xcb0071;
}

export class Classifier {
  constructor(private readonly darknet: DarknetLookup | null) {}

  /**
   * Classify every row. With `withFilters` false the corsaro3 filters and tags are
   * left for spoofingFilters() (another thread can run them).
   *
   * One loop with every column in a local and the rules inlined: this runs for
   * every packet, and property loads and calls per row cost more than the rules.
   */
  classify(b: PacketBatch, withFilters = true): void {
    const n = b.length;
    const dn = this.darknet;
    const ipVersion = b.ipVersion;
    const reasonCol = b.reason;
    const protoCol = b.proto;
    const flagsCol = b.tcpFlags;
    const src = b.src;
    const dst = b.dst;
    const ipIdCol = b.ipId;
    const seqCol = b.seq;
    const dportCol = b.dport;
    const windowCol = b.window;
    const ttlCol = b.ttl;
    const hlCol = b.tcpHdrLen;
    const fragFlagsCol = b.fragFlags;
    const icmpTypeCol = b.icmpType;
    const kindCol = b.kind;
    const toolsCol = b.tools;
    const filtersCol = b.filters;
    const tagsCol = b.tags;
    const sensorCol = b.sensor;
    const scopeCol = b.srcScope;
    // Every classification column is written for every row (PacketBatch.reset leaves them be):
    // the backscatter ones are cleared here and filled only for backscatter rows.
    b.response.fill(0, 0, n);
    b.victim.fill(0, 0, n);
    b.victimPort.fill(0, 0, n);
    b.attackerPort.fill(0, 0, n);
    b.victimProto.fill(0, 0, n);
    b.classFlags.fill(0, 0, n);
    if (b.hasVictim6) b.victim6.fill(0, 0, 4 * n);
    b.hasVictim6 = false;
    for (let i = 0; i < n; i++) {
      const v = ipVersion[i];
      if (v === 0) {
        kindCol[i] = TrafficKind.OTHER;
        toolsCol[i] = 0;
        tagsCol[i] = 0;
        sensorCol[i] = 0;
        scopeCol[i] = 0;
        filtersCol[i] = FilterBit.NOTIP;
        continue;
      }
      const proto = protoCol[i];
      const fragment = reasonCol[i] === DecodeReason.FRAGMENT;
      const flags = flagsCol[i];
      let kind: number = TrafficKind.OTHER;
      if (!fragment) {
        if (proto === PROTO_TCP) {
          if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) || (flags & TCP_RST) !== 0) kind = TrafficKind.BACKSCATTER;
          else if ((flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) === TCP_SYN) kind = TrafficKind.TCP_SYN;
          else kind = TrafficKind.TCP_OTHER;
        } else if (proto === PROTO_UDP) {
          kind = TrafficKind.UDP;
        } else if (proto === PROTO_ICMP && v === 4) {
          const t = icmpTypeCol[i];
          if (t === 8) kind = TrafficKind.ICMP_ECHO;
          else if (ICMP4_RESPONSE[t] !== 0) kind = TrafficKind.BACKSCATTER;
        } else if (proto === PROTO_ICMPV6 && v === 6) {
          const t = icmpTypeCol[i];
          if (t === 128) kind = TrafficKind.ICMP_ECHO;
          else if (ICMP6_RESPONSE[t] !== 0) kind = TrafficKind.BACKSCATTER;
        }
      }
      kindCol[i] = kind;
      if (kind === TrafficKind.BACKSCATTER) this.victim(b, i, v, proto, flags);
      if (v !== 4) {
        const w = i << 2;
        sensorCol[i] = dn !== null ? dn.sensorOfV6(b.dst6[w], b.dst6[w + 1], b.dst6[w + 2], b.dst6[w + 3]) : 0;
        scopeCol[i] = dn !== null ? dn.scopeOfV6(b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]) : 0;
        toolsCol[i] = 0;
        tagsCol[i] = 0;
        filtersCol[i] = FilterBit.NOTIP;
        continue;
      }
      const d = dst[i];
      // int32 arguments: a uint32 above 2^31 would be boxed into a heap number per call.
      sensorCol[i] = dn !== null ? dn.sensorOf(d | 0) : 0;
      scopeCol[i] = dn !== null ? dn.scopeOf(src[i] | 0) : 0;
      // Tool fingerprints of probes (methods.md §1); IPv4 only, where the rules are defined.
      let tools = 0;
      if (kind === TrafficKind.TCP_SYN || kind === TrafficKind.UDP || kind === TrafficKind.ICMP_ECHO) {
        const ipId = ipIdCol[i];
        if (ipId === ZMAP_IP_ID) tools = ToolBit.ZMAP;
        if (kind === TrafficKind.TCP_SYN) {
          const seq = seqCol[i];
          const win = windowCol[i];
          const ttl = ttlCol[i];
          const hl = hlCol[i];
          if (seq === d) tools |= ToolBit.MIRAI;
          if (ipId === ((d ^ dportCol[i] ^ seq) & 0xffff)) tools |= ToolBit.MASSCAN;
          if (hl === 20) {
            if (ttl >= 200 && win === 1024) tools |= ToolBit.MASSCAN_SHAPE;
            if (win === 512) tools |= ToolBit.HPING3;
          } else if ((fragFlagsCol[i] & FRAG_DF) === 0) tools |= this.optionTools(b, i, hl, win, ttl);
        }
      }
      toolsCol[i] = tools;
      if (withFilters) this.filterRow(b, i, proto, fragment, flags);
    }
    b.classified = withFilters;
  }

  /** nmap and ZMap ≥ 4.1: SYNs with their exact option layouts. */
  private optionTools(b: PacketBatch, i: number, hl: number, win: number, ttl: number): number {
    const layout = b.tcpOptLayout[i];
    const mss = b.tcpMss[i];
    const ipLen = b.ipLen[i];
    let t = 0;
    if (hl === 24 && win === 1024 && layout === LAYOUT_MSS && mss === 1460 && ipLen === 44 && ttl <= 59) t |= ToolBit.NMAP;
    if (hl === 32 && win === 65535 && layout === LAYOUT_ZMAP4 && mss === 1460 && b.tcpWscale[i] === 8 && ipLen === 52 && ttl <= 64) t |= ToolBit.ZMAP4;
    return t;
  }

  /** The corsaro3 filters and composite tags of every row (after classify(b, false)). */
  spoofingFilters(b: PacketBatch): void {
    const n = b.length;
    const ipVersion = b.ipVersion;
    for (let i = 0; i < n; i++) {
      if (ipVersion[i] !== 4) continue;
      this.filterRow(b, i, b.proto[i], b.reason[i] === DecodeReason.FRAGMENT, b.tcpFlags[i]);
    }
    b.classified = true;
  }

  private filterRow(b: PacketBatch, i: number, proto: number, fragment: boolean, flags: number): void {
    const f = this.filters(b, i, proto, fragment, flags);
    b.filters[i] = f;
    b.tags[i] = tagsOf(f);
  }

  /** Backscatter: victim, ports, protocol and the response type, as corsaro3's dos plugin assigns them. */
  private victim(b: PacketBatch, i: number, v: number, proto: number, flags: number): void {
    if (proto === PROTO_TCP) {
      b.response[i] = (flags & TCP_SYN) !== 0 && (flags & TCP_ACK) !== 0 ? Response.SYN_ACK : (flags & TCP_ACK) !== 0 ? Response.RST_ACK : Response.RST;
      b.victimPort[i] = b.sport[i];
      b.attackerPort[i] = b.dport[i];
      b.victimProto[i] = PROTO_TCP;
      if (v === 4) b.victim[i] = b.src[i];
      else this.victim6From(b, i, b.src6);
      return;
    }
    const type = b.icmpType[i];
    const code = b.icmpCode[i];
    if (v === 4) {
      b.response[i] = ICMP4_RESPONSE[type];
      let innerSrc = 0;
      if (isIcmp4Error(type) && b.innerVersion[i] === 4) {
        // The quoted packet names the victim: it is the destination of the spoofed packet.
        innerSrc = b.innerSrc[i];
        b.victim[i] = b.innerDst[i];
        b.victimProto[i] = b.innerProto[i];
        b.attackerPort[i] = b.innerSport[i];
        b.victimPort[i] = b.innerDport[i];
      } else {
        b.victim[i] = b.src[i];
        b.victimProto[i] = PROTO_ICMP;
        b.attackerPort[i] = (code << 8) & 0xffff;
        b.victimPort[i] = (type << 8) & 0xffff;
      }
      if (innerSrc !== b.dst[i]) b.classFlags[i] |= ClassFlag.ICMP_MISMATCH;
      return;
    }
    b.response[i] = ICMP6_RESPONSE[type];
    const w = i << 2;
    if (type >= 1 && type <= 4 && b.innerVersion[i] === 6) {
      this.victim6From(b, i, b.innerDst6);
      b.victimProto[i] = b.innerProto[i];
      b.attackerPort[i] = b.innerSport[i];
      b.victimPort[i] = b.innerDport[i];
      const s6 = b.innerSrc6;
      const d6 = b.dst6;
      if (s6[w] !== d6[w] || s6[w + 1] !== d6[w + 1] || s6[w + 2] !== d6[w + 2] || s6[w + 3] !== d6[w + 3]) b.classFlags[i] |= ClassFlag.ICMP_MISMATCH;
    } else {
      this.victim6From(b, i, b.src6);
      b.victimProto[i] = PROTO_ICMPV6;
      b.attackerPort[i] = (code << 8) & 0xffff;
      b.victimPort[i] = (type << 8) & 0xffff;
      b.classFlags[i] |= ClassFlag.ICMP_MISMATCH;
    }
  }

  private victim6From(b: PacketBatch, i: number, words: Uint32Array): void {
    const w = i << 2;
    b.victim6[w] = words[w];
    b.victim6[w + 1] = words[w + 1];
    b.victim6[w + 2] = words[w + 2];
    b.victim6[w + 3] = words[w + 3];
    b.hasVictim6 = true;
  }

  /**
   * corsaro3's elementary filters (methods.md §4.1) for an IPv4 row. Port, TTL
   * and source-address tests are table lookups (precomputed bit sets) rather
   * than chains of comparisons: this runs for every packet.
   */
  private filters(b: PacketBatch, i: number, proto: number, fragment: boolean, flags: number): number {
    const s = b.src[i];
    let f = LAST_BYTE_BITS[s & 0xff] | rfc5735Bits(s);
    if (proto !== PROTO_ICMP) f |= TTL_BITS[b.ttl[i]];
    if (b.fragOffset[i] !== 0 || (b.fragFlags[i] & 4) !== 0) f |= FilterBit.FRAGMENT;
    if (s === b.dst[i]) f |= FilterBit.SAME_SRC_DEST_IP;
    if (proto === PROTO_UDP) {
      const ipLen = b.ipLen[i];
      if (ipLen === 96) f |= FilterBit.UDP_IPLEN_96;
      else if (ipLen === 1500) f |= FilterBit.UDP_IPLEN_1500;
    }
    // A non-first fragment has no transport header: corsaro3 then sees no TCP/UDP/ICMP at all.
    if (fragment) {
      if (proto !== PROTO_ICMP && proto !== PROTO_UDP && proto !== PROTO_TCP && proto !== PROTO_IPV6_IN_IP) f |= FilterBit.ABNORMAL_PROTOCOL;
      return f;
    }
    if (proto === PROTO_TCP) {
      const reason = b.reason[i];
      if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
        if (b.window[i] === 1024) f |= FilterBit.TCPWIN_1024;
        if (b.tcpHdrLen[i] === 20) f |= FilterBit.NO_TCP_OPTIONS;
      }
      // corsaro3 reads ports only when four transport bytes were captured.
      if (reason === DecodeReason.OK || b.capLen[i] - b.l3Offset[i] - b.ipHdrLen[i] >= 4) {
        const sport = b.sport[i];
        const dport = b.dport[i];
        f |= (sport < PORT_TABLE ? TCP_PORT_BITS[sport] : 0) | (dport < PORT_TABLE ? TCP_PORT_BITS[dport] : 0);
      }
      if (reason === DecodeReason.OK || reason === DecodeReason.BAD_TCP_OFFSET) {
        if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) || (flags & TCP_RST) !== 0) f |= FilterBit.BACKSCATTER;
        if (NORMAL_TCP_TABLE[flags & SIX_FLAGS] === 0) f |= FilterBit.ABNORMAL_PROTOCOL;
      }
    } else if (proto === PROTO_UDP) {
      const reason = b.reason[i];
      if (reason === DecodeReason.OK || b.capLen[i] - b.l3Offset[i] - b.ipHdrLen[i] >= 4) {
        const sport = b.sport[i];
        const dport = b.dport[i];
        f |= (sport < PORT_TABLE ? UDP_SRC_BITS[sport] : 0) | (dport < PORT_TABLE ? UDP_DST_BITS[dport] : 0);
        if (reason === DecodeReason.OK) f |= udpPayloadFilters(b, i, sport, dport, b.ipLen[i]);
      }
    } else if (proto === PROTO_ICMP) {
      const t = b.icmpType[i];
      // corsaro3 treats ICMP type and code as the "ports" of the port-53 filter.
      if (t === 53 || b.icmpCode[i] === 53) f |= FilterBit.PORT_53;
      if (ICMP4_RESPONSE[t] !== 0) f |= FilterBit.BACKSCATTER;
    } else if (proto !== PROTO_IPV6_IN_IP) {
      f |= FilterBit.ABNORMAL_PROTOCOL;
    }
    if ((f & FilterBit.TTL_200) !== 0 && (f & (FilterBit.TCPWIN_1024 | FilterBit.NO_TCP_OPTIONS)) !== (FilterBit.TCPWIN_1024 | FilterBit.NO_TCP_OPTIONS)) {
      f |= FilterBit.TTL_200_NONSPOOFED;
    }
    return f;
  }
}

/** Big-endian 16/32-bit reads inside a row's payload excerpt (−1 beyond what was kept). */
function ex16(h: Uint8Array, at: number, have: number, k: number): number {
  return k + 2 <= have ? (h[at + k] << 8) | h[at + k + 1] : -1;
}
function ex32(h: Uint8Array, at: number, have: number, k: number): number {
  return k + 4 <= have ? ((h[at + k] << 24) | (h[at + k + 1] << 16) | (h[at + k + 2] << 8) | h[at + k + 3]) >>> 0 : -1;
}

/** The corsaro3 filters that look into UDP payloads (from the row's payload excerpt). */
function udpPayloadFilters(b: PacketBatch, i: number, sport: number, dport: number, ipLen: number): number {
  const have = b.payloadHeadLen[i];
  if (have === 0) return 0;
  const h = b.payloadHead;
  const at = i * PAYLOAD_HEAD;
  const captured = Math.min(b.capLen[i] - b.payloadOffset[i], b.payloadLen[i]);
  let f = 0;
  if (ipLen === 58 && captured >= 10 && have >= 10) {
    let ok = h[at + 8] === 0x31 && h[at + 9] === 0;
    for (let k = 0; ok && k < 8; k++) ok = h[at + k] === 0;
    if (ok) f |= FilterBit.UDP_0X31;
  }
  if (sport === 5060 && dport === 5060 && have >= 7 && ex32(h, at, have, 0) === 0x5349502f && ex16(h, at, have, 4) === 0x322e && h[at + 6] === 0x30) f |= FilterBit.SIP_STATUS;
  if (ipLen > 42 && captured >= 12 && have >= 12 && (ex16(h, at, have, 2) & 0xfff0) === 0x8180 && ex16(h, at, have, 4) < 10 && ex16(h, at, have, 6) < 10 && ex16(h, at, have, 8) < 10 && ex16(h, at, have, 10) < 10) f |= FilterBit.DNS_RESP_NONSTANDARD;
  if (sport === 137 && dport === 137 && ipLen > 48 && captured >= 20 && have >= 20 && ex16(h, at, have, 12) === 0x2043 && ex16(h, at, have, 14) === 0x4b41 && ex16(h, at, have, 16) === 0x4141 && ex16(h, at, have, 18) === 0x4141) f |= FilterBit.NETBIOS_QUERY_NAME;
  if (bittorrent(b, i, h, at, have, captured, ipLen)) f |= FilterBit.BITTORRENT;
  return f;
}

/** corsaro3's BitTorrent payload patterns (libcorsaro_filtering.c:661-729). */
function bittorrent(b: PacketBatch, i: number, h: Uint8Array, at: number, have: number, captured: number, ipLen: number): boolean {
  const udpLen = b.udpLen[i];
  if (udpLen >= 20 && captured >= 12) {
    const w0 = ex32(h, at, have, 0);
    if ((w0 === 0x64313a61 || w0 === 0x64313a72) && ex32(h, at, have, 4) === 0x64323a69 && ex32(h, at, have, 8) === 0x6432303a) return true; // "d1:a"/"d1:r" "d2:i" "d20:"
  }
  if (udpLen >= 48 && captured >= 40 && ex32(h, at, have, 20) === 0x13426974 && ex32(h, at, have, 24) === 0x546f7272 && ex32(h, at, have, 28) === 0x656e7420 && ex32(h, at, have, 32) === 0x70726f74 && ex32(h, at, have, 36) === 0x6f636f6c) return true; // "\x13BitTorrent protocol"
  const w = ex16(h, at, have, 0);
  if (ipLen >= 0x3a && (w === 0x4102 || w === 0x2102 || w === 0x3102 || w === 0x1102) && captured >= udpLen - 8 && captured >= 10) {
    // uTP: the last ten captured payload bytes are 00 08 00 … 00.
    const last = lastBytes(b, i, have, captured, 10);
    if (last[0] === 0 && last[1] === 8 && last.every((x, k) => k < 2 || x === 0)) return true;
  }
  if (ipLen === 0x30 && (w === 0x4100 || w === 0x2100 || w === 0x3102 || w === 0x1100)) return true;
  if (ipLen === 61 && ex32(h, at, have, 12) === 0x7fffffff && ex32(h, at, have, 16) === 0xab020400 && ex32(h, at, have, 20) === 0x01000000 && ex32(h, at, have, 24) === 0x08000000 && ex32(h, at, have, 28) === 0) return true;
  return false;
}

/** The last n (≤ PAYLOAD_TAIL) captured payload bytes of a row. */
function lastBytes(b: PacketBatch, i: number, have: number, captured: number, n: number): number[] {
  if (captured <= PAYLOAD_HEAD) return Array.from(b.payloadHead.subarray(i * PAYLOAD_HEAD + have - n, i * PAYLOAD_HEAD + have));
  return Array.from(b.payloadTail.subarray(i * PAYLOAD_TAIL + PAYLOAD_TAIL - n, (i + 1) * PAYLOAD_TAIL));
}
