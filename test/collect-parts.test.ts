/**
 * trk-collect's parts on their own: the batch check, the sensor tags, the
 * --listen and size parsers, the tokens file, the metrics text, and the
 * store's day rotation and ledger bound, with a clock the test sets.
 * (The command as a whole, over HTTP, is in collect.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { validateBatch } from '../src/collect/validate.js';
import { sensorTags, writeTagged } from '../src/collect/tag.js';
import { parseListen, parseSize } from '../src/cli/collect.js';
import { bearerToken, parseTokens, TokenFileError } from '../src/collect/tokens.js';
import { Metrics } from '../src/collect/metrics.js';
import { DirStore, localDay } from '../src/collect/store.js';
import { MAX_STREAMS, StreamMemory } from '../src/collect/dedupe.js';
import { LineOutput } from '../src/io/output.js';
import { lineKind } from '../src/io/line-kind.js';

test('validateBatch: counts lines, and names the first bad one', () => {
  assert.deepEqual(validateBatch(Buffer.from('a\n{"x":1}\n\n\tb\n')), { ok: true, lines: 4 });
  assert.deepEqual(validateBatch(Buffer.from('a\nb\n'), 2), { ok: true, lines: 2 });
  const bad = (body: string | Buffer, lines?: number): string => {
    const v = validateBatch(Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'), lines);
    assert.equal(v.ok, false);
    return (v as { message: string }).message;
  };
  assert.equal(bad('a\nb\n\x1b[31mred\n'), 'line 3: control character 0x1b');
  assert.equal(bad('a\x7f\n'), 'line 1: control character 0x7f');
  assert.equal(bad(Buffer.from([0x61, 0x0a, 0x62, 0x0a, 0xc3, 0x28, 0x0a])), 'line 3: not UTF-8');
  assert.match(bad('ok\n{"cut":\n'), /^line 2: starts with '\{'/);
  assert.match(bad('ok\nno end'), /^line 2: the last line does not end/);
  assert.equal(bad('a\n', 2), 'X-Trk-Lines says 2 lines but the batch has 1');
  // UTF-8 that is fine: multi-byte characters, a BOM-less emoji
  assert.deepEqual(validateBatch(Buffer.from('ünï 😀\n')), { ok: true, lines: 1 });
});

function collect(): { out: LineOutput; text: () => string } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const out = new LineOutput(sink, 64);
  return { out, text: () => (out.flush(), Buffer.concat(chunks).toString('utf8')) };
}

test('writeTagged: records get a first "sensor" field, other lines a sensor= word; line-kind still reads them', () => {
  const { out, text } = collect();
  const body = '{"type":"alert","kind":"x"}\n{ }\n{"sensor":"up","type":"stat"}\n2026-11-24 10:00:00 ALERT ARP wrongnet a=1\n\n' + 'long '.repeat(40) + '\nsensor=up 2026-11-24 10:00:00 STAT arp=1\n';
  writeTagged(out, sensorTags('gw-1.campus'), Buffer.from(body));
  const tagged = text();
  assert.equal(
    tagged,
    '{"sensor":"gw-1.campus","type":"alert","kind":"x"}\n{"sensor":"gw-1.campus" }\n{"sensor":"up","type":"stat"}\n' +
      'sensor=gw-1.campus 2026-11-24 10:00:00 ALERT ARP wrongnet a=1\nsensor=gw-1.campus \n' +
      'sensor=gw-1.campus ' + 'long '.repeat(40) + '\nsensor=up 2026-11-24 10:00:00 STAT arp=1\n',
  );
  const lines = tagged.split('\n').slice(0, 4).map((l) => Buffer.from(l));
  assert.deepEqual(lines.map((b) => lineKind(b, 0, b.length)), ['alert', 'other', 'stat', 'alert']);
  for (const l of tagged.split('\n').filter((l) => l.startsWith('{'))) JSON.parse(l);
});

test('parseListen and parseSize', () => {
  assert.deepEqual(parseListen('8514'), { host: '127.0.0.1', port: 8514 });
  assert.deepEqual(parseListen('0.0.0.0:8514'), { host: '0.0.0.0', port: 8514 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen('collect.example.net:443'), { host: 'collect.example.net', port: 443 });
  for (const bad of ['', ':8514', '::1:8514', '1.2.3.4:65536', '1.2.3.4:', 'x:y']) assert.equal(parseListen(bad), undefined, bad);
  assert.equal(parseSize('16M'), 16 * 1024 * 1024);
  assert.equal(parseSize('512k'), 512 * 1024);
  assert.equal(parseSize('1GiB'), 1024 ** 3);
  assert.equal(parseSize('1000'), 1000);
  for (const bad of ['', '0', '-1', '1T', 'lots']) assert.equal(parseSize(bad), undefined, bad);
});

test('tokens: TOKEN SENSOR lines, comments, mistakes named by line', () => {
  const t = parseTokens('# c\n\nabcdefghijklmnop gw1  # core\nshort gw2\n', 'tokens');
  assert.equal(t.size, 2);
  assert.equal(t.sensorFor('abcdefghijklmnop'), 'gw1');
  assert.equal(t.sensorFor('short'), 'gw2');
  assert.equal(t.sensorFor('abcdefghijklmnoq'), undefined);
  assert.match(t.warnings.join('\n'), /tokens:4: the token of gw2 is shorter than 16/);
  assert.throws(() => parseTokens('x\n', 'f'), (e: Error) => e instanceof TokenFileError && /^f:1: expected 'TOKEN SENSOR'/.test(e.message));
  assert.throws(() => parseTokens('abc ../x\n', 'f'), /f:1: '..\/x' is not a sensor name/);
  assert.throws(() => parseTokens('abc a\nabc b\n', 'f'), /f:2: this token is already given to a/);
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer  abc '), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test('metrics: the exposition format, a refused stranger under sensor=""', () => {
  const m = new Metrics();
  m.accepted('gw1', 10, 100, 1_764_000_000_500);
  m.reject('', 'token');
  m.reject('gw1', 'bad_lines');
  const text = m.render();
  assert.ok(text.endsWith('\n'));
  assert.match(text, /^trk_collect_batches_total\{sensor="gw1"\} 1$/m);
  assert.match(text, /^trk_collect_last_batch_timestamp_seconds\{sensor="gw1"\} 1764000000\.5$/m);
  assert.match(text, /^trk_collect_rejects_total\{sensor="",reason="token"\} 1$/m);
  // a sensor only refused is in the rejects, not in the batch counters
  assert.doesNotMatch(text, /batches_total\{sensor=""\}/);
  for (const line of text.trim().split('\n')) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+\{[^}]*\} [\d.]+)$/);
});

test('StreamMemory keeps the last MAX_STREAMS streams', () => {
  const m = new StreamMemory();
  for (let i = 0; i < MAX_STREAMS + 10; i++) m.record(`s${i}`, i + 1);
  assert.equal(m.highest('s0'), undefined);
  assert.equal(m.highest('s9'), undefined);
  assert.equal(m.highest('s10'), 11);
  m.record('s10', 50); // used again: now the most recent
  for (let i = 0; i < MAX_STREAMS - 1; i++) m.record(`t${i}`, 1);
  assert.equal(m.highest('s10'), 50);
});

test('DirStore: at local midnight batches go to the new day, the old one is gzipped, the ledger stays bounded', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-collect-store-'));
  let clock = new Date(2026, 10, 23, 23, 59, 30).getTime();
  const warnings: string[] = [];
  const options = { warn: (m: string) => warnings.push(m), note: () => undefined, now: () => clock };
  let store = await DirStore.open(dir, options);
  const out: string[] = [];
  const put = (stream: string, seq: number, text: string) => store.commit('gw1', { stream, seq }, Buffer.from(text), () => out.push(text));
  assert.deepEqual(await put('a', 1, 'before midnight\n'), { outcome: 'accepted', gap: 0 });
  clock += 60_000;
  assert.deepEqual(await put('a', 2, 'after midnight\n'), { outcome: 'accepted', gap: 0 });
  assert.deepEqual(await put('a', 2, 'after midnight\n'), { outcome: 'duplicate', gap: 0 });
  assert.deepEqual(await put('a', 5, 'later\n'), { outcome: 'accepted', gap: 2 });
  await store.close();
  const day1 = path.join(dir, 'gw1', '2026-11-23.ndjson');
  assert.equal(fs.existsSync(day1), false);
  assert.equal(zlib.gunzipSync(fs.readFileSync(`${day1}.gz`)).toString(), 'before midnight\n');
  assert.equal(fs.readFileSync(path.join(dir, 'gw1', '2026-11-24.ndjson'), 'utf8'), 'after midnight\nlater\n');
  assert.deepEqual(out, ['before midnight\n', 'after midnight\n', 'later\n']);

  // many runs of an uploader: the ledger keeps the newest streams only, and dedupe still knows them after a restart
  store = await DirStore.open(dir, options);
  for (let i = 0; i < MAX_STREAMS + 44; i++) await put(`run${String(i).padStart(4, '0')}`, 1, `${i}\n`);
  await store.close();
  store = await DirStore.open(dir, options);
  const ledger = fs.readFileSync(path.join(dir, 'gw1', '.trk-batches'), 'utf8').trim().split('\n');
  assert.ok(ledger.length <= MAX_STREAMS + 1, `${ledger.length} ledger lines`);
  assert.equal(ledger.at(-1)!.split(' ')[0], `run${String(MAX_STREAMS + 43).padStart(4, '0')}`);
  assert.deepEqual(await put(`run${String(MAX_STREAMS + 43).padStart(4, '0')}`, 1, 'again\n'), { outcome: 'duplicate', gap: 0 });
  assert.deepEqual(await put('run0100', 1, 'again\n'), { outcome: 'duplicate', gap: 0 });
  await store.close();
  assert.deepEqual(warnings, []);
  assert.equal(localDay(clock), '2026-11-24');

  // the clock steps back a day across a restart: the later day's file, committed, stays whole
  clock -= 86400_000;
  store = await DirStore.open(dir, options);
  assert.deepEqual(await put('back', 1, 'stepped back\n'), { outcome: 'accepted', gap: 0 });
  await store.close();
  fs.appendFileSync(path.join(dir, 'gw1', '2026-11-24.ndjson'), 'torn');
  clock += 86400_000;
  store = await DirStore.open(dir, options);
  await store.close();
  assert.match(fs.readFileSync(path.join(dir, 'gw1', '2026-11-24.ndjson'), 'utf8'), /^after midnight\nlater\n0\n1\n[^]*\n299\n$/);
  assert.match(warnings.join('\n'), /2026-11-24\.ndjson: cut 4 bytes/);
  // the stepped-back batch went to the 23rd, which had been compressed: a second gzip member
  assert.equal(zlib.gunzipSync(fs.readFileSync(`${day1}.gz`)).toString(), 'before midnight\nstepped back\n');
});

test('Collector in-process: batches held at once are bounded (503 busy), and Expect: 100-continue gets its refusal before the body', async () => {
  const { Collector } = await import('../src/collect/server.js');
  const { MemoryStore } = await import('../src/collect/store.js');
  const http = await import('node:http');
  const net = await import('node:net');
  const written: string[] = [];
  const collector = new Collector({
    store: new MemoryStore(),
    tokens: () => parseTokens('abcdefghijklmnop gw1\n', 'tokens'),
    maxBatchBytes: 1024 * 1024,
    maxHeldBytes: 100_000,
    metrics: new Metrics(),
    output: { write: (sensor, body) => written.push(`${sensor}:${body}`), busy: () => false },
    warn: () => undefined,
  });
  const server = http.createServer(collector.handle);
  server.on('checkContinue', collector.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const raw = (text: string): Promise<{ socket: import('node:net').Socket; first: Promise<string> }> =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(text);
        const first = new Promise<string>((r) => socket.once('data', (d) => r(d.toString('latin1'))));
        resolve({ socket, first });
      });
      socket.on('error', () => undefined);
    });
  try {
    // a slow 80 000-byte batch holds its bytes while it trickles in ...
    const slow = await raw('POST /ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abcdefghijklmnop\r\nX-Trk-Batch: s/1\r\nContent-Length: 80000\r\n\r\n' + 'a'.repeat(60_000));
    await new Promise((r) => setTimeout(r, 100));
    // ... so another as big must wait its turn
    const second = await raw('POST /ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abcdefghijklmnop\r\nX-Trk-Batch: t/1\r\nContent-Length: 80000\r\nExpect: 100-continue\r\n\r\n');
    const busy = await second.first;
    assert.match(busy, /^HTTP\/1\.1 503 /);
    assert.match(busy, /Retry-After: 1/i);
    second.socket.destroy();
    slow.socket.end('a'.repeat(19_999) + '\n');
    assert.match(await slow.first, /^HTTP\/1\.1 200 [^]*\{"accepted":1\}/);
    assert.equal(written.length, 1);
    // a bad token with Expect: 100-continue: 401 at once, no 100 Continue, the body never sent
    const refused = await raw('POST /ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nX-Trk-Batch: u/1\r\nContent-Length: 500000\r\nExpect: 100-continue\r\n\r\n');
    assert.match(await refused.first, /^HTTP\/1\.1 401 /);
    refused.socket.destroy();
    // and once the slow one is done, a big batch is taken again
    const again = await raw('POST /ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abcdefghijklmnop\r\nX-Trk-Batch: t/1\r\nContent-Length: 80000\r\nExpect: 100-continue\r\n\r\n');
    assert.match(await again.first, /^HTTP\/1\.1 100 Continue/);
    const answer = new Promise<string>((r) => {
      let text = '';
      again.socket.on('data', (d) => {
        text += d.toString('latin1');
        if (text.includes('accepted')) r(text);
      });
    });
    again.socket.end('b'.repeat(79_999) + '\n');
    assert.match(await answer, /^HTTP\/1\.1 200 [^]*\{"accepted":1\}/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('DirStore recovery: a ledger line cut short is no entry; a day both compressed and not (a crash between rename and unlink) is not compressed twice', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-collect-recover-'));
  const sensorDir = path.join(dir, 'gw1');
  fs.mkdirSync(sensorDir);
  const today = localDay(Date.now());
  // batch a/2 was written (10 bytes in all) but its ledger line stopped at "1" of "10": not acknowledged
  fs.writeFileSync(path.join(sensorDir, `${today}.ndjson`), 'first\nnot\n');
  fs.writeFileSync(path.join(sensorDir, '.trk-batches'), `a 1 ${today}.ndjson 6\na 2 ${today}.ndjson 1`);
  fs.writeFileSync(path.join(sensorDir, '2026-01-02.ndjson'), 'old day\n');
  fs.writeFileSync(path.join(sensorDir, '2026-01-02.ndjson.gz'), zlib.gzipSync('old day\n'));
  // and one written again after it was compressed: a second member
  fs.writeFileSync(path.join(sensorDir, '2026-01-03.ndjson'), 'more\n');
  fs.writeFileSync(path.join(sensorDir, '2026-01-03.ndjson.gz'), zlib.gzipSync('first part\n'));
  const warnings: string[] = [];
  const store = await DirStore.open(dir, { warn: (m) => warnings.push(m), note: () => undefined });
  assert.equal(fs.readFileSync(path.join(sensorDir, `${today}.ndjson`), 'utf8'), 'first\n');
  assert.match(warnings.join('\n'), /cut 4 bytes/);
  assert.deepEqual(await store.commit('gw1', { stream: 'a', seq: 2 }, Buffer.from('again\n'), () => undefined), { outcome: 'accepted', gap: 0 });
  await store.close();
  assert.equal(fs.readFileSync(path.join(sensorDir, `${today}.ndjson`), 'utf8'), 'first\nagain\n');
  assert.equal(fs.existsSync(path.join(sensorDir, '2026-01-02.ndjson')), false);
  assert.equal(zlib.gunzipSync(fs.readFileSync(path.join(sensorDir, '2026-01-02.ndjson.gz'))).toString(), 'old day\n');
  assert.equal(zlib.gunzipSync(fs.readFileSync(path.join(sensorDir, '2026-01-03.ndjson.gz'))).toString(), 'first part\nmore\n');
  // the torn line was dropped at start (compacted), and the resent batch recorded after it
  assert.equal(fs.readFileSync(path.join(sensorDir, '.trk-batches'), 'utf8'), `a 1 ${today}.ndjson 6\na 2 ${today}.ndjson 12\n`);
});

test('DirStore: a sensor that goes quiet still has its day closed and compressed by the hourly round', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-collect-quiet-'));
  let clock = new Date(2026, 10, 24, 22, 0, 0).getTime();
  const store = await DirStore.open(dir, { warn: () => undefined, note: () => undefined, now: () => clock });
  await store.commit('quiet', { stream: 'q', seq: 1 }, Buffer.from('last words\n'), () => undefined);
  await store.hourly();
  assert.equal(fs.readFileSync(path.join(dir, 'quiet', '2026-11-24.ndjson'), 'utf8'), 'last words\n');
  clock += 4 * 3600_000;
  await store.hourly();
  assert.equal(zlib.gunzipSync(fs.readFileSync(path.join(dir, 'quiet', '2026-11-24.ndjson.gz'))).toString(), 'last words\n');
  assert.equal(fs.existsSync(path.join(dir, 'quiet', '2026-11-24.ndjson')), false);
  // and the next batch starts the new day
  await store.commit('quiet', { stream: 'q', seq: 2 }, Buffer.from('back\n'), () => undefined);
  await store.close();
  assert.equal(fs.readFileSync(path.join(dir, 'quiet', '2026-11-25.ndjson'), 'utf8'), 'back\n');
});
