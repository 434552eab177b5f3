/**
 * Service names for the `svc` field of trk-classify: the name of the
 * well-known side of a TCP / UDP / SCTP / DCCP packet, or of the ICMP /
 * ICMPv6 message type.
 *
 * Port names come from services(5) — `/etc/services` when the machine has
 * one, else the copy of Debian netbase's file shipped in services-table.ts —
 * or from a file the operator names (`--services FILE`). The file is read
 * once at start-up into one dense table per protocol (port → index into an
 * array of interned names), so a lookup per packet is two typed-array reads
 * and allocates nothing.
 *
 * services(5) line format, as glibc reads it:
 *
 *     name  port/protocol  [alias ...]  [# comment]
 *     ssh   22/tcp                      # SSH Remote Login Protocol
 *
 * Everything from `#` on is a comment; fields are separated by blanks.
 */
import fs from 'node:fs';
import { InputError } from '../capture/source.js';
import type { Packet } from '../decode/packet.js';
import { SHIPPED_SERVICES, SHIPPED_SOURCE } from './services-table.js';

export const DEFAULT_SERVICES_PATH = '/etc/services';

/** Transport protocols that have ports in services(5); others (ddp …) are ignored. */
export type PortProto = 'tcp' | 'udp' | 'sctp' | 'dccp';
const PORT_PROTOS: readonly PortProto[] = ['tcp', 'udp', 'sctp', 'dccp'];

/** IANA protocol numbers (the Packet's `proto`) that carry ports. */
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_DCCP = 33;
const IPPROTO_SCTP = 132;
/** UDP-Lite (RFC 3828) uses UDP's port numbers and names. */
const IPPROTO_UDPLITE = 136;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

export interface ServiceEntry {
  name: string;
  port: number;
  proto: PortProto;
  aliases: string[];
}

export interface ParsedServices {
  /** Entries for the port protocols, in file order (the first for a port/protocol is the one used). */
  entries: ServiceEntry[];
  /** Lines that were neither blank, comment nor a valid entry: skipped. */
  badLines: number;
  /** 1-based number of the first bad line, for a warning; 0 when there is none. */
  firstBadLine: number;
}

/**
 * Names go unescaped into JSON strings, into ALERT `k=v,k=v` details and into
 * awk fields, and the output writer copies them as ASCII: so only letters,
 * digits and `. _ + -`, starting with a letter or digit. Every name and alias
 * in netbase fits; IANA's rule (RFC 6335 §5.1) is stricter still. A line with
 * any other name is a bad line rather than a broken record later.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$/;
const PORT_SLASH_PROTO = /^(\d{1,5})\/([A-Za-z0-9._-]+)$/;

/** Parse services(5) text. Unknown protocols are not errors (netbase lists AppleTalk `ddp`). */
export function parseServices(text: string): ParsedServices {
  const entries: ServiceEntry[] = [];
  let badLines = 0;
  let firstBadLine = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const fields = (hash < 0 ? raw : raw.slice(0, hash)).split(/[ \t\r\f\v]+/).filter((f) => f !== '');
    if (fields.length === 0) continue;
    const [name, portProto, ...aliases] = fields as [string, string | undefined, ...string[]];
    const m = portProto === undefined ? null : PORT_SLASH_PROTO.exec(portProto);
    const port = m ? Number(m[1]) : -1;
    if (!m || port > 0xffff || !NAME.test(name) || !aliases.every((a) => NAME.test(a))) {
      badLines++;
      if (firstBadLine === 0) firstBadLine = i + 1;
      continue;
    }
    const proto = m[2]!.toLowerCase();
    if ((PORT_PROTOS as readonly string[]).includes(proto)) entries.push({ name, port, proto: proto as PortProto, aliases });
  }
  return { entries, badLines, firstBadLine };
}

/** Where a Services table came from, for a command's verbose or error messages. */
export type ServicesOrigin = { kind: 'file'; path: string } | { kind: 'shipped'; source: string };

/**
 * Loaded services: one table per port protocol, port → index into `names`
 * (0 = no name). Uint16 indices keep each table at 128 KiB and let equal
 * names share one string; 65535 distinct names is far beyond any real file
 * (nmap-services has about 27,000) and further names are dropped.
 */
