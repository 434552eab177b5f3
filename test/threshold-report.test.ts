/**
 * trk-threshold's bandwidth report in every form — ipband's text report, its
 * mail, its -w page, the `report` record and its reader, the -H sentence —
 * and the two name tables behind it (protocols, networks).
 *
 * The expected text, mail and page are ipband's own output, format for
 * format: Debian's ipband 0.8.1 binary was run on a loopback interface in a
 * private network namespace and its ipband.txt, mail and page compared line
 * by line with these (the blanks after an empty SERVICE, the newline inside
 * the page's Date cell are ipband's).
 */
process.env.TZ = 'UTC';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { LineOutput } from '../src/io/output.js';
import { loadNetworks, networkName, networkNumber } from '../src/net/networks.js';
import { loadProtocols, protocolName } from '../src/net/protocols.js';
import { cFixed, ctime, htmlPage, mailMessage, readReportRecord, reportSentence, reportText, writeReportJson } from '../src/threshold/report.js';
import type { BandwidthReport } from '../src/threshold/types.js';

/** Tue Nov 24 14:30:31 2026 UTC. */
const TS = 1795530631;

/** An IPv4 report with everything ipband could print: top, -A, a named network, a service cut to 11 characters, no service, ICMP, a tie. */
function ipv4Report(): BandwidthReport {
  return {
    ts: TS,
    net: '10.10.1.0/24',
    address: '10.10.1.0',
    name: 'office',
    threshold: 100,
    kBps: 150.456,
    exceeded: 240,
    since: TS - 540,
    accumulated: 900,
    watchStart: TS - 3600,
    accumulatedPct: 25,
    top: 4,
    conns: [
      { a: '10.10.1.20', aport: 40000, b: '10.10.1.30', bport: 53, proto: 'udp', bytes: 1264128, service: 'domain' },
      { a: '10.10.1.5', aport: 51000, b: '198.51.100.9', bport: 7000, proto: 'tcp', bytes: 819584, service: 'afs3-fileserver' },
      { a: '10.10.1.7', aport: 40001, b: '203.0.113.4', bport: 9999, proto: 'udp', bytes: 1536, service: '' },
      { a: '10.10.1.20', aport: 0, b: '192.0.2.7', bport: 0, proto: 'icmp', bytes: 128, service: '' },
    ],
    totalConns: 7,
    totalBytes: 2086656,
    droppedConns: 0,
    droppedBytes: 0,
  };
}

const IPV4_TEXT = [
  '',
  'Date:   Tue Nov 24 14:30:31 2026',
  'Showing top 4 connections',
  'Network: 10.10.1.0 <office>',
  'Bandwidth threshold: 100.00 kBps, exceeded for: 4.00 min',
  'Threshold exceeded time since Tue Nov 24 13:30:31 2026: 15.00 min (25.00%)',
  '===============================================================================',
  'FROM            < PORT>     TO              < PORT>  PROT      KBYTES  SERVICE',
  '-------------------------------------------------------------------------------',
  '10.10.1.20      <40000> <-> 10.10.1.30      <   53>  udp      1234.50  domain',
  '10.10.1.5       <51000> <-> 198.51.100.9    < 7000>  tcp       800.38  afs3-filese',
  '10.10.1.7       <40001> <-> 203.0.113.4     < 9999>  udp         1.50  ',
  // 128 bytes are exactly 0.125 kB: printf rounds the tie to even (toFixed would say 0.13)
  '10.10.1.20      <    0> <-> 192.0.2.7       <    0> icmp         0.12  ',
  '===============================================================================',
  '',
].join('\n');

/** An IPv6 report: addresses wider than 15, a protocol name wider than 4, connections the detail table dropped, no top, no name, no -A. */
function ipv6Report(): BandwidthReport {
  return {
    ts: TS + 300,
    net: '2001:db8:1::/64',
    address: '2001:db8:1::',
    threshold: 7,
    kBps: 12,
    exceeded: 330,
    since: TS - 30,
    top: 0,
    conns: [
      { a: '2001:db8:1::20', aport: 443, b: '2001:db8:ffff:ffff:ffff:ffff:ffff:1', bport: 50000, proto: 'tcp', bytes: 2048000, service: 'https' },
      { a: '2001:db8:1::1', aport: 0, b: '2001:db8:1::20', bport: 0, proto: 'ipv6-icmp', bytes: 2560, service: '' },
    ],
    totalConns: 2,
    totalBytes: 2050560,
    droppedConns: 3,
    droppedBytes: 3584,
  };
}

