/**
 * Ingest: capture files → decode → classify → enrich → Store, exactly once.
 *
 * Each file is cut into chunks of a fixed number of records (chunk k holds
 * records [k·C, (k+1)·C)); a chunk's rows, rollups and the ledger's position
 * commit in one transaction. The ledger knows files by content (SHA-256 and
 * size), so a file already ingested — under any name — adds nothing, and a
 * file left partial by a crash resumes at its first uncommitted record: the
 * chunks of the re-run are the same as those of an uninterrupted run.
 */
import { createHash } from 'node:crypto';
import { expandInputs } from '../capture/files.js';
import { CaptureReader, type CaptureInfo } from '../capture/reader.js';
import { Classifier } from '../classify/classifier.js';
import type { Darknet } from '../config/darknet.js';
import { BatchPool, DEFAULT_BATCH_ROWS, type PacketBatch } from '../decode/batch.js';
import { Enricher } from '../enrich/enricher.js';
import type { GeoDb } from '../enrich/geo.js';
import type { ChunkTransaction, LedgerEntry, NewFile, Store, StoredEvent } from '../store/store.js';
import { fullHash, quickHash } from './identity.js';
import { rollupKeys } from '../store/rollup.js';
import type { DetectOptions, DetectorDropped } from '../detect/detectors.js';
import { DOS_DEFAULTS } from '../detect/dos.js';
import { INFECTED_DEFAULTS } from '../detect/infected.js';
import { SCAN_DEFAULTS } from '../detect/scan.js';
import { DetectorWorker } from '../detect/worker.js';
import { PASS_EVERY_SEC, StorePasses, type PassReport } from './passes.js';
import { RollupWorker } from '../store/rollup-worker.js';


/**
 * Hour/day rollup state past which it is written before the file ends (and merged with
 * the next write by compaction): bounds its memory (in the rollup worker) to about 15 MB;
 * at 1,000,000 / 400,000 ingest's peak RSS was 40 MB higher, no faster.
 */
/** Batches the detector worker may hold before ingest waits for it (8192 rows, ~2.5 MB each). */
const DETECT_HELD = 12;

const COARSE_CAPS = coarseCapsFrom(process.env.DARKSCOPE_COARSE_CAPS) ?? { pairs: 250_000, rows: 100_000 };

/** "PAIRS,ROWS" (a testing knob: the crash test lowers the caps so that resumes replay). */
function coarseCapsFrom(v: string | undefined): { pairs: number; rows: number } | null {
  const m = /^(\d+),(\d+)$/.exec(v ?? '');
  return m ? { pairs: Number(m[1]), rows: Number(m[2]) } : null;
}

export interface IngestOptions {
  chunkRecords?: number;
  /**
   * Run the detectors (scan events, DoS attacks, infected hosts; in a worker thread) and
   * store their events, then the surge pass over the days the files touched; thresholds
   * default to the cited ones.
   */
  detect?: DetectOptions | boolean;
  /** Compact the rollups at the end (merge rows split across chunks, writes and files). */
  compact?: boolean;
  /** Hour/day rollup state caps (tests lower them to exercise the early writes). */
  coarseCaps?: { pairs: number; rows: number };
  /** Capture point label stored in the ledger. */
  sensor?: string | null;
  /** Called with rows read (progress), and with each file's outcome. */
  onBatch?: (rows: number) => void;
  onFile?: (r: FileOutcome) => void;
  /** Called when a file's reading starts (progress source). */
  onReader?: (file: string, reader: CaptureReader | null, size: number) => void;
  /**
   * Wall-clock seconds between the passes during a run (day summaries; with detect, surges)
   * that follow a chunk commit (default 300; 0: after every chunk; Infinity: at the end only).
   */
  passEverySec?: number;
  /** Called after each pass (during the run and at its end); ingest waits for it. */
  onPass?: (r: PassReport) => void | Promise<void>;
}

export interface FileOutcome {
  file: string;
  status: 'ingested' | 'resumed' | 'duplicate' | 'unreadable';
  fileId: number | null;
  sha256: string | null;
  /** Rows stored by this run. */
  rows: number;
  /** Chunks committed by this run. */
  chunks: number;
  /** Where a resumed file continued. */
  resumedAt?: number;
  /** For a duplicate: the ledger entry it matched. */
  duplicateOf?: LedgerEntry;
  info?: CaptureInfo;
  clampedTimestamps?: number;
  message?: string;
  /** --detect: the file (id) whose detector state this one continued (the run's file before, or a replayed earlier capture). */
  continuedFrom?: number;
  /** --detect: the earlier capture of the sensor was not replayed (gone, changed, or its replay differs): why; this file started fresh. */
  replayMissing?: string;
}

