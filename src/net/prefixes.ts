/**
 * The local networks: parsed once at start-up from what the operator wrote
 * (or from the machine's own interfaces), then asked "is this address one of
 * ours, and which?" for every packet.
 *
 * Syntax accepted by parseNetworks (one item, or a list separated by commas):
 *
 *   10.10.0.0/16  2001:db8:10::/64   CIDR, parsed by ip-cidr
 *   10.10.0.7  2001:db8::1           a bare address: a /32 or /128 (an IPv6 zone,
 *                                    fe80::1%eth0, is ignored: it names no network)
 *   10.10.1.5/24                     host bits set: taken as 10.10.1.0/24, with a
 *                                    warning (an operator who typed an interface's
 *                                    address/len means its network, but should know)
 *   137.99.11  137.99                ipband's partial address: that /24, /16 (/8)
 *   127.0.5/23                       a partial address with a length (ipband's
 *                                    manual: 127.0.4.0-127.0.5.255, so masked, and
 *                                    warned about like any CIDR with host bits)
 *   10.0.0.5-10.0.1.17               an inclusive range (IPv6 too), split into the
 *                                    fewest CIDR blocks; a partial address at its
 *                                    end covers its whole block (137.99-137.100 is
 *                                    137.99.0.0-137.100.255.255; ipband would stop
 *                                    at 137.100.0.0, which nobody means)
 *   137.99.11:127.0.5/23             ipband's own list separator, taken when every
 *                                    colon-separated part has a dot (no IPv6
 *                                    address can: only its last group may be a
 *                                    dotted quad)
 *
 * A net file (parseNetFile) holds one item per line, `#` starts a comment,
 * blank lines are skipped; errors name FILE:LINE.
 *
 * Lookup structure: for each family, the address space is cut into
 * elementary intervals at every network's first address and one past its
 * last, each interval labelled with the most specific network covering it
 * (or -1); a lookup is a binary search over the interval starts, held in a
 * Uint32Array (one word per IPv4 start, four per IPv6 start). Chosen over a
 * bit trie because the cost is log2(intervals) compares whatever the prefix
 * lengths (a trie walks 64 nodes to reach a /64 and pointer-chases all the
 * way), the arrays are flat and allocation-free to read, ranges and CIDRs
 * land in the same structure, and "most specific network wins" comes out of
 * the build for free, which is what a per-subnet configuration wants from
 * match(). With the usual handful of networks a lookup is 2 to 4 compares.
 */
import fs from 'node:fs';
import os from 'node:os';
import IPCIDR from 'ip-cidr';
import { InputError } from '../capture/source.js';
import { ipv4Text, ipv6Text } from '../format/addr.js';
import { u32be } from './special-addresses.js';

/** One local network: a CIDR block. Ranges become several of these. */
export interface Network {
  version: 4 | 6;
  /** Its first address, as an integer (only used off the hot path). */
  first: bigint;
  prefixLen: number;
  /** Canonical text: `10.10.0.0/16`, `2001:db8:10::/64`. */
  text: string;
  /** What it came from: the item as written, or the interface's name. */
  origin: string;
}

export interface ParsedNetworks {
  networks: Network[];
  /** Things accepted but worth saying on stderr (host bits set ...). */
  warnings: string[];
}

/** A network the operator wrote that cannot be read; `message` is the one stderr line. */
export class BadNetworkError extends InputError {
  constructor(
    readonly item: string,
    readonly reason: string,
    where?: string,
  ) {
    super(`${where === undefined ? '' : `${where}: `}bad network '${item}': ${reason}`);
    this.name = 'BadNetworkError';
  }
}

const V4_BITS = 32;
const V6_BITS = 128;
const bitsOf = (version: 4 | 6): number => (version === 4 ? V4_BITS : V6_BITS);

/** Scratch for turning integers into address text off the hot path. */
const textScratch = Buffer.alloc(16);

function addressText(version: 4 | 6, value: bigint): string {
  if (version === 4) {
    textScratch.writeUInt32BE(Number(value), 0);
    return ipv4Text(textScratch, 0);
  }
  writeV6(textScratch, 0, value);
  return ipv6Text(textScratch, 0);
}

