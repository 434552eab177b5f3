/**
 * One tally per --by key: how a packet finds its row(s), and how a row's
 * key reads as text. Each keeps its rows in a RowStore (rows.ts); the
 * engine (engine.ts) counts every packet into the totals and calls add() of
 * each tally, then builds the interval's tables from the stores.
 *
 * add() receives the per-packet values the engine computed once: the wire
 * length, the counter column of the packet's transport protocol (C_TCP_PKTS,
 * C_UDP_PKTS or C_OTHER_PKTS; its bytes are the next column) and of its
 * direction (C_DIR + dir). The packet's time is not an argument: a double
 * passed to a call V8 does not inline is boxed, one allocation per packet
 * and table, so the tallies that need it read it from the engine's Clock.
 */
import type { Packet } from '../decode/packet.js';
import type { PrefixSet } from '../net/prefixes.js';
import { DIR_NAMES } from '../classify/direction.js';
import { ipv4Text, ipv6Text, macText } from '../format/addr.js';
import { protocolName } from '../format/names.js';
import { C_BYTES, C_DIR, C_PKTS, C_RX_PKTS, C_TX_PKTS, RowStore, type Measure } from './rows.js';
import type { PercentileTracker } from './percentile.js';
import type { BySpec } from './types.js';

export interface Tally {
  readonly spec: BySpec;
  readonly rows: RowStore;
  add(p: Packet, len: number, pcol: number, dcol: number, svc: string | undefined): void;
  keyText(r: number): string;
}

/** The current packet's time, written by the engine before it calls the tallies. */
export class Clock {
  /** [0]: seconds since the epoch; [1]: its 5-minute slot (percentile samples). */
  readonly now = new Float64Array(2);
}

/**
 * Count a packet into an endpoint row as received (col C_RX_PKTS) or sent
 * (C_TX_PKTS). An unknown direction (dcol C_DIR) is not written: that column
 * sits on a cache line of its own that most packets then need not touch.
 */
function countEndpoint(c: Float64Array, b: number, col: number, len: number, pcol: number, dcol: number): void {
  c[b + col]!++;
  c[b + col + 1]! += len;
  c[b + pcol]!++;
  c[b + pcol + 1]! += len;
  if (dcol !== C_DIR) c[b + dcol]! += len;
}

/** Count a packet into a row that takes each packet once. */
function countPlain(c: Float64Array, b: number, len: number, pcol: number, dcol: number): void {
  c[b + C_PKTS]!++;
  c[b + C_BYTES]! += len;
  c[b + pcol]!++;
  c[b + pcol + 1]! += len;
  if (dcol !== C_DIR) c[b + dcol]! += len;
}

