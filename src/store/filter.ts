/**
 * The export filter language: `field op value`, `and` / `or` / `not`,
 * parentheses, `in (…)` lists, CIDRs and time ranges, e.g.
 *
 *   tool:mirai and src_country:JP and dport in (23,2323)
 *   src:203.0.113.0/24 or (victim_port:8333 and kind:backscatter)
 *   time:2025-06-01..2025-07-01 and not tag:spoofed
 *
 * The text is tokenised and parsed into a typed tree here (every value checked
 * against its field: ranges, labels, address families), then compiled to SQL
 * in which every value is a bound parameter. Nothing from the filter text is
 * ever pasted into SQL: only column names and operators chosen from the
 * tables below are. Errors name the character position.
 */
import { parseCidr, parseIPv4, parseIPv6, wordsToBigInt, cidrRange } from '../config/cidr.js';
import { FILTER_RULES, KIND_RULES, RESPONSE_NAMES, TAG_RULES, TOOL_RULES } from '../classify/rules.js';
import { packCountry, isCountryCode } from '../enrich/country.js';

/** Limits on hostile input: the text, nesting, terms and list lengths. */
export const FILTER_LIMITS = { length: 4096, depth: 32, terms: 256, list: 1024 } as const;

export class FilterError extends Error {
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {
    super(`invalid filter at position ${position + 1}: ${reason}`);
    this.name = 'FilterError';
  }
}

type FieldType = 'ip' | 'uint' | 'label' | 'country' | 'time' | 'proto' | 'bool' | 'sensor';

interface FieldSpec {
  type: FieldType;
  /** Column(s): for ip fields the IPv4 and IPv6 columns. */
  col: string;
  col6?: string;
  max?: number;
  /** For label fields: label → code, and whether the column is a bit set. */
  labels?: Map<string, number>;
  bits?: boolean;
  doc: string;
}

const labelMap = (rules: readonly { label: string; bit: number }[]) => new Map(rules.map((r) => [r.label, r.bit]));
const RESPONSES = new Map(Object.entries(RESPONSE_NAMES).filter(([, n]) => n !== '').map(([code, name]) => [name, Number(code)]));

export const FILTER_FIELDS: Record<string, FieldSpec> = {
  src: { type: 'ip', col: 'src', col6: 'src6', doc: 'source address or CIDR (IPv4 or IPv6)' },
  dst: { type: 'ip', col: 'dst', col6: 'dst6', doc: 'destination address or CIDR' },
  victim: { type: 'ip', col: 'victim', col6: 'victim6', doc: 'backscatter: the DoS victim' },
  sport: { type: 'uint', col: 'sport', max: 65535, doc: 'source port' },
  dport: { type: 'uint', col: 'dport', max: 65535, doc: 'destination port' },
  port: { type: 'uint', col: 'dport', max: 65535, doc: 'same as dport' },
  victim_port: { type: 'uint', col: 'victim_port', max: 65535, doc: "backscatter: the victim's port" },
  proto: { type: 'proto', col: 'proto', max: 255, doc: 'tcp, udp, icmp, icmpv6 or a number' },
  ttl: { type: 'uint', col: 'ttl', max: 255, doc: 'TTL' },
  ip_id: { type: 'uint', col: 'ip_id', max: 0xffffffff, doc: 'IPv4 identification' },
  ip_version: { type: 'uint', col: 'ip_version', max: 6, doc: '4 or 6 (0: not IP)' },
  window: { type: 'uint', col: 'tcp_window', max: 65535, doc: 'TCP window' },
  seq: { type: 'uint', col: 'seq', max: 0xffffffff, doc: 'TCP sequence number' },
  tcp_flags: { type: 'uint', col: 'tcp_flags', max: 511, doc: 'TCP flags as a number' },
  payload_len: { type: 'uint', col: 'payload_len', max: 0xffffffff, doc: 'payload bytes' },
  src_asn: { type: 'uint', col: 'src_asn', max: 0xffffffff, doc: 'source AS number (AS123 or 123)' },
  src_country: { type: 'country', col: 'src_country', doc: 'source country (two letters)' },
  tool: { type: 'label', col: 'tools', labels: labelMap(TOOL_RULES), bits: true, doc: 'tool fingerprint label' },
  kind: { type: 'label', col: 'kind', labels: labelMap(KIND_RULES), doc: 'traffic kind' },
  tag: { type: 'label', col: 'tags', labels: labelMap(TAG_RULES), bits: true, doc: 'spoofing tag' },
  filter: { type: 'label', col: 'filters', labels: labelMap(FILTER_RULES), bits: true, doc: 'corsaro3 filter' },
  response: { type: 'label', col: 'response', labels: RESPONSES, doc: 'backscatter response type' },
  domestic: { type: 'bool', col: 'src_country', doc: 'true for sources in the home country (of the stored darknet configuration)' },
  sensor: { type: 'sensor', col: 'sensor', max: 65535, doc: 'sensor name or id' },
  time: { type: 'time', col: 'ts', doc: 'capture time: ISO date/time, or FROM..TO' },
};

