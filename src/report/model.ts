/**
 * What trk-report draws, whatever it was read from (tally records, or a
 * capture tallied in-process): per local address the four iptrk splits, a
 * time series of bytes by direction, and the alerts, STAT lines and ipband
 * reports of the period.
 *
 * THE FOUR SPLITS of a local address, from the counters of its host row
 * (trk-tally's rx_bytes, tx_bytes, in_bytes, out_bytes, martian_bytes):
 *
 *   rx-ext  received from outside   = in_bytes
 *   tx-ext  sent to outside         = out_bytes
 *   rx-int  received from internal  = rx_bytes - in_bytes - martian_bytes
 *   tx-int  sent to internal        = tx_bytes - out_bytes
 *
 * In a local address's row, an `in` packet is always one it received and
 * an `out` packet one it sent; `internal` packets are either, and the rest
 * of rx and tx is exactly them, except for martians. A martian packet
 * (a bogon source) is received by the local address, so its bytes are taken
 * from the received side and kept apart (`martian`): the four segments plus
 * martian make rx_bytes + tx_bytes, trk-tally's total for the address. The
 * one case a tally record cannot tell: trk-classify's --outside-mac judges
 * a *local* source seen arriving from outside martian, and those bytes are
 * the address's sent bytes; they are then taken from tx-int instead when
 * rx-int would go below 0, and the split is no longer exact (the page says so).
 */

export const PARTS = ['rx-ext', 'tx-ext', 'rx-int', 'tx-int'] as const;
export type Part = (typeof PARTS)[number];

export const PART_LABEL: Record<Part, string> = {
  'rx-ext': 'received from outside',
  'tx-ext': 'sent to outside',
  'rx-int': 'received from internal',
  'tx-int': 'sent to internal',
};

/** Directions of the time graph's series, in stacking order. */
export const SERIES = ['in', 'out', 'internal', 'martian'] as const;
export type SeriesPart = (typeof SERIES)[number];

export interface HostSplit {
  addr: string;
  rxExt: number;
  txExt: number;
  rxInt: number;
  txInt: number;
  martian: number;
}

export function hostTotal(h: HostSplit): number {
  return h.rxExt + h.txExt + h.rxInt + h.txInt + h.martian;
}

export function partBytes(h: HostSplit, part: Part): number {
  switch (part) {
    case 'rx-ext':
      return h.rxExt;
    case 'tx-ext':
      return h.txExt;
    case 'rx-int':
      return h.rxInt;
    case 'tx-int':
      return h.txInt;
  }
}

/** The counters of a host row that the split is made from (absent = 0, as in the tally record). */
export interface HostCounters {
  rx: number;
  tx: number;
  in: number;
  out: number;
  martian: number;
  /** internal_bytes: not needed for the split, only to tell a row that has no direction at all. */
  internal?: number;
}

/** The rule above; `exact` false when the martian bytes did not fit on the received side. */
export function splitOf(addr: string, c: HostCounters): { split: HostSplit; exact: boolean } {
  let rxInt = c.rx - c.in - c.martian;
  let txInt = c.tx - c.out;
  let exact = true;
  if (rxInt < 0) {
    txInt += rxInt;
    rxInt = 0;
    exact = false;
  }
  if (txInt < 0) {
    txInt = 0;
    exact = false;
  }
  return { split: { addr, rxExt: c.in, txExt: c.out, rxInt, txInt, martian: c.martian }, exact };
}

export function addSplit(into: HostSplit, h: HostSplit): void {
  into.rxExt += h.rxExt;
  into.txExt += h.txExt;
  into.rxInt += h.rxInt;
  into.txInt += h.txInt;
  into.martian += h.martian;
}

export function emptySplit(addr: string): HostSplit {
  return { addr, rxExt: 0, txExt: 0, rxInt: 0, txInt: 0, martian: 0 };
}

export interface ReportAlert {
  ts: number;
  family: string;
  kind: string;
  /** k=v details as the ALERT line gives them (or the -H sentence). */
  details: string;
}

export interface ReportStat {
  ts: number;
  counters: Record<string, number>;
}

/** An ipband subnet report (trk-threshold's `report` record), as much as the page lists. */
export interface ReportReport {
  ts: number;
  net: string;
  line: string;
}

/** Bytes per direction in one bucket of `resolution` seconds starting at the key. */
export type Buckets = Map<number, Float64Array>;

export interface ReportModel {
  /** Every local address seen (the page shows the top N; the CSV all). */
  hosts: Map<string, HostSplit>;
  /** Rows trk-tally had already folded into its `other` row (--top, --max-keys). */
  other: HostSplit | undefined;
  /** The split could not be made exactly for these addresses (see splitOf). */
  inexact: number;
  /** Addresses whose rows had bytes but no direction (trk-tally without --net, records not from trk-classify). */
  undirected: number;
  /** Time series of the subject: bucket start → bytes in, out, internal, martian. */
  buckets: Buckets;
  /** Seconds per bucket as read (1 for a capture, the tally interval for records). */
  resolution: number;
  /** The period the input covered (NaN when nothing timed was read). */
  first: number;
  last: number;
  alerts: ReportAlert[];
  stats: ReportStat[];
  reports: ReportReport[];
  /** Where the numbers came from, for the page's footer. */
  source: 'capture' | 'tally' | 'none';
}

export function emptyModel(): ReportModel {
  return {
    hosts: new Map(),
    other: undefined,
    inexact: 0,
    undirected: 0,
    buckets: new Map(),
    resolution: 1,
    first: NaN,
    last: NaN,
    alerts: [],
    stats: [],
    reports: [],
    source: 'none',
  };
}

/**
 * Most buckets kept: past it the buckets are merged into coarser ones (ten
 * times the seconds each), so a month of capture at one-second resolution
 * does not hold 2.6 million of them. The time graph shows a few hundred
 * points anyway.
 */
export const MAX_BUCKETS = 100_000;

/** Bytes at time ts, in the bucket of the model's resolution that holds it. */
export function addBytes(m: ReportModel, ts: number, dir: number, bytes: number): void {
  addBucket(m.buckets, Math.floor(ts / m.resolution) * m.resolution, dir, bytes);
  if (m.buckets.size > MAX_BUCKETS) setResolution(m, m.resolution * 10);
}

/** Coarser buckets: what was counted is merged into buckets of `seconds`. */
export function setResolution(m: ReportModel, seconds: number): void {
  if (seconds <= m.resolution) return;
  const old = m.buckets;
  m.buckets = new Map();
  m.resolution = seconds;
  for (const [at, b] of old) {
    const to = Math.floor(at / seconds) * seconds;
    for (let i = 0; i < b.length; i++) if (b[i]) addBucket(m.buckets, to, i, b[i]!);
  }
}

export function addBucket(buckets: Buckets, at: number, dir: number, bytes: number): void {
  let b = buckets.get(at);
  if (b === undefined) {
    b = new Float64Array(4);
    buckets.set(at, b);
  }
  b[dir] = b[dir]! + bytes;
}

export function seeTime(m: ReportModel, start: number, end: number = start): void {
  if (!(m.first <= start)) m.first = start;
  if (!(m.last >= end)) m.last = end;
}

/** The time range of --from/--to: [from, to) in seconds since the epoch. */
export interface TimeRange {
  from: number;
  to: number;
}

export const ALL_TIME: TimeRange = { from: -Infinity, to: Infinity };

export function inRange(r: TimeRange, ts: number): boolean {
  return ts >= r.from && ts < r.to;
}
