/**
 * `darkscope report --period P [--style tsubame|npa|nicter|full] [--lang ja|en]
 *  [--format md|html|pdf] [--out FILE] [--db PATH]`: a periodic report from the store.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { GeoDb } from '../enrich/geo.js';
import { buildReport, REPORT_STYLES, type ReportStyle } from '../report/data.js';
import { toHtml, toMarkdown } from '../report/document.js';
import { LANGS, type Lang } from '../report/i18n.js';
import { htmlToPdf } from '../report/pdf.js';
import { parsePeriod, PeriodError } from '../report/period.js';
import { renderReport } from '../report/render.js';
import { UsageError } from './analyze.js';
import { openForQuery } from './selection.js';

const FORMATS = ['md', 'html', 'pdf'] as const;
type Format = (typeof FORMATS)[number];

export interface ReportOptions {
  period?: string;
  style?: string;
  lang?: string;
  format?: string;
  out?: string;
  db?: string;
}

function choose<T extends string>(name: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v.slice(0, 20))}`);
  return v as T;
}

export async function reportCommand(opts: ReportOptions, out: (s: string) => void = (s) => process.stdout.write(s + '\n'), err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  if (!opts.period) throw new UsageError('--period is required: a quarter (2025Q2), a month (2025-06), a year (2025) or days FROM..TO');
  let period;
  try {
    period = parsePeriod(opts.period);
  } catch (e) {
    if (e instanceof PeriodError) throw new UsageError(e.message);
    throw e;
  }
  const style = choose<ReportStyle>('style', opts.style, REPORT_STYLES, 'full');
  const lang = choose<Lang>('lang', opts.lang, LANGS, 'ja');
  const fromExt = opts.out ? (extname(opts.out).slice(1).toLowerCase() as Format) : undefined;
  const format = choose<Format>('format', opts.format ?? (fromExt && (FORMATS as readonly string[]).includes(fromExt) ? fromExt : undefined), FORMATS, 'md');
  if (format === 'pdf' && !opts.out) throw new UsageError('--format pdf needs --out FILE.pdf');

  const store = await openForQuery(opts.db);
  let data;
  try {
    // The registry data's versions for the method section, and AS names for the full report's
    // DoS victims (registry strings: escaped when written).
    const geo = await GeoDb.load();
    data = await buildReport(store, period, style, { geo });
  } finally {
    await store.close();
  }
  const doc = await renderReport(data, lang);
  if (format === 'md') {
    const prefix = opts.out ? basename(opts.out, extname(opts.out)) : 'report';
    const md = toMarkdown(doc, prefix);
    if (!opts.out) {
      out(md.text);
      if (md.assets.length) err(`report: ${md.assets.length} figures not written (Markdown on standard output links them; use --out FILE.md or --format html)`);
      return 0;
    }
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, md.text);
    for (const a of md.assets) writeFileSync(join(dirname(opts.out), a.name), a.content);
    out(`report: ${opts.out} (${md.assets.length} figures beside it)`);
    return 0;
  }
  const html = toHtml(doc);
  if (format === 'html') {
    if (!opts.out) {
      out(html);
      return 0;
    }
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, html);
    out(`report: ${opts.out}`);
    return 0;
  }
  mkdirSync(dirname(opts.out!), { recursive: true });
  const pdf = await htmlToPdf(html, opts.out!);
  out(`report: ${opts.out} (${pdf.pages} pages, ${pdf.bytes.toLocaleString('en')} bytes)`);
  return 0;
}
