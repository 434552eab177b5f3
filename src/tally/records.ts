/**
 * trk-tally's output for programs: NDJSON `tally` records, or with --stat
 * NetTracker-style STAT lines.
 *
 * THE tally RECORD. One per row of each table of each interval, then the
 * table's `other` row (when something was left out), then its totals row;
 * tables in --by order. Fields, in this order:
 *
 *   type        "tally"
 *   start, end  the interval [start, end), seconds since the epoch: whole
 *               seconds on the interval's boundaries; with --every 0 the
 *               times of the first and the last packet.
 *   partial     true when the input ended (EOF, SIGINT) inside the
 *               interval; absent otherwise. Never with --every 0.
 *   by          the grouping as normalised: "host", "subnet/24",
 *               "subnet/24,48", "conn", "port", "svc", "proto", "size",
 *               "dir", "mac", "vlan".
 *   key         the row's key: "10.1.8.60", "2001:db8::1", "10.1.8.0/24",
 *               "10.0.0.9:51000-10.0.0.1:443/tcp" ("[2001:db8::9]:51000-
 *               [2001:db8::1]:443/tcp"), "443", "https", "tcp", "1426-1500",
 *               "in", "68:a3:c4:f4:84:1e", "10" or "none". Absent in the
 *               totals row; "other" in the other row.
 *   name        (host rows, with --resolve) the address's reverse-DNS name,
 *               when its lookup had come back by the time the interval was
 *               written (lookups never hold up the output).
 *   other       true in the other row: the rows evicted to stay within
 *               --max-keys and those below --top, summed.
 *   evicted     (other row) keys evicted during the interval.
 *   total       true in the totals row: every packet of the interval once.
 *   keys        (totals row) distinct keys seen in the interval, an evicted
 *               key counted again when it came back; conn: conversations
 *               with a packet in the interval.
 *   err         a row first counted after its table began evicting (its
 *               key may have been evicted before, with what it had
 *               counted): its sort measure (bytes, or packets with --sort
 *               pkts, rx or tx bytes with --sort rx/tx) may be short of the
 *               truth by at most this much, its other counters too. Absent:
 *               the row is exact.
 *   proto, a, a_port, b, b_port
 *               (conn) "tcp" or "udp", and the two ends; a sent the first
 *               packet seen.
 *   pkts, bytes packets and bytes (length on the wire).
 *   rx_pkts, rx_bytes, tx_pkts, tx_bytes
 *               received by and sent by the key (host, subnet, port, mac).
 *   tcp_pkts, tcp_bytes, udp_pkts, udp_bytes, other_pkts, other_bytes
 *               by transport; other is everything else, non-IP included.
 *   in_bytes, out_bytes, internal_bytes, transit_bytes, martian_bytes
 *               by direction, where it is known (--net, or records
 *               annotated by trk-classify).
 *   bps, pps    bits and packets per second over the time the interval
 *               covered (the partial last interval up to its last packet,
 *               --every 0 first to last packet; at least 1 s). bps is
 *               rounded to a whole number, pps to three decimals.
 *   a_pkts, a_bytes, b_pkts, b_bytes
 *               (conn) sent by side a, and by side b.
 *   a_win, b_win
 *               (conn, TCP) the last window each side advertised; absent
 *               until that side sent a TCP header.
 *   state       (conn, TCP) iptraf's flag state: "RESET", "CLOSED" (both
 *               sides sent FIN), "DONE" (one did), else the latest
 *               segment's S P A U flags as "S---", "S-A-", "-PA-"…
 *   avg_size    (conn) bytes / pkts, rounded.
 *   idle        (conn) seconds from its last packet to the end of the
 *               covered time, three decimals.
 *   conn_bps    (conn) bits per second over its own span in the interval
 *               (first to last packet in it, at least 1 s): --sort rate.
 *   percentile, pct_bps, pct_rx_bps, pct_tx_bps
 *               (host rows, with --percentile P) P, and the P-th percentile
 *               of the 5-minute rates in bits/s of received + sent bytes,
 *               received, sent; idle 5-minute slots count as 0.
 *
 * To keep records short, the split fields (rx_*, tx_*, tcp_*, udp_*,
 * other_*, *_bytes by direction) are written only when not 0: a reader
 * takes an absent one as 0. pkts, bytes, bps and pps are always there.
 *
 * THE STAT LINE (--stat). One line per table per interval, from its totals:
 *
 *   DATE TIME STAT by=host pkts=… bytes=… in_bytes=… out_bytes=…
 *     internal_bytes=… martian_bytes=… transit_bytes=… tcp_bytes=…
 *     udp_bytes=… other_bytes=… bps=… keys=… evicted=… [partial=1]
 *
 * DATE TIME is the interval's end in local time (--every 0: its last
 * packet's). partial=1 ends the line of a partial interval.
 */
