/**
 * Reading a darknet configuration: YAML or JSON text → a checked Darknet, or a
 * ConfigError naming file:line:col for every problem at once.
 *
 * Three passes; the last two report everything they find:
 *  1. syntax — the `yaml` package (JSON is YAML 1.2), keeping node positions;
 *     the first syntax error stops here (later ones are mostly its echoes);
 *  2. shape — an ajv JSON Schema (DARKNET_SCHEMA), unknown keys included;
 *  3. meaning — checkDarknet (CIDRs, overlaps, duplicate names, country).
 * Problems are found on plain values with paths (['sensors', 0, 'prefixes', 1]);
 * the YAML document maps each path back to a line and column.
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import {
  checkDarknet, type ConfigIssue, type ConfigPath, ConfigError, countryProblem, Darknet,
  type DarknetConfigInput, MAX_SENSORS,
} from './darknet.js';

export { ConfigError } from './darknet.js';
export type { ConfigIssue, ConfigPath } from './darknet.js';

const prefixList = (description: string) => ({ type: 'array', items: { type: 'string' }, description });

/** JSON Schema (draft-07) of the configuration file; usable by editors as is. */
export const DARKNET_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'darkscope darknet configuration',
  type: 'object',
  additionalProperties: false,
  required: ['sensors'],
  properties: {
    $schema: { type: 'string', description: 'Optional: where editors find this schema.' },
    sensors: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_SENSORS,
      items: { $ref: '#/definitions/sensor' },
    },
    homeCountry: {
      type: 'string',
      pattern: '^[A-Za-z]{2}$',
      default: 'JP',
      description: 'ISO 3166-1 alpha-2 country of the domestic figures.',
    },
  },
  definitions: {
    sensor: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'prefixes'],
      properties: {
        name: { type: 'string', minLength: 1, pattern: '\\S', description: 'Unique sensor name.' },
        prefixes: { ...prefixList('Monitored IPv4 / IPv6 CIDRs.'), minItems: 1 },
        internalPrefixes: prefixList('Internal-darknet CIDRs (unused space inside the organisation).'),
        livePrefixes: prefixList("The organisation's live CIDRs."),
        responsive: { type: 'boolean', default: false, description: 'The sensor answers probes.' },
        description: { type: 'string' },
      },
    },
  },
} as const;

let validator: ValidateFunction | undefined;

/** Compiled once, on first use. */
function validate(value: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, verbose: true, strict: true }).compile(DARKNET_SCHEMA);
  return validator(value) ? [] : (validator.errors ?? []);
}

// ---------------------------------------------------------------- entry points

/** Read and check a configuration file (YAML or JSON). Throws ConfigError. */
export async function loadDarknetConfig(path: string): Promise<Darknet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, [{ path: [], message: `cannot read the configuration: ${(e as Error).message}` }]);
  }
  return parseDarknetConfig(text, path);
}

/** Check configuration text; `source` names it in errors (usually the file path). Throws ConfigError. */
export function parseDarknetConfig(text: string, source: string): Darknet {
  try {
    return parseChecked(text, source);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    // Whatever else a hostile file provokes (aliases expanding too far — a
    // "billion laughs" —, exhausted stacks): still a ConfigError, no stack trace.
    throw new ConfigError(source, [{ path: [], message: `cannot read the configuration: ${(e as Error).message}`, line: 1, col: 1 }]);
  }
}

function parseChecked(text: string, source: string): Darknet {
  const lc = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), {
    lineCounter: lc,
    prettyErrors: false,
    logLevel: 'error', // no process warnings (e.g. a mapping used as a key: the schema reports it)
  });
  const syntax = syntaxIssues(doc, lc);
  if (syntax.length > 0) throw new ConfigError(source, syntax);
  const value = doc.toJS({ maxAliasCount: 100 });
  const issues = findIssues(value).map((i) => locate(i, doc, lc));
  if (issues.length > 0) throw new ConfigError(source, sortIssues(issues));
  return new Darknet(value as DarknetConfigInput, source);
}

/**
 * The CLI's `--config FILE` / `--darknet CIDR[,CIDR...]`: the file wins
 * alone, the list gives one sensor; neither → null; both → ConfigError.
 */
export async function resolveDarknet(opts: { config?: string; darknet?: string }): Promise<Darknet | null> {
  if (opts.config !== undefined && opts.darknet !== undefined) {
    throw new ConfigError('darkscope', [{ path: [], message: 'use one of --config or --darknet, not both' }]);
  }
  if (opts.config !== undefined) return loadDarknetConfig(opts.config);
  if (opts.darknet !== undefined) return Darknet.fromCidrs(opts.darknet.split(','));
  return null;
}

// ---------------------------------------------------------------- syntax

/**
 * The first YAML error (with its position), or aliases that point nowhere
 * (toJS would throw on them). Only the first syntax error: the parser's later
 * ones are mostly consequences of it ("{"a" "b"}" also yields a confusing
 * "Block collections are not allowed" before it), so they would mislead.
 */
function syntaxIssues(doc: Document, lc: LineCounter): ConfigIssue[] {
  const first = doc.errors[0];
  if (first) {
    const message = first.code === 'MULTIPLE_DOCS' ? 'a configuration holds one document; found a second "---"' : first.message;
    return [{ path: [], message: `syntax error: ${message}`, ...lc.linePos(first.pos[0]) }];
  }
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined) {
        issues.push({ path: [], message: `syntax error: alias *${node.source} has no anchor before it`, ...lc.linePos(node.range?.[0] ?? 0) });
      }
    },
  });
  return issues;
}

// ---------------------------------------------------------------- shape and meaning

