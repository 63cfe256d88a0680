/** `darkscope ingest FILE|DIR... [--config F | --darknet CIDRs] [--db PATH] [--sensor NAME] [--quiet]` */
import { stat } from 'node:fs/promises';
import { expandInputs } from '../capture/files.js';
import { resolveDarknet } from '../config/load.js';
import { Darknet } from '../config/darknet.js';
import { GeoDb } from '../enrich/geo.js';
import type { CaptureReader } from '../capture/reader.js';
import { ingest, type FileOutcome } from '../ingest/run.js';
import { DuckDbStore, DEFAULT_DB_PATH } from '../store/duckdb/store.js';
import { UsageError } from './analyze.js';
import { Progress } from './progress.js';

export interface IngestCommandOptions {
  config?: string;
  darknet?: string;
  db?: string;
  sensor?: string;
  quiet?: boolean;
  chunk?: string;
  compact?: boolean;
  detect?: boolean;
  passEvery?: string;
}

const n = (x: number) => x.toLocaleString('en');

export function describeOutcome(o: FileOutcome): string {
  switch (o.status) {
    case 'duplicate':
      return `${o.file}: already ingested (file ${o.duplicateOf!.fileId}, from ${o.duplicateOf!.name}, ${n(o.duplicateOf!.rows)} packets, sha256 ${o.sha256!.slice(0, 16)}…): nothing added`;
    case 'unreadable':
      return `${o.file}: cannot read: ${o.message}`;
    default: {
      const err = o.info?.error ? `; stopped at byte ${o.info.error.offset}: ${o.info.error.message}` : '';
      const clamp = o.clampedTimestamps ? `; ${n(o.clampedTimestamps)} timestamps outside 1970–2262 stored clamped` : '';
      const resumed = o.status === 'resumed' ? ` (resumed at record ${n(o.resumedAt!)})` : '';
      // --detect: whether the detectors continued the sensor's previous capture (events across files).
      const cont = o.continuedFrom !== undefined ? `; detectors continued file ${o.continuedFrom}` : o.replayMissing ? `; detectors started fresh: ${o.replayMissing}` : '';
      return `${o.file}: ${n(o.rows)} packets stored in ${n(o.chunks)} chunk(s)${resumed} as file ${o.fileId}${err}${clamp}${cont}`;
    }
  }
}

export async function ingestCommand(inputs: string[], opts: IngestCommandOptions, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const chunk = opts.chunk === undefined ? undefined : Number(opts.chunk);
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1 || chunk > 1 << 26)) throw new UsageError(`--chunk must be an integer from 1 to ${1 << 26}, got ${opts.chunk}`);
  const passEvery = opts.passEvery === undefined ? undefined : Number(opts.passEvery);
  if (passEvery !== undefined && !(passEvery >= 0)) throw new UsageError(`--pass-every must be a number of seconds ≥ 0 (or Infinity), got ${opts.passEvery}`);
  const store = await DuckDbStore.open(opts.db ?? DEFAULT_DB_PATH);
  try {
    let darknet = await resolveDarknet({ config: opts.config, darknet: opts.darknet });
    if (!darknet) {
      // Later ingests reuse the configuration stored by the first one.
      const stored = await store.latestDarknet();
      if (!stored) throw new UsageError('the first ingest into a store needs the darknet: --config FILE or --darknet CIDR[,CIDR...]');
      darknet = new Darknet(stored.config as ConstructorParameters<typeof Darknet>[0], `${store.path} (stored configuration ${stored.configId})`);
    }
    const geo = await GeoDb.load();
    // Progress over all files: bytes of the files done plus the current file's.
    let totalBytes = 0;
    for (const f of await expandInputs(inputs)) totalBytes += await stat(f).then((st) => (st.isFile() ? st.size : 0), () => 0);
    let doneBytes = 0;
    let current: CaptureReader | null = null;
    let currentSize = 0;
    const progress = new Progress('ingest', { progress: () => ({ bytesRead: doneBytes + (current?.fileBytesRead ?? 0), bytesTotal: totalBytes }) }, !opts.quiet);
    let status = 0;
    await ingest(inputs, store, darknet, geo, {
      sensor: opts.sensor ?? null,
      chunkRecords: chunk,
      compact: opts.compact,
      detect: opts.detect ?? false,
      passEverySec: passEvery,
      onPass: (p) => {
        // The passes during a long run: what is up to date in the store so far.
        if (p.at !== 'chunk' || opts.quiet) return;
        const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
        const through = p.through === null ? '' : ` (rows through ${new Date(p.through).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
        const surges = p.surges === null || p.surgeDays === null ? '' : `, ${n(p.surges.length)} surge event(s) for ${day(p.surgeDays.from)}..${day(p.surgeDays.to - 1)}`;
        process.stderr.write(`${progressBreak()}pass${through}: summaries of ${n(p.summarisedDays)} day(s) rebuilt${surges} in ${p.seconds.toFixed(1)} s\n`);
      },
      onBatch: (rows) => progress.tick(rows),
      onReader: (_file, reader, size) => {
        doneBytes += currentSize;
        current = reader;
        currentSize = size;
      },
      onFile: (o) => {
        if (o.status === 'unreadable' || (o.info && o.info.format === null)) status = 1;
        if (!opts.quiet || o.status !== 'ingested') process.stderr.write(progressBreak());
        out(describeOutcome(o));
      },
    });
    progress.done();
    return status;
  } finally {
    await store.close();
  }
}

/** On a terminal the progress line is redrawn in place: end it before printing. */
function progressBreak(): string {
  return process.stderr.isTTY ? '\r\x1b[2K' : '';
}

/** `darkscope compact [--db PATH]` */
export async function compactCommand(opts: { db?: string }, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const store = await DuckDbStore.open(opts.db ?? DEFAULT_DB_PATH);
  try {
    // Not an ingest: the memory of queries (counting a large store's day rows needs more than 96 MB).
    await store.setWorkload('query');
    const t0 = performance.now();
    const before = await store.rollupRows();
    const ranges = await store.compact();
    const after = await store.rollupRows();
    const t1 = performance.now();
    // Days an interrupted ingest (or a store from before the summaries) left unsummarised.
    const days = await store.refreshSummaries();
    out(ranges === 0 ? 'nothing to compact' : `compacted ${n(ranges)} pending range(s) in ${((t1 - t0) / 1000).toFixed(1)} s: rollup rows ${n(before)} → ${n(after)}`);
    if (days > 0) out(`summarised ${n(days)} day(s) in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    await store.close();
  }
}
