/**
 * Report periods: a quarter (2025Q2), a month (2025-06), a year (2025) or a range of
 * days (2025-04-01..2025-06-30, both days included), in UTC, each with the previous
 * period of the same kind (the quarter, month or year before; for a range, the same
 * number of days just before it) that ranks are compared against.
 */
export type PeriodKind = 'quarter' | 'month' | 'year' | 'range';

export interface Period {
  kind: PeriodKind;
  /** [from, to) in ms since the epoch, UTC midnight. */
  from: number;
  to: number;
  /** Canonical text: 2025Q2, 2025-06, 2025, 2025-04-01..2025-06-30. */
  text: string;
  year: number;
  /** Quarter 1–4, month 1–12; null otherwise. */
  quarter: number | null;
  month: number | null;
}

const DAY = 86_400_000;

export class PeriodError extends Error {}

function make(kind: PeriodKind, from: number, to: number, year: number, quarter: number | null, month: number | null): Period {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const text = kind === 'quarter' ? `${year}Q${quarter}` : kind === 'month' ? `${year}-${pad(month!)}` : kind === 'year' ? String(year) : `${day(from)}..${day(to - DAY)}`;
  return { kind, from, to, text, year, quarter, month };
}

function quarter(year: number, q: number): Period {
  return make('quarter', Date.UTC(year, 3 * (q - 1), 1), Date.UTC(year, 3 * q, 1), year, q, null);
}

function month(year: number, m: number): Period {
  return make('month', Date.UTC(year, m - 1, 1), Date.UTC(year, m, 1), year, null, m);
}

function year(y: number): Period {
  return make('year', Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1), y, null, null);
}

function parseDay(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Date.UTC rolls 2025-02-30 over to March: only real days pass.
  return new Date(t).toISOString().slice(0, 10) === s ? t : null;
}

const YEAR_MIN = 1970;
const YEAR_MAX = 2999;

/** Parse a period as the user writes it; a PeriodError says what is accepted. */
export function parsePeriod(text: string): Period {
  const s = text.trim();
  const bad = () => new PeriodError(`--period must be a quarter (2025Q2), a month (2025-06), a year (2025) or days FROM..TO (2025-04-01..2025-06-30), got ${JSON.stringify(s.slice(0, 40))}`);
  const inRange = (y: number) => {
    if (y < YEAR_MIN || y > YEAR_MAX) throw bad();
    return y;
  };
  let m = /^(\d{4})-?Q([1-4])$/i.exec(s);
  if (m) return quarter(inRange(Number(m[1])), Number(m[2]));
  m = /^(\d{4})-(\d{2})$/.exec(s);
  if (m) {
    const mo = Number(m[2]);
    if (mo < 1 || mo > 12) throw bad();
    return month(inRange(Number(m[1])), mo);
  }
  m = /^(\d{4})$/.exec(s);
  if (m) return year(inRange(Number(m[1])));
  m = /^(\S+)\.\.(\S+)$/.exec(s);
  if (m) {
    const a = parseDay(m[1]);
    const b = parseDay(m[2]);
    if (a === null || b === null || b < a) throw bad();
    inRange(new Date(a).getUTCFullYear());
    inRange(new Date(b).getUTCFullYear());
    return make('range', a, b + DAY, new Date(a).getUTCFullYear(), null, null);
  }
  throw bad();
}

/** The period the report compares with: the one of the same kind just before. */
export function previousPeriod(p: Period): Period {
  switch (p.kind) {
    case 'quarter':
      return p.quarter === 1 ? quarter(p.year - 1, 4) : quarter(p.year, p.quarter! - 1);
    case 'month':
      return p.month === 1 ? month(p.year - 1, 12) : month(p.year, p.month! - 1);
    case 'year':
      return year(p.year - 1);
    default: {
      const len = p.to - p.from;
      return make('range', p.from - len, p.from, new Date(p.from - len).getUTCFullYear(), null, null);
    }
  }
}

/** The UTC days of a period, as 'YYYY-MM-DD'. */
export function periodDays(p: Period): string[] {
  const out: string[] = [];
  for (let t = p.from; t < p.to; t += DAY) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
