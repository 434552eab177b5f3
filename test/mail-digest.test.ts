/**
 * trk-mail's reader and digests: parseEvent on the lines trk-classify and
 * trk-threshold really write (every form, run here on the bundled capture
 * and the shared LAN capture) and on lines that only look like them; the
 * Digester's windows, collapsing, selection, reports, hourly cap (a flood
 * of 100 000 alerts) and memory bound, on an explicit clock.
 */
// The commands write local time: a zone away from UTC shows that it is honoured both ways.
process.env.TZ = 'Europe/Berlin';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { MALFORMED, parseEvent, parseEventLine } from '../src/mail/parse.js';
import { Digester, type DigestOptions } from '../src/mail/digest.js';
import type { AlertEvent, MailEvent, MailPlan, ReportEvent } from '../src/mail/types.js';
import { BIN, LAN_CAPTURE, REPO_ROOT } from './helpers/paths.js';

const SAMPLE = path.join(REPO_ROOT, 'samples', 'sample.pcap');

function run(command: string, args: string[]): Buffer {
  return execFileSync(process.execPath, [BIN(command), ...args], {
    env: { ...process.env, TZ: 'Europe/Berlin' },
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  });
}

interface Parsed {
  events: MailEvent[];
  malformed: number;
  other: number;
}

/** Every line of a command's output, parsed in place (start and end inside the whole buffer, as trk-mail's reader does). */
function parseAll(out: Buffer): Parsed {
  const parsed: Parsed = { events: [], malformed: 0, other: 0 };
  let start = 0;
  while (start < out.length) {
    let end = out.indexOf(0x0a, start);
    if (end < 0) end = out.length;
    const e = parseEventLine(out, start, end);
    if (e === MALFORMED) parsed.malformed++;
    else if (e === undefined) parsed.other++;
    else parsed.events.push(e);
    start = end + 1;
  }
  return parsed;
}

function parseText(line: string): MailEvent | typeof MALFORMED | undefined {
  return parseEventLine(Buffer.from(line), 0, Buffer.byteLength(line));
}

function alerts(p: Parsed): AlertEvent[] {
  return p.events.filter((e): e is AlertEvent => e.type === 'alert');
}

const CLASSIFY = ['-r', SAMPLE, '--net', '10.10.1.0/24', '-A', 'all'];
const THRESHOLD = ['--read', LAN_CAPTURE, '-C', '-a', '2', '-r', '4', '-b', '100', '-L', '10.10.1.0/24', '--synflood', '100'];

/** trk-threshold's report record for the LAN capture, as it writes it (checked against the command below). */
const REPORT_LINE =
  '{"type":"report","ts":1795340544,"net":"10.10.1.0/24","address":"10.10.1.0","threshold":100,"kBps":502,"exceeded":4,"since":1795340540,' +
  '"top":0,"total_conns":1,"total_bytes":2057690,"dropped_conns":0,"dropped_bytes":0,' +
  '"conns":[{"a":"10.10.1.20","aport":51260,"b":"10.10.1.30","bport":5201,"proto":"udp","bytes":2057690}]}';

// ---------------------------------------------------------------------------
// parseEvent on real lines
// ---------------------------------------------------------------------------

