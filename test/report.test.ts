/**
 * trk-report as a user runs it, on the LAN capture and on generated ones:
 * the page's DOM contract (man trk-report, THE PAGE) read back from the
 * HTML at the level of tags and attributes, its numbers against trk-tally's
 * for the same input, the SVG and CSV files, the scale bound, bad input and
 * usage errors. (The page in a real browser is checked in report-browser.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { udpTemplateFrame } from '../scripts/udp-frame.js';
import { BIN, LAN_CAPTURE, noCorpus } from './helpers/paths.js';

const ENV = { ...process.env, TZ: 'UTC' };
const lanSkip = noCorpus || (fs.existsSync(LAN_CAPTURE) ? false : `${LAN_CAPTURE} is missing`);
const NETS = ['--net', '10.10.1.0/24', '--net', '2001:db8:10::/64'];
const PARTS = ['rx-ext', 'tx-ext', 'rx-int', 'tx-int'] as const;

function runBin(bin: string, args: string[], input?: Buffer | string): { code: number | null; stdout: string; stderr: string; raw: Buffer } {
  const r = spawnSync(process.execPath, [BIN(bin), ...args], { env: ENV, input, maxBuffer: 1 << 30 });
  return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

function ok(bin: string, args: string[], input?: Buffer | string): Buffer {
  const r = runBin(bin, args, input);
  assert.equal(r.code, 0, `${bin} ${args.join(' ')}: ${r.stderr}`);
  return r.raw;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-report-test-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ---- reading the page back: tags and their attributes

type Attrs = Record<string, string>;

function attrsOf(tag: string): Attrs {
  const out: Attrs = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"/g)) out[m[1]!] = unescape(m[2]!);
  return out;
}

function unescape(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Every start tag `<name …>` in text, with its attributes, in document order. */
function tags(text: string, name: string): Attrs[] {
  return [...text.matchAll(new RegExp(`<${name}(\\s[^>]*)?>`, 'g'))].map((m) => attrsOf(m[0]));
}

/** The element with this id, start tag to its matching end tag (no nesting of the same name inside). */
function element(html: string, name: string, id: string): string {
  const start = html.indexOf(`<${name} id="${id}"`);
  assert.ok(start >= 0, `no <${name} id="${id}">`);
  const end = html.indexOf(`</${name}>`, start);
  assert.ok(end > start, `<${name} id="${id}"> not closed`);
  return html.slice(start, end + name.length + 3);
}

function trkData(html: string): any {
  const m = /<script id="trk-data" type="application\/json">(.*?)<\/script>/s.exec(html);
  assert.ok(m, 'no trk-data script');
  return JSON.parse(m[1]!);
}

/** trk-tally's host rows (by key) and totals row for the same input. */
function tallyHosts(args: string[], input?: Buffer): { rows: Map<string, any>; total: any } {
  const out = ok('trk-tally', ['--by', 'host', '--every', '0', ...args], input).toString();
  const records = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  return { rows: new Map(records.filter((r) => r.key !== undefined).map((r) => [r.key, r])), total: records.find((r) => r.total) };
}

/** The pipeline of the man page, with trk-threshold's alarms too, as the browser test makes its page. */
function lanPipeline(): Buffer {
  const classified = ok('trk-classify', ['-r', LAN_CAPTURE, ...NETS]);
  const watched = ok('trk-threshold', ['-C', '--tee', '-a', '5', '--synflood', '100', '--silent', '10.10.1.30:5', '-L', '10.10.1.0/24'], classified);
  return ok('trk-tally', ['--by', 'host', '--every', '1s', ...NETS], watched);
}

let lanLines: Buffer | undefined;
const pipelineLines = (): Buffer => (lanLines ??= lanPipeline());

