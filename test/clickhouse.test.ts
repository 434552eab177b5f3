/**
 * trk-upload's ClickHouse target: how lines become JSONEachRow rows and
 * requests (always), and against a private clickhouse-server on loopback
 * (when Debian's clickhouse-server is installed): real trk output from
 * lan-incident.pcap through trk-capture, trk-classify, trk-tally and
 * trk-threshold as child processes, loaded with contrib/clickhouse/schema.sql,
 * counted, re-sent, and queried with contrib/clickhouse/queries.sql.
 */
process.env['TZ'] = 'UTC';

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alertLineFields, batchRows, clickhouseTarget, clickhouseVerdict, statLineFields } from '../src/upload/clickhouse.js';
import { formatBatchId, type BatchId } from '../src/upload/protocol.js';
import type { Batch, Target, TargetRequest } from '../src/upload/target.js';
import { BIN, LAN_CAPTURE, REPO_ROOT, noCorpus } from './helpers/paths.js';
import { clickhouseUnavailable, namedQuery, post, sqlStatements, startClickhouse, type Clickhouse } from './helpers/clickhouse.js';

const run = promisify(execFile);
const CHILD_ENV = { ...process.env, TZ: 'UTC' };

function makeBatch(lines: string[] | string, id: BatchId = { stream: '0mh3k2a1b-4f3a9c1e', seq: 1 }, sensor = 'gw1'): Batch {
  const raw = Buffer.from(typeof lines === 'string' ? lines : lines.map((l) => l + '\n').join(''));
  const count = raw.toString().split('\n').length - 1;
  return { id, sensor, lines: count, raw: async () => raw, gzip: async () => gzipSync(raw) };
}