import type { LineOutput } from '../io/output.js';
import { localDateTime } from '../classify/events.js';
import { bytes, putBytes, putUint } from '../format/bytes.js';
import type { ConnInfo, Counters, IntervalResult } from './types.js';

/*
 * A record is written byte by byte into the output's buffer, as pkt records
 * are (format/pkt-json.ts): a billing run writes a record for each of up to
 * --max-keys hosts, and building each as a string cost five times as much.
 */

/** The split fields, written when not 0, in this order. */
const SPLIT = [
  'rx_pkts',
  'rx_bytes',
  'tx_pkts',
  'tx_bytes',
  'tcp_pkts',
  'tcp_bytes',
  'udp_pkts',
  'udp_bytes',
  'other_pkts',
  'other_bytes',
  'in_bytes',
  'out_bytes',
  'internal_bytes',
  'transit_bytes',
  'martian_bytes',
].map((field) => bytes(`,"${field}":`));

const K_KEY = bytes(',"key":');
const K_NAME = bytes(',"name":');
const K_ERR = bytes(',"err":');
const K_PKTS = bytes(',"pkts":');
const K_BYTES = bytes(',"bytes":');
const K_BPS = bytes(',"bps":');
const K_PPS = bytes(',"pps":');
const K_OTHER = bytes(',"key":"other","other":true,"evicted":');
const K_TOTAL = bytes(',"total":true,"keys":');
const K_PROTO_TCP = bytes(',"proto":"tcp","a":"');
const K_PROTO_UDP = bytes(',"proto":"udp","a":"');
const K_A_PORT = bytes('","a_port":');
const K_B = bytes(',"b":"');
const K_B_PORT = bytes('","b_port":');
const K_A_PKTS = bytes(',"a_pkts":');
const K_A_BYTES = bytes(',"a_bytes":');
const K_B_PKTS = bytes(',"b_pkts":');
const K_B_BYTES = bytes(',"b_bytes":');
const K_A_WIN = bytes(',"a_win":');
const K_B_WIN = bytes(',"b_win":');
const K_STATE = bytes(',"state":"');
const K_AVG_SIZE = bytes(',"avg_size":');
const K_IDLE = bytes(',"idle":');
const K_CONN_BPS = bytes(',"conn_bps":');
const K_PERCENTILE = bytes(',"percentile":');
const K_PCT_BPS = bytes(',"pct_bps":');
const K_PCT_RX_BPS = bytes(',"pct_rx_bps":');
const K_PCT_TX_BPS = bytes(',"pct_tx_bps":');
const QUOTE = 0x22;
const CLOSE = 0x7d;
const NEWLINE = 0x0a;
/** Room for one record besides its key: the fields above with 16-digit numbers, and then some. */
const RECORD_ROOM = 2048;

/** A number as JSON: integers exactly, others to `places` decimals. */
function num(n: number, places = 6): string {
  if (Number.isInteger(n)) return String(n);
  const scale = 10 ** places;
  return String(Math.round(n * scale) / scale);
}

/** Text made by the engine from addresses, numbers and fixed names (ASCII, nothing to escape). */
function putText(d: Buffer, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) d[pos++] = s.charCodeAt(i);
  return pos;
}

/** A non-negative count, or any other number (negative, fractional) as JSON text. */
function putNumber(d: Buffer, pos: number, n: number): number {
  return Number.isInteger(n) && n >= 0 && n < 2 ** 53 ? putUint(d, pos, n) : putText(d, pos, num(n, 3));
}

/** A split field, when not 0. */
function putSplit(d: Buffer, pos: number, field: Uint8Array, v: number): number {
  if (v === 0) return pos;
  pos = putBytes(d, pos, field);
  return putUint(d, pos, v);
}

