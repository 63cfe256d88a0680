/**
 * The analysis worker: spoofing filters, enrichment and summary of batches
 * that the main thread has read, decoded and classified (see run.ts). Runs in its own thread so the
 * two halves of the pipeline use both cores.
 */
import { Classifier } from '../classify/classifier.js';
import { Darknet, type DarknetConfigInput } from '../config/darknet.js';
import { Enricher } from '../enrich/enricher.js';
import { GeoDb, type SharedGeo } from '../enrich/geo.js';
import { hostStage } from '../pipeline/worker-host.js';
import { AnalysisSummary, type AnalysisReport } from './summary.js';

export interface AnalysisWorkerInit {
  darknet: DarknetConfigInput;
  geo: SharedGeo;
  top: number;
}

let classifier: Classifier;
let enricher: Enricher;
let summary: AnalysisSummary;
let darknet: Darknet;
let geo: GeoDb;
let top = 20;

hostStage<AnalysisWorkerInit, AnalysisReport>({
  async init(init) {
    geo = GeoDb.fromShared(init.geo);
    darknet = new Darknet(init.darknet);
    enricher = new Enricher(geo, darknet.homeCountry);
    classifier = new Classifier(darknet);
    summary = new AnalysisSummary();
    top = init.top;
  },
  batch(b) {
    if (!b.classified) classifier.spoofingFilters(b);
    enricher.enrich(b);
    summary.add(b);
  },
  finish() {
    return summary.toJSON(
      {
        sensors: darknet.sensors.map((s) => ({ id: s.id, name: s.name, sizeV4: s.sizeV4 })),
        sizeV4: darknet.sizeV4,
        homeCountry: darknet.homeCountry,
        asName: (asn) => geo.asName(asn),
      },
      top,
    );
  },
});
