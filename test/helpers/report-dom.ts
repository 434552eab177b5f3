/**
 * trk-report's page as the browser shows it, read back from the DOM, and the
 * checks of the DOM contract (issue 8) made on what was read. readReport()
 * runs in the page; the check* functions are pure and return the list of
 * what is wrong (empty: the page keeps the contract), so each can be shown
 * to fail on a page that breaks it.
 */
import type { Page } from 'playwright-core';
import { bounded } from './browser.js';

/** The four segments of an address bar, in their order. */
export const PARTS = ['rx-ext', 'tx-ext', 'rx-int', 'tx-int'] as const;
export type Part = (typeof PARTS)[number];
export const PART_WORDS: Record<Part, string> = {
  'rx-ext': 'received from outside',
  'tx-ext': 'sent to outside',
  'rx-int': 'received from internal',
  'tx-int': 'sent to internal',
};
/** iptrk's colours: the channel that must dominate each segment's fill. */
export const PART_COLOUR: Record<Part, 'red' | 'blue' | 'grey' | 'green'> = {
  'rx-ext': 'red',
  'tx-ext': 'blue',
  'rx-int': 'grey',
  'tx-int': 'green',
};
export const SERIES = ['in', 'out', 'internal', 'martian'] as const;
export const TABLE_CELLS = [...PARTS, 'total'] as const;

/** The exact text of a segment's title and tooltip: "10.10.1.20 received from outside: 2,057,690 bytes". */
export function segmentText(addr: string, part: Part, bytes: number): string {
  return `${addr} ${PART_WORDS[part]}: ${bytes.toLocaleString('en-US')} bytes`;
}

export interface Seg {
  part: string | null;
  bytes: number;
  /** on screen, CSS pixels */
  width: number;
  height: number;
  title: string | null;
  tabindex: string | null;
  /** computed fill, "rgb(r, g, b)" */
  fill: string;
}
export interface Bar {
  addr: string | null;
  /** top edge on screen: bars are drawn in their DOM order */
  top: number;
  segs: Seg[];
}
export interface Cell {
  bytes: number;
  text: string;
}
export interface Row {
  addr: string | null;
  cells: Record<string, Cell | null>;
}
export interface AlertRow {
  ts: number;
  family: string | null;
  kind: string | null;
  href: string | null;
}
export interface Marker {
  ts: number;
  family: string | null;
  kind: string | null;
  title: string | null;
}
export interface ReportDom {
  addressGraph: { present: boolean; role: string | null; label: string | null; bars: Bar[] };
  addressTable: { present: boolean; rows: Row[] };
  timeGraph: {
    present: boolean;
    start: number;
    end: number;
    step: number;
    series: { part: string | null; d: string | null }[];
    markers: Marker[];
    /** the EPOCH of every id="t-EPOCH" inside the time graph */
    anchors: number[];
  };
  billing: { present: boolean; rows: { addr: string | null; ext: number; int: number; charge: string | null; amount: number }[] };
  alerts: { present: boolean; rows: AlertRow[] };
  tooltip: { present: boolean; role: string | null };
  /** the parsed #trk-data, or the reason it could not be read */
  data: unknown;
  dataError: string | null;
  /** src/href values that are neither #fragment nor data: */
  externalRefs: string[];
  /** ids used more than once */
  duplicateIds: string[];
}

/** Reads the page (in the page: the function is serialised, so it uses nothing from here). */
export function readReport(page: Page): Promise<ReportDom> {
  return bounded('reading the page', readNow(page));
}

