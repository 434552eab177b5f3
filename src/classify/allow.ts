/**
 * The allow list of trk-classify (--allow FILE): known-good exceptions that
 * never alert. Each line is one rule, a subject and the kinds it silences:
 *
 *   # a proxy-ARP router answers for many addresses
 *   5a:c2:34:a9:97:98   mac_changed,flipflop
 *   # a second legitimate router's prefix
 *   2001:db8:20::/64    ra_wrongnet
 *   10.10.1.50          gratuitous
 *   # another network sharing the wire: everything
 *   10.99.0.0/16
 *   # a lab VLAN
 *   vlan 30             all
 *
 * `#` starts a comment, blank lines are skipped, fields are separated by
 * blanks. The subject is one of
 *   MAC          six groups of hex digits separated by colons or hyphens
 *                (5a:c2:34:a9:97:98, 5A-C2-34-A9-97-98) or Cisco's
 *                5ac2.34a9.9798;
 *   addresses    anything --net accepts: an address (10.10.1.50,
 *                2001:db8::1), a CIDR network, ipband's partial address
 *                (10.99), a range (10.0.0.5-10.0.0.9), or a comma list;
 *   vlan N       802.1Q VLAN N (0 to 4095), at any depth of a QinQ stack.
 * The kinds follow, separated by commas or blanks: the names of ALERT lines
 * (wrongnet, gratuitous, mac_changed, flipflop, new_station, bogon,
 * bad_mac, ns_wrongnet, na_wrongnet, ra_wrongnet, dad), or those of STAT
 * lines (arp_wrongnet, icmp6_dad …), or `all`; none at all means all.
 *
 * What a rule is compared with, for an alert of each kind (a rule matches
 * when any of these is its MAC, lies in its addresses, or the packet
 * carries its VLAN):
 *
 *   kind                    MAC rules                       address rules
 *   wrongnet                Ethernet source, ARP sender     ARP sender and target address
 *                           hardware address
 *   gratuitous, bogon,      Ethernet source, ARP sender     ARP sender address
 *   bad_mac, new_station    hardware address
 *   mac_changed, flipflop   Ethernet source, ARP sender     ARP sender address
 *                           hardware address, and the MAC
 *                           the address moved away from
 *   ns_wrongnet,            Ethernet source, ND link-layer  ND target, IPv6 source
 *   na_wrongnet             address option
 *   ra_wrongnet             Ethernet source, ND link-layer  IPv6 source (the router); or per
 *                           address option                  advertised prefix: the prefix lies
 *                                                           wholly inside the rule's network
 *   dad                     Ethernet source and ND link-    ND target, IPv6 source
 *                           layer address of the answer,
 *                           Ethernet source of the probe
 *
 * So a MAC rule silences a device whatever addresses it uses, and for a
 * MAC change either side of it (the proxy-ARP router taking over an address
 * or giving it back); an address rule silences what is said about or by
 * an address. An RA whose offending prefixes are all allowed raises
 * nothing; one with some allowed lists only the others.
 *
 * Errors (an unknown kind, a subject that is none of these) are
 * InputErrors naming FILE:LINE. Lookups are integer work on the packet's
 * bytes: MACs and VLANs in a Set of numbers, addresses in a PrefixSet.
 */
import fs from 'node:fs';
import { InputError } from '../capture/source.js';
import { BadNetworkError, type Network, parseNetworks, PrefixSet } from '../net/prefixes.js';
import { ALERT_KINDS, ARP_KINDS, type AlertKind, isAlertKind } from './alert.js';
import { parseMac } from './stations.js';

/** One rule as read. */
export interface AllowRule {
  /** FILE:LINE */
  where: string;
  /** The subject as written: a MAC, addresses, or `vlan N`. */
  subject: string;
  kinds: readonly AlertKind[];
  /** What the subject is, exactly one of these. */
  mac?: number;
  vlan?: number;
  networks?: readonly Network[];
}

/** The rules of one kind, in lookup form. */
class KindRules {
  readonly macs = new Set<number>();
  readonly vlans = new Set<number>();
  readonly networks: Network[] = [];
  addresses = new PrefixSet([]);
  /** The IPv6 networks as [first, last] for the prefix-inside-network test. */
  v6Blocks: { first: bigint; last: bigint; prefixLen: number }[] = [];
  empty = true;
}

const NO_RULES = new KindRules();

/** STAT counter names (arp_wrongnet, icmp6_dad) for the kinds. */
const STAT_NAME_TO_KIND = new Map<string, AlertKind>(
  ALERT_KINDS.map((k) => [`${(ARP_KINDS as readonly string[]).includes(k) ? 'arp' : 'icmp6'}_${k}`, k]),
);

export class AllowList {
  /** Rules in file order. */
  readonly rules: readonly AllowRule[];
  /** Accepted with a remark (a network with host bits set): for stderr. */
  readonly warnings: readonly string[];
  private readonly byKind = new Map<AlertKind, KindRules>();

