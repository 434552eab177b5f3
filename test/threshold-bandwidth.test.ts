/**
 * The bandwidth watch (src/threshold/bandwidth.ts) driven packet by packet:
 * ipband's episodes to the second, reports that keep the episode's
 * connections, IPv6 subnets, ICMP's ports, -J, a gap judged as one empty
 * period, the detail table's fold, -L and subnet lines. (lan-incident and
 * ipband itself are in threshold.test.ts and threshold-ipband.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BandwidthWatch, type BandwidthSettings, type SubnetLine } from '../src/threshold/bandwidth.js';
import type { BandwidthReport, ThresholdEvent } from '../src/threshold/types.js';
import { DEFAULT_SETTINGS } from '../src/threshold/types.js';
import { PktRecordReader } from '../src/io/pkt-record.js';
import { parseNetworks, PrefixSet } from '../src/net/prefixes.js';

const NAMER = {
  protocol: (n: number) => ({ 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' })[n] ?? String(n),
  port: (proto: number, port: number) => (proto === 6 && port === 80 ? 'http' : proto === 17 && port === 53 ? 'domain' : undefined),
  network: (a: string) => (a === '10.1.1.0' ? 'office' : undefined),
};

function settings(over: Partial<BandwidthSettings> = {}): BandwidthSettings {
  const d = DEFAULT_SETTINGS;
  return {
    bandwidth: 10, average: 10, report: 20, top: 0, accumulate: false, maskbits: 24, mask6: 64,
    lenadj: 0, subnets: [], maxSubnets: d.maxSubnets, maxConns: d.maxConns, ...over,
  };
}

class Harness {
  readonly events: ThresholdEvent[] = [];
  readonly reports: BandwidthReport[] = [];
  readonly periods: { end: number; subnets: SubnetLine[] }[] = [];
  readonly watch: BandwidthWatch;
  private readonly reader = new PktRecordReader();
  constructor(s: BandwidthSettings, local?: string) {
    const set = local ? new PrefixSet(parseNetworks(local).networks) : undefined;
    this.watch = new BandwidthWatch(s, set, {
      event: (e) => this.events.push(e),
      report: (r) => this.reports.push(r),
      period: (end, subnets) => this.periods.push({ end, subnets }),
    }, NAMER);
  }
  /** One packet, given as the fields of a pkt record. */
  pkt(ts: number, fields: Record<string, unknown>): void {
    const line = Buffer.from(JSON.stringify({ type: 'pkt', ts, caplen: 60, eth: fields.src?.toString().includes(':') ? 'ipv6' : 'ipv4', ...fields }));
    assert.ok(this.reader.read(line, 0, line.length));
    this.watch.addPacket(this.reader.packet, ts);
  }
  /** `kB` kilobytes a second from src to dst for [from, to), in 1 KiB frames spread over each second. */
  stream(from: number, to: number, kB: number, fields: Record<string, unknown>): void {
    for (let t = from; t < to; t++) for (let i = 0; i < kB; i++) this.pkt(t + i / kB, { len: 1024, ...fields });
  }
  kinds(): string[] {
    return this.events.map((e) => `${e.ts} ${e.kind} ${e.details.find(([k]) => k === 'net')![1]}`);
  }
}

const T0 = 1_790_000_040; // on a minute, so 10 s periods start at T0, T0+10, ...
const UDP = { src: '10.1.1.5', dst: '192.0.2.9', proto: 'udp', sport: 40000, dport: 53 };

test("an episode as ipband's: exceeded at a period's end, a report every reporting period, normal when under", () => {
  const h = new Harness(settings());
  h.stream(T0, T0 + 45, 20, UDP); // 20 kB/s for 45 s against 10 kB/s
  h.pkt(T0 + 65, { len: 60, ...UDP }); // time moves on
  assert.deepEqual(h.kinds(), [
    `${T0 + 10} exceeded 10.1.1.0/24`,
    `${T0 + 10} exceeded 192.0.2.0/24`,
    `${T0 + 30} report 10.1.1.0/24`,
    `${T0 + 30} report 192.0.2.0/24`,
    // 40..50 had 5 s of traffic: 10 kB/s, at the threshold, so still over (ipband: >=)
    `${T0 + 50} report 10.1.1.0/24`,
    `${T0 + 50} report 192.0.2.0/24`,
    `${T0 + 60} normal 10.1.1.0/24`,
    `${T0 + 60} normal 192.0.2.0/24`,
  ]);
  const [first, , second] = h.reports;
  assert.equal(first!.net, '10.1.1.0/24');
  assert.equal(first!.name, 'office');
  assert.equal(first!.exceeded, 20);
  assert.equal(first!.since, T0 + 10);
  // logged from the end of the first period: 20 s of 20 kB
  assert.deepEqual(first!.conns, [{ a: '10.1.1.5', aport: 40000, b: '192.0.2.9', bport: 53, proto: 'udp', bytes: 20 * 20 * 1024, service: 'domain' }]);
  // the second report keeps the episode's connections (ipband does not clear them) and adds its time
  assert.equal(second!.exceeded, 40);
  assert.equal(second!.conns[0]!.bytes, (20 + 15) * 20 * 1024); // T0+10 to the end of the stream at T0+45
  const normal = h.events.find((e) => e.kind === 'normal')!;
  assert.deepEqual(normal.details, [['net', '10.1.1.0/24'], ['kBps', '0.00'], ['threshold', '10.00'], ['duration', '50'], ['peak_kBps', '20.00']]);
});

