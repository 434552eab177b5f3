/**
 * The report page: one self-contained HTML file (all CSS and script inline,
 * no URL but #fragments and data:), laid out as the DOM contract of man
 * trk-report(1) says, so browser tests and people read the same elements:
 *
 *   svg#address-graph   g.bar[data-addr] > rect.seg[data-part][data-bytes] > title
 *   div#tooltip         the hovered or focused segment's exact value
 *   table#address-table tr[data-addr] > td.rx-ext … td.total [data-bytes]; th click sorts table and graph
 *   svg#time-graph      path.series[data-part], line.alert-marker[data-ts], rect#t-EPOCH per step
 *   table#billing       tr[data-addr] > td.ext-bytes, td.int-bytes [data-bytes], td.charge
 *   table#alerts        tr.alert[data-ts][data-family][data-kind] > a[href="#t-EPOCH"]
 *   script#trk-data     the View the page was drawn from, as JSON
 */
import { localDateTime } from '../classify/events.js';
import { PART_LABEL, PARTS } from './model.js';
import { ADDR_LAYOUT, addressGraph, esc, grouped, humanBytes, timeGraph } from './svg.js';
import { stepStart, type View } from './view.js';

export interface PageOptions {
  /**
   * Served live (trk-collect --web): the page listens to this Server-Sent
   * Events URL and, on each event, fetches itself again and swaps the
   * changed parts in place. trk-report's file has no such script.
   */
  live?: { events: string };
}

