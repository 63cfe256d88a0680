/**
 * What a periodic report says, gathered from the store (rollups and events) as plain,
 * language-neutral numbers; render.ts writes them in Japanese or English. Every figure
 * here has one source: the rollups for counts and distinct sources, the events table
 * for DoS attacks, reflection, surges and new ports.
 */
import { METHODS_VERSION, TrafficKind } from '../classify/rules.js';
import type { GeoDb, GeoVersions } from '../enrich/geo.js';
import { portsDataVersion, serviceLabel } from '../enrich/services.js';
import type { MiraiDay, ReportDay, Selection, Store, StoredEvent } from '../store/store.js';
import { type Period, periodDays, previousPeriod } from './period.js';

export type ReportStyle = 'tsubame' | 'npa' | 'nicter' | 'full';
export const REPORT_STYLES: readonly ReportStyle[] = ['tsubame', 'npa', 'nicter', 'full'];

/** Ranked tables show the previous period's rank when the key was in its top this many. */
export const PREVIOUS_RANK_DEPTH = 10;
/** NPA: sources that probed at least this many ports in a day. */
export const SWEEP_PORTS = 100;
/** What the ranked tables count: probes (TCP SYN, UDP, ICMP echo, other TCP), not backscatter. */
export const PROBE_KINDS = [TrafficKind.TCP_SYN, TrafficKind.UDP, TrafficKind.ICMP_ECHO, TrafficKind.TCP_OTHER];

export interface RankedRow {
  rank: number;
  /** Port key ('23/tcp') or country code ('' unknown). */
  key: string;
  /** Ports: the TSUBAME label ('Telnet(23/TCP)'); countries: the code (named at rendering). */
  label: string;
  packets: number;
  sources: number;
  /** Rank in the previous period (within its top PREVIOUS_RANK_DEPTH), or null. */
  prevRank: number | null;
}

export interface DailyValue {
  day: string;
  key: string;
  packets: number;
}

export interface DosSummary {
  attacks: number;
  victims: number;
  byCountry: { country: string; attacks: number; share: number }[];
  byService: { label: string; port: number; proto: number; attacks: number; share: number }[];
  bitcoin: { attacks: number; victims: number };
  /** The largest attacks by packets (at most 10). */
  largest: { victim: string; port: number | null; service: string | null; country: string | null; asn: number | null; asName: string | null; attackType: string; start: string; minutes: number; packets: number; estimatedPps: number }[];
  perDay: { day: string; attacks: number }[];
  reflection: { prefix: string; start: string; minutes: number; packets: number; reflectors: number }[];
}

/**
 * Surges as a report lists them: a run of consecutive flagged days of one port (its
 * flagged source regions folded in), or the hours of a day whose port was not flagged
 * as a whole; spoofed surges one per port and day.
 */
export interface SurgeNote {
  type: 'surge' | 'new-port' | 'spoofed-surge';
  granularity: 'day' | 'hour';
  port: string;
  /** Null: the port's traffic as a whole; else a region flagged alone. */
  country: string | null;
  first: string;
  last: string;
  /** Days (day runs) or hours (hour runs) flagged. */
  buckets: number;
  /** The peak bucket's packets and sources; its baseline median and ratio. */
  packets: number;
  sources: number;
  median: number | null;
  ratio: number | null;
  /** Regions flagged with the port in the run, by packets of their peak. */
  regions: { country: string; packets: number }[];
  excludedSources: number;
}

