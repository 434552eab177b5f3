/**
 * The work of trk-classify for one packet, shared by its two inputs so they
 * cannot disagree:
 *
 *   in-process  a capture decoded here: the Packet from the decoders; the
 *               record is written by writePktJson, then annotated.
 *   piped       pkt records from another command: the Packet filled by
 *               PktRecordReader from the line; the record is the line's own
 *               bytes, then annotated.
 *
 * Either way the annotation (`dir`, `svc`, `local`, `alerts`) is spliced in
 * before the record's closing brace, so a record from trk-capture comes out
 * byte for byte as trk-classify -r would have written it. After the record
 * come the ALERT lines it raised; STAT lines go between records at each
 * interval boundary of packet time, so all of them are in time order.
 */
import type { Packet } from '../decode/packet.js';
import type { LineOutput } from '../io/output.js';
import { MAX_RECORD } from '../io/output.js';
import { putIPv4, putIPv6 } from '../format/addr.js';
import { bytes, putBytes } from '../format/bytes.js';
import { addressText, writePktJson } from '../format/pkt-json.js';
import type { Services } from '../net/services.js';
import type { Alert, AlertKind } from './alert.js';
import { DIR_NAMES, DIR_NONE, type Directions } from './direction.js';
import { writeAlert, writeStat, zeroCounts, type EventForm, type ExactTime, type StatCounts } from './events.js';
import type { Watch } from './watch.js';

export interface ClassifierOptions {
  directions: Directions;
  services: Services;
  watch: Watch;
  /** Kinds whose ALERT lines are written (-A / -I); every kind is still counted in STAT. */
  enabled: ReadonlySet<AlertKind>;
  form: EventForm;
  /** Write the pkt records (false with --alerts-only and -H). */
  records: boolean;
  /** STAT interval in seconds of packet time. */
  statInterval: number;
  out: LineOutput;
}

const DIR_JSON = DIR_NAMES.map((name) => bytes(`,"dir":"${name}"`));
const DIR_COUNTER = ['pkts', 'in', 'out', 'internal', 'transit', 'martian'] as const;
const K_LOCAL = bytes(',"local":"');
const K_ALERTS = bytes(',"alerts":[');
const CLOSE_LINE = bytes('}\n');
const QUOTE = 0x22;
/** 10^digits for the fraction digits timestamps have (µs, ns, pcapng's other resolutions). */
const SCALE = Array.from({ length: 10 }, (_, i) => 10 ** i);
const CLOSE_BRACE = 0x7d;

export class Classifier {
  /** Counts since the last STAT line (the watch keeps its own and they are merged at each STAT). */
  /** Packets since the last STAT line, by direction (index DIR_*; 0 counts them all): numbers, not keyed properties, on the per-packet path. */
  private readonly dirCounts = new Float64Array(DIR_COUNTER.length);
  private readonly raised: Alert[] = [];
  private readonly shown: Alert[] = [];
  private readonly svcJson = new Map<string, Uint8Array[]>();
  private readonly time: ExactTime = { sec: 0, frac: 0, digits: 0 };
  /** Start of the interval the counts belong to; NaN before the first packet. */
  private statStart = NaN;
  /** Packet time at which the next STAT line is due. */
  private nextStat = NaN;
  /** Time of the latest packet, in seconds. */
  lastTs = NaN;
  packets = 0;

  constructor(private readonly o: ClassifierOptions) {}

  /** A packet decoded in-process. */
  packet(p: Packet): void {
    const ts = this.advance(p);
    const dir = this.o.directions.classify(p);
    this.inspect(p, ts, dir);
    if (this.o.records) {
      const out = this.o.out;
      writePktJson(out, p);
      // writePktJson ends the record with "}\n": reopen it for the annotation
      out.pos -= 2;
      this.annotate(p, dir, true);
    }
    this.writeAlerts(p);
  }

  /** A pkt record read from a line: buf[start, end) is the line, `p` what PktRecordReader read from it. */
  record(buf: Buffer, start: number, end: number, p: Packet): void {
    const ts = this.advance(p);
    const dir = this.o.directions.classify(p);
    this.inspect(p, ts, dir);
    if (this.o.records) {
      let close = end - 1;
      while (close > start && buf[close] !== CLOSE_BRACE) close--;
      const out = this.o.out;
      out.reserve(close - start + MAX_RECORD);
      out.pos += buf.copy(out.buf, out.pos, start, close);
      this.annotate(p, dir, false);
    }
    this.writeAlerts(p);
  }

  /**
   * Packet time moves on without packets (the input is idle): write the STAT
   * lines of the intervals that have ended by `ts`, empty ones included, as
   * NetTracker does every minute on a quiet network.
   */
  idleUntil(ts: number): void {
    if (Number.isNaN(this.nextStat)) this.startClock(ts);
    while (ts >= this.nextStat) this.emitStat(this.nextStat, this.nextStat + this.o.statInterval);
  }

