/**
 * AnalysisSummary: the streaming summary behind `darkscope analyze`, fed with
 * classified and enriched PacketBatches. Memory is bounded whatever the
 * input: counters are typed arrays indexed by small integers (ports, kinds,
 * bits), distinct sources use DistinctCounter (exact while small, then
 * HyperLogLog: all sources exact up to 65,536 then ±0.81 %, per country exact
 * up to 16,384 then ±0.81 %, per port exact for the first 2.9 M (port, source)
 * pairs, then ±6.5 % for the rest — see KeyedDistinct), victims
 * use HeavyHitters (Space-Saving, exact for up to VICTIM_SLOTS victims), and
 * the day × sensor table is capped.
 */
import { formatIPv4, formatIPv6 } from '../config/cidr.js';
import { type PacketBatch } from '../decode/batch.js';
import { PROTO_TCP, PROTO_UDP } from '../decode/frame.js';
import { unpackCountry } from '../enrich/country.js';
import { serviceLabel, serviceName } from '../enrich/services.js';
import { ClassFlag, FILTER_RULES, KIND_RULES, RESPONSE_NAMES, TAG_RULES, TOOL_RULES, TrafficKind } from '../classify/rules.js';
import { DistinctCounter, hash128 } from '../stats/distinct.js';
import { KeyedDistinct, type KeyedDistinctState } from '../stats/pairs.js';
import { type HeavyEntry, HeavyHitters } from '../stats/topk.js';

/** Backscatter victims tracked exactly up to this many (then Space-Saving with an error bound). */
export const VICTIM_SLOTS = 10_000;
/** Day × sensor cells kept (a capture spanning absurd timestamps cannot grow the table further). */
const MAX_SENSOR_DAYS = 100_000;
const DOMESTIC = 1;

/**
 * Ports counted exactly per victim: the victim's main port is reported only
 * while all its ports fit (a vote over more would depend on the order the
 * packets were counted in, and so on how batches fell between workers).
 */
const VICTIM_PORT_SLOTS = 8;

interface VictimPayload {
  proto: number;
  /** The first VICTIM_PORT_SLOTS distinct ports and their packets; portsFull once a further port came. */
  portList: number[];
  portPackets: number[];
  portsFull: boolean;
  /** Distinct ports (exact to 64, then estimated). */
  ports: DistinctCounter;
  country: number;
  asn: number;
  responses: number;
  first: number;
  last: number;
  v6: string | null;
}

export interface SummaryContext {
  /** Sensors (1-based ids) with their IPv4 sizes; homeCountry for the domestic figures. */
  sensors: { id: number; name: string; sizeV4: number }[];
  sizeV4: number;
  homeCountry: string;
  asName?: (asn: number) => string | undefined;
}

/** The k first items of `items` in `cmp` order, without sorting all of them when k is small. */
function topK<T>(items: T[], k: number, cmp: (a: T, b: T) => number): T[] {
  if (items.length <= k * 4) return [...items].sort(cmp).slice(0, k);
  const best: T[] = [];
  for (const x of items) {
    if (best.length === k && cmp(x, best[k - 1]) >= 0) continue;
    let i = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(x);
    while (i > 0 && cmp(x, best[i - 1]) < 0) {
      best[i] = best[i - 1];
      i--;
    }
    best[i] = x;
  }
  return best;
}

function addInto(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) if (b[i] !== 0) a[i] += b[i];
}

function countVictimPort(v: VictimPayload, port: number, packets: number): void {
  const list = v.portList;
  for (let j = 0; j < list.length; j++)
    if (list[j] === port) {
      v.portPackets[j] += packets;
      return;
    }
  if (list.length < VICTIM_PORT_SLOTS) {
    list.push(port);
    v.portPackets.push(packets);
  } else v.portsFull = true;
}

