/**
 * trk-collect as an operator runs it: a real child process on 127.0.0.1
 * (port 0, read from its "listening on" line), real HTTP and HTTPS posts from
 * a small client in this file (trk-upload's contract, src/upload/protocol.ts),
 * real files under a temporary --dir, real signals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BIN } from './helpers/paths.js';
import { waitUntil } from './helpers/netns.js';
import { localDay } from '../src/collect/store.js';
import { request, startCollector as start, type Answer, type RunningCollector } from './helpers/collector.js';

const ENV = { ...process.env, TZ: 'UTC' };
const TODAY = localDay(Date.now());
const TOKEN_GW1 = 'a3f9c0e7a5b1d48e2a6c4f0b9d8e7a1c';
const TOKEN_GW2 = '9a8b7c6d5e4f30211f2e3d4c5b6a7980';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'trk-collect-'));
}

interface Post {
  sensor?: string;
  batch?: string;
  lines?: number | string;
  token?: string;
  body: Buffer | string;
  gzip?: boolean;
  headers?: Record<string, string>;
  /** For HTTPS: the CA to trust. */
  ca?: Buffer;
}

/** One batch as trk-upload posts it. */
function post(port: number, p: Post): Promise<Answer> {
  const raw = Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body);
  const body = p.gzip === false ? raw : zlib.gzipSync(raw);
  const headers: Record<string, string | number> = { 'Content-Type': 'application/x-ndjson', 'Content-Length': body.length };
  if (p.gzip !== false) headers['Content-Encoding'] = 'gzip';
  if (p.sensor !== undefined) headers['X-Trk-Sensor'] = p.sensor;
  if (p.batch !== undefined) headers['X-Trk-Batch'] = p.batch;
  if (p.lines !== undefined) headers['X-Trk-Lines'] = p.lines;
  if (p.token !== undefined) headers['Authorization'] = `Bearer ${p.token}`;
  Object.assign(headers, p.headers ?? {});
  return request(port, { method: 'POST', path: '/ingest', headers, ...(p.ca ? { ca: p.ca } : {}) }, body);
}

const get = (port: number, path: string): Promise<Answer> => request(port, { method: 'GET', path });

function dayFile(dir: string, sensor: string): string {
  return path.join(dir, sensor, `${TODAY}.ndjson`);
}

const BATCH = [
  '{"type":"stat","ts":1764000000,"arp":3}',
  '2026-11-24 09:42:04 ALERT ARP mac_changed ip=10.0.0.9,old=68:a3:c4:f4:84:1e,new=00:11:22:33:44:55',
  '2026-11-24 09:43:00 STAT arp=3 icmp6=0',
  '{"sensor":"other","type":"tally"}',
  '{}',
  '',
  'a comment line, passed through',
  '{"type":"pkt","src":"10.0.0.2","note":"ünïcode\tand tab"}',
].map((l) => l + '\n').join('');

const BATCH_TAGGED = [
  '{"sensor":"gw1","type":"stat","ts":1764000000,"arp":3}',
  'sensor=gw1 2026-11-24 09:42:04 ALERT ARP mac_changed ip=10.0.0.9,old=68:a3:c4:f4:84:1e,new=00:11:22:33:44:55',
  'sensor=gw1 2026-11-24 09:43:00 STAT arp=3 icmp6=0',
  '{"sensor":"other","type":"tally"}',
  '{"sensor":"gw1"}',
  'sensor=gw1 ',
  'sensor=gw1 a comment line, passed through',
  '{"sensor":"gw1","type":"pkt","src":"10.0.0.2","note":"ünïcode\tand tab"}',
].map((l) => l + '\n').join('');

