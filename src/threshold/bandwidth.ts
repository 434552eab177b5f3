/**
 * ipband's bandwidth watchdog, in packet time.
 *
 * WHAT IS COUNTED. Every IP packet's frame length (the wire length plus
 * -J/lenadj) is added to its source subnet and to its destination subnet —
 * once when both are the same subnet. A subnet is the address masked to
 * maskbits (IPv4) or mask6 (IPv6). With local ranges (-L/localrange) only
 * the subnets of local addresses are counted; with `subnet` lines in the
 * configuration only the listed subnets are, each against its own threshold.
 *
 * PERIODS. The averaging period (-a) is aligned to the clock like
 * trk-tally's intervals, and judged when packet time passes its end (a live
 * source gone quiet is moved on by the idle clock). The rate of a period is
 * its bytes / 1024 over the seconds watched in it: all of it, except the
 * first, which starts at the first packet (a first period shorter than half
 * an averaging period is joined to the next one, so a lone packet a moment
 * before a boundary does not make a rate). A stretch without any packet is
 * judged as one empty period, whatever its length.
 *
 * EPISODES, as ipband's proc_aggr(): a subnet at or over its threshold at a
 * period's end starts detailed logging (ALERT BANDWIDTH exceeded): from then
 * on its packets are also counted per connection — the ordered address pair,
 * their ports and the protocol. At each later period end it is judged again:
 * still at or over, and logged for the reporting period (-r) or longer, a
 * report fires (ALERT BANDWIDTH report, and the report) and the reporting
 * clock starts again, the connections logged so far kept, as ipband keeps
 * them; under the threshold, the episode ends (ALERT BANDWIDTH normal) and
 * its connections are forgotten.
 *
 * BOUNDS. ipband's tables grow with every subnet seen; here at most
 * maxSubnets are tracked in a period and maxConns connections kept in
 * detail. A full subnet table drops the lighter half of the subnets that are
 * not being logged (their bytes this period are lost, and counted in
 * evictedSubnets); a full detail table folds the lighter half of each logged
 * subnet's connections into that subnet's "dropped" remainder, which its
 * report states. Both are said once on standard error by the command.
 */
import type { Packet } from '../decode/packet.js';
import { ipv4Text, ipv6Text } from '../format/addr.js';
import { intervalAt } from '../tally/engine.js';
import type { PrefixSet } from '../net/prefixes.js';
import { parseAddress } from '../net/prefixes.js';
import type { BandwidthReport, ReportConn, ThresholdEvent, ThresholdSettings } from './types.js';

export type BandwidthSettings = Pick<
  ThresholdSettings,
  'bandwidth' | 'average' | 'report' | 'top' | 'accumulate' | 'maskbits' | 'mask6' | 'lenadj' | 'subnets' | 'maxSubnets' | 'maxConns'
>;

/** How a report names things: protocols, ports, networks (the system's tables, loaded by the command). */
export interface Namer {
  protocol(n: number): string;
  port(proto: number, port: number): string | undefined;
  network(address: string): string | undefined;
}

/** One subnet as judged at a period's end: the -w page and the -d 2 table. */
export interface SubnetLine {
  address: string;
  net: string;
  kB: number;
  kBps: number;
  threshold: number;
  logging: boolean;
}

export interface BandwidthSink {
  event(e: ThresholdEvent): void;
  report(r: BandwidthReport): void;
  /** Every period's end, with every subnet judged in it (only called when wanted). */
  period?(end: number, subnets: SubnetLine[]): void;
  /** Whether period() is wanted now (-w or -d 2: the list costs an object per subnet); default yes. */
  wantsPeriod?(): boolean;
}

/** One logged connection. Several protocols between the same two ports chain through `next`. */
interface Conn {
  proto: number;
  bytes: number;
  next: Conn | undefined;
  // the key, kept for the report: lower address first
  a: string;
  aport: number;
  b: string;
  bport: number;
}

