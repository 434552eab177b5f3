/**
 * trk-tally's -H output: one interval's tables as aligned text for a person,
 * in the manner of ipband's subnet report, iptrk's screens and iptraf's
 * connection list. The same lines make each frame of the --live view.
 *
 *     [09:42:00 – 09:43:00] by host (partial)
 *     host         pkts    bytes         rate       rx       tx
 *     10.0.0.1     5210  3.91 MB   521 kbit/s  3.50 MB   410 kB
 *     2001:db8::1   900  1.00 MB   133 kbit/s  1.00 MB      0 B
 *     10.0.0.7       12    999 B    133 bit/s      0 B    999 B
 *     other          78  39.5 kB  5.27 kbit/s  20.0 kB  19.5 kB
 *     total        6200  4.95 MB   660 kbit/s
 *
 * (60 columns; wider, the share of the bytes, the TCP/UDP/other split and
 * the in/out/internal/martian split follow.)
 *
 * Units are SI (k = 1000), for bytes as for rates: network rates are quoted
 * in decimal bits per second everywhere (kbit/s, Mbit/s), transit and
 * hosting volumes are billed in decimal GB and TB, and tshark's statistics
 * use the same prefixes, so with one base the bytes column times 8 over the
 * interval is the rate column, and a figure can be compared with an invoice
 * or with tshark without converting. Binary multiples would be KiB, MiB.
 *
 * Lines never exceed the width they are given: when the columns do not fit,
 * the least useful ones are dropped first (direction and protocol splits,
 * then the shares and rates), then the key column is shortened in the middle
 * (an address keeps its start and end), and no line ever wraps.
 */
import { localDateTime } from '../classify/events.js';
import type { Services } from '../net/services.js';
import type { NameCache } from './resolve.js';
import type { ByKind, Counters, IntervalResult, Row, Table } from './types.js';

export interface HumanOptions {
  /** Columns available; no line is longer. */
  width: number;
  /** --resolve: host names shown where known; unknown ones are looked up for the next interval. */
  resolve?: NameCache | undefined;
  /** --rx / --tx: received (or sent) traffic is what the table is about, so its columns come first and are dropped last. */
  rxTx?: 'rx' | 'tx' | undefined;
  /** Port numbers shown as service names (`https`) where the table has one; numeric without it (-n). */
  services?: Services | undefined;
}

export interface TableOptions extends HumanOptions {
  /** Show at most this many rows; the rest are added into the other row (the live view's screen height). */
  maxRows?: number | undefined;
}

/** Between columns. */
const GAP = '  ';
/** The key column is never squeezed below this while other columns can still go. */
const KEY_FLOOR = 12;
/** A histogram narrower than this says nothing: dropped instead; wider than BAR_MAX it only spreads. */
const BAR_MIN = 8;
const BAR_MAX = 60;

/** Tables whose rows are endpoints: each packet is tx for one key and rx for another (types.ts). */
const ENDPOINT_KINDS: ReadonlySet<ByKind> = new Set<ByKind>(['host', 'subnet', 'mac', 'port']);

const KEY_HEADERS: Record<ByKind, string> = {
  host: 'host',
  subnet: 'subnet',
  conn: 'connection',
  port: 'port',
  svc: 'service',
  proto: 'proto',
  size: 'size',
  dir: 'direction',
  mac: 'mac',
  vlan: 'vlan',
};

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** Every table of one interval, each as a heading line, a column header, its rows, the other row and the totals; a blank line between tables. */
export function formatTables(r: IntervalResult, opts: HumanOptions): string[] {
  const lines: string[] = [];
  for (const table of r.tables) {
    if (lines.length > 0) lines.push('');
    lines.push(...formatTable(r, table, opts));
  }
  return lines;
}

