/**
 * A report's text in Japanese or English, from ReportData: the TSUBAME, NPA and NICTER
 * sections, the full report's DoS, surge and method sections, and their figures. The
 * wording of rank changes follows the TSUBAME quarterly report ("8728/TCPは順位を下げて
 * 4番目、5番目はssh(22/TCP)でした").
 */
import { barChart, lineChart, type SeriesPoint } from './charts.js';
import type { DailyValue, RankedRow, ReportData } from './data.js';
import type { Block, ReportDocument } from './document.js';
import { countryLabel, formatFigure, formatInt, formatNumber, formatPercent, type Lang, ordinal, periodLabel, previousName } from './i18n.js';
import { periodDays } from './period.js';

type Str = { ja: string; en: string };
const L = (lang: Lang, s: Str) => s[lang];

const TITLES: Record<ReportData['style'], Str> = {
  tsubame: { ja: 'インターネット定点観測レポート', en: 'Internet Fixed-Point Observation Report' },
  npa: { ja: 'インターネット定点観測 観測統計', en: 'Internet Fixed-Point Observation Statistics' },
  nicter: { ja: 'ダークネット観測統計（年次）', en: 'Darknet Observation Statistics (yearly)' },
  full: { ja: 'ダークネット観測レポート', en: 'Darknet Observation Report' },
};

/** The label a ranked row is shown with. */
function rowLabel(r: RankedRow, kind: 'port' | 'country', lang: Lang): string {
  return kind === 'port' ? r.label : countryLabel(r.key, lang);
}

function rankedTable(rows: RankedRow[], kind: 'port' | 'country', caption: string, data: ReportData, lang: Lang, keyHead?: string): Block {
  const prev = previousName(data.period, lang);
  const head =
    lang === 'ja'
      ? ['順位', `${prev}の順位`, keyHead ?? (kind === 'port' ? '宛先ポート番号' : '送信元地域'), 'パケット数', '送信元数']
      : ['Rank', `Rank in ${prev}`, keyHead ?? (kind === 'port' ? 'Destination port' : 'Source region'), 'Packets', 'Sources'];
  return {
    t: 'table',
    caption,
    head,
    align: ['r', 'r', 'l', 'r', 'r'],
    rows: rows.map((r) => [String(r.rank), r.prevRank === null ? '-' : String(r.prevRank), rowLabel(r, kind, lang), formatInt(r.packets, lang), formatInt(r.sources, lang)]),
  };
}

/** One sentence per rank, as the TSUBAME report describes its tables. */
export function rankSentences(rows: RankedRow[], kind: 'port' | 'country', data: ReportData, lang: Lang): string {
  const prev = previousName(data.period, lang);
  const depth = data.method.previousRankDepth;
  const compare = data.previousPackets > 0;
  const parts = rows.map((r) => {
    const name = rowLabel(r, kind, lang);
    const n = ordinal(r.rank, lang);
    if (!compare) return lang === 'ja' ? `${n}は${name}でした` : `${name} was ${n}`;
    if (lang === 'ja') {
      if (r.prevRank === r.rank) return `${n}は${name}で、${prev}と同じでした`;
      if (r.prevRank === null) return `${n}は${name}で、${prev}の上位${depth}位圏外から順位を上げました`;
      if (r.prevRank > r.rank) return `${name}は順位を上げて${n}（${prev}は${r.prevRank}番目）でした`;
      return `${name}は順位を下げて${n}（${prev}は${r.prevRank}番目）でした`;
    }
    if (r.prevRank === r.rank) return `${name} was ${n}, as in ${prev}`;
    if (r.prevRank === null) return `${name} rose to ${n} from outside the top ${depth} of ${prev}`;
    if (r.prevRank > r.rank) return `${name} rose to ${n} (${ordinal(r.prevRank, lang)} in ${prev})`;
    return `${name} fell to ${n} (${ordinal(r.prevRank, lang)} in ${prev})`;
  });
  if (!parts.length) return '';
  // Service names keep their case (TSUBAME's English report writes "ssh(22/TCP)" too).
  const text = lang === 'ja' ? parts.join('。') + '。' : parts.join('. ') + '.';
  if (compare) return text;
  return text + (lang === 'ja' ? `（${prev}のデータはストアにないため、順位の比較はしていません。）` : ` (The store holds no data for ${prev}: ranks are not compared.)`);
}