interface Subnet {
  version: 4 | 6;
  /** The masked network: a uint32 for IPv4; for IPv6 the key string itself. */
  key: number | string;
  bytes: number;
  /** From a `subnet` line: kept across periods, with its own threshold (0: the default). */
  preloaded: boolean;
  threshold: number;
  logging: boolean;
  /** When the episode began, and when its reporting clock last started (ipband's logtime). */
  episodeStart: number;
  logStart: number;
  /** Seconds over threshold reported in this episode (ipband's exc_time), and since the start (exc_accum). */
  excTime: number;
  excAccum: number;
  peakKBps: number;
  /** The connection log while logging. IPv4: lower address·2^16 + its port → other address·2^16 + its port → Conn. */
  conns4: Map<number, Map<number, Conn>> | undefined;
  conns6: Map<string, Conn> | undefined;
  connCount: number;
  droppedConns: number;
  droppedBytes: number;
}

const TWO16 = 65536;

export class BandwidthWatch {
  private settings: BandwidthSettings;
  private mask4 = 0;
  /**
   * Subnets being logged, or from subnet lines: kept across periods, as objects.
   * Any other subnet is only a byte count for the period (`bytes4`/`bytes6`):
   * on internet traffic those are nearly all of them, and a number in a Map
   * costs a fraction of an object and leaves nothing for the collector.
   */
  private readonly subnets4 = new Map<number, Subnet>();
  private readonly subnets6 = new Map<string, Subnet>();
  private readonly bytes4 = new Map<number, number>();
  private readonly bytes6 = new Map<string, number>();
  /** Subnets being logged, for the detail lookup of each packet. */
  private loggedCount = 0;
  private totalConns = 0;
  private periodStart = NaN;
  private periodEnd = NaN;
  private watchStart = NaN;
  private lastTs = NaN;
  private pendingAverage: number | undefined;
  /** Subnets dropped from a full table, and connection folds, since the start (for the summary and tests). */
  evictedSubnets = 0;
  foldedConns = 0;
  /** The first time a table filled, so the command can say it once. */
  onFull: ((what: 'subnets' | 'conns', limit: number) => void) | undefined;
  private warnedSubnets = false;
  private warnedConns = false;

  constructor(
    settings: BandwidthSettings,
    private local: PrefixSet | undefined,
    private readonly sink: BandwidthSink,
    private readonly namer: Namer,
  ) {
    this.settings = settings;
    this.applyMask();
    this.preload();
  }

  /** Subnet lines are in force: only their subnets are counted. */
  private preloaded = false;

  private applyMask(): void {
    const bits = this.settings.maskbits;
    this.mask4 = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }

  /** `subnet` lines become subnets tracked from the start, each with its threshold. */
  private preload(): void {
    this.preloaded = this.settings.subnets.length > 0;
    for (const s of this.settings.subnets) {
      const a = parseAddress(s.address);
      if (a === undefined) continue; // config.ts has refused it already
      if (a.version === 4) {
        const key = (Number(a.value) & this.mask4) >>> 0;
        const known = this.subnets4.get(key);
        if (known) {
          known.preloaded = true;
          known.threshold = s.bandwidth;
        } else this.subnets4.set(key, newSubnet(4, key, true, s.bandwidth));
      } else {
        const key = v6KeyOfBigint(a.value, this.settings.mask6);
        const known = this.subnets6.get(key);
        if (known) {
          known.preloaded = true;
          known.threshold = s.bandwidth;
        } else this.subnets6.set(key, newSubnet(6, key, true, s.bandwidth));
      }
    }
  }

  /** One decoded packet at time ts (seconds). Packets without an IP header are not counted. */
  addPacket(p: Packet, ts: number): void {
    if (p.ipVersion === 0) return;
    if (ts >= this.periodEnd || this.periodStart !== this.periodStart) this.advanceTo(ts);
    else if (ts > this.lastTs) this.lastTs = ts;
    const length = p.len + this.settings.lenadj;
    if (p.ipVersion === 4) this.count4(p, length);
    else this.count6(p, length);
  }

