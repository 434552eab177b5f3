/**
 * The shapes trk-tally's counting engine (engine.ts) hands to its writers
 * (the NDJSON `tally` records, STAT lines, -H tables and the --live view).
 * One interval's result is a set of tables, one per --by key.
 */

/** What a table is grouped by: `--by host`, `--by subnet/24`, … */
export type ByKind = 'host' | 'subnet' | 'conn' | 'port' | 'svc' | 'proto' | 'size' | 'dir' | 'mac' | 'vlan';

export interface BySpec {
  kind: ByKind;
  /** subnet only: prefix length for IPv4 (0–32)… */
  bits4?: number;
  /** …and for IPv6 (0–128); `subnet/24` sets bits4 24 and bits6 64, `subnet/24,48` both. */
  bits6?: number;
  /** The --by text as the user wrote it, normalised (`subnet/24`): the `by` field of the records. */
  name: string;
}

/**
 * The counters of one row. A packet counts once in the totals row; in a
 * row keyed by an endpoint (host, subnet, mac, port) it counts as tx for
 * the key it came from and rx for the key it went to, so the rows of an
 * interval add up to twice the totals for those kinds, as tshark's
 * endpoint tables do.
 */
export interface Counters {
  pkts: number;
  bytes: number;
  /** Received by / sent by the key (endpoint kinds; both 0 for the others, and for the totals row). */
  rxPkts: number;
  rxBytes: number;
  txPkts: number;
  txBytes: number;
  /** By transport protocol. */
  tcpPkts: number;
  tcpBytes: number;
  udpPkts: number;
  udpBytes: number;
  otherPkts: number;
  otherBytes: number;
  /** By direction, where it is known (--net, or a `dir` field from trk-classify). */
  inBytes: number;
  outBytes: number;
  internalBytes: number;
  transitBytes: number;
  martianBytes: number;
}

/** A TCP or UDP conversation (--by conn), both directions together, as iptraf lists them. */
export interface ConnInfo {
  proto: 'tcp' | 'udp';
  /** Side a is the one that sent the first packet seen (the client when the SYN was seen). */
  a: string;
  aPort: number;
  b: string;
  bPort: number;
  aPkts: number;
  aBytes: number;
  bPkts: number;
  bBytes: number;
  /** Last TCP window each side advertised; -1 unknown. */
  aWin: number;
  bWin: number;
  /** iptraf's flag state: S, A, P, U (latest flags seen), RESET, DONE (one FIN), CLOSED (both FINs); '' for UDP. */
  state: string;
  /** Time of the first and the last packet (seconds since the epoch). */
  first: number;
  last: number;
  /** Seconds from its last packet to the end of the time the interval covers. */
  idle: number;
  /** Bits per second over the conversation's own span in the interval (first to last packet in it, at least 1 s): what --sort rate orders conn rows by. */
  bps: number;
}

export interface Row extends Counters {
  /** The key as text: an address, `10.1.8.0/24`, a port number, a service name, `tcp`, `128-255`, `in`, a MAC, a VLAN id; for conn `a:port-b:port/proto`. */
  key: string;
  conn?: ConnInfo;
  /** --resolve: the host key's reverse-DNS name, when the lookup had come back by the time the interval was written. */
  name?: string;
  /**
   * Set for a key first counted after its table had begun evicting: it may
   * have been evicted before, with what it had counted, so its sort measure
   * (bytes, packets, rx or tx bytes) may be short of the truth by at most
   * this much, and its other counters may be short too (rows.ts). Absent:
   * the row is exact.
   */
  err?: number;
  /** --percentile (host rows): the P-th percentile of the 5-minute rates in bits/s, of received + sent, received, sent. */
  pctBps?: number;
  pctRxBps?: number;
  pctTxBps?: number;
}

export interface Table {
  by: BySpec;
  /** The rows kept, sorted by the --sort order, at most --top of them when --top is given. */
  rows: Row[];
  /** Every packet of the interval once. */
  total: Counters;
  /** What the rows left out: keys evicted to stay within --max-keys, and those below --top. Undefined when nothing was left out. */
  other?: Counters;
  /** Keys evicted during the interval to stay within --max-keys. */
  evicted: number;
  /** Distinct keys seen in the interval (evicted ones included, counted once each time they came back). */
  keys: number;
  /** --percentile P, for host tables. */
  percentile?: number;
}

export interface IntervalResult {
  /** Seconds since the epoch: the interval [start, end). */
  start: number;
  end: number;
  /** The input ended (or was interrupted) inside this interval. */
  partial: boolean;
  /**
   * The seconds the rates (bps, pps) are over: the part of [start, end)
   * the input covered, from its first packet when that came after start to
   * its last packet when the interval is partial; with --every 0 first to
   * last packet. At least 1 s (or the interval, if shorter).
   */
  seconds: number;
  tables: Table[];
}
