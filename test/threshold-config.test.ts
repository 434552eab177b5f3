/**
 * trk-threshold's configuration file (src/threshold/config.ts): every
 * keyword, ipband's own sample files, comments, line ends, every kind of bad
 * line with its exact message, the file reader, the value parsers the
 * command line shares, and the man page section. What ipband itself makes of
 * the same files is checked against the installed ipband (its -d option
 * printout), so "ipband's meaning" is ipband's, not our memory of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../src/capture/source.js';
import { parseNetworks } from '../src/net/prefixes.js';
import {
  CONFIG_KEYWORDS,
  ConfigError,
  ConfigValueError,
  DEFAULT_CONFIG,
  defaultConfigPath,
  findKeyword,
  manConfigSection,
  parseConfig,
  parseHostAddress,
  parseIntIn,
  parseKBps,
  parseLocalrange,
  parseMailto,
  parseMtaString,
  parseNumberIn,
  parseSilentSpec,
  parseYesNo,
  readConfigFile,
} from '../src/threshold/config.js';
import { defaultSettings, type ThresholdSettings } from '../src/threshold/types.js';

const EXAMPLES = '/usr/share/doc/ipband/examples';
const SIMPLE = path.join(EXAMPLES, 'ipband.conf-simple');
const VERBOSE = path.join(EXAMPLES, 'ipband.conf-verbose');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-threshold-config-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function writeTmp(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

/** The message of the error parseConfig throws for this text, checking it is a one-line ConfigError. */
function configError(text: string, file = 'ipband.conf'): string {
  try {
    parseConfig(text, file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `a ConfigError, not ${String(e)}`);
    assert.ok(e instanceof InputError, 'an InputError: the CLI prints it as one line and exits 1');
    assert.ok(!e.message.includes('\n') && !e.message.includes('\r'), `one line: ${JSON.stringify(e.message)}`);
    return e.message;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

/** The value parsers' reason for refusing text. */
function valueError(parse: () => unknown): string {
  try {
    parse();
  } catch (e) {
    assert.ok(e instanceof ConfigValueError, `a ConfigValueError, not ${String(e)}`);
    return e.reason;
  }
  assert.fail('no error');
}

// ---- every keyword

/** One line per keyword, the settings field it must set and the exact value (types included). */
const KEYWORD_LINES: [line: string, field: keyof ThresholdSettings, value: unknown][] = [
  ['interface eth1', 'interface', 'eth1'],
  ['promisc no', 'promisc', false],
  ['debug 3', 'debug', 3],
  ['fork yes', 'fork', true],
  ['filter tcp and not port 22', 'filter', 'tcp and not port 22'],
  ['outfile /var/log/ipband.txt', 'outfile', '/var/log/ipband.txt'],
  ['htmlfile /var/www/html/ipband.html', 'htmlfile', '/var/www/html/ipband.html'],
  ['htmltitle Core links, building 4', 'htmltitle', 'Core links, building 4'],
  ['bandwidth 12.5', 'bandwidth', 12.5],
  ['average 30', 'average', 30],
  ['lenadj -8', 'lenadj', -8],
  ['report 900', 'report', 900],
  ['top 25', 'top', 25],
  ['accumulate on', 'accumulate', true],
  ['mailto noc@example.net, ops@example.net', 'mailto', 'noc@example.net,ops@example.net'],
  ['mailfoot /etc/ipband.foot', 'mailfoot', '/etc/ipband.foot'],
  ['mtastring "/usr/lib/sendmail -t"', 'mtastring', '/usr/lib/sendmail -t'],
  ['maskbits 16', 'maskbits', 16],
  ['localrange 10.10.82.0/24:10.10.61.0/24', 'localrange', ['10.10.82.0/24:10.10.61.0/24']],
  ['subnet 10.10.1.0 bandwidth 50', 'subnets', [{ address: '10.10.1.0', version: 4, bandwidth: 50, where: 'k.conf:1' }]],
  ['mask6 48', 'mask6', 48],
  ['hammer-kbps 500.5', 'hammerKBps', 500.5],
  ['hammer-pps 2000', 'hammerPps', 2000],
  ['hammer-top 10', 'hammerTop', 10],
  ['watch 2001:DB8:0:0::1 silent 120', 'watches', [{ address: '2001:db8::1', seconds: 120 }]],
  ['synflood 50', 'synflood', 50],
  ['scan-ports 100', 'scanPorts', 100],
  ['scan-hosts 20', 'scanHosts', 20],
  ['max-subnets 5000', 'maxSubnets', 5000],
  ['max-conns 20000', 'maxConns', 20000],
  ['max-hosts 3000', 'maxHosts', 3000],
];

test('every keyword sets its field, with the right type, and nothing else', () => {
  assert.deepEqual(
    KEYWORD_LINES.map(([line]) => line.split(' ')[0]).sort(),
    CONFIG_KEYWORDS.map((k) => k.keyword).sort(),
    'this test covers exactly the keywords of the table',
  );
  for (const [line, field, value] of KEYWORD_LINES) {
    const keyword = line.split(' ')[0]!;
    assert.equal(findKeyword(keyword)?.field, field, `the table says ${keyword} sets ${field}`);
    const settings = parseConfig(line, 'k.conf');
    assert.deepEqual(settings, { ...defaultSettings(), [field]: value }, line);
  }
});

test('ipband and trk keywords together: 31 keywords, ipband\'s first, each with its command-line option', () => {
  assert.equal(CONFIG_KEYWORDS.length, 31);
  assert.deepEqual(
    CONFIG_KEYWORDS.map((k) => `${k.keyword}${k.option === undefined ? '' : ` ${k.option}`}`),
    [
      'interface -i', 'promisc -P', 'debug -d', 'fork -F', 'filter -f', 'outfile -o', 'htmlfile -w', 'htmltitle --htmltitle',
      'bandwidth -b', 'average -a', 'lenadj -J', 'report -r', 'top -t', 'accumulate -A', 'mailto -M', 'mailfoot -l',
      'mtastring -T', 'maskbits -m', 'localrange -L', 'subnet',
      'mask6 --mask6', 'hammer-kbps --hammer-kbps', 'hammer-pps --hammer-pps', 'hammer-top --hammer-top',
      'watch --silent', 'synflood --synflood', 'scan-ports --scan-ports', 'scan-hosts --scan-hosts',
      'max-subnets --max-subnets', 'max-conns --max-conns', 'max-hosts --max-hosts',
    ],
  );
});

test('yes/no values: yes/no, true/false, on/off, 1/0 in any case', () => {
  for (const word of ['yes', 'YES', 'true', 'True', 'on', 'On', '1']) {
    assert.equal(parseConfig(`fork ${word}`, 'c').fork, true, word);
    assert.equal(parseConfig(`promisc ${word}`, 'c').promisc, true, word);
    assert.equal(parseConfig(`accumulate ${word}`, 'c').accumulate, true, word);
  }
  for (const word of ['no', 'No', 'false', 'FALSE', 'off', 'OFF', '0']) {
    assert.equal(parseConfig(`fork ${word}`, 'c').fork, false, word);
    assert.equal(parseConfig(`promisc ${word}`, 'c').promisc, false, word);
    assert.equal(parseConfig(`accumulate ${word}`, 'c').accumulate, false, word);
  }
});

test('numbers: decimals for rates, whole numbers elsewhere, bounds inclusive', () => {
  assert.equal(parseConfig('bandwidth 0', 'c').bandwidth, 0);
  assert.equal(parseConfig('bandwidth .5', 'c').bandwidth, 0.5);
  assert.equal(parseConfig('bandwidth 7.', 'c').bandwidth, 7);
  assert.equal(parseConfig('bandwidth 0600', 'c').bandwidth, 600, 'leading zeros are decimal, as atof reads them');
  assert.equal(parseConfig('maskbits 1', 'c').maskbits, 1);
  assert.equal(parseConfig('maskbits 32', 'c').maskbits, 32);
  assert.equal(parseConfig('mask6 128', 'c').mask6, 128);
  assert.equal(parseConfig('debug 0', 'c').debug, 0);
  assert.equal(parseConfig('top 0', 'c').top, 0);
  assert.equal(parseConfig('lenadj 14', 'c').lenadj, 14);
  assert.equal(parseConfig('lenadj -65535', 'c').lenadj, -65535);
  assert.ok(Object.is(parseConfig('lenadj -0', 'c').lenadj, 0), '-0 is read as 0');
  assert.equal(parseConfig('synflood 1', 'c').synflood, 1);
  assert.equal(parseConfig('synflood 2.5', 'c').synflood, 2.5);
  assert.equal(parseConfig('hammer-pps 0.5', 'c').hammerPps, 0.5);
});

// ---- ipband's sample files

test("ipband's simple sample file: the values written in it", () => {
  const settings = readConfigFile(SIMPLE);
  assert.deepEqual(settings, {
    ...defaultSettings(),
    fork: false,
    interface: 'eth0',
    promisc: true,
    bandwidth: 600,
    average: 60,
    report: 300,
    top: 15,
    mailto: 'root@localhost',
    outfile: '/dev/null',
    maskbits: 24,
    subnets: [
      { address: '192.168.0.0', version: 4, bandwidth: 600, where: `${SIMPLE}:56` },
      { address: '10.0.0.1', version: 4, bandwidth: 60, where: `${SIMPLE}:57` },
    ],
  });
});

/** The verbose sample with its settings uncommented ("#debug 0" becomes "debug 0"; prose stays a comment). */
function uncommentedVerbose(): string {
  return fs.readFileSync(VERBOSE, 'utf8').replace(/^#([a-z])/gm, '$1');
}

const VERBOSE_VALUES: ThresholdSettings = {
  ...defaultSettings(),
  debug: 0,
  interface: 'eth0',
  promisc: true,
  fork: false,
  filter: 'net 10.10.0.0/16',
  outfile: 'ipband.txt',
  htmlfile: '/var/www/html/ipbandwidth/index.html',
  htmltitle: 'My IP bandwidth',
  bandwidth: 7,
  average: 60,
  report: 300,
  top: 15,
  accumulate: false,
  mailto: 'root@localhost',
  lenadj: -8,
  mailfoot: '/etc/ipband.foot',
  mtastring: '/usr/sbin/sendmail -t -oi',
  maskbits: 24,
  localrange: ['10.10.82.0/24:10.10.61.0/24'],
  subnets: [
    { address: '10.10.82.0', version: 4, bandwidth: 7, where: 'verbose.conf:77' },
    { address: '10.10.61.0', version: 4, bandwidth: 7, where: 'verbose.conf:78' },
    { address: '10.10.14.0', version: 4, bandwidth: 7, where: 'verbose.conf:79' },
    { address: '10.10.20.0', version: 4, bandwidth: 16, where: 'verbose.conf:80' },
    { address: '10.10.85.0', version: 4, bandwidth: 16, where: 'verbose.conf:81' },
  ],
};

test("ipband's verbose sample file: as shipped it is all comments; uncommented it gives the values written in it", () => {
  assert.deepEqual(readConfigFile(VERBOSE), defaultSettings());
  const text = uncommentedVerbose();
  assert.match(text, /^promisc yes $/m, 'the sample has trailing blanks, which are trimmed');
  assert.deepEqual(parseConfig(text, 'verbose.conf'), VERBOSE_VALUES);
});

/**
 * What the installed ipband read from a configuration file: its -d 1
 * printout of option values and local ranges. ipband prints them before
 * opening the interface, so it is stopped as soon as it gets there (or has
 * exited, when it cannot open lo).
 */
function ipbandReads(confPath: string): Promise<{ options: Map<string, string>; ranges: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    // stdbuf: ipband's stdout is a pipe here, which stdio would hold back until exit
    const child = spawn('stdbuf', ['-oL', 'ipband', '-c', confPath, '-d', '1', 'lo'], { cwd: tmp });
    let stdout = '';
    let stderr = '';
    const stop = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
    const timer = setTimeout(stop, 5000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('Interface (')) stop();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const options = new Map<string, string>();
      for (const m of stdout.matchAll(/^\t([^:\n]+): (.*)$/gm)) options.set(m[1]!, m[2]!);
      const ranges = [...stdout.matchAll(/^\t(\d+\.\d+\.\d+\.\d+)\s+- (\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => `${m[1]}-${m[2]}`);
      resolve({ options, ranges, stderr });
    });
  });
}

function v4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
}

