/**
 * trk-classify's watch (src/classify/watch.ts): every alert kind on packets
 * written for it, then lan-incident.pcap against its README and against
 * arpwatch itself, the allow list, the station bound and restarts, and the
 * tcpdump corpus run through without a throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCaptureInput, readCapture } from '../src/capture/file.js';
import { type Alert, DEFAULT_OFF } from '../src/classify/alert.js';
import { parseAllowText, type AllowList } from '../src/classify/allow.js';
import { parseMac } from '../src/classify/stations.js';
import { DAD_WINDOW_SECONDS, MAX_PENDING_PROBES, Watch, WATCH_COUNTERS, type WatchCounts } from '../src/classify/watch.js';
import { decodePacket } from '../src/decode/index.js';
import type { Packet } from '../src/decode/packet.js';
import { parseNetworks, PrefixSet } from '../src/net/prefixes.js';
import { arpFrame, naFrame, nsFrame, prefixInfo, raFrame, sourceLla, targetLla, udpFrame } from './helpers/frames.js';
import { LAN_CAPTURE, noCorpus, TCPDUMP_CORPUS } from './helpers/paths.js';

const LAN_NETS = '10.10.1.0/24,2001:db8:10::/64';
const ARPWATCH = '/usr/sbin/arpwatch';

function watch(nets = LAN_NETS, options: { maxStations?: number; allow?: AllowList } = {}): Watch {
  return new Watch({ local: new PrefixSet(parseNetworks(nets).networks), maxStations: options.maxStations ?? 1000, ...options });
}

/** The alerts of one packet, as `kind k=v,k=v`. */
function inspect(w: Watch, p: Packet, ts = 1000): string[] {
  const out: Alert[] = [];
  w.inspect(p, ts, out);
  return out.map(line);
}

const line = (a: Alert): string => `${a.kind} ${a.details.map(([k, v]) => `${k}=${v}`).join(',')}`;
const detail = (a: Alert, key: string): string | undefined => a.details.find(([k]) => k === key)?.[1];

/** The non-zero counters, for short comparisons. */
function nonZero(c: WatchCounts): Partial<WatchCounts> {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== 0));
}

// The players of the hand-written packets: a router, two hosts, a stranger.
const ROUTER = { mac: '5a:c2:34:a9:97:98', ip: '10.10.1.1' };
const PC = { mac: '32:72:13:b6:83:1a', ip: '10.10.1.20' };
const PC30 = { mac: '4e:9f:af:d9:0c:01', ip: '10.10.1.30' };
const ROGUE = { mac: 'e6:eb:8b:70:75:21', ip: '10.20.5.4' };
const BEEF = '02:00:00:00:be:ef';
const B0 = '02:00:00:00:00:b0';

const ask = (who: { mac: string; ip: string }, tpa: string, extra: Partial<Parameters<typeof arpFrame>[0]> = {}): Packet =>
  arpFrame({ op: 1, sha: who.mac, spa: who.ip, tpa, ...extra });
const reply = (who: { mac: string; ip: string }, to: { mac: string; ip: string }, extra: Partial<Parameters<typeof arpFrame>[0]> = {}): Packet =>
  arpFrame({ op: 2, sha: who.mac, spa: who.ip, tha: to.mac, tpa: to.ip, dst: to.mac, ...extra });

test('an ordinary packet costs nothing and counts nothing', () => {
  const w = watch();
  assert.deepEqual(inspect(w, udpFrame('10.10.1.20', '192.0.2.80')), []);
  assert.deepEqual(nonZero(w.takeCounts()), {});
  assert.deepEqual(Object.keys(w.takeCounts()), [...WATCH_COUNTERS]);
});

test('ARP wrongnet: a target outside the local networks, asked for or answered; never the answer to a probe', () => {
  const w = watch();
  assert.deepEqual(inspect(w, ask(ROGUE, '10.20.5.1', { tha: 'ff:ff:ff:ff:ff:ff' })), [
    'wrongnet smac=e6:eb:8b:70:75:21,dmac=ff:ff:ff:ff:ff:ff,arp_sip=10.20.5.4,arp_dip=10.20.5.1,arp_smac=e6:eb:8b:70:75:21,arp_dmac=ff:ff:ff:ff:ff:ff',
    'new_station smac=e6:eb:8b:70:75:21,dmac=ff:ff:ff:ff:ff:ff,arp_sip=10.20.5.4,arp_dip=10.20.5.1,arp_smac=e6:eb:8b:70:75:21,arp_dmac=ff:ff:ff:ff:ff:ff',
    'bogon smac=e6:eb:8b:70:75:21,dmac=ff:ff:ff:ff:ff:ff,arp_sip=10.20.5.4,arp_dip=10.20.5.1,arp_smac=e6:eb:8b:70:75:21,arp_dmac=ff:ff:ff:ff:ff:ff',
  ]);
  inspect(w, ask(PC, ROUTER.ip));
  assert.deepEqual(inspect(w, ask(PC, '192.0.2.1')).map((a) => a.split(' ')[0]), ['wrongnet'], 'a local host asking off-net');
  const out: Alert[] = [];
  w.inspect(reply(PC, { mac: ROGUE.mac, ip: '10.20.5.4' }), 1000, out);
  assert.deepEqual(out.map((a) => [a.kind, a.sentence]), [['wrongnet', '10.10.1.20 at 32:72:13:b6:83:1a answers 10.20.5.4, outside the local networks']]);
  // a host defending its address answers the prober at 0.0.0.0
  assert.deepEqual(inspect(w, reply(PC, { mac: '02:00:00:00:00:99', ip: '0.0.0.0' })), []);
  assert.deepEqual(nonZero(w.takeCounts()), { arp: 5, arp_wrongnet: 3, arp_new_station: 2, arp_bogon: 1 });
});