function writeV6(buf: Buffer, off: number, value: bigint): void {
  buf.writeBigUInt64BE(value >> 64n, off);
  buf.writeBigUInt64BE(value & 0xffff_ffff_ffff_ffffn, off + 8);
}

function makeNetwork(version: 4 | 6, first: bigint, prefixLen: number, origin: string): Network {
  return { version, first, prefixLen, text: `${addressText(version, first)}/${prefixLen}`, origin };
}

function blockSize(version: 4 | 6, prefixLen: number): bigint {
  return 1n << BigInt(bitsOf(version) - prefixLen);
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * ip-cidr reads any text holding ":x." as the IPv4 address after the last
 * colon (so 64:ff9b::10.0.0.1 would silently become 10.0.0.1): an IPv6
 * address ending in a dotted quad is rewritten into two hex groups first.
 */
function v6WithoutDottedQuad(addr: string): string | undefined {
  const colon = addr.lastIndexOf(':');
  const m = DOTTED_QUAD.exec(addr.slice(colon + 1));
  if (m === null) return undefined;
  const bytes = m.slice(1, 5).map(Number);
  if (bytes.some((b) => b > 255)) return undefined;
  const [a, b, c, d] = bytes as [number, number, number, number];
  return `${addr.slice(0, colon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** An address's family and value, or undefined when the text is not one. Off the hot path. */
export function parseAddress(text: string): { version: 4 | 6; value: bigint } | undefined {
  if (text.includes('/')) return undefined;
  const cidr = parseCidr(text.includes(':') ? `${text}/128` : `${text}/32`);
  return cidr === undefined ? undefined : { version: cidr.version, value: cidr.address };
}

/** A full address with a prefix length, through ip-cidr. */
function parseCidr(text: string): { version: 4 | 6; address: bigint; prefixLen: number } | undefined {
  const slash = text.indexOf('/');
  let addr = text.slice(0, slash);
  const version: 4 | 6 = addr.includes(':') ? 6 : 4;
  if (version === 6 && addr.includes('.')) {
    const rewritten = v6WithoutDottedQuad(addr);
    if (rewritten === undefined) return undefined;
    addr = rewritten;
  }
  // The length is checked and normalised ("/08" is 8) here; ip-cidr checks its range.
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const spec = `${addr}/${Number(lenText)}`;
  if (!IPCIDR.isValidCIDR(spec)) return undefined;
  const cidr = new IPCIDR(spec);
  const isV4 = cidr.address.v4;
  if (isV4 !== (version === 4)) return undefined;
  return {
    version,
    address: BigInt(cidr.address.bigInteger().toString()),
    prefixLen: cidr.address.subnetMask,
  };
}

/** The fewest CIDR blocks covering exactly [first, last]. */
export function rangeToBlocks(version: 4 | 6, first: bigint, last: bigint): { first: bigint; prefixLen: number }[] {
  const bits = bitsOf(version);
  const blocks: { first: bigint; prefixLen: number }[] = [];
  while (first <= last) {
    // The largest block aligned at `first` that does not run past `last`.
    let k = 0;
    while (k < bits && ((first >> BigInt(k)) & 1n) === 0n) k++;
    while (k > 0 && first + (1n << BigInt(k)) - 1n > last) k--;
    blocks.push({ first, prefixLen: bits - k });
    first += 1n << BigInt(k);
  }
  return blocks;
}

/** ipband's partial IPv4 address: 1 to 4 decimal parts; the parts given fix the top bits. */
function parsePartialV4(text: string): { value: bigint; parts: number } | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  let value = 0n;
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    let v = 0;
    if (part !== undefined) {
      // Leading zeros are refused: inet_aton reads them as octal, ipband as decimal.
      if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
      v = Number(part);
      if (v > 255) return undefined;
    }
    value = (value << 8n) | BigInt(v);
  }
  return { value, parts: parts.length };
}

const badAddress = 'not an IPv4 or IPv6 address';

/** One end of a range: its first and last address. */
function parseRangeEnd(text: string, item: string): { version: 4 | 6; first: bigint; last: bigint } {
  if (text.includes(':')) {
    const a = parseAddress(text);
    if (a === undefined) throw new BadNetworkError(item, `'${text}' is ${badAddress}`);
    return { version: 6, first: a.value, last: a.value };
  }
  const p = parsePartialV4(text);
  if (p === undefined) throw new BadNetworkError(item, `'${text}' is ${badAddress}`);
  const host = blockSize(4, p.parts * 8) - 1n;
  return { version: 4, first: p.value, last: p.value | host };
}

/** Read one item (no list separators) into out. */
function parseItem(item: string, out: ParsedNetworks): void {
  const dash = item.indexOf('-');
  if (dash >= 0) {
    const lo = parseRangeEnd(item.slice(0, dash), item);
    const hi = parseRangeEnd(item.slice(dash + 1), item);
    if (lo.version !== hi.version) throw new BadNetworkError(item, 'range mixes IPv4 and IPv6');
    if (lo.first > hi.last) throw new BadNetworkError(item, 'range start is after its end');
    for (const b of rangeToBlocks(lo.version, lo.first, hi.last)) {
      out.networks.push(makeNetwork(lo.version, b.first, b.prefixLen, item));
    }
    return;
  }

  const slash = item.indexOf('/');
  const addr = slash < 0 ? item : item.slice(0, slash);
  const lenText = slash < 0 ? undefined : item.slice(slash + 1);
  const version: 4 | 6 = addr.includes(':') ? 6 : 4;
  const bits = bitsOf(version);
  if (lenText !== undefined && !(/^\d{1,3}$/.test(lenText) && Number(lenText) <= bits)) {
    throw new BadNetworkError(item, `prefix length must be 0 to ${bits}`);
  }

  let address: bigint;
  let prefixLen: number;
  if (version === 4 && !DOTTED_QUAD.test(addr)) {
    // ipband's partial address: 137.99.11 is that /24, 127.0.5/23 a /23.
    const p = parsePartialV4(addr);
    if (p === undefined) throw new BadNetworkError(item, badAddress);
    address = p.value;
    prefixLen = lenText === undefined ? p.parts * 8 : Number(lenText);
  } else {
    const c = parseCidr(`${addr}/${lenText ?? bits}`);
    if (c === undefined) throw new BadNetworkError(item, badAddress);
    address = c.address;
    prefixLen = c.prefixLen;
  }
  const first = address & ~(blockSize(version, prefixLen) - 1n) & ((1n << BigInt(bits)) - 1n);
  const net = makeNetwork(version, first, prefixLen, item);
  if (first !== address) out.warnings.push(`'${item}' has host bits set: using ${net.text}`);
  out.networks.push(net);
}

/** Split a list on commas, and an all-IPv4 item on ipband's colons. */
function listItems(spec: string): string[] {
  const items: string[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue; // "a,b," from a script building the list
    const parts = item.split(':');
    if (parts.length > 1 && parts.every((p) => p.includes('.'))) items.push(...parts);
    else items.push(item);
  }
  return items;
}

/**
 * Read a `--net` / `-L` value: one network, address or range, or a list of
 * them. Throws BadNetworkError (an InputError) for the first bad item;
 * `where` (e.g. "nets.txt:3") prefixes its message.
 */
export function parseNetworks(
  spec: string,
  out: ParsedNetworks = { networks: [], warnings: [] },
  where?: string,
): ParsedNetworks {
  const items = listItems(spec);
  if (items.length === 0) throw new BadNetworkError(spec.trim(), 'empty', where);
  for (const item of items) {
    try {
      const before = out.warnings.length;
      parseItem(item, out);
      if (where !== undefined) {
        for (let i = before; i < out.warnings.length; i++) out.warnings[i] = `${where}: ${out.warnings[i]}`;
      }
    } catch (e) {
      if (e instanceof BadNetworkError && where !== undefined) throw new BadNetworkError(e.item, e.reason, where);
      throw e;
    }
  }
  return out;
}

/** The networks in a net file's text: one per line, `#` comments, blank lines skipped. */
export function parseNetText(
  text: string,
  name: string,
  out: ParsedNetworks = { networks: [], warnings: [] },
): ParsedNetworks {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i]!.indexOf('#');
    const line = (hash < 0 ? lines[i]! : lines[i]!.slice(0, hash)).trim();
    if (line === '') continue;
    parseNetworks(line, out, `${name}:${i + 1}`);
  }
  return out;
}