/** Daily values of the ranked keys, every day of the period (a day without packets is 0 when the telescope saw others). */
function dailyPoints(rows: RankedRow[], values: DailyValue[], kind: 'port' | 'country', data: ReportData, lang: Lang): { points: SeriesPoint[]; series: string[] } {
  const observed = new Set(data.days.map((d) => d.day));
  const by = new Map(values.map((v) => [`${v.day} ${v.key}`, v.packets]));
  const series = rows.map((r) => rowLabel(r, kind, lang));
  const points: SeriesPoint[] = [];
  for (const day of periodDays(data.period)) {
    if (!observed.has(day)) continue; // a gap of the telescope is not a zero
    rows.forEach((r, i) => points.push({ day, series: series[i], value: by.get(`${day} ${r.key}`) ?? 0 }));
  }
  return { points, series };
}

function compressDays(days: string[]): string[] {
  const out: string[] = [];
  let start = '';
  let prev = '';
  const next = (d: string) => new Date(Date.parse(d) + 86_400_000).toISOString().slice(0, 10);
  for (const d of days) {
    if (prev && next(prev) === d) {
      prev = d;
      continue;
    }
    if (start) out.push(start === prev ? start : `${start}..${prev}`);
    start = prev = d;
  }
  if (start) out.push(start === prev ? start : `${start}..${prev}`);
  return out;
}

/** A TSUBAME table (top 5 with the previous rank), its sentences and its daily figure. */
async function rankedSection(kind: 'port' | 'country', rows: RankedRow[], values: DailyValue[], data: ReportData, lang: Lang, blocks: Block[], n: { table: number; fig: number }): Promise<void> {
  const x = (s: Str) => L(lang, s);
  const port = kind === 'port';
  blocks.push({
    t: 'h2',
    text: port ? x({ ja: '宛先ポート番号別パケット観測数 トップ5', en: 'Top 5 destination ports by packets' }) : x({ ja: '送信元地域別パケット観測数 トップ5', en: 'Top 5 source regions by packets' }),
    id: port ? 'tsubame-ports' : 'tsubame-regions',
  });
  const caption = port ? x({ ja: `表${n.table}：宛先ポート番号トップ5`, en: `Table ${n.table}: top 5 destination ports` }) : x({ ja: `表${n.table}：送信元地域トップ5`, en: `Table ${n.table}: top 5 source regions` });
  blocks.push(rankedTable(rows, kind, caption, data, lang));
  n.table++;
  blocks.push({ t: 'p', text: rankSentences(rows, kind, data, lang) });
  const pts = dailyPoints(rows, values, kind, data, lang);
  if (pts.points.length)
    blocks.push({
      t: 'figure',
      id: `fig${n.fig}`,
      caption: port
        ? x({ ja: `図${n.fig}：宛先ポート番号トップ5のパケット観測数の推移（日別）`, en: `Figure ${n.fig}: daily packets to the top 5 destination ports` })
        : x({ ja: `図${n.fig}：送信元地域トップ5のパケット観測数の推移（日別）`, en: `Figure ${n.fig}: daily packets from the top 5 source regions` }),
      svg: await lineChart({ ...pts, xTitle: x({ ja: '日付 (UTC)', en: 'Day (UTC)' }), yTitle: x({ ja: 'パケット数', en: 'Packets' }) }),
    });
  n.fig++;
}

async function tsubame(data: ReportData, lang: Lang, blocks: Block[], n: { table: number; fig: number }): Promise<void> {
  const x = (s: Str) => L(lang, s);
  await rankedSection('port', data.ports.slice(0, 5), data.portDays, data, lang, blocks, n);
  await rankedSection('country', data.countries.slice(0, 5), data.countryDays, data, lang, blocks, n);
  const home = data.darknet?.homeCountry ?? 'JP';
  blocks.push({ t: 'h2', text: x({ ja: `Telnet(23/TCP)宛てパケットを送信する国内(${home})の送信元数`, en: `Domestic (${home}) sources of packets to Telnet(23/TCP)` }), id: 'tsubame-mirai' });
  const with_ = x({ ja: 'Miraiの特徴あり', en: 'with the Mirai feature' });
  const without = x({ ja: 'Miraiの特徴なし', en: 'without the Mirai feature' });
  const values = data.mirai.flatMap((d) => [
    { x: d.day, part: with_, value: d.telnetDomesticWithMirai },
    { x: d.day, part: without, value: d.telnetDomesticWithoutMirai },
  ]);
  const sumWith = data.mirai.reduce((a, d) => a + d.telnetDomesticWithMirai, 0);
  const sumWithout = data.mirai.reduce((a, d) => a + d.telnetDomesticWithoutMirai, 0);
  const days = data.mirai.length || 1;
  blocks.push({
    t: 'p',
    text: x({
      ja: `Miraiの特徴（TCPシーケンス番号が宛先IPアドレスと一致）を持つパケットを送信した国内の送信元は1日平均${formatNumber(sumWith / days, 1, lang)}、特徴を持たない送信元は1日平均${formatNumber(sumWithout / days, 1, lang)}でした。`,
      en: `Domestic sources sending packets with the Mirai feature (TCP sequence number equal to the destination address) averaged ${formatNumber(sumWith / days, 1, lang)} a day; sources without it, ${formatNumber(sumWithout / days, 1, lang)}.`,
    }),
  });
  if (values.length)
    blocks.push({
      t: 'figure',
      id: `fig${n.fig}`,
      caption: x({ ja: `図${n.fig}：Telnet(23/TCP)宛てパケットを送信する国内の送信元数（Miraiの特徴の有無別、日別）`, en: `Figure ${n.fig}: daily domestic sources of Telnet(23/TCP) packets, with and without the Mirai feature` }),
      svg: await barChart({ values, parts: [with_, without], temporal: true, xTitle: x({ ja: '日付 (UTC)', en: 'Day (UTC)' }), yTitle: x({ ja: '送信元数', en: 'Sources' }) }),
    });
  n.fig++;
}