test('ARP gratuitous: sender = target, request or reply; an RFC 5227 probe is not', () => {
  const w = watch();
  inspect(w, ask(PC30, ROUTER.ip));
  const out: Alert[] = [];
  w.inspect(ask(PC30, PC30.ip), 1000, out);
  w.inspect(arpFrame({ op: 2, sha: PC30.mac, spa: PC30.ip, tpa: PC30.ip }), 1001, out);
  assert.deepEqual(
    out.map((a) => [a.kind, a.family, a.sentence]),
    [
      ['gratuitous', 'ARP', '10.10.1.30 at 4e:9f:af:d9:0c:01 announces itself (gratuitous ARP request)'],
      ['gratuitous', 'ARP', '10.10.1.30 at 4e:9f:af:d9:0c:01 announces itself (gratuitous ARP reply)'],
    ],
  );
  assert.deepEqual(inspect(w, arpFrame({ op: 1, sha: '02:00:00:00:00:77', spa: '0.0.0.0', tpa: '10.10.1.77' })), [], 'probe: no sender yet');
  assert.equal(w.stations.size, 1, 'and a probe is no station');
});

test('ARP mac_changed, flipflop and new_station: the station history, with old_mac and prev_seen', () => {
  const w = watch();
  const out: Alert[] = [];
  const see = (mac: string, ts: number): string[] => {
    out.length = 0;
    w.inspect(ask({ mac, ip: PC30.ip }, ROUTER.ip), ts, out);
    return out.map((a) => `${a.kind} ${a.details.filter(([k]) => k === 'old_mac' || k === 'prev_seen').map(([k, v]) => `${k}=${v}`).join(',')} | ${a.sentence}`);
  };
  assert.deepEqual(see(PC30.mac, 1795340527.833), ['new_station  | new station 10.10.1.30 at 4e:9f:af:d9:0c:01']);
  assert.deepEqual(see(PC30.mac, 1795340528), []);
  assert.deepEqual(see(BEEF, 1795340531.802), ['mac_changed old_mac=4e:9f:af:d9:0c:01,prev_seen=3 | 10.10.1.30 changed from 4e:9f:af:d9:0c:01 to 02:00:00:00:be:ef']);
  assert.deepEqual(see(B0, 1795340533.028), ['mac_changed old_mac=02:00:00:00:be:ef,prev_seen=2 | 10.10.1.30 changed from 02:00:00:00:be:ef to 02:00:00:00:00:b0']);
  assert.deepEqual(see(BEEF, 1795340534.05), ['flipflop old_mac=02:00:00:00:00:b0,prev_seen=1 | 10.10.1.30 flipped back from 02:00:00:00:00:b0 to 02:00:00:00:be:ef']);
  assert.deepEqual(see(BEEF, 1795340535), []);
  assert.deepEqual(nonZero(w.takeCounts()), { arp: 6, arp_new_station: 1, arp_mac_changed: 2, arp_flipflop: 1 });
});

test('the station table learns from replies too, and only where Ethernet source and sender hardware address agree (arpwatch)', () => {
  const w = watch();
  assert.deepEqual(inspect(w, reply(ROUTER, PC)).map((a) => a.split(' ')[0]), ['new_station']);
  // relayed by a bridge or proxy: arpwatch's "ethernet mismatch", not learnt
  assert.deepEqual(inspect(w, reply({ mac: BEEF, ip: ROUTER.ip }, PC, { src: '02:00:00:00:00:01' })), []);
  assert.equal(w.stations.size, 1);
  assert.deepEqual(inspect(w, reply({ mac: BEEF, ip: ROUTER.ip }, PC)).map((a) => a.split(' ')[0]), ['mac_changed']);
  // other operations (RARP request, InARP) say nothing about the sender
  assert.deepEqual(inspect(w, arpFrame({ op: 3, sha: B0, spa: '10.10.1.99', tpa: '10.20.0.1', ethertype: 0x8035 })), []);
  assert.deepEqual(nonZero(w.takeCounts()), { arp: 4, arp_new_station: 1, arp_mac_changed: 1 });
});

test('ARP bogon: a sender outside the local networks; 0.0.0.0 never is', () => {
  const w = watch();
  const out: Alert[] = [];
  w.inspect(ask({ mac: BEEF, ip: '192.168.0.5' }, '10.10.1.1'), 1000, out);
  assert.deepEqual(out.map((a) => [a.kind, a.sentence]), [
    ['new_station', 'new station 192.168.0.5 at 02:00:00:00:be:ef'],
    ['bogon', '192.168.0.5 at 02:00:00:00:be:ef sends ARP from outside the local networks'],
  ]);
  assert.deepEqual(inspect(w, arpFrame({ sha: B0, spa: '0.0.0.0', tpa: '10.10.1.5' })), []);
});