/** The rows of one request, parsed. */
function rowsOf(request: TargetRequest): Record<string, unknown>[] {
  return gunzipSync(request.body)
    .toString()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The request's query parameters, after the URL's own (the sender sends URL path + search + request path). */
function paramsOf(request: TargetRequest, url: URL = URL_LOCAL): URLSearchParams {
  return new URL(url.pathname + url.search + request.path, url).searchParams;
}

function queryOf(request: TargetRequest, url: URL = URL_LOCAL): string {
  return paramsOf(request, url).get('query') ?? '';
}

const URL_LOCAL = new URL('http://127.0.0.1:8123/');

describe('ClickHouse rows from lines', () => {
  test('a STAT line becomes the stat record shape: ts and end from its local time, numeric counters', () => {
    const fields = statLineFields('2026-11-22 09:42:00 STAT arp=0 arp_wrongnet=2 icmp6=4 pkts=13011 odd=x');
    assert.deepEqual(fields, { ts: 1795340520, end: 1795340520, arp: 0, arp_wrongnet: 2, icmp6: 4, pkts: 13011 });
    assert.equal(statLineFields('2026-02-30 09:42:00 STAT arp=0'), undefined, 'a date that does not exist');
  });

  test('an ALERT line becomes the alert record shape: family, kind, each detail, and details as on the line', () => {
    const fields = alertLineFields('2026-11-22 09:42:10 ALERT BANDWIDTH exceeded net=10.10.1.0/24,kBps=559.95,threshold=1.00');
    assert.deepEqual(fields, {
      ts: 1795340530,
      family: 'BANDWIDTH',
      kind: 'exceeded',
      net: '10.10.1.0/24',
      kBps: '559.95',
      threshold: '1.00',
      details: 'net=10.10.1.0/24,kBps=559.95,threshold=1.00',
    });
    assert.deepEqual(alertLineFields('2026-11-22 09:42:10 ALERT HOST silent '), { ts: 1795340530, family: 'HOST', kind: 'silent', details: '' });
    assert.equal(alertLineFields('2026-11-22 09:42:10 ALERT HOST silent a=1 extra'), undefined, 'a fourth word');
    assert.equal(alertLineFields('2026-11-22 09:42:10 ALERT HOST silent novalue'), undefined, 'a detail without =');
  });

  test('records get sensor, batch and n spliced in front, byte for byte; n counts every line of the batch', () => {
    const pkt = '{"type":"pkt","ts":1795340518.969442,"len":170,"src":"fe80::1","proto":"icmp6","arp":{"op":1}}';
    const tally = '{"type":"tally","start":1795340460,"end":1795340520,"by":"host","key":"ff02::16","pkts":3,"bytes":370}';
    const rows = batchRows(Buffer.from(`${pkt}\n# a comment\n${tally}\r\n`), 'gw1', 'abc/3');
    assert.equal(rows.skipped, 1);
    assert.equal(Buffer.concat(rows.byKind.pkt).toString(), `{"sensor":"gw1","batch":"abc/3","n":1,${pkt.slice(1)}\n`);
    assert.equal(Buffer.concat(rows.byKind.tally).toString(), `{"sensor":"gw1","batch":"abc/3","n":3,${tally.slice(1)}\n`);
  });

  test('a pkt whose proto is a number or whose vlan is one tag is mended for typed columns', () => {
    const rows = batchRows(Buffer.from('{"type":"pkt","ts":1,"vlan":10,"src":"10.0.0.1","proto":47,"ttl":64}\n{"type":"pkt","ts":2,"vlan":[100,10],"proto":"tcp"}\n'), 's', 'a/1');
    const text = Buffer.concat(rows.byKind.pkt).toString().split('\n');
    assert.deepEqual(JSON.parse(text[0]!), { sensor: 's', batch: 'a/1', n: 1, type: 'pkt', ts: 1, vlan: [10], src: '10.0.0.1', proto: '47', ttl: 64 });
    assert.deepEqual(JSON.parse(text[1]!), { sensor: 's', batch: 'a/1', n: 2, type: 'pkt', ts: 2, vlan: [100, 10], proto: 'tcp' });
  });

  test("lines trk-collect tagged keep their own sensor", () => {
    const rows = batchRows(
      Buffer.from('{"sensor":"gw7","type":"pkt","ts":1}\nsensor=gw8 2026-11-22 09:42:00 STAT arp=1\n'),
      'central',
      'a/1',
    );
    assert.deepEqual(JSON.parse(Buffer.concat(rows.byKind.pkt).toString()), { batch: 'a/1', n: 1, sensor: 'gw7', type: 'pkt', ts: 1 });
    assert.deepEqual(JSON.parse(Buffer.concat(rows.byKind.stat).toString()), { sensor: 'gw8', batch: 'a/1', n: 2, type: 'stat', ts: 1795340520, end: 1795340520, arp: 1 });
  });

  test('an alert record and its ALERT line make rows of the same shape (details added to the record)', () => {
    const record = '{"type":"alert","ts":1795340530.5,"family":"ARP","kind":"wrongnet","smac":"aa:bb","arp_sip":"10.0.0.9","msg":"a sentence"}';
    const line = '2026-11-22 09:42:10 ALERT ARP wrongnet smac=aa:bb,arp_sip=10.0.0.9';
    const rows = batchRows(Buffer.from(`${record}\n${line}\n`), 'gw1', 'a/1');
    const [fromRecord, fromLine] = Buffer.concat(rows.byKind.alert).toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(fromRecord!['details'], 'smac=aa:bb,arp_sip=10.0.0.9');
    assert.equal(fromLine!['details'], 'smac=aa:bb,arp_sip=10.0.0.9');
    for (const key of ['family', 'kind', 'smac', 'arp_sip', 'type', 'sensor', 'batch']) assert.equal(fromLine![key], fromRecord![key], key);
    assert.equal(Math.floor(fromRecord!['ts'] as number), fromLine!['ts']);
  });

  test('{type} routes each kind to its table, one gzip request each; without it, one table takes every row', async () => {
    const lines = [
      '{"type":"pkt","ts":1}',
      '2026-11-22 09:42:00 STAT arp=1',
      '{"type":"tally","start":1,"end":2,"by":"host","pkts":1,"bytes":1}',
      '2026-11-22 09:42:01 ALERT ARP wrongnet smac=aa',
      '{"type":"report","ts":3,"net":"10.0.0.0/24","conns":[{"a":"10.0.0.1","bytes":5}]}',
      '{"type":"pkt","ts":2}',
      '[2026-11-22 09:42:01] ARP wrongnet: a sentence for people',
    ];
    const warnings: string[] = [];
    const url = new URL('http://u:p%40ss@127.0.0.1:8123/?database=trk');
    const target = clickhouseTarget({ url, table: 'trk.{type}', sensor: 'gw1', warn: (m) => warnings.push(m) });
    const requests = await target.requests(makeBatch(lines));
    assert.deepEqual(requests.map((r) => queryOf(r, url)), ['pkt', 'tally', 'alert', 'stat', 'report'].map((k) => `INSERT INTO trk.${k} FORMAT JSONEachRow`));
    assert.deepEqual(requests.map((r) => rowsOf(r).map((row) => row['n'])), [[1, 6], [3], [4], [2], [5]]);
    for (const r of requests) {
      assert.match(r.path, /^&query=/, "after the URL's own query");
      const params = paramsOf(r, url);
      assert.equal(params.get('database'), 'trk', "the URL's own query is kept");
      assert.equal(params.get('input_format_skip_unknown_fields'), '1');
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.equal(r.headers['x-clickhouse-user'], 'u');
      assert.equal(r.headers['x-clickhouse-key'], 'p@ss');
    }
    assert.equal(rowsOf(requests[4]!)[0]!['conns'], '[{"a":"10.0.0.1","bytes":5}]', "a report's conns as JSON text");
    assert.equal(warnings.length, 1, 'skipped lines are said once');
    await target.requests(makeBatch(lines));
    assert.equal(warnings.length, 1, '… and not again');
    assert.doesNotMatch(target.describe, /p%40ss|p@ss/, 'no password in messages');

    const single = clickhouseTarget({ url: URL_LOCAL, table: 'events', sensor: 'gw1' });
    const one = await single.requests(makeBatch(lines));
    assert.equal(one.length, 1);
    assert.equal(queryOf(one[0]!), 'INSERT INTO events FORMAT JSONEachRow');
    assert.match(one[0]!.path, /^\?query=/, 'a URL without a query gets one');
    assert.equal(rowsOf(one[0]!).length, 6);
    assert.deepEqual(await single.requests(makeBatch(['# nothing to load'])), [], 'a batch with no rows needs no request');
  });

  test('a table name that would need quoting is refused with the form it takes', () => {
    for (const bad of ['', 'trk.pkt; DROP TABLE x', 'a.b.c', '`x`', 'trk.{kind}']) {
      assert.throws(() => clickhouseTarget({ url: URL_LOCAL, table: bad, sensor: 's' }), /--clickhouse takes a table name like trk\.\{type\}/, bad);
    }
  });

  test("verdicts follow ClickHouse's error code, not its status", () => {
    assert.equal(clickhouseVerdict(200, ''), 'done');
    assert.equal(clickhouseVerdict(500, 'Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected { before: garbage'), 'reject');
    assert.equal(clickhouseVerdict(400, "Code: 72, e.displayText() = DB::Exception: Unsigned type must not contain '-' symbol"), 'reject');
    assert.equal(clickhouseVerdict(500, 'Code: 26, e.displayText() = DB::Exception: Cannot parse JSON string: expected opening quote'), 'reject');
    assert.equal(clickhouseVerdict(404, "Code: 60, e.displayText() = DB::Exception: Table trk.pkt doesn't exist."), 'retry');
    assert.equal(clickhouseVerdict(401, 'Code: 193, e.displayText() = DB::Exception: Wrong password for user trk'), 'retry');
    assert.equal(clickhouseVerdict(500, 'Code: 252, e.displayText() = DB::Exception: Too many parts'), 'retry');
    assert.equal(clickhouseVerdict(502, '<html>Bad Gateway</html>'), 'retry');
    assert.equal(clickhouseVerdict(413, '<html>Request Entity Too Large</html>'), 'reject');
  });
});

// ---------------------------------------------------------------------------
// Against a real server
// ---------------------------------------------------------------------------

const skip = clickhouseUnavailable() || noCorpus;

/** Real trk output for the capture, as the commands write it. */
interface Outputs {
  classified: string[];
  classifiedJson: string[];
  tally: string[];
  threshold: string[];
}

async function trkOutputs(): Promise<Outputs> {
  const sh = async (pipeline: string): Promise<string[]> => {
    const { stdout } = await run('/bin/sh', ['-c', pipeline], { env: CHILD_ENV, maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
    return stdout.split('\n').filter((l) => l !== '');
  };
  const capture = `node ${BIN('trk-capture')} -r ${LAN_CAPTURE}`;
  const [classified, classifiedJson, tally, threshold] = await Promise.all([
    sh(`${capture} | node ${BIN('trk-classify')} --net 10.10.0.0/16 2>/dev/null`),
    sh(`${capture} | node ${BIN('trk-classify')} --net 10.10.0.0/16 --json 2>/dev/null`),
    sh(`${capture} | node ${BIN('trk-tally')} --every 60`),
    sh(`${capture} | node ${BIN('trk-threshold')} -C -a 10 -r 20 -b 1 -L 10.10.0.0/16 --hammer-kbps 1 --synflood 1`),
  ]);
  return { classified, classifiedJson, tally, threshold };
}

/** Lines cut into batches of `size`, numbered from 1 in one stream. */
function batchesOf(lines: string[], size: number, stream: string, sensor: string): Batch[] {
  const batches: Batch[] = [];
  for (let i = 0; i < lines.length; i += size) batches.push(makeBatch(lines.slice(i, i + size), { stream, seq: batches.length + 1 }, sensor));
  return batches;
}

/** Sends every request of the batch as trk-upload's sender would; the verdicts. */
async function send(target: Target, server: URL, batch: Batch): Promise<string[]> {
  const verdicts: string[] = [];
  for (const r of await target.requests(batch)) {
    const answer = await post(server, r.path, r.headers, r.body);
    const verdict = target.verdict(answer.status, answer.body);
    if (verdict !== 'done') verdicts.push(`${verdict} ${formatBatchId(batch.id)} ${answer.status}: ${answer.body.trim().slice(0, 200)}`);
    else verdicts.push('done');
  }
  return verdicts;
}

const count = (lines: string[], predicate: (l: string) => boolean): number => lines.filter(predicate).length;
const isType = (type: string) => (l: string) => l.startsWith(`{"type":"${type}"`);
const isText = (word: string) => (l: string) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /.test(l) && l.split(' ')[2] === word;

describe('ClickHouse target against clickhouse-server on loopback', { skip }, () => {
  let ch: Clickhouse;
  let out: Outputs;
  let queries: string;
  before(async () => {
    [ch, out] = await Promise.all([startClickhouse([{ name: 'trk', password: 's3cret' }]), trkOutputs()]);
    for (const statement of sqlStatements(await readFile(join(REPO_ROOT, 'contrib/clickhouse/schema.sql'), 'utf8'))) await ch.query(statement);
    queries = await readFile(join(REPO_ROOT, 'contrib/clickhouse/queries.sql'), 'utf8');
  });
  after(async () => {
    await ch?.stop();
  });

  const scalar = async (sql: string): Promise<number> => Number((await ch.query(sql)).trim());

  test('every record and STAT/ALERT line lands once in its table, text and JSON forms alike; a re-sent batch changes no FINAL count', async () => {
    const url = new URL(ch.url.href);
    url.username = 'trk';
    url.password = 's3cret';
    const gw1 = clickhouseTarget({ url, table: 'trk.{type}', sensor: 'gw1' });
    // gw2 names the database in the URL, as ClickHouse's HTTP interface takes it, and the table alone.
    const url2 = new URL(`${url.href}?database=trk`);
    const gw2 = clickhouseTarget({ url: url2, table: '{type}', sensor: 'gw2' });
    // gw1: machine-form STAT/ALERT lines, tallies, threshold alerts and reports; gw2: the --json forms.
    const gw1Lines = [...out.classified, ...out.tally, ...out.threshold];
    const gw1Batches = batchesOf(gw1Lines, 4000, '0mh3k2a1b-00000001', 'gw1');
    const gw2Batches = batchesOf(out.classifiedJson, 4000, '0mh3k2a1b-00000002', 'gw2');
    for (const b of gw1Batches) assert.deepEqual(await send(gw1, url, b), (await gw1.requests(b)).map(() => 'done'));
    for (const b of gw2Batches) assert.deepEqual(await send(gw2, url2, b), (await gw2.requests(b)).map(() => 'done'));

    const expected = {
      pkt: count(out.classified, isType('pkt')),
      tally: count(out.tally, isType('tally')),
      report: count(out.threshold, isType('report')),
      alert: count(gw1Lines, isText('ALERT')),
      stat: count(gw1Lines, isText('STAT')),
    };
    assert.ok(expected.pkt > 10_000 && expected.tally > 0 && expected.report > 0 && expected.alert > 10 && expected.stat > 0, JSON.stringify(expected));
    const counts = async (sensor: string): Promise<Record<string, number>> => {
      const result: Record<string, number> = {};
      for (const kind of Object.keys(expected)) result[kind] = await scalar(`SELECT count() FROM trk.${kind} FINAL WHERE sensor = '${sensor}'`);
      return result;
    };
    assert.deepEqual(await counts('gw1'), expected);
    assert.deepEqual(await counts('gw2'), {
      pkt: count(out.classifiedJson, isType('pkt')),
      tally: 0,
      report: 0,
      alert: count(out.classifiedJson, isType('alert')),
      stat: count(out.classifiedJson, isType('stat')),
    });

    // The text and the JSON forms of trk-classify's events are the same rows but for the time's fraction and msg.
    const events = async (kind: string, sensor: string, columns: string): Promise<string> =>
      ch.query(`SELECT ${columns} FROM trk.${kind} FINAL WHERE sensor = '${sensor}' AND family IN ('ARP','ICMPv6') ORDER BY ts, n FORMAT TSV`);
    const alertColumns = 'toUInt32(ts), family, kind, details, smac, dmac, sip, dip, arp_sip, target, prefix';
    assert.equal(await events('alert', 'gw1', alertColumns), await events('alert', 'gw2', alertColumns));
    assert.notEqual(await events('alert', 'gw2', 'msg'), '');
    const statColumns = 'toUInt32(ts), toUInt32(`end`), arp, icmp6, icmp6_ra_wrongnet, pkts, transit, martian';
    assert.equal(
      await ch.query(`SELECT ${statColumns} FROM trk.stat FINAL WHERE sensor = 'gw1' ORDER BY ts FORMAT TSV`),
      await ch.query(`SELECT ${statColumns} FROM trk.stat FINAL WHERE sensor = 'gw2' ORDER BY ts FORMAT TSV`),
    );
    // A pkt row keeps its fields: the bytes of the capture, per direction.
    assert.equal(await scalar(`SELECT sum(len) FROM trk.pkt FINAL WHERE sensor = 'gw1'`), out.classified.filter(isType('pkt')).reduce((s, l) => s + (JSON.parse(l) as { len: number }).len, 0));

    // A batch sent again (its answer was lost) is folded away by FINAL, though stored twice until a merge.
    const before = await counts('gw1');
    const rawBefore = await scalar(`SELECT count() FROM trk.pkt WHERE sensor = 'gw1'`);
    for (const b of gw1Batches.slice(0, 2)) assert.ok((await send(gw1, url, b)).every((v) => v === 'done'));
    assert.ok((await scalar(`SELECT count() FROM trk.pkt WHERE sensor = 'gw1'`)) > rawBefore, 'the copy was stored');
    assert.deepEqual(await counts('gw1'), before);
    await ch.query('OPTIMIZE TABLE trk.pkt FINAL');
    assert.equal(await scalar(`SELECT count() FROM trk.pkt WHERE sensor = 'gw1'`), expected.pkt, 'a merge drops the copy for good');
  });

  test("the top-talkers query gives trk-tally's top hosts", async () => {
    // The capture's own time in place of now(): it was taken on another day.
    const end = Math.ceil(Math.max(...out.tally.map((l) => (JSON.parse(l) as { end: number }).end)));
    const sql = namedQuery(queries, 'top-talkers-tally').replaceAll('now()', `toDateTime(${end})`).replace(/LIMIT \d+/, 'LIMIT 3');
    const rows = (await ch.query(`${sql} FORMAT TSV`)).trim().split('\n').map((l) => l.split('\t'));
    const { stdout } = await run('node', [BIN('trk-tally'), '--every', '0', '--top', '3', '-r', LAN_CAPTURE], { env: CHILD_ENV });
    const top = stdout.split('\n').filter((l) => l.includes('"key"') && !l.includes('"other":true')).map((l) => JSON.parse(l) as { key: string; bytes: number });
    assert.deepEqual(rows.map((r) => [r[0], Number(r[1])]), top.map((t) => [t.key, t.bytes]));
    // The other queries run on this ClickHouse too, and see the data.
    for (const name of ['top-talkers-pkt', 'alerts-per-sensor-hour', 'alert-kinds', 'last-stat']) {
      const text = await ch.query(namedQuery(queries, name).replaceAll('now()', `toDateTime(${end})`));
      assert.notEqual(text.trim(), '', name);
    }
  });

  test("trk-upload --clickhouse 'trk.{type}' loads real trk output through its spool, every line once", async () => {
    const spool = await mkdtemp(join(tmpdir(), 'trk-upload-clickhouse-'));
    try {
      const url = `http://trk:s3cret@127.0.0.1:${ch.url.port}/`;
      const upload = `node ${BIN('trk-upload')} --clickhouse 'trk.{type}' --sensor cli1 --spool ${spool} --batch-lines 3000 --max-wait 60 ${url}`;
      const pipeline = `node ${BIN('trk-capture')} -r ${LAN_CAPTURE} | node ${BIN('trk-classify')} --net 10.10.0.0/16 2>/dev/null | ${upload} | wc -l`;
      const { stdout, stderr } = await run('/bin/sh', ['-c', pipeline], { env: CHILD_ENV, timeout: 120_000 });
      assert.equal(Number(stdout.trim()), out.classified.length, 'every line went on to standard output');
      assert.doesNotMatch(stderr, /not delivered|cannot|rejected/i, stderr);
      for (const [kind, expected] of [
        ['pkt', count(out.classified, isType('pkt'))],
        ['alert', count(out.classified, isText('ALERT'))],
        ['stat', count(out.classified, isText('STAT'))],
      ] as const) {
        assert.equal(await scalar(`SELECT count() FROM trk.${kind} FINAL WHERE sensor = 'cli1'`), expected, kind);
      }
      // --batch-lines 3000 (a batch may also close early on --flush-interval)
      assert.ok((await scalar(`SELECT uniqExact(batch) FROM trk.pkt FINAL WHERE sensor = 'cli1'`)) >= Math.ceil(out.classified.length / 3000));
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  });

  test('rows ClickHouse cannot parse are rejected; a missing table or a wrong password is tried again', async () => {
    const target = clickhouseTarget({ url: ch.url, table: 'trk.{type}', sensor: 'gw3' });
    const broken = makeBatch(['{"type":"pkt","ts":1795340518.5,"len":"many"}'], { stream: 'x', seq: 1 }, 'gw3');
    assert.match((await send(target, ch.url, broken))[0]!, /^reject /);
    const missing = clickhouseTarget({ url: ch.url, table: 'trk.nope_{type}', sensor: 'gw3' });
    assert.match((await send(missing, ch.url, makeBatch(['{"type":"pkt","ts":1}'])))[0]!, /^retry .* 404: Code: 60/);
    const wrong = new URL(ch.url.href);
    wrong.username = 'trk';
    wrong.password = 'wrong';
    const denied = clickhouseTarget({ url: wrong, table: 'trk.{type}', sensor: 'gw3' });
    assert.match((await send(denied, wrong, makeBatch(['{"type":"pkt","ts":1}'])))[0]!, /^retry .* 401: Code: 193/);
    assert.equal(await scalar(`SELECT count() FROM trk.pkt WHERE sensor = 'gw3'`), 0);
  });
});
