/** `darkscope top --by port|country|asn|tool|victim|source|kind|sensor [--from --to --sensor --kind --proto --limit] [--json|--csv]` */
import { parseIPv4, parseIPv6 } from '../config/cidr.js';
import { unpackCountry } from '../enrich/country.js';
import { GeoDb } from '../enrich/geo.js';
import { TOP_DIMENSIONS, type TopDimension, type TopRow } from '../store/store.js';
import { UsageError } from './analyze.js';
import { csvLine, openForQuery, parseSelection, printable, textTable, type SelectionOptions } from './selection.js';

export interface TopCommandOptions extends SelectionOptions {
  by?: string;
  limit?: string;
  json?: boolean;
  csv?: boolean;
}

export function parseLimit(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new UsageError(`--limit must be an integer from 1 to 100000, got ${JSON.stringify(v.slice(0, 20))}`);
  return n;
}

export function parseDimension(v: string | undefined, extra: readonly string[] = []): TopDimension {
  const all = [...TOP_DIMENSIONS, ...extra];
  if (!v || !all.includes(v)) throw new UsageError(`--by must be one of ${all.join(', ')}${v ? `, got ${JSON.stringify(v.slice(0, 20))}` : ''}`);
  return v as TopDimension;
}

export async function topCommand(opts: TopCommandOptions, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  if (opts.json && opts.csv) throw new UsageError('use one of --json or --csv');
  const by = parseDimension(opts.by);
  const limit = parseLimit(opts.limit, 10);
  const store = await openForQuery(opts.db);
  let rows: TopRow[];
  try {
    const sel = await parseSelection(opts, store);
    rows = await store.top({ ...sel, by, limit });
  } finally {
    await store.close();
  }
  if (by === 'asn' || by === 'victim' || by === 'source') {
    // AS names from the registry data (attacker-influenced text: printed through printable()).
    const geo = await GeoDb.load();
    for (const r of rows) {
      if (by === 'victim') {
        // Victims are few: their country and AS are looked up here rather than stored per packet.
        const ip = parseIPv4(r.key);
        const w = ip === null ? parseIPv6(r.key) : null;
        const cc = ip !== null ? geo.countryV4(ip) : w ? geo.countryV6(w[0], w[1], w[2], w[3]) : 0;
        r.detail.country = cc ? unpackCountry(cc) : null;
        r.detail.asn = (ip !== null ? geo.asnV4(ip) : w ? geo.asnV6(w[0], w[1], w[2], w[3]) : 0) || null;
      }
      const asn = r.detail.asn as number | null;
      if (asn) r.detail.asName = geo.asName(asn) ?? null;
    }
  }
  if (opts.json) {
    out(JSON.stringify({ by, rows }));
    return 0;
  }
  const detailKeys = [...new Set(rows.flatMap((r) => Object.keys(r.detail)))];
  if (opts.csv) {
    out(csvLine(['rank', by, 'packets', 'sources', ...detailKeys]));
    rows.forEach((r, i) => out(csvLine([i + 1, r.key, r.packets, r.sources, ...detailKeys.map((k) => r.detail[k])])));
    return 0;
  }
  if (!rows.length) {
    out('no packets match');
    return 0;
  }
  const label = (r: TopRow) => (by === 'port' ? String(r.detail.label) : r.key);
  const extra = by === 'asn' ? ['asName'] : by === 'victim' ? ['port', 'country', 'asName'] : by === 'source' ? ['country', 'asn', 'ports'] : [];
  out(
    textTable(
      ['#', by, 'packets', ...(rows[0].sources === null ? [] : ['sources']), ...extra],
      rows.map((r, i) => [String(i + 1), label(r), r.packets, ...(r.sources === null ? [] : [r.sources]), ...extra.map((k) => printable(String(r.detail[k] ?? '-')))]),
    ),
  );
  return 0;
}
