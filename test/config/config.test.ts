/**
 * Darknet configuration: the CIDR parser, PrefixSet, the model, and the loader
 * with its errors (exact file:line:col and wording, since users read them).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type Cidr, type Cidr4, cidrRange, formatCidr, formatIPv4, formatIPv6, parseCidr, parseIPv4, parseIPv6, tryParseCidr,
} from '../../src/config/cidr.js';
import { Darknet, SourceScope } from '../../src/config/darknet.js';
import {
  ConfigError, DARKNET_SCHEMA, loadDarknetConfig, parseDarknetConfig, resolveDarknet,
} from '../../src/config/load.js';
import { findCrossOverlaps, findOverlaps, PrefixSet } from '../../src/config/prefixes.js';
import { prng as rng } from '../helpers/prng.js';

const dir = mkdtempSync(join(tmpdir(), 'darkscope-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const v4 = (s: string): number => {
  const n = parseIPv4(s);
  assert.notEqual(n, null, s);
  return n!;
};
const v6 = (s: string): [number, number, number, number] => {
  const w = parseIPv6(s);
  assert.ok(w, s);
  return [w[0], w[1], w[2], w[3]];
};

/** The ConfigError message `fn` throws (fails if it throws anything else). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${(e as Error).stack}`);
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

async function asyncErrorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${(e as Error).stack}`);
    return e.message;
  }
  assert.fail('expected a ConfigError');
}


// ---------------------------------------------------------------- the minimal form

describe('minimal JSON form from the issue', () => {
  test('is accepted: N = 1024, extrapolation 4194304, sensor lookups at the edges', async () => {
    const file = writeConfig('min.json', '{"sensors":[{"name":"lab","prefixes":["100.64.0.0/22"]}],"homeCountry":"JP"}');
    const d = await loadDarknetConfig(file);
    assert.equal(d.sizeV4, 1024);
    assert.equal(d.extrapolationFactor, 4194304);
    assert.equal(d.homeCountry, 'JP');
    assert.equal(d.sensors.length, 1);
    assert.equal(d.sensors[0].id, 1);
    assert.equal(d.sensors[0].name, 'lab');
    assert.equal(d.sensors[0].sizeV4, 1024);
    assert.equal(d.sensorOf(v4('100.64.0.0')), 1);
    assert.equal(d.sensorOf(v4('100.64.3.255')), 1);
    assert.equal(d.sensorOf(v4('100.64.4.0')), 0);
    assert.equal(d.sensorOf(v4('100.63.255.255')), 0);
    assert.equal(d.sensor(1)?.name, 'lab');
    assert.equal(d.sensor(0), undefined);
    assert.equal(d.scopeOf(v4('100.64.1.2')), SourceScope.MONITORED);
    assert.equal(d.scopeOf(v4('8.8.8.8')), SourceScope.EXTERNAL);
  });

  test('homeCountry defaults to JP; toJSON is normalised and reads back the same', () => {
    const d = parseDarknetConfig('{"sensors":[{"name":"lab","prefixes":["100.64.0.0/22"]}]}', 'min.json');
    assert.equal(d.homeCountry, 'JP');
    const json = d.toJSON();
    assert.deepEqual(json, {
      sensors: [{ name: 'lab', prefixes: ['100.64.0.0/22'], internalPrefixes: [], livePrefixes: [], responsive: false }],
      homeCountry: 'JP',
    });
    assert.deepEqual(parseDarknetConfig(JSON.stringify(d), 'again.json').toJSON(), json);
    // An editor's "$schema" key is allowed.
    assert.equal(parseDarknetConfig('{"$schema":"./darknet.schema.json","sensors":[{"name":"a","prefixes":["10.0.0.0/8"]}]}', 's.json').sizeV4, 2 ** 24);
  });
});

// ---------------------------------------------------------------- a full YAML file

const MULTI = `# two sensors, IPv4 and IPv6
homeCountry: jp
sensors:
  - name: tokyo
    description: the /22 at the Tokyo PoP
    prefixes:
      - 100.64.0.0/22
      - 2001:DB8:100::/48
    internalPrefixes: [10.255.0.0/16, "fd00:dead::/32"]
    livePrefixes:
      - 198.51.100.0/24
      - 10.0.0.0/8   # the internal darknet lies inside it: the darknet wins
  - name: osaka
    responsive: true
    prefixes: [203.0.113.0/24, 100.64.4.0/24]
    livePrefixes: [198.51.100.0/24, "2001:db8:ffff::/48"]
`;

describe('multi-sensor YAML', () => {
  const d = parseDarknetConfig(MULTI, 'multi.yaml');

  test('sensors, sizes, N and the extrapolation factor', () => {
    assert.deepEqual(d.sensors.map((s) => [s.id, s.name, s.sizeV4, s.responsive]), [[1, 'tokyo', 1024, false], [2, 'osaka', 512, true]]);
    assert.equal(d.sensors[0].description, 'the /22 at the Tokyo PoP');
    assert.deepEqual(d.sensors[0].prefixesV6.map(formatCidr), ['2001:db8:100::/48']);
    assert.deepEqual(d.sensors[0].prefixesV4.map(formatCidr), ['100.64.0.0/22']);
    assert.equal(d.sizeV4, 1536);
    assert.equal(d.extrapolationFactor, 2 ** 32 / 1536);
    assert.equal(d.homeCountry, 'JP');
    assert.equal(d.sensorByName('osaka')?.id, 2);
  });

  test('sensorOf / sensorOfV6', () => {
    assert.equal(d.sensorOf(v4('100.64.3.255')), 1);
    assert.equal(d.sensorOf(v4('100.64.4.0')), 2);
    assert.equal(d.sensorOf(v4('100.64.4.255')), 2);
    assert.equal(d.sensorOf(v4('100.64.5.0')), 0);
    assert.equal(d.sensorOf(v4('203.0.113.77')), 2);
    assert.equal(d.sensorOf(v4('198.51.100.1')), 0); // live, not monitored
    assert.equal(d.sensorOfV6(...v6('2001:db8:100::1')), 1);
    assert.equal(d.sensorOfV6(...v6('2001:db8:100:ffff:ffff:ffff:ffff:ffff')), 1);
    assert.equal(d.sensorOfV6(...v6('2001:db8:101::')), 0);
    assert.equal(d.sensorOfV6(...v6('2001:db8:ff::ffff')), 0);
  });

  test('scopeOf: every scope, internal darknet inside a live prefix', () => {
    assert.equal(d.scopeOf(v4('8.8.8.8')), SourceScope.EXTERNAL);
    assert.equal(d.scopeOf(v4('198.51.100.9')), SourceScope.LIVE);
    assert.equal(d.scopeOf(v4('10.1.2.3')), SourceScope.LIVE);
    assert.equal(d.scopeOf(v4('10.255.0.1')), SourceScope.INTERNAL_DARKNET);
    assert.equal(d.scopeOf(v4('10.254.255.255')), SourceScope.LIVE);
    assert.equal(d.scopeOf(v4('10.255.255.255')), SourceScope.INTERNAL_DARKNET);
    assert.equal(d.scopeOf(v4('11.0.0.0')), SourceScope.EXTERNAL);
    assert.equal(d.scopeOf(v4('100.64.2.2')), SourceScope.MONITORED);
    assert.equal(d.scopeOf(v4('203.0.113.1')), SourceScope.MONITORED);
    assert.equal(d.scopeOfV6(...v6('2001:db8:ffff:1::2')), SourceScope.LIVE);
    assert.equal(d.scopeOfV6(...v6('fd00:dead:beef::1')), SourceScope.INTERNAL_DARKNET);
    assert.equal(d.scopeOfV6(...v6('2001:db8:100::7')), SourceScope.MONITORED);
    assert.equal(d.scopeOfV6(...v6('2001:db8::1')), SourceScope.EXTERNAL);
    assert.deepEqual(SourceScope, { EXTERNAL: 0, LIVE: 1, INTERNAL_DARKNET: 2, MONITORED: 3 });
  });

  test('toJSON: canonical CIDRs, uppercase country, round trip', () => {
    const j = d.toJSON();
    assert.equal(j.homeCountry, 'JP');
    assert.deepEqual(j.sensors[0].prefixes, ['100.64.0.0/22', '2001:db8:100::/48']);
    assert.deepEqual(j.sensors[0].internalPrefixes, ['10.255.0.0/16', 'fd00:dead::/32']);
    assert.equal(j.sensors[0].description, 'the /22 at the Tokyo PoP');
    assert.equal('description' in j.sensors[1], false);
    assert.deepEqual(parseDarknetConfig(JSON.stringify(d), 'x.json').toJSON(), j);
  });

  test('only IPv6 monitored: N = 0, extrapolation factor Infinity', () => {
    const only6 = parseDarknetConfig('sensors: [{name: v6, prefixes: ["2001:db8::/32"]}]', 'v6.yaml');
    assert.equal(only6.sizeV4, 0);
    assert.equal(only6.extrapolationFactor, Infinity);
    assert.equal(only6.sensorOfV6(...v6('2001:db8:1::')), 1);
  });
});

// ---------------------------------------------------------------- errors, exact

describe('config errors name file:line:col and the value', () => {
  const parse = (text: string) => errorOf(() => parseDarknetConfig(text, 'lab.yaml'));

  test('bad CIDR', () => {
    assert.equal(parse('sensors:\n  - name: lab\n    prefixes:\n      - 100.64.0.0/33\n'),
      'lab.yaml:4:9: sensors[0].prefixes[0]: "100.64.0.0/33": prefix length 33 is out of range for IPv4 (0–32)');
    assert.equal(parse('sensors:\n  - name: lab\n    prefixes: [100.64.0.0/22, 100.64.256.0/24]\n'),
      'lab.yaml:3:31: sensors[0].prefixes[1]: "100.64.256.0/24" is not a valid IPv4 prefix: octet 256 is out of range (0–255)');
    assert.equal(parse('sensors:\n  - name: lab\n    prefixes: [100.64.0.0]\n'),
      'lab.yaml:3:16: sensors[0].prefixes[0]: "100.64.0.0" has no prefix length; write 100.64.0.0/32 for a single address');
    assert.equal(parse('sensors:\n  - name: lab\n    prefixes: [100.64.0.0/22, 5]\n'),
      'lab.yaml:3:31: sensors[0].prefixes[1]: expected a CIDR string such as 192.0.2.0/24, got the number 5');
  });

  test('host bits set, with the network address as a hint (IPv4 and IPv6)', () => {
    const text = 'sensors:\n  - name: lab\n    prefixes:\n    - 100.64.0.0/24\n    - 100.64.0.5/22\n';
    assert.equal(parse(text), 'lab.yaml:5:7: sensors[0].prefixes[1]: "100.64.0.5/22" has host bits set; did you mean 100.64.0.0/22?');
    assert.equal(parse('sensors:\n  - name: lab\n    prefixes: ["2001:db8::1/32"]\n'),
      'lab.yaml:3:16: sensors[0].prefixes[0]: "2001:db8::1/32" has host bits set; did you mean 2001:db8::/32?');
  });

  test('unknown key: a typo gets a suggestion and no "missing" echo; others list the allowed keys', () => {
    assert.equal(parse('sensors:\n  - name: lab\n    prefix:\n      - 100.64.0.0/22\n'),
      'lab.yaml:3:5: sensors[0].prefix: unknown key (did you mean "prefixes"?)');
    assert.equal(parse('sensors:\n  - name: lab\n    prefixes: [100.64.0.0/22]\n    colour: red\n'),
      'lab.yaml:4:5: sensors[0].colour: unknown key (allowed: name, prefixes, internalPrefixes, livePrefixes, responsive, description)');
    assert.equal(parse('HomeCountry: JP\nsensors: [{name: lab, prefixes: [100.64.0.0/22]}]\n'),
      'lab.yaml:1:1: HomeCountry: unknown key (did you mean "homeCountry"?)');
    assert.equal(parse('sensors: [{name: lab, prefixes: [100.64.0.0/22], d: 1}]\n'),
      'lab.yaml:1:50: sensors[0].d: unknown key (allowed: name, prefixes, internalPrefixes, livePrefixes, responsive, description)');
  });

  test('duplicate sensor name points at the second and names the first', () => {
    assert.equal(parse('sensors:\n  - name: lab\n    prefixes: [100.64.0.0/24]\n  - name: lab\n    prefixes: [100.64.1.0/24]\n'),
      'lab.yaml:4:11: sensors[1].name: duplicate sensor name "lab" (sensors[0].name, line 2)');
  });

  test('overlapping prefixes between two sensors, and identical duplicates', () => {
    const text = 'sensors:\n  - name: a\n    prefixes: [100.64.0.0/22]\n  - name: b\n    prefixes: [192.0.2.0/24, 100.64.2.0/24]\n';
    assert.equal(parse(text), 'lab.yaml:5:30: sensors[1].prefixes[1]: "100.64.2.0/24" overlaps "100.64.0.0/22" of sensor "a" (sensors[0].prefixes[0], line 3)');
    // The wider prefix listed second: still reported at the later entry.
    const wider = 'sensors:\n  - name: a\n    prefixes: [100.64.2.0/24]\n  - name: b\n    prefixes: [100.64.0.0/16]\n';
    assert.equal(parse(wider), 'lab.yaml:5:16: sensors[1].prefixes[0]: "100.64.0.0/16" overlaps "100.64.2.0/24" of sensor "a" (sensors[0].prefixes[0], line 3)');
    assert.equal(parse('sensors:\n  - name: a\n    prefixes: [100.64.0.0/22, 100.64.0.0/22]\n'),
      'lab.yaml:3:31: sensors[0].prefixes[1]: "100.64.0.0/22" duplicates "100.64.0.0/22" (sensors[0].prefixes[0], line 3)');
  });

  test('internal prefixes must not overlap monitored space; live prefixes may contain it but not lie inside it', () => {
    const text = 'sensors:\n  - name: a\n    prefixes: [100.64.0.0/22]\n    livePrefixes: [100.64.0.0/23, 100.64.0.0/16]\n    internalPrefixes: [100.64.3.0/24]\n';
    assert.equal(parse(text), [
      'lab.yaml:4:20: sensors[0].livePrefixes[0]: live prefix "100.64.0.0/23" overlaps monitored prefix "100.64.0.0/22" of sensor "a" (sensors[0].prefixes[0], line 3)',
      'lab.yaml:5:24: sensors[0].internalPrefixes[0]: internal-darknet prefix "100.64.3.0/24" overlaps monitored prefix "100.64.0.0/22" of sensor "a" (sensors[0].prefixes[0], line 3)',
    ].join('\n'));
    // The common case: the darknet is an unused part of the organisation's own block.
    const ok = parseDarknetConfig('sensors:\n  - name: a\n    prefixes: [100.64.0.0/22]\n    livePrefixes: [100.64.0.0/16]\n', 'lab.yaml');
    assert.equal(ok.scopeOf(parseIPv4('100.64.0.1')!), SourceScope.MONITORED);
    assert.equal(ok.scopeOf(parseIPv4('100.64.9.1')!), SourceScope.LIVE);
  });

  test('wrong homeCountry', () => {
    const body = 'sensors: [{name: lab, prefixes: [100.64.0.0/22]}]\n';
    assert.equal(parse(`${body}homeCountry: Japan\n`),
      'lab.yaml:2:14: homeCountry: "Japan" is not a two-letter country code (ISO 3166-1 alpha-2, e.g. JP)');
    assert.equal(parse(`${body}homeCountry: JA\n`), 'lab.yaml:2:14: homeCountry: "JA" is not an ISO 3166-1 alpha-2 country code');
    assert.equal(parse(`${body}homeCountry: UK\n`), 'lab.yaml:2:14: homeCountry: "UK" is not an ISO 3166-1 alpha-2 country code; did you mean GB?');
    assert.equal(parse(`${body}homeCountry: 81\n`), 'lab.yaml:2:14: homeCountry: expected a string, got the number 81');
    assert.equal(parseDarknetConfig(`${body}homeCountry: de\n`, 'ok.yaml').homeCountry, 'DE');
  });

  test('missing or empty sensors, empty file, not a mapping', () => {
    assert.equal(parse('homeCountry: JP\n'), 'lab.yaml:1:1: sensors: required key is missing');
    assert.equal(parse('# comment\nhomeCountry: JP\nsensors: []\n'), 'lab.yaml:3:10: sensors: at least one sensor is required');
    assert.equal(parse('sensors:\n'), 'lab.yaml:1:1: sensors: expected a list, got nothing (an empty value)');
    assert.equal(parse('sensors:\n  - name: lab\n    prefixes: []\n'), 'lab.yaml:3:15: sensors[0].prefixes: at least one monitored prefix is required');
    assert.equal(parse('sensors:\n  - name: lab\n'), 'lab.yaml:2:5: sensors[0].prefixes: required key is missing');
    assert.equal(parse(''), 'lab.yaml:1:1: the configuration is empty; expected a mapping with a "sensors" list');
    assert.equal(parse('- 100.64.0.0/22\n'), 'lab.yaml:1:1: the configuration must be a mapping with a "sensors" list, got a list');
  });

  test('YAML syntax errors get file:line:col too', () => {
    assert.equal(parse('sensors:\n  - name: lab\n    prefixes: [100.64.0.0/22\n'),
      'lab.yaml:4:1: syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]');
    assert.equal(parse('sensors:\n  - name: lab\n\tprefixes: [100.64.0.0/22]\n'),
      'lab.yaml:3:1: syntax error: Tabs are not allowed as indentation');
    assert.equal(parse('homeCountry: JP\nhomeCountry: DE\n'), 'lab.yaml:2:1: syntax error: Map keys must be unique');
    assert.equal(parse('sensors: *all\n'), 'lab.yaml:1:10: syntax error: alias *all has no anchor before it');
    assert.equal(parse('homeCountry: JP\n---\nhomeCountry: DE\n'),
      'lab.yaml:2:1: syntax error: a configuration holds one document; found a second "---"');
    // A "billion laughs" file: alias expansion is bounded.
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    assert.match(parse(laughs), /^lab\.yaml:1:1: cannot read the configuration: Excessive alias count/);
    // Nesting deeper than the parser's stack.
    assert.match(parse(`sensors: ${'['.repeat(5000)}${']'.repeat(5000)}`), /^lab\.yaml:1:\d+: syntax error: Maximum call stack size exceeded$/);
  });

  test('JSON: positions on one line', () => {
    const text = '{"sensors":[{"name":"lab","prefixes":["100.64.0.5/22"]}],"homeCountry":"JP"}';
    assert.equal(errorOf(() => parseDarknetConfig(text, 'lab.json')),
      'lab.json:1:39: sensors[0].prefixes[0]: "100.64.0.5/22" has host bits set; did you mean 100.64.0.0/22?');
    assert.equal(errorOf(() => parseDarknetConfig('{"sensors":[{"name":"lab" "prefixes":["100.64.0.0/22"]}]}', 'lab.json')),
      'lab.json:1:27: syntax error: Unexpected double-quoted-scalar token');
    // YAML's flow syntax forgives a trailing comma, so such "JSON" is read.
    assert.equal(parseDarknetConfig('{"sensors":[{"name":"lab","prefixes":["100.64.0.0/22"],}],}', 'lab.json').sizeV4, 1024);
  });

  test('several errors at once, one per line, in file order', () => {
    const text = [
      'sensors:', //                                   1
      '  - name: lab', //                              2
      '    prefixes:', //                              3
      '      - 100.64.0.5/22', //                      4
      '      - 2001:db8::/129', //                     5
      '    livePrefix: [192.0.2.0/24]', //             6
      '  - name: lab', //                              7
      '    prefixes: [100.64.0.0/24]', //              8
      '    responsive: yes', //                        9
      'homeCountry: J', //                            10
    ].join('\n');
    assert.equal(parse(text), [
      'lab.yaml:4:9: sensors[0].prefixes[0]: "100.64.0.5/22" has host bits set; did you mean 100.64.0.0/22?',
      'lab.yaml:5:9: sensors[0].prefixes[1]: "2001:db8::/129": prefix length 129 is out of range for IPv6 (0–128)',
      'lab.yaml:6:5: sensors[0].livePrefix: unknown key (did you mean "livePrefixes"?)',
      'lab.yaml:7:11: sensors[1].name: duplicate sensor name "lab" (sensors[0].name, line 2)',
      'lab.yaml:9:17: sensors[1].responsive: expected true or false, got the string "yes"',
      'lab.yaml:10:14: homeCountry: "J" is not a two-letter country code (ISO 3166-1 alpha-2, e.g. JP)',
    ].join('\n'));
  });

  test('loadDarknetConfig names the file as given; unreadable files are ConfigErrors', async () => {
    const file = writeConfig('bad.yaml', 'sensors:\n  - name: lab\n    prefixes: [100.64.0.5/22]\n');
    assert.equal(await asyncErrorOf(loadDarknetConfig(file)),
      `${file}:3:16: sensors[0].prefixes[0]: "100.64.0.5/22" has host bits set; did you mean 100.64.0.0/22?`);
    const missing = join(dir, 'nope.yaml');
    assert.match(await asyncErrorOf(loadDarknetConfig(missing)), new RegExp(`^${missing}: cannot read the configuration: ENOENT`));
    assert.match(await asyncErrorOf(loadDarknetConfig(dir)), /cannot read the configuration: EISDIR/);
  });

  test('never a crash: thousands of mangled files give a Darknet or a positioned ConfigError', () => {
    const rand = rng(7);
    const alphabet = ['', ':', '-', ' ', '\n', '\t', '[', ']', '{', '}', '"', "'", '*', '&', '!', '#', '/', '.', '0', '9', 'a', '::', 'x: y', '\u00e9', '\\'];
    let ok = 0;
    for (let n = 0; n < 3000; n++) {
      let text = MULTI;
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
        const at = Math.floor(rand() * text.length);
        const cut = Math.floor(rand() * 4);
        text = text.slice(0, at) + alphabet[Math.floor(rand() * alphabet.length)] + text.slice(at + cut);
      }
      try {
        parseDarknetConfig(text, 'm.yaml');
        ok++;
      } catch (e) {
        assert.ok(e instanceof ConfigError, `${(e as Error).stack}\n--- input ---\n${text}`);
        for (const line of e.message.split('\n')) assert.match(line, /^m\.yaml:\d+:\d+: \S/, text);
      }
    }
    assert.ok(ok > 0 && ok < 3000, `${ok} mangled files accepted`);
  });

  test('DARKNET_SCHEMA forbids unknown keys everywhere', () => {
    assert.equal(DARKNET_SCHEMA.additionalProperties, false);
    assert.equal(DARKNET_SCHEMA.definitions.sensor.additionalProperties, false);
  });
});

// ---------------------------------------------------------------- --darknet and resolveDarknet

describe('--darknet and --config', () => {
  test('--darknet gives one sensor named "darknet", home country JP', async () => {
    const d = await resolveDarknet({ darknet: '100.64.0.0/22, 192.0.2.0/24,2001:db8::/32' });
    assert.ok(d);
    assert.deepEqual(d.sensors.map((s) => s.name), ['darknet']);
    assert.equal(d.homeCountry, 'JP');
    assert.equal(d.sizeV4, 1280);
    assert.equal(d.sensorOf(v4('192.0.2.200')), 1);
    assert.equal(d.sensorOfV6(...v6('2001:db8::5')), 1);
    assert.equal(Darknet.fromCidrs(['10.0.0.0/8'], 'de').homeCountry, 'DE');
  });

  test('--darknet errors', async () => {
    assert.equal(await asyncErrorOf(resolveDarknet({ darknet: '100.64.0.5/22' })),
      '--darknet: "100.64.0.5/22" has host bits set; did you mean 100.64.0.0/22?');
    assert.equal(await asyncErrorOf(resolveDarknet({ darknet: '100.64.0.0/22,lab,100.64.1.0/24' })), [
      '--darknet: "lab" is not a valid IPv4 prefix: expected 4 dot-separated numbers, found 1',
      '--darknet: "100.64.1.0/24" overlaps "100.64.0.0/22"',
    ].join('\n'));
    assert.equal(await asyncErrorOf(resolveDarknet({ darknet: ' , ' })), '--darknet: no prefixes given (expected CIDR[,CIDR...])');
    assert.equal(errorOf(() => Darknet.fromCidrs(['10.0.0.0/8'], 'Japan')),
      '--darknet: homeCountry: "Japan" is not a two-letter country code (ISO 3166-1 alpha-2, e.g. JP)');
  });

  test('--config wins alone, neither gives null, both is an error', async () => {
    const file = writeConfig('lab.yaml', 'sensors:\n  - name: lab\n    prefixes: [100.64.0.0/22]\n');
    assert.equal((await resolveDarknet({ config: file }))?.sensors[0].name, 'lab');
    assert.equal(await resolveDarknet({}), null);
    assert.equal(await asyncErrorOf(resolveDarknet({ config: file, darknet: '100.64.0.0/22' })),
      'darkscope: use one of --config or --darknet, not both');
  });

  test('new Darknet(input) checks the meaning too (no positions)', () => {
    assert.equal(errorOf(() => new Darknet({ sensors: [{ name: 'a', prefixes: ['10.0.0.1/8'] }] })),
      'config: sensors[0].prefixes[0]: "10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?');
  });
});

// ---------------------------------------------------------------- CIDR parsing

describe('addresses and CIDRs', () => {
  test('IPv4 parse and format', () => {
    assert.equal(parseIPv4('192.0.2.10'), 0xc000020a);
    assert.equal(parseIPv4('0.0.0.0'), 0);
    assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
    assert.equal(formatIPv4(0xc000020a), '192.0.2.10');
    assert.equal(formatIPv4(-1), '255.255.255.255');
    for (const bad of ['01.2.3.4', '10.010.0.0', '1.2.3', '1.2.3.4.5', '256.0.0.0', '1..2.3', '', ' 1.2.3.4', '1.2.3.4 ',
      '+1.2.3.4', '0x1.2.3.4', '1.2.3.-4', '1e2.0.0.0', '1.2.3.4/8', '0000.0.0.0', '1.2.3.']) {
      assert.equal(parseIPv4(bad), null, JSON.stringify(bad));
    }
  });

  test('IPv6 RFC 5952 canonical text', () => {
    const cases: [string, string][] = [
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // tie: the first run
      ['2001:0db8:0000:0000:0001:0000:0000:0000', '2001:db8:0:0:1::'], // the longer run
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group stays
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
      ['FFFF:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
      ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['::ffff:102:304', '::ffff:1.2.3.4'], // IPv4-mapped: dotted tail
      ['::ffff:0:0', '::ffff:0.0.0.0'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['::1.2.3.4', '::102:304'],
      ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
      ['fe80::0001:0:0:2', 'fe80::1:0:0:2'],
    ];
    for (const [input, canonical] of cases) {
      const w = parseIPv6(input);
      assert.ok(w, input);
      assert.equal(formatIPv6(w), canonical, input);
      assert.deepEqual(parseIPv6(canonical), w, canonical);
    }
    assert.deepEqual([...parseIPv6('2001:db8::1')!], [0x20010db8, 0, 0, 1]);
    assert.deepEqual([...parseIPv6('::ffff:192.0.2.10')!], [0, 0, 0xffff, 0xc000020a]);
  });

  test('IPv6 invalid forms', () => {
    for (const bad of ['1::2::3', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', 'fe80::1%eth0', ':1::', '1::2:',
      '1:2:3:4:5:6:7:8::', '::1.2.3', '1.2.3.4::', '::1.2.3.4:1', '::ffff:01.2.3.4', '', ':', '1:2:3:4:5:6:7:1.2.3.4', ' ::1']) {
      assert.equal(parseIPv6(bad), null, JSON.stringify(bad));
    }
  });

  test('IPv6 formatting agrees with the WHATWG URL serialiser on random addresses', () => {
    const rand = rng(42);
    for (let n = 0; n < 3000; n++) {
      const w = new Uint32Array(4);
      for (let i = 0; i < 4; i++) {
        const r = rand();
        // Mostly zero groups, so runs of every length and ties occur.
        const hi = r < 0.5 ? 0 : Math.floor(rand() * 0x10000);
        const lo = rand() < 0.5 ? 0 : Math.floor(rand() * 0x10000);
        w[i] = hi * 0x10000 + lo;
      }
      if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) continue; // mapped: dotted form differs from URL's
      const full = [...w].map((x) => `${(x >>> 16).toString(16)}:${(x & 0xffff).toString(16)}`).join(':');
      const url = new URL(`http://[${full}]/`).hostname.slice(1, -1);
      assert.equal(formatIPv6(w), url, full);
      assert.deepEqual(parseIPv6(formatIPv6(w)), w, full);
    }
  });

  test('parseCidr accepts exact prefixes and explains every rejection', () => {
    const ok: [string, string][] = [
      ['0.0.0.0/0', '0.0.0.0/0'], ['10.0.0.0/8', '10.0.0.0/8'], ['192.0.2.10/32', '192.0.2.10/32'],
      ['::/0', '::/0'], ['2001:DB8::/32', '2001:db8::/32'], ['2001:db8::1/128', '2001:db8::1/128'],
      ['::ffff:100.64.0.0/118', '::ffff:100.64.0.0/118'],
    ];
    for (const [input, text] of ok) assert.equal(formatCidr(parseCidr(input)), text, input);
    const c = parseCidr('100.64.0.0/22');
    assert.deepEqual(c, { version: 4, base: 0x64400000, prefixLen: 22 });
    assert.deepEqual(cidrRange(c), [0x64400000n, 0x644003ffn]);
    const bad: [string, string][] = [
      ['100.64.0.5/22', '"100.64.0.5/22" has host bits set; did you mean 100.64.0.0/22?'],
      ['2001:db8::1/32', '"2001:db8::1/32" has host bits set; did you mean 2001:db8::/32?'],
      ['100.64.0.0', '"100.64.0.0" has no prefix length; write 100.64.0.0/32 for a single address'],
      ['2001:db8::', '"2001:db8::" has no prefix length; write 2001:db8::/128 for a single address'],
      ['10.0.0.0/33', '"10.0.0.0/33": prefix length 33 is out of range for IPv4 (0–32)'],
      ['::/129', '"::/129": prefix length 129 is out of range for IPv6 (0–128)'],
      ['10.0.0.0/08', '"10.0.0.0/08": prefix length "08" is not a number 0–32'],
      ['10.0.0.0/', '"10.0.0.0/": prefix length "" is not a number 0–32'],
      ['10.0.0.0/-1', '"10.0.0.0/-1": prefix length "-1" is not a number 0–32'],
      ['010.0.0.0/8', '"010.0.0.0/8" is not a valid IPv4 prefix: octet "010" has a leading zero (ambiguous: some tools read it as octal)'],
      ['fe80::%eth0/64', '"fe80::%eth0/64" is not a valid IPv6 prefix: zone ids ("%…") are not allowed'],
      ['1::2::/64', '"1::2::/64" is not a valid IPv6 prefix: more than one "::"'],
      ['2001:db8:12345::/48', '"2001:db8:12345::/48" is not a valid IPv6 prefix: group "12345" is not 1–4 hex digits'],
      [' 10.0.0.0/8', '" 10.0.0.0/8" contains spaces'],
      ['', '"" is empty (expected a CIDR such as 192.0.2.0/24)'],
    ];
    for (const [input, message] of bad) {
      assert.throws(() => parseCidr(input), { name: 'CidrError', message }, input);
      assert.equal(tryParseCidr(input), message);
    }
  });
});

// ---------------------------------------------------------------- PrefixSet

/** Random non-overlapping IPv4 prefixes, each with its own value (1-based index). */
function randomDisjoint4(rand: () => number, count: number, minLen: number): Cidr4[] {
  const out: Cidr4[] = [];
  while (out.length < count) {
    const len = minLen + Math.floor(rand() * (33 - minLen));
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const base = (Math.floor(rand() * 2 ** 32) & mask) >>> 0;
    const c: Cidr4 = { version: 4, base, prefixLen: len };
    if (out.every((o) => !contains4(o, c.base) && !contains4(c, o.base))) out.push(c);
  }
  return out;
}