export interface ReportData {
  style: ReportStyle;
  period: Period;
  previous: Period;
  generatedAt: string;
  darknet: { sensors: { name: string; sizeV4: number }[]; sizeV4: number; homeCountry: string } | null;
  /** Days of the period, days with packets, the missing ones, files stored; days with packets per sensor. */
  coverage: { days: number; observedDays: number; missingDays: string[]; files: number; sensors: { sensor: string; days: number; packets: number }[] };
  /** Sources are hosts: spoofed surges' addresses are not counted (see Store.reportDays). */
  totals: { packets: number; sources: number; probePackets: number; spoofedSources: number };
  /** Packets stored for the previous period (0: nothing to compare ranks with). */
  previousPackets: number;
  ports: RankedRow[];
  portDays: DailyValue[];
  countries: RankedRow[];
  countryDays: DailyValue[];
  mirai: MiraiDay[];
  days: ReportDay[];
  npa: {
    accessesPerIpPerDay: number | null;
    miraiPerIpPerDay: number | null;
    sourcesPerDay: number;
    domesticShare: number | null;
    sweepersPerDay: number;
    backscatterPerDay: number;
    topVictimPorts: RankedRow[];
  };
  nicter: { totalPackets: number; perIp: number | null; secondsPerPacketPerIp: number | null; hosts: number; topPorts: RankedRow[]; topCountries: RankedRow[] };
  dos: DosSummary;
  surges: SurgeNote[];
  method: { methods: string; geo: GeoVersions | null; ports: string; sweepPorts: number; previousRankDepth: number };
}

const DAY = 86_400_000;

async function ranked(store: Store, by: 'port' | 'country', sel: Selection, prevSel: Selection, limit: number): Promise<RankedRow[]> {
  const kinds = sel.kinds ?? PROBE_KINDS;
  // Rankings by packets alone (cheap); the sources of the ranked keys come in one pass (withSources).
  const now = await store.top({ ...sel, kinds, by, limit, withSources: false });
  const before = await store.top({ ...prevSel, kinds, by, limit: PREVIOUS_RANK_DEPTH, withSources: false });
  const keyOf = (r: { key: string }) => (by === 'country' ? (r.key === 'unknown' ? '' : r.key) : r.key);
  const prev = new Map(before.map((r, i) => [keyOf(r), i + 1]));
  return now.map((r, i) => ({
    rank: i + 1,
    key: keyOf(r),
    label: by === 'port' ? String(r.detail.label ?? r.key) : keyOf(r),
    packets: r.packets,
    sources: 0,
    prevRank: prev.get(keyOf(r)) ?? null,
  }));
}

/** Fill the ranked rows' distinct sources, ports and countries in one pass over the rollups. */
async function withSources(store: Store, sel: Selection, ports: RankedRow[], countries: RankedRow[]): Promise<void> {
  const s = await store.keySources({ ...sel, kinds: sel.kinds ?? PROBE_KINDS }, ports.map((r) => r.key), countries.map((r) => r.key || 'unknown'));
  for (const r of ports) r.sources = s.ports.get(r.key) ?? 0;
  for (const r of countries) r.sources = s.countries.get(r.key || 'unknown') ?? 0;
}

async function daily(store: Store, by: 'port' | 'country', sel: Selection, keys: RankedRow[]): Promise<DailyValue[]> {
  const rows = await store.dailyPackets({ ...sel, kinds: sel.kinds ?? PROBE_KINDS }, by, keys.map((k) => (by === 'country' && k.key === '' ? 'unknown' : k.key)));
  return rows.map((r) => ({ day: r.day, key: by === 'country' && r.key === 'unknown' ? '' : r.key, packets: r.packets }));
}

