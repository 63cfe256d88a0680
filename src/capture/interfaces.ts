/**
 * Capture interfaces. Each (file, pcapng section, IDB) or classic pcap file is
 * one interface with its own link type, snap length and timestamp resolution.
 * They get process-wide ids so that rows from merged files stay attributable
 * (PacketBatch.iface); later stages map interfaces to sensors.
 */
import { linkTypeName } from './linktypes.js';

export interface InterfaceInfo {
  /** Global id, the value stored in PacketBatch.iface. */
  id: number;
  file: string;
  /** pcapng section number (0 for classic pcap). */
  section: number;
  /** Index of the IDB inside its section (0 for classic pcap). */
  index: number;
  linkType: number;
  linkTypeName: string;
  snaplen: number;
  /** "1e-6", "1e-9", "2^-10", … */
  tsResolution: string;
  /** Bytes of frame check sequence at the end of each frame, when the file says so. */
  fcsLength: number | null;
  name?: string;
  description?: string;
}

/** Refuse to track more interfaces than this per file (hostile pcapng). */
export const MAX_INTERFACES_PER_FILE = 65536;

export class InterfaceRegistry {
  private readonly list: InterfaceInfo[] = [];
  /** linkTypes[id] for the hot path. */
  private linkTypes = new Int32Array(16);

  add(info: Omit<InterfaceInfo, 'id' | 'linkTypeName'>): InterfaceInfo {
    const id = this.list.length;
    const full: InterfaceInfo = { id, ...info, linkTypeName: linkTypeName(info.linkType) };
    this.list.push(full);
    if (id >= this.linkTypes.length) {
      const grown = new Int32Array(this.linkTypes.length * 2);
      grown.set(this.linkTypes);
      this.linkTypes = grown;
    }
    this.linkTypes[id] = info.linkType;
    return full;
  }

  get(id: number): InterfaceInfo | undefined {
    return this.list[id];
  }

  linkTypeOf(id: number): number {
    return id < this.list.length ? this.linkTypes[id] : -1;
  }

  get size(): number {
    return this.list.length;
  }

  all(): readonly InterfaceInfo[] {
    return this.list;
  }
}
