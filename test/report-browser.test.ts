/**
 * trk-report's page in a real browser (Debian's chromium, headless, through
 * playwright-core): the DOM contract of issue 8, read back from what chromium
 * rendered. The checks are first proved on a page written by hand to the
 * contract, and on copies of it that each break one clause; then they are
 * run on the report of the LAN incident capture, compared with what
 * trk-tally, trk-capture and trk-classify say of the same capture, and on a
 * report of 50 000 local addresses (size and render time).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, LAN_CAPTURE, noCorpus, REPO_ROOT } from './helpers/paths.js';
import { ARTIFACT_DIR, bounded, browserUnavailable, closeBrowser, withPage } from './helpers/browser.js';
import {
  PARTS,
  checkAddressGraph,
  checkAddressTable,
  checkAlertsTable,
  checkBilling,
  checkContract,
  checkSelfContained,
  checkSorting,
  checkTimeGraph,
  checkTooltip,
  checkTopN,
  colourOf,
  isSorted,
  readReport,
  segmentText,
  type ReportDom,
  type Row,
} from './helpers/report-dom.js';
import { FIXTURE, fixtureHtml, type Breakage } from './helpers/report-fixture.js';
import { MANY_NET, generateManyHosts, manyLengths } from './helpers/many-hosts.js';

const ENV = { ...process.env, TZ: 'UTC' };
const LAN_NETS = ['--net', '10.10.1.0/24', '--net', '2001:db8:10::/64'];
const noBrowser = browserUnavailable();
const REPORT_SOURCE = path.join(REPO_ROOT, 'src', 'cli', 'report.ts');
const noReport = fs.existsSync(REPORT_SOURCE) ? false : `the generator is not built yet (no ${path.relative(REPO_ROOT, REPORT_SOURCE)})`;
const noLan = noCorpus || (fs.existsSync(LAN_CAPTURE) ? false : `${LAN_CAPTURE} is missing`);

let tmp = '';
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-report-browser-'));
});
after(async () => {
  await closeBrowser();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** trk-tally's host rows for the whole input (--every 0), local addresses only. */
function tallyHosts(args: string[]): Record<string, number | string | boolean>[] {
  return run('trk-tally', [...args, '--by', 'host', '--every', '0'])
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, number | string | boolean>)
    .filter((r) => r.type === 'tally' && typeof r.key === 'string' && r.key !== 'other');
}

function run(bin: string, args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [BIN(bin), ...args], { env: ENV, input, maxBuffer: 1 << 30, timeout: 120_000 });
  assert.equal(r.status, 0, `${bin} ${args.join(' ')}: ${r.stderr?.toString()}`);
  return r.stdout.toString('utf8');
}

const row = (addr: string, v: [number, number, number, number]): Row => ({
  addr,
  cells: {
    'rx-ext': { bytes: v[0], text: '' },
    'tx-ext': { bytes: v[1], text: '' },
    'rx-int': { bytes: v[2], text: '' },
    'tx-int': { bytes: v[3], text: '' },
    total: { bytes: v[0] + v[1] + v[2] + v[3], text: '' },
  },
});