function dosSummary(attacks: StoredEvent[], reflections: StoredEvent[], geo: GeoDb | null): DosSummary {
  type D = { victimCountry?: string | null; victimAsn?: number | null; victimService?: string | null; labels?: string[]; estimatedAttackPps?: number };
  const share = (n: number) => (attacks.length ? n / attacks.length : 0);
  const countries = new Map<string, number>();
  const services = new Map<string, { label: string; port: number; proto: number; attacks: number }>();
  const days = new Map<string, number>();
  const btc = new Set<string>();
  let btcAttacks = 0;
  for (const e of attacks) {
    const d = (e.details ?? {}) as D;
    const cc = d.victimCountry ?? '';
    countries.set(cc, (countries.get(cc) ?? 0) + 1);
    const port = e.victimPort ?? 0;
    const proto = e.proto ?? 0;
    const k = `${port}/${proto}`;
    // The victim's service as the DoS detector named it (bitcoin for 8333), else TSUBAME's label.
    const bare = `${port}/${proto === 6 ? 'TCP' : proto === 17 ? 'UDP' : `proto ${proto}`}`;
    const s = services.get(k) ?? { label: d.victimService ? `${d.victimService}(${bare})` : serviceLabel(port, proto), port, proto, attacks: 0 };
    s.attacks++;
    services.set(k, s);
    const day = new Date(e.firstSec * 1000).toISOString().slice(0, 10);
    days.set(day, (days.get(day) ?? 0) + 1);
    if (d.labels?.includes('bitcoin_backscatter')) {
      btcAttacks++;
      btc.add(e.victim ?? '');
    }
  }
  const byPackets = [...attacks].sort((a, b) => b.packets - a.packets || a.firstSec - b.firstSec).slice(0, 10);
  return {
    attacks: attacks.length,
    victims: new Set(attacks.map((e) => e.victim)).size,
    byCountry: [...countries].map(([country, n]) => ({ country, attacks: n, share: share(n) })).sort((a, b) => b.attacks - a.attacks || (a.country < b.country ? -1 : 1)).slice(0, 10),
    byService: [...services.values()].map((s) => ({ ...s, share: share(s.attacks) })).sort((a, b) => b.attacks - a.attacks || a.port - b.port).slice(0, 10),
    bitcoin: { attacks: btcAttacks, victims: btc.size },
    largest: byPackets.map((e) => {
      const d = (e.details ?? {}) as D;
      const asn = d.victimAsn ?? null;
      return {
        victim: e.victim ?? '',
        port: e.victimPort,
        service: d.victimService ?? null,
        country: d.victimCountry ?? null,
        asn,
        asName: asn && geo ? (geo.asName(asn) ?? null) : null,
        attackType: e.attackType ?? '',
        start: new Date(e.firstSec * 1000).toISOString(),
        minutes: (e.lastSec - e.firstSec) / 60,
        packets: e.packets,
        estimatedPps: d.estimatedAttackPps ?? 0,
      };
    }),
    perDay: [...days].sort().map(([day, n]) => ({ day, attacks: n })),
    reflection: reflections.map((e) => {
      const d = (e.details ?? {}) as { minutes?: number; reflectors?: number };
      return { prefix: e.victim ?? '', start: new Date(e.firstSec * 1000).toISOString(), minutes: d.minutes ?? 0, packets: e.packets, reflectors: d.reflectors ?? 0 };
    }),
  };
}

