/**
 * --by conn: TCP and UDP conversations, both directions in one row, as
 * iptraf's IP traffic monitor lists them.
 *
 * A conversation is the protocol and the two (address, port) ends of the
 * outermost IP header; side a is the end that sent the first packet seen
 * (the client, when the SYN was seen). Per interval: packets and bytes each
 * way; kept across intervals: the last TCP window each side advertised, the
 * flag state, and the times of the first and last packet.
 *
 * Flag state (iptraf's): `RESET` once an RST was seen; `CLOSED` once both
 * sides sent a FIN; `DONE` once one side did; otherwise the flags of the
 * latest segment as iptraf shows them, S P A U or `-` in that order
 * (`S---` a SYN, `S-A-` a SYN-ACK, `-PA-` data). UDP has no state ('').
 *
 * A conversation starts afresh (new side a, state, windows, first time) on
 * a packet after more than connIdle seconds of silence, or on a SYN without
 * ACK after an RST or a FIN (the ports were reused); within an interval its
 * counts stay in the same row. At the end of each interval the
 * conversations idle for more than connIdle are forgotten. Non-first
 * fragments carry no ports and count only in the totals.
 */
import type { Packet } from '../decode/packet.js';
import { ipv4Text, ipv6Text } from '../format/addr.js';
import { C_DIR, C_RX_BYTES, C_RX_PKTS, C_TX_BYTES, C_TX_PKTS, RowStore, type Measure, type RowHooks } from './rows.js';
import type { Clock, Tally } from './tables.js';
import type { BySpec, ConnInfo } from './types.js';

const TCP = 6;
const UDP = 17;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const URG = 0x20;

/** Key words: the lower end's address (4 words), the higher end's (4), then lowPort << 16 | highPort. */
const KW = 9;

/** Per-row state kept across intervals, ES float64s per row. */
const E_A_IS_LOW = 0; // 1: side a is the lower end of the key
const E_A_WIN = 1;
const E_B_WIN = 2;
const E_FLAGS = 3; // flags of the latest segment; -1 none yet
const E_STATE = 4; // ST_* bits
const E_FIRST = 5;
const E_LAST = 6;
const E_FIRST_IN_INTERVAL = 7;
const ES = 8;

const ST_FIN_A = 1;
const ST_FIN_B = 2;
const ST_RST = 4;

/** Side a's packets are kept in the tx columns, side b's in the rx columns; the row's pkts and bytes are their sum. */
const A_PKTS = C_TX_PKTS;
const B_PKTS = C_RX_PKTS;

export class ConnTally implements Tally, RowHooks {
  readonly rows: RowStore;
  /** Conversations with a packet in this interval (the table's `keys`). */
  active = 0;
  private ext = new Float64Array(0);

  constructor(
    readonly spec: BySpec,
    maxKeys: number,
    measure: Measure,
    private readonly connIdle: number,
    private readonly clock: Clock,
  ) {
    // a conn row's measure: its bytes (or packets) both ways; rx/tx mean nothing for a conversation
    this.rows = new RowStore(KW, maxKeys, 'endpoint', measure === 'pkts' ? 'pkts' : 'bytes', this);
  }

  grow(cap: number): void {
    const ext = new Float64Array(cap * ES);
    ext.set(this.ext); // called while the store is being built, too: copy all the old capacity
    this.ext = ext;
  }

  move(from: number, to: number): void {
    this.ext.copyWithin(to * ES, from * ES, from * ES + ES);
  }

  drop(): void {}