async function npa(data: ReportData, lang: Lang, blocks: Block[], n: { table: number; fig: number }): Promise<void> {
  const x = (s: Str) => L(lang, s);
  const v = data.npa;
  const f1 = (y: number | null) => (y === null ? '-' : formatFigure(y, lang));
  blocks.push({ t: 'h2', text: x({ ja: '観測統計（1日・1IPアドレス当たり）', en: 'Observation statistics (per day and sensor IP address)' }), id: 'npa' });
  blocks.push({
    t: 'table',
    caption: x({ ja: `表${n.table}：観測統計`, en: `Table ${n.table}: observation statistics` }),
    head: x({ ja: '項目|値', en: 'Figure|Value' }).split('|'),
    align: ['l', 'r'],
    rows: [
      [x({ ja: 'アクセス件数（1日・1IPアドレス当たり）', en: 'Accesses per day per sensor IP address' }), f1(v.accessesPerIpPerDay)],
      [x({ ja: 'うちMiraiの特徴を持つもの（1日・1IPアドレス当たり）', en: 'of which with the Mirai feature (per day per IP)' }), f1(v.miraiPerIpPerDay)],
      [x({ ja: '国内からのアクセスの割合', en: 'Share of accesses from domestic sources' }), v.domesticShare === null ? '-' : formatPercent(v.domesticShare, lang)],
      [x({ ja: '送信元IPアドレス数（1日当たり）', en: 'Source IP addresses per day' }), formatFigure(v.sourcesPerDay, lang)],
      [x({ ja: `1日に${data.method.sweepPorts}以上のポートにアクセスした送信元数（1日当たり）`, en: `Sources reaching ≥ ${data.method.sweepPorts} ports in a day (per day)` }), formatFigure(v.sweepersPerDay, lang)],
      [x({ ja: 'DoS攻撃被害観測（跳ね返りパケット、1日当たり）', en: 'DoS backscatter packets per day' }), formatFigure(v.backscatterPerDay, lang)],
    ],
  });
  n.table++;
  // Per sensor (NPA averages over its sensors; an operator with several wants each one).
  const sizes = new Map((data.darknet?.sensors ?? []).map((s) => [s.name, s.sizeV4]));
  const perSensor = data.coverage.sensors.filter((s) => sizes.has(s.sensor));
  if (perSensor.length > 1)
    blocks.push({
      t: 'table',
      caption: x({ ja: `表${n.table}：センサー別のアクセス件数（1日・1IPアドレス当たり）`, en: `Table ${n.table}: accesses per day per IP address, by sensor` }),
      head: x({ ja: 'センサー|IPv4アドレス数|観測日数|パケット数|1日・1IPアドレス当たり', en: 'Sensor|IPv4 addresses|Days with packets|Packets|Per day per IP' }).split('|'),
      align: ['l', 'r', 'r', 'r', 'r'],
      rows: perSensor.map((s) => {
        const ips = sizes.get(s.sensor)!;
        return [s.sensor, formatInt(ips, lang), String(s.days), formatInt(s.packets, lang), ips > 0 && s.days > 0 ? formatFigure(s.packets / (ips * s.days), lang) : '-'];
      }),
    });
  if (perSensor.length > 1) n.table++;
  const size = data.darknet?.sizeV4 ?? 0;
  const mirai = new Map(data.mirai.map((d) => [d.day, d.miraiPackets]));
  if (size > 0 && data.days.length) {
    const all = x({ ja: '全アクセス', en: 'all accesses' });
    const mi = x({ ja: 'Miraiの特徴あり', en: 'with the Mirai feature' });
    const points: SeriesPoint[] = data.days.flatMap((d) => [
      { day: d.day, series: all, value: d.packets / size },
      { day: d.day, series: mi, value: (mirai.get(d.day) ?? 0) / size },
    ]);
    blocks.push({
      t: 'figure',
      id: `fig${n.fig}`,
      caption: x({ ja: `図${n.fig}：1IPアドレス当たりのアクセス件数の推移（日別）`, en: `Figure ${n.fig}: accesses per sensor IP address, per day` }),
      svg: await lineChart({ points, series: [all, mi], xTitle: x({ ja: '日付 (UTC)', en: 'Day (UTC)' }), yTitle: x({ ja: '件数/IP', en: 'Accesses per IP' }) }),
    });
    n.fig++;
  }
  if (data.days.length) {
    const src = x({ ja: '送信元IPアドレス数', en: 'source IP addresses' });
    const dom = x({ ja: 'うち国内', en: 'domestic' });
    blocks.push({
      t: 'figure',
      id: `fig${n.fig}`,
      caption: x({ ja: `図${n.fig}：送信元IPアドレス数の推移（日別）`, en: `Figure ${n.fig}: source IP addresses per day` }),
      svg: await lineChart({ points: data.days.flatMap((d) => [{ day: d.day, series: src, value: d.sources }, { day: d.day, series: dom, value: d.domesticSources }]), series: [src, dom], xTitle: x({ ja: '日付 (UTC)', en: 'Day (UTC)' }), yTitle: x({ ja: '送信元数', en: 'Sources' }) }),
    });
    n.fig++;
  }
  if (data.style === 'npa') {
    blocks.push(rankedTable(data.ports.slice(0, 5), 'port', x({ ja: `表${n.table}：宛先ポート番号トップ5`, en: `Table ${n.table}: top 5 destination ports` }), data, lang));
    n.table++;
    blocks.push(rankedTable(data.countries.slice(0, 5), 'country', x({ ja: `表${n.table}：送信元地域トップ5`, en: `Table ${n.table}: top 5 source regions` }), data, lang));
    n.table++;
  }
  if (v.topVictimPorts.length) {
    blocks.push({ t: 'h3', text: x({ ja: 'DoS攻撃被害観測：跳ね返りパケットの送信元ポート トップ5', en: 'DoS backscatter: top 5 victim ports' }) });
    blocks.push(rankedTable(v.topVictimPorts, 'port', x({ ja: `表${n.table}：跳ね返りパケットの送信元ポート（被害ポート）`, en: `Table ${n.table}: victims' ports in backscatter` }), data, lang, x({ ja: '被害ポート', en: 'Victim port' })));
    n.table++;
  }
}

