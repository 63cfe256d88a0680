/**
 * The analysis pipeline: captures → decode → classify → enrich → summary, in
 * time order, one batch at a time (memory stays flat however long the run).
 */
import { availableParallelism } from 'node:os';
import { CaptureSet } from '../capture/merge.js';
import { BatchPool, DEFAULT_BATCH_ROWS } from '../decode/batch.js';
import { WorkerStage } from '../pipeline/worker-stage.js';
import type { AnalysisWorkerInit } from './worker.js';
import type { CaptureInfo } from '../capture/reader.js';
import { Classifier } from '../classify/classifier.js';
import { METHODS_VERSION } from '../classify/rules.js';
import type { Darknet } from '../config/darknet.js';
import { Enricher } from '../enrich/enricher.js';
import type { GeoDb } from '../enrich/geo.js';
import { portsDataVersion, serviceLabel } from '../enrich/services.js';
import { AnalysisSummary, type AnalysisReport, type SummaryState } from './summary.js';

/**
 * Batches out with the workers at a time (all together): enough to absorb jitter,
 * few enough that they stay in cache between decode and classification.
 */
const IN_FLIGHT = 4;
const MAX_WORKERS = 4;

export interface AnalyzeOptions {
  /** Rows in the top lists (ports, countries, victims). */
  top?: number;
  /**
   * Worker threads that classify, enrich and summarise while this thread reads
   * and decodes (default: one per other core, at most 4; so none on one core:
   * all in this thread). The result is the same either way.
   */
  workers?: number;
  /** Rows per PacketBatch (default DEFAULT_BATCH_ROWS); small batches spread a small capture over the workers. */
  batchRows?: number;
  /** Called after each batch with its row count (progress display). */
  onBatch?: (rows: number) => void;
  /** Receives the CaptureSet before reading starts (progress source). */
  onStart?: (set: CaptureSet) => void;
}

export interface AnalysisResult {
  report: AnalysisReport & {
    darknet: ReturnType<Darknet['toJSON']> & { sizeV4: number; extrapolationFactor: number };
    methods: string;
    data: unknown;
    attribution: string;
  };
  files: CaptureInfo[];
}

export async function analyze(inputs: readonly string[], darknet: Darknet, geo: GeoDb, opts: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const top = opts.top ?? 20;
  const cores = availableParallelism();
  // This thread is busy reading and decoding: one worker per other core.
  const workers = opts.workers ?? Math.min(cores - 1, MAX_WORKERS);
  // Shared batches are few and reused forever (a worker keeps a view of each): keep them all.
  const pool = new BatchPool(opts.batchRows ?? DEFAULT_BATCH_ROWS, 32, workers > 0);
  // Workers start first: their start-up overlaps with opening the captures. They view the
  // GeoDb tables in shared memory (load them with { shared: true } to avoid one copy).
  const init: AnalysisWorkerInit = { darknet: darknet.toJSON(), geo: workers > 0 ? geo.shareable() : (null as never) };
  const stage = workers > 0 ? new WorkerStage<SummaryState>(new URL('./worker.js', import.meta.url), init, pool, IN_FLIGHT, workers) : null;
  let set: CaptureSet;
  try {
    set = await CaptureSet.open(inputs, { pool });
  } catch (e) {
    await stage?.abort(); // else the idle workers keep the process alive
    throw e;
  }
  opts.onStart?.(set);
  let summary: AnalysisSummary;
  if (stage) {
    // The report's lookup tables (IANA services, AS names) load lazily; load them now, while
    // the workers start (this thread would only wait for them), not after the last packet.
    serviceLabel(0, 'tcp');
    geo.asName(0);
    // This thread reads and decodes; each batch goes to the least busy worker, which
    // classifies (unless done here), enriches, summarises and clears it. The workers'
    // summaries are merged at the end. With a single worker, classification is done here:
    // the two halves then cost about the same, so the threads keep pace.
    const mainClassifier = workers === 1 ? new Classifier(darknet) : null;
    try {
      for await (const batch of set.batches()) {
        opts.onBatch?.(batch.length);
        if (mainClassifier) mainClassifier.classify(batch);
        await stage.send(batch);
      }
    } catch (e) {
      await stage.abort();
      throw e;
    }
    const states = await stage.finish();
    summary = AnalysisSummary.fromState(states[0]);
    for (const st of states.slice(1)) summary.merge(AnalysisSummary.fromState(st));
  } else {
    const classifier = new Classifier(darknet);
    const enricher = new Enricher(geo, darknet.homeCountry);
    summary = new AnalysisSummary();
    for await (const batch of set.batches()) {
      classifier.classify(batch);
      enricher.enrich(batch);
      summary.add(batch);
      opts.onBatch?.(batch.length);
      set.pool.release(batch);
    }
  }
  const report = summary.toJSON(
    {
      sensors: darknet.sensors.map((s) => ({ id: s.id, name: s.name, sizeV4: s.sizeV4 })),
      sizeV4: darknet.sizeV4,
      homeCountry: darknet.homeCountry,
      asName: (asn) => geo.asName(asn),
    },
    top,
  );
  return {
    report: {
      ...report,
      darknet: { ...darknet.toJSON(), sizeV4: darknet.sizeV4, extrapolationFactor: darknet.extrapolationFactor },
      methods: METHODS_VERSION,
      data: { ...geo.versions, ports: portsDataVersion() },
      attribution: geo.attribution(),
    },
    files: set.fileInfos(),
  };
}