/** One table of the interval: heading, column header, rows, other, total. */
export function formatTable(r: IntervalResult, table: Table, opts: TableOptions): string[] {
  const width = Math.max(1, Math.floor(opts.width));
  const { rows, other } = foldRows(table, opts.maxRows);
  // the part of the interval the input covered (types.ts): a partial interval's rates are not diluted
  const seconds = r.seconds;
  const entries: Entry[] = rows.map((row) => ({ row, label: undefined }));
  if (other !== undefined) entries.push({ row: other, label: 'other' });
  entries.push({ row: table.total, label: 'total' });

  const keyCells = entries.map((e) => (e.label !== undefined ? plainKey(e.label) : keyCell(table.by.kind, e.row as Row, opts)));
  const columns = table.by.kind === 'conn' ? connColumns(entries, seconds) : counterColumns(table, entries, seconds, opts.rxTx);
  const bar = table.by.kind === 'size' ? sizeBar(entries) : undefined;
  const layout = fit(width, KEY_HEADERS[table.by.kind], keyCells, columns, bar, table.by.kind === 'conn' ? CONN_KEY_FULL_KEEP : KEY_FULL_KEEP);

  const lines = [heading(r, table, rows.length, width, opts.rxTx)];
  lines.push(renderLine(layout, KEY_HEADERS[table.by.kind], (c) => c.header, bar ? '' : undefined));
  for (let i = 0; i < entries.length; i++) {
    lines.push(renderLine(layout, keyCells[i]!.render(layout.keyWidth), (c) => c.cells[i]!, bar?.(i, layout.barWidth)));
  }
  return lines;
}

// ---------------------------------------------------------------------------
// Units

const SI_PREFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/**
 * A quantity to three significant figures with an SI prefix: `999 B`,
 * `1.00 kB`, `12.3 MB`, `123 GB`. Below 1000 the number is whole; the
 * rounding carries into the next prefix (999 500 B is `1.00 MB`, not `1000 kB`).
 */
function si(value: number, unit: string): string {
  if (!Number.isFinite(value) || value < 0) return '-';
  const whole = Math.round(value);
  if (whole < 1000) return `${whole} ${unit}`;
  let scaled = value;
  for (let i = 1; i < SI_PREFIXES.length; i++) {
    scaled /= 1000;
    const rounded = Number(scaled.toPrecision(3));
    if (rounded < 1000 || i === SI_PREFIXES.length - 1) {
      const decimals = rounded < 10 ? 2 : rounded < 100 ? 1 : 0;
      return `${rounded.toFixed(decimals)} ${SI_PREFIXES[i]}${unit}`;
    }
  }
  return `${whole} ${unit}`;
}

/** Bytes in SI units: `512 B`, `1.50 kB`, `3.91 MB`, `1.20 GB`. */
export function formatBytes(bytes: number): string {
  return si(bytes, 'B');
}

/** A rate in bits per second, SI as networks quote them: `800 bit/s`, `1.50 kbit/s`, `94.2 Mbit/s`. */
export function formatBitRate(bitsPerSecond: number): string {
  return si(bitsPerSecond, 'bit/s');
}

/** A count: exact up to 999 999 (comparable with tshark's), then `1.23M`, `45.6G`. */
export function formatCount(n: number): string {
  if (n < 1_000_000) return String(Math.round(n));
  return si(n, '').replace(' ', '');
}

/** A share of a whole: `48%`, `2.6%`, `<0.1%`, `0%`. */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return '0%';
  const pct = (part * 100) / whole;
  if (pct < 0.1) return '<0.1%';
  // 9.96 would print as 10.0: give it the integer form
  return pct < 9.95 ? `${pct.toFixed(1)}%` : `${Math.round(pct)}%`;
}

/** A duration as top and iptraf show idle times: `7s`, `3m04s`, `2h05m`, `3d04h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor(s / 3600) % 24).padStart(2, '0')}h`;
}

// ---------------------------------------------------------------------------
// The heading

/**
 * `[2026-11-22 09:42:00 – 09:43:00] by host (partial): 20 of 1234 keys, 56 evicted (--max-keys)`:
 * local time (TZ), the end date written out only when it is another day.
 * Narrower, the date goes first (the time says which interval), then the
 * notes; the rest is cut.
 */
