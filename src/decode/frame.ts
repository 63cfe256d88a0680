/**
 * Frame → one PacketBatch row: link layer, IPv4/IPv6 (with extension headers),
 * TCP, UDP, SCTP/DCCP/UDP-Lite ports, ICMP/ICMPv6 with the quoted packet of
 * error messages.
 *
 * Never throws: whatever cannot be decoded leaves a reason code in the row and
 * the fields decoded so far. Only bytes inside [off, off+cap) are read.
 */
import { FRAG_MF, PAYLOAD_HEAD, PAYLOAD_TAIL, type PacketBatch } from './batch.js';
import { LINKTYPE } from '../capture/linktypes.js';
import { ETH_IPV4, ETH_IPV6, findNetworkLayer, foundL3Type, linkFailure } from './link.js';
import { DecodeReason } from './reasons.js';
import { scanTcpOptions, scannedMss, scannedWscale } from './tcpopts.js';

export const PROTO_ICMP = 1;
export const PROTO_IPIP = 4;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_DCCP = 33;
export const PROTO_IPV6_IN_IP = 41;
export const PROTO_GRE = 47;
export const PROTO_ICMPV6 = 58;
export const PROTO_SCTP = 132;
export const PROTO_UDPLITE = 136;

/** IPv6 extension headers followed before giving up (hostile chains). */
const MAX_IPV6_EXT = 8;

/**
 * Decode the frame b[off, off+cap) captured on a link of type linkType into
 * row `row`. dv is a DataView over exactly the bytes of b (same offsets):
 * multi-byte fields are one load each.
 */
export function decodeFrame(b: Uint8Array, dv: DataView, off: number, cap: number, linkType: number, batch: PacketBatch, row: number): void {
  const end = off + cap;
  // Fast path for what a telescope mostly sees: untagged Ethernet carrying IPv4.
  if (linkType === LINKTYPE.ETHERNET && cap >= 14 && dv.getUint16(off + 12) === ETH_IPV4) {
    batch.l3Type[row] = ETH_IPV4;
    batch.l3Offset[row] = 14;
    decodeIPv4(b, dv, off + 14, end, off, batch, row);
    return;
  }
  const p = findNetworkLayer(b, off, end, linkType);
  batch.l3Type[row] = foundL3Type;
  if (p < 0) {
    batch.reason[row] = linkFailure;
    return;
  }
  batch.l3Offset[row] = p - off;
  if (foundL3Type === ETH_IPV4) decodeIPv4(b, dv, p, end, off, batch, row);
  else decodeIPv6(b, dv, p, end, off, batch, row);
}

function decodeIPv4(b: Uint8Array, dv: DataView, p: number, end: number, frame: number, batch: PacketBatch, row: number): void {
  if (end - p < 20) {
    batch.reason[row] = end > p && b[p] >> 4 !== 4 ? DecodeReason.BAD_IP_VERSION : DecodeReason.TRUNCATED_IP;
    return;
  }
  const vihl = b[p];
  if (vihl >> 4 !== 4) {
    batch.reason[row] = DecodeReason.BAD_IP_VERSION;
    return;
  }
  const ihl = (vihl & 15) << 2;
  const totLen = dv.getUint16(p + 2);
  const fo = dv.getUint16(p + 6);
  const proto = b[p + 9];
  batch.ipVersion[row] = 4;
  batch.tos[row] = b[p + 1];
  batch.ipLen[row] = totLen;
  batch.ipId[row] = dv.getUint16(p + 4);
  batch.fragFlags[row] = fo >>> 13; // the three flag bits, in the order of FRAG_MF | FRAG_DF | FRAG_RESERVED
  const fragOffset = fo & 0x1fff;
  batch.fragOffset[row] = fragOffset;
  batch.ttl[row] = b[p + 8];
  batch.proto[row] = proto;
  batch.src[row] = dv.getUint32(p + 12);
  batch.dst[row] = dv.getUint32(p + 16);
  batch.ipHdrLen[row] = ihl;
  if (ihl < 20) {
    batch.reason[row] = DecodeReason.BAD_IHL;
    return;
  }
  if (totLen < ihl) {
    batch.reason[row] = DecodeReason.BAD_IP_LENGTH;
    return;
  }
  if (p + ihl > end) {
    batch.reason[row] = DecodeReason.TRUNCATED_IP_OPTIONS;
    return;
  }
  if (fragOffset !== 0) {
    batch.reason[row] = DecodeReason.FRAGMENT;
    return;
  }
  // Bytes beyond the IP total length (Ethernet padding, FCS) are not transport data.
  const ipEnd = p + totLen;
  const l4End = ipEnd < end ? ipEnd : end;
  if (proto === PROTO_TCP) decodeTcp(b, dv, p + ihl, l4End, ipEnd, frame, batch, row);
  else if (proto === PROTO_UDP) decodeUdp(b, dv, p + ihl, l4End, ipEnd, frame, batch, row);
  else decodeTransport(b, dv, p + ihl, l4End, ipEnd, proto, false, frame, batch, row);
}