describe('the checkers themselves', () => {
  test('segment texts are exact and grouped in thousands', () => {
    assert.equal(segmentText('10.10.1.20', 'rx-ext', 2_057_690), '10.10.1.20 received from outside: 2,057,690 bytes');
    assert.equal(segmentText('2001:db8:10::1', 'tx-int', 0), '2001:db8:10::1 sent to internal: 0 bytes');
  });

  test("iptrk's colours are told apart", () => {
    assert.equal(colourOf('rgb(214, 39, 40)'), 'red');
    assert.equal(colourOf('rgb(31, 119, 180)'), 'blue');
    assert.equal(colourOf('rgb(153, 153, 153)'), 'grey');
    assert.equal(colourOf('rgb(44, 160, 44)'), 'green');
    assert.equal(colourOf('rgb(255, 165, 0)'), 'other');
    assert.equal(colourOf('none'), 'other');
  });

  test('sort order: others last, ties allowed, a wrong order caught', () => {
    const rows = [row('a', [5, 0, 0, 0]), row('b', [5, 1, 0, 0]), row('c', [1, 9, 0, 0]), row('others', [99, 0, 0, 0])];
    assert.equal(isSorted(rows, 'rx-ext', true), true);
    assert.equal(isSorted(rows, 'tx-ext', false), true);
    assert.equal(isSorted(rows, 'total', true), false);
  });

  test('the table check catches a total that is not the sum and rows out of the bars order', () => {
    const bar = (addr: string, v: number[]) => ({ addr, top: 0, segs: PARTS.map((part, i) => ({ part, bytes: v[i]!, width: 0, height: 10, title: null, tabindex: '0', fill: '' })) });
    const dom = {
      addressGraph: { present: true, role: 'img', label: 'x', bars: [bar('b', [1, 1, 1, 1]), bar('a', [9, 0, 0, 0])] },
      addressTable: { present: true, rows: [row('a', [9, 0, 0, 0]), row('b', [1, 1, 1, 1])] },
    } as unknown as ReportDom;
    assert.match(checkAddressTable(dom).join('\n'), /not in the bars' order/);
    dom.addressTable.rows[0]!.cells.total!.bytes = 10;
    assert.match(checkAddressTable(dom).join('\n'), /total 10 is not the sum of its parts, 9/);
  });
});

describe('the checks on a page written by hand to the contract', { skip: noBrowser, timeout: 180_000 }, () => {
  const page = (name: string, breakage?: Breakage): string => {
    const file = path.join(tmp, `${name}.html`);
    fs.writeFileSync(file, fixtureHtml(FIXTURE, breakage));
    return file;
  };

  test('the contract page passes every check', async () => {
    await withPage(page('fixture'), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(checkContract(dom, p.requests), []);
      const all = FIXTURE.hosts.reduce((n, h) => n + PARTS.reduce((m, part) => m + h[part], 0), 0);
      assert.deepEqual(checkTopN(dom, FIXTURE.top, FIXTURE.hosts.length, all), []);
      assert.equal(dom.addressGraph.bars.at(-1)?.addr, 'others');
      assert.equal(dom.alerts.rows.length, FIXTURE.alerts.length);
      assert.deepEqual(await checkTooltip(p.page, dom), []);
      assert.deepEqual(await checkSorting(p.page), []);
      assert.deepEqual(p.problems(), []);
      const shot = await p.screenshot('report-fixture');
      assert.ok(fs.readFileSync(shot).subarray(1, 4).toString() === 'PNG');
    });
  });

  // each broken copy must fail the check that guards its clause
  const cases: [Breakage, RegExp, (p: Parameters<Parameters<typeof withPage>[1]>[0], dom: ReportDom) => Promise<string[]> | string[]][] = [
    ['proportions', /px wide for \d+ bytes/, (_, dom) => checkAddressGraph(dom)],
    ['segment-order', /segments tx-ext,rx-ext,rx-int,tx-int/, (_, dom) => checkAddressGraph(dom)],
    ['title', /title ".* kB"/, (_, dom) => checkAddressGraph(dom)],
    ['colours', /rx-ext: fill .* is blue, not red/, (_, dom) => checkAddressGraph(dom)],
    ['tooltip', /hovering .*: tooltip shown: ".* kB"/, (p, dom) => checkTooltip(p.page, dom, 1)],
    ['sort-graph', /not in the bars' order/, (p) => checkSorting(p.page)],
    ['external', /refers outside the page: <link href="https:\/\/cdn/, (p, dom) => checkSelfContained(dom, p.requests)],
    ['console-error', /console error: fixture: broken on purpose/, (p) => p.problems()],
    ['alert-link', /is not the step it fell in/, (_, dom) => checkAlertsTable(dom)],
  ];
  for (const [breakage, expected, check] of cases) {
    test(`a page with broken ${breakage} fails its check`, async () => {
      await withPage(page(breakage, breakage), async (p) => {
        const dom = await readReport(p.page);
        const problems = await check(p, dom);
        assert.match(problems.join('\n'), expected);
      });
    });
  }
  test('the external stylesheet is also seen as a request, and refused', async () => {
    await withPage(page('external-request', 'external'), async (p) => {
      assert.deepEqual(p.requests, ['https://cdn.example.net/report.css']);
    });
  });
});

/**
 * The report of the LAN incident capture, made once, as an operator makes it
 * with its alerts: trk-classify's annotated packets and ALERT lines piped in
 * (trk-report -r CAPTURE tallies the packets but does not watch ARP/ND).
 */
let lanReport: string | undefined;
function lanReportFile(): string {
  if (lanReport === undefined) {
    lanReport = path.join(tmp, 'lan-report.html');
    run('trk-report', [...LAN_NETS, '-o', lanReport], run('trk-classify', ['-r', LAN_CAPTURE, ...LAN_NETS]));
  }
  return lanReport;
}

describe("the report of the LAN incident capture, in chromium", { skip: noBrowser || noLan || noReport, timeout: 300_000 }, () => {
  test('no console error or warning, nothing fetched, the contract kept; a screenshot saved', async () => {
    await withPage(lanReportFile(), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(checkContract(dom, p.requests), []);
      assert.deepEqual(p.problems(), []);
      const shot = await p.screenshot('report-lan', true);
      assert.ok(fs.statSync(shot).size > 10_000, `${shot} is a real picture`);
    });
  });

  test("a bar per local address, with trk-tally's numbers for the same capture", async () => {
    const tally = tallyHosts(['-r', LAN_CAPTURE, ...LAN_NETS]);
    assert.ok(tally.length >= 4, 'the capture has local hosts');
    await withPage(lanReportFile(), async (p) => {
      const dom = await readReport(p.page);
      const bars = new Map(dom.addressGraph.bars.map((b) => [b.addr, b]));
      assert.deepEqual([...bars.keys()].sort(), tally.map((r) => r.key as string).sort(), 'one bar per local address');
      for (const r of tally) {
        const seg = Object.fromEntries(bars.get(r.key as string)!.segs.map((s) => [s.part, s.bytes])) as Record<string, number>;
        const n = (k: string): number => (r[k] as number | undefined) ?? 0;
        assert.equal(seg['rx-ext'], n('in_bytes'), `${r.key} received from outside`);
        assert.equal(seg['tx-ext'], n('out_bytes'), `${r.key} sent to outside`);
        assert.equal(seg['rx-int']! + seg['tx-int']!, n('internal_bytes'), `${r.key} internal`);
        if (n('martian_bytes') === 0) {
          assert.equal(seg['rx-ext']! + seg['rx-int']!, n('rx_bytes'), `${r.key} received`);
          assert.equal(seg['tx-ext']! + seg['tx-int']!, n('tx_bytes'), `${r.key} sent`);
        }
      }
      // the four segments in proportion, within a pixel; iptrk's colours
      assert.deepEqual(checkAddressGraph(dom), []);
      assert.deepEqual(checkAddressTable(dom), []);
      assert.deepEqual(checkBilling(dom), []);
    });
  });

  test('hovering or focusing a segment shows its exact value; a header click sorts table and graph', async () => {
    await withPage(lanReportFile(), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(await checkTooltip(p.page, dom, 8), []);
      assert.deepEqual(await checkSorting(p.page), []);
      assert.deepEqual(p.problems(), []);
    });
  });

  test('the time graph spans the capture: first and last packet as trk-capture reads them', async () => {
    let first = Infinity;
    let last = -Infinity;
    for (const line of run('trk-capture', ['-r', LAN_CAPTURE]).split('\n')) {
      if (!line.startsWith('{')) continue;
      const ts = (JSON.parse(line) as { ts: number }).ts;
      first = Math.min(first, ts);
      last = Math.max(last, ts);
    }
    await withPage(lanReportFile(), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(checkTimeGraph(dom), []);
      const t = dom.timeGraph;
      assert.ok(t.start <= first && first < t.start + t.step, `data-start ${t.start} is the step of the first packet, ${first}`);
      assert.ok(t.end >= last && last >= t.end - t.step, `data-end ${t.end} is the end of the step of the last packet, ${last}`);
    });
  });

  test("the alerts table lists trk-classify's alerts for the same capture, each linked to its time", async () => {
    const classified = run('trk-classify', ['-r', LAN_CAPTURE, ...LAN_NETS, '--alerts-only', '--json'])
      .split('\n')
      .filter((l) => l.startsWith('{"type":"alert"'))
      .map((l) => JSON.parse(l) as { ts: number; family: string; kind: string });
    assert.ok(classified.length >= 10, 'the capture has its incidents');
    await withPage(lanReportFile(), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(checkAlertsTable(dom), []);
      const key = (a: { ts: number; family: string | null; kind: string | null }): string => `${Math.floor(a.ts)} ${a.family} ${a.kind}`;
      assert.deepEqual(dom.alerts.rows.map(key).sort(), classified.map(key).sort());
      // a link lands on the time graph
      const first = dom.alerts.rows[0]!;
      await p.page.locator(`#alerts a[href="${first.href}"]`).first().click({ timeout: 3000 });
      assert.equal(new URL(p.page.url()).hash, first.href);
      assert.equal(await p.page.evaluate((id) => document.querySelector(':target')?.id ?? null, first.href!.slice(1)), first.href!.slice(1));
    });
  });
});

