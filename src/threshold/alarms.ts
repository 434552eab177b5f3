/**
 * iptrk's four alarms for trk-threshold: HOST hammered, HOST silent / back,
 * TCP synflood and NET scan, as one engine fed decoded packets.
 *
 * PERIODS. Rates are judged over the averaging period (`average` seconds,
 * ipband's -a), aligned to the local clock as trk-tally's intervals are
 * (intervalAt): with -a 60 a period is a wall-clock minute. A rate is a
 * count in the period divided by `average`, also in the first period, which
 * starts before the first packet (so the first period under-reports; it
 * never over-reports). A new `average` from SIGHUP applies from the next
 * period; the current one is judged with the length it started with.
 *
 * ALERTS fire at the packet that takes a count past threshold × average:
 * the average over the period is already over the threshold at that
 * moment, so nothing waits for the period to end. Each alarm has
 * hysteresis: one alert per episode, never one per packet or per period.
 * An episode ends at the end of the first period in which the measure
 * stayed at or under its threshold(s) (judged with the thresholds in force
 * then, so a SIGHUP that raises a threshold above the measure ends an
 * episode at the next period end like any other); its *_end event carries
 * that period end as its time. `duration` is the whole seconds from the
 * alert to that end. Input ending (finish) ends no episode and judges no
 * partial period.
 *
 * HOST hammered (--hammer-kbps KBPS, --hammer-pps PPS; either or both). Per
 * local address, the frames it received from outside (direction `in`) in
 * the period: bytes (frame length + lenadj, kB = 1024 bytes) and packets.
 * Over when bytes > KBPS × 1024 × average or packets > PPS × average:
 *   HOST hammered addr=A,kBps=R,pps=P,threshold=T,over=kBps|pps,
 *                 src1=S,src1_kB=K,src2=…   (the top --hammer-top sources)
 * kBps and pps are the rates so far (count / average, one decimal);
 * threshold is the one crossed (`over` says which; kBps when both cross at
 * once). Sources are ranked by bytes to the address this period; each
 * address keeps at most 64 sources (MAX_HAMMER_SOURCES), a new one
 * replacing the smallest when full, so a spoofed-source flood cannot grow
 * it (a source that keeps sending stays: the one replaced is the smallest).
 * End: HOST hammered_end addr=A,duration=D,peak_kBps=K (the busiest period
 * of the episode).
 *
 * HOST silent / back (--silent ADDR:SECONDS, `watch ADDR silent SECONDS`).
 * A watched address has sent when it is the source of an IP packet, or the
 * sender address of an ARP packet (a host that only answers ARP is up).
 * Silent when it has sent nothing for SECONDS:
 *   HOST silent addr=A,silent_s=SECONDS,last=YYYY-MM-DDTHH:MM:SS|never
 * at the moment it became silent (its last packet + SECONDS; before it was
 * ever heard, counted from the first packet time the engine saw, or from
 * the SIGHUP that added the watch), fired as soon as time passes that
 * moment (`last` in local time). When it sends again:
 *   HOST back addr=A,silent_s=S (seconds it was silent, rounded)
 * at that packet. A SIGHUP keeps the state of addresses still watched (a
 * silent one stays silent until it sends, whatever its new SECONDS).
 *
 * TCP synflood (--synflood RATE, SYNs per second). Per destination address:
 * SYNs to it (SYN without ACK) in the period minus handshakes to it
 * completed in the period. Each attempt is tracked by
 * its 4-tuple (source, source port, destination, destination port): a SYN
 * opens it (a retransmitted SYN while it is open counts once); the
 * destination's SYN-ACK acknowledging that SYN marks it answered; the
 * client's ACK (no SYN, no RST) acknowledging the SYN-ACK completes it; a
 * RST from either side, or HALF_OPEN_SECONDS (75 s, BSD's connection
 * establishment timer) after its last SYN without completing, leaves it
 * incomplete (a SYN on the same 4-tuple after that is a new attempt). Both
 * directions must be seen (a tap that sees only one side counts every SYN).
 * Over when that count > RATE × average:
 *   TCP synflood dst=A,syns=N,completed=C,rate=R,port=P,sources=S
 * syns and completed this period so far, rate = (N − C) / average, port
 * the most targeted destination port, sources the distinct sources, counted
 * up to 64 (MAX_SYN_SOURCES; 64 means 64 or more). End:
 *   TCP synflood_end dst=A,duration=D,syns=N (all SYNs to it in the
 *   periods of the episode, the one that ended it included)
 *
 * NET scan (--scan-ports N, --scan-hosts M; either or both). Per source
 * address, per period: the distinct (destination address, destination
 * port) pairs it probed and the distinct destination addresses. A probe is
 * what opens something: a TCP SYN without ACK, a UDP datagram (except one
 * from a port under 1024 to a port 1024 or above: a service answering a
 * client), an ICMP or ICMPv6 echo request (an address, no port). So
 * servers answering many clients and established flows never count. Over
 * when pairs > N or addresses > M:
 *   NET scan src=A,ports=N,hosts=M,dst=D,dst_ports=K
 * with D the destination it probed at the most ports (the first probed, on
 * a tie). Counting is exact up to one past each threshold (a count with no
 * threshold of its own up to the same number as the other's): that is all
 * the alarm needs, and it bounds every source's sets. End:
 *   NET scan_end src=A,duration=D,ports=N,hosts=M (the episode's peak
 *   counts in one period, at most one past the thresholds)
 *
 * MEMORY. Counts are kept only for the current period and for addresses in
 * an episode. Each per-address table (hammered destinations, SYN
 * destinations, scanning sources) holds at most --max-hosts addresses; when
 * full, the lightest sixteenth of it (fewest bytes, SYNs or probes this
 * period; never one in an episode) is dropped in one batch, and each one
 * dropped is counted in `evicted`. The half-open 4-tuple table holds up
 * to 4 × --max-hosts attempts (HALF_OPEN_PER_HOST; 58-byte slots, at most
 * half full, grown as it fills: 61 MB at most with the default 100 000);
 * when full, those past their 75 s go, then the oldest sixteenth, counted
 * in evicted.syn. The episodes of each alarm are bounded by --max-hosts
 * too (the oldest is forgotten without an end event, and counted, to make
 * room). Worst cases: --max-hosts scanning sources each at its caps; 64
 * sources for each hammered address.
 *
 * SPEED. packet() runs for every packet: an alarm that is off costs a
 * boolean test. Addresses are read from the frame in place: an IPv4
 * address is its 32-bit number (as data.readUInt32BE(offset)). An IPv6 address is a
 * 16-character latin1 string of its bytes, built only where an alarm that
 * is on keys a table with it (the hammered destination and its source, the
 * SYN destination and source, the probing source, destination and its
 * port); watched IPv6 addresses and the 4-tuple table compare 32-bit words
 * and build nothing. Addresses become text only in events.
 */