test('ARP bad_mac: broadcast, multicast or zero sender hardware address or Ethernet source; never a station', () => {
  const w = watch();
  const kinds = (p: Packet): string[] => {
    const out: Alert[] = [];
    w.inspect(p, 1000, out);
    return out.map((a) => `${a.kind}: ${a.sentence}`);
  };
  assert.deepEqual(kinds(ask({ mac: 'ff:ff:ff:ff:ff:ff', ip: '10.10.1.40' }, ROUTER.ip, { src: BEEF })), [
    'bad_mac: ARP request from 10.10.1.40 with a bad sender hardware address ff:ff:ff:ff:ff:ff (broadcast)',
  ]);
  assert.deepEqual(kinds(ask({ mac: '00:00:00:00:00:00', ip: '10.10.1.41' }, ROUTER.ip, { src: BEEF })), [
    'bad_mac: ARP request from 10.10.1.41 with a bad sender hardware address 00:00:00:00:00:00 (all-zero)',
  ]);
  assert.deepEqual(kinds(reply({ mac: '03:bf:0a:0a:01:2a', ip: '10.10.1.42' }, PC)), [
    'bad_mac: ARP reply from 10.10.1.42 with a bad sender hardware address 03:bf:0a:0a:01:2a (multicast)',
  ]);
  assert.deepEqual(kinds(ask({ mac: BEEF, ip: '10.10.1.43' }, ROUTER.ip, { src: '01:00:5e:00:00:01' })), [
    'bad_mac: ARP request from 10.10.1.43 with a bad Ethernet source 01:00:5e:00:00:01 (multicast)',
  ]);
  assert.equal(w.stations.size, 0);
  assert.deepEqual(nonZero(w.takeCounts()), { arp: 4, arp_bad_mac: 4 });
});

test('tagged ARP: stations per VLAN, and the VLAN stack in the details', () => {
  const w = watch();
  assert.deepEqual(inspect(w, ask(PC30, ROUTER.ip, { vlans: [30] })).map((a) => a.split(' ')[0]), ['new_station']);
  // the same address on VLAN 40 is another station, not a changed MAC
  assert.deepEqual(inspect(w, ask({ mac: BEEF, ip: PC30.ip }, ROUTER.ip, { vlans: [40] })).map((a) => a.split(' ')[0]), ['new_station']);
  // a priority tag (VLAN 0) is the untagged domain
  assert.deepEqual(inspect(w, ask({ mac: B0, ip: PC30.ip }, ROUTER.ip)).map((a) => a.split(' ')[0]), ['new_station']);
  assert.deepEqual(inspect(w, ask({ mac: B0, ip: PC30.ip }, ROUTER.ip, { vlans: [0] })), []);
  const out: Alert[] = [];
  w.inspect(ask({ mac: B0, ip: PC30.ip }, ROUTER.ip, { vlans: [100, 30] }), 1000, out);
  w.inspect(ask({ mac: BEEF, ip: PC30.ip }, ROUTER.ip, { vlans: [30] }), 1001, out);
  assert.deepEqual(
    out.map((a) => [a.kind, detail(a, 'old_mac'), detail(a, 'vlan'), a.sentence]),
    [
      ['new_station', undefined, '100.30', 'new station 10.10.1.30 at 02:00:00:00:00:b0 on VLAN 100.30'],
      ['mac_changed', '4e:9f:af:d9:0c:01', '30', '10.10.1.30 changed from 4e:9f:af:d9:0c:01 to 02:00:00:00:be:ef on VLAN 30'],
    ],
  );
  assert.equal(w.stations.size, 4);
});

const ROUTER6 = { smac: ROUTER.mac, src: 'fe80::58c2:34ff:fea9:9798' };
const ROGUE6 = { smac: ROGUE.mac, src: 'fe80::e4eb:8bff:fe70:7521' };

test('ns_wrongnet / na_wrongnet: a target outside the local IPv6 networks; link-local targets never', () => {
  const w = watch();
  const out: Alert[] = [];
  const look = (p: Packet): void => w.inspect(p, 1000, out);
  look(nsFrame({ smac: PC.mac, dmac: '33:33:ff:00:00:01', src: '2001:db8:10::20', dst: 'ff02::1:ff00:1', target: '2001:db8:10::1', options: sourceLla(PC.mac) }));
  look(nsFrame({ smac: PC.mac, dmac: ROUTER.mac, src: 'fe80::3072:13ff:feb6:831a', dst: ROUTER6.src, target: ROUTER6.src }));
  look(naFrame({ smac: ROUTER.mac, dmac: PC.mac, src: ROUTER6.src, dst: 'fe80::3072:13ff:feb6:831a', target: ROUTER6.src, solicited: true }));
  assert.equal(out.length, 0, 'local and link-local targets');
  look(nsFrame({ smac: PC.mac, dmac: '33:33:ff:00:00:01', src: '2001:db8:10::20', dst: 'ff02::1:ff00:1', target: '2001:db8:99::1', options: sourceLla(PC.mac) }));
  look(nsFrame({ smac: ROGUE.mac, dmac: '33:33:ff:70:75:21', src: '::', dst: 'ff02::1:ff70:7521', target: '2001:db8:bad:0:e4eb:8bff:fe70:7521' }));
  look(naFrame({ smac: ROGUE.mac, dmac: '33:33:00:00:00:01', src: ROGUE6.src, dst: 'ff02::1', target: '2001:db8:bad::1', options: targetLla(ROGUE.mac) }));
  assert.deepEqual(
    out.map((a) => [a.family, line(a), a.sentence]),
    [
      [
        'ICMPv6',
        'ns_wrongnet smac=32:72:13:b6:83:1a,dmac=33:33:ff:00:00:01,sip=2001:db8:10::20,dip=ff02::1:ff00:1,target=2001:db8:99::1',
        '2001:db8:10::20 (32:72:13:b6:83:1a) solicits 2001:db8:99::1, outside the local networks',
      ],
      [
        'ICMPv6',
        'ns_wrongnet smac=e6:eb:8b:70:75:21,dmac=33:33:ff:70:75:21,sip=::,dip=ff02::1:ff70:7521,target=2001:db8:bad:0:e4eb:8bff:fe70:7521',
        'duplicate address detection probe from e6:eb:8b:70:75:21 for 2001:db8:bad:0:e4eb:8bff:fe70:7521, outside the local networks',
      ],
      [
        'ICMPv6',
        'na_wrongnet smac=e6:eb:8b:70:75:21,dmac=33:33:00:00:00:01,sip=fe80::e4eb:8bff:fe70:7521,dip=ff02::1,target=2001:db8:bad::1',
        'fe80::e4eb:8bff:fe70:7521 (e6:eb:8b:70:75:21) advertises 2001:db8:bad::1, outside the local networks',
      ],
    ],
  );
  assert.deepEqual(nonZero(w.takeCounts()), { icmp6: 6, icmp6_ns_wrongnet: 2, icmp6_na_wrongnet: 1 });
});