test('trk-classify on the sample capture: the same two alerts in all three forms, everything else turned away', () => {
  const machine = parseAll(run('trk-classify', CLASSIFY));
  const human = parseAll(run('trk-classify', [...CLASSIFY, '-H']));
  const json = parseAll(run('trk-classify', [...CLASSIFY, '--json']));
  for (const p of [machine, human, json]) {
    assert.equal(p.malformed, 0);
    assert.equal(p.events.length, 2);
  }
  // 61 pkt records and a STAT line besides; -H leaves the pkt records out, and its STAT is a heading and 21 table rows.
  assert.equal(machine.other, 62);
  assert.equal(json.other, 62);
  assert.equal(human.other, 22);

  const first = alerts(machine)[0]!;
  assert.deepEqual(first, {
    type: 'alert',
    ts: 1795509328,
    family: 'ARP',
    kind: 'new_station',
    details: [
      ['smac', '5e:e3:37:06:7e:a3'],
      ['dmac', 'ff:ff:ff:ff:ff:ff'],
      ['arp_sip', '10.10.1.20'],
      ['arp_dip', '10.10.1.1'],
      ['arp_smac', '5e:e3:37:06:7e:a3'],
      ['arp_dmac', '00:00:00:00:00:00'],
    ],
    line: '2026-11-24 09:35:28 ALERT ARP new_station smac=5e:e3:37:06:7e:a3,dmac=ff:ff:ff:ff:ff:ff,arp_sip=10.10.1.20,arp_dip=10.10.1.1,arp_smac=5e:e3:37:06:7e:a3,arp_dmac=00:00:00:00:00:00',
  });
  assert.deepEqual(alerts(human)[0], {
    type: 'alert',
    ts: 1795509328,
    family: 'ARP',
    kind: 'new_station',
    details: [],
    sentence: 'new station 10.10.1.20 at 5e:e3:37:06:7e:a3',
    line: '[2026-11-24 09:35:28] ARP new_station: new station 10.10.1.20 at 5e:e3:37:06:7e:a3',
  });
  const fromJson = alerts(json);
  assert.equal(fromJson[0]!.ts, 1795509328.347495);
  assert.equal(fromJson[1]!.ts, 1795509328.347506);
  for (let i = 0; i < 2; i++) {
    const [m, h, j] = [alerts(machine)[i]!, alerts(human)[i]!, fromJson[i]!];
    assert.deepEqual(j.details, m.details);
    assert.equal(j.sentence, h.sentence);
    assert.equal(Math.floor(j.ts), m.ts);
    assert.equal(h.ts, m.ts);
  }
  assert.equal(alerts(human)[1]!.sentence, 'new station 10.10.1.1 at ce:64:f9:cc:eb:64');
});

test('trk-threshold on the LAN capture: seven alerts in all three forms, and the report record', () => {
  const machine = parseAll(run('trk-threshold', THRESHOLD));
  const human = parseAll(run('trk-threshold', [...THRESHOLD, '-H']));
  const json = parseAll(run('trk-threshold', [...THRESHOLD, '--json']));
  const kinds = [
    'BANDWIDTH exceeded',
    'BANDWIDTH normal',
    'TCP synflood',
    'BANDWIDTH exceeded',
    'TCP synflood_end',
    'BANDWIDTH report',
    'BANDWIDTH normal',
  ];
  for (const p of [machine, human, json]) {
    assert.equal(p.malformed, 0);
    assert.deepEqual(alerts(p).map((a) => `${a.family} ${a.kind}`), kinds);
  }
  // The -H report's text (ipband's, 9 lines) is not an event; nor is any of it malformed.
  assert.equal(human.events.length, 7);
  assert.equal(human.other, 9);
  assert.equal(machine.other, 0);

  const times = [1795340524, 1795340526, 1795340535, 1795340540, 1795340540, 1795340544, 1795340546];
  assert.deepEqual(alerts(machine).map((a) => a.ts), times);
  assert.deepEqual(alerts(human).map((a) => a.ts), times);
  assert.deepEqual(alerts(json).map((a) => Math.floor(a.ts)), times);
  assert.equal(alerts(json)[2]!.ts, 1795340535.234799);
  assert.deepEqual(alerts(machine)[2]!.details, [
    ['dst', '10.10.1.20'],
    ['syns', '201'],
    ['completed', '0'],
    ['rate', '100.5'],
    ['port', '80'],
    ['sources', '1'],
  ]);
  for (let i = 0; i < kinds.length; i++) {
    assert.deepEqual(alerts(json)[i]!.details, alerts(machine)[i]!.details);
    assert.equal(alerts(json)[i]!.sentence, alerts(human)[i]!.sentence);
  }
  assert.equal(
    alerts(human)[2]!.sentence,
    'SYN flood on 10.10.1.20: 201 SYNs and 0 completed handshakes this period (100.5 incomplete a second), mostly to port 80, from 1 source',
  );

  for (const p of [machine, json]) {
    const reports = p.events.filter((e): e is ReportEvent => e.type === 'report');
    assert.equal(reports.length, 1);
    const r = reports[0]!;
    assert.equal(r.line, REPORT_LINE);
    assert.equal(r.ts, 1795340544);
    assert.deepEqual(r.report, {
      ts: 1795340544,
      net: '10.10.1.0/24',
      address: '10.10.1.0',
      threshold: 100,
      kBps: 502,
      exceeded: 4,
      since: 1795340540,
      top: 0,
      conns: [{ a: '10.10.1.20', aport: 51260, b: '10.10.1.30', bport: 5201, proto: 'udp', service: '', bytes: 2057690 }],
      totalConns: 1,
      totalBytes: 2057690,
      droppedConns: 0,
      droppedBytes: 0,
    });
  }
});

