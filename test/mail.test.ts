/**
 * trk-mail as a user runs it: the pass-through is the input byte for byte;
 * alerts from the real commands arrive as digests through a sendmail
 * command and through a real SMTP server; the flood test; the spool across
 * a restart; SIGTERM; the configuration file; bad input. (Parsing and
 * digests are tested in mail-digest.test.ts; messages, transports and the
 * spool against a real SMTP server in mail-delivery.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { BIN, LAN_CAPTURE, noCorpus } from './helpers/paths.js';
import { awkwardInput } from './helpers/awkward-input.js';
import { waitUntil } from './helpers/netns.js';

const ENV = { ...process.env, TZ: 'UTC' };
const lanSkip = noCorpus || (fs.existsSync(LAN_CAPTURE) ? false : `${LAN_CAPTURE} is missing`);

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'trk-mail-'));
}

/** As mail(), without blocking this process: for a server that runs in it. */
async function mailAsync(args: string[], input: Buffer | string, env: NodeJS.ProcessEnv = ENV) {
  const child = spawn(process.execPath, [BIN('trk-mail'), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  child.stdin.end(input);
  const code = await closed;
  return { code, stdout: Buffer.concat(out), stderr };
}

function mail(args: string[], input: Buffer | string, env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(process.execPath, [BIN('trk-mail'), ...args], { env, input, maxBuffer: 1 << 30, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** A sendmail stand-in that keeps each message it is given as DIR/N.eml, and its arguments. */
function recordingMta(dir: string, exitCode = 0): string {
  const script = path.join(dir, 'mta.sh');
  fs.writeFileSync(script, `#!/bin/sh\nn=$(ls "${dir}"/*.eml 2>/dev/null | wc -l)\nprintf '%s\\n' "$@" > "${dir}/args"\ncat > "${dir}/$n.eml"\nexit ${exitCode}\n`, { mode: 0o755 });
  return script;
}

function messages(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort((a, b) => parseInt(a) - parseInt(b))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
}

function lanAlerts(): Buffer {
  const r = spawnSync(process.execPath, [BIN('trk-classify'), '-r', LAN_CAPTURE, '--net', '10.10.1.0/24', '--net', '2001:db8:10::/64'], { env: ENV, maxBuffer: 1 << 30 });
  assert.equal(r.status, 0);
  return r.stdout;
}

test('the pass-through is the input byte for byte: records, alerts, binary, overlong lines, no final newline', () => {
  const input = awkwardInput();
  const dir = tmpdir();
  const r = mail(['--to', 'noc@example.net', '--dry-run', '--every', '0'], input);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.equals(input), 'stdout differs from stdin');
  assert.match(r.stderr, /^Subject: .*TCP synflood/m);
  fs.rmSync(dir, { recursive: true });
});

test('lan-incident: the alerts of trk-classify arrive as one digest through a sendmail command', { skip: lanSkip }, () => {
  const dir = tmpdir();
  const input = lanAlerts();
  const r = mail(['--to', 'noc@example.net,ops@example.net', '--sendmail', `${recordingMta(dir)} -t -oi`, '--spool', path.join(dir, 'spool'), '--every', '1h'], input);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.equals(input));
  const got = messages(dir);
  assert.equal(got.length, 1);
  assert.equal(fs.readFileSync(path.join(dir, 'args'), 'utf8'), '-t\n-oi\n');
  const m = got[0]!;
  assert.match(m, /^To: noc@example\.net, ops@example\.net\r?$/m);
  assert.match(m, /^Subject: .+$/m);
  assert.match(m, /Content-Type: multipart\/alternative/);
  // every incident of the capture's README is in it, with its count
  for (const [family, kind, count] of [['ARP', 'wrongnet', 2], ['ARP', 'gratuitous', 5], ['ARP', 'mac_changed', 2], ['ARP', 'flipflop', 1], ['ICMPv6', 'ra_wrongnet', 8], ['ICMPv6', 'ns_wrongnet', 4]] as const) {
    assert.match(m, new RegExp(`${family} ${kind}[^\\n]*\\b${count}\\b`), `${family} ${kind} ×${count}`);
  }
  assert.deepEqual(fs.readdirSync(path.join(dir, 'spool')).filter((f) => !f.startsWith('failed')), [], 'the spool is empty once sent');
});

test('trk-threshold reports through a real SMTP server with AUTH, each on its own', { skip: lanSkip }, async () => {
  const received: { from: string; to: string[]; data: string }[] = [];
  const server = new SMTPServer({
    authOptional: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      if (auth.username === 'alerts' && auth.password === 's3cret') cb(null, { user: 'alerts' });
      else cb(new Error('bad password'));
    },
    onData(stream, session, cb) {
      let data = '';
      stream.on('data', (d: Buffer) => (data += d.toString('utf8')));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as import('node:net').AddressInfo).port;
  try {
    const lines = spawnSync(process.execPath, [BIN('trk-threshold'), '--read', LAN_CAPTURE, '-C', '-a', '2', '-r', '4', '-b', '100', '-t', '5', '-L', '10.10.1.0/24', '-f', 'not host 192.0.2.80 and not port 8080'], { env: ENV }).stdout;
    const dir = tmpdir();
    const child = spawn(process.execPath, [BIN('trk-mail'), '--to', 'noc@example.net', '--from', 'trk@gw.example.net', '--smtp', `smtp://alerts@127.0.0.1:${port}`, '--spool', dir, '--every', '1h'], {
      env: { ...ENV, TRK_SMTP_PASS: 's3cret' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.stdin.end(lines);
    assert.equal(await exited, 0, err);
    assert.equal(received.length, 2, err);
    const report = received.find((m) => /Subject: .*[Bb]andwidth report for 10\.10\.1\.0/.test(m.data));
    assert.ok(report, received.map((m) => m.data.split('\n').find((l) => l.startsWith('Subject'))).join('; '));
    assert.equal(report.from, 'trk@gw.example.net');
    assert.deepEqual(report.to, ['noc@example.net']);
    assert.match(report.data, /10\.10\.1\.20 +<51260> <-> 10\.10\.1\.30 +< 5201>/);
    assert.match(report.data, /text\/html/);
    const digest = received.find((m) => m !== report)!;
    assert.match(digest.data, /BANDWIDTH exceeded/);
    assert.match(digest.data, /BANDWIDTH normal/);
    // the report's own ALERT line is not told again in the digest: the report came on its own
    assert.doesNotMatch(digest.data, /BANDWIDTH report/);
    // a wrong password: refused for good, kept in failed/, said on stderr; the lines still pass
    const bad = tmpdir();
    const r = await mailAsync(['--to', 'noc@example.net', '--smtp', `smtp://alerts@127.0.0.1:${port}`, '--spool', bad, '--every', '0', '--max-wait', '5'], lines, { ...ENV, TRK_SMTP_PASS: 'wrong' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.equals(lines));
    assert.match(r.stderr, /535|[Aa]uthentication|bad password/);
    assert.ok(fs.readdirSync(path.join(bad, 'failed')).length >= 1);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a flood: 100 000 ALERT lines over a few seconds give at most --max-per-hour mails, and their counts add up', async () => {
  const dir = tmpdir();
  const spool = path.join(dir, 'spool');
  const child = spawn(process.execPath, [BIN('trk-mail'), '--to', 'noc@example.net', '--sendmail', recordingMta(dir), '--spool', spool, '--every', '1s', '--max-per-hour', '3', '--max-wait', '10'], {
    env: ENV,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  // 20 000 lines a half second for 2.5 s: five windows' worth, 50 distinct alerts each repeated
  for (let burst = 0; burst < 5; burst++) {
    let text = '';
    for (let i = 0; i < 20_000; i++) text += `2026-11-24 10:00:${String(burst).padStart(2, '0')} ALERT NET scan src=10.0.${burst}.${i % 50},ports=30,hosts=1\n`;
    child.stdin.write(text);
    await new Promise((r) => setTimeout(r, 500));
  }
  child.stdin.end();
  assert.equal(await exited, 0, err);
  const got = messages(dir);
  assert.ok(got.length >= 1 && got.length <= 3, `${got.length} mails`);
  // every alert is counted once: in a mail, or (past the cap, at exit) in the message left for the next run
  const counted = (text: string): number => Number(/^(\d+) alerts? on /m.exec(text)?.[1] ?? 0);
  const left = fs.existsSync(spool) ? fs.readdirSync(spool).filter((f) => f.endsWith('.eml')).map((f) => fs.readFileSync(path.join(spool, f), 'utf8')) : [];
  const textParts = [...got, ...left].map((m) => m.split(/Content-Type: text\/html/)[0]!);
  assert.equal(textParts.reduce((sum, t) => sum + counted(t), 0), 100_000, err);
});

test('a server that is down: the digest waits in the spool, and the next run sends it', () => {
  const dir = tmpdir();
  const spool = path.join(dir, 'spool');
  const line = '2026-11-24 10:00:00 ALERT HOST silent addr=10.10.0.1,silent_s=60,last=never\n';
  const down = mail(['--to', 'noc@example.net', '--sendmail', recordingMta(dir, 75), '--spool', spool, '--every', '0', '--max-wait', '2'], line);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(down.stdout.toString(), line);
  assert.match(down.stderr, /not delivered yet: they stay in/);
  const spooled = fs.readdirSync(spool).filter((f) => !f.startsWith('failed'));
  assert.equal(spooled.length >= 1, true, 'a message in the spool');
  // the sendmail stand-in kept a copy even though it failed: start counting afresh
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.eml'))) fs.rmSync(path.join(dir, f));
  const up = mail(['--to', 'noc@example.net', '--sendmail', recordingMta(dir), '--spool', spool, '--every', '0', '--max-wait', '5'], '');
  assert.equal(up.code, 0, up.stderr);
  const got = messages(dir);
  assert.equal(got.length, 1);
  assert.match(got[0]!, /HOST silent/);
  assert.deepEqual(fs.readdirSync(spool).filter((f) => f.endsWith('.eml')), []);
});

test('SIGTERM: the digest in progress is sent before exit', async () => {
  const dir = tmpdir();
  const child = spawn(process.execPath, [BIN('trk-mail'), '--to', 'noc@example.net', '--sendmail', recordingMta(dir), '--spool', path.join(dir, 'spool'), '--every', '1h'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  child.stdin.write('2026-11-24 10:00:00 ALERT TCP synflood dst=10.10.1.20,syns=201\n');
  await waitUntil(() => out.includes('synflood'), () => 'the line was not passed on');
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  const got = messages(dir);
  assert.equal(got.length, 1);
  assert.match(got[0]!, /TCP synflood/);
});

test('--config: the same keys as the options; the command line wins; errors name file and line', () => {
  const dir = tmpdir();
  const conf = path.join(dir, 'mail.conf');
  fs.writeFileSync(conf, `# trk-mail\nto noc@example.net\nsendmail ${recordingMta(dir)}\nspool ${path.join(dir, 'spool')}\nevery 0\nignore ARP:gratuitous\n`);
  const input = '2026-11-24 10:00:00 ALERT ARP gratuitous ip=10.10.1.30\n2026-11-24 10:00:01 ALERT ARP mac_changed ip=10.10.1.30\n';
  const r = mail(['--config', conf, '--subject', '[{host}] {type} {kind} x{count}'], input);
  assert.equal(r.code, 0, r.stderr);
  const got = messages(dir);
  assert.equal(got.length, 1);
  assert.match(got[0]!, new RegExp(`^Subject: \\[${os.hostname()}\\] ARP mac_changed x1\\r?$`, 'm'));
  fs.appendFileSync(conf, 'evry 5m\n');
  const bad = mail(['--config', conf], input);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, new RegExp(`${conf.replace(/[/.]/g, '\\$&')}:7: unknown setting 'evry'`));
});

test('a new user: --help, no --to, a wrong flag, a bad address, both --smtp and --sendmail', () => {
  const help = mail(['--help'], '');
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /^trk-mail — /);
  const noTo = mail([], '');
  assert.equal(noTo.code, 2);
  assert.match(noTo.stderr, /give --to ADDR/);
  assert.equal(mail(['--to', 'a@b', '--evry', '1m'], '').code, 2);
  assert.match(mail(['--to', 'not an address'], '').stderr, /is not a mail address/);
  assert.match(mail(['--to', 'a@b', '--smtp', 'smtp://x', '--sendmail', 'y'], '').stderr, /--smtp and --sendmail do not go together/);
});

test('mail never holds the lines up: with an SMTP server that accepts and never answers, every line still passes at once', async () => {
  const net = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s)); // no greeting, ever
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as import('node:net').AddressInfo).port;
  const dir = tmpdir();
  const child = spawn(process.execPath, [BIN('trk-mail'), '--to', 'noc@example.net', '--smtp', `smtp://127.0.0.1:${port}`, '--spool', dir, '--every', '0', '--max-wait', '1'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    let text = '';
    for (let i = 0; i < 2000; i++) text += `2026-11-24 10:00:00 ALERT HOST hammered addr=10.0.0.${i % 250},kBps=${i}\n`;
    child.stdin.write(text);
    // the mail is stuck at the greeting, the input still open: the lines are through all the same
    await waitUntil(() => out === text, () => `${out.length} of ${text.length} bytes passed on`, 3000);
    assert.equal(child.exitCode, null, 'still running');
    child.stdin.end();
    assert.equal(await exited, 0);
    assert.ok(fs.readdirSync(dir).some((f) => f.endsWith('.mail')), 'the undelivered mail stays in the spool');
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
