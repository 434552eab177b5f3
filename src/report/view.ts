/**
 * From the model to what the page shows: the top N addresses in the --sort
 * order and an `others` bar summing the rest, the time series in steps of
 * --step, the billing rows and charges, the alerts grouped by family and
 * kind. Everything the page draws is here, and goes into its trk-data
 * script as it is, so a test reads back exactly what was drawn.
 */
import {
  addSplit,
  emptySplit,
  hostTotal,
  partBytes,
  SERIES,
  type HostSplit,
  type Part,
  type ReportAlert,
  type ReportModel,
  type ReportReport,
  type ReportStat,
} from './model.js';

export const SORTS = ['total', 'rx-ext', 'tx-ext', 'rx-int', 'tx-int', 'addr'] as const;
export type SortKey = (typeof SORTS)[number];

export interface ViewOptions {
  title: string;
  top: number;
  sort: SortKey;
  /** Seconds per point of the time graph; undefined: a few hundred points. */
  step: number | undefined;
  /** Price per GB (10^9 bytes) of internal (--rate-in) and external (--rate-out) traffic. */
  rateIn: number | undefined;
  rateOut: number | undefined;
  currency: string;
  /** The time graph's subject as the user gave it (--addr), or undefined for the whole network. */
  subject: string | undefined;
  /** The page's billing table lists every address up to this many; past it, the bars' rows (the CSV has them all). */
  billingMax: number;
}

export interface Bar {
  addr: string;
  'rx-ext': number;
  'tx-ext': number;
  'rx-int': number;
  'tx-int': number;
  martian: number;
  total: number;
}

export interface BillingRow {
  addr: string;
  ext: number;
  int: number;
  charge?: number;
}

export interface AlertGroup {
  family: string;
  kind: string;
  /** How many the period had; `alerts` lists the first MAX_ALERTS_LISTED of them. */
  count: number;
  alerts: ReportAlert[];
}

/** Alerts listed (and marked on the time graph) per family and kind: a flood of one kind must not make the page huge. */
export const MAX_ALERTS_LISTED = 500;

export interface View {
  title: string;
  /** The period: first and last time of the input (NaN when nothing timed was read). */
  start: number;
  end: number;
  source: ReportModel['source'];
  sort: SortKey;
  top: number;
  /** Local addresses seen in all. */
  addresses: number;
  bars: Bar[];
  /** Totals over every address (not just the bars). */
  totals: Bar;
  inexact: number;
  undirected: number;
  series: { subject: string; start: number; end: number; step: number; in: number[]; out: number[]; internal: number[]; martian: number[] };
  billing: { rows: BillingRow[]; all: boolean; rateIn?: number; rateOut?: number; currency: string; total: BillingRow };
  alerts: AlertGroup[];
  stats: ReportStat[];
  reports: ReportReport[];
}

export function barOf(h: HostSplit): Bar {
  return { addr: h.addr, 'rx-ext': h.rxExt, 'tx-ext': h.txExt, 'rx-int': h.rxInt, 'tx-int': h.txInt, martian: h.martian, total: hostTotal(h) };
}

/** Largest first; addresses in address order; ties by address. */
export function compareHosts(sort: SortKey): (a: HostSplit, b: HostSplit) => number {
  if (sort === 'addr') return (a, b) => compareAddr(a.addr, b.addr);
  const measure = sort === 'total' ? hostTotal : (h: HostSplit) => partBytes(h, sort as Part);
  return (a, b) => measure(b) - measure(a) || compareAddr(a.addr, b.addr);
}