test('ra_wrongnet: a prefix that is not a local network of that very length; one alert per RA listing every such prefix', () => {
  const w = watch();
  const ra = (options: string): Packet => raFrame({ ...ROGUE6, dmac: '33:33:00:00:00:01', dst: 'ff02::1', options });
  assert.deepEqual(inspect(w, raFrame({ ...ROUTER6, dmac: '33:33:00:00:00:01', dst: 'ff02::1', options: sourceLla(ROUTER.mac) + prefixInfo('2001:db8:10::', 64) })), []);
  assert.deepEqual(inspect(w, ra(sourceLla(ROGUE.mac))), [], 'an RA without prefixes (a default router only)');
  assert.deepEqual(inspect(w, ra(prefixInfo('fe80::', 64))), [], 'the link-local prefix is on every link');
  assert.deepEqual(inspect(w, ra(sourceLla(ROGUE.mac) + prefixInfo('2001:db8:bad::', 64))), [
    'ra_wrongnet smac=e6:eb:8b:70:75:21,dmac=33:33:00:00:00:01,sip=fe80::e4eb:8bff:fe70:7521,dip=ff02::1,prefix=2001:db8:bad::/64',
  ]);
  const out: Alert[] = [];
  w.inspect(ra(prefixInfo('2001:db8:10::', 64) + prefixInfo('2001:db8:10::', 56) + prefixInfo('2001:db8:bad::', 64)), 1000, out);
  assert.deepEqual(
    out.map((a) => [line(a).replace(/.*,prefix=/, 'prefix='), a.sentence]),
    [
      [
        'prefix=2001:db8:10::/56+2001:db8:bad::/64',
        'router fe80::e4eb:8bff:fe70:7521 (e6:eb:8b:70:75:21) advertises 2001:db8:10::/56, 2001:db8:bad::/64, not a local prefix (2001:db8:10::/56: the local network is 2001:db8:10::/64)',
      ],
    ],
  );
  assert.deepEqual(nonZero(w.takeCounts()), { icmp6: 5, icmp6_ra_wrongnet: 2 });
});

test('ra_wrongnet: a /64 inside a local aggregate is local; another length inside it is not', () => {
  const w = watch('10.10.1.0/24,2001:db8::/32');
  const ra = (options: string): Packet => raFrame({ ...ROUTER6, dmac: '33:33:00:00:00:01', dst: 'ff02::1', options });
  assert.deepEqual(inspect(w, ra(prefixInfo('2001:db8:10::', 64))), [], 'the site names its /32; routers advertise /64s from it');
  assert.deepEqual(inspect(w, ra(prefixInfo('2001:db8::', 32))), [], 'the aggregate itself');
  assert.equal(inspect(w, ra(prefixInfo('2001:db8:10::', 80))).length, 1, 'a /80 breaks autoconfiguration');
  assert.equal(inspect(w, ra(prefixInfo('2001:db9:10::', 64))).length, 1, 'outside the aggregate');
});

test('dad: an NA from another MAC for an address a DAD probe just asked about, on the same link', () => {
  const target = '2001:db8:10::ff:fe00:b0';
  const probe = (vlans: number[] = []): Packet =>
    nsFrame({ smac: BEEF, dmac: '33:33:ff:00:00:b0', src: '::', dst: 'ff02::1:ff00:b0', target, vlans });
  const defend = (mac: string, vlans: number[] = []): Packet =>
    naFrame({ smac: mac, dmac: '33:33:00:00:00:01', src: '2001:db8:10::ff:fe00:b0', dst: 'ff02::1', target, options: targetLla(mac), vlans });

  const w = watch();
  assert.deepEqual(inspect(w, probe(), 100), [], 'a probe for a local address is no alert by itself');
  const out: Alert[] = [];
  w.inspect(defend(B0), 100.4, out);
  assert.deepEqual(
    out.map((a) => [line(a), a.sentence]),
    [
      [
        'dad smac=02:00:00:00:00:b0,dmac=33:33:00:00:00:01,sip=2001:db8:10::ff:fe00:b0,dip=ff02::1,target=2001:db8:10::ff:fe00:b0,probe_mac=02:00:00:00:be:ef',
        '2001:db8:10::ff:fe00:b0 is already in use: 02:00:00:00:00:b0 answered the duplicate address detection probe of 02:00:00:00:be:ef',
      ],
    ],
  );
  assert.deepEqual(inspect(w, defend(B0), 100.5), [], 'one alert per probe answered');

  inspect(w, probe(), 200);
  assert.deepEqual(inspect(w, defend(BEEF), 200.5), [], 'the prober announcing its new address');
  assert.deepEqual(inspect(w, defend(B0), 200 + DAD_WINDOW_SECONDS + 0.5), [], 'too late to be an answer');

  inspect(w, probe([30]), 300);
  assert.deepEqual(inspect(w, defend(B0, [40]), 300.2), [], 'another VLAN is another link');
  assert.deepEqual(inspect(w, defend(B0, [30]), 300.3).map((a) => a.replace(/^(\S+).*(vlan=\S+)$/, '$1 $2')), ['dad vlan=30']);
  assert.deepEqual(nonZero(w.takeCounts()), { icmp6: 9, icmp6_dad: 2 });
});