const OPS = [':', '=', '!=', '<', '<=', '>', '>=', 'in'] as const;
type Op = (typeof OPS)[number];

/** A checked value: numbers, or ranges of them (CIDRs, times, a..b). */
type Value = { kind: 'domestic'; yes: boolean; home: number } | { kind: 'num'; v: number } | { kind: 'range'; lo: number; hi: number } | { kind: 'big'; lo: bigint; hi: bigint; v6: true } | { kind: 'v4range'; lo: number; hi: number };

export type FilterExpr =
  | { op: 'and' | 'or'; args: FilterExpr[] }
  | { op: 'not'; arg: FilterExpr }
  | { op: 'cmp'; field: string; cmp: Op; values: Value[]; pos: number };

interface Token {
  t: 'word' | 'str' | '(' | ')' | ',' | 'op';
  s: string;
  pos: number;
}

const WORD = /[A-Za-z0-9_.:/\-+]/;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, s: c, pos: i++ });
      continue;
    }
    if (c === '!' || c === '<' || c === '>' || c === '=') {
      const two = text.slice(i, i + 2);
      const s = two === '!=' || two === '<=' || two === '>=' ? two : c;
      if (s === '!') throw new FilterError(i, "'!' must be followed by '=' (use 'not' to negate)");
      out.push({ t: 'op', s, pos: i });
      i += s.length;
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new FilterError(i, 'unterminated quoted string');
      // Values are ASCII: case folding of other characters turns look-alikes into letters (ﬁ → FI, K → k).
      const bad = /[^\x20-\x7e]/.exec(text.slice(i + 1, end));
      if (bad) throw new FilterError(i + 1 + bad.index, 'only printable ASCII characters are allowed in a quoted value');
      out.push({ t: 'str', s: text.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    if (WORD.test(c)) {
      const start = i;
      while (i < text.length && WORD.test(text[i])) i++;
      const w = text.slice(start, i);
      // A lone ':' is the operator (field : value); inside a word it is part of field:value or an IPv6 address.
      out.push(w === ':' ? { t: 'op', s: ':', pos: start } : { t: 'word', s: w, pos: start });
      continue;
    }
    const shown = c === ';' ? "';' (one filter, no statements)" : c === "'" ? "a single quote (quote values with double quotes, if at all)" : c === '-' ? "'-'" : JSON.stringify(c);
    throw new FilterError(i, `unexpected character ${shown}`);
  }
  return out;
}

export interface FilterContext {
  /** Sensor names → ids (from the stored darknet configuration). */
  sensors?: Map<string, number>;
  /** Home country (two letters): what domestic:true means. */
  homeCountry?: string;
}

class Parser {
  private i = 0;
  private terms = 0;
  constructor(
    private readonly toks: Token[],
    private readonly text: string,
    private readonly ctx: FilterContext,
  ) {}

  private peek(): Token | undefined {
    return this.toks[this.i];
  }
  private at(): number {
    return this.peek()?.pos ?? this.text.length;
  }
  private isKeyword(w: string): boolean {
    const t = this.peek();
    return t?.t === 'word' && t.s.toLowerCase() === w;
  }

  parse(): FilterExpr {
    const e = this.or(0);
    if (this.i < this.toks.length) throw new FilterError(this.at(), `unexpected ${JSON.stringify(this.peek()!.s.slice(0, 40))} (expected 'and', 'or' or the end)`);
    return e;
  }

  private or(depth: number): FilterExpr {
    return this.chain('or', (d) => this.and(d), depth);
  }

  private and(depth: number): FilterExpr {
    return this.chain('and', (d) => this.not(d), depth);
  }

  /** next (op next)*: one node for the whole run, or just the operand. */
  private chain(op: 'and' | 'or', next: (depth: number) => FilterExpr, depth: number): FilterExpr {
    const args = [next(depth)];
    while (this.isKeyword(op)) {
      this.i++;
      args.push(next(depth));
    }
    return args.length === 1 ? args[0] : { op, args };
  }

  private not(depth: number): FilterExpr {
    if (depth > FILTER_LIMITS.depth) throw new FilterError(this.at(), `nested deeper than ${FILTER_LIMITS.depth} levels`);
    if (this.isKeyword('not')) {
      this.i++;
      return { op: 'not', arg: this.not(depth + 1) };
    }
    const t = this.peek();
    if (t?.t === '(') {
      this.i++;
      const e = this.or(depth + 1);
      if (this.peek()?.t !== ')') throw new FilterError(this.at(), "missing ')'");
      this.i++;
      return e;
    }
    return this.cmp();
  }

  private cmp(): FilterExpr {
    let ft = this.peek();
    if (!ft) throw new FilterError(this.text.length, 'expected a condition (field op value) at the end');
    // field:value written as one word (the tokenizer cannot split it: values such as IPv6 contain ':').
    const colon = ft.t === 'word' ? ft.s.indexOf(':') : -1;
    if (colon > 0) {
      const name = ft.s.slice(0, colon);
      const rest = ft.s.slice(colon + 1);
      const parts: Token[] = [{ t: 'word', s: name, pos: ft.pos }, { t: 'op', s: ':', pos: ft.pos + colon }];
      if (rest !== '') parts.push({ t: 'word', s: rest, pos: ft.pos + colon + 1 });
      this.toks.splice(this.i, 1, ...parts);
      ft = this.peek()!;
    }
    if (ft.t !== 'word') throw new FilterError(ft.pos, `expected a field name, found ${JSON.stringify(ft.s.slice(0, 40))}`);
    const name = ft.s.toLowerCase();
    const spec = Object.hasOwn(FILTER_FIELDS, name) ? FILTER_FIELDS[name] : undefined;
    if (!spec) throw new FilterError(ft.pos, `unknown field ${JSON.stringify(ft.s.slice(0, 40))} (fields: ${Object.keys(FILTER_FIELDS).join(', ')})`);
    if (++this.terms > FILTER_LIMITS.terms) throw new FilterError(ft.pos, `more than ${FILTER_LIMITS.terms} conditions`);
    this.i++;
    const opTok = this.peek();
    let op: Op;
    if (opTok?.t === 'op') op = opTok.s as Op;
    else if (opTok?.t === 'word' && opTok.s.toLowerCase() === 'in') op = 'in';
    else throw new FilterError(this.at(), `expected an operator after ${name} (${OPS.join(' ')})`);
    this.i++;
    const ordered = op === '<' || op === '<=' || op === '>' || op === '>=';
    if (ordered && (spec.type === 'ip' || spec.type === 'label' || spec.type === 'country' || spec.type === 'bool' || spec.type === 'sensor'))
      throw new FilterError(opTok.pos, `${name} cannot be compared with ${op} (use : or in)`);
    if (spec.type === 'bool' && op === 'in') throw new FilterError(opTok.pos, `${name} takes true or false`);
    const values: Value[] = [];
    if (op === 'in') {
      if (this.peek()?.t !== '(') throw new FilterError(this.at(), "expected '(' after in");
      this.i++;
      for (;;) {
        values.push(this.value(name, spec, false));
        if (values.length > FILTER_LIMITS.list) throw new FilterError(this.at(), `more than ${FILTER_LIMITS.list} values in a list`);
        const t = this.peek();
        if (t?.t === ',') {
          this.i++;
          continue;
        }
        if (t?.t === ')') {
          this.i++;
          break;
        }
        throw new FilterError(this.at(), "expected ',' or ')' in the list");
      }
    } else values.push(this.value(name, spec, ordered));
    return { op: 'cmp', field: name, cmp: op, values, pos: ft.pos };
  }

  private value(name: string, spec: FieldSpec, single: boolean): Value {
    const t = this.peek();
    if (!t || (t.t !== 'word' && t.t !== 'str')) throw new FilterError(this.at(), `expected a value for ${name}`);
    this.i++;
    const s = t.s;
    const bad = (why: string): never => {
      throw new FilterError(t.pos, `${name}: ${JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s)} ${why}`);
    };
    switch (spec.type) {
      case 'uint':
      case 'proto':
      case 'sensor': {
        if (spec.type === 'proto') {
          const p = ({ tcp: 6, udp: 17, icmp: 1, icmpv6: 58 } as Record<string, number>)[s.toLowerCase()];
          if (p !== undefined) return { kind: 'num', v: p };
        }
        if (spec.type === 'sensor' && !/^\d+$/.test(s)) {
          const id = this.ctx.sensors?.get(s);
          if (id === undefined) bad(`is not a sensor of the stored darknet configuration${this.ctx.sensors ? ` (${[...this.ctx.sensors.keys()].slice(0, 10).join(', ')})` : ''}`);
          return { kind: 'num', v: id! };
        }
        const num = (x: string): number => {
          const y = /^as\d+$/i.test(x) && name.endsWith('asn') ? x.slice(2) : x;
          if (!/^\d{1,10}$/.test(y)) bad(`is not a whole number from 0 to ${spec.max}`);
          const v = Number(y);
          if (v > spec.max!) bad(`is out of range (0 to ${spec.max})`);
          return v;
        };
        const dots = s.indexOf('..');
        if (dots >= 0) {
          if (single) bad('is a range: use : or in with a range');
          const lo = num(s.slice(0, dots));
          const hi = num(s.slice(dots + 2));
          if (lo > hi) bad('is an empty range');
          return { kind: 'range', lo, hi };
        }
        return { kind: 'num', v: num(s) };
      }
      case 'label': {
        const code = spec.labels!.get(s.toLowerCase());
        if (code === undefined) bad(`is not a known label (${[...spec.labels!.keys()].join(', ')})`);
        return { kind: 'num', v: code! };
      }
      case 'country': {
        const up = s.toUpperCase();
        if (!isCountryCode(up)) bad('is not a two-letter country code');
        return { kind: 'num', v: packCountry(up) };
      }
      case 'bool': {
        const b = s.toLowerCase();
        if (b !== 'true' && b !== 'false') bad('is not true or false');
        if (!this.ctx.homeCountry || !isCountryCode(this.ctx.homeCountry)) bad('needs the home country of the stored darknet configuration');
        return { kind: 'domestic', yes: b === 'true', home: packCountry(this.ctx.homeCountry!) };
      }
      case 'ip': {
        if (s.includes('/')) {
          let c;
          try {
            c = parseCidr(s);
          } catch (e) {
            return bad(`is not a CIDR: ${(e as Error).message}`);
          }
          if (c.version === 4) return { kind: 'v4range', lo: c.base, hi: c.base + 2 ** (32 - c.prefixLen) - 1 };
          const [lo, hi] = cidrRange(c);
          return { kind: 'big', lo, hi, v6: true };
        }
        const v4 = parseIPv4(s);
        if (v4 !== null) return { kind: 'v4range', lo: v4, hi: v4 };
        const v6 = s.includes(':') ? parseIPv6(s) : null;
        if (v6) {
          const b = wordsToBigInt(v6);
          return { kind: 'big', lo: b, hi: b, v6: true };
        }
        return bad('is not an IPv4 or IPv6 address or CIDR');
      }
      case 'time': {
        const dots = s.indexOf('..');
        if (dots >= 0) {
          if (single) bad('is a range: use time:FROM..TO');
          const lo = parseTime(s.slice(0, dots));
          const hi = parseTime(s.slice(dots + 2));
          if (lo === null || hi === null) bad('is not FROM..TO with ISO 8601 times (2025-06-01, 2025-06-01T12:00Z)');
          if (lo!.start >= hi!.start) bad('is an empty time range');
          return { kind: 'range', lo: lo!.start, hi: hi!.start - 1 / 1000 };
        }
        const p = parseTime(s);
        if (p === null) bad('is not an ISO 8601 date or time (2025-06-01, 2025-06-01T12:00Z)');
        // time:2025-06-01 is that whole day; time>=… compares with the instant.
        return single ? { kind: 'num', v: p!.start } : { kind: 'range', lo: p!.start, hi: p!.end - 1 / 1000 };
      }
    }
  }
}

/** An ISO 8601 date (a whole day, UTC) or date-time (one instant; UTC unless an offset is given), in ms. */
export function parseTime(s: string): { start: number; end: number } | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(`${s}T00:00:00Z`);
    return Number.isFinite(t) && new Date(t).toISOString().startsWith(s) ? { start: t, end: t + 86400_000 } : null;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/.test(s)) {
    // Date.parse rolls impossible days over (02-30 → 03-02): check the date part on its own.
    if (parseTime(s.slice(0, 10)) === null) return null;
    const t = Date.parse(/Z|[+-]\d{2}:\d{2}$/.test(s) ? s : s + 'Z');
    return Number.isFinite(t) ? { start: t, end: t + 1 } : null;
  }
  return null;
}

