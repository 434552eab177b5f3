/**
 * trk-classify's watch: NetTracker's ARP and ICMPv6 neighbour-discovery
 * anomalies and arpwatch's station events, judged packet by packet against
 * the local networks (--net).
 *
 * ARP packets judged: requests and replies (op 1, 2) and RARP replies
 * (op 4, which arpwatch also reads), of Ethernet/IPv4 size (6-byte hardware,
 * 4-byte protocol addresses). "Sender" is the ARP sender protocol address
 * (spa) and hardware address (sha), "target" the target protocol address
 * (tpa). A sender 0.0.0.0 is an RFC 5227 probe ("is this address free?").
 *
 *   wrongnet     the target is outside every local IPv4 network (NetTracker's
 *                arp_wrongnet: a host asking for or answering an address
 *                that is not on this wire: misconfigured address, mask or
 *                gateway). A target 0.0.0.0 (the answer to a probe) is not.
 *   gratuitous   sender = target, not 0.0.0.0: a host announcing its own
 *                address (RFC 5227 announcement, failover, address change),
 *                as a request or a reply.
 *   mac_changed  the sender address was last seen from another MAC, and the
 *                new MAC is not the one seen before that (arpwatch's
 *                "changed ethernet address").
 *   flipflop     the sender address was last seen from another MAC, and the
 *                new MAC is the one seen before that (arpwatch's "flip
 *                flop"): two machines fighting over an address, or an ARP
 *                spoofer. A flipflop is not also a mac_changed.
 *   new_station  the sender address was never seen before, or was forgotten
 *                (--max-stations): its first address/MAC pair (arpwatch's
 *                "new station"; a known address on a new MAC is mac_changed,
 *                as there). Off by default.
 *   bogon        the sender is outside every local IPv4 network (arpwatch's
 *                bogon); 0.0.0.0 never is. Off by default.
 *   bad_mac      the sender hardware address or the Ethernet source is
 *                broadcast, multicast (group bit set) or all-zero.
 *
 * Station tracking (mac_changed, flipflop, new_station) follows arpwatch:
 * the pair is the sender address and the sender hardware address, from
 * every judged packet except those with sender 0.0.0.0, a bad_mac, or an
 * Ethernet source that differs from the sender hardware address (proxied
 * or bridged ARP: arpwatch's "ethernet mismatch"). Senders outside the
 * local networks are tracked too, as arpwatch does with -a (and as it does
 * reading a file, where it knows no networks): a misconfigured host's
 * address changes are worth knowing, and bogon says it is not local.
 * arpwatch's DECnet flip-flop suppression is not kept (DECnet is gone).
 * Stations are per VLAN (stations.ts): one address on two VLANs is two
 * stations. The kind of a station event is decided before the allow list
 * is asked, and the table is updated whether or not the alert is allowed.
 *
 * ICMPv6 packets judged: neighbour solicitations (NS, type 135),
 * advertisements (NA, 136) and router advertisements (RA, 134), of IPv6.
 * Link-local targets and prefixes (fe80::/10) are on every link and are
 * never wrongnet.
 *
 *   ns_wrongnet  an NS whose target is outside every local IPv6 network;
 *                that includes duplicate address detection probes (NS from
 *                ::) for an address a host autoconfigured from a rogue RA.
 *   na_wrongnet  an NA whose target is outside every local IPv6 network.
 *   ra_wrongnet  an RA with a prefix information option whose prefix is not
 *                a local IPv6 network of exactly that length (another
 *                prefix, or a local one with another length): a rogue or
 *                misconfigured router. A /64 inside a local network shorter
 *                than /64 is local: naming the site's aggregate covers the
 *                /64s its routers advertise. One alert per RA; `prefix` lists the
 *                offending prefixes joined with `+`.
 *   dad          duplicate address detection conflict: an NA for an address
 *                that a DAD probe (NS from ::) asked about at most
 *                DAD_WINDOW_SECONDS before (or after: capture timestamps of
 *                nearby packets may come out of order), from a MAC (its
 *                target link-layer address option, else its Ethernet
 *                source) other than the prober's Ethernet source (a host
 *                announcing its own new address is not a conflict). The
 *                probe and the answer must be on the same VLAN. One alert
 *                per probe answered.
 *
 * The window: a prober listens RetransTimer (RFC 4861 §10: 1 s) after its
 * last probe (RFC 4862 §5.4); a defender answers at once, an anycast one
 * within MAX_ANYCAST_DELAY_TIME (1 s, RFC 4861 §7.2.7). So any answer that
 * decides a DAD comes within 2 s of a probe; a later NA is ordinary
 * traffic. At most MAX_PENDING_PROBES probes are remembered (the oldest are
 * forgotten first): a storm of probes cannot grow memory.
 *
 * A family with no local network at all (only IPv4 given with --net, say)
 * is not judged for wrongnet, bogon and ra_wrongnet: with nothing local,
 * every packet would be wrong. judgesV4 / judgesV6 say which are.
 *
 * Alert details (the k=v of the ALERT line, in this order; smac and dmac
 * only when the link layer has them, vlan only for tagged frames, as the
 * tag stack outer first: 30 or 100.30):
 *   ARP kinds    smac, dmac (Ethernet), arp_sip, arp_dip (spa, tpa),
 *                arp_smac, arp_dmac (sha, tha) (NetTracker's keys); then
 *                for mac_changed and flipflop old_mac (the MAC the address
 *                moved from) and prev_seen (whole seconds since old_mac was
 *                last seen, arpwatch's "delta"); then vlan.
 *   ns_wrongnet, smac, dmac, sip, dip (IPv6 source, destination), target
 *   na_wrongnet  (NetTracker's keys); then vlan.
 *   ra_wrongnet  smac, dmac, sip, dip, prefix (PREFIX/LEN, several joined
 *                with +); then vlan.
 *   dad          smac, dmac, sip, dip, target of the answering NA; then
 *                probe_mac (the prober's Ethernet source, when known); vlan.
 *
 * Every kind is counted in its STAT counter whether or not -A/-I shows it;
 * alerts the allow list silences (allow.ts) are counted in `allowed`
 * instead, and not raised.
 *
 * Cost: inspect() runs on every packet; for one that is neither ARP nor
 * ICMPv6 it is two integer compares. Alerts are built as strings only when
 * raised, which is rare.
 */
