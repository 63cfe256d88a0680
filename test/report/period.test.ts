/** Report periods and their previous periods; the languages' names and numbers (i18n). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countryLabel, ordinal, periodLabel, previousName } from '../../src/report/i18n.js';
import { parsePeriod, periodDays, previousPeriod } from '../../src/report/period.js';

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('periods', () => {
  it('quarters, months, years and day ranges, with the period before each', () => {
    const cases: [string, string, string, string, string, string][] = [
      // text, canonical, from, to (exclusive), previous text, previous from
      ['2025Q2', '2025Q2', '2025-04-01', '2025-07-01', '2025Q1', '2025-01-01'],
      ['2025q1', '2025Q1', '2025-01-01', '2025-04-01', '2024Q4', '2024-10-01'],
      ['2025-Q4', '2025Q4', '2025-10-01', '2026-01-01', '2025Q3', '2025-07-01'],
      ['2025-06', '2025-06', '2025-06-01', '2025-07-01', '2025-05', '2025-05-01'],
      ['2025-01', '2025-01', '2025-01-01', '2025-02-01', '2024-12', '2024-12-01'],
      ['2024', '2024', '2024-01-01', '2025-01-01', '2023', '2023-01-01'],
      ['2025-04-01..2025-04-10', '2025-04-01..2025-04-10', '2025-04-01', '2025-04-11', '2025-03-22..2025-03-31', '2025-03-22'],
    ];
    for (const [text, canon, from, to, prevText, prevFrom] of cases) {
      const p = parsePeriod(text);
      assert.deepEqual([p.text, iso(p.from), iso(p.to)], [canon, from, to], text);
      const q = previousPeriod(p);
      assert.deepEqual([q.text, iso(q.from), q.to], [prevText, prevFrom, p.from], text);
    }
    assert.equal(periodDays(parsePeriod('2024-02')).length, 29); // a leap year
    assert.equal(periodDays(parsePeriod('2025Q3')).length, 92);
  });

  it('rejects what is not a period, with the accepted forms in the message', () => {
    for (const bad of ['', '2025Q5', '2025-13', '2025-02-30..2025-03-01', '2025-04-10..2025-04-01', 'Q2', '12025', '2025-06-01', '<script>']) {
      assert.throws(() => parsePeriod(bad), /--period must be a quarter \(2025Q2\), a month \(2025-06\), a year \(2025\) or days FROM\.\.TO/, bad);
    }
  });
});

describe('the two languages', () => {
  it('period names as the reports write them', () => {
    assert.equal(periodLabel(parsePeriod('2026Q3'), 'ja'), '2026年第3四半期（7月〜9月）');
    assert.equal(periodLabel(parsePeriod('2026Q3'), 'en'), '2026 Q3 (July–September)');
    assert.equal(periodLabel(parsePeriod('2026-06'), 'ja'), '2026年6月');
    assert.equal(periodLabel(parsePeriod('2026-06'), 'en'), 'June 2026');
    assert.equal(previousName(parsePeriod('2026Q3'), 'ja'), '前四半期');
    assert.equal(previousName(parsePeriod('2026'), 'en'), 'the previous year');
  });

  it('regions named as TSUBAME names them: 米国(US); English with the code', () => {
    assert.deepEqual(['US', 'CN', 'JP', 'KR', 'GB', 'RU', 'DE'].map((c) => countryLabel(c, 'ja')), ['米国(US)', '中国(CN)', '日本(JP)', '韓国(KR)', '英国(GB)', 'ロシア(RU)', 'ドイツ(DE)']);
    assert.deepEqual(['US', 'KR', 'NL'].map((c) => countryLabel(c, 'en')), ['United States (US)', 'South Korea (KR)', 'Netherlands (NL)']);
    assert.equal(countryLabel('', 'ja'), '不明');
    assert.equal(countryLabel('XY', 'en'), 'XY (XY)'); // a code ICU does not know stays a code
  });

  it('ordinals', () => {
    assert.deepEqual([1, 2, 4, 5].map((n) => ordinal(n, 'ja')), ['1番目', '2番目', '4番目', '5番目']);
    assert.deepEqual([1, 3, 10, 11, 12, 13, 21, 22, 23, 101].map((n) => ordinal(n, 'en')), ['first', 'third', 'tenth', '11th', '12th', '13th', '21st', '22nd', '23rd', '101st']);
  });
});
