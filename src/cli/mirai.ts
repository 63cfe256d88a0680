/** `darkscope mirai [--from --to --sensor] [--db PATH] [--json|--csv]`: Mirai metrics per day, from the rollups. */
import { UsageError } from './analyze.js';
import { csvLine, openForQuery, parseSelection, textTable, type SelectionOptions } from './selection.js';

export async function miraiCommand(opts: SelectionOptions & { json?: boolean; csv?: boolean }, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  if (opts.json && opts.csv) throw new UsageError('use one of --json or --csv');
  const store = await openForQuery(opts.db);
  let days;
  try {
    days = await store.miraiDays(await parseSelection(opts, store));
  } finally {
    await store.close();
  }
  if (opts.json) {
    for (const d of days) out(JSON.stringify(d));
    return 0;
  }
  const head = ['day', 'mirai packets', 'per sensor IP', 'mirai sources', 'domestic', '23/tcp domestic with', 'without'];
  const rows = days.map((d) => [
    d.day,
    d.miraiPackets,
    d.perSensor.map((p) => `${p.sensor} ${p.perIp === null ? '-' : p.perIp >= 10 ? p.perIp.toFixed(1) : p.perIp.toPrecision(3)}`).join('; ') || '-',
    d.miraiSources,
    d.miraiSourcesDomestic,
    d.telnetDomesticWithMirai,
    d.telnetDomesticWithoutMirai,
  ]);
  if (opts.csv) {
    out(csvLine(head));
    for (const r of rows) out(csvLine(r));
  } else out(days.length ? textTable(head, rows) : 'no packets match');
  return 0;
}