/** Each ipband range item (colon-separated) as FIRST-LAST, the way ipband lists its local ranges. */
function rangesOf(localrange: string[]): string[] {
  return localrange.flatMap((spec) =>
    spec.split(':').map((item) => {
      const nets = parseNetworks(item).networks;
      const first = nets[0]!.first;
      const lastNet = nets[nets.length - 1]!;
      return `${v4(first)}-${v4(lastNet.first + (1n << BigInt(32 - lastNet.prefixLen)) - 1n)}`;
    }),
  );
}

/** ipband's printout, in our settings' terms ("(null)" is unset). */
function ipbandView(s: ThresholdSettings): Record<string, string> {
  return {
    'Promiscuous mode': s.promisc ? 'yes' : 'no',
    'Averaging period (sec)': String(s.average),
    'Reporting period (sec)': String(s.report),
    'Bandwidth threshold (kBps)': String(s.bandwidth),
    'Pcap filter string': s.filter ?? '(null)',
    'Subnet mask bits': String(s.maskbits),
    'Report output file': s.outfile ?? 'ipband.txt',
    'HTML output file': s.htmlfile ?? 'ipband.html',
    'Report mail to': s.mailto ?? '(null)',
    'Report mail footer file': s.mailfoot ?? '(null)',
    'MTA string': s.mtastring,
    'Report top connections': String(s.top),
    'Frame length adjustment': String(s.lenadj),
  };
}

