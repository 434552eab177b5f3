/** The station table (src/classify/stations.ts): arpwatch's address → MAC history, its bound, and arp.dat. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../src/capture/source.js';
import {
  MAX_REPORTED_PROBLEMS,
  macAt,
  macString,
  parseIPv4,
  parseMac,
  SEEN_CHANGED,
  SEEN_FLIPFLOP,
  SEEN_NEW,
  SEEN_SAME,
  type Station,
  StationTable,
} from '../src/classify/stations.js';

const mac = (text: string): number => {
  const m = parseMac(text);
  assert.ok(m !== undefined, `test MAC ${text}`);
  return m;
};
const ip = (text: string): number => {
  const a = parseIPv4(text);
  assert.ok(a !== undefined, `test address ${text}`);
  return a;
};
const A = mac('4e:9f:af:d9:0c:01');
const B = mac('02:00:00:00:be:ef');
const C = mac('02:00:00:00:00:b0');
const HOST = ip('10.10.1.30');

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'trk-stations-'));
}

/** A station as plain text for comparisons: vlan/ip current (seen) previous (seen). */
function describe(s: Station): string {
  const one = (x: Station['current']): string => `${macString(x.mac)}@${x.seen}${x.hostname === '' ? '' : ` ${x.hostname}`}${x.iface === '' ? '' : ` [${x.iface}]`}`;
  const where = s.vlan === '' ? '' : `vlan ${s.vlan} `;
  const ipText = [24, 16, 8, 0].map((shift) => (s.ip >>> shift) & 255).join('.');
  return `${where}${ipText} ${one(s.current)}${s.previous === undefined ? '' : ` prev ${one(s.previous)}`}`;
}

test('MACs: integers from bytes and text, in every form operators paste', () => {
  assert.equal(macAt(Buffer.from('ff4e9fafd90c01ff', 'hex'), 1), A);
  assert.equal(macString(A), '4e:9f:af:d9:0c:01');
  assert.equal(macString(mac('ff:ff:ff:ff:ff:ff')), 'ff:ff:ff:ff:ff:ff');
  assert.equal(mac('0:0:c:7:ac:1'), mac('00:00:0c:07:ac:01')); // arpwatch's own way of writing them
  assert.equal(mac('4E-9F-AF-D9-0C-01'), A);
  assert.equal(mac('4e9f.afd9.0c01'), A);
  for (const bad of ['4e:9f:af:d9:0c', '4e:9f:af:d9:0c:01:02', '4e:9f-af:d9:0c:01', '4e:9f:af:d9:0c:g1', '123:4:5:6:7:8', '10.10.1.30', '']) {
    assert.equal(parseMac(bad), undefined, bad);
  }
  assert.equal(parseIPv4('10.10.1.256'), undefined);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
});

test("see(): arpwatch's new station, changed ethernet address and flip flop, with the MAC left behind", () => {
  const t = new StationTable({ maxStations: 10 });
  assert.equal(t.see('', HOST, A, 100), SEEN_NEW);
  assert.equal(t.see('', HOST, A, 101.5), SEEN_SAME);
  assert.equal(t.see('', HOST, B, 104), SEEN_CHANGED);
  assert.deepEqual(t.left, { mac: A, seen: 101.5 });
  assert.equal(t.see('', HOST, C, 106), SEEN_CHANGED);
  assert.deepEqual(t.left, { mac: B, seen: 104 });
  assert.equal(t.see('', HOST, B, 107), SEEN_FLIPFLOP, 'back to the MAC before the last one');
  assert.deepEqual(t.left, { mac: C, seen: 106 });
  assert.equal(t.see('', HOST, C, 108), SEEN_FLIPFLOP, 'and back again');
  // A is three back now: two MACs of history, so it is a change (arpwatch only syslogs this case)
  assert.equal(t.see('', HOST, A, 109), SEEN_CHANGED);
  assert.deepEqual(t.left, { mac: C, seen: 108 });
  assert.equal(describe(t.get('', HOST)!), '10.10.1.30 4e:9f:af:d9:0c:01@109 prev 02:00:00:00:00:b0@108');
  assert.equal(t.size, 1);
});

test('stations are per VLAN: one address on two VLANs (or a QinQ stack) never changes MAC between them', () => {
  const t = new StationTable({ maxStations: 10 });
  assert.equal(t.see('', HOST, A, 1), SEEN_NEW);
  assert.equal(t.see('30', HOST, B, 2), SEEN_NEW);
  assert.equal(t.see('100.30', HOST, C, 3), SEEN_NEW);
  assert.equal(t.see('30', HOST, B, 4), SEEN_SAME);
  assert.equal(t.see('', HOST, A, 5), SEEN_SAME);
  assert.equal(t.see('30', HOST, A, 6), SEEN_CHANGED);
  assert.equal(t.size, 3);
  assert.equal(t.get('100.30', HOST)?.current.mac, C);
});

