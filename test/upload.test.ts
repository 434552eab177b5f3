/**
 * trk-upload as a user runs it: the real command (bin/trk-upload.js) as a
 * child process, a real spool directory, and a real HTTP server on
 * 127.0.0.1 standing in for trk-collect (test/helpers/ingest-server.ts) that
 * records each request, keeps each batch once by its id, and misbehaves on
 * cue. Checks: the pass-through, batching, bodies and headers, selection,
 * delivery through outages in order and exactly once, Retry-After, refused
 * batches, signals, the spool across runs, its cap, a hung server, usage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from './helpers/paths.js';
import { awkwardInput } from './helpers/awkward-input.js';
import { waitUntil } from './helpers/netns.js';
import { freePort, startIngestServer, type IngestServer } from './helpers/ingest-server.js';
import { parseSize } from '../src/cli/upload.js';
import { batchFileName, parseBatchFileName } from '../src/upload/spool.js';

const ENV: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC' };
delete ENV['TRK_UPLOAD_TOKEN'];

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'trk-upload-'));
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout(): Buffer;
  stderr(): string;
  closed: Promise<number | null>;
}

function startUpload(args: string[], env: NodeJS.ProcessEnv = ENV): Running {
  const child = spawn(process.execPath, [BIN('trk-upload'), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  // a test that fails must not leave its child behind
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  void closed.then(() => clearTimeout(timer));
  return { child, stdout: () => Buffer.concat(out), stderr: () => err, closed };
}

async function upload(args: string[], input: Buffer | string, env: NodeJS.ProcessEnv = ENV) {
  const r = startUpload(args, env);
  r.child.stdin.end(input);
  const code = await r.closed;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** Options every test wants: its own spool, quick retries. */
function base(spool: string, ...more: string[]): string[] {
  return ['--spool', spool, '--retry-max', '0.2s', ...more];
}

/** The one destination directory under a spool base, and the batch files in it. */
function spoolFiles(spoolBase: string): { dir: string; files: string[] } {
  const subs = fs.existsSync(spoolBase) ? fs.readdirSync(spoolBase) : [];
  assert.equal(subs.length, 1, `one destination directory in ${spoolBase}: ${subs.join(' ')}`);
  const dir = path.join(spoolBase, subs[0]!);
  return { dir, files: fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson.gz')).sort() };
}

/** How many batches are spooled, 0 while the directory is not made yet (for polling). */
function spooledCount(spoolBase: string): number {
  const subs = fs.existsSync(spoolBase) ? fs.readdirSync(spoolBase) : [];
  return subs.length === 1 ? fs.readdirSync(path.join(spoolBase, subs[0]!)).filter((f) => f.endsWith('.ndjson.gz')).length : 0;
}

function pktLines(n: number, from = 1): string[] {
  const lines: string[] = [];
  for (let i = from; i < from + n; i++) lines.push(`{"type":"pkt","ts":${i},"len":60}`);
  return lines;
}

const url = (server: IngestServer): string => `http://127.0.0.1:${server.port}/ingest`;

test('sizes: bytes and k, M, G suffixes; nonsense refused', () => {
  assert.equal(parseSize('65536'), 65536);
  assert.equal(parseSize('512k'), 512 * 1024);
  assert.equal(parseSize('1M'), 1 << 20);
  assert.equal(parseSize('1MiB'), 1 << 20);
  assert.equal(parseSize('1.5G'), 1.5 * 1024 ** 3);
  for (const bad of ['', '1Q', '-1', 'M', '0']) assert.throws(() => parseSize(bad), /not a size/, bad);
});

test('spool file names sort in send order and read back', () => {
  const a = batchFileName({ stream: '0mwv4uss5-039ffee8', seq: 9 }, 10);
  const b = batchFileName({ stream: '0mwv4uss5-039ffee8', seq: 10 }, 3);
  const c = batchFileName({ stream: '0mwv4uzzz-00000000', seq: 1 }, 3);
  assert.deepEqual([c, b, a].sort(), [a, b, c]);
  assert.deepEqual(parseBatchFileName(b), { name: b, id: { stream: '0mwv4uss5-039ffee8', seq: 10 }, lines: 3 });
  assert.equal(parseBatchFileName('lock'), undefined);
});

test('the pass-through is the input byte for byte, and the shipped body decodes to exactly the lines', async () => {
  const server = await startIngestServer();
  const spool = tmpdir();
  try {
    const input = awkwardInput();
    const r = await upload(base(spool, url(server)), input);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.equals(input), 'stdout differs from stdin');
    // every line but the overlong one, each ending in '\n' (the last one too)
    const expected = ['{"type":"pkt","ts":1,"len":60}', '2026-11-22 09:42:15 ALERT TCP synflood dst=10.10.1.20,syns=201', '\x00\x01\x02\xff\xfe', '\r', 'no newline at the end'];
    assert.deepEqual(server.kept, expected);
    const attempt = server.attempts[0]!;
    assert.equal(attempt.headers['content-encoding'], 'gzip');
    assert.equal(attempt.headers['content-type'], 'application/x-ndjson');
    assert.equal(attempt.body.toString('latin1'), expected.join('\n') + '\n');
    assert.equal(attempt.lines, String(expected.length));
    assert.match(r.stderr, /longer than 1048576 bytes is passed on but not shipped/);
    assert.deepEqual(spoolFiles(spool).files, [], 'the spool is empty once delivered');
  } finally {
    await server.stop();
  }
});