  /** The last STAT line, for the partial interval at the end (at `endTs`, else the last packet's time). */
  finish(endTs?: number): void {
    const end = endTs ?? (Number.isNaN(this.lastTs) ? Date.now() / 1000 : this.lastTs);
    if (Number.isNaN(this.statStart)) this.statStart = end;
    this.emitStat(Math.max(end, this.statStart), NaN);
  }

  /** Takes the packet's time; writes a STAT line first when an interval ended before it. */
  private advance(p: Packet): number {
    const ts = p.tsSec + p.tsFrac / (SCALE[p.tsDigits] ?? 10 ** p.tsDigits);
    this.packets++;
    if (Number.isNaN(this.nextStat)) this.startClock(ts);
    else if (ts >= this.nextStat) {
      // intervals in which nothing was seen write no line: a file with a gap of days stays short
      const iv = this.o.statInterval;
      this.emitStat(this.nextStat, Math.floor(ts / iv) * iv + iv);
      this.statStart = Math.floor(ts / iv) * iv;
    }
    this.lastTs = ts;
    return ts;
  }

  /** The first interval runs from the first packet to the next multiple of the interval (STAT lines fall on round times). */
  private startClock(ts: number): void {
    const iv = this.o.statInterval;
    this.statStart = ts;
    this.nextStat = Math.floor(ts / iv) * iv + iv;
  }

  private emitStat(end: number, next: number): void {
    const counts = zeroCounts();
    const watched = this.o.watch.takeCounts() as Partial<StatCounts>;
    for (const key of Object.keys(watched) as (keyof StatCounts)[]) counts[key] += watched[key] ?? 0;
    DIR_COUNTER.forEach((key, dir) => (counts[key] = this.dirCounts[dir]!));
    this.dirCounts.fill(0);
    writeStat(this.o.out, this.o.form, this.statStart, end, counts);
    this.statStart = end;
    this.nextStat = next;
  }

  private inspect(p: Packet, ts: number, dir: number): void {
    const counts = this.dirCounts;
    counts[0]!++;
    if (dir !== DIR_NONE) counts[dir]!++;
    const raised = this.raised;
    // setting length costs even when it is 0 already, and alerts are rare
    if (raised.length !== 0) raised.length = 0;
    if (this.shown.length !== 0) this.shown.length = 0;
    this.o.watch.inspect(p, ts, raised);
    for (let i = 0; i < raised.length; i++) if (this.o.enabled.has(raised[i]!.kind)) this.shown.push(raised[i]!);
  }

  /**
   * `,"dir":…,"svc":…,"local":…,"alerts":[…]}` and the newline, after the
   * record's last field. `justWritten`: the record was written by
   * writePktJson into this same buffer, so the local address text is copied
   * from its src or dst field rather than formatted again.
   */
  private annotate(p: Packet, dir: number, justWritten: boolean): void {
    const out = this.o.out;
    const before = out.buf;
    out.reserve(MAX_RECORD);
    const d = out.buf;
    if (d !== before) justWritten = false; // flushed: the record's text is gone from this buffer
    let pos = out.pos;
    const svc = this.o.services.ofPacket(p);
    if (svc !== undefined) pos = putBytes(d, pos, this.dirSvcFields(dir, svc));
    else if (dir !== DIR_NONE) pos = putBytes(d, pos, DIR_JSON[dir]!);
    const local = this.o.directions.localOff;
    if (local >= 0) {
      pos = putBytes(d, pos, K_LOCAL);
      if (justWritten && addressText.srcStart >= 0) {
        let from = local === p.srcOff ? addressText.srcStart : addressText.dstStart;
        const to = local === p.srcOff ? addressText.srcEnd : addressText.dstEnd;
        while (from < to) d[pos++] = d[from++]!;
      } else {
        pos = p.ipVersion === 4 ? putIPv4(d, pos, p.data, local) : putIPv6(d, pos, p.data, local);
      }
      d[pos++] = QUOTE;
    }
    if (this.shown.length !== 0) {
      pos = putBytes(d, pos, K_ALERTS);
      for (let i = 0; i < this.shown.length; i++) {
        if (i > 0) d[pos++] = 0x2c;
        d[pos++] = QUOTE;
        pos += d.write(this.shown[i]!.kind, pos, 'latin1');
        d[pos++] = QUOTE;
      }
      d[pos++] = 0x5d;
    }
    out.pos = putBytes(d, pos, CLOSE_LINE);
  }

  /** `,"dir":"…","svc":"…"` as one piece of bytes: one lookup and one copy per packet. */
  private dirSvcFields(dir: number, svc: string): Uint8Array {
    let byDir = this.svcJson.get(svc);
    if (byDir === undefined) {
      byDir = DIR_NAMES.map((name, i) => bytes(`${i === DIR_NONE ? '' : `,"dir":"${name}"`},"svc":"${svc}"`));
      this.svcJson.set(svc, byDir);
    }
    return byDir[dir]!;
  }

  private writeAlerts(p: Packet): void {
    if (this.shown.length === 0) return;
    const time = this.time;
    time.sec = p.tsSec;
    time.frac = p.tsFrac;
    time.digits = p.tsDigits;
    for (const alert of this.shown) writeAlert(this.o.out, this.o.form, time, alert);
  }
}
