/**
 * One report benchmark run in its own process: a report of PERIOD from the store DB
 * (opened read-only, as `darkscope report` opens it), timed in its parts: gathering
 * the numbers (rollups and events), writing the document with its figures, HTML;
 * then, apart, the PDF through Chromium; and two references: the same numbers gathered
 * from the rollups alone (no day summaries: what the summaries save, and that they agree),
 * and the top-5 ports of the period from the packets table (a report without rollups).
 * Prints one JSON line.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { GeoDb } from '../src/enrich/geo.js';
import { buildReport, type ReportStyle } from '../src/report/data.js';
import { toHtml } from '../src/report/document.js';
import { htmlToPdf } from '../src/report/pdf.js';
import { parsePeriod } from '../src/report/period.js';
import { renderReport } from '../src/report/render.js';
import { DuckDbStore } from '../src/store/duckdb/store.js';

const [db, periodText = '2026Q3', style = 'full', lang = 'ja'] = process.argv.slice(2);
if (!db) {
  process.stderr.write('usage: report DB [PERIOD] [STYLE] [LANG]\n');
  process.exit(2);
}
const period = parsePeriod(periodText);
const t0 = performance.now();
const geo = await GeoDb.load();
const store = await DuckDbStore.open(db, { readOnly: true });
const t1 = performance.now();
const data = await buildReport(store, period, style as ReportStyle, { geo });
const t2 = performance.now();
const doc = await renderReport(data, lang as 'ja' | 'en');
const html = toHtml(doc);
const t3 = performance.now();
// The reference: one ranked table from the packets table instead of the rollups.
const from = new Date(period.from).toISOString();
const to = new Date(period.to).toISOString();
const t4 = performance.now();
const ref = await store.sql(`SELECT dport, count(*) AS n FROM packets WHERE ts >= TIMESTAMP '${from.slice(0, 19)}' AND ts < TIMESTAMP '${to.slice(0, 19)}' AND kind IN (1, 2, 3, 5) AND proto IN (6, 17) GROUP BY dport ORDER BY n DESC, dport LIMIT 5`);
const t5 = performance.now();
await store.close();
// The reference in the same process: the same numbers gathered from the rollups alone (no day summaries).
const slow = await DuckDbStore.open(db, { readOnly: true, summaries: false });
const t7 = performance.now();
const slowData = await buildReport(slow, period, style as ReportStyle, { geo, now: new Date(data.generatedAt) });
const t8 = performance.now();
await slow.close();
const t5b = performance.now();
const pdf = await htmlToPdf(html, join(tmpdir(), `darkscope-bench-report-${process.pid}.pdf`));
const t6 = performance.now();
process.stdout.write(
  JSON.stringify({
    packets: data.totals.packets,
    openMs: t1 - t0,
    gatherMs: t2 - t1,
    renderMs: t3 - t2,
    reportMs: t3 - t1,
    figures: doc.blocks.filter((b) => b.t === 'figure').length,
    htmlBytes: html.length,
    referenceTopPortsFromPacketsMs: t5 - t4,
    referenceMatches: JSON.stringify(ref.rows.map((r) => Number(r[0]))) === JSON.stringify(data.ports.slice(0, 5).map((p) => Number(p.key.split('/')[0]))),
    gatherFromRollupsMs: t8 - t7,
    summariesMatchRollups: isDeepStrictEqual(data, slowData),
    pdfMs: t6 - t5b,
    pdfPages: pdf.pages,
    pdfBytes: pdf.bytes,
  }) + '\n',
);