export class Services {
  /** names[0] is undefined so that index 0 reads back as "no name" with no branch. */
  private readonly names: (string | undefined)[] = [undefined];
  private readonly nameIndex = new Map<string, number>();
  private readonly tcp = new Uint16Array(65536);
  private readonly udp = new Uint16Array(65536);
  private readonly sctp = new Uint16Array(65536);
  private readonly dccp = new Uint16Array(65536);

  constructor(
    entries: readonly ServiceEntry[],
    readonly origin: ServicesOrigin,
    /** Bad lines skipped while parsing, so a command can warn once. */
    readonly badLines = 0,
    readonly firstBadLine = 0,
  ) {
    for (const e of entries) {
      const table = this.tableFor(e.proto);
      // First entry wins, as with glibc's getservbyport(), which returns the first match in file order.
      if (table[e.port] !== 0) continue;
      let index = this.nameIndex.get(e.name);
      if (index === undefined) {
        if (this.names.length > 0xffff) continue;
        index = this.names.length;
        this.names.push(e.name);
        this.nameIndex.set(e.name, index);
      }
      table[e.port] = index;
    }
  }

  private tableFor(proto: PortProto): Uint16Array {
    switch (proto) {
      case 'tcp':
        return this.tcp;
      case 'udp':
        return this.udp;
      case 'sctp':
        return this.sctp;
      case 'dccp':
        return this.dccp;
    }
  }

  /** The port table for an IP protocol number, or undefined for protocols without ports. */
  private tableOf(proto: number): Uint16Array | undefined {
    switch (proto) {
      case IPPROTO_TCP:
        return this.tcp;
      case IPPROTO_UDP:
      case IPPROTO_UDPLITE:
        return this.udp;
      case IPPROTO_SCTP:
        return this.sctp;
      case IPPROTO_DCCP:
        return this.dccp;
      default:
        return undefined;
    }
  }

  /** The registered name of one port (`portName(6, 22)` → `ssh`); undefined when it has none. */
  portName(proto: number, port: number): string | undefined {
    const table = this.tableOf(proto);
    if (table === undefined || port >>> 0 > 0xffff) return undefined;
    return this.names[table[port] ?? 0];
  }

  /**
   * The service of the well-known side of a packet between sport and dport:
   *
   * 1. a port with a registered name beats one without: 51000 → 443 is
   *    `https`, and so is 443 → 51000 (the reply);
   * 2. when both ports have names, the lower port wins: 3306 → 8080 is
   *    `mysql`, 50000 → 3306 is `mysql`, 2049 → 443 is `https`.
   *
   * Why lower: servers listen on the low, assigned ports, while clients take
   * their source port from the operating system's ephemeral range — 32768–60999
   * on Linux, 49152–65535 on Windows and macOS, 10000–65535 on FreeBSD —
   * which is above nearly every registered server port. A client port that
   * happens to have a name (2049 nfs, 3306 mysql, 10050 zabbix-agent) is then
   * almost always the higher of the two and loses to the server's. The rule
   * is stateless and symmetric (request and reply get the same name), so a
   * flow tallies under one service in both directions.
   *
   * What it gets wrong, knowingly: a client whose ephemeral port has a name
   * talking to a server port without one is named after the client's port
   * (netbase names three ports inside Linux's range: dircproxy 57000,
   * tfido 60177, fido 60179 — so roughly 1 in 10,000 flows to an unnamed
   * port), and a client on an old stack with a low ephemeral range (1025–5000)
   * reaching a higher named port (3306 → 8080) is named after the client's
   * port. Telling client from server for sure needs the SYN, i.e. flow state,
   * which is trk-classify's business, not a per-packet lookup's.
   *
   * Ports of -1 (absent: a non-first fragment, a protocol without ports) have
   * no name; neither do protocols other than TCP, UDP, UDP-Lite, SCTP, DCCP.
   */
  serviceOf(proto: number, sport: number, dport: number): string | undefined {
    const table = this.tableOf(proto);
    if (table === undefined) return undefined;
    // `>>> 0` maps -1 (absent) to 2^32 - 1, so one comparison rejects it and anything above 65535.
    const s = sport >>> 0 <= 0xffff ? (table[sport] ?? 0) : 0;
    const d = dport >>> 0 <= 0xffff ? (table[dport] ?? 0) : 0;
    return this.names[s !== 0 && (d === 0 || sport <= dport) ? s : d];
  }