/** Read a net file (`--net-file`); InputError when it cannot be read or has a bad line. */
export function parseNetFile(path: string, out: ParsedNetworks = { networks: [], warnings: [] }): ParsedNetworks {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new InputError(`cannot read net file ${path}: ${why}`);
  }
  return parseNetText(text, path, out);
}

function prefixLenOfMask(version: 4 | 6, mask: bigint): number | undefined {
  const bits = bitsOf(version);
  let len = 0;
  while (len < bits && ((mask >> BigInt(bits - 1 - len)) & 1n) === 1n) len++;
  const expected = ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
  return mask === expected ? len : undefined; // non-contiguous masks are not networks
}

const LINK_LOCAL_V4 = 0xa9fe0000n; // 169.254.0.0/16
const LINK_LOCAL_V6 = 0xfe80n << 112n; // fe80::/10

/**
 * The networks of the machine's own interfaces (address + netmask → network),
 * for when the operator names none. Loopback is left out (internal, or 127/8,
 * ::1), and so is link-local (169.254/16, fe80::/10): every link has the same
 * fe80::/64, so counting it as "ours" would make every neighbour's ND local.
 * Duplicates (one network on several interfaces or addresses) are kept once.
 */
export function interfaceNetworks(
  ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): Network[] {
  const seen = new Set<string>();
  const networks: Network[] = [];
  for (const [name, addrs] of Object.entries(ifaces)) {
    for (const info of addrs ?? []) {
      if (info.internal) continue;
      const fam = info.family as string | number;
      const version = fam === 'IPv4' || fam === 4 ? 4 : fam === 'IPv6' || fam === 6 ? 6 : undefined;
      if (version === undefined) continue;
      const addr = parseAddress(info.address.replace(/%.*$/, ''));
      const mask = parseAddress(info.netmask);
      if (addr === undefined || mask === undefined || addr.version !== version || mask.version !== version) continue;
      const prefixLen = prefixLenOfMask(version, mask.value);
      if (prefixLen === undefined) continue;
      const first = addr.value & mask.value;
      if (version === 4) {
        if (addr.value >> 24n === 127n || addr.value >> 16n === LINK_LOCAL_V4 >> 16n) continue;
      } else if (addr.value === 1n || addr.value >> 118n === LINK_LOCAL_V6 >> 118n) {
        continue;
      }
      const net = makeNetwork(version, first, prefixLen, name);
      if (seen.has(net.text)) continue;
      seen.add(net.text);
      networks.push(net);
    }
  }
  return networks;
}

