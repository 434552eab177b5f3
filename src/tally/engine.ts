/**
 * trk-tally's counting engine: packets in, one IntervalResult per interval
 * out, a table per --by key.
 *
 * INTERVALS. Packet time, as trk-classify uses it, so a capture replays to
 * the same tallies on any day; aligned to the local clock (TZ honoured):
 *   - a whole number of days (1d, 30d): from local midnight to local
 *     midnight N calendar days later (23 or 25 hours on a DST change day),
 *     the N-day blocks counted from 1970-01-01 (so 30d is not a calendar
 *     month), and --every 1d bills calendar days;
 *   - 1, 2, 3, 4, 6, 8 or 12 hours: from the local hours that are multiples
 *     of it (00:00, 06:00, 12:00, 18:00 for 6h), by the wall clock (one
 *     interval of a DST change day is an hour shorter or longer);
 *   - anything else (10s, 5m, 90m): multiples of the interval in local
 *     wall-clock seconds since 1970-01-01 00:00, so 5m starts at :00, :05…
 *     of the local clock even in a zone with an odd offset. In UTC all of
 *     these are floor(ts / every) * every.
 * A packet stamped at or past the end of the current interval first writes
 * it; an interval in which nothing was seen writes nothing (the next one
 * starts where the new packet falls). A packet stamped before the current
 * interval (a clock step, merged files) counts in the current one. At EOF
 * or SIGINT (finish) the interval in progress is written marked partial;
 * if no packet came at all, an empty partial interval ending now (wall
 * clock) is written, so a report always ends. --every 0 makes the whole
 * input one interval, from its first to its last packet, never marked
 * partial: it is all there is. Rates (bps, pps) are over the time the input
 * covered of the interval: from the input's first packet if that came
 * after the interval's start, to its last packet if the interval is
 * partial (IntervalResult.seconds; at least 1 s, or the interval if
 * shorter). Intervals shorter than a second are allowed (a millisecond at
 * least).
 *
 * COUNTERS. Bytes are the length on the wire (the pkt record's len), as
 * tshark's endpoint and conversation tables count them. Every packet
 * counts once in the totals row of each table. A packet's transport is tcp,
 * udp or other (everything else, non-IP frames included); its direction is
 * the dir given with it (trk-classify's, or --net's) and counts in in/out/
 * internal/transit/martian bytes; a packet of unknown direction counts in
 * none of them.
 *
 * KEYS (--by):
 *   host        the outermost IP header's source (tx) and destination (rx),
 *               IPv4 and IPv6; with --net only local addresses get a row.
 *               A frame without an IP header counts only in the totals.
 *   subnet/B    the same, the address masked to B bits: `subnet/24` is /24
 *               for IPv4 and /64 for IPv6, `subnet/24,48` names both, a
 *               single B above 32 is IPv6's (IPv4 then /24). Key
 *               `10.1.8.0/24`.
 *   conn        TCP and UDP conversations, both ways in one row (conn.ts);
 *               `a:port-b:port/proto`, IPv6 in brackets.
 *   port        the source port (tx) and destination port (rx) of TCP, UDP,
 *               SCTP and DCCP, one row per number (the tcp/udp split says
 *               which); other packets count only in the totals.
 *   svc         the service name given with the packet (trk-classify's svc,
 *               or the services table's for the ports or ICMP type);
 *               packets without one count only in the totals.
 *   proto       tcp, udp, icmp, icmp6, gre, esp… (the pkt record's names)
 *               or the protocol number; `arp`, `non-ip` for frames without
 *               IP, `ip` for IP too damaged to name its protocol.
 *   size        iptraf-ng's size brackets of the wire length: 1-75, 76-150
 *               … 1426-1500 and 1501+ (a full-size Ethernet frame, 1514,
 *               is 1501+, as in iptraf-ng, whose sizes include the link header).
 *   dir         in, out, internal, transit, martian, unknown.
 *   mac         source MAC (tx) and destination MAC (rx); frames without
 *               MACs count only in the totals.
 *   vlan        the outermost 802.1Q/802.1ad tag, `none` when untagged.
 * In host, subnet, port and mac rows a packet counts as tx for the key it
 * came from and rx for the key it went to, so those rows add up to twice
 * the totals (as tshark's endpoint tables do); the other kinds count each
 * packet in one row, and their rx and tx are 0.
 *
 * SORTING. Rows are ordered by --sort, largest first, ties in the order the
 * keys were first seen: bytes (default); pkts; rx or tx (bytes received or
 * sent; bytes for kinds without a direction); rate: bits per second — the
 * same order as bytes, since every row shares the interval, except for
 * conn rows, which are ordered by their rate over their own span in the
 * interval (first to last packet, at least 1 s), so a short burst ranks
 * above a long trickle of the same size. --top N keeps the first N; the
 * rest are summed in the `other` row.
 *
 * BOUNDED MEMORY. At most maxKeys rows per table (DEFAULT_MAX_KEYS). A new
 * key arriving at a full table evicts the lightest eighth of the rows by the
 * sort measure (bytes for rate) into the `other` row, counting evictions
 * (rows.ts has the scheme): the top rows stay right. A row first counted
 * before the table began evicting is exact; one first counted after (its
 * key may have been evicted before) carries `err`, the most its measure can
 * be short of the truth — at most the interval's sum of the measure over
 * all rows (twice the total for host, subnet, port, mac) divided by 7/8 of
 * maxKeys; a key whose true measure is above that is never missing.
 * Conversations are bounded the same way (one idle in this interval has
 * nothing in it and goes first); at the end of each interval those silent
 * for more than connIdle seconds are forgotten, and a packet after such a
 * silence starts a new conversation (conn.ts).
 *
 * PERCENTILE. With `percentile` P, host rows get the P-th percentile of
 * their 5-minute rates (received + sent, received, sent) within the time
 * the interval covered, idle 5-minute slots counting as 0 (percentile.ts).
 * Meant for intervals of hours or more (1d, 30d, 0).
 *
 * The per-packet path allocates nothing: keys are int32 words in typed
 * arrays (an IPv4 address is one word, IPv6 four), rows are offsets into one
 * Float64Array per table; key texts are made when an interval is written.
 * (add() takes the time as an argument, which V8 may box; addPacket() reads
 * it from the packet and is the one for the per-packet path.)
 */
