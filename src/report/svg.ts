/**
 * The two graphs as SVG text, the same for the page (inline) and for --svg
 * (standalone files: an XML declaration, the SVG namespace, colours as
 * attributes, no script, no external reference).
 *
 * Address-domain graph (iptrk's): one horizontal stacked bar per address,
 * the four splits in a fixed order and colour — received from outside red,
 * sent to outside blue, received from internal grey, sent to internal green —
 * every segment's width proportional to its bytes on one scale common to all
 * bars (the longest bar fills the plot). Each segment carries its exact
 * value in a <title>.
 *
 * Time-domain graph: bytes/s per step, stacked areas in, out, internal,
 * martian, alert markers on the time axis, one anchor per step (t-EPOCH).
 */
import { localDateTime } from '../classify/events.js';
import { PART_LABEL, PARTS, SERIES, type Part, type SeriesPart } from './model.js';
import type { Bar, View } from './view.js';

export const PART_COLOUR: Record<Part, string> = {
  'rx-ext': '#d62728',
  'tx-ext': '#1f77b4',
  'rx-int': '#8c8c8c',
  'tx-int': '#2ca02c',
};

export const SERIES_COLOUR: Record<SeriesPart, string> = {
  in: '#d62728',
  out: '#1f77b4',
  internal: '#2ca02c',
  martian: '#9467bd',
};