function pick(options: Map<string, string>, keys: string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.map((k) => [k, options.get(k)]));
}

test('the installed ipband reads the same values from the same files', async () => {
  const tricky = writeTmp(
    'tricky.conf',
    [
      'BANDWIDTH 12.5',
      'promisc off',
      'Average 30',
      'mtastring "/usr/lib/sendmail -t"',
      'top 0',
      'lenadj 14',
      'maskbits 16',
      'localrange 10.0.0.5-10.0.1.17:192.168.1:172.16.4/23',
      'MAILTO a@example.net,b@example.net',
      'report 600',
      '',
    ].join('\n'),
  );
  const verbose = writeTmp('verbose.conf', uncommentedVerbose());
  for (const file of [SIMPLE, verbose, tricky]) {
    const ours = readConfigFile(file);
    const theirs = await ipbandReads(file);
    const expected = ipbandView(ours);
    assert.deepEqual(pick(theirs.options, Object.keys(expected)), expected, file);
    assert.deepEqual(theirs.ranges, rangesOf(ours.localrange), `${file}: local ranges`);
    assert.equal(theirs.stderr.includes('Error'), false, `${file}: ipband complains: ${theirs.stderr}`);
  }
  // the tricky file's ranges, written out, so the comparison above is not vacuous
  assert.deepEqual(rangesOf(readConfigFile(tricky).localrange), [
    '10.0.0.5-10.0.1.17',
    '192.168.1.0-192.168.1.255',
    '172.16.4.0-172.16.5.255',
  ]);
});