test('lines as trk-collect tags them: the sensor is the first detail of every alert, reports are read as reports', () => {
  const tag = (out: Buffer): Buffer =>
    Buffer.from(
      out
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => (l.startsWith('{') ? `{"sensor":"gw-1.b",${l.slice(1)}` : `sensor=gw-1.b ${l}`))
        .join('\n') + '\n',
    );
  const plain = parseAll(run('trk-threshold', THRESHOLD));
  for (const args of [[], ['-H'], ['--json']]) {
    const tagged = parseAll(tag(run('trk-threshold', [...THRESHOLD, ...args])));
    const untagged = parseAll(run('trk-threshold', [...THRESHOLD, ...args]));
    assert.equal(tagged.malformed, 0, args.join(' '));
    assert.equal(tagged.events.length, untagged.events.length, args.join(' '));
    assert.deepEqual(alerts(tagged).map((a) => `${a.family} ${a.kind}`), alerts(plain).map((a) => `${a.family} ${a.kind}`));
    for (const [i, a] of alerts(tagged).entries()) {
      assert.deepEqual(a.details, [['sensor', 'gw-1.b'], ...alerts(untagged)[i]!.details], args.join(' '));
      assert.equal(a.ts, alerts(untagged)[i]!.ts);
    }
    const reports = tagged.events.filter((e): e is ReportEvent => e.type === 'report');
    assert.equal(reports.length, args[0] === '-H' ? 0 : 1);
    if (reports[0]) assert.equal(reports[0].report.net, '10.10.1.0/24');
  }
  // a tag and nothing that is an event after it; a tag on a tag is not ours
  for (const line of ['sensor=gw1', 'sensor=gw1 ', 'sensor=gw1 hello', 'sensor=a sensor=b 2026-11-22 09:42:04 ALERT ARP x a=1', 'sensors=gw1 2026-11-22 09:42:04 ALERT ARP x a=1']) {
    assert.equal(parseEventLine(Buffer.from(line), 0, line.length), undefined, line);
  }
});

// ---------------------------------------------------------------------------
// parseEvent on near misses
// ---------------------------------------------------------------------------