interface Series {
  start: number;
  end: number;
  step: number;
  in: number[];
  out: number[];
  internal: number[];
  martian: number[];
}
/** Bytes under each series of the time graph's data: the sum of bytes/s times the step. */
function seriesBytes(data: unknown): Record<'in' | 'out' | 'internal' | 'martian', number> {
  const s = (data as { series: Series }).series;
  const sum = (v: number[]): number => Math.round(v.reduce((n, x) => n + x, 0) * s.step);
  return { in: sum(s.in), out: sum(s.out), internal: sum(s.internal), martian: sum(s.martian) };
}

describe('the LAN report with options, in chromium', { skip: noBrowser || noLan || noReport, timeout: 300_000 }, () => {
  const make = (name: string, args: string[]): string => {
    const file = path.join(tmp, `${name}.html`);
    run('trk-report', [...LAN_NETS, ...args, '-o', file], run('trk-classify', ['-r', LAN_CAPTURE, ...LAN_NETS]));
    return file;
  };

  test('--top 3: three bars and an others bar that sums the other addresses', async () => {
    const tally = tallyHosts(['-r', LAN_CAPTURE, ...LAN_NETS]);
    const all = tally.reduce((n, r) => n + (r.bytes as number), 0);
    await withPage(make('lan-top3', ['--top', '3']), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(checkTopN(dom, 3, tally.length, all), []);
      assert.deepEqual(checkAddressGraph(dom), []);
      assert.deepEqual(checkAddressTable(dom), []);
      assert.deepEqual(await checkSorting(p.page), []);
      assert.deepEqual(p.problems(), []);
    });
  });

  test('--rate-out/--rate-in: a charge per address, external and internal GB at their rates', async () => {
    // rates per GB high enough that a few MB cost more than a cent
    await withPage(make('lan-rates', ['--rate-out', '1000', '--rate-in', '100', '--currency', 'EUR']), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(checkBilling(dom, true), []);
      assert.ok(dom.billing.rows.some((r) => r.amount >= 1), 'some address is charged');
      for (const r of dom.billing.rows) {
        const want = (r.ext / 1e9) * 1000 + (r.int / 1e9) * 100;
        assert.ok(Math.abs(r.amount - want) < 0.005 + 1e-9, `${r.addr}: charge ${r.amount} (data-amount), ${want} by the rates`);
        assert.match(r.charge ?? '', /\d/, `${r.addr}: the charge is shown`);
      }
      assert.deepEqual(p.problems(), []);
    });
  });

  test("the time graph's numbers are trk-tally's by direction; --addr draws one address", async () => {
    const totals = run('trk-tally', ['-r', LAN_CAPTURE, ...LAN_NETS, '--by', 'host', '--every', '0'])
      .split('\n')
      .filter((l) => l.includes('"total":true'))
      .map((l) => JSON.parse(l) as Record<string, number>)[0]!;
    await withPage(lanReportFile(), async (p) => {
      const dom = await readReport(p.page);
      const got = seriesBytes(dom.data);
      assert.deepEqual(got, { in: totals.in_bytes ?? 0, out: totals.out_bytes ?? 0, internal: totals.internal_bytes ?? 0, martian: totals.martian_bytes ?? 0 });
    });
    const host = tallyHosts(['-r', LAN_CAPTURE, ...LAN_NETS]).find((r) => r.key === '10.10.1.99')!;
    await withPage(make('lan-addr', ['--addr', '10.10.1.99']), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(checkTimeGraph(dom), []);
      const got = seriesBytes(dom.data);
      assert.equal(got.in + got.out + got.internal + got.martian, host.bytes, "10.10.1.99's bytes over time add up to its total");
      assert.deepEqual(p.problems(), []);
    });
  });

  test('--svg: the standalone graphs open on their own, with the same bars as the page', async () => {
    const dir = path.join(tmp, 'svg');
    const page = make('lan-svg', ['--svg', dir]);
    const pageDom = await withPage(page, (p) => readReport(p.page));
    await withPage(path.join(dir, 'address-graph.svg'), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(dom.externalRefs, []);
      assert.deepEqual(p.requests, []);
      assert.deepEqual(checkAddressGraph(dom), []);
      const bars = (d: ReportDom) => d.addressGraph.bars.map((b) => [b.addr, b.segs.map((x) => x.bytes)]);
      assert.deepEqual(bars(dom), bars(pageDom));
      assert.deepEqual(p.problems(), []);
      await p.screenshot('report-lan-address-graph');
    });
    await withPage(path.join(dir, 'time-graph.svg'), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(dom.externalRefs, []);
      assert.deepEqual(p.requests, []);
      assert.equal(dom.timeGraph.present, true);
      assert.deepEqual(dom.timeGraph.series.map((x) => x.part).sort(), ['in', 'internal', 'martian', 'out']);
      assert.deepEqual(dom.timeGraph.markers, pageDom.timeGraph.markers);
      assert.deepEqual(p.problems(), []);
      await p.screenshot('report-lan-time-graph');
    });
  });

  test('--from/--to: the time graph and the alerts keep to the range', async () => {
    const from = 1_795_340_530;
    const to = 1_795_340_540;
    await withPage(make('lan-range', ['--from', String(from), '--to', String(to)]), async (p) => {
      const dom = await readReport(p.page);
      assert.deepEqual(checkTimeGraph(dom), []);
      assert.deepEqual(checkAlertsTable(dom), []);
      assert.ok(dom.timeGraph.start >= from && dom.timeGraph.end <= to, `the graph spans ${dom.timeGraph.start}..${dom.timeGraph.end}`);
      assert.ok(dom.alerts.rows.length > 0, 'the incident at 09:42:11..14 is in the range');
      for (const a of dom.alerts.rows) assert.ok(a.ts >= from && a.ts < to, `alert at ${a.ts} is in the range`);
      assert.deepEqual(p.problems(), []);
    });
  });
});