export function darknetDigest(d: Darknet): string {
  return createHash('sha256').update(JSON.stringify(d.toJSON())).digest('hex');
}

export async function ingest(inputs: readonly string[], store: Store, darknet: Darknet, geo: GeoDb, opts: IngestOptions = {}): Promise<FileOutcome[]> {
  // The store knows what suits it (DuckDB: whole insert groups); a crash redoes at most one chunk.
  const chunkRecords = opts.chunkRecords ?? store.chunkRecords;
  if (!Number.isInteger(chunkRecords) || chunkRecords < 1) throw new RangeError(`chunk size must be a positive integer, got ${chunkRecords}`);
  const configId = await store.saveDarknet({
    sha256: darknetDigest(darknet),
    config: darknet.toJSON(),
    sensors: darknet.sensors.map((s) => ({ id: s.id, name: s.name, sizeV4: s.sizeV4 })),
    homeCountry: darknet.homeCountry,
  });
  const classifier = new Classifier(darknet);
  const enricher = new Enricher(geo, darknet.homeCountry);
  // With detectors, batches are shared with their worker (and more of them circulate).
  const pool = opts.detect ? new BatchPool(DEFAULT_BATCH_ROWS, DETECT_HELD + 4, true) : new BatchPool();
  const detect = opts.detect ? new DetectorWorker(pool, DETECT_HELD) : null;
  const outcomes: FileOutcome[] = [];
  const rollups = new RollupWorker();
  const carry: { value: Carry | null } = { value: null };
  const surgeOpts = !opts.detect ? null : opts.detect === true ? {} : (opts.detect.surge ?? {});
  const passes = new StorePasses(store, surgeOpts, opts.passEverySec ?? PASS_EVERY_SEC, opts.onPass);
  try {
    const files = await expandInputs(inputs);
    for (let k = 0; k < files.length; k++) {
      const file = files[k];
      const o = await ingestFile(file, store, darknet, classifier, enricher, pool, rollups, detect, carry, passes, configId, chunkRecords, opts);
      outcomes.push(o);
      opts.onFile?.(o);
    }
  } finally {
    await rollups.close();
    await detect?.close();
  }
  // The day summaries of the days these files wrote (a report's quarter reads them, not
  // millions of day rows), and surges, which need the store's history: over every day the
  // files touched, after them.
  await passes.end(detectSpan(outcomes));
  // Merging split rollup rows is tidying, not correctness (queries merge them anyway): on request.
  if (opts.compact) await store.compact();
  return outcomes;
}

/** Detector state a file left open (paused, not finished) for the next one to continue. */
interface Carry {
  fileId: number;
  sensor: string | null;
  /** Time of its last record (seconds). */
  lastSec: number;
}

/** The time span (ms) of the files stored or resumed by this run, or null. */
function detectSpan(outcomes: FileOutcome[]): { from: number; to: number } | null {
  let from = Infinity;
  let to = -Infinity;
  for (const o of outcomes) {
    if ((o.status !== 'ingested' && o.status !== 'resumed') || !o.info?.firstTimestamp || !o.info.lastTimestamp) continue;
    from = Math.min(from, Date.parse(o.info.firstTimestamp));
    to = Math.max(to, Date.parse(o.info.lastTimestamp) + 1);
  }
  return Number.isFinite(from) && Number.isFinite(to) ? { from, to } : null;
}

/** Seconds of a CaptureInfo timestamp ('…T12:00:00.123456789Z'), or NaN. */
function timestampSec(t: unknown): number {
  if (typeof t !== 'string') return NaN;
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(t);
  return m ? Date.parse(`${m[1]}Z`) / 1000 + (m[2] ? Number(`0.${m[2]}`) : 0) : Number(t);
}

/** The longest a detector keeps an event open without packets (s): how far back an earlier capture may continue. */
function maxGapSec(d: DetectOptions): number {
  const scan = d.scan?.timeoutSec ?? SCAN_DEFAULTS.timeoutSec;
  const dos = 2 * (d.dos?.intervalSec ?? DOS_DEFAULTS.intervalSec);
  const infected = d.infected?.timeoutSec ?? INFECTED_DEFAULTS.timeoutSec;
  return Math.max(scan, dos, infected);
}

/**
 * The complete capture of `sensor` that ended last at or before `firstSec` (+1 s), no more
 * than the detectors' longest timeout before it; null when there is none.
 */