test('lines that are not events, and lines that look like one but are malformed', () => {
  const notEvents = [
    '',
    'x',
    '{',
    '{"type":"pkt","ts":1795509328.347495,"len":42,"caplen":42,"eth":"arp"}',
    '{"type":"stat","ts":1795509331.078805,"start":1795509325.350779,"end":1795509331.078805,"arp":2}',
    '{"type":"tally","start":1,"end":2,"by":"host","key":"10.0.0.1","pkts":3}',
    // "type":"alert" inside another record is not an alert record.
    '{"kind":"x","inner":{"type":"alert"}}',
    '2026-11-24 09:35:31 STAT arp=2 arp_wrongnet=0 pkts=61',
    '[2026-11-24 09:35:31] Statistics for the 5.728 s since 2026-11-24 09:35:25:',
    '# a comment',
    '\u0000\u00ff\u0001garbage',
    // ALERT in the wrong column.
    '2026-11-24 09:35:28  ALERT ARP new_station smac=5e:e3:37:06:7e:a3',
    'Nov 24 09:35:28 sensor ALERT ARP new_station smac=5e:e3:37:06:7e:a3',
    '2026-11-24 09:35:28 STAT ALERT ARP new_station a=b',
    '2026-11-24 09:35:28 ALERTS ARP new_station a=b',
    '2026/11/24 09:35:28 ALERT ARP new_station a=b',
    '[2026-11-24 09:35:28 ARP new_station: a sentence',
    '[2026-11-24 09:35:28] ARP new_station a sentence without the colon',
    '[2026-11-24 09:35:28]',
  ];
  for (const line of notEvents) assert.equal(parseText(line), undefined, line);

  const malformed = [
    // Truncated JSON.
    '{"type":"alert","ts":1795509328.347495,"family":"ARP","kind":"new_st',
    REPORT_LINE.slice(0, 120),
    '{"type":"alert","ts":"1795509328","family":"ARP","kind":"new_station","msg":"m"}',
    '{"type":"alert","ts":1795509328,"family":"ARP","msg":"no kind"}',
    '{"type":"alert","ts":1795509328,"family":"ARP","kind":"two words","msg":"m"}',
    '{"type":"alert","ts":1795509328,"family":"ARP","kind":"x","port":80,"msg":"a number detail"}',
    '{"type":"report","ts":1795340544,"net":"10.10.1.0/24"}',
    '{"type":"alert"} trailing',
    '2026-13-24 09:35:28 ALERT ARP new_station a=b',
    '2026-02-30 09:35:28 ALERT ARP new_station a=b',
    '2026-11-24 24:00:00 ALERT ARP new_station a=b',
    '2026-11-24 09:35:28 ALERT',
    '2026-11-24 09:35:28 ALERT ',
    '2026-11-24 09:35:28 ALERT ARP',
    '2026-11-24 09:35:28 ALERT ARP  a=b',
    '2026-11-24 09:35:28 ALERT ARP new_station a=b extra',
    '2026-11-24 09:35:28 ALERT ARP new_station a=b,nokey',
    '2026-11-24 09:35:28 ALERT ARP new_station =b',
    '[2026-11-24 09:61:28] ARP new_station: a sentence',
  ];
  for (const line of malformed) {
    assert.equal(parseText(line), MALFORMED, line);
    assert.equal(parseEvent(Buffer.from(line), 0, line.length), undefined, line);
  }
});

test('edge forms: no details, empty values, CRLF, a record whose type is not first, a line inside a larger buffer', () => {
  assert.deepEqual(parseText('2026-11-24 09:35:28 ALERT HOST silent'), {
    type: 'alert', ts: 1795509328, family: 'HOST', kind: 'silent', details: [], line: '2026-11-24 09:35:28 ALERT HOST silent',
  });
  // writeAlert leaves the blank before an empty details field.
  assert.deepEqual((parseText('2026-11-24 09:35:28 ALERT HOST silent ') as AlertEvent).details, []);
  assert.deepEqual((parseText('2026-11-24 09:35:28 ALERT HOST silent addr=10.0.0.1,last=') as AlertEvent).details, [
    ['addr', '10.0.0.1'],
    ['last', ''],
  ]);
  const crlf = parseText('2026-11-24 09:35:28 ALERT HOST silent addr=10.0.0.1\r') as AlertEvent;
  assert.deepEqual(crlf.details, [['addr', '10.0.0.1']]);
  assert.equal(crlf.line, '2026-11-24 09:35:28 ALERT HOST silent addr=10.0.0.1');
  // A summer date: local time is then UTC+2 in Berlin.
  assert.equal((parseText('2026-07-01 02:00:00 ALERT HOST silent') as AlertEvent).ts, 1782864000);
  assert.equal((parseText('[2024-02-29 01:00:00] NET scan: s') as AlertEvent).ts, 1709164800);
  assert.equal((parseText('[2026-11-24 09:35:28] HOST silent: ') as AlertEvent).sentence, '');

  assert.deepEqual(parseText('{"ts":5.5,"kind":"silent","type":"alert","family":"HOST","addr":"10.0.0.1"}'), {
    type: 'alert', ts: 5.5, family: 'HOST', kind: 'silent', details: [['addr', '10.0.0.1']],
    line: '{"ts":5.5,"kind":"silent","type":"alert","family":"HOST","addr":"10.0.0.1"}',
  });

  const buf = Buffer.from('{"type":"pkt","ts":1}\n2026-11-24 09:35:28 ALERT NET scan src=10.0.0.9\n{"type":"pkt","ts":2}\n');
  const start = buf.indexOf('2026');
  const end = buf.indexOf('\n', start);
  assert.equal(parseEvent(buf, 0, start - 1), undefined);
  assert.deepEqual((parseEvent(buf, start, end) as AlertEvent).details, [['src', '10.0.0.9']]);
  // Only the bytes between start and end count: the alert cut short is malformed, the pkt record after it unseen.
  assert.equal(parseEventLine(buf, start, start + 25), MALFORMED);
  assert.equal(parseEventLine(buf, start, start + 24), undefined);
});