test('the table holds at most maxStations: the least recently seen is forgotten, counted and reported', () => {
  const t = new StationTable({ maxStations: 2 });
  const forgotten: string[] = [];
  t.onEvict = (s) => forgotten.push(describe(s));
  t.see('', ip('10.0.0.1'), A, 1);
  t.see('', ip('10.0.0.2'), B, 2);
  t.see('', ip('10.0.0.1'), A, 3); // 10.0.0.2 is now the least recently seen
  t.see('', ip('10.0.0.3'), C, 4);
  assert.deepEqual(forgotten, ['10.0.0.2 02:00:00:00:be:ef@2']);
  assert.equal(t.evictedTotal, 1);
  assert.equal(t.size, 2);
  assert.equal(t.get('', ip('10.0.0.2')), undefined);
  // forgotten, so seen again it is new, not a change
  assert.equal(t.see('', ip('10.0.0.2'), B, 5), SEEN_NEW);
  assert.deepEqual(forgotten.slice(1), ['10.0.0.1 4e:9f:af:d9:0c:01@3']);
  assert.equal(t.evictedTotal, 2);
  assert.throws(() => new StationTable({ maxStations: 0 }), RangeError);
});

test("save() writes arpwatch's arp.dat atomically, load() reads it back to the same table", () => {
  const dir = tmpDir();
  const file = path.join(dir, 'arp.dat');
  const t = new StationTable({ maxStations: 10 });
  t.see('', HOST, A, 1795340527.833);
  t.see('', HOST, B, 1795340531.8);
  t.see('', ip('10.10.1.1'), mac('5a:c2:34:a9:97:98'), 1795340531.2);
  t.see('30', HOST, C, 1795340533.5);
  t.save(file);
  assert.deepEqual(fs.readdirSync(dir), ['arp.dat'], 'no temporary file left behind');
  assert.equal(
    fs.readFileSync(file, 'utf8'),
    [
      '02:00:00:00:be:ef\t10.10.1.30\t1795340531\t\t',
      '4e:9f:af:d9:0c:01\t10.10.1.30\t1795340527\t\t',
      '5a:c2:34:a9:97:98\t10.10.1.1\t1795340531\t\t',
      '02:00:00:00:00:b0\t10.10.1.30\t1795340533\t\tvlan:30',
      '',
    ].join('\n'),
  );
  const back = new StationTable({ maxStations: 10 });
  assert.deepEqual(back.load(file), { found: true, stations: 3, problems: [] });
  assert.deepEqual([...back].map(describe).sort(), [
    '10.10.1.1 5a:c2:34:a9:97:98@1795340531',
    '10.10.1.30 02:00:00:00:be:ef@1795340531 prev 4e:9f:af:d9:0c:01@1795340527',
    'vlan 30 10.10.1.30 02:00:00:00:00:b0@1795340533',
  ]);
  // a known host is known after the restart, and its history too
  assert.equal(back.see('', HOST, B, 1795340600), SEEN_SAME);
  assert.equal(back.see('', HOST, A, 1795340601), SEEN_FLIPFLOP);
  assert.equal(back.see('30', HOST, C, 1795340602), SEEN_SAME);
  // saving again over the file replaces it
  back.save(file);
  assert.match(fs.readFileSync(file, 'utf8'), /^4e:9f:af:d9:0c:01\t10\.10\.1\.30\t1795340601\t\t$/m);
  fs.rmSync(dir, { recursive: true });
});

test("load() takes arpwatch's own file: newest two per address, host names and interfaces kept, old MAC forms", () => {
  const t = new StationTable({ maxStations: 10 });
  const text = [
    '# written by hand, in the order arpwatch does not promise',
    '0:0:c:7:ac:1\t10.0.0.1\t1000\tgw.example.net\teth0',
    '2:0:0:0:be:ef\t10.0.0.7\t900\tpc7.example.net\teth0',
    '2:0:0:0:0:b0\t10.0.0.7\t1200\tpc7.example.net\teth0',
    '4e:9f:af:d9:c:1\t10.0.0.7\t1100\tpc7.example.net\teth0',
    '5a:c2:34:a9:97:98\t10.0.0.9', // no time: arpwatch reads 0
    '',
  ].join('\n');
  assert.deepEqual(t.loadText(text, 'arp.dat'), { stations: 3, problems: [] });
  assert.deepEqual([...t].map(describe), [
    '10.0.0.9 5a:c2:34:a9:97:98@0',
    '10.0.0.1 00:00:0c:07:ac:01@1000 gw.example.net [eth0]',
    '10.0.0.7 02:00:00:00:00:b0@1200 pc7.example.net [eth0] prev 4e:9f:af:d9:0c:01@1100 pc7.example.net [eth0]',
  ]);
  assert.match(t.toText(), /^02:00:00:00:00:b0\t10\.0\.0\.7\t1200\tpc7\.example\.net\teth0$/m);
});

