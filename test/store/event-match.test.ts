/**
 * AddressMatcher: which events concern given prefixes (darkscope events --addr). Event
 * addresses are text: IPv4 and IPv6 addresses, a reflection's dark prefix, a surge's
 * country; hand-written values, as the store keeps them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCidr } from '../../src/config/cidr.js';
import { AddressMatcher } from '../../src/store/event-match.js';

describe('AddressMatcher', () => {
  const m = new AddressMatcher([parseCidr('203.0.113.0/24'), parseCidr('2001:db8:1::/48')]);

  it('an address inside a prefix, at its edges, and not one past them', () => {
    assert.ok(m.matches('203.0.113.0'));
    assert.ok(m.matches('203.0.113.255'));
    assert.ok(!m.matches('203.0.114.0'));
    assert.ok(!m.matches('203.0.112.255'));
    assert.ok(m.matches('2001:db8:1:ffff::1'));
    assert.ok(!m.matches('2001:db8:2::1'));
  });

  it('prefixes overlap either way: inside the query, or holding it', () => {
    assert.ok(m.matches('203.0.113.128/25'));
    assert.ok(m.matches('203.0.0.0/16'));
    assert.ok(!m.matches('198.51.100.0/24'));
    assert.ok(m.matches('2001:db8::/32'));
  });

  it('source or victim; countries, empty and malformed text never match; versions never mix', () => {
    assert.ok(m.matches(null, '203.0.113.80'));
    assert.ok(!m.matches('JP', null));
    assert.ok(!m.matches('', '203.0.113'));
    assert.ok(!m.matches('203.0.113.1/33', '::ffff:1'));
    assert.ok(!new AddressMatcher([parseCidr('::/0')]).matches('198.51.100.1'));
    assert.ok(new AddressMatcher([parseCidr('0.0.0.0/0')]).matches('198.51.100.1'));
  });
});