/** The port with the most packets (lowest on a tie), or null when the victim used more ports than are counted. */
function mainPort(v: VictimPayload): number | null {
  if (v.portsFull || v.portList.length === 0) return null;
  let best = 0;
  for (let j = 1; j < v.portList.length; j++) {
    const d = v.portPackets[j] - v.portPackets[best];
    if (d > 0 || (d === 0 && v.portList[j] < v.portList[best])) best = j;
  }
  return v.portList[best];
}

/** One victim seen by two summaries: the union of what each saw. */
function mergeVictim(into: VictimPayload, from: VictimPayload): void {
  if (into.proto < 0) {
    into.proto = from.proto;
    into.country = from.country;
    into.asn = from.asn;
    into.v6 = from.v6;
  }
  for (let j = 0; j < from.portList.length; j++) countVictimPort(into, from.portList[j], from.portPackets[j]);
  if (from.portsFull) into.portsFull = true;
  into.ports.merge(from.ports);
  into.responses |= from.responses;
  into.first = Math.min(into.first, from.first);
  into.last = Math.max(into.last, from.last);
}

/** What AnalysisSummary.toState() produces: structured-clonable. */
export interface SummaryState {
  scalars: number[];
  arrays: Float64Array[];
  portSources: KeyedDistinctState;
  countrySources: [number, ReturnType<DistinctCounter['toState']>][];
  sources: ReturnType<DistinctCounter['toState']>;
  domesticSources: ReturnType<DistinctCounter['toState']>;
  victims4: [number, { key: number | string; count: number; error: number; payload: Omit<VictimPayload, 'ports'> & { ports: ReturnType<DistinctCounter['toState']> } }[]][];
  victims6: { key: number | string; count: number; error: number; payload: Omit<VictimPayload, 'ports'> & { ports: ReturnType<DistinctCounter['toState']> } }[];
  sensorDays: [number, number][];
}

function newVictim(): VictimPayload {
  return { proto: -1, portList: [], portPackets: [], portsFull: false, ports: new DistinctCounter(10, 64), country: 0, asn: 0, responses: 0, first: Infinity, last: -Infinity, v6: null };
}

export class AnalysisSummary {
  packets = 0;
  decoded = 0;
  notMonitored = 0;
  icmpMismatches = 0;
  firstSec = Infinity;
  lastSec = -Infinity;
  /**
   * Histograms of whole values (a batch has few distinct ones); per-kind, per-bit totals are
   * derived at the end: kind (3 bits) | tool bits (7) | tag bits (4), and the filter bit set's halves.
   */
  private readonly classSets = new Float64Array(1 << 14);
  private readonly filterLow = new Float64Array(65536);
  private readonly filterHigh = new Float64Array(65536);
  readonly byResponse = new Float64Array(16);
  /** Packets and distinct sources per destination port, TCP at [port], UDP at [65536 + port]. */
  readonly portPackets = new Float64Array(131072);
  private readonly portSources: KeyedDistinct;
  private pairSlots = new Int32Array(0);
  private pairKeys = new Int32Array(0);
  private rowKeys = new Int32Array(0);
  private rowMeta = new Int32Array(0);
  /** Packets and distinct sources per packed country code (0 = unknown). */
  private readonly countryPackets = new Float64Array(65536);
  private readonly countrySources: (DistinctCounter | undefined)[] = new Array(65536);
  /** Exact up to 65,536 distinct sources (512 KiB), then HyperLogLog ±0.81 %. */
  readonly sources = new DistinctCounter(14, 65536);
  readonly domesticSources = new DistinctCounter(14, 65536);
  /** IPv4 victims per protocol (keys: addresses), IPv6 victims keyed by text. */
  private readonly victims4 = new Map<number, HeavyHitters<VictimPayload>>();
  private readonly victims6 = new HeavyHitters<VictimPayload>(VICTIM_SLOTS, newVictim);
  private lastVictimProto = -1;
  private lastVictims: HeavyHitters<VictimPayload> | undefined;
  /** (sensor << 20 | day since epoch) → packets. */
  private readonly sensorDays = new Map<number, number>();
  private sensorDaysDropped = 0;