function readNow(page: Page): Promise<ReportDom> {
  return page.evaluate(() => {
    const num = (v: string | null): number => (v === null || v.trim() === '' ? NaN : Number(v));
    const q = (sel: string, root: ParentNode = document): Element[] => Array.from(root.querySelectorAll(sel));
    const graph = document.getElementById('address-graph');
    const labelIds = graph?.getAttribute('aria-labelledby') ?? null;
    const label =
      labelIds === null
        ? null
        : labelIds
            .split(/\s+/)
            .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
            .join(' ')
            .trim() || null;
    const bars = graph
      ? q('g.bar', graph).map((g) => ({
          addr: g.getAttribute('data-addr'),
          top: g.getBoundingClientRect().top,
          segs: q('rect.seg', g).map((r) => {
            const box = r.getBoundingClientRect();
            const title = Array.from(r.children).find((c) => c.localName === 'title');
            return {
              part: r.getAttribute('data-part'),
              bytes: num(r.getAttribute('data-bytes')),
              width: box.width,
              height: box.height,
              title: title?.textContent ?? null,
              tabindex: r.getAttribute('tabindex'),
              fill: getComputedStyle(r).fill,
            };
          }),
        }))
      : [];
    const cellsOf = (tr: Element, names: readonly string[]) => {
      const cells: Record<string, { bytes: number; text: string } | null> = {};
      for (const name of names) {
        const c = tr.querySelector(`.${name}`);
        cells[name] = c ? { bytes: num(c.getAttribute('data-bytes')), text: c.textContent?.trim() ?? '' } : null;
      }
      return cells;
    };
    const table = document.getElementById('address-table');
    const rows = table
      ? q('tr[data-addr]', table).map((tr) => ({
          addr: tr.getAttribute('data-addr'),
          cells: cellsOf(tr, ['rx-ext', 'tx-ext', 'rx-int', 'tx-int', 'total']),
        }))
      : [];
    const time = document.getElementById('time-graph');
    const billing = document.getElementById('billing');
    const alerts = document.getElementById('alerts');
    const tooltip = document.getElementById('tooltip');
    const script = document.getElementById('trk-data');
    let data: unknown = null;
    let dataError: string | null = null;
    if (script === null) dataError = 'no <script id="trk-data">';
    else if (script.getAttribute('type') !== 'application/json') dataError = `#trk-data has type ${script.getAttribute('type')}`;
    else {
      try {
        data = JSON.parse(script.textContent ?? '');
      } catch (e) {
        dataError = `#trk-data is not JSON: ${String(e)}`;
      }
    }
    const externalRefs: string[] = [];
    for (const el of q('*')) {
      for (const attr of ['src', 'href', 'xlink:href', 'srcset', 'action', 'poster', 'data']) {
        const v = el.getAttribute(attr);
        if (v === null || (attr === 'data' && el.localName !== 'object')) continue;
        if (!v.startsWith('#') && !v.startsWith('data:')) externalRefs.push(`<${el.localName} ${attr}="${v.slice(0, 80)}">`);
      }
    }
    for (const st of q('style')) {
      for (const m of (st.textContent ?? '').matchAll(/url\(\s*['"]?([^'")]*)/g)) {
        if (!m[1]!.startsWith('#') && !m[1]!.startsWith('data:')) externalRefs.push(`url(${m[1]!.slice(0, 80)}) in <style>`);
      }
      if (/@import/.test(st.textContent ?? '')) externalRefs.push('@import in <style>');
    }
    const seen = new Set<string>();
    const duplicateIds = new Set<string>();
    for (const el of q('[id]')) {
      if (seen.has(el.id)) duplicateIds.add(el.id);
      seen.add(el.id);
    }
    return {
      addressGraph: { present: graph !== null, role: graph?.getAttribute('role') ?? null, label, bars },
      addressTable: { present: table !== null, rows },
      timeGraph: {
        present: time !== null,
        start: num(time?.getAttribute('data-start') ?? null),
        end: num(time?.getAttribute('data-end') ?? null),
        step: num(time?.getAttribute('data-step') ?? null),
        series: time ? q('path.series', time).map((p) => ({ part: p.getAttribute('data-part'), d: p.getAttribute('d') })) : [],
        markers: time
          ? q('line.alert-marker', time).map((l) => ({
              ts: num(l.getAttribute('data-ts')),
              family: l.getAttribute('data-family'),
              kind: l.getAttribute('data-kind'),
              title: Array.from(l.children).find((c) => c.localName === 'title')?.textContent ?? null,
            }))
          : [],
        anchors: time ? q('[id^="t-"]', time).map((el) => num(el.id.slice(2))) : [],
      },
      billing: {
        present: billing !== null,
        rows: billing
          ? q('tr[data-addr]', billing).map((tr) => {
              const c = cellsOf(tr, ['ext-bytes', 'int-bytes', 'charge']);
              return {
                addr: tr.getAttribute('data-addr'),
                ext: c['ext-bytes']?.bytes ?? NaN,
                int: c['int-bytes']?.bytes ?? NaN,
                charge: c.charge?.text ?? null,
                amount: num(tr.querySelector('.charge')?.getAttribute('data-amount') ?? null),
              };
            })
          : [],
      },
      alerts: {
        present: alerts !== null,
        rows: alerts
          ? q('tr.alert', alerts).map((tr) => ({
              ts: num(tr.getAttribute('data-ts')),
              family: tr.getAttribute('data-family'),
              kind: tr.getAttribute('data-kind'),
              href: tr.querySelector('a[href^="#t-"]')?.getAttribute('href') ?? null,
            }))
          : [],
      },
      tooltip: { present: tooltip !== null && tooltip.localName === 'div', role: tooltip?.getAttribute('role') ?? null },
      data,
      dataError,
      externalRefs,
      duplicateIds: [...duplicateIds],
    };
  });
}

// ---- the checks: each returns what is wrong ----

/** One file, nothing fetched: no reference out of the page, no request made. */
export function checkSelfContained(dom: ReportDom, requests: readonly string[] = []): string[] {
  return [
    ...dom.externalRefs.map((r) => `refers outside the page: ${r}`),
    ...requests.map((u) => `the page requested ${u}`),
    ...dom.duplicateIds.map((id) => `id "${id}" is used more than once`),
    ...(dom.dataError === null ? [] : [dom.dataError]),
  ];
}

/** Which colour family an "rgb(r, g, b)" fill belongs to, by hue and saturation. */
export function colourOf(fill: string): 'red' | 'blue' | 'green' | 'grey' | 'other' {
  const m = /rgba?\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)/.exec(fill);
  if (!m) return 'other';
  const [r, g, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max - min < 40) return 'grey';
  const d = max - min;
  const hue = max === r ? (((g - b) / d) * 60 + 360) % 360 : max === g ? ((b - r) / d) * 60 + 120 : ((r - g) / d) * 60 + 240;
  if (hue >= 340 || hue <= 20) return 'red';
  if (hue >= 80 && hue <= 170) return 'green';
  if (hue >= 190 && hue <= 260) return 'blue';
  return 'other';
}

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * The address-domain graph: one bar per address, four segments in order,
 * exact titles, focusable, iptrk's colours, and every width proportional to
 * its bytes on one common scale, within `tolerance` pixels.
 */
export function checkAddressGraph(dom: ReportDom, tolerance = 1): string[] {
  const bad: string[] = [];
  const g = dom.addressGraph;
  if (!g.present) return ['no <svg id="address-graph">'];
  if (g.role !== 'img') bad.push(`#address-graph has role ${g.role}, not img`);
  if (g.label === null) bad.push('#address-graph has no aria-labelledby naming an element with text');
  if (g.bars.length === 0) bad.push('#address-graph has no g.bar');
  const addrs = new Set<string>();
  let bytes = 0;
  let width = 0;
  for (const bar of g.bars) {
    if (bar.addr === null || bar.addr === '') bad.push('a g.bar without data-addr');
    else if (addrs.has(bar.addr)) bad.push(`two bars for ${bar.addr}`);
    else addrs.add(bar.addr);
    const parts = bar.segs.map((s) => s.part).join(',');
    if (parts !== PARTS.join(',')) {
      bad.push(`bar ${bar.addr}: segments ${parts}, not ${PARTS.join(',')}`);
      continue;
    }
    for (const s of bar.segs) {
      const part = s.part as Part;
      if (!isCount(s.bytes)) bad.push(`bar ${bar.addr} ${part}: data-bytes is not a count`);
      const want = segmentText(bar.addr ?? '', part, s.bytes);
      if (s.title?.trim() !== want) bad.push(`bar ${bar.addr} ${part}: title "${s.title}", not "${want}"`);
      if (s.tabindex !== '0') bad.push(`bar ${bar.addr} ${part}: tabindex ${s.tabindex}, not 0`);
      const colour = colourOf(s.fill);
      if (s.bytes > 0 && colour !== PART_COLOUR[part]) bad.push(`bar ${bar.addr} ${part}: fill ${s.fill} is ${colour}, not ${PART_COLOUR[part]}`);
      bytes += s.bytes;
      width += s.width;
    }
  }
  if (bytes > 0 && width <= 0) bad.push('every segment has width 0');
  for (let i = 1; i < g.bars.length; i++) {
    if (!(g.bars[i]!.top > g.bars[i - 1]!.top)) bad.push(`bar ${g.bars[i]!.addr} is not drawn below bar ${g.bars[i - 1]!.addr}`);
  }
  if (bytes > 0 && width > 0) {
    // one common scale: the one that fits all the segments together
    const scale = width / bytes;
    for (const bar of g.bars) {
      if (bar.segs.length !== PARTS.length) continue;
      for (const s of bar.segs) {
        const want = s.bytes * scale;
        if (Math.abs(s.width - want) > tolerance) {
          bad.push(`bar ${bar.addr} ${s.part}: ${s.width.toFixed(2)} px wide for ${s.bytes} bytes, ${want.toFixed(2)} px on the common scale`);
        }
      }
    }
  }
  return bad;
}

/** Whether the rows (others aside) are in order of COLUMN. */
export function isSorted(rows: readonly Row[], column: string, descending: boolean): boolean {
  const values = rows.filter((r) => r.addr !== 'others').map((r) => r.cells[column]?.bytes ?? NaN);
  return values.every((v, i) => i === 0 || (descending ? values[i - 1]! >= v : values[i - 1]! <= v));
}

/**
 * The table beside the graph: a row per bar in the same order, the same
 * numbers, a total that is the sum, sorted by `order` (default: total,
 * descending), others last.
 */
export function checkAddressTable(dom: ReportDom, order: { column: string; descending: boolean } = { column: 'total', descending: true }): string[] {
  const bad: string[] = [];
  const t = dom.addressTable;
  if (!t.present) return ['no <table id="address-table">'];
  const rowAddrs = t.rows.map((r) => r.addr ?? '');
  const barAddrs = dom.addressGraph.bars.map((b) => b.addr ?? '');
  if (rowAddrs.join(' ') !== barAddrs.join(' ')) bad.push(`table rows [${rowAddrs.slice(0, 8).join(' ')}…] are not in the bars' order [${barAddrs.slice(0, 8).join(' ')}…]`);
  const bars = new Map(dom.addressGraph.bars.map((b) => [b.addr, b]));
  for (const row of t.rows) {
    let sum = 0;
    for (const name of TABLE_CELLS) {
      const c = row.cells[name];
      if (c === null || c === undefined) {
        bad.push(`row ${row.addr}: no .${name} cell`);
        continue;
      }
      if (!isCount(c.bytes)) bad.push(`row ${row.addr} .${name}: data-bytes is not a count`);
      if (c.text === '') bad.push(`row ${row.addr} .${name}: no text`);
      if (name === 'total') {
        if (c.bytes !== sum) bad.push(`row ${row.addr}: total ${c.bytes} is not the sum of its parts, ${sum}`);
        continue;
      }
      sum += c.bytes;
      const seg = bars.get(row.addr)?.segs.find((s) => s.part === name);
      if (seg !== undefined && seg.bytes !== c.bytes) bad.push(`row ${row.addr} .${name}: ${c.bytes} bytes, its bar segment says ${seg.bytes}`);
    }
  }
  const others = rowAddrs.indexOf('others');
  if (others !== -1 && others !== rowAddrs.length - 1) bad.push('the others row is not last');
  if (!isSorted(t.rows, order.column, order.descending)) bad.push(`rows are not sorted by ${order.column} ${order.descending ? 'descending' : 'ascending'}`);
  return bad;
}

/** At most `top` bars plus one others bar, which sums the rest (`allTotal`: bytes of every local address). */
export function checkTopN(dom: ReportDom, top: number, addresses: number, allTotal?: number): string[] {
  const bad: string[] = [];
  const addrs = dom.addressTable.rows.map((r) => r.addr);
  const named = addrs.filter((a) => a !== 'others').length;
  const want = Math.min(top, addresses);
  if (named !== want) bad.push(`${named} address rows, expected ${want} (top ${top} of ${addresses})`);
  const hasOthers = addrs.includes('others');
  if (addresses > top && !hasOthers) bad.push(`${addresses} addresses but no others row`);
  if (addresses <= top && hasOthers) bad.push('an others row with nothing left over');
  if (allTotal !== undefined) {
    const sum = dom.addressTable.rows.reduce((n, r) => n + (r.cells.total?.bytes ?? 0), 0);
    if (sum !== allTotal) bad.push(`the rows sum to ${sum} bytes, all local addresses to ${allTotal}`);
  }
  return bad;
}

/** The time graph: its span, its four series, a marker per alert, anchors on step starts. */
export function checkTimeGraph(dom: ReportDom): string[] {
  const bad: string[] = [];
  const t = dom.timeGraph;
  if (!t.present) return ['no <svg id="time-graph">'];
  if (!Number.isFinite(t.start) || !Number.isFinite(t.end) || !(t.end > t.start)) bad.push(`data-start ${t.start} / data-end ${t.end} is not a span`);
  if (!(t.step > 0)) bad.push(`data-step ${t.step} is not a positive number of seconds`);
  for (const part of SERIES) {
    const n = t.series.filter((s) => s.part === part).length;
    if (n !== 1) bad.push(`${n} path.series[data-part=${part}], expected 1`);
  }
  for (const s of t.series) {
    if (!SERIES.includes(s.part as (typeof SERIES)[number])) bad.push(`a series with data-part ${s.part}`);
    if (s.d === null || !/^\s*M/.test(s.d)) bad.push(`series ${s.part} has no path data`);
  }
  for (const m of t.markers) {
    if (!(m.ts >= t.start && m.ts <= t.end)) bad.push(`alert marker at ${m.ts} is outside the graph's span`);
    if (!m.family || !m.kind) bad.push(`alert marker at ${m.ts} without data-family/data-kind`);
    if (!m.title) bad.push(`alert marker at ${m.ts} without a title`);
  }
  for (const a of t.anchors) {
    if (!Number.isFinite(a) || (a - t.start) % t.step !== 0 || a < t.start || a > t.end) bad.push(`anchor t-${a} is not a step's start`);
  }
  if (t.anchors.length === 0) bad.push('no id="t-EPOCH" anchors in the time graph');
  return bad;
}

/**
 * The alerts table: a row per alert, grouped (each family/kind in one run of
 * rows), each linking to the step of the time graph it fell in; and a marker
 * on the time axis for each row.
 */
export function checkAlertsTable(dom: ReportDom): string[] {
  const bad: string[] = [];
  const a = dom.alerts;
  if (!a.present) return ['no <table id="alerts">'];
  const t = dom.timeGraph;
  const anchors = new Set(t.anchors);
  const groupsSeen = new Set<string>();
  let previous: string | undefined;
  for (const row of a.rows) {
    const group = `${row.family} ${row.kind}`;
    if (!row.family || !row.kind) bad.push(`alert row at ${row.ts} without data-family/data-kind`);
    if (group !== previous) {
      if (groupsSeen.has(group)) bad.push(`alerts ${group} are not grouped together`);
      groupsSeen.add(group);
      previous = group;
    }
    const m = /^#t-(\d+)$/.exec(row.href ?? '');
    if (!m) {
      bad.push(`alert row ${group} at ${row.ts}: link ${row.href}, not #t-EPOCH`);
      continue;
    }
    const at = Number(m[1]);
    if (!anchors.has(at)) bad.push(`alert row ${group} at ${row.ts}: link ${row.href} has no target in the time graph`);
    if (!(at <= row.ts && row.ts < at + t.step)) bad.push(`alert row ${group} at ${row.ts}: link ${row.href} is not the step it fell in`);
  }
  const key = (x: { ts: number; family: string | null; kind: string | null }): string => `${x.ts} ${x.family} ${x.kind}`;
  const rows = a.rows.map(key).sort();
  const markers = t.markers.map(key).sort();
  if (rows.join('\n') !== markers.join('\n')) bad.push(`${rows.length} alert rows but ${markers.length} markers, or at other times`);
  return bad;
}

/** Billing: a row per address of the address table, external and internal volumes that match it. */
export function checkBilling(dom: ReportDom, charges = false): string[] {
  const bad: string[] = [];
  const b = dom.billing;
  if (!b.present) return ['no <table id="billing">'];
  const rows = new Map(b.rows.map((r) => [r.addr, r]));
  for (const r of b.rows) {
    if (!isCount(r.ext) || !isCount(r.int)) bad.push(`billing ${r.addr}: ext-bytes/int-bytes are not counts`);
    if (charges && (r.charge === null || r.charge === '')) bad.push(`billing ${r.addr}: no charge`);
    if (!charges && r.charge !== null) bad.push(`billing ${r.addr}: a charge without rates`);
  }
  for (const row of dom.addressTable.rows) {
    if (row.addr === 'others') continue;
    const bill = rows.get(row.addr);
    if (bill === undefined) {
      bad.push(`no billing row for ${row.addr}`);
      continue;
    }
    const v = (p: string): number => row.cells[p]?.bytes ?? NaN;
    if (bill.ext !== v('rx-ext') + v('tx-ext')) bad.push(`billing ${row.addr}: ext-bytes ${bill.ext}, the graph says ${v('rx-ext') + v('tx-ext')}`);
    if (bill.int !== v('rx-int') + v('tx-int')) bad.push(`billing ${row.addr}: int-bytes ${bill.int}, the graph says ${v('rx-int') + v('tx-int')}`);
  }
  return bad;
}

/** Every static check of the contract at once. */
export function checkContract(dom: ReportDom, requests: readonly string[] = []): string[] {
  return [
    ...checkSelfContained(dom, requests),
    ...checkAddressGraph(dom),
    ...checkAddressTable(dom),
    ...checkTimeGraph(dom),
    ...checkAlertsTable(dom),
    ...checkBilling(dom),
    ...(dom.tooltip.present && dom.tooltip.role === 'tooltip' ? [] : ['no <div id="tooltip" role="tooltip">']),
  ];
}

// ---- the checks that act on the page ----

const segSelector = (addr: string, part: string): string => `#address-graph g.bar[data-addr="${addr}"] rect.seg[data-part="${part}"]`;

async function tooltipShows(page: Page, want: string, ms: number): Promise<string | null> {
  try {
    await page.waitForFunction(
      (w) => {
        const t = document.getElementById('tooltip');
        return t !== null && t.checkVisibility() && (t.textContent ?? '').trim() === w;
      },
      want,
      { timeout: ms },
    );
    return null;
  } catch {
    const now = await bounded('reading #tooltip', page.evaluate(() => {
      const t = document.getElementById('tooltip');
      return t === null ? 'no #tooltip' : `${t.checkVisibility() ? 'shown' : 'hidden'}: "${(t.textContent ?? '').trim()}"`;
    }));
    return now;
  }
}

/**
 * Hovering a segment, and focusing it, shows its exact value in #tooltip.
 * Tries up to `count` segments wide enough to point at, the widest first.
 */
export async function checkTooltip(page: Page, dom: ReportDom, count = 6, ms = 3000): Promise<string[]> {
  const bad: string[] = [];
  const candidates = dom.addressGraph.bars
    .flatMap((b) => b.segs.map((s) => ({ addr: b.addr ?? '', seg: s })))
    .filter((c) => c.seg.width >= 3 && c.seg.height >= 3 && PARTS.includes(c.seg.part as Part))
    .sort((a, b) => b.seg.width - a.seg.width);
  // the widest, then a spread of the rest, so small segments are pointed at too
  const picked = candidates.filter((_, i) => i === 0 || i % Math.max(1, Math.floor(candidates.length / count)) === 0).slice(0, count);
  if (picked.length === 0) return ['no segment wide enough to hover'];
  for (const { addr, seg } of picked) {
    const want = segmentText(addr, seg.part as Part, seg.bytes);
    const target = page.locator(segSelector(addr, seg.part!));
    await page.mouse.move(0, 0);
    await target.hover({ timeout: ms });
    const hovered = await tooltipShows(page, want, ms);
    if (hovered !== null) bad.push(`hovering ${addr} ${seg.part}: tooltip ${hovered}, not "${want}"`);
    await page.mouse.move(0, 0);
    await target.focus({ timeout: ms });
    const focused = await tooltipShows(page, want, ms);
    if (focused !== null) bad.push(`focusing ${addr} ${seg.part}: tooltip ${focused}, not "${want}"`);
    await target.blur({ timeout: ms });
  }
  return bad;
}

/** Clicks the header of COLUMN in #address-table. */
export async function clickHeader(page: Page, column: string, ms = 3000): Promise<void> {
  const handle = await bounded(`finding the ${column} header`, page.evaluateHandle((col) => {
    const table = document.getElementById('address-table') as HTMLTableElement | null;
    const row = table?.querySelector('tr[data-addr]') as HTMLTableRowElement | null;
    if (!table || !row) return null;
    const index = Array.from(row.cells).findIndex((c) => c.classList.contains(col));
    const head = table.tHead?.rows[table.tHead.rows.length - 1] ?? table.rows[0];
    return head?.cells[index] ?? null;
  }, column));
  const th = handle.asElement();
  if (th === null) throw new Error(`no header cell for the ${column} column of #address-table`);
  await th.click({ timeout: ms });
}

/**
 * Clicking a column header sorts the table and the graph together. Uses the
 * columns the table is not already in order of (so a click that does nothing
 * fails), then goes back to total.
 */
export async function checkSorting(page: Page, ms = 3000): Promise<string[]> {
  const bad: string[] = [];
  const before = await readReport(page);
  const columns = PARTS.filter((p) => !isSorted(before.addressTable.rows, p, true) && !isSorted(before.addressTable.rows, p, false));
  if (columns.length === 0) return ['no column to sort by that the table is not already sorted by'];
  for (const column of columns.slice(0, 2)) {
    await clickHeader(page, column, ms);
    const after = await readReport(page);
    const descending = isSorted(after.addressTable.rows, column, true);
    const problems = checkAddressTable(after, { column, descending }).concat(checkAddressGraph(after).filter((p) => / is not drawn below /.test(p)));
    bad.push(...problems.map((p) => `after sorting by ${column}: ${p}`));
  }
  await clickHeader(page, 'total', ms);
  let back = await readReport(page);
  if (!isSorted(back.addressTable.rows, 'total', true)) {
    // a second click on the same header reverses it
    await clickHeader(page, 'total', ms);
    back = await readReport(page);
  }
  bad.push(...checkAddressTable(back).map((p) => `after sorting by total again: ${p}`));
  return bad;
}