test('a gzip batch is stored as sent and written tagged; the same batch id again is a duplicate, written nowhere', async () => {
  const dir = tmpdir();
  const c = await start(['--dir', dir]);
  try {
    const a = await post(c.port, { sensor: 'gw1', batch: 's1-0001/1', lines: 8, body: BATCH });
    assert.equal(a.status, 200, a.body);
    assert.deepEqual(JSON.parse(a.body), { accepted: 8 });
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), BATCH);
    await waitUntil(() => c.stdout().length >= Buffer.byteLength(BATCH_TAGGED), () => `stdout: ${c.stdout()}`);
    assert.equal(c.stdout().toString('utf8'), BATCH_TAGGED);

    const again = await post(c.port, { sensor: 'gw1', batch: 's1-0001/1', lines: 8, body: BATCH });
    assert.equal(again.status, 200);
    assert.deepEqual(JSON.parse(again.body), { duplicate: true });
    // an identity body is taken too
    const next = await post(c.port, { sensor: 'gw1', batch: 's1-0001/2', body: 'x\n', gzip: false });
    assert.deepEqual(JSON.parse(next.body), { accepted: 1 });
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), BATCH + 'x\n');
    await waitUntil(() => c.stdout().toString().endsWith('sensor=gw1 x\n'), () => `stdout: ${c.stdout()}`);
    assert.equal(c.stdout().toString('utf8'), BATCH_TAGGED + 'sensor=gw1 x\n');
    const ledger = fs.readFileSync(path.join(dir, 'gw1', '.trk-batches'), 'utf8');
    assert.equal(ledger, `s1-0001 1 ${TODAY}.ndjson ${Buffer.byteLength(BATCH)}\ns1-0001 2 ${TODAY}.ndjson ${Buffer.byteLength(BATCH) + 2}\n`);
    assert.equal(fs.statSync(path.join(dir, 'gw1')).mode & 0o777, 0o750);
    assert.equal(fs.statSync(dayFile(dir, 'gw1')).mode & 0o777, 0o640);
  } finally {
    assert.equal(await c.stop(), 0, c.stderr());
  }
});

const noIpv6 = await new Promise<string | false>((resolve) => {
  const probe = net.createServer();
  probe.once('error', (e: NodeJS.ErrnoException) => resolve(`no IPv6 loopback here: ${e.code}`));
  probe.listen(0, '::1', () => probe.close(() => resolve(false)));
});

test('--listen [::1]:0 takes IPv6 and says so in the URL form', { skip: noIpv6 }, async () => {
  const c = await start(['--listen', '[::1]:0', '-q']);
  try {
    assert.match(c.stderr(), /^trk-collect: listening on http:\/\/\[::1\]:\d+$/m);
    const a = await request(c.port, { host: '::1', method: 'POST', path: '/ingest', headers: { 'X-Trk-Sensor': 'v6', 'X-Trk-Batch': 'six/1' } }, Buffer.from('over v6\n'));
    assert.equal(a.status, 200, a.body);
    await waitUntil(() => c.stdout().toString() === 'sensor=v6 over v6\n', () => `stdout: ${c.stdout()}`);
  } finally {
    assert.equal(await c.stop(), 0, c.stderr());
  }
});

