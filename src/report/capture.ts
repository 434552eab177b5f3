/**
 * trk-report's in-process tally of capture input (-r FILE, a capture or pkt
 * records on standard input): trk-tally's own engine counts the local
 * addresses (--by host --every 0, with the same --net), so the page's
 * numbers are trk-tally's; beside it a per-second series of bytes by
 * direction for the time graph's subject. A packet's bytes are its length
 * on the wire, as trk-tally counts them.
 *
 * With the packets' own direction, a martian in a local address's row is
 * always one it received (trk-report has no --outside-mac), so the split of
 * model.ts is exact here.
 */
import type { Packet } from '../decode/packet.js';
import type { PrefixSet } from '../net/prefixes.js';
import { DEFAULT_CONN_IDLE, DEFAULT_MAX_KEYS, TallyEngine } from '../tally/engine.js';
import type { Counters, IntervalResult } from '../tally/types.js';
import { addBytes, seeTime, splitOf, type HostCounters, type ReportModel, type TimeRange } from './model.js';

/** DIR_* (none, in, out, internal, transit, martian) → index in a bucket (in, out, internal, martian); -1 for none and transit. */
const SERIES_INDEX = [-1, 0, 1, 2, -1, 3];

export class CaptureTally {
  packets = 0;
  private readonly engine: TallyEngine;
  private result: IntervalResult | undefined;

  constructor(
    private readonly model: ReportModel,
    private readonly o: { local: PrefixSet | undefined; subject: PrefixSet | undefined; range: TimeRange; maxKeys?: number },
  ) {
    this.engine = new TallyEngine(
      {
        by: [{ kind: 'host', name: 'host' }],
        every: 0,
        sort: 'bytes',
        local: o.local,
        maxKeys: o.maxKeys ?? DEFAULT_MAX_KEYS,
        connIdle: DEFAULT_CONN_IDLE,
      },
      (r) => (this.result = r),
    );
  }

  /** A decoded packet and its direction (DIR_*). */
  add(p: Packet, dir: number): void {
    const ts = p.tsSec + p.tsFrac / 10 ** p.tsDigits;
    if (ts < this.o.range.from || ts >= this.o.range.to) return;
    this.packets++;
    this.engine.addPacket(p, dir, undefined);
    const i = SERIES_INDEX[dir] ?? -1;
    if (i < 0) return;
    const subject = this.o.subject;
    const m = this.model;
    if (subject === undefined) {
      addBytes(m, p.tsSec, i, p.len);
      return;
    }
    // as the subject's host rows would sum it: once for each end inside it
    if (p.srcOff >= 0 && subject.containsAt(p.ipVersion, p.data, p.srcOff)) addBytes(m, p.tsSec, i, p.len);
    if (p.dstOff >= 0 && subject.containsAt(p.ipVersion, p.data, p.dstOff)) addBytes(m, p.tsSec, i, p.len);
  }

  finish(): void {
    if (this.packets === 0) return;
    this.engine.finish();
    const r = this.result;
    if (r === undefined) return;
    const m = this.model;
    m.source = 'capture';
    seeTime(m, r.start, r.end);
    const table = r.tables[0];
    if (table === undefined) return;
    for (const row of table.rows) {
      // pkt records neither annotated by trk-classify nor classified here (--net)
      if (row.rxBytes + row.txBytes > 0 && row.inBytes + row.outBytes + row.internalBytes + row.martianBytes === 0) m.undirected++;
      const { split, exact } = splitOf(row.key, countersOf(row));
      if (!exact) m.inexact++;
      m.hosts.set(row.key, split);
    }
    // only rows evicted past --max-keys (no --top is given to the engine)
    if (table.other) m.other = splitOf('others', countersOf(table.other)).split;
  }
}

function countersOf(c: Counters): HostCounters {
  return { rx: c.rxBytes, tx: c.txBytes, in: c.inBytes, out: c.outBytes, martian: c.martianBytes };
}
