/**
 * Periodic reports on a deterministic two-quarter store (bench/synth/quarters.ts:
 * 2026Q2 and 2026Q3, ranks designed in advance and counted by the generator as it
 * wrote the packets): ingested with the detectors, then reported for 2026Q3. The
 * tables are checked against the generator's truth in Japanese and English; the HTML
 * is opened in Chromium; the PDF's pages and size are checked; attacker-controlled
 * strings are escaped in HTML and Markdown.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { QUARTERS_DARKNET_YAML, type QuarterTruth, type QuartersTruth, writeQuarters } from '../../bench/synth/quarters.js';
import { parseDarknetConfig } from '../../src/config/load.js';
import { GeoDb } from '../../src/enrich/geo.js';
import { ingest } from '../../src/ingest/run.js';
import { buildReport, type ReportData } from '../../src/report/data.js';
import { type Block, escapeHtml, toHtml, toMarkdown } from '../../src/report/document.js';
import { countryLabel } from '../../src/report/i18n.js';
import { inspectHtml, pdfPageCount } from '../../src/report/pdf.js';
import { parsePeriod } from '../../src/report/period.js';
import { rankSentences, renderReport } from '../../src/report/render.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { ROOT } from '../helpers/paths.js';
import { tmpPath } from '../helpers/tmp.js';

const DAY = 86_400_000;

/** The truth's ranking: keys by packets (ties by key), as the store ranks them. */
function ranking(counts: Record<string, number>): string[] {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k]) => k);
}

/** Expected rows: key, packets, previous rank within the top 10 (null outside). */
function expected(now: Record<string, number>, before: Record<string, number>, n: number): [string, number, number | null][] {
  const prev = ranking(before).slice(0, 10);
  return ranking(now)
    .slice(0, n)
    .map((k) => [k, now[k], prev.includes(k) ? prev.indexOf(k) + 1 : null]);
}

const tables = (blocks: Block[]) => blocks.filter((b): b is Extract<Block, { t: 'table' }> => b.t === 'table');