test('dad: the pending probes are bounded, the oldest forgotten first', () => {
  const w = watch();
  const target = (i: number): string => `2001:db8:10::${(i + 1).toString(16)}`;
  for (let i = 0; i <= MAX_PENDING_PROBES; i++) {
    inspect(w, nsFrame({ smac: BEEF, dmac: '33:33:ff:00:00:01', src: '::', dst: 'ff02::1:ff00:1', target: target(i) }), 100);
  }
  const answer = (i: number): string[] =>
    inspect(w, naFrame({ smac: B0, dmac: '33:33:00:00:00:01', src: target(i), dst: 'ff02::1', target: target(i) }), 100.5).map((a) => a.split(' ')[0]!);
  assert.deepEqual(answer(0), [], 'the first probe was forgotten');
  assert.deepEqual(answer(1), ['dad']);
  assert.deepEqual(answer(MAX_PENDING_PROBES), ['dad']);
});

test('a family with no local network is not judged for wrongnet, bogon, ra_wrongnet', () => {
  const v4only = watch('10.10.1.0/24');
  assert.equal(v4only.judgesV6, false);
  assert.deepEqual(inspect(v4only, nsFrame({ smac: PC.mac, dmac: '33:33:ff:00:00:01', src: '2001:db8:99::20', dst: 'ff02::1:ff00:1', target: '2001:db8:99::1' })), []);
  assert.deepEqual(inspect(v4only, raFrame({ ...ROGUE6, dmac: '33:33:00:00:00:01', dst: 'ff02::1', options: prefixInfo('2001:db8:bad::', 64) })), []);
  const v6only = watch('2001:db8:10::/64');
  assert.equal(v6only.judgesV4, false);
  assert.deepEqual(inspect(v6only, ask(ROGUE, '10.20.5.1')).map((a) => a.split(' ')[0]), ['new_station']);
});

test('the allow list silences each kind by the addresses its header names, and counts what it silenced', () => {
  const allow = parseAllowText(
    [
      '10.20.5.1 wrongnet # the target',
      '10.10.1.50 gratuitous',
      '5a:c2:34:a9:97:98 mac_changed,flipflop # a proxy-ARP router: either side of the change',
      '10.99.0.0/16',
      '02:00:00:00:00:77 bad_mac # by Ethernet source',
      '2001:db8:20::/64 ra_wrongnet',
      'fe80::1 ra_wrongnet # a router by its address',
      '2001:db8:99::/64 ns_wrongnet,na_wrongnet',
      'vlan 30',
      '02:00:00:00:be:ef dad # the prober',
    ].join('\n'),
    'allow.conf',
  );
  const w = watch(LAN_NETS, { allow });
  const kinds = (p: Packet, ts = 1000): string[] => inspect(w, p, ts).map((a) => a.split(' ')[0]!);
  assert.deepEqual(kinds(ask(PC, '10.20.5.1')), ['new_station'], 'wrongnet allowed by target');
  assert.deepEqual(kinds(ask(PC, '10.20.5.2')), ['wrongnet']);
  assert.deepEqual(kinds(ask({ mac: BEEF, ip: '10.99.0.4' }, '10.99.0.1')), [], 'every kind of 10.99.0.0/16, by sender');
  assert.deepEqual(kinds(ask({ mac: BEEF, ip: '10.10.1.50' }, '10.10.1.50')), ['new_station']);
  assert.deepEqual(kinds(ask({ mac: BEEF, ip: '10.10.1.51' }, '10.10.1.51')), ['gratuitous', 'new_station']);
  assert.deepEqual(kinds(reply(ROUTER, PC)), ['new_station']);
  assert.deepEqual(kinds(reply({ mac: BEEF, ip: ROUTER.ip }, PC)), [], 'from the router MAC: allowed by the MAC left');
  assert.deepEqual(kinds(reply(ROUTER, PC)), [], 'back to it: allowed by the new MAC');
  assert.deepEqual(kinds(ask({ mac: B0, ip: PC.ip }, ROUTER.ip)), ['mac_changed'], 'not the router: alerts');
  assert.deepEqual(kinds(ask({ mac: 'ff:ff:ff:ff:ff:ff', ip: '10.10.1.60' }, ROUTER.ip, { src: '02:00:00:00:00:77' })), []);
  assert.deepEqual(kinds(ask({ mac: BEEF, ip: PC30.ip }, '10.20.5.9', { vlans: [30] })), [], 'vlan 30: all kinds');

  const ra = (src: string, prefixes: string): Packet => raFrame({ src, smac: ROGUE.mac, dmac: '33:33:00:00:00:01', dst: 'ff02::1', options: prefixes });
  assert.deepEqual(kinds(ra(ROGUE6.src, prefixInfo('2001:db8:20::', 64))), []);
  assert.deepEqual(inspect(w, ra(ROGUE6.src, prefixInfo('2001:db8:20::', 64) + prefixInfo('2001:db8:bad::', 64))).map((a) => a.replace(/.*,prefix=/, '')), ['2001:db8:bad::/64'], 'only the prefix not allowed');
  assert.deepEqual(kinds(ra('fe80::1', prefixInfo('2001:db8:bad::', 64))), []);
  assert.deepEqual(kinds(nsFrame({ smac: PC.mac, dmac: '33:33:ff:00:00:01', src: '2001:db8:10::20', dst: 'ff02::1:ff00:1', target: '2001:db8:99::1' })), []);
  assert.deepEqual(kinds(naFrame({ smac: PC.mac, dmac: '33:33:00:00:00:01', src: '2001:db8:10::20', dst: 'ff02::1', target: '2001:db8:98::1' })), ['na_wrongnet']);
  kinds(nsFrame({ smac: BEEF, dmac: '33:33:ff:00:00:b0', src: '::', dst: 'ff02::1:ff00:b0', target: '2001:db8:10::b0' }), 2000);
  assert.deepEqual(kinds(naFrame({ smac: B0, dmac: '33:33:00:00:00:01', src: '2001:db8:10::b0', dst: 'ff02::1', target: '2001:db8:10::b0' }), 2000.1), []);
  const counts = w.takeCounts();
  assert.deepEqual(nonZero(counts), {
    arp: 11,
    icmp6: 7,
    arp_wrongnet: 1,
    arp_gratuitous: 1,
    arp_mac_changed: 1,
    arp_new_station: 4,
    icmp6_ra_wrongnet: 1,
    icmp6_na_wrongnet: 1,
    allowed: 14,
  });

  // replaced on SIGHUP: from the next packet on
  w.setAllow(undefined);
  assert.deepEqual(kinds(ask(ROUTER, '10.20.5.1')), ['wrongnet']);
});