function decodeIPv6(b: Uint8Array, dv: DataView, p: number, end: number, frame: number, batch: PacketBatch, row: number): void {
  if (end - p < 40) {
    batch.reason[row] = end > p && b[p] >> 4 !== 6 ? DecodeReason.BAD_IP_VERSION : DecodeReason.TRUNCATED_IP;
    return;
  }
  if (b[p] >> 4 !== 6) {
    batch.reason[row] = DecodeReason.BAD_IP_VERSION;
    return;
  }
  const payloadLen = dv.getUint16(p + 4);
  batch.ipVersion[row] = 6;
  batch.tos[row] = ((b[p] & 15) << 4) | (b[p + 1] >> 4);
  batch.ipLen[row] = 40 + payloadLen;
  batch.ttl[row] = b[p + 7];
  const w = row << 2;
  const s6 = batch.src6;
  const d6 = batch.dst6;
  s6[w] = dv.getUint32(p + 8);
  s6[w + 1] = dv.getUint32(p + 12);
  s6[w + 2] = dv.getUint32(p + 16);
  s6[w + 3] = dv.getUint32(p + 20);
  d6[w] = dv.getUint32(p + 24);
  d6[w + 1] = dv.getUint32(p + 28);
  d6[w + 2] = dv.getUint32(p + 32);
  d6[w + 3] = dv.getUint32(p + 36);
  batch.hasV6 = true;

  // Walk the extension headers to the upper-layer protocol.
  let nh = b[p + 6];
  let q = p + 40;
  for (let i = 0; ; i++) {
    if (nh !== 0 && nh !== 43 && nh !== 44 && nh !== 60 && nh !== 51) break;
    if (i >= MAX_IPV6_EXT) {
      batch.proto[row] = nh;
      batch.ipHdrLen[row] = q - p;
      batch.reason[row] = DecodeReason.IPV6_EXT_TOO_DEEP;
      return;
    }
    if (q + 8 > end) {
      batch.proto[row] = nh;
      batch.ipHdrLen[row] = q - p;
      batch.reason[row] = DecodeReason.TRUNCATED_IPV6_EXT;
      return;
    }
    const next = b[q];
    if (nh === 44) {
      // Fragment header: offset in 8-byte units, M flag, 32-bit identification.
      const fo = dv.getUint16(q + 2);
      batch.fragOffset[row] = fo >> 3;
      batch.fragFlags[row] = fo & 1 ? FRAG_MF : 0;
      batch.ipId[row] = dv.getUint32(q + 4);
      q += 8;
      if (fo >> 3 !== 0) {
        batch.proto[row] = next;
        batch.ipHdrLen[row] = q - p;
        batch.reason[row] = DecodeReason.FRAGMENT;
        return;
      }
    } else if (nh === 51) {
      q += (b[q + 1] + 2) << 2; // AH length is in 4-byte units minus 2
    } else {
      q += (b[q + 1] + 1) << 3; // other extension headers: 8-byte units minus 1
    }
    nh = next;
  }
  batch.proto[row] = nh;
  batch.ipHdrLen[row] = q - p;
  if (q > end) {
    batch.reason[row] = DecodeReason.TRUNCATED_IPV6_EXT;
    return;
  }
  const ipEnd = p + 40 + payloadLen;
  decodeTransport(b, dv, q, ipEnd < end ? ipEnd : end, ipEnd, nh, true, frame, batch, row);
}