test('a subnet over for less than the reporting period: exceeded and normal, no report; the same subnet counts once', () => {
  const h = new Harness(settings());
  // inside one subnet: counted once, so 15 kB/s
  h.stream(T0, T0 + 20, 15, { src: '10.1.1.5', dst: '10.1.1.6', proto: 'tcp', sport: 80, dport: 50000 });
  h.pkt(T0 + 35, { len: 60, src: '10.9.9.9', dst: '10.9.9.8', proto: 'udp', sport: 1, dport: 2 });
  assert.deepEqual(h.kinds(), [`${T0 + 10} exceeded 10.1.1.0/24`, `${T0 + 30} normal 10.1.1.0/24`]);
  assert.equal(h.reports.length, 0);
  assert.equal(h.periods[0]!.subnets[0]!.kBps, 15);
});

test('a gap in the traffic is judged as one empty period, however long', () => {
  const h = new Harness(settings({ average: 1, report: 1 }));
  h.stream(T0, T0 + 3, 20, UDP);
  h.pkt(T0 + 86_400, { len: 60, ...UDP });
  // the periods of the stream, one empty one, and none for the day between
  assert.deepEqual(h.periods.map((p) => p.end - T0), [1, 2, 3, 4]);
  assert.equal(h.events.filter((e) => e.kind === 'normal').length, 2);
});

test('IPv6 subnets by --mask6; ICMP type and code in the first port; -J adjusts every frame', () => {
  const h = new Harness(settings({ mask6: 48, lenadj: -24, report: 10 }));
  const icmp6 = { src: '2001:db8:1:2::5', dst: '2001:db8:9::1', proto: 'icmp6', itype: 128, icode: 0 };
  const icmp = { src: '10.1.1.5', dst: '10.2.2.2', proto: 'icmp', itype: 8, icode: 0 };
  for (let t = 0; t < 30; t++) {
    for (let i = 0; i < 16; i++) {
      h.pkt(T0 + t + i / 32, { len: 1048, ...icmp6 });
      h.pkt(T0 + t + 0.5 + i / 32, { len: 1048, ...icmp });
    }
  }
  h.pkt(T0 + 45, { len: 60, src: '10.9.9.9', dst: '10.9.9.8', proto: 'udp', sport: 1, dport: 2 });
  const nets = h.events.filter((e) => e.kind === 'exceeded').map((e) => e.details[0]![1]);
  assert.deepEqual(nets.sort(), ['10.1.1.0/24', '10.2.2.0/24', '2001:db8:1::/48', '2001:db8:9::/48']);
  const v6 = h.reports.find((r) => r.net === '2001:db8:1::/48')!;
  assert.equal(v6.address, '2001:db8:1::');
  // 16 frames of 1048 - 24 = 1024 bytes a second: 16 kB/s
  assert.equal(v6.kBps, 16);
  assert.deepEqual(v6.conns, [{ a: '2001:db8:1:2::5', aport: 128 * 256, b: '2001:db8:9::1', bport: 0, proto: 'ipv6-icmp', bytes: 10 * 16 * 1024, service: '' }]);
  const v4 = h.reports.find((r) => r.net === '10.1.1.0/24')!;
  assert.deepEqual(v4.conns[0], { a: '10.1.1.5', aport: 8 * 256, b: '10.2.2.2', bport: 0, proto: 'icmp', bytes: 10 * 16 * 1024, service: '' });
});

test('-L: only the subnets of local addresses; subnet lines: only those, each with its own threshold', () => {
  const local = new Harness(settings(), '10.1.1.0/24');
  local.stream(T0, T0 + 15, 20, UDP);
  assert.deepEqual(local.kinds(), [`${T0 + 10} exceeded 10.1.1.0/24`]);
  const preload = new Harness(
    settings({
      subnets: [
        { address: '192.0.2.0', version: 4, bandwidth: 30, where: 'x:1' },
        { address: '10.1.1.7', version: 4, bandwidth: 0, where: 'x:2' },
      ],
    }),
  );
  preload.stream(T0, T0 + 15, 20, UDP);
  // 192.0.2.0/24 is under its own 30 kB/s; 10.1.1.0/24 (10.1.1.7 masked) over the default 10
  assert.deepEqual(preload.kinds(), [`${T0 + 10} exceeded 10.1.1.0/24`]);
  assert.equal(preload.watch.subnetCount, 2);
});

test('a full detail table folds the lighter half of the connections into the report remainder', () => {
  const h = new Harness(settings({ maxConns: 16, top: 3 }));
  h.stream(T0, T0 + 10, 20, UDP);
  // logging from T0+10: one heavy connection and 40 light ones
  for (let t = 10; t < 31; t++) {
    for (let i = 0; i < 20; i++) h.pkt(T0 + t + i / 40, { len: 1024, ...UDP });
    for (let c = 0; c < 40; c++) h.pkt(T0 + t + 0.5 + c / 100, { len: 100, ...UDP, sport: 41000 + c });
  }
  const r = h.reports[0]!;
  assert.ok(r.droppedConns > 0, 'connections were folded');
  assert.ok(r.totalConns <= 16);
  assert.equal(r.conns.length, 3);
  assert.deepEqual([r.conns[0]!.aport, r.conns[0]!.bytes], [40000, 20 * 20 * 1024]);
  // nothing lost: logged plus folded is every byte of the 20 s
  assert.equal(r.totalBytes + r.droppedBytes, 20 * (20 * 1024 + 40 * 100));
  assert.ok(h.watch.connCount <= 16);
});
