/**
 * The spool and the sender in-process, against the real test server on
 * 127.0.0.1: what a target needing several requests a batch (ClickHouse,
 * one INSERT per table) can count on, and the spool's own rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startIngestServer } from './helpers/ingest-server.js';
import { waitUntil } from './helpers/netns.js';
import { Sender } from '../src/upload/sender.js';
import { SpoolLockedError, UploadSpool } from '../src/upload/spool.js';
import type { Target, Verdict } from '../src/upload/target.js';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'trk-upload-sender-'));
}

/** A target that sends each batch as two requests, ?part=1 and ?part=2, the raw lines in each. */
const twoPartTarget: Target = {
  describe: 'two-part test target',
  async requests(batch) {
    const body = await batch.raw();
    return [1, 2].map((part) => ({ path: `?part=${part}`, headers: { 'x-trk-batch': `${batch.id.stream}/${batch.id.seq}` }, body }));
  },
  verdict(status): Verdict {
    return status === 200 ? 'done' : status === 400 ? 'reject' : 'retry';
  },
};

test('a batch of several requests: a retry resumes at the request that failed, not from the first', async () => {
  const server = await startIngestServer();
  const dir = tmpdir();
  const spool = await UploadSpool.open(dir, 1 << 20);
  const messages: string[] = [];
  const sender = new Sender(spool, twoPartTarget, {
    url: new URL(`http://127.0.0.1:${server.port}/ingest`),
    sensor: 'gw1',
    timeoutMs: 5000,
    retryMaxMs: 100,
    insecure: false,
    warn: (m) => messages.push(m),
  });
  try {
    await spool.put({ stream: 's1', seq: 1 }, 2, gzipSync('a\nb\n'));
    server.script.push({ status: 200 }, { status: 500 });
    sender.kick();
    // deliveredBatches counts after the file is gone and before the recovery is said: waiting on the spool alone raced that note
    await waitUntil(() => sender.deliveredBatches === 1, () => `not delivered: ${messages.join(' | ')}`, 5000);
    assert.deepEqual(server.attempts.map((a) => a.url), ['/ingest?part=1', '/ingest?part=2', '/ingest?part=2']);
    assert.equal(server.attempts[0]!.body.toString(), 'a\nb\n');
    assert.equal(messages.length, 2, messages.join(' | '));
    assert.match(messages[0]!, /two-part test target: HTTP 500 status 500; 1 batch \(2 lines\) spooled in .*, retrying/);
    assert.match(messages[1]!, /delivering again/);
    assert.equal(sender.deliveredBatches, 1);
  } finally {
    sender.close();
    spool.close();
    await server.stop();
  }
});

test('the spool: oldest first across streams, the cap drops the oldest but never the newest, one owner at a time', async () => {
  const dir = tmpdir();
  const body = gzipSync('x'.repeat(1000) + '\n');
  const spool = await UploadSpool.open(dir, body.length * 3);
  try {
    await assert.rejects(UploadSpool.open(dir, 1000), SpoolLockedError);
    await spool.put({ stream: '0000000001-aaaaaaaa', seq: 2 }, 1, body);
    await spool.put({ stream: '0000000001-aaaaaaaa', seq: 10 }, 1, body);
    await spool.put({ stream: '0000000002-bbbbbbbb', seq: 1 }, 1, body);
    assert.deepEqual(spool.oldest()?.id, { stream: '0000000001-aaaaaaaa', seq: 2 });
    const dropped = await spool.put({ stream: '0000000002-bbbbbbbb', seq: 2 }, 1, body);
    assert.deepEqual(dropped, { batches: 1, lines: 1 });
    assert.deepEqual(spool.oldest()?.id, { stream: '0000000001-aaaaaaaa', seq: 10 });
    assert.equal(spool.length, 3);
    // one batch bigger than the whole cap is still kept: it is the newest
    const big = Buffer.alloc(body.length * 5, 1);
    const all = await spool.put({ stream: '0000000002-bbbbbbbb', seq: 3 }, 7, big);
    assert.deepEqual(all, { batches: 3, lines: 3 });
    assert.equal(spool.length, 1);
    spool.close();
    // a crash's half-written batch is cleared, the rest indexed again
    fs.writeFileSync(path.join(dir, '.tmp-0000000002-bbbbbbbb-000000000004-1.ndjson.gz'), 'half');
    // an earlier run's batch sorts first by its name: seq 9 before seq 10 (zero-padded), its stream before a later one
    fs.writeFileSync(path.join(dir, '0000000000-00000000-000000000010-1.ndjson.gz'), body);
    fs.writeFileSync(path.join(dir, '0000000000-00000000-000000000009-1.ndjson.gz'), body);
    const again = await UploadSpool.open(dir, 1 << 20);
    assert.equal(again.length, 3);
    assert.equal(again.lines, 9);
    assert.deepEqual(again.oldest()?.id, { stream: '0000000000-00000000', seq: 9 });
    assert.ok(!fs.readdirSync(dir).some((n) => n.startsWith('.tmp-')));
    again.close();
  } finally {
    spool.close();
  }
});