import type { Packet } from '../decode/packet.js';
import { MAX_ND_PREFIXES, MAX_VLAN_TAGS } from '../decode/packet.js';
import { ipv4Text, ipv6Text, macText } from '../format/addr.js';
import type { PrefixSet } from '../net/prefixes.js';
import { u32be } from '../net/special-addresses.js';
import type { Alert, AlertKind } from './alert.js';
import type { AllowList } from './allow.js';
import { macAt, macString, SEEN_CHANGED, SEEN_FLIPFLOP, SEEN_NEW, SEEN_SAME, type SeenResult, StationTable } from './stations.js';

/** The prefix length stateless autoconfiguration needs (RFC 4862, RFC 7421). */
const SLAAC_PREFIX_LENGTH = 64;

export interface WatchOptions {
  local: PrefixSet;
  maxStations: number;
  allow?: AllowList;
}

export const WATCH_COUNTERS = [
  'arp',
  'arp_wrongnet',
  'arp_mac_changed',
  'arp_gratuitous',
  'icmp6',
  'icmp6_ns_wrongnet',
  'icmp6_na_wrongnet',
  'icmp6_ra_wrongnet',
  'arp_flipflop',
  'arp_new_station',
  'arp_bogon',
  'arp_bad_mac',
  'icmp6_dad',
  'allowed',
  'stations_evicted',
] as const;
export type WatchCounter = (typeof WATCH_COUNTERS)[number];
export type WatchCounts = Record<WatchCounter, number>;