export function heading(r: IntervalResult, table: Table, rowsShown: number, width: number, rxTx?: 'rx' | 'tx'): string {
  const start = localDateTime(r.start);
  const end = localDateTime(r.end);
  const sameDay = end.slice(0, 10) === start.slice(0, 10);
  let what = `by ${table.by.name}`;
  if (rxTx !== undefined && ENDPOINT_KINDS.has(table.by.kind)) what += rxTx === 'rx' ? ', top receivers' : ', top senders';
  if (r.partial) what += ' (partial)';
  const notes: string[] = [];
  if (rowsShown < table.keys) notes.push(`${rowsShown} of ${table.keys} keys`);
  if (table.evicted > 0) notes.push(`${table.evicted} evicted (--max-keys)`);
  const withNotes = (text: string): string => (notes.length ? `${text}: ${notes.join(', ')}` : text);
  const full = `[${start} – ${sameDay ? end.slice(11) : end}] ${what}`;
  const short = sameDay ? `[${start.slice(11)} – ${end.slice(11)}] ${what}` : full;
  for (const text of [withNotes(full), withNotes(short), short]) if (text.length <= width) return text;
  return clip(short, width);
}

// ---------------------------------------------------------------------------
// Rows

interface Entry {
  row: Counters;
  /** `other` or `total`; undefined for a keyed row. */
  label: string | undefined;
}

/** The rows to show, and the other row with the rows that did not fit added in. */
function foldRows(table: Table, maxRows: number | undefined): { rows: Row[]; other: Counters | undefined } {
  if (maxRows === undefined || table.rows.length <= maxRows) return { rows: table.rows, other: table.other };
  const shown = table.rows.slice(0, Math.max(0, maxRows));
  const other = emptyCounters();
  if (table.other !== undefined) addCounters(other, table.other);
  for (let i = shown.length; i < table.rows.length; i++) addCounters(other, table.rows[i]!);
  return { rows: shown, other };
}

const COUNTER_FIELDS = [
  'pkts', 'bytes', 'rxPkts', 'rxBytes', 'txPkts', 'txBytes', 'tcpPkts', 'tcpBytes', 'udpPkts', 'udpBytes',
  'otherPkts', 'otherBytes', 'inBytes', 'outBytes', 'internalBytes', 'transitBytes', 'martianBytes',
] as const satisfies readonly (keyof Counters)[];

function emptyCounters(): Counters {
  const c = {} as Counters;
  for (const f of COUNTER_FIELDS) c[f] = 0;
  return c;
}

function addCounters(into: Counters, from: Counters): void {
  for (const f of COUNTER_FIELDS) into[f] += from[f];
}

// ---------------------------------------------------------------------------
// Key cells: each knows the longest form it would like and renders itself to a width

interface KeyCell {
  /** Width of the most informative form (`name (address)`). */
  want: number;
  /** Width of the plainest form (the address), below which it must be shortened. */
  need: number;
  render(width: number): string;
}

/**
 * Terminal control characters in a key would be obeyed by the terminal, not
 * shown: a crafted MAC, VLAN or name text must not be able to move the cursor.
 */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
}

function plainKey(text: string): KeyCell {
  const t = printable(text);
  return { want: t.length, need: t.length, render: (w) => cutMiddle(t, w) };
}

/** Forms in order of preference; the last one is shortened in the middle when nothing fits. */
function formsKey(forms: string[]): KeyCell {
  const clean = forms.map(printable);
  const last = clean[clean.length - 1]!;
  return {
    want: Math.max(...clean.map((f) => f.length)),
    need: last.length,
    render(w) {
      for (const f of clean) if (f.length <= w) return f;
      return cutMiddle(last, w);
    },
  };
}

function keyCell(kind: ByKind, row: Row, opts: HumanOptions): KeyCell {
  if (kind === 'host') {
    const name = opts.resolve?.name(row.key);
    return formsKey(name === undefined ? [row.key] : [`${name} (${row.key})`, name, row.key]);
  }
  if (kind === 'port' && opts.services !== undefined) {
    const port = Number(row.key);
    const name = Number.isInteger(port) ? (opts.services.portName(IPPROTO_TCP, port) ?? opts.services.portName(IPPROTO_UDP, port)) : undefined;
    return formsKey(name === undefined ? [row.key] : [`${name} (${row.key})`, row.key]);
  }
  if (kind === 'conn' && row.conn !== undefined) return connKey(row, opts);
  return plainKey(row.key);
}

/**
 * `a:port → b:port`, as iptraf lists a connection: with names where the
 * resolver has them and the well-known port as its service name (one side
 * only, by the same rule as trk-classify's svc, so a client's ephemeral port
 * that happens to be registered is not named); else the addresses; else the
 * addresses with numeric ports, each side shortened in the middle so both
 * ports stay visible.
 */