describe('reports on two quarters of a synthetic observation', () => {
  let truth: QuartersTruth;
  let q2: QuarterTruth;
  let q3: QuarterTruth;
  let data: ReportData;
  let db: string;
  let geo: GeoDb;

  before(async () => {
    geo = await GeoDb.load();
    const file = tmpPath('quarters.pcap');
    truth = writeQuarters(file, { seed: 7, scale: 1, geo });
    [q2, q3] = truth.quarters;
    db = tmpPath('quarters.duckdb');
    const store = await DuckDbStore.open(db);
    try {
      await ingest([file], store, parseDarknetConfig(QUARTERS_DARKNET_YAML, 'quarters.yaml'), geo, { detect: true });
      data = await buildReport(store, parsePeriod('2026Q3'), 'full', { geo, now: new Date('2026-11-22T00:00:00Z') });
    } finally {
      await store.close();
    }
  });

  it('table 1: the top 5 ports with packets and the previous quarter rank, as the truth has them', () => {
    const want = expected(q3.ports, q2.ports, 5);
    assert.deepEqual(
      data.ports.slice(0, 5).map((r) => [r.key, r.packets, r.prevRank]),
      want,
    );
    // The design: 37215 rises from outside the top 10 to second; 8728 falls from second to fourth.
    assert.deepEqual(want.map((w) => w[0]), ['23/tcp', '37215/tcp', '22/tcp', '8728/tcp', '80/tcp']);
    assert.deepEqual(data.ports.slice(0, 5).map((r) => r.label), ['Telnet(23/TCP)', '37215/TCP', 'ssh(22/TCP)', '8728/TCP', 'http(80/TCP)']);
  });

  it('table 2: the top 5 source regions with the previous quarter rank', () => {
    assert.deepEqual(
      data.countries.slice(0, 5).map((r) => [r.key, r.packets, r.prevRank]),
      expected(q3.countries, q2.countries, 5),
    );
  });

  it('the rank sentences and tables in Japanese and in English', async () => {
    const ja = await renderReport(data, 'ja');
    const en = await renderReport(data, 'en');
    const [jt1, jt2] = tables(ja.blocks);
    assert.deepEqual(jt1.head, ['順位', '前四半期の順位', '宛先ポート番号', 'パケット数', '送信元数']);
    assert.deepEqual(jt1.rows.map((r) => r.slice(0, 4)), [
      ['1', '1', 'Telnet(23/TCP)', q3.ports['23/tcp'].toLocaleString('ja-JP')],
      ['2', '-', '37215/TCP', q3.ports['37215/tcp'].toLocaleString('ja-JP')],
      ['3', '3', 'ssh(22/TCP)', q3.ports['22/tcp'].toLocaleString('ja-JP')],
      ['4', '2', '8728/TCP', q3.ports['8728/tcp'].toLocaleString('ja-JP')],
      ['5', '5', 'http(80/TCP)', q3.ports['80/tcp'].toLocaleString('ja-JP')],
    ]);
    assert.deepEqual(jt2.rows.map((r) => r[2]), expected(q3.countries, q2.countries, 5).map(([k]) => countryLabel(k, 'ja')));
    assert.equal(jt2.rows[0][2], '米国(US)');
    const jp = rankSentences(data.ports.slice(0, 5), 'port', data, 'ja');
    assert.match(jp, /1番目はTelnet\(23\/TCP\)で、前四半期と同じでした/);
    assert.match(jp, /2番目は37215\/TCPで、前四半期の上位10位圏外から順位を上げました/);
    assert.match(jp, /8728\/TCPは順位を下げて4番目（前四半期は2番目）でした/);
    const [et1] = tables(en.blocks);
    assert.deepEqual(et1.head, ['Rank', 'Rank in the previous quarter', 'Destination port', 'Packets', 'Sources']);
    assert.deepEqual(et1.rows.map((r) => r.slice(0, 3)), jt1.rows.map((r) => r.slice(0, 3)));
    const ep = rankSentences(data.ports.slice(0, 5), 'port', data, 'en');
    assert.match(ep, /Telnet\(23\/TCP\) was first, as in the previous quarter/);
    assert.match(ep, /37215\/TCP rose to second from outside the top 10 of the previous quarter/);
    assert.match(ep, /8728\/TCP fell to fourth \(second in the previous quarter\)/);
    assert.equal(ja.title, 'ダークネット観測レポート 2026年第3四半期（7月〜9月）');
    assert.equal(en.title, 'Darknet Observation Report 2026 Q3 (July–September)');
  });

  it('NPA and NICTER figures: per-IP per-day accesses, sweepers, totals, packets per IP', () => {
    const size = 65_536;
    const q3Days = Object.entries(truth.days).filter(([d]) => Date.parse(d) >= Date.parse(q3.from) && Date.parse(d) < Date.parse(q3.to));
    assert.equal(data.coverage.days, 92);
    // Both sensors (two /17s, destinations uniform over the /16) saw packets every day.
    assert.deepEqual(data.coverage.sensors.map((s) => [s.sensor, s.days]), [['sensor-a', 92], ['sensor-b', 92]]);
    // The two sensors' packets are all the packets (the generator's destinations stay in the /16).
    assert.equal(data.coverage.sensors.reduce((a, s) => a + s.packets, 0), q3.packets);
    assert.equal(data.coverage.observedDays, q3Days.filter(([, v]) => v.packets > 0).length);
    assert.equal(data.totals.packets, q3.packets);
    // Hosts: every source but the spoofed surge's addresses (one SYN each, nothing else that day).
    assert.equal(data.nicter.hosts, q3.sources - truth.episodes.spoofed.sources);
    // That day, the rule also takes the few real sources that sent nothing but one or two SYNs to
    // 445 (indistinguishable from a spoofed address): at most 1 % more; they count on other days.
    const spoofedDays = data.days.filter((d) => d.spoofedSources > 0);
    assert.deepEqual(spoofedDays.map((d) => d.day), [truth.episodes.spoofed.day]);
    assert.ok(spoofedDays[0].spoofedSources >= truth.episodes.spoofed.sources && spoofedDays[0].spoofedSources <= truth.episodes.spoofed.sources * 1.01, String(spoofedDays[0].spoofedSources));
    assert.ok(Math.abs(data.npa.accessesPerIpPerDay! - q3.packets / (size * data.coverage.observedDays)) < 1e-9);
    assert.ok(Math.abs(data.nicter.perIp! - q3.packets / size) < 1e-9);
    assert.ok(Math.abs(data.nicter.secondsPerPacketPerIp! - (data.coverage.observedDays * 86_400) / (q3.packets / size)) < 1e-6);
    assert.ok(Math.abs(data.npa.miraiPerIpPerDay! - q3.miraiPackets / (size * data.coverage.observedDays)) < 1e-9);
    assert.deepEqual(
      data.days.map((d) => [d.day, d.packets, d.portSweepers]),
      q3Days.map(([d, v]) => [d, v.packets, v.portSweepers]),
    );
  });

  it('the full report: the Bitcoin DDoS with its victim country, the JP surge, the spoofed surge and the new port', () => {
    const dos = truth.episodes.dos.find((d) => Date.parse(d.day) >= Date.parse(q3.from))!;
    const big = data.dos.largest.find((a) => a.victim === dos.victim);
    assert.ok(big, JSON.stringify(data.dos.largest));
    assert.deepEqual([big.port, big.service, big.country], [8333, 'bitcoin', 'DE']);
    assert.deepEqual(data.dos.bitcoin, { attacks: 1, victims: 1 });
    assert.equal(data.dos.byCountry[0].country, 'DE');
    // Runs of consecutive days, regions folded in (render.ts lists them so).
    const covers = (s: { first: string; last: string }, d: string) => s.first <= d && d <= s.last;
    const wave37215 = data.surges.find((s) => s.type === 'surge' && s.port === '37215/TCP' && s.country === null && truth.episodes.surge.days.every((d) => covers(s, d)));
    assert.ok(wave37215, JSON.stringify(data.surges));
    assert.equal(wave37215.regions[0].country, 'JP');
    const spoofed = data.surges.filter((s) => s.type === 'spoofed-surge');
    assert.deepEqual(spoofed.map((s) => [s.first, s.port]), [[truth.episodes.spoofed.day, 'microsoft-ds(445/TCP)']]);
    assert.ok(spoofed[0].excludedSources >= truth.episodes.spoofed.sources * 0.95);
    assert.ok(data.surges.some((s) => s.type === 'new-port' && s.first === truth.episodes.newPort.day && s.port.includes(String(truth.episodes.newPort.port))));
    // 37215/TCP steps from 20 to 240 probes a day when Q3 begins (the design's new campaign): flagged
    // from its first day until the 28-day median catches up (14 days at each level: median 130).
    const step = data.surges.find((s) => s.port === '37215/TCP' && s.country === null && s.first === '2026-07-01');
    assert.ok(step && step.type === 'surge' && step.last <= '2026-07-14', JSON.stringify(step));
    // Nothing else is flagged outside the episodes' days (the Mirai wave may raise 23/2323: said in the truth).
    const episodeDays = [...truth.episodes.surge.days, truth.episodes.spoofed.day, truth.episodes.newPort.day];
    const inWave = (s: { first: string; port: string }) => s.first >= truth.episodes.miraiWave.from && s.first <= truth.episodes.miraiWave.to && /\((23|2323)\/TCP\)$/.test(s.port);
    const stray = data.surges.filter((s) => s !== step && !episodeDays.some((d) => covers(s, d)) && !inWave(s));
    assert.deepEqual(stray, []);
  });

  it('the day summaries give the same report as the rollups (every style, both quarters, a month, a week, a ragged range)', async () => {
    const fast = await DuckDbStore.open(db, { readOnly: true });
    const slow = await DuckDbStore.open(db, { readOnly: true, summaries: false });
    const now = new Date('2026-11-22T00:00:00Z');
    try {
      assert.equal((await fast.query("SELECT count(*) AS n FROM rollup_pending WHERE level = 'summary'"))[0].n, 0, 'ingest refreshed the summaries');
      assert.ok(Number((await fast.query('SELECT count(*) AS n FROM day_sources'))[0].n) > 0);
      for (const [period, style] of [['2026Q3', 'full'], ['2026Q2', 'full'], ['2026-08', 'npa'], ['2026-09-01..2026-09-07', 'tsubame'], ['2026Q3', 'nicter']] as const) {
        const a = await buildReport(fast, parsePeriod(period), style, { geo, now });
        const b = await buildReport(slow, parsePeriod(period), style, { geo, now });
        assert.deepEqual(a, b, `${period} ${style}`);
      }
      // The spoofed surge is in Q3: its addresses left out the same way by both.
      assert.ok(data.totals.spoofedSources > 0);
      // Selections the summaries do not answer (part of a day, a sensor) take the rollups' path.
      const sel = { from: Date.UTC(2026, 7, 3, 6), to: Date.UTC(2026, 7, 9, 18) };
      assert.deepEqual(await fast.totals(sel), await slow.totals(sel));
      assert.deepEqual(await fast.miraiDays(sel), await slow.miraiDays(sel));
      const week = { from: Date.UTC(2026, 7, 3), to: Date.UTC(2026, 7, 10) };
      for (const kinds of [undefined, [4], [1, 2], [0]]) {
        const s = { ...week, kinds };
        assert.deepEqual(await fast.totals(s, false), await slow.totals(s, false), `kinds ${kinds}`);
        assert.deepEqual(await fast.top({ ...s, by: 'country', limit: 10, withSources: false }), await slow.top({ ...s, by: 'country', limit: 10, withSources: false }));
        assert.deepEqual(await fast.keySources(s, ['23/tcp', '37215/tcp'], ['US', 'JP', 'unknown']), await slow.keySources(s, ['23/tcp', '37215/tcp'], ['US', 'JP', 'unknown']));
      }
      for (const by of ['port', 'country', 'kind', 'sensor'] as const) {
        for (const s of [{}, week, sel]) assert.deepEqual(await fast.top({ ...s, by, limit: 10 }), await slow.top({ ...s, by, limit: 10 }), `top --by ${by}`);
      }
      assert.deepEqual(await fast.totals(week), await slow.totals(week));
      assert.deepEqual(await fast.sensorDays(week), await slow.sensorDays(week));
      assert.deepEqual(await fast.activeDays(week), await slow.activeDays(week));
    } finally {
      await fast.close();
      await slow.close();
    }
  });

  it('a day marked for a refresh is read from the rollups until the summaries are refreshed', async () => {
    const copy = tmpPath('quarters-stale.duckdb');
    copyFileSync(db, copy);
    const store = await DuckDbStore.open(copy);
    const now = new Date('2026-11-22T00:00:00Z');
    try {
      const want = await buildReport(store, parsePeriod('2026-08'), 'full', { geo, now });
      // Damage the summaries of one day and mark it, as a chunk commit does before the refresh.
      await store.query("DELETE FROM day_sources WHERE day = DATE '2026-08-10'");
      await store.query("UPDATE day_ports SET packets = packets + 1000 WHERE day = DATE '2026-08-10'");
      await store.query("INSERT INTO rollup_pending VALUES (1, 'summary', TIMESTAMP '2026-08-10', TIMESTAMP '2026-08-10')");
      assert.deepEqual(await buildReport(store, parsePeriod('2026-08'), 'full', { geo, now }), want, 'marked: the rollups answer');
      // The refresh takes the memory of queries and gives back whatever the caller had
      // (`darkscope compact` had the query memory, and a refresh after compact() once ran out of 96 MB).
      const limit = async () => (await store.query("SELECT current_setting('memory_limit') AS m"))[0].m;
      const ingestLimit = await limit();
      await store.setWorkload('query');
      const queryLimit = await limit();
      assert.notEqual(queryLimit, ingestLimit);
      assert.equal(await store.refreshSummaries(), 1);
      assert.equal(await limit(), queryLimit);
      await store.compact();
      assert.equal(await limit(), queryLimit);
      await store.setWorkload('ingest');
      assert.equal(await store.refreshSummaries(), 0);
      assert.equal(await limit(), ingestLimit);
      assert.deepEqual(await buildReport(store, parsePeriod('2026-08'), 'full', { geo, now }), want, 'refreshed: the summaries answer again');
      assert.equal((await store.query("SELECT count(*) AS n FROM rollup_pending WHERE level = 'summary'"))[0].n, 0);
    } finally {
      await store.close();
    }
  });

  it('the HTML report in Chromium: no console errors, every figure drawn, the headings in Japanese', async () => {
    const doc = await renderReport(data, 'ja');
    const html = toHtml(doc);
    const r = await inspectHtml(html);
    assert.deepEqual(r.consoleErrors, []);
    assert.deepEqual(r.blocked, []);
    // Figures 1–3 (TSUBAME), accesses per IP and sources per day (NPA), DoS victims by country.
    assert.equal(doc.blocks.filter((b) => b.t === 'figure').length, 6);
    assert.equal(r.svgCount, 6);
    assert.equal(r.title, 'ダークネット観測レポート 2026年第3四半期（7月〜9月）');
    assert.ok(r.headings.includes('宛先ポート番号別パケット観測数 トップ5'));
    assert.equal(r.overflowX, false);
  });

  it('darkscope report writes HTML, Markdown with its figures, and a PDF of several pages', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [`${ROOT}/dist/src/cli/main.js`, ...args], { encoding: 'utf8' });
    const pdf = tmpPath('report.pdf');
    const a = run(['report', '--db', db, '--period', '2026Q3', '--lang', 'en', '--out', pdf]);
    assert.equal(a.status, 0, a.stderr);
    const bytes = readFileSync(pdf);
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    const pages = pdfPageCount(bytes);
    assert.ok(pages >= 4 && pages <= 20, `${pages} pages`);
    assert.match(a.stdout, new RegExp(`${pages} pages`));
    assert.ok(statSync(pdf).size > 50_000);
    const md = tmpPath('report.md');
    const b = run(['report', '--db', db, '--period', '2026Q3', '--style', 'tsubame', '--out', md]);
    assert.equal(b.status, 0, b.stderr);
    const text = readFileSync(md, 'utf8');
    assert.match(text, /\| 2 \| - \| 37215\/TCP \|/);
    assert.match(text, /!\[図1：.*\]\(report-fig1\.svg\)/);
    assert.ok(readFileSync(tmpPath('report-fig1.svg'), 'utf8').startsWith('<svg'));
    // An empty period is a short, honest report, not an error.
    const c = run(['report', '--db', db, '--period', '2025-01', '--style', 'npa', '--lang', 'en']);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /The store holds no packets for this period/);
    // Usage errors are clean.
    const d = run(['report', '--db', db, '--period', '2026Q7']);
    assert.equal(d.status, 2);
    assert.match(d.stderr, /--period must be a quarter/);
    assert.doesNotMatch(d.stderr, /at .*\.js:\d+/);
  });

  it('attacker-controlled strings (AS names, victims, labels) are escaped in HTML and Markdown', async () => {
    const evil = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"'&|*_[x](y)`;
    const hostile: ReportData = structuredClone(data);
    hostile.dos.largest[0] = { ...hostile.dos.largest[0], victim: evil, asName: evil, service: evil, attackType: evil };
    hostile.ports[0] = { ...hostile.ports[0], label: evil };
    hostile.dos.reflection = [{ prefix: evil, start: '2026-08-01T00:00:00.000Z', minutes: 1, packets: 1, reflectors: 1 }];
    for (const lang of ['ja', 'en'] as const) {
      const doc = await renderReport(hostile, lang);
      const html = toHtml(doc);
      assert.ok(!html.includes('<script>window') && !html.includes('<img src=x'), 'markup from data must be escaped');
      assert.ok(html.includes(escapeHtml(evil)));
      const r = await inspectHtml(html);
      assert.deepEqual(r.consoleErrors, []);
      assert.deepEqual(r.blocked, []); // the <img> never became an element, so nothing was fetched
      const md = toMarkdown(doc, 'r').text;
      assert.ok(!md.includes('<script>') && !md.includes('<img'), 'no raw HTML in Markdown');
      assert.ok(!md.includes('[x](y)'), 'no link from data in Markdown');
    }
  });
});