test('the page holds the DOM contract: bars, segments, tables, time graph, alerts, data', { skip: lanSkip }, () => {
  const input = pipelineLines();
  const html = ok('trk-report', ['--title', 'LAN incident'], input).toString();
  const data = trkData(html);
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);

  // address graph: a bar per address in the table's order, four segments each, in order, with titles
  const graph = element(html, 'svg', 'address-graph');
  const svgTag = tags(graph, 'svg')[0]!;
  assert.equal(svgTag.role, 'img');
  for (const id of svgTag['aria-labelledby']!.split(' ')) assert.match(graph, new RegExp(`id="${id}"`));
  const bars = tags(graph, 'g').filter((g) => g.class === 'bar');
  const addrs = bars.map((b) => b['data-addr']);
  assert.deepEqual(addrs, ['10.10.1.20', '10.10.1.30', '10.10.1.1', '10.10.1.99', '2001:db8:10:0:3072:13ff:feb6:831a', '2001:db8:10::1']);
  const groups = graph.split('<g class="bar"').slice(1);
  assert.equal(groups.length, addrs.length);
  groups.forEach((g, i) => {
    const segs = tags(g, 'rect').filter((r) => r.class === 'seg');
    assert.deepEqual(segs.map((s) => s['data-part']), [...PARTS], addrs[i]);
    for (const s of segs) {
      assert.equal(s.tabindex, '0');
      assert.match(s['data-bytes']!, /^\d+$/);
    }
    const titles = [...g.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    assert.deepEqual(
      titles,
      segs.map((s, j) => `${addrs[i]} ${['received from outside', 'sent to outside', 'received from internal', 'sent to internal'][j]}: ${Number(s['data-bytes']).toLocaleString('en-US')} bytes`),
    );
  });
  assert.match(html, /<title>10\.10\.1\.20 received from outside: 3,139,539 bytes<\/title>/);
  assert.match(html, /<div id="tooltip" role="tooltip" hidden><\/div>/);

  // the table beside it: same rows, same order, exact integers
  const table = element(html, 'table', 'address-table');
  const rows = tags(table, 'tr').filter((r) => r['data-addr'] !== undefined);
  assert.deepEqual(rows.map((r) => r['data-addr']), addrs);
  for (const key of [...PARTS, 'total']) {
    const cells = tags(table, 'td').filter((c) => c.class === key);
    assert.equal(cells.length, addrs.length, key);
    cells.forEach((c, i) => assert.equal(Number(c['data-bytes']), data.bars[i][key], `${addrs[i]} ${key}`));
  }
  for (const key of ['addr', ...PARTS, 'total']) assert.match(table, new RegExp(`<th scope="col"[^>]* data-sort="${key}"`));

  // time graph: spans the capture, four series, a marker per alert, an anchor per step
  const time = element(html, 'svg', 'time-graph');
  const t = tags(time, 'svg')[0]!;
  const [start, end, step] = [Number(t['data-start']), Number(t['data-end']), Number(t['data-step'])];
  assert.ok(start <= 1795340518.969442 && end >= 1795340552.601495 && end - start < 60, `${start}..${end}`);
  assert.equal(step, 1);
  assert.deepEqual(tags(time, 'path').filter((p) => p.class === 'series').map((p) => p['data-part']), ['in', 'out', 'internal', 'martian']);
  const markers = tags(time, 'line').filter((l) => l.class === 'alert-marker');
  const alertRows = tags(element(html, 'table', 'alerts'), 'tr').filter((r) => r.class === 'alert');
  const alertLines = input.toString().split('\n').filter((l) => / ALERT /.test(l));
  assert.equal(alertRows.length, alertLines.length);
  assert.equal(markers.length, alertLines.length);
  const anchors = new Set(tags(time, 'rect').filter((r) => r.class === 'step').map((r) => r.id));
  assert.equal(anchors.size, (end - start) / step);
  for (const m of markers) assert.ok(m['data-ts'] && m['data-family'] && m['data-kind']);
  // the incidents are listed, grouped, each linking to a step of the time graph
  const alerts = element(html, 'table', 'alerts');
  for (const kind of ['ARP wrongnet', 'ARP mac_changed', 'ARP flipflop', 'ICMPv6 ra_wrongnet', 'TCP synflood', 'HOST silent', 'BANDWIDTH exceeded']) {
    const [family, k] = kind.split(' ');
    assert.match(alerts, new RegExp(`<tbody class="alert-group" data-family="${family}" data-kind="${k}">`), kind);
  }
  const links = [...alerts.matchAll(/<tr class="alert"[^>]*><td><a href="#(t-\d+)">/g)].map((m) => m[1]!);
  assert.equal(links.length, alertRows.length);
  for (const l of links) assert.ok(anchors.has(l), `${l} is not an anchor of the time graph`);

  // billing
  const billing = tags(element(html, 'table', 'billing'), 'tr').filter((r) => r['data-addr'] !== undefined);
  assert.deepEqual(billing.map((r) => r['data-addr']), addrs);
  assert.doesNotMatch(element(html, 'table', 'billing'), /class="charge"/);

  // the data the page was drawn from
  assert.deepEqual(data.bars.map((b: any) => b.addr), addrs);
  assert.equal(data.series.in.length, (end - start) / step);
});

