/**
 * The detectors ingest runs over one file's rows, in record order, and their events
 * as the store keeps them. State lives per file: a resumed ingest replays the file
 * from its first record, so the events are those of an uninterrupted run; an event is
 * committed with the chunk holding the record that ended it, so the replay drops the
 * events it re-emits before the resume point. Events do not span files.
 */
import type { Darknet } from '../config/darknet.js';
import type { PacketBatch } from '../decode/batch.js';
import type { StoredEvent } from '../store/store.js';
import { DosDetector, type DosAttack, type DosOptions } from './dos.js';
import { ScanDetector, type ScanEvent, type ScanOptions } from './scan.js';
import type { SurgeOptions } from './surge.js';
import { InfectedDetector, type InfectedHost, type InfectedOptions } from './infected.js';

export interface DetectOptions {
  dos?: Partial<DosOptions>;
  scan?: Partial<ScanOptions>;
  surge?: Partial<SurgeOptions>;
  infected?: Partial<InfectedOptions>;
}

const PROTO_OF_TYPE: Record<string, number> = { udp: 17 };

export function scanToStored(e: ScanEvent, fileId: number): StoredEvent {
  const proto = e.trafficType.startsWith('tcp') ? 6 : e.trafficType.startsWith('icmp') ? 1 : (PROTO_OF_TYPE[e.trafficType] ?? 0);
  return {
    id: `scan:${fileId}:${e.source}:${e.shape === 'vertical' ? `host ${e.host}` : e.port}:${e.trafficType}:${Math.round(e.firstSec * 1e6)}`,
    type: 'scan',
    fileId,
    firstSec: e.firstSec,
    lastSec: e.lastSec,
    source: e.source,
    port: e.port,
    proto,
    tool: e.tool,
    victim: e.host,
    victimPort: null,
    attackType: null,
    packets: e.packets,
    details: e,
  };
}

export function dosToStored(a: DosAttack, fileId: number): StoredEvent {
  return {
    id: `dos:${fileId}:${a.victim}:${a.proto}:${Math.round(a.startSec * 1e6)}`,
    type: 'dos',
    fileId,
    firstSec: a.startSec,
    lastSec: a.endSec,
    source: null,
    port: null,
    proto: a.proto,
    tool: null,
    victim: a.victim,
    victimPort: a.victimPort,
    attackType: a.attackType,
    packets: a.packets,
    details: a,
  };
}

export function infectedToStored(h: InfectedHost, fileId: number): StoredEvent {
  return {
    id: `infected:${fileId}:${h.host}:${Math.round(h.firstSec * 1e6)}`,
    type: 'infected',
    fileId,
    firstSec: h.firstSec,
    lastSec: h.lastSec,
    source: h.host,
    port: h.firstPort,
    proto: h.proto,
    tool: h.tools.length ? h.tools.join('+') : null,
    victim: null,
    victimPort: null,
    attackType: null,
    packets: h.packets,
    details: h,
  };
}

export class FileDetectors {
  private readonly dos: DosDetector;
  private readonly scan: ScanDetector;
  private readonly infected: InfectedDetector;
  private readonly pending: StoredEvent[] = [];

  constructor(
    darknet: Darknet,
    private readonly fileId: number,
    opts: DetectOptions = {},
  ) {
    this.dos = new DosDetector({ extrapolationFactor: darknet.extrapolationFactor, ...opts.dos });
    this.scan = new ScanDetector({ extrapolationFactor: darknet.extrapolationFactor, darknetSize: darknet.sizeV4, ...opts.scan });
    this.infected = new InfectedDetector(opts.infected);
  }

  add(b: PacketBatch, from: number, to: number): void {
    this.dos.add(b, from, to);
    this.scan.add(b, from, to);
    this.infected.add(b, from, to);
    for (const a of this.dos.take()) this.pending.push(dosToStored(a, this.fileId));
    for (const e of this.scan.take()) this.pending.push(scanToStored(e, this.fileId));
    for (const h of this.infected.take()) this.pending.push(infectedToStored(h, this.fileId));
  }

  /** Events that ended since the last call (to commit with the next chunk). */
  take(): StoredEvent[] {
    return this.pending.splice(0);
  }

  /** End of the file: every open event ends. */
  finish(): StoredEvent[] {
    for (const a of this.dos.finish()) this.pending.push(dosToStored(a, this.fileId));
    for (const e of this.scan.finish()) this.pending.push(scanToStored(e, this.fileId));
    for (const h of this.infected.finish()) this.pending.push(infectedToStored(h, this.fileId));
    return this.take();
  }

  /** Memory bounds hit (packets of victims / keys not tracked). */
  get dropped(): { dos: number; scan: number; infected: number } {
    return { dos: this.dos.droppedPackets, scan: this.scan.droppedPackets, infected: this.infected.droppedPackets };
  }
}