const SVG_NS = 'http://www.w3.org/2000/svg';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 2,057,690 */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 1.5 MB, 320 kB, 12 B (decimal units, as the billing counts GB). */
export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let x = n;
  while (x >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(x)} B` : `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)} ${units[i]}`;
}

/** "10.10.1.20 received from outside: 2,057,690 bytes" — the segment's title and tooltip. */
export function segmentText(addr: string, part: Part, bytes: number): string {
  return `${addr} ${PART_LABEL[part]}: ${grouped(bytes)} bytes`;
}

const fmt = (x: number): string => String(Math.round(x * 1000) / 1000);

// ---- address-domain graph

export const ADDR_LAYOUT = { width: 960, label: 190, plot: 600, row: 22, bar: 16, top: 34 };

export function addressGraph(v: View, o: { standalone: boolean }): string {
  const L = { ...ADDR_LAYOUT, label: labelWidth(v.bars) };
  const scale = Math.max(1, ...v.bars.map((b) => PARTS.reduce((s, p) => s + b[p], 0)));
  const height = L.top + Math.max(1, v.bars.length) * L.row + 10;
  L.width = L.label + L.plot + 80;
  const out: string[] = [];
  out.push(
    (o.standalone ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '') +
      `<svg id="address-graph" xmlns="${SVG_NS}" role="img" aria-labelledby="address-graph-title address-graph-desc" width="${L.width}" height="${height}" viewBox="0 0 ${L.width} ${height}" data-scale="${scale}">`,
    `<title id="address-graph-title">${esc(v.title)}: bytes per local address</title>`,
    `<desc id="address-graph-desc">One bar per local address, the top ${v.top} by ${v.sort}${v.bars.some((b) => b.addr === 'others') ? ' and the others summed' : ''}: received from outside (red), sent to outside (blue), received from internal (grey), sent to internal (green). Exact values in the address table.</desc>`,
  );
  if (o.standalone) out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  // legend
  let lx = 10;
  for (const part of PARTS) {
    out.push(`<rect x="${lx}" y="8" width="12" height="12" fill="${PART_COLOUR[part]}"/><text x="${lx + 16}" y="18" font-family="sans-serif" font-size="12">${PART_LABEL[part]}</text>`);
    lx += 175;
  }
  if (v.bars.length === 0) out.push(`<text x="${L.label}" y="${L.top + 14}" font-family="sans-serif" font-size="13">no local addresses in the input</text>`);
  v.bars.forEach((b, i) => out.push(barSvg(b, i, scale, L.label)));
  out.push('</svg>');
  return out.join('\n');
}

/** The address column: wide enough for the longest address in 12px monospace. */
function labelWidth(bars: Bar[]): number {
  return Math.max(110, Math.ceil(Math.max(0, ...bars.map((b) => b.addr.length)) * 7.3) + 14);
}

export function barSvg(b: Bar, i: number, scale: number, label: number): string {
  const L = { ...ADDR_LAYOUT, label };
  const parts: string[] = [`<g class="bar" data-addr="${esc(b.addr)}" data-total="${b.total}" transform="translate(0,${L.top + i * L.row})">`];
  parts.push(`<text class="label" x="${L.label - 6}" y="${L.bar - 3}" text-anchor="end" font-family="monospace" font-size="12">${esc(b.addr)}</text>`);
  let x = L.label;
  for (const part of PARTS) {
    const w = (b[part] / scale) * L.plot;
    parts.push(
      `<rect class="seg" data-part="${part}" data-bytes="${b[part]}" x="${fmt(x)}" y="0" width="${fmt(w)}" height="${L.bar}" fill="${PART_COLOUR[part]}" tabindex="0"><title>${esc(segmentText(b.addr, part, b[part]))}</title></rect>`,
    );
    x += w;
  }
  parts.push(`<text class="value" x="${fmt(x + 6)}" y="${L.bar - 3}" font-family="sans-serif" font-size="11">${humanBytes(b.total)}</text>`);
  parts.push('</g>');
  return parts.join('');
}

// ---- time-domain graph

export const TIME_LAYOUT = { width: 960, height: 320, left: 80, right: 20, top: 30, bottom: 60 };

export function timeGraph(v: View, o: { standalone: boolean }): string {
  const L = TIME_LAYOUT;
  const s = v.series;
  const n = s.in.length;
  const pw = L.width - L.left - L.right;
  const ph = L.height - L.top - L.bottom;
  const x = (t: number): number => L.left + ((t - s.start) / (s.end - s.start)) * pw;
  const stacked: number[][] = [];
  let max = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    const col = [0];
    for (const part of SERIES) {
      sum += s[part][i]!;
      col.push(sum);
    }
    stacked.push(col);
    if (sum > max) max = sum;
  }
  const top = niceMax(max);
  const y = (value: number): number => L.top + ph - (value / top) * ph;
  const out: string[] = [];
  out.push(
    (o.standalone ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '') +
      `<svg id="time-graph" xmlns="${SVG_NS}" role="img" aria-labelledby="time-graph-title" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}" data-start="${s.start}" data-end="${s.end}" data-step="${s.step}" data-max="${top}">`,
    `<title id="time-graph-title">${esc(v.title)}: bytes/s of ${esc(s.subject === 'all' ? 'the whole network' : s.subject)}, in steps of ${s.step} s</title>`,
  );
  if (o.standalone) out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  // legend
  let lx = L.left;
  for (const part of SERIES) {
    out.push(`<rect x="${lx}" y="8" width="12" height="12" fill="${SERIES_COLOUR[part]}"/><text x="${lx + 16}" y="18" font-family="sans-serif" font-size="12">${part}</text>`);
    lx += 100;
  }
  // y axis: 0, half, top
  for (const f of [0, 0.5, 1]) {
    const yy = fmt(y(top * f));
    out.push(`<line x1="${L.left}" x2="${L.width - L.right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${L.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle" font-family="sans-serif" font-size="11">${humanBytes(top * f)}/s</text>`);
  }
  // the stacked areas, step-shaped: each step's value held over [start, start + step)
  SERIES.forEach((part, j) => {
    const upper: string[] = [];
    const lower: string[] = [];
    for (let i = 0; i < n; i++) {
      const x0 = fmt(x(s.start + i * s.step));
      const x1 = fmt(x(s.start + (i + 1) * s.step));
      upper.push(`${x0},${fmt(y(stacked[i]![j + 1]!))}`, `${x1},${fmt(y(stacked[i]![j + 1]!))}`);
      lower.push(`${x0},${fmt(y(stacked[i]![j]!))}`, `${x1},${fmt(y(stacked[i]![j]!))}`);
    }
    lower.reverse();
    out.push(`<path class="series" data-part="${part}" d="M${upper.join('L')}L${lower.join('L')}Z" fill="${SERIES_COLOUR[part]}" fill-opacity="0.8" stroke="none"><title>${part}</title></path>`);
  });
  // time axis: an anchor per step, labels at a few of them
  const axisY = L.top + ph;
  out.push(`<line x1="${L.left}" x2="${L.width - L.right}" y1="${axisY}" y2="${axisY}" stroke="#000"/>`);
  const every = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < n; i++) {
    const t = s.start + i * s.step;
    const x0 = x(t);
    out.push(`<rect id="t-${t}" class="step" x="${fmt(x0)}" y="${axisY}" width="${fmt(pw / n)}" height="8" fill="#000" fill-opacity="0.04"><title>${localDateTime(t)}</title></rect>`);
    if (i % every === 0) {
      out.push(`<text x="${fmt(x0)}" y="${axisY + 22}" text-anchor="middle" font-family="sans-serif" font-size="11">${localDateTime(t).slice(n * s.step >= 86400 ? 5 : 11, 16 + (s.step < 60 ? 3 : 0))}</text>`);
    }
  }
  out.push(`<text x="${L.left}" y="${L.height - 12}" font-family="sans-serif" font-size="11">${localDateTime(s.start)} to ${localDateTime(s.end)} (local time)</text>`);
  // alert markers
  for (const g of v.alerts) {
    for (const a of g.alerts) {
      const xa = fmt(Math.min(Math.max(x(a.ts), L.left), L.width - L.right));
      out.push(
        `<line class="alert-marker" data-ts="${a.ts}" data-family="${esc(a.family)}" data-kind="${esc(a.kind)}" x1="${xa}" x2="${xa}" y1="${L.top}" y2="${axisY + 8}" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="3,2"><title>${esc(`${localDateTime(a.ts)} ALERT ${a.family} ${a.kind} ${a.details}`)}</title></line>`,
      );
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

/** 1, 2 or 5 times a power of ten at or above x (1 for 0). */
function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}