export function reportPage(v: View, o: PageOptions = {}): string {
  const period = Number.isFinite(v.start) ? `${localDateTime(v.start)} to ${localDateTime(v.end)}` : 'no timed input';
  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(v.title)}</title>`,
    '<link rel="icon" href="data:,">',
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${esc(v.title)}</h1>`,
    `<p class="summary">${esc(period)} (local time) &middot; ${v.addresses} local address${v.addresses === 1 ? '' : 'es'} &middot; ${humanBytes(v.totals.total)} to and from them &middot; from ${v.source === 'capture' ? 'a capture, tallied by trk-report' : v.source === 'tally' ? 'trk-tally records' : 'no traffic records'}</p>`,
  );
  if (v.undirected) {
    out.push(`<p class="note">${v.undirected} address${v.undirected === 1 ? '' : 'es'} had no direction in the input (no --net, and records not from trk-classify): all their traffic shows as internal.</p>`);
  }
  if (v.inexact) {
    out.push(`<p class="note">${v.inexact} address${v.inexact === 1 ? '' : 'es'} had martian bytes that were not received (trk-classify --outside-mac): their internal split is not exact (man trk-report, THE FOUR SPLITS).</p>`);
  }

  // ---- address domain
  out.push('<section id="address-domain"><h2>Address domain</h2>', '<div class="side">', addressGraph(v, { standalone: false }));
  out.push('<table id="address-table"><caption>Bytes per local address (click a heading to sort)</caption><thead><tr>');
  out.push(`<th scope="col" data-sort="addr" aria-sort="${v.sort === 'addr' ? 'ascending' : 'none'}"><button type="button">address</button></th>`);
  for (const key of [...PARTS, 'total'] as const) {
    const label = key === 'total' ? 'total' : PART_LABEL[key];
    out.push(`<th scope="col" data-sort="${key}" aria-sort="${v.sort === key ? 'descending' : 'none'}"><button type="button">${label}</button></th>`);
  }
  out.push('</tr></thead><tbody>');
  for (const b of v.bars) {
    out.push(`<tr data-addr="${esc(b.addr)}"${b.addr === 'others' ? ' class="others"' : ''}><th scope="row">${esc(b.addr)}</th>`);
    for (const key of [...PARTS, 'total'] as const) out.push(`<td class="${key}" data-bytes="${b[key]}">${grouped(b[key])}</td>`);
    out.push('</tr>');
  }
  out.push('</tbody></table></div></section>');

  // ---- time domain
  out.push(`<section id="time-domain"><h2>Time domain: ${esc(v.series.subject === 'all' ? 'the whole network' : v.series.subject)}</h2>`, timeGraph(v, { standalone: false }), '</section>');

  // ---- billing
  const b = v.billing;
  const charged = b.rateIn !== undefined || b.rateOut !== undefined;
  out.push('<section id="billing-section"><h2>Billing</h2>');
  out.push(
    `<p>External traffic is to or from outside the local networks; internal, between local addresses.${charged ? ` Charges: ${esc(String(b.rateOut ?? 0))} ${esc(b.currency)} per GB external, ${esc(String(b.rateIn ?? 0))} ${esc(b.currency)} per GB internal (1 GB = 10^9 bytes).` : ''}${b.all ? '' : ` The table lists the top ${v.top} addresses and the others summed; the CSV (--csv) has every address.`}</p>`,
  );
  out.push(`<table id="billing"><thead><tr><th scope="col">address</th><th scope="col">external bytes</th><th scope="col">internal bytes</th>${charged ? `<th scope="col">charge (${esc(b.currency)})</th>` : ''}</tr></thead><tbody>`);
  const billingCells = (r: View['billing']['total']): string =>
    `<td class="ext-bytes" data-bytes="${r.ext}">${grouped(r.ext)}</td><td class="int-bytes" data-bytes="${r.int}">${grouped(r.int)}</td>` +
    (r.charge !== undefined ? `<td class="charge" data-amount="${r.charge.toFixed(2)}">${r.charge.toFixed(2)}</td>` : '');
  for (const r of b.rows) out.push(`<tr data-addr="${esc(r.addr)}"><th scope="row">${esc(r.addr)}</th>${billingCells(r)}</tr>`);
  out.push(`</tbody><tfoot><tr class="total"><th scope="row">total</th>${billingCells(b.total)}</tr></tfoot></table></section>`);

  // ---- alerts
  const count = v.alerts.reduce((s, g) => s + g.count, 0);
  out.push(`<section id="alerts-section"><h2>Alerts (${count})</h2>`);
  out.push('<table id="alerts"><thead><tr><th scope="col">time</th><th scope="col">type</th><th scope="col">kind</th><th scope="col">details</th></tr></thead>');
  if (count === 0) out.push('<tbody><tr class="none"><td colspan="4">no alerts in the period</td></tr></tbody>');
  for (const g of v.alerts) {
    out.push(`<tbody class="alert-group" data-family="${esc(g.family)}" data-kind="${esc(g.kind)}"><tr class="group"><th colspan="4" scope="rowgroup">${esc(g.family)} ${esc(g.kind)}: ${g.count}${g.count > g.alerts.length ? ` (the first ${g.alerts.length} listed and marked)` : ''}</th></tr>`);
    for (const a of g.alerts) {
      out.push(
        `<tr class="alert" data-ts="${a.ts}" data-family="${esc(a.family)}" data-kind="${esc(a.kind)}"><td><a href="#t-${stepStart(v, a.ts)}">${localDateTime(a.ts)}</a></td><td>${esc(a.family)}</td><td>${esc(a.kind)}</td><td class="details">${esc(a.details)}</td></tr>`,
      );
    }
    out.push('</tbody>');
  }
  out.push('</table></section>');

  // ---- STAT lines and ipband reports, when the input had them
  if (v.stats.length) {
    const sums = new Map<string, number>();
    for (const s of v.stats) for (const [k, n] of Object.entries(s.counters)) sums.set(k, (sums.get(k) ?? 0) + n);
    out.push(`<section id="stats-section"><h2>STAT counters (${v.stats.length === 1 ? '1 line' : `${v.stats.length} lines, summed`})</h2><table id="stats"><tbody>`);
    for (const [k, n] of sums) out.push(`<tr data-key="${esc(k)}"><th scope="row">${esc(k)}</th><td data-value="${n}">${grouped(n)}</td></tr>`);
    out.push('</tbody></table></section>');
  }
  if (v.reports.length) {
    out.push(`<section id="reports-section"><h2>Subnet reports (${v.reports.length})</h2><table id="reports"><tbody>`);
    for (const r of v.reports) out.push(`<tr data-ts="${r.ts}"><td><a href="#t-${stepStart(v, r.ts)}">${localDateTime(r.ts)}</a></td><td>${esc(r.net)}</td></tr>`);
    out.push('</tbody></table></section>');
  }

  out.push('<div id="tooltip" role="tooltip" hidden></div>');
  out.push(`<script id="trk-data" type="application/json">${jsonForScript(v)}</script>`);
  out.push(`<script>${SCRIPT}</script>`);
  if (o.live) out.push(`<script id="trk-live" type="application/json">${jsonForScript({ events: o.live.events })}</script>`, `<script>${LIVE_SCRIPT}</script>`);
  out.push('</body>', '</html>', '');
  return out.join('\n');
}