test('batches close at --batch-lines and before --batch-bytes; --compress none sends the lines as they are', async () => {
  const server = await startIngestServer();
  const spool = tmpdir();
  try {
    const lines = pktLines(1000);
    let r = await upload(base(spool, '--batch-lines', '100', url(server)), lines.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.attempts.length, 10);
    assert.ok(server.attempts.every((a) => a.lines === '100'));
    assert.deepEqual(server.kept, lines);
    const stream = server.attempts[0]!.batch.split('/')[0];
    assert.deepEqual(server.attempts.map((a) => a.batch), Array.from({ length: 10 }, (_, i) => `${stream}/${i + 1}`));

    server.attempts.length = 0;
    server.kept.length = 0;
    r = await upload(base(spool, '--batch-bytes', '1k', '--compress', 'none', url(server)), lines.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.kept, lines);
    for (const a of server.attempts) {
      assert.equal(a.headers['content-encoding'], undefined);
      assert.ok(a.body.length <= 1024, `a batch of ${a.body.length} bytes`);
      assert.equal(a.body.toString().split('\n').length - 1, Number(a.lines));
    }
    assert.ok(server.attempts.length >= 30, `${server.attempts.length} batches of at most 1 KiB`);
  } finally {
    await server.stop();
  }
});

test('--flush-interval: a quiet line leaves within about the interval while the input stays open', async () => {
  const server = await startIngestServer();
  const spool = tmpdir();
  const up = startUpload(base(spool, '--flush-interval', '0.5s', url(server)));
  try {
    const t0 = Date.now();
    up.child.stdin.write('2026-11-22 09:42:15 ALERT TCP synflood dst=10.10.1.20,syns=201\n');
    await waitUntil(() => server.kept.length === 1, () => `nothing shipped: ${up.stderr()}`, 5000);
    const took = Date.now() - t0;
    assert.ok(took >= 400 && took < 3000, `shipped after ${took} ms`);
    // and it passed through at once, long before the batch went
    assert.match(up.stdout().toString(), /ALERT TCP synflood/);
    up.child.stdin.write('2026-11-22 09:42:16 STAT arp=1\n');
    await waitUntil(() => server.kept.length === 2, () => `the second line did not follow: ${up.stderr()}`, 5000);
    up.child.stdin.end();
    assert.equal(await up.closed, 0);
  } finally {
    up.child.kill('SIGKILL');
    await server.stop();
  }
});

test('--only and --ignore choose what is shipped; everything passes through', async () => {
  const server = await startIngestServer();
  const spool = tmpdir();
  try {
    const input = [
      '{"type":"pkt","ts":1,"len":60}',
      '{"type":"tally","start":0,"end":60,"by":"host"}',
      '2026-11-22 09:42:15 ALERT TCP synflood dst=10.10.1.20,syns=201',
      '2026-11-22 09:42:15 STAT arp=3 icmp6=0',
      '{"type":"report","net":"10.0.0.0/24"}',
      '# a comment',
    ].join('\n') + '\n';
    let r = await upload(base(spool, '--only', 'alert,stat', '--only', 'tally', url(server)), input);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), input);
    assert.deepEqual(server.kept, [
      '{"type":"tally","start":0,"end":60,"by":"host"}',
      '2026-11-22 09:42:15 ALERT TCP synflood dst=10.10.1.20,syns=201',
      '2026-11-22 09:42:15 STAT arp=3 icmp6=0',
    ]);
    server.kept.length = 0;
    r = await upload(base(spool, '--ignore', 'pkt', '--ignore', 'other', url(server)), input);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.kept.length, 4);
    assert.ok(!server.kept.some((l) => l.includes('"pkt"') || l.startsWith('#')));
  } finally {
    await server.stop();
  }
});