import type { Packet } from '../decode/packet.js';
import type { PrefixSet } from '../net/prefixes.js';
import { UsageError } from '../cli/options.js';
import { DIR_IN, DIR_INTERNAL, DIR_MARTIAN, DIR_NONE, DIR_OUT, DIR_TRANSIT } from '../classify/direction.js';
import {
  C_BYTES,
  C_DIR,
  C_OTHER_PKTS,
  C_PKTS,
  C_RX_BYTES,
  C_RX_PKTS,
  C_TCP_PKTS,
  C_TX_BYTES,
  C_TX_PKTS,
  C_UDP_PKTS,
  NC,
  measureOf,
  type Measure,
  type Storage,
} from './rows.js';
import { AddrTally, Clock, DirTally, MacTally, PortTally, ProtoTally, SizeTally, SvcTally, VlanTally, type Tally } from './tables.js';
import { ConnTally, connKey } from './conn.js';
import { PCT_RX, PCT_TOTAL, PCT_TX, PercentileTracker, SAMPLE_SECONDS, samplesToKeep } from './percentile.js';
import type { BySpec, ByKind, Counters, IntervalResult, Row, Table } from './types.js';

export type SortOrder = 'bytes' | 'pkts' | 'rx' | 'tx' | 'rate';

export interface TallyOptions {
  /** Several --by give several tables. */
  by: BySpec[];
  /** Interval in seconds; 0 = the whole input as one interval (billing). */
  every: number;
  /** Keep at most N rows per table (the rest go to `other`). */
  top?: number;
  sort: SortOrder;
  /** --net: host and subnet rows only for local addresses (iptrk's "our networks"). */
  local?: PrefixSet;
  /** Bound on the rows of each table. */
  maxKeys: number;
  /** Seconds after which an idle connection is forgotten. */
  connIdle: number;
  /** --percentile P: per-address P-th percentile rate of 5-minute samples, for billing. */
  percentile?: number;
}

/** Rows kept per table unless --max-keys says otherwise: about 20 MB per table of IPv6 hosts at the limit. */
export const DEFAULT_MAX_KEYS = 100_000;
/** Seconds of silence after which a connection is forgotten unless --conn-idle says otherwise. */
export const DEFAULT_CONN_IDLE = 300;