/** A non-negative number to three decimals, trailing zeros dropped (as String() writes it). */
function putMilli(d: Buffer, pos: number, x: number): number {
  const m = Math.round(x * 1000);
  if (!(m >= 0 && m < 2 ** 53)) return putText(d, pos, num(x, 3));
  const whole = Math.floor(m / 1000);
  let frac = m - whole * 1000;
  pos = putUint(d, pos, whole);
  if (frac === 0) return pos;
  d[pos++] = 0x2e;
  for (let div = 100; frac > 0; div /= 10) {
    const digit = Math.floor(frac / div);
    d[pos++] = 48 + digit;
    frac -= digit * div;
  }
  return pos;
}

function putCounters(d: Buffer, pos: number, c: Counters, seconds: number): number {
  pos = putBytes(d, pos, K_PKTS);
  pos = putUint(d, pos, c.pkts);
  pos = putBytes(d, pos, K_BYTES);
  pos = putUint(d, pos, c.bytes);
  // one by one, not a loop over names: a property read by a computed name was the slowest step
  pos = putSplit(d, pos, SPLIT[0]!, c.rxPkts);
  pos = putSplit(d, pos, SPLIT[1]!, c.rxBytes);
  pos = putSplit(d, pos, SPLIT[2]!, c.txPkts);
  pos = putSplit(d, pos, SPLIT[3]!, c.txBytes);
  pos = putSplit(d, pos, SPLIT[4]!, c.tcpPkts);
  pos = putSplit(d, pos, SPLIT[5]!, c.tcpBytes);
  pos = putSplit(d, pos, SPLIT[6]!, c.udpPkts);
  pos = putSplit(d, pos, SPLIT[7]!, c.udpBytes);
  pos = putSplit(d, pos, SPLIT[8]!, c.otherPkts);
  pos = putSplit(d, pos, SPLIT[9]!, c.otherBytes);
  pos = putSplit(d, pos, SPLIT[10]!, c.inBytes);
  pos = putSplit(d, pos, SPLIT[11]!, c.outBytes);
  pos = putSplit(d, pos, SPLIT[12]!, c.internalBytes);
  pos = putSplit(d, pos, SPLIT[13]!, c.transitBytes);
  pos = putSplit(d, pos, SPLIT[14]!, c.martianBytes);
  pos = putBytes(d, pos, K_BPS);
  pos = putUint(d, pos, Math.round((c.bytes * 8) / seconds));
  pos = putBytes(d, pos, K_PPS);
  return putMilli(d, pos, c.pkts / seconds);
}

function putConnEnds(d: Buffer, pos: number, i: ConnInfo): number {
  pos = putBytes(d, pos, i.proto === 'tcp' ? K_PROTO_TCP : K_PROTO_UDP);
  pos = putText(d, pos, i.a);
  pos = putBytes(d, pos, K_A_PORT);
  pos = putUint(d, pos, i.aPort);
  pos = putBytes(d, pos, K_B);
  pos = putText(d, pos, i.b);
  pos = putBytes(d, pos, K_B_PORT);
  return putUint(d, pos, i.bPort);
}

function putConnState(d: Buffer, pos: number, i: ConnInfo): number {
  const pkts = i.aPkts + i.bPkts;
  pos = putBytes(d, pos, K_A_PKTS);
  pos = putUint(d, pos, i.aPkts);
  pos = putBytes(d, pos, K_A_BYTES);
  pos = putUint(d, pos, i.aBytes);
  pos = putBytes(d, pos, K_B_PKTS);
  pos = putUint(d, pos, i.bPkts);
  pos = putBytes(d, pos, K_B_BYTES);
  pos = putUint(d, pos, i.bBytes);
  if (i.aWin >= 0) {
    pos = putBytes(d, pos, K_A_WIN);
    pos = putUint(d, pos, i.aWin);
  }
  if (i.bWin >= 0) {
    pos = putBytes(d, pos, K_B_WIN);
    pos = putUint(d, pos, i.bWin);
  }
  if (i.state !== '') {
    pos = putBytes(d, pos, K_STATE);
    pos = putText(d, pos, i.state);
    d[pos++] = QUOTE;
  }
  pos = putBytes(d, pos, K_AVG_SIZE);
  pos = putUint(d, pos, pkts > 0 ? Math.round((i.aBytes + i.bBytes) / pkts) : 0);
  pos = putBytes(d, pos, K_IDLE);
  pos = putMilli(d, pos, i.idle);
  pos = putBytes(d, pos, K_CONN_BPS);
  return putUint(d, pos, Math.round(i.bps));
}