import type { Packet } from '../decode/packet.js';
import { DIR_IN } from '../classify/direction.js';
import { intervalAt } from '../tally/engine.js';
import { ipv4Text, ipv6Text } from '../format/addr.js';
import { parseAddress } from '../net/prefixes.js';
import type { SilentWatch, ThresholdEvent, ThresholdSettings } from './types.js';

export type AlarmSettings = Pick<
  ThresholdSettings,
  | 'average'
  | 'hammerKBps'
  | 'hammerPps'
  | 'hammerTop'
  | 'watches'
  | 'synflood'
  | 'scanPorts'
  | 'scanHosts'
  | 'maxHosts'
  | 'lenadj'
>;

/** Sources kept per hammered address. */
export const MAX_HAMMER_SOURCES = 64;
/** Distinct sources counted per SYN-flooded address. */
export const MAX_SYN_SOURCES = 64;
/** Destination ports kept per SYN-flooded address, to name the most targeted. */
const MAX_SYN_PORTS = 8;
/** A SYN whose handshake has not completed after this long is forgotten. */
export const HALF_OPEN_SECONDS = 75;
/** The half-open 4-tuple table holds this many attempts per maxHosts. */
export const HALF_OPEN_PER_HOST = 4;

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMP6 = 58;
const ICMP_ECHO = 8;
const ICMP6_ECHO = 128;

/** An address as a Map key: IPv4 as its 32-bit number, IPv6 as the 16 bytes in a latin1 string. */
type AddrKey = number | string;

function u32(data: Buffer, off: number): number {
  return ((data[off]! << 24) | (data[off + 1]! << 16) | (data[off + 2]! << 8) | data[off + 3]!) >>> 0;
}

function addrKey(data: Buffer, version: number, off: number): AddrKey {
  return version === 4 ? u32(data, off) : data.toString('latin1', off, off + 16);
}

const textScratch = Buffer.alloc(16);

function keyText(key: AddrKey): string {
  if (typeof key === 'number') {
    textScratch.writeUInt32BE(key, 0);
    return ipv4Text(textScratch, 0);
  }
  textScratch.write(key, 0, 16, 'latin1');
  return ipv6Text(textScratch, 0);
}

/** One decimal, no trailing zeros: 306.6, 300. */
function dec1(x: number): string {
  return String(Math.round(x * 10) / 10);
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local time as YYYY-MM-DDTHH:MM:SS (one token for a k=v pair). */
function localStamp(sec: number): string {
  const d = new Date(Math.floor(sec) * 1000);
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  );
}

/**
 * Drop the `count` lightest entries of `map` (never one whose key is in
 * `keep`): the lightest first, the oldest first among equals. Returns how
 * many went. One sort for a batch keeps a flood of new keys to a few
 * operations per key.
 */
function evictLightest<V>(map: Map<AddrKey, V>, weight: (v: V) => number, keep: Map<AddrKey, unknown>, count: number): number {
  const weights = new Float64Array(map.size);
  let n = 0;
  for (const [key, v] of map) if (!keep.has(key)) weights[n++] = weight(v);
  if (n === 0) return 0;
  const sorted = weights.subarray(0, n).sort();
  const cutoff = sorted[Math.min(count, n) - 1]!;
  let below = 0; // entries strictly lighter than the cutoff: all go
  for (let i = 0; i < n && sorted[i]! < cutoff; i++) below++;
  let atCutoff = Math.min(count, n) - below;
  let removed = 0;
  for (const [key, v] of map) {
    if (keep.has(key)) continue;
    const w = weight(v);
    if (w < cutoff || (w === cutoff && atCutoff-- > 0)) {
      map.delete(key);
      removed++;
    }
  }
  return removed;
}

/** How many to drop when a table of `max` is full: a sixteenth, and anything over. */
function batchFor(size: number, max: number): number {
  return size - max + Math.max(1, max >> 4);
}

// ---------------------------------------------------------------- HOST hammered

/** One local address's traffic from outside this period, and its heaviest sources. */
class HammerCount {
  bytes = 0;
  pkts = 0;
  /** Crossed the threshold this period (alerted, or already in an episode). */
  crossed = false;
  readonly srcKeys: AddrKey[] = [];
  readonly srcBytes: number[] = [];
  private lastSrc = 0;

  addSource(key: AddrKey, bytes: number): void {
    const keys = this.srcKeys;
    let i = this.lastSrc;
    if (keys[i] !== key) {
      i = keys.indexOf(key);
      if (i < 0) {
        if (keys.length < MAX_HAMMER_SOURCES) {
          i = keys.length;
          keys.push(key);
          this.srcBytes.push(0);
        } else {
          // full: the new source takes the smallest one's place
          const counts = this.srcBytes;
          i = 0;
          for (let j = 1; j < counts.length; j++) if (counts[j]! < counts[i]!) i = j;
          keys[i] = key;
          counts[i] = 0;
        }
      }
      this.lastSrc = i;
    }
    this.srcBytes[i]! += bytes;
  }

  /** The `n` sources with the most bytes, the first seen first on ties. */
  top(n: number): { key: AddrKey; bytes: number }[] {
    const order = this.srcKeys.map((key, i) => ({ key, bytes: this.srcBytes[i]!, i }));
    order.sort((a, b) => b.bytes - a.bytes || a.i - b.i);
    return order.slice(0, n).map(({ key, bytes }) => ({ key, bytes }));
  }
}