// ---------------------------------------------------------------------------
// The Digester
// ---------------------------------------------------------------------------

const OPTIONS: DigestOptions = { every: 10, maxPerHour: undefined, only: [], ignore: [], maxEntries: 100 };

function alert(family: string, kind: string, ts: number, details: [string, string][] = [], sentence?: string): AlertEvent {
  const e: AlertEvent = { type: 'alert', ts, family, kind, details, line: `${family} ${kind}` };
  if (sentence !== undefined) e.sentence = sentence;
  return e;
}

function report(): ReportEvent {
  return parseText(REPORT_LINE) as ReportEvent;
}

function digest(plan: MailPlan | undefined): Extract<MailPlan, { type: 'digest' }> {
  assert.equal(plan?.type, 'digest');
  return plan as Extract<MailPlan, { type: 'digest' }>;
}

test('a window: opens at the first alert, goes `every` seconds later, the next one opens at the next alert', () => {
  const d = new Digester(OPTIONS);
  assert.equal(d.nextDue(), undefined);
  assert.deepEqual(d.due(0), []);
  d.add(alert('HOST', 'silent', 500, [['addr', '10.0.0.1']]), 100);
  assert.equal(d.nextDue(), 110);
  d.add(alert('HOST', 'silent', 503, [['addr', '10.0.0.2']]), 103);
  d.add(alert('HOST', 'back', 509, [['addr', '10.0.0.1']]), 109.9);
  assert.deepEqual(d.due(109.9), []);
  assert.deepEqual(d.due(110), [
    {
      type: 'digest',
      start: 500,
      end: 509,
      entries: [
        { family: 'HOST', kind: 'silent', details: [['addr', '10.0.0.1']], count: 1, first: 500, last: 500 },
        { family: 'HOST', kind: 'silent', details: [['addr', '10.0.0.2']], count: 1, first: 503, last: 503 },
        { family: 'HOST', kind: 'back', details: [['addr', '10.0.0.1']], count: 1, first: 509, last: 509 },
      ],
      alerts: 3,
      heldMails: 0,
      heldAlerts: 0,
    },
  ]);
  assert.equal(d.nextDue(), undefined);
  assert.deepEqual(d.due(200), []);
  d.add(alert('HOST', 'silent', 600), 250);
  assert.equal(d.nextDue(), 260);
  // An alert arriving after the window's time, before due() was called, starts the next window.
  d.add(alert('HOST', 'silent', 611), 261);
  assert.equal(digest(d.due(261)[0]).alerts, 1);
  assert.equal(d.nextDue(), 271);
  assert.deepEqual(d.stats, { events: 5, selected: 5, collapsed: 0, held: 0 });
});

