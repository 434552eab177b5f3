/**
 * Network names from networks(5), as getnetbyaddr(3) finds them: ipband
 * names a subnet in its report ("Network: 10.10.1.0 <office>") by asking
 * getnetbyaddr(masked network number, AF_INET).
 *
 *     name       number         [alias ...]  [# comment]
 *     loopback   127
 *     office     10.10.1
 *     link-local 169.254.0.0
 *
 * HOW GLIBC'S FILES BACKEND MATCHES. It reads the number with
 * inet_network(3), after padding a number of fewer than four parts with
 * ".0" parts at the END (nss/nss_files/files-network.c: inet_network() alone
 * would right-align "127" as 0.0.0.127). So `127` is 127.0.0.0 and `10.10.1`
 * is 10.10.1.0, and an entry matches when that number equals the address
 * asked for exactly — no prefix matching. Checked on this machine (glibc,
 * Debian) with a small C program calling getnetbyaddr() against a temporary
 * file bind-mounted over /etc/networks in a private mount namespace:
 *
 *     short127 127         → found for 0x7f000000, not for 0x0000007f
 *     three    10.10.1     → found for 0x0a0a0100, not for 0x000a0a01
 *     dup      10.10.1.0   → never: the first entry for a number wins
 *     octal    012.0.0.0   → 0x0a000000 (inet_network's leading-0 octal)
 *     hexa     0x0b.1      → 0x0b010000 (and 0x hex)
 *     trail    10.9.       → 0xffffffff: an unreadable number is
 *                            INADDR_NONE, so it "names" 255.255.255.255
 *     bad      300.1.1.1   → likewise (a part over 255)
 *
 * All of that is reproduced here, the INADDR_NONE quirk included, so a name
 * is given exactly when ipband would have given it. Only IPv4: networks(5)
 * has no IPv6 entries, and an IPv6 subnet has no name.
 */
import fs from 'node:fs';

export const DEFAULT_NETWORKS_PATH = '/etc/networks';

/** inet_network()'s answer for text it cannot read. */
const INADDR_NONE = 0xffffffff;

/**
 * Names go into the report's "<name>", the mail's Subject and JSON: letters,
 * digits and `. _ + -` only. glibc takes any run of non-blanks; an entry whose
 * name has anything else is skipped rather than put into a mail header.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$/;

/** One part of inet_network(): 0x hex, leading-0 octal, else decimal; at most 255. */
function networkPart(text: string): number | undefined {
  let value: number;
  if (/^0?[xX][0-9a-fA-F]+$/.test(text)) value = parseInt(text.replace(/^0?[xX]/, ''), 16);
  else if (/^0[0-7]*$/.test(text)) value = parseInt(text, 8);
  else if (/^[1-9][0-9]*$/.test(text)) value = parseInt(text, 10);
  else return undefined;
  return value <= 0xff ? value : undefined;
}

/** A networks(5) number as glibc's files backend reads it: padded to four parts at the end, then inet_network(). */
export function networkNumber(text: string): number {
  const dots = text.split('.').length - 1;
  const padded = dots < 3 ? text + '.0'.repeat(3 - dots) : text;
  const parts = padded.split('.');
  if (parts.length !== 4) return INADDR_NONE;
  let value = 0;
  for (const part of parts) {
    const v = networkPart(part);
    if (v === undefined) return INADDR_NONE;
    value = value * 256 + v;
  }
  return value;
}

/** networks(5) text → network number → name, the first entry for a number winning. */
export function parseNetworks(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const fields = (hash < 0 ? raw : raw.slice(0, hash)).split(/[ \t\r\f\v]+/).filter((f) => f !== '');
    const [name, number] = fields;
    if (name === undefined || number === undefined || !NAME.test(name)) continue;
    const n = networkNumber(number);
    if (!names.has(n)) names.set(n, name);
  }
  return names;
}

let table: Map<number, string> | undefined;

/**
 * Make `file` the table networkName() reads. A missing or unreadable file is
 * no names at all, as getnetbyaddr() then finds none (there is nothing to
 * ship: Debian's file names only loopback and link-local). Returns how many
 * numbers have a name.
 */
export function loadNetworks(file = DEFAULT_NETWORKS_PATH): number {
  return install(file).size;
}

function install(file: string): Map<number, string> {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // No file, no names.
  }
  return (table = parseNetworks(text));
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The name of an IPv4 network address such as "10.10.1.0" (the subnet's
 * address, already masked, as ipband passes it), or undefined when it has
 * none or is not an IPv4 address.
 */
export function networkName(address: string): string | undefined {
  const m = DOTTED_QUAD.exec(address);
  if (!m) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return (table ?? install(DEFAULT_NETWORKS_PATH)).get(value);
}
