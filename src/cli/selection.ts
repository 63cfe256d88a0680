/** Options shared by the query commands (top, series, export): store, time range, sensor, kind, protocol, output. */
import { KIND_RULES } from '../classify/rules.js';
import { parseTime } from '../store/filter.js';
import { DuckDbStore, DEFAULT_DB_PATH } from '../store/duckdb/store.js';
import type { Selection } from '../store/store.js';
import { UsageError } from './analyze.js';

export interface SelectionOptions {
  db?: string;
  from?: string;
  to?: string;
  sensor?: string;
  kind?: string;
  proto?: string;
}

export async function openForQuery(db: string | undefined, externalAccess = false): Promise<DuckDbStore> {
  return DuckDbStore.open(db ?? DEFAULT_DB_PATH, { readOnly: true, externalAccess });
}

function time(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = parseTime(v);
  if (!t) throw new UsageError(`--${name} must be an ISO 8601 date or time (2025-06-01, 2025-06-01T12:00Z), got ${JSON.stringify(v.slice(0, 40))}`);
  return t.start;
}

const PROTOS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

export async function parseSelection(o: SelectionOptions, store: DuckDbStore): Promise<Selection> {
  const from = time('from', o.from);
  const to = time('to', o.to);
  if (from !== undefined && to !== undefined && from >= to) throw new UsageError('--from must be before --to (the range is [from, to))');
  const sel: Selection = { from, to };
  const kinds = list(o.kind);
  if (kinds) {
    sel.kinds = kinds.map((k) => {
      const r = KIND_RULES.find((x) => x.label === k.toLowerCase());
      if (!r) throw new UsageError(`--kind: unknown kind ${JSON.stringify(k.slice(0, 40))} (${KIND_RULES.map((x) => x.label).join(', ')})`);
      return r.bit;
    });
  }
  const protos = list(o.proto);
  if (protos) {
    sel.protos = protos.map((p) => {
      const v = PROTOS[p.toLowerCase()] ?? (/^\d{1,3}$/.test(p) && Number(p) <= 255 ? Number(p) : undefined);
      if (v === undefined) throw new UsageError(`--proto: ${JSON.stringify(p.slice(0, 40))} is not tcp, udp, icmp, icmpv6 or a protocol number`);
      return v;
    });
  }
  const sensors = list(o.sensor);
  if (sensors) {
    const stored = await store.latestDarknet();
    sel.sensors = sensors.map((s) => {
      const hit = stored?.sensors.find((x) => x.name === s);
      if (hit) return hit.id;
      throw new UsageError(`--sensor: no sensor ${JSON.stringify(s.slice(0, 40))} in the stored configuration (${(stored?.sensors ?? []).map((x) => x.name).join(', ') || 'none'})`);
    });
  }
  return sel;
}

/** RFC 4180 CSV: fields with commas, quotes or line breaks are quoted, quotes doubled. */
export function csvLine(cells: readonly unknown[]): string {
  return cells
    .map((c) => {
      const s = c === null || c === undefined ? '' : String(c);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}

export { printable, textTable } from './format.js';