test('collapsing: same family, kind and details are one entry with count, first and last; grouped by family then kind', () => {
  const d = new Digester(OPTIONS);
  const a = (family: string, kind: string, ts: number, key: string, sentence?: string): void =>
    d.add(alert(family, kind, ts, [['k', key]], sentence), 0);
  a('ARP', 'new_station', 10, 'A', 'first sentence');
  a('TCP', 'synflood', 11, 'X');
  a('ARP', 'mac_changed', 12, 'M');
  a('ARP', 'new_station', 14, 'A', 'second sentence');
  a('ARP', 'new_station', 13, 'B');
  a('ARP', 'new_station', 9, 'A');
  // -H alerts have no details: their sentences tell them apart.
  d.add(alert('ARP', 'new_station', 15, [], 'new station 10.10.1.20'), 0);
  d.add(alert('ARP', 'new_station', 16, [], 'new station 10.10.1.1'), 0);
  d.add(alert('ARP', 'new_station', 17, [], 'new station 10.10.1.20'), 0);
  const plan = digest(d.flush(1)[0]);
  assert.deepEqual(plan.entries, [
    { family: 'ARP', kind: 'new_station', details: [['k', 'A']], sentence: 'first sentence', count: 3, first: 9, last: 14 },
    { family: 'ARP', kind: 'new_station', details: [['k', 'B']], count: 1, first: 13, last: 13 },
    { family: 'ARP', kind: 'new_station', details: [], sentence: 'new station 10.10.1.20', count: 2, first: 15, last: 17 },
    { family: 'ARP', kind: 'new_station', details: [], sentence: 'new station 10.10.1.1', count: 1, first: 16, last: 16 },
    { family: 'ARP', kind: 'mac_changed', details: [['k', 'M']], count: 1, first: 12, last: 12 },
    { family: 'TCP', kind: 'synflood', details: [['k', 'X']], count: 1, first: 11, last: 11 },
  ]);
  assert.equal(plan.alerts, 9);
  assert.equal(plan.start, 9);
  assert.equal(plan.end, 17);
  assert.deepEqual(d.stats, { events: 9, selected: 9, collapsed: 3, held: 0 });
});

test('--only and --ignore: TYPE or TYPE:KIND, case-insensitive, ignore after only; reports are BANDWIDTH report', () => {
  const d = new Digester({ ...OPTIONS, only: ['BANDWIDTH', 'arp:MAC_CHANGED'], ignore: ['bandwidth:Normal', 'ARP:gratuitous'] });
  const offered = [
    alert('BANDWIDTH', 'exceeded', 1),
    alert('BANDWIDTH', 'normal', 2),
    alert('ARP', 'mac_changed', 3),
    alert('ARP', 'gratuitous', 4),
    alert('ARP', 'new_station', 5),
    alert('TCP', 'synflood', 6),
    alert('bandwidth', 'EXCEEDED', 7),
  ];
  for (const e of offered) d.add(e, 0);
  d.add(report(), 0);
  const plans = d.flush(0);
  assert.deepEqual(plans.map((p) => p.type), ['report', 'digest']);
  assert.deepEqual(digest(plans[1]).entries.map((e) => `${e.family} ${e.kind}`), ['BANDWIDTH exceeded', 'ARP mac_changed', 'bandwidth EXCEEDED']);
  assert.deepEqual(d.stats, { events: 8, selected: 4, collapsed: 0, held: 0 });

  const noReports = new Digester({ ...OPTIONS, ignore: ['BANDWIDTH:report'] });
  noReports.add(report(), 0);
  noReports.add(alert('BANDWIDTH', 'report', 1), 0);
  assert.deepEqual(noReports.flush(0), []);
  assert.equal(noReports.stats.selected, 0);
});

test('reports go on their own, at once, while a window stays open', () => {
  const d = new Digester(OPTIONS);
  d.add(alert('NET', 'scan', 1), 40);
  d.add(report(), 45);
  assert.equal(d.nextDue(), 45);
  assert.deepEqual(d.due(45), [{ type: 'report', report: report().report, heldMails: 0, heldAlerts: 0 }]);
  assert.equal(d.nextDue(), 50);
  assert.equal(digest(d.due(50)[0]).alerts, 1);
});

