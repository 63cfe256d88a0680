/**
 * The darknet model: which sensors watch which address space, and where a
 * source address lies relative to the observatory's own networks.
 *
 * "Darknet definition is configuration" (docs/design.md): each sensor declares
 * the prefixes it monitors and, optionally, internal-darknet prefixes and the
 * organisation's live prefixes. The telescope size N (monitored IPv4
 * addresses) drives extrapolation to the whole IPv4 space (2^32 / N) and the
 * per-address metrics.
 *
 * Sensor ids are 1-based positions in the config, the value of the
 * PacketBatch `sensor` column (0 = the destination is not monitored);
 * `scopeOf` gives the PacketBatch `srcScope` column.
 *
 * Untrusted text goes through `parseDarknetConfig` (load.ts), which checks the
 * shape with a JSON Schema and reports positions; `new Darknet(input)` expects
 * the shape of DarknetConfigInput and checks the meaning (CIDRs, overlaps,
 * names, country), throwing a ConfigError that lists every problem.
 */
import { type Cidr, type Cidr4, type Cidr6, formatCidr, sizeV4, tryParseCidr } from './cidr.js';
import { findCrossOverlaps, findOverlaps, PrefixSet } from './prefixes.js';

/** One sensor as written in the config file. */
export interface SensorConfig {
  /** Unique, non-empty; how reports and the CLI name the sensor. */
  name: string;
  /** Monitored (dark) prefixes, IPv4 and IPv6 CIDRs; at least one. */
  prefixes: string[];
  /** Unused prefixes inside the organisation's own network (internal darknet). */
  internalPrefixes?: string[];
  /** The organisation's live (in use) prefixes: its own hosts showing up as sources. */
  livePrefixes?: string[];
  /** The sensor answers probes (e.g. SYN-ACKs), so follow-up packets are expected. Default false. */
  responsive?: boolean;
  description?: string;
}

/** The whole darknet configuration as written. */
export interface DarknetConfigInput {
  sensors: SensorConfig[];
  /** ISO 3166-1 alpha-2 country for domestic figures; default JP. */
  homeCountry?: string;
}

/** Where a source address lies (the PacketBatch `srcScope` column). */
export const SourceScope = {
  /** Anywhere else: the ordinary case. */
  EXTERNAL: 0,
  /** Inside an organisation live prefix: one of our own hosts (infected, misconfigured). */
  LIVE: 1,
  /** Inside an internal-darknet prefix. */
  INTERNAL_DARKNET: 2,
  /** Inside a monitored prefix: the darknet's own space as a source — spoofed or misconfigured. */
  MONITORED: 3,
} as const;
export type SourceScope = (typeof SourceScope)[keyof typeof SourceScope];

/** A sensor, parsed. */
export interface Sensor {
  /** 1-based position in the config: the PacketBatch `sensor` value. */
  readonly id: number;
  readonly name: string;
  readonly description: string | undefined;
  readonly responsive: boolean;
  /** Monitored prefixes as written (order kept), then split by family. */
  readonly prefixes: readonly Cidr[];
  readonly prefixesV4: readonly Cidr4[];
  readonly prefixesV6: readonly Cidr6[];
  readonly internalPrefixes: readonly Cidr[];
  readonly livePrefixes: readonly Cidr[];
  /** Monitored IPv4 addresses of this sensor. */
  readonly sizeV4: number;
}

// ---------------------------------------------------------------- errors

/** A path into the config: ['sensors', 0, 'prefixes', 1]. */
export type ConfigPath = readonly (string | number)[];

/** One problem in a configuration. */
export interface ConfigIssue {
  readonly path: ConfigPath;
  readonly message: string;
  /** Point at the key rather than its value (an unknown key). */
  readonly atKey?: boolean;
  /** Another entry the message refers to (the first of two overlapping prefixes). */
  readonly related?: ConfigPath;
  /** 1-based position in the source text, when known. */
  readonly line?: number;
  readonly col?: number;
  readonly relatedLine?: number;
}

