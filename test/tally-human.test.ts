/**
 * trk-tally -H: the tables as a person reads them, from hand-built interval
 * results. Whole tables are compared as text at a wide and a narrow width;
 * the units at their boundaries; no line ever longer than the width.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBitRate, formatBytes, formatCount, formatDuration, formatShare, formatTable, formatTables } from '../src/tally/human.js';
import { shippedServices } from '../src/net/services.js';
import { NameCache } from '../src/tally/resolve.js';
import type { IntervalResult, Row, Table } from '../src/tally/types.js';
import { conn, counters, hostTable, interval, row, START, table } from './helpers/tally-results.js';

process.env.TZ = 'UTC';
const services = shippedServices();

/** Three hosts (one IPv6), 38 more folded in other, 2 evicted; byte counts on the unit boundaries. */
function hosts(): Table {
  return table(
    'host',
    [
      row('10.0.0.1', { pkts: 5210, bytes: 3_910_000, rxPkts: 3000, rxBytes: 3_500_000, txPkts: 2210, txBytes: 410_000, tcpPkts: 5000, tcpBytes: 3_800_000, udpPkts: 210, udpBytes: 110_000, inBytes: 3_500_000, outBytes: 410_000 }),
      row('2001:db8::1', { pkts: 900, bytes: 999_500, rxPkts: 900, rxBytes: 999_500, txPkts: 0, txBytes: 0, udpPkts: 900, udpBytes: 999_500, inBytes: 999_500 }),
      row('10.0.0.7', { pkts: 12, bytes: 999, rxPkts: 0, rxBytes: 0, txPkts: 12, txBytes: 999, otherPkts: 12, otherBytes: 999, martianBytes: 999 }),
    ],
    { pkts: 6200, bytes: 4_950_000, tcpPkts: 5000, tcpBytes: 3_800_000, udpPkts: 1188, udpBytes: 1_149_001, otherPkts: 12, otherBytes: 999, inBytes: 4_499_500, outBytes: 410_000, internalBytes: 39_501, martianBytes: 999 },
    { other: counters({ pkts: 78, bytes: 39_501, rxPkts: 40, rxBytes: 20_000, txPkts: 38, txBytes: 19_501, udpPkts: 78, udpBytes: 39_501, internalBytes: 39_501 }), keys: 41, evicted: 2 },
  );
}

function conns(): Table {
  const rows = [
    conn('10.0.0.2', 51000, '93.184.216.34', 443, { aPkts: 12, aBytes: 1200, bPkts: 14, bBytes: 18000, aWin: 64240, bWin: 65535, state: 'A', last: START + 53 }),
    conn('2001:db8:aaaa:bbbb::1', 53211, '2001:db8:cccc:dddd::53', 53, { proto: 'udp', aPkts: 1, aBytes: 80, bPkts: 1, bBytes: 200, last: START + 1 }),
    conn('10.0.0.9', 5353, '224.0.0.251', 5353, { proto: 'udp', aPkts: 3, aBytes: 300, last: START + 60 }),
    conn('10.0.0.3', 40000, '10.0.0.1', 22, { aPkts: 5, aBytes: 400, bPkts: 5, bBytes: 900, aWin: 500, bWin: -1, state: 'RESET', last: START - 200 }),
  ];
  return table('conn', rows, { pkts: 41, bytes: 21080 });
}

function assertFits(lines: string[], width: number): void {
  for (const line of lines) assert.ok(line.length <= width, `${line.length} > ${width}: ${JSON.stringify(line)}`);
}