interface HammerEpisode {
  start: number;
  /** The busiest period's kB/s (each period's bytes over its own length: SIGHUP may change it). */
  peakKBps: number;
}

// ---------------------------------------------------------------- TCP synflood

/** SYNs to one destination this period. */
class SynCount {
  syns = 0;
  completed = 0;
  crossed = false;
  readonly ports: number[] = [];
  readonly portSyns: number[] = [];
  readonly sources: AddrKey[] = [];

  addPort(port: number): void {
    let i = this.ports.indexOf(port);
    if (i < 0) {
      if (this.ports.length < MAX_SYN_PORTS) {
        i = this.ports.length;
        this.ports.push(port);
        this.portSyns.push(0);
      } else {
        i = 0;
        for (let j = 1; j < this.portSyns.length; j++) if (this.portSyns[j]! < this.portSyns[i]!) i = j;
        this.ports[i] = port;
        this.portSyns[i] = 0;
      }
    }
    this.portSyns[i]!++;
  }

  addSource(key: AddrKey): void {
    // once the cap is reached nothing more is learned: skip the search
    if (this.sources.length < MAX_SYN_SOURCES && this.sources.indexOf(key) < 0) this.sources.push(key);
  }

  topPort(): number {
    let best = 0;
    for (let j = 1; j < this.portSyns.length; j++) if (this.portSyns[j]! > this.portSyns[best]!) best = j;
    return this.ports[best] ?? -1;
  }
}

interface SynEpisode {
  start: number;
  syns: number;
}

/** One step of the 4-tuple hash (murmur3's constants). */
function mix(h: number, word: number): number {
  h = Math.imul(h ^ word, 0x85ebca6b);
  return h ^ (h >>> 13);
}

const SLOT_EMPTY = 0;
const SLOT_OPEN = 1;
const SLOT_ANSWERED = 2;
/** Words per slot: source (4), destination (4), ports, client ISN, server ISN. */
const WORDS = 11;
const W_PORTS = 8;
const W_CLIENT_ISN = 9;
const W_SERVER_ISN = 10;
const FIRST_SLOTS = 1024;

/**
 * Half-open TCP attempts by 4-tuple, in typed arrays: open addressing with
 * linear probing at most half full, deletion by backward shift, so a
 * lookup allocates nothing. IPv4 tuples use the first word of each
 * address, the other three zero. Grows by doubling up to twice `max`
 * slots; full at `max` attempts (see makeRoom).
 */
class HalfOpenTable {
  max: number;
  live = 0;
  /** Attempts answered by a SYN-ACK: while none, ACKs need no lookup. */
  answered = 0;
  /** Attempts dropped to make room (not counting those that aged out). */
  evicted = 0;
  private slots = 0;
  private mask = 0;
  private state = new Uint8Array(0);
  private version = new Uint8Array(0);
  private hashes = new Uint32Array(0);
  private words = new Uint32Array(0);
  private times = new Float64Array(0);
  /** The tuple being looked up (setKey), and its hash. */
  private readonly key = new Uint32Array(WORDS);
  private keyVersion = 0;
  private keyHash = 0;

  constructor(max: number) {
    this.max = max;
    this.allocate(FIRST_SLOTS);
  }

  private allocate(slots: number): void {
    this.slots = slots;
    this.mask = slots - 1;
    this.state = new Uint8Array(slots);
    this.version = new Uint8Array(slots);
    this.hashes = new Uint32Array(slots);
    this.words = new Uint32Array(slots * WORDS);
    this.times = new Float64Array(slots);
  }

  /** Look up the attempt from a:aPort to b:bPort (addresses at offsets in data). */
  setKey(data: Buffer, v: number, aOff: number, aPort: number, bOff: number, bPort: number): void {
    const k = this.key;
    k[0] = u32(data, aOff);
    k[4] = u32(data, bOff);
    if (v === 6) {
      k[1] = u32(data, aOff + 4);
      k[2] = u32(data, aOff + 8);
      k[3] = u32(data, aOff + 12);
      k[5] = u32(data, bOff + 4);
      k[6] = u32(data, bOff + 8);
      k[7] = u32(data, bOff + 12);
    } else {
      k[1] = k[2] = k[3] = k[5] = k[6] = k[7] = 0;
    }
    k[W_PORTS] = ((aPort << 16) | bPort) >>> 0;
    this.keyVersion = v;
    let h = mix(Math.imul(v, 0x9e3779b1), k[0]!);
    if (v === 6) {
      h = mix(mix(mix(h, k[1]!), k[2]!), k[3]!);
      h = mix(mix(mix(h, k[5]!), k[6]!), k[7]!);
    }
    h = mix(mix(h, k[4]!), k[W_PORTS]!); // IPv4's other words are zero: not mixed
    h = Math.imul(h, 0xc2b2ae35);
    this.keyHash = (h ^ (h >>> 16)) >>> 0;
  }

  /** The slot of the key set by setKey, or -1. */
  find(): number {
    const state = this.state;
    const words = this.words;
    const k = this.key;
    const mask = this.mask;
    for (let i = this.keyHash & mask; state[i] !== SLOT_EMPTY; i = (i + 1) & mask) {
      if (this.hashes[i] !== this.keyHash || this.version[i] !== this.keyVersion) continue;
      const w = i * WORDS;
      if (
        words[w] === k[0] && words[w + 4] === k[4] && words[w + W_PORTS] === k[W_PORTS] &&
        words[w + 1] === k[1] && words[w + 2] === k[2] && words[w + 3] === k[3] &&
        words[w + 5] === k[5] && words[w + 6] === k[6] && words[w + 7] === k[7]
      ) {
        return i;
      }
    }
    return -1;
  }

  /** Add the key set by setKey (not in the table) as an open attempt; makes room first when full. */
  insert(ts: number, clientIsn: number): void {
    if (this.live >= this.max) this.makeRoom(ts);
    if (this.live + 1 > this.slots >> 1) this.rebuild(this.slots * 2, () => true);
    const mask = this.mask;
    let i = this.keyHash & mask;
    while (this.state[i] !== SLOT_EMPTY) i = (i + 1) & mask;
    this.state[i] = SLOT_OPEN;
    this.version[i] = this.keyVersion;
    this.hashes[i] = this.keyHash;
    this.words.set(this.key, i * WORDS);
    this.words[i * WORDS + W_CLIENT_ISN] = clientIsn;
    this.times[i] = ts;
    this.live++;
  }