const WIDE_RULE = '='.repeat(119);
const IPV6_TEXT = [
  '',
  'Date:   Tue Nov 24 14:35:31 2026',
  'Network: 2001:db8:1::',
  'Bandwidth threshold: 7.00 kBps, exceeded for: 5.50 min',
  WIDE_RULE,
  'FROM                                < PORT>     TO                                  < PORT>  PROT      KBYTES  SERVICE',
  '-'.repeat(119),
  '2001:db8:1::20                      <  443> <-> 2001:db8:ffff:ffff:ffff:ffff:ffff:1 <50000>  tcp      2000.00  https',
  '2001:db8:1::1                       <    0> <-> 2001:db8:1::20                      <    0> ipv6-icmp         2.50  ',
  '(3 more connections, 3.50 kbytes, not logged: detail table full)',
  WIDE_RULE,
  '',
].join('\n');

test('reportText is ipband subnet_report() text: top, accumulated time, named network, cut service, ICMP and unnamed rows', () => {
  assert.equal(reportText(ipv4Report()), IPV4_TEXT);
});

test('reportText widens the address columns for IPv6 and states the connections the detail table dropped', () => {
  assert.equal(reportText(ipv6Report()), IPV6_TEXT);
  // one dropped connection reads as one
  assert.match(reportText({ ...ipv6Report(), droppedConns: 1, droppedBytes: 512 }), /\n\(1 more connection, 0\.50 kbytes, not logged: detail table full\)\n/);
});

test('reportText without top or -A prints neither line, and a top cut adds nothing', () => {
  const r = ipv4Report();
  delete r.name;
  delete r.accumulated;
  delete r.watchStart;
  delete r.accumulatedPct;
  r.top = 0;
  const lines = reportText(r).split('\n');
  assert.deepEqual(lines.slice(0, 5), ['', 'Date:   Tue Nov 24 14:30:31 2026', 'Network: 10.10.1.0', 'Bandwidth threshold: 100.00 kBps, exceeded for: 4.00 min', '='.repeat(79)]);
  // totalConns 7 with 4 shown: ipband said nothing of the other 3
  assert.deepEqual(lines.slice(-3), ['10.10.1.20      <    0> <-> 192.0.2.7       <    0> icmp         0.12  ', '='.repeat(79), '']);
  assert.equal(lines.length, 13);
});

test('cFixed rounds exact ties to even as printf does, and ctime is ctime(3)', () => {
  assert.equal(cFixed(0.125, 2), '0.12');
  assert.equal(cFixed(0.375, 2), '0.38');
  assert.equal(cFixed(2.5, 0), '2');
  assert.equal(cFixed(-0.125, 2), '-0.12');
  // 1.005 is not a tie as a double (it is 1.00499999999999989…)
  assert.equal(cFixed(1.005, 2), '1.00');
  assert.equal(cFixed(1234.5, 2), '1234.50');
  assert.equal(ctime(TS + 0.9), 'Tue Nov 24 14:30:31 2026\n');
  assert.equal(ctime(Date.UTC(2026, 0, 4, 3, 2, 1) / 1000), 'Sun Jan  4 03:02:01 2026\n');
  // local time: TZ is honoured
  process.env.TZ = 'Europe/Helsinki';
  try {
    assert.equal(ctime(TS), 'Tue Nov 24 16:30:31 2026\n');
  } finally {
    process.env.TZ = 'UTC';
  }
});