test('/healthz and /metrics: counters per sensor move with batches, duplicates, gaps and refusals', async () => {
  const c = await start(['-q']);
  try {
    const health = await get(c.port, '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body, 'ok\n');
    await post(c.port, { sensor: 'gw1', batch: 'm/1', body: 'a\nb\n' });
    await post(c.port, { sensor: 'gw1', batch: 'm/1', body: 'a\nb\n' });
    await post(c.port, { sensor: 'gw1', batch: 'm/4', body: 'c\n' });
    await post(c.port, { sensor: 'gw2', batch: 'm/1', body: 'bad\x00\n' });
    const m = await get(c.port, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.headers['content-type']!, /^text\/plain; version=0\.0\.4/);
    for (const line of [
      'trk_collect_batches_total{sensor="gw1"} 2',
      'trk_collect_lines_total{sensor="gw1"} 3',
      'trk_collect_bytes_total{sensor="gw1"} 6',
      'trk_collect_duplicate_batches_total{sensor="gw1"} 1',
      'trk_collect_gaps_total{sensor="gw1"} 1',
      'trk_collect_rejects_total{sensor="gw2",reason="bad_lines"} 1',
      '# TYPE trk_collect_batches_total counter',
      '# TYPE trk_collect_last_batch_timestamp_seconds gauge',
    ]) assert.ok(m.body.split('\n').includes(line), `${line} not in\n${m.body}`);
    const last = /trk_collect_last_batch_timestamp_seconds\{sensor="gw1"\} ([\d.]+)/.exec(m.body);
    assert.ok(last && Math.abs(Number(last[1]) - Date.now() / 1000) < 60);
    // the gap is said on stderr even with -q
    assert.match(c.stderr(), /gw1: 2 batches of stream m before 4 never came/);
    assert.equal((await get(c.port, '/nothing')).status, 404);
    const put = await request(c.port, { method: 'PUT', path: '/ingest' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'POST');
  } finally {
    assert.equal(await c.stop(), 0);
  }
});

test('tokens: a bad one is 401 while a good one is served, the name comes from the token, SIGHUP revokes', async () => {
  const dir = tmpdir();
  const tokens = path.join(dir, 'tokens');
  fs.writeFileSync(tokens, `# sensors\n${TOKEN_GW1} gw1\n${TOKEN_GW2}   gw2   # the core\n`, { mode: 0o600 });
  const c = await start(['--tokens', tokens, '--dir', path.join(dir, 'store')]);
  try {
    assert.doesNotMatch(c.stderr(), /readable by every user/);
    const bad = await post(c.port, { sensor: 'gw1', batch: 't/1', token: 'wrong-token-wrong-token', body: 'x\n' });
    assert.equal(bad.status, 401);
    assert.match(bad.headers['www-authenticate']!, /^Bearer/);
    const none = await post(c.port, { sensor: 'gw1', batch: 't/1', body: 'x\n' });
    assert.equal(none.status, 401);
    // gw2's token, claiming to be gw1: stored as gw2
    const good = await post(c.port, { sensor: 'gw1', batch: 't/1', token: TOKEN_GW2, body: 'from gw2\n' });
    assert.equal(good.status, 200, good.body);
    assert.equal(fs.readFileSync(dayFile(path.join(dir, 'store'), 'gw2'), 'utf8'), 'from gw2\n');
    assert.equal(fs.existsSync(path.join(dir, 'store', 'gw1')), false);
    await waitUntil(() => c.stdout().toString() === 'sensor=gw2 from gw2\n', () => `stdout: ${c.stdout()}`);

    fs.writeFileSync(tokens, `${TOKEN_GW1} gw1\n`);
    c.child.kill('SIGHUP');
    await waitUntil(() => /1 tokens/.test(c.stderr()), () => `no reload: ${c.stderr()}`);
    const revoked = await post(c.port, { batch: 't/2', token: TOKEN_GW2, body: 'again\n' });
    assert.equal(revoked.status, 401);
    const still = await post(c.port, { batch: 't/1', token: TOKEN_GW1, body: 'gw1 here\n' });
    assert.equal(still.status, 200);
    const m = await get(c.port, '/metrics');
    assert.ok(m.body.includes('trk_collect_rejects_total{sensor="",reason="token"} 3'), m.body);
    // a broken file on SIGHUP keeps the tokens read before
    fs.writeFileSync(tokens, 'just-one-word\n');
    c.child.kill('SIGHUP');
    await waitUntil(() => /keeping the tokens read before/.test(c.stderr()), () => c.stderr());
    assert.equal((await post(c.port, { batch: 't/2', token: TOKEN_GW1, body: 'gw1 again\n' })).status, 200);
  } finally {
    assert.equal(await c.stop(), 0, c.stderr());
  }
  // a tokens file others can read is said
  fs.writeFileSync(tokens, `${TOKEN_GW1} gw1\n`);
  fs.chmodSync(tokens, 0o644);
  const loose = await start(['--tokens', tokens]);
  assert.equal(await loose.stop(), 0);
  assert.match(loose.stderr(), /tokens is readable by every user: chmod 600/);
});

test('too big: a long body, a chunked one and a small gzip bomb get 413, while another client is served', async () => {
  const dir = tmpdir();
  const c = await start(['--dir', dir, '--max-batch-bytes', '64K']);
  try {
    const big = Buffer.from('y'.repeat(1023) + '\n').toString().repeat(1024); // 1 MiB
    const [long, ok] = await Promise.all([
      post(c.port, { sensor: 'gw1', batch: 'b/1', body: big, gzip: false }),
      post(c.port, { sensor: 'gw2', batch: 'b/1', body: 'fine\n' }),
    ]);
    assert.equal(long.status, 413);
    assert.match(long.body, /65536/);
    assert.equal(ok.status, 200);
    // no Content-Length: cut off once past the limit
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: c.port, method: 'POST', path: '/ingest', agent: false, headers: { 'X-Trk-Sensor': 'gw1', 'X-Trk-Batch': 'b/1' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      let sent = 0;
      const more = (): void => {
        while (sent < 4 * 1024 * 1024 && req.write(Buffer.alloc(16 * 1024, 0x61))) sent += 16 * 1024;
        if (sent < 4 * 1024 * 1024) req.once('drain', more);
        else req.end();
      };
      more();
    });
    assert.equal(chunked, 413);
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x61));
    assert.ok(bomb.length < 65536, `bomb is ${bomb.length}`);
    const inflated = await post(c.port, { sensor: 'gw1', batch: 'b/1', body: bomb, gzip: false, headers: { 'Content-Encoding': 'gzip' } });
    assert.equal(inflated.status, 413);
    assert.match(inflated.body, /inflates/);
    assert.equal(fs.existsSync(path.join(dir, 'gw1', `${TODAY}.ndjson`)), false);
    const m = await get(c.port, '/metrics');
    assert.ok(m.body.includes('trk_collect_rejects_total{sensor="gw1",reason="too_large"} 3'), m.body);
    assert.equal((await get(c.port, '/healthz')).status, 200);
  } finally {
    assert.equal(await c.stop(), 0, c.stderr());
  }
});

