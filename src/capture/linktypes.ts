/**
 * LINKTYPE_* values as they appear in pcap and pcapng files
 * (https://www.tcpdump.org/linktypes.html). Only the ones darkscope decodes, plus
 * names for the common others so reports can say what was skipped.
 */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  /** DLT_RAW as written by most systems' libpcap. */
  RAW_DLT12: 12,
  /** DLT_RAW as written on OpenBSD. */
  RAW_DLT14: 14,
  PPP_HDLC: 50,
  RAW: 101,
  C_HDLC: 104,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  6: 'IEEE802',
  8: 'SLIP',
  9: 'PPP',
  10: 'FDDI',
  12: 'RAW',
  14: 'RAW',
  50: 'PPP_HDLC',
  51: 'PPP_ETHER',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  107: 'FRELAY',
  108: 'LOOP',
  113: 'LINUX_SLL',
  119: 'PRISM_HEADER',
  127: 'IEEE802_11_RADIOTAP',
  129: 'ARCNET_LINUX',
  140: 'MTP2',
  160: 'USB_LINUX',
  163: 'IEEE802_11_AVS',
  165: 'BACNET_MS_TP',
  189: 'USB_LINUX_MMAPPED',
  192: 'PPI',
  195: 'IEEE802_15_4_WITHFCS',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

export function linkTypeName(lt: number): string {
  return NAMES[lt] ?? `LINKTYPE_${lt}`;
}

/** Maximum snapshot length libpcap and Wireshark accept for ordinary link types (256 KiB). */
export const MAX_SNAPLEN = 262144;