/** IPv4 before IPv6, each in numeric order. */
export function compareAddr(a: string, b: string): number {
  const ka = addrKey(a);
  const kb = addrKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function addrKey(a: string): string {
  if (a.includes(':')) {
    const [head = '', tail = ''] = a.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = a.includes('::') ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
    return '6' + groups.map((g) => g.padStart(4, '0')).join('');
  }
  return '4' + a.split('.').map((o) => o.padStart(3, '0')).join('');
}

/** Nice steps (seconds) for the time graph. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800];
/** The default step gives at most about this many points. */
export const TARGET_POINTS = 300;

export function chooseStep(span: number, resolution: number, step: number | undefined): number {
  if (step !== undefined) return Math.max(step, resolution);
  const want = span / TARGET_POINTS;
  const nice = STEPS.find((s) => s >= want) ?? Math.ceil(want / 86400) * 86400;
  return Math.max(nice, resolution);
}

export function makeView(m: ReportModel, o: ViewOptions): View {
  const hosts = [...m.hosts.values()].sort(compareHosts(o.sort));
  const shown = hosts.slice(0, o.top);
  const rest = hosts.slice(o.top);
  let others: HostSplit | undefined;
  if (rest.length || m.other) {
    others = emptySplit('others');
    for (const h of rest) addSplit(others, h);
    if (m.other) addSplit(others, m.other);
  }
  const bars = shown.map(barOf);
  if (others) bars.push(barOf(others));
  const all = emptySplit('total');
  for (const h of hosts) addSplit(all, h);
  if (m.other) addSplit(all, m.other);

  // ---- time series
  const hasTime = Number.isFinite(m.first);
  const first = hasTime ? m.first : 0;
  const last = hasTime ? m.last : 0;
  const step = chooseStep(last - first, m.resolution, o.step);
  const start = Math.floor(first / step) * step;
  const n = Math.max(1, Math.ceil((last - start) / step));
  const series = { subject: o.subject ?? 'all', start, end: start + n * step, step, in: zeros(n), out: zeros(n), internal: zeros(n), martian: zeros(n) };
  for (const [at, b] of m.buckets) {
    // a packet stamped exactly at the end of the period goes in the last step
    const i = Math.min(Math.floor((at - start) / step), n - 1);
    if (i < 0) continue;
    SERIES.forEach((part, j) => (series[part][i]! += b[j]!));
  }
  // bytes per step → bytes per second (a step coarser than the data's resolution is averaged over)
  for (const part of SERIES) series[part] = series[part].map((bytes) => round3(bytes / step));

  // ---- billing
  const charge = (ext: number, int: number): number | undefined =>
    o.rateIn === undefined && o.rateOut === undefined ? undefined : round2((ext / 1e9) * (o.rateOut ?? 0) + (int / 1e9) * (o.rateIn ?? 0));
  const billingRow = (h: HostSplit): BillingRow => {
    const ext = h.rxExt + h.txExt;
    const int = h.rxInt + h.txInt;
    const row: BillingRow = { addr: h.addr, ext, int };
    const c = charge(ext, int);
    if (c !== undefined) row.charge = c;
    return row;
  };
  const allBilled = hosts.length <= o.billingMax;
  const billingRows = allBilled ? hosts.map(billingRow) : shown.map(billingRow);
  if (allBilled ? m.other : others) billingRows.push(billingRow(allBilled ? m.other! : others!));

  // ---- alerts, grouped by family and kind in the order first seen, each group in time order
  const groups = new Map<string, AlertGroup>();
  for (const a of m.alerts) {
    const key = `${a.family} ${a.kind}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { family: a.family, kind: a.kind, count: 0, alerts: [] }));
    g.count++;
    g.alerts.push(a);
  }
  for (const g of groups.values()) {
    g.alerts.sort((a, b) => a.ts - b.ts);
    if (g.alerts.length > MAX_ALERTS_LISTED) g.alerts.length = MAX_ALERTS_LISTED;
  }

  const billing: View['billing'] = { rows: billingRows, all: allBilled, currency: o.currency, total: billingRow(all) };
  if (o.rateIn !== undefined) billing.rateIn = o.rateIn;
  if (o.rateOut !== undefined) billing.rateOut = o.rateOut;
  return {
    title: o.title,
    start: hasTime ? m.first : NaN,
    end: hasTime ? m.last : NaN,
    source: m.source,
    sort: o.sort,
    top: o.top,
    addresses: hosts.length,
    bars,
    totals: barOf(all),
    inexact: m.inexact,
    undirected: m.undirected,
    series,
    billing,
    alerts: [...groups.values()],
    stats: m.stats,
    reports: m.reports,
  };
}

/** The start of the step that holds ts: the time graph's anchor `t-EPOCH` an alert links to. */
export function stepStart(v: View, ts: number): number {
  const s = v.series;
  const i = Math.min(Math.max(0, Math.floor((ts - s.start) / s.step)), Math.round((s.end - s.start) / s.step) - 1);
  return s.start + i * s.step;
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