test('lines the installed ipband refuses are refused here too', async () => {
  const cases: [line: string, ipbandSays: RegExp, oursSays: string][] = [
    ['subnet 10.1.2.3/24 bandwidth 7', /Error parsing subnet option/, "c.conf:1: subnet: '10.1.2.3/24' is not an IPv4 or IPv6 address (the prefix length comes from maskbits or mask6)"],
    ['subnet 10.1.2 bandwidth 7', /Error parsing subnet option/, "c.conf:1: subnet: '10.1.2' is not an IPv4 or IPv6 address"],
    ['subnet 10.1.2.0 bandwidth', /Error parsing subnet option/, "c.conf:1: subnet: '10.1.2.0 bandwidth' is not ADDRESS bandwidth KBPS"],
    ['subnet 10.1.2.0 bandwidth fast', /Error parsing subnet option/, "c.conf:1: subnet: 'fast' is not a number of kB/s"],
    ['bandwith 7', /Unrecognized option: "bandwith"/, "c.conf:1: unknown keyword 'bandwith' (did you mean bandwidth?)"],
    ['maskbits 40', /invalid number of mask bits/, "c.conf:1: maskbits: '40' is out of range: 1 to 32 bits"],
  ];
  for (const [line, ipbandSays, oursSays] of cases) {
    const file = writeTmp('c.conf', `${line}\n`);
    const theirs = await ipbandReads(file);
    assert.match(theirs.stderr, ipbandSays, `ipband on ${line}`);
    assert.equal(configError(`${line}\n`, 'c.conf'), oursSays);
  }
});

// ---- syntax

test('comments: leading, indented, trailing after a blank; # kept in filter, htmltitle, mtastring and inside words', () => {
  const text = [
    '# leading comment',
    '   # indented comment',
    '#bandwidth 1',
    'bandwidth 600   # trailing comment',
    'outfile /tmp/ipband#1.txt',
    'filter tcp port 80 # kept',
    'htmltitle Links #1 and #2',
    'mtastring "/usr/sbin/sendmail -t -oi # x" # but this is a comment',
    'interface\teth1\t# a tab before the comment',
    'subnet 10.0.0.0 bandwidth 5 # comment',
    'watch 10.0.0.9 silent 30 #comment',
    '',
  ].join('\n');
  const s = parseConfig(text, 'c.conf');
  assert.equal(s.bandwidth, 600);
  assert.equal(s.outfile, '/tmp/ipband#1.txt');
  assert.equal(s.filter, 'tcp port 80 # kept');
  assert.equal(s.htmltitle, 'Links #1 and #2');
  assert.equal(s.mtastring, '/usr/sbin/sendmail -t -oi # x');
  assert.equal(s.interface, 'eth1');
  assert.deepEqual(s.subnets, [{ address: '10.0.0.0', version: 4, bandwidth: 5, where: 'c.conf:10' }]);
  assert.deepEqual(s.watches, [{ address: '10.0.0.9', seconds: 30 }]);
  assert.equal(parseConfig('mtastring /usr/bin/mailer --tag=#ops', 'c').mtastring, '/usr/bin/mailer --tag=#ops');
  assert.equal(parseConfig('mtastring /usr/bin/mailer # not a comment', 'c').mtastring, '/usr/bin/mailer # not a comment');
});

test('CRLF line ends and a byte-order mark: values without \\r, lines counted the same', () => {
  const s = parseConfig('\uFEFFbandwidth 9\r\nsubnet 10.0.0.0 bandwidth 3\r\n\r\nhtmltitle Windows\r\ntop 4', 'dos.conf');
  assert.equal(s.bandwidth, 9);
  assert.equal(s.htmltitle, 'Windows');
  assert.equal(s.top, 4);
  assert.deepEqual(s.subnets, [{ address: '10.0.0.0', version: 4, bandwidth: 3, where: 'dos.conf:2' }]);
  assert.equal(configError('top 1\r\nbandwidth x\r\n', 'dos.conf'), "dos.conf:2: bandwidth: 'x' is not a number of kB/s");
});

test('keywords in any case; the middle words of subnet and watch too', () => {
  const s = parseConfig('BANDWIDTH 9\nSubnet 10.0.0.0 BANDWIDTH 5\nPromisc NO\nMax-Hosts 7\nWATCH 10.0.0.1 Silent 9', 'c');
  assert.equal(s.bandwidth, 9);
  assert.equal(s.promisc, false);
  assert.equal(s.maxHosts, 7);
  assert.deepEqual(s.subnets, [{ address: '10.0.0.0', version: 4, bandwidth: 5, where: 'c:2' }]);
  assert.deepEqual(s.watches, [{ address: '10.0.0.1', seconds: 9 }]);
});

