/**
 * Why a frame was not (fully) decoded. Stored per row in PacketBatch.reason,
 * so a truncated or odd packet is kept and counted, never thrown away.
 *
 * Rows with reason OK or with a reason at or above FIRST_L3_REASON still carry
 * valid IP-level fields (ipVersion != 0); the transport fields are then absent.
 */
export const enum DecodeReason {
  OK = 0,
  /** The interface's link type has no decoder (the count names the type). */
  UNSUPPORTED_LINKTYPE = 1,
  /** Frame shorter than its link-layer header (or VLAN / MPLS stack). */
  TRUNCATED_LINK = 2,
  /** Link layer carries something other than IPv4/IPv6 (ARP, LLDP, STP, …). */
  NOT_IP = 3,
  /** Fewer bytes than a minimal IPv4 (20) or IPv6 (40) header. */
  TRUNCATED_IP = 4,
  /** Version nibble disagrees with the link layer's protocol field. */
  BAD_IP_VERSION = 5,
  /** VLAN/MPLS/LLC nesting deeper than we follow. */
  TOO_DEEP = 8,

  // ---- from here on the IP header was decoded (ipVersion != 0) ----
  /** IPv4 IHL below 5 words. */
  BAD_IHL = 14,
  /** Options of the IPv4 header (IHL) cut off by the capture length. */
  TRUNCATED_IP_OPTIONS = 15,
  /** IPv4 total length smaller than its header length. */
  BAD_IP_LENGTH = 16,
  /** A fragment other than the first: no transport header in it. */
  FRAGMENT = 17,
  /** IPv6 extension header chain cut off by the capture length. */
  TRUNCATED_IPV6_EXT = 18,
  /** More IPv6 extension headers than we follow (hostile chains). */
  IPV6_EXT_TOO_DEEP = 21,
  /** Transport header cut off (ports etc. kept as far as present). */
  TRUNCATED_L4 = 19,
  /** TCP data offset below 5 words. */
  BAD_TCP_OFFSET = 20,
}

export const FIRST_L3_REASON = DecodeReason.BAD_IHL;
export const REASON_COUNT = 32;

const LABELS: Record<number, string> = {
  [DecodeReason.OK]: 'ok',
  [DecodeReason.UNSUPPORTED_LINKTYPE]: 'unsupported link type',
  [DecodeReason.TRUNCATED_LINK]: 'truncated link-layer header',
  [DecodeReason.NOT_IP]: 'not IP',
  [DecodeReason.TRUNCATED_IP]: 'truncated IP header',
  [DecodeReason.BAD_IP_VERSION]: 'bad IP version',
  [DecodeReason.BAD_IHL]: 'bad IPv4 header length',
  [DecodeReason.TRUNCATED_IP_OPTIONS]: 'truncated IPv4 options',
  [DecodeReason.TOO_DEEP]: 'encapsulation too deep',
  [DecodeReason.BAD_IP_LENGTH]: 'bad IP total length',
  [DecodeReason.FRAGMENT]: 'non-first fragment',
  [DecodeReason.TRUNCATED_IPV6_EXT]: 'truncated IPv6 extension header',
  [DecodeReason.TRUNCATED_L4]: 'truncated transport header',
  [DecodeReason.BAD_TCP_OFFSET]: 'bad TCP data offset',
  [DecodeReason.IPV6_EXT_TOO_DEEP]: 'too many IPv6 extension headers',
};

export function reasonLabel(reason: number): string {
  return LABELS[reason] ?? `reason ${reason}`;
}