function connKey(row: Row, opts: HumanOptions): KeyCell {
  const c = row.conn!;
  const proto = c.proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
  const aSvc = opts.services?.portName(proto, c.aPort);
  const bSvc = opts.services?.portName(proto, c.bPort);
  // serviceOf's rule: a named port beats an unnamed one, the lower of two named ones wins
  const nameA = aSvc !== undefined && (bSvc === undefined || c.aPort <= c.bPort);
  const aPortText = nameA ? aSvc! : String(c.aPort);
  const bPortText = !nameA && bSvc !== undefined ? bSvc : String(c.bPort);
  const side = (addr: string, port: string): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);
  const aName = opts.resolve?.name(c.a);
  const bName = opts.resolve?.name(c.b);
  const forms: string[] = [];
  if (aName !== undefined || bName !== undefined) forms.push(`${aName ?? c.a}:${aPortText} → ${bName ?? c.b}:${bPortText}`);
  forms.push(`${side(c.a, aPortText)} → ${side(c.b, bPortText)}`);
  const numericA = printable(side(c.a, String(c.aPort)));
  const numericB = printable(side(c.b, String(c.bPort)));
  const numeric = `${numericA} → ${numericB}`;
  forms.push(numeric);
  const cell = formsKey(forms);
  return {
    want: cell.want,
    need: numeric.length,
    render(w) {
      if (w >= numeric.length) return cell.render(w);
      // shorten the longer side first, so a short IPv4 side stays whole beside a long IPv6 one
      const room = Math.max(0, w - 3);
      let wa = Math.min(numericA.length, Math.ceil(room / 2));
      let wb = room - wa;
      if (wb > numericB.length) {
        wb = numericB.length;
        wa = room - wb;
      }
      return `${cutSide(c.a, c.aPort, wa)} → ${cutSide(c.b, c.bPort, wb)}`.slice(0, w);
    },
  };
}

/** `address:port` in `width`: the port whole and the address shortened in the middle, while that leaves some of it. */
function cutSide(addr: string, port: number, width: number): string {
  const text = printable(addr);
  const portText = `:${port}`;
  const bracket = text.includes(':') ? 2 : 0;
  const room = width - portText.length - bracket;
  if (text.length + bracket + portText.length <= width) return bracket ? `[${text}]${portText}` : text + portText;
  if (room < 4) return cutMiddle(text + portText, width);
  return bracket ? `[${cutMiddle(text, room)}]${portText}` : cutMiddle(text, room) + portText;
}

/** `2001:db8:…:1` — the start and the end of a text that is too long, an ellipsis between. */
function cutMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, Math.max(0, width));
  const tail = Math.floor((width - 1) / 2);
  const head = width - 1 - tail;
  return text.slice(0, head) + '…' + (tail > 0 ? text.slice(text.length - tail) : '');
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + '…';
}

// ---------------------------------------------------------------------------
// Columns

interface Column {
  header: string;
  /** Higher is kept longer: when the width is short the lowest goes first. */
  keep: number;
  left?: boolean;
  /** One cell per entry (rows, other, total). */
  cells: string[];
  width: number;
}

function column(header: string, keep: number, cells: string[], left = false): Column {
  return { header, keep, left, cells, width: Math.max(header.length, ...cells.map((c) => c.length)) };
}

/**
 * The key column's full width outranks the columns kept less than this:
 * a connection's two ends are what its row is about, so they outrank more.
 */
const KEY_FULL_KEEP = 60;
const CONN_KEY_FULL_KEEP = 80;

/**
 * The counter columns of every table but conn: packets, bytes, rate and
 * share; received and sent for endpoint tables; the TCP/UDP/other and the
 * direction splits where they say something.
 */
