/** `darkscope export --format csv|jsonl|parquet [--where FILTER] [--out F] [--db PATH]` */
import { parseFilter } from '../store/filter.js';
import type { ExportFormat } from '../store/store.js';
import { UsageError } from './analyze.js';
import { openForQuery } from './selection.js';

const FORMATS: ExportFormat[] = ['csv', 'jsonl', 'parquet'];

export async function exportCommand(opts: { db?: string; format?: string; where?: string; out?: string }, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const format = (opts.format ?? 'csv') as ExportFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  const out = opts.out ?? `darkscope-export.${format}`;
  const store = await openForQuery(opts.db, true);
  try {
    const d = await store.latestDarknet();
    const filter = opts.where === undefined ? null : parseFilter(opts.where, { sensors: new Map((d?.sensors ?? []).map((s) => [s.name, s.id])), homeCountry: d?.homeCountry });
    const n = await store.export(filter, format, out);
    log(`${n.toLocaleString('en')} packets written to ${out}`);
    return 0;
  } finally {
    await store.close();
  }
}