function contains4(c: Cidr, ip: number): boolean {
  const [s, e] = cidrRange(c);
  return BigInt(ip >>> 0) >= s && BigInt(ip >>> 0) <= e;
}

/** Addresses worth probing: random ones, plus each range's edges and their neighbours. */
function probes(rand: () => number, cidrs: Cidr[], random: number): number[] {
  const out: number[] = [0, 0xffffffff];
  for (let i = 0; i < random; i++) out.push(Math.floor(rand() * 2 ** 32));
  for (const c of cidrs) {
    const [s, e] = cidrRange(c).map(Number);
    out.push(s, e, (s - 1) >>> 0, (e + 1) >>> 0, s + Math.floor(rand() * (e - s + 1)));
  }
  return out;
}

describe('PrefixSet', () => {
  test('IPv4 lookup matches brute force, linear (≤ 8 ranges) and binary-search paths', () => {
    const rand = rng(1);
    let checked = 0;
    for (const count of [1, 2, 3, 5, 8, 9, 10, 17, 64, 300]) {
      for (let round = 0; round < 5; round++) {
        const cidrs = randomDisjoint4(rand, count, 4);
        const set = PrefixSet.build(cidrs.map((prefix, i) => ({ prefix, value: i + 1 })));
        assert.equal(set.rangesV4, count); // distinct values: nothing merges
        assert.equal(set.sizeV4, cidrs.reduce((n, c) => n + 2 ** (32 - c.prefixLen), 0));
        for (const ip of probes(rand, cidrs, 400)) {
          const want = cidrs.findIndex((c) => contains4(c, ip)) + 1;
          assert.equal(set.lookupV4(ip), want, `${formatIPv4(ip)} in ${cidrs.map(formatCidr)}`);
          assert.equal(set.lookupV4(ip | 0), want); // signed int32 input works too
          checked++;
        }
      }
    }
    assert.ok(checked > 20000, `${checked}`);
  });

  test("'highest' policy: overlapping layers, the larger value wins (brute force)", () => {
    const rand = rng(2);
    for (let round = 0; round < 40; round++) {
      const entries = Array.from({ length: 1 + Math.floor(rand() * 30) }, () => {
        const len = 8 + Math.floor(rand() * 25);
        const base = (Math.floor(rand() * 2 ** 32) & ((0xffffffff << (32 - len)) >>> 0)) >>> 0;
        // Keep them near each other so they overlap often.
        const near = ((0x0a000000 | (base & 0x00ffffff)) & ((0xffffffff << (32 - len)) >>> 0)) >>> 0;
        return { prefix: { version: 4, base: near, prefixLen: len } as Cidr, value: 1 + Math.floor(rand() * 3) };
      });
      const set = PrefixSet.build(entries, 'highest');
      for (const ip of probes(rand, entries.map((e) => e.prefix), 200)) {
        const want = Math.max(0, ...entries.filter((e) => contains4(e.prefix, ip)).map((e) => e.value));
        assert.equal(set.lookupV4(ip), want, formatIPv4(ip));
      }
    }
  });

  test('adjacent prefixes with the same value merge; /0 and /32 edges', () => {
    const set = PrefixSet.build(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/23'].map((t) => ({ prefix: parseCidr(t), value: 7 })));
    assert.equal(set.rangesV4, 1);
    assert.equal(set.sizeV4, 1024);
    assert.equal(set.lookupV4(v4('10.0.3.255')), 7);
    assert.equal(set.lookupV4(v4('10.0.4.0')), 0);
    const all = PrefixSet.build([{ prefix: parseCidr('0.0.0.0/0'), value: 1 }]);
    assert.equal(all.lookupV4(0xffffffff), 1);
    assert.equal(all.sizeV4, 2 ** 32);
    const top = PrefixSet.build([{ prefix: parseCidr('255.255.255.255/32'), value: 2 }]);
    assert.equal(top.lookupV4(0xffffffff), 2);
    assert.equal(top.lookupV4(0xfffffffe), 0);
  });

  test('IPv6 lookup matches brute force', () => {
    const rand = rng(3);
    const word = () => Math.floor(rand() * 2 ** 32);
    for (let round = 0; round < 30; round++) {
      const cidrs: Cidr[] = [];
      while (cidrs.length < 1 + Math.floor(rand() * 12)) {
        const len = 16 + Math.floor(rand() * 113);
        const text = `${formatIPv6([0x20010db8, word() & 0xff000000, word(), word()])}/${len}`;
        const c = tryParseCidr(text);
        const net = typeof c === 'string' ? parseCidr(c.slice(c.indexOf('did you mean ') + 13, -1)) : c;
        const [s, e] = cidrRange(net);
        if (cidrs.every((o) => { const [os, oe] = cidrRange(o); return e < os || s > oe; })) cidrs.push(net);
      }
      const set = PrefixSet.build(cidrs.map((prefix, i) => ({ prefix, value: i + 1 })));
      const addrs: bigint[] = [];
      for (const c of cidrs) { const [s, e] = cidrRange(c); addrs.push(s, e, s - 1n, e + 1n); }
      for (let i = 0; i < 50; i++) addrs.push((0x20010db8n << 96n) | (BigInt(word() & 0xff000000) << 64n) | BigInt(word()));
      for (const a of addrs) {
        const w = [0, 1, 2, 3].map((i) => Number((a >> BigInt(96 - 32 * i)) & 0xffffffffn)) as [number, number, number, number];
        const want = cidrs.findIndex((c) => { const [s, e] = cidrRange(c); return a >= s && a <= e; }) + 1;
        assert.equal(set.lookupV6(...w), want, formatIPv6(w));
      }
    }
  });

  test('overlaps: build refuses them; findOverlaps / findCrossOverlaps match brute force', () => {
    assert.throws(() => PrefixSet.build(['10.0.0.0/8', '10.1.0.0/16'].map((t, i) => ({ prefix: parseCidr(t), value: i + 1 }))),
      /10\.1\.0\.0\/16 overlaps 10\.0\.0\.0\/8/);
    const rand = rng(4);
    const overlap = (a: Cidr, b: Cidr) => { const [as, ae] = cidrRange(a); const [bs, be] = cidrRange(b); return a.version === b.version && as <= be && bs <= ae; };
    for (let round = 0; round < 200; round++) {
      const pick = (): Cidr => {
        const len = 8 + Math.floor(rand() * 9);
        return { version: 4, base: ((0x0a000000 | Math.floor(rand() * 2 ** 24)) & ((0xffffffff << (32 - len)) >>> 0)) >>> 0, prefixLen: len };
      };
      const list = Array.from({ length: Math.floor(rand() * 12) }, pick);
      const pairs = findOverlaps(list);
      for (const [later, earlier] of pairs) assert.ok(later > earlier && overlap(list[later], list[earlier]));
      // Every prefix overlapping an earlier-listed or wider one is reported.
      const reported = new Set(pairs.flat());
      list.forEach((c, i) => {
        if (list.some((o, j) => j !== i && overlap(c, o))) assert.ok(reported.has(i), `${formatCidr(c)} in ${list.map(formatCidr)}`);
      });
      const other = Array.from({ length: Math.floor(rand() * 6) }, pick);
      const cross = findCrossOverlaps(list, other);
      for (const [a, b] of cross) assert.ok(overlap(list[a], other[b]));
      list.forEach((c, i) => {
        if (other.some((o) => overlap(c, o))) assert.ok(cross.some(([a]) => a === i), `cross ${formatCidr(c)}`);
      });
      other.forEach((c, i) => {
        if (list.some((o) => overlap(c, o))) assert.ok(cross.some(([, b]) => b === i), `cross other ${formatCidr(c)}`);
      });
    }
  });
});