function nicter(data: ReportData, lang: Lang, blocks: Block[], n: { table: number; fig: number }): void {
  const x = (s: Str) => L(lang, s);
  const v = data.nicter;
  blocks.push({ t: 'h2', text: x({ ja: '観測規模', en: 'Scale of the observation' }), id: 'nicter' });
  blocks.push({
    t: 'table',
    caption: x({ ja: `表${n.table}：観測統計`, en: `Table ${n.table}: observation totals` }),
    head: x({ ja: '項目|値', en: 'Figure|Value' }).split('|'),
    align: ['l', 'r'],
    rows: [
      [x({ ja: '総観測パケット数', en: 'Packets observed' }), formatInt(v.totalPackets, lang)],
      [x({ ja: '観測IPアドレス数（IPv4）', en: 'Darknet IPv4 addresses' }), formatInt(data.darknet?.sizeV4 ?? 0, lang)],
      [x({ ja: '1IPアドレス当たりの総観測パケット数', en: 'Packets per darknet IP address' }), v.perIp === null ? '-' : formatFigure(v.perIp, lang)],
      [x({ ja: '1IPアドレスに何秒に1回パケットが届いたか', en: 'One packet per IP address every … seconds' }), v.secondsPerPacketPerIp === null ? '-' : formatFigure(v.secondsPerPacketPerIp, lang)],
      [x({ ja: 'ユニークホスト数（送信元）', en: 'Distinct hosts (sources)' }), formatInt(v.hosts, lang)],
    ],
  });
  n.table++;
  if (v.secondsPerPacketPerIp !== null)
    blocks.push({
      t: 'p',
      text: x({
        ja: `これは、ダークネットの1IPアドレスに約${formatFigure(v.secondsPerPacketPerIp, lang)}秒に1回パケットが届いた計算になります。`,
        en: `That is one packet reaching each darknet address about every ${formatFigure(v.secondsPerPacketPerIp, lang)} seconds.`,
      }),
    });
  if (data.style === 'nicter') {
    blocks.push(rankedTable(v.topPorts, 'port', x({ ja: `表${n.table}：宛先ポート番号トップ10`, en: `Table ${n.table}: top 10 destination ports` }), data, lang));
    n.table++;
    blocks.push(rankedTable(v.topCountries, 'country', x({ ja: `表${n.table}：送信元地域トップ10`, en: `Table ${n.table}: top 10 source regions` }), data, lang));
    n.table++;
  }
}

