/**
 * trk-report's reader of lines: `tally` records (host rows, their `other`
 * row and the totals row), ALERT lines in both forms and `alert` records
 * (through trk-mail's parser, so every form trk writes is read the same),
 * STAT lines and `stat` records, trk-threshold's `report` records; pkt
 * records go to the in-process tally (capture.ts). Anything else is counted
 * and left out: the report is the end of the pipe.
 *
 * Tally records are summed per address over the intervals that start within
 * --from/--to; the split is made once, from the sums (model.ts). The time
 * series is the totals rows of the host table (the whole network), or with
 * --addr the rows of that address or of the addresses in that network,
 * summed (traffic between two of them then counts twice, as each row has it).
 */
import type { LineSink } from '../io/lines.js';
import { lineKind } from '../io/line-kind.js';
import { parseEvent } from '../mail/parse.js';
import type { PrefixSet } from '../net/prefixes.js';
import { addBytes, inRange, seeTime, setResolution, splitOf, type HostCounters, type ReportModel, type TimeRange } from './model.js';

export interface LineReaderOptions {
  model: ReportModel;
  range: TimeRange;
  /** --net: only these addresses' host rows are kept (trk-tally without --net has rows for every address). */
  local: PrefixSet | undefined;
  /** --addr: the time graph's subject; undefined for the whole network. */
  subject: PrefixSet | undefined;
  /** A pkt record: the reader fills `packet` and returns true when the line is one. */
  pkt?: (buf: Buffer, start: number, end: number) => boolean;
  /** Most addresses summed apart; past it a new address's rows go into the `others` row (trk-collect --web keeps a model per sensor for as long as it runs). */
  maxHosts?: number;
}

export class ReportLineReader {
  /** Lines read, and lines that were none of the kinds above. */
  lines = 0;
  unused = 0;
  /** Tally records, events (alerts, stats, reports) and pkt records taken. */
  tallies = 0;
  events = 0;
  packets = 0;
  private readonly counters = new Map<string, HostCounters>();
  private otherCounters: HostCounters | undefined;
  /** What the last finish() added to the model's counts, so that finish() can be called again as more lines come. */
  private finished = { undirected: 0, inexact: 0 };

  constructor(private readonly o: LineReaderOptions) {}

  sink(drain: () => Promise<void> | undefined = () => undefined): LineSink {
    return {
      line: (buf, start, end) => this.line(buf, start, end),
      overlong: (_piece, last) => {
        if (last) {
          this.lines++;
          this.unused++;
        }
      },
      drain,
    };
  }

  line(buf: Buffer, start: number, end: number): void {
    this.lines++;
    if (end > start && buf[end - 1] === 0x0d) end--;
    const kind = lineKind(buf, start, end);
    switch (kind) {
      case 'pkt':
        if (this.o.pkt?.(buf, start, end)) {
          this.packets++;
          return;
        }
        break;
      case 'tally':
        if (this.tally(buf.toString('utf8', start, end))) return;
        break;
      case 'stat':
        if (this.stat(buf.toString('utf8', start, end))) return;
        break;
      default: {
        // alerts in all three forms (the -H one starts with '[', which lineKind calls other) and reports
        const event = parseEvent(buf, start, end);
        if (event !== undefined) {
          this.events++;
          if (!inRange(this.o.range, event.ts)) return;
          const m = this.o.model;
          seeTime(m, event.ts);
          if (event.type === 'alert') {
            const details = event.sentence ?? event.details.map(([k, v]) => `${k}=${v}`).join(',');
            m.alerts.push({ ts: event.ts, family: event.family, kind: event.kind, details });
          } else {
            m.reports.push({ ts: event.ts, net: event.report.net, line: event.line });
          }
          return;
        }
      }
    }
    this.unused++;
  }