  private count4(p: Packet, length: number): void {
    const data = p.data;
    const srcAddr = data.readUInt32BE(p.srcOff);
    const dstAddr = data.readUInt32BE(p.dstOff);
    const src = (srcAddr & this.mask4) >>> 0;
    const dst = (dstAddr & this.mask4) >>> 0;
    const local = this.local;
    let srcNet: Subnet | undefined;
    let dstNet: Subnet | undefined;
    if (local === undefined || local.containsV4(srcAddr)) srcNet = this.countInto(this.subnets4, this.bytes4, src, length);
    if (dst !== src && (local === undefined || local.containsV4(dstAddr))) dstNet = this.countInto(this.subnets4, this.bytes4, dst, length);
    if (this.loggedCount === 0) return;
    const logSrc = srcNet !== undefined && srcNet.logging;
    const logDst = dstNet !== undefined && dstNet.logging;
    if (logSrc || logDst) this.logConn4(p, srcAddr, dstAddr, length, logSrc ? srcNet : undefined, logDst ? dstNet : undefined);
  }

  /**
   * Count into a subnet: a tracked one (returned, for the connection log), or
   * a bare byte count, made when new — not with subnet lines, which name the
   * only subnets tracked.
   */
  private countInto<K extends number | string>(tracked: Map<K, Subnet>, counts: Map<K, number>, key: K, length: number): Subnet | undefined {
    const s = tracked.size !== 0 ? tracked.get(key) : undefined;
    if (s !== undefined) {
      s.bytes += length;
      return s;
    }
    if (this.preloaded) return undefined;
    const bytes = counts.get(key);
    if (bytes !== undefined) counts.set(key, bytes + length);
    else {
      if (this.bytes4.size + this.bytes6.size >= this.settings.maxSubnets) this.evictSubnets();
      counts.set(key, length);
    }
    return undefined;
  }

  private count6(p: Packet, length: number): void {
    const data = p.data;
    const local = this.local;
    const srcLocal = local === undefined || local.containsV6(data, p.srcOff);
    const dstLocal = local === undefined || local.containsV6(data, p.dstOff);
    if (!srcLocal && !dstLocal) return;
    // IPv6 subnets are keyed by text; built only for the packets that count
    const bits = this.settings.mask6;
    const src = srcLocal ? v6Key(data, p.srcOff, bits) : undefined;
    const dst = dstLocal ? v6Key(data, p.dstOff, bits) : undefined;
    const srcNet = src !== undefined ? this.countInto(this.subnets6, this.bytes6, src, length) : undefined;
    const dstNet = dst !== undefined && dst !== src ? this.countInto(this.subnets6, this.bytes6, dst, length) : undefined;
    if (this.loggedCount === 0) return;
    const logSrc = srcNet !== undefined && srcNet.logging;
    const logDst = dstNet !== undefined && dstNet.logging;
    if (logSrc || logDst) this.logConn6(p, length, logSrc ? srcNet : undefined, logDst ? dstNet : undefined);
  }

  private logConn4(p: Packet, srcAddr: number, dstAddr: number, length: number, a: Subnet | undefined, b: Subnet | undefined): void {
    const sport = ipbandSport(p);
    const dport = ipbandDport(p);
    // ipband's key: the lower address first, each with its own port
    const srcFirst = srcAddr < dstAddr || (srcAddr === dstAddr && sport <= dport);
    const k1 = srcFirst ? srcAddr * TWO16 + sport : dstAddr * TWO16 + dport;
    const k2 = srcFirst ? dstAddr * TWO16 + dport : srcAddr * TWO16 + sport;
    if (a) this.addConn4(a, k1, k2, p.proto, length, p, srcFirst);
    if (b) this.addConn4(b, k1, k2, p.proto, length, p, srcFirst);
  }