// ---- lan-incident.pcap ----

interface Raised {
  ts: number;
  alert: Alert;
}

/** Every alert of a capture file (from packet `from` on, up to but not including `to`), and the counts. */
async function watchFile(w: Watch, file: string, range: { from?: number; to?: number } = {}): Promise<Raised[]> {
  const raised: Raised[] = [];
  const out: Alert[] = [];
  let n = 0;
  await readCapture(openCaptureInput(file), file, {
    packet(p) {
      const i = n++;
      if (i < (range.from ?? 0) || i >= (range.to ?? Infinity)) return;
      decodePacket(p);
      const ts = p.tsSec + p.tsFrac / 10 ** p.tsDigits;
      out.length = 0;
      w.inspect(p, ts, out);
      for (const alert of out) raised.push({ ts, alert });
    },
    drain: () => undefined,
  });
  return raised;
}

const second = (ts: number): string => new Date(Math.floor(ts) * 1000).toISOString().slice(11, 19);
const shown = (raised: Raised[]): Raised[] => raised.filter((r) => !DEFAULT_OFF.includes(r.alert.kind));

/** What the README of lan-incident.pcap says happens, as alerts at their seconds (UTC). */
const LAN_INCIDENTS = [
  '09:42:02 wrongnet 10.20.5.4 who-has 10.20.5.1',
  '09:42:03 wrongnet 10.20.5.4 who-has 10.20.5.1',
  '09:42:04 gratuitous 10.10.1.30 4e:9f:af:d9:0c:01',
  '09:42:05 gratuitous 10.10.1.30 4e:9f:af:d9:0c:01',
  '09:42:06 ra_wrongnet e6:eb:8b:70:75:21 2001:db8:bad::/64',
  '09:42:06 ns_wrongnet probe 2001:db8:bad:0:3072:13ff:feb6:831a',
  '09:42:06 ns_wrongnet probe 2001:db8:bad:0:e4eb:8bff:fe70:7521',
  '09:42:07 ns_wrongnet probe 2001:db8:bad:0:4c9f:afff:fed9:c01',
  '09:42:08 ra_wrongnet e6:eb:8b:70:75:21 2001:db8:bad::/64',
  '09:42:11 mac_changed 10.10.1.30 4e:9f:af:d9:0c:01 -> 02:00:00:00:be:ef',
  '09:42:12 gratuitous 10.10.1.30 02:00:00:00:be:ef',
  '09:42:12 ra_wrongnet e6:eb:8b:70:75:21 2001:db8:bad::/64',
  '09:42:12 ns_wrongnet probe 2001:db8:bad::ff:fe00:beef',
  '09:42:13 gratuitous 10.10.1.30 02:00:00:00:00:b0',
  '09:42:13 mac_changed 10.10.1.30 02:00:00:00:be:ef -> 02:00:00:00:00:b0',
  '09:42:14 gratuitous 10.10.1.30 02:00:00:00:be:ef',
  '09:42:14 flipflop 10.10.1.30 02:00:00:00:00:b0 -> 02:00:00:00:be:ef',
  '09:42:16 ra_wrongnet e6:eb:8b:70:75:21 2001:db8:bad::/64',
  '09:42:20 ra_wrongnet e6:eb:8b:70:75:21 2001:db8:bad::/64',
  '09:42:23 ra_wrongnet e6:eb:8b:70:75:21 2001:db8:bad::/64',
  '09:42:27 ra_wrongnet e6:eb:8b:70:75:21 2001:db8:bad::/64',
  '09:42:30 ra_wrongnet e6:eb:8b:70:75:21 2001:db8:bad::/64',
];