/** One `tally` record per row, then the `other` row, then the totals row, for each table of the interval. */
export function writeTallyJson(out: LineOutput, r: IntervalResult): void {
  const seconds = r.seconds;
  for (const t of r.tables) {
    const head = bytes(`{"type":"tally","start":${num(r.start)},"end":${num(r.end)}${r.partial ? ',"partial":true' : ''},"by":"${t.by.name}"`);
    // service names come from a services file or a record's svc field: anything, so JSON-escaped, in UTF-8
    const names = t.by.kind === 'svc';
    for (const row of t.rows) {
      const key = names ? Buffer.from(JSON.stringify(row.key)) : undefined;
      const name = row.name === undefined ? undefined : Buffer.from(JSON.stringify(row.name));
      out.reserve(head.length + RECORD_ROOM + (key ? key.length : row.key.length + 2) + (name ? name.length + K_NAME.length : 0));
      const d = out.buf;
      let pos = putBytes(d, out.pos, head);
      pos = putBytes(d, pos, K_KEY);
      if (key) pos = putBytes(d, pos, key);
      else {
        d[pos++] = QUOTE;
        pos = putText(d, pos, row.key);
        d[pos++] = QUOTE;
      }
      if (name) {
        pos = putBytes(d, pos, K_NAME);
        pos = putBytes(d, pos, name);
      }
      if (row.err !== undefined) {
        pos = putBytes(d, pos, K_ERR);
        pos = putNumber(d, pos, row.err);
      }
      if (row.conn) pos = putConnEnds(d, pos, row.conn);
      pos = putCounters(d, pos, row, seconds);
      if (row.conn) pos = putConnState(d, pos, row.conn);
      if (t.percentile !== undefined && row.pctBps !== undefined) {
        pos = putBytes(d, pos, K_PERCENTILE);
        pos = putNumber(d, pos, t.percentile);
        pos = putBytes(d, pos, K_PCT_BPS);
        pos = putUint(d, pos, Math.round(row.pctBps));
        pos = putBytes(d, pos, K_PCT_RX_BPS);
        pos = putUint(d, pos, Math.round(row.pctRxBps ?? 0));
        pos = putBytes(d, pos, K_PCT_TX_BPS);
        pos = putUint(d, pos, Math.round(row.pctTxBps ?? 0));
      }
      d[pos++] = CLOSE;
      d[pos++] = NEWLINE;
      out.pos = pos;
    }
    if (t.other) writeSummary(out, head, K_OTHER, t.evicted, t.other, seconds);
    writeSummary(out, head, K_TOTAL, t.keys, t.total, seconds);
  }
}

/** The other row (`evicted`) or the totals row (`keys`). */
function writeSummary(out: LineOutput, head: Uint8Array, label: Uint8Array, count: number, c: Counters, seconds: number): void {
  out.reserve(head.length + RECORD_ROOM);
  const d = out.buf;
  let pos = putBytes(d, out.pos, head);
  pos = putBytes(d, pos, label);
  pos = putUint(d, pos, count);
  pos = putCounters(d, pos, c, seconds);
  d[pos++] = CLOSE;
  d[pos++] = NEWLINE;
  out.pos = pos;
}

/** --stat: one STAT line per table, from its totals. */
export function writeTallyStat(out: LineOutput, r: IntervalResult): void {
  const when = localDateTime(r.end);
  for (const t of r.tables) {
    const c = t.total;
    out.line(
      `${when} STAT by=${t.by.name} pkts=${c.pkts} bytes=${c.bytes} in_bytes=${c.inBytes} out_bytes=${c.outBytes} ` +
        `internal_bytes=${c.internalBytes} martian_bytes=${c.martianBytes} transit_bytes=${c.transitBytes} ` +
        `tcp_bytes=${c.tcpBytes} udp_bytes=${c.udpBytes} other_bytes=${c.otherBytes} ` +
        `bps=${Math.round((c.bytes * 8) / r.seconds)} keys=${t.keys} evicted=${t.evicted}${r.partial ? ' partial=1' : ''}`,
    );
  }
}