async function previousCapture(store: Store, sensor: string | null, firstSec: number, gapSec: number): Promise<LedgerEntry | null> {
  let best: LedgerEntry | null = null;
  let bestLast = -Infinity;
  for (const f of await store.files()) {
    if (f.status !== 'complete' || f.sensor !== sensor) continue;
    const last = timestampSec((f.info as { lastTimestamp?: unknown } | null)?.lastTimestamp);
    if (!(last <= firstSec + 1 && last >= firstSec - gapSec) || last <= bestLast) continue;
    best = f;
    bestLast = last;
  }
  return best;
}

async function ingestFile(file: string, store: Store, darknet: Darknet, classifier: Classifier, enricher: Enricher, pool: BatchPool, rollups: RollupWorker, detectors: DetectorWorker | null, carry: { value: Carry | null }, passes: StorePasses, configId: number, chunkRecords: number, opts: IngestOptions): Promise<FileOutcome> {
  let quick: { size: number; quick: string };
  try {
    quick = await quickHash(file);
  } catch (e) {
    opts.onReader?.(file, null, 0);
    return { file, status: 'unreadable', fileId: null, sha256: null, rows: 0, chunks: 0, message: (e as Error).message };
  }
  const sha = fullHash(file);
  sha.catch(() => undefined); // awaited below; a failure then is reported there
  const candidates = await store.findFiles(quick.size, quick.quick);
  let entry: LedgerEntry | undefined;
  if (candidates.length) {
    const sha256 = await sha;
    entry = candidates.find((c) => c.sha256 === sha256);
    if (entry?.status === 'complete') {
      opts.onReader?.(file, null, quick.size);
      return { file, status: 'duplicate', fileId: entry.fileId, sha256, rows: 0, chunks: 0, duplicateOf: entry };
    }
  }
  const fileId = entry ? entry.fileId : await store.nextFileId();
  const startRec = entry ? entry.nextRec : 0;
  // Records after the last hour/day rollup write were committed without it: replayed into the rollup state.
  const replayFrom = entry ? Math.min(entry.rollupRec, startRec) : 0;
  rollups.clear();
  let rollupRec = replayFrom;
  // Detectors see every record of the file from the first, replayed ones included; a new file
  // may continue the state the file before left open, decided at its first record (see detectors.ts).
  const sensor = entry ? entry.sensor : (opts.sensor ?? null);
  const space = { extrapolationFactor: darknet.extrapolationFactor, sizeV4: darknet.sizeV4 };
  const detectOpts: DetectOptions = opts.detect === true || !opts.detect ? {} : opts.detect;
  const beginFresh = () => {
    detectors!.beginFile(fileId, space, detectOpts);
    carry.value = null;
    return 'fresh' as const;
  };
  // A resume starts fresh; a new file continues the run's file before ('undecided'), or an
  // earlier run's capture by replaying it ('lookup'), decided at its first record.
  let detectState: 'none' | 'fresh' | 'continued' | 'undecided' | 'lookup' = !detectors ? 'none' : entry ? beginFresh() : carry.value ? 'undecided' : 'lookup';
  let continuedFrom: number | null = null;
  let replayMissing: string | undefined;
  /**
   * Replays the earlier capture `prev` through the detectors (its events are stored: all
   * discarded) and pauses them as it ended; true when the state it left open is the one
   * stored (its provisional events, the same ids, packets and ends). Any failure: false.
   */
  const replay = async (prev: LedgerEntry, provisional: StoredEvent[]): Promise<boolean> => {
    let q: { size: number; quick: string };
    try {
      q = await quickHash(prev.name);
    } catch {
      replayMissing = `file ${prev.fileId} (${prev.name}) is gone`;
      return false;
    }
    if (q.size !== prev.size || q.quick !== prev.quick) {
      replayMissing = `file ${prev.fileId} (${prev.name}) changed`;
      return false;
    }
    try {
      detectors!.beginFile(prev.fileId, space, detectOpts);
      const r = await CaptureReader.open(prev.name, { pool });
      let records = 0;
      for await (const b of r.batches()) {
        await detectors!.room();
        records += b.length;
        if (b.length > 0) {
          classifier.classify(b);
          enricher.enrich(b);
          detectors!.add(b, 0, b.length);
          detectors!.take(true).catch(() => undefined); // a failure surfaces at pause()
        }
        detectors!.release(b);
      }
      if (records !== prev.nextRec) {
        replayMissing = `file ${prev.fileId} (${prev.name}) has ${records} records, the ledger ${prev.nextRec}`;
        return false;
      }
      const open = (await detectors!.pause()).events.filter((e) => e.id.startsWith('open:'));
      const stored = new Map(provisional.map((e) => [e.id, e]));
      const same = open.length === stored.size && open.every((e) => {
        const s = stored.get(e.id);
        return s !== undefined && s.packets === e.packets && Math.round(s.lastSec * 1e6) === Math.round(e.lastSec * 1e6);
      });
      if (!same) replayMissing = `file ${prev.fileId} (${prev.name}): its replay does not end as stored (it continued an earlier capture, or the darknet changed)`;
      return same;
    } catch (e) {
      replayMissing = `file ${prev.fileId} (${prev.name}): ${(e as Error).message}`;
      return false;
    }
  };
  let lastSec = NaN;
  // A batch sent to the detectors goes back to the pool when their worker has read it.
  const release = (b: PacketBatch) => (detectors ? detectors.release(b) : pool.release(b));
  let coarseWritten = false;
  // A new file's ledger entry is created with its first chunk (same transaction).
  let begin: NewFile | undefined = entry ? undefined : { identity: { sha256: '', size: quick.size, quick: quick.quick }, name: file, sensor: opts.sensor ?? null, configId };

  const reader = await CaptureReader.open(file, { pool });
  opts.onReader?.(file, reader, quick.size);
  let rec = 0;
  let chunk: ChunkTransaction | null = null;
  let chunkEnd = 0;
  let rows = 0;
  let chunks = 0;
  let clamped = 0;
  let committedRows = 0;
  // One chunk commits (rollups, COMMIT: DuckDB's threads) while the next one fills (this thread).
  // Commits stay in order: each waits for the one before it.
  let inflight: Promise<void> | null = null;
  const settle = async () => {
    const p = inflight;
    inflight = null;
    if (p) await p;
  };
  const startCommit = (c: ChunkTransaction, nextRec: number, done?: { info: unknown }, coarseNow = false) => {
    c.seal();
    // This chunk's minute rows; the hour and day rows at the end of the file, before a pass,
    // or when their state grew large.
    const taken = rollups.take(true, done || coarseNow ? 'yes' : (opts.coarseCaps ?? COARSE_CAPS));
    const live = detectors !== null && (detectState === 'fresh' || detectState === 'continued');
    const found: Promise<{ events: StoredEvent[]; superseded: string[]; dropped: DetectorDropped | null }> = !live
      ? Promise.resolve({ events: [], superseded: [], dropped: null })
      : done
        ? detectors.pause().then((r) => ({ ...r, superseded: [] }))
        : detectors.take().then((r) => ({ ...r, dropped: null }));
    const from = continuedFrom;
    taken.catch(() => undefined); // awaited below
    found.catch(() => undefined);
    clamped += c.clampedTimestamps;
    const first = begin;
    begin = undefined;
    const had = rows > committedRows;
    committedRows = rows;
    const prev = inflight;
    const p = (async () => {
      if (prev) await prev;
      if (first) first.identity.sha256 = await sha;
      const { minute, coarse } = await taken;
      const { events, superseded, dropped } = await found;
      // The file before's provisional events: those superseded here, and at this file's end the rest.
      const dropOpenEvents = from === null ? undefined : done ? { fileId: from } : superseded.length ? { fileId: from, ids: superseded } : undefined;
      // A file's hour/day rows written before (this run or an interrupted one) may share buckets with these.
      const coarseAgain = coarse !== null && (coarseWritten || rollupRec > 0);
      if (coarse) {
        rollupRec = nextRec;
        coarseWritten = true;
      }
      const chunkRollups = { minute, ...(coarse ? { hour: coarse[0], day: coarse[1] } : {}) };
      await c.commit(nextRec, { begin: first, done: done && { info: { ...(done.info as object), clampedTimestamps: clamped, detectorsDropped: dropped } }, rollups: chunkRollups, rollupRec, coarseAgain, events, dropOpenEvents, surgeMarks: detectors !== null });
      if (had) chunks++;
    })();
    p.catch(() => undefined); // awaited by settle(); this only keeps it from counting as unhandled meanwhile
    inflight = p;
  };
  try {
    for await (const batch of reader.batches()) {
      // The detector worker holds a bounded number of batches: wait when it is the slower side.
      await detectors?.room();
      const n = batch.length;
      opts.onBatch?.(n);
      if (detectors && n > 0) {
        if (detectState === 'undecided') {
          // Same sensor, and not earlier than the file before's end (1 s of slack): the same stream.
          const c = carry.value!;
          if (c.sensor === sensor && batch.tsSec[0] + batch.tsNsec[0] / 1e9 >= c.lastSec - 1) {
            detectors.continueFile(fileId);
            continuedFrom = c.fileId;
            carry.value = null;
            detectState = 'continued';
          } else detectState = 'lookup';
        }
        if (detectState === 'lookup') {
          // The sensor's capture before this one, from an earlier run (or this one, out of turn):
          // if it left events open, its replay rebuilds the state this file continues.
          carry.value = null;
          const prev = await previousCapture(store, sensor, batch.tsSec[0] + batch.tsNsec[0] / 1e9, maxGapSec(detectOpts));
          const provisional = prev ? await store.provisionalEvents(prev.fileId) : [];
          if (prev && provisional.length && (await replay(prev, provisional))) {
            detectors.continueFile(fileId);
            continuedFrom = prev.fileId;
            detectState = 'continued';
          } else detectState = beginFresh();
        }
        lastSec = batch.tsSec[n - 1] + batch.tsNsec[n - 1] / 1e9;
      }
      // Rows before the resume point were committed by an earlier run; those after the
      // last hour/day rollup write are replayed into the rollup state (not stored again).
      if (rec + n <= replayFrom && !detectors) {
        rec += n;
        release(batch);
        continue;
      }
      classifier.classify(batch);
      // Enriched before the detectors see it (they read victims' countries; the batch is not
      // written once sent to their worker).
      if (detectors || rec + n > replayFrom) enricher.enrich(batch);
      if (detectors && rec < startRec) {
        // Replayed records rebuild the detectors' state; the events they end were committed
        // with the chunks that hold those records, so they are dropped here.
        detectors.add(batch, 0, Math.min(n, startRec - rec));
        detectors.take(true).catch(() => undefined); // a failure surfaces at the next take
      }
      if (rec + n <= replayFrom) {
        rec += n;
        release(batch);
        continue;
      }
      if (rec < startRec) {
        const a = Math.max(0, replayFrom - rec);
        const e = Math.min(n, startRec - rec);
        rollups.add(rollupKeys(batch, a, e));
        if (rec + e === startRec) rollups.take(false, 'no').catch(() => undefined);
      }
      let i = Math.max(0, startRec - rec);
      while (i < n) {
        if (chunk === null) {
          chunk = await store.openChunk(fileId);
          chunkEnd = (Math.floor((rec + i) / chunkRecords) + 1) * chunkRecords;
        }
        const take = Math.min(n - i, chunkEnd - (rec + i));
        await chunk.append(batch, i, i + take, rec + i);
        rollups.add(rollupKeys(batch, i, i + take));
        detectors?.add(batch, i, i + take);
        passes.saw(1000 * batch.tsSec[i], 1000 * batch.tsSec[i + take - 1]);
        rows += take;
        i += take;
        if (rec + i === chunkEnd) {
          await settle();
          // A long run's passes follow a commit (the store then holds every row before them).
          const pass = passes.due;
          startCommit(chunk, chunkEnd, undefined, pass);
          chunk = null;
          if (pass) {
            await settle();
            await passes.during();
          }
        }
      }
      rec += n;
      release(batch);
    }
    const info = reader.info();
    if (info.format === null) {
      // Not a capture at all (a README beside the pcaps): reported, not recorded in the ledger.
      await (chunk as ChunkTransaction | null)?.rollback();
      chunk = null;
      await settle();
      return { file, status: 'unreadable', fileId: null, sha256: null, rows: 0, chunks: 0, message: info.error ? `${info.error.message} (at byte ${info.error.offset})` : 'not a capture file', info };
    }
    if (rec < startRec) throw new Error(`${file}: the file has ${rec} records, the ledger says ${startRec} were stored: it changed since`);
    // The last (partial) chunk, or only the completion mark when the file ended on a chunk boundary.
    await settle();
    const last = chunk ?? (await store.openChunk(fileId));
    chunk = null;
    startCommit(last, Math.max(rec, startRec), { info });
    await settle();
    // Paused, not finished: the next file may continue it. A file without records leaves the carry as it was.
    if (detectState === 'fresh' || detectState === 'continued') carry.value = { fileId, sensor, lastSec };
    return {
      file, status: entry ? 'resumed' : 'ingested', fileId, sha256: await sha, rows, chunks, ...(entry ? { resumedAt: startRec } : {}), info, clampedTimestamps: clamped,
      ...(continuedFrom !== null ? { continuedFrom } : {}), ...(replayMissing ? { replayMissing } : {}),
    };
  } catch (e) {
    await (chunk as ChunkTransaction | null)?.rollback().catch(() => undefined);
    await settle().catch(() => undefined);
    throw e;
  }
}