test('units: SI bytes and bit rates to three figures, carrying into the next prefix at the boundary', () => {
  const bytes: [number, string][] = [
    [0, '0 B'], [999, '999 B'], [1000, '1.00 kB'], [1499, '1.50 kB'], [12_345, '12.3 kB'], [999_499, '999 kB'],
    [999_500, '1.00 MB'], [94_200_000, '94.2 MB'], [1e9, '1.00 GB'], [1.5e12, '1.50 TB'],
  ];
  for (const [n, text] of bytes) assert.equal(formatBytes(n), text, String(n));
  const rates: [number, string][] = [
    [0, '0 bit/s'], [0.4, '0 bit/s'], [999.4, '999 bit/s'], [999.5, '1.00 kbit/s'], [1e6, '1.00 Mbit/s'], [94_200_000, '94.2 Mbit/s'], [10e9, '10.0 Gbit/s'],
  ];
  for (const [n, text] of rates) assert.equal(formatBitRate(n), text, String(n));
  assert.equal(formatCount(999_999), '999999');
  assert.equal(formatCount(1_000_000), '1.00M');
  assert.equal(formatCount(12_345_678), '12.3M');
  assert.equal(formatShare(1, 2), '50%');
  assert.equal(formatShare(99, 1000), '9.9%');
  assert.equal(formatShare(9_96, 10_000), '10%');
  assert.equal(formatShare(1, 10_000), '<0.1%');
  assert.equal(formatShare(0, 10), '0%');
  const durations: [number, string][] = [[0, '0s'], [59.9, '59s'], [60, '1m00s'], [3599, '59m59s'], [3600, '1h00m'], [86_399, '23h59m'], [90_000, '1d01h'], [-3, '0s']];
  for (const [s, text] of durations) assert.equal(formatDuration(s), text, String(s));
});

test('host table, wide: every column, the other row and the totals last, the partial interval in the heading', () => {
  assert.deepEqual(formatTables(interval([hosts()], { partial: true }), { width: 200 }), [
    '[2026-11-22 09:42:00 – 09:43:00] by host (partial): 3 of 41 keys, 2 evicted (--max-keys)',
    'host         pkts    bytes         rate      %       rx       tx      tcp      udp  other       in     out  internal  martian',
    '10.0.0.1     5210  3.91 MB   521 kbit/s    79%  3.50 MB   410 kB  3.80 MB   110 kB    0 B  3.50 MB  410 kB       0 B      0 B',
    '2001:db8::1   900  1.00 MB   133 kbit/s    20%  1.00 MB      0 B      0 B  1.00 MB    0 B  1.00 MB     0 B       0 B      0 B',
    '10.0.0.7       12    999 B    133 bit/s  <0.1%      0 B    999 B      0 B      0 B  999 B      0 B     0 B       0 B    999 B',
    'other          78  39.5 kB  5.27 kbit/s   0.8%  20.0 kB  19.5 kB      0 B  39.5 kB    0 B      0 B     0 B   39.5 kB      0 B',
    'total        6200  4.95 MB   660 kbit/s                           3.80 MB  1.15 MB  999 B  4.50 MB  410 kB   39.5 kB    999 B',
  ]);
});

test('host table, narrow: the splits go first, the address stays whole, the heading drops the date', () => {
  const lines = formatTables(interval([hosts()], { partial: true }), { width: 60 });
  assert.deepEqual(lines, [
    '[09:42:00 – 09:43:00] by host (partial)',
    'host         pkts    bytes         rate       rx       tx',
    '10.0.0.1     5210  3.91 MB   521 kbit/s  3.50 MB   410 kB',
    '2001:db8::1   900  1.00 MB   133 kbit/s  1.00 MB      0 B',
    '10.0.0.7       12    999 B    133 bit/s      0 B    999 B',
    'other          78  39.5 kB  5.27 kbit/s  20.0 kB  19.5 kB',
    'total        6200  4.95 MB   660 kbit/s',
  ]);
});

test('--rx: the received columns first and kept longest, "top receivers" in the heading', () => {
  assert.deepEqual(formatTables(interval([hosts()], { partial: true }), { width: 60, rxTx: 'rx' }), [
    '[09:42:00 – 09:43:00] by host, top receivers (partial)',
    'host              rx      rx rate  rx pkts    bytes       tx',
    '10.0.0.1     3.50 MB   467 kbit/s     3000  3.91 MB   410 kB',
    '2001:db8::1  1.00 MB   133 kbit/s      900  1.00 MB      0 B',
    '10.0.0.7         0 B      0 bit/s        0    999 B    999 B',
    'other        20.0 kB  2.67 kbit/s       40  39.5 kB  19.5 kB',
    'total                                       4.95 MB',
  ]);
});

test('no width is too narrow: lines never exceed it, the key column and bytes go last', () => {
  const r = interval([hosts(), conns(), hostTable(30)], { partial: true });
  let dropped = 0;
  let previous = Infinity;
  for (let width = 1; width <= 220; width++) {
    const lines = formatTables(r, { width, services });
    assertFits(lines, width);
    if (width >= 22) assert.match(lines[1]!, /^host +(pkts +)?bytes/, `width ${width}`);
    if (width >= 46) assert.match(lines[1]!, /^host +pkts +bytes +rate/, `width ${width}`);
    // columns only ever come back as the width grows
    const columns = lines[1]!.trim().split(/ +/).length;
    assert.ok(columns >= Math.min(previous, columns), `width ${width}`);
    if (columns < previous && previous !== Infinity) dropped++;
    previous = columns;
  }
  assert.equal(dropped, 0);
});

