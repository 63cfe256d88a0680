/**
 * Link layers: find the network-layer header inside a frame.
 *
 * findNetworkLayer() returns the offset of the IP header (or -1) and leaves the
 * network protocol (EtherType space) in `foundL3Type` and, on failure, the
 * reason in `linkFailure`. Module scratch variables instead of a result object:
 * this runs once per packet.
 */
import { LINKTYPE } from '../capture/linktypes.js';
import { DecodeReason } from './reasons.js';

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;

/** Network protocol of the last frame (EtherType numbering; 0 if unknown). */
export let foundL3Type = 0;
/** DecodeReason when findNetworkLayer() returned -1. */
export let linkFailure = 0;

/** VLAN tags + MPLS labels + LLC/PPPoE layers followed before giving up. */
const MAX_DEPTH = 16;

function fail(reason: DecodeReason, l3: number): number {
  linkFailure = reason;
  foundL3Type = l3;
  return -1;
}

/** Map a PPP protocol number to EtherType space. */
function pppToEthertype(proto: number): number {
  if (proto === 0x0021) return ETH_IPV4;
  if (proto === 0x0057) return ETH_IPV6;
  return 0;
}

/** Map an address family (BSD loopback / NULL encapsulation) to EtherType space. */
function familyToEthertype(af: number): number {
  if (af === 2) return ETH_IPV4;
  // AF_INET6 differs per OS: Linux 10, Windows 23, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30.
  if (af === 24 || af === 28 || af === 30 || af === 10 || af === 23) return ETH_IPV6;
  return 0;
}

function versionToEthertype(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return fail(DecodeReason.TRUNCATED_IP, 0);
  const v = b[p] >> 4;
  if (v === 4) foundL3Type = ETH_IPV4;
  else if (v === 6) foundL3Type = ETH_IPV6;
  else return fail(DecodeReason.BAD_IP_VERSION, 0);
  return p;
}

/**
 * Follow an EtherType (already read; p is just past it) through VLAN/QinQ tags,
 * MPLS label stacks, PPPoE sessions and 802.2 LLC/SNAP to IPv4 or IPv6.
 */
export function followEthertype(b: Uint8Array, p: number, end: number, et: number): number {
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    switch (et) {
      case ETH_IPV4:
      case ETH_IPV6:
        foundL3Type = et;
        return p;
      case 0x8100: // 802.1Q
      case 0x88a8: // 802.1ad (QinQ outer)
      case 0x9100: // old QinQ
      case 0x9200:
        if (p + 4 > end) return fail(DecodeReason.TRUNCATED_LINK, et);
        et = (b[p + 2] << 8) | b[p + 3];
        p += 4;
        continue;
      case 0x8847: // MPLS unicast
      case 0x8848: {
        // MPLS multicast
        for (;;) {
          if (p + 4 > end) return fail(DecodeReason.TRUNCATED_LINK, et);
          const bottom = b[p + 2] & 1;
          p += 4;
          if (bottom) break;
          if (++depth >= MAX_DEPTH) return fail(DecodeReason.TOO_DEEP, et);
        }
        // No protocol field below MPLS: guess from the version nibble, as Wireshark does.
        if (p >= end) return fail(DecodeReason.TRUNCATED_LINK, et);
        const v = b[p] >> 4;
        if (v === 4) et = ETH_IPV4;
        else if (v === 6) et = ETH_IPV6;
        else return fail(DecodeReason.NOT_IP, et);
        continue;
      }
      case 0x8864: {
        // PPPoE session: 6-byte header, then a PPP protocol number.
        if (p + 8 > end) return fail(DecodeReason.TRUNCATED_LINK, et);
        const l3 = pppToEthertype((b[p + 6] << 8) | b[p + 7]);
        if (l3 === 0) return fail(DecodeReason.NOT_IP, et);
        et = l3;
        p += 8;
        continue;
      }
      default:
        if (et < 0x0600) {
          // 802.3 length field: only LLC/SNAP carries an EtherType.
          if (p + 3 > end) return fail(DecodeReason.TRUNCATED_LINK, 0);
          if (b[p] === 0xaa && b[p + 1] === 0xaa && b[p + 2] === 0x03) {
            if (p + 8 > end) return fail(DecodeReason.TRUNCATED_LINK, 0);
            et = (b[p + 6] << 8) | b[p + 7];
            p += 8;
            continue;
          }
          return fail(DecodeReason.NOT_IP, 0);
        }
        return fail(DecodeReason.NOT_IP, et);
    }
  }
  return fail(DecodeReason.TOO_DEEP, et);
}

