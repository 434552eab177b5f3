/**
 * lineKind on the lines trk's commands really write (the bundled capture
 * through trk-capture, trk-classify, trk-tally and trk-threshold, in both
 * the machine and the JSON forms), as trk-collect tags them, and on lines
 * that only look like them; kindSelection's --only/--ignore.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { kindSelection, lineKind, type LineKind } from '../src/io/line-kind.js';
import { BIN, LAN_CAPTURE, REPO_ROOT } from './helpers/paths.js';

const SAMPLE = path.join(REPO_ROOT, 'samples', 'sample.pcap');

function kindOf(line: string): LineKind {
  const buf = Buffer.from(`xx${line}yy`);
  return lineKind(buf, 2, buf.length - 2);
}

function run(cmd: string, args: string[], input?: Buffer): Buffer {
  return execFileSync(process.execPath, [BIN(cmd), ...args], { input, maxBuffer: 1 << 30 });
}

function kinds(out: Buffer): Map<LineKind, number> {
  const counts = new Map<LineKind, number>();
  let start = 0;
  for (let nl = out.indexOf(10); nl >= 0; start = nl + 1, nl = out.indexOf(10, start)) {
    const k = lineKind(out, start, nl);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

test('the records and lines the commands write are told by kind', () => {
  const pkts = run('trk-capture', ['-r', LAN_CAPTURE]);
  const pktLines = pkts.toString().split('\n').filter(Boolean).length;
  assert.deepEqual([...kinds(pkts)], [['pkt', pktLines]]);

  // trk-classify: pkt records, machine STAT and ALERT lines
  const classified = run('trk-classify', ['-q', '--net', '10.10.1.0/24', '--net', '2001:db8:10::/64'], pkts);
  const text = classified.toString().split('\n').filter(Boolean);
  const expected = new Map<LineKind, number>();
  for (const line of text) {
    const k: LineKind = line.startsWith('{"type":"pkt"') ? 'pkt' : / STAT( |$)/.test(line.slice(19, 25)) ? 'stat' : / ALERT /.test(line.slice(19, 27)) ? 'alert' : 'other';
    expected.set(k, (expected.get(k) ?? 0) + 1);
  }
  assert.ok((expected.get('stat') ?? 0) > 0 && (expected.get('alert') ?? 0) > 0, 'the LAN capture has STAT and ALERT lines');
  assert.equal(expected.get('other'), undefined);
  assert.deepEqual(kinds(classified), expected);

  // the same as JSON records
  const json = run('trk-classify', ['-q', '--net', '10.10.1.0/24', '--net', '2001:db8:10::/64', '--json'], pkts);
  const jsonKinds = kinds(json);
  assert.equal(jsonKinds.get('stat'), expected.get('stat'));
  assert.equal(jsonKinds.get('alert'), expected.get('alert'));
  assert.equal(jsonKinds.get('other'), undefined);

  // trk-tally: tally records
  const tally = run('trk-tally', ['-r', SAMPLE, '--every', '0']);
  const tallyKinds = kinds(tally);
  assert.ok((tallyKinds.get('tally') ?? 0) > 0);
  assert.deepEqual([...tallyKinds.keys()], ['tally']);
});

test('lines as trk-collect tags them keep their kind', () => {
  assert.equal(kindOf('{"sensor":"gw1","type":"pkt","ts":1}'), 'pkt');
  assert.equal(kindOf('{"sensor":"b-2.x","type":"report","net":"10.1.0.0/24"}'), 'report');
  assert.equal(kindOf('sensor=gw1 2026-11-22 09:42:04 STAT arp=1 icmp6=0'), 'stat');
  assert.equal(kindOf('sensor=gw1 2026-11-22 09:42:04 ALERT ARP wrongnet ip=10.1.1.1'), 'alert');
  assert.equal(kindOf('sensor=gw1 [2026-11-22 09:42:04] ARP wrongnet: …'), 'other');
});

test('lines that only look like them are other', () => {
  for (const line of [
    '',
    '{',
    '{}',
    '{"ts":1,"type":"pkt"}', // type not first: not written by trk
    '{"type":"pktx"}',
    '{"type":"pk"}',
    '{"type":"alerts"}',
    '{"type":"pkt', // no closing quote
    '{"sensor":"gw1"}',
    '2026-11-22 09:42:04 STATS a=1',
    '2026-11-22 09:42:04 ALERTED',
    '2026-11-22T09:42:04 ALERT ARP x',
    '12345',
    '[2026-11-22 09:42:04] ARP wrongnet: 10.1.1.1 …',
    'sensor=gw1',
    'hello world',
  ]) {
    assert.equal(kindOf(line), 'other', line);
  }
  assert.equal(kindOf('2026-11-22 09:42:04 STAT'), 'stat');
  assert.equal(kindOf('{"type":"stat","ts":1}'), 'stat');
  assert.equal(kindOf('{"type":"tally"}'), 'tally');
});

test('--only narrows and --ignore takes away; unknown kinds are named', () => {
  const all = kindSelection([], []);
  assert.ok(all('pkt') && all('other') && all('stat'));
  const some = kindSelection(['alert,stat', 'TALLY'], ['stat']);
  assert.deepEqual((['pkt', 'tally', 'alert', 'stat', 'report', 'other'] as LineKind[]).filter(some), ['tally', 'alert']);
  const noPkt = kindSelection([], ['pkt']);
  assert.ok(!noPkt('pkt') && noPkt('report'));
  assert.throws(() => kindSelection(['alerts'], []), /--only takes pkt, tally, alert, stat, report, other; not 'alerts'/);
  assert.throws(() => kindSelection([], ['x']), /--ignore .* not 'x'/);
});