test('every 0: a mail per alert, collapsed within the same second', () => {
  const d = new Digester({ ...OPTIONS, every: 0 });
  d.add(alert('NET', 'scan', 1, [['src', 'a']]), 7.1);
  d.add(alert('NET', 'scan', 2, [['src', 'a']]), 7.5);
  assert.equal(d.nextDue(), 8);
  assert.deepEqual(d.due(7.9), []);
  const first = d.due(8);
  assert.equal(first.length, 1);
  assert.deepEqual(digest(first[0]).entries, [{ family: 'NET', kind: 'scan', details: [['src', 'a']], count: 2, first: 1, last: 2 }]);
  d.add(alert('NET', 'scan', 3, [['src', 'a']]), 8.2);
  d.add(alert('NET', 'scan', 4, [['src', 'a']]), 9.0);
  assert.deepEqual(d.due(9).map((p) => digest(p).alerts), [1]);
  assert.deepEqual(d.flush(9).map((p) => digest(p).alerts), [1]);
  assert.deepEqual(d.stats, { events: 4, selected: 4, collapsed: 1, held: 0 });
});

test('the cap: 100 000 alerts in 60 s, windows of 5 s, 5 mails an hour — 5 mails, the rest held as one digest, counts exact', () => {
  const d = new Digester({ every: 5, maxPerHour: 5, only: [], ignore: [], maxEntries: 100 });
  const out: MailPlan[] = [];
  const N = 100_000;
  for (let i = 0; i < N; i++) {
    const now = Math.floor((i * 60) / N);
    d.add(alert('TCP', 'synflood', 1_000_000 + i, [['dst', `10.0.0.${i % 7}`]]), now);
    const next = d.nextDue();
    if (next !== undefined && next <= now) out.push(...d.due(now));
  }
  // Windows [0,5), [5,10) … each second has 1666 or 1667 alerts.
  assert.deepEqual(out.map((p) => digest(p).alerts), [8334, 8333, 8333, 8334, 8333]);
  assert.deepEqual(out.map((p) => digest(p).heldMails), [0, 0, 0, 0, 0]);
  assert.deepEqual(digest(out[0]).entries[0], { family: 'TCP', kind: 'synflood', details: [['dst', '10.0.0.0']], count: 1191, first: 1_000_000, last: 1_008_330 });
  // The windows closing at 30 … 55 are held as they close.
  assert.equal(d.stats.held, 6);
  assert.deepEqual(d.flush(60), []);
  const held = d.held!;
  assert.equal(held.heldMails, 7);
  assert.equal(held.alerts, 58_333);
  assert.equal(held.heldAlerts, 58_333);
  assert.equal(held.entries.length, 7);
  assert.equal(held.entries.reduce((n, e) => n + e.count, 0), 58_333);
  assert.equal(held.start, 1_041_667);
  assert.equal(held.end, 1_099_999);
  const sent = out.reduce((n, p) => n + digest(p).alerts, 0);
  assert.equal(sent + held.alerts, N);
  assert.deepEqual(d.stats, { events: N, selected: N, collapsed: N - 12 * 7, held: 7 });

  // The held digest goes an hour after the first mail, and then nothing is left.
  assert.equal(d.nextDue(), 3605);
  assert.deepEqual(d.due(3604.9), []);
  const late = d.due(3605);
  assert.equal(late.length, 1);
  assert.deepEqual(late[0], held);
  assert.equal(d.held, undefined);
  assert.equal(d.nextDue(), undefined);
});