test('headers: sensor, bearer token from --token, --token-file and the environment, --header, Basic from the URL', async () => {
  const server = await startIngestServer();
  const spool = tmpdir();
  try {
    const line = '2026-11-22 09:42:15 STAT arp=3\n';
    let r = await upload(base(spool, '--sensor', 'gw1', '--token', 's3cret', '--header', 'X-Api-Key: k1', '--header', 'X-Other:two words', url(server)), line);
    assert.equal(r.code, 0, r.stderr);
    let h = server.attempts.at(-1)!.headers;
    assert.equal(h['authorization'], 'Bearer s3cret');
    assert.equal(h['x-trk-sensor'], 'gw1');
    assert.equal(h['x-api-key'], 'k1');
    assert.equal(h['x-other'], 'two words');
    assert.match(String(h['x-trk-batch']), /^[0-9a-z]{9}-[0-9a-f]{8}\/1$/);
    assert.equal(server.attempts.at(-1)!.url, '/ingest');

    const tokenFile = path.join(spool, 'token');
    fs.writeFileSync(tokenFile, 'from-file\nsecond line ignored\n');
    r = await upload(base(spool, '--token-file', tokenFile, url(server)), line, { ...ENV, TRK_UPLOAD_TOKEN: 'from-env' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.attempts.at(-1)!.headers['authorization'], 'Bearer from-file');
    assert.equal(server.attempts.at(-1)!.headers['x-trk-sensor'], (await import('../src/upload/protocol.js')).sensorFromHostname(os.hostname()));

    r = await upload(base(spool, url(server)), line, { ...ENV, TRK_UPLOAD_TOKEN: 'from-env' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.attempts.at(-1)!.headers['authorization'], 'Bearer from-env');

    r = await upload(base(spool, `http://alice:pa%20ss@127.0.0.1:${server.port}/ingest?x=1`), line);
    assert.equal(r.code, 0, r.stderr);
    h = server.attempts.at(-1)!.headers;
    assert.equal(h['authorization'], 'Basic ' + Buffer.from('alice:pa ss').toString('base64'));
    assert.equal(server.attempts.at(-1)!.url, '/ingest?x=1');
    assert.doesNotMatch(r.stderr, /pa%20ss|pa ss/, 'the password is never printed');
  } finally {
    await server.stop();
  }
});

test('server down at the start, then up: every line arrives once, in order, retries reusing the batch id', async () => {
  const port = await freePort();
  const server = await startIngestServer(port, false);
  const spool = tmpdir();
  const lines = pktLines(5000);
  const up = startUpload(base(spool, '--batch-lines', '500', '--max-wait', '30', `http://127.0.0.1:${port}/ingest`));
  try {
    up.child.stdin.end(lines.join('\n') + '\n');
    // the pass-through does not wait for the server
    await waitUntil(() => up.stdout().length === Buffer.byteLength(lines.join('\n') + '\n'), () => 'the pass-through waited for the network', 10_000);
    await waitUntil(() => /connection refused; \d+ batch/.test(up.stderr()), () => `no word of the outage: ${up.stderr()}`, 10_000);
    // the answer to the first batch is lost after the server kept it: it must come again under the same id
    server.script.push('commit-then-drop', { status: 500 }, 'drop');
    await server.start();
    assert.equal(await up.closed, 0, up.stderr());
    assert.deepEqual(server.kept, lines, 'every line once, in order');
    const first = server.attempts[0]!.batch;
    assert.ok(server.attempts.filter((a) => a.batch === first).length >= 2, 'the first batch was sent again');
    assert.ok(server.attempts.slice(0, 3).every((a) => a.batch === first), `retries reuse the id: ${server.attempts.slice(0, 4).map((a) => a.batch).join(' ')}`);
    assert.equal(up.stderr().match(/connection refused/g)?.length, 1, 'the outage is said once, not per retry');
    assert.match(up.stderr(), /delivering again/);
    assert.deepEqual(spoolFiles(spool).files, []);
  } finally {
    up.child.kill('SIGKILL');
    await server.stop();
  }
});

test('503 with Retry-After is honoured over a shorter --retry-max', async () => {
  const server = await startIngestServer();
  const spool = tmpdir();
  try {
    server.script.push({ status: 503, retryAfter: 2 });
    const r = await upload(base(spool, url(server)), '2026-11-22 09:42:15 STAT arp=3\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.attempts.length, 2);
    const gap = server.attempts[1]!.at - server.attempts[0]!.at;
    assert.ok(gap >= 1900 && gap < 6000, `retried after ${gap} ms`);
    assert.match(r.stderr, /HTTP 503/);
    assert.equal(server.kept.length, 1);
  } finally {
    await server.stop();
  }
});

test('a batch refused with 400 goes to failed/ with its reason, and the next batches still go', async () => {
  const server = await startIngestServer();
  const spool = tmpdir();
  try {
    server.script.push({ status: 200 }, { status: 400, body: 'line 3 is not NDJSON\n' });
    const lines = pktLines(30);
    const r = await upload(base(spool, '--batch-lines', '10', url(server)), lines.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.kept, [...lines.slice(0, 10), ...lines.slice(20)]);
    assert.match(r.stderr, /batch \S+\/2 \(10 lines\) refused: HTTP 400 line 3 is not NDJSON; kept in .*failed/);
    const { dir, files } = spoolFiles(spool);
    assert.deepEqual(files, []);
    const failed = fs.readdirSync(path.join(dir, 'failed')).sort();
    assert.equal(failed.length, 2);
    assert.match(failed[0]!, /-000000000002-10\.ndjson\.gz$/);
    assert.match(fs.readFileSync(path.join(dir, 'failed', failed[1]!), 'utf8'), /HTTP 400 line 3 is not NDJSON/);
  } finally {
    await server.stop();
  }
});

test('SIGTERM mid-stream spools the open batch and exits in bounded time; the next run sends the leftovers first', async () => {
  const port = await freePort();
  const server = await startIngestServer(port, false);
  const spool = tmpdir();
  const target = `http://127.0.0.1:${port}/ingest`;
  const first = pktLines(25);
  const up = startUpload(base(spool, '--batch-lines', '10', '--max-wait', '1', target));
  try {
    up.child.stdin.write(first.join('\n') + '\n');
    await waitUntil(() => up.stdout().toString().split('\n').length > 25, () => 'no pass-through', 5000);
    await waitUntil(() => spooledCount(spool) === 2, () => `two full batches spooled: ${spooledCount(spool)}`, 5000);
    const t0 = Date.now();
    up.child.kill('SIGTERM');
    assert.equal(await up.closed, 0, up.stderr());
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms to stop`);
    const { files } = spoolFiles(spool);
    assert.deepEqual(files.map((f) => f.replace(/^.*-(\d+-\d+)\.ndjson\.gz$/, '$1')), ['000000000001-10', '000000000002-10', '000000000003-5']);
    assert.match(up.stderr(), /3 batches \(25 lines\) not delivered yet/);

    await server.start();
    const second = pktLines(5, 100);
    const r = await upload(base(spool, target), second.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /3 batches \(25 lines\) an earlier run left in .*: sending them first/);
    assert.deepEqual(server.kept, [...first, ...second]);
    assert.deepEqual(spoolFiles(spool).files, []);
  } finally {
    up.child.kill('SIGKILL');
    await server.stop();
  }
});

test('SIGKILL of trk-upload: the next run takes over the stale lock and sends what was spooled, once and in order', async () => {
  const port = await freePort();
  const server = await startIngestServer(port, false);
  const spool = tmpdir();
  const target = `http://127.0.0.1:${port}/ingest`;
  const lines = pktLines(20000);
  const up = startUpload(base(spool, '--batch-lines', '1000', target));
  try {
    up.child.stdin.write(lines.join('\n') + '\n');
    await waitUntil(() => spooledCount(spool) >= 20, () => `not spooled: ${up.stderr()}`, 10_000);
    up.child.kill('SIGKILL');
    await up.closed;
    assert.ok(fs.existsSync(path.join(spoolFiles(spool).dir, 'lock')), 'the dead run left its lock');
    await server.start();
    const r = await upload(base(spool, target), '');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.kept, lines);
    assert.deepEqual(spoolFiles(spool).files, []);
  } finally {
    up.child.kill('SIGKILL');
    await server.stop();
  }
});

test('a second SIGTERM cuts the wait for the spool short', async () => {
  const port = await freePort();
  const spool = tmpdir();
  const up = startUpload(base(spool, '--max-wait', '60', `http://127.0.0.1:${port}/ingest`));
  try {
    up.child.stdin.write('2026-11-22 09:42:15 STAT arp=3\n');
    await waitUntil(() => up.stdout().length > 0, () => 'no pass-through', 5000);
    up.child.kill('SIGTERM');
    await waitUntil(() => spooledCount(spool) === 1, () => `the open batch was not spooled: ${up.stderr()}`, 5000);
    const t0 = Date.now();
    up.child.kill('SIGTERM');
    assert.equal(await up.closed, 0, up.stderr());
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms after the second signal`);
    assert.match(up.stderr(), /1 batch \(1 lines\) not delivered yet/);
  } finally {
    up.child.kill('SIGKILL');
  }
});

test('--spool-max drops the oldest batches, said once, and keeps the newest', async () => {
  const port = await freePort();
  const spool = tmpdir();
  const lines = pktLines(2000);
  // random-looking lines so that gzip cannot make them tiny
  const noisy = lines.map((l, i) => l.replace('}', `,"r":"${((i * 2654435761) >>> 0).toString(36)}${((i * 40503) >>> 0).toString(16)}"}`));
  const r = await upload(base(spool, '--batch-lines', '50', '--spool-max', '8k', '--max-wait', '0.5', `http://127.0.0.1:${port}/ingest`), noisy.join('\n') + '\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.match(/dropping the oldest batches/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /dropped \d+ lines in \d+ batches in all/);
  const { dir, files } = spoolFiles(spool);
  const size = files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  assert.ok(size <= 8192, `${size} bytes spooled`);
  assert.ok(files.length >= 2);
  assert.match(files.at(-1)!, /-000000000040-50\.ndjson\.gz$/, 'the newest batch is kept');
  const seqs = files.map((f) => Number(/-(\d{12})-/.exec(f)![1]));
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => 40 - seqs.length + 1 + i), 'what is left is the newest, with no holes');
});

test('a hung server (accepts, never answers) does not hold up the pass-through', async () => {
  const server = await startIngestServer();
  server.always = 'hang';
  const spool = tmpdir();
  const up = startUpload(base(spool, '--flush-interval', '0.1s', '--max-wait', '1', url(server)));
  try {
    for (let i = 1; i <= 3; i++) {
      const line = `2026-11-22 09:42:1${i} STAT arp=${i}\n`;
      const before = up.stdout().length;
      const t0 = Date.now();
      up.child.stdin.write(line);
      await waitUntil(() => up.stdout().length >= before + line.length, () => 'the line did not come out', 2000);
      assert.ok(Date.now() - t0 < 1000, `line ${i} came out after ${Date.now() - t0} ms`);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(server.attempts.length >= 1, 'the server was tried');
    const t0 = Date.now();
    up.child.stdin.end();
    assert.equal(await up.closed, 0, up.stderr());
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms to stop`);
    assert.ok(spoolFiles(spool).files.length >= 1, 'the undelivered batches stay spooled');
  } finally {
    up.child.kill('SIGKILL');
    await server.stop();
  }
});

test('401 keeps the batch and retries; SIGHUP re-reads --token-file and delivery resumes', async () => {
  const server = await startIngestServer();
  const spool = tmpdir();
  const tokenFile = path.join(spool, 'token');
  fs.writeFileSync(tokenFile, 'wrong\n');
  server.always = { status: 401, body: 'bad token' };
  const up = startUpload(base(spool, '--retry-max', '30s', '--token-file', tokenFile, '--flush-interval', '0.1s', url(server)));
  try {
    up.child.stdin.write('2026-11-22 09:42:15 STAT arp=3\n');
    await waitUntil(() => /HTTP 401 bad token \(the token was refused/.test(up.stderr()), () => `no word of the 401: ${up.stderr()}`, 5000);
    fs.writeFileSync(tokenFile, 'right\n');
    server.always = undefined;
    up.child.kill('SIGHUP');
    await waitUntil(() => server.kept.length === 1, () => `not delivered after SIGHUP: ${up.stderr()}`, 5000);
    assert.equal(server.attempts.at(-1)!.headers['authorization'], 'Bearer right');
    up.child.stdin.end();
    assert.equal(await up.closed, 0, up.stderr());
  } finally {
    up.child.kill('SIGKILL');
    await server.stop();
  }
});

test('https: a self-signed certificate is refused (and retried) unless --insecure or NODE_EXTRA_CA_CERTS trusts it', async (t) => {
  const dir = tmpdir();
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  } catch {
    t.skip('openssl is not installed: cannot make a certificate');
    return;
  }
  const server = await startIngestServer(0, true, { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) });
  const target = `https://127.0.0.1:${server.port}/ingest`;
  const line = '2026-11-22 09:42:15 STAT arp=3\n';
  try {
    let r = await upload(base(path.join(dir, 'spool'), '--max-wait', '0.5', target), line);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /self-signed certificate.*1 batch \(1 lines\) spooled/);
    assert.equal(server.kept.length, 0);
    r = await upload(base(path.join(dir, 'spool'), '--insecure', target), line);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.kept.length, 2, 'the spooled batch and the new one');
    r = await upload(base(path.join(dir, 'spool'), target), line, { ...ENV, NODE_EXTRA_CA_CERTS: certFile });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.kept.length, 3);
  } finally {
    await server.stop();
  }
});