test('load() with more stations than fit keeps the most recently seen, and counts the rest as evicted', () => {
  const t = new StationTable({ maxStations: 2 });
  const lines = ['02:00:00:00:00:01\t10.0.0.1\t300', '02:00:00:00:00:02\t10.0.0.2\t100', '02:00:00:00:00:03\t10.0.0.3\t200'];
  t.loadText(lines.join('\n'), 'arp.dat');
  assert.deepEqual([...t].map(describe), ['10.0.0.3 02:00:00:00:00:03@200', '10.0.0.1 02:00:00:00:00:01@300']);
  assert.equal(t.evictedTotal, 1);
});

test('load(): bad lines are skipped and named FILE:LINE; a file that is not arp.dat at all is an error; none is a fresh start', () => {
  const t = new StationTable({ maxStations: 10 });
  const text = [
    '02:00:00:00:00:01\t10.0.0.1\t300\t\t',
    'garbage without tabs',
    '02:00:00:00:00:zz\t10.0.0.2\t300',
    '02:00:00:00:00:03\tpc3.example.net\t300',
    '02:00:00:00:00:04\t10.0.0.4\tyesterday',
    '02:00:00:00:00:05\t10.0.0.5\t300\t\tvlan:5000',
    '02:00:00:00:00:06\t10.0.0.6\t300\t\tvlan:6',
  ].join('\n');
  assert.deepEqual(t.loadText(text, 'state.dat'), {
    stations: 2,
    problems: [
      'state.dat:2: not MAC<TAB>IP<TAB>TIME',
      "state.dat:3: bad ethernet address '02:00:00:00:00:zz'",
      "state.dat:4: bad IPv4 address 'pc3.example.net' (host names are not looked up)",
      "state.dat:5: bad time 'yesterday' (seconds since the epoch)",
      "state.dat:6: bad VLAN in 'vlan:5000'",
    ],
  });
  assert.equal(t.get('6', ip('10.0.0.6'))?.current.mac, mac('02:00:00:00:00:06'));

  const many = Array.from({ length: MAX_REPORTED_PROBLEMS + 5 }, () => 'x\ty').concat('02:00:00:00:00:01\t10.0.0.1\t1');
  const reported = new StationTable({ maxStations: 10 }).loadText(many.join('\n'), 'big.dat').problems;
  assert.equal(reported.length, MAX_REPORTED_PROBLEMS + 1);
  assert.equal(reported.at(-1), 'big.dat: 5 more unreadable lines skipped');

  assert.throws(
    () => new StationTable({ maxStations: 10 }).loadText('[main]\nnet = 10.0.0.0/8\n', 'trk.conf'),
    (e: unknown) => e instanceof InputError && e.message === 'trk.conf: not an arpwatch arp.dat file (trk.conf:1: not MAC<TAB>IP<TAB>TIME)',
  );
  assert.throws(() => new StationTable({ maxStations: 10 }).loadText('\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0', 'x.pcap'), /x\.pcap: not an arpwatch arp\.dat file \(binary data\)/);
  assert.deepEqual(new StationTable({ maxStations: 10 }).loadText('# empty database\n\n', 'new.dat'), { stations: 0, problems: [] });

  const dir = tmpDir();
  assert.deepEqual(t.load(path.join(dir, 'missing.dat')), { found: false, stations: 0, problems: [] });
  assert.throws(() => t.load(dir), (e: unknown) => e instanceof InputError && /cannot read state file .*: is a directory/.test(e.message));
  assert.throws(
    () => t.save(path.join(dir, 'no-such-dir', 'arp.dat')),
    (e: unknown) => e instanceof InputError && /cannot write state file .*no-such-dir.*: no such file or directory/.test(e.message),
  );
  assert.deepEqual(fs.readdirSync(dir), [], 'a failed save leaves nothing behind');
  fs.rmSync(dir, { recursive: true });
});
