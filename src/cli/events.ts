/** `darkscope events [--type scan,dos] [--from --to] [--limit N] [--db PATH] [--json]` */
import type { StoredEvent } from '../store/store.js';
import { UsageError } from './analyze.js';
import { openForQuery, parseSelection, printable, textTable } from './selection.js';
import { parseLimit } from './top.js';

const TYPES = ['scan', 'dos'] as const;

export async function eventsCommand(opts: { db?: string; type?: string; from?: string; to?: string; limit?: string; json?: boolean }, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const types = opts.type?.split(',').map((t) => t.trim());
  for (const t of types ?? []) if (!(TYPES as readonly string[]).includes(t)) throw new UsageError(`--type must be among ${TYPES.join(', ')}, got ${JSON.stringify(t.slice(0, 20))}`);
  const store = await openForQuery(opts.db);
  let events: StoredEvent[];
  try {
    const sel = await parseSelection({ from: opts.from, to: opts.to }, store);
    events = await store.events({ types: types as StoredEvent['type'][] | undefined, from: sel.from, to: sel.to, limit: parseLimit(opts.limit, 1000) });
  } finally {
    await store.close();
  }
  const iso = (s: number) => new Date(s * 1000).toISOString();
  if (opts.json) {
    for (const e of events) {
      const base = { type: e.type, first: iso(e.firstSec), last: iso(e.lastSec), packets: e.packets };
      out(JSON.stringify(e.type === 'scan' ? { ...base, source: e.source, port: e.port, proto: e.proto, tool: e.tool, ...(e.details as object) } : { ...base, victim: e.victim, victimPort: e.victimPort, attackType: e.attackType, proto: e.proto, ...(e.details as object) }));
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
      events.map((e) => [e.type, iso(e.firstSec), iso(e.lastSec), printable(e.source ?? e.victim ?? '-'), String(e.port ?? e.victimPort ?? '-'), e.type === 'scan' ? `${(e.details as { trafficType?: string }).trafficType ?? ''}${e.tool ? ` ${e.tool}` : ''}` : (e.attackType ?? '-'), e.packets]),
    ),
  );
  return 0;
}
