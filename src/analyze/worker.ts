/**
 * An analysis worker: classification, enrichment and summary of the batches
 * the main thread has read and decoded (see run.ts); its summary goes back
 * to be merged with the other workers'. Runs in its own thread so the
 * two halves of the pipeline use both cores.
 */
import { Classifier } from '../classify/classifier.js';
import { Darknet, type DarknetConfigInput } from '../config/darknet.js';
import { Enricher } from '../enrich/enricher.js';
import { GeoDb, type SharedGeo } from '../enrich/geo.js';
import { hostStage } from '../pipeline/worker-host.js';
import { AnalysisSummary, type SummaryState } from './summary.js';

export interface AnalysisWorkerInit {
  darknet: DarknetConfigInput;
  geo: SharedGeo;
}

let classifier: Classifier;
let enricher: Enricher;
let summary: AnalysisSummary;
let darknet: Darknet;
let geo: GeoDb;

hostStage<AnalysisWorkerInit, SummaryState>({
  async init(init) {
    geo = GeoDb.fromShared(init.geo);
    darknet = new Darknet(init.darknet);
    enricher = new Enricher(geo, darknet.homeCountry);
    classifier = new Classifier(darknet);
    summary = new AnalysisSummary();
  },
  batch(b) {
    if (!b.classified) classifier.classify(b);
    enricher.enrich(b);
    summary.add(b);
  },
  finish() {
    // The raw summary goes back (its big tables moved, not copied): the main thread merges the workers'.
    const { state, transfer } = summary.toState();
    return { result: state, transfer };
  },
});