  constructor(rules: readonly AllowRule[], warnings: readonly string[] = []) {
    this.rules = rules;
    this.warnings = warnings;
    for (const kind of ALERT_KINDS) this.byKind.set(kind, new KindRules());
    for (const rule of rules) {
      for (const kind of rule.kinds) {
        const k = this.byKind.get(kind)!;
        k.empty = false;
        if (rule.mac !== undefined) k.macs.add(rule.mac);
        if (rule.vlan !== undefined) k.vlans.add(rule.vlan);
        if (rule.networks !== undefined) k.networks.push(...rule.networks);
      }
    }
    for (const k of this.byKind.values()) {
      k.addresses = new PrefixSet(k.networks);
      k.v6Blocks = k.networks
        .filter((n) => n.version === 6)
        .map((n) => ({ first: n.first, last: n.first + (1n << BigInt(128 - n.prefixLen)) - 1n, prefixLen: n.prefixLen }));
    }
  }

  private of(kind: AlertKind): KindRules {
    return this.byKind.get(kind) ?? NO_RULES;
  }

  /** No rule names this kind: the caller need not look further. */
  none(kind: AlertKind): boolean {
    return this.of(kind).empty;
  }

  /** A MAC (macAt's integer) allowed for this kind. */
  mac(kind: AlertKind, mac: number): boolean {
    return this.of(kind).macs.has(mac);
  }

  /** An IPv4 address (unsigned integer) allowed for this kind. */
  v4(kind: AlertKind, addr: number): boolean {
    return this.of(kind).addresses.containsV4(addr);
  }

  /** The IPv6 address at buf[off] allowed for this kind. */
  v6(kind: AlertKind, buf: Buffer, off: number): boolean {
    return this.of(kind).addresses.containsV6(buf, off);
  }

  /** One of the packet's VLAN tags (a Packet's vlans / vlanCount) allowed for this kind. */
  vlan(kind: AlertKind, vlans: Uint16Array, count: number): boolean {
    const set = this.of(kind).vlans;
    if (set.size === 0) return false;
    const n = Math.min(count, vlans.length);
    for (let i = 0; i < n; i++) if (set.has(vlans[i]!)) return true;
    return false;
  }

  /** The advertised IPv6 prefix buf[off]/len lies wholly inside a network allowed for this kind. */
  prefix(kind: AlertKind, buf: Buffer, off: number, len: number): boolean {
    const blocks = this.of(kind).v6Blocks;
    if (blocks.length === 0) return false;
    // the bits after the prefix length are ignored by receivers (RFC 4861 §4.6.2)
    const host = (1n << BigInt(128 - Math.min(len, 128))) - 1n;
    const first = ((buf.readBigUInt64BE(off) << 64n) | buf.readBigUInt64BE(off + 8)) & ~host;
    const last = first | host;
    for (const b of blocks) if (len >= b.prefixLen && first >= b.first && last <= b.last) return true;
    return false;
  }
}

/** Read an allow file; InputError when it cannot be read or has a bad line. */
export function parseAllowFile(path: string): AllowList {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT' ? 'no such file'
      : err.code === 'EACCES' ? 'permission denied'
      : err.code === 'EISDIR' ? 'is a directory'
      : err.message;
    throw new InputError(`cannot read allow file ${path}: ${why}`);
  }
  return parseAllowText(text, path);
}

/** The rules in an allow file's text; `name` names it in messages (FILE:LINE). */
export function parseAllowText(text: string, name: string): AllowList {
  const rules: AllowRule[] = [];
  const parsed = { networks: [] as Network[], warnings: [] as string[] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i]!.indexOf('#');
    const line = (hash < 0 ? lines[i]! : lines[i]!.slice(0, hash)).trim();
    if (line === '') continue;
    const where = `${name}:${i + 1}`;
    const fields = line.split(/\s+/);
    let subject = fields[0]!;
    let rest = fields.slice(1);
    let mac: number | undefined;
    let vlan: number | undefined;
    let networks: Network[] | undefined;
    if (subject.toLowerCase() === 'vlan') {
      const id = fields[1];
      if (id === undefined || !/^\d{1,4}$/.test(id) || Number(id) > 4095) {
        throw new InputError(`${where}: 'vlan' needs a VLAN number from 0 to 4095${id === undefined ? '' : `, not '${id}'`}`);
      }
      vlan = Number(id);
      subject = `vlan ${vlan}`;
      rest = fields.slice(2);
    } else if ((mac = parseMac(subject)) === undefined) {
      const before = parsed.networks.length;
      try {
        parseNetworks(subject, parsed, where);
      } catch (e) {
        if (e instanceof BadNetworkError) {
          throw new InputError(
            `${where}: bad subject '${subject}': ${e.reason} (a rule starts with a MAC address, an address or network, or 'vlan N')`,
          );
        }
        throw e;
      }
      networks = parsed.networks.slice(before);
    }
    const kinds = parseKinds(rest.join(' '), where);
    rules.push({ where, subject, kinds, mac, vlan, networks });
  }
  return new AllowList(rules, parsed.warnings);
}

function parseKinds(text: string, where: string): AlertKind[] {
  const names = text.split(/[\s,]+/).filter((n) => n !== '');
  if (names.length === 0) return [...ALERT_KINDS];
  const kinds = new Set<AlertKind>();
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower === 'all') return [...ALERT_KINDS];
    const kind = isAlertKind(lower) ? lower : STAT_NAME_TO_KIND.get(lower);
    if (kind === undefined) throw new InputError(`${where}: unknown alert kind '${name}' (kinds: ${ALERT_KINDS.join(', ')}, all)`);
    kinds.add(kind);
  }
  return ALERT_KINDS.filter((k) => kinds.has(k));
}