test('not lines: binary garbage, a cut record, a missing newline, a wrong line count, a bad header: 400 naming the line, nothing stored', async () => {
  const dir = tmpdir();
  const c = await start(['--dir', dir]);
  try {
    const garbage = Buffer.concat([Buffer.from('good line\nanother\n'), Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x80, 0x0a])]);
    const cases: [Post, number, RegExp][] = [
      [{ sensor: 'gw1', batch: 'g/1', body: garbage }, 400, /^line 3: not UTF-8\n$/],
      [{ sensor: 'gw1', batch: 'g/1', body: 'ok\nok\nnul\x00here\n' }, 400, /^line 3: control character 0x00\n$/],
      [{ sensor: 'gw1', batch: 'g/1', body: 'ok\r\n' }, 400, /^line 1: control character 0x0d\n$/],
      [{ sensor: 'gw1', batch: 'g/1', body: '{"type":"pkt"}\n{"type":"pkt","src":"10.\n' }, 400, /^line 2: starts with '\{' but does not end with '\}'/],
      [{ sensor: 'gw1', batch: 'g/1', body: 'one\ntwo' }, 400, /^line 2: the last line does not end in a newline/],
      [{ sensor: 'gw1', batch: 'g/1', body: '' }, 400, /empty/],
      [{ sensor: 'gw1', batch: 'g/1', lines: 3, body: 'a\nb\n' }, 400, /^X-Trk-Lines says 3 lines but the batch has 2\n$/],
      [{ sensor: 'gw1', body: 'a\n' }, 400, /X-Trk-Batch must be STREAM\/SEQ/],
      [{ sensor: 'gw1', batch: 'g/0', body: 'a\n' }, 400, /X-Trk-Batch/],
      [{ sensor: '../etc', batch: 'g/1', body: 'a\n' }, 400, /X-Trk-Sensor must name the sensor/],
      [{ batch: 'g/1', body: 'a\n' }, 400, /X-Trk-Sensor/],
      [{ sensor: 'gw1', batch: 'g/1', body: 'a\n', gzip: false, headers: { 'Content-Encoding': 'br' } }, 415, /br is not taken/],
      [{ sensor: 'gw1', batch: 'g/1', body: 'not gzip at all\n', gzip: false, headers: { 'Content-Encoding': 'gzip' } }, 400, /not gzip/],
    ];
    for (const [p, status, body] of cases) {
      const a = await post(c.port, p);
      assert.equal(a.status, status, `${JSON.stringify(p.body)}: ${a.body}`);
      assert.match(a.body, body);
    }
    assert.equal(fs.existsSync(dayFile(dir, 'gw1')), false);
    // and after all that, the same batch id is still free
    const good = await post(c.port, { sensor: 'gw1', batch: 'g/1', body: 'a\n' });
    assert.deepEqual(JSON.parse(good.body), { accepted: 1 });
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), 'a\n');
    await waitUntil(() => c.stdout().length > 0, () => 'no stdout');
    assert.equal(c.stdout().toString(), 'sensor=gw1 a\n');
  } finally {
    assert.equal(await c.stop(), 0, c.stderr());
  }
});

