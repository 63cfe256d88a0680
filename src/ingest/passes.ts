/**
 * The passes over what ingest stored that need more than one chunk: the day summaries
 * (a report's quarter reads them) and, with --detect, the surge pass (it needs weeks of
 * history). They run at the end of an ingest run, over the days its files touched, and
 * on a long run also after a chunk commit once `everySec` seconds (wall clock) have
 * passed since the last one: a capture piped from tcpdump for days then shows today's
 * surges, and whole-day numbers that include it, within minutes, not when the pipe
 * closes. That chunk also writes its file's hour and day rollups so far (whole days are
 * read from them), as the state caps make it do anyway on a busy feed.
 *
 * A pass during a file sees a day in progress: a surge on it may be flagged on part of
 * the day and its numbers grow with the next pass. Each surge pass replaces the surge
 * events of the days it covers (detectSurges), and the one at the end covers every day
 * of the run, so the stored result is the one of a run without passes (tested).
 */
import { detectSurges, type SurgeOptions } from '../detect/surge.js';
import type { Store, StoredEvent } from '../store/store.js';

/** Wall-clock seconds between passes during an ingest run (5 min: a live feed's surges within minutes). */
export const PASS_EVERY_SEC = 300;

export interface PassReport {
  /** 'chunk': during the run, after a chunk commit; 'end': after its last file. */
  at: 'chunk' | 'end';
  /** The record times (ms) the surge pass looked at (whole UTC days around them), or null when none ran. */
  range: { from: number; to: number } | null;
  /** Days whose summaries were rebuilt. */
  summarisedDays: number;
  /** What the surge pass stored for its days (null without --detect). */
  surges: StoredEvent[] | null;
  seconds: number;
}

export class StorePasses {
  private last = performance.now();
  /** Record times (ms) committed since the last pass during the run. */
  private from = Infinity;
  private to = -Infinity;

  /**
   * @param surge the surge pass's options, or null when it does not run (no --detect)
   * @param everySec wall-clock seconds between passes during the run (Infinity: at the end only)
   */
  constructor(
    private readonly store: Store,
    private readonly surge: Partial<SurgeOptions> | null,
    private readonly everySec = PASS_EVERY_SEC,
    private readonly onPass?: (r: PassReport) => void | Promise<void>,
  ) {
    if (!(everySec >= 0)) throw new RangeError(`the pass interval must be a number of seconds ≥ 0, got ${everySec}`);
  }

  /** Rows with record times from fromMs to toMs go into the chunk being committed. */
  saw(fromMs: number, toMs: number): void {
    // (a capture out of time order may give them the other way round)
    this.from = Math.min(this.from, fromMs, toMs);
    this.to = Math.max(this.to, fromMs, toMs);
  }

  /** Whether the chunk about to commit should be followed by a pass. */
  get due(): boolean {
    return (performance.now() - this.last) / 1000 >= this.everySec;
  }

  /** A pass during the run, over the days of the rows committed since the last one. */
  async during(): Promise<void> {
    const range = Number.isFinite(this.from) ? { from: this.from, to: this.to + 1 } : null;
    this.from = Infinity;
    this.to = -Infinity;
    await this.run('chunk', range);
  }

  /** The pass after the run's last file, over every day its files touched. */
  async end(range: { from: number; to: number } | null): Promise<void> {
    await this.run('end', range);
  }

  private async run(at: PassReport['at'], range: { from: number; to: number } | null): Promise<void> {
    const t0 = performance.now();
    const summarisedDays = await this.store.refreshSummaries();
    let surges: StoredEvent[] | null = null;
    if (this.surge && range) {
      await this.store.setWorkload('query');
      try {
        surges = await detectSurges(this.store, range, this.surge);
      } finally {
        await this.store.setWorkload('ingest');
      }
    }
    this.last = performance.now();
    await this.onPass?.({ at, range: this.surge ? range : null, summarisedDays, surges, seconds: (this.last - t0) / 1000 });
  }
}