/** How long after a DAD probe an NA for its address is a conflict (see the header). */
export const DAD_WINDOW_SECONDS = 2;
/** DAD probes remembered at most. */
export const MAX_PENDING_PROBES = 4096;

const ARPOP_REQUEST = 1;
const ARPOP_REPLY = 2;
const RARPOP_REPLY = 4;
const IPPROTO_ICMPV6 = 58;
const ND_ROUTER_ADVERT = 134;
const ND_NEIGHBOR_SOLICIT = 135;
const ND_NEIGHBOR_ADVERT = 136;
const TWO_40 = 2 ** 40;

const COUNTER_OF: Record<AlertKind, WatchCounter> = {
  wrongnet: 'arp_wrongnet',
  gratuitous: 'arp_gratuitous',
  mac_changed: 'arp_mac_changed',
  flipflop: 'arp_flipflop',
  new_station: 'arp_new_station',
  bogon: 'arp_bogon',
  bad_mac: 'arp_bad_mac',
  ns_wrongnet: 'icmp6_ns_wrongnet',
  na_wrongnet: 'icmp6_na_wrongnet',
  ra_wrongnet: 'icmp6_ra_wrongnet',
  dad: 'icmp6_dad',
};

function zeroCounts(): WatchCounts {
  // every key in one fixed order: one object shape for every counts object
  const counts = {} as WatchCounts;
  for (const key of WATCH_COUNTERS) counts[key] = 0;
  return counts;
}

/** Broadcast and multicast MACs have the group bit (the low bit of the first octet) set. */
function isBadMac(mac: number): boolean {
  return mac === 0 || (Math.floor(mac / TWO_40) & 1) === 1;
}

function badMacWhy(mac: number): string {
  return mac === 0 ? 'all-zero' : mac === 0xffff_ffff_ffff ? 'broadcast' : 'multicast';
}

function isLinkLocalV6(buf: Buffer, off: number): boolean {
  return buf[off] === 0xfe && (buf[off + 1]! & 0xc0) === 0x80;
}

function isUnspecifiedV6(buf: Buffer, off: number): boolean {
  for (let i = 0; i < 16; i++) if (buf[off + i] !== 0) return false;
  return true;
}

/** The packet's VLAN tags outer first as `100.30`, '' untagged; VLAN 0 (a priority tag) is no VLAN. */
function vlanText(p: Packet): string {
  let text = '';
  const n = Math.min(p.vlanCount, MAX_VLAN_TAGS);
  for (let i = 0; i < n; i++) {
    const id = p.vlans[i]!;
    if (id !== 0) text = text === '' ? String(id) : `${text}.${id}`;
  }
  return text;
}

function v6Value(buf: Buffer, off: number): bigint {
  return (buf.readBigUInt64BE(off) << 64n) | buf.readBigUInt64BE(off + 8);
}

interface PendingProbe {
  ts: number;
  /** The prober's Ethernet source, -1 when the link layer has none. */
  mac: number;
}

export class Watch {
  readonly stations: StationTable;
  /** There is a local IPv4 network: ARP wrongnet and bogon are judged. */
  readonly judgesV4: boolean;
  /** There is a local IPv6 network: ns_wrongnet, na_wrongnet and ra_wrongnet are judged. */
  readonly judgesV6: boolean;
  private counts = zeroCounts();
  private readonly local: PrefixSet;
  private allow: AllowList | undefined;
  /** The local IPv6 networks, for the exact prefix/length test of RAs. */
  private readonly localV6: { first: bigint; prefixLen: number }[];
  /** DAD probes by VLAN and target, oldest first. */
  private readonly probes = new Map<string, PendingProbe>();
  private evictedSeen = 0;
  /** The ARP packet being judged, for the alert writers. */
  private readonly arpNow = { ts: 0, spa: 0, tpa: 0, sha: 0, src: -1, vlan: '' };

