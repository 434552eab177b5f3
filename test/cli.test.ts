/**
 * trk-capture as a user meets it: the real executable, a fixed environment
 * (TZ=UTC, TERM=dumb), real capture files, and the mistakes people make.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BIN, LAN_CAPTURE, REPO_ROOT, noCorpus } from './helpers/paths.js';

const ENV = { ...process.env, TZ: 'UTC', TERM: 'dumb' };
const SAMPLE = path.join(REPO_ROOT, 'samples/sample.pcap');

function run(args: string[], input?: Buffer | string) {
  const r = spawnSync(process.execPath, [BIN('trk-capture'), ...args], { env: ENV, input, maxBuffer: 1 << 30 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function tmp(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trk-cli-')), name);
}

test('--help prints usage on stdout and exits 0; --version prints the version', () => {
  const help = run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^trk-capture — /);
  assert.match(help.stdout, /-r, --read FILE/);
  const version = run(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^trk-capture \d+\.\d+\.\d+\n$/);
});

test('a wrong option is a usage error: one line, a hint, exit 2', () => {
  const r = run(['--colour']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "trk-capture: unknown option --colour\nTry 'trk-capture --help' for more information.\n");
  assert.equal(run([]).code, 2);
  assert.equal(run(['-r', 'a.pcap', '-i', 'eth0']).code, 2);
});

test('a missing file: one line naming it, exit 1', () => {
  const r = run(['-r', '/nonexistent/day.pcap']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^trk-capture: \/nonexistent\/day\.pcap: No such file or directory\n$/);
});

test('several files: one that cannot be read is reported, the others are still read, exit 1', () => {
  const one = run(['-r', SAMPLE]).stdout;
  const r = run(['-r', '/nonexistent/a.pcap', '-r', SAMPLE, '-r', os.tmpdir(), '-r', SAMPLE]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, one + one);
  assert.equal(r.stderr, `trk-capture: /nonexistent/a.pcap: No such file or directory\ntrk-capture: ${os.tmpdir()}: Is a directory\n`);
});

test('-r - on a terminal says what to do instead of waiting for a capture', { skip: spawnSync('script', ['--version']).error ? 'script(1) is not installed' : undefined }, () => {
  // script(1) gives the command a terminal as its standard input
  const r = spawnSync('script', ['-qec', `${process.execPath} ${BIN('trk-capture')} -r -`, '/dev/null'], { env: ENV, encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 2);
  assert.match(r.stdout, /trk-capture: standard input is a terminal: pipe a capture in \(tcpdump -w - \| trk-capture -r -\), or name a file/);
});

test('garbage and empty input: one line, exit 1, no stack trace', () => {
  const garbage = run(['-r', '-'], 'this is not a capture file\n'.repeat(10));
  assert.equal(garbage.code, 1);
  assert.equal(garbage.stdout, '');
  assert.match(garbage.stderr, /^trk-capture: standard input: not a pcap or pcapng file .*\n$/);
  const empty = run(['-r', '-'], '');
  assert.equal(empty.code, 1);
  assert.equal(empty.stderr.split('\n').length, 2, empty.stderr);
  const dir = run(['-r', os.tmpdir()]);
  assert.equal(dir.code, 1);
  assert.doesNotMatch(dir.stderr, /\n\s+at /);
});

test('the bundled sample: one pkt record per packet, same from a file, stdin and gzip', () => {
  const fromFile = run(['-r', SAMPLE]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const lines = fromFile.stdout.trimEnd().split('\n');
  const tcpdump = spawnSync('tcpdump', ['-nn', '-r', SAMPLE], { encoding: 'utf8' });
  if (tcpdump.status === 0) assert.equal(lines.length, tcpdump.stdout.trimEnd().split('\n').length);
  for (const line of lines) assert.equal(JSON.parse(line).type, 'pkt');
  const bytes = fs.readFileSync(SAMPLE);
  assert.equal(run(['-r', '-'], bytes).stdout, fromFile.stdout);
  const gz = tmp('sample.pcap.gz');
  fs.writeFileSync(gz, zlib.gzipSync(bytes));
  assert.equal(run(['-r', gz]).stdout, fromFile.stdout);
  const twice = run(['-r', SAMPLE, '-r', gz]);
  assert.equal(twice.stdout, fromFile.stdout + fromFile.stdout);
});

test('-c stops after COUNT packets; -H writes one readable line per packet', () => {
  const r = run(['-r', SAMPLE, '-c', '3']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trimEnd().split('\n').length, 3);
  const h = run(['-r', SAMPLE, '-H', '-c', '5']);
  assert.equal(h.code, 0);
  const lines = h.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 5);
  for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} /);
});

test('a truncated file: every whole packet, then one line with the byte offset, exit 1', () => {
  const bytes = fs.readFileSync(SAMPLE);
  const whole = run(['-r', SAMPLE]).stdout.trimEnd().split('\n');
  const cut = tmp('cut.pcap');
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
  const r = run(['-r', cut]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), whole.slice(0, -1));
  assert.match(r.stderr, /^trk-capture: .*cut\.pcap: .* at byte \d+; \d+ packets read before it\n$/);
});

test('| head -1 ends at once and quietly', { skip: noCorpus || undefined }, async () => {
  // a big input: the LAN capture, 20 times over standard input
  const child = spawn(process.execPath, [BIN('trk-capture'), '-r', '-'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  const capture = fs.readFileSync(LAN_CAPTURE);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => {});
  child.stdin.write(capture);
  for (let i = 0; i < 20; i++) child.stdin.write(capture.subarray(24));
  child.stdin.end();
  const first = await new Promise<string>((resolve) => {
    child.stdout.once('data', (d: Buffer) => {
      child.stdout.destroy(); // the reader goes away, as head does
      resolve(d.toString().split('\n')[0]!);
    });
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(JSON.parse(first).type, 'pkt');
  assert.equal(code, 0);
  assert.equal(stderr, '');
});

test('SIGINT while reading standard input: what was read is written, exit 0', async () => {
  const child = spawn(process.execPath, [BIN('trk-capture'), '-r', '-'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  const bytes = fs.readFileSync(SAMPLE);
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stdin.write(bytes); // and keep stdin open, as a live tcpdump -w - would
  await new Promise((r) => setTimeout(r, 700));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  assert.equal(stdout.trimEnd().split('\n').length, run(['-r', SAMPLE]).stdout.trimEnd().split('\n').length);
});

test('a slow reader does not make memory grow', { skip: noCorpus || undefined }, async () => {
  // ~220 MB of capture: buffering its output without bound would take ~600 MB
  const big = tmp('big.pcap');
  const capture = fs.readFileSync(LAN_CAPTURE);
  const fd = fs.openSync(big, 'w');
  fs.writeSync(fd, capture);
  for (let i = 0; i < 100; i++) fs.writeSync(fd, capture, 24);
  fs.closeSync(fd);
  const child = spawn(process.execPath, [BIN('trk-capture'), '-r', big], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const rss = (): number => {
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  };
  child.stdout.pause(); // a reader that does not read
  let peak = 0;
  for (let i = 0; i < 15; i++) {
    await new Promise((r) => setTimeout(r, 100));
    peak = Math.max(peak, rss());
  }
  // then a slow one: a little every 10 ms
  child.stdout.on('readable', () => {});
  for (let i = 0; i < 50; i++) {
    child.stdout.read(64 * 1024);
    await new Promise((r) => setTimeout(r, 10));
    if (i % 10 === 0) peak = Math.max(peak, rss());
  }
  child.kill('SIGTERM');
  // read the rest so it can flush and exit ('readable' listeners block resume())
  child.stdout.removeAllListeners('readable');
  child.stdout.resume();
  await new Promise((resolve) => child.on('exit', resolve));
  fs.rmSync(big);
  assert.ok(peak < 150 * 1024 * 1024, `peak RSS ${Math.round(peak / 1048576)} MiB with a slow reader`);
});