  private addConn4(s: Subnet, k1: number, k2: number, proto: number, length: number, p: Packet, srcFirst: boolean): void {
    let inner = s.conns4!.get(k1);
    let c = inner?.get(k2);
    while (c !== undefined && c.proto !== proto) c = c.next;
    if (c !== undefined) {
      c.bytes += length;
      return;
    }
    if (!this.roomForConn(s, length)) return;
    const sport = ipbandSport(p);
    const dport = ipbandDport(p);
    const srcText = ipv4Text(p.data, p.srcOff);
    const dstText = ipv4Text(p.data, p.dstOff);
    const conn: Conn = srcFirst
      ? { proto, bytes: length, next: undefined, a: srcText, aport: sport, b: dstText, bport: dport }
      : { proto, bytes: length, next: undefined, a: dstText, aport: dport, b: srcText, bport: sport };
    if (inner === undefined) {
      inner = new Map();
      s.conns4!.set(k1, inner);
    }
    conn.next = inner.get(k2);
    inner.set(k2, conn);
    s.connCount++;
    this.totalConns++;
  }

  private logConn6(p: Packet, length: number, a: Subnet | undefined, b: Subnet | undefined): void {
    const sport = ipbandSport(p);
    const dport = ipbandDport(p);
    const srcText = ipv6Text(p.data, p.srcOff);
    const dstText = ipv6Text(p.data, p.dstOff);
    const srcFirst = compare16(p.data, p.srcOff, p.dstOff) < 0 || (srcText === dstText && sport <= dport);
    const key = srcFirst ? `${srcText} ${sport} ${dstText} ${dport} ${p.proto}` : `${dstText} ${dport} ${srcText} ${sport} ${p.proto}`;
    for (const s of [a, b]) {
      if (s === undefined) continue;
      const c = s.conns6!.get(key);
      if (c !== undefined) {
        c.bytes += length;
        continue;
      }
      if (!this.roomForConn(s, length)) continue;
      s.conns6!.set(
        key,
        srcFirst
          ? { proto: p.proto, bytes: length, next: undefined, a: srcText, aport: sport, b: dstText, bport: dport }
          : { proto: p.proto, bytes: length, next: undefined, a: dstText, aport: dport, b: srcText, bport: sport },
      );
      s.connCount++;
      this.totalConns++;
    }
  }

  /** Whether a new connection fits; when the detail table is full, fold the lighter half of every log first. */
  private roomForConn(s: Subnet, length: number): boolean {
    if (this.totalConns < this.settings.maxConns) return true;
    if (!this.warnedConns) {
      this.warnedConns = true;
      this.onFull?.('conns', this.settings.maxConns);
    }
    for (const t of this.allSubnets()) if (t.logging) this.foldLighterHalf(t);
    if (this.totalConns < this.settings.maxConns) return true;
    s.droppedConns++;
    s.droppedBytes += length;
    return false;
  }

  private foldLighterHalf(s: Subnet): void {
    const all = this.connsOf(s);
    if (all.length < 2) return;
    const sizes = all.map((c) => c.bytes).sort((x, y) => x - y);
    const median = sizes[Math.floor(sizes.length / 2)]!;
    let folded = 0;
    if (s.conns4) {
      for (const [k1, inner] of s.conns4) {
        for (const [k2, head] of inner) {
          let keep: Conn | undefined;
          for (let c: Conn | undefined = head; c !== undefined; ) {
            const next: Conn | undefined = c.next;
            if (c.bytes < median || (c.bytes === median && folded < all.length / 2)) {
              s.droppedBytes += c.bytes;
              s.droppedConns++;
              folded++;
            } else {
              c.next = keep;
              keep = c;
            }
            c = next;
          }
          if (keep) inner.set(k2, keep);
          else inner.delete(k2);
        }
        if (inner.size === 0) s.conns4.delete(k1);
      }
    } else if (s.conns6) {
      for (const [key, c] of s.conns6) {
        if (c.bytes < median || (c.bytes === median && folded < all.length / 2)) {
          s.droppedBytes += c.bytes;
          s.droppedConns++;
          folded++;
          s.conns6.delete(key);
        }
      }
    }
    s.connCount -= folded;
    this.totalConns -= folded;
    this.foldedConns += folded;
  }