const KIND_ALIASES: Record<string, ByKind> = {
  host: 'host',
  addr: 'host',
  subnet: 'subnet',
  net: 'subnet',
  conn: 'conn',
  flow: 'conn',
  connection: 'conn',
  port: 'port',
  svc: 'svc',
  service: 'svc',
  proto: 'proto',
  protocol: 'proto',
  size: 'size',
  dir: 'dir',
  direction: 'dir',
  mac: 'mac',
  vlan: 'vlan',
};
const KINDS_HELP = 'host, subnet/BITS, conn, port, svc, proto, size, dir, mac or vlan';

/** 'host', 'subnet/24', 'subnet/24,64', 'conn', …; throws UsageError with a clear message. */
export function parseBy(text: string): BySpec {
  const trimmed = text.trim().toLowerCase();
  const slash = trimmed.indexOf('/');
  const word = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const kind = KIND_ALIASES[word];
  if (kind === undefined) throw new UsageError(`--by ${text}: not a key; say ${KINDS_HELP}`);
  if (kind !== 'subnet') {
    if (slash >= 0) throw new UsageError(`--by ${text}: only subnet takes /BITS`);
    return { kind, name: kind };
  }
  let bits4 = 24;
  let bits6 = 64;
  if (slash >= 0) {
    const parts = trimmed.slice(slash + 1).split(',');
    const numbers = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
    const bad = (): UsageError =>
      new UsageError(`--by ${text}: say subnet/BITS (0-32 for IPv4, or above 32 for IPv6) or subnet/BITS4,BITS6 (e.g. subnet/24,64)`);
    if (numbers.some((n) => Number.isNaN(n)) || numbers.length > 2) throw bad();
    if (numbers.length === 1) {
      const n = numbers[0]!;
      if (n > 128) throw bad();
      if (n <= 32) bits4 = n;
      else bits6 = n;
    } else {
      bits4 = numbers[0]!;
      bits6 = numbers[1]!;
      if (bits4 > 32 || bits6 > 128) throw bad();
    }
  }
  return { kind, bits4, bits6, name: bits6 === 64 ? `subnet/${bits4}` : `subnet/${bits4},${bits6}` };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** '1s', '60s', '5m', '1h', '1d', '30d', '0', a bare number = seconds; UsageError otherwise. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([smhdw]?)\s*$/i.exec(text);
  const value = m ? Number(m[1]) * UNIT_SECONDS[(m[2] || 's').toLowerCase()]! : NaN;
  if (!Number.isFinite(value)) throw new UsageError(`'${text}' is not a duration: say 10s, 5m, 1h, 1d, 30d, or 0 for the whole input`);
  if (value > 0 && value < 0.001) throw new UsageError(`'${text}' is too short an interval: a millisecond at least`);
  return value;
}

/** The interval [start, end) holding ts (see the header, INTERVALS). */
export function intervalAt(ts: number, every: number): { start: number; end: number } {
  const d = new Date(Math.floor(ts) * 1000);
  if (every % 86400 === 0) {
    const days = every / 86400;
    const dayNumber = Math.floor(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / 86400000);
    const first = Math.floor(dayNumber / days) * days;
    return { start: localMidnight(first), end: localMidnight(first + days) };
  }
  if (every % 3600 === 0 && 86400 % every === 0) {
    const hours = every / 3600;
    const h = Math.floor(d.getHours() / hours) * hours;
    const start = new Date(d.getFullYear(), d.getMonth(), d.getDate(), h).getTime() / 1000;
    const end = new Date(d.getFullYear(), d.getMonth(), d.getDate(), h + hours).getTime() / 1000;
    return { start, end };
  }
  const offset = -d.getTimezoneOffset() * 60;
  const start = Math.floor((ts + offset) / every) * every - offset;
  return { start, end: start + every };
}

function localMidnight(dayNumber: number): number {
  const u = new Date(dayNumber * 86400000);
  return new Date(u.getUTCFullYear(), u.getUTCMonth(), u.getUTCDate()).getTime() / 1000;
}

/** The counter column of a packet's transport, by its protocol number + 1 (-1, none: other). */
const PROTO_COLUMN = new Uint8Array(512).fill(C_OTHER_PKTS);
PROTO_COLUMN[6 + 1] = C_TCP_PKTS;
PROTO_COLUMN[17 + 1] = C_UDP_PKTS;