  /** Like find(), but an attempt past HALF_OPEN_SECONDS at `now` is forgotten, not found. */
  lookup(now: number): number {
    const slot = this.find();
    if (slot >= 0 && now - this.times[slot]! > HALF_OPEN_SECONDS) {
      this.remove(slot);
      return -1;
    }
    return slot;
  }

  stateAt(slot: number): number {
    return this.state[slot]!;
  }

  isnAt(slot: number, server: boolean): number {
    return this.words[slot * WORDS + (server ? W_SERVER_ISN : W_CLIENT_ISN)]!;
  }

  touch(slot: number, ts: number): void {
    this.times[slot] = ts;
  }

  answer(slot: number, serverIsn: number): void {
    this.state[slot] = SLOT_ANSWERED;
    this.words[slot * WORDS + W_SERVER_ISN] = serverIsn;
    this.answered++;
  }

  /** Remove the attempt in `slot`, shifting back the entries that probed past it. */
  remove(slot: number): void {
    if (this.state[slot] === SLOT_ANSWERED) this.answered--;
    this.live--;
    const mask = this.mask;
    let hole = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      if (this.state[j] === SLOT_EMPTY) break;
      const home = this.hashes[j]! & mask;
      // j may move into the hole unless its home lies cyclically in (hole, j]
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      this.moveSlot(j, hole);
      hole = j;
    }
    this.state[hole] = SLOT_EMPTY;
  }

  private moveSlot(from: number, to: number): void {
    this.state[to] = this.state[from]!;
    this.version[to] = this.version[from]!;
    this.hashes[to] = this.hashes[from]!;
    this.times[to] = this.times[from]!;
    this.words.copyWithin(to * WORDS, from * WORDS, from * WORDS + WORDS);
  }

  /** Forget attempts older than HALF_OPEN_SECONDS at `now`. */
  age(now: number): void {
    if (this.live === 0) return;
    const cutoff = now - HALF_OPEN_SECONDS;
    let old = false;
    for (let i = 0; i < this.slots && !old; i++) old = this.state[i] !== SLOT_EMPTY && this.times[i]! < cutoff;
    if (old) this.rebuild(this.slots, (t) => t >= cutoff);
  }

  /** Full: drop what aged out, and if that is not enough the oldest sixteenth (counted). */
  private makeRoom(now: number): void {
    this.age(now);
    if (this.live < this.max) return;
    const times = new Float64Array(this.live);
    let n = 0;
    for (let i = 0; i < this.slots; i++) if (this.state[i] !== SLOT_EMPTY) times[n++] = this.times[i]!;
    times.sort();
    const count = batchFor(this.live, this.max);
    const cutoff = times[Math.min(count, n) - 1]!;
    let atCutoff = count;
    for (let i = 0; i < n && times[i]! < cutoff; i++) atCutoff--;
    const before = this.live;
    this.rebuild(this.slots, (t) => t > cutoff || (t === cutoff && atCutoff-- <= 0));
    this.evicted += before - this.live;
  }

  /** Re-insert the attempts whose time passes `keep` into `slots` fresh slots (the oldest first). */
  private rebuild(slots: number, keep: (time: number) => boolean): void {
    const cap = Math.max(FIRST_SLOTS, 2 ** Math.ceil(Math.log2(Math.max(2, this.max * 2))));
    if (slots > cap) slots = cap;
    const { state, version, hashes, words, times } = this;
    const order: number[] = [];
    for (let i = 0; i < this.slots; i++) if (state[i] !== SLOT_EMPTY) order.push(i);
    order.sort((a, b) => times[a]! - times[b]! || a - b);
    this.allocate(slots);
    this.live = 0;
    this.answered = 0;
    const mask = this.mask;
    for (const from of order) {
      if (!keep(times[from]!)) continue;
      let i = hashes[from]! & mask;
      while (this.state[i] !== SLOT_EMPTY) i = (i + 1) & mask;
      this.state[i] = state[from]!;
      this.version[i] = version[from]!;
      this.hashes[i] = hashes[from]!;
      this.times[i] = times[from]!;
      this.words.set(words.subarray(from * WORDS, from * WORDS + WORDS), i * WORDS);
      this.live++;
      if (state[from] === SLOT_ANSWERED) this.answered++;
    }
  }

  clear(): void {
    this.allocate(FIRST_SLOTS);
    this.live = 0;
    this.answered = 0;
  }
}

// ---------------------------------------------------------------- NET scan

/** One source's probes this period, each set exact up to its cap. */
class ScanCount {
  /** (destination, port) pairs: IPv4 as address × 65536 + port, IPv6 as the address string and the port as one more char. */
  readonly ports = new Set<number | string>();
  /** Destination → distinct ports probed on it. */
  readonly hosts = new Map<AddrKey, number>();
  crossed = false;

  weight(): number {
    return this.ports.size + this.hosts.size;
  }

  /** The destination probed at the most ports, the first probed on a tie. */
  topHost(): [AddrKey, number] | undefined {
    let best: [AddrKey, number] | undefined;
    for (const [key, n] of this.hosts) if (best === undefined || n > best[1]) best = [key, n];
    return best;
  }
}

interface ScanEpisode {
  start: number;
  peakPorts: number;
  peakHosts: number;
}

// ---------------------------------------------------------------- HOST silent

interface WatchState {
  address: string;
  seconds: number;
  /** IPv4: the address; IPv6: its four words. */
  version: 4 | 6;
  words: Uint32Array;
  /** Time of its last packet; NaN before it was heard. */
  last: number;
  /** Counting from here while never heard (the first time seen, or the SIGHUP that added it). */
  since: number;
  silent: boolean;
}

function watchDue(w: WatchState): number {
  return (Number.isNaN(w.last) ? w.since : w.last) + w.seconds;
}

// ---------------------------------------------------------------- the engine