test('a later line wins; localrange lines add up; a subnet or watch named again is replaced where it stood', () => {
  const s = parseConfig(
    [
      'bandwidth 5',
      'bandwidth 8',
      'localrange 10.10.0.0/16',
      'localrange 192.168.1:172.16.0.0-172.16.0.255',
      'subnet 10.1.0.0 bandwidth 10',
      'subnet 2001:DB8:1:: bandwidth 50',
      'subnet 10.2.0.0 bandwidth 20',
      'subnet 10.1.0.0 bandwidth 15',
      'subnet 2001:db8:1:0:: bandwidth 0',
      'watch 10.0.0.1 silent 30',
      'watch 192.0.2.7 silent 10',
      'watch 10.0.0.1 silent 90',
    ].join('\n'),
    'r.conf',
  );
  assert.equal(s.bandwidth, 8);
  assert.deepEqual(s.localrange, ['10.10.0.0/16', '192.168.1:172.16.0.0-172.16.0.255']);
  assert.deepEqual(s.subnets, [
    { address: '10.1.0.0', version: 4, bandwidth: 15, where: 'r.conf:8' },
    { address: '2001:db8:1::', version: 6, bandwidth: 0, where: 'r.conf:9' },
    { address: '10.2.0.0', version: 4, bandwidth: 20, where: 'r.conf:7' },
  ]);
  assert.deepEqual(s.watches, [
    { address: '10.0.0.1', seconds: 90 },
    { address: '192.0.2.7', seconds: 10 },
  ]);
});

test('IPv6 subnets and watches, in canonical text', () => {
  const s = parseConfig(
    [
      'subnet 2001:0DB8:0000:0010:0000:0000:0000:0000 bandwidth 100',
      'subnet ::ffff:10.1.2.0 bandwidth 1',
      'watch fe80::0:1 silent 5',
      'watch 2001:db8:0:0:1:0:0:1 silent 60',
    ].join('\n'),
    'v6.conf',
  );
  assert.deepEqual(s.subnets, [
    { address: '2001:db8:0:10::', version: 6, bandwidth: 100, where: 'v6.conf:1' },
    { address: '::ffff:10.1.2.0', version: 6, bandwidth: 1, where: 'v6.conf:2' },
  ]);
  assert.deepEqual(s.watches, [
    { address: 'fe80::1', seconds: 5 },
    { address: '2001:db8::1:0:0:1', seconds: 60 },
  ]);
});

test('parseConfig applies the file onto `into` and leaves `into` alone', () => {
  const into = { ...defaultSettings(), bandwidth: 3, localrange: ['192.168.0.0/16'], hammerKBps: 100 };
  into.subnets.push({ address: '10.9.0.0', version: 4, bandwidth: 1, where: 'earlier:1' });
  const before = structuredClone(into);
  const s = parseConfig('localrange 10.0.0.0/8\nsubnet 10.8.0.0 bandwidth 2\ntop 3', 'c', into);
  assert.deepEqual(into, before);
  assert.equal(s.bandwidth, 3);
  assert.equal(s.hammerKBps, 100);
  assert.equal(s.top, 3);
  assert.deepEqual(s.localrange, ['192.168.0.0/16', '10.0.0.0/8']);
  assert.deepEqual(s.subnets.map((t) => t.where), ['earlier:1', 'c:2']);
  assert.deepEqual(parseConfig('', 'empty.conf'), defaultSettings(), 'an empty file: the defaults');
});

// ---- bad lines