function surgeNotes(events: StoredEvent[]): SurgeNote[] {
  type T = { metric: string; value: number; median: number; ratio: number; score: number };
  type D = { granularity?: string; port?: string; country?: string | null; packets?: number; sources?: number; triggers?: T[]; peak?: D; hours?: number; spoofing?: { excludedSources?: number } };
  const day = (e: StoredEvent) => new Date(e.firstSec * 1000).toISOString().slice(0, 10);
  const one = (e: StoredEvent) => {
    const d0 = (e.details ?? {}) as D;
    const d = d0.peak ?? d0;
    const t = [...(d.triggers ?? [])].sort((a, b) => b.score - a.score)[0];
    return {
      type: e.type as SurgeNote['type'],
      granularity: (d0.granularity === 'hour' ? 'hour' : 'day') as SurgeNote['granularity'],
      port: d0.port ?? d.port ?? serviceLabel(e.port ?? 0, e.proto ?? 6),
      country: e.source,
      first: day(e),
      last: new Date(e.lastSec * 1000 - 1).toISOString().slice(0, 10),
      buckets: d0.hours ?? 1,
      packets: d.packets ?? e.packets,
      sources: d.sources ?? 0,
      median: t ? t.median : null,
      ratio: t && Number.isFinite(t.ratio) ? t.ratio : null,
      regions: [] as SurgeNote['regions'],
      excludedSources: d.spoofing?.excludedSources ?? 0,
    };
  };
  const notes = events.map(one);
  const next = (d: string) => new Date(Date.parse(d) + 86_400_000).toISOString().slice(0, 10);
  const out: SurgeNote[] = [];
  // Spoofed: one per port and day (the biggest of its day and hour buckets).
  const spoofed = new Map<string, SurgeNote>();
  for (const n of notes.filter((x) => x.type === 'spoofed-surge')) {
    const k = `${n.port} ${n.first}`;
    const cur = spoofed.get(k);
    if (!cur || n.sources > cur.sources) spoofed.set(k, n);
  }
  // Whole-port day runs of each type and port.
  const runs = new Map<string, SurgeNote>();
  const dayRows = notes.filter((x) => x.type !== 'spoofed-surge' && x.granularity === 'day').sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const covering = new Map<string, SurgeNote>(); // 'port day' → its whole-port run
  // A flagged day extends its key's run when it follows the run's last day; else it starts one.
  const extend = (m: Map<string, SurgeNote>, k: string, n: SurgeNote): SurgeNote => {
    const cur = m.get(k);
    if (cur && next(cur.last) === n.first) {
      cur.last = n.first;
      cur.buckets++;
      if (n.packets > cur.packets) Object.assign(cur, { packets: n.packets, sources: n.sources, ratio: n.ratio });
      return cur;
    }
    const run = { ...n };
    m.set(k, run);
    out.push(run);
    return run;
  };
  for (const n of dayRows.filter((x) => x.country === null)) covering.set(`${n.port} ${n.first}`, extend(runs, `${n.type} ${n.port}`, n));
  // Regions: folded into the port's run of that day, else runs of their own.
  const regionRuns = new Map<string, SurgeNote>();
  for (const n of dayRows.filter((x) => x.country !== null)) {
    const run = covering.get(`${n.port} ${n.first}`);
    if (run) {
      const r = run.regions.find((x) => x.country === n.country);
      if (r) r.packets = Math.max(r.packets, n.packets);
      else run.regions.push({ country: n.country!, packets: n.packets });
      continue;
    }
    extend(regionRuns, `${n.type} ${n.port} ${n.country}`, n);
  }
  // Hours: only of days whose port was not flagged as a whole (bursts within a quiet day).
  for (const n of notes.filter((x) => x.type !== 'spoofed-surge' && x.granularity === 'hour')) if (!covering.has(`${n.port} ${n.first}`)) out.push(n);
  for (const r of out) r.regions.sort((a, b) => b.packets - a.packets || (a.country < b.country ? -1 : 1));
  out.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.port < b.port ? -1 : a.port > b.port ? 1 : 0));
  return [...out, ...spoofed.values()];
}

