/**
 * Surges, new campaigns and spoofed-source surges: a pass over the store's
 * rollups after ingest (it needs weeks of history, which a streaming detector
 * over one file does not have).
 *
 *  - Series: probe packets (TCP SYN, UDP) and distinct sources per day, per port
 *    and per port × source country; per hour, per port.
 *  - Baseline: the previous `baselineDays` (28) days of the same series, robust:
 *    median and MAD (scaled by 1.4826), over observed days only (a day with no
 *    probes at all is a gap of the telescope, not a zero). The scale is at least
 *    √median, the Poisson noise of a count, so a flat series does not flag +1.
 *  - A surge: value ≥ `minPackets` / `minSources`, ≥ `minRatio` × the median, and
 *    (value − median) / scale ≥ `minScore`, on packets or on sources (both
 *    recorded, with the numbers that triggered). Hourly buckets compare with the
 *    hours of the previous `baselineDays`.
 *  - A new port: first seen in the store on that day (no earlier day has it)
 *    with ≥ `newPortMinSources` sources, after ≥ `minBaselineDays` observed days.
 *  - Spoofed-source surge (methods.md §5.2; Clwit's December 2020 case): a
 *    surge whose sources send one or two packets each (≤ `maxBusyShare` of them
 *    send more) and carry spoofing marks beyond what real hosts show: non-routable
 *    sources ≥ `minNonroutableShare` or last byte 0/255 ≥ `minLastByteShare` of
 *    them (uniform spoofing gives ~14 % and 0.78 %). Reported as `spoofed-surge`
 *    instead of `surge`, with the source count to leave out of host counts.
 *
 * Thresholds are darkscope's (configurable): methods.md cites no published
 * surge rule; the 28-day median/MAD is the suggestion.
 */
import type { ActivityRow, EventType, Store, StoredEvent } from '../store/store.js';
import { serviceLabel } from '../enrich/services.js';

export interface SurgeOptions {
  baselineDays: number;
  minBaselineDays: number;
  minScore: number;
  minRatio: number;
  minPackets: number;
  minSources: number;
  newPortMinSources: number;
  hourly: boolean;
  maxBusyShare: number;
  minNonroutableShare: number;
  minLastByteShare: number;
}

export const SURGE_DEFAULTS: SurgeOptions = {
  baselineDays: 28,
  minBaselineDays: 7,
  minScore: 6,
  minRatio: 3,
  minPackets: 100,
  minSources: 10,
  newPortMinSources: 10,
  hourly: true,
  maxBusyShare: 0.05,
  minNonroutableShare: 0.01,
  minLastByteShare: 0.004,
};

export const SURGE_TYPES: EventType[] = ['surge', 'new-port', 'spoofed-surge'];

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface Baseline {
  median: number;
  mad: number;
  scale: number;
  days: number;
}

export function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median, MAD and the robust scale of a baseline. */
export function baseline(xs: number[]): Baseline {
  const med = median(xs);
  const mad = median(xs.map((x) => Math.abs(x - med)));
  return { median: med, mad, scale: Math.max(1.4826 * mad, Math.sqrt(med), 1), days: xs.length };
}

/** What made a bucket a surge: one metric against its baseline (in `details.triggers`). */
export interface Trigger {
  metric: 'packets' | 'sources';
  value: number;
  median: number;
  mad: number;
  score: number;
  ratio: number;
}

function trigger(metric: Trigger['metric'], value: number, hist: number[], min: number, o: SurgeOptions): Trigger | null {
  if (value < min) return null;
  // Without sorting: when more than half the baseline lies above value / minRatio, so does its
  // median, and the ratio falls short (most buckets of a busy port end here).
  const cut = value / o.minRatio;
  let above = 0;
  for (const h of hist) if (h > cut) above++;
  if (above * 2 > hist.length) return null;
  const b = baseline(hist);
  const score = (value - b.median) / b.scale;
  const ratio = b.median > 0 ? value / b.median : Infinity;
  if (value < min || ratio < o.minRatio || score < o.minScore) return null;
  return { metric, value, median: b.median, mad: b.mad, score: Math.round(score * 100) / 100, ratio: Number.isFinite(ratio) ? Math.round(ratio * 100) / 100 : ratio };
}