test('a client that goes away mid-body has nothing committed', async () => {
  const dir = tmpdir();
  const c = await start(['--dir', dir]);
  try {
    const socket = net.connect(c.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /ingest HTTP/1.1\r\nHost: x\r\nX-Trk-Sensor: gw1\r\nX-Trk-Batch: d/1\r\nContent-Length: 1000\r\n\r\nhalf a line\n');
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const a = await post(c.port, { sensor: 'gw1', batch: 'd/1', body: 'whole\n' });
    assert.deepEqual(JSON.parse(a.body), { accepted: 1 });
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), 'whole\n');
  } finally {
    assert.equal(await c.stop(), 0, c.stderr());
  }
});

test('slow-loris: a client that trickles its headers is cut off, and others are served meanwhile', async () => {
  const c = await start(['-q']);
  try {
    const socket = net.connect(c.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const began = Date.now();
    let closedAfter = -1;
    socket.on('close', () => (closedAfter = Date.now() - began));
    socket.on('error', () => undefined);
    socket.write('POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write('a');
    }, 300);
    try {
      for (let i = 1; i <= 5; i++) {
        const a = await post(c.port, { sensor: 'gw1', batch: `slow/${i}`, body: `line ${i}\n` });
        assert.equal(a.status, 200);
      }
      await waitUntil(() => closedAfter >= 0, () => 'the slow client is still connected', 20_000);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    assert.ok(closedAfter >= 9000 && closedAfter < 14_000, `closed after ${closedAfter} ms`);
    assert.equal((await get(c.port, '/healthz')).status, 200);
  } finally {
    assert.equal(await c.stop(), 0, c.stderr());
  }
});

test('HTTPS with --cert and --key; SIGHUP loads a renewed certificate', async () => {
  const dir = tmpdir();
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const makeCert = (): Buffer => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    return fs.readFileSync(cert);
  };
  const first = makeCert();
  const c = await start(['--cert', cert, '--key', key]);
  try {
    assert.equal(c.scheme, 'https');
    const a = await post(c.port, { sensor: 'gw1', batch: 'tls/1', body: 'secret\n', ca: first });
    assert.equal(a.status, 200, a.body);
    // plain HTTP to an HTTPS port gets no batch in
    await assert.rejects(post(c.port, { sensor: 'gw1', batch: 'tls/2', body: 'plain\n' }));
    const second = makeCert();
    c.child.kill('SIGHUP');
    await waitUntil(() => /reloaded/.test(c.stderr()), () => c.stderr());
    const b = await post(c.port, { sensor: 'gw1', batch: 'tls/2', body: 'renewed\n', ca: second });
    assert.equal(b.status, 200, b.body);
    await assert.rejects(post(c.port, { sensor: 'gw1', batch: 'tls/3', body: 'old ca\n', ca: first }));
    await waitUntil(() => c.stdout().toString() === 'sensor=gw1 secret\nsensor=gw1 renewed\n', () => `stdout: ${c.stdout()}`);
  } finally {
    assert.equal(await c.stop(), 0, c.stderr());
  }
  // a key that is not the certificate's is a usage error, said at start
  const otherKey = path.join(dir, 'other.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', otherKey], { stdio: 'ignore' });
  const mismatch = spawnSync(process.execPath, [BIN('trk-collect'), '--listen', '127.0.0.1:0', '--cert', cert, '--key', otherKey], { env: ENV, encoding: 'utf8', timeout: 20_000 });
  assert.equal(mismatch.status, 2, mismatch.stderr);
  assert.match(mismatch.stderr, /^trk-collect: cannot use --cert .*cert\.pem with --key .*other\.pem: /);
});

test('SIGKILL after an ack: after a restart the batch is there, and sent again it is a duplicate', async () => {
  const dir = tmpdir();
  const first = await start(['--dir', dir]);
  assert.equal((await post(first.port, { sensor: 'gw1', batch: 'k/1', body: 'one\n' })).status, 200);
  assert.equal((await post(first.port, { sensor: 'gw1', batch: 'k/2', body: 'two\n' })).status, 200);
  first.child.kill('SIGKILL');
  await first.exited;
  const second = await start(['--dir', dir]);
  try {
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), 'one\ntwo\n');
    assert.deepEqual(JSON.parse((await post(second.port, { sensor: 'gw1', batch: 'k/2', body: 'two\n' })).body), { duplicate: true });
    assert.deepEqual(JSON.parse((await post(second.port, { sensor: 'gw1', batch: 'k/1', body: 'one\n' })).body), { duplicate: true });
    assert.deepEqual(JSON.parse((await post(second.port, { sensor: 'gw1', batch: 'k/3', body: 'three\n' })).body), { accepted: 1 });
    // a new stream of the same sensor starts at 1
    assert.deepEqual(JSON.parse((await post(second.port, { sensor: 'gw1', batch: 'k2/1', body: 'four\n' })).body), { accepted: 1 });
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), 'one\ntwo\nthree\nfour\n');
  } finally {
    assert.equal(await second.stop(), 0, second.stderr());
  }
});