  /** @param portSources the per-port distinct-source table to continue (default: a new, empty one). */
  constructor(portSources?: KeyedDistinct) {
    this.portSources = portSources ?? new KeyedDistinct(131072);
  }

  add(b: PacketBatch): void {
    const n = b.length;
    this.packets += n;
    const ipv = b.ipVersion;
    const kindCol = b.kind;
    const tools = b.tools;
    const tags = b.tags;
    const filters = b.filters;
    const sensor = b.sensor;
    const proto = b.proto;
    const dport = b.dport;
    const src = b.src;
    const country = b.srcCountry;
    const flags = b.enrichFlags;
    const tsSec = b.tsSec;
    const classSets = this.classSets;
    const filterLow = this.filterLow;
    const filterHigh = this.filterHigh;
    const countryPackets = this.countryPackets;
    let dayStart = Infinity;
    let dayEnd = -Infinity;
    let lastSensor = -1;
    let runCount = 0;
    let notIp = 0;
    let notMonitored = 0;
    let minSec = this.firstSec;
    let maxSec = this.lastSec;
    if (this.rowKeys.length < n) {
      this.rowKeys = new Int32Array(n);
      this.rowMeta = new Int32Array(n);
      this.pairSlots = new Int32Array(n);
      this.pairKeys = new Int32Array(n);
    }
    const rowKeys = this.rowKeys;
    const rowMeta = this.rowMeta;
    const pairSlots = this.pairSlots;
    const pairKeys = this.pairKeys;
    let keys = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      const kind = kindCol[i];
      const f = filters[i];
      filterLow[f & 0xffff]++;
      filterHigh[f >>> 16]++;
      // kind, tool bits and tags in one histogram of their combinations (split at the end).
      classSets[(kind << 11) | (tools[i] << 4) | tags[i]]++;
      if (ipv[i] === 0) {
        notIp++;
        continue;
      }
      const s = sensor[i];
      if (s === 0) notMonitored++;
      const sec = tsSec[i];
      if (sec < minSec) minSec = sec;
      if (sec > maxSec) maxSec = sec;
      // Packets per sensor and day, counted in runs (consecutive rows mostly share both).
      if (sec >= dayEnd || sec < dayStart || s !== lastSensor) {
        if (runCount > 0) this.countSensorDay(lastSensor, Math.floor(dayStart / 86400), runCount);
        dayStart = Math.floor(sec / 86400) * 86400;
        dayEnd = dayStart + 86400;
        lastSensor = s;
        runCount = 0;
      }
      runCount++;
      // int32 keys: V8 passes them without boxing (a uint32 above 2^31 would be a heap number).
      const key = ipv[i] === 4 ? src[i] | 0 : hash128(b.src6[i << 2], b.src6[(i << 2) + 1], b.src6[(i << 2) + 2], b.src6[(i << 2) + 3]) | 0;
      const c = country[i];
      countryPackets[c]++;
      rowKeys[keys] = key;
      rowMeta[keys++] = (c << 1) | (flags[i] & DOMESTIC);
      if (kind === TrafficKind.BACKSCATTER) {
        this.addVictim(b, i);
        continue;
      }
      const p = proto[i];
      if ((p === PROTO_TCP || p === PROTO_UDP) && kind !== TrafficKind.OTHER) {
        pairSlots[pairs] = (p === PROTO_UDP ? 65536 : 0) + dport[i];
        pairKeys[pairs++] = key;
      }
    }
    if (runCount > 0) this.countSensorDay(lastSensor, Math.floor(dayStart / 86400), runCount);
    // Distinct counting in loops of their own: the lookups are independent, so the CPU keeps
    // several cache misses in flight instead of one at a time inside the long loop above.
    // A source's country and domesticity never change: they are counted when the source is new.
    const sources = this.sources;
    for (let j = 0; j < keys; j++) {
      const key = rowKeys[j];
      if (!sources.add(key)) continue;
      const meta = rowMeta[j];
      const c = meta >>> 1;
      let cs = this.countrySources[c];
      if (cs === undefined) this.countrySources[c] = cs = new DistinctCounter(14, 16384);
      cs.add(key);
      if ((meta & DOMESTIC) !== 0) this.domesticSources.add(key);
    }
    const ps = this.portSources;
    const portPackets = this.portPackets;
    for (let j = 0; j < pairs; j++) {
      const slot = pairSlots[j];
      portPackets[slot]++;
      ps.add(slot, pairKeys[j]);
    }
    this.decoded += n - notIp;
    this.notMonitored += notMonitored;
    this.firstSec = minSec;
    this.lastSec = maxSec;
  }

  private countSensorDay(sensor: number, day: number, count: number): void {
    const k = sensor * 2 ** 20 + day;
    const have = this.sensorDays.get(k);
    if (have !== undefined) this.sensorDays.set(k, have + count);
    else if (this.sensorDays.size < MAX_SENSOR_DAYS) this.sensorDays.set(k, count);
    else this.sensorDaysDropped += count;
  }

  private addVictim(b: PacketBatch, i: number): void {
    this.byResponse[b.response[i]]++;
    if ((b.classFlags[i] & ClassFlag.ICMP_MISMATCH) !== 0) this.icmpMismatches++;
    const proto = b.victimProto[i];
    let e: HeavyEntry<VictimPayload>;
    if (b.ipVersion[i] === 4) {
      let hh = proto === this.lastVictimProto ? this.lastVictims : this.victims4.get(proto);
      if (hh === undefined) this.victims4.set(proto, (hh = new HeavyHitters<VictimPayload>(VICTIM_SLOTS, newVictim, true)));
      this.lastVictimProto = proto;
      this.lastVictims = hh;
      e = hh.add(b.victim[i] | 0);
    } else {
      const w = i << 2;
      const v6 = formatIPv6([b.victim6[w], b.victim6[w + 1], b.victim6[w + 2], b.victim6[w + 3]]);
      e = this.victims6.add(`${v6}/${proto}`);
      e.payload.v6 = v6;
    }
    const v = e.payload;
    const port = b.victimPort[i];
    countVictimPort(v, port, 1);
    if (v.proto < 0) {
      v.proto = proto;
      v.country = b.victimCountry[i];
      v.asn = b.victimAsn[i];
    }
    v.ports.add(port);
    v.responses |= 1 << b.response[i];
    const t = b.tsSec[i] + b.tsNsec[i] / 1e9;
    if (t < v.first) v.first = t;
    if (t > v.last) v.last = t;
  }

  /** Packets per label of a bit set, from the histogram of whole sets (one pass over the histogram). */
  private perBit(hist: Float64Array, shift: number, rules: readonly { label: string; bit: number }[]): Record<string, number> {
    const perBit = new Float64Array(16);
    for (let v = 1; v < hist.length; v++) {
      const c = hist[v];
      if (c === 0) continue;
      for (let m = v; m !== 0; m &= m - 1) perBit[31 - Math.clz32(m & -m)] += c;
    }
    const out: Record<string, number> = {};
    for (const r of rules) {
      const local = r.bit >>> shift;
      if (r.bit === 0 || local === 0 || local > 0xffff) continue;
      const c = perBit[31 - Math.clz32(local)];
      if (c > 0) out[r.label] = c;
    }
    return out;
  }

  /**
   * Add another summary (of other packets: a second worker's share). Exact counts
   * stay exact (distinct sets are unions, not sums); sketches merge as sketches.
   */
  merge(o: AnalysisSummary): void {
    this.packets += o.packets;
    this.decoded += o.decoded;
    this.notMonitored += o.notMonitored;
    this.icmpMismatches += o.icmpMismatches;
    this.firstSec = Math.min(this.firstSec, o.firstSec);
    this.lastSec = Math.max(this.lastSec, o.lastSec);
    this.sensorDaysDropped += o.sensorDaysDropped;
    addInto(this.classSets, o.classSets);
    addInto(this.filterLow, o.filterLow);
    addInto(this.filterHigh, o.filterHigh);
    addInto(this.byResponse, o.byResponse);
    addInto(this.portPackets, o.portPackets);
    addInto(this.countryPackets, o.countryPackets);
    this.portSources.merge(o.portSources);
    this.sources.merge(o.sources);
    this.domesticSources.merge(o.domesticSources);
    for (let c = 0; c < o.countrySources.length; c++) {
      const oc = o.countrySources[c];
      if (!oc) continue;
      const mine = this.countrySources[c];
      if (mine) mine.merge(oc);
      else this.countrySources[c] = oc;
    }
    for (const [proto, hh] of o.victims4) {
      const mine = this.victims4.get(proto);
      if (mine) mine.merge(hh.all(), mergeVictim);
      else this.victims4.set(proto, hh);
    }
    this.victims6.merge(o.victims6.all(), mergeVictim);
    for (const [k, v] of o.sensorDays) {
      const have = this.sensorDays.get(k);
      if (have !== undefined) this.sensorDays.set(k, have + v);
      else if (this.sensorDays.size < MAX_SENSOR_DAYS) this.sensorDays.set(k, v);
      else this.sensorDaysDropped += v;
    }
  }

  /** Plain data to send to another thread (structured clone), and the buffers to move with it. */
  toState(): { state: SummaryState; transfer: ArrayBuffer[] } {
    const ps = this.portSources.toState();
    const victimEntries = (hh: HeavyHitters<VictimPayload>) => hh.all().map((e) => ({ key: e.key, count: e.count, error: e.error, payload: { ...e.payload, ports: e.payload.ports.toState() } }));
    const state: SummaryState = {
      scalars: [this.packets, this.decoded, this.notMonitored, this.icmpMismatches, this.firstSec, this.lastSec, this.sensorDaysDropped],
      arrays: [this.classSets, this.filterLow, this.filterHigh, this.byResponse, this.portPackets, this.countryPackets],
      portSources: ps.state,
      countrySources: this.countrySources.flatMap((c, code) => (c ? [[code, c.toState()] as [number, ReturnType<DistinctCounter['toState']>]] : [])),
      sources: this.sources.toState(),
      domesticSources: this.domesticSources.toState(),
      victims4: [...this.victims4].map(([proto, hh]) => [proto, victimEntries(hh)]),
      victims6: victimEntries(this.victims6),
      sensorDays: [...this.sensorDays],
    };
    return { state, transfer: [...ps.transfer, ...state.arrays.map((a) => a.buffer as ArrayBuffer)] };
  }

  static fromState(s: SummaryState): AnalysisSummary {
    const m = new AnalysisSummary(KeyedDistinct.fromState(s.portSources));
    const w = m as unknown as Record<string, unknown>;
    [m.packets, m.decoded, m.notMonitored, m.icmpMismatches, m.firstSec, m.lastSec, m.sensorDaysDropped] = s.scalars;
    ['classSets', 'filterLow', 'filterHigh', 'byResponse', 'portPackets', 'countryPackets'].forEach((name, i) => (w[name] = s.arrays[i]));
    for (const [code, st] of s.countrySources) m.countrySources[code] = DistinctCounter.fromState(st);
    w.sources = DistinctCounter.fromState(s.sources);
    w.domesticSources = DistinctCounter.fromState(s.domesticSources);
    const revive = (entries: SummaryState['victims6']) => entries.map((e) => ({ ...e, payload: { ...e.payload, ports: DistinctCounter.fromState(e.payload.ports) } }));
    for (const [proto, entries] of s.victims4) {
      const hh = new HeavyHitters<VictimPayload>(VICTIM_SLOTS, newVictim, true);
      hh.merge(revive(entries), mergeVictim);
      m.victims4.set(proto, hh);
    }
    m.victims6.merge(revive(s.victims6), mergeVictim);
    for (const [k, v] of s.sensorDays) m.sensorDays.set(k, v);
    return m;
  }

  /** All victims, IPv4 ones first by protocol, as (entry, address text) pairs. */
  private victimEntries(): { e: HeavyEntry<VictimPayload>; addr: string }[] {
    const all: { e: HeavyEntry<VictimPayload>; addr: string }[] = [];
    for (const hh of this.victims4.values()) for (const e of hh.top()) all.push({ e, addr: formatIPv4((e.key as number) >>> 0) });
    for (const e of this.victims6.top()) all.push({ e, addr: e.payload.v6! });
    return all;
  }

  /** The summary as plain data (what `analyze --json` prints). */
  toJSON(ctx: SummaryContext, top = 20): AnalysisReport {
    const byKind = new Float64Array(8);
    const toolSets = new Float64Array(128);
    const tagSets = new Float64Array(16);
    for (let v = 0; v < this.classSets.length; v++) {
      const c = this.classSets[v];
      if (c === 0) continue;
      byKind[v >>> 11] += c;
      toolSets[(v >>> 4) & 0x7f] += c;
      tagSets[v & 0xf] += c;
    }
    // Rank the active ports on plain numbers first; build rows (service names) only for the winners.
    const active: number[] = [];
    const sourceCounts = new Float64Array(131072);
    for (let slot = 0; slot < 131072; slot++) {
      if (this.portPackets[slot] === 0) continue;
      active.push(slot);
      sourceCounts[slot] = this.portSources.count(slot);
    }
    const portRow = (slot: number): PortRow => {
      const proto = slot >= 65536 ? 'udp' : 'tcp';
      const port = slot & 0xffff;
      return { port, proto, service: serviceName(port, proto)?.name ?? null, label: serviceLabel(port, proto), packets: this.portPackets[slot], sources: sourceCounts[slot] };
    };
    // Ties are broken by protocol then port (slot order), deterministically.
    const topSlots = (by: Float64Array) => topK(active, top, (a, b) => by[b] - by[a] || a - b).map(portRow);
    const countries: CountryRow[] = [];
    for (let c = 0; c < 65536; c++) {
      const packets = this.countryPackets[c];
      if (packets > 0) countries.push({ country: unpackCountry(c) || null, packets, sources: this.countrySources[c]?.count() ?? 0, domestic: unpackCountry(c) === ctx.homeCountry });
    }
    const byPackets = <T extends { packets: number }>(a: T[], key: (x: T) => string) => [...a].sort((x, y) => y.packets - x.packets || (key(x) < key(y) ? -1 : 1)).slice(0, top);
    const bySources = <T extends { sources: number }>(a: T[], key: (x: T) => string) => [...a].sort((x, y) => y.sources - x.sources || (key(x) < key(y) ? -1 : 1)).slice(0, top);
    const countryKey = (c: CountryRow) => c.country ?? '~';
    const sizes = new Map(ctx.sensors.map((s) => [s.id, s]));
    const perSensorDay = [...this.sensorDays]
      .map(([k, packets]) => {
        const sensor = Math.floor(k / 2 ** 20);
        const day = k % 2 ** 20;
        const s = sizes.get(sensor);
        return {
          sensor: s?.name ?? null,
          day: new Date(day * 86400_000).toISOString().slice(0, 10),
          packets,
          packetsPerIp: s && s.sizeV4 > 0 ? packets / s.sizeV4 : null,
        };
      })
      .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : (a.sensor ?? '') < (b.sensor ?? '') ? -1 : 1));
    const allVictims = this.victimEntries();
    // Ties: IPv4 before IPv6, IPv4 by numeric address (as the store orders them), IPv6 by text; then protocol.
    const v4Key = (v: { e: HeavyEntry<VictimPayload> }) => (v.e.payload.v6 === null ? (v.e.key as number) >>> 0 : -1);
    const victims = allVictims
      .sort((x, y) => {
        if (y.e.count !== x.e.count) return y.e.count - x.e.count;
        const a = v4Key(x), b = v4Key(y);
        if ((a < 0) !== (b < 0)) return a < 0 ? 1 : -1;
        if (a !== b) return a - b;
        if (a < 0 && x.addr !== y.addr) return x.addr < y.addr ? -1 : 1;
        return x.e.payload.proto - y.e.payload.proto;
      })
      .slice(0, top)
      .map(({ e, addr }) => {
        const v = e.payload;
        return {
          addr,
          port: mainPort(v),
          proto: v.proto,
          packets: e.count,
          countError: e.error,
          ports: v.ports.count(),
          country: unpackCountry(v.country) || null,
          asn: v.asn || null,
          asName: v.asn ? (ctx.asName?.(v.asn) ?? null) : null,
          responses: Object.entries(RESPONSE_NAMES).filter(([bit]) => (v.responses & (1 << Number(bit))) !== 0 && bit !== '0').map(([, name]) => name),
          first: new Date(v.first * 1000).toISOString(),
          last: new Date(v.last * 1000).toISOString(),
        };
      });
    const victimSlotsFull = [...this.victims4.values(), this.victims6].some((h) => h.size >= VICTIM_SLOTS);
    return {
      packets: this.packets,
      decoded: this.decoded,
      monitored: this.decoded - this.notMonitored,
      notMonitored: this.notMonitored,
      firstTimestamp: Number.isFinite(this.firstSec) ? new Date(this.firstSec * 1000).toISOString() : null,
      lastTimestamp: Number.isFinite(this.lastSec) ? new Date(this.lastSec * 1000).toISOString() : null,
      byKind: Object.fromEntries(KIND_RULES.filter((r) => byKind[r.bit] > 0).map((r) => [r.label, byKind[r.bit]])),
      byTool: this.perBit(toolSets, 0, TOOL_RULES),
      bySpoofTag: this.perBit(tagSets, 0, TAG_RULES),
      byFilter: { ...this.perBit(this.filterLow, 0, FILTER_RULES), ...this.perBit(this.filterHigh, 16, FILTER_RULES) },
      byResponse: Object.fromEntries([...this.byResponse].map((c, r) => [RESPONSE_NAMES[r], c]).filter(([name, c]) => name !== '' && (c as number) > 0)),
      icmpMismatches: this.icmpMismatches,
      topPorts: topSlots(this.portPackets),
      topPortsBySources: topSlots(sourceCounts),
      topCountries: byPackets(countries, countryKey),
      topCountriesBySources: bySources(countries, countryKey),
      victims,
      victimCount: allVictims.length,
      victimsExact: !victimSlotsFull,
      sources: { total: this.sources.count(), domestic: this.domesticSources.count(), approximate: this.sources.approximate },
      perSensorDay,
      perSensorDayDropped: this.sensorDaysDropped,
    };
  }
}

