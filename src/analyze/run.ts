/**
 * The analysis pipeline: captures → decode → classify → enrich → summary, in
 * time order, one batch at a time (memory stays flat however long the run).
 */
import { CaptureSet } from '../capture/merge.js';
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
  const set = await CaptureSet.open(inputs);
  opts.onStart?.(set);
  const classifier = new Classifier(darknet);
  const enricher = new Enricher(geo, darknet.homeCountry);
  const summary = new AnalysisSummary();
  for await (const batch of set.batches()) {
    classifier.classify(batch);
    enricher.enrich(batch);
    summary.add(batch);
    opts.onBatch?.(batch.length);
    set.pool.release(batch);
  }
  const report = summary.toJSON(
    {
      sensors: darknet.sensors.map((s) => ({ id: s.id, name: s.name, sizeV4: s.sizeV4 })),
      sizeV4: darknet.sizeV4,
      homeCountry: darknet.homeCountry,
      asName: (asn) => geo.asName(asn),
    },
    opts.top,
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
