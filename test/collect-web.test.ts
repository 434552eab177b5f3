/**
 * trk-collect --web as an operator runs it: a real child on 127.0.0.1 port
 * 0, real batches of trk-tally's output of the LAN incident capture posted
 * as two sensors, the pages read over HTTP and compared with what
 * trk-report draws from the same lines, the event stream, and the live page
 * in chromium taking a new batch without a reload.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { BIN, LAN_CAPTURE, noCorpus } from './helpers/paths.js';
import { waitUntil } from './helpers/netns.js';
import { browserUnavailable, closeBrowser, withPage } from './helpers/browser.js';
import { checkContract, readReport } from './helpers/report-dom.js';
import { WEB_LIMITS, WebPages } from '../src/collect/web.js';
import { request, startCollector as start, type Answer } from './helpers/collector.js';

const ENV = { ...process.env, TZ: 'UTC' };
const NETS = ['--net', '10.10.1.0/24', '--net', '2001:db8:10::/64'];
const noLan = noCorpus || (fs.existsSync(LAN_CAPTURE) ? false : `${LAN_CAPTURE} is missing`);
const noBrowser = browserUnavailable();

const get = (port: number, p: string, headers: Record<string, string> = {}): Promise<Answer> => request(port, { method: 'GET', path: p, headers });

let seq = 0;
async function post(port: number, sensor: string, body: string, batch = `web-${sensor}/${++seq}`): Promise<Answer> {
  const a = await request(port, { method: 'POST', path: '/ingest', headers: { 'X-Trk-Sensor': sensor, 'X-Trk-Batch': batch, 'Content-Type': 'application/x-ndjson' } }, body);
  assert.equal(a.status, 200, a.body);
  return a;
}

/** The View a page was drawn from (its trk-data script), without the title. */
function dataOf(html: string): Record<string, unknown> {
  const m = /<script id="trk-data" type="application\/json">(.*?)<\/script>/s.exec(html);
  assert.ok(m, 'the page has its trk-data script');
  const v = JSON.parse(m[1]!) as Record<string, unknown>;
  delete v.title;
  return v;
}