test('connection list: iptraf columns, the well-known side named, both ways, window, state, idle', () => {
  assert.deepEqual(formatTables(interval([conns()]), { width: 200, services }), [
    '[2026-11-22 09:42:00 – 09:43:00] by conn',
    'connection                                                       proto  pkts    bytes         rate  →pkts   →bytes  ←pkts   ←bytes  avg   →win   ←win  state   idle',
    '10.0.0.2:51000 → 93.184.216.34:https                             tcp      26  19.2 kB  2.90 kbit/s     12  1.20 kB     14  18.0 kB  738  64240  65535  A         7s',
    '[2001:db8:aaaa:bbbb::1]:53211 → [2001:db8:cccc:dddd::53]:domain  udp       2    280 B  2.24 kbit/s      1     80 B      1    200 B  140                         59s',
    '10.0.0.9:mdns → 224.0.0.251:5353                                 udp       3    300 B     40 bit/s      3    300 B      0      0 B  100                          0s',
    '10.0.0.3:40000 → 10.0.0.1:ssh                                    tcp      10  1.30 kB  10.4 kbit/s      5    400 B      5    900 B  130    500      -  RESET  4m20s',
    'total                                                                     41  21.1 kB  2.81 kbit/s                                  514',
  ]);
});

test('connection list, narrow: the two ends outrank the minor columns; shortened, each side keeps its port', () => {
  assert.deepEqual(formatTables(interval([conns()]), { width: 100, services }), [
    '[2026-11-22 09:42:00 – 09:43:00] by conn',
    'connection                                                    pkts    bytes   →bytes   ←bytes  state',
    '10.0.0.2:51000 → 93.184.216.34:https                            26  19.2 kB  1.20 kB  18.0 kB  A',
    '[2001:db8:aaaa:bbbb::1]:53211 → [2001:db8:cccc:dddd::53]:53      2    280 B     80 B    200 B',
    '10.0.0.9:mdns → 224.0.0.251:5353                                 3    300 B    300 B      0 B',
    '10.0.0.3:40000 → 10.0.0.1:ssh                                   10  1.30 kB    400 B    900 B  RESET',
    'total                                                           41  21.1 kB',
  ]);
  const narrow = formatTables(interval([conns()]), { width: 70, services });
  assert.equal(narrow[3], '[2001:db…bbbb::1]:53211 → [2001:db8…dddd::53]:53     2    280 B');
  // without a services table (-n) ports stay numbers
  assert.match(formatTables(interval([conns()]), { width: 200 })[2]!, /^10\.0\.0\.2:51000 → 93\.184\.216\.34:443 /);
});

test('size table: a histogram of packets scaled to the fullest bucket, filling the width', () => {
  const sizes = table(
    'size',
    [row('1-75', { pkts: 500, bytes: 30000 }), row('76-150', { pkts: 50, bytes: 5000 }), row('151-225', {}), row('1401-1500', { pkts: 250, bytes: 375000 })],
    { pkts: 800, bytes: 410000 },
  );
  assert.deepEqual(formatTables(interval([sizes]), { width: 80 }), [
    '[2026-11-22 09:42:00 – 09:43:00] by size',
    'size       pkts    bytes         rate  % pkts',
    '1-75        500  30.0 kB  4.00 kbit/s     63%  #################################',
    '76-150       50  5.00 kB    667 bit/s    6.3%  ###',
    '151-225       0      0 B      0 bit/s      0%',
    '1401-1500   250   375 kB  50.0 kbit/s     31%  #################',
    'total       800   410 kB  54.7 kbit/s',
  ]);
});

test('rows cut for the screen are added into the other row, so the table still adds up', () => {
  const t = hosts();
  const lines = formatTable(interval([t]), t, { width: 200, maxRows: 1 });
  assert.equal(lines.length, 5);
  assert.match(lines[2]!, /^10\.0\.0\.1 /);
  // other: 78 packets of its own, plus 900 and 12 of the rows not shown
  assert.match(lines[3]!, /^other +990 +1\.04 MB /);
  assert.match(lines[4]!, /^total +6200 /);
});