/** Schema issues, then semantic ones not already explained by a schema issue at or above their path. */
function findIssues(value: unknown): ConfigIssue[] {
  const shape = dedupe(validate(value).map((e) => schemaIssue(e, value)));
  const covered = (p: ConfigPath) => shape.some((s) => s.path.length <= p.length && s.path.every((x, k) => x === p[k]));
  return [...shape, ...checkDarknet(value).filter((i) => !covered(i.path))];
}

/** Drop exact repeats, and "missing X" when an unknown key next to it already suggests X. */
function dedupe(issues: ShapeIssue[]): ShapeIssue[] {
  const seen = new Set<string>();
  const suggested = new Set(issues.filter((i) => i.suggestion).map((i) => key([...i.path.slice(0, -1), i.suggestion!])));
  return issues.filter((i) => {
    const k = `${key(i.path)} ${i.message}`;
    if (seen.has(k) || (i.missing && suggested.has(key(i.path)))) return false;
    seen.add(k);
    return true;
  });
}

const key = (p: ConfigPath) => JSON.stringify(p);

/** A schema issue, with what dedupe needs to know. */
interface ShapeIssue extends ConfigIssue {
  suggestion?: string;
  missing?: boolean;
}

/** JSON pointer ("/sensors/0/name") → path, numbers where the data holds an array. */
function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  let here = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step: string | number = Array.isArray(here) ? Number(seg) : seg;
    path.push(step);
    here = (here as Record<string | number, unknown> | undefined)?.[step];
  }
  return path;
}

/** An ajv error in the words of this file format. */
function schemaIssue(e: ErrorObject, data: unknown): ShapeIssue {
  const path = pointerToPath(e.instancePath, data);
  const last = path[path.length - 1];
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties: object }).properties).filter((k) => k !== '$schema');
      const suggestion = closest(name, allowed);
      const hint = suggestion ? `did you mean "${suggestion}"?` : `allowed: ${allowed.join(', ')}`;
      return { path: [...path, name], atKey: true, message: `unknown key (${hint})`, suggestion };
    }
    case 'required':
      return { path: [...path, String(p.missingProperty)], message: 'required key is missing', missing: true };
    case 'type':
      return { path, message: typeMessage(path, String(p.type), e.data) };
    case 'minItems':
      return { path, message: last === 'sensors' ? 'at least one sensor is required' : 'at least one monitored prefix is required' };
    case 'maxItems':
      return { path, message: `at most ${MAX_SENSORS} sensors are supported, found ${(e.data as unknown[]).length}` };
    case 'minLength':
    case 'pattern':
      if (last === 'homeCountry') return { path, message: countryProblem(String(e.data)) ?? String(e.message) };
      return { path, message: 'sensor name must not be empty' };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value)',
  array: 'a list',
  string: 'a string',
  boolean: 'true or false',
};

/** "expected a list, got the string "x"", with the whole-file case spelled out. */
function typeMessage(path: ConfigPath, type: string, data: unknown): string {
  if (path.length === 0) {
    if (data === null || data === undefined) return 'the configuration is empty; expected a mapping with a "sensors" list';
    return `the configuration must be a mapping with a "sensors" list, got ${describe(data)}`;
  }
  const inList = typeof path[path.length - 1] === 'number' && String(path[path.length - 2]).endsWith('refixes');
  const want = inList ? 'a CIDR string such as 192.0.2.0/24' : (TYPE_WORDS[type] ?? type);
  return `expected ${want}, got ${describe(data)}`;
}

/** A value as a user would name it. */
function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)}`;
  return `${typeof v === 'number' ? 'the number ' : ''}${String(v)}`;
}

/** The allowed key a typo most likely meant: same letters ignoring case, a prefix, or ≤ 2 edits. */
function closest(name: string, allowed: string[]): string | undefined {
  const n = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const a of allowed) {
    const l = a.toLowerCase();
    // A prefix counts only from 3 letters on ("live" → livePrefixes, but not "d" → description).
    const prefix = Math.min(n.length, l.length) >= 3 && (l.startsWith(n) || n.startsWith(l));
    const score = l === n ? 0 : prefix ? 1 : editDistance(n, l);
    if (score < bestScore) { best = a; bestScore = score; }
  }
  return bestScore <= 2 ? best : undefined;
}

/** Levenshtein distance (short keys only). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length];
}

// ---------------------------------------------------------------- positions

type Ranged = { range?: [number, number, number] | null } | null | undefined;

/** Offset of the node a path names: its value (or key), else the nearest enclosing node. */
function offsetOf(doc: Document, path: ConfigPath, atKey: boolean): number {
  let node: unknown = doc.contents;
  let keyAt: number | undefined; // offset of the key of `node`, when it is a map value
  let found = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) break;
      node = pair.value;
      keyAt = (pair.key as Ranged)?.range?.[0];
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      keyAt = undefined;
    } else break;
    found++;
  }
  const range = (node as Ranged)?.range;
  // An empty value (`prefixes:` with nothing after it) is best shown at its key.
  const empty = !range || (isScalar(node) && range[0] === range[1]);
  if (keyAt !== undefined && ((found === path.length && atKey) || empty)) return keyAt;
  return range?.[0] ?? 0;
}

/** Add line and column (1-based) to an issue, and the line of the entry it refers to. */
function locate(i: ShapeIssue, doc: Document, lc: LineCounter): ConfigIssue {
  const { line, col } = lc.linePos(offsetOf(doc, i.path, i.atKey === true));
  const out: ConfigIssue = { path: i.path, message: i.message, atKey: i.atKey, related: i.related, line, col };
  if (!i.related) return out;
  return { ...out, relatedLine: lc.linePos(offsetOf(doc, i.related, false)).line };
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