function reportOf(lines: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, [BIN('trk-report'), '-q'], { input: lines, env: ENV, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return dataOf(r.stdout);
}

/** A host row of a local address no batch had yet. */
function newHostLine(start: number, addr: string): string {
  return `${JSON.stringify({ type: 'tally', start, end: start + 5, by: 'host', key: addr, pkts: 10, bytes: 9_000_000, rx_bytes: 8_000_000, tx_bytes: 1_000_000, in_bytes: 8_000_000, out_bytes: 1_000_000 })}\n`;
}

describe('trk-collect --web', { skip: noLan, timeout: 180_000 }, () => {
  let gw1 = '';
  let gw2 = '';
  let tmp = '';
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-collect-web-'));
    const records = execFileSync(process.execPath, [BIN('trk-classify'), '-r', LAN_CAPTURE, ...NETS], { env: ENV, maxBuffer: 256 << 20 });
    const text = execFileSync(process.execPath, [BIN('trk-tally'), '--by', 'host', '--every', '5s', ...NETS], { input: records, env: ENV, encoding: 'utf8', maxBuffer: 64 << 20 });
    const lines = text.split('\n').filter(Boolean);
    const half = Math.floor(lines.length / 2);
    gw1 = lines.slice(0, half).join('\n') + '\n';
    gw2 = lines.slice(half).join('\n') + '\n';
    assert.match(text, / ALERT /, 'the capture gives ALERT lines');
    assert.match(text, /"by":"host"/, 'and host rows');
  });
  after(async () => {
    await closeBrowser();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('pages per sensor and for all draw what trk-report draws of the same lines; 404 for an unknown sensor; events after a batch', async () => {
    const c = await start(['--web', '-q']);
    try {
      await post(c.port, 'gw1', gw1, 'first/1');
      await post(c.port, 'gw2', gw2);
      // a batch sent again (its answer was lost) is not counted again
      assert.match((await post(c.port, 'gw1', gw1, 'first/1')).body, /duplicate/);
      const root = await get(c.port, '/');
      assert.equal(root.status, 302);
      assert.equal(root.headers.location, 'web/');
      const index = await get(c.port, '/web/');
      assert.equal(index.status, 200);
      // relative links, so that a proxy may serve the pages under a prefix
      for (const href of ['all', 'gw1', 'gw2']) assert.ok(index.body.includes(`href="${href}"`), `the index links ${href}`);
      const one = await get(c.port, '/web/gw1');
      assert.equal(one.status, 200);
      assert.match(String(one.headers['content-type']), /^text\/html/);
      assert.deepEqual(dataOf(one.body), reportOf(gw1));
      assert.deepEqual(dataOf((await get(c.port, '/web/gw2')).body), reportOf(gw2));
      const all = dataOf((await get(c.port, '/web/all')).body);
      assert.deepEqual(all, reportOf(gw1 + gw2));
      assert.ok((all.alerts as unknown[]).length > 0, 'the alerts are on the page');
      assert.equal((await get(c.port, '/web/gw9')).status, 404);
      assert.equal((await get(c.port, '/web/gw1/nothing')).status, 404);
      assert.equal((await get(c.port, '/web/%zz')).status, 404);

      // the event stream: an update after a new batch, none before
      const events = await new Promise<{ text: () => string; close: () => void }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: c.port, path: '/web/gw2/events', agent: false }, (res) => {
          assert.equal(res.statusCode, 200);
          assert.match(String(res.headers['content-type']), /^text\/event-stream/);
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          resolve({ text: () => text, close: () => req.destroy() });
        });
        req.on('error', reject);
      });
      await new Promise((r) => setTimeout(r, 300));
      assert.doesNotMatch(events.text(), /event: update/);
      await post(c.port, 'gw2', newHostLine(1795340520, '10.10.1.251'));
      await waitUntil(() => /event: update\n/.test(events.text()), () => `no update event: ${JSON.stringify(events.text())}`);
      assert.match((await get(c.port, '/metrics')).body, /^trk_collect_web_streams 1$/m);
      // the stream does not hold the shutdown
      assert.equal(await c.stop(), 0);
      events.close();
    } finally {
      c.child.kill('SIGKILL');
    }
  });

  test('with --tokens the pages need --web-token; HTTP Basic with its password opens them', async () => {
    const tokens = path.join(tmp, 'tokens');
    fs.writeFileSync(tokens, 'a3f9c0e7a5b1d48e2a6c4f0b9d8e7a1c gw1\n', { mode: 0o600 });
    const refused = spawnSync(process.execPath, [BIN('trk-collect'), '--listen', '127.0.0.1:0', '--tokens', tokens, '--web'], { env: ENV, encoding: 'utf8', timeout: 20_000 });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--web-token/);
    const password = path.join(tmp, 'web-password');
    fs.writeFileSync(password, 'correct horse battery\n', { mode: 0o600 });
    const c = await start(['--tokens', tokens, '--web', '--web-token', password, '-q']);
    try {
      assert.equal((await get(c.port, '/web/all')).status, 401);
      assert.equal((await get(c.port, '/')).status, 401);
      assert.equal((await get(c.port, '/web/all', { Authorization: `Basic ${Buffer.from('noc:wrong').toString('base64')}` })).status, 401);
      // a posting token does not open the pages
      assert.equal((await get(c.port, '/web/all', { Authorization: 'Bearer a3f9c0e7a5b1d48e2a6c4f0b9d8e7a1c' })).status, 401);
      const ok = await get(c.port, '/web/all', { Authorization: `Basic ${Buffer.from('noc:correct horse battery').toString('base64')}` });
      assert.equal(ok.status, 200);
      assert.equal((await get(c.port, '/healthz')).status, 200, 'monitoring stays open');
      assert.equal(await c.stop(), 0);
    } finally {
      c.child.kill('SIGKILL');
    }
  });

  test('in chromium: a new batch adds its host to the open page without a reload', { skip: noBrowser }, async () => {
    const c = await start(['--web', '-q']);
    try {
      await post(c.port, 'gw1', gw1);
      await withPage(
        '',
        async (open) => {
          const { page } = open;
          const first = await readReport(page);
          assert.deepEqual(checkContract(first, open.requests), []);
          assert.ok(!first.addressGraph.bars.some((b) => b.addr === '10.10.1.250'));
          await page.evaluate(() => {
            (window as unknown as { __marker: number }).__marker = 1;
            window.scrollTo(0, 200);
          });
          assert.equal(await page.evaluate(() => window.scrollY), 200, 'the page is long enough to scroll');
          await post(c.port, 'gw1', newHostLine(1795340525, '10.10.1.250'));
          await page.waitForSelector('#address-graph g.bar[data-addr="10.10.1.250"]', { timeout: 10_000 });
          await page.waitForSelector('#address-table tr[data-addr="10.10.1.250"]', { timeout: 10_000 });
          assert.equal(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker), 1, 'the page was not reloaded');
          assert.ok((await page.evaluate(() => window.scrollY)) >= 200, 'the scroll stayed');
          const dom = await readReport(page);
          assert.ok(dom.addressGraph.bars.some((b) => b.addr === '10.10.1.250'), 'the new bar is read back');
          assert.deepEqual(checkContract(dom, open.requests), []);
          // the same numbers as a fresh GET of the page
          const fresh = await get(c.port, '/web/gw1');
          const live = (await page.evaluate(() => JSON.parse(document.getElementById('trk-data')!.textContent!) as Record<string, unknown>));
          delete live.title;
          assert.deepEqual(live, dataOf(fresh.body));

          // the reader's sort stays through an update
          await page.click('#address-table thead th[data-sort="addr"] button');
          await post(c.port, 'gw1', newHostLine(1795340530, '10.10.1.249'));
          await page.waitForSelector('#address-table tr[data-addr="10.10.1.249"]', { timeout: 10_000 });
          assert.equal(await page.getAttribute('#address-table thead th[data-sort="addr"]', 'aria-sort'), 'ascending', 'the sort stayed');
          const order = await page.$$eval('#address-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-addr')));
          assert.ok(order.indexOf('10.10.1.249') < order.indexOf('10.10.1.250'), `sorted by address: ${order.join(' ')}`);
          assert.equal(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker), 1, 'still no reload');
          assert.deepEqual(open.problems(), []);
        },
        { url: `http://127.0.0.1:${c.port}/web/gw1` },
      );
      assert.equal(await c.stop(), 0);
    } finally {
      c.child.kill('SIGKILL');
    }
  });
});