test('a torn write (lines past the last ledger entry, as a crash leaves them) is cut at start', async () => {
  const dir = tmpdir();
  const first = await start(['--dir', dir]);
  assert.equal((await post(first.port, { sensor: 'gw1', batch: 'w/1', body: 'kept\n' })).status, 200);
  assert.equal(await first.stop(), 0);
  fs.appendFileSync(dayFile(dir, 'gw1'), 'half of a batch that was never acknow');
  const second = await start(['--dir', dir]);
  try {
    assert.match(second.stderr(), /cut 37 bytes of a batch that was never acknowledged/);
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), 'kept\n');
    assert.deepEqual(JSON.parse((await post(second.port, { sensor: 'gw1', batch: 'w/2', body: 'resent\n' })).body), { accepted: 1 });
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), 'kept\nresent\n');
  } finally {
    assert.equal(await second.stop(), 0, second.stderr());
  }
});

test('an earlier day is gzipped at start, and deleted with --keep-days', async () => {
  const dir = tmpdir();
  const first = await start(['--dir', dir, '-q']);
  assert.equal((await post(first.port, { sensor: 'gw1', batch: 'o/1', body: 'today\n' })).status, 200);
  assert.equal(await first.stop(), 0);
  const old = path.join(dir, 'gw1', '2020-01-01.ndjson');
  const recent = path.join(dir, 'gw1', `${localDay(Date.now() - 2 * 86400_000)}.ndjson`);
  fs.writeFileSync(old, 'long ago\n');
  fs.writeFileSync(recent, 'two days ago\n');
  const second = await start(['--dir', dir, '-q']);
  assert.equal(await second.stop(), 0, second.stderr());
  assert.equal(fs.existsSync(old), false);
  assert.equal(zlib.gunzipSync(fs.readFileSync(`${old}.gz`)).toString(), 'long ago\n');
  assert.equal(zlib.gunzipSync(fs.readFileSync(`${recent}.gz`)).toString(), 'two days ago\n');
  assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), 'today\n');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'gw1')).filter((n) => n.includes('tmp')), []);

  const third = await start(['--dir', dir, '--keep-days', '30']);
  assert.equal(await third.stop(), 0, third.stderr());
  assert.equal(fs.existsSync(`${old}.gz`), false);
  assert.equal(fs.existsSync(`${recent}.gz`), true);
  assert.equal(fs.existsSync(dayFile(dir, 'gw1')), true);
  assert.match(third.stderr(), /2020-01-01\.ndjson\.gz: older than --keep-days 30: deleted/);
});

test('SIGTERM while batches are in flight: each is answered and stored, then exit 0', async () => {
  const dir = tmpdir();
  const c = await start(['--dir', dir]);
  const body = ('z'.repeat(99) + '\n').repeat(1000);
  // four sensors, each sending its batches one at a time as trk-upload does, until the collector is gone
  const accepted = [0, 0, 0, 0];
  const sensor = async (s: number): Promise<void> => {
    for (let seq = 1; seq <= 1000; seq++) {
      const a = await post(c.port, { sensor: `s${s}`, batch: `q/${seq}`, body }).catch(() => undefined);
      if (a?.status !== 200) return;
      assert.deepEqual(JSON.parse(a.body), { accepted: 1000 });
      accepted[s] = accepted[s]! + 1;
    }
  };
  const sensors = Promise.all([0, 1, 2, 3].map(sensor));
  await waitUntil(() => accepted.every((n) => n >= 2), () => `accepted ${accepted}`);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0, c.stderr());
  await sensors;
  // what was answered 200 is on disk; what was not is not (the uploader resends it)
  for (let s = 0; s < 4; s++) {
    const file = dayFile(dir, `s${s}`);
    assert.equal(fs.statSync(file).size, accepted[s]! * body.length, `sensor s${s}`);
  }
});

