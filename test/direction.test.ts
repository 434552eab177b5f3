/** trk-classify's direction and local address (src/classify/direction.ts), and -A/-I (src/cli/classify.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packet } from '../src/decode/packet.js';
import { parseAddress, parseNetworks, PrefixSet } from '../src/net/prefixes.js';
import { ipv4Text, ipv6Text } from '../src/format/addr.js';
import { DIR_NAMES, Directions, type OutsideRouter } from '../src/classify/direction.js';
import { enabledKinds } from '../src/cli/classify.js';

const LOCAL = new PrefixSet(parseNetworks('10.10.1.0/24, 2001:db8:10::/64').networks);
const ROUTER_MAC = '5a:c2:34:a9:97:98';

function addressBytes(text: string): Buffer {
  const a = parseAddress(text)!;
  const hex = a.value.toString(16).padStart(a.version === 4 ? 8 : 32, '0');
  return Buffer.from(hex, 'hex');
}

/** A packet as the decoders leave it: smac, then source and destination, at odd offsets inside a larger buffer. */
function packet(src: string, dst: string, smac = '32:72:13:b6:83:1a'): Packet {
  const s = addressBytes(src);
  const d = addressBytes(dst);
  const p = new Packet();
  p.data = Buffer.concat([Buffer.alloc(3, 0xee), Buffer.from(smac.replace(/:/g, ''), 'hex'), s, d, Buffer.alloc(2)]);
  p.smacOff = 3;
  p.ipVersion = s.length === 4 ? 4 : 6;
  p.srcOff = 9;
  p.dstOff = 9 + s.length;
  return p;
}

function classify(src: string, dst: string, opts: { local?: PrefixSet; outside?: OutsideRouter[]; smac?: string } = {}): [string, string | undefined] {
  const dirs = new Directions(opts.local ?? LOCAL, opts.outside ?? []);
  const p = packet(src, dst, opts.smac);
  const dir = DIR_NAMES[dirs.classify(p)]!;
  if (dirs.localOff < 0) return [dir, undefined];
  return [dir, p.ipVersion === 4 ? ipv4Text(p.data, dirs.localOff) : ipv6Text(p.data, dirs.localOff)];
}

test('direction: every case of the table, IPv4 and IPv6', () => {
  const cases: [string, string, string, string | undefined][] = [
    // src, dst, dir, local
    ['10.10.1.20', '192.0.2.80', 'out', '10.10.1.20'],
    ['192.0.2.80', '10.10.1.20', 'in', '10.10.1.20'],
    ['10.10.1.30', '10.10.1.1', 'internal', '10.10.1.30'],
    ['8.8.8.8', '1.1.1.1', 'transit', undefined],
    ['10.10.2.1', '10.10.1.0', 'in', '10.10.1.0'], // edges of the /24
    ['10.10.1.255', '10.10.0.255', 'out', '10.10.1.255'],
    ['2001:db8:10::20', '2606:4700::1111', 'out', '2001:db8:10::20'],
    ['2606:4700::1111', '2001:db8:10:0:3072:13ff:feb6:831a', 'in', '2001:db8:10:0:3072:13ff:feb6:831a'],
    ['2001:db8:10::20', '2001:db8:10::1', 'internal', '2001:db8:10::20'],
    ['2001:db8:11::1', '2001:db8:bad::1', 'transit', undefined],
    ['10.10.1.20', '255.255.255.255', 'out', '10.10.1.20'], // a broadcast destination is ordinary
    ['10.10.1.20', '224.0.0.251', 'out', '10.10.1.20'], // so is a multicast one
  ];
  for (const [src, dst, dir, local] of cases) assert.deepEqual(classify(src, dst), [dir, local], `${src} > ${dst}`);
});