export class Alarms {
  readonly evicted = { hammer: 0, syn: 0, scan: 0 };

  private settings!: AlarmSettings;
  private hammerOn = false;
  private watchOn = false;
  private synOn = false;
  private scanOn = false;
  private lenadj = 0;

  // the period
  private started = false;
  private finished = false;
  private now = -Infinity;
  private periodEnd = Infinity;
  /** The averaging period the current period started with: limits and rates use it. */
  private periodSeconds = 1;
  /** Earliest time anything is due (a period end, a silence): advanceTo does nothing before. */
  private nextDue = -Infinity;

  // limits for this period (Infinity: off)
  private byteLimit = Infinity;
  private pktLimit = Infinity;
  private synLimit = Infinity;
  private portLimit = Infinity;
  private hostLimit = Infinity;
  private portCap = 0;
  private hostCap = 0;

  private readonly hammerCounts = new Map<AddrKey, HammerCount>();
  private readonly hammerEpisodes = new Map<AddrKey, HammerEpisode>();
  private readonly synCounts = new Map<AddrKey, SynCount>();
  private readonly synEpisodes = new Map<AddrKey, SynEpisode>();
  private halfOpen: HalfOpenTable | undefined;
  private readonly scanCounts = new Map<AddrKey, ScanCount>();
  private readonly scanEpisodes = new Map<AddrKey, ScanEpisode>();

  private watches: WatchState[] = [];
  private watchV4 = new Map<number, WatchState>();
  /** Last bytes of the watched IPv4 addresses: most packets are told apart without a Map lookup. */
  private watchV4Last = new Uint8Array(256);
  /** IPv6 watches by their last word, then compared whole. */
  private watchV6 = new Map<number, WatchState[]>();
  /** No watch that is not silent is due before this (a lower bound, made exact when reached). */
  private silentDue = Infinity;

  constructor(
    settings: AlarmSettings,
    private readonly emit: (e: ThresholdEvent) => void,
  ) {
    this.apply(settings);
  }

  /** True when any alarm is on (the command skips calling packet() otherwise). */
  get active(): boolean {
    return this.hammerOn || this.watchOn || this.synOn || this.scanOn;
  }

  /** SIGHUP: new thresholds and watches; what is being measured is kept where the alarm is still on. */
  reconfigure(settings: AlarmSettings): void {
    this.apply(settings);
  }

  private apply(s: AlarmSettings): void {
    this.settings = { ...s, watches: s.watches.map((w) => ({ ...w })) };
    this.lenadj = s.lenadj;
    this.hammerOn = s.hammerKBps !== undefined || s.hammerPps !== undefined;
    this.synOn = s.synflood !== undefined;
    this.scanOn = s.scanPorts !== undefined || s.scanHosts !== undefined;
    if (!this.hammerOn) {
      this.hammerCounts.clear();
      this.hammerEpisodes.clear();
    }
    if (!this.synOn) {
      this.synCounts.clear();
      this.synEpisodes.clear();
      this.halfOpen = undefined;
    } else if (this.halfOpen === undefined) {
      this.halfOpen = new HalfOpenTable(s.maxHosts * HALF_OPEN_PER_HOST);
    } else {
      this.halfOpen.max = s.maxHosts * HALF_OPEN_PER_HOST;
    }
    if (!this.scanOn) {
      this.scanCounts.clear();
      this.scanEpisodes.clear();
    }
    if (!this.started) this.periodSeconds = s.average;
    this.setLimits();
    this.setWatches(s.watches);
  }

  private setLimits(): void {
    const s = this.settings;
    const t = this.periodSeconds;
    this.byteLimit = s.hammerKBps === undefined ? Infinity : s.hammerKBps * 1024 * t;
    this.pktLimit = s.hammerPps === undefined ? Infinity : s.hammerPps * t;
    this.synLimit = s.synflood === undefined ? Infinity : s.synflood * t;
    this.portLimit = s.scanPorts === undefined ? Infinity : s.scanPorts;
    this.hostLimit = s.scanHosts === undefined ? Infinity : s.scanHosts;
    const portCap = s.scanPorts === undefined ? undefined : Math.floor(s.scanPorts) + 1;
    const hostCap = s.scanHosts === undefined ? undefined : Math.floor(s.scanHosts) + 1;
    this.portCap = Math.max(1, portCap ?? hostCap ?? 1);
    this.hostCap = Math.max(1, hostCap ?? portCap ?? 1);
  }

  private setWatches(list: SilentWatch[]): void {
    const old = new Map(this.watches.map((w) => [w.address, w]));
    this.watches = [];
    this.watchV4 = new Map();
    this.watchV4Last = new Uint8Array(256);
    this.watchV6 = new Map();
    for (const watch of list) {
      if (this.watches.some((w) => w.address === watch.address)) continue; // listed twice: the first counts
      const parsed = parseAddress(watch.address);
      if (parsed === undefined) continue; // the settings reader rejects these; nothing to watch
      const words = new Uint32Array(parsed.version === 4 ? 1 : 4);
      if (parsed.version === 4) words[0] = Number(parsed.value);
      else for (let i = 0; i < 4; i++) words[i] = Number((parsed.value >> BigInt(96 - 32 * i)) & 0xffffffffn);
      const before = old.get(watch.address);
      const w: WatchState = {
        address: watch.address,
        seconds: watch.seconds,
        version: parsed.version,
        words,
        last: before?.last ?? NaN,
        since: before?.since ?? (this.started ? this.now : NaN),
        silent: before?.silent ?? false,
      };
      this.watches.push(w);
      if (w.version === 4) {
        this.watchV4.set(words[0]!, w);
        this.watchV4Last[words[0]! & 255] = 1;
      }
      else {
        const same = this.watchV6.get(words[3]!);
        if (same) same.push(w);
        else this.watchV6.set(words[3]!, [w]);
      }
    }
    this.watchOn = this.watches.length > 0;
    this.refreshSilentDue();
  }

  private refreshSilentDue(): void {
    let due = Infinity;
    for (const w of this.watches) {
      if (w.silent) continue;
      const d = watchDue(w);
      if (d < due) due = d;
    }
    this.silentDue = due;
    if (this.started) this.nextDue = Math.min(this.periodEnd, due);
  }

