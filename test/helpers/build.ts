import { ipv4Fields, ipv4Tcp, tcpFields } from '../../bench/synth/packet.js';

/**
 * Hand-built capture files for the cases the corpus lacks (big-endian ns
 * pcap, LOOP, truncated records, huge records, power-of-two if_tsresol, …).
 * Every test that uses these says so: they are labelled hand-made.
 */

export class Bytes {
  private parts: number[] = [];
  constructor(private readonly le = true) {}
  u8(v: number): this {
    this.parts.push(v & 255);
    return this;
  }
  u16(v: number): this {
    return this.le ? this.u8(v).u8(v >>> 8) : this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.le ? this.u16(v & 0xffff).u16(v >>> 16) : this.u16(v >>> 16).u16(v & 0xffff);
  }
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i] & 255);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface PcapOptions {
  le?: boolean;
  ns?: boolean;
  major?: number;
  minor?: number;
  snaplen?: number;
  /** The whole 32-bit link-type field (FCS bits included). */
  linkType?: number;
}

export interface PcapRecord {
  sec: number;
  frac: number;
  data: Uint8Array;
  /** Wire length (default data.length). */
  orig?: number;
  /** Override the captured-length field (to build lying records). */
  incl?: number;
}

export function pcapHeader(o: PcapOptions = {}): Bytes {
  const le = o.le ?? true;
  const b = new Bytes(le);
  b.u32(o.ns ? 0xa1b23c4d : 0xa1b2c3d4).u16(o.major ?? 2).u16(o.minor ?? 4).u32(0).u32(0).u32(o.snaplen ?? 65535).u32(o.linkType ?? 1);
  return b;
}

/** A classic pcap file; records in order. For versions < 2.3 the length fields are written swapped, as old libpcap did. */
export function pcapFile(o: PcapOptions, records: PcapRecord[]): Uint8Array {
  const b = pcapHeader(o);
  const swapped = (o.major ?? 2) === 2 && (o.minor ?? 4) < 3;
  for (const r of records) {
    const incl = r.incl ?? r.data.length;
    const orig = r.orig ?? r.data.length;
    b.u32(r.sec).u32(r.frac);
    if (swapped) b.u32(orig).u32(incl);
    else b.u32(incl).u32(orig);
    b.bytes(r.data);
  }
  return b.build();
}

export type NgBlock =
  | { kind: 'idb'; linkType: number; snaplen?: number; tsresol?: number; tsoffset?: number; name?: string; rawOptions?: Uint8Array }
  | { kind: 'epb'; iface: number; ticks: bigint; data: Uint8Array; orig?: number; capLen?: number }
  | { kind: 'pb'; iface: number; ticks: bigint; data: Uint8Array }
  | { kind: 'spb'; data: Uint8Array; orig?: number }
  | { kind: 'raw'; type: number; body: Uint8Array };

export interface NgSection {
  le?: boolean;
  major?: number;
  minor?: number;
  blocks: NgBlock[];
}

function block(le: boolean, type: number, body: Bytes): Bytes {
  body.pad4();
  const total = body.length + 12;
  return new Bytes(le).u32(type).u32(total).bytes(body.build()).u32(total);
}

function option(b: Bytes, code: number, value: ArrayLike<number>): void {
  b.u16(code).u16(value.length).bytes(value).pad4();
}

/** A pcapng file of one or more sections, each in its own byte order. */
export function pcapngFile(sections: NgSection[]): Uint8Array {
  const out = new Bytes();
  for (const s of sections) {
    const le = s.le ?? true;
    const shb = new Bytes(le).u32(0x1a2b3c4d).u16(s.major ?? 1).u16(s.minor ?? 0).u32(0xffffffff).u32(0xffffffff);
    out.bytes(block(le, 0x0a0d0d0a, shb).build());
    for (const bl of s.blocks) out.bytes(encode(le, bl).build());
  }
  return out.build();
}

function encode(le: boolean, bl: NgBlock): Bytes {
  const body = new Bytes(le);
  switch (bl.kind) {
    case 'idb': {
      body.u16(bl.linkType).u16(0).u32(bl.snaplen ?? 0);
      if (bl.rawOptions) body.bytes(bl.rawOptions);
      else {
        if (bl.name !== undefined) option(body, 2, Buffer.from(bl.name));
        if (bl.tsresol !== undefined) option(body, 9, [bl.tsresol]);
        if (bl.tsoffset !== undefined) {
          const o = new Bytes(le);
          const v = BigInt.asUintN(64, BigInt(bl.tsoffset));
          if (le) o.u32(Number(v & 0xffffffffn)).u32(Number(v >> 32n));
          else o.u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn));
          option(body, 14, o.build());
        }
        body.u16(0).u16(0);
      }
      return block(le, 1, body);
    }
    case 'epb':
      body.u32(bl.iface).u32(Number(bl.ticks >> 32n)).u32(Number(bl.ticks & 0xffffffffn));
      body.u32(bl.capLen ?? bl.data.length).u32(bl.orig ?? bl.data.length).bytes(bl.data);
      return block(le, 6, body);
    case 'pb':
      body.u16(bl.iface).u16(0).u32(Number(bl.ticks >> 32n)).u32(Number(bl.ticks & 0xffffffffn));
      body.u32(bl.data.length).u32(bl.data.length).bytes(bl.data);
      return block(le, 2, body);
    case 'spb':
      body.u32(bl.orig ?? bl.data.length).bytes(bl.data);
      return block(le, 3, body);
    case 'raw':
      body.bytes(bl.body);
      return block(le, bl.type, body);
  }
}

/** IPv4 + TCP SYN built by the synthetic-traffic packet builder (checksums included). Labelled hand-made. */
export function ipv4TcpSyn(o: { src: number; dst: number; sport: number; dport: number; seq: number; ttl?: number; id?: number; window?: number; options?: number[] }): Uint8Array {
  const b = new Uint8Array(120);
  const n = ipv4Tcp(
    b,
    0,
    ipv4Fields({ src: o.src, dst: o.dst, ttl: o.ttl ?? 64, id: o.id ?? 1 }),
    tcpFields({ sport: o.sport, dport: o.dport, seq: o.seq, window: o.window ?? 1024, options: o.options ? Uint8Array.from(o.options) : null }),
  );
  return b.slice(0, n);
}

export function ethernet(payload: Uint8Array, ethertype = 0x0800, vlans: number[] = []): Uint8Array {
  const b = new Bytes(false).bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  for (const v of vlans) b.u16(0x8100).u16(v);
  return b.u16(ethertype).bytes(payload).build();
}
