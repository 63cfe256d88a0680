/** `darkscope events [--type scan,dos,…] [--from --to] [--addr CIDRs] [--port PORTs] [--limit N] [--db PATH] [--json]` */
import { type Cidr, tryParseCidr } from '../config/cidr.js';
import type { Trigger } from '../detect/surge.js';
import { EVENT_TYPES, type StoredEvent } from '../store/store.js';
import { UsageError } from './analyze.js';
import { openForQuery, parseSelection, printable, textTable } from './selection.js';
import { parseLimit } from './top.js';

const TYPES = EVENT_TYPES;

/** --addr: prefixes, or single addresses (taken as /32 or /128). */
function parseAddrs(v: string): Cidr[] {
  return v.split(',').map((a) => {
    const t = a.trim();
    const c = tryParseCidr(t.includes('/') ? t : `${t}/${t.includes(':') ? 128 : 32}`);
    if (typeof c === 'string') throw new UsageError(`--addr: ${JSON.stringify(t.slice(0, 60))} is not an address or prefix (${c.replace(/^"[^"]*" ?/, '')})`);
    return c;
  });
}

function parsePorts(v: string): number[] {
  return v.split(',').map((p) => {
    const t = p.trim();
    if (!/^\d{1,5}$/.test(t) || Number(t) > 65535) throw new UsageError(`--port must be port numbers 0–65535, comma-separated, got ${JSON.stringify(t.slice(0, 20))}`);
    return Number(t);
  });
}

export async function eventsCommand(opts: { db?: string; type?: string; from?: string; to?: string; addr?: string; port?: string; limit?: string; json?: boolean }, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const types = opts.type?.split(',').map((t) => t.trim());
  for (const t of types ?? []) if (!(TYPES as readonly string[]).includes(t)) throw new UsageError(`--type must be among ${TYPES.join(', ')}, got ${JSON.stringify(t.slice(0, 20))}`);
  const addrs = opts.addr === undefined ? undefined : parseAddrs(opts.addr);
  const ports = opts.port === undefined ? undefined : parsePorts(opts.port);
  const store = await openForQuery(opts.db);
  let events: StoredEvent[];
  try {
    const sel = await parseSelection({ from: opts.from, to: opts.to }, store);
    events = await store.events({ types: types as StoredEvent['type'][] | undefined, from: sel.from, to: sel.to, addrs, ports, limit: parseLimit(opts.limit, 1000) });
  } finally {
    await store.close();
  }
  const iso = (s: number) => new Date(s * 1000).toISOString();
  if (opts.json) {
    for (const e of events) {
      const base = { type: e.type, first: iso(e.firstSec), last: iso(e.lastSec), packets: e.packets };
      const who =
        e.type === 'dos' || e.type === 'reflection'
          ? { victim: e.victim, victimPort: e.victimPort, attackType: e.attackType }
          : e.type === 'surge' || e.type === 'new-port' || e.type === 'spoofed-surge'
            ? { port: e.port, country: e.source }
            : { source: e.source, port: e.port, tool: e.tool, ...(e.victim ? { host: e.victim } : {}) };
      out(JSON.stringify({ ...base, ...who, proto: e.proto, details: e.details }));
    }
    return 0;
  }
  if (!events.length) {
    out('no events');
    return 0;
  }
  out(
    textTable(
      ['type', 'first', 'last', 'who', 'port', 'what', 'packets'],
      events.map((e) => [e.type, iso(e.firstSec), iso(e.lastSec), printable(e.source ?? e.victim ?? '-'), String(e.port ?? e.victimPort ?? '-'), what(e), e.packets]),
    ),
  );
  return 0;
}

/** The short description column of the text table. */
function what(e: StoredEvent): string {
  const d = e.details as { trafficType?: string; shape?: string | null; granularity?: string; sources?: number };
  if (e.type === 'scan') return `${d.trafficType ?? ''}${d.shape ? ` ${d.shape}` : ''}${e.tool ? ` ${e.tool}` : ''}`;
  if (e.type === 'dos') {
    const a = e.details as { victimService?: string | null; victimCountry?: string | null; victimAsn?: number | null; estimatedAttackPps?: number };
    const where = [a.victimCountry, a.victimAsn ? `AS${a.victimAsn}` : null].filter(Boolean).join(' ');
    return `${e.attackType ?? '-'}${a.victimService ? ` ${a.victimService}` : ''}${where ? ` (${printable(where)})` : ''}${a.estimatedAttackPps ? ` ~${Math.round(a.estimatedAttackPps).toLocaleString('en')} pps` : ''}`;
  }
  if (e.type === 'reflection') {
    const r = e.details as { reflectors?: number; minutes?: number };
    return `syn-ack-reflection ${r.reflectors ?? '?'} reflectors, ${r.minutes ?? '?'} min`;
  }
  if (e.type === 'infected') return e.tool ?? 'infected';
  return surgeWhat(e);
}

/** A stored trigger: its ratio is null when the baseline's median was 0 (JSON has no Infinity). */
type SurgeTrigger = Omit<Trigger, 'ratio'> & { ratio: number | null };

interface SurgeBucket {
  granularity: 'day' | 'hour';
  sources: number;
  triggers: SurgeTrigger[];
  newPort: boolean;
  spoofing: { excludedSources: number; nonroutableShare: number; lastByteShare: number };
}

const int = (x: number) => Math.round(x).toLocaleString('en');

/**
 * What an analyst reads first of a surge: how big against its baseline ("178 sources (30× the
 * median 6)": the 28-day median), for a run of flagged hours their number and the peak, for a spoofed
 * surge the marks that gave it away and the sources left out of host counts.
 */
export function surgeWhat(e: StoredEvent): string {
  const d = e.details as SurgeBucket | { granularity: 'hour'; hours: number; peak: SurgeBucket };
  const b = 'peak' in d ? d.peak : d;
  const head = 'peak' in d && d.hours > 1 ? `${d.hours} h, peak hour` : b.granularity;
  // What triggered, sources (hosts) first: the count against its baseline's median.
  const ts = [...(b.triggers ?? [])].sort((x, y) => (x.metric === y.metric ? 0 : x.metric === 'sources' ? -1 : 1));
  const against = (t: SurgeTrigger) => (t.ratio === null ? 'none before' : `${t.ratio >= 10 ? int(t.ratio) : t.ratio.toFixed(1)}× the median ${t.median % 1 ? t.median.toFixed(1) : int(t.median)}`);
  const vs = ts.length ? ts.map((t) => `${int(t.value)} ${t.metric} (${against(t)})`).join(', ') : `${int(b.sources)} sources`;
  if (e.type === 'new-port') return `${head}: new port, ${int(b.sources)} sources`;
  if (e.type === 'spoofed-surge') {
    const s = b.spoofing;
    const marks = [s.nonroutableShare ? `${(100 * s.nonroutableShare).toFixed(0)} % non-routable` : '', s.lastByteShare ? `${(100 * s.lastByteShare).toFixed(1)} % .0/.255` : ''].filter(Boolean).join(', ');
    return `${head}: ${vs}; spoofed (${marks || 'one or two packets each'}), ${int(s.excludedSources)} sources not counted as hosts`;
  }
  return `${head}: ${vs}`;
}