  constructor(opts: WatchOptions) {
    this.local = opts.local;
    this.allow = opts.allow;
    this.stations = new StationTable({ maxStations: opts.maxStations });
    const nets = opts.local.networks;
    this.judgesV4 = nets.some((n) => n.version === 4);
    this.judgesV6 = nets.some((n) => n.version === 6);
    this.localV6 = nets.filter((n) => n.version === 6).map((n) => ({ first: n.first, prefixLen: n.prefixLen }));
  }

  /** Replace the allow list (SIGHUP); undefined: none. Takes effect from the next packet. */
  setAllow(allow: AllowList | undefined): void {
    this.allow = allow;
  }

  /** Counts since the last takeCounts(), keyed by WATCH_COUNTERS. */
  takeCounts(): WatchCounts {
    const counts = this.counts;
    this.counts = zeroCounts();
    const evicted = this.stations.evictedTotal;
    counts.stations_evicted += evicted - this.evictedSeen;
    this.evictedSeen = evicted;
    return counts;
  }

  /**
   * Look at one packet at time ts (seconds since the epoch); push each alert
   * it raises onto out, in ALERT_KINDS order.
   */
  inspect(p: Packet, ts: number, out: Alert[]): void {
    if (p.arpOp >= 0) {
      this.arp(p, ts, out);
      return;
    }
    if (p.proto !== IPPROTO_ICMPV6) return;
    this.icmp6(p, ts, out);
  }

  // ---- ARP ----

  private arp(p: Packet, ts: number, out: Alert[]): void {
    this.counts.arp++;
    const op = p.arpOp;
    if (p.arpSpaOff < 0 || (op !== ARPOP_REQUEST && op !== ARPOP_REPLY && op !== RARPOP_REPLY)) return;
    const d = p.data;
    const a = this.arpNow;
    a.ts = ts;
    a.spa = u32be(d, p.arpSpaOff);
    a.tpa = u32be(d, p.arpTpaOff);
    a.sha = macAt(d, p.arpShaOff);
    a.src = p.smacOff >= 0 ? macAt(d, p.smacOff) : -1;
    a.vlan = p.vlanCount === 0 ? '' : vlanText(p);
    const { spa, tpa, sha, src } = a;
    const badSha = isBadMac(sha);
    const badSrc = src >= 0 && isBadMac(src);

    let seen: SeenResult = SEEN_SAME;
    if (spa !== 0 && !badSha && !badSrc && (src < 0 || src === sha)) seen = this.stations.see(a.vlan, spa, sha, ts);
    const left = this.stations.left;

    if (this.judgesV4 && tpa !== 0 && !this.local.containsV4(tpa)) this.raiseArp(out, 'wrongnet', p);
    if (spa !== 0 && spa === tpa) this.raiseArp(out, 'gratuitous', p);
    if (seen === SEEN_CHANGED) this.raiseArp(out, 'mac_changed', p, left.mac, left.seen);
    else if (seen === SEEN_FLIPFLOP) this.raiseArp(out, 'flipflop', p, left.mac, left.seen);
    else if (seen === SEEN_NEW) this.raiseArp(out, 'new_station', p);
    if (this.judgesV4 && spa !== 0 && !this.local.containsV4(spa)) this.raiseArp(out, 'bogon', p);
    if (badSha || badSrc) this.raiseArp(out, 'bad_mac', p);
  }

  private arpAllowed(kind: AlertKind, p: Packet, oldMac: number): boolean {
    const a = this.allow;
    if (a === undefined || a.none(kind)) return false;
    const { spa, tpa, sha, src } = this.arpNow;
    return (
      a.vlan(kind, p.vlans, p.vlanCount) ||
      a.mac(kind, sha) ||
      (src >= 0 && a.mac(kind, src)) ||
      (oldMac >= 0 && a.mac(kind, oldMac)) ||
      a.v4(kind, spa) ||
      (kind === 'wrongnet' && a.v4(kind, tpa))
    );
  }