/** A bad line at line 3, after good lines and before another bad one: the message, exactly. */
const BAD_LINES: [line: string, message: string][] = [
  ['bandwith 7', "unknown keyword 'bandwith' (did you mean bandwidth?)"],
  ['Bandwith 7', "unknown keyword 'Bandwith' (did you mean bandwidth?)"],
  ['hammer_kbps 10', "unknown keyword 'hammer_kbps' (did you mean hammer-kbps?)"],
  ['maskbit 24', "unknown keyword 'maskbit' (did you mean maskbits?)"],
  ['debug=1', "unknown keyword 'debug=1' (did you mean debug?)"],
  ['frobnicate 7', "unknown keyword 'frobnicate'"],
  ['threshold 7', "unknown keyword 'threshold'"],
  ['debug', 'debug: missing value (debug 0-3)'],
  ['outfile   # nothing', 'outfile: missing value (outfile FILE)'],
  ['subnet', 'subnet: missing value (subnet ADDRESS bandwidth KBPS)'],
  ['bandwidth fast', "bandwidth: 'fast' is not a number of kB/s"],
  ['bandwidth 1e3', "bandwidth: '1e3' is not a number of kB/s"],
  ['bandwidth 0x10', "bandwidth: '0x10' is not a number of kB/s"],
  ['bandwidth -1', "bandwidth: '-1' is out of range: 0 or more kB/s"],
  ['bandwidth 600#x', "bandwidth: '600#x' is not a number of kB/s"],
  ['average 0', "average: '0' is out of range: 1 or more seconds"],
  ['average 60s', "average: '60s' is not a whole number of seconds"],
  ['average 99999999999999999999', "average: '99999999999999999999' is too large"],
  ['report 2.5', "report: '2.5' is not a whole number of seconds"],
  ['debug 4', "debug: '4' is out of range: 0 to 3"],
  ['debug two', "debug: 'two' is not a whole number"],
  ['maskbits 0', "maskbits: '0' is out of range: 1 to 32 bits"],
  ['maskbits 33', "maskbits: '33' is out of range: 1 to 32 bits"],
  ['mask6 129', "mask6: '129' is out of range: 1 to 128 bits"],
  ['lenadj 70000', "lenadj: '70000' is out of range: -65535 to 65535 bytes"],
  ['top many', "top: 'many' is not a whole number of connections"],
  ['top -3', "top: '-3' is out of range: 0 or more connections"],
  ['promisc maybe', "promisc: 'maybe' is not yes or no"],
  ['accumulate 2', "accumulate: '2' is not yes or no"],
  ['fork y', "fork: 'y' is not yes or no"],
  ['interface eth0 eth1', "interface: 'eth0 eth1' is not one interface name"],
  ['mailto a@example.net,,b@example.net', "mailto: 'a@example.net,,b@example.net' has an empty address"],
  ['mailto a@example.net b@example.net', "mailto: 'a@example.net b@example.net' is not one address (separate addresses with commas)"],
  ['mtastring "/usr/sbin/sendmail -t', "mtastring: '\"/usr/sbin/sendmail -t' has no closing double quote"],
  ['mtastring "/usr/sbin/sendmail" -t', "mtastring: '\"/usr/sbin/sendmail\" -t' has text after the closing double quote"],
  ['mtastring ""', 'mtastring: the MTA command is empty'],
  ['localrange 10.0.0.300', "localrange: bad network '10.0.0.300': not an IPv4 or IPv6 address"],
  ['localrange 10.0.0.9-10.0.0.1', "localrange: bad network '10.0.0.9-10.0.0.1': range start is after its end"],
  ['localrange 10.0.0.0/33', "localrange: bad network '10.0.0.0/33': prefix length must be 0 to 32"],
  ['subnet 10.1.2.3/24 bandwidth 7', "subnet: '10.1.2.3/24' is not an IPv4 or IPv6 address (the prefix length comes from maskbits or mask6)"],
  ['subnet 2001:db8::/64 bandwidth 7', "subnet: '2001:db8::/64' is not an IPv4 or IPv6 address (the prefix length comes from maskbits or mask6)"],
  ['subnet 10.1.2 bandwidth 7', "subnet: '10.1.2' is not an IPv4 or IPv6 address"],
  ['subnet 10.1.2.256 bandwidth 7', "subnet: '10.1.2.256' is not an IPv4 or IPv6 address"],
  ['subnet 010.1.2.0 bandwidth 7', "subnet: '010.1.2.0' is not an IPv4 or IPv6 address"],
  ['subnet 2001:db8::1::2 bandwidth 7', "subnet: '2001:db8::1::2' is not an IPv4 or IPv6 address"],
  ['subnet fe80::1%eth0 bandwidth 7', "subnet: 'fe80::1%eth0' is not an IPv4 or IPv6 address (leave out the zone)"],
  ['subnet 10.1.2.0 foo 7', "subnet: '10.1.2.0 foo 7' is not ADDRESS bandwidth KBPS"],
  ['subnet 10.1.2.0 7', "subnet: '10.1.2.0 7' is not ADDRESS bandwidth KBPS"],
  ['subnet 10.1.2.0 bandwidth 7 8', "subnet: '10.1.2.0 bandwidth 7 8' is not ADDRESS bandwidth KBPS"],
  ['subnet 10.1.2.0 bandwidth -7', "subnet: '-7' is out of range: 0 or more kB/s"],
  ['watch 10.0.0.1 silent 0', "watch: '0' is out of range: 1 or more seconds"],
  ['watch 10.0.0.1 30', "watch: '10.0.0.1 30' is not ADDRESS silent SECONDS"],
  ['watch host.example.net silent 30', "watch: 'host.example.net' is not an IPv4 or IPv6 address"],
  ['hammer-kbps 0', "hammer-kbps: '0' is out of range: more than 0 kB/s"],
  ['hammer-pps -5', "hammer-pps: '-5' is out of range: more than 0 packets/s"],
  ['hammer-top 0', "hammer-top: '0' is out of range: 1 or more sources"],
  ['synflood 0.5', "synflood: '0.5' is out of range: 1 or more SYNs/s"],
  ['scan-ports 0', "scan-ports: '0' is out of range: 1 or more ports"],
  ['scan-hosts x', "scan-hosts: 'x' is not a whole number of hosts"],
  ['max-subnets 0', "max-subnets: '0' is out of range: 1 or more subnets"],
  ['max-conns 1.5', "max-conns: '1.5' is not a whole number of connections"],
  ['max-hosts 0', "max-hosts: '0' is out of range: 1 or more hosts"],
];