test("the page's numbers are trk-tally's, from a capture read directly and from the pipeline", { skip: lanSkip }, () => {
  const { rows, total } = tallyHosts(['-r', LAN_CAPTURE, ...NETS]);
  const pages = {
    direct: ok('trk-report', ['-r', LAN_CAPTURE, ...NETS]).toString(),
    piped: ok('trk-report', [], pipelineLines()).toString(),
  };
  for (const [how, html] of Object.entries(pages)) {
    const data = trkData(html);
    assert.equal(data.bars.length, rows.size, how);
    for (const bar of data.bars) {
      const r = rows.get(bar.addr);
      assert.ok(r, `${how}: ${bar.addr} is not in trk-tally's rows`);
      assert.equal(bar['rx-ext'], r.in_bytes ?? 0, `${how} ${bar.addr} rx-ext`);
      assert.equal(bar['tx-ext'], r.out_bytes ?? 0, `${how} ${bar.addr} tx-ext`);
      assert.equal(bar['rx-int'] + bar['tx-int'], r.internal_bytes ?? 0, `${how} ${bar.addr} internal`);
      assert.equal(bar['rx-ext'] + bar['rx-int'] + bar.martian, r.rx_bytes ?? 0, `${how} ${bar.addr} received`);
      assert.equal(bar['tx-ext'] + bar['tx-int'], r.tx_bytes ?? 0, `${how} ${bar.addr} sent`);
      assert.equal(bar.total, r.bytes, `${how} ${bar.addr} total`);
      // and the table says the same as the data
      const row = new RegExp(`<tr data-addr="${bar.addr}"><th scope="row">[^<]*</th>\\s*<td class="rx-ext" data-bytes="(\\d+)">[^<]*</td>\\s*<td class="tx-ext" data-bytes="(\\d+)">[^<]*</td>\\s*<td class="rx-int" data-bytes="(\\d+)">[^<]*</td>\\s*<td class="tx-int" data-bytes="(\\d+)">[^<]*</td>\\s*<td class="total" data-bytes="(\\d+)">`).exec(element(html, 'table', 'address-table'));
      assert.ok(row, `${how}: no table row for ${bar.addr}`);
      assert.deepEqual(row.slice(1).map(Number), [bar['rx-ext'], bar['tx-ext'], bar['rx-int'], bar['tx-int'], r.bytes]);
    }
    // the whole network's time series adds up to the totals row's directions
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) * data.series.step;
    assert.ok(Math.abs(sum(data.series.in) - total.in_bytes) < 1, `${how}: in ${sum(data.series.in)} vs ${total.in_bytes}`);
    assert.ok(Math.abs(sum(data.series.out) - total.out_bytes) < 1, `${how}: out`);
    assert.ok(Math.abs(sum(data.series.internal) - total.internal_bytes) < 1, `${how}: internal`);
  }
  // both ways draw the same bars
  assert.deepEqual(trkData(pages.direct).bars, trkData(pages.piped).bars);
});

test("segments' widths are proportional to their bytes, on one scale for every bar", { skip: lanSkip }, () => {
  const html = ok('trk-report', ['-r', LAN_CAPTURE, ...NETS]).toString();
  const segs = tags(element(html, 'svg', 'address-graph'), 'rect').filter((r) => r['data-part'] !== undefined);
  assert.equal(segs.length, 6 * 4);
  const largest = Math.max(...segs.map((s) => Number(s.width)));
  assert.ok(largest > 100, 'the graph is drawn at a readable size');
  let scale = NaN;
  for (const s of segs) {
    const bytes = Number(s['data-bytes']);
    const width = Number(s.width);
    if (bytes === 0) {
      assert.equal(width, 0);
      continue;
    }
    if (Number.isNaN(scale)) scale = width / bytes;
    assert.ok(Math.abs(width - bytes * scale) < 0.01, `${s['data-part']} ${bytes} bytes is ${width} wide, not ${bytes * scale}`);
  }
  // segments of a bar follow one another
  const bar = html.split('<g class="bar" data-addr="10.10.1.20"')[1]!.split('</g>')[0]!;
  const r = tags(bar, 'rect');
  for (let i = 1; i < r.length; i++) assert.ok(Math.abs(Number(r[i]!.x) - Number(r[i - 1]!.x) - Number(r[i - 1]!.width)) < 0.01);
});

