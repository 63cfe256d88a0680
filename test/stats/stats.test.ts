/** Distinct counting and heavy hitters: exact while small, bounded and within their error guarantees beyond. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DistinctCounter, hash128, mix32 } from '../../src/stats/distinct.js';
import { HeavyHitters } from '../../src/stats/topk.js';

test('DistinctCounter is exact up to its limit (key 0 included)', () => {
  const c = new DistinctCounter(12, 512);
  for (let rep = 0; rep < 3; rep++) for (let k = 0; k < 500; k++) c.add(k * 7919);
  assert.equal(c.count(), 500);
  assert.equal(c.approximate, false);
  c.add(0xffffffff);
  c.add(-1); // the same key as a signed int
  assert.equal(c.count(), 501);
});

test('DistinctCounter beyond its limit: HyperLogLog within 3 standard errors, deterministic', () => {
  for (const [p, n] of [[14, 1_000_000], [12, 200_000], [10, 50_000]] as const) {
    const c = new DistinctCounter(p, 1024);
    for (let k = 0; k < n; k++) c.add(mix32(k + 1) ^ 0x5bd1e995);
    assert.ok(c.approximate);
    const se = 1.04 / Math.sqrt(2 ** p);
    const rel = Math.abs(c.count() - n) / n;
    assert.ok(rel < 3 * se, `p=${p}: estimate ${c.count()} for ${n} (error ${(rel * 100).toFixed(2)} %, 3σ ${(3 * se * 100).toFixed(2)} %)`);
  }
});

test('DistinctCounter merge = counting the union; state round-trips', () => {
  const a = new DistinctCounter(12, 256);
  const b = new DistinctCounter(12, 256);
  const all = new DistinctCounter(12, 256);
  for (let k = 0; k < 3000; k++) {
    (k % 3 === 0 ? a : b).add(k * 2654435761);
    all.add(k * 2654435761);
  }
  for (let k = 0; k < 100; k++) a.add(k * 2654435761 * 3); // overlap
  a.merge(b);
  assert.equal(a.count(), all.count());
  const small = new DistinctCounter(12, 256);
  small.add(5);
  small.add(0);
  assert.equal(DistinctCounter.fromState(small.toState()).count(), 2);
  assert.equal(DistinctCounter.fromState(a.toState()).count(), a.count());
  assert.notEqual(hash128(0x20010db8, 0, 0, 1), hash128(0x20010db8, 0, 0, 2));
});

test('HeavyHitters: exact while the keys fit; heavy keys survive a flood of new keys with a bounded error', () => {
  const h = new HeavyHitters<{ first: number }>(100, () => ({ first: -1 }));
  for (let k = 0; k < 50; k++) for (let r = 0; r <= k; r++) h.add(k).payload.first = k;
  assert.deepEqual(h.top(3).map((e) => [e.key, e.count, e.error]), [[49, 50, 0], [48, 49, 0], [47, 48, 0]]);
  // 200,000 one-off keys (a randomly spoofed flood) interleaved with two real heavy hitters.
  const hh = new HeavyHitters<null>(1000, () => null);
  for (let i = 0; i < 200_000; i++) {
    hh.add(`spoof-${i}`);
    if (i % 10 === 0) hh.add('victim-a');
    if (i % 20 === 0) hh.add('victim-b');
  }
  assert.equal(hh.size, 1000);
  const top = hh.top(2);
  assert.deepEqual(top.map((e) => e.key), ['victim-a', 'victim-b']);
  for (const e of top) {
    const truth = e.key === 'victim-a' ? 20_000 : 10_000;
    assert.ok(e.count - e.error <= truth && truth <= e.count, `${e.key}: ${e.count} − ${e.error} ≤ ${truth} ≤ ${e.count}`);
  }
  assert.equal(hh.total, 230_000);
});

test('KeyedDistinct: exact per key while the pair table has room, then exact part + sketch of the rest (no pair twice)', async () => {
  const { KeyedDistinct } = await import('../../src/stats/pairs.js');
  const kd = new KeyedDistinct(1024, 12); // 4096 slots: 2867 exact pairs
  for (let rep = 0; rep < 3; rep++) for (let s = 0; s < 1000; s++) kd.add(7, s * 2654435761);
  assert.equal(kd.count(7), 1000);
  assert.equal(kd.approximate, false);
  // Fill the table past its limit with other keys, then count many new sources under key 9.
  for (let k = 0; k < 200; k++) for (let s = 0; s < 10; s++) kd.add(k + 100, s);
  for (let s = 0; s < 20_000; s++) kd.add(9, mix32(s + 1));
  for (let s = 0; s < 20_000; s++) kd.add(9, mix32(s + 1)); // repeats add nothing
  assert.ok(kd.approximate);
  const c9 = kd.count(9);
  assert.ok(Math.abs(c9 - 20_000) / 20_000 < 3 * 0.092, `key 9 ≈ 20000, got ${c9}`);
  assert.equal(kd.count(7), 1000, 'pairs counted exactly stay exact');
  assert.equal(kd.count(500), 0);
});

test('KeyedDistinct merge: exact pairs are a union (shared pairs once); sketches merge; state round-trips', async () => {
  const { KeyedDistinct } = await import('../../src/stats/pairs.js');
  const a = new KeyedDistinct(64, 12);
  const b = new KeyedDistinct(64, 12);
  for (let s = 0; s < 500; s++) a.add(3, s);
  for (let s = 250; s < 750; s++) b.add(3, s); // 250 shared with a
  for (let s = 0; s < 100; s++) b.add(5, s);
  const back = KeyedDistinct.fromState(structuredClone(b.toState().state));
  assert.equal(back.count(3), 500);
  a.merge(back);
  assert.equal(a.count(3), 750);
  assert.equal(a.count(5), 100);
  assert.equal(a.approximate, false);
  // Overflow in both halves: the merged estimate stays within the sketch's error of the union.
  const c = new KeyedDistinct(64, 10); // 716 exact pairs
  const d = new KeyedDistinct(64, 10);
  for (let s = 0; s < 6000; s++) c.add(1, mix32(s + 1));
  for (let s = 3000; s < 9000; s++) d.add(1, mix32(s + 1));
  c.merge(d);
  assert.ok(c.approximate);
  assert.ok(Math.abs(c.count(1) - 9000) / 9000 < 3 * 0.092, `≈ 9000, got ${c.count(1)}`);
  assert.throws(() => c.merge(new KeyedDistinct(32, 10)), /different key spaces/);
});

test('HeavyHitters merge: counts of the same key add up; state round-trips through structured clone', async () => {
  const { HeavyHitters } = await import('../../src/stats/topk.js');
  const mk = () => new HeavyHitters<{ n: number }>(16, () => ({ n: 0 }));
  const a = mk();
  const b = mk();
  for (let i = 0; i < 100; i++) a.add(`k${i % 4}`).payload.n++;
  for (let i = 0; i < 60; i++) b.add(`k${i % 3}`).payload.n++;
  a.merge(structuredClone(b.all()), (into, from) => (into.n += from.n));
  const got = Object.fromEntries(a.top(10).map((e) => [e.key, [e.count, e.payload.n]]));
  assert.deepEqual(got, { k0: [45, 45], k1: [45, 45], k2: [45, 45], k3: [25, 25] });
  assert.equal(a.total, 160);
});