/** Gather a report's numbers for `period` (and its previous period) from the store. */
export async function buildReport(store: Store, period: Period, style: ReportStyle, opts: { geo?: GeoDb | null; now?: Date } = {}): Promise<ReportData> {
  const previous = previousPeriod(period);
  const sel: Selection = { from: period.from, to: period.to };
  const prevSel: Selection = { from: previous.from, to: previous.to };
  const darknet = await store.latestDarknet();
  const sizeV4 = darknet ? darknet.sensors.reduce((a, s) => a + s.sizeV4, 0) : 0;
  const full = style === 'full';
  const want = { tsubame: style === 'tsubame' || full, npa: style === 'npa' || full, nicter: style === 'nicter' || full };
  const topN = want.nicter ? 10 : 5;

  // One query at a time: the store has one connection.
  const ports = await ranked(store, 'port', sel, prevSel, topN);
  const countries = await ranked(store, 'country', sel, prevSel, topN);
  await withSources(store, sel, ports, countries);
  // Spoofed surges' addresses are not hosts (methods.md §5.2, Clwit's December 2020 case): left
  // out of every source count of the report.
  const spoofedEvents = await store.events({ ...sel, types: ['spoofed-surge'], limit: 10_000 });
  const spoofed = spoofedEvents.map((e) => ({ from: e.firstSec * 1000, to: e.lastSec * 1000, port: e.port ?? 0, proto: e.proto ?? 6 }));
  const { days, sources: hosts } = await store.reportDays(sel, SWEEP_PORTS, spoofed);
  const totals = await store.totals(sel, false);
  const probeTotals = await store.totals({ ...sel, kinds: PROBE_KINDS }, false);
  const previousTotals = await store.totals(prevSel, false);
  const mirai = await store.miraiDays(sel);
  const files = await store.files();
  const sensorDays = await store.sensorDays(sel);
  const top5Ports = ports.slice(0, 5);
  const top5Countries = countries.slice(0, 5);
  const portDays = await daily(store, 'port', sel, top5Ports);
  const countryDays = await daily(store, 'country', sel, top5Countries);
  const back = [TrafficKind.BACKSCATTER];
  const victimPorts = want.npa ? await ranked(store, 'port', { ...sel, kinds: back }, { ...prevSel, kinds: back }, 5) : [];
  if (victimPorts.length) await withSources(store, { ...sel, kinds: back }, victimPorts, []);
  const events = full ? await store.events({ ...sel, types: ['dos', 'reflection', 'surge', 'new-port', 'spoofed-surge'], limit: 100_000 }) : [];

  const all = periodDays(period);
  const seen = new Set(days.map((d) => d.day));
  const observed = days.length;
  const sum = (f: (d: ReportDay) => number) => days.reduce((a, d) => a + f(d), 0);
  const miraiTotal = mirai.reduce((a, d) => a + d.miraiPackets, 0);
  const perIpDay = (n: number) => (sizeV4 > 0 && observed > 0 ? n / (sizeV4 * observed) : null);
  const perIp = sizeV4 > 0 ? totals.packets / sizeV4 : null;
  const fileCount = files.filter((f) => f.status === 'complete').length;

  return {
    style,
    period,
    previous,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    darknet: darknet ? { sensors: darknet.sensors.map((s) => ({ name: s.name, sizeV4: s.sizeV4 })), sizeV4, homeCountry: darknet.homeCountry } : null,
    coverage: { days: all.length, observedDays: observed, missingDays: all.filter((d) => !seen.has(d)), files: fileCount, sensors: sensorDays },
    totals: { packets: totals.packets, sources: hosts, probePackets: probeTotals.packets, spoofedSources: days.reduce((a, d) => a + d.spoofedSources, 0) },
    previousPackets: previousTotals.packets,
    ports: want.nicter ? ports : top5Ports,
    portDays,
    countries: want.nicter ? countries : top5Countries,
    countryDays,
    mirai,
    days,
    npa: {
      accessesPerIpPerDay: perIpDay(totals.packets),
      miraiPerIpPerDay: perIpDay(miraiTotal),
      sourcesPerDay: observed ? sum((d) => d.sources) / observed : 0,
      domesticShare: totals.packets ? sum((d) => d.domesticPackets) / totals.packets : null,
      sweepersPerDay: observed ? sum((d) => d.portSweepers) / observed : 0,
      backscatterPerDay: observed ? sum((d) => d.backscatterPackets) / observed : 0,
      topVictimPorts: victimPorts,
    },
    nicter: {
      totalPackets: totals.packets,
      perIp,
      // Seconds observed (days with packets) per packet reaching one darknet address.
      secondsPerPacketPerIp: perIp ? (observed * 86_400) / perIp : null,
      hosts,
      topPorts: ports,
      topCountries: countries,
    },
    dos: dosSummary(events.filter((e) => e.type === 'dos'), events.filter((e) => e.type === 'reflection'), opts.geo ?? null),
    surges: surgeNotes(events.filter((e) => e.type === 'surge' || e.type === 'new-port' || e.type === 'spoofed-surge')),
    method: { methods: METHODS_VERSION, geo: opts.geo?.versions ?? null, ports: portsDataVersion(), sweepPorts: SWEEP_PORTS, previousRankDepth: PREVIOUS_RANK_DEPTH },
  };
}
