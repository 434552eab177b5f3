/**
 * The shapes trk-threshold's parts agree on: its settings (ipband's options
 * and ipband.conf, plus iptrk's alarms), the events its watches raise, and
 * the bandwidth report that ipband mailed and appended to ipband.txt.
 *
 * Settings come from three layers, each overriding the one before: the
 * defaults below, the configuration file (config.ts), the command line.
 */

/** One `subnet ADDRESS bandwidth KBPS` line of ipband.conf. */
export interface SubnetThreshold {
  /** The address as written (IPv4 dotted quad, or IPv6); masked with maskbits / mask6 by the watch. */
  address: string;
  version: 4 | 6;
  /** Threshold in kB/s (kB = 1024 bytes); 0 means the default threshold (`bandwidth`), as in ipband. */
  bandwidth: number;
  /** "ipband.conf:12", for messages. */
  where: string;
}

/** One `watch ADDRESS silent SECONDS` line, or `--silent ADDRESS:SECONDS`. */
export interface SilentWatch {
  /** The address in canonical text (IPv4 dotted, IPv6 RFC 5952). */
  address: string;
  seconds: number;
}

export interface ThresholdSettings {
  // ---- ipband's, with ipband's defaults
  /** Interface to capture on (ipband's positional argument, `interface`). */
  interface?: string;
  promisc: boolean;
  /** 0 none, 1 summary, 2 the subnet table every averaging period, 3 every packet. */
  debug: number;
  /** Run in the background (ipband's -F, `fork yes`). */
  fork: boolean;
  /** BPF filter (ipband's -f, `filter`). */
  filter?: string;
  /** Append text reports here (ipband's -o, `outfile`). */
  outfile?: string;
  /** Rewrite this HTML page every averaging period (ipband's -w, `htmlfile`). */
  htmlfile?: string;
  htmltitle: string;
  /** Default threshold in kB/s (ipband's -b, `bandwidth`). */
  bandwidth: number;
  /** Averaging period in seconds (ipband's -a, `average`). */
  average: number;
  /** Added to every frame length, in bytes; may be negative (ipband's -J, `lenadj`). */
  lenadj: number;
  /** Seconds a subnet may stay over before a report fires (ipband's -r, `report`). */
  report: number;
  /** Connections in a report; 0 for all (ipband's -t, `top`). */
  top: number;
  /** Accumulated time over threshold, and its share, in reports (ipband's -A, `accumulate`). */
  accumulate: boolean;
  /** Mail reports to these addresses, comma-separated (ipband's -M, `mailto`). */
  mailto?: string;
  /** File appended to mailed reports (ipband's -l, `mailfoot`). */
  mailfoot?: string;
  /** The MTA command, tokenised and run without a shell (ipband's -T, `mtastring`). */
  mtastring: string;
  /** IPv4 subnet mask bits (ipband's -m, `maskbits`). */
  maskbits: number;
  /** IPv6 subnet prefix length (trk's --mask6, `mask6`). */
  mask6: number;
  /** Local ranges in ipband's -L syntax, one entry per -L / `localrange` (read with net/prefixes.ts parseNetworks). */
  localrange: string[];
  /** With subnet lines only these subnets are tracked, each with its own threshold. */
  subnets: SubnetThreshold[];

  // ---- iptrk's alarms (off unless given)
  /** HOST hammered: a local address receiving more than this many kB/s from outside over the averaging period. */
  hammerKBps?: number;
  /** HOST hammered: ... or more than this many packets/s. */
  hammerPps?: number;
  /** Sources named in a HOST hammered alert. */
  hammerTop: number;
  /** HOST silent: addresses that must keep sending. */
  watches: SilentWatch[];
  /** TCP synflood: SYNs/s to one address that do not complete a handshake, over the averaging period. */
  synflood?: number;
  /** NET scan: distinct destination ports (address and port pairs) one source probes per averaging period. */
  scanPorts?: number;
  /** NET scan: distinct destination addresses one source probes per averaging period. */
  scanHosts?: number;

  // ---- bounds (memory stays bounded whatever the traffic)
  /** Most subnets tracked at once. */
  maxSubnets: number;
  /** Most connections kept in detail across all subnets being logged. */
  maxConns: number;
  /** Most addresses (or sources) each iptrk alarm table keeps at once. */
  maxHosts: number;
}

export const DEFAULT_SETTINGS: Readonly<ThresholdSettings> = Object.freeze({
  promisc: true,
  debug: 0,
  fork: false,
  htmltitle: 'My bandwidth',
  bandwidth: 7,
  average: 60,
  lenadj: 0,
  report: 300,
  top: 0,
  accumulate: false,
  mtastring: '/usr/sbin/sendmail -t -oi',
  maskbits: 24,
  mask6: 64,
  localrange: [],
  subnets: [],
  hammerTop: 5,
  watches: [],
  maxSubnets: 100_000,
  maxConns: 100_000,
  maxHosts: 100_000,
});

/** A fresh copy of the defaults (arrays not shared). */
export function defaultSettings(): ThresholdSettings {
  return { ...DEFAULT_SETTINGS, localrange: [], subnets: [], watches: [] };
}

/** ALERT families trk-threshold raises. */
export type ThresholdFamily = 'BANDWIDTH' | 'HOST' | 'TCP' | 'NET';

/**
 * One ALERT. `details` are the k=v pairs of the line, in order, values with
 * no spaces or commas; `sentence` is the -H form after the date.
 * `ts` is packet time in seconds: the packet that crossed the line, or the
 * end of the period that was judged.
 */
export interface ThresholdEvent {
  ts: number;
  family: ThresholdFamily;
  kind: string;
  details: [key: string, value: string][];
  sentence: string;
}

/** One connection of a report, as ipband's detail table keys it: the lower address first. */
export interface ReportConn {
  /** Lower address (numerically) and its port. */
  a: string;
  aport: number;
  b: string;
  bport: number;
  /** Protocol name ("tcp", "udp", "icmp", … from /etc/protocols) or number as text. */
  proto: string;
  bytes: number;
  /** Service name of aport, else of bport (ipband's order), "" when neither has one. */
  service: string;
}

/** ipband's subnet report, and all a reader needs to print it again (the `report` record). */
export interface BandwidthReport {
  /** When the report fired: the end of the averaging period that made it due (packet time, seconds). */
  ts: number;
  /** The subnet, "10.10.1.0/24" or "2001:db8:1::/64". */
  net: string;
  /** Its network address alone, as ipband prints it ("10.10.1.0"). */
  address: string;
  /** Its name in /etc/networks, when it has one. */
  name?: string;
  /** Threshold in kB/s. */
  threshold: number;
  /** kB/s in the period just judged. */
  kBps: number;
  /** Seconds over threshold in this episode so far (ipband's "exceeded for"). */
  exceeded: number;
  /** Detailed logging of this episode began at (packet time). */
  since: number;
  /** With accumulate: seconds over threshold since the watch started, and since when. */
  accumulated?: number;
  watchStart?: number;
  /** accumulated as a percentage of the time watched. */
  accumulatedPct?: number;
  /** The top-N limit in force (0: all). */
  top: number;
  /** Connections, most bytes first, at most `top` of them when top > 0. */
  conns: ReportConn[];
  /** All connections logged for this subnet in the episode, and their bytes (before the top-N cut). */
  totalConns: number;
  totalBytes: number;
  /** Connections not kept because the detail table was full (--max-conns), and their bytes. */
  droppedConns: number;
  droppedBytes: number;
}