test('every kind of bad line: one line naming file, line and keyword, exactly; the first bad line is the one told', () => {
  for (const [line, message] of BAD_LINES) {
    const text = `# ipband.conf\nbandwidth 5\n${line}\ntop never\n`;
    assert.equal(configError(text, '/etc/ipband.conf'), `/etc/ipband.conf:3: ${message}`, line);
  }
});

test('a bad line in a file read from disk names the path and line', () => {
  const p = writeTmp('bad.conf', 'fork no\n\n# the next line is wrong\naverage soon\n');
  assert.throws(() => readConfigFile(p), (e: unknown) => e instanceof ConfigError && e.message === `${p}:4: average: 'soon' is not a whole number of seconds`);
});

// ---- the file

test('files that cannot be read, and files that are not text', () => {
  const missing = path.join(tmp, 'none.conf');
  assert.throws(() => readConfigFile(missing), (e: unknown) => e instanceof ConfigError && e.message === `cannot read ${missing}: no such file`);
  assert.throws(() => readConfigFile(tmp), (e: unknown) => e instanceof ConfigError && e.message === `cannot read ${tmp}: is a directory`);
  const binary = writeTmp('binary.conf', Buffer.concat([Buffer.from('top 5\nfork '), Buffer.from([0, 1, 2])]));
  assert.throws(() => readConfigFile(binary), (e: unknown) => e instanceof ConfigError && e.message === `${binary}: not a text file (NUL byte at offset 11)`);
  const started = Date.now();
  assert.throws(() => readConfigFile('/dev/zero'), (e: unknown) => e instanceof ConfigError && e.message === '/dev/zero: not a text file (NUL byte at offset 0)');
  assert.ok(Date.now() - started < 1000, 'an endless file is refused at once');
});

test('text encodings: UTF-8, and Latin-1 when the bytes are not UTF-8', () => {
  const utf8 = writeTmp('utf8.conf', 'htmltitle Débit du réseau\n');
  assert.equal(readConfigFile(utf8).htmltitle, 'Débit du réseau');
  const latin1 = writeTmp('latin1.conf', Buffer.from('htmltitle Bandbreite f\xfcr B\xfcro\ntop 2\n', 'latin1'));
  const s = readConfigFile(latin1);
  assert.equal(s.htmltitle, 'Bandbreite für Büro');
  assert.equal(s.top, 2);
});

test('readConfigFile applies onto `into`', () => {
  const p = writeTmp('onto.conf', 'maskbits 20\n');
  const s = readConfigFile(p, { ...defaultSettings(), bandwidth: 42 });
  assert.equal(s.maskbits, 20);
  assert.equal(s.bandwidth, 42);
});

test('the default configuration file is /etc/ipband.conf, used only when it exists', () => {
  assert.equal(DEFAULT_CONFIG, '/etc/ipband.conf');
  assert.equal(defaultConfigPath(), fs.existsSync('/etc/ipband.conf') ? '/etc/ipband.conf' : undefined);
  const present = writeTmp('present.conf', 'top 1\n');
  assert.equal(defaultConfigPath(present), present);
  assert.equal(defaultConfigPath(path.join(tmp, 'absent.conf')), undefined);
});

// ---- the value parsers the command line shares

test('value parsers for the command line: the same values and the same reasons', () => {
  assert.equal(parseYesNo('On'), true);
  assert.equal(parseYesNo('0'), false);
  assert.equal(valueError(() => parseYesNo('perhaps')), "'perhaps' is not yes or no");

  assert.equal(parseIntIn('24', 1, 32, 'bits'), 24);
  assert.equal(parseIntIn(' 7 ', 0, Infinity), 7);
  assert.equal(valueError(() => parseIntIn('33', 1, 32, 'bits')), "'33' is out of range: 1 to 32 bits");
  assert.equal(valueError(() => parseIntIn('x', 1, 32)), "'x' is not a whole number");
  assert.equal(parseNumberIn('2.5', 1, Infinity, 'SYNs/s'), 2.5);
  assert.equal(valueError(() => parseNumberIn('0', 0, Infinity, 'kB/s', true)), "'0' is out of range: more than 0 kB/s");

  assert.equal(parseKBps('600'), 600);
  assert.equal(parseKBps('0.25'), 0.25);
  assert.equal(valueError(() => parseKBps('fast')), "'fast' is not a number of kB/s");
  assert.equal(valueError(() => parseKBps('')), "'' is not a number of kB/s");

  assert.deepEqual(parseHostAddress('10.0.0.1'), { address: '10.0.0.1', version: 4 });
  assert.deepEqual(parseHostAddress('2001:DB8::0:1'), { address: '2001:db8::1', version: 6 });
  assert.equal(valueError(() => parseHostAddress('10.0.0')), "'10.0.0' is not an IPv4 or IPv6 address");

  assert.equal(parseLocalrange(' 10.0.0.0/8,192.168.1 '), '10.0.0.0/8,192.168.1');
  assert.equal(valueError(() => parseLocalrange('10.0.0.0/8,bogus')), "bad network 'bogus': not an IPv4 or IPv6 address");
  assert.equal(parseMailto('a@example.net , b@example.net'), 'a@example.net,b@example.net');
  assert.equal(parseMtaString('"/usr/sbin/sendmail -t -oi"'), '/usr/sbin/sendmail -t -oi');
  assert.equal(parseMtaString('/usr/sbin/sendmail -t'), '/usr/sbin/sendmail -t');

  // a table entry applies a command-line value the way the file does
  const s = defaultSettings();
  findKeyword('bandwidth')!.apply('250', s, '-b');
  findKeyword('LOCALRANGE')!.apply('10.0.0.0/8', s, '-L');
  assert.equal(s.bandwidth, 250);
  assert.deepEqual(s.localrange, ['10.0.0.0/8']);
  assert.equal(findKeyword('nonesuch'), undefined);
});