async function dos(data: ReportData, lang: Lang, blocks: Block[], n: { table: number; fig: number }): Promise<void> {
  const x = (s: Str) => L(lang, s);
  const d = data.dos;
  blocks.push({ t: 'h2', text: x({ ja: 'DoS攻撃（跳ね返りパケットから推定）', en: 'DoS attacks (inferred from backscatter)' }), id: 'dos' });
  if (!d.attacks) {
    blocks.push({ t: 'p', text: x({ ja: 'この期間に、しきい値を満たすDoS攻撃は観測されませんでした。', en: 'No DoS attack passing the thresholds was observed in this period.' }) });
  } else {
    blocks.push({
      t: 'p',
      text: x({
        ja: `${formatInt(d.attacks, lang)}件の攻撃（被害ホスト${formatInt(d.victims, lang)}）を観測しました。うちBitcoinノード（8333/TCP）への攻撃は${formatInt(d.bitcoin.attacks, lang)}件でした。`,
        en: `${formatInt(d.attacks, lang)} attacks on ${formatInt(d.victims, lang)} victims were observed, ${formatInt(d.bitcoin.attacks, lang)} of them on Bitcoin nodes (8333/TCP).`,
      }),
    });
    blocks.push({
      t: 'table',
      caption: x({ ja: `表${n.table}：攻撃対象となった国・地域 トップ10`, en: `Table ${n.table}: top 10 targeted countries` }),
      head: x({ ja: '順位|国・地域|攻撃件数|割合', en: 'Rank|Country|Attacks|Share' }).split('|'),
      align: ['r', 'l', 'r', 'r'],
      rows: d.byCountry.map((c, i) => [String(i + 1), countryLabel(c.country, lang), formatInt(c.attacks, lang), formatPercent(c.share, lang)]),
    });
    n.table++;
    blocks.push({
      t: 'table',
      caption: x({ ja: `表${n.table}：攻撃対象となったサービス（ポート）トップ10`, en: `Table ${n.table}: top 10 targeted services (ports)` }),
      head: x({ ja: '順位|サービス|攻撃件数|割合', en: 'Rank|Service|Attacks|Share' }).split('|'),
      align: ['r', 'l', 'r', 'r'],
      rows: d.byService.map((s, i) => [String(i + 1), s.label, formatInt(s.attacks, lang), formatPercent(s.share, lang)]),
    });
    n.table++;
    blocks.push({
      t: 'table',
      caption: x({ ja: `表${n.table}：規模の大きい攻撃（観測パケット数順）`, en: `Table ${n.table}: the largest attacks (by packets observed)` }),
      head: x({ ja: '被害ホスト|ポート|国|AS|種別|開始 (UTC)|継続(分)|パケット数|推定攻撃レート(pps)', en: 'Victim|Port|Country|AS|Type|Start (UTC)|Minutes|Packets|Estimated rate (pps)' }).split('|'),
      align: ['l', 'l', 'l', 'l', 'l', 'l', 'r', 'r', 'r'],
      rows: d.largest.map((a) => [
        a.victim,
        a.port === null ? '-' : `${a.port}${a.service ? ` (${a.service})` : ''}`,
        a.country ? countryLabel(a.country, lang) : '-',
        a.asn ? `AS${a.asn}${a.asName ? ` ${a.asName}` : ''}` : '-',
        a.attackType,
        a.start.slice(0, 16).replace('T', ' '),
        formatNumber(a.minutes, 1, lang),
        formatInt(a.packets, lang),
        formatInt(a.estimatedPps, lang),
      ]),
    });
    n.table++;
    if (d.byCountry.length)
      blocks.push({
        t: 'figure',
        id: `fig${n.fig}`,
        caption: x({ ja: `図${n.fig}：攻撃対象となった国・地域（攻撃件数）`, en: `Figure ${n.fig}: attacks by targeted country` }),
        svg: await barChart({
          values: d.byCountry.map((c) => ({ x: countryLabel(c.country, lang), part: x({ ja: '攻撃件数', en: 'attacks' }), value: c.attacks })),
          parts: [x({ ja: '攻撃件数', en: 'attacks' })],
          horizontal: true,
          xTitle: x({ ja: '国・地域', en: 'Country' }),
          yTitle: x({ ja: '攻撃件数', en: 'Attacks' }),
          height: 24 * d.byCountry.length,
        }),
      });
    n.fig++;
  }
  if (d.reflection.length) {
    blocks.push({ t: 'h3', text: x({ ja: 'SYN/ACKリフレクション（観測網宛て）', en: 'SYN/ACK reflection aimed at the darknet' }) });
    blocks.push({
      t: 'table',
      caption: x({ ja: `表${n.table}：観測網のプレフィックスを狙ったSYN/ACKリフレクション`, en: `Table ${n.table}: SYN/ACK reflection into darknet prefixes` }),
      head: x({ ja: 'プレフィックス|開始 (UTC)|継続(分)|パケット数|リフレクター数', en: 'Prefix|Start (UTC)|Minutes|Packets|Reflectors' }).split('|'),
      align: ['l', 'l', 'r', 'r', 'r'],
      rows: d.reflection.slice(0, 20).map((r) => [r.prefix, r.start.slice(0, 16).replace('T', ' '), String(r.minutes), formatInt(r.packets, lang), formatInt(r.reflectors, lang)]),
    });
    n.table++;
  }
}