/**
 * TCP and UDP have their own small functions so that V8 inlines them into
 * decodeIPv4 (the hot path); decodeTransport handles every other protocol.
 */
function decodeTcp(b: Uint8Array, dv: DataView, q: number, end: number, ipEnd: number, frame: number, batch: PacketBatch, row: number): void {
  if (end - q < 20) {
    partialTcp(b, dv, q, end - q, batch, row);
    return;
  }
  batch.sport[row] = dv.getUint16(q);
  batch.dport[row] = dv.getUint16(q + 2);
  batch.seq[row] = dv.getUint32(q + 4);
  batch.ack[row] = dv.getUint32(q + 8);
  const hl = (b[q + 12] >> 4) << 2;
  batch.tcpFlags[row] = ((b[q + 12] & 1) << 8) | b[q + 13];
  batch.window[row] = dv.getUint16(q + 14);
  batch.tcpHdrLen[row] = hl;
  if (hl < 20) {
    batch.reason[row] = DecodeReason.BAD_TCP_OFFSET;
    return;
  }
  if (hl > 20) {
    const optEnd = q + hl;
    batch.tcpOptLayout[row] = scanTcpOptions(b, dv, q + 20, optEnd < end ? optEnd : end);
    batch.tcpMss[row] = scannedMss;
    batch.tcpWscale[row] = scannedWscale;
    if (optEnd > end) {
      batch.reason[row] = DecodeReason.TRUNCATED_L4;
      return;
    }
  }
  batch.payloadOffset[row] = q + hl - frame;
  batch.payloadLen[row] = ipEnd > q + hl ? ipEnd - q - hl : 0;
  if (end > q + hl) excerpt(dv, q + hl, end, batch, row);
}

function decodeUdp(b: Uint8Array, dv: DataView, q: number, end: number, ipEnd: number, frame: number, batch: PacketBatch, row: number): void {
  if (end - q < 8) {
    partialPorts(b, dv, q, end - q, batch, row);
    return;
  }
  batch.sport[row] = dv.getUint16(q);
  batch.dport[row] = dv.getUint16(q + 2);
  batch.udpLen[row] = dv.getUint16(q + 4);
  batch.payloadOffset[row] = q + 8 - frame;
  batch.payloadLen[row] = ipEnd > q + 8 ? ipEnd - q - 8 : 0;
  if (end > q + 8) excerpt(dv, q + 8, end, batch, row);
}

/**
 * Transport header at b[q, end) (end already bounded by the IP length);
 * ipEnd is where the IP packet ends on the wire (may lie beyond the capture).
 */
