/**
 * trk-classify's ALERT and STAT lines, in the three forms the operator picks:
 *
 *   machine (default)  NetTracker's lines (DESIGN.md, "Lines"):
 *     2026-11-22 09:42:02 ALERT ARP wrongnet smac=…,dmac=…,arp_sip=…,…
 *     2026-11-22 09:43:00 STAT arp=12 arp_wrongnet=2 … pkts=13011 in=…
 *   human (-H)         NetTracker's -H form: `[date time]` and a sentence;
 *                      the STAT report as a small table under a heading line.
 *   json (--json)      one NDJSON record each, `{"type":"alert",…}` and
 *                      `{"type":"stat",…}`, with the same keys as the lines.
 *
 * DATE TIME is the packet's (or interval's) time in local time, honouring
 * TZ, so a capture replays to the same lines on any day. These lines are
 * rare next to pkt records (one per alert, one per interval), so they are
 * built as strings; the per-packet path never comes here.
 */
import type { Alert } from './alert.js';
import type { LineOutput } from '../io/output.js';
import { WATCH_COUNTERS, type WatchCounter } from './watch.js';

export type EventForm = 'machine' | 'human' | 'json';

/** The counters trk-classify counts itself, besides the watch's: packets, by direction. */
const DIRECTION_KEYS = ['pkts', 'in', 'out', 'internal', 'transit', 'martian'] as const;
/** The watch's counters that are about the watch itself, not the wire: they end the line. */
const BOOKKEEPING_KEYS = ['allowed', 'stations_evicted'] as const;
type WireCounter = Exclude<WatchCounter, (typeof BOOKKEEPING_KEYS)[number]>;

/**
 * STAT keys in line order: the watch's, which start with NetTracker's eight
 * in NetTracker's order (watch.ts), then the packets by direction, then the
 * bookkeeping.
 */
export const STAT_KEYS = [
  ...WATCH_COUNTERS.filter((k): k is WireCounter => !(BOOKKEEPING_KEYS as readonly string[]).includes(k)),
  ...DIRECTION_KEYS,
  ...BOOKKEEPING_KEYS,
] as const;
export type StatKey = (typeof STAT_KEYS)[number];
export type StatCounts = Record<StatKey, number>;

/** What each STAT key counts, for the -H table and the man page. */
export const STAT_MEANINGS: Record<StatKey, string> = {
  arp: 'ARP packets',
  arp_wrongnet: 'ARP for a target outside the local networks',
  arp_mac_changed: 'ARP from an address whose MAC changed',
  arp_gratuitous: 'gratuitous ARP (sender address = target address)',
  icmp6: 'ICMPv6 packets',
  icmp6_ns_wrongnet: 'neighbour solicitations for a target outside the local networks',
  icmp6_na_wrongnet: 'neighbour advertisements for a target outside the local networks',
  icmp6_ra_wrongnet: 'router advertisements of a prefix that is not local',
  arp_flipflop: 'ARP from an address back on its previous MAC',
  arp_new_station: 'ARP from an address/MAC pair never seen before',
  arp_bogon: 'ARP from a sender outside the local networks',
  arp_bad_mac: 'ARP from a broadcast, multicast or zero MAC',
  icmp6_dad: 'duplicate address detection conflicts',
  pkts: 'packets',
  in: 'packets from outside to a local address',
  out: 'packets from a local address to outside',
  internal: 'packets between local addresses',
  transit: 'packets between two outside addresses',
  martian: 'packets from a source that cannot be real',
  allowed: 'alerts silenced by the --allow file',
  stations_evicted: 'stations forgotten to stay within --max-stations',
};

export function zeroCounts(): StatCounts {
  const counts = {} as StatCounts;
  for (const key of STAT_KEYS) counts[key] = 0;
  return counts;
}

/** `YYYY-MM-DD HH:MM:SS` in local time (TZ honoured) for seconds since the epoch. */
export function localDateTime(epochSeconds: number): string {
  const d = new Date(Math.floor(epochSeconds) * 1000);
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  );
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * A packet's time as the pkt record writes it (exact decimal): seconds, and
 * the fraction as its digits; for the `ts` of --json records.
 */
export interface ExactTime {
  sec: number;
  frac: number;
  digits: number;
}

function tsJson(t: ExactTime): string {
  return t.digits > 0 ? `${t.sec}.${String(t.frac).padStart(t.digits, '0')}` : String(t.sec);
}

/** Any command's alert: trk-classify's Alert, trk-threshold's events (family and kind are the TYPE and KIND tokens). */
export type AlertLike = Pick<Alert, 'details' | 'sentence'> & { family: string; kind: string };

export function writeAlert(out: LineOutput, form: EventForm, t: ExactTime, alert: AlertLike): void {
  if (form === 'json') {
    let line = `{"type":"alert","ts":${tsJson(t)},"family":"${alert.family}","kind":"${alert.kind}"`;
    for (const [key, value] of alert.details) line += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
    line += `,"msg":${JSON.stringify(alert.sentence)}}`;
    out.line(line);
  } else if (form === 'human') {
    out.line(`[${localDateTime(t.sec)}] ${alert.family} ${alert.kind}: ${alert.sentence}`);
  } else {
    out.line(`${localDateTime(t.sec)} ALERT ${alert.family} ${alert.kind} ${alert.details.map(([k, v]) => `${k}=${v}`).join(',')}`);
  }
}

/**
 * One STAT line (or -H report, or --json record) for the interval
 * [start, end): `end` is its time stamp.
 */
export function writeStat(out: LineOutput, form: EventForm, start: number, end: number, counts: StatCounts): void {
  if (form === 'json') {
    let line = `{"type":"stat","ts":${end},"start":${start},"end":${end}`;
    for (const key of STAT_KEYS) line += `,"${key}":${counts[key]}`;
    out.line(line + '}');
  } else if (form === 'human') {
    const seconds = Math.max(0, Math.round((end - start) * 1000) / 1000);
    out.line(`[${localDateTime(end)}] Statistics for the ${seconds} s since ${localDateTime(start)}:`);
    const width = Math.max(...STAT_KEYS.map((k) => String(counts[k]).length));
    for (const key of STAT_KEYS) {
      out.line(`    ${String(counts[key]).padStart(width)}  ${STAT_MEANINGS[key]} (${key})`);
    }
  } else {
    out.line(`${localDateTime(end)} STAT ${STAT_KEYS.map((k) => `${k}=${counts[k]}`).join(' ')}`);
  }
}
