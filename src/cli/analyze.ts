/** `darkscope analyze FILE|DIR... (--config F | --darknet CIDR[,CIDR]) [--json] [--top N]` */
import { analyze, type AnalysisResult } from '../analyze/run.js';
import { resolveDarknet } from '../config/load.js';
import { GeoDb } from '../enrich/geo.js';
import { printable, textTable } from './format.js';
import { Progress } from './progress.js';

export interface AnalyzeCommandOptions {
  config?: string;
  darknet?: string;
  json?: boolean;
  top?: string;
  quiet?: boolean;
}

export async function analyzeCommand(inputs: string[], opts: AnalyzeCommandOptions, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const darknet = await resolveDarknet({ config: opts.config, darknet: opts.darknet });
  if (!darknet) throw new UsageError('analyze needs the darknet: --config FILE or --darknet CIDR[,CIDR...]');
  const top = opts.top === undefined ? 20 : Number(opts.top);
  if (!Number.isInteger(top) || top < 1 || top > 10_000) throw new UsageError(`--top must be an integer from 1 to 10000, got ${opts.top}`);
  const geo = await GeoDb.load({ shared: true });
  let progress: Progress | null = null;
  const result = await analyze(inputs, darknet, geo, {
    top,
    onStart: (set) => (progress = new Progress('analyze', set, !opts.quiet)),
    onBatch: (n) => progress?.tick(n),
  });
  (progress as Progress | null)?.done();
  let status = 0;
  for (const f of result.files) {
    if (f.error) process.stderr.write(`darkscope: ${f.file}: ${f.error.message} (at byte ${f.error.offset})\n`);
    if (f.format === null) status = 1;
  }
  out(opts.json ? JSON.stringify(result.report) : formatAnalysis(result));
  return status;
}

export class UsageError extends Error {}

const n = (x: number) => x.toLocaleString('en');
const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };
const pct = (x: number, of: number) => (of > 0 ? `${((100 * x) / of).toFixed(1)} %` : '-');

const table = (head: string[], rows: (string | number)[][]) => textTable(head, rows, '  ');

/** "80/tcp", "80 (of 3)/tcp", "292 ports/udp"; ICMP echo victims have no port: "icmp". */
function victimPort(v: AnalysisResult['report']['victims'][number]): string {
  const proto = PROTO_NAMES[v.proto] ?? String(v.proto);
  if ((v.proto === 1 || v.proto === 58) && v.port === 0 && v.ports <= 1) return proto;
  return `${v.port === null ? `${n(v.ports)} ports` : v.ports > 1 ? `${v.port} (of ${v.ports})` : v.port}/${proto}`;
}

export function formatAnalysis({ report: r, files }: AnalysisResult): string {
  const out: string[] = [];
  out.push(`${files.length} file(s), ${n(r.packets)} packets (${n(r.decoded)} IP; ${n(r.notMonitored)} to addresses outside the monitored prefixes)`);
  if (r.firstTimestamp) out.push(`time        ${r.firstTimestamp} → ${r.lastTimestamp}`);
  out.push(`darknet     ${r.darknet.sensors.map((s) => `${s.name} (${s.prefixes.join(', ')})`).join('; ')}: ${n(r.darknet.sizeV4)} IPv4 addresses, home country ${r.darknet.homeCountry}`);
  out.push(`sources     ${n(r.sources.total)} distinct, ${n(r.sources.domestic)} domestic${r.sources.approximate ? ' (HyperLogLog estimate, ±0.8 %)' : ''}`);
  const section = (title: string, rec: Record<string, number>) => {
    const e = Object.entries(rec).sort((a, b) => b[1] - a[1]);
    out.push('', title);
    out.push(e.length ? table(['', 'packets', 'share'], e.map(([k, v]) => [k, v, pct(v, r.packets)])) : '  none');
  };
  section('traffic kinds', r.byKind);
  section('tool fingerprints (a packet counts under each label it matches)', r.byTool);
  section('spoofing tags (corsaro3)', r.bySpoofTag);
  out.push('', 'top destination ports (by packets; backscatter excluded)');
  out.push(r.topPorts.length ? table(['port', 'packets', 'sources'], r.topPorts.map((p) => [p.label, p.packets, p.sources])) : '  none');
  out.push('', 'top destination ports (by distinct sources)');
  out.push(r.topPortsBySources.length ? table(['port', 'sources', 'packets'], r.topPortsBySources.map((p) => [p.label, p.sources, p.packets])) : '  none');
  out.push('', 'top source countries (registration country, RIR WHOIS / geofeed; by packets)');
  out.push(r.topCountries.length ? table(['country', 'packets', 'sources'], r.topCountries.map((c) => [c.country ?? 'unknown', c.packets, c.sources])) : '  none');
  out.push('', 'top source countries (by distinct sources)');
  out.push(r.topCountriesBySources.length ? table(['country', 'sources', 'packets'], r.topCountriesBySources.map((c) => [c.country ?? 'unknown', c.sources, c.packets])) : '  none');
  out.push('', `backscatter victims (${n(r.victimCount)}${r.victimsExact ? '' : '+, counts within their error bound'}; ICMP inner-source mismatches by corsaro3's rule: ${n(r.icmpMismatches)})`);
  out.push(
    r.victims.length
      ? table(
          ['victim', 'port', 'packets', 'country', 'AS', 'responses'],
          r.victims.map((v) => [v.addr, victimPort(v), v.packets, v.country ?? '-', v.asn ? printable(`AS${v.asn} ${v.asName ?? ''}`.trim()) : '-', v.responses.join(',')]),
        )
      : '  none',
  );
  out.push('', 'packets per sensor IP per day');
  out.push(r.perSensorDay.length ? table(['day', 'sensor', 'packets', 'per IP'], r.perSensorDay.map((d) => [d.day, d.sensor ?? '(not monitored)', d.packets, d.packetsPerIp === null ? '-' : d.packetsPerIp.toFixed(1)])) : '  none');
  out.push('', `methods: ${r.methods}`);
  out.push(`data: ${r.attribution}`);
  return out.join('\n');
}