describe('trk-collect --web: the bounds (in process)', { timeout: 60_000 }, () => {
  const saved = { ...WEB_LIMITS };
  after(() => Object.assign(WEB_LIMITS, saved));

  async function serve(pages: WebPages): Promise<{ port: number; close: () => Promise<void> }> {
    const server = http.createServer((req, res) => {
      if (!pages.handle(req, res, (req.url ?? '/').replace(/\?.*$/, ''))) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as import('node:net').AddressInfo).port,
      close: () => {
        server.closeAllConnections();
        return new Promise((r) => server.close(() => r()));
      },
    };
  }

  /** An open event stream: its text so far, and how to hang up. */
  function stream(port: number, p: string): Promise<{ status: number; text: () => string; ended: Promise<void>; close: () => void }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        const ended = new Promise<void>((r) => res.on('close', () => r()));
        resolve({ status: res.statusCode!, text: () => text, ended, close: () => req.destroy() });
      });
      req.on('error', reject);
    });
  }

  test('at most MAX_CLIENTS streams, one update a second, pings, streams gone on hang-up and on close()', async () => {
    Object.assign(WEB_LIMITS, { MAX_CLIENTS: 3, PING: 100, MIN_INTERVAL: 400 });
    const pages = new WebPages({ warn: () => undefined });
    pages.add('gw1', Buffer.from(newHostLine(1795340520, '10.10.1.7')));
    const s = await serve(pages);
    try {
      const open = [await stream(s.port, '/web/gw1/events'), await stream(s.port, '/web/all/events'), await stream(s.port, '/web/all/events')];
      assert.deepEqual(open.map((o) => o.status), [200, 200, 200]);
      assert.equal((await get(s.port, '/web/gw1/events')).status, 503, 'one stream too many');
      await waitUntil(() => pages.streams === 3, () => `${pages.streams} streams`);
      // five batches at once: one update now, one more after MIN_INTERVAL, no more
      for (let i = 0; i < 5; i++) pages.add('gw1', Buffer.from(newHostLine(1795340520 + i * 5, `10.10.1.${20 + i}`)));
      await waitUntil(() => (open[0]!.text().match(/event: update/g) ?? []).length === 1, () => open[0]!.text());
      await new Promise((r) => setTimeout(r, 700));
      assert.equal((open[0]!.text().match(/event: update/g) ?? []).length, 2, open[0]!.text());
      assert.match(open[1]!.text(), /: ping\n\n/);
      // a sensor's batch changes all too; another sensor's page does not change
      pages.add('gw2', Buffer.from(newHostLine(1795340540, '10.10.1.30')));
      await waitUntil(() => (open[1]!.text().match(/event: update/g) ?? []).length === 3, () => open[1]!.text());
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((open[0]!.text().match(/event: update/g) ?? []).length, 2, 'gw1 did not change');
      // a client that hangs up is forgotten, and its place is free again
      open[0]!.close();
      await waitUntil(() => pages.streams === 2, () => `${pages.streams} streams`);
      const again = await stream(s.port, '/web/gw2/events');
      assert.equal(again.status, 200);
      await waitUntil(() => pages.streams === 3, () => `${pages.streams} streams`);
      // SIGTERM's close() ends every stream
      pages.close();
      await Promise.all([open[1]!.ended, open[2]!.ended, again.ended]);
      assert.equal(pages.streams, 0);
    } finally {
      pages.close();
      await s.close();
      Object.assign(WEB_LIMITS, saved);
    }
  });

  test('at most MAX_SENSORS sensor pages; more count in all only; at most MAX_HOSTS addresses a page', async () => {
    Object.assign(WEB_LIMITS, { MAX_SENSORS: 2, MAX_HOSTS: 3 });
    const warnings: string[] = [];
    const pages = new WebPages({ warn: (m) => warnings.push(m) });
    for (const [i, sensor] of ['gw1', 'gw2', 'gw3', 'gw4', 'all'].entries()) pages.add(sensor, Buffer.from(newHostLine(1795340520, `10.10.1.${i + 1}`)));
    for (let i = 10; i < 20; i++) pages.add('gw1', Buffer.from(newHostLine(1795340520, `10.10.1.${i}`)));
    const s = await serve(pages);
    try {
      assert.equal((await get(s.port, '/web/gw2')).status, 200);
      assert.equal((await get(s.port, '/web/gw3')).status, 404);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      const index = await get(s.port, '/web/');
      assert.doesNotMatch(index.body, /gw3|href="all".*href="all"/s);
      const all = dataOf((await get(s.port, '/web/all')).body);
      assert.equal((all.totals as { total: number }).total, 15 * 9_000_000, 'every batch counts in all');
      const gw1 = dataOf((await get(s.port, '/web/gw1')).body);
      assert.equal(gw1.addresses, 3);
      assert.deepEqual((gw1.bars as { addr: string }[]).map((b) => b.addr).at(-1), 'others');
      assert.equal((gw1.totals as { total: number }).total, 11 * 9_000_000, 'the addresses past the bound are in others');
    } finally {
      pages.close();
      await s.close();
      Object.assign(WEB_LIMITS, saved);
    }
  });
});