const portKey = (r: { port: number; proto: number }) => `${r.port}/${r.proto}`;

/** First index of sorted `xs` whose value is ≥ x. */
function lowerBound(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A series (one port, or one port × country) as bucket → row. */
function seriesOf(rows: ActivityRow[]): Map<string, Map<number, ActivityRow>> {
  const m = new Map<string, Map<number, ActivityRow>>();
  for (const r of rows) {
    const k = r.country === null ? portKey(r) : `${portKey(r)}/${r.country}`;
    let s = m.get(k);
    if (!s) m.set(k, (s = new Map()));
    s.set(r.bucketMs, r);
  }
  return m;
}

/**
 * Detect surges, new ports and spoofed surges for the days overlapping [from, to), and
 * store them (replacing that range's earlier results, so a re-run gives the same set).
 */
export async function detectSurges(store: Store, range: { from: number; to: number }, options: Partial<SurgeOptions> = {}): Promise<StoredEvent[]> {
  const o = { ...SURGE_DEFAULTS, ...options };
  const dayFrom = Math.floor(range.from / DAY) * DAY;
  const dayTo = Math.ceil(range.to / DAY) * DAY;
  const histFrom = dayFrom - o.baselineDays * DAY;
  const events: StoredEvent[] = [];
  // Only ports whose packets in range could pass a floor (sources never exceed packets): on a
  // busy telescope most of the 65,536 ports see a few random probes a day and can never flag.
  const floor = Math.min(o.minPackets, o.minSources, o.newPortMinSources);
  const byPort = await store.portActivity({ step: 'day', byCountry: false, from: histFrom, to: dayTo, active: { from: dayFrom, minPackets: floor } });
  // Days the telescope saw probes (a day without any is a gap, not a zero, in every baseline).
  const observed = await store.activeDays({ from: histFrom, to: dayTo, kinds: [1, 2] });
  // Nothing can be flagged before the baseline has its days (the last day has the most history).
  const lastDay = dayTo - DAY;
  const enoughHistory = observed.filter((b) => b < lastDay && b >= lastDay - o.baselineDays * DAY).length >= o.minBaselineDays;
  const firstSeen = enoughHistory ? await store.portFirstSeen() : new Map<string, number>();

  // Port-level buckets found spoofed: a country's slice of them is spoofed too (random spoofed
  // sources spread over countries, and a small slice may lack the marks the whole shows).
  const spoofedPorts = new Set<string>();
  const evaluate = async (series: Map<string, Map<number, ActivityRow>>, step: number, observedBuckets: number[], granularity: 'day' | 'hour') => {
    for (const [key, s] of series) {
      for (const [bucket, r] of s) {
        if (bucket < dayFrom || bucket >= dayTo) continue;
        // Below both floors nothing can trigger (and a new port needs its sources): skip the baseline.
        const mayNewPort = granularity === 'day' && r.country === null && r.sources >= o.newPortMinSources;
        if (r.packets < o.minPackets && r.sources < o.minSources && !mayNewPort) continue;
        const hist = observedBuckets.slice(lowerBound(observedBuckets, bucket - o.baselineDays * DAY), lowerBound(observedBuckets, bucket));
        if (hist.length < o.minBaselineDays * (step === DAY ? 1 : 24)) continue;
        const newPort = mayNewPort && (firstSeen.get(key) ?? bucket) >= bucket;
        const triggers = [
          trigger('packets', r.packets, hist.map((b) => s.get(b)?.packets ?? 0), o.minPackets, o),
          trigger('sources', r.sources, hist.map((b) => s.get(b)?.sources ?? 0), o.minSources, o),
        ].filter((t): t is Trigger => t !== null);
        if (!triggers.length && !newPort) continue;
        const evidence = await store.spoofEvidence({ from: bucket, to: bucket + step, port: r.port, proto: r.proto, ...(r.country !== null ? { country: r.country } : {}) });
        const whole = `${granularity}:${bucket}:${portKey(r)}`;
        const spoofed =
          (r.country !== null && spoofedPorts.has(whole)) ||
          (evidence.sources > 0 &&
          evidence.busySources / evidence.sources <= o.maxBusyShare &&
          (evidence.nonroutableSources / evidence.sources >= o.minNonroutableShare || evidence.lastByteSources / evidence.sources >= o.minLastByteShare));
        if (spoofed && r.country === null) spoofedPorts.add(whole);
        // A country's slice of a spoofed flood is not news of its own (the port's event counts it).
        if (r.country !== null && spoofedPorts.has(whole)) continue;
        const type: EventType = spoofed ? 'spoofed-surge' : newPort ? 'new-port' : 'surge';
        const when = new Date(bucket).toISOString();
        const label = serviceLabel(r.port, r.proto);
        events.push({
          id: `${type}:${granularity}:${when}:${key}`,
          type,
          fileId: 0,
          firstSec: bucket / 1000,
          lastSec: (bucket + step) / 1000,
          source: r.country,
          port: r.port,
          proto: r.proto,
          tool: null,
          victim: null,
          victimPort: null,
          attackType: null,
          packets: r.packets,
          details: {
            granularity,
            bucket: when,
            port: label,
            country: r.country,
            packets: r.packets,
            sources: r.sources,
            baselineBuckets: hist.length,
            triggers,
            newPort,
            spoofing: {
              ...evidence,
              nonroutableShare: evidence.sources ? evidence.nonroutableSources / evidence.sources : 0,
              lastByteShare: evidence.sources ? evidence.lastByteSources / evidence.sources : 0,
              // Spoofed sources are not hosts: the count a host tally should leave out.
              excludedSources: spoofed ? r.sources : 0,
            },
          },
        });
      }
    }
  };

  // Only ports with a day in range big enough to pass the floors can flag, by country or by
  // hour too (a slice is never bigger than its port's day): only they are fetched finer.
  const big = enoughHistory ? [...new Set(byPort.filter((r) => r.bucketMs >= dayFrom && (r.packets >= o.minPackets || r.sources >= o.minSources || r.sources >= o.newPortMinSources)).map(portKey))] : [];
  if (enoughHistory) await evaluate(seriesOf(byPort), DAY, observed, 'day');
  if (big.length) {
    const byCountry = await store.portActivity({ step: 'day', byCountry: true, from: histFrom, to: dayTo, ports: big });
    await evaluate(seriesOf(byCountry.filter((r) => r.country !== '')), DAY, observed, 'day');
  }
  if (o.hourly) {
    if (big.length) {
      const hours = await store.portActivity({ step: 'hour', byCountry: false, from: histFrom, to: dayTo, ports: big });
      // The hours of observed days (a day with probes is taken as watched all day).
      const observedHours = observed.flatMap((d) => Array.from({ length: 24 }, (_, h) => d + h * HOUR));
      await evaluate(seriesOf(hours), HOUR, observedHours, 'hour');
    }
  }
  const merged = mergeHours(events);
  merged.sort((a, b) => a.firstSec - b.firstSec || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await store.putEvents(merged, { types: SURGE_TYPES, from: dayFrom, to: dayTo });
  return merged;
}

/** Consecutive flagged hours of one port and type become one event (the peak hour's numbers kept). */
function mergeHours(events: StoredEvent[]): StoredEvent[] {
  const out: StoredEvent[] = [];
  const open = new Map<string, StoredEvent>();
  const hourly = events.filter((e) => (e.details as { granularity: string }).granularity === 'hour').sort((a, b) => a.firstSec - b.firstSec);
  for (const e of hourly) {
    const k = `${e.type}:${e.port}/${e.proto}`;
    const cur = open.get(k);
    if (cur && cur.lastSec === e.firstSec) {
      const d = cur.details as { hours: number; peak: unknown; packets: number; sources: number };
      cur.lastSec = e.lastSec;
      cur.packets += e.packets;
      d.hours++;
      d.packets = cur.packets;
      if (e.packets > (d.peak as { packets: number }).packets) d.peak = e.details;
      continue;
    }
    const first: StoredEvent = { ...e, details: { granularity: 'hour', port: (e.details as { port: string }).port, hours: 1, packets: e.packets, peak: e.details } };
    open.set(k, first);
    out.push(first);
  }
  return [...events.filter((e) => (e.details as { granularity: string }).granularity !== 'hour'), ...out];
}