test('the page refers to nothing outside itself', { skip: lanSkip }, () => {
  const html = ok('trk-report', ['--rate-in', '0.05', '--rate-out', '0.5'], pipelineLines()).toString();
  assert.doesNotMatch(html, /\ssrc=/i);
  assert.doesNotMatch(html, /url\(/i);
  assert.doesNotMatch(html, /@import/i);
  const hrefs = [...html.matchAll(/\shref="([^"]*)"/gi)].map((m) => m[1]!);
  assert.ok(hrefs.length > 10);
  for (const h of hrefs) assert.ok(h.startsWith('#') || h.startsWith('data:'), h);
  // the only URL is the SVG namespace
  const urls = [...html.matchAll(/https?:\/\/[^"'\s<]*/g)].map((m) => m[0]);
  assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg']);
});

test('--svg writes each graph as a standalone SVG; --csv the billing of every address', { skip: lanSkip }, () => {
  const dir = path.join(tmp, 'graphs');
  const csvFile = path.join(tmp, 'bill.csv');
  const page = path.join(tmp, 'lan.html');
  const r = runBin('trk-report', ['-r', LAN_CAPTURE, ...NETS, '-o', page, '--svg', dir, '--csv', csvFile, '--rate-out', '0.5', '--rate-in', '0.05', '--currency', 'EUR']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', 'with -o nothing goes to standard output');
  assert.equal(r.stderr, '');
  assert.ok(fs.statSync(page).size > 5000);
  for (const name of ['address-graph.svg', 'time-graph.svg']) {
    const svg = fs.readFileSync(path.join(dir, name), 'utf8');
    assert.match(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, name);
    assert.doesNotMatch(svg, /<script/i, name);
    assert.doesNotMatch(svg, /href=/i, name);
    assert.match(svg, /<\/svg>\n$/, name);
    // the same graph as on the page
    const id = name.replace('.svg', '');
    assert.equal(svg.replace(/^<\?xml[^\n]*\n/, '').replace(/<rect width="100%" height="100%" fill="#fff"\/>\n/, '').trim(), element(fs.readFileSync(page, 'utf8'), 'svg', id));
  }
  const lines = fs.readFileSync(csvFile, 'utf8').split('\r\n');
  assert.equal(lines.pop(), '', 'CRLF after the last line');
  assert.equal(lines[0], 'address,rx_ext_bytes,tx_ext_bytes,rx_int_bytes,tx_int_bytes,martian_bytes,ext_bytes,int_bytes,total_bytes,charge');
  const { rows, total } = tallyHosts(['-r', LAN_CAPTURE, ...NETS]);
  assert.equal(lines.length - 1, rows.size);
  let sumTotal = 0;
  for (const line of lines.slice(1)) {
    const [addr, rxExt, txExt, rxInt, txInt, martian, ext, int, all, charge] = line.split(',');
    const n = [rxExt, txExt, rxInt, txInt, martian, ext, int, all].map(Number);
    const t = rows.get(addr!);
    assert.ok(t, addr);
    assert.equal(n[5], n[0]! + n[1]!);
    assert.equal(n[6], n[2]! + n[3]!);
    assert.equal(n[7], t.bytes);
    assert.equal(charge, ((n[5]! / 1e9) * 0.5 + (n[6]! / 1e9) * 0.05).toFixed(2));
    sumTotal += n[7]!;
  }
  // every local packet is counted once per local end: the rows add up to the local traffic
  assert.equal(sumTotal, [...rows.values()].reduce((s, r) => s + r.bytes, 0));
  assert.ok(sumTotal >= total.in_bytes + total.out_bytes + total.internal_bytes);
  // the page's billing table, with charges
  const html = fs.readFileSync(page, 'utf8');
  const billing = element(html, 'table', 'billing');
  const charges = tags(billing, 'td').filter((c) => c.class === 'charge');
  assert.equal(charges.length, rows.size + 1, 'a charge per address and the total');
  assert.match(billing, /charge \(EUR\)/);
});

/** A capture in which each of `count` local addresses (10.1.0.0/16 and on) receives a packet from outside and sends one back. */
async function manyAddressesCapture(file: string, count: number): Promise<void> {
  const out = fs.createWriteStream(file);
  const writer = new PcapWriter(out, { linktype: 1 });
  const frame = udpTemplateFrame();
  const outside = 0xc6336401; // 198.51.100.1
  for (let i = 0; i < count; i++) {
    const local = (0x0a010000 + i) >>> 0;
    const sec = 1_790_000_000 + Math.floor((i * 600) / count);
    frame.writeUInt32BE(outside, 26);
    frame.writeUInt32BE(local, 30);
    if (!writer.write(sec, 0, frame)) await writer.drain();
    frame.writeUInt32BE(local, 26);
    frame.writeUInt32BE(outside, 30);
    if (!writer.write(sec, 500_000, frame)) await writer.drain();
  }
  await writer.end();
}

test('50 000 local addresses: the page holds the top N and others, and stays under 5 MB', async () => {
  const capture = path.join(tmp, 'many.pcap');
  await manyAddressesCapture(capture, 50_000);
  const page = path.join(tmp, 'many.html');
  const csvFile = path.join(tmp, 'many.csv');
  const started = Date.now();
  const r = runBin('trk-report', ['-r', capture, '--net', '10.1.0.0/15', '-o', page, '--csv', csvFile]);
  assert.equal(r.code, 0, r.stderr);
  const size = fs.statSync(page).size;
  assert.ok(size < 5 * 1024 * 1024, `${size} bytes`);
  const html = fs.readFileSync(page, 'utf8');
  const bars = tags(element(html, 'svg', 'address-graph'), 'g').filter((g) => g.class === 'bar');
  assert.equal(bars.length, 51);
  assert.equal(bars[50]!['data-addr'], 'others');
  const others = tags(element(html, 'svg', 'address-graph'), 'rect').filter((s) => s['data-part'] === 'rx-ext').at(-1)!;
  assert.equal(Number(others['data-bytes']), (50_000 - 50) * 64);
  const billing = tags(element(html, 'table', 'billing'), 'tr').filter((t) => t['data-addr'] !== undefined);
  assert.equal(billing.length, 51);
  assert.match(html, /the CSV \(--csv\) has every address/);
  const csvLines = fs.readFileSync(csvFile, 'utf8').trimEnd().split('\r\n');
  assert.equal(csvLines.length, 50_001);
  assert.equal(csvLines[1], '10.1.0.0,64,64,0,0,0,128,0,128', 'ties in address order');
  const data = trkData(html);
  assert.equal(data.addresses, 50_000);
  assert.equal(data.totals.total, 50_000 * 128);
  // a few hundred points for ten minutes
  assert.ok(data.series.in.length <= 300 && data.series.in.length >= 100, `${data.series.in.length} points`);
  assert.ok(Date.now() - started < 30_000);
});

test('--top, --sort and --addr choose the bars and the time graph', { skip: lanSkip }, () => {
  const html = ok('trk-report', ['-r', LAN_CAPTURE, ...NETS, '--top', '2', '--sort', 'rx-int', '--addr', '10.10.1.30']).toString();
  const data = trkData(html);
  assert.deepEqual(data.bars.map((b: any) => b.addr), ['10.10.1.30', '10.10.1.20', 'others']);
  const { rows } = tallyHosts(['-r', LAN_CAPTURE, ...NETS]);
  assert.equal(data.bars[2].total, rows.get('10.10.1.1').bytes + rows.get('10.10.1.99').bytes + rows.get('2001:db8:10:0:3072:13ff:feb6:831a').bytes + rows.get('2001:db8:10::1').bytes);
  assert.match(html, /<th scope="col" data-sort="rx-int" aria-sort="descending">/);
  // the time graph of 10.10.1.30 is its own traffic: all internal, as trk-tally's row says
  const sum = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) * data.series.step);
  assert.equal(sum(data.series.internal), rows.get('10.10.1.30').internal_bytes);
  assert.equal(sum(data.series.in) + sum(data.series.out), 0);
  assert.equal(data.series.subject, '10.10.1.30');
  // by address
  const byAddr = trkData(ok('trk-report', ['-r', LAN_CAPTURE, ...NETS, '--sort', 'addr']).toString());
  assert.deepEqual(byAddr.bars.map((b: any) => b.addr), ['10.10.1.1', '10.10.1.20', '10.10.1.30', '10.10.1.99', '2001:db8:10::1', '2001:db8:10:0:3072:13ff:feb6:831a']);
});

test('--from and --to keep the tally intervals, alerts and packets of the period', { skip: lanSkip }, () => {
  const input = pipelineLines();
  const from = 1795340530; // 2026-11-22 09:42:10 UTC
  const to = 1795340540;
  const html = ok('trk-report', ['--from', '2026-11-22 09:42:10', '--to', String(to)], input).toString();
  const data = trkData(html);
  const records = input.toString().split('\n').filter((l) => l.startsWith('{"type":"tally"')).map((l) => JSON.parse(l));
  const inWindow = records.filter((r) => r.start >= from && r.start < to && r.key !== undefined && !r.other);
  const expect = new Map<string, number>();
  for (const r of inWindow) expect.set(r.key, (expect.get(r.key) ?? 0) + r.bytes);
  assert.ok(expect.size >= 2);
  assert.deepEqual(new Map(data.bars.map((b: any) => [b.addr, b.total])), expect);
  assert.ok(data.series.start >= from && data.series.end <= to, `${data.series.start}..${data.series.end}`);
  const alerts = data.alerts.flatMap((g: any) => g.alerts);
  assert.ok(alerts.length > 0);
  for (const a of alerts) assert.ok(a.ts >= from && a.ts < to, String(a.ts));
  const allAlerts = input.toString().split('\n').filter((l) => / ALERT /.test(l) && l >= '2026-11-22 09:42:10' && l < '2026-11-22 09:42:20');
  assert.equal(alerts.length, allAlerts.length);
  // a capture read directly: the packets of the period, as trk-tally counts a capture cut to it
  const direct = trkData(ok('trk-report', ['-r', LAN_CAPTURE, ...NETS, '--from', String(from), '--to', String(to)]).toString());
  const fromTally = new Map<string, number>();
  for (const r of inWindow) fromTally.set(r.key, (fromTally.get(r.key) ?? 0) + r.bytes);
  assert.deepEqual(new Map(direct.bars.map((b: any) => [b.addr, b.total])), fromTally);
});

test('usage errors exit 2 with one line', { skip: lanSkip }, () => {
  const cases: [string[], RegExp][] = [
    [['--top', '0'], /--top must be at least 1/],
    [['--sort', 'bytes'], /--sort takes one of total, rx-ext/],
    [['--from', 'yesterday'], /--from takes a local date and time/],
    [['--from', '2026-02-30 10:00'], /--from takes a local date and time/],
    [['--from', '2000', '--to', '1000'], /--from must be before --to/],
    [['--step', '0.5s'], /--step takes whole seconds/],
    [['--step', 'often'], /not a duration/],
    [['--addr', '10.10.1.300'], /--addr: .*bad network/],
    [['--net', 'nonsense'], /--net: .*bad network/],
    [['--rate-in', '-1'], /--rate-in must be at least 0/],
    [['--bogus'], /unknown option --bogus/],
    [['-r', LAN_CAPTURE], /a capture needs --net CIDR/],
  ];
  for (const [args, message] of cases) {
    const r = runBin('trk-report', args, '');
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    // the error in one line, and the project's usual pointer to --help
    assert.deepEqual(r.stderr.trimEnd().split('\n').slice(1), ["Try 'trk-report --help' for more information."], r.stderr);
    assert.match(r.stderr, /^trk-report: /);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});

test('garbage on standard input is an error; an empty input an empty report', () => {
  const garbage = runBin('trk-report', [], 'hello\nthis is not\x00 a tally\n{"type":"tally","broken\n');
  assert.equal(garbage.code, 1);
  assert.equal(garbage.stdout, '');
  assert.match(garbage.stderr, /^trk-report: standard input: nothing to report in 3 lines: give tally records \(trk-tally --by host\)/);
  assert.equal(garbage.stderr.trimEnd().split('\n').length, 1);
  const empty = runBin('trk-report', [], '');
  assert.equal(empty.code, 0, empty.stderr);
  const data = trkData(empty.stdout);
  assert.deepEqual(data.bars, []);
  assert.match(empty.stdout, /no local addresses in the input/);
  assert.match(empty.stdout, /no alerts in the period/);
  // a file that cannot be opened
  const missing = runBin('trk-report', ['-r', path.join(tmp, 'nothing-here.pcap')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trimEnd().split('\n').length, 1, missing.stderr);
});

test('--help and the man page come from the option table', () => {
  const help = ok('trk-report', ['--help']).toString();
  for (const o of ['--output', '--svg', '--csv', '--top', '--sort', '--addr', '--from', '--to', '--step', '--rate-in', '--rate-out', '--currency', '--title', '--quiet', '--net']) assert.ok(help.includes(o), o);
  const man = fs.readFileSync(path.join(path.dirname(BIN('trk-report')), '..', 'man', 'trk-report.1'), 'utf8');
  assert.match(man, /^\.SH THE FOUR SPLITS$/m);
  assert.match(man, /trk\\-tally \\-\\-by host \\-\\-every 5m \| trk\\-report \\-o day\.html/);
  assert.match(man, /\\fB\\-\\-rate\\-in\\fR/);
});

test('every form of input line: tally rows (other and totals too), alerts in three forms, STAT lines and records, reports', { skip: lanSkip }, () => {
  const tallyRow = (start: number, key: string, f: Record<string, number>): string =>
    JSON.stringify({ type: 'tally', start, end: start + 60, by: 'host', key, pkts: 1, bytes: (f.rx_bytes ?? 0) + (f.tx_bytes ?? 0), ...f });
  const lines = [
    tallyRow(1795340400, '10.0.0.1', { rx_bytes: 1000, tx_bytes: 300, in_bytes: 700, out_bytes: 200, internal_bytes: 400 }),
    tallyRow(1795340460, '10.0.0.1', { rx_bytes: 100, tx_bytes: 0, in_bytes: 0, martian_bytes: 60, internal_bytes: 40 }),
    tallyRow(1795340400, '192.0.2.9', { rx_bytes: 5, tx_bytes: 5, in_bytes: 5, out_bytes: 5 }),
    JSON.stringify({ type: 'tally', start: 1795340400, end: 1795340460, by: 'host', other: true, evicted: 0, pkts: 1, bytes: 50, rx_bytes: 50, in_bytes: 50 }),
    JSON.stringify({ type: 'tally', start: 1795340400, end: 1795340460, by: 'host', total: true, keys: 3, pkts: 3, bytes: 1360, in_bytes: 750, out_bytes: 200, internal_bytes: 400 }),
    JSON.stringify({ type: 'tally', start: 1795340400, end: 1795340460, by: 'port', key: '80', pkts: 1, bytes: 1 }),
    '2026-11-22 09:40:10 ALERT ARP wrongnet smac=e6:eb:8b:70:75:21,arp_sip=10.20.5.4',
    '[2026-11-22 09:40:20] HOST silent: 10.0.0.7 has sent nothing for 60 s',
    JSON.stringify({ type: 'alert', ts: 1795340430.5, family: 'TCP', kind: 'synflood', dst: '10.0.0.1', msg: 'SYN flood' }),
    '2026-11-22 09:40:00 STAT arp=3 arp_wrongnet=1',
    JSON.stringify({ type: 'stat', ts: 1795340460, start: 1795340400, end: 1795340460, every: 60, arp: 2, arp_wrongnet: 0 }),
    'a comment line that is left out',
  ];
  const reports = ok('trk-threshold', ['--read', LAN_CAPTURE, '-C', '-a', '5', '-r', '5', '-L', '10.10.1.0/24']).toString().split('\n').filter((l) => l.includes('"type":"report"'));
  assert.equal(reports.length, 1);
  const r = runBin('trk-report', ['--net', '10.0.0.0/8', '--csv', path.join(tmp, 'forms.csv')], [...lines, ...reports].join('\n') + '\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const data = trkData(r.stdout);
  // 10.0.0.1 summed over its two intervals, then split: the martian bytes from the received side
  assert.deepEqual(data.bars[0], { addr: '10.0.0.1', 'rx-ext': 700, 'tx-ext': 200, 'rx-int': 340, 'tx-int': 100, martian: 60, total: 1400 });
  // 192.0.2.9 is not local: left out; trk-tally's own other row becomes the others bar
  assert.deepEqual(data.bars.map((b: any) => b.addr), ['10.0.0.1', 'others']);
  assert.equal(data.bars[1]['rx-ext'], 50);
  // the series from the totals row, in the records' 60 s steps
  assert.equal(data.series.step, 60);
  assert.equal(data.series.in[0] * 60, 750);
  const alerts = data.alerts.flatMap((g: any) => g.alerts.map((a: any) => `${a.family} ${a.kind}`));
  assert.deepEqual(alerts.sort(), ['ARP wrongnet', 'HOST silent', 'TCP synflood']);
  assert.equal(data.stats.length, 2);
  assert.match(r.stdout, /<tr data-key="arp"><th scope="row">arp<\/th><td data-value="5">/);
  assert.equal(data.reports.length, 1);
  assert.equal(data.reports[0].net, '10.10.1.0/24');
  assert.match(r.stdout, /<table id="reports">/);
  const csv = fs.readFileSync(path.join(tmp, 'forms.csv'), 'utf8').split('\r\n');
  assert.equal(csv[1], '10.0.0.1,700,200,340,100,60,900,440,1400');
  assert.equal(csv[2], 'others,50,0,0,0,0,50,0,50');
});

test('rows without a direction are said to be so, on the page and on standard error', () => {
  const row = JSON.stringify({ type: 'tally', start: 1795340400, end: 1795340460, by: 'host', key: '10.0.0.1', pkts: 2, bytes: 300, rx_bytes: 100, tx_bytes: 200 });
  const r = runBin('trk-report', [], row + '\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^trk-report: 1 address\(es\) had no direction in the tally records: give trk-tally --net CIDR/);
  assert.match(r.stdout, /<p class="note">1 address had no direction/);
  assert.deepEqual(trkData(r.stdout).bars[0], { addr: '10.0.0.1', 'rx-ext': 0, 'tx-ext': 0, 'rx-int': 100, 'tx-int': 200, martian: 0, total: 300 });
  assert.equal(runBin('trk-report', ['-q'], row + '\n').stderr, '', '-q: no notes');
  // pkt records without a dir field and without --net: the same
  if (lanSkip) return;
  const records = ok('trk-capture', ['-r', LAN_CAPTURE]);
  const p = runBin('trk-report', [], records);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stderr, 'trk-report: pkt records without --net: every address has a bar, remote ones too, split only as far as the records say their direction; give --net CIDR\n');
  // with --net, or annotated by trk-classify, they are split, as from the capture itself
  const direct = trkData(ok('trk-report', ['-r', LAN_CAPTURE, ...NETS]).toString()).bars;
  assert.deepEqual(trkData(ok('trk-report', NETS, records).toString()).bars, direct);
  assert.deepEqual(trkData(ok('trk-report', [], ok('trk-classify', ['-r', LAN_CAPTURE, ...NETS])).toString()).bars.filter((b: any) => direct.some((d: any) => d.addr === b.addr)), direct);
});

test('bounds: a flood of alerts lists the first 500 of each kind; a long period keeps few buckets', () => {
  const alerts: string[] = [];
  for (let i = 0; i < 3000; i++) alerts.push(JSON.stringify({ type: 'alert', ts: 1795340400 + i, family: 'ARP', kind: 'wrongnet', spa: `10.20.${i >> 8}.${i & 255}` }));
  // 200 days of hourly totals
  for (let h = 0; h < 24 * 200; h++) alerts.push(JSON.stringify({ type: 'tally', start: 1795340400 + h * 3600, end: 1795344000 + h * 3600, by: 'host', total: true, keys: 1, pkts: 1, bytes: 3600, in_bytes: 3600 }));
  const r = runBin('trk-report', [], alerts.join('\n') + '\n');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.length < 1_000_000, `${r.stdout.length} bytes`);
  const data = trkData(r.stdout);
  assert.equal(data.alerts[0].count, 3000);
  assert.equal(data.alerts[0].alerts.length, 500);
  assert.match(r.stdout, /ARP wrongnet: 3000 \(the first 500 listed and marked\)/);
  assert.equal(tags(r.stdout, 'line').filter((l) => l.class === 'alert-marker').length, 500);
  assert.match(r.stdout, /<h2>Alerts \(3000\)<\/h2>/);
  // 200 days: a day a point, 1 byte/s each
  assert.equal(data.series.step, 86400);
  assert.ok(data.series.in.length >= 200 && data.series.in.length <= 202, `${data.series.in.length} points`);
  assert.ok(data.series.in.slice(1, -1).every((x: number) => x === 1), 'hourly totals averaged over the day');
});

test('a capture over days is counted in coarser buckets past the bound, and nothing is lost', async () => {
  const file = path.join(tmp, 'days.pcap');
  const out = fs.createWriteStream(file);
  const writer = new PcapWriter(out, { linktype: 1 });
  const frame = udpTemplateFrame();
  frame.writeUInt32BE(0xc6336401, 26); // 198.51.100.1
  frame.writeUInt32BE(0x0a000001, 30); // 10.0.0.1
  const seconds = 150_000; // past MAX_BUCKETS at one a second
  for (let i = 0; i < seconds; i++) if (!writer.write(1_790_000_000 + i, 0, frame)) await writer.drain();
  await writer.end();
  const r = runBin('trk-report', ['-r', file, '--net', '10.0.0.0/8']);
  assert.equal(r.code, 0, r.stderr);
  const data = trkData(r.stdout);
  assert.equal(data.bars[0]['rx-ext'], seconds * 64);
  assert.equal(data.series.step, 600);
  const sum = data.series.in.reduce((a: number, b: number) => a + b, 0) * data.series.step;
  assert.ok(Math.abs(sum - seconds * 64) < 1, `${sum}`);
  // 64 bytes a second, every full step
  assert.ok(data.series.in.slice(1, -1).every((x: number) => x === 64));
});

test('a page that cannot be written is a runtime error (exit 1); a page is written whole or not at all', () => {
  const row = JSON.stringify({ type: 'tally', start: 1795340400, end: 1795340460, by: 'host', key: '10.0.0.1', pkts: 1, bytes: 100, rx_bytes: 100, in_bytes: 100 }) + '\n';
  const nowhere = path.join(tmp, 'no-such-dir', 'page.html');
  const r = runBin('trk-report', ['-o', nowhere], row);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `trk-report: cannot write ${nowhere}: no such file or directory\n`);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  const page = path.join(tmp, 'whole.html');
  fs.writeFileSync(page, 'the old page');
  assert.equal(runBin('trk-report', ['-o', page], row).code, 0);
  assert.match(fs.readFileSync(page, 'utf8'), /^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('.tmp')), [], 'no temporary file left');
});