test('a second trk-upload to the same destination and spool is refused while the first runs', async () => {
  const server = await startIngestServer();
  const spool = tmpdir();
  const first = startUpload(base(spool, url(server)));
  try {
    await waitUntil(() => fs.existsSync(spool) && fs.readdirSync(spool).length === 1 && fs.existsSync(path.join(spoolFiles(spool).dir, 'lock')), () => 'no lock', 5000);
    const r = await upload(base(spool, url(server)), 'x\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^trk-upload: the spool .* is in use by process \d+/);
    first.child.stdin.end();
    assert.equal(await first.closed, 0);
    // a lock left by a process that is gone is taken over
    fs.writeFileSync(path.join(spoolFiles(spool).dir, 'lock'), '999999999\n');
    const again = await upload(base(spool, url(server)), 'x\n');
    assert.equal(again.code, 0, again.stderr);
    // and so is one whose pid now belongs to another program (pid 1 is never a trk-upload)
    fs.writeFileSync(path.join(spoolFiles(spool).dir, 'lock'), '1\n');
    const reused = await upload(base(spool, url(server)), 'x\n');
    assert.equal(reused.code, 0, reused.stderr);
  } finally {
    first.child.kill('SIGKILL');
    await server.stop();
  }
});

test('usage errors exit 2 with one line saying what is wrong', async () => {
  const spool = tmpdir();
  const cases: [string[], RegExp][] = [
    [[], /give the URL/],
    [['ftp://example.net/'], /must be http:\/\/ or https:\/\//],
    [['not a url'], /is not a URL/],
    [['--only', 'pkt,bogus', 'http://127.0.0.1:9/'], /--only takes pkt, tally, alert, stat, report, other; not 'bogus'/],
    [['--batch-bytes', '1Q', 'http://127.0.0.1:9/'], /--batch-bytes: '1Q' is not a size/],
    [['--spool-max', 'lots', 'http://127.0.0.1:9/'], /--spool-max: 'lots' is not a size/],
    [['--flush-interval', 'soon', 'http://127.0.0.1:9/'], /--flush-interval takes a duration/],
    [['--sensor', 'a/b', 'http://127.0.0.1:9/'], /--sensor 'a\/b'/],
    [['--header', 'nocolon', 'http://127.0.0.1:9/'], /--header takes 'Name: value'/],
    [['--compress', 'zstd', 'http://127.0.0.1:9/'], /takes one of gzip, none/],
    [['--token', 'a', '--token-file', '/x', 'http://127.0.0.1:9/'], /do not go together/],
    [['--bogus', 'http://127.0.0.1:9/'], /unknown option --bogus/],
  ];
  for (const [args, message] of cases) {
    const r = await upload(['--spool', spool, ...args], '');
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0]!, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 2, `one line and the --help hint: ${r.stderr}`);
  }
  const missing = await upload(['--spool', spool, '--token-file', path.join(spool, 'nope'), 'http://127.0.0.1:9/'], '');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^trk-upload: cannot read the token file .*nope: ENOENT\n$/);
});