  add(p: Packet, len: number, pcol: number, dcol: number): void {
    const proto = p.proto;
    if ((proto !== TCP && proto !== UDP) || p.sport < 0 || p.dport < 0 || p.srcOff < 0 || p.dstOff < 0) return;
    const d = p.data;
    const probe = this.rows.probe;
    const so = p.srcOff;
    const dO = p.dstOff;
    // the ends in order: addresses word by word (unsigned), then ports; the lower end's words first in the key
    let srcLow: boolean;
    if (p.ipVersion === 4) {
      const s = u32(d, so);
      const t = u32(d, dO);
      srcLow = s !== t ? s >>> 0 < t >>> 0 : p.sport <= p.dport;
      probe[0] = srcLow ? s : t;
      probe[4] = srcLow ? t : s;
      probe[1] = probe[2] = probe[3] = probe[5] = probe[6] = probe[7] = 0;
    } else {
      let cmp = 0;
      for (let w = 0; w < 4; w++) {
        const s = u32(d, so + 4 * w);
        const t = u32(d, dO + 4 * w);
        probe[w] = s;
        probe[4 + w] = t;
        if (cmp === 0 && s !== t) cmp = s >>> 0 < t >>> 0 ? -1 : 1;
      }
      srcLow = cmp !== 0 ? cmp < 0 : p.sport <= p.dport;
      if (!srcLow) {
        for (let w = 0; w < 4; w++) {
          const x = probe[w]!;
          probe[w] = probe[4 + w]!;
          probe[4 + w] = x;
        }
      }
    }
    probe[8] = srcLow ? (p.sport << 16) | p.dport : (p.dport << 16) | p.sport;
    const rows = this.rows;
    const ts = this.clock.now[0]!;
    const before = rows.inserted;
    const r = rows.findProbe((p.ipVersion << 8) | proto, true);
    const e = r * ES;
    const ext = this.ext;
    const flags = p.tcpFlags;
    if (rows.inserted !== before) this.start(r, srcLow);
    else if (
      ts - ext[e + E_LAST]! > this.connIdle ||
      (ext[e + E_STATE]! !== 0 && flags >= 0 && (flags & (SYN | ACK)) === SYN)
    ) {
      // a new conversation on the same ends: the sender of this packet is its side a
      const aWasLow = ext[e + E_A_IS_LOW]! === 1;
      if (aWasLow !== srcLow) swapSides(rows.data, rows.base(r));
      this.start(r, srcLow);
    }
    const senderIsA = (ext[e + E_A_IS_LOW]! === 1) === srcLow;
    const c = rows.data;
    const b = rows.base(r);
    if (c[b + A_PKTS]! + c[b + B_PKTS]! === 0) {
      this.active++;
      ext[e + E_FIRST_IN_INTERVAL] = ts;
    }
    const col = senderIsA ? A_PKTS : B_PKTS;
    c[b + col]!++;
    c[b + col + 1]! += len;
    c[b + pcol]!++;
    c[b + pcol + 1]! += len;
    if (dcol !== C_DIR) c[b + dcol]! += len;
    if (p.win >= 0) ext[e + (senderIsA ? E_A_WIN : E_B_WIN)] = p.win;
    if (flags >= 0) {
      ext[e + E_FLAGS] = flags;
      let state = ext[e + E_STATE]!;
      if ((flags & RST) !== 0) state |= ST_RST;
      if ((flags & FIN) !== 0) state |= senderIsA ? ST_FIN_A : ST_FIN_B;
      ext[e + E_STATE] = state;
    }
    if (ts > ext[e + E_LAST]!) ext[e + E_LAST] = ts;
  }

  private start(r: number, srcLow: boolean): void {
    const ts = this.clock.now[0]!;
    const e = r * ES;
    const ext = this.ext;
    ext[e + E_A_IS_LOW] = srcLow ? 1 : 0;
    ext[e + E_A_WIN] = -1;
    ext[e + E_B_WIN] = -1;
    ext[e + E_FLAGS] = -1;
    ext[e + E_STATE] = 0;
    ext[e + E_FIRST] = ts;
    ext[e + E_LAST] = ts;
  }

  /** Packets in this interval. */
  packetsOf(r: number): number {
    const c = this.rows.data;
    const b = this.rows.base(r);
    return c[b + A_PKTS]! + c[b + B_PKTS]!;
  }

  /** Bits per second over the row's own span in the interval (at least 1 s). */
  rateOf(r: number): number {
    const c = this.rows.data;
    const b = this.rows.base(r);
    const bytes = c[b + C_TX_BYTES]! + c[b + C_RX_BYTES]!;
    const span = this.ext[r * ES + E_LAST]! - this.ext[r * ES + E_FIRST_IN_INTERVAL]!;
    return (bytes * 8) / (span > 1 ? span : 1);
  }

