/**
 * The detectors ingest runs over one file's rows, in record order, and their events
 * as the store keeps them. State lives per file: a resumed ingest replays the file
 * from its first record, so the events are those of an uninterrupted run; an event is
 * committed with the chunk holding the record that ended it, so the replay drops the
 * events it re-emits before the resume point. Events do not span files.
 */
import type { PacketBatch } from '../decode/batch.js';
import type { StoredEvent } from '../store/store.js';
import { DosDetector, type DosAttack, type DosOptions } from './dos.js';
import { ScanDetector, type ScanEvent, type ScanOptions } from './scan.js';
import type { SurgeOptions } from './surge.js';
import { InfectedDetector, type InfectedHost, type InfectedOptions } from './infected.js';
import { ReflectionDetector, type ReflectionEvent, type ReflectionOptions } from './reflection.js';

export interface DetectOptions {
  dos?: Partial<DosOptions>;
  scan?: Partial<ScanOptions>;
  surge?: Partial<SurgeOptions>;
  infected?: Partial<InfectedOptions>;
  reflection?: Partial<ReflectionOptions>;
}

/** What the detectors need of the Darknet (plain data: it crosses to the detector worker). */
export interface DetectorSpace {
  /** 2^32 / N. */
  extrapolationFactor: number;
  /** N: monitored IPv4 addresses. */
  sizeV4: number;
}

/** Packets not tracked because a memory cap was hit, per detector. */
export interface DetectorDropped {
  dos: number;
  scan: number;
  infected: number;
  reflection: number;
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

export function reflectionToStored(r: ReflectionEvent, fileId: number): StoredEvent {
  return {
    id: `reflection:${fileId}:${r.prefix}:${Math.round(r.firstSec * 1e6)}`,
    type: 'reflection',
    fileId,
    firstSec: r.firstSec,
    lastSec: r.lastSec,
    source: null,
    port: r.ports[0]?.port ?? null,
    proto: 6,
    tool: null,
    victim: r.prefix,
    victimPort: null,
    attackType: 'syn-ack-reflection',
    packets: r.packets,
    details: r,
  };
}

export class FileDetectors {
  private readonly dos: DosDetector;
  private readonly scan: ScanDetector;
  private readonly infected: InfectedDetector;
  private readonly reflection: ReflectionDetector;
  private readonly pending: StoredEvent[] = [];

  constructor(
    space: DetectorSpace,
    private readonly fileId: number,
    opts: DetectOptions = {},
  ) {
    this.dos = new DosDetector({ extrapolationFactor: space.extrapolationFactor, ...opts.dos });
    this.scan = new ScanDetector({ extrapolationFactor: space.extrapolationFactor, darknetSize: space.sizeV4, ...opts.scan });
    this.infected = new InfectedDetector(opts.infected);
    this.reflection = new ReflectionDetector(opts.reflection);
  }

  add(b: PacketBatch, from: number, to: number): void {
    this.dos.add(b, from, to);
    this.scan.add(b, from, to);
    this.infected.add(b, from, to);
    this.reflection.add(b, from, to);
    for (const a of this.dos.take()) this.pending.push(dosToStored(a, this.fileId));
    for (const e of this.scan.take()) this.pending.push(scanToStored(e, this.fileId));
    for (const h of this.infected.take()) this.pending.push(infectedToStored(h, this.fileId));
    for (const r of this.reflection.take()) this.pending.push(reflectionToStored(r, this.fileId));
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
    for (const r of this.reflection.finish()) this.pending.push(reflectionToStored(r, this.fileId));
    return this.take();
  }

  /** Memory bounds hit (packets of victims / keys not tracked). */
  get dropped(): DetectorDropped {
    return { dos: this.dos.droppedPackets, scan: this.scan.droppedPackets, infected: this.infected.droppedPackets, reflection: this.reflection.droppedPackets };
  }
}