  /** oldMac, oldSeen: for mac_changed and flipflop, the MAC the address left and when that MAC was last seen. */
  private raiseArp(out: Alert[], kind: AlertKind, p: Packet, oldMac = -1, oldSeen = 0): void {
    if (this.arpAllowed(kind, p, oldMac)) {
      this.counts.allowed++;
      return;
    }
    this.counts[COUNTER_OF[kind]]++;
    const { ts, spa, sha, src, vlan } = this.arpNow;
    const d = p.data;
    const details: [string, string][] = [];
    if (p.smacOff >= 0) details.push(['smac', macText(d, p.smacOff)]);
    if (p.dmacOff >= 0) details.push(['dmac', macText(d, p.dmacOff)]);
    const sip = ipv4Text(d, p.arpSpaOff);
    const dip = ipv4Text(d, p.arpTpaOff);
    const shaText = macText(d, p.arpShaOff);
    details.push(['arp_sip', sip], ['arp_dip', dip], ['arp_smac', shaText], ['arp_dmac', macText(d, p.arpThaOff)]);
    const oldText = oldMac >= 0 ? macString(oldMac) : '';
    if (oldMac >= 0) {
      // whole seconds between whole-second times: arpwatch's "delta"
      details.push(['old_mac', oldText], ['prev_seen', String(Math.max(0, Math.floor(ts) - Math.floor(oldSeen)))]);
    }
    if (vlan !== '') details.push(['vlan', vlan]);

    const on = vlan === '' ? '' : ` on VLAN ${vlan}`;
    const who = spa === 0 ? `a probe from ${shaText}` : `${sip} at ${shaText}`;
    const what = p.arpOp === ARPOP_REQUEST ? 'request' : 'reply';
    let sentence: string;
    switch (kind) {
      case 'wrongnet':
        sentence =
          p.arpOp === ARPOP_REQUEST
            ? `${who} asks who has ${dip}, outside the local networks${on}`
            : `${who} answers ${dip}, outside the local networks${on}`;
        break;
      case 'gratuitous':
        sentence = `${sip} at ${shaText} announces itself (gratuitous ARP ${what})${on}`;
        break;
      case 'mac_changed':
        sentence = `${sip} changed from ${oldText} to ${shaText}${on}`;
        break;
      case 'flipflop':
        sentence = `${sip} flipped back from ${oldText} to ${shaText}${on}`;
        break;
      case 'new_station':
        sentence = `new station ${sip} at ${shaText}${on}`;
        break;
      case 'bogon':
        sentence = `${sip} at ${shaText} sends ARP from outside the local networks${on}`;
        break;
      default: {
        const bad = isBadMac(sha)
          ? `sender hardware address ${shaText} (${badMacWhy(sha)})`
          : `Ethernet source ${macString(src)} (${badMacWhy(src)})`;
        sentence = `ARP ${what} from ${sip} with a bad ${bad}${on}`;
      }
    }
    out.push({ kind, family: 'ARP', details, sentence });
  }

  // ---- ICMPv6 neighbour discovery ----

  private icmp6(p: Packet, ts: number, out: Alert[]): void {
    if (p.ipVersion !== 6) return; // protocol 58 in IPv4 is not ICMPv6
    this.counts.icmp6++;
    const type = p.itype;
    if (type === ND_NEIGHBOR_SOLICIT) this.solicitation(p, ts, out);
    else if (type === ND_NEIGHBOR_ADVERT) this.advertisement(p, ts, out);
    else if (type === ND_ROUTER_ADVERT) this.routerAdvertisement(p, out);
  }

  private outsideV6(buf: Buffer, off: number): boolean {
    return this.judgesV6 && !isLinkLocalV6(buf, off) && !this.local.containsV6(buf, off);
  }

