/** Local networks (src/net/prefixes.ts) and martian sources (src/net/special-addresses.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../src/capture/source.js';
import { decodePacket } from '../src/decode/index.js';
import { LINKTYPE_RAW, Packet } from '../src/decode/packet.js';
import {
  BadNetworkError,
  interfaceNetworks,
  type Network,
  parseAddress,
  parseNetFile,
  parseNetText,
  parseNetworks,
  PrefixSet,
  rangeToBlocks,
} from '../src/net/prefixes.js';
import { MARTIAN_REASONS, martianReason } from '../src/net/special-addresses.js';

const texts = (spec: string): string[] => parseNetworks(spec).networks.map((n) => n.text);
const setOf = (spec: string): PrefixSet => new PrefixSet(parseNetworks(spec).networks);

/** 16 bytes of an IPv6 address (or 4 of an IPv4 one) from text, for the buffer-taking functions. */
function bytes(addr: string): Buffer {
  const a = parseAddress(addr);
  assert.ok(a, `test address ${addr}`);
  if (a.version === 4) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(Number(a.value));
    return b;
  }
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(a.value >> 64n, 0);
  b.writeBigUInt64BE(a.value & 0xffffffffffffffffn, 8);
  return b;
}

function addrText(version: 4 | 6, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}

// ---------------------------------------------------------------- syntax

test('CIDR, IPv4 and IPv6, and bare addresses', () => {
  assert.deepEqual(texts('10.10.0.0/16'), ['10.10.0.0/16']);
  assert.deepEqual(texts('2001:db8:10::/64'), ['2001:db8:10::/64']);
  assert.deepEqual(texts('2001:0DB8:0010:0000::/64'), ['2001:db8:10::/64'], 'canonical RFC 5952 text');
  assert.deepEqual(texts('10.0.0.7'), ['10.0.0.7/32']);
  assert.deepEqual(texts('2001:db8::1'), ['2001:db8::1/128']);
  assert.deepEqual(texts('0.0.0.0/0'), ['0.0.0.0/0']);
  assert.deepEqual(texts('::/0'), ['::/0']);
  assert.deepEqual(texts('10.0.0.0/08'), ['10.0.0.0/8']);
  const n = parseNetworks('10.10.0.0/16').networks[0]!;
  assert.deepEqual(n, { version: 4, first: 0x0a0a0000n, prefixLen: 16, text: '10.10.0.0/16', origin: '10.10.0.0/16' });
});

test('IPv6 with a trailing dotted quad stays IPv6 (ip-cidr alone would read it as IPv4)', () => {
  assert.deepEqual(texts('64:ff9b::10.0.0.1'), ['64:ff9b::a00:1/128']);
  assert.deepEqual(texts('::ffff:10.0.0.0/104'), ['::ffff:10.0.0.0/104']);
  assert.equal(parseNetworks('64:ff9b::/96').networks[0]!.version, 6);
});

test('host bits set: accepted as the network, with a warning', () => {
  const r = parseNetworks('10.10.1.5/24');
  assert.deepEqual(r.networks.map((n) => n.text), ['10.10.1.0/24']);
  assert.equal(r.networks[0]!.origin, '10.10.1.5/24');
  assert.deepEqual(r.warnings, ["'10.10.1.5/24' has host bits set: using 10.10.1.0/24"]);
  assert.deepEqual(parseNetworks('2001:db8:10::5/64').warnings, ["'2001:db8:10::5/64' has host bits set: using 2001:db8:10::/64"]);
  assert.deepEqual(parseNetworks('10.10.1.0/24').warnings, []);
});