  /** A full subnet table: forget the lighter half of the subnets counted this period (their bytes so far). */
  private evictSubnets(): void {
    if (!this.warnedSubnets) {
      this.warnedSubnets = true;
      this.onFull?.('subnets', this.settings.maxSubnets);
    }
    const all = new Float64Array(this.bytes4.size + this.bytes6.size);
    let i = 0;
    for (const b of this.bytes4.values()) all[i++] = b;
    for (const b of this.bytes6.values()) all[i++] = b;
    all.sort();
    const median = all[all.length >> 1] ?? 0;
    // below the median go; of those at it, as many as make half
    let atMedianToGo = (all.length >> 1) - lowerBound(all, median);
    const before = this.bytes4.size + this.bytes6.size;
    for (const [key, b] of this.bytes4) if (b < median || (b === median && atMedianToGo-- > 0)) this.bytes4.delete(key);
    for (const [key, b] of this.bytes6) if (b < median || (b === median && atMedianToGo-- > 0)) this.bytes6.delete(key);
    this.evictedSubnets += before - this.bytes4.size - this.bytes6.size;
  }

  private remove(s: Subnet): void {
    if (s.version === 4) this.subnets4.delete(s.key as number);
    else this.subnets6.delete(s.key as string);
  }

  private *allSubnets(): Iterable<Subnet> {
    yield* this.subnets4.values();
    yield* this.subnets6.values();
  }

  private begin(ts: number): void {
    this.watchStart = ts;
    const first = intervalAt(ts, this.settings.average);
    this.periodStart = first.start;
    // a first period of less than half an averaging period joins the next one
    this.periodEnd = first.end - ts < this.settings.average / 2 ? first.end + this.settings.average : first.end;
  }

  /** Time has reached ts: judge every period that ended by then. */
  advanceTo(ts: number): void {
    if (this.periodStart !== this.periodStart) {
      this.begin(ts);
      this.lastTs = ts;
      return;
    }
    if (ts > this.lastTs) this.lastTs = ts;
    while (ts >= this.periodEnd) {
      const end = this.periodEnd;
      const hadBytes = this.judge(end);
      this.nextPeriod(end);
      if (!hadBytes && ts >= this.periodEnd) {
        // a stretch without packets is judged as one empty period, however long it is
        const at = intervalAt(ts, this.settings.average);
        this.periodStart = at.start;
        this.periodEnd = at.end;
        break;
      }
    }
  }

  private nextPeriod(end: number): void {
    if (this.pendingAverage !== undefined) {
      this.settings = { ...this.settings, average: this.pendingAverage };
      this.pendingAverage = undefined;
    }
    const next = intervalAt(end, this.settings.average);
    this.periodStart = Math.max(end, next.start);
    this.periodEnd = next.end > end ? next.end : end + this.settings.average;
  }

  /** The end of the input: the period in progress is judged over the time it covered, up to the last packet or clock tick (if a second or more). */
  finish(): void {
    if (this.periodStart !== this.periodStart) return;
    const end = this.lastTs;
    if (end - Math.max(this.periodStart, this.watchStart) < 1) return;
    this.judge(end);
  }