/** JSON that cannot end its <script> element early. */
export function jsonForScript(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}
h2{font-size:1.2em;margin:1.5em 0 .5em;border-bottom:1px solid #ccc}
.summary{color:#444}
.note{background:#fff4e0;padding:.4em}
.side{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
table{border-collapse:collapse;font-size:13px}
th,td{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}
th[scope=row],td.details{text-align:left;font-family:monospace}
thead th button{font:inherit;font-weight:bold;background:none;border:0;cursor:pointer;padding:0}
thead th[aria-sort=descending] button::after{content:" \\25BE"}
thead th[aria-sort=ascending] button::after{content:" \\25B4"}
tr.others{font-style:italic}
#alerts td:first-child{white-space:nowrap}
tr.group th{text-align:left;background:#f4f4f4}
.seg:focus{outline:2px solid #000}
.step:target{fill:#ff7f0e;fill-opacity:1}
#tooltip{position:fixed;background:#222;color:#fff;padding:3px 6px;border-radius:3px;font-size:12px;pointer-events:none;z-index:10}
`;

/** Sorting (table and graph together) and the tooltip; plain DOM, no library. */
const SCRIPT = `
(function () {
  'use strict';
  var graph = document.getElementById('address-graph');
  var table = document.getElementById('address-table');
  var tip = document.getElementById('tooltip');
  var ROW = ${ADDR_LAYOUT.row}, TOP = ${ADDR_LAYOUT.top};
  function bytes(tr, key) {
    if (key === 'addr') return tr.getAttribute('data-addr');
    var td = tr.querySelector('td.' + key);
    return td ? Number(td.getAttribute('data-bytes')) : 0;
  }
  function addrKey(a) {
    if (a.indexOf(':') < 0) return '4' + a.split('.').map(function (o) { return ('00' + o).slice(-3); }).join('');
    var halves = a.split('::'), h = halves[0] ? halves[0].split(':') : [], t = halves[1] ? halves[1].split(':') : [];
    var g = h.slice();
    if (halves.length > 1) { for (var i = h.length + t.length; i < 8; i++) g.push('0'); g = g.concat(t); }
    return '6' + g.map(function (x) { return ('000' + x).slice(-4); }).join('');
  }
  function sortBy(key) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var others = rows.filter(function (r) { return r.getAttribute('data-addr') === 'others'; });
    rows = rows.filter(function (r) { return r.getAttribute('data-addr') !== 'others'; });
    rows.sort(function (a, b) {
      var ka = addrKey(a.getAttribute('data-addr')), kb = addrKey(b.getAttribute('data-addr'));
      var byAddr = ka < kb ? -1 : ka > kb ? 1 : 0;
      if (key === 'addr') return byAddr;
      return (bytes(b, key) - bytes(a, key)) || byAddr;
    });
    rows = rows.concat(others);
    var bars = {};
    Array.prototype.forEach.call(graph.querySelectorAll('g.bar'), function (g) { bars[g.getAttribute('data-addr')] = g; });
    rows.forEach(function (r, i) {
      body.appendChild(r);
      var g = bars[r.getAttribute('data-addr')];
      if (g) { g.setAttribute('transform', 'translate(0,' + (TOP + i * ROW) + ')'); graph.appendChild(g); }
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.setAttribute('aria-sort', th.getAttribute('data-sort') === key ? (key === 'addr' ? 'ascending' : 'descending') : 'none');
    });
  }
  table.tHead.addEventListener('click', function (e) {
    var th = e.target.closest('th[data-sort]');
    if (th) sortBy(th.getAttribute('data-sort'));
  });
  function show(e) {
    var seg = e.target.closest ? e.target.closest('.seg') : null;
    if (!seg) return;
    var title = seg.querySelector('title');
    tip.textContent = title ? title.textContent : '';
    var r = seg.getBoundingClientRect();
    var x = e.clientX !== undefined && e.type === 'mouseover' ? e.clientX : r.left + r.width / 2;
    var y = e.clientY !== undefined && e.type === 'mouseover' ? e.clientY : r.top;
    tip.style.left = Math.round(x + 12) + 'px';
    tip.style.top = Math.round(y - 28) + 'px';
    tip.hidden = false;
  }
  function hide(e) {
    if (e.target.closest && e.target.closest('.seg')) tip.hidden = true;
  }
  graph.addEventListener('mouseover', show);
  graph.addEventListener('focusin', show);
  graph.addEventListener('mouseout', hide);
  graph.addEventListener('focusout', hide);
})();
`;

/**
 * The live page's updater: on each event from the server, fetch this page
 * again and put the parts that changed in place of the old ones (no reload:
 * the scroll, the focus and the table's sort stay; the sort is applied again
 * by clicking its heading, which the page script above handles).
 */
const LIVE_SCRIPT = `
(function () {
  'use strict';
  var conf = JSON.parse(document.getElementById('trk-live').textContent);
  var busy = false, again = false;
  function currentSort() {
    var th = document.querySelector('#address-table thead th[aria-sort="descending"], #address-table thead th[aria-sort="ascending"]');
    return th ? th.getAttribute('data-sort') : null;
  }
  function swap(sel, next) {
    var old = document.querySelector(sel), neu = next.querySelector(sel);
    if (old && neu) { if (old.outerHTML !== neu.outerHTML) old.replaceWith(document.importNode(neu, true)); }
    else if (old) old.remove();
    else if (neu) document.getElementById('tooltip').before(document.importNode(neu, true));
  }
  function update(next) {
    var sort = currentSort();
    document.title = next.title;
    ['h1', 'p.summary', '#time-domain', '#billing-section', '#alerts-section', '#stats-section', '#reports-section', '#trk-data'].forEach(function (sel) { swap(sel, next); });
    var notes = document.querySelectorAll('p.note'), newNotes = next.querySelectorAll('p.note');
    Array.prototype.forEach.call(notes, function (n) { n.remove(); });
    var after = document.querySelector('p.summary');
    Array.prototype.slice.call(newNotes).reverse().forEach(function (n) { after.after(document.importNode(n, true)); });
    // the address graph and table keep their elements (the page script listens on them): their insides change
    var graph = document.getElementById('address-graph'), g2 = next.getElementById('address-graph');
    if (g2 && graph.innerHTML !== g2.innerHTML) {
      Array.prototype.forEach.call(g2.attributes, function (a) { graph.setAttribute(a.name, a.value); });
      graph.innerHTML = g2.innerHTML;
    }
    var body = document.querySelector('#address-table tbody'), b2 = next.querySelector('#address-table tbody');
    if (b2 && body.innerHTML !== b2.innerHTML) body.innerHTML = b2.innerHTML;
    var head = document.querySelector('#address-table thead'), h2 = next.querySelector('#address-table thead');
    if (h2) Array.prototype.forEach.call(head.rows[0].cells, function (th, i) { th.setAttribute('aria-sort', h2.rows[0].cells[i].getAttribute('aria-sort')); });
    if (sort) { var btn = document.querySelector('#address-table thead th[data-sort="' + sort + '"] button'); if (btn) btn.click(); }
    document.documentElement.setAttribute('data-updated', String(Date.now()));
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.pathname, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
      .then(function (html) { update(new DOMParser().parseFromString(html, 'text/html')); })
      .catch(function () { /* the next event tries again */ })
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  var source = new EventSource(conf.events), opened = false;
  source.addEventListener('update', refresh);
  // back after the collector restarted or the network came back: what changed meanwhile had no event
  source.addEventListener('open', function () { if (opened) refresh(); opened = true; });
})();
`;