test('--silent ADDRESS:SECONDS: IPv4 plain, IPv6 in brackets, and what is refused', () => {
  assert.deepEqual(parseSilentSpec('10.0.0.1:30'), { address: '10.0.0.1', seconds: 30 });
  assert.deepEqual(parseSilentSpec('[2001:DB8::1]:30'), { address: '2001:db8::1', seconds: 30 });
  assert.deepEqual(parseSilentSpec('[::ffff:10.0.0.1]:5'), { address: '::ffff:10.0.0.1', seconds: 5 });
  const refused: [string, string][] = [
    ['2001:db8::1:30', "'2001:db8::1:30': put an IPv6 address in brackets, as in [2001:db8::1]:30"],
    ['10.0.0.1', "'10.0.0.1' is not ADDRESS:SECONDS"],
    ['10.0.0.1:', "'' is not a whole number of seconds"],
    ['10.0.0.1:0', "'0' is out of range: 1 or more seconds"],
    ['10.0.0.1:soon', "'soon' is not a whole number of seconds"],
    ['10.0.0:30', "'10.0.0' is not an IPv4 or IPv6 address"],
    ['[2001:db8::1]30', "'[2001:db8::1]30' is not ADDRESS:SECONDS ([IPv6]:SECONDS for IPv6)"],
    ['[2001:db8::1:30', "'[2001:db8::1:30' is not ADDRESS:SECONDS ([IPv6]:SECONDS for IPv6)"],
    ['[10.0.0.1]:30', "'[10.0.0.1]:30': only an IPv6 address goes in brackets"],
    ['[2001:db8::zz]:30', "'2001:db8::zz' is not an IPv4 or IPv6 address"],
  ];
  for (const [text, reason] of refused) assert.equal(valueError(() => parseSilentSpec(text)), reason, text);
});

// ---- the man page

test('manConfigSection: a .TP entry for every keyword, its argument, meaning, default and option', () => {
  const roff = manConfigSection();
  const entries = roff.split('\n.TP\n').slice(1);
  assert.equal(entries.length, CONFIG_KEYWORDS.length);
  entries.forEach((entry, i) => {
    const k = CONFIG_KEYWORDS[i]!;
    const [head, body] = entry.split('\n');
    assert.ok(head!.startsWith(`.B ${k.keyword.replace(/-/g, '\\-')} \\f`), head);
    assert.ok(body!.length > 20, `${k.keyword} has a meaning`);
    if (k.option) assert.ok(body!.endsWith(`Command line: \\fB${k.option.replace(/-/g, '\\-')}\\fR.`), body);
    else assert.ok(body!.endsWith('Only in the configuration file.'), body);
  });
  assert.ok(roff.includes('.TP\n.B subnet \\fIADDRESS\\fR \\fBbandwidth\\fR \\fIKBPS\\fR\n'), 'literal words bold, placeholders italic');
  assert.ok(roff.includes('.TP\n.B bandwidth \\fIKBPS\\fR\nThe default threshold in kB/s (kB = 1024 bytes), decimals allowed. Default: 7. Command line: \\fB\\-b\\fR.\n'));
  assert.ok(roff.includes('.TP\n.B mtastring \\fI"COMMAND"\\fR\n'));
  assert.ok(roff.includes('Default: "/usr/sbin/sendmail \\-t \\-oi".'));
  assert.ok(roff.includes('.B watch \\fIADDRESS\\fR \\fBsilent\\fR \\fISECONDS\\fR\n'));
});

test('the man section renders cleanly with groff and shows every keyword', () => {
  const page = `.TH TEST 1\n.SH CONFIGURATION\n${manConfigSection()}\n`;
  // plain ASCII: no bold or underline (-P-cbou), so the text can be matched as read
  const r = spawnSync('groff', ['-man', '-Tascii', '-ww', '-rLL=200n', '-P-cbou'], { input: page, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'no groff warnings');
  const text = r.stdout;
  for (const k of CONFIG_KEYWORDS) {
    const arg = k.arg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(text, new RegExp(`^ +${k.keyword} ${arg}( |$)`, 'm'), k.keyword);
  }
});