/** Elementary intervals of one family: interval i starts at start i and belongs to owner i (-1: none). */
function buildIntervals(networks: readonly Network[], version: 4 | 6): { starts: bigint[]; owners: number[] } {
  const bits = bitsOf(version);
  const maxAddr = (1n << BigInt(bits)) - 1n;
  const items: { i: number; first: bigint; last: bigint }[] = [];
  networks.forEach((n, i) => {
    if (n.version === version) items.push({ i, first: n.first, last: n.first + blockSize(version, n.prefixLen) - 1n });
  });
  // CIDR blocks are nested or disjoint, so a sweep in order of first address
  // (the larger of two blocks at one address first) keeps the blocks open at
  // any point on a stack, the innermost on top. Of identical blocks the one
  // given first ends on top, so it is the one match() names.
  items.sort((a, b) => {
    if (a.first !== b.first) return a.first < b.first ? -1 : 1;
    if (a.last !== b.last) return a.last > b.last ? -1 : 1;
    return b.i - a.i;
  });

  const starts: bigint[] = [];
  const owners: number[] = [];
  const emit = (at: bigint, owner: number): void => {
    if (at > maxAddr) return;
    const n = starts.length;
    if (n > 0 && starts[n - 1] === at) {
      owners[n - 1] = owner;
      if (n > 1 && owners[n - 2] === owner) {
        starts.pop();
        owners.pop();
      }
      return;
    }
    if (n > 0 && owners[n - 1] === owner) return;
    starts.push(at);
    owners.push(owner);
  };
  emit(0n, -1);
  const stack: { i: number; last: bigint }[] = [];
  const close = (): void => {
    const top = stack.pop()!;
    emit(top.last + 1n, stack.at(-1)?.i ?? -1);
  };
  for (const it of items) {
    while (stack.length > 0 && stack.at(-1)!.last < it.first) close();
    stack.push(it);
    emit(it.first, it.i);
  }
  while (stack.length > 0) close();
  return { starts, owners };
}

