/** `darkscope sql "SELECT …" [--db PATH] [--json|--csv]`: read-only SQL for analysts. */
import { UsageError } from './analyze.js';
import { csvLine, openForQuery, textTable } from './selection.js';

export async function sqlCommand(text: string, opts: { db?: string; json?: boolean; csv?: boolean }, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  if (opts.json && opts.csv) throw new UsageError('use one of --json or --csv');
  // Read-only database, no file access, configuration locked: the statement can only read the store.
  const store = await openForQuery(opts.db, false);
  try {
    const r = await store.sql(text);
    if (opts.json) for (const row of r.rows) out(JSON.stringify(Object.fromEntries(r.columns.map((c, i) => [c, row[i]]))));
    else if (opts.csv) {
      out(csvLine(r.columns));
      for (const row of r.rows) out(csvLine(row.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : v))));
    } else out(textTable(r.columns, r.rows.map((row) => row.map((v) => (typeof v === 'number' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? 'NULL'))))));
    return 0;
  } finally {
    await store.close();
  }
}
