/** The allow file of trk-classify (src/classify/allow.ts): syntax, errors, and the lookups the watch makes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../src/capture/source.js';
import { ALERT_KINDS } from '../src/classify/alert.js';
import { AllowList, parseAllowFile, parseAllowText } from '../src/classify/allow.js';
import { parseMac } from '../src/classify/stations.js';
import { ipv4Hex, ipv6Hex } from './helpers/frames.js';

const EXAMPLE = `
# a proxy-ARP router answers for many addresses
5a:c2:34:a9:97:98   mac_changed,flipflop
# a second legitimate router's prefix
2001:db8:20::/64    ra_wrongnet
10.10.1.50          gratuitous
10.99.0.0/16        # another network sharing the wire: everything
vlan 30             all
0000.5e00.0101      arp_gratuitous, icmp6_dad   # VRRP's virtual MAC, STAT names, blanks after the comma
10.20               wrongnet bogon
`;

const mac = (text: string): number => parseMac(text)!;
const v4 = (text: string): number => parseInt(ipv4Hex(text), 16);
const v6 = (text: string): Buffer => Buffer.from(ipv6Hex(text), 'hex');

test('the example allow file: subjects and kinds as read', () => {
  const allow = parseAllowText(EXAMPLE, 'allow.conf');
  assert.deepEqual(
    allow.rules.map((r) => `${r.where} ${r.subject}: ${r.kinds.length === ALERT_KINDS.length ? 'all' : r.kinds.join(',')}`),
    [
      'allow.conf:3 5a:c2:34:a9:97:98: mac_changed,flipflop',
      'allow.conf:5 2001:db8:20::/64: ra_wrongnet',
      'allow.conf:6 10.10.1.50: gratuitous',
      'allow.conf:7 10.99.0.0/16: all',
      'allow.conf:8 vlan 30: all',
      'allow.conf:9 0000.5e00.0101: gratuitous,dad',
      'allow.conf:10 10.20: wrongnet,bogon',
    ],
  );
  assert.deepEqual(allow.warnings, []);
});

test('lookups: each rule silences its kinds only, by MAC, address, network, VLAN', () => {
  const allow = parseAllowText(EXAMPLE, 'allow.conf');
  assert.ok(allow.mac('mac_changed', mac('5a:c2:34:a9:97:98')));
  assert.ok(allow.mac('flipflop', mac('5a:c2:34:a9:97:98')));
  assert.ok(!allow.mac('gratuitous', mac('5a:c2:34:a9:97:98')), 'only the kinds named');
  assert.ok(allow.mac('gratuitous', mac('00:00:5e:00:01:01')));
  assert.ok(allow.mac('dad', mac('00:00:5e:00:01:01')));

  assert.ok(allow.v4('gratuitous', v4('10.10.1.50')));
  assert.ok(!allow.v4('gratuitous', v4('10.10.1.51')));
  assert.ok(!allow.v4('mac_changed', v4('10.10.1.50')));
  for (const kind of ALERT_KINDS) assert.ok(allow.v4(kind, v4('10.99.200.1')), `10.99.0.0/16 for ${kind}`);
  assert.ok(allow.v4('wrongnet', v4('10.20.5.1')), "ipband's partial address 10.20 is 10.20.0.0/16");
  assert.ok(!allow.v4('wrongnet', v4('10.21.0.1')));
  assert.ok(allow.v6('ra_wrongnet', v6('2001:db8:20::1'), 0));
  assert.ok(!allow.v6('ns_wrongnet', v6('2001:db8:20::1'), 0));

  const tags = new Uint16Array([100, 30, 0, 0]);
  for (const kind of ALERT_KINDS) assert.ok(allow.vlan(kind, tags, 2), `vlan 30 inside 100 for ${kind}`);
  assert.ok(!allow.vlan('wrongnet', tags, 1), 'only the outer tag 100 counted');
  assert.ok(!allow.vlan('wrongnet', new Uint16Array(4), 0));

  assert.ok(!allow.none('gratuitous'));
  assert.ok(!allow.none('na_wrongnet'), 'vlan 30 and 10.99.0.0/16 name every kind');
  assert.ok(parseAllowText('10.0.0.1 gratuitous', 'x').none('na_wrongnet'));
});

test('an advertised prefix is allowed when it lies wholly inside an allowed network', () => {
  const allow = parseAllowText('2001:db8:20::/64 ra_wrongnet\n2001:db8:40::/48 ra_wrongnet\n2001:db8:40:1::/64 ra_wrongnet', 'allow');
  const prefix = (text: string, len: number): boolean => allow.prefix('ra_wrongnet', v6(text), 0, len);
  assert.ok(prefix('2001:db8:20::', 64));
  assert.ok(prefix('2001:db8:20::', 80), 'a longer prefix inside it');
  assert.ok(!prefix('2001:db8:20::', 48), 'a wider prefix is not');
  assert.ok(!prefix('2001:db8:21::', 64));
  assert.ok(prefix('2001:db8:20::ffff', 64), 'bits after the length are ignored (RFC 4861 §4.6.2)');
  assert.ok(prefix('2001:db8:40::', 48));
  assert.ok(prefix('2001:db8:40:1::', 56), 'inside the /48 even though a /64 in it is also named');
  assert.ok(!allow.prefix('ns_wrongnet', v6('2001:db8:20::'), 0, 64));
});

test('no kinds, "all" and a blank list all mean every kind; kinds read in either case, STAT names too', () => {
  for (const line of ['10.0.0.1', '10.0.0.1 all', '10.0.0.1 ALL', '10.0.0.1 gratuitous,all']) {
    assert.deepEqual(parseAllowText(line, 'a').rules[0]!.kinds, ALERT_KINDS, line);
  }
  assert.deepEqual(parseAllowText('10.0.0.1 Arp_Bogon,ICMP6_NS_WRONGNET,flipflop', 'a').rules[0]!.kinds, ['flipflop', 'bogon', 'ns_wrongnet']);
});

test('errors name FILE:LINE and say what a rule may be', () => {
  const error = (text: string): string => {
    try {
      parseAllowText(text, 'allow.conf');
    } catch (e) {
      assert.ok(e instanceof InputError, String(e));
      return e.message;
    }
    assert.fail(`no error for ${JSON.stringify(text)}`);
  };
  assert.equal(
    error('# ok\n10.0.0.1 gratuitous\n10.0.0.2 gratuitus'),
    "allow.conf:3: unknown alert kind 'gratuitus' (kinds: wrongnet, gratuitous, mac_changed, flipflop, new_station, bogon, bad_mac, ns_wrongnet, na_wrongnet, ra_wrongnet, dad, all)",
  );
  assert.equal(
    error('printer.example.net'),
    "allow.conf:1: bad subject 'printer.example.net': not an IPv4 or IPv6 address (a rule starts with a MAC address, an address or network, or 'vlan N')",
  );
  assert.match(error('10.0.0.0/33 wrongnet'), /^allow\.conf:1: bad subject '10\.0\.0\.0\/33': prefix length must be 0 to 32 /);
  assert.equal(error('\n\nvlan'), "allow.conf:3: 'vlan' needs a VLAN number from 0 to 4095");
  assert.equal(error('vlan 4096'), "allow.conf:1: 'vlan' needs a VLAN number from 0 to 4095, not '4096'");
  assert.equal(error('vlan gratuitous'), "allow.conf:1: 'vlan' needs a VLAN number from 0 to 4095, not 'gratuitous'");
  assert.match(error('4e:9f:af:d9:0c wrongnet'), /^allow\.conf:1: bad subject '4e:9f:af:d9:0c'/);
});

test('warnings (host bits set) are kept for stderr; a file is read by name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-allow-'));
  const file = path.join(dir, 'allow.conf');
  fs.writeFileSync(file, '10.10.1.5/24 gratuitous\n');
  const allow = parseAllowFile(file);
  assert.deepEqual(allow.warnings, [`${file}:1: '10.10.1.5/24' has host bits set: using 10.10.1.0/24`]);
  assert.ok(allow.v4('gratuitous', v4('10.10.1.200')));
  assert.throws(() => parseAllowFile(path.join(dir, 'none.conf')), (e: unknown) => e instanceof InputError && e.message === `cannot read allow file ${dir}/none.conf: no such file`);
  fs.rmSync(dir, { recursive: true });
  assert.ok(new AllowList([]).none('wrongnet'));
});