function decodeTransport(
  b: Uint8Array, dv: DataView, q: number, end: number, ipEnd: number, proto: number, v6: boolean,
  frame: number, batch: PacketBatch, row: number,
): void {
  const avail = end - q;
  switch (proto) {
    case PROTO_TCP:
      decodeTcp(b, dv, q, end, ipEnd, frame, batch, row);
      return;
    case PROTO_UDP:
    case PROTO_UDPLITE:
      decodeUdp(b, dv, q, end, ipEnd, frame, batch, row);
      return;
    case PROTO_ICMP:
    case PROTO_ICMPV6: {
      if (avail < 4) {
        if (avail >= 1) batch.icmpType[row] = b[q];
        if (avail >= 2) batch.icmpCode[row] = b[q + 1];
        batch.reason[row] = DecodeReason.TRUNCATED_L4;
        return;
      }
      const type = b[q];
      batch.icmpType[row] = type;
      batch.icmpCode[row] = b[q + 1];
      // Only ICMP of the matching IP version; ICMPv6 in IPv4 is just a protocol number.
      const isError = v6
        ? proto === PROTO_ICMPV6 && type >= 1 && type <= 4
        : proto === PROTO_ICMP && (type === 3 || type === 4 || type === 5 || type === 11 || type === 12);
      if (isError && avail >= 8) decodeQuoted(b, dv, q + 8, end, batch, row);
      if (avail < 8) {
        batch.reason[row] = DecodeReason.TRUNCATED_L4;
        return;
      }
      setPayload(q + 8, ipEnd, frame, batch, row);
      return;
    }
    case PROTO_GRE: {
      // GRE (RFC 2784/2890, version 0): the tunnelled IP packet is kept like an ICMP quote.
      if (avail < 4) {
        batch.reason[row] = DecodeReason.TRUNCATED_L4;
        return;
      }
      const fl = b[q];
      const hl = 4 + (fl & 0x80 ? 4 : 0) + (fl & 0x20 ? 4 : 0) + (fl & 0x10 ? 4 : 0);
      const et = dv.getUint16(q + 2);
      if ((b[q + 1] & 7) === 0 && (et === 0x0800 || et === 0x86dd) && hl <= avail) decodeQuoted(b, dv, q + hl, end, batch, row);
      setPayload(q + (hl <= avail ? hl : avail), ipEnd, frame, batch, row);
      return;
    }
    case PROTO_IPIP:
    case PROTO_IPV6_IN_IP:
      decodeQuoted(b, dv, q, end, batch, row);
      setPayload(q, ipEnd, frame, batch, row);
      return;
    case PROTO_SCTP:
    case PROTO_DCCP:
      if (avail < 4) {
        partialPorts(b, dv, q, avail, batch, row);
        return;
      }
      batch.sport[row] = dv.getUint16(q);
      batch.dport[row] = dv.getUint16(q + 2);
      return;
    default:
      setPayload(q, ipEnd, frame, batch, row);
  }
}

/** Payload position for protocols whose payload is not kept as an excerpt (ICMP quotes, GRE, …: decoded into inner*). */
function setPayload(start: number, ipEnd: number, frame: number, batch: PacketBatch, row: number): void {
  batch.payloadOffset[row] = start - frame;
  batch.payloadLen[row] = ipEnd > start ? ipEnd - start : 0;
}

/**
 * Keep the first PAYLOAD_HEAD captured bytes of a TCP or UDP payload, and the
 * last PAYLOAD_TAIL when there are more (payload patterns of the spoofing
 * filters, evidence for reports).
 */
function excerpt(dv: DataView, start: number, end: number, batch: PacketBatch, row: number): void {
  const n = end - start;
  const head = n < PAYLOAD_HEAD ? n : PAYLOAD_HEAD;
  // Word copies (typed-array subarray views cost more than the copy itself here).
  copyWords(dv, start, batch.payloadHeadView, row * PAYLOAD_HEAD, head);
  batch.payloadHeadLen[row] = head;
  if (n > PAYLOAD_HEAD) copyWords(dv, end - PAYLOAD_TAIL, batch.payloadTailView, row * PAYLOAD_TAIL, PAYLOAD_TAIL);
}

function copyWords(src: DataView, from: number, dst: DataView, to: number, n: number): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) dst.setUint32(to + i, src.getUint32(from + i, true), true); // little-endian both ways: no byte swaps
  for (; i < n; i++) dst.setUint8(to + i, src.getUint8(from + i));
}

function partialPorts(b: Uint8Array, dv: DataView, q: number, avail: number, batch: PacketBatch, row: number): void {
  if (avail >= 2) batch.sport[row] = dv.getUint16(q);
  if (avail >= 4) batch.dport[row] = dv.getUint16(q + 2);
  batch.reason[row] = DecodeReason.TRUNCATED_L4;
}

