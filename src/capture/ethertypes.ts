/** Names of EtherTypes commonly seen next to IP, for "skipped: not IP (…)" counts. */
const NAMES: Record<number, string> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x0842: 'Wake-on-LAN',
  0x22f0: 'AVTP',
  0x6003: 'DECnet',
  0x8035: 'RARP',
  0x809b: 'AppleTalk',
  0x80f3: 'AARP',
  0x8100: 'VLAN',
  0x8137: 'IPX',
  0x8809: 'slow protocols (LACP)',
  0x8847: 'MPLS',
  0x8848: 'MPLS multicast',
  0x8863: 'PPPoE discovery',
  0x8864: 'PPPoE session',
  0x886d: 'Intel ANS',
  0x888e: 'EAPOL',
  0x8892: 'PROFINET',
  0x88a8: 'QinQ',
  0x88cc: 'LLDP',
  0x88e5: 'MACsec',
  0x88f7: 'PTP',
  0x8902: 'CFM',
  0x86dd: 'IPv6',
  0x9000: 'loopback',
};

export function ethertypeLabel(et: number): string {
  const hex = `0x${et.toString(16).padStart(4, '0')}`;
  if (et === 0) return 'unknown protocol';
  const name = NAMES[et];
  return name ? `ethertype ${hex} ${name}` : `ethertype ${hex}`;
}
