/**
 * Run as a child process by tally-engine.test.ts, so that its peak RSS is
 * its own: trk-tally's engine (--by host, the default --max-keys) fed 2
 * million packets from 2 million distinct random IPv4 sources to 2 million
 * random destinations, with ten heavy hitters talking among themselves
 * throughout and an eleventh that starts half-way, when the table has long
 * been full and evicting. Prints one JSON line: what the engine reported
 * for the heavy hitters, what they really sent and received, and the peak
 * resident set size.
 *
 * The frames are real Ethernet/IPv4/UDP headers decoded by the decoder, as
 * trk-tally -r would; only the addresses and lengths change per packet.
 */
import fs from 'node:fs';
import { LINKTYPE_ETHERNET, Packet } from '../../src/decode/packet.js';
import { decodePacket } from '../../src/decode/index.js';
import { DEFAULT_MAX_KEYS, TallyEngine, parseBy } from '../../src/tally/engine.js';
import { DIR_NONE } from '../../src/classify/direction.js';
import type { IntervalResult } from '../../src/tally/types.js';

const FLOOD = 2_000_000;
const FLOOD_LEN = 60;
const HEAVY_LEN = 1514;
const HEAVY = 10;
/** Packets heavy hitter i sends (to heavy hitter i + 1, round the ring). */
const heavySent = (i: number): number => 2000 + 300 * i;
/** The late one: 10.99.1.1, sending to 10.99.0.1 from the middle of the flood on, less than any of the ten. */
const LATE_SENT = 1500;
const heavyAddr = (i: number): number => (10 << 24) | (99 << 16) | (i + 1);
const LATE_ADDR = (10 << 24) | (99 << 16) | (1 << 8) | 1;

// Ethernet + IPv4 + UDP headers, captured 42 bytes of each frame
const frame = Buffer.alloc(64);
frame.writeUInt16BE(0x0800, 12);
frame[14] = 0x45;
frame[22] = 64; // ttl
frame[23] = 17; // udp
frame.writeUInt16BE(40000, 34);
frame.writeUInt16BE(53, 36);
const p = new Packet();
p.data = frame;
p.start = 0;
p.caplen = 42;
p.linktype = LINKTYPE_ETHERNET;

const results: IntervalResult[] = [];
const engine = new TallyEngine({ by: [parseBy('host')], every: 0, sort: 'bytes', maxKeys: DEFAULT_MAX_KEYS, connIdle: 300 }, (r) => results.push(r));

function send(src: number, dst: number, len: number, ts: number): void {
  frame.writeInt32BE(src, 26);
  frame.writeInt32BE(dst, 30);
  frame.writeUInt16BE(len - 14, 16);
  frame.writeUInt16BE(len - 34, 38);
  p.len = len;
  p.tsSec = ts;
  p.tsFrac = 0;
  decodePacket(p);
  engine.addPacket(p, DIR_NONE, undefined);
}

// the heavy hitters' packets, spread evenly over the flood in a fixed order
const heavyOrder: number[] = [];
for (let i = 0; i < HEAVY; i++) for (let k = 0; k < heavySent(i); k++) heavyOrder.push(i);
let seed = 2463534242;
for (let i = heavyOrder.length - 1; i > 0; i--) {
  // Fisher-Yates with a seeded xorshift: the same order every run, no hitter's packets bunched up
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  const j = (seed >>> 0) % (i + 1);
  [heavyOrder[i], heavyOrder[j]] = [heavyOrder[j]!, heavyOrder[i]!];
}
const heavyEvery = FLOOD / heavyOrder.length;
const lateEvery = FLOOD / 2 / LATE_SENT;

// full-period linear congruential generators mod 2^32: every value comes once, so the sources are distinct
let src = 12345;
let dst = 67890;
const next = (x: number, c: number): number => (Math.imul(x, 1664525) + c) >>> 0;
const isHeavyNet = (a: number): boolean => a >>> 16 === ((10 << 8) | 99);

const started = process.hrtime.bigint();
let heavyDone = 0;
let lateDone = 0;
for (let n = 0; n < FLOOD; n++) {
  const ts = 1_700_000_000 + Math.floor(n / 10_000);
  do src = next(src, 1013904223);
  while (isHeavyNet(src));
  do dst = next(dst, 0x2545f491);
  while (isHeavyNet(dst));
  send(src | 0, dst | 0, FLOOD_LEN, ts);
  while (heavyDone < heavyOrder.length && heavyDone * heavyEvery <= n) {
    const i = heavyOrder[heavyDone++]!;
    send(heavyAddr(i), heavyAddr((i + 1) % HEAVY), HEAVY_LEN, ts);
  }
  if (n >= FLOOD / 2 && lateDone < LATE_SENT && (n - FLOOD / 2) >= lateDone * lateEvery) {
    lateDone++;
    send(LATE_ADDR, heavyAddr(0), HEAVY_LEN, ts);
  }
}
engine.finish();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

const table = results[0]!.tables[0]!;
const text = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
const truth = new Map<string, { pkts: number; bytes: number }>();
for (let i = 0; i < HEAVY; i++) {
  const pkts = heavySent(i) + heavySent((i + HEAVY - 1) % HEAVY) + (i === 0 ? LATE_SENT : 0);
  truth.set(text(heavyAddr(i)), { pkts, bytes: pkts * HEAVY_LEN });
}
truth.set(text(LATE_ADDR), { pkts: LATE_SENT, bytes: LATE_SENT * HEAVY_LEN });
const status = fs.readFileSync('/proc/self/status', 'utf8');
const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
let rowPkts = 0;
let rowBytes = 0;
for (const row of table.rows) {
  rowPkts += row.pkts;
  rowBytes += row.bytes;
}
process.stdout.write(
  JSON.stringify({
    packets: table.total.pkts,
    seconds,
    peakRssMb: peakKb / 1024,
    evicted: table.evicted,
    keys: table.keys,
    rows: table.rows.length,
    top: table.rows.slice(0, 12).map((r) => ({ key: r.key, pkts: r.pkts, bytes: r.bytes, err: r.err })),
    truth: [...truth].map(([key, t]) => ({ key, ...t })),
    // rows and the other row together hold every packet twice (once as sent, once as received)
    accounted: { pkts: rowPkts + (table.other?.pkts ?? 0), bytes: rowBytes + (table.other?.bytes ?? 0) },
    total: { pkts: table.total.pkts, bytes: table.total.bytes },
  }) + '\n',
);