  /** Judge the period ending at `end` (ipband's proc_aggr). Returns whether any subnet had bytes in it. */
  private judge(end: number): boolean {
    const span = end - Math.max(this.periodStart, this.watchStart);
    const lines: SubnetLine[] | undefined = this.sink.period && (this.sink.wantsPeriod?.() ?? true) ? [] : undefined;
    const rate = (bytes: number): number => (span > 0 ? bytes / 1024 / span : 0);
    let hadBytes = this.bytes4.size + this.bytes6.size > 0;
    for (const s of [...this.allSubnets()]) {
      if (s.bytes > 0) hadBytes = true;
      const threshold = s.threshold || this.settings.bandwidth;
      const kBps = rate(s.bytes);
      if (kBps >= threshold) {
        if (s.logging) {
          if (kBps > s.peakKBps) s.peakKBps = kBps;
          const exceeded = end - s.logStart;
          if (exceeded >= this.settings.report) {
            s.excTime += exceeded;
            if (this.settings.accumulate) s.excAccum += exceeded;
            this.fireReport(s, end, kBps, threshold);
            s.logStart = end;
          }
        } else this.startEpisode(s, end, kBps, threshold);
      } else if (s.logging) this.endEpisode(s, end, kBps, threshold);
      if (lines) lines.push({ ...this.names(s), kB: s.bytes / 1024, kBps, threshold, logging: s.logging });
      // ipband's clean-up: a logged or preloaded subnet starts the next period at zero, any other is forgotten
      s.bytes = 0;
      if (!s.logging && !s.preloaded) this.remove(s);
    }
    // the subnets only counted: one over its threshold becomes tracked, and logged
    const threshold = this.settings.bandwidth;
    const judgeCount = (version: 4 | 6, key: number | string, bytes: number): void => {
      const kBps = rate(bytes);
      let logging = false;
      if (kBps >= threshold && this.subnets4.size + this.subnets6.size >= this.settings.maxSubnets) {
        // as many subnets logged as the table holds: this one is not, and that is said
        this.evictedSubnets++;
        if (!this.warnedSubnets) {
          this.warnedSubnets = true;
          this.onFull?.('subnets', this.settings.maxSubnets);
        }
      } else if (kBps >= threshold) {
        const s = newSubnet(version, key, false, 0);
        if (version === 4) this.subnets4.set(key as number, s);
        else this.subnets6.set(key as string, s);
        this.startEpisode(s, end, kBps, threshold);
        logging = true;
      }
      if (lines) lines.push({ ...this.namesOf(version, key), kB: bytes / 1024, kBps, threshold, logging });
    };
    for (const [key, bytes] of this.bytes4) judgeCount(4, key, bytes);
    for (const [key, bytes] of this.bytes6) judgeCount(6, key, bytes);
    this.bytes4.clear();
    this.bytes6.clear();
    if (lines) this.sink.period!(end, lines);
    return hadBytes;
  }

  private startEpisode(s: Subnet, end: number, kBps: number, threshold: number): void {
    s.logging = true;
    s.episodeStart = end;
    s.logStart = end;
    s.excTime = 0;
    s.peakKBps = kBps;
    if (s.version === 4) s.conns4 = new Map();
    else s.conns6 = new Map();
    this.loggedCount++;
    const { net } = this.names(s);
    this.sink.event({
      ts: end,
      family: 'BANDWIDTH',
      kind: 'exceeded',
      details: [
        ['net', net],
        ['kBps', kBps.toFixed(2)],
        ['threshold', threshold.toFixed(2)],
      ],
      sentence: `${net} at ${kBps.toFixed(2)} kB/s, at or over its threshold of ${threshold.toFixed(2)} kB/s: logging its connections`,
    });
  }

  private endEpisode(s: Subnet, end: number, kBps: number, threshold: number): void {
    const { net } = this.names(s);
    const duration = end - s.episodeStart;
    this.totalConns -= s.connCount;
    s.logging = false;
    s.conns4 = undefined;
    s.conns6 = undefined;
    s.connCount = 0;
    s.droppedConns = 0;
    s.droppedBytes = 0;
    s.excTime = 0;
    this.loggedCount--;
    this.sink.event({
      ts: end,
      family: 'BANDWIDTH',
      kind: 'normal',
      details: [
        ['net', net],
        ['kBps', kBps.toFixed(2)],
        ['threshold', threshold.toFixed(2)],
        ['duration', String(Math.round(duration))],
        ['peak_kBps', s.peakKBps.toFixed(2)],
      ],
      sentence: `${net} back under its threshold of ${threshold.toFixed(2)} kB/s (${kBps.toFixed(2)} kB/s) after ${formatSeconds(duration)}, peak ${s.peakKBps.toFixed(2)} kB/s`,
    });
  }