  // ------------------------------------------------------------ time

  private start(ts: number): void {
    this.started = true;
    this.now = ts;
    const iv = intervalAt(ts, this.settings.average);
    this.periodEnd = iv.end > ts ? iv.end : ts + this.settings.average;
    this.periodSeconds = this.settings.average;
    this.setLimits();
    for (const w of this.watches) if (Number.isNaN(w.since)) w.since = ts;
    this.refreshSilentDue();
  }

  /** Time has reached ts: close the periods that ended, fire the silences that began, in time order. */
  advanceTo(ts: number): void {
    if (this.finished || Number.isNaN(ts)) return;
    if (!this.started) this.start(ts);
    if (ts > this.now) this.now = ts;
    if (ts < this.nextDue) return;
    for (;;) {
      const end = this.periodEnd;
      const limit = ts < end ? ts : end;
      if (this.silentDue < limit) this.fireSilences(limit);
      else if (end <= ts) this.closePeriod(ts);
      else break;
    }
    this.nextDue = Math.min(this.periodEnd, this.silentDue);
  }

  /** End of input at ts: fire what is due by then; the partial period is not judged and episodes do not end. */
  finish(ts: number): void {
    this.advanceTo(ts);
    this.finished = true;
  }

  private fireSilences(limit: number): void {
    const due: WatchState[] = [];
    for (const w of this.watches) if (!w.silent && watchDue(w) < limit) due.push(w);
    due.sort((a, b) => watchDue(a) - watchDue(b));
    for (const w of due) {
      w.silent = true;
      const last = Number.isNaN(w.last) ? 'never' : localStamp(w.last);
      this.emit({
        ts: watchDue(w),
        family: 'HOST',
        kind: 'silent',
        details: [['addr', w.address], ['silent_s', String(w.seconds)], ['last', last]],
        sentence:
          `${w.address} has sent nothing for ${w.seconds} s ` +
          (Number.isNaN(w.last) ? '(never heard since watching began)' : `(last packet at ${last.replace('T', ' ')})`),
      });
    }
    this.refreshSilentDue();
  }

  /** Judge the episodes on the period that ends now, and start the next period. */
  private closePeriod(ts: number): void {
    const end = this.periodEnd;
    this.endHammer(end);
    this.endSyn(end);
    this.endScan(end);
    this.halfOpen?.age(end);
    // With an episode going on, the very next period must be judged too,
    // even if nothing comes in it (that is how a flood that stops ends).
    const episodes = this.hammerEpisodes.size + this.synEpisodes.size + this.scanEpisodes.size > 0;
    const from = episodes ? end : ts;
    const average = this.settings.average;
    const iv = intervalAt(from, average);
    // a DST change or an odd period can give an end at or before `from`: never stand still
    this.periodEnd = iv.end > from ? iv.end : from + average;
    this.periodSeconds = average;
    this.setLimits();
  }

  private endHammer(end: number): void {
    for (const [key, ep] of this.hammerEpisodes) {
      const c = this.hammerCounts.get(key);
      const bytes = c?.bytes ?? 0;
      const pkts = c?.pkts ?? 0;
      const kBps = bytes / 1024 / this.periodSeconds;
      if (kBps > ep.peakKBps) ep.peakKBps = kBps;
      if (bytes > this.byteLimit || pkts > this.pktLimit) continue;
      this.hammerEpisodes.delete(key);
      const addr = keyText(key);
      const duration = Math.round(end - ep.start);
      const peak = dec1(ep.peakKBps);
      this.emit({
        ts: end,
        family: 'HOST',
        kind: 'hammered_end',
        details: [['addr', addr], ['duration', String(duration)], ['peak_kBps', peak]],
        sentence: `${addr} is no longer hammered, after ${duration} s (peak ${peak} kB/s over a period)`,
      });
    }
    this.hammerCounts.clear();
  }

  private endSyn(end: number): void {
    for (const [key, ep] of this.synEpisodes) {
      const c = this.synCounts.get(key);
      const syns = c?.syns ?? 0;
      ep.syns += syns;
      if (syns - (c?.completed ?? 0) > this.synLimit) continue;
      this.synEpisodes.delete(key);
      const dst = keyText(key);
      const duration = Math.round(end - ep.start);
      this.emit({
        ts: end,
        family: 'TCP',
        kind: 'synflood_end',
        details: [['dst', dst], ['duration', String(duration)], ['syns', String(ep.syns)]],
        sentence: `the SYN flood on ${dst} is over, after ${duration} s and ${ep.syns} SYNs`,
      });
    }
    this.synCounts.clear();
  }

  private endScan(end: number): void {
    for (const [key, ep] of this.scanEpisodes) {
      const c = this.scanCounts.get(key);
      const ports = c?.ports.size ?? 0;
      const hosts = c?.hosts.size ?? 0;
      if (ports > ep.peakPorts) ep.peakPorts = ports;
      if (hosts > ep.peakHosts) ep.peakHosts = hosts;
      if (ports > this.portLimit || hosts > this.hostLimit) continue;
      this.scanEpisodes.delete(key);
      const src = keyText(key);
      const duration = Math.round(end - ep.start);
      this.emit({
        ts: end,
        family: 'NET',
        kind: 'scan_end',
        details: [['src', src], ['duration', String(duration)], ['ports', String(ep.peakPorts)], ['hosts', String(ep.peakHosts)]],
        sentence:
          `${src} stopped scanning, after ${duration} s ` +
          `(at most ${ep.peakPorts} address/port pairs and ${ep.peakHosts} addresses in a period)`,
      });
    }
    this.scanCounts.clear();
  }

  // ------------------------------------------------------------ packets