export function parseFilter(text: string, ctx: FilterContext = {}): FilterExpr {
  if (text.length > FILTER_LIMITS.length) throw new FilterError(FILTER_LIMITS.length, `longer than ${FILTER_LIMITS.length} characters`);
  const toks = tokenize(text);
  if (toks.length === 0) throw new FilterError(0, 'empty filter');
  return new Parser(toks, text, ctx).parse();
}

/** How a dialect writes a bound parameter of a given SQL type. */
export interface Dialect {
  param(value: number | bigint | string, type: 'UINTEGER' | 'UBIGINT' | 'UHUGEINT' | 'TIMESTAMP'): string;
}

/** SQL for a filter: column names and operators from FILTER_FIELDS, every value a parameter. */
export function compileFilter(e: FilterExpr, d: Dialect): string {
  switch (e.op) {
    case 'and':
    case 'or':
      return `(${e.args.map((a) => compileFilter(a, d)).join(e.op === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${compileFilter(e.arg, d)})`;
    case 'cmp': {
      const spec = FILTER_FIELDS[e.field];
      const parts = e.values.map((v) => compileValue(spec, e.cmp, v, d));
      return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
    }
  }
}

const SQL_OPS: Record<string, string> = { ':': '=', '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=', in: '=' };

function compileValue(spec: FieldSpec, op: Op, v: Value, d: Dialect): string {
  const neg = op === '!=';
  const wrap = (s: string) => (neg ? `(NOT ${s})` : s);
  const col = spec.col;
  if (spec.type === 'time') {
    const p = (ms: number) => d.param(new Date(ms).toISOString(), 'TIMESTAMP');
    if (v.kind === 'range') return wrap(`(${col} >= ${p(v.lo)} AND ${col} < ${p(v.hi + 1 / 1000)})`);
    if (v.kind !== 'num') throw new Error('unreachable');
    return `${col} ${SQL_OPS[op]} ${p(v.v)}`;
  }
  if (spec.type === 'ip') {
    if (v.kind === 'v4range') return wrap(`(ip_version = 4 AND ${col} BETWEEN ${d.param(v.lo, 'UINTEGER')} AND ${d.param(v.hi, 'UINTEGER')})`);
    if (v.kind === 'big') return wrap(`(ip_version = 6 AND ${spec.col6} BETWEEN ${d.param(v.lo.toString(), 'UHUGEINT')} AND ${d.param(v.hi.toString(), 'UHUGEINT')})`);
    throw new Error('unreachable');
  }
  if (spec.type === 'bool') {
    if (v.kind !== 'domestic') throw new Error('unreachable');
    return `(${col} ${v.yes !== neg ? '=' : '<>'} ${d.param(v.home, 'UINTEGER')})`;
  }
  if (spec.type === 'label' && spec.bits) {
    if (v.kind !== 'num') throw new Error('unreachable');
    return wrap(`((${col} & ${d.param(v.v, 'UINTEGER')}) <> 0)`);
  }
  if (v.kind === 'range') return wrap(`(${col} BETWEEN ${d.param(v.lo, 'UBIGINT')} AND ${d.param(v.hi, 'UBIGINT')})`);
  if (v.kind !== 'num') throw new Error('unreachable');
  return `${col} ${SQL_OPS[op]} ${d.param(v.v, 'UBIGINT')}`;
}