test('direction: martian sources, IPv4 and IPv6, with the local destination as local', () => {
  const cases: [string, string, string | undefined][] = [
    ['127.0.0.1', '10.10.1.20', '10.10.1.20'],
    ['0.1.2.3', '10.10.1.20', '10.10.1.20'],
    ['224.0.0.5', '10.10.1.20', '10.10.1.20'],
    ['240.0.0.1', '8.8.8.8', undefined],
    ['255.255.255.255', '10.10.1.1', '10.10.1.1'],
    ['::1', '2001:db8:10::1', '2001:db8:10::1'],
    ['ff02::1', '2001:db8:10::1', '2001:db8:10::1'],
    ['fec0::1', '2606:4700::1111', undefined],
    ['::ffff:10.10.1.20', '2001:db8:10::1', '2001:db8:10::1'],
    ['4000::1', '2001:db8:10::1', '2001:db8:10::1'],
  ];
  for (const [src, dst, local] of cases) assert.deepEqual(classify(src, dst), ['martian', local], `${src} > ${dst}`);
  // sources that look odd but are real senders
  assert.deepEqual(classify('0.0.0.0', '255.255.255.255'), ['transit', undefined], 'DHCP discover');
  assert.deepEqual(classify('::', 'ff02::1:ff00:1'), ['transit', undefined], 'DAD probe');
  assert.deepEqual(classify('169.254.7.7', '10.10.1.20'), ['in', '10.10.1.20'], 'link-local');
  assert.deepEqual(classify('192.0.2.80', '10.10.1.20'), ['in', '10.10.1.20'], 'documentation block: a lab internet');
  assert.deepEqual(classify('fe80::1', '2001:db8:10::1'), ['in', '2001:db8:10::1'], 'link-local');
});

test('direction: a source inside a local network is never martian, whatever its class', () => {
  const lab = new PrefixSet(parseNetworks('240.0.0.0/4,fec0::/10').networks);
  assert.deepEqual(classify('240.0.0.1', '8.8.8.8', { local: lab }), ['out', '240.0.0.1']);
  assert.deepEqual(classify('fec0::1', '2606:4700::1111', { local: lab }), ['out', 'fec0::1']);
});

test('direction: a local source from the outside router is martian, unless it is the router\'s own', () => {
  const outside: OutsideRouter[] = [
    { mac: Buffer.from(ROUTER_MAC.replace(/:/g, ''), 'hex'), own: new PrefixSet(parseNetworks('10.10.1.1,2001:db8:10::1').networks) },
  ];
  assert.deepEqual(classify('10.10.1.50', '10.10.1.20', { outside, smac: ROUTER_MAC }), ['martian', '10.10.1.20'], 'spoofed inside address');
  assert.deepEqual(classify('10.10.1.50', '8.8.8.8', { outside, smac: ROUTER_MAC }), ['martian', undefined]);
  assert.deepEqual(classify('10.10.1.1', '10.10.1.20', { outside, smac: ROUTER_MAC }), ['internal', '10.10.1.1'], 'the router itself');
  assert.deepEqual(classify('2001:db8:10::1', '2001:db8:10::20', { outside, smac: ROUTER_MAC }), ['internal', '2001:db8:10::1']);
  assert.deepEqual(classify('192.0.2.80', '10.10.1.20', { outside, smac: ROUTER_MAC }), ['in', '10.10.1.20'], 'forwarded from outside');
  assert.deepEqual(classify('10.10.1.50', '10.10.1.20', { outside }), ['internal', '10.10.1.50'], 'another MAC: a local host');
});

test('direction: no IP header, no direction', () => {
  const p = new Packet();
  const dirs = new Directions(LOCAL);
  assert.equal(DIR_NAMES[dirs.classify(p)], '');
  assert.equal(dirs.localOff, -1);
});

test('-A / -I: defaults, families, all, and broader words first', () => {
  const sorted = (s: Set<string>): string[] => [...s].sort();
  const defaults = sorted(enabledKinds([], []));
  assert.deepEqual(defaults, ['bad_mac', 'dad', 'flipflop', 'gratuitous', 'mac_changed', 'na_wrongnet', 'ns_wrongnet', 'ra_wrongnet', 'wrongnet']);
  assert.deepEqual(sorted(enabledKinds(['wrongnet'], ['all'])), ['wrongnet']);
  assert.deepEqual(sorted(enabledKinds(['all'], ['gratuitous'])).includes('gratuitous'), false);
  assert.equal(enabledKinds(['all'], []).size, 11);
  assert.deepEqual(sorted(enabledKinds(['new_station,bogon'], ['icmp6'])), ['bad_mac', 'bogon', 'flipflop', 'gratuitous', 'mac_changed', 'new_station', 'wrongnet']);
  assert.deepEqual(sorted(enabledKinds(['dad'], ['icmp6'])), ['bad_mac', 'dad', 'flipflop', 'gratuitous', 'mac_changed', 'wrongnet']);
  assert.throws(() => enabledKinds(['wrongnett'], []), /unknown alert kind 'wrongnett'/);
});