function incident({ ts, alert: a }: Raised): string {
  const at = second(ts);
  switch (a.kind) {
    case 'wrongnet':
      return `${at} wrongnet ${detail(a, 'arp_sip')} who-has ${detail(a, 'arp_dip')}`;
    case 'gratuitous':
      return `${at} gratuitous ${detail(a, 'arp_sip')} ${detail(a, 'arp_smac')}`;
    case 'mac_changed':
    case 'flipflop':
      return `${at} ${a.kind} ${detail(a, 'arp_sip')} ${detail(a, 'old_mac')} -> ${detail(a, 'arp_smac')}`;
    case 'ra_wrongnet':
      return `${at} ra_wrongnet ${detail(a, 'smac')} ${detail(a, 'prefix')}`;
    case 'ns_wrongnet':
      return `${at} ns_wrongnet ${detail(a, 'sip') === '::' ? 'probe ' : ''}${detail(a, 'target')}`;
    default:
      return `${at} ${line(a)}`;
  }
}

test('lan-incident.pcap: exactly the incidents of its README, each once where it happens', { skip: noCorpus }, async () => {
  const w = watch();
  const raised = await watchFile(w, LAN_CAPTURE);
  assert.deepEqual(shown(raised).map(incident), LAN_INCIDENTS);
  const counts = w.takeCounts();
  assert.deepEqual(nonZero(counts), {
    arp: 23,
    icmp6: 50,
    arp_wrongnet: 2,
    arp_gratuitous: 5,
    arp_mac_changed: 2,
    arp_flipflop: 1,
    icmp6_ns_wrongnet: 4,
    icmp6_ra_wrongnet: 8,
    // off by default, counted all the same: the five hosts, and the misconfigured one's two ARPs
    arp_new_station: 5,
    arp_bogon: 2,
  });
  // the real router's RAs never
  assert.ok(raised.every((r) => detail(r.alert, 'smac') !== '5a:c2:34:a9:97:98' || r.alert.kind === 'new_station'));
});

/** arpwatch's reports on a capture: its kind in our words, address, MAC, old MAC, second. */
function arpwatchReports(file: string, dat: string): string[] {
  const run = spawnSync(ARPWATCH, ['-d', '-r', file, '-f', dat], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  assert.equal(run.error, undefined, `running arpwatch: ${run.error}`);
  const text = `${run.stdout}\n${run.stderr}`;
  const kinds: Record<string, string> = { 'new station': 'new_station', 'changed ethernet address': 'mac_changed', 'flip flop': 'flipflop' };
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const reports: string[] = [];
  for (const block of text.split(/^From: /m).slice(1)) {
    const subject = /^Subject: (.+) \((\d+\.\d+\.\d+\.\d+)\)/m.exec(block);
    const mac = /^ *ethernet address: (\S+)/m.exec(block);
    const old = /^ *old ethernet address: (\S+)/m.exec(block);
    const when = /^ *timestamp: \w+, (\w+) (\d+), (\d+) (\d+):(\d+):(\d+) ([+-])(\d\d)(\d\d)$/m.exec(block);
    assert.ok(subject && mac && when, `an arpwatch report we cannot read:\n${block}`);
    const [, month, day, year, h, m, s, sign, oh, om] = when;
    const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
    const epoch = Date.UTC(Number(year), months.indexOf(month!), Number(day), Number(h), Number(m), Number(s)) / 1000 - offset;
    reports.push(`${epoch} ${kinds[subject[1]!] ?? subject[1]} ${subject[2]} ${mac[1]}${old ? ` from ${old[1]}` : ''}`);
  }
  return reports;
}

test('lan-incident.pcap: station events agree with arpwatch run on the same file', { skip: noCorpus || (!fs.existsSync(ARPWATCH) && `${ARPWATCH} is missing: apt-get install arpwatch`) }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-arpwatch-'));
  const dat = path.join(dir, 'arp.dat');
  fs.writeFileSync(dat, '');
  const theirs = arpwatchReports(LAN_CAPTURE, dat);
  assert.equal(theirs.length, 8, `arpwatch's reports:\n${theirs.join('\n')}`);

  const ours = (await watchFile(watch(), LAN_CAPTURE))
    .filter((r) => ['new_station', 'mac_changed', 'flipflop'].includes(r.alert.kind))
    .map(({ ts, alert: a }) => {
      const old = detail(a, 'old_mac');
      return `${Math.floor(ts)} ${a.kind} ${detail(a, 'arp_sip')} ${detail(a, 'arp_smac')}${old === undefined ? '' : ` from ${old}`}`;
    });
  assert.deepEqual(ours, theirs);

  // and the database arpwatch wrote is ours to start from: nobody is new, 10.10.1.30 is on its last MAC
  const w = watch();
  assert.deepEqual(w.stations.load(dat), { found: true, stations: 5, problems: [] });
  const s = w.stations.get('', parseInt('0a0a011e', 16))!;
  assert.deepEqual([s.current.mac, s.previous?.mac, s.current.iface], [parseMac(BEEF), parseMac(B0), '(from file)']);
  const again = await watchFile(w, LAN_CAPTURE);
  assert.deepEqual(again.filter((r) => r.alert.kind === 'new_station'), []);
  fs.rmSync(dir, { recursive: true });
});