test('usage errors exit 2 with one line: bad --listen, --cert without --key, unreadable --tokens, a bad size', () => {
  const dir = tmpdir();
  const cases: [string[], RegExp][] = [
    [['--listen', 'localhost:99999'], /--listen takes \[ADDR:\]PORT/],
    [['--listen', 'nonsense'], /--listen takes/],
    [['--cert', '/nonexistent.pem'], /--cert and --key go together/],
    [['--tokens', path.join(dir, 'missing')], /cannot read the tokens file .*missing: ENOENT/],
    [['--max-batch-bytes', 'lots'], /--max-batch-bytes takes a size/],
    [['--no-stdout'], /--no-stdout needs --dir/],
    [['--colour'], /unknown option --colour/],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, [BIN('trk-collect'), ...args], { env: ENV, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.split('\n');
    assert.match(lines[0]!, new RegExp(`^trk-collect: ${message.source}`));
    assert.equal(lines[1], "Try 'trk-collect --help' for more information.");
  }
  const help = spawnSync(process.execPath, [BIN('trk-collect'), '--help'], { env: ENV, encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^trk-collect — /);
  assert.match(help.stdout, /--listen \[ADDR:\]PORT/);
  // a port in use is a runtime failure, exit 1
  const busy = http.createServer();
  return new Promise<void>((resolve, reject) => {
    busy.listen(0, '127.0.0.1', () => {
      const port = (busy.address() as net.AddressInfo).port;
      const child = spawn(process.execPath, [BIN('trk-collect'), '--listen', `127.0.0.1:${port}`, '-q'], { env: ENV });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => {
        busy.close();
        try {
          assert.equal(code, 1);
          assert.match(err, /^trk-collect: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  });
});

test('standard output backed up past 64 MiB: new batches get 503 with Retry-After, and are taken once the reader catches up', async () => {
  const c = await start(['-q']);
  c.child.stdout!.pause();
  try {
    const line = 'b'.repeat(1023) + '\n';
    const batch = zlib.gzipSync(Buffer.from(line.repeat(15 * 1024)));
    let busy: Answer | undefined;
    for (let seq = 1; seq <= 8 && !busy; seq++) {
      const a = await post(c.port, { sensor: 'gw1', batch: `bp/${seq}`, body: batch, gzip: false, headers: { 'Content-Encoding': 'gzip' } });
      if (a.status === 503) busy = a;
      else assert.equal(a.status, 200, a.body);
    }
    assert.ok(busy, 'never busy');
    assert.equal(busy.headers['retry-after'], '1');
    assert.match((await get(c.port, '/metrics')).body, /trk_collect_rejects_total\{sensor="gw1",reason="busy"\} 1/);
    c.child.stdout!.resume();
    let after: Answer | undefined;
    for (let i = 0; i < 100 && after?.status !== 200; i++) {
      after = await post(c.port, { sensor: 'gw1', batch: 'bp/99', body: 'after\n' });
      if (after.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(after?.status, 200);
  } finally {
    assert.equal(await c.stop(), 0, c.stderr());
  }
});

test('standard output closed (| head): without --dir trk-collect exits 0; with --dir it goes on storing', async () => {
  const alone = await start(['-q']);
  alone.child.stdout!.destroy();
  for (let seq = 1; seq <= 50; seq++) {
    const a = await post(alone.port, { sensor: 'gw1', batch: `p/${seq}`, body: 'x\n' }).catch(() => undefined);
    if (!a || a.status !== 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await Promise.race([alone.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]), 0, alone.stderr());

  const dir = tmpdir();
  const stored = await start(['-q', '--dir', dir]);
  stored.child.stdout!.destroy();
  try {
    for (let seq = 1; seq <= 5; seq++) {
      const a = await post(stored.port, { sensor: 'gw1', batch: `p/${seq}`, body: `${seq}\n` });
      assert.equal(a.status, 200, a.body);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), '1\n2\n3\n4\n5\n');
  } finally {
    assert.equal(await stored.stop(), 0, stored.stderr());
  }
});

const tmpfsSkip = ((): string | false => {
  if (process.getuid?.() !== 0) return 'mounting a small tmpfs to fill needs root';
  const probe = tmpdir();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
  if (r.status !== 0) return `cannot mount a tmpfs here: ${r.stderr.toString().trim()}`;
  spawnSync('umount', [probe]);
  return false;
})();

test('a full disk: the batch gets 503 and a warning, nothing of it stays; once there is room it is taken', { skip: tmpfsSkip }, async () => {
  const dir = tmpdir();
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]).status, 0);
  const filler = path.join(dir, 'filler');
  let c: RunningCollector | undefined;
  try {
    c = await start(['-q', '--dir', dir]);
    const batch = ('f'.repeat(99) + '\n').repeat(400); // 40 000 bytes
    let accepted = 0;
    let full: Answer | undefined;
    fs.writeFileSync(filler, Buffer.alloc(120 * 1024));
    for (let seq = 1; seq <= 10 && !full; seq++) {
      const a = await post(c.port, { sensor: 'gw1', batch: `full/${seq}`, body: batch });
      if (a.status === 503) full = a;
      else {
        assert.equal(a.status, 200, a.body);
        accepted++;
      }
    }
    assert.ok(full, 'the disk never filled');
    assert.ok(full.headers['retry-after']);
    assert.match(c.stderr(), /gw1: batch full\/\d+ refused for now: cannot write .*ENOSPC/);
    assert.equal(fs.statSync(dayFile(dir, 'gw1')).size, accepted * batch.length);
    fs.rmSync(filler);
    const again = await post(c.port, { sensor: 'gw1', batch: `full/${accepted + 1}`, body: batch });
    assert.deepEqual(JSON.parse(again.body), { accepted: 400 });
    assert.equal(fs.readFileSync(dayFile(dir, 'gw1'), 'utf8'), batch.repeat(accepted + 1));
    const ledger = fs.readFileSync(path.join(dir, 'gw1', '.trk-batches'), 'utf8').trim().split('\n');
    // after the failure the sensor was read again from disk, and its ledger compacted: one line for the stream, then the new batch
    assert.equal(ledger.length, 2);
    assert.equal(ledger.at(-1), `full ${accepted + 1} ${TODAY}.ndjson ${(accepted + 1) * batch.length}`);
  } finally {
    if (c) assert.equal(await c.stop(), 0, c.stderr());
    spawnSync('umount', [dir]);
  }
});

test('trk-collect | trk-mail: an ALERT line from a sensor is mailed with its sensor', async () => {
  const collector = spawn(process.execPath, [BIN('trk-collect'), '--listen', '127.0.0.1:0', '-q'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const mail = spawn(process.execPath, [BIN('trk-mail'), '--to', 'noc@example.net', '--dry-run', '--every', '0', '-q'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  collector.stdout!.pipe(mail.stdin!);
  let err = '';
  let mailErr = '';
  let mailOut = '';
  collector.stderr!.on('data', (d: Buffer) => (err += d));
  mail.stderr!.on('data', (d: Buffer) => (mailErr += d));
  mail.stdout!.on('data', (d: Buffer) => (mailOut += d));
  const mailDone = new Promise<number | null>((r) => mail.on('close', (code) => r(code)));
  const collectorDone = new Promise<number | null>((r) => collector.on('close', (code) => r(code)));
  await waitUntil(() => /:(\d+)\n/.test(err), () => err);
  const port = Number(/:(\d+)\n/.exec(err)![1]);
  const lines = '{"type":"pkt","ts":1,"len":60,"caplen":60}\n2026-11-24 09:42:15 ALERT TCP synflood dst=10.10.1.20,syns=201\n';
  assert.equal((await post(port, { sensor: 'campus-gw', batch: 'm/1', body: lines })).status, 200);
  await waitUntil(() => mailErr.includes('synflood'), () => `no mail yet: ${mailErr}`);
  collector.kill('SIGTERM');
  assert.equal(await collectorDone, 0);
  assert.equal(await mailDone, 0, mailErr);
  // trk-mail passes the tagged lines on, and its mail names the sensor
  assert.equal(mailOut, '{"sensor":"campus-gw","type":"pkt","ts":1,"len":60,"caplen":60}\nsensor=campus-gw 2026-11-24 09:42:15 ALERT TCP synflood dst=10.10.1.20,syns=201\n');
  assert.match(mailErr, /^Subject: .*TCP synflood/m);
  assert.match(mailErr, /sensor=campus-gw dst=10\.10\.1\.20 syns=201/);
});