  /**
   * The `svc` of a decoded packet: the port rule of serviceOf for protocols
   * with ports, the message-type name for ICMP (protocol 1) and ICMPv6 (58).
   */
  ofPacket(p: Packet): string | undefined {
    if (p.proto === IPPROTO_ICMP) return icmpName(4, p.itype, p.icode);
    if (p.proto === IPPROTO_ICMPV6) return icmpName(6, p.itype, p.icode);
    return this.serviceOf(p.proto, p.sport, p.dport);
  }
}

/**
 * Load the services table once at start-up.
 *
 * - `loadServices(FILE)` (a command's `--services FILE`): FILE must be
 *   readable, else an InputError naming it; bad lines in it are skipped.
 * - `loadServices()`: the system's table, see systemServices.
 */
export function loadServices(path?: string): Services {
  if (path === undefined) return systemServices();
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new InputError(`cannot read services file ${path}: ${why}`);
  }
  const parsed = parseServices(text);
  return new Services(parsed.entries, { kind: 'file', path }, parsed.badLines, parsed.firstBadLine);
}

/**
 * `file` (normally /etc/services) when it is readable and names at least one
 * port, else the table shipped with trk. An empty or stub file counts as
 * missing: minimal containers ship one, and an empty table would silently
 * blank every `svc`.
 */
export function systemServices(file = DEFAULT_SERVICES_PATH): Services {
  try {
    const parsed = parseServices(fs.readFileSync(file, 'utf8'));
    if (parsed.entries.length > 0) return new Services(parsed.entries, { kind: 'file', path: file }, parsed.badLines, parsed.firstBadLine);
  } catch {
    // Missing or unreadable: that is what the shipped table is for.
  }
  return shippedServices();
}

/** The table shipped with trk (Debian netbase's /etc/services), whatever the machine has. */
export function shippedServices(): Services {
  return new Services(parseServices(SHIPPED_SERVICES).entries, { kind: 'shipped', source: SHIPPED_SOURCE });
}

// ---------------------------------------------------------------------------
// ICMP and ICMPv6 message names.
//
// Style: the IANA registry's message name (icmp-parameters, icmpv6-parameters),
// lower case, words joined by `-`, no spaces — one token for JSON, awk and
// `k=v` details — shortened the same way everywhere:
//   destination → dest, unreachable → unreach, solicitation → solicit,
//   advertisement → advert, parameter → param, address → addr,
//   information → info, renumbering → renum, "Multicast Listener" → mld,
//   and every Response / Reply → reply (pairs read request / reply);
// protocols the RFCs call by an acronym keep it (mld, mld2, haad, mrd, rpl,
// mpl, fmipv6, ilnp).
// A message that exists in both versions has the same name in both
// (echo-request, dest-unreach, time-exceeded, param-problem, redirect,
// router-solicit, router-advert), so one awk pattern matches v4 and v6.
// Neighbor keeps RFC 4861's spelling.
//
// The name is the message type's, not the code's: svc is what traffic is
// tallied by, and all unreachables (or all time-exceededs) belong together;
// `itype` / `icode` stay in the record for finer cuts. The code matters only
// where the registry makes different messages of one type by code: ICMPv6
// Router Renumbering (138) is a command (code 0), a result (1) or a sequence
// number reset (255).
// Types with no registered message have no name (absent svc = unknown).
// ---------------------------------------------------------------------------