  /** One decoded packet at time ts; dir is its direction code (DIR_IN: from outside to a local address). */
  packet(p: Packet, ts: number, dir: number): void {
    if (ts >= this.nextDue) this.advanceTo(ts);
    if (this.finished) return;
    if (ts > this.now) this.now = ts;
    const v = p.ipVersion;
    if (v === 0) {
      if (this.watchOn && p.arpSpaOff >= 0) this.heardV4(u32(p.data, p.arpSpaOff), ts);
      return;
    }
    if (p.srcOff < 0) return;
    if (this.watchOn) {
      if (v === 4) this.heardV4(u32(p.data, p.srcOff), ts);
      else this.heardV6(p.data, p.srcOff, ts);
    }
    if (p.dstOff < 0) return;
    if (this.hammerOn && dir === DIR_IN) this.hammer(p, ts);
    const proto = p.proto;
    if (proto === PROTO_TCP) {
      const flags = p.tcpFlags;
      if (flags < 0 || p.dport < 0) return;
      if (this.synOn) this.tcp(p, ts, flags);
      if (this.scanOn && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) this.probe(p, ts, p.dport);
    } else if (proto === PROTO_UDP) {
      if (this.scanOn && p.dport >= 0 && !(p.sport < 1024 && p.dport >= 1024)) this.probe(p, ts, p.dport);
    } else if ((proto === PROTO_ICMP && p.itype === ICMP_ECHO) || (proto === PROTO_ICMP6 && p.itype === ICMP6_ECHO)) {
      if (this.scanOn) this.probe(p, ts, -1);
    }
  }

  // ------------------------------------------------------------ HOST silent / back

  private heardV4(addr: number, ts: number): void {
    if (this.watchV4Last[addr & 255] === 0) return;
    const w = this.watchV4.get(addr);
    if (w !== undefined) this.heard(w, ts);
  }

  private heardV6(data: Buffer, off: number, ts: number): void {
    if (this.watchV6.size === 0) return;
    const list = this.watchV6.get(u32(data, off + 12));
    if (list === undefined) return;
    const w0 = u32(data, off);
    const w1 = u32(data, off + 4);
    const w2 = u32(data, off + 8);
    for (const w of list) {
      if (w.words[0] === w0 && w.words[1] === w1 && w.words[2] === w2) this.heard(w, ts);
    }
  }

  private heard(w: WatchState, ts: number): void {
    if (w.silent) {
      w.silent = false;
      const silentFor = Math.round(ts - (Number.isNaN(w.last) ? w.since : w.last));
      this.emit({
        ts,
        family: 'HOST',
        kind: 'back',
        details: [['addr', w.address], ['silent_s', String(silentFor)]],
        sentence: `${w.address} is sending again, after ${silentFor} s of silence`,
      });
    }
    if (!(ts <= w.last)) w.last = ts;
    const due = w.last + w.seconds;
    if (due < this.silentDue) {
      this.silentDue = due;
      if (due < this.nextDue) this.nextDue = due;
    }
  }

  // ------------------------------------------------------------ HOST hammered

  private hammer(p: Packet, ts: number): void {
    const data = p.data;
    const v = p.ipVersion;
    const dst = addrKey(data, v, p.dstOff);
    let c = this.hammerCounts.get(dst);
    if (c === undefined) {
      const map = this.hammerCounts;
      if (map.size >= this.settings.maxHosts) {
        this.evicted.hammer += evictLightest(map, (h) => h.bytes, this.hammerEpisodes, batchFor(map.size, this.settings.maxHosts));
      }
      c = new HammerCount();
      map.set(dst, c);
    }
    const len = p.len + this.lenadj;
    const bytes = len > 0 ? len : 0;
    c.bytes += bytes;
    c.pkts++;
    c.addSource(addrKey(data, v, p.srcOff), bytes);
    if (!c.crossed && (c.bytes > this.byteLimit || c.pkts > this.pktLimit)) this.hammered(dst, c, ts);
  }

  private hammered(key: AddrKey, c: HammerCount, ts: number): void {
    c.crossed = true;
    if (this.hammerEpisodes.has(key)) return;
    if (this.hammerEpisodes.size >= this.settings.maxHosts) this.forgetOldest(this.hammerEpisodes, 'hammer');
    const s = this.settings;
    const t = this.periodSeconds;
    this.hammerEpisodes.set(key, { start: ts, peakKBps: c.bytes / 1024 / t });
    const byBytes = c.bytes > this.byteLimit;
    const kBps = dec1(c.bytes / 1024 / t);
    const pps = dec1(c.pkts / t);
    const threshold = String(byBytes ? s.hammerKBps : s.hammerPps);
    const over = byBytes ? 'kBps' : 'pps';
    const addr = keyText(key);
    const details: [string, string][] = [
      ['addr', addr],
      ['kBps', kBps],
      ['pps', pps],
      ['threshold', threshold],
      ['over', over],
    ];
    const named: string[] = [];
    c.top(s.hammerTop).forEach((src, i) => {
      const text = keyText(src.key);
      const kB = dec1(src.bytes / 1024);
      details.push([`src${i + 1}`, text], [`src${i + 1}_kB`, kB]);
      named.push(`${text} (${kB} kB)`);
    });
    this.emit({
      ts,
      family: 'HOST',
      kind: 'hammered',
      details,
      sentence:
        `${addr} is hammered from outside: ${kBps} kB/s and ${pps} packets/s over the ${t} s period so far ` +
        `(threshold ${threshold} ${over === 'kBps' ? 'kB/s' : 'packets/s'})` +
        (named.length > 0 ? `; top sources ${named.join(', ')}` : ''),
    });
  }

  private forgetOldest(episodes: Map<AddrKey, unknown>, table: 'hammer' | 'syn' | 'scan'): void {
    const oldest = episodes.keys().next();
    if (oldest.done) return;
    episodes.delete(oldest.value);
    this.evicted[table]++;
  }

  // ------------------------------------------------------------ TCP synflood