/** Scratch for the text-form lookups (tests, configuration): never used per packet. */
const lookupScratch = Buffer.alloc(16);

/**
 * A set of local networks with allocation-free membership tests. match*()
 * return the index in `networks` of the most specific network holding the
 * address (of identical ones, the first given), or -1.
 */
export class PrefixSet {
  readonly networks: readonly Network[];
  private readonly v4Starts: Uint32Array;
  private readonly v4Owners: Int32Array;
  /** Four big-endian words per interval start. */
  private readonly v6Starts: Uint32Array;
  private readonly v6Owners: Int32Array;

  constructor(networks: readonly Network[]) {
    this.networks = networks;
    const v4 = buildIntervals(networks, 4);
    this.v4Starts = Uint32Array.from(v4.starts, Number);
    this.v4Owners = Int32Array.from(v4.owners);
    const v6 = buildIntervals(networks, 6);
    this.v6Starts = new Uint32Array(v6.starts.length * 4);
    v6.starts.forEach((s, i) => {
      for (let w = 0; w < 4; w++) this.v6Starts[i * 4 + w] = Number((s >> BigInt(96 - 32 * w)) & 0xffffffffn);
    });
    this.v6Owners = Int32Array.from(v6.owners);
  }

  get size(): number {
    return this.networks.length;
  }

  /** IPv4 address as an unsigned 32-bit integer (buf.readUInt32BE). */
  matchV4(a: number): number {
    a = a >>> 0;
    const starts = this.v4Starts;
    // starts[0] is 0, so the answer is the last start <= a.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= a) lo = mid;
      else hi = mid - 1;
    }
    return this.v4Owners[lo]!;
  }

  /** IPv6 address in buf[off, off+16). */
  matchV6(buf: Buffer, off: number): number {
    const starts = this.v6Starts;
    let hi = this.v6Owners.length - 1;
    if (hi === 0) return this.v6Owners[0]!; // no IPv6 networks: skip reading the address
    const w0 = u32be(buf, off);
    const w1 = u32be(buf, off + 4);
    const w2 = u32be(buf, off + 8);
    const w3 = u32be(buf, off + 12);
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const j = mid * 4;
      // start[mid] <= address, comparing the words most significant first
      const s0 = starts[j]!;
      let le: boolean;
      if (s0 !== w0) le = s0 < w0;
      else {
        const s1 = starts[j + 1]!;
        if (s1 !== w1) le = s1 < w1;
        else {
          const s2 = starts[j + 2]!;
          le = s2 !== w2 ? s2 < w2 : starts[j + 3]! <= w3;
        }
      }
      if (le) lo = mid;
      else hi = mid - 1;
    }
    return this.v6Owners[lo]!;
  }

  /** The address at buf[off] of the given IP version (a Packet's ipVersion, data, srcOff/dstOff). */
  matchAt(version: number, buf: Buffer, off: number): number {
    if (version === 4) return this.matchV4(u32be(buf, off));
    if (version === 6) return this.matchV6(buf, off);
    return -1;
  }

  containsV4(a: number): boolean {
    return this.matchV4(a) >= 0;
  }

  containsV6(buf: Buffer, off: number): boolean {
    return this.matchV6(buf, off) >= 0;
  }

  containsAt(version: number, buf: Buffer, off: number): boolean {
    return this.matchAt(version, buf, off) >= 0;
  }

  /** Text form, for tests and configuration; -1 for text that is not an address. */
  match(addr: string): number {
    const a = parseAddress(addr);
    if (a === undefined) return -1;
    if (a.version === 4) return this.matchV4(Number(a.value));
    writeV6(lookupScratch, 0, a.value);
    return this.matchV6(lookupScratch, 0);
  }

  contains(addr: string): boolean {
    return this.match(addr) >= 0;
  }
}