/** "sensors[0].prefixes[1]"; "" for the top level. */
export function formatPath(path: ConfigPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

/** One line of a ConfigError: "lab.yaml:4:7: sensors[0].prefixes[1]: message (related, line 3)". */
export function formatIssue(source: string, i: ConfigIssue): string {
  const where = i.line !== undefined ? `${source}:${i.line}:${i.col ?? 1}` : source;
  const path = formatPath(i.path);
  let related = '';
  if (i.related) related = ` (${formatPath(i.related)}${i.relatedLine !== undefined ? `, line ${i.relatedLine}` : ''})`;
  return `${where}: ${path ? `${path}: ` : ''}${i.message}${related}`;
}

/** Everything wrong with a configuration: one line per issue, each with its position when known. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  constructor(readonly source: string, issues: readonly ConfigIssue[]) {
    super(issues.map((i) => formatIssue(source, i)).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

// ---------------------------------------------------------------- checks

/** ISO 3166-1 alpha-2 assigned codes, plus XK (Kosovo, user-assigned but in common use). */
const COUNTRIES = new Set(`
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW`.trim().split(/\s+/));

/** The sensor column is 16 bits wide. */
export const MAX_SENSORS = 0xffff;

export const DEFAULT_HOME_COUNTRY = 'JP';

/** Why a homeCountry value is wrong, or null. Letters of either case are accepted. */
export function countryProblem(value: string): string | null {
  const q = JSON.stringify(value);
  if (!/^[A-Za-z]{2}$/.test(value)) return `${q} is not a two-letter country code (ISO 3166-1 alpha-2, e.g. JP)`;
  const up = value.toUpperCase();
  if (COUNTRIES.has(up)) return null;
  const hint = up === 'UK' ? '; did you mean GB?' : '';
  return `${q} is not an ISO 3166-1 alpha-2 country code${hint}`;
}

type PrefixKey = 'prefixes' | 'internalPrefixes' | 'livePrefixes';

/** A parsed prefix and where it was written. */
interface Located {
  cidr: Cidr;
  text: string;
  path: ConfigPath;
  sensor: number; // 0-based index
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every semantic problem in an input (CIDRs, overlaps, duplicate names,
 * country, counts). Written defensively: parts of the wrong shape are skipped
 * (the schema reports them), so all other problems still show up together.
 */
export function checkDarknet(input: unknown): ConfigIssue[] {
  if (!isObject(input)) return [{ path: [], message: 'the configuration must be a mapping with a "sensors" list' }];
  const issues: ConfigIssue[] = [];
  const sensors = Array.isArray(input.sensors) ? input.sensors : [];
  if (Array.isArray(input.sensors) && sensors.length === 0) issues.push({ path: ['sensors'], message: 'at least one sensor is required' });
  if (sensors.length > MAX_SENSORS) issues.push({ path: ['sensors'], message: `at most ${MAX_SENSORS} sensors are supported, found ${sensors.length}` });
  if (typeof input.homeCountry === 'string') {
    const p = countryProblem(input.homeCountry);
    if (p) issues.push({ path: ['homeCountry'], message: p });
  }
  checkNames(sensors, issues);
  const lists = collectPrefixes(sensors, issues);
  checkMonitoredOverlaps(lists.prefixes, sensors, issues);
  for (const key of ['internalPrefixes', 'livePrefixes'] as const) checkAgainstMonitored(lists[key], lists.prefixes, sensors, issues);
  return issues;
}

/** Names: non-empty, unique. */
function checkNames(sensors: unknown[], issues: ConfigIssue[]): void {
  const seen = new Map<string, number>();
  sensors.forEach((s, i) => {
    if (!isObject(s) || typeof s.name !== 'string') return;
    const path = ['sensors', i, 'name'];
    if (s.name.trim() === '') return void issues.push({ path, message: 'sensor name must not be empty' });
    const first = seen.get(s.name);
    if (first === undefined) return void seen.set(s.name, i);
    issues.push({ path, message: `duplicate sensor name ${JSON.stringify(s.name)}`, related: ['sensors', first, 'name'] });
  });
}

/** Parse every prefix string, reporting the bad ones; returns the good ones per role. */
function collectPrefixes(sensors: unknown[], issues: ConfigIssue[]): Record<PrefixKey, Located[]> {
  const out: Record<PrefixKey, Located[]> = { prefixes: [], internalPrefixes: [], livePrefixes: [] };
  sensors.forEach((s, si) => {
    if (!isObject(s)) return;
    for (const key of ['prefixes', 'internalPrefixes', 'livePrefixes'] as const) {
      const list = s[key];
      if (!Array.isArray(list)) continue;
      if (key === 'prefixes' && list.length === 0) issues.push({ path: ['sensors', si, key], message: 'at least one monitored prefix is required' });
      list.forEach((text, pi) => {
        if (typeof text !== 'string') return;
        const path = ['sensors', si, key, pi];
        const cidr = tryParseCidr(text);
        if (typeof cidr === 'string') issues.push({ path, message: cidr });
        else out[key].push({ cidr, text, path, sensor: si });
      });
    }
  });
  return out;
}

function sensorName(sensors: unknown[], i: number): string {
  const s = sensors[i];
  return isObject(s) && typeof s.name === 'string' ? JSON.stringify(s.name) : `#${i + 1}`;
}

/** Two monitored prefixes sharing an address (within or across sensors), identical duplicates included. */
function checkMonitoredOverlaps(list: Located[], sensors: unknown[], issues: ConfigIssue[]): void {
  for (const [later, earlier] of findOverlaps(list.map((l) => l.cidr))) {
    const a = list[later];
    const b = list[earlier];
    const verb = formatCidr(a.cidr) === formatCidr(b.cidr) ? 'duplicates' : 'overlaps';
    const of = a.sensor === b.sensor ? '' : ` of sensor ${sensorName(sensors, b.sensor)}`;
    issues.push({ path: a.path, message: `${JSON.stringify(a.text)} ${verb} ${JSON.stringify(b.text)}${of}`, related: b.path });
  }
}

/**
 * An internal darknet must not overlap monitored space. A live prefix may contain
 * monitored space (a darknet carved out of the organisation's own block: the more
 * specific scope wins) but must not lie inside it.
 */
function checkAgainstMonitored(list: Located[], monitored: Located[], sensors: unknown[], issues: ConfigIssue[]): void {
  const seen = new Set<Located>();
  for (const [ia, ib] of findCrossOverlaps(list.map((l) => l.cidr), monitored.map((l) => l.cidr))) {
    const a = list[ia];
    const b = monitored[ib];
    if (seen.has(a)) continue; // one report per offending prefix
    seen.add(a);
    const role = a.path[2] === 'livePrefixes' ? 'live' : 'internal-darknet';
    if (role === 'live' && a.cidr.prefixLen < b.cidr.prefixLen) continue;
    const message = `${role} prefix ${JSON.stringify(a.text)} overlaps monitored prefix ${JSON.stringify(b.text)} of sensor ${sensorName(sensors, b.sensor)}`;
    issues.push({ path: a.path, message, related: b.path });
  }
}

// ---------------------------------------------------------------- the model

/** Parse a list of CIDR strings whose validity checkDarknet has confirmed. */
function parseAll(list: readonly string[] | undefined): Cidr[] {
  return (list ?? []).map((t) => tryParseCidr(t) as Cidr);
}

function makeSensor(s: SensorConfig, index: number): Sensor {
  const prefixes = parseAll(s.prefixes);
  return {
    id: index + 1,
    name: s.name,
    description: s.description,
    responsive: s.responsive ?? false,
    prefixes,
    prefixesV4: prefixes.filter((c): c is Cidr4 => c.version === 4),
    prefixesV6: prefixes.filter((c): c is Cidr6 => c.version === 6),
    internalPrefixes: parseAll(s.internalPrefixes),
    livePrefixes: parseAll(s.livePrefixes),
    sizeV4: prefixes.reduce((n, c) => n + sizeV4(c), 0),
  };
}

export class Darknet {
  readonly sensors: readonly Sensor[];
  /** ISO 3166-1 alpha-2, uppercase: the country of "domestic" figures. */
  readonly homeCountry: string;
  /** N: monitored IPv4 addresses over all sensors (prefixes never overlap, so a plain sum). */
  readonly sizeV4: number;
  /**
   * 2^32 / N: multiply a count seen by the telescope to estimate it for the
   * whole IPv4 space. Infinity when N = 0 (only IPv6 prefixes are monitored):
   * nothing can be extrapolated, and Infinity makes any use of it visibly wrong
   * rather than silently zero.
   */
  readonly extrapolationFactor: number;
  private readonly bySensor: PrefixSet;
  private readonly byScope: PrefixSet;

  /** Build from an input of the right shape; throws ConfigError listing every problem. */
  constructor(input: DarknetConfigInput, source = 'config') {
    const issues = checkDarknet(input);
    if (issues.length > 0) throw new ConfigError(source, issues);
    this.sensors = input.sensors.map(makeSensor);
    this.homeCountry = (input.homeCountry ?? DEFAULT_HOME_COUNTRY).toUpperCase();
    this.sizeV4 = this.sensors.reduce((n, s) => n + s.sizeV4, 0);
    this.extrapolationFactor = this.sizeV4 === 0 ? Infinity : 2 ** 32 / this.sizeV4;
    this.bySensor = PrefixSet.build(this.sensors.flatMap((s) => s.prefixes.map((prefix) => ({ prefix, value: s.id }))));
    this.byScope = PrefixSet.build(this.scopeEntries(), 'highest');
  }

  /** Scope layers; where they overlap the higher scope wins (internal darknet inside a live prefix). */
  private scopeEntries() {
    return this.sensors.flatMap((s) => [
      ...s.livePrefixes.map((prefix) => ({ prefix, value: SourceScope.LIVE as number })),
      ...s.internalPrefixes.map((prefix) => ({ prefix, value: SourceScope.INTERNAL_DARKNET as number })),
      ...s.prefixes.map((prefix) => ({ prefix, value: SourceScope.MONITORED as number })),
    ]);
  }

  /**
   * `--darknet CIDR,...`: one sensor named "darknet" monitoring these prefixes.
   * Problems are reported against "--darknet" (there is no file position).
   */
  static fromCidrs(list: readonly string[], homeCountry = DEFAULT_HOME_COUNTRY): Darknet {
    const prefixes = list.map((s) => s.trim()).filter((s) => s !== '');
    if (prefixes.length === 0) throw new ConfigError('--darknet', [{ path: [], message: 'no prefixes given (expected CIDR[,CIDR...])' }]);
    const input: DarknetConfigInput = { sensors: [{ name: 'darknet', prefixes }], homeCountry };
    const issues = checkDarknet(input);
    if (issues.length > 0) {
      const path = (p: ConfigPath): ConfigPath => (p[0] === 'homeCountry' ? p : []);
      throw new ConfigError('--darknet', issues.map((i) => ({ path: path(i.path), message: i.message })));
    }
    return new Darknet(input, '--darknet');
  }

  /** Sensor id (1-based) whose monitored prefixes hold this IPv4 destination; 0 if none. Hot path. */
  sensorOf(v4: number): number {
    return this.bySensor.lookupV4(v4);
  }

  /** Sensor id for an IPv6 destination given as four big-endian words; 0 if none. */
  sensorOfV6(w0: number, w1: number, w2: number, w3: number): number {
    return this.bySensor.lookupV6(w0, w1, w2, w3);
  }

  /** SourceScope of an IPv4 source. Hot path. */
  scopeOf(v4: number): SourceScope {
    return this.byScope.lookupV4(v4) as SourceScope;
  }

  /** SourceScope of an IPv6 source given as four big-endian words. */
  scopeOfV6(w0: number, w1: number, w2: number, w3: number): SourceScope {
    return this.byScope.lookupV6(w0, w1, w2, w3) as SourceScope;
  }

  /** The sensor with this id (1-based), or undefined (0 = not monitored). */
  sensor(id: number): Sensor | undefined {
    return this.sensors[id - 1];
  }

  sensorByName(name: string): Sensor | undefined {
    return this.sensors.find((s) => s.name === name);
  }

  /**
   * The normalised configuration: canonical CIDR text, uppercase country, every
   * optional key written out (description only when given). Valid input to
   * parseDarknetConfig / new Darknet, and stable for storing and comparing.
   */
  toJSON(): Required<DarknetConfigInput> {
    const texts = (l: readonly Cidr[]) => l.map(formatCidr);
    return {
      sensors: this.sensors.map((s) => ({
        name: s.name,
        prefixes: texts(s.prefixes),
        internalPrefixes: texts(s.internalPrefixes),
        livePrefixes: texts(s.livePrefixes),
        responsive: s.responsive,
        ...(s.description !== undefined ? { description: s.description } : {}),
      })),
      homeCountry: this.homeCountry,
    };
  }
}