  private tcp(p: Packet, ts: number, flags: number): void {
    const table = this.halfOpen!;
    const data = p.data;
    const v = p.ipVersion;
    if ((flags & TCP_RST) !== 0) {
      if (table.live === 0) return;
      table.setKey(data, v, p.srcOff, p.sport, p.dstOff, p.dport);
      let slot = table.lookup(ts);
      if (slot < 0) {
        table.setKey(data, v, p.dstOff, p.dport, p.srcOff, p.sport);
        slot = table.lookup(ts);
      }
      if (slot >= 0) table.remove(slot); // reset: incomplete
      return;
    }
    if ((flags & TCP_SYN) !== 0) {
      if ((flags & TCP_ACK) !== 0) {
        // SYN-ACK from the destination, acknowledging the client's SYN
        if (table.live === 0) return;
        table.setKey(data, v, p.dstOff, p.dport, p.srcOff, p.sport);
        const slot = table.lookup(ts);
        if (slot >= 0 && table.stateAt(slot) === SLOT_OPEN && p.ack === ((table.isnAt(slot, false) + 1) >>> 0)) {
          table.answer(slot, p.seq);
        }
        return;
      }
      table.setKey(data, v, p.srcOff, p.sport, p.dstOff, p.dport);
      const slot = table.lookup(ts);
      if (slot >= 0) {
        table.touch(slot, ts); // a retransmission: the same attempt
        return;
      }
      const evictedBefore = table.evicted;
      table.insert(ts, p.seq >>> 0);
      this.evicted.syn += table.evicted - evictedBefore;
      this.syn(p, ts);
      return;
    }
    if ((flags & TCP_ACK) !== 0 && table.answered > 0) {
      // the client's ACK of the SYN-ACK completes the handshake
      table.setKey(data, v, p.srcOff, p.sport, p.dstOff, p.dport);
      const slot = table.lookup(ts);
      if (slot >= 0 && table.stateAt(slot) === SLOT_ANSWERED && p.ack === ((table.isnAt(slot, true) + 1) >>> 0)) {
        table.remove(slot);
        const c = this.synCounts.get(addrKey(data, v, p.dstOff));
        if (c !== undefined) c.completed++;
      }
    }
  }

  /** A new attempt: count the SYN for its destination. */
  private syn(p: Packet, ts: number): void {
    const data = p.data;
    const v = p.ipVersion;
    const dst = addrKey(data, v, p.dstOff);
    let c = this.synCounts.get(dst);
    if (c === undefined) {
      const map = this.synCounts;
      if (map.size >= this.settings.maxHosts) {
        this.evicted.syn += evictLightest(map, (s) => s.syns, this.synEpisodes, batchFor(map.size, this.settings.maxHosts));
      }
      c = new SynCount();
      map.set(dst, c);
    }
    c.syns++;
    c.addPort(p.dport);
    c.addSource(addrKey(data, v, p.srcOff));
    if (!c.crossed && c.syns - c.completed > this.synLimit) this.synflood(dst, c, ts);
  }

  private synflood(key: AddrKey, c: SynCount, ts: number): void {
    c.crossed = true;
    if (this.synEpisodes.has(key)) return;
    if (this.synEpisodes.size >= this.settings.maxHosts) this.forgetOldest(this.synEpisodes, 'syn');
    this.synEpisodes.set(key, { start: ts, syns: 0 });
    const dst = keyText(key);
    const rate = dec1((c.syns - c.completed) / this.periodSeconds);
    const port = String(c.topPort());
    const sources = String(c.sources.length);
    this.emit({
      ts,
      family: 'TCP',
      kind: 'synflood',
      details: [
        ['dst', dst],
        ['syns', String(c.syns)],
        ['completed', String(c.completed)],
        ['rate', rate],
        ['port', port],
        ['sources', sources],
      ],
      sentence:
        `SYN flood on ${dst}: ${c.syns} SYNs and ${c.completed} completed handshakes this period ` +
        `(${rate} incomplete a second), mostly to port ${port}, from ` +
        (c.sources.length >= MAX_SYN_SOURCES ? `${sources} or more sources` : `${sources} source${c.sources.length === 1 ? '' : 's'}`),
    });
  }

  // ------------------------------------------------------------ NET scan

  private probe(p: Packet, ts: number, port: number): void {
    const data = p.data;
    const v = p.ipVersion;
    const src = addrKey(data, v, p.srcOff);
    let c = this.scanCounts.get(src);
    if (c === undefined) {
      const map = this.scanCounts;
      if (map.size >= this.settings.maxHosts) {
        this.evicted.scan += evictLightest(map, (s) => s.weight(), this.scanEpisodes, batchFor(map.size, this.settings.maxHosts));
      }
      c = new ScanCount();
      map.set(src, c);
    }
    const dst = addrKey(data, v, p.dstOff);
    let newPair = false;
    if (port >= 0 && c.ports.size < this.portCap) {
      const pair = typeof dst === 'number' ? dst * 65536 + port : dst + String.fromCharCode(port);
      if (!c.ports.has(pair)) {
        c.ports.add(pair);
        newPair = true;
      }
    }
    const onHost = c.hosts.get(dst);
    if (onHost === undefined) {
      if (c.hosts.size < this.hostCap) c.hosts.set(dst, newPair ? 1 : 0);
    } else if (newPair) {
      c.hosts.set(dst, onHost + 1);
    }
    if (!c.crossed && (c.ports.size > this.portLimit || c.hosts.size > this.hostLimit)) this.scan(src, c, ts);
  }

  private scan(key: AddrKey, c: ScanCount, ts: number): void {
    c.crossed = true;
    if (this.scanEpisodes.has(key)) return;
    if (this.scanEpisodes.size >= this.settings.maxHosts) this.forgetOldest(this.scanEpisodes, 'scan');
    const ports = c.ports.size;
    const hosts = c.hosts.size;
    this.scanEpisodes.set(key, { start: ts, peakPorts: ports, peakHosts: hosts });
    const src = keyText(key);
    const top = c.topHost();
    const details: [string, string][] = [['src', src], ['ports', String(ports)], ['hosts', String(hosts)]];
    if (top !== undefined) details.push(['dst', keyText(top[0])], ['dst_ports', String(top[1])]);
    this.emit({
      ts,
      family: 'NET',
      kind: 'scan',
      details,
      sentence:
        `${src} is scanning: ${ports} address/port pair${ports === 1 ? '' : 's'} and ${hosts} address${hosts === 1 ? '' : 'es'} ` +
        `probed this period` +
        (top !== undefined ? `, most of them on ${keyText(top[0])} (${top[1]} port${top[1] === 1 ? '' : 's'})` : ''),
    });
  }
}
