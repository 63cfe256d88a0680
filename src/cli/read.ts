/** `darkscope read FILE|DIR... [--json]`: what is in each capture, and what could not be read. */
import { BatchPool } from '../decode/batch.js';
import { expandInputs } from '../capture/files.js';
import { InterfaceRegistry } from '../capture/interfaces.js';
import { type CaptureInfo, CaptureReader } from '../capture/reader.js';

export interface ReadCommandOptions {
  json?: boolean;
}

/** Reads every file; returns the process exit status (1 if some file could not be read at all). */
export async function readCommand(inputs: string[], opts: ReadCommandOptions, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const files = await expandInputs(inputs);
  const pool = new BatchPool();
  const registry = new InterfaceRegistry();
  let status = 0;
  for (const file of files) {
    const reader = await CaptureReader.open(file, { pool, registry });
    for await (const batch of reader.batches()) pool.release(batch);
    const info = reader.info();
    if (reader.failed) status = 1;
    out(opts.json ? JSON.stringify(info) : formatInfo(info));
  }
  return status;
}

function counts(rec: Record<string, number>): string {
  const e = Object.entries(rec);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k}: ${v}`).join('; ');
}

export function formatInfo(i: CaptureInfo): string {
  const lines = [i.file];
  const row = (k: string, v: string) => lines.push(`  ${k.padEnd(12)}${v}`);
  if (i.format) {
    const fmt = [`${i.format}${i.version ? ' ' + i.version : ''}`];
    if (i.compression) fmt.push(`${i.compression}-compressed`);
    if (i.byteOrder) fmt.push(i.byteOrder);
    if (i.precision) fmt.push(`precision ${i.precision}`);
    if (i.snaplen !== null) fmt.push(`snaplen ${i.snaplen}`);
    if (i.format === 'pcapng') fmt.push(`${i.sections} section(s), ${i.interfaceCount} interface(s)`);
    row('format', fmt.join(', '));
    row('link types', i.linkTypes.length ? i.linkTypes.map((l) => `${l.linkType} ${l.name} (${l.packets} packets)`).join('; ') : 'none');
  }
  row('packets', `${i.packets} read, ${i.decoded} decoded to IP`);
  row('skipped', counts(i.skipped));
  if (Object.keys(i.partial).length) row('partial', counts(i.partial));
  const unreadable = Object.values(i.unreadable);
  if (unreadable.length) row('unreadable', unreadable.map((u) => `${u.message} (${u.count}×, first at byte ${u.offset})`).join('; '));
  if (i.firstTimestamp) row('time', `${i.firstTimestamp} → ${i.lastTimestamp}${i.outOfOrder ? ` (${i.outOfOrder} packets out of order)` : ''}`);
  for (const w of i.warnings) row('warning', `${w.message} (${w.count}×, first at byte ${w.offset})`);
  row('error', i.error ? `${i.error.message} (at byte ${i.error.offset})` : 'none');
  return lines.join('\n');
}