function counterColumns(table: Table, entries: Entry[], seconds: number, rxTx: 'rx' | 'tx' | undefined): Column[] {
  const kind = table.by.kind;
  const total = table.total;
  const isTotal = (e: Entry): boolean => e.label === 'total';
  const cells = (f: (c: Counters, e: Entry) => string): string[] => entries.map((e) => f(e.row, e));
  // a key evicted and back again may be short of its true count (Row.err): its counts are marked ~
  const approx = (f: (c: Counters, e: Entry) => string): string[] =>
    entries.map((e) => {
      const text = f(e.row, e);
      return e.label === undefined && ((e.row as Row).err ?? 0) > 0 && text !== '' ? `~${text}` : text;
    });
  const rate = (bytes: number): string => (seconds > 0 ? formatBitRate((bytes * 8) / seconds) : '-');
  const cols: Column[] = [];
  const endpoint = ENDPOINT_KINDS.has(kind);
  const view = endpoint ? rxTx : undefined;
  // --rx / --tx: the chosen side first, with its rate and packets, and kept longest
  if (view !== undefined) {
    const bytesOf = (c: Counters): number => (view === 'rx' ? c.rxBytes : c.txBytes);
    const pktsOf = (c: Counters): number => (view === 'rx' ? c.rxPkts : c.txPkts);
    cols.push(column(view, 110, approx((c, e) => (isTotal(e) ? '' : formatBytes(bytesOf(c))))));
    cols.push(column(`${view} rate`, 105, approx((c, e) => (isTotal(e) ? '' : rate(bytesOf(c))))));
    cols.push(column(`${view} pkts`, 85, approx((c, e) => (isTotal(e) ? '' : formatCount(pktsOf(c))))));
  }
  cols.push(column('pkts', view ? 55 : 80, approx((c) => formatCount(c.pkts))));
  cols.push(column('bytes', view ? 75 : 100, approx((c) => formatBytes(c.bytes))));
  cols.push(column('rate', view ? 52 : 90, approx((c) => rate(c.bytes))));
  if (table.percentile !== undefined) {
    // --percentile: the billing figure is the point of such a run, kept nearly as long as the bytes
    const p = `p${table.percentile}`;
    const pct = (f: (row: Row) => number | undefined): string[] =>
      entries.map((e) => {
        const v = e.label === undefined ? f(e.row as Row) : undefined;
        return v === undefined ? '' : formatBitRate(v);
      });
    cols.push(column(p, 95, pct((row) => row.pctBps)));
    cols.push(column(`${p} rx`, 65, pct((row) => row.pctRxBps)));
    cols.push(column(`${p} tx`, 64, pct((row) => row.pctTxBps)));
  }
  cols.push(column(kind === 'size' ? '% pkts' : '%', kind === 'size' ? 70 : 20, cells((c, e) => (isTotal(e) ? '' : formatShare(kind === 'size' ? c.pkts : c.bytes, kind === 'size' ? total.pkts : total.bytes)))));
  if (kind === 'size') return cols;
  if (endpoint) {
    // the rows' rx and tx; the totals row has none (a packet is once rx and once tx)
    if (view !== 'rx') cols.push(column('rx', view ? 65 : 70, approx((c, e) => (isTotal(e) ? '' : formatBytes(c.rxBytes)))));
    if (view !== 'tx') cols.push(column('tx', view ? 65 : 69, approx((c, e) => (isTotal(e) ? '' : formatBytes(c.txBytes)))));
  }
  if (kind !== 'proto') {
    cols.push(column('tcp', 50, cells((c) => formatBytes(c.tcpBytes))));
    cols.push(column('udp', 45, cells((c) => formatBytes(c.udpBytes))));
    cols.push(column('other', 40, cells((c) => formatBytes(c.otherBytes))));
  }
  const directionKnown = total.inBytes + total.outBytes + total.internalBytes + total.transitBytes + total.martianBytes > 0;
  if (directionKnown && kind !== 'dir') {
    cols.push(column('in', 35, cells((c) => formatBytes(c.inBytes))));
    cols.push(column('out', 34, cells((c) => formatBytes(c.outBytes))));
    cols.push(column('internal', 32, cells((c) => formatBytes(c.internalBytes))));
    cols.push(column('martian', 30, cells((c) => formatBytes(c.martianBytes))));
    // transit only means something on a link that carries other networks' traffic: shown when there is some
    if (total.transitBytes > 0) cols.push(column('transit', 25, cells((c) => formatBytes(c.transitBytes))));
  }
  return cols;
}

/**
 * iptraf's connection list on one line per conversation: packets and bytes
 * each way (→ is from a, the side that spoke first, to b), the average
 * packet size, each side's last window, the flag state and the idle time.
 * The other and totals rows fill the both-ways columns only.
 */