export interface PortRow {
  port: number;
  proto: 'tcp' | 'udp';
  service: string | null;
  label: string;
  packets: number;
  sources: number;
}

export interface CountryRow {
  country: string | null;
  packets: number;
  sources: number;
  domestic: boolean;
}

export interface AnalysisReport {
  packets: number;
  decoded: number;
  monitored: number;
  notMonitored: number;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  byKind: Record<string, number>;
  byTool: Record<string, number>;
  bySpoofTag: Record<string, number>;
  byFilter: Record<string, number>;
  byResponse: Record<string, number>;
  icmpMismatches: number;
  topPorts: PortRow[];
  topPortsBySources: PortRow[];
  topCountries: CountryRow[];
  topCountriesBySources: CountryRow[];
  victims: {
    addr: string;
    /** The victim's port with the most packets (the attacked service); null when it used more than 8 ports (random-port floods). */
    port: number | null;
    proto: number;
    packets: number;
    countError: number;
    ports: number;
    country: string | null;
    asn: number | null;
    asName: string | null;
    responses: string[];
    first: string;
    last: string;
  }[];
  victimCount: number;
  victimsExact: boolean;
  sources: { total: number; domestic: number; approximate: boolean };
  perSensorDay: { sensor: string | null; day: string; packets: number; packetsPerIp: number | null }[];
  perSensorDayDropped: number;
}