  private solicitation(p: Packet, ts: number, out: Alert[]): void {
    const target = p.ndTargetOff;
    if (target < 0) return;
    const d = p.data;
    const probe = p.srcOff >= 0 && isUnspecifiedV6(d, p.srcOff);
    if (probe) this.rememberProbe(p, ts);
    if (this.outsideV6(d, target)) this.raiseNd(out, 'ns_wrongnet', p, probe ? 'probe' : '', -1);
  }

  private advertisement(p: Packet, ts: number, out: Alert[]): void {
    const target = p.ndTargetOff;
    if (target < 0) return;
    const d = p.data;
    if (this.outsideV6(d, target)) this.raiseNd(out, 'na_wrongnet', p, '', -1);
    if (this.probes.size === 0) return;
    const key = this.probeKey(p);
    const probe = this.probes.get(key);
    if (probe === undefined || Math.abs(ts - probe.ts) > DAD_WINDOW_SECONDS) return;
    const answerMac = p.ndLlaOff >= 0 ? macAt(d, p.ndLlaOff) : p.smacOff >= 0 ? macAt(d, p.smacOff) : -1;
    // the prober announcing the address it has just taken is not a conflict
    if (probe.mac >= 0 && answerMac === probe.mac) return;
    this.probes.delete(key);
    this.raiseNd(out, 'dad', p, '', probe.mac);
  }

  private probeKey(p: Packet): string {
    const vlan = p.vlanCount === 0 ? '' : vlanText(p);
    return `${vlan}|${p.data.toString('latin1', p.ndTargetOff, p.ndTargetOff + 16)}`;
  }

  private rememberProbe(p: Packet, ts: number): void {
    const probes = this.probes;
    const key = this.probeKey(p);
    probes.delete(key); // re-inserted at the end: the map stays oldest first
    probes.set(key, { ts, mac: p.smacOff >= 0 ? macAt(p.data, p.smacOff) : -1 });
    for (const [k, old] of probes) {
      if (probes.size <= MAX_PENDING_PROBES && ts - old.ts <= DAD_WINDOW_SECONDS) break;
      probes.delete(k);
    }
  }

  private routerAdvertisement(p: Packet, out: Alert[]): void {
    const n = Math.min(p.ndPrefixCount, MAX_ND_PREFIXES);
    if (n === 0 || !this.judgesV6) return;
    const d = p.data;
    let offending: string[] | undefined;
    let notes = '';
    let allowedPrefix = false;
    for (let i = 0; i < n; i++) {
      const off = p.ndPrefixOffs[i]!;
      const len = p.ndPrefixLens[i]!;
      if (isLinkLocalV6(d, off) || this.isLocalPrefix(d, off, len)) continue;
      if (this.allow !== undefined && this.allow.prefix('ra_wrongnet', d, off, len)) {
        allowedPrefix = true;
        continue;
      }
      const text = `${ipv6Text(d, off)}/${len}`;
      (offending ??= []).push(text);
      // a local network's prefix with another length: the -H sentence says which network
      const local = this.local.networks[this.local.matchV6(d, off)];
      if (local !== undefined) notes += `${notes === '' ? '' : '; '}${text}: the local network is ${local.text}`;
    }
    if (offending !== undefined) this.raiseNd(out, 'ra_wrongnet', p, offending.join('+'), -1, notes);
    else if (allowedPrefix) this.counts.allowed++;
  }

  /**
   * The prefix buf[off]/len is a local IPv6 network of exactly that length,
   * or a /64 inside a local network shorter than /64: an operator who names
   * the site's aggregate (--net 2001:db8::/32) means every /64 its routers
   * advertise from it, while a /64 named as such is held to that length.
   */
  private isLocalPrefix(buf: Buffer, off: number, len: number): boolean {
    if (len > 128) return false;
    const host = (1n << BigInt(128 - len)) - 1n;
    const first = v6Value(buf, off) & ~host;
    for (const n of this.localV6) {
      if (n.prefixLen === len && n.first === first) return true;
      if (len === SLAAC_PREFIX_LENGTH && n.prefixLen < SLAAC_PREFIX_LENGTH && first >> BigInt(128 - n.prefixLen) === n.first >> BigInt(128 - n.prefixLen)) return true;
    }
    return false;
  }