test("ipband's -L syntax: partial addresses, partial with mask bits, ranges, colon lists", () => {
  assert.deepEqual(texts('137.99.11'), ['137.99.11.0/24']);
  assert.deepEqual(texts('137.99'), ['137.99.0.0/16']);
  assert.deepEqual(texts('10'), ['10.0.0.0/8']);
  const masked = parseNetworks('127.0.5/23');
  assert.deepEqual(masked.networks.map((n) => n.text), ['127.0.4.0/23'], "ipband's manual: 127.0.4.0-127.0.5.255");
  assert.deepEqual(masked.warnings, ["'127.0.5/23' has host bits set: using 127.0.4.0/23"]);
  assert.deepEqual(texts('10.1/16'), ['10.1.0.0/16']);
  // The manual's examples, with ':' as ipband separates them.
  assert.deepEqual(texts('137.99.11:127.0.5/23'), ['137.99.11.0/24', '127.0.4.0/23']);
  assert.deepEqual(texts('127.1.5.17-127.1.7.131'), [
    '127.1.5.17/32',
    '127.1.5.18/31',
    '127.1.5.20/30',
    '127.1.5.24/29',
    '127.1.5.32/27',
    '127.1.5.64/26',
    '127.1.5.128/25',
    '127.1.6.0/24',
    '127.1.7.0/25',
    '127.1.7.128/30',
  ]);
  assert.deepEqual(texts('10.0.0.0-10.0.0.255'), ['10.0.0.0/24'], 'an aligned range is one block');
  assert.deepEqual(texts('10.0.0.9-10.0.0.9'), ['10.0.0.9/32']);
  assert.deepEqual(texts('137.99-137.100'), ['137.99.0.0/16', '137.100.0.0/16'], 'a partial end covers its block');
  assert.deepEqual(texts('0.0.0.0-255.255.255.255'), ['0.0.0.0/0']);
  assert.deepEqual(texts('2001:db8::-2001:db8::ffff'), ['2001:db8::/112']);
  assert.deepEqual(texts('::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), ['::/0']);
  const r = parseNetworks('10.0.0.5-10.0.0.6');
  assert.deepEqual(r.networks.map((n) => n.origin), ['10.0.0.5-10.0.0.6', '10.0.0.5-10.0.0.6'], 'each block names the range');
});

test('comma-separated lists, mixing every form; blanks around items and empty items ignored', () => {
  assert.deepEqual(texts('10.10.0.0/16, 2001:db8:10::/64,137.99.11,10.9.0.1-10.9.0.2,'), [
    '10.10.0.0/16',
    '2001:db8:10::/64',
    '137.99.11.0/24',
    '10.9.0.1/32',
    '10.9.0.2/32',
  ]);
  // An IPv6 address is not split on its colons, even with a dotted quad in it.
  assert.deepEqual(texts('::ffff:1.2.3.4,1.2.3.4:5.6.7.8'), ['::ffff:1.2.3.4/128', '1.2.3.4/32', '5.6.7.8/32']);
});

test('bad networks: exact messages, BadNetworkError is an InputError', () => {
  const cases: [string, string][] = [
    ['', "bad network '': empty"],
    [' , ', "bad network ',': empty"],
    ['10.0.0.0/33', "bad network '10.0.0.0/33': prefix length must be 0 to 32"],
    ['2001:db8::/129', "bad network '2001:db8::/129': prefix length must be 0 to 128"],
    ['10.0.0.0/', "bad network '10.0.0.0/': prefix length must be 0 to 32"],
    ['10.0.0.0/-1', "bad network '10.0.0.0/-1': '10.0.0.0/' is not an IPv4 or IPv6 address"],
    ['10.0.0.0/ 8', "bad network '10.0.0.0/ 8': prefix length must be 0 to 32"],
    ['1.2.3.4.5', "bad network '1.2.3.4.5': not an IPv4 or IPv6 address"],
    ['1.2.3.256', "bad network '1.2.3.256': not an IPv4 or IPv6 address"],
    ['010.1.2.3', "bad network '010.1.2.3': not an IPv4 or IPv6 address"],
    ['10.01', "bad network '10.01': not an IPv4 or IPv6 address"],
    ['eth0', "bad network 'eth0': not an IPv4 or IPv6 address"],
    ['2001:db8::g/64', "bad network '2001:db8::g/64': not an IPv4 or IPv6 address"],
    ['1:2:3:4:5:6:7:8:9', "bad network '1:2:3:4:5:6:7:8:9': not an IPv4 or IPv6 address"],
    ['::ffff:1.2.3.999', "bad network '::ffff:1.2.3.999': not an IPv4 or IPv6 address"],
    ['10.0.0.9-10.0.0.1', "bad network '10.0.0.9-10.0.0.1': range start is after its end"],
    ['10.0.0.1-::1', "bad network '10.0.0.1-::1': range mixes IPv4 and IPv6"],
    ['10.0.0.1-', "bad network '10.0.0.1-': '' is not an IPv4 or IPv6 address"],
    ['10.0.0.0/8-10.1.0.0', "bad network '10.0.0.0/8-10.1.0.0': '10.0.0.0/8' is not an IPv4 or IPv6 address"],
    ['10.0.0.0/8,bogus', "bad network 'bogus': not an IPv4 or IPv6 address"],
  ];
  for (const [spec, message] of cases) {
    assert.throws(
      () => parseNetworks(spec),
      (e: unknown) => {
        assert.ok(e instanceof BadNetworkError, spec);
        assert.ok(e instanceof InputError, spec);
        assert.equal(e.message, message);
        return true;
      },
    );
  }
});

// ---------------------------------------------------------------- net files

test('net file: one per line, # comments, blank lines; warnings and errors name FILE:LINE', () => {
  const text = ['# office', '10.10.0.0/16', '', '   2001:db8:10::/64   # v6', '10.20.1.5/24', '137.99.11\r', ''].join('\n');
  const r = parseNetText(text, 'nets.txt');
  assert.deepEqual(r.networks.map((n) => n.text), ['10.10.0.0/16', '2001:db8:10::/64', '10.20.1.0/24', '137.99.11.0/24']);
  assert.deepEqual(r.warnings, ["nets.txt:5: '10.20.1.5/24' has host bits set: using 10.20.1.0/24"]);
  assert.throws(() => parseNetText('10.0.0.0/8\n\n# x\n10.0.0.0/40 # typo\n', 'nets.txt'), {
    name: 'BadNetworkError',
    message: "nets.txt:4: bad network '10.0.0.0/40': prefix length must be 0 to 32",
  });
  assert.throws(() => parseNetText('10.0.0.0/8\nrouter1\n', 'nets.txt'), {
    message: "nets.txt:2: bad network 'router1': not an IPv4 or IPv6 address",
  });
  assert.equal(parseNetText('# nothing\n\n', 'empty.txt').networks.length, 0);
});

test('parseNetFile reads the file; an unreadable file is an InputError naming it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-prefixes-'));
  try {
    const file = path.join(dir, 'nets');
    fs.writeFileSync(file, '10.10.1.0/24\n2001:db8:10::/64\nbad/1\n');
    assert.throws(() => parseNetFile(file), { message: `${file}:3: bad network 'bad/1': not an IPv4 or IPv6 address` });
    fs.writeFileSync(file, '10.10.1.0/24\n2001:db8:10::/64\n');
    assert.deepEqual(parseNetFile(file).networks.map((n) => n.text), ['10.10.1.0/24', '2001:db8:10::/64']);
    const missing = path.join(dir, 'missing');
    assert.throws(() => parseNetFile(missing), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.message, `cannot read net file ${missing}: no such file`);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------- interfaces

test('interfaceNetworks: address + netmask → network; loopback, link-local and duplicates left out', () => {
  const v4 = (address: string, netmask: string, internal = false): os.NetworkInterfaceInfo => ({
    address,
    netmask,
    family: 'IPv4',
    mac: '00:00:00:00:00:00',
    internal,
    cidr: null,
  });
  const v6 = (address: string, netmask: string, internal = false): os.NetworkInterfaceInfo => ({
    address,
    netmask,
    family: 'IPv6',
    mac: '00:00:00:00:00:00',
    internal,
    cidr: null,
    scopeid: 0,
  });
  const nets = interfaceNetworks({
    lo: [v4('127.0.0.1', '255.0.0.0', true), v6('::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true)],
    eth0: [
      v4('10.10.1.23', '255.255.255.0'),
      v6('2001:db8:10::23', 'ffff:ffff:ffff:ffff::'),
      v6('fe80::1%eth0', 'ffff:ffff:ffff:ffff::'),
    ],
    eth1: [v4('169.254.7.7', '255.255.0.0'), v4('192.168.5.200', '255.255.255.252'), v4('10.10.1.99', '255.255.255.0')],
    odd: [v4('172.16.0.1', '255.0.255.0'), v4('127.0.0.2', '255.0.0.0')],
  });
  assert.deepEqual(
    nets.map((n) => [n.text, n.origin]),
    [
      ['10.10.1.0/24', 'eth0'],
      ['2001:db8:10::/64', 'eth0'],
      ['192.168.5.200/30', 'eth1'],
    ],
  );
  // The real machine's: whatever they are, never loopback or link-local.
  for (const n of interfaceNetworks()) {
    assert.ok(!n.text.startsWith('127.') && !n.text.startsWith('169.254.') && !n.text.startsWith('fe80:'), n.text);
  }
});

// ---------------------------------------------------------------- membership

/**
 * For each [net, one below, first, last, one above]: the first and last
 * addresses are in the set, the neighbours (when there are any) are not, and
 * an address of the other family never is.
 */
function checkEdges(cases: [string, string, string, string, string][], otherFamily: string): void {
  for (const [net, below, first, last, above] of cases) {
    assert.deepEqual(parseNetworks(net).warnings, [], `${net} is a clean network`);
    const s = setOf(net);
    assert.equal(s.contains(first), true, `${first} in ${net}`);
    assert.equal(s.contains(last), true, `${last} in ${net}`);
    if (below) assert.equal(s.contains(below), false, `${below} not in ${net}`);
    if (above) assert.equal(s.contains(above), false, `${above} not in ${net}`);
    assert.equal(s.contains(otherFamily), false, `${otherFamily} is of the other family`);
  }
}

/** Each prefix's first and last address are in it, one below and one above are not. */
test('membership at the edges of IPv4 prefixes', () => {
  const cases: [string, string, string, string, string][] = [
    // net, one below, first, last, one above
    ['10.10.0.0/16', '10.9.255.255', '10.10.0.0', '10.10.255.255', '10.11.0.0'],
    ['192.168.1.128/25', '192.168.1.127', '192.168.1.128', '192.168.1.255', '192.168.2.0'],
    ['10.0.0.6/31', '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8'],
    ['10.0.0.9/32', '10.0.0.8', '10.0.0.9', '10.0.0.9', '10.0.0.10'],
    ['128.0.0.0/1', '127.255.255.255', '128.0.0.0', '255.255.255.255', ''],
    ['0.0.0.0/1', '', '0.0.0.0', '127.255.255.255', '128.0.0.0'],
    ['255.255.255.255/32', '255.255.255.254', '255.255.255.255', '255.255.255.255', ''],
    ['0.0.0.0/32', '', '0.0.0.0', '0.0.0.0', '0.0.0.1'],
  ];
  checkEdges(cases, '2001:db8::1');
  const all = setOf('0.0.0.0/0');
  for (const a of ['0.0.0.0', '127.0.0.1', '255.255.255.255']) assert.equal(all.contains(a), true);
  assert.equal(all.contains('::'), false);
  const none = new PrefixSet([]);
  assert.equal(none.contains('10.0.0.1'), false);
  assert.equal(none.contains('::1'), false);
  assert.equal(none.containsV4(0xffffffff), false);
});

test('membership at the edges of IPv6 prefixes, lengths not multiples of 8, /0 and /128', () => {
  const cases: [string, string, string, string, string][] = [
    ['2001:db8:10::/64', '2001:db8:f:ffff:ffff:ffff:ffff:ffff', '2001:db8:10::', '2001:db8:10:0:ffff:ffff:ffff:ffff', '2001:db8:10:1::'],
    ['2001:db8::/29', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db8::', '2001:dbf:ffff:ffff:ffff:ffff:ffff:ffff', '2001:dc0::'],
    ['2001:db8:0:8::/61', '2001:db8:0:7:ffff:ffff:ffff:ffff', '2001:db8:0:8::', '2001:db8:0:f:ffff:ffff:ffff:ffff', '2001:db8:0:10::'],
    ['2001:db8::2:0:0/95', '2001:db8::1:ffff:ffff', '2001:db8::2:0:0', '2001:db8::3:ffff:ffff', '2001:db8::4:0:0'],
    ['2001:db8::100/121', '2001:db8::ff', '2001:db8::100', '2001:db8::17f', '2001:db8::180'],
    ['2001:db8::5/128', '2001:db8::4', '2001:db8::5', '2001:db8::5', '2001:db8::6'],
    ['8000::/1', '7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '8000::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', ''],
    ['::/1', '', '::', '7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '8000::'],
    ['::/128', '', '::', '::', '::1'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', ''],
  ];
  checkEdges(cases, '10.0.0.1');
  const all = setOf('::/0');
  for (const a of ['::', '::1', '2001:db8::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']) assert.equal(all.contains(a), true, a);
  assert.equal(all.contains('0.0.0.0'), false);
});

test('match: the most specific network, the first of identical ones; -1 outside and for non-addresses', () => {
  const s = setOf('10.0.0.0/8,10.1.0.0/16,10.1.2.0/24,2001:db8::/32,2001:db8:10::/64,10.1.0.0/16,10.1.2.3');
  assert.equal(s.size, 7);
  assert.equal(s.match('10.0.0.0'), 0);
  assert.equal(s.match('10.1.0.0'), 1, 'the first of the two 10.1.0.0/16');
  assert.equal(s.match('10.1.1.255'), 1);
  assert.equal(s.match('10.1.2.0'), 2);
  assert.equal(s.match('10.1.2.3'), 6);
  assert.equal(s.match('10.1.2.4'), 2);
  assert.equal(s.match('10.1.3.0'), 1);
  assert.equal(s.match('10.2.0.0'), 0);
  assert.equal(s.match('10.255.255.255'), 0);
  assert.equal(s.match('11.0.0.0'), -1);
  assert.equal(s.match('2001:db8:10::77'), 4);
  assert.equal(s.match('2001:db8:11::'), 3);
  assert.equal(s.match('2001:db9::'), -1);
  assert.equal(s.match('not an address'), -1);
  assert.equal(s.match('10.0.0.0/8'), -1);
  assert.equal(s.networks[s.match('10.1.2.3')]!.text, '10.1.2.3/32');
});

test('containsAt on a decoded packet: source and destination read in place from p.data', () => {
  // 10.10.1.5.12345 > 198.51.100.7.53: UDP, length 0 (raw IPv4)
  const frame = Buffer.from('4500001c00004000401100000a0a0105c633640730390035000800000000', 'hex');
  const p = new Packet();
  p.data = frame;
  p.start = 0;
  p.caplen = p.len = 28;
  p.linktype = LINKTYPE_RAW;
  decodePacket(p);
  assert.equal(p.ipVersion, 4);
  const s = setOf('10.10.1.0/24,2001:db8:10::/64');
  assert.equal(s.containsAt(p.ipVersion, p.data, p.srcOff), true);
  assert.equal(s.containsAt(p.ipVersion, p.data, p.dstOff), false);
  assert.equal(s.matchAt(p.ipVersion, p.data, p.srcOff), 0);
  assert.equal(martianReason(p.ipVersion, p.data, p.dstOff), undefined, '192.0.2.80: a lab\'s internet, not martian');
  assert.equal(s.containsAt(0, p.data, 0), false, 'no IP header: not local');
  // The IPv6 form at an odd offset, as addresses sit inside a frame.
  const buf = Buffer.concat([Buffer.alloc(3), bytes('2001:db8:10::42')]);
  assert.equal(s.containsAt(6, buf, 3), true);
  assert.equal(s.containsV6(buf, 3), true);
  assert.equal(s.containsV4(0x0a0a01ff), true);
  assert.equal(s.containsV4(0x0a0a0200), false);
  assert.equal(s.containsV4(-1), false, 'a signed 32-bit value is taken as unsigned');
});

/** Brute force: the most specific covering network, by scanning them all. */
function naiveMatch(networks: readonly Network[], version: 4 | 6, a: bigint): number {
  let best = -1;
  networks.forEach((n, i) => {
    if (n.version !== version) return;
    const size = 1n << BigInt((version === 4 ? 32 : 128) - n.prefixLen);
    if (a < n.first || a >= n.first + size) return;
    if (best < 0 || n.prefixLen > networks[best]!.prefixLen) best = i;
  });
  return best;
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('membership agrees with a brute-force scan for random nested and overlapping networks', () => {
  const rand = rng(7);
  for (let round = 0; round < 40; round++) {
    // Networks inside 10.0.0.0/22 (v4) and 2001:db8::/118 (v6), every size, some identical.
    const specs: string[] = [];
    for (let k = 0; k < 1 + Math.floor(rand() * 12); k++) {
      const len4 = 22 + Math.floor(rand() * 11);
      const a4 = (0x0a000000 + Math.floor(rand() * 1024)) >>> 0;
      specs.push(`${addrText(4, BigInt(a4))}/${len4}`);
      const len6 = 118 + Math.floor(rand() * 11);
      specs.push(`2001:db8::${Math.floor(rand() * 1024).toString(16)}/${len6}`);
    }
    const parsed = parseNetworks(specs.join(','));
    const s = new PrefixSet(parsed.networks);
    for (let a = 0x09ffffff; a <= 0x0a000400; a++) {
      assert.equal(s.matchV4(a), naiveMatch(parsed.networks, 4, BigInt(a)), `${addrText(4, BigInt(a))} in ${specs.join(',')}`);
    }
    const base = 0x20010db8n << 96n;
    for (let x = -1n; x <= 0x400n; x++) {
      const a = base + x;
      assert.equal(s.match(addrText(6, a)), naiveMatch(parsed.networks, 6, a), `${addrText(6, a)} in ${specs.join(',')}`);
    }
  }
});

/** The fewest aligned blocks covering [lo, hi], by trying every choice. */
function fewestBlocks(lo: number, hi: number, memo = new Map<number, number>()): number {
  if (lo > hi) return 0;
  const known = memo.get(lo);
  if (known !== undefined) return known;
  let best = Infinity;
  for (let size = 1; lo % size === 0 && lo + size - 1 <= hi; size *= 2) {
    best = Math.min(best, 1 + fewestBlocks(lo + size, hi, memo));
  }
  memo.set(lo, best);
  return best;
}

test('ranges split into the fewest CIDR blocks covering exactly the range (brute force on small ranges)', () => {
  const base = 0x0a000000;
  for (let lo = 0; lo < 64; lo++) {
    for (let hi = lo; hi < 64; hi++) {
      const spec = `${addrText(4, BigInt(base + lo))}-${addrText(4, BigInt(base + hi))}`;
      const nets = parseNetworks(spec).networks;
      assert.equal(nets.length, fewestBlocks(lo, hi), spec);
      const s = new PrefixSet(nets);
      for (let a = -1; a <= 64; a++) assert.equal(s.containsV4(base + a), a >= lo && a <= hi, `${a} in ${spec}`);
      // Disjoint: the block sizes add up to the range's size.
      const total = nets.reduce((sum, n) => sum + 2 ** (32 - n.prefixLen), 0);
      assert.equal(total, hi - lo + 1, spec);
    }
  }
  // The same on IPv6, through rangeToBlocks directly, at the top of the space.
  const top = (1n << 128n) - 1n;
  const blocks = rangeToBlocks(6, top - 5n, top);
  assert.deepEqual(
    blocks.map((b) => [addrText(6, b.first), b.prefixLen]),
    [
      ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffa', 127],
      ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc', 126],
    ],
  );
  assert.equal(rangeToBlocks(6, 1n, top).length, 128, '::1 to the end: one block of each size');
});

// ---------------------------------------------------------------- martians

test('martian sources: each row of the decision table', () => {
  const cases: [string, string | undefined][] = [
    // IPv4
    ['0.0.0.0', undefined], // DHCP client
    ['0.0.0.1', 'this-network'],
    ['0.255.255.255', 'this-network'],
    ['1.0.0.0', undefined],
    ['126.255.255.255', undefined],
    ['127.0.0.0', 'loopback'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['128.0.0.0', undefined],
    ['169.254.1.1', undefined], // link-local
    ['10.0.0.1', undefined],
    ['172.16.0.1', undefined],
    ['192.168.1.1', undefined],
    ['100.64.0.1', undefined],
    ['192.0.0.8', undefined],
    ['192.0.1.255', undefined],
    ['192.0.2.0', undefined],
    ['192.0.2.255', undefined],
    ['192.0.3.0', undefined],
    ['198.17.255.255', undefined],
    ['198.18.0.0', undefined],
    ['198.19.255.255', undefined],
    ['198.20.0.0', undefined],
    ['198.51.99.255', undefined],
    ['198.51.100.0', undefined],
    ['198.51.100.255', undefined],
    ['198.51.101.0', undefined],
    ['203.0.112.255', undefined],
    ['203.0.113.0', undefined],
    ['203.0.113.255', undefined],
    ['203.0.114.0', undefined],
    ['223.255.255.255', undefined],
    ['224.0.0.0', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.0', 'class-e'],
    ['255.255.255.254', 'class-e'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['::', undefined], // DAD, MLD
    ['::1', 'loopback'],
    ['::2', 'ipv4-compatible'],
    ['::10.0.0.1', 'ipv4-compatible'],
    ['::ffff:10.0.0.1', 'ipv4-mapped'],
    ['::ffff:0:0', 'ipv4-mapped'],
    ['::1:0:0:0', 'reserved'],
    ['64:ff9b::10.0.0.1', undefined],
    ['64:ff9b:1::1', undefined],
    ['64:ff9b:2::1', 'reserved'],
    ['100::', 'discard-only'],
    ['100::ffff:ffff:ffff:ffff', 'discard-only'],
    ['100:0:0:1::', 'reserved'],
    ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'],
    ['2000::', undefined],
    ['2001::1', undefined], // Teredo
    ['2001:2::', undefined],
    ['2001:2:0:ffff::', undefined],
    ['2001:2:1::', undefined],
    ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', undefined],
    ['2001:db8::', undefined],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', undefined],
    ['2001:db9::', undefined],
    ['2002:c000:201::1', undefined], // 6to4
    ['2606:4700::1111', undefined],
    ['3ffe:ffff::1', undefined],
    ['3fff::', undefined],
    ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', undefined],
    ['3fff:1000::', undefined],
    ['4000::', 'reserved'],
    ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'],
    ['fc00::', undefined],
    ['fd12:3456::1', undefined],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', undefined],
    ['fe00::', 'reserved'],
    ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'],
    ['fe80::', undefined],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', undefined],
    ['fec0::', 'site-local'],
    ['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'site-local'],
    ['ff00::', 'multicast'],
    ['ff02::1', 'multicast'],
  ];
  const seen = new Set<string>();
  for (const [addr, reason] of cases) {
    const a = parseAddress(addr)!;
    // At an offset inside a larger buffer, as in a frame.
    const buf = Buffer.concat([Buffer.alloc(5, 0xff), bytes(addr), Buffer.alloc(3, 0xff)]);
    assert.equal(martianReason(a.version, buf, 5), reason, addr);
    if (reason !== undefined) seen.add(reason);
  }
  assert.deepEqual([...seen].sort(), [...MARTIAN_REASONS].sort(), 'every reason token has a case');
  assert.equal(martianReason(0, Buffer.alloc(16), 0), undefined, 'no IP header, no verdict');
});

// ---------------------------------------------------------------- speed

test('speed: 10M lookups (printed, not asserted)', () => {
  const N = 10_000_000;
  const small = setOf('10.10.1.0/24,2001:db8:10::/64');
  const bigSpecs: string[] = [];
  for (let i = 0; i < 1000; i++) bigSpecs.push(`10.${i >> 4}.${(i & 15) * 16}.0/20`, `2001:db8:${i.toString(16)}::/48`);
  const big = new PrefixSet(parseNetworks(bigSpecs.join(',')).networks);
  // Addresses spread over the space and over the networks, in a buffer read in place.
  const addrs4 = new Uint32Array(4096);
  const buf6 = Buffer.alloc(4096 * 16);
  const rand = rng(1);
  for (let i = 0; i < 4096; i++) {
    addrs4[i] = i & 1 ? (0x0a000000 + Math.floor(rand() * 0x1000000)) >>> 0 : Math.floor(rand() * 2 ** 32);
    buf6.writeUInt32BE(i & 1 ? 0x20010db8 : Math.floor(rand() * 2 ** 32), i * 16);
    buf6.writeUInt32BE(Math.floor(rand() * 2 ** 32), i * 16 + 4);
  }
  const time = (label: string, fn: () => number): void => {
    const t0 = process.hrtime.bigint();
    const hits = fn();
    const ns = Number(process.hrtime.bigint() - t0);
    console.log(`# ${label}: ${(ns / N).toFixed(1)} ns/lookup, ${((N / ns) * 1e3).toFixed(1)} M/s (${hits} hits)`);
  };
  for (const [name, s] of [['2 networks', small], ['2000 networks', big]] as const) {
    time(`containsV4, ${name}`, () => {
      let hits = 0;
      for (let i = 0; i < N; i++) if (s.containsV4(addrs4[i & 4095]!)) hits++;
      return hits;
    });
    time(`containsV6, ${name}`, () => {
      let hits = 0;
      for (let i = 0; i < N; i++) if (s.containsV6(buf6, (i & 4095) * 16)) hits++;
      return hits;
    });
  }
  time('martianReason v6', () => {
    let hits = 0;
    for (let i = 0; i < N; i++) if (martianReason(6, buf6, (i & 4095) * 16) !== undefined) hits++;
    return hits;
  });
});