function captureLine(r: BandwidthReport): string {
  const chunks: Buffer[] = [];
  const out = new LineOutput(new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
  writeReportJson(out, r);
  out.flush();
  return Buffer.concat(chunks).toString('utf8');
}

test('the report record, field by field', () => {
  const line = captureLine(ipv4Report());
  assert.ok(line.endsWith('}\n') && line.indexOf('\n') === line.length - 1, 'one line');
  const obj = JSON.parse(line) as Record<string, unknown>;
  assert.deepEqual(Object.keys(obj), [
    'type', 'ts', 'net', 'address', 'name', 'threshold', 'kBps', 'exceeded', 'since', 'accumulated', 'watch_start', 'accumulated_pct',
    'top', 'total_conns', 'total_bytes', 'dropped_conns', 'dropped_bytes', 'conns',
  ]);
  assert.equal(obj.type, 'report');
  assert.equal(obj.ts, TS);
  assert.equal(obj.net, '10.10.1.0/24');
  assert.equal(obj.address, '10.10.1.0');
  assert.equal(obj.name, 'office');
  assert.equal(obj.threshold, 100);
  assert.equal(obj.kBps, 150.46);
  assert.equal(obj.exceeded, 240);
  assert.equal(obj.since, TS - 540);
  assert.equal(obj.accumulated, 900);
  assert.equal(obj.watch_start, TS - 3600);
  assert.equal(obj.accumulated_pct, 25);
  assert.equal(obj.top, 4);
  assert.equal(obj.total_conns, 7);
  assert.equal(obj.total_bytes, 2086656);
  assert.equal(obj.dropped_conns, 0);
  assert.equal(obj.dropped_bytes, 0);
  assert.deepEqual(obj.conns, [
    { a: '10.10.1.20', aport: 40000, b: '10.10.1.30', bport: 53, proto: 'udp', bytes: 1264128, svc: 'domain' },
    { a: '10.10.1.5', aport: 51000, b: '198.51.100.9', bport: 7000, proto: 'tcp', bytes: 819584, svc: 'afs3-fileserver' },
    { a: '10.10.1.7', aport: 40001, b: '203.0.113.4', bport: 9999, proto: 'udp', bytes: 1536 },
    { a: '10.10.1.20', aport: 0, b: '192.0.2.7', bport: 0, proto: 'icmp', bytes: 128 },
  ]);
  // without a name and -A those fields are absent, not null; the percentage is rounded as printed
  const plain = JSON.parse(captureLine(ipv6Report())) as Record<string, unknown>;
  for (const key of ['name', 'accumulated', 'watch_start', 'accumulated_pct']) assert.equal(key in plain, false, key);
  assert.equal(plain.dropped_conns, 3);
  assert.equal(plain.dropped_bytes, 3584);
  const pct = JSON.parse(captureLine({ ...ipv4Report(), accumulatedPct: 100 / 3, kBps: 0.125 })) as Record<string, unknown>;
  assert.equal(pct.accumulated_pct, 33.33);
  assert.equal(pct.kBps, 0.12);
  assert.equal(
    captureLine(ipv6Report()),
    '{"type":"report","ts":1795530931,"net":"2001:db8:1::/64","address":"2001:db8:1::","threshold":7,"kBps":12,"exceeded":330,"since":1795530601,' +
      '"top":0,"total_conns":2,"total_bytes":2050560,"dropped_conns":3,"dropped_bytes":3584,"conns":[' +
      '{"a":"2001:db8:1::20","aport":443,"b":"2001:db8:ffff:ffff:ffff:ffff:ffff:1","bport":50000,"proto":"tcp","bytes":2048000,"svc":"https"},' +
      '{"a":"2001:db8:1::1","aport":0,"b":"2001:db8:1::20","bport":0,"proto":"ipv6-icmp","bytes":2560}]}\n',
  );
});

test('readReportRecord reads the record back into the report, and the text printed from it is the same', () => {
  for (const r of [ipv4Report(), ipv6Report(), { ...ipv4Report(), accumulatedPct: 100 / 3 }]) {
    const back = readReportRecord(JSON.parse(captureLine(r)));
    assert.ok(back);
    const expected: BandwidthReport = { ...r, kBps: Number(cFixed(r.kBps, 2)) };
    if (r.accumulatedPct !== undefined) expected.accumulatedPct = Number(cFixed(r.accumulatedPct, 2));
    assert.deepEqual(back, expected);
    assert.equal(reportText(back), reportText(r));
    assert.equal(captureLine(back), captureLine(r));
  }
});

test('readReportRecord refuses what is not a whole report record', () => {
  const good = JSON.parse(captureLine(ipv4Report())) as Record<string, unknown>;
  assert.equal(readReportRecord(null), undefined);
  assert.equal(readReportRecord([good]), undefined);
  assert.equal(readReportRecord({ ...good, type: 'tally' }), undefined);
  const { since: _since, ...noSince } = good;
  assert.equal(readReportRecord(noSince), undefined);
  assert.equal(readReportRecord({ ...good, kBps: '150.46' }), undefined);
  assert.equal(readReportRecord({ ...good, name: null }), undefined);
  assert.equal(readReportRecord({ ...good, conns: [{ a: '10.0.0.1', aport: 70000, b: '10.0.0.2', bport: 1, proto: 'tcp', bytes: 1 }] }), undefined);
  assert.equal(readReportRecord({ ...good, conns: [{ a: '10.0.0.1', aport: 1, b: '10.0.0.2', bport: 1, proto: 'tcp', bytes: 1, svc: 5 }] }), undefined);
  assert.ok(readReportRecord({ ...good, conns: [] }));
});

test('reportSentence: subnet, name, threshold, time over, rate, heaviest connection', () => {
  assert.equal(
    reportSentence(ipv4Report()),
    '10.10.1.0/24 <office> over 100.00 kB/s for 4.00 min (150.46 kB/s now); top: 10.10.1.20 <-> 10.10.1.30 udp 1234.50 kB',
  );
  assert.equal(reportSentence({ ...ipv6Report(), conns: [] }), '2001:db8:1::/64 over 7.00 kB/s for 5.50 min (12.00 kB/s now); no connections logged');
});

test('htmlPage is proc_aggr()\'s -w page, with the title and addresses escaped', () => {
  const page = htmlPage({
    title: `Tom & Jerry's <b>"link"</b>`,
    generated: TS,
    refresh: 60,
    subnets: [
      { address: '10.10.1.0', kBps: 150.456 },
      { address: '2001:db8:1::', kBps: 0.125 },
    ],
  });
  assert.equal(
    page,
    [
      '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">',
      '',
      '<html>',
      '<head>',
      '     <title>Tom &#38; Jerry&#39;s &#60;b&#62;&#34;link&#34;&#60;/b&#62;</title>',
      '     <meta http-equiv="Refresh" content="60">',
      '     <meta http-equiv="Pragma" content="no-cache">',
      '     <meta http-equiv="Cache-Control" content="no-cache">',
      '     <link href="styles.css" rel="stylesheet" type="text/css">',
      '</head>',
      '',
      '<body>',
      '',
      '<table width="100%" border="0" align="center">',
      '<tr><td align="center" nowrap class="subject">Tom &#38; Jerry&#39;s &#60;b&#62;&#34;link&#34;&#60;/b&#62;</td></tr>',
      '<tr><td align="center" nowrap class="date">Date: Tue Nov 24 14:30:31 2026',
      '</td></tr>',
      '<tr><td><br></td></tr>',
      '<tr>',
      '\t<td align="center">',
      '\t\t<table border="0" cellspacing="2" cellpadding="2">',
      '\t\t<tr><td nowrap class="text"><b>IP address</b></td><td>&nbsp;</td><td align="right" nowrap class="text"><b>Bandwidth</b></td></tr>',
      '\t\t<tr><td colspan="3"><hr class="line"></td></tr>',
      '\t\t<tr><td nowrap class="text">10.10.1.0</td><td>&nbsp;</td><td align="right" nowrap class="text">150.46 kBps</td></tr>',
      '\t\t<tr><td nowrap class="text">2001:db8:1::</td><td>&nbsp;</td><td align="right" nowrap class="text">0.12 kBps</td></tr>',
      '\t\t</table>',
      '\t</td>',
      '</tr>',
      '</table>',
      '</body>',
      '</html>',
      '',
    ].join('\n'),
  );
});

test('mailMessage: To, ipband\'s From, Subject with the name, blank line, the report, the footer', () => {
  const header = 'To: noc@example.net,ops@example.net\nFrom: IP bandwidth watchdog <ipband>\nSubject: Bandwidth report for 10.10.1.0 <office>\n\n';
  assert.equal(mailMessage(ipv4Report(), { to: 'noc@example.net,ops@example.net' }), header + IPV4_TEXT);
  assert.equal(mailMessage(ipv4Report(), { to: 'noc@example.net,ops@example.net', footer: '-- \r\nNOC, ext. 4711' }), header + IPV4_TEXT + '-- \nNOC, ext. 4711\n');
  assert.equal(mailMessage(ipv4Report(), { to: 'noc@example.net,ops@example.net', footer: 'kept as it is\n' }), header + IPV4_TEXT + 'kept as it is\n');
  const v6 = mailMessage(ipv6Report(), { to: 'noc@example.net\nBcc: victim@example.org' });
  assert.equal(v6, 'To: noc@example.net Bcc: victim@example.org\nFrom: IP bandwidth watchdog <ipband>\nSubject: Bandwidth report for 2001:db8:1::\n\n' + IPV6_TEXT);
});

const PROTOCOLS = [
  [6, 'tcp'],
  [17, 'udp'],
  [1, 'icmp'],
  [47, 'gre'],
  [58, 'ipv6-icmp'],
  [255, '255'],
] as const;

test("protocolName against Debian's /etc/protocols and against the shipped table", () => {
  assert.deepEqual(loadProtocols('/etc/protocols'), { kind: 'file', path: '/etc/protocols' });
  for (const [n, name] of PROTOCOLS) assert.equal(protocolName(n), name, String(n));
  // first entry for a number: Debian lists ip before hopopt for 0
  assert.equal(protocolName(0), 'ip');
  assert.equal(protocolName(262), 'mptcp');
  const fromFile = new Map<number, string>();
  for (let n = 0; n < 256; n++) fromFile.set(n, protocolName(n));

  assert.deepEqual(loadProtocols('/nonexistent/protocols'), { kind: 'shipped' });
  for (const [n, name] of PROTOCOLS) assert.equal(protocolName(n), name, String(n));
  // every name the shipped table has is Debian's name for that number
  let shipped = 0;
  for (let n = 0; n < 256; n++) {
    const name = protocolName(n);
    if (name === String(n)) continue;
    shipped++;
    assert.equal(name, fromFile.get(n), `shipped name of ${n}`);
  }
  assert.equal(shipped, 22);
});

test('protocolName reads protocols(5) as getprotobynumber does; an empty file falls back to the shipped table', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-protocols-'));
  try {
    const file = path.join(dir, 'protocols');
    fs.writeFileSync(file, ['# comment 6', 'first\t200\tFIRST\t# x', 'second 200', 'bad,name 201', 'nonumber x12', 'tcpish 6# glued comment', '  spaced   202  ', ''].join('\n'));
    assert.deepEqual(loadProtocols(file), { kind: 'file', path: file });
    assert.equal(protocolName(200), 'first');
    assert.equal(protocolName(201), '201');
    assert.equal(protocolName(6), 'tcpish');
    assert.equal(protocolName(202), 'spaced');
    assert.equal(protocolName(1), '1');
    fs.writeFileSync(file, '# nothing but comments\n');
    assert.deepEqual(loadProtocols(file), { kind: 'shipped' });
    assert.equal(protocolName(1), 'icmp');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("networkName matches glibc getnetbyaddr(): short entries padded with zeros, exact match, first entry wins", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-networks-'));
  try {
    const file = path.join(dir, 'networks');
    // The entries a C program checked getnetbyaddr() against (see networks.ts); its answers are asserted below.
    fs.writeFileSync(
      file,
      [
        '# test',
        'short127   127',
        'three      10.10.1     # comment',
        'dup        10.10.1.0',
        'full       192.168.5.0 alias1 alias2',
        'octal      012.0.0.0',
        'hexa       0x0b.1',
        'zero0      172.16.0.0',
        'two        172.16',
        'eight      10.8.0.1',
        'trail      10.9.',
        'bad        300.1.1.1',
        'bogus      foo',
        '',
      ].join('\n'),
    );
    assert.equal(loadNetworks(file), 8);
    assert.equal(networkName('127.0.0.0'), 'short127');
    assert.equal(networkName('0.0.0.127'), undefined);
    assert.equal(networkName('10.10.1.0'), 'three');
    assert.equal(networkName('0.10.10.1'), undefined);
    assert.equal(networkName('192.168.5.0'), 'full');
    assert.equal(networkName('10.0.0.0'), 'octal');
    assert.equal(networkName('11.1.0.0'), 'hexa');
    assert.equal(networkName('0.0.11.1'), undefined);
    assert.equal(networkName('172.16.0.0'), 'zero0');
    assert.equal(networkName('10.8.0.1'), 'eight');
    assert.equal(networkName('10.9.0.0'), undefined);
    // glibc's INADDR_NONE quirk: the first unreadable number "names" 255.255.255.255
    assert.equal(networkName('255.255.255.255'), 'trail');
    assert.equal(networkName('12.1.1.1'), undefined);
    assert.equal(networkName('0.0.0.0'), undefined);
    // no prefix matching: 10.10.1.0 named does not name 10.10.0.0 or 10.10.1.128
    assert.equal(networkName('10.10.0.0'), undefined);
    assert.equal(networkName('10.10.1.128'), undefined);
    // networks(5) is IPv4 only
    assert.equal(networkName('2001:db8:1::'), undefined);
    assert.equal(networkName('10.10.1'), undefined);
    assert.equal(networkNumber('10.10.1'), 0x0a0a0100);
    assert.equal(networkNumber('08.1'), 0xffffffff);

    assert.equal(loadNetworks(path.join(dir, 'missing')), 0);
    assert.equal(networkName('127.0.0.0'), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
