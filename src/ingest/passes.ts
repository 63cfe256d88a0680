/**
 * The passes over what ingest stored that need more than one chunk: the day summaries
 * (a report's quarter reads them) and, with --detect, the surge pass (it needs weeks of
 * history). They run at the end of an ingest run, and on a long run (a quarter's backlog
 * of hourly captures, one huge capture) also after a chunk commit once `everySec` seconds
 * (wall clock) have passed since the last one: the run's days get their summaries and
 * surges as it goes, not hours later at its end. That chunk also writes its file's hour
 * and day rollups so far (whole days are read from them), as the state caps make it do
 * anyway on a busy capture.
 *
 * Days a surge pass looks at: those of the rows committed since the last pass (at the end:
 * of every file the run stored), and every day still marked for one: with detectors each
 * chunk marks the days it writes, and a pass clears the marks of its days. The marks are
 * what an interrupted run leaves of the days it wrote after its last pass; a re-run skips
 * the files already stored, so without them those days would never get a surge pass.
 *
 * A pass during a file sees a day in progress: a surge on it may be flagged on part of the
 * day and its numbers grow with the next pass. Each surge pass replaces the surge events of
 * the days it covers (detectSurges), and the one at the end covers every day of the run, so
 * the stored result is the one of a run without passes (tested).
 */
import { detectSurges, type SurgeOptions } from '../detect/surge.js';
import type { Store, StoredEvent } from '../store/store.js';

/** Wall-clock seconds between passes during an ingest run. */
export const PASS_EVERY_SEC = 300;

const DAY = 86_400_000;

export interface PassReport {
  /** 'chunk': during the run, after a chunk commit; 'end': after its last file. */
  at: 'chunk' | 'end';
  /** The latest record time (ms) this run has committed: the store holds its rows up to here. */
  through: number | null;
  /** The whole UTC days ([from, to) ms) the surge pass covered, or null when none ran. */
  surgeDays: { from: number; to: number } | null;
  /** Days whose summaries were rebuilt. */
  summarisedDays: number;
  /** What the surge pass stored for its days (null when none ran). */
  surges: StoredEvent[] | null;
  seconds: number;
}

type Span = { from: number; to: number };

function union(a: Span | null, b: Span | null): Span | null {
  if (!a || !b) return a ?? b;
  return { from: Math.min(a.from, b.from), to: Math.max(a.to, b.to) };
}

export class StorePasses {
  private last = performance.now();
  /** Record times (ms) committed since the last pass during the run. */
  private from = Infinity;
  private to = -Infinity;
  private through = -Infinity;

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
    this.through = Math.max(this.through, this.to);
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
  async end(range: Span | null): Promise<void> {
    await this.run('end', range);
  }

  private async run(at: PassReport['at'], range: Span | null): Promise<void> {
    const t0 = performance.now();
    const summarisedDays = await this.store.refreshSummaries();
    let surges: StoredEvent[] | null = null;
    // (without --detect no surge pass: days null)
    const days = this.surge && union(range && { from: Math.floor(range.from / DAY) * DAY, to: Math.ceil(range.to / DAY) * DAY }, await this.store.surgeMarkedDays());
    if (days) {
      await this.store.setWorkload('query');
      try {
        surges = await detectSurges(this.store, days, this.surge);
        // (no commit runs during a pass: the marks inside its days are the ones it covered)
        await this.store.clearSurgeMarks(days);
      } finally {
        await this.store.setWorkload('ingest');
      }
    }
    this.last = performance.now();
    await this.onPass?.({ at, through: Number.isFinite(this.through) ? this.through : null, surgeDays: days || null, summarisedDays, surges, seconds: (this.last - t0) / 1000 });
  }
}