const ICMP4_TYPES: readonly [number, string][] = [
  [0, 'echo-reply'],
  [3, 'dest-unreach'],
  [4, 'source-quench'], // deprecated (RFC 6633) but still seen
  [5, 'redirect'],
  [6, 'alt-host-addr'],
  [8, 'echo-request'],
  [9, 'router-advert'],
  [10, 'router-solicit'],
  [11, 'time-exceeded'],
  [12, 'param-problem'],
  [13, 'timestamp-request'],
  [14, 'timestamp-reply'],
  [15, 'info-request'],
  [16, 'info-reply'],
  [17, 'addr-mask-request'],
  [18, 'addr-mask-reply'],
  [30, 'traceroute'],
  [31, 'conversion-error'],
  [32, 'mobile-host-redirect'],
  [33, 'ipv6-where-are-you'],
  [34, 'ipv6-i-am-here'],
  [35, 'mobile-reg-request'],
  [36, 'mobile-reg-reply'],
  [37, 'domain-name-request'],
  [38, 'domain-name-reply'],
  [39, 'skip'],
  [40, 'photuris'],
  [41, 'experimental-mobility'],
  [42, 'extended-echo-request'], // RFC 8335 (PROBE)
  [43, 'extended-echo-reply'],
  [253, 'experiment-1'], // RFC 4727
  [254, 'experiment-2'],
];

const ICMP6_TYPES: readonly [number, string][] = [
  [1, 'dest-unreach'],
  [2, 'packet-too-big'],
  [3, 'time-exceeded'],
  [4, 'param-problem'],
  [100, 'private-experiment-1'], // RFC 4443 private experimentation, error range
  [101, 'private-experiment-2'],
  [128, 'echo-request'],
  [129, 'echo-reply'],
  [130, 'mld-query'],
  [131, 'mld-report'],
  [132, 'mld-done'],
  [133, 'router-solicit'],
  [134, 'router-advert'],
  [135, 'neighbor-solicit'],
  [136, 'neighbor-advert'],
  [137, 'redirect'],
  [138, 'router-renum'], // refined by code below
  [139, 'node-info-query'],
  [140, 'node-info-reply'],
  [141, 'inverse-neighbor-solicit'],
  [142, 'inverse-neighbor-advert'],
  [143, 'mld2-report'],
  [144, 'haad-request'], // home agent address discovery (RFC 6275)
  [145, 'haad-reply'],
  [146, 'mobile-prefix-solicit'],
  [147, 'mobile-prefix-advert'],
  [148, 'cert-path-solicit'],
  [149, 'cert-path-advert'],
  [150, 'experimental-mobility'],
  [151, 'mrd-advert'], // multicast router discovery (RFC 4286)
  [152, 'mrd-solicit'],
  [153, 'mrd-terminate'],
  [154, 'fmipv6'],
  [155, 'rpl-control'],
  [156, 'ilnp-locator-update'],
  [157, 'dup-addr-request'], // 6LoWPAN duplicate address detection (RFC 6775)
  [158, 'dup-addr-confirm'],
  [159, 'mpl-control'],
  [160, 'extended-echo-request'],
  [161, 'extended-echo-reply'],
  [200, 'private-experiment-3'], // RFC 4443 private experimentation, informational range
  [201, 'private-experiment-4'],
];

const ICMP6_ROUTER_RENUM = 138;
const ROUTER_RENUM_CODES: readonly [number, string][] = [
  [0, 'router-renum-command'],
  [1, 'router-renum-result'],
  [255, 'router-renum-reset'],
];

function typeTable(pairs: readonly [number, string][]): readonly (string | undefined)[] {
  const table = new Array<string | undefined>(256).fill(undefined);
  for (const [type, name] of pairs) table[type] = name;
  return table;
}

const ICMP4_NAMES = typeTable(ICMP4_TYPES);
const ICMP6_NAMES = typeTable(ICMP6_TYPES);
const ROUTER_RENUM_NAMES = typeTable(ROUTER_RENUM_CODES);

/**
 * The message name of an ICMP (version 4) or ICMPv6 (version 6) type and
 * code, e.g. `icmpName(6, 135, 0)` → `neighbor-solicit`; undefined for an
 * absent (-1) or unregistered type. Precomputed: no string is built.
 */
export function icmpName(version: 4 | 6, type: number, code: number): string | undefined {
  if (type >>> 0 > 0xff) return undefined;
  if (version === 4) return ICMP4_NAMES[type];
  if (type === ICMP6_ROUTER_RENUM) return (code >>> 0 <= 0xff ? ROUTER_RENUM_NAMES[code] : undefined) ?? ICMP6_NAMES[type];
  return ICMP6_NAMES[type];
}