  private tally(text: string): boolean {
    let r: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
      r = parsed as Record<string, unknown>;
    } catch {
      return false;
    }
    const start = r.start;
    const end = r.end;
    if (typeof start !== 'number' || typeof end !== 'number' || !(end >= start)) return false;
    this.tallies++;
    // only the host table makes the page; the other tables' records are read and left out
    if (r.by !== 'host') return true;
    if (!inRange(this.o.range, start)) return true;
    const m = this.o.model;
    m.source = 'tally';
    seeTime(m, start, end);
    setResolution(m, Math.round(end - start) || 1);
    const c: HostCounters = { rx: num(r.rx_bytes), tx: num(r.tx_bytes), in: num(r.in_bytes), out: num(r.out_bytes), martian: num(r.martian_bytes), internal: num(r.internal_bytes) };
    const dirs = [num(r.in_bytes), num(r.out_bytes), num(r.internal_bytes), num(r.martian_bytes)];
    if (r.total === true) {
      if (this.o.subject === undefined) dirs.forEach((b, i) => b && addBytes(m, start, i, b));
      return true;
    }
    if (r.other === true) {
      this.otherCounters = sum(this.otherCounters, c);
      return true;
    }
    const key = r.key;
    if (typeof key !== 'string') return true;
    if (this.o.local && !this.o.local.contains(key)) return true;
    const known = this.counters.get(key);
    if (known === undefined && this.o.maxHosts !== undefined && this.counters.size >= this.o.maxHosts) {
      this.otherCounters = sum(this.otherCounters, c);
      return true;
    }
    this.counters.set(key, sum(known, c));
    if (this.o.subject?.contains(key)) dirs.forEach((b, i) => b && addBytes(m, start, i, b));
    return true;
  }

  private stat(text: string): boolean {
    const m = this.o.model;
    let ts: number | undefined;
    const counters: Record<string, number> = {};
    if (text.startsWith('{')) {
      try {
        const r = JSON.parse(text) as Record<string, unknown>;
        if (typeof r.ts !== 'number') return false;
        ts = r.ts;
        for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && !['ts', 'start', 'end', 'every'].includes(k)) counters[k] = v;
      } catch {
        return false;
      }
    } else {
      const match = /^(?:sensor=\S+ )?(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) STAT(.*)$/.exec(text);
      if (!match) return false;
      const [, y, mo, d, h, mi, s, rest] = match;
      const date = new Date(0);
      date.setFullYear(Number(y), Number(mo) - 1, Number(d));
      date.setHours(Number(h), Number(mi), Number(s), 0);
      ts = date.getTime() / 1000;
      for (const pair of rest!.trim().split(/\s+/)) {
        const eq = pair.indexOf('=');
        if (eq > 0 && /^\d+(\.\d+)?$/.test(pair.slice(eq + 1))) counters[pair.slice(0, eq)] = Number(pair.slice(eq + 1));
      }
    }
    this.events++;
    if (!Number.isFinite(ts) || !inRange(this.o.range, ts)) return true;
    seeTime(m, ts);
    m.stats.push({ ts, counters });
    return true;
  }

  /** The sums become the model's splits (again, when more lines came since: the splits are replaced, not added). */
  finish(): void {
    const m = this.o.model;
    let undirected = 0;
    let inexact = 0;
    for (const [addr, c] of this.counters) {
      if (c.rx + c.tx > 0 && c.in + c.out + c.martian + (c.internal ?? 0) === 0) undirected++;
      const { split, exact } = splitOf(addr, c);
      if (!exact) inexact++;
      m.hosts.set(addr, split);
    }
    if (this.otherCounters) {
      const { split, exact } = splitOf('others', this.otherCounters);
      if (!exact) inexact++;
      m.other = split;
    }
    m.undirected += undirected - this.finished.undirected;
    m.inexact += inexact - this.finished.inexact;
    this.finished = { undirected, inexact };
  }
}

function num(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : 0;
}

function sum(a: HostCounters | undefined, b: HostCounters): HostCounters {
  if (a === undefined) return { ...b };
  a.rx += b.rx;
  a.tx += b.tx;
  a.in += b.in;
  a.out += b.out;
  a.martian += b.martian;
  a.internal = (a.internal ?? 0) + (b.internal ?? 0);
  return a;
}