/** What a table ranks and evicts by for a --sort order. */
function measureFor(sort: SortOrder): Measure {
  return sort === 'rate' ? 'bytes' : sort;
}

export class TallyEngine {
  private readonly tallies: Tally[];
  private readonly every: number;
  /** The current interval; end is -Infinity before the first packet, +Infinity with --every 0. */
  private start = NaN;
  private end = -Infinity;
  /** Time of the first packet of the whole input, and of the latest packet. */
  private firstTs = NaN;
  private lastTs = -Infinity;
  /** Packets in the current interval. */
  private packets = 0;
  private finished = false;
  private readonly totals = new Float64Array(NC);
  private readonly clock = new Clock();
  private readonly percentile: boolean;

  constructor(
    private readonly opts: TallyOptions,
    private readonly emit: (result: IntervalResult) => void,
  ) {
    if (!(opts.every >= 0)) throw new UsageError('the interval must be 0 (the whole input) or more');
    this.every = opts.every;
    this.percentile = opts.percentile !== undefined;
    const measure = measureFor(opts.sort);
    const maxKeys = Math.max(16, Math.floor(opts.maxKeys));
    this.tallies = opts.by.map((spec): Tally => {
      switch (spec.kind) {
        case 'host':
        case 'subnet': {
          const pct =
            spec.kind === 'host' && opts.percentile !== undefined
              ? new PercentileTracker(opts.percentile, samplesToKeep(opts.percentile, opts.every))
              : undefined;
          return new AddrTally(spec, maxKeys, measure, opts.local, pct, this.clock);
        }
        case 'conn':
          return new ConnTally(spec, maxKeys, measure, opts.connIdle, this.clock);
        case 'port':
          return new PortTally(spec, maxKeys, measure);
        case 'mac':
          return new MacTally(spec, maxKeys, measure);
        case 'proto':
          return new ProtoTally(spec, maxKeys, measure);
        case 'size':
          return new SizeTally(spec, maxKeys, measure);
        case 'dir':
          return new DirTally(spec, maxKeys, measure);
        case 'vlan':
          return new VlanTally(spec, maxKeys, measure);
        case 'svc':
          return new SvcTally(spec, maxKeys, measure);
      }
    });
  }

  /** Some table counts by service name: only then need the caller look up each packet's svc. */
  get wantsService(): boolean {
    return this.tallies.some((t) => t.spec.kind === 'svc');
  }

  /** Time of the latest packet (seconds), NaN before the first. */
  get lastPacketTs(): number {
    return Number.isNaN(this.firstTs) ? NaN : this.lastTs;
  }

  /** Seconds of packet time at which the current interval ends (for the live view's countdown); NaN before the first packet, Infinity with --every 0. */
  get intervalEnd(): number {
    return this.end === -Infinity ? NaN : this.end;
  }

  /** One packet at time ts (seconds); dir is a DIR_* code (DIR_NONE when unknown), svc its service name or undefined. */
  add(p: Packet, ts: number, dir: number, svc: string | undefined): void {
    this.clock.now[0] = ts;
    this.count(p, dir, svc);
  }

  /**
   * add() with the time taken from the packet (tsSec + tsFrac / 10^tsDigits,
   * as the pkt record writes it). Faster: a double passed to a function V8
   * does not inline is boxed in a heap number, one allocation per packet
   * (measured on trk-tally -r of 2M packets --by host: 0.69 s with add(),
   * 0.58 s with addPacket()).
   */
  addPacket(p: Packet, dir: number, svc: string | undefined): void {
    const digits = p.tsDigits;
    this.clock.now[0] = p.tsSec + p.tsFrac / (digits === 6 ? 1e6 : digits === 9 ? 1e9 : 10 ** digits);
    this.count(p, dir, svc);
  }