/** Offset of the IP header in b[p, end) for a frame of the given link type, or -1. */
export function findNetworkLayer(b: Uint8Array, p: number, end: number, linkType: number): number {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      if (p + 14 > end) return fail(DecodeReason.TRUNCATED_LINK, 0);
      return followEthertype(b, p + 14, end, (b[p + 12] << 8) | b[p + 13]);
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_DLT12:
    case LINKTYPE.RAW_DLT14:
      return versionToEthertype(b, p, end);
    case LINKTYPE.IPV4:
      foundL3Type = ETH_IPV4;
      return p;
    case LINKTYPE.IPV6:
      foundL3Type = ETH_IPV6;
      return p;
    case LINKTYPE.LINUX_SLL:
      if (p + 16 > end) return fail(DecodeReason.TRUNCATED_LINK, 0);
      return followEthertype(b, p + 16, end, (b[p + 14] << 8) | b[p + 15]);
    case LINKTYPE.LINUX_SLL2:
      if (p + 20 > end) return fail(DecodeReason.TRUNCATED_LINK, 0);
      return followEthertype(b, p + 20, end, (b[p] << 8) | b[p + 1]);
    case LINKTYPE.NULL: {
      // Address family in the byte order of the machine that wrote the file.
      if (p + 4 > end) return fail(DecodeReason.TRUNCATED_LINK, 0);
      let af = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
      if (af > 0xffff) af = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
      const et = familyToEthertype(af);
      if (et === 0) return fail(DecodeReason.NOT_IP, 0);
      foundL3Type = et;
      return p + 4;
    }
    case LINKTYPE.LOOP: {
      // Like NULL, but the family is always big-endian.
      if (p + 4 > end) return fail(DecodeReason.TRUNCATED_LINK, 0);
      const et = familyToEthertype(((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0);
      if (et === 0) return fail(DecodeReason.NOT_IP, 0);
      foundL3Type = et;
      return p + 4;
    }
    case LINKTYPE.PPP:
    case LINKTYPE.PPP_HDLC: {
      if (p + 2 <= end && b[p] === 0xff && b[p + 1] === 0x03) p += 2;
      if (p >= end) return fail(DecodeReason.TRUNCATED_LINK, 0);
      let proto: number;
      if (b[p] & 1) {
        proto = b[p]; // protocol-field compression: one byte
        p += 1;
      } else {
        if (p + 2 > end) return fail(DecodeReason.TRUNCATED_LINK, 0);
        proto = (b[p] << 8) | b[p + 1];
        p += 2;
      }
      const et = pppToEthertype(proto === 0x21 ? 0x0021 : proto === 0x57 ? 0x0057 : proto);
      if (et === 0) return fail(DecodeReason.NOT_IP, 0);
      foundL3Type = et;
      return p;
    }
    case LINKTYPE.C_HDLC:
      if (p + 4 > end) return fail(DecodeReason.TRUNCATED_LINK, 0);
      return followEthertype(b, p + 4, end, (b[p + 2] << 8) | b[p + 3]);
    default:
      return fail(DecodeReason.UNSUPPORTED_LINKTYPE, 0);
  }
}

/** Link types findNetworkLayer() understands. */
export const DECODED_LINKTYPES: ReadonlySet<number> = new Set<number>(Object.values(LINKTYPE));