  private ndAllowed(kind: AlertKind, p: Packet, probeMac: number): boolean {
    const a = this.allow;
    if (a === undefined || a.none(kind)) return false;
    const d = p.data;
    return (
      a.vlan(kind, p.vlans, p.vlanCount) ||
      (p.smacOff >= 0 && a.mac(kind, macAt(d, p.smacOff))) ||
      (p.ndLlaOff >= 0 && a.mac(kind, macAt(d, p.ndLlaOff))) ||
      (probeMac >= 0 && a.mac(kind, probeMac)) ||
      (p.ndTargetOff >= 0 && a.v6(kind, d, p.ndTargetOff)) ||
      (p.srcOff >= 0 && a.v6(kind, d, p.srcOff))
    );
  }

  /**
   * extra: 'probe' for an NS from ::, the offending prefixes for ra_wrongnet;
   * probeMac: the prober's MAC for dad; note: said in parentheses after the sentence.
   */
  private raiseNd(out: Alert[], kind: AlertKind, p: Packet, extra: string, probeMac: number, note = ''): void {
    if (this.ndAllowed(kind, p, probeMac)) {
      this.counts.allowed++;
      return;
    }
    this.counts[COUNTER_OF[kind]]++;
    const d = p.data;
    const details: [string, string][] = [];
    const smac = p.smacOff >= 0 ? macText(d, p.smacOff) : '';
    if (smac !== '') details.push(['smac', smac]);
    if (p.dmacOff >= 0) details.push(['dmac', macText(d, p.dmacOff)]);
    const sip = p.srcOff >= 0 ? ipv6Text(d, p.srcOff) : '';
    if (sip !== '') details.push(['sip', sip]);
    if (p.dstOff >= 0) details.push(['dip', ipv6Text(d, p.dstOff)]);
    const target = p.ndTargetOff >= 0 ? ipv6Text(d, p.ndTargetOff) : '';
    if (target !== '') details.push(['target', target]);
    if (kind === 'ra_wrongnet') details.push(['prefix', extra]);
    const probeText = probeMac >= 0 ? macString(probeMac) : '';
    if (kind === 'dad' && probeText !== '') details.push(['probe_mac', probeText]);
    const vlan = p.vlanCount === 0 ? '' : vlanText(p);
    if (vlan !== '') details.push(['vlan', vlan]);

    const on = vlan === '' ? '' : ` on VLAN ${vlan}`;
    const who = smac === '' ? sip : `${sip} (${smac})`;
    let sentence: string;
    switch (kind) {
      case 'ns_wrongnet':
        sentence =
          extra === 'probe'
            ? `duplicate address detection probe${smac === '' ? '' : ` from ${smac}`} for ${target}, outside the local networks${on}`
            : `${who} solicits ${target}, outside the local networks${on}`;
        break;
      case 'na_wrongnet':
        sentence = `${who} advertises ${target}, outside the local networks${on}`;
        break;
      case 'ra_wrongnet':
        sentence = `router ${who} advertises ${extra.split('+').join(', ')}, not a local prefix${note === '' ? '' : ` (${note})`}${on}`;
        break;
      default: {
        const answer = p.ndLlaOff >= 0 ? macText(d, p.ndLlaOff) : smac;
        sentence =
          `${target} is already in use: ${answer === '' ? sip : answer} answered the duplicate address detection probe` +
          `${probeText === '' ? '' : ` of ${probeText}`}${on}`;
      }
    }
    out.push({ kind, family: 'ICMPv6', details, sentence });
  }
}
