/**
 * A small page written by hand to trk-report's DOM contract (issue 8), to
 * develop and prove the browser checks before the generator exists: the
 * good page passes every check, and each `Breakage` breaks one clause of
 * the contract, which the matching check must catch.
 */
import { PARTS, PART_WORDS, type Part } from './report-dom.js';

export interface FixtureHost {
  addr: string;
  'rx-ext': number;
  'tx-ext': number;
  'rx-int': number;
  'tx-int': number;
}
export interface FixtureAlert {
  ts: number;
  family: string;
  kind: string;
}
export interface FixtureData {
  hosts: FixtureHost[];
  top: number;
  start: number;
  end: number;
  step: number;
  alerts: FixtureAlert[];
}

export type Breakage =
  | 'proportions' // one segment (the first bar's rx-int) 10 % too wide
  | 'segment-order' // rx-ext and tx-ext swapped
  | 'title' // a title rounded to kB
  | 'tooltip' // the tooltip shows a rounded value
  | 'sort-graph' // a header click sorts the table but not the graph
  | 'external' // a stylesheet from a CDN
  | 'console-error' // the script logs an error
  | 'alert-link' // an alert links to the step after its own
  | 'colours'; // rx-ext drawn blue

export const FIXTURE: FixtureData = {
  hosts: [
    { addr: '10.10.1.20', 'rx-ext': 2_057_690, 'tx-ext': 27_410, 'rx-int': 164_102, 'tx-int': 3_251_593 },
    { addr: '10.10.1.30', 'rx-ext': 0, 'tx-ext': 0, 'rx-int': 6_228_461, 'tx-int': 18_607 },
    { addr: '10.10.1.1', 'rx-ext': 0, 'tx-ext': 0, 'rx-int': 18_115, 'tx-int': 3_140_478 },
    { addr: '10.10.1.99', 'rx-ext': 40_000, 'tx-ext': 122_000, 'rx-int': 81_000, 'tx-int': 81_000 },
    { addr: '2001:db8:10::1', 'rx-ext': 86, 'tx-ext': 164, 'rx-int': 354, 'tx-int': 440 },
    { addr: '2001:db8:10::2', 'rx-ext': 10, 'tx-ext': 0, 'rx-int': 0, 'tx-int': 20 },
  ],
  top: 4,
  start: 1_795_340_510,
  end: 1_795_340_560,
  step: 10,
  alerts: [
    { ts: 1_795_340_522, family: 'ARP', kind: 'wrongnet' },
    { ts: 1_795_340_523, family: 'ARP', kind: 'wrongnet' },
    { ts: 1_795_340_531, family: 'ARP', kind: 'mac_changed' },
    { ts: 1_795_340_526, family: 'ICMPv6', kind: 'ra_wrongnet' },
  ],
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (n: number): string => n.toLocaleString('en-US');
const total = (h: FixtureHost): number => PARTS.reduce((n, p) => n + h[p], 0);

export function fixtureHtml(data: FixtureData = FIXTURE, breakage?: Breakage): string {
  const sorted = [...data.hosts].sort((a, b) => total(b) - total(a));
  const shown = sorted.slice(0, data.top);
  const rest = sorted.slice(data.top);
  const bars: FixtureHost[] = [...shown];
  if (rest.length > 0) {
    const others: FixtureHost = { addr: 'others', 'rx-ext': 0, 'tx-ext': 0, 'rx-int': 0, 'tx-int': 0 };
    for (const h of rest) for (const p of PARTS) others[p] += h[p];
    bars.push(others);
  }
  const colours: Record<Part, string> = { 'rx-ext': '#d62728', 'tx-ext': '#1f77b4', 'rx-int': '#999999', 'tx-int': '#2ca02c' };
  if (breakage === 'colours') colours['rx-ext'] = '#1f77b4';
  const LABEL = 200;
  const WIDTH = 600;
  const ROW = 22;
  const max = Math.max(...bars.map(total), 1);
  const scale = WIDTH / max;
  const order: Part[] = breakage === 'segment-order' ? ['tx-ext', 'rx-ext', 'rx-int', 'tx-int'] : [...PARTS];
  const barSvg = bars
    .map((h, i) => {
      let x = LABEL;
      const segs = order
        .map((p, k) => {
          let w = h[p] * scale;
          if (breakage === 'proportions' && i === 0 && p === 'rx-int') w *= 1.1;
          let text = `${h.addr} ${PART_WORDS[p]}: ${fmt(h[p])} bytes`;
          if (breakage === 'title' && i === 0 && k === 0) text = `${h.addr} ${PART_WORDS[p]}: ${Math.round(h[p] / 1000)} kB`;
          const rect = `<rect class="seg" data-part="${p}" data-bytes="${h[p]}" tabindex="0" x="${x}" y="0" width="${w}" height="${ROW - 6}" fill="${colours[p]}"><title>${esc(text)}</title></rect>`;
          x += w;
          return rect;
        })
        .join('');
      return `<g class="bar" data-addr="${esc(h.addr)}" transform="translate(0,${i * ROW})"><text x="${LABEL - 6}" y="${ROW - 10}" text-anchor="end">${esc(h.addr)}</text>${segs}</g>`;
    })
    .join('\n');
  const cells = (h: FixtureHost): string =>
    [...PARTS.map((p) => `<td class="${p}" data-bytes="${h[p]}">${fmt(h[p])}</td>`), `<td class="total" data-bytes="${total(h)}">${fmt(total(h))}</td>`].join('');
  const tableRows = bars.map((h) => `<tr data-addr="${esc(h.addr)}"><th scope="row">${esc(h.addr)}</th>${cells(h)}</tr>`).join('\n');
  const billingRows = data.hosts
    .map((h) => `<tr data-addr="${esc(h.addr)}"><th scope="row">${esc(h.addr)}</th><td class="ext-bytes" data-bytes="${h['rx-ext'] + h['tx-ext']}">${fmt(h['rx-ext'] + h['tx-ext'])}</td><td class="int-bytes" data-bytes="${h['rx-int'] + h['tx-int']}">${fmt(h['rx-int'] + h['tx-int'])}</td></tr>`)
    .join('\n');

  // the time graph: one step per data.step, four flat series, markers, anchors
  const TW = 800;
  const TH = 200;
  const tx = (ts: number): number => ((ts - data.start) / (data.end - data.start)) * TW;
  const steps: number[] = [];
  for (let s = data.start; s < data.end; s += data.step) steps.push(s);
  const series = ['in', 'out', 'internal', 'martian']
    .map((part, i) => `<path class="series" data-part="${part}" d="M0,${TH - 20 - i * 30} L${TW},${TH - 20 - i * 30}" fill="none" stroke="${['#d62728', '#1f77b4', '#2ca02c', '#000'][i]}"/>`)
    .join('');
  const anchors = steps.map((s) => `<g id="t-${s}"><line x1="${tx(s)}" x2="${tx(s)}" y1="${TH}" y2="${TH + 5}" stroke="#000"/><text x="${tx(s)}" y="${TH + 16}" font-size="10">${new Date(s * 1000).toISOString().slice(11, 19)}</text></g>`).join('');
  const groups = new Map<string, FixtureAlert[]>();
  for (const a of data.alerts) {
    const k = `${a.family} ${a.kind}`;
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  const markers = data.alerts
    .map((a) => `<line class="alert-marker" data-ts="${a.ts}" data-family="${a.family}" data-kind="${a.kind}" x1="${tx(a.ts)}" x2="${tx(a.ts)}" y1="0" y2="${TH}" stroke="#f90"><title>${a.family} ${a.kind} at ${a.ts}</title></line>`)
    .join('');
  const stepOf = (ts: number): number => data.start + Math.floor((ts - data.start) / data.step) * data.step + (breakage === 'alert-link' ? data.step : 0);
  const alertRows = [...groups]
    .map(([k, list]) => `<tbody><tr class="group"><th colspan="2">${esc(k)} (${list.length})</th></tr>${list.map((a) => `<tr class="alert" data-ts="${a.ts}" data-family="${a.family}" data-kind="${a.kind}"><td><a href="#t-${stepOf(a.ts)}">${new Date(a.ts * 1000).toISOString()}</a></td><td>${esc(k)}</td></tr>`).join('')}</tbody>`)
    .join('\n');

  const tooltipText = breakage === 'tooltip' ? `t.replace(/: [\\d,]+ bytes$/, (m) => ': ' + Math.round(Number(m.replace(/\\D/g, '')) / 1e3) + ' kB')` : 't';
  const sortGraph = breakage === 'sort-graph' ? '' : `rows.forEach((tr, i) => { const g = graph.querySelector('g.bar[data-addr="' + CSS.escape(tr.dataset.addr) + '"]'); g.setAttribute('transform', 'translate(0,' + i * ${ROW} + ')'); graph.appendChild(g); });`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>trk-report fixture</title>
${breakage === 'external' ? '<link rel="stylesheet" href="https://cdn.example.net/report.css">' : ''}
<style>
body { font: 14px sans-serif; margin: 1em; }
#tooltip { position: fixed; pointer-events: none; background: #222; color: #fff; padding: 2px 6px; border-radius: 3px; }
#tooltip[hidden] { display: none; }
.seg:focus { outline: 2px solid #000; }
td { text-align: right; padding: 0 .5em; }
th button { font: inherit; border: 0; background: none; cursor: pointer; }
</style></head><body>
<h1>trk-report fixture</h1>
<section style="display:flex;gap:1em;align-items:flex-start">
<svg id="address-graph" role="img" aria-labelledby="ag-title" width="${LABEL + WIDTH + 10}" height="${bars.length * ROW}" viewBox="0 0 ${LABEL + WIDTH + 10} ${bars.length * ROW}">
<title id="ag-title">Bytes per local address</title>
${barSvg}
</svg>
<table id="address-table"><thead><tr><th scope="col">address</th>${[...PARTS, 'total'].map((p) => `<th scope="col" class="${p}"><button type="button" data-sort="${p}">${p}</button></th>`).join('')}</tr></thead>
<tbody>
${tableRows}
</tbody></table>
</section>
<svg id="time-graph" data-start="${data.start}" data-end="${data.end}" data-step="${data.step}" width="${TW}" height="${TH + 20}" role="img" aria-labelledby="tg-title"><title id="tg-title">Bytes per second</title>${series}${anchors}${markers}</svg>
<table id="billing"><thead><tr><th>address</th><th>external</th><th>internal</th></tr></thead><tbody>${billingRows}</tbody></table>
<table id="alerts">${alertRows}</table>
<div id="tooltip" role="tooltip" hidden></div>
<script id="trk-data" type="application/json">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>
'use strict';
const tip = document.getElementById('tooltip');
const graph = document.getElementById('address-graph');
function show(e) {
  const seg = e.target.closest && e.target.closest('.seg');
  if (!seg) return;
  const t = seg.querySelector('title').textContent;
  tip.textContent = ${tooltipText};
  const box = seg.getBoundingClientRect();
  tip.style.left = (box.left + 4) + 'px';
  tip.style.top = (box.bottom + 4) + 'px';
  tip.hidden = false;
}
function hide() { tip.hidden = true; }
graph.addEventListener('mouseover', show);
graph.addEventListener('focusin', show);
graph.addEventListener('mouseout', hide);
graph.addEventListener('focusout', hide);
${breakage === 'console-error' ? "console.error('fixture: broken on purpose');" : ''}
let sortedBy = 'total', descending = true;
document.querySelectorAll('#address-table th button').forEach((b) => b.addEventListener('click', () => {
  const col = b.dataset.sort;
  descending = col === sortedBy ? !descending : true;
  sortedBy = col;
  const body = document.querySelector('#address-table tbody');
  const rows = Array.from(body.rows);
  const value = (tr) => Number(tr.querySelector('.' + col).dataset.bytes);
  rows.sort((a, b) => (a.dataset.addr === 'others') - (b.dataset.addr === 'others') || (descending ? value(b) - value(a) : value(a) - value(b)));
  rows.forEach((tr) => body.appendChild(tr));
  ${sortGraph}
}));
</script>
</body></html>
`;
}