  /** Count the packet whose time is in clock.now[0]. */
  private count(p: Packet, dir: number, svc: string | undefined): void {
    // a direction outside the DIR_* codes would count into other columns
    if (dir >>> 0 > DIR_MARTIAN) dir = DIR_NONE;
    const now = this.clock.now;
    const ts = now[0]!;
    if (ts >= this.end) this.roll(ts);
    if (ts > this.lastTs) this.lastTs = ts;
    this.packets++;
    if (this.percentile) now[1] = Math.floor(ts / SAMPLE_SECONDS);
    const len = p.len;
    // a table, not a branch: the protocol of consecutive packets is as good as random
    const pcol = PROTO_COLUMN[(p.proto + 1) & 0x1ff]!;
    const dcol = C_DIR + dir;
    const t = this.totals;
    t[C_PKTS]!++;
    t[C_BYTES]! += len;
    t[pcol]!++;
    t[pcol + 1]! += len;
    if (dir !== DIR_NONE) t[dcol]! += len;
    const tallies = this.tallies;
    for (let i = 0; i < tallies.length; i++) tallies[i]!.add(p, len, pcol, dcol, svc);
  }

  /**
   * Packet time has moved on to `ts` with no packet (a live source gone
   * quiet; the command tells from the clock): the interval that ended by then
   * is written now rather than when the next packet comes. `empty`: an
   * interval without packets is written too (the live view redraws every
   * interval, as top does); records and STAT lines skip them as always.
   */
  advanceTo(ts: number, empty = false): void {
    if (this.every === 0 || this.finished || Number.isNaN(this.firstTs) || !(ts >= this.end)) return;
    if (empty && this.packets === 0) this.report(false);
    this.roll(ts);
  }

  /** EOF or SIGINT: write the interval in progress marked partial (an empty one if no packet came at all). Later calls do nothing. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.packets > 0) {
      this.report(this.every > 0);
      return;
    }
    if (this.end !== -Infinity) return; // the last interval was written when the packet after it came; none came
    const now = Date.now() / 1000;
    this.start = this.every > 0 ? Math.min(now, intervalAt(now, this.every).start) : now;
    this.end = now;
    this.firstTs = now;
    this.lastTs = now;
    this.report(true);
  }

  private roll(ts: number): void {
    if (this.packets > 0) this.report(false);
    if (Number.isNaN(this.firstTs)) this.firstTs = ts;
    if (this.every === 0) {
      this.start = ts;
      this.end = Infinity;
    } else {
      const next = intervalAt(ts, this.every);
      // a DST change or an odd interval can give a start before the last end: never overlap
      this.start = this.end > next.start ? this.end : next.start;
      this.end = next.end > ts ? next.end : ts + this.every;
    }
  }

  /** Write the current interval and start the next one empty. */
  private report(partial: boolean): void {
    const wholeInput = this.every === 0;
    const start = wholeInput ? this.firstTs : this.start;
    const end = wholeInput ? this.lastTs : this.end;
    const coverStart = Math.max(start, this.firstTs);
    const coverEnd = partial || wholeInput ? Math.max(this.lastTs, coverStart) : end;
    const minimum = this.every > 0 && this.every < 1 ? this.every : 1;
    const seconds = Math.max(coverEnd - coverStart, minimum);
    // 5-minute samples in the covered time, for --percentile
    const lastSlot = partial || wholeInput ? Math.floor(coverEnd / SAMPLE_SECONDS) : Math.ceil(end / SAMPLE_SECONDS) - 1;
    const slots = lastSlot - Math.floor(coverStart / SAMPLE_SECONDS) + 1;
    const result: IntervalResult = {
      start,
      end,
      partial: partial && !wholeInput,
      seconds,
      tables: this.tallies.map((t) => this.table(t, coverEnd, slots)),
    };
    this.totals.fill(0);
    this.packets = 0;
    for (const t of this.tallies) {
      if (t instanceof ConnTally) t.nextInterval(coverEnd);
      else {
        if (t instanceof AddrTally && t.pct !== undefined) t.pct.clear(t.rows.n);
        t.rows.clear();
      }
    }
    this.emit(result);
  }