/** A TCP header cut by the snap length: keep every field that was captured. */
function partialTcp(b: Uint8Array, dv: DataView, q: number, avail: number, batch: PacketBatch, row: number): void {
  partialPorts(b, dv, q, avail, batch, row);
  if (avail >= 8) batch.seq[row] = dv.getUint32(q + 4);
  if (avail >= 12) batch.ack[row] = dv.getUint32(q + 8);
  if (avail >= 13) batch.tcpHdrLen[row] = (b[q + 12] >> 4) << 2;
  if (avail >= 14) batch.tcpFlags[row] = ((b[q + 12] & 1) << 8) | b[q + 13];
  if (avail >= 16) batch.window[row] = dv.getUint16(q + 14);
}

/**
 * The packet inside this one, at b[q, end): quoted by an ICMP error, or carried
 * by a tunnel (GRE, IP-in-IP). Its addresses, protocol, ports and TCP fields.
 */
function decodeQuoted(b: Uint8Array, dv: DataView, q: number, end: number, batch: PacketBatch, row: number): void {
  if (q >= end) return;
  const v = b[q] >> 4;
  let nh: number;
  let l4: number;
  if (v === 4) {
    if (end - q < 20) return;
    const ihl = (b[q] & 15) << 2;
    batch.innerVersion[row] = 4;
    batch.innerTtl[row] = b[q + 8];
    batch.innerIpId[row] = dv.getUint16(q + 4);
    batch.innerSrc[row] = dv.getUint32(q + 12);
    batch.innerDst[row] = dv.getUint32(q + 16);
    nh = b[q + 9];
    batch.innerProto[row] = nh;
    batch.hasInner = true;
    // Ports only from a first fragment with a sane header length.
    if (ihl < 20 || ((b[q + 6] & 0x1f) | b[q + 7]) !== 0) return;
    l4 = q + ihl;
  } else if (v === 6) {
    if (end - q < 40) return;
    const w = row << 2;
    for (let i = 0; i < 4; i++) {
      batch.innerSrc6[w + i] = dv.getUint32(q + 8 + 4 * i);
      batch.innerDst6[w + i] = dv.getUint32(q + 24 + 4 * i);
    }
    batch.innerVersion[row] = 6;
    batch.innerTtl[row] = b[q + 7];
    nh = b[q + 6];
    l4 = q + 40;
    // Skip the quoted extension headers (bounded) to reach the ports.
    for (let i = 0; i < MAX_IPV6_EXT && (nh === 0 || nh === 43 || nh === 60 || nh === 44 || nh === 51); i++) {
      if (l4 + 8 > end) break;
      if (nh === 44 && ((b[l4 + 2] << 8) | (b[l4 + 3] & 0xf8)) !== 0) break;
      const next = b[l4];
      l4 += nh === 44 ? 8 : nh === 51 ? (b[l4 + 1] + 2) << 2 : (b[l4 + 1] + 1) << 3;
      nh = next;
    }
    batch.innerProto[row] = nh;
    batch.hasInner = true;
    batch.hasInner6 = true;
  } else {
    return;
  }
  // The first four bytes after the quoted IP header, as ports (what they are for TCP/UDP/SCTP/DCCP;
  // corsaro3 reads them this way whatever the protocol).
  if (l4 + 4 <= end) {
    batch.innerSport[row] = dv.getUint16(l4);
    batch.innerDport[row] = dv.getUint16(l4 + 2);
  }
  if (nh === PROTO_TCP) {
    if (l4 + 8 <= end) batch.innerSeq[row] = dv.getUint32(l4 + 4);
    if (l4 + 14 <= end) batch.innerTcpFlags[row] = ((b[l4 + 12] & 1) << 8) | b[l4 + 13];
    if (l4 + 16 <= end) batch.innerWindow[row] = dv.getUint16(l4 + 14);
  }
}

/** decodeFrame for callers that hold only the bytes (tests, tools): builds the DataView. */
export function decodeFrameBytes(b: Uint8Array, off: number, cap: number, linkType: number, batch: PacketBatch, row: number): void {
  decodeFrame(b, new DataView(b.buffer, b.byteOffset, b.byteLength), off, cap, linkType, batch, row);
}