function u32(d: Buffer, o: number): number {
  return (d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!;
}

/** Mask of the first `bits` bits of a 32-bit word (bits may be below 0 or above 32). */
function wordMask(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return -1;
  return -1 << (32 - bits);
}

const FAM_V4 = 4;
const FAM_V6 = 6;
const textScratch = Buffer.alloc(16);

/**
 * host and subnet/BITS: the source address sent, the destination received
 * (IPv4 and IPv6, the outermost header). With --net only local addresses
 * get a row. host also feeds the percentile samples.
 */
export class AddrTally implements Tally {
  readonly rows: RowStore;
  private readonly m4: number;
  private readonly m6: Int32Array;
  private readonly suffix4: string;
  private readonly suffix6: string;

  constructor(
    readonly spec: BySpec,
    maxKeys: number,
    measure: Measure,
    private readonly local: PrefixSet | undefined,
    readonly pct: PercentileTracker | undefined,
    private readonly clock: Clock,
  ) {
    this.rows = new RowStore(4, maxKeys, 'endpoint', measure, pct);
    const bits4 = spec.kind === 'subnet' ? (spec.bits4 ?? 24) : 32;
    const bits6 = spec.kind === 'subnet' ? (spec.bits6 ?? 64) : 128;
    this.m4 = wordMask(bits4);
    this.m6 = Int32Array.from([0, 1, 2, 3], (w) => wordMask(bits6 - 32 * w));
    this.suffix4 = spec.kind === 'subnet' ? `/${bits4}` : '';
    this.suffix6 = spec.kind === 'subnet' ? `/${bits6}` : '';
  }

  add(p: Packet, len: number, pcol: number, dcol: number): void {
    const so = p.srcOff;
    const dO = p.dstOff;
    if (so < 0 || dO < 0) return;
    const d = p.data;
    const rows = this.rows;
    const local = this.local;
    const slot = this.pct === undefined ? 0 : this.clock.now[1]!;
    // IPv6 in a method of its own keeps this one small enough for V8 to inline whole (measured: 5 ns a packet)
    if (p.ipVersion === 4) {
      const m = this.m4;
      const s = u32(d, so);
      const t = u32(d, dO);
      if (local === undefined || local.matchV4(s) >= 0) {
        const b = rows.find1(FAM_V4, s & m); // before reading rows.data: an insert may have grown it
        countEndpoint(rows.data, b, C_TX_PKTS, len, pcol, dcol);
        if (this.pct !== undefined) this.pct.add(rows.lastRow, slot, len, true);
      }
      if (local === undefined || local.matchV4(t) >= 0) {
        const b = rows.find1(FAM_V4, t & m);
        countEndpoint(rows.data, b, C_RX_PKTS, len, pcol, dcol);
        if (this.pct !== undefined) this.pct.add(rows.lastRow, slot, len, false);
      }
    } else if (p.ipVersion === 6) this.addV6(p, len, pcol, dcol);
  }

  private addV6(p: Packet, len: number, pcol: number, dcol: number): void {
    const so = p.srcOff;
    const dO = p.dstOff;
    if (so < 0 || dO < 0) return;
    const d = p.data;
    const rows = this.rows;
    const local = this.local;
    const m = this.m6;
    if (local === undefined || local.matchV6(d, so) >= 0) {
      const b = rows.find4(FAM_V6, u32(d, so) & m[0]!, u32(d, so + 4) & m[1]!, u32(d, so + 8) & m[2]!, u32(d, so + 12) & m[3]!);
      countEndpoint(rows.data, b, C_TX_PKTS, len, pcol, dcol);
      if (this.pct !== undefined) this.pct.add(rows.lastRow, this.clock.now[1]!, len, true);
    }
    if (local === undefined || local.matchV6(d, dO) >= 0) {
      const b = rows.find4(FAM_V6, u32(d, dO) & m[0]!, u32(d, dO + 4) & m[1]!, u32(d, dO + 8) & m[2]!, u32(d, dO + 12) & m[3]!);
      countEndpoint(rows.data, b, C_RX_PKTS, len, pcol, dcol);
      if (this.pct !== undefined) this.pct.add(rows.lastRow, this.clock.now[1]!, len, false);
    }
  }

  keyText(r: number): string {
    const rows = this.rows;
    if (rows.family(r) === FAM_V4) {
      textScratch.writeInt32BE(rows.key(r, 0), 0);
      return ipv4Text(textScratch, 0) + this.suffix4;
    }
    for (let w = 0; w < 4; w++) textScratch.writeInt32BE(rows.key(r, w), w * 4);
    return ipv6Text(textScratch, 0) + this.suffix6;
  }
}

/** mac: the source MAC sent, the destination received; frames without MACs count only in the totals. */
export class MacTally implements Tally {
  readonly rows: RowStore;

  constructor(
    readonly spec: BySpec,
    maxKeys: number,
    measure: Measure,
  ) {
    this.rows = new RowStore(4, maxKeys, 'endpoint', measure);
  }

  add(p: Packet, len: number, pcol: number, dcol: number): void {
    const d = p.data;
    const rows = this.rows;
    if (p.smacOff >= 0) {
      const o = p.smacOff;
      const b = rows.find4(0, u32(d, o), (d[o + 4]! << 8) | d[o + 5]!, 0, 0);
      countEndpoint(rows.data, b, C_TX_PKTS, len, pcol, dcol);
    }
    if (p.dmacOff >= 0) {
      const o = p.dmacOff;
      const b = rows.find4(0, u32(d, o), (d[o + 4]! << 8) | d[o + 5]!, 0, 0);
      countEndpoint(rows.data, b, C_RX_PKTS, len, pcol, dcol);
    }
  }

  keyText(r: number): string {
    textScratch.writeInt32BE(this.rows.key(r, 0), 0);
    textScratch.writeUInt16BE(this.rows.key(r, 1) & 0xffff, 4);
    return macText(textScratch, 0);
  }
}

/** port: the source port sent, the destination port received (TCP, UDP, SCTP, DCCP…); packets without ports count only in the totals. */
export class PortTally implements Tally {
  readonly rows: RowStore;

  constructor(
    readonly spec: BySpec,
    maxKeys: number,
    measure: Measure,
  ) {
    this.rows = new RowStore(4, maxKeys, 'endpoint', measure);
  }

  add(p: Packet, len: number, pcol: number, dcol: number): void {
    if (p.sport < 0 || p.dport < 0) return;
    const rows = this.rows;
    let b = rows.find1(0, p.sport);
    countEndpoint(rows.data, b, C_TX_PKTS, len, pcol, dcol);
    b = rows.find1(0, p.dport);
    countEndpoint(rows.data, b, C_RX_PKTS, len, pcol, dcol);
  }

  keyText(r: number): string {
    return String(this.rows.key(r, 0));
  }
}

/**
 * iptraf-ng's packet size breakdown (pktsize.c) for an MTU of 1500: twenty
 * brackets of 1500/20 = 75 bytes, `1-75` … `1426-1500`, and `1501+` for the
 * rest ("oversized" in iptraf-ng). Like iptraf-ng's, the size is the length
 * on the wire with the link header, so a full-size Ethernet frame (1514)
 * lands in 1501+.
 */
export const SIZE_STEP = 75;
export const SIZE_BRACKETS = 20;
export const SIZE_KEYS: readonly string[] = [
  ...Array.from({ length: SIZE_BRACKETS }, (_, i) => `${i * SIZE_STEP + 1}-${(i + 1) * SIZE_STEP}`),
  `${SIZE_BRACKETS * SIZE_STEP + 1}+`,
];

/** The size bracket of a wire length (iptraf-ng: (len - 1) / 75, capped; 0 and 1–75 share the first). */
export function sizeBracket(len: number): number {
  const i = len > 0 ? Math.floor((len - 1) / SIZE_STEP) : 0;
  return i < SIZE_BRACKETS ? i : SIZE_BRACKETS;
}

/** The tallies with one row per packet: proto, size, dir, vlan, svc. */
abstract class PlainTally implements Tally {
  readonly rows: RowStore;

  constructor(
    readonly spec: BySpec,
    maxKeys: number,
    measure: Measure,
  ) {
    this.rows = new RowStore(4, maxKeys, 'plain', measure);
  }

  abstract add(p: Packet, len: number, pcol: number, dcol: number, svc: string | undefined): void;
  abstract keyText(r: number): string;

  protected count(f: number, key: number, len: number, pcol: number, dcol: number): void {
    const b = this.rows.find1(f, key);
    countPlain(this.rows.data, b, len, pcol, dcol);
  }
}

const PROTO_IP = 0;
const PROTO_ARP = 1;
const PROTO_NON_IP = 2;
const PROTO_IP_UNKNOWN = 3;
const ETHERTYPE_ARP = 0x0806;

/**
 * proto: the IP protocol after IPv6 extension headers, by the pkt record's
 * names (`tcp`, `udp`, `icmp`, `icmp6`, `gre`, …) or number; `arp` for ARP,
 * `non-ip` for other frames without an IP header, `ip` for an IP packet too
 * damaged to name its protocol.
 */
export class ProtoTally extends PlainTally {
  add(p: Packet, len: number, pcol: number, dcol: number): void {
    if (p.ipVersion !== 0) {
      if (p.proto >= 0) this.count(PROTO_IP, p.proto, len, pcol, dcol);
      else this.count(PROTO_IP_UNKNOWN, 0, len, pcol, dcol);
    } else if (p.ethertype === ETHERTYPE_ARP || p.arpOp >= 0) this.count(PROTO_ARP, 0, len, pcol, dcol);
    else this.count(PROTO_NON_IP, 0, len, pcol, dcol);
  }

  keyText(r: number): string {
    switch (this.rows.family(r)) {
      case PROTO_ARP:
        return 'arp';
      case PROTO_NON_IP:
        return 'non-ip';
      case PROTO_IP_UNKNOWN:
        return 'ip';
    }
    const n = this.rows.key(r, 0);
    return protocolName(n) ?? String(n);
  }
}

/** size: iptraf-ng's brackets (SIZE_KEYS) of the wire length. */
export class SizeTally extends PlainTally {
  add(_p: Packet, len: number, pcol: number, dcol: number): void {
    this.count(0, sizeBracket(len), len, pcol, dcol);
  }

  keyText(r: number): string {
    return SIZE_KEYS[this.rows.key(r, 0)]!;
  }
}

/** dir: in, out, internal, transit, martian, and `unknown` where the direction is not known. */
export class DirTally extends PlainTally {
  add(_p: Packet, len: number, pcol: number, dcol: number): void {
    this.count(0, dcol, len, pcol, dcol);
  }

  keyText(r: number): string {
    return DIR_NAMES[this.rows.key(r, 0) - C_DIR] || 'unknown';
  }
}

/** vlan: the outermost 802.1Q tag, `none` for untagged frames. */
export class VlanTally extends PlainTally {
  add(p: Packet, len: number, pcol: number, dcol: number): void {
    this.count(0, p.vlanCount > 0 ? p.vlans[0]! : -1, len, pcol, dcol);
  }

  keyText(r: number): string {
    const v = this.rows.key(r, 0);
    return v < 0 ? 'none' : String(v);
  }
}

/** svc: the service name given with the packet; packets without one count only in the totals. */
export class SvcTally extends PlainTally {
  /** Service names as small integers: the names are the services table's own strings, so the lookup hashes nothing new. */
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  add(_p: Packet, len: number, pcol: number, dcol: number, svc: string | undefined): void {
    if (svc === undefined) return;
    let id = this.ids.get(svc);
    if (id === undefined) {
      if (this.names.length >= this.rows.maxRows * 2) this.renumber();
      id = this.names.length;
      this.names.push(svc);
      this.ids.set(svc, id);
    }
    this.count(0, id, len, pcol, dcol);
  }

  keyText(r: number): string {
    return this.names[this.rows.key(r, 0)]!;
  }

  /**
   * Names come from the services table, or from the svc field of records
   * that anyone may write: a stream naming millions must not grow the
   * numbering without bound, so it is redone from the names rows still hold.
   */
  private renumber(): void {
    const kept: string[] = [];
    this.ids.clear();
    this.rows.rekey((data, b) => {
      const name = this.names[data[b]!]!;
      let id = this.ids.get(name);
      if (id === undefined) {
        id = kept.length;
        kept.push(name);
        this.ids.set(name, id);
      }
      data[b] = id;
    });
    this.names.length = 0;
    this.names.push(...kept);
  }
}