function surges(data: ReportData, lang: Lang, blocks: Block[], n: { table: number; fig: number }): void {
  const x = (s: Str) => L(lang, s);
  blocks.push({ t: 'h2', text: x({ ja: '急増と新たな活動', en: 'Surges and new campaigns' }), id: 'surges' });
  const real = data.surges.filter((s) => s.type !== 'spoofed-surge');
  const spoofed = data.surges.filter((s) => s.type === 'spoofed-surge');
  if (!real.length && !spoofed.length) {
    blocks.push({ t: 'p', text: x({ ja: 'この期間に、基準を超える急増や新たなポートへの活動は検出されませんでした。', en: 'No surge or new port passed the thresholds in this period.' }) });
    return;
  }
  if (real.length) {
    const type = (t: string) => (t === 'new-port' ? x({ ja: '新規ポート', en: 'new port' }) : x({ ja: '急増', en: 'surge' }));
    const when = (s: { first: string; last: string }) => (s.first === s.last ? s.first : `${s.first}〜${s.last}`.replace('〜', lang === 'ja' ? '〜' : ' to '));
    const regions = (s: (typeof real)[number]) =>
      s.country !== null ? countryLabel(s.country, lang) : s.regions.length ? s.regions.slice(0, 5).map((r) => countryLabel(r.country, lang)).join(lang === 'ja' ? '、' : ', ') + (s.regions.length > 5 ? (lang === 'ja' ? ' ほか' : ', …') : '') : '-';
    blocks.push({
      t: 'table',
      caption: x({ ja: `表${n.table}：検出した急増と新規ポート（連続する日はまとめて、値はピーク）`, en: `Table ${n.table}: surges and new ports detected (consecutive days together; values at the peak)` }),
      head: x({ ja: '期間|種別|ポート|地域|日数・時間数|パケット数|送信元数|基準値(中央値)|倍率', en: 'When|Type|Port|Regions|Days or hours|Packets|Sources|Baseline (median)|Ratio' }).split('|'),
      align: ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
      rows: real.slice(0, 40).map((s) => [
        when(s),
        `${type(s.type)}${s.granularity === 'hour' ? x({ ja: '（時間）', en: ' (hourly)' }) : ''}`,
        s.port,
        regions(s),
        `${s.buckets}${s.granularity === 'hour' ? x({ ja: '時間', en: ' h' }) : x({ ja: '日', en: ' d' })}`,
        formatInt(s.packets, lang),
        formatInt(s.sources, lang),
        s.median === null ? '-' : formatFigure(s.median, lang),
        s.ratio === null ? '-' : `${formatNumber(s.ratio, 1, lang)}×`,
      ]),
    });
    n.table++;
  }
  for (const s of spoofed) {
    // What the report's source counts really left out that day (data.ts): the spoofed addresses.
    const left = data.days.find((d) => d.day === s.first)?.spoofedSources ?? s.excludedSources;
    blocks.push({
      t: 'p',
      text: x({
        ja: `${s.first}の${s.port}宛ての急増（送信元${formatInt(s.sources, lang)}）は、送信元の大半が1〜2パケットのみで、経路上に存在しないアドレスや末尾が0/255のアドレスを含むことから、送信元を詐称したSYNパケットによるものと判断しました。感染ホストの数には含めていません（除外した送信元：${formatInt(left, lang)}）。`,
        en: `The surge on ${s.port} on ${s.first} (${formatInt(s.sources, lang)} sources) is spoofed SYNs, not infections: nearly every source sent one or two packets, and they include non-routable addresses and addresses ending in .0 or .255. They are left out of host counts (${formatInt(left, lang)} sources excluded).`,
      }),
    });
  }
}

