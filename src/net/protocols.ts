/**
 * IP protocol numbers as names, the way getprotobynumber(3) names them: the
 * `PROT` column of ipband's report ("icmp", "gre", "ipv6-icmp", …), which is
 * why this is not the pkt record's vocabulary (format/names.ts says "icmp6").
 *
 * protocols(5) line format, as glibc's files backend reads it:
 *
 *     name  number  [alias ...]  [# comment]
 *     tcp   6       TCP          # transmission control protocol
 *
 * The first entry for a number is the one getprotobynumber() returns
 * (Debian's file lists `ip 0` before `hopopt 0`, and `ip` is what it gives).
 *
 * As with services.ts: the system's file when it is readable and names at
 * least one protocol, else the small table shipped below. The table is read
 * once, the first time a name is asked for; loadProtocols() (re)loads it
 * from a given file, for tests.
 */
import fs from 'node:fs';

export const DEFAULT_PROTOCOLS_PATH = '/etc/protocols';

/**
 * Debian netbase's names for the protocols a watched network carries, checked
 * against Debian's /etc/protocols. Beyond the usual set it has `ip` (0),
 * `dccp` (33) and `udplite` (136), which trk decodes, so that a machine
 * without the file still names what it sees as one with the file does.
 */
const SHIPPED_PROTOCOLS: readonly [number, string][] = [
  [0, 'ip'],
  [1, 'icmp'],
  [2, 'igmp'],
  [4, 'ipencap'],
  [6, 'tcp'],
  [17, 'udp'],
  [33, 'dccp'],
  [41, 'ipv6'],
  [43, 'ipv6-route'],
  [44, 'ipv6-frag'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'ipv6-icmp'],
  [59, 'ipv6-nonxt'],
  [60, 'ipv6-opts'],
  [89, 'ospf'],
  [103, 'pim'],
  [112, 'vrrp'],
  [115, 'l2tp'],
  [132, 'sctp'],
  [136, 'udplite'],
];

/**
 * Names go into ALERT `k=v,k=v` details and the report's aligned columns:
 * letters, digits and `. _ + -` only (netbase's `ax.25` fits). glibc would
 * take any run of non-blanks; a name with a comma would break an ALERT line,
 * so such an entry is skipped instead.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$/;
/** glibc reads the number with strtoul(…, 10): digits only, then a blank or the end. */
const NUMBER = /^\d{1,10}$/;

/** protocols(5) text → number → name, the first entry for a number winning. */
export function parseProtocols(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const fields = (hash < 0 ? raw : raw.slice(0, hash)).split(/[ \t\r\f\v]+/).filter((f) => f !== '');
    const [name, number] = fields;
    if (name === undefined || number === undefined || !NUMBER.test(number) || !NAME.test(name)) continue;
    const n = Number(number);
    if (!names.has(n)) names.set(n, name);
  }
  return names;
}

export type ProtocolsOrigin = { kind: 'file'; path: string } | { kind: 'shipped' };

let table: Map<number, string> | undefined;
let origin: ProtocolsOrigin = { kind: 'shipped' };

/**
 * Make `file` the table protocolName() reads, when it is readable and names
 * at least one protocol; else the shipped table (a missing, unreadable or
 * empty file: minimal containers have none or a stub). Says which it took.
 */
export function loadProtocols(file = DEFAULT_PROTOCOLS_PATH): ProtocolsOrigin {
  install(file);
  return origin;
}

function install(file: string): Map<number, string> {
  try {
    const parsed = parseProtocols(fs.readFileSync(file, 'utf8'));
    if (parsed.size > 0) {
      origin = { kind: 'file', path: file };
      return (table = parsed);
    }
  } catch {
    // Missing or unreadable: that is what the shipped table is for.
  }
  origin = { kind: 'shipped' };
  return (table = new Map(SHIPPED_PROTOCOLS));
}

/** Where the names protocolName() gives come from (loading the system's table if nothing has been loaded yet). */
export function protocolsOrigin(): ProtocolsOrigin {
  if (table === undefined) install(DEFAULT_PROTOCOLS_PATH);
  return origin;
}

/** getprotobynumber(n)'s name, or the number as text when there is none (as ipband prints it). */
export function protocolName(n: number): string {
  return (table ?? install(DEFAULT_PROTOCOLS_PATH)).get(n) ?? String(n);
}
