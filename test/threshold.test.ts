/**
 * trk-threshold as a user runs it: lan-incident.pcap's incidents raise
 * exactly their alarms, piped and in-process alike; ipband's outputs (text
 * file, HTML page, mail through an MTA command), the configuration file,
 * SIGHUP, -F, bounded tables, a live interface, and bad input. (ipband
 * itself is compared in threshold-ipband.test.ts; the parts are tested in
 * threshold-config, threshold-report and threshold-alarms.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, LAN_CAPTURE, TCPDUMP_CORPUS, noCorpus } from './helpers/paths.js';
import { createNetns, netnsUnavailable, waitCarrier, waitUntil } from './helpers/netns.js';

const ENV = { ...process.env, TZ: 'UTC' };
const lanSkip = noCorpus || (fs.existsSync(LAN_CAPTURE) ? false : `${LAN_CAPTURE} is missing`);

function threshold(args: string[], input?: Buffer | string, env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(process.execPath, [BIN('trk-threshold'), ...args], { env, input, maxBuffer: 1 << 30, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'trk-threshold-'));
}

function alertsOf(stdout: string): string[] {
  return stdout.split('\n').filter((l) => / ALERT /.test(l));
}

// The incidents of lan-incident.pcap (its README): the bulk downloads from the
// web server and the router's port 8080 are expected traffic, left out with
// ipband's -f as an operator leaves out known backups; the rest is watched.
const LAN_ARGS = [
  '-C', '-a', '2', '-r', '4', '-b', '100', '-t', '5', '-L', '10.10.1.0/24',
  '--synflood', '100', '--silent', '10.10.1.30:8', '--scan-ports', '20', '--scan-hosts', '20', '--hammer-kbps', '300',
  '-f', 'not host 192.0.2.80 and not port 8080',
];

test('lan-incident: the UDP burst raises and clears BANDWIDTH, the SYNs a synflood, 10.10.1.30 a silence; nothing else', { skip: lanSkip }, () => {
  const r = threshold(['--read', LAN_CAPTURE, ...LAN_ARGS]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(alertsOf(r.stdout), [
    '2026-11-22 09:42:15 ALERT TCP synflood dst=10.10.1.20,syns=201,completed=0,rate=100.5,port=80,sources=1',
    '2026-11-22 09:42:20 ALERT BANDWIDTH exceeded net=10.10.1.0/24,kBps=492.44,threshold=100.00',
    '2026-11-22 09:42:20 ALERT TCP synflood_end dst=10.10.1.20,duration=5,syns=3000',
    '2026-11-22 09:42:24 ALERT BANDWIDTH report net=10.10.1.0/24,kBps=502.00,threshold=100.00,exceeded=4,conns=1,top=10.10.1.20:51260-10.10.1.30:5201/udp,top_kB=2009.46',
    '2026-11-22 09:42:26 ALERT BANDWIDTH normal net=10.10.1.0/24,kBps=11.66,threshold=100.00,duration=6,peak_kBps=502.73',
    '2026-11-22 09:42:32 ALERT HOST silent addr=10.10.1.30,silent_s=8,last=2026-11-22T09:42:24',
  ]);
  const reports = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(reports.length, 1);
  const report = reports[0]!;
  assert.equal(report.type, 'report');
  assert.equal(report.net, '10.10.1.0/24');
  assert.equal(report.since, 1795340540);
  assert.equal(report.ts, 1795340544);
  assert.equal(report.exceeded, 4);
  // the logged bytes are the frames of the iperf3 stream between the start of logging and the report, as tshark counts them
  const tshark = spawnSync('tshark', ['-r', LAN_CAPTURE, '-Y', 'udp.port==5201 && frame.time_epoch >= 1795340540 && frame.time_epoch < 1795340544', '-T', 'fields', '-e', 'frame.len']);
  const expected = tshark.stdout.toString().trim().split('\n').reduce((sum, n) => sum + Number(n), 0);
  assert.ok(expected > 1_000_000, 'tshark found the stream');
  assert.deepEqual(report.conns, [{ a: '10.10.1.20', aport: 51260, b: '10.10.1.30', bport: 5201, proto: 'udp', bytes: expected }]);
  assert.equal(report.total_bytes, expected);
});

test('lan-incident: piped records, a capture on stdin and --read give byte for byte the same output', { skip: lanSkip }, () => {
  const args = LAN_ARGS.slice(0, -2); // records are filtered upstream; here every packet counts
  const direct = threshold(['--read', LAN_CAPTURE, ...args]);
  assert.equal(direct.code, 0, direct.stderr);
  const records = spawnSync(process.execPath, [BIN('trk-capture'), '-r', LAN_CAPTURE], { maxBuffer: 1 << 30 }).stdout;
  const piped = threshold(args, records);
  const stdin = threshold(args, fs.readFileSync(LAN_CAPTURE));
  assert.ok(alertsOf(direct.stdout).length >= 8, direct.stdout);
  assert.equal(piped.stdout, direct.stdout);
  assert.equal(stdin.stdout, direct.stdout);
  // without a filter the bulk download is over the threshold too, and hammers 10.10.1.20 from outside
  assert.match(direct.stdout, /ALERT HOST hammered addr=10\.10\.1\.20,.*src1=192\.0\.2\.80/);
  assert.match(direct.stdout, /09:42:04 ALERT BANDWIDTH exceeded net=10\.10\.1\.0\/24/);
});

test('lines that are not pkt records pass through in place; --tee passes the records on too', { skip: lanSkip }, () => {
  const input = '# a comment\n2026-11-22 09:42:00 STAT arp=1\nnot json {\n';
  const r = threshold(['-C'], input);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, input);
  const records = spawnSync(process.execPath, [BIN('trk-capture'), '-r', LAN_CAPTURE, '-c', '5'], { maxBuffer: 1 << 30 }).stdout;
  const teed = threshold(['-C', '--tee'], records);
  assert.equal(teed.stdout, records.toString());
});

test("-H and -o: ipband's text report, on stdout and appended to the file", { skip: lanSkip }, () => {
  const dir = tmpdir();
  const file = path.join(dir, 'ipband.txt');
  const args = ['--read', LAN_CAPTURE, ...LAN_ARGS, '-o', file];
  const human = threshold([...args, '-H']);
  assert.equal(human.code, 0, human.stderr);
  const text = [
    '',
    'Date:   Sun Nov 22 09:42:24 2026',
    'Showing top 5 connections',
    'Network: 10.10.1.0',
    'Bandwidth threshold: 100.00 kBps, exceeded for: 0.07 min',
    '='.repeat(79),
    'FROM            < PORT>     TO              < PORT>  PROT      KBYTES  SERVICE',
    '-'.repeat(79),
    '10.10.1.20      <51260> <-> 10.10.1.30      < 5201>  udp      2009.46  ',
    '='.repeat(79),
    '',
  ].join('\n');
  assert.ok(human.stdout.includes(text.slice(1, -1)), human.stdout);
  assert.match(human.stdout, /^\[2026-11-22 09:42:15\] TCP synflood: /m);
  assert.equal(fs.readFileSync(file, 'utf8'), text);
  // appended, as ipband does
  threshold(args);
  assert.equal(fs.readFileSync(file, 'utf8'), text + text);
});

test("-w: ipband's HTML page of every subnet, written whole every averaging period", { skip: lanSkip }, () => {
  const dir = tmpdir();
  const page = path.join(dir, 'index.html');
  // 30 s periods: the last page is of 09:42:30 to the end of the capture, the two pings of 10.10.1.20 at 09:42:32
  const r = threshold(['--read', LAN_CAPTURE, '-C', '-a', '30', '-r', '30', '-L', '10.10.1.0/24', '-w', page, '--htmltitle', 'Lab <LAN>']);
  assert.equal(r.code, 0, r.stderr);
  const html = fs.readFileSync(page, 'utf8');
  assert.match(html, /<title>Lab &#60;LAN&#62;<\/title>/);
  assert.match(html, /<meta http-equiv="Refresh" content="30">/);
  assert.match(html, /<td nowrap class="text">10\.10\.1\.0<\/td><td>&nbsp;<\/td><td align="right" nowrap class="text">0\.15 kBps<\/td>/);
  assert.deepEqual(fs.readdirSync(dir), ['index.html'], 'no temporary file left behind');
  const unwritable = threshold(['--read', LAN_CAPTURE, ...LAN_ARGS, '-w', '/nonexistent/dir/page.html']);
  assert.equal(unwritable.code, 1);
  assert.match(unwritable.stderr, /^trk-threshold: cannot write the HTML page \/nonexistent\/dir\/page\.html: .*not writable\n$/);
});

test('-M: each report is handed to the -T command with its headers and the -l footer, without a shell', { skip: lanSkip }, () => {
  const dir = tmpdir();
  const mta = path.join(dir, 'mta.sh');
  const footer = path.join(dir, 'foot.txt');
  fs.writeFileSync(mta, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\ncat > "${dir}/message"\n`, { mode: 0o755 });
  fs.writeFileSync(footer, '-- \nNOC, ext. 4242\n');
  const r = threshold(['--read', LAN_CAPTURE, ...LAN_ARGS, '-M', 'noc@example.net,ops@example.net', '-T', `${mta} -t -oi "two words"`, '-l', footer]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(path.join(dir, 'args'), 'utf8'), '-t\n-oi\ntwo words\n');
  const message = fs.readFileSync(path.join(dir, 'message'), 'utf8');
  assert.match(message, /^To: noc@example\.net,ops@example\.net\n/);
  assert.match(message, /\nSubject: Bandwidth report for 10\.10\.1\.0\n\n/);
  assert.match(message, /10\.10\.1\.20      <51260> <-> 10\.10\.1\.30      < 5201>  udp      2009\.46/);
  assert.ok(message.endsWith('-- \nNOC, ext. 4242\n'), message);
  // an MTA that is not there: said on stderr, the command still does its job
  const missing = threshold(['--read', LAN_CAPTURE, ...LAN_ARGS, '-M', 'noc@example.net', '-T', '/nonexistent/sendmail -t']);
  assert.equal(missing.code, 0);
  assert.match(missing.stderr, /mailing a report with '\/nonexistent\/sendmail -t' failed: \/nonexistent\/sendmail not found/);
  assert.match(missing.stdout, /ALERT BANDWIDTH report/);
});

test('the configuration file: the same settings give the same alarms; subnet lines; errors name file and line', { skip: lanSkip }, () => {
  const dir = tmpdir();
  const conf = path.join(dir, 'ipband.conf');
  fs.writeFileSync(
    conf,
    [
      '# the lab',
      'average 2',
      'report 4',
      'bandwidth 100',
      'top 5',
      'localrange 10.10.1.0/24',
      'filter not host 192.0.2.80 and not port 8080',
      'synflood 100',
      'scan-ports 20',
      'scan-hosts 20',
      'hammer-kbps 300',
      'watch 10.10.1.30 silent 8',
      '',
    ].join('\n'),
  );
  const fromFile = threshold(['--read', LAN_CAPTURE, '-c', conf]);
  const fromLine = threshold(['--read', LAN_CAPTURE, ...LAN_ARGS]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(fromFile.stdout, fromLine.stdout);
  // the command line over the file
  const over = threshold(['--read', LAN_CAPTURE, '-c', conf, '-b', '1000']);
  assert.doesNotMatch(over.stdout, /BANDWIDTH/);
  // subnet lines: only those subnets, each with its threshold, and -A's accumulated time
  fs.appendFileSync(conf, 'subnet 10.10.1.0 bandwidth 400\nsubnet 192.168.7.0 bandwidth 1\naccumulate yes\n');
  const subnets = threshold(['--read', LAN_CAPTURE, '-c', conf, '-H']);
  assert.equal(subnets.code, 0, subnets.stderr);
  assert.match(subnets.stdout, /BANDWIDTH exceeded: 10\.10\.1\.0\/24 at 492\.44 kB\/s, at or over its threshold of 400\.00 kB\/s/);
  assert.match(subnets.stdout, /^Threshold exceeded time since Sun Nov 22 09:41:5\d 2026: 0\.07 min \(\d+\.\d\d%\)$/m);
  // -C: the file is not read, ipband's defaults apply (7 kB/s over 60 s)
  const ignored = threshold(['--read', LAN_CAPTURE, '-c', conf, '-C']).stdout;
  assert.doesNotMatch(ignored, /threshold=100\.00|synflood/);
  assert.match(ignored, /ALERT BANDWIDTH exceeded net=10\.10\.1\.0\/24,kBps=\d+\.\d\d,threshold=7\.00/);
  // a bad line: one line naming the file, the line and the keyword; exit 1
  fs.appendFileSync(conf, 'bandwith 7\n');
  const bad = threshold(['--read', LAN_CAPTURE, '-c', conf]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, `trk-threshold: ${conf}:16: unknown keyword 'bandwith' (did you mean bandwidth?)\n`);
  assert.equal(bad.stdout, '');
});

test('SIGHUP reads the configuration again; a broken file keeps the settings in force', async () => {
  const dir = tmpdir();
  const conf = path.join(dir, 'ipband.conf');
  fs.writeFileSync(conf, 'average 1\nreport 1\nbandwidth 1000\n');
  const child = spawn(process.execPath, [BIN('trk-threshold'), '-c', conf], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  // 20 kB a second from 10.9.9.1 for 3 s: under 1000 kB/s, over 10
  const record = (t: number): string => `{"type":"pkt","ts":${t},"len":1000,"caplen":1000,"eth":"ipv4","src":"10.9.9.1","dst":"10.9.9.2","proto":"udp","sport":5000,"dport":6000}\n`;
  const second = (t: number): string => Array.from({ length: 20 }, (_, i) => record(t + i / 20)).join('');
  child.stdin.write(second(1000));
  fs.writeFileSync(conf, 'average 1\nreport 1\nbandwidth 10\n');
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGHUP');
  await waitUntil(() => /read again/.test(err), () => `no reload note: ${err}`);
  child.stdin.write(second(1001) + second(1002) + second(1003) + second(1004));
  fs.writeFileSync(conf, 'average 1\nreport 1\nbandwidth lots\n');
  child.kill('SIGHUP');
  await waitUntil(() => /settings in force are kept/.test(err), () => `no error on a broken reload: ${err}`);
  child.stdin.end(second(1005));
  assert.equal(await exited, 0, err);
  assert.match(err, new RegExp(`${conf.replace(/[/.]/g, '\\$&')}:3: bandwidth: 'lots' is not a number`));
  assert.match(out, /ALERT BANDWIDTH exceeded net=10\.9\.9\.0\/24,kBps=19\.53,threshold=10\.00/);
  assert.match(out, /ALERT BANDWIDTH report net=10\.9\.9\.0\/24/);
});

test('memory stays bounded: a full subnet table forgets the lightest and says so; the heavy subnet is still caught', () => {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = 2000 + i / 1000;
    // one packet from each of 1000 subnets, and a heavy stream from 10.200.0.0/24
    lines.push(`{"type":"pkt","ts":${t},"len":100,"caplen":100,"eth":"ipv4","src":"10.${(i >> 8) & 255}.${i & 255}.1","dst":"172.16.0.1","proto":"udp","sport":1,"dport":2}`);
    lines.push(`{"type":"pkt","ts":${t},"len":1500,"caplen":100,"eth":"ipv4","src":"10.200.0.9","dst":"10.200.0.10","proto":"udp","sport":3,"dport":4}`);
  }
  lines.push(`{"type":"pkt","ts":2004,"len":60,"caplen":60,"eth":"ipv4","src":"10.200.0.9","dst":"10.200.0.10","proto":"udp","sport":3,"dport":4}`);
  const r = threshold(['-C', '-a', '1', '-r', '1', '-b', '1000', '--max-subnets', '64'], lines.join('\n') + '\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /more than 64 subnets in one averaging period: the lightest are forgotten/);
  assert.match(r.stderr, /\d+ subnets were forgotten because the subnet table was full/);
  assert.match(r.stdout, /ALERT BANDWIDTH exceeded net=10\.200\.0\.0\/24,kBps=1464\.84/);
  const over = new Set([...r.stdout.matchAll(/ALERT BANDWIDTH exceeded net=([^,]+)/g)].map((m) => m[1]));
  assert.deepEqual([...over], ['10.200.0.0/24'], 'only the heavy subnet is over');
});

test('-F: carries on in the background, reporting to -o; without -o, -w or -M it refuses', { skip: lanSkip }, async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'ipband.txt');
  const r = threshold(['--read', LAN_CAPTURE, ...LAN_ARGS, '-o', file, '-F']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /running in the background as process \d+/);
  assert.equal(r.stdout, '');
  await waitUntil(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('Network: 10.10.1.0'), () => 'the background process wrote no report');
  const nowhere = threshold(['--read', LAN_CAPTURE, '-C', '-F']);
  assert.equal(nowhere.code, 2);
  assert.match(nowhere.stderr, /in the background \(-F\) reports go only to -o, -w or -M/);
});

test('--json: alerts as records; -d 2: the subnet table every period on stderr', { skip: lanSkip }, () => {
  const r = threshold(['--read', LAN_CAPTURE, ...LAN_ARGS, '--json', '-d', '2']);
  assert.equal(r.code, 0, r.stderr);
  const alerts = r.stdout.split('\n').filter((l) => l.includes('"type":"alert"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(alerts.map((a) => `${a.family} ${a.kind}`), ['TCP synflood', 'BANDWIDTH exceeded', 'TCP synflood_end', 'BANDWIDTH report', 'BANDWIDTH normal', 'HOST silent']);
  assert.equal(alerts[1]!.net, '10.10.1.0/24');
  assert.match(r.stderr, /^trk-threshold: averaging period: 2 s, reporting period: 4 s$/m);
  assert.match(r.stderr, /^\*10\.10\.1\.0 {7}\s*\d+\.\d\d kB\s+\d+\.\d\d\/100\.00 kBps$/m);
  assert.match(r.stderr, /^\*{48}$/m);
});

test('a new user: --help, -h, -v, a wrong flag, bad values, a missing file, garbage', () => {
  const help = threshold(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^trk-threshold — /);
  assert.match(help.stdout, /-r, --report SECONDS/);
  assert.equal(threshold(['-h']).stdout, help.stdout);
  assert.match(threshold(['-v']).stdout, /^trk-threshold \d+\.\d+\.\d+\n$/);
  const wrong = threshold(['-C', '--bandwith', '7']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /^trk-threshold: unknown option --bandwith\nTry 'trk-threshold --help' for more information\.\n$/);
  const periods = threshold(['-C', '-a', '60', '-r', '30']);
  assert.equal(periods.code, 2);
  assert.match(periods.stderr, /the reporting period \(30 s\) cannot be shorter than the averaging period \(60 s\)/);
  const mask = threshold(['-C', '-m', '33']);
  assert.equal(mask.code, 2);
  assert.match(mask.stderr, /mask bits are 1 to 32, not 33/);
  const zero = threshold(['-C', '--hammer-kbps', '0']);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /--hammer-kbps must be more than 0, not 0/);
  const silent = threshold(['-C', '--silent', '2001:db8::1:30']);
  assert.equal(silent.code, 2);
  assert.match(silent.stderr, /^trk-threshold: --silent: .*\[2001:db8::1\]:30/);
  const missing = threshold(['-C', '--read', '/nonexistent.pcap']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^trk-threshold: .*\/nonexistent\.pcap.*\n$/);
  const garbage = threshold(['-C'], Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 1, 2, 3]));
  assert.equal(garbage.code, 1);
  assert.equal(garbage.stderr.split('\n').length, 2, garbage.stderr);
  const twice = threshold(['-C', '-i', 'lo', 'eth0']);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /the interface is given twice/);
});

test('live: a veth flooded by ping goes over, and back to normal when the clock passes with nothing on the wire', { skip: netnsUnavailable() }, async () => {
  const ns = createNetns();
  try {
    await waitCarrier(ns);
    const child = spawn(process.execPath, [BIN('trk-threshold'), '-C', '-a', '1', '-r', '1', '-b', '20', '-m', '24', ns.hostIf], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitUntil(() => /listening on/.test(err) || child.exitCode !== null, () => `no 'listening on': ${err}`);
    // about 100 kB/s of echo requests and replies for 3 s, then nothing
    await ns.run('ping', ['-c', '150', '-i', '0.02', '-s', '1000', '-q', ns.hostIp], 20_000);
    await waitUntil(() => /ALERT BANDWIDTH normal/.test(out), () => `no normal while the wire was quiet: ${out} ${err}`, 8000);
    const subnet = ns.hostIp.replace(/\.\d+$/, '.0');
    assert.match(out, new RegExp(`ALERT BANDWIDTH exceeded net=${subnet.replace(/\./g, '\\.')}/24`));
    assert.match(out, /ALERT BANDWIDTH report /);
    assert.match(out, /"proto":"icmp"/);
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
  } finally {
    ns.destroy();
  }
});

test('every file of the tcpdump corpus, in one run with every alarm on and any traffic over the threshold: no crash, time going back and forth', { skip: noCorpus }, () => {
  const files = fs.readdirSync(TCPDUMP_CORPUS).filter((f) => /\.(pcap|pcapng|cap)(\.gz)?$/.test(f)).sort();
  assert.ok(files.length > 400);
  const args = ['-C', '-a', '1', '-r', '1', '-b', '0.01', '-t', '3', '-L', '10.0.0.0/8', '--mask6', '48', '--hammer-kbps', '0.001', '--hammer-pps', '0.1',
    '--synflood', '1', '--scan-ports', '1', '--scan-hosts', '1', '--silent', '10.0.0.1:1', '-d', '3'];
  const r = threshold([...args, ...files.flatMap((f) => ['--read', path.join(TCPDUMP_CORPUS, f)])]);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr.slice(-2000)}`);
  for (const line of r.stderr.split('\n').filter(Boolean)) assert.match(line, /^(trk-threshold: |\*| )/, 'only messages and -d 2 and -d 3 lines on stderr');
  assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|RangeError/);
  // the alarms all fire somewhere in the corpus (no file has a subnet busy two seconds running, so no report)
  for (const kind of ['BANDWIDTH exceeded', 'BANDWIDTH normal', 'TCP synflood', 'NET scan', 'HOST hammered', 'HOST silent']) {
    assert.match(r.stdout, new RegExp(`ALERT ${kind} `), kind);
  }
  for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) assert.equal((JSON.parse(line) as { type: string }).type, 'report');
});