function method(data: ReportData, lang: Lang, blocks: Block[], full: boolean): void {
  const x = (s: Str) => L(lang, s);
  blocks.push({ t: 'h2', text: x({ ja: '観測と集計の方法', en: 'Method' }), id: 'method' });
  const dk = data.darknet;
  const items: string[] = [];
  if (dk)
    items.push(
      x({
        ja: `観測網：センサー${dk.sensors.length}台（${dk.sensors.map((s) => `${s.name}: IPv4 ${formatInt(s.sizeV4, lang)}アドレス`).join('、')}）、計${formatInt(dk.sizeV4, lang)}アドレス。国内とは${countryLabel(dk.homeCountry, lang)}を指します。`,
        en: `Darknet: ${dk.sensors.length} sensor(s) (${dk.sensors.map((s) => `${s.name}: ${formatInt(s.sizeV4, lang)} IPv4 addresses`).join(', ')}), ${formatInt(dk.sizeV4, lang)} addresses in all. Domestic means ${countryLabel(dk.homeCountry, lang)}.`,
      }),
    );
  const c = data.coverage;
  const gaps = compressDays(c.missingDays);
  items.push(
    x({
      ja: `観測期間：${periodLabel(data.period, lang)}（UTC）。パケットのあった日は${c.days}日中${c.observedDays}日${gaps.length ? `（欠測：${gaps.slice(0, 12).join('、')}${gaps.length > 12 ? ' ほか' : ''}）` : ''}。1日当たりの値は観測のあった日で平均しています。`,
      en: `Period: ${periodLabel(data.period, lang)} (UTC). Packets were stored on ${c.observedDays} of its ${c.days} days${gaps.length ? ` (missing: ${gaps.slice(0, 12).join(', ')}${gaps.length > 12 ? ', …' : ''})` : ''}. Per-day figures average over the days with packets.`,
    }),
  );
  if (c.sensors.length)
    items.push(
      x({
        ja: `センサー別の観測日数：${c.sensors.map((s) => `${s.sensor} ${s.days}日`).join('、')}（期間${c.days}日）。`,
        en: `Days with packets per sensor: ${c.sensors.map((s) => `${s.sensor} ${s.days}`).join(', ')} (of ${c.days}).`,
      }),
    );
  items.push(
    x({
      ja: `順位表はプローブ（TCP SYN、UDP、ICMPエコー要求、その他のTCP）のパケット数によります。DoS攻撃の跳ね返りパケットは含みません。前期間の順位は上位${data.method.previousRankDepth}位までを示し、それ以外は「-」です。`,
      en: `Ranked tables count probe packets (TCP SYN, UDP, ICMP echo requests, other TCP); DoS backscatter is not counted. The previous period's rank is shown within its top ${data.method.previousRankDepth}, otherwise "-".`,
    }),
    x({
      ja: '送信元数（1日当たり、期間全体、ユニークホスト数）には、送信元詐称による急増でその日にそのポートへ1〜2パケットを送っただけのアドレスを含めていません（詐称されたアドレスでありホストではないため）。順位表の送信元数には含みます。',
      en: 'Source counts (per day, over the period, distinct hosts) leave out addresses that, on the day of a spoofed surge, only sent one or two probes to its port: they are spoofed addresses, not hosts. The ranked tables\' source columns include them.',
    }),
    x({
      ja: '送信元地域は、IPアドレスの割り当て（RIRの割り当て情報に基づくwhoisの国コード、ip-location-db）によります。位置情報ではありません。',
      en: 'Source regions are the registration country of the address (RIR-derived whois country codes, ip-location-db), not geolocation.',
    }),
    x({
      ja: 'Miraiの特徴：TCP SYNのシーケンス番号が宛先IPアドレスと一致すること（流出したMiraiのソースコード、methods.md §1.3）。',
      en: 'The Mirai feature: a TCP SYN whose sequence number equals its destination address (the leaked Mirai source, methods.md §1.3).',
    }),
  );
  if (full || data.style === 'npa')
    items.push(
      x({
        ja: `1日・1IPアドレス当たりのアクセス件数 = 期間のパケット数 ÷（IPv4センサーアドレス数 × 観測日数）。「アクセス」はパケット1つとしています（警察庁の定義の詳細は未確認）。`,
        en: 'Accesses per day per sensor IP = packets in the period ÷ (IPv4 sensor addresses × days with packets). One access is one packet (the NPA\'s exact definition is unconfirmed).',
      }),
    );
  if (full || data.style === 'nicter')
    items.push(
      x({
        ja: '1IPアドレス当たりのパケット数 = 総観測パケット数 ÷ 観測IPv4アドレス数。何秒に1回 = 観測日数の秒数 ÷ 1IPアドレス当たりのパケット数。',
        en: 'Packets per darknet IP = packets ÷ IPv4 darknet addresses; one packet every N seconds: N = seconds of the days with packets ÷ packets per IP.',
      }),
    );
  if (full)
    items.push(
      x({
        ja: 'DoS攻撃：跳ね返りパケット（SYN/ACK、RST、ICMPエラー等）を被害ホスト・プロトコルごとにまとめ、25パケット以上・60秒以上・60秒窓で30パケット以上のものを攻撃とします（CAIDA corsaro3）。推定攻撃レート = 観測レート × 2^32 ÷ 観測アドレス数。',
        en: 'DoS attacks: backscatter (SYN/ACK, RST, ICMP errors, …) per victim and protocol, reported from 25 packets, 60 s and 30 packets in a 60-s window (CAIDA corsaro3). Estimated attack rate = observed rate × 2^32 ÷ darknet addresses.',
      }),
      x({
        ja: '急増：ポート（およびポート×送信元地域）ごとの日別・時間別の値を、直前28日の中央値とMADによる基準と比べ、100パケット以上または10送信元以上、中央値の3倍以上、スコア6以上のものです。送信元詐称による急増は、送信元の95%以上が2パケット以下で、経路外アドレス1%以上または末尾0/255のアドレス0.4%以上のものとしました。',
        en: 'Surges: daily and hourly values per port (and port × source region) against the median and MAD of the previous 28 days: ≥ 100 packets or ≥ 10 sources, ≥ 3 × the median and a score ≥ 6. A surge is spoofed when ≥ 95 % of its sources sent at most 2 packets and ≥ 1 % are non-routable or ≥ 0.4 % end in .0/.255.',
      }),
    );
  const m = data.method;
  const geo = m.geo ? `${m.geo.country.package} ${m.geo.country.version} (${m.geo.country.licence}), ${m.geo.asn.package} ${m.geo.asn.version} (${m.geo.asn.licence})` : '-';
  items.push(x({ ja: `データ：${geo}、IANAサービス名 ${m.ports}。検出規則：${m.methods}。`, en: `Data: ${geo}; IANA service names ${m.ports}. Rules: ${m.methods}.` }));
  blocks.push({ t: 'list', items });
}