test('the cap slides: a held report becomes an entry of the held digest, which goes when the oldest mail is an hour old', () => {
  const d = new Digester({ ...OPTIONS, every: 0, maxPerHour: 2 });
  d.add(alert('NET', 'scan', 1), 0);
  assert.equal(d.due(1).length, 1);
  d.add(alert('NET', 'scan', 2), 1000);
  assert.equal(d.due(1001).length, 1);
  d.add(report(), 2000);
  d.add(alert('NET', 'scan', 3), 2000);
  assert.equal(d.nextDue(), 3601);
  assert.deepEqual(d.due(2001), []);
  const held = d.held!;
  assert.deepEqual(held, {
    type: 'digest',
    start: 3,
    end: 1795340544,
    entries: [
      {
        family: 'BANDWIDTH',
        kind: 'report',
        details: [['net', '10.10.1.0/24'], ['kBps', '502.00'], ['exceeded', '4']],
        sentence: '10.10.1.0/24 over 100.00 kB/s for 0.07 min (502.00 kB/s now); top: 10.10.1.20 <-> 10.10.1.30 udp 2009.46 kB',
        count: 1,
        first: 1795340544,
        last: 1795340544,
      },
      { family: 'NET', kind: 'scan', details: [], count: 1, first: 3, last: 3 },
    ],
    alerts: 2,
    heldMails: 2,
    heldAlerts: 2,
  });
  // At 3601 the first mail (sent at 1) is an hour old: one slot, taken by the held digest; new alerts join the next held one.
  assert.deepEqual(d.due(3600.9), []);
  assert.deepEqual(d.due(3601), [held]);
  d.add(alert('NET', 'scan', 4), 3700);
  assert.deepEqual(d.due(3701), []);
  assert.equal(d.nextDue(), 4601);
  assert.deepEqual(d.due(4601).map((p) => digest(p).heldMails), [1]);
  assert.deepEqual(d.stats, { events: 5, selected: 5, collapsed: 0, held: 3 });
});

test('flush: the open window closes early; with no cap nothing is held', () => {
  const d = new Digester(OPTIONS);
  d.add(alert('HOST', 'silent', 7, [['addr', '10.0.0.1']]), 100);
  d.add(report(), 101);
  const plans = d.flush(102);
  assert.deepEqual(plans.map((p) => p.type), ['report', 'digest']);
  assert.equal(digest(plans[1]).alerts, 1);
  assert.equal(d.held, undefined);
  assert.equal(d.nextDue(), undefined);
  assert.deepEqual(d.flush(103), []);
});

test('maxEntries: past it alerts are only counted, per family and kind, and those tallies are bounded too', () => {
  const d = new Digester({ ...OPTIONS, maxEntries: 3 });
  for (let k = 0; k < 1000; k++) d.add(alert('NET', `k${k}`, k, [['n', String(k)]]), 0);
  // A repeat of a kept alert still collapses into its entry.
  d.add(alert('NET', 'k1', 5000, [['n', '1']]), 0);
  d.add(alert('NET', 'k4', 5001, [['n', 'other']]), 0);
  const plan = digest(d.flush(1)[0]);
  assert.equal(plan.alerts, 1002);
  const note = (n: number, what: string): string => `${n} more ${what} not listed: a digest lists at most 3 different alerts`;
  assert.deepEqual(plan.entries, [
    { family: 'NET', kind: 'k0', details: [['n', '0']], count: 1, first: 0, last: 0 },
    { family: 'NET', kind: 'k1', details: [['n', '1']], count: 2, first: 1, last: 5000 },
    { family: 'NET', kind: 'k2', details: [['n', '2']], count: 1, first: 2, last: 2 },
    { family: 'NET', kind: 'k3', details: [], sentence: note(1, 'NET k3 alerts'), count: 1, first: 3, last: 3 },
    { family: 'NET', kind: 'k4', details: [], sentence: note(2, 'NET k4 alerts'), count: 2, first: 4, last: 5001 },
    { family: 'NET', kind: 'k5', details: [], sentence: note(1, 'NET k5 alerts'), count: 1, first: 5, last: 5 },
    { family: '*', kind: '*', details: [], sentence: note(994, 'alerts of other kinds'), count: 994, first: 6, last: 999 },
  ]);
  assert.equal(plan.entries.reduce((n, e) => n + e.count, 0), 1002);
  assert.deepEqual(d.stats, { events: 1002, selected: 1002, collapsed: 1, held: 0 });
});