test('lan-incident.pcap: a restart from the saved state alerts as if there had been none', { skip: noCorpus }, async () => {
  const whole = await watchFile(watch(), LAN_CAPTURE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-state-'));
  const state = path.join(dir, 'arp.dat');
  const HALF = 4955; // between 10.10.1.30's first MAC change (packet 4946) and its second (4958)
  const first = watch();
  const before = await watchFile(first, LAN_CAPTURE, { to: HALF });
  first.stations.save(state);
  const second = watch();
  second.stations.load(state);
  const after = await watchFile(second, LAN_CAPTURE, { from: HALF });
  const text = (r: Raised[]): string[] => r.map((x) => `${x.ts} ${line(x.alert)}`);
  assert.ok(before.some((r) => r.alert.kind === 'mac_changed') && after.some((r) => r.alert.kind === 'flipflop'), `HALF splits the station events: ${HALF}`);
  assert.deepEqual(text(after), text(whole.slice(before.length)));
  // and a whole second run from the whole first run's state knows every host
  const full = watch();
  await watchFile(full, LAN_CAPTURE);
  full.stations.save(state);
  const rerun = watch();
  rerun.stations.load(state);
  assert.deepEqual((await watchFile(rerun, LAN_CAPTURE)).filter((r) => r.alert.kind === 'new_station'), []);
  fs.rmSync(dir, { recursive: true });
});

test('lan-incident.pcap: the allow list silences each incident', { skip: noCorpus }, async () => {
  const byAddress = parseAllowText(
    ['10.20.5.0/24 wrongnet', '10.10.1.30 gratuitous,mac_changed,flipflop', '2001:db8:bad::/64 ra_wrongnet,ns_wrongnet'].join('\n'),
    'allow',
  );
  const w = watch(LAN_NETS, { allow: byAddress });
  assert.deepEqual(shown(await watchFile(w, LAN_CAPTURE)).map(incident), []);
  assert.equal(w.takeCounts().allowed, 2 + 5 + 2 + 1 + 8 + 4);

  // by MAC: the misconfigured host, whatever it does; 10.10.1.30's new MACs for the changes
  const byMac = parseAllowText(
    ['e6:eb:8b:70:75:21', '02:00:00:00:be:ef mac_changed,flipflop', '02:00:00:00:00:b0 mac_changed'].join('\n'),
    'allow',
  );
  const m = watch(LAN_NETS, { allow: byMac });
  const left = shown(await watchFile(m, LAN_CAPTURE)).map(incident);
  assert.deepEqual(
    left,
    LAN_INCIDENTS.filter((i) => !/wrongnet 10\.20\.5\.4|ra_wrongnet|e4eb:8bff:fe70:7521|mac_changed|flipflop/.test(i)),
  );
});

test('a tiny station table evicts, counts it and says so once through onEvict', { skip: noCorpus }, async () => {
  const w = watch(LAN_NETS, { maxStations: 2 });
  let told = 0;
  w.stations.onEvict = () => told++;
  const raised = await watchFile(w, LAN_CAPTURE);
  const counts = w.takeCounts();
  assert.ok(counts.stations_evicted > 0);
  assert.equal(counts.stations_evicted, told);
  assert.equal(w.stations.size, 2);
  // forgotten hosts come back as new stations, never as changes
  assert.ok(raised.filter((r) => r.alert.kind === 'new_station').length > 5);
  assert.equal(w.takeCounts().stations_evicted, 0, 'counts are since the last takeCounts()');
});

test('every file of the tcpdump corpus runs through inspect() without a throw', { skip: noCorpus }, async () => {
  const files = fs.readdirSync(TCPDUMP_CORPUS).filter((f) => /\.(pcap|pcapng)$/.test(f));
  assert.ok(files.length > 100, `the corpus has ${files.length} capture files`);
  const allow = parseAllowText('10.0.0.0/8 wrongnet\nff:ff:ff:ff:ff:ff\nvlan 10\n2001:db8::/32 ra_wrongnet', 'allow');
  const w = watch('10.0.0.0/8,192.168.0.0/16,2001:db8::/32', { maxStations: 50, allow });
  const total = zero();
  let alerts = 0;
  for (const file of files) {
    const full = path.join(TCPDUMP_CORPUS, file);
    if (!fs.statSync(full).isFile()) continue;
    try {
      alerts += (await watchFile(w, full)).length;
    } catch (e) {
      // the reader's own errors (a file that is no capture) are not ours; a throw from inspect() is
      if (e instanceof Error && e.name === 'InputError') continue;
      throw new Error(`${file}: ${e instanceof Error ? e.stack : String(e)}`);
    }
    for (const [k, v] of Object.entries(w.takeCounts())) total[k as keyof WatchCounts] += v;
  }
  assert.ok(total.arp > 0 && total.icmp6 > 0, `ARP and ICMPv6 seen: ${JSON.stringify(nonZero(total))}`);
  assert.ok(alerts > 0);
});

function zero(): WatchCounts {
  return Object.fromEntries(WATCH_COUNTERS.map((k) => [k, 0])) as WatchCounts;
}
