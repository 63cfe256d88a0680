/** `darkscope series --by port|country|kind|sensor|tool|total --step 5m|1h|1d [--from --to --limit] [--json|--csv]` */
import type { SeriesStep } from '../store/store.js';
import { UsageError } from './analyze.js';
import { csvLine, openForQuery, parseSelection, textTable, type SelectionOptions } from './selection.js';
import { parseLimit } from './top.js';

export interface SeriesCommandOptions extends SelectionOptions {
  by?: string;
  step?: string;
  limit?: string;
  json?: boolean;
  csv?: boolean;
}

const SERIES_BY = ['port', 'country', 'kind', 'sensor', 'tool', 'total'] as const;

export function parseStep(v: string | undefined): SeriesStep {
  const m = /^(\d{1,4})(m|h|d)$/.exec(v ?? '');
  if (!m || Number(m[1]) < 1) throw new UsageError(`--step must be a number of minutes, hours or days (5m, 1h, 1d)${v ? `, got ${JSON.stringify(v.slice(0, 20))}` : ''}`);
  return { label: v!, ms: Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'] };
}

export async function seriesCommand(opts: SeriesCommandOptions, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  if (opts.json && opts.csv) throw new UsageError('use one of --json or --csv');
  const by = (opts.by ?? 'total') as (typeof SERIES_BY)[number];
  if (!SERIES_BY.includes(by)) throw new UsageError(`--by must be one of ${SERIES_BY.join(', ')}`);
  const step = parseStep(opts.step);
  const limit = parseLimit(opts.limit, 5);
  const store = await openForQuery(opts.db);
  let rows;
  try {
    const sel = await parseSelection(opts, store);
    rows = await store.series({ ...sel, by, step, limit });
  } finally {
    await store.close();
  }
  if (opts.json) out(JSON.stringify({ by, step: step.label, rows }));
  else if (opts.csv) {
    out(csvLine(['time', by, 'packets', 'sources']));
    for (const r of rows) out(csvLine([r.t, r.key, r.packets, r.sources]));
  } else out(rows.length ? textTable(['time', by, 'packets', 'sources'], rows.map((r) => [r.t, r.key, r.packets, r.sources])) : 'no packets match');
  return 0;
}