  private fireReport(s: Subnet, end: number, kBps: number, threshold: number): void {
    const { address, net } = this.names(s);
    const all = this.connsOf(s);
    all.sort(byBytesThenKey);
    const top = this.settings.top;
    const shown = top > 0 ? all.slice(0, top) : all;
    let totalBytes = 0;
    for (const c of all) totalBytes += c.bytes;
    const conns: ReportConn[] = shown.map((c) => this.reportConn(c));
    const name = s.version === 4 ? this.namer.network(address) : undefined;
    const report: BandwidthReport = {
      ts: end,
      net,
      address,
      threshold,
      kBps,
      exceeded: s.excTime,
      since: s.episodeStart,
      top,
      conns,
      totalConns: all.length,
      totalBytes,
      droppedConns: s.droppedConns,
      droppedBytes: s.droppedBytes,
    };
    if (name !== undefined) report.name = name;
    // ipband prints the accumulated time only for preloaded subnets: the others are forgotten between episodes
    if (this.settings.accumulate && s.preloaded) {
      report.accumulated = s.excAccum;
      report.watchStart = this.watchStart;
      const watched = end - this.watchStart;
      report.accumulatedPct = watched > 0 ? (s.excAccum * 100) / watched : 0;
    }
    const topConn = conns[0];
    this.sink.event({
      ts: end,
      family: 'BANDWIDTH',
      kind: 'report',
      details: [
        ['net', net],
        ['kBps', kBps.toFixed(2)],
        ['threshold', threshold.toFixed(2)],
        ['exceeded', String(Math.round(s.excTime))],
        ['conns', String(all.length)],
        ...(topConn
          ? ([
              ['top', `${bracket(topConn.a)}:${topConn.aport}-${bracket(topConn.b)}:${topConn.bport}/${topConn.proto}`],
              ['top_kB', (topConn.bytes / 1024).toFixed(2)],
            ] as [string, string][])
          : []),
      ],
      sentence:
        `${net} over its threshold of ${threshold.toFixed(2)} kB/s for ${(s.excTime / 60).toFixed(2)} min (${kBps.toFixed(2)} kB/s now)` +
        (topConn ? `; top: ${topConn.a} <-> ${topConn.b} ${topConn.proto} ${(topConn.bytes / 1024).toFixed(2)} kB` : ''),
    });
    this.sink.report(report);
  }

  private reportConn(c: Conn): ReportConn {
    // ipband names the service of the lower address's port, else of the other's, for TCP and UDP only
    const service = c.proto === 6 || c.proto === 17 ? (this.namer.port(c.proto, c.aport) ?? this.namer.port(c.proto, c.bport) ?? '') : '';
    return { a: c.a, aport: c.aport, b: c.b, bport: c.bport, proto: this.namer.protocol(c.proto), bytes: c.bytes, service };
  }

  private connsOf(s: Subnet): Conn[] {
    const all: Conn[] = [];
    if (s.conns4) for (const inner of s.conns4.values()) for (const head of inner.values()) for (let c: Conn | undefined = head; c; c = c.next) all.push(c);
    if (s.conns6) for (const c of s.conns6.values()) all.push(c);
    return all;
  }

  private names(s: Subnet): { address: string; net: string } {
    return this.namesOf(s.version, s.key);
  }

  private namesOf(version: 4 | 6, key: number | string): { address: string; net: string } {
    if (version === 4) {
      const k = key as number;
      const address = `${k >>> 24}.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`;
      return { address, net: `${address}/${this.settings.maskbits}` };
    }
    const address = key as string;
    return { address, net: `${address}/${this.settings.mask6}` };
  }

