/**
 * The detectors ingest runs over the rows of the files, in record order, and their
 * events as the store keeps them. An event is committed with the chunk holding the
 * record that ended it; a resumed file is replayed from its first record with fresh
 * state, and the events it re-emits before the resume point are dropped.
 *
 * State carries across the files of one ingest run (hourly rotation must not split scans
 * and attacks): every file, the run's last too, commits its open events as provisional
 * (`open:` ids, details.provisional: still open where the data ends; a later capture may
 * extend them). If the next file is new, of the same sensor and in time order, the state
 * continues into it (events ending from then on are its own) and its commits delete the
 * provisional events that its ended events supersede (same key and first time), its last
 * commit the rest. Otherwise the next file starts fresh and the provisional events stay:
 * those events ended where the data did.
 *
 * Across runs (one file per run, cron), by replay: a new file that starts fresh looks in
 * the ledger for the sensor's complete capture that ended last, at most 1 s after its first
 * record and no more than the longest detector timeout before it (scan, infected, 2 × DoS
 * interval). If that capture has provisional events and is still readable where it was
 * ingested from (same size and quick hash), it is replayed through the detectors (its
 * ended events are stored: discarded) and, when the state it leaves open is exactly its
 * stored provisional events, the new file continues it as above. Otherwise (gone, changed,
 * or it had itself continued an earlier capture, whose part the replay lacks) the new file
 * starts fresh and the provisional events stay (ingest's FileOutcome.replayMissing says why).
 *
 * Crashes: after file k completed, the rerun starts k + 1 fresh; k's provisional events
 * stay. Inside a k + 1 that continued k, the rerun resumes k + 1 fresh: what ended before
 * the crash is stored whole (its provisional part deleted in the same transaction) and the
 * fresh replay ends its remainder at the same record (detectors end events at time-aligned
 * points or at the key's own next packet), so drops it; what was still open keeps its
 * provisional part from k and gets a second event from k + 1. Nothing lost or doubled.
 * The same holds when k is an earlier run's capture: a crash before k + 1's first commit
 * makes the rerun replay k again; a crash after it resumes k + 1 fresh.
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

const ZERO_DROPPED: DetectorDropped = { dos: 0, scan: 0, infected: 0, reflection: 0 };

/** The id an event of file `fileId` with e's key and first time has, as provisional. */
export function openId(e: StoredEvent, fileId: number): string {
  return `open:${e.type}:${fileId}:${e.id.slice(`${e.type}:${e.fileId}:`.length)}`;
}

export class FileDetectors {
  private readonly dos: DosDetector;
  private readonly scan: ScanDetector;
  private readonly infected: InfectedDetector;
  private readonly reflection: ReflectionDetector;
  private readonly pending: StoredEvent[] = [];
  /** The provisional events stored with the file before, still open here (continued state). */
  private carried = new Set<string>();
  private carriedFrom = -1;
  private readonly superseded: string[] = [];
  /** Drop counters when this file began (they run on over continued files). */
  private droppedBase = ZERO_DROPPED;

  constructor(
    space: DetectorSpace,
    private fileId: number,
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
    this.collect();
  }

  private collect(): void {
    for (const a of this.dos.take()) this.emit(dosToStored(a, this.fileId));
    for (const e of this.scan.take()) this.emit(scanToStored(e, this.fileId));
    for (const h of this.infected.take()) this.emit(infectedToStored(h, this.fileId));
    for (const r of this.reflection.take()) this.emit(reflectionToStored(r, this.fileId));
  }

  private emit(e: StoredEvent): void {
    this.pending.push(e);
    if (this.carried.size === 0) return;
    const id = openId(e, this.carriedFrom);
    if (this.carried.delete(id)) this.superseded.push(id);
  }

  /** Events that ended since the last call (to commit with the next chunk). */
  take(): StoredEvent[] {
    return this.pending.splice(0);
  }

  /** Provisional ids of the file before that events taken since the last call supersede. */
  takeSuperseded(): string[] {
    return this.superseded.splice(0);
  }

  /** The events open now, as provisional events of this file (read-only). */
  openEvents(): StoredEvent[] {
    const open = [
      ...this.dos.openEvents().map((a) => dosToStored(a, this.fileId)),
      ...this.scan.openEvents().map((e) => scanToStored(e, this.fileId)),
      ...this.infected.openEvents().map((h) => infectedToStored(h, this.fileId)),
      ...this.reflection.openEvents().map((r) => reflectionToStored(r, this.fileId)),
    ];
    return open.map((e) => ({ ...e, id: openId(e, this.fileId), details: { ...(e.details as object), provisional: true } }));
  }

  /**
   * End of a file: its ended events and its open ones (provisional);
   * the state stays for continueAs() (or is dropped).
   */
  pause(): StoredEvent[] {
    const open = this.openEvents();
    this.carried = new Set(open.map((e) => e.id));
    this.carriedFrom = this.fileId;
    this.superseded.length = 0;
    return [...this.take(), ...open];
  }

  /** The next file continues this state: events ending from now on are its. */
  continueAs(fileId: number): void {
    this.fileId = fileId;
    this.droppedBase = this.counters();
  }

  /** End of the data: every open event ends (ingest pauses instead: a later capture may continue). */
  finish(): StoredEvent[] {
    for (const a of this.dos.finish()) this.emit(dosToStored(a, this.fileId));
    for (const e of this.scan.finish()) this.emit(scanToStored(e, this.fileId));
    for (const h of this.infected.finish()) this.emit(infectedToStored(h, this.fileId));
    for (const r of this.reflection.finish()) this.emit(reflectionToStored(r, this.fileId));
    this.carried.clear();
    this.superseded.length = 0;
    return this.take();
  }

  private counters(): DetectorDropped {
    return { dos: this.dos.droppedPackets, scan: this.scan.droppedPackets, infected: this.infected.droppedPackets, reflection: this.reflection.droppedPackets };
  }

  /** Memory bounds hit in this file (packets of victims / keys not tracked). */
  get dropped(): DetectorDropped {
    const c = this.counters(), b = this.droppedBase;
    return { dos: c.dos - b.dos, scan: c.scan - b.scan, infected: c.infected - b.infected, reflection: c.reflection - b.reflection };
  }
}
