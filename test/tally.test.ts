/**
 * trk-tally as a user runs it: piped and in-process alike, its forms, its
 * man page examples, and bad input. (The counts themselves are checked
 * against tshark in tally-engine.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, LAN_CAPTURE, noCorpus, REPO_ROOT } from './helpers/paths.js';

const ENV = { ...process.env, TZ: 'UTC' };
const lanSkip = noCorpus || (fs.existsSync(LAN_CAPTURE) ? false : `${LAN_CAPTURE} is missing`);

function tally(args: string[], input?: Buffer | string) {
  const r = spawnSync(process.execPath, [BIN('trk-tally'), ...args], { env: ENV, input, maxBuffer: 1 << 30 });
  return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

function run(bin: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(process.execPath, [BIN(bin), ...args], { env: ENV, input, maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
}

test('piped and in-process give the same tallies, for every kind of table', { skip: lanSkip }, () => {
  const by = ['--by', 'host', '--by', 'subnet/24', '--by', 'conn', '--by', 'port', '--by', 'svc', '--by', 'proto', '--by', 'size', '--by', 'dir', '--by', 'mac', '--by', 'vlan'];
  const args = [...by, '--net', '10.10.1.0/24', '--net', '2001:db8:10::/64', '--every', '10s'];
  const direct = tally(['-r', LAN_CAPTURE, ...args]);
  assert.equal(direct.code, 0, direct.stderr);
  const piped = tally(args, run('trk-capture', ['-r', LAN_CAPTURE]));
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(direct.raw.length > 10_000);
  assert.ok(direct.raw.equals(piped.raw), 'the two outputs differ');
  // trk-classify's annotation gives the same direction split as --net
  const classified = run('trk-classify', ['-r', LAN_CAPTURE, '--net', '10.10.1.0/24', '--net', '2001:db8:10::/64']);
  const viaClassify = tally(['--by', 'dir', '--every', '10s'], classified);
  const withNet = tally(['-r', LAN_CAPTURE, '--by', 'dir', '--every', '10s', '--net', '10.10.1.0/24', '--net', '2001:db8:10::/64']);
  const tallies = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('{"type":"tally"'));
  assert.ok(tallies(withNet.stdout).length > 5);
  assert.deepEqual(tallies(viaClassify.stdout), tallies(withNet.stdout));
  assert.match(viaClassify.stdout, / STAT arp=/, "trk-classify's STAT lines are passed through");
});

test('tally records: one per row, then other and totals; intervals aligned, the last partial', { skip: lanSkip }, () => {
  const r = tally(['-r', LAN_CAPTURE, '--by', 'host', '--every', '10s', '--top', '3']);
  assert.equal(r.code, 0, r.stderr);
  const records = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(records.every((x) => x.type === 'tally' && x.by === 'host'));
  const starts = [...new Set(records.map((x) => x.start as number))];
  for (const s of starts) assert.equal(s % 10, 0, 'aligned to 10 s');
  const totals = records.filter((x) => x.total === true);
  assert.equal(totals.length, starts.length, 'one totals row per interval');
  assert.equal(totals.at(-1)!.partial, true);
  assert.ok(totals.slice(0, -1).every((x) => x.partial === undefined));
  const packets = totals.reduce((n, x) => n + (x.pkts as number), 0);
  const tcpdump = spawnSync('tcpdump', ['-nn', '-r', LAN_CAPTURE], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(packets, tcpdump.stdout.split('\n').filter(Boolean).length, 'every packet once in the totals');
  for (const s of starts) {
    const rows = records.filter((x) => x.start === s && !x.total && !x.other);
    assert.ok(rows.length <= 3, '--top 3');
    for (let i = 1; i < rows.length; i++) assert.ok((rows[i - 1]!.bytes as number) >= (rows[i]!.bytes as number), 'sorted by bytes');
  }
});

test('--stat, -H, --tee, and records passed through', { skip: lanSkip }, () => {
  const stat = tally(['-r', LAN_CAPTURE, '--by', 'dir', '--stat', '--every', '0', '--net', '10.10.1.0/24', '--net', '2001:db8:10::/64']);
  assert.equal(stat.code, 0, stat.stderr);
  assert.match(stat.stdout, /^2026-11-22 \d\d:\d\d:\d\d STAT by=dir pkts=\d+ bytes=\d+ in_bytes=\d+ out_bytes=\d+ /m);
  const human = tally(['-r', LAN_CAPTURE, '--by', 'host', '--every', '0', '-H', '--top', '5']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /10\.10\.1\.20/);
  assert.doesNotMatch(human.stdout, /^\{/m, 'no records in -H');
  const input = run('trk-capture', ['-r', LAN_CAPTURE, '-c', '50']);
  const tee = tally(['--tee', '--every', '0'], Buffer.concat([Buffer.from('# a comment\n'), input]));
  assert.equal(tee.code, 0, tee.stderr);
  const lines = tee.stdout.split('\n');
  assert.equal(lines[0], '# a comment');
  assert.equal(lines.filter((l) => l.startsWith('{"type":"pkt"')).length, 50);
  assert.ok(lines.some((l) => l.startsWith('{"type":"tally"')));
});

test('as a new user tries it: --help, a wrong --by, a bad duration, a missing file, garbage', () => {
  const help = tally(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^trk-tally — count packets/);
  const wrong = tally(['--by', 'colour']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /^trk-tally: .*colour/);
  const duration = tally(['--every', 'soon']);
  assert.equal(duration.code, 2);
  assert.match(duration.stderr, /^trk-tally: .*soon/);
  const percentile = tally(['--by', 'conn', '--percentile', '95'], '');
  assert.equal(percentile.code, 2);
  const missing = tally(['-r', '/nonexistent.pcap']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'trk-tally: /nonexistent.pcap: No such file or directory\n');
  const garbage = tally(['--every', '0'], 'not json\n\u0000\u00ff\n{"type":"pkt",\n');
  assert.equal(garbage.code, 0, garbage.stderr);
  assert.match(garbage.stdout, /^not json\n/);
  assert.match(garbage.stdout, /"total":true/);
});

test('the man page examples run as written', { skip: lanSkip }, () => {
  const page = fs.readFileSync(path.join(REPO_ROOT, 'man', 'trk-tally.1'), 'utf8');
  const section = page.slice(page.indexOf('.SH EXAMPLES'), page.indexOf('.SH EXIT STATUS'));
  const commands = [...section.matchAll(/^\.EX\n([\s\S]*?)\n\.EE$/gm)].map((m) => m[1]!.replace(/\\-/g, '-').replace(/\\e/g, '\\'));
  assert.ok(commands.length >= 6);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-bin-'));
  try {
    for (const name of ['trk-tally', 'trk-classify', 'trk-capture']) fs.symlinkSync(BIN(name), path.join(bin, name));
    fs.symlinkSync(LAN_CAPTURE, path.join(bin, 'day.pcap'));
    fs.writeFileSync(path.join(bin, 'month.pcap.gz'), spawnSync('gzip', ['-c', LAN_CAPTURE], { maxBuffer: 1 << 28 }).stdout);
    for (const command of commands) {
      if (/ -i /.test(command)) continue; // live capture: tested in tally-live.test.ts
      const r = spawnSync('bash', ['-o', 'pipefail', '-c', command], { cwd: bin, env: { ...ENV, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
      assert.equal(r.status, 0, `${command}\n${r.stderr}`);
      assert.ok(r.stdout.trim().length > 0, `no output: ${command}`);
    }
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

const noTmux = spawnSync('tmux', ['-V']).status === 0 ? false : 'tmux is not installed (apt-get install tmux)';

test('-H on a terminal is the full-screen view: the tables, then q gives the shell back', { skip: lanSkip || noTmux }, async () => {
  const session = `trk-tally-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
  const command = `TZ=UTC ${process.execPath} ${BIN('trk-tally')} -r ${LAN_CAPTURE} -H --by host --by svc; echo "EXIT=$?"; sleep 60`;
  assert.equal(tmux('new-session', '-d', '-s', session, '-x', '110', '-y', '40', command).status, 0);
  try {
    const pane = (): string => tmux('capture-pane', '-t', session, '-p').stdout;
    const until = async (pattern: RegExp, what: string): Promise<void> => {
      for (let waited = 0; !pattern.test(pane()); waited += 100) {
        assert.ok(waited < 15000, `${what}; the pane shows:\n${pane()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until(/end of input/, 'no status line saying the input ended');
    const screen = pane();
    assert.match(screen, /by host \(partial\)/);
    assert.match(screen, /^10\.10\.1\.20 +\d+ /m);
    assert.match(screen, /by svc/);
    assert.doesNotMatch(screen, /EXIT=/, 'it waits for q');
    tmux('send-keys', '-t', session, 'q');
    await until(/EXIT=0/, 'q did not end it with status 0');
    assert.doesNotMatch(pane(), /by host/, "the shell's screen is back, the view gone with the alternate screen");
  } finally {
    tmux('kill-session', '-t', session);
  }
});

test('--resolve: host records get a name field once the system resolver has answered', () => {
  // 127.0.0.1 is localhost in every /etc/hosts; the first interval starts the lookup, later ones carry the name
  const record = (ts: number): string => `{"type":"pkt","ts":${ts},"len":60,"caplen":60,"src":"127.0.0.1","dst":"127.0.0.1","proto":"udp","sport":40000,"dport":53}\n`;
  const input = Array.from({ length: 5 }, (_, i) => record(1700000000 + i * 10)).join('');
  // a small driver feeds the records 300 ms apart, so the lookup has time to come back between intervals
  const r = spawnSync(process.execPath, ['-e', `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, [${JSON.stringify(BIN('trk-tally'))}, '--by', 'host', '--every', '10s', '--resolve'], { stdio: ['pipe', 'inherit', 'inherit'] });
    const lines = ${JSON.stringify(input)}.split('\\n').filter(Boolean);
    let i = 0;
    const next = () => { if (i < lines.length) { child.stdin.write(lines[i++] + '\\n'); setTimeout(next, 300); } else child.stdin.end(); };
    next();
  `], { env: ENV, encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  const hosts = r.stdout.split('\n').filter((l) => l.includes('"key":"127.0.0.1"')).map((l) => JSON.parse(l) as { name?: string });
  assert.equal(hosts.length, 5);
  assert.equal(hosts.at(-1)!.name, 'localhost', r.stdout);
});

test('a live source gone quiet: the interval is written when it ends, not when the next packet comes', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [BIN('trk-tally'), '--by', 'host', '--every', '1s'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    // one packet stamped now, as trk-capture -i would, then silence
    child.stdin.write(`{"type":"pkt","ts":${(Date.now() / 1000).toFixed(6)},"len":60,"caplen":60,"src":"10.10.1.20","dst":"10.10.1.1","proto":"udp","sport":40000,"dport":53}\n`);
    for (let waited = 0; !/"total":true/.test(out); waited += 50) {
      assert.ok(waited < 6000, `no tally within 6 s of a quiet pipe: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.doesNotMatch(out, /"partial":true/, 'a whole interval, ended by the clock');
    child.stdin.end();
    assert.equal(await exited, 0);
  } finally {
    child.kill();
  }
});