test('local time honours TZ, and an interval across midnight writes both dates', () => {
  const t = hosts();
  try {
    process.env.TZ = 'America/New_York';
    assert.match(formatTables(interval([t]), { width: 200 })[0]!, /^\[2026-11-22 04:42:00 – 04:43:00\] by host/);
  } finally {
    process.env.TZ = 'UTC';
  }
  const midnight = interval([t], { start: Date.UTC(2026, 10, 22, 23, 0, 0) / 1000, seconds: 3600 });
  assert.match(formatTables(midnight, { width: 200 })[0]!, /^\[2026-11-22 23:00:00 – 2026-11-23 00:00:00\] by host/);
});

test('port rows show the service name; a key with terminal control characters cannot drive the terminal', () => {
  const ports = table('port', [row('443', { pkts: 3, bytes: 300, tcpPkts: 3, tcpBytes: 300 }), row('60999', { pkts: 1, bytes: 100 })], { pkts: 4, bytes: 400 });
  const lines = formatTables(interval([ports]), { width: 200, services });
  assert.match(lines[2]!, /^https \(443\) /);
  assert.match(lines[3]!, /^60999 /);
  const macs = table('mac', [row('\x1b[2J\x1b]0;owned\x07', { pkts: 1, bytes: 60 })], { pkts: 1, bytes: 60 });
  const text = formatTables(interval([macs]), { width: 200 }).join('\n');
  assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f]/);
  assert.match(text, /\?\[2J\?\]0;owned\?/);
});

test('--resolve: a host shows "name (address)" where it fits, the name alone where only that fits, else the address shortened', async () => {
  const names = new NameCache();
  const t = table('host', [row('127.0.0.1', { pkts: 10, bytes: 1000 }), row('192.0.2.1', { pkts: 5, bytes: 500 })], { pkts: 15, bytes: 1500 });
  const r: IntervalResult = interval([t]);
  // the first interval never waits for a name
  assert.match(formatTables(r, { width: 200, resolve: names })[2]!, /^127\.0\.0\.1 /);
  await names.settled();
  const seen = new Set<string>();
  for (let width = 200; width >= 5; width--) {
    const lines = formatTables(r, { width, resolve: names });
    assertFits(lines, width);
    const key = lines[2]!.split('  ')[0]!.trim();
    const form = key.includes('…') ? 'cut address' : key;
    assert.ok(['localhost (127.0.0.1)', 'localhost', 'cut address'].includes(form), `width ${width}: ${key}`);
    if (form === 'cut address') assert.match(key, /^12.*….*1$/);
    seen.add(form);
    assert.match(lines[3]!, /^192\.0\.2\.1( |$)|^19.*…/);
  }
  // in this order as the width shrinks, each form for a range of widths
  assert.deepEqual([...seen], ['localhost (127.0.0.1)', 'localhost', 'cut address']);
});

test('a key that came back after eviction has its counts marked ~; --percentile adds the billing rates', () => {
  const back: Row = { ...row('10.0.0.5', { pkts: 40, bytes: 4000 }), err: 1500, pctBps: 2_400_000, pctRxBps: 2_000_000, pctTxBps: 400_000 };
  const exact: Row = { ...row('10.0.0.6', { pkts: 20, bytes: 2000 }), pctBps: 999, pctRxBps: 0, pctTxBps: 999 };
  const t = table('host', [back, exact], { pkts: 60, bytes: 6000 }, { percentile: 95, evicted: 1, keys: 2 });
  const lines = formatTables(interval([t]), { width: 200 });
  assert.deepEqual(lines.slice(1, 5), [
    'host      pkts     bytes        rate          p95       p95 rx      p95 tx    %        rx        tx  tcp  udp  other',
    '10.0.0.5   ~40  ~4.00 kB  ~533 bit/s  2.40 Mbit/s  2.00 Mbit/s  400 kbit/s  67%  ~2.00 kB  ~2.00 kB  0 B  0 B    0 B',
    '10.0.0.6    20   2.00 kB   267 bit/s    999 bit/s      0 bit/s   999 bit/s  33%   1.00 kB   1.00 kB  0 B  0 B    0 B',
    'total       60   6.00 kB   800 bit/s                                                                 0 B  0 B    0 B',
  ]);
});