function connColumns(entries: Entry[], seconds: number): Column[] {
  const conn = (e: Entry): Row['conn'] => (e.label === undefined ? (e.row as Row).conn : undefined);
  const each = (f: (c: NonNullable<Row['conn']>) => string): string[] =>
    entries.map((e) => {
      const c = conn(e);
      return c === undefined ? '' : f(c);
    });
  const win = (w: number): string => (w < 0 ? '-' : String(w));
  return [
    column('proto', 40, each((c) => c.proto), true),
    column('pkts', 80, entries.map((e) => formatCount(e.row.pkts))),
    column('bytes', 100, entries.map((e) => formatBytes(e.row.bytes))),
    // a conversation's rate over its own span (what --sort rate orders by); other and total over the interval
    column('rate', 60, entries.map((e) => {
      const c = conn(e);
      if (c !== undefined) return formatBitRate(c.bps);
      return seconds > 0 ? formatBitRate((e.row.bytes * 8) / seconds) : '-';
    })),
    column('→pkts', 30, each((c) => formatCount(c.aPkts))),
    column('→bytes', 75, each((c) => formatBytes(c.aBytes))),
    column('←pkts', 29, each((c) => formatCount(c.bPkts))),
    column('←bytes', 74, each((c) => formatBytes(c.bBytes))),
    column('avg', 35, entries.map((e) => (e.row.pkts > 0 ? String(Math.round(e.row.bytes / e.row.pkts)) : ''))),
    column('→win', 20, each((c) => (c.proto === 'tcp' ? win(c.aWin) : ''))),
    column('←win', 19, each((c) => (c.proto === 'tcp' ? win(c.bWin) : ''))),
    column('state', 90, each((c) => c.state), true),
    column('idle', 50, each((c) => formatDuration(c.idle))),
  ];
}

/** The size table's histogram: a bar of `#` per row, as long as its packets are against the fullest row. */
function sizeBar(entries: Entry[]): (i: number, width: number) => string {
  let max = 0;
  for (const e of entries) if (e.label !== 'total') max = Math.max(max, e.row.pkts);
  return (i, width) => {
    const e = entries[i]!;
    if (e.label === 'total' || max === 0 || width <= 0) return '';
    const n = e.row.pkts > 0 ? Math.max(1, Math.round((e.row.pkts / max) * width)) : 0;
    return '#'.repeat(n);
  };
}

// ---------------------------------------------------------------------------
// Fitting the columns to the width

interface Layout {
  keyWidth: number;
  columns: Column[];
  /** 0 when there is no histogram (or no room for one). */
  barWidth: number;
}

function fit(width: number, keyHeader: string, keys: KeyCell[], all: Column[], bar: unknown, keyKeep: number): Layout {
  const need = Math.max(keyHeader.length, ...keys.map((k) => k.need));
  const want = Math.max(need, ...keys.map((k) => k.want));
  const floor = Math.min(need, KEY_FLOOR);
  const columns = [...all];
  const used = (): number => columns.reduce((sum, c) => sum + GAP.length + c.width, 0);
  const dropLowest = (below: number): boolean => {
    let lowest = -1;
    for (let i = 0; i < columns.length; i++) if (columns[i]!.keep < below && (lowest < 0 || columns[i]!.keep < columns[lowest]!.keep)) lowest = i;
    if (lowest < 0) return false;
    columns.splice(lowest, 1);
    return true;
  };
  // the plain key whole first, at the cost of the minor columns; then shortened, at the cost of any
  while (need + used() > width && dropLowest(keyKeep));
  while (floor + used() > width && dropLowest(Infinity));
  const keyWidth = Math.max(0, Math.min(want, width - used()));
  let barWidth = 0;
  if (bar !== undefined) {
    const room = width - keyWidth - used() - GAP.length;
    barWidth = room >= BAR_MIN ? Math.min(room, BAR_MAX) : 0;
  }
  return { keyWidth, columns, barWidth };
}

function renderLine(layout: Layout, key: string, cell: (c: Column) => string, bar: string | undefined): string {
  let line = key.padEnd(layout.keyWidth).slice(0, layout.keyWidth);
  for (const c of layout.columns) {
    const text = cell(c);
    line += GAP + (c.left ? text.padEnd(c.width) : text.padStart(c.width));
  }
  if (bar !== undefined && layout.barWidth > 0) line += GAP + bar;
  return line.trimEnd();
}