describe('50 000 local addresses', { skip: noBrowser || noReport, timeout: 300_000 }, () => {
  const COUNT = 50_000;
  test('top 50 plus others, under 5 MB, rendered in under 2 s', { timeout: 300_000 }, async () => {
    const capture = path.join(tmp, 'many.pcap');
    await generateManyHosts(capture, COUNT);
    const file = path.join(tmp, 'many-report.html');
    run('trk-report', ['-r', capture, '--net', MANY_NET, '-o', file]);
    const size = fs.statSync(file).size;
    assert.ok(size < 5_000_000, `the page is ${size} bytes`);
    // every address's bytes: its two packets, the one it sends also counted for the server that receives it
    let all = 0;
    for (let i = 0; i < COUNT; i++) {
      const [rx, tx] = manyLengths(i);
      all += rx + 2 * tx;
    }
    const tally = tallyHosts(['-r', capture, '--net', MANY_NET]);
    assert.equal(tally.length, COUNT + 1);
    assert.equal(tally.reduce((n, r) => n + (r.bytes as number), 0), all, 'trk-tally agrees with the capture');
    const top50 = tally.map((r) => r.bytes as number).sort((a, b) => b - a).slice(0, 50);
    await withPage(file, async (p) => {
      // from navigation start to the first frame painted after load
      const ms = await bounded(
        'the first frame',
        p.page.evaluate(() => new Promise<number>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))))),
      );
      assert.ok(ms < 2000, `rendered in ${Math.round(ms)} ms`);
      const dom = await readReport(p.page);
      assert.deepEqual(checkTopN(dom, 50, COUNT + 1, all), []);
      assert.equal(dom.addressTable.rows[0]?.addr, '10.0.0.1', 'the server everyone sends to is first');
      const shown = dom.addressTable.rows.filter((r) => r.addr !== 'others').map((r) => r.cells.total?.bytes);
      assert.deepEqual(shown, top50, "the top 50 are trk-tally's top 50");
      assert.deepEqual(checkAddressGraph(dom), []);
      assert.deepEqual(checkAddressTable(dom), []);
      assert.deepEqual(p.problems(), []);
      await p.screenshot('report-50000');
      fs.writeFileSync(path.join(ARTIFACT_DIR, 'report-50000.txt'), `${size} bytes, rendered in ${Math.round(ms)} ms\n`);
    });
  });
});