  /** SIGHUP: new thresholds; a new mask starts the tables afresh; a new averaging period applies from the next period. */
  reconfigure(settings: BandwidthSettings, local: PrefixSet | undefined): void {
    const maskChanged = settings.maskbits !== this.settings.maskbits || settings.mask6 !== this.settings.mask6;
    if (settings.average !== this.settings.average) this.pendingAverage = settings.average;
    this.settings = { ...settings, average: this.settings.average };
    this.local = local;
    this.applyMask();
    if (maskChanged) {
      this.subnets4.clear();
      this.subnets6.clear();
      this.bytes4.clear();
      this.bytes6.clear();
      this.loggedCount = 0;
      this.totalConns = 0;
    }
    // thresholds of preloaded subnets are read again; subnets no longer listed stop being preloaded
    for (const s of this.allSubnets()) {
      s.preloaded = false;
      s.threshold = 0;
    }
    this.preload();
    if (!this.preloaded) return;
    for (const s of [...this.allSubnets()]) {
      if (s.preloaded) continue;
      if (s.logging) {
        this.totalConns -= s.connCount;
        this.loggedCount--;
      }
      this.remove(s);
    }
  }

  /** Subnets tracked now (tests, bench). */
  get subnetCount(): number {
    return this.subnets4.size + this.subnets6.size + this.bytes4.size + this.bytes6.size;
  }

  get connCount(): number {
    return this.totalConns;
  }
}

function newSubnet(version: 4 | 6, key: number | string, preloaded: boolean, threshold: number): Subnet {
  return {
    version,
    key,
    bytes: 0,
    preloaded,
    threshold,
    logging: false,
    episodeStart: 0,
    logStart: 0,
    excTime: 0,
    excAccum: 0,
    peakKBps: 0,
    conns4: undefined,
    conns6: undefined,
    connCount: 0,
    droppedConns: 0,
    droppedBytes: 0,
  };
}

/**
 * ipband's ports: TCP and UDP ports; for ICMP the source "port" is type·256
 * + code and the destination 0 (ipband reads the ICMP header where ports
 * would be); 0 and 0 for anything else. ICMPv6 is treated as ICMP. A
 * fragment without its transport header has 0 and 0.
 */
function ipbandSport(p: Packet): number {
  const proto = p.proto;
  if (proto === 6 || proto === 17) return p.sport >= 0 ? p.sport : 0;
  if (proto === 1 || proto === 58) return p.itype >= 0 ? p.itype * 256 + Math.max(0, p.icode) : 0;
  return 0;
}

function ipbandDport(p: Packet): number {
  return (p.proto === 6 || p.proto === 17) && p.dport >= 0 ? p.dport : 0;
}

/** The IPv6 subnet of the address at buf[off]: its masked text (RFC 5952). */
function v6Key(buf: Buffer, off: number, bits: number): string {
  const masked = Buffer.allocUnsafe(16);
  for (let i = 0; i < 16; i++) {
    const keep = bits - i * 8;
    masked[i] = keep >= 8 ? buf[off + i]! : keep <= 0 ? 0 : buf[off + i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return ipv6Text(masked, 0);
}

function v6KeyOfBigint(value: bigint, bits: number): string {
  const buf = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) buf[i] = Number((value >> BigInt(8 * (15 - i))) & 0xffn);
  return v6Key(buf, 0, bits);
}

function compare16(buf: Buffer, x: number, y: number): number {
  for (let i = 0; i < 16; i++) {
    const d = buf[x + i]! - buf[y + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** The first index of a sorted array holding a value >= x. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function byBytesThenKey(x: Conn, y: Conn): number {
  return y.bytes - x.bytes || (x.a < y.a ? -1 : x.a > y.a ? 1 : 0) || x.aport - y.aport || (x.b < y.b ? -1 : x.b > y.b ? 1 : 0) || x.bport - y.bport || x.proto - y.proto;
}

function bracket(addr: string): string {
  return addr.includes(':') ? `[${addr}]` : addr;
}

function formatSeconds(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