  private table(t: Tally, coverEnd: number, slots: number): Table {
    const rows = t.rows;
    const conn = t instanceof ConnTally ? t : undefined;
    const pct = t instanceof AddrTally ? t.pct : undefined;
    if (pct !== undefined) pct.closeAll(rows.n);
    const storage: Storage = rows.storage;
    const outStorage: Storage | 'conn' = conn ? 'conn' : storage;
    const c = rows.data;
    // rank the rows: measure, then first seen
    const candidates: number[] = [];
    for (let r = 0; r < rows.n; r++) if (!conn || conn.packetsOf(r) > 0) candidates.push(r);
    const rank = new Float64Array(rows.n);
    const byConnRate = conn !== undefined && this.opts.sort === 'rate';
    for (const r of candidates) rank[r] = byConnRate ? conn.rateOf(r) : measureOf(c, rows.base(r), storage, rows.measure);
    const order = (a: number, b: number): number => rank[b]! - rank[a]! || a - b;
    const top = this.opts.top;
    let chosen: number[];
    const other = Float64Array.from(rows.other);
    let cut = 0;
    if (top !== undefined && top < candidates.length) {
      chosen = topOf(candidates, top, order);
      const inTop = new Uint8Array(rows.n);
      for (const r of chosen) inTop[r] = 1;
      for (const r of candidates) {
        if (inTop[r] === 1) continue;
        cut++;
        const b = rows.base(r);
        for (let i = 0; i < NC; i++) other[i]! += c[b + i]!;
      }
    } else {
      chosen = candidates.sort(order);
    }
    const tableRows: Row[] = chosen.map((r) => {
      const info = conn?.info(r, coverEnd);
      const row = countersOf(c, rows.base(r), outStorage) as Row;
      row.key = info ? connKey(info) : t.keyText(r);
      if (info) row.conn = info;
      const err = rows.err[r]!;
      if (err >= 0) row.err = err;
      if (pct !== undefined) {
        row.pctBps = pct.bps(r, PCT_TOTAL, slots);
        row.pctRxBps = pct.bps(r, PCT_RX, slots);
        row.pctTxBps = pct.bps(r, PCT_TX, slots);
      }
      return row;
    });
    const table: Table = {
      by: t.spec,
      rows: tableRows,
      total: countersOf(this.totals, 0, 'plain'),
      evicted: rows.evicted,
      keys: conn ? conn.active : rows.inserted,
    };
    if (rows.evicted > 0 || cut > 0) table.other = countersOf(other, 0, outStorage);
    if (pct !== undefined) table.percentile = pct.percentile;
    return table;
  }
}

/** The first `n` of `items` in `order`, sorted (a bounded heap: the interval's rows may be many more than --top). */
function topOf(items: number[], n: number, order: (a: number, b: number) => number): number[] {
  // max-heap by order of the n best so far: its root is the worst kept
  const heap: number[] = [];
  const worse = (a: number, b: number): boolean => order(a, b) > 0;
  for (const item of items) {
    if (heap.length < n) {
      heap.push(item);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[parent]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else if (worse(heap[0]!, item)) {
      heap[0] = item;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && worse(heap[right]!, heap[left]!) ? right : left;
        if (!worse(heap[child]!, heap[i]!)) break;
        [heap[i], heap[child]] = [heap[child]!, heap[i]!];
        i = child;
      }
    }
  }
  return heap.sort(order);
}

/** A row's counters as the Counters shape; conn rows keep their sides in rx/tx and report them in ConnInfo instead. */
function countersOf(c: Float64Array, b: number, storage: Storage | 'conn'): Counters {
  const derived = storage !== 'plain';
  const endpoint = storage === 'endpoint';
  return {
    pkts: derived ? c[b + C_RX_PKTS]! + c[b + C_TX_PKTS]! : c[b + C_PKTS]!,
    bytes: derived ? c[b + C_RX_BYTES]! + c[b + C_TX_BYTES]! : c[b + C_BYTES]!,
    rxPkts: endpoint ? c[b + C_RX_PKTS]! : 0,
    rxBytes: endpoint ? c[b + C_RX_BYTES]! : 0,
    txPkts: endpoint ? c[b + C_TX_PKTS]! : 0,
    txBytes: endpoint ? c[b + C_TX_BYTES]! : 0,
    tcpPkts: c[b + C_TCP_PKTS]!,
    tcpBytes: c[b + C_TCP_PKTS + 1]!,
    udpPkts: c[b + C_UDP_PKTS]!,
    udpBytes: c[b + C_UDP_PKTS + 1]!,
    otherPkts: c[b + C_OTHER_PKTS]!,
    otherBytes: c[b + C_OTHER_PKTS + 1]!,
    inBytes: c[b + C_DIR + DIR_IN]!,
    outBytes: c[b + C_DIR + DIR_OUT]!,
    internalBytes: c[b + C_DIR + DIR_INTERNAL]!,
    transitBytes: c[b + C_DIR + DIR_TRANSIT]!,
    martianBytes: c[b + C_DIR + DIR_MARTIAN]!,
  };
}