  keyText(r: number): string {
    return connKey(this.info(r, 0));
  }

  /** The row as iptraf shows it; `coverEnd` is the time idle is measured to. */
  info(r: number, coverEnd: number): ConnInfo {
    const rows = this.rows;
    const fam = rows.family(r);
    const v6 = fam >> 8 === 6;
    const low = addressText(rows, r, 0, v6);
    const high = addressText(rows, r, 4, v6);
    const ports = rows.key(r, 8);
    const lowPort = ports >>> 16;
    const highPort = ports & 0xffff;
    const e = r * ES;
    const ext = this.ext;
    const aLow = ext[e + E_A_IS_LOW]! === 1;
    const c = rows.data;
    const b = rows.base(r);
    const tcp = (fam & 0xff) === TCP;
    return {
      proto: tcp ? 'tcp' : 'udp',
      a: aLow ? low : high,
      aPort: aLow ? lowPort : highPort,
      b: aLow ? high : low,
      bPort: aLow ? highPort : lowPort,
      aPkts: c[b + A_PKTS]!,
      aBytes: c[b + A_PKTS + 1]!,
      bPkts: c[b + B_PKTS]!,
      bBytes: c[b + B_PKTS + 1]!,
      aWin: ext[e + E_A_WIN]!,
      bWin: ext[e + E_B_WIN]!,
      state: tcp ? stateText(ext[e + E_STATE]!, ext[e + E_FLAGS]!) : '',
      first: ext[e + E_FIRST]!,
      last: ext[e + E_LAST]!,
      idle: Math.max(0, coverEnd - ext[e + E_LAST]!),
      bps: this.rateOf(r),
    };
  }

  /** After an interval was reported: forget conversations idle longer than connIdle at `coverEnd`, zero the counts. */
  nextInterval(coverEnd: number): void {
    const ext = this.ext;
    this.rows.removeWhere((r) => coverEnd - ext[r * ES + E_LAST]! > this.connIdle);
    this.rows.resetInterval();
    this.active = 0;
  }
}

function u32(d: Buffer, o: number): number {
  return (d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!;
}

function swapSides(c: Float64Array, b: number): void {
  for (let i = 0; i < 2; i++) {
    const t = c[b + A_PKTS + i]!;
    c[b + A_PKTS + i] = c[b + B_PKTS + i]!;
    c[b + B_PKTS + i] = t;
  }
}

const scratch = Buffer.alloc(16);

/** The address in key words [first, first + 4) of row r. */
function addressText(rows: RowStore, r: number, first: number, v6: boolean): string {
  if (!v6) {
    scratch.writeInt32BE(rows.key(r, first), 0);
    return ipv4Text(scratch, 0);
  }
  for (let w = 0; w < 4; w++) scratch.writeInt32BE(rows.key(r, first + w), w * 4);
  return ipv6Text(scratch, 0);
}

/** A conversation's key text: `a:port-b:port/proto`, IPv6 addresses in brackets. */
export function connKey(i: ConnInfo): string {
  const end = (addr: string, port: number): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);
  return `${end(i.a, i.aPort)}-${end(i.b, i.bPort)}/${i.proto}`;
}

/** iptraf's flag column (tcptable.c printentry), for the whole conversation. */
export function stateText(state: number, flags: number): string {
  if ((state & ST_RST) !== 0) return 'RESET';
  if ((state & (ST_FIN_A | ST_FIN_B)) === (ST_FIN_A | ST_FIN_B)) return 'CLOSED';
  if (state !== 0) return 'DONE';
  if (flags < 0) return '----';
  return (
    ((flags & SYN) !== 0 ? 'S' : '-') +
    ((flags & PSH) !== 0 ? 'P' : '-') +
    ((flags & ACK) !== 0 ? 'A' : '-') +
    ((flags & URG) !== 0 ? 'U' : '-')
  );
}
