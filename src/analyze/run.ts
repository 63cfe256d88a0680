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
import { portsDataVersion } from '../enrich/services.js';
import { AnalysisSummary, type AnalysisReport } from './summary.js';

export interface AnalyzeOptions {
  /** Rows in the top lists (ports, countries, victims). */
  top?: number;
  /**
   * Enrich and summarise in a worker thread while this thread reads, decodes
   * and classifies (default: when the machine has more than one core). The
   * result is the same either way.
   */
  worker?: boolean;
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
  const useWorker = opts.worker ?? availableParallelism() > 1;
  const pool = new BatchPool(DEFAULT_BATCH_ROWS, 12, useWorker);
  // The worker starts first: its start-up overlaps with opening the captures. It views the
  // GeoDb tables in shared memory (load them with { shared: true } to avoid one copy).
  const stage = useWorker ? new WorkerStage<AnalysisReport>(new URL('./worker.js', import.meta.url), { darknet: darknet.toJSON(), geo: geo.shareable(), top } satisfies AnalysisWorkerInit, pool, 8) : null;
  const set = await CaptureSet.open(inputs, { pool });
  opts.onStart?.(set);
  const classifier = new Classifier(darknet);
  let report: AnalysisReport;
  if (stage) {
    try {
      for await (const batch of set.batches()) {
        // Classified whole here: measured, this balances the two threads best (the worker
        // enriches and summarises; it can also run the spoofing filters — classify(batch, false)).
        classifier.classify(batch);
        opts.onBatch?.(batch.length);
        await stage.send(batch);
      }
    } catch (e) {
      await stage.abort();
      throw e;
    }
    report = await stage.finish();
  } else {
    const enricher = new Enricher(geo, darknet.homeCountry);
    const summary = new AnalysisSummary();
    for await (const batch of set.batches()) {
      classifier.classify(batch);
      enricher.enrich(batch);
      summary.add(batch);
      opts.onBatch?.(batch.length);
      set.pool.release(batch);
    }
    report = summary.toJSON(
      {
        sensors: darknet.sensors.map((s) => ({ id: s.id, name: s.name, sizeV4: s.sizeV4 })),
        sizeV4: darknet.sizeV4,
        homeCountry: darknet.homeCountry,
        asName: (asn) => geo.asName(asn),
      },
      top,
    );
  }
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
