/**
 * The report's two languages. Country names come from ICU (Intl.DisplayNames, full ICU
 * ships with Node 20) with the few names the Japanese reports write otherwise (TSUBAME
 * prints "米国(US)", not ICU's "アメリカ合衆国"); numbers and periods are written as the
 * reports write them (Japanese: 1,234件, 2026年第3四半期（7月〜9月）).
 */
import type { Period } from './period.js';

export type Lang = 'ja' | 'en';
export const LANGS: readonly Lang[] = ['ja', 'en'];

const JA_COUNTRY: Record<string, string> = { US: '米国', GB: '英国', KR: '韓国', HK: '香港', MO: 'マカオ', TW: '台湾', NL: 'オランダ', VN: 'ベトナム' };
const EN_COUNTRY: Record<string, string> = { HK: 'Hong Kong', MO: 'Macau', KR: 'South Korea', US: 'United States', GB: 'United Kingdom', RU: 'Russia', VN: 'Vietnam', TW: 'Taiwan' };
const names = { ja: new Intl.DisplayNames(['ja'], { type: 'region', fallback: 'code' }), en: new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' }) };

/** A country's name in the report's language ('' → unknown). */
export function countryName(code: string, lang: Lang): string {
  if (!code) return lang === 'ja' ? '不明' : 'unknown';
  const over = (lang === 'ja' ? JA_COUNTRY : EN_COUNTRY)[code];
  if (over) return over;
  try {
    return names[lang].of(code) ?? code;
  } catch {
    return code; // not a region code ICU knows
  }
}

/** As the reports label a region: 米国(US), United States (US). */
export function countryLabel(code: string, lang: Lang): string {
  if (!code) return countryName(code, lang);
  return lang === 'ja' ? `${countryName(code, lang)}(${code})` : `${countryName(code, lang)} (${code})`;
}

export function formatInt(n: number, lang: Lang): string {
  return Math.round(n).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
}

export function formatNumber(n: number, digits: number, lang: Lang): string {
  return n.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A measured figure: three significant digits below 10 (0.0312), one decimal above (1,234.5). */
export function formatFigure(n: number, lang: Lang): string {
  if (n === 0 || !Number.isFinite(n)) return formatInt(n || 0, lang);
  if (Math.abs(n) < 10) return n.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US', { maximumSignificantDigits: 3 });
  return formatNumber(n, 1, lang);
}

export function formatPercent(x: number, lang: Lang, digits = 1): string {
  return `${formatNumber(100 * x, digits, lang)}%`;
}

const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** 2026年第3四半期（7月〜9月）; 2026 Q3 (July–September). */
export function periodLabel(p: Period, lang: Lang): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  if (p.kind === 'quarter') {
    const m0 = 3 * (p.quarter! - 1);
    return lang === 'ja' ? `${p.year}年第${p.quarter}四半期（${m0 + 1}月〜${m0 + 3}月）` : `${p.year} Q${p.quarter} (${EN_MONTHS[m0]}–${EN_MONTHS[m0 + 2]})`;
  }
  if (p.kind === 'month') return lang === 'ja' ? `${p.year}年${p.month}月` : `${EN_MONTHS[p.month! - 1]} ${p.year}`;
  if (p.kind === 'year') return lang === 'ja' ? `${p.year}年` : String(p.year);
  return lang === 'ja' ? `${day(p.from)}〜${day(p.to - 86_400_000)}` : `${day(p.from)} to ${day(p.to - 86_400_000)}`;
}

/** 前四半期 / the previous quarter. */
export function previousName(p: Period, lang: Lang): string {
  const ja = { quarter: '前四半期', month: '前月', year: '前年', range: '前期間' };
  const en = { quarter: 'the previous quarter', month: 'the previous month', year: 'the previous year', range: 'the previous period' };
  return (lang === 'ja' ? ja : en)[p.kind];
}

const EN_ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

/** 4番目; fourth (1st–10th as words, then 11th, 12th…). */
export function ordinal(n: number, lang: Lang): string {
  if (lang === 'ja') return `${n}番目`;
  if (n >= 1 && n <= EN_ORDINALS.length) return EN_ORDINALS[n - 1];
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${s}`;
}