/** The report document in one language. */
export async function renderReport(data: ReportData, lang: Lang): Promise<ReportDocument> {
  const x = (s: Str) => L(lang, s);
  const title = `${L(lang, TITLES[data.style])} ${periodLabel(data.period, lang)}`;
  const blocks: Block[] = [{ t: 'h1', text: title }];
  const dk = data.darknet;
  blocks.push({
    t: 'p',
    text: x({
      ja: `本レポートは、ダークネット観測網${dk ? `（IPv4 ${formatInt(dk.sizeV4, lang)}アドレス）` : ''}で${periodLabel(data.period, lang)}に観測したパケットを集計したものです。作成：${data.generatedAt.slice(0, 10)}、darkscope。`,
      en: `This report summarises the packets the darknet${dk ? ` (${formatInt(dk.sizeV4, lang)} IPv4 addresses)` : ''} received in ${periodLabel(data.period, lang)}. Generated ${data.generatedAt.slice(0, 10)} by darkscope.`,
    }),
  });
  if (data.totals.packets === 0) {
    blocks.push({
      t: 'p',
      text: x({
        ja: 'この期間のパケットはストアにありません。観測が行われていないか、取り込まれていない可能性があります。',
        en: 'The store holds no packets for this period: the telescope was not observing, or its captures have not been ingested.',
      }),
    });
    method(data, lang, blocks, data.style === 'full');
    return { lang, title, blocks };
  }
  blocks.push({
    t: 'p',
    text: x({
      ja: `観測パケット数は${formatInt(data.totals.packets, lang)}（うちプローブ${formatInt(data.totals.probePackets, lang)}）、送信元は${formatInt(data.totals.sources, lang)}でした。`,
      en: `${formatInt(data.totals.packets, lang)} packets were observed (${formatInt(data.totals.probePackets, lang)} of them probes) from ${formatInt(data.totals.sources, lang)} sources.`,
    }),
  });
  const n = { table: 1, fig: 1 };
  const full = data.style === 'full';
  if (data.style === 'tsubame' || full) await tsubame(data, lang, blocks, n);
  if (data.style === 'npa' || full) await npa(data, lang, blocks, n);
  if (data.style === 'nicter' || full) nicter(data, lang, blocks, n);
  if (full) {
    await dos(data, lang, blocks, n);
    surges(data, lang, blocks, n);
  }
  method(data, lang, blocks, full);
  return { lang, title, blocks };
}
