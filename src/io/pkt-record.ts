/**
 * Reading a `pkt` record (DESIGN.md, "pkt record"; written by format/pkt-json.ts)
 * back into a Packet, so that a command fed by `trk-capture |` runs exactly the
 * code it runs on packets it decodes itself.
 *
 * The reader fills one reusable Packet the way the decoders do: the binary
 * addresses (MACs, IPv4/IPv6, ARP fields, ND target, link-layer address and
 * prefixes) are parsed from their text into a small scratch buffer that becomes
 * `packet.data`, the offsets point into it, and numbers, flags and names are set
 * as the decoders set them. `data` holds only those addresses, never the frame:
 * `start` is 0 and `caplen` is the record's, so nothing may read payload bytes
 * from a packet that came from a record. `linktype` is -1: the record does not
 * carry it. Like a decoded Packet, it is valid until the next read().
 *
 * Speed: a consumer reads millions of records, so the common path scans the
 * line's bytes once, by offset, with no JSON.parse and no string made per
 * record. A key is recognised by its first two letters and checked, with its
 * quote and colon, as two 32-bit words; numbers, IPv4 octets and IPv6 groups
 * are read a word at a time too (bit arithmetic finds where the digits stop,
 * so there is no mispredicted loop exit per number), straight into the
 * Packet and the scratch buffer; byte-at-a-time readers take the last bytes
 * of a line and the less common fields. The `if` and `err` strings repeat
 * from record to record and come from a small cache keyed by their bytes.
 * scripts/bench-pkt-record.ts measures it against JSON.parse.
 *
 * What is accepted:
 * - any valid JSON object whose top-level "type" is "pkt", keys in any order;
 *   unknown keys (a later command's `dir`, `svc`, `alerts`, or anything jq
 *   added) with values of any JSON type, nested to any depth, are skipped (and
 *   checked: a line JSON.parse would reject is not a record). Whitespace
 *   anywhere JSON allows it, and '\r' or spaces before the line's end. For a
 *   duplicated key the last value counts, as with JSON.parse.
 * - `ts` as the exact decimal trk-capture writes: tsSec, tsFrac and tsDigits
 *   (fraction digits as written, 0 when there is no fraction; beyond 15 digits
 *   the rest is cut off, since tsFrac must stay an exact integer). Exponent
 *   forms (1.7e9, as some JSON tools write) are shifted exactly.
 * - integers also as 64.0 or 6.4e1; IPv4 as dotted quads without leading zeros;
 *   IPv6 in every RFC 4291 form (`::`, embedded dotted quad, upper case); MACs as
 *   six colon-separated pairs of hex digits in either case; `vlan` as a number
 *   or an array (outer first); `eth` as a name (ipv4, ipv6, arp) or "0x" and
 *   one to four hex digits; `proto` as a name of the writer's table or a
 *   number; `flags` as letters of FSRPAUEC in any order. `null` for a field
 *   means absent, like a missing key.
 *
 * What falls back: a backslash escape in a key or in a value the reader must
 * look at (other than `if` and `err`, which decode their escapes on the spot)
 * sends the line through a slower second pass: its escapes are decoded into a
 * copy (those that JSON requires, `\"` `\\` and control characters, stay
 * escaped, and no address, name or key contains them) and the copy is scanned
 * as above. Numbers are never re-parsed as doubles, so `ts` stays exact there too.
 *
 * read() returns false for every line that is not a pkt record: another record
 * type, a record without "type", a STAT or ALERT line, text, invalid JSON
 * (including a record cut short). The caller passes such lines through
 * untouched; `packet` is then meaningless.
 *
 * `problem`: a pkt record whose field cannot be used (an address that does not
 * parse, a number out of range, a value of the wrong JSON type, a `ts`, `len` or
 * `caplen` missing) is still read, with that field absent, and `problem` says
 * what was wrong with the first such field, in a few words for a warning. A
 * field that only makes sense with its partner is dropped with it, as the
 * decoders never produce one alone and the formatters rely on that: src/dst
 * (both, of one IP version), sport/dport, flags with win and seq, itype/icode,
 * the four ARP addresses (and arp.op for any of them).
 */
import { MAX_ND_PREFIXES, MAX_VLAN_TAGS, Packet } from '../decode/packet.js';
import { ethertypeName, protocolName } from '../format/names.js';
import { DIR_NAMES, DIR_NONE } from '../classify/direction.js';

/** `dir` texts as trk-classify writes them, to DIR_* codes. */
const DIRECTION_OF = new Map<string, number>(DIR_NAMES.map((name, code) => [name, code] as [string, number]).filter(([name]) => name !== ''));

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** Where each address goes in the scratch buffer that becomes packet.data. */
const SMAC_AT = 0;
const DMAC_AT = 6;
const SRC_AT = 12;
const DST_AT = 28;
const ARP_SHA_AT = 44;
const ARP_SPA_AT = 50;
const ARP_THA_AT = 54;
const ARP_TPA_AT = 60;
const ND_TARGET_AT = 64;
const ND_LLA_AT = 80;
const ND_PREFIXES_AT = 86;
const SCRATCH_LENGTH = ND_PREFIXES_AT + MAX_ND_PREFIXES * 16;
/** Where a prefix beyond MAX_ND_PREFIXES is parsed, to be checked and forgotten. */
const UNKEPT_PREFIX = Buffer.alloc(16);

/** Most fraction digits of `ts` kept: tsFrac stays below 2^53, an exact integer. */
const MAX_TS_DIGITS = 15;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;
/** An 802.1Q VLAN identifier is 12 bits (the decoders keep only those). */
const MAX_VLAN_ID = 0xfff;

// Scan results: a position >= 0, or one of these.
/** Not valid JSON. */
const INVALID = -1;
/** A backslash escape where the fast pass must see the text: take the second pass. */
const UNESCAPE = -2;

// What scan() found.
const NOT_PKT = 0;
const PKT = 1;
const NEEDS_UNESCAPE = 2;

const enum Key {
  Unknown,
  Type,
  Ts,
  If,
  Len,
  Caplen,
  Smac,
  Dmac,
  Vlan,
  Eth,
  Src,
  Dst,
  Proto,
  Ttl,
  Frag,
  Sport,
  Dport,
  Flags,
  Win,
  Seq,
  Ack,
  Itype,
  Icode,
  Arp,
  Nd,
  Err,
  // added by trk-classify
  Dir,
  Svc,
  // inside "arp"
  Op,
  Sha,
  Spa,
  Tha,
  Tpa,
  // inside "nd"
  Target,
  Prefixes,
  Lla,
}

/** The largest value of each integer field. */
const INTEGER_MAX = new Float64Array(64);
INTEGER_MAX[Key.Len] = MAX_U32;
INTEGER_MAX[Key.Caplen] = MAX_U32;
INTEGER_MAX[Key.Ttl] = 255;
INTEGER_MAX[Key.Sport] = MAX_U16;
INTEGER_MAX[Key.Dport] = MAX_U16;
INTEGER_MAX[Key.Win] = MAX_U16;
INTEGER_MAX[Key.Seq] = MAX_U32;
INTEGER_MAX[Key.Ack] = MAX_U32;
INTEGER_MAX[Key.Itype] = 255;
INTEGER_MAX[Key.Icode] = 255;

/** Each key's name as written, and what its value must be: the problem text is "NAME is not WHAT". */
const KEYS: [key: Key, name: string, what: string][] = [
  [Key.Type, 'type', 'a string'],
  [Key.Ts, 'ts', 'a non-negative time in seconds'],
  [Key.If, 'if', 'a string'],
  [Key.Len, 'len', 'a byte count'],
  [Key.Caplen, 'caplen', 'a byte count'],
  [Key.Smac, 'smac', 'a MAC address'],
  [Key.Dmac, 'dmac', 'a MAC address'],
  [Key.Vlan, 'vlan', 'a VLAN id or a list of them'],
  [Key.Eth, 'eth', 'an ethertype'],
  [Key.Src, 'src', 'an IP address'],
  [Key.Dst, 'dst', 'an IP address'],
  [Key.Proto, 'proto', 'a protocol name or number'],
  [Key.Ttl, 'ttl', 'a number from 0 to 255'],
  [Key.Frag, 'frag', 'true or false'],
  [Key.Sport, 'sport', 'a port number'],
  [Key.Dport, 'dport', 'a port number'],
  [Key.Flags, 'flags', 'TCP flag letters from FSRPAUEC'],
  [Key.Win, 'win', 'a number from 0 to 65535'],
  [Key.Seq, 'seq', 'an unsigned 32-bit number'],
  [Key.Ack, 'ack', 'an unsigned 32-bit number'],
  [Key.Itype, 'itype', 'a number from 0 to 255'],
  [Key.Icode, 'icode', 'a number from 0 to 255'],
  [Key.Arp, 'arp', 'an object'],
  [Key.Nd, 'nd', 'an object'],
  [Key.Err, 'err', 'a string'],
  [Key.Dir, 'dir', 'a direction'],
  [Key.Svc, 'svc', 'a string'],
  [Key.Op, 'op', 'a number from 0 to 65535'],
  [Key.Sha, 'sha', 'a MAC address'],
  [Key.Spa, 'spa', 'an IPv4 address'],
  [Key.Tha, 'tha', 'a MAC address'],
  [Key.Tpa, 'tpa', 'an IPv4 address'],
  [Key.Target, 'target', 'an IPv6 address'],
  [Key.Prefixes, 'prefixes', 'a list of IPv6 prefixes'],
  [Key.Lla, 'lla', 'a MAC address'],
];
const PARENT = new Map<Key, string>([
  [Key.Op, 'arp.'],
  [Key.Sha, 'arp.'],
  [Key.Spa, 'arp.'],
  [Key.Tha, 'arp.'],
  [Key.Tpa, 'arp.'],
  [Key.Target, 'nd.'],
  [Key.Prefixes, 'nd.'],
  [Key.Lla, 'nd.'],
]);
const BAD_VALUE: string[] = [];
for (const [key, name, what] of KEYS) BAD_VALUE[key] = `${PARENT.get(key) ?? ''}${name} is not ${what}`;

export const PROBLEM_NO_TS = 'no ts';
export const PROBLEM_NO_LEN = 'no len';
export const PROBLEM_NO_CAPLEN = 'no caplen';
export const PROBLEM_IP_PAIR = 'src and dst must both be there, of one IP version';
export const PROBLEM_PORT_PAIR = 'sport and dport must both be there';
export const PROBLEM_TCP = 'flags without win and seq';
export const PROBLEM_ICMP_PAIR = 'itype and icode must both be there';
export const PROBLEM_ARP = 'arp needs op, and sha, spa, tha and tpa all or none';

/**
 * Keys are told apart by their bytes packed into two 32-bit numbers (the first
 * four, the next four: every key has at most eight), looked up in a small
 * open-addressing table. Packing is exact, so a match is the key itself.
 */
const MAX_KEY_LENGTH = 8;
const KEY_SLOTS = 128;
const slotHigh = new Int32Array(KEY_SLOTS);
const slotLow = new Int32Array(KEY_SLOTS);
const slotLength = new Uint8Array(KEY_SLOTS); // 0: empty
const slotKey = new Uint8Array(KEY_SLOTS);

function keySlot(high: number, low: number, length: number): number {
  return (high ^ (high >>> 13) ^ Math.imul(low, 0x9e3779b1) ^ (length << 4)) & (KEY_SLOTS - 1);
}

for (const [key, name] of KEYS) {
  let high = 0;
  let low = 0;
  for (let i = 0; i < name.length; i++) {
    if (i < 4) high = (high << 8) | name.charCodeAt(i);
    else low = (low << 8) | name.charCodeAt(i);
  }
  let slot = keySlot(high, low, name.length);
  while (slotLength[slot] !== 0) slot = (slot + 1) & (KEY_SLOTS - 1);
  slotHigh[slot] = high;
  slotLow[slot] = low;
  slotLength[slot] = name.length;
  slotKey[slot] = key;
}

function lookupKey(high: number, low: number, length: number): Key {
  if (length > MAX_KEY_LENGTH) return Key.Unknown;
  for (let slot = keySlot(high, low, length); ; slot = (slot + 1) & (KEY_SLOTS - 1)) {
    const n = slotLength[slot]!;
    if (n === 0) return Key.Unknown;
    if (n === length && slotHigh[slot] === high && slotLow[slot] === low) return slotKey[slot]!;
  }
}

/**
 * The fast way to a key, for the keys as the writer spells them: the key's
 * first two letters pick the only key it can be (one table for the top level,
 * one inside `arp` and `nd`), and the key with its closing quote and the colon
 * is compared as two little-endian 32-bit words read through a DataView, not
 * byte by byte. A key that does not match this way (spaces before the colon,
 * an unknown key) takes lookupKey().
 */
const TOP_LEVEL_BY_LETTERS = new Uint8Array(1024);
const NESTED_BY_LETTERS = new Uint8Array(1024);
const KEY_WORD1 = new Int32Array(64);
const KEY_MASK1 = new Int32Array(64);
const KEY_WORD2 = new Int32Array(64);
const KEY_MASK2 = new Int32Array(64);
/** The key's length, so its closing quote is at the key's start + length. */
const KEY_LENGTH = new Uint8Array(64);
const byLetters = (c0: number, c1: number): number => ((c0 & 31) << 5) | (c1 & 31);

for (const [key, name] of KEYS) {
  // the key, its closing quote and the colon: all of it for keys up to six letters, the rest checked apart
  const quoted = name + '":';
  const word = (from: number): [word: number, mask: number] => {
    let w = 0;
    let m = 0;
    for (let i = 0; i < 4 && from + i < quoted.length; i++) {
      w |= quoted.charCodeAt(from + i) << (8 * i);
      m |= 0xff << (8 * i);
    }
    return [w | 0, m | 0];
  };
  [KEY_WORD1[key], KEY_MASK1[key]] = word(0);
  [KEY_WORD2[key], KEY_MASK2[key]] = word(4);
  KEY_LENGTH[key] = name.length;
  const table = key >= Key.Op ? NESTED_BY_LETTERS : TOP_LEVEL_BY_LETTERS;
  const slot = byLetters(name.charCodeAt(0), name.charCodeAt(1));
  if (table[slot] !== 0) throw new Error(`keys ${name} and ${KEYS.find(([k]) => k === table[slot])?.[1]}: same first letters`);
  table[slot] = key;
}

const POWERS_OF_TEN = new Float64Array([1, 10, 100, 1000, 10000]);

/** Hex digit values, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[ZERO + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

/** TCP flag bit per letter of FSRPAUEC (FIN = bit 0 … CWR = bit 7), 0 for other bytes. */
const FLAG_BIT = new Uint8Array(256);
for (let bit = 0; bit < 8; bit++) FLAG_BIT['FSRPAUEC'.charCodeAt(bit)] = 1 << bit;

/** Four bytes as a little-endian 32-bit word, to compare with DataView.getInt32(…, true). */
function wordOf(text: string): number {
  return Buffer.from(text, 'latin1').readInt32LE(0);
}
const WORD_IPV4 = wordOf('ipv4');
const WORD_IPV6 = wordOf('ipv6');
const WORD_TCP = wordOf('"tcp');
const WORD_PKT = wordOf('"pkt');
const WORD_UDP = wordOf('"udp');

/** The protocol names of the writer's table, as bytes, with their numbers. */
const PROTO_NAMES: { name: Buffer; proto: number }[] = [];
for (let proto = 0; proto < 256; proto++) {
  const name = protocolName(proto);
  if (name !== undefined) PROTO_NAMES.push({ name: Buffer.from(name, 'latin1'), proto });
}

/**
 * Ethertype names (those ethertypeName() gives instead of 0x…), built on the
 * first name seen: the table lives in format/names.ts and is only exported as
 * the function, so it is inverted by asking it about every ethertype once.
 */
let ethertypeNames: { name: Buffer; type: number }[] | undefined;
function ethertypeByName(b: Buffer, s: number, e: number): number {
  if (ethertypeNames === undefined) {
    ethertypeNames = [];
    for (let type = 0; type <= MAX_U16; type++) {
      const name = ethertypeName(type);
      if (!name.startsWith('0x')) ethertypeNames.push({ name: Buffer.from(name, 'latin1'), type });
    }
  }
  for (const { name, type } of ethertypeNames) if (equalBytes(b, s, e, name)) return type;
  return -1;
}

function equalBytes(b: Buffer, s: number, e: number, text: Uint8Array): boolean {
  if (e - s !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[s + i] !== text[i]) return false;
  return true;
}

function ws(b: Buffer, pos: number, end: number): number {
  while (pos < end) {
    const c = b[pos]!;
    if (c !== SPACE && c !== TAB && c !== CR && c !== LF) break;
    pos++;
  }
  return pos;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** After the JSON string whose opening quote is at `pos`, or INVALID (bad escape, raw control character, no end). */
function skipString(b: Buffer, pos: number, end: number): number {
  for (let i = pos + 1; i < end; i++) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const x = b[i + 1];
      if (x === 0x75) {
        // \uXXXX
        if (i + 6 > end || HEX[b[i + 2]!]! < 0 || HEX[b[i + 3]!]! < 0 || HEX[b[i + 4]!]! < 0 || HEX[b[i + 5]!]! < 0) return INVALID;
        i += 5;
      } else if (x === QUOTE || x === BACKSLASH || x === SLASH || x === 0x62 || x === 0x66 || x === 0x6e || x === 0x72 || x === 0x74) {
        i++;
      } else {
        return INVALID;
      }
      if (i >= end) return INVALID;
    } else if (c < SPACE) {
      return INVALID;
    }
  }
  return INVALID;
}

/** After the JSON number at `pos` (grammar checked), or INVALID. */
function skipNumber(b: Buffer, pos: number, end: number): number {
  if (pos < end && b[pos] === MINUS) pos++;
  if (pos >= end) return INVALID;
  if (b[pos] === ZERO) pos++;
  else if (isDigit(b[pos]!)) while (pos < end && isDigit(b[pos]!)) pos++;
  else return INVALID;
  if (pos < end && b[pos] === DOT) {
    pos++;
    if (pos >= end || !isDigit(b[pos]!)) return INVALID;
    while (pos < end && isDigit(b[pos]!)) pos++;
  }
  if (pos < end && (b[pos]! | 0x20) === 0x65) {
    pos++;
    if (pos < end && (b[pos] === PLUS || b[pos] === MINUS)) pos++;
    if (pos >= end || !isDigit(b[pos]!)) return INVALID;
    while (pos < end && isDigit(b[pos]!)) pos++;
  }
  return pos;
}

function matchWord(b: Buffer, pos: number, end: number, word: string): boolean {
  if (pos + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (b[pos + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** After `true`, `false` or `null` at `pos`, or INVALID. */
function skipLiteral(b: Buffer, pos: number, end: number): number {
  const c = b[pos];
  if (c === 0x74) return matchWord(b, pos, end, 'true') ? pos + 4 : INVALID;
  if (c === 0x66) return matchWord(b, pos, end, 'false') ? pos + 5 : INVALID;
  if (c === 0x6e) return matchWord(b, pos, end, 'null') ? pos + 4 : INVALID;
  return INVALID;
}

/** After `"key" :` (the string at `pos`, whitespace around the colon), or INVALID. */
function skipMemberKey(b: Buffer, pos: number, end: number): number {
  if (pos >= end || b[pos] !== QUOTE) return INVALID;
  pos = skipString(b, pos, end);
  if (pos < 0) return INVALID;
  pos = ws(b, pos, end);
  if (pos >= end || b[pos] !== COLON) return INVALID;
  return pos + 1;
}

/**
 * The address scanners parse from b[s] for as long as the text can belong to
 * an address and return where they stopped (-1 when what they read is not
 * one): the caller checks that the string's closing quote is there, so the
 * string is read once, not searched for its end and then parsed.
 */

/** A dotted quad into dst[at, at+4). Leading zeros are refused (octal to some parsers). */
function scanIPv4(b: Buffer, s: number, end: number, dst: Buffer, at: number): number {
  let part = 0;
  let value = 0;
  let digits = 0;
  let i = s;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= ZERO && c <= NINE) {
      if (digits === 1 && value === 0) return -1;
      value = value * 10 + (c - ZERO);
      if (++digits > 3 || value > 255) return -1;
    } else if (c === DOT) {
      if (digits === 0 || part === 3) return -1;
      dst[at + part++] = value;
      value = 0;
      digits = 0;
    } else {
      break;
    }
  }
  if (digits === 0 || part !== 3) return -1;
  dst[at + 3] = value;
  return i;
}

/** IPv6 text (RFC 4291 §2.2: hex groups, one `::`, a dotted quad at the end) into dst[at, at+16). */
function scanIPv6(b: Buffer, s: number, end: number, dst: Buffer, at: number): number {
  let i = s;
  if (b[s] === COLON) {
    if (b[s + 1] !== COLON) return -1;
    i = s + 1; // the second colon below marks the gap
  }
  let groups = 0;
  let gap = -1;
  let value = 0;
  let digits = 0;
  let token = i;
  for (; i < end; i++) {
    const c = b[i]!;
    const h = HEX[c]!;
    if (h >= 0) {
      if (++digits > 4) return -1;
      value = (value << 4) | h;
      continue;
    }
    if (c === COLON) {
      token = i + 1;
      if (digits === 0) {
        if (gap >= 0) return -1;
        gap = groups;
        continue;
      }
      if (groups >= 8) return -1;
      // a single colon must be followed by a group (or the colon of a `::`)
      if (i + 1 >= end || (HEX[b[i + 1]!]! < 0 && b[i + 1] !== COLON)) return -1;
      dst[at + groups * 2] = value >> 8;
      dst[at + groups * 2 + 1] = value & 0xff;
      groups++;
      value = 0;
      digits = 0;
      continue;
    }
    if (c === DOT) {
      if (groups > 6) return -1;
      i = scanIPv4(b, token, end, dst, at + groups * 2);
      if (i < 0) return -1;
      groups += 2;
      digits = 0;
      break;
    }
    break;
  }
  if (digits > 0) {
    if (groups >= 8) return -1;
    dst[at + groups * 2] = value >> 8;
    dst[at + groups * 2 + 1] = value & 0xff;
    groups++;
  }
  return expandGap(dst, at, groups, gap) ? i : -1;
}

/**
 * The groups after a `::` (at group `gap`, -1 for none) moved to the end and
 * zeros put in between. False when the address does not come to 8 groups, or
 * the `::` would stand for none.
 */
function expandGap(dst: Buffer, at: number, groups: number, gap: number): boolean {
  if (gap < 0) return groups === 8;
  if (groups === 8) return false;
  const moved = groups - gap;
  for (let k = 1; k <= moved; k++) {
    dst[at + (8 - k) * 2] = dst[at + (gap + moved - k) * 2]!;
    dst[at + (8 - k) * 2 + 1] = dst[at + (gap + moved - k) * 2 + 1]!;
  }
  // a loop, not Buffer#fill: that one validates its arguments and crosses into C++, dearer than the whole parse
  for (let k = at + gap * 2; k < at + (8 - moved) * 2; k++) dst[k] = 0;
  return true;
}

/**
 * Word at a time: where a byte loop mispredicts a branch at the end of every
 * octet, group and number (their lengths vary from one to the next), these
 * read four bytes at once through a DataView, find where the digits stop with
 * bit arithmetic and take the value from the word, so the only branches left
 * are the separators. Near the end of the line (or for an IPv6 address with a
 * dotted quad) they hand over to the byte loops above, which are the reference.
 */

/** Index (0–3) of the lowest non-zero byte of a non-zero word. */
function firstByte(x: number): number {
  return (31 - Math.clz32(x & -x)) >> 3;
}

/** Per byte of w: zero for a decimal digit, non-zero for anything else. */
function nonDigits(w: number): number {
  // the high nibble is 3, and still is with 6 added (so the low one is at most 9); a carry out of a non-digit only reaches later bytes
  return ((w & 0xf0f0f0f0) ^ 0x30303030) | (((w + 0x06060606) & 0xf0f0f0f0) ^ 0x30303030);
}

/** The value of the first n (1–4) digits of w (digit bytes, the first in the low byte). */
function digitsValue(w: number, n: number): number {
  // the digits moved to the top of the word, zeros (leading zeros) below; borrows from a non-digit only reach bytes shifted out
  let d = (w - 0x30303030) << (8 * (4 - n));
  d = (Math.imul(d, 10) + (d >>> 8)) & 0x00ff00ff; // two 2-digit values
  return (Math.imul(d, 100) + (d >>> 16)) & 0x3fff; // one 4-digit value
}

function scanIPv4Words(view: DataView, b: Buffer, s: number, end: number, dst: Buffer, at: number): number {
  let i = s;
  for (let part = 0; part < 4; part++) {
    if (i + 4 > end) return scanIPv4(b, s, end, dst, at);
    const w = view.getInt32(i, true);
    const other = nonDigits(w);
    if (other === 0) return -1; // four digits: no octet
    const n = firstByte(other);
    if (n === 0) return -1;
    if ((w & 0xff) === ZERO && n > 1) return -1; // a leading zero
    const value = digitsValue(w, n);
    if (value > 255) return -1;
    dst[at + part] = value;
    i += n;
    if (part < 3) {
      if (b[i] !== DOT) return -1;
      i++;
    }
  }
  return i;
}

function scanIPv6Words(view: DataView, b: Buffer, s: number, end: number, dst: Buffer, at: number): number {
  let i = s;
  let groups = 0;
  let gap = -1;
  if (b[i] === COLON) {
    if (b[i + 1] !== COLON) return -1;
    gap = 0;
    i += 2;
    if (HEX[b[i]!]! < 0) return expandGap(dst, at, groups, gap) ? i : -1; // "::" alone
  }
  for (;;) {
    if (i + 5 > end) return scanIPv6(b, s, end, dst, at);
    const w = view.getInt32(i, true);
    // per byte: the top bit set for a hex digit (range checks done by adding, on the low 7 bits of ASCII bytes)
    const y = w & 0x7f7f7f7f;
    const ascii = ~w & 0x80808080;
    const digit = (y + 0x50505050) & ~(y + 0x46464646) & ascii;
    const lower = y | 0x20202020;
    const letter = (lower + 0x1f1f1f1f) & ~(lower + 0x19191919) & ascii;
    const other = ~(digit | letter) & 0x80808080;
    const n = other === 0 ? 4 : firstByte(other);
    // (a fifth hex digit ends the scan there, short of the closing quote the caller looks for)
    if (n === 0 || groups === 8) return -1;
    // nibble values (a letter has bit 6 set: its low nibble plus 9), moved to the top, then paired into bytes
    let v = ((y & 0x0f0f0f0f) + 9 * ((y >>> 6) & 0x01010101)) << (8 * (4 - n));
    v = ((v << 4) | (v >>> 8)) & 0x00ff00ff;
    dst[at + groups * 2] = v & 0xff;
    dst[at + groups * 2 + 1] = v >>> 16;
    groups++;
    i += n;
    const separator = b[i];
    if (separator === COLON) {
      if (b[i + 1] !== COLON) {
        i++;
        continue;
      }
      if (gap >= 0) return -1;
      gap = groups;
      i += 2;
      if (HEX[b[i]!]! < 0) break; // it ends with the `::`
      continue;
    }
    if (separator === DOT) return scanIPv6(b, s, end, dst, at); // an embedded dotted quad
    break;
  }
  return expandGap(dst, at, groups, gap) ? i : -1;
}

/** The version of the address scanIP last read (4 or 6). */
let scannedVersion = 0;

/** IPv4 or IPv6 text into dst[at…]; IPv4 is tried first and gives up within a few bytes on IPv6 text. */
function scanIP(view: DataView, b: Buffer, s: number, end: number, dst: Buffer, at: number): number {
  const stop = scanIPv4Words(view, b, s, end, dst, at);
  if (stop >= 0 && b[stop] === QUOTE) {
    scannedVersion = 4;
    return stop;
  }
  scannedVersion = 6;
  return scanIPv6Words(view, b, s, end, dst, at);
}

/** `aa:bb:cc:dd:ee:ff` (either case) into dst[at, at+6). */
function scanMac(b: Buffer, s: number, end: number, dst: Buffer, at: number): number {
  if (s + 17 > end) return -1;
  for (let i = 0; i < 6; i++) {
    const p = s + i * 3;
    const hi = HEX[b[p]!]!;
    const lo = HEX[b[p + 1]!]!;
    if (hi < 0 || lo < 0 || (i < 5 && b[p + 2] !== COLON)) return -1;
    dst[at + i] = (hi << 4) | lo;
  }
  return s + 17;
}

/** Recent strings of a field (`if`, `err`), keyed by their bytes as written, so a repeated one costs no allocation. */
class TextCache {
  private readonly raw: Buffer[] = [];
  private readonly text: string[] = [];
  private last = 0;

  constructor(private readonly limit: number) {}

  /** The string of the JSON string literal whose content is b[s, e) (escapes decoded when `escaped`). */
  get(b: Buffer, s: number, e: number, escaped: boolean): string {
    const last = this.raw[this.last];
    if (last !== undefined && equalBytes(b, s, e, last)) return this.text[this.last]!;
    for (let i = 0; i < this.raw.length; i++) {
      if (equalBytes(b, s, e, this.raw[i]!)) {
        this.last = i;
        return this.text[i]!;
      }
    }
    const text = escaped ? (JSON.parse(b.toString('utf8', s - 1, e + 1)) as string) : b.toString('utf8', s, e);
    // a hostile stream of distinct names must not grow memory: start over
    if (this.raw.length >= this.limit) {
      this.raw.length = 0;
      this.text.length = 0;
    }
    this.last = this.raw.length;
    this.raw.push(Buffer.from(b.subarray(s, e)));
    this.text.push(text);
    return text;
  }
}

export class PktRecordReader {
  /** The packet the reader fills; reused for every record. */
  readonly packet = new Packet();
  /** Why the last record read had a field left out (the first such field); undefined when it had none. */
  problem: string | undefined = undefined;

  private readonly scratch = Buffer.alloc(SCRATCH_LENGTH);
  /** The line with its escapes decoded, for the second pass. */
  private unescaped = Buffer.alloc(0);
  /** Open containers while skipping a value: 1 object, 0 array. */
  private stack = new Uint8Array(64);
  private readonly ifNames = new TextCache(16);
  private readonly errors = new TextCache(64);
  /** trk-classify's `dir` texts (five of them) and `svc` names (a few dozen in most traffic; the cache starts over past 64). */
  private readonly directions = new TextCache(8);
  private readonly services = new TextCache(64);

  /**
   * trk-classify's annotation of the record, when it has one: `dir` as a
   * DIR_* code (DIR_NONE when absent) and `svc`. Not Packet fields: a
   * decoder never sets them; a consumer that classifies itself ignores them.
   */
  dir: number = DIR_NONE;
  svc: string | undefined = undefined;

  // results of the value readers (fields rather than returned objects: nothing allocated per record)
  /** The value of digitRun()'s digits. */
  private run = 0;
  /** The last integer read, or -1 when the value was not a usable non-negative integer. */
  private num = -1;
  /** The last string read had a backslash escape. */
  private escaped = false;
  /** A DataView over the buffer being read, for reading keys, numbers and addresses a word at a time. */
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private viewOf: Buffer | undefined;
  /** The string text() last read. */
  private textValue: string | undefined = undefined;
  /** What otherType() found. */
  private typeIsPkt = false;
  /** The key readKey() last read. */
  private key = Key.Unknown;
  /** Escapes in keys and known values may still send the line to the second pass. */
  private firstPass = true;
  private srcVersion = 0;
  private dstVersion = 0;
  private sawTs = false;
  private sawLen = false;
  private sawCaplen = false;

  /**
   * Read the record in buf[start, end) (one line without its '\n'; it may end in '\r' or spaces).
   * Returns true when it is a `pkt` record and this.packet now holds it; false when the line is
   * anything else (another record type, not JSON, a STAT/ALERT line): the caller passes such lines
   * through untouched. A pkt record with an unreadable field value (an address that does not parse,
   * a wrong type) still returns true, with that field absent, and sets `this.problem` to a short
   * reason (undefined otherwise) so the caller can warn once.
   */
  read(buf: Buffer, start: number, end: number): boolean {
    start = ws(buf, start, end);
    while (end > start) {
      const c = buf[end - 1]!;
      if (c !== SPACE && c !== TAB && c !== CR && c !== LF) break;
      end--;
    }
    if (start >= end || buf[start] !== LBRACE) return this.notPkt();
    this.firstPass = true;
    this.clear();
    let found = this.scan(buf, start, end);
    if (found === NEEDS_UNESCAPE) {
      const length = this.unescape(buf, start, end);
      if (length < 0) return this.notPkt();
      this.firstPass = false;
      this.clear();
      found = this.scan(this.unescaped, 0, length);
    }
    return found === PKT ? true : this.notPkt();
  }

  private notPkt(): false {
    this.problem = undefined;
    return false;
  }

  private fail(key: Key): void {
    if (this.problem === undefined) this.problem = BAD_VALUE[key];
  }

  private flag(problem: string): void {
    if (this.problem === undefined) this.problem = problem;
  }

  /** A type other than "pkt" as the writer writes it: this.typeIsPkt says whether it is "pkt" all the same. */
  private otherType(b: Buffer, pos: number, end: number): number {
    this.typeIsPkt = false;
    if (b[pos] !== QUOTE) return this.skip(b, pos, end);
    const q = this.stringValue(b, pos, end);
    if (q < 0) return q;
    this.typeIsPkt = q - pos === 4 && b[pos + 1] === 0x70 && b[pos + 2] === 0x6b && b[pos + 3] === 0x74;
    return q + 1;
  }

  /** Everything a record sets, back to absent. */
  private clear(): void {
    const p = this.packet;
    this.dir = DIR_NONE;
    this.svc = undefined;
    p.resetLayers();
    p.data = this.scratch;
    p.start = 0;
    p.len = 0;
    p.caplen = 0;
    p.tsSec = 0;
    p.tsFrac = 0;
    p.tsDigits = 0;
    p.ifName = undefined;
    p.linktype = -1;
    p.lenFromHeaders = false;
    this.problem = undefined;
    this.srcVersion = 0;
    this.dstVersion = 0;
    this.sawTs = false;
    this.sawLen = false;
    this.sawCaplen = false;
  }

  /**
   * One pass over the object at b[pos] ('{'), ending exactly at `end`, into
   * the packet read() has cleared. What it calls in the loop is kept small:
   * V8 inlines callees into a function only up to a total size, and which of
   * them fit decides a good part of the speed (a tenth, from one run to the
   * next, before the rare cases were moved out of the hot readers).
   */
  private scan(b: Buffer, pos: number, end: number): number {
    if (b !== this.viewOf) {
      // one view per buffer: a line reader hands over many lines of each chunk
      this.view = new DataView(b.buffer, b.byteOffset, b.length);
      this.viewOf = b;
    }
    const p = this.packet;
    let isPkt = false;

    pos = ws(b, pos + 1, end);
    if (pos < end && b[pos] === RBRACE) return NOT_PKT; // {}: no type
    for (;;) {
      if (pos >= end || b[pos] !== QUOTE) return NOT_PKT;
      pos = this.readKey(b, pos, end, TOP_LEVEL_BY_LETTERS);
      if (pos < 0) return pos === UNESCAPE ? NEEDS_UNESCAPE : NOT_PKT;
      if (b[pos]! <= SPACE) pos = ws(b, pos, end);
      if (pos >= end) return NOT_PKT;
      // the value: each reader takes `null` for absent, and notes a value of the wrong type
      switch (this.key) {
        case Key.Type:
          // another type is read on all the same: a later "type" would count instead, as with JSON.parse
          if (pos + 5 <= end && this.view.getInt32(pos, true) === WORD_PKT && b[pos + 4] === QUOTE) {
            isPkt = true;
            pos += 5;
          } else {
            pos = this.otherType(b, pos, end);
            isPkt = this.typeIsPkt;
          }
          break;
        case Key.Ts:
          pos = this.ts(b, pos, end);
          break;
        case Key.Len:
        case Key.Caplen:
        case Key.Ttl:
        case Key.Sport:
        case Key.Dport:
        case Key.Win:
        case Key.Seq:
        case Key.Ack:
        case Key.Itype:
        case Key.Icode:
          // one call site for every integer, so that V8 inlines it once, and the store written out here rather than in a method V8 might not inline
          pos = this.uint(this.key, INTEGER_MAX[this.key]!, b, pos, end);
          switch (this.key) {
            case Key.Len:
              if (this.num >= 0) {
                p.len = this.num;
                this.sawLen = true;
              }
              break;
            case Key.Caplen:
              if (this.num >= 0) {
                p.caplen = this.num;
                this.sawCaplen = true;
              }
              break;
            case Key.Ttl:
              p.ttl = this.num;
              break;
            case Key.Sport:
              p.sport = this.num;
              break;
            case Key.Dport:
              p.dport = this.num;
              break;
            case Key.Win:
              p.win = this.num;
              break;
            case Key.Seq:
              p.seq = this.num;
              break;
            case Key.Ack:
              p.ack = this.num;
              break;
            case Key.Itype:
              p.itype = this.num;
              break;
            default:
              p.icode = this.num;
          }
          break;
        case Key.Smac:
          pos = this.mac(Key.Smac, SMAC_AT, b, pos, end);
          p.smacOff = this.num;
          break;
        case Key.Dmac:
          pos = this.mac(Key.Dmac, DMAC_AT, b, pos, end);
          p.dmacOff = this.num;
          break;
        case Key.Vlan:
          pos = this.vlan(b, pos, end);
          break;
        case Key.Eth:
          pos = this.eth(b, pos, end);
          break;
        case Key.Src:
          pos = this.ip(Key.Src, SRC_AT, b, pos, end);
          this.srcVersion = this.num;
          break;
        case Key.Dst:
          pos = this.ip(Key.Dst, DST_AT, b, pos, end);
          this.dstVersion = this.num;
          break;
        case Key.Proto:
          pos = this.proto(b, pos, end);
          break;
        case Key.Frag:
          if (matchWord(b, pos, end, 'true')) {
            p.frag = true;
            pos += 4;
          } else if (matchWord(b, pos, end, 'false')) {
            p.frag = false;
            pos += 5;
          } else {
            p.frag = false;
            pos = this.wrongType(Key.Frag, b, pos, end);
          }
          break;
        case Key.Flags:
          pos = this.flags(b, pos, end);
          break;
        case Key.Arp:
          pos = this.arp(b, pos, end);
          break;
        case Key.Nd:
          pos = this.nd(b, pos, end);
          break;
        case Key.If:
          pos = this.text(Key.If, b, pos, end);
          p.ifName = this.textValue;
          break;
        case Key.Err:
          pos = this.text(Key.Err, b, pos, end);
          p.err = this.textValue;
          break;
        case Key.Dir:
          pos = this.text(Key.Dir, b, pos, end);
          this.dir = this.textValue === undefined ? DIR_NONE : DIRECTION_OF.get(this.textValue) ?? DIR_NONE;
          if (this.textValue !== undefined && this.dir === DIR_NONE) this.fail(Key.Dir);
          break;
        case Key.Svc:
          pos = this.text(Key.Svc, b, pos, end);
          this.svc = this.textValue;
          break;
        default:
          // unknown here (a key of arp or nd at the top level, or any other): skipped
          pos = this.skip(b, pos, end);
      }
      if (pos < 0) return pos === UNESCAPE ? NEEDS_UNESCAPE : NOT_PKT;

      // , or }
      if (pos < end && b[pos] === COMMA) {
        pos++;
        if (pos < end && b[pos] !== QUOTE) pos = ws(b, pos, end);
        continue;
      }
      pos = ws(b, pos, end);
      if (pos < end && b[pos] === COMMA) {
        pos = ws(b, pos + 1, end);
        continue;
      }
      if (pos >= end || b[pos] !== RBRACE) return NOT_PKT;
      if (ws(b, pos + 1, end) !== end) return NOT_PKT;
      break;
    }
    if (!isPkt) return NOT_PKT;
    this.finish();
    return PKT;
  }

  /** The `if` or `err` string into this.textValue (undefined when it is not a string). */
  private text(key: Key, b: Buffer, pos: number, end: number): number {
    this.textValue = undefined;
    if (b[pos] !== QUOTE) return this.wrongType(key, b, pos, end);
    const q = this.stringEnd(b, pos, end);
    if (q < 0) return INVALID;
    const cache = key === Key.If ? this.ifNames : key === Key.Err ? this.errors : key === Key.Dir ? this.directions : this.services;
    this.textValue = cache.get(b, pos + 1, q, this.escaped);
    return q + 1;
  }

  /** Drop fields whose partner is missing, and note missing essentials. */
  private finish(): void {
    const p = this.packet;
    if (!this.sawTs) this.flag(PROBLEM_NO_TS);
    if (!this.sawLen) this.flag(PROBLEM_NO_LEN);
    if (!this.sawCaplen) this.flag(PROBLEM_NO_CAPLEN);
    if (this.srcVersion !== 0 && this.srcVersion === this.dstVersion) {
      p.ipVersion = this.srcVersion;
      p.srcOff = SRC_AT;
      p.dstOff = DST_AT;
    } else if (this.srcVersion !== 0 || this.dstVersion !== 0) {
      this.flag(PROBLEM_IP_PAIR);
    }
    if (p.sport >= 0 !== p.dport >= 0) {
      p.sport = -1;
      p.dport = -1;
      this.flag(PROBLEM_PORT_PAIR);
    }
    if (p.tcpFlags >= 0 && (p.win < 0 || p.seq < 0)) {
      p.tcpFlags = -1;
      p.win = -1;
      p.seq = -1;
      p.ack = -1;
      this.flag(PROBLEM_TCP);
    }
    if (p.itype >= 0 !== p.icode >= 0) {
      p.itype = -1;
      p.icode = -1;
      this.flag(PROBLEM_ICMP_PAIR);
    }
    const addresses = (p.arpShaOff >= 0 ? 1 : 0) + (p.arpSpaOff >= 0 ? 1 : 0) + (p.arpThaOff >= 0 ? 1 : 0) + (p.arpTpaOff >= 0 ? 1 : 0);
    if ((addresses !== 0 && addresses !== 4) || (addresses === 4 && p.arpOp < 0)) {
      p.arpShaOff = -1;
      p.arpSpaOff = -1;
      p.arpThaOff = -1;
      p.arpTpaOff = -1;
      this.flag(PROBLEM_ARP);
    }
  }

  /**
   * The key whose opening quote is at b[pos] into this.key (Unknown for any
   * other), and the colon after it; returns the position after the colon, or
   * INVALID, or UNESCAPE for an escape in the first pass (`"\u0074ype"` is
   * "type"). Kept small, the uncommon cases in readOtherKey(), so that V8
   * inlines it into scan(): its inlining budget is what the hot readers
   * (readKey, uint, eth) share, and a call costs as much as reading a field.
   */
  private readKey(b: Buffer, pos: number, end: number, table: Uint8Array): number {
    // the fast path reads up to b[pos + 11]: a valid record has more than that after a key but for its last few bytes
    if (pos + 12 <= end) {
      const key = table[byLetters(b[pos + 1]!, b[pos + 2]!)]!;
      if (key !== Key.Unknown) {
        const view = this.view;
        const length = KEY_LENGTH[key]!;
        if (
          (view.getInt32(pos + 1, true) & KEY_MASK1[key]!) === KEY_WORD1[key] &&
          (view.getInt32(pos + 5, true) & KEY_MASK2[key]!) === KEY_WORD2[key] &&
          (length <= 6 || (b[pos + 1 + length] === QUOTE && b[pos + 2 + length] === COLON))
        ) {
          this.key = key;
          return pos + length + 3;
        }
      }
    }
    return this.readOtherKey(b, pos, end);
  }

  /** readKey() for a key the fast path does not know, or written differently (spaces, escapes). */
  private readOtherKey(b: Buffer, pos: number, end: number): number {
    let high = 0;
    let low = 0;
    let i = pos + 1;
    let q = -1;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c === QUOTE) {
        this.key = lookupKey(high, low, i - pos - 1);
        q = i;
        break;
      }
      if (c === BACKSLASH || c < SPACE) break;
      if (i - pos <= 4) high = (high << 8) | c;
      else low = (low << 8) | c;
    }
    if (q < 0) {
      q = this.stringValue(b, pos, end);
      if (q < 0) return q;
      // in the second pass an escape left in a key is one no key of ours has
      this.key = Key.Unknown;
    }
    pos = ws(b, q + 1, end);
    if (pos >= end || b[pos] !== COLON) return INVALID;
    return pos + 1;
  }

  /**
   * The index of the closing quote of the string whose opening quote is at
   * b[pos], or INVALID; `escaped` says whether it held a backslash escape.
   */
  private stringEnd(b: Buffer, pos: number, end: number): number {
    for (let i = pos + 1; i < end; i++) {
      const c = b[i]!;
      if (c === QUOTE) {
        this.escaped = false;
        return i;
      }
      if (c === BACKSLASH) {
        this.escaped = true;
        const after = skipString(b, pos, end);
        return after < 0 ? INVALID : after - 1;
      }
      if (c < SPACE) return INVALID;
    }
    return INVALID;
  }

  /**
   * The string value of a known field: the index of its closing quote, or
   * INVALID, or UNESCAPE when it has an escape and a second pass can decode it.
   * In the second pass an escape left in a value is one JSON requires (a quote,
   * a backslash, a control character), which no address or name contains: the
   * value parsers then refuse it.
   */
  private stringValue(b: Buffer, pos: number, end: number): number {
    const q = this.stringEnd(b, pos, end);
    if (q >= 0 && this.escaped && this.firstPass) return UNESCAPE;
    return q;
  }

  /** Skip a value of the wrong JSON type for `key`, noting the problem. */
  private wrongType(key: Key, b: Buffer, pos: number, end: number): number {
    if (b[pos] === 0x6e) {
      // null: absent, like a missing key
      return matchWord(b, pos, end, 'null') ? pos + 4 : INVALID;
    }
    this.fail(key);
    return this.skip(b, pos, end);
  }

  /**
   * Reads the decimal digits from b[pos] for as long as they last; returns
   * where they stop, their value in this.run (exact below 2^53). A word at a
   * time (see digitsValue()), which matters for ts, seq and ack, and spares
   * the mispredicted end of a byte loop for every number.
   */
  private digitRun(b: Buffer, pos: number, end: number): number {
    let value = 0;
    const view = this.view;
    while (pos + 4 <= end) {
      const w = view.getInt32(pos, true);
      const other = nonDigits(w);
      const n = other === 0 ? 4 : firstByte(other);
      if (n === 0) break;
      value = value * POWERS_OF_TEN[n]! + digitsValue(w, n);
      pos += n;
      if (n < 4) {
        this.run = value;
        return pos;
      }
    }
    return this.lastDigits(b, pos, end, value);
  }

  /** digitRun() on the last bytes of the line, a byte at a time. */
  private lastDigits(b: Buffer, pos: number, end: number, value: number): number {
    while (pos < end) {
      const c = b[pos]!;
      if (c < ZERO || c > NINE) break;
      value = value * 10 + (c - ZERO);
      pos++;
    }
    this.run = value;
    return pos;
  }

  /** A non-negative integer up to `max` into this.num (-1 and a problem otherwise). */
  private uint(key: Key, max: number, b: Buffer, pos: number, end: number): number {
    const c = b[pos]!;
    if (c < ZERO || c > NINE) return this.notDigits(key, max, b, pos, end);
    const after = this.digitRun(b, pos, end);
    // a fraction, an exponent or a leading zero: the general way (which refuses the leading zero)
    const next = b[after]!;
    if (next === DOT || (next | 0x20) === 0x65 || (c === ZERO && after - pos > 1)) return this.slowUint(key, max, b, pos, end);
    if (this.run > max) return this.outOfRange(key, after);
    this.num = this.run;
    return after;
  }

  private outOfRange(key: Key, after: number): number {
    this.num = -1;
    this.fail(key);
    return after;
  }

  /** uint() of a value that does not start with a digit: a negative number, null, or another type. */
  private notDigits(key: Key, max: number, b: Buffer, pos: number, end: number): number {
    this.num = -1;
    if (b[pos] === MINUS) return this.slowUint(key, max, b, pos, end);
    return this.wrongType(key, b, pos, end);
  }

  /** A number with a sign, fraction or exponent: usable when it is still a whole number in range. */
  private slowUint(key: Key, max: number, b: Buffer, pos: number, end: number): number {
    const after = skipNumber(b, pos, end);
    if (after < 0) return INVALID;
    const value = Number(b.toString('latin1', pos, after));
    if (Number.isInteger(value) && value >= 0 && value <= max) {
      this.num = value === 0 ? 0 : value; // -0 is 0
    } else {
      this.num = -1;
      this.fail(key);
    }
    return after;
  }

  /** `ts` as tsSec, tsFrac and tsDigits, exactly as written. */
  private ts(b: Buffer, pos: number, end: number): number {
    const p = this.packet;
    let c = b[pos]!;
    if (c < ZERO || c > NINE) {
      if (c !== MINUS) return this.wrongType(Key.Ts, b, pos, end);
      const after = skipNumber(b, pos, end);
      if (after >= 0) this.fail(Key.Ts);
      return after;
    }
    const intStart = pos;
    pos = this.digitRun(b, pos, end);
    const sec = this.run;
    if (c === ZERO && pos - intStart > 1) return INVALID;
    let frac = 0;
    let digits = 0;
    if (pos < end && b[pos] === DOT) {
      const fracStart = pos + 1;
      pos = this.digitRun(b, fracStart, end);
      frac = this.run;
      digits = pos - fracStart;
      if (digits === 0) return INVALID;
    }
    // an exponent, more fraction digits than an exact integer holds, or seconds beyond one: the general way
    if ((pos < end && (b[pos]! | 0x20) === 0x65) || digits > MAX_TS_DIGITS || sec > Number.MAX_SAFE_INTEGER) return this.tsGeneral(b, intStart, end);
    p.tsSec = sec;
    p.tsFrac = frac;
    p.tsDigits = digits;
    this.sawTs = true;
    return pos;
  }

  /**
   * `ts` the general way, for an exponent (1.7e9), a long fraction (cut to
   * MAX_TS_DIGITS) or too many seconds: the decimal point is moved over the
   * digits, no double involved.
   */
  private tsGeneral(b: Buffer, pos: number, end: number): number {
    const after = skipNumber(b, pos, end);
    if (after < 0) return INVALID;
    let intEnd = pos;
    while (intEnd < after && isDigit(b[intEnd]!)) intEnd++;
    let fracEnd = intEnd;
    if (b[intEnd] === DOT) {
      fracEnd = intEnd + 1;
      while (fracEnd < after && isDigit(b[fracEnd]!)) fracEnd++;
    }
    const exponent = Number(b.toString('latin1', fracEnd + 1, after));
    // the digits, the integer part's then the fraction's, and where the point falls among them
    const intDigits = intEnd - pos;
    const fracFirst = b[intEnd] === DOT ? intEnd + 1 : intEnd;
    const total = intDigits + (fracEnd - fracFirst);
    const point = intDigits + exponent;
    if (point > 20) {
      this.fail(Key.Ts);
      return after;
    }
    let sec = 0;
    let frac = 0;
    let digits = point < 0 ? Math.min(-point, MAX_TS_DIGITS) : 0;
    for (let k = 0; k < total; k++) {
      const d = b[k < intDigits ? pos + k : fracFirst + (k - intDigits)]! - ZERO;
      if (k < point) sec = sec * 10 + d;
      else if (digits < MAX_TS_DIGITS) {
        frac = frac * 10 + d;
        digits++;
      }
    }
    for (let k = total; k < point; k++) sec *= 10;
    if (sec > Number.MAX_SAFE_INTEGER) {
      this.fail(Key.Ts);
      return after;
    }
    const p = this.packet;
    p.tsSec = sec;
    p.tsFrac = frac;
    p.tsDigits = digits;
    this.sawTs = true;
    return after;
  }

  /** A MAC into scratch[at]: this.num is `at`, or -1 with a problem. */
  private mac(key: Key, at: number, b: Buffer, pos: number, end: number): number {
    this.num = -1;
    if (b[pos] !== QUOTE) return this.wrongType(key, b, pos, end);
    const stop = scanMac(b, pos + 1, end, this.scratch, at);
    if (stop >= 0 && b[stop] === QUOTE) {
      this.num = at;
      return stop + 1;
    }
    return this.notAddress(key, b, pos, end);
  }

  /** An IP address into scratch[at]: this.num is its version, or 0 with a problem. */
  private ip(key: Key, at: number, b: Buffer, pos: number, end: number): number {
    this.num = 0;
    if (b[pos] !== QUOTE) return this.wrongType(key, b, pos, end);
    const stop = scanIP(this.view, b, pos + 1, end, this.scratch, at);
    if (stop >= 0 && b[stop] === QUOTE) {
      this.num = scannedVersion;
      return stop + 1;
    }
    return this.notAddress(key, b, pos, end);
  }

  /** An IPv4 address into scratch[at]: this.num is `at`, or -1 with a problem. */
  private ipv4(key: Key, at: number, b: Buffer, pos: number, end: number): number {
    this.num = -1;
    if (b[pos] !== QUOTE) return this.wrongType(key, b, pos, end);
    const stop = scanIPv4(b, pos + 1, end, this.scratch, at);
    if (stop >= 0 && b[stop] === QUOTE) {
      this.num = at;
      return stop + 1;
    }
    return this.notAddress(key, b, pos, end);
  }

  /** An IPv6 address into scratch[at]: this.num is `at`, or -1 with a problem. */
  private ipv6(key: Key, at: number, b: Buffer, pos: number, end: number): number {
    this.num = -1;
    if (b[pos] !== QUOTE) return this.wrongType(key, b, pos, end);
    const stop = scanIPv6(b, pos + 1, end, this.scratch, at);
    if (stop >= 0 && b[stop] === QUOTE) {
      this.num = at;
      return stop + 1;
    }
    return this.notAddress(key, b, pos, end);
  }

  /**
   * The string at b[pos] did not scan as an address: after it, with a problem
   * noted, unless an escape in it sends the line to the second pass.
   */
  private notAddress(key: Key, b: Buffer, pos: number, end: number): number {
    const q = this.stringValue(b, pos, end);
    if (q < 0) return q;
    this.fail(key);
    return q + 1;
  }

  private vlan(b: Buffer, pos: number, end: number): number {
    const p = this.packet;
    p.vlanCount = 0;
    if (b[pos] !== LBRACKET) {
      pos = this.uint(Key.Vlan, MAX_VLAN_ID, b, pos, end);
      if (this.num >= 0) {
        p.vlans[0] = this.num;
        p.vlanCount = 1;
      }
      return pos;
    }
    pos = ws(b, pos + 1, end);
    if (pos < end && b[pos] === RBRACKET) return pos + 1;
    let count = 0;
    let usable = true;
    for (;;) {
      if (pos >= end) return INVALID;
      pos = this.uint(Key.Vlan, MAX_VLAN_ID, b, pos, end);
      if (pos < 0) return pos;
      if (this.num < 0) {
        usable = false;
        this.fail(Key.Vlan); // (uint() has said so already, but for null)
      } else if (count < MAX_VLAN_TAGS) p.vlans[count] = this.num;
      count++;
      pos = ws(b, pos, end);
      if (pos < end && b[pos] === COMMA) {
        pos = ws(b, pos + 1, end);
        continue;
      }
      if (pos < end && b[pos] === RBRACKET) break;
      return INVALID;
    }
    // deeper stacks than the packet keeps are counted, as the decoder counts them
    p.vlanCount = usable ? count : 0;
    return pos + 1;
  }

  private eth(b: Buffer, pos: number, end: number): number {
    // "ipv4" and "ipv6", most records' two, as one word
    if (pos + 6 <= end && b[pos] === QUOTE && b[pos + 5] === QUOTE) {
      const word = this.view.getInt32(pos + 1, true);
      if (word === WORD_IPV4 || word === WORD_IPV6) {
        this.packet.ethertype = word === WORD_IPV4 ? 0x0800 : 0x86dd;
        return pos + 6;
      }
    }
    return this.otherEth(b, pos, end);
  }

  private otherEth(b: Buffer, pos: number, end: number): number {
    const p = this.packet;
    p.ethertype = -1;
    if (b[pos] !== QUOTE) return this.wrongType(Key.Eth, b, pos, end);
    const q = this.stringValue(b, pos, end);
    if (q < 0) return q;
    const s = pos + 1;
    const n = q - s;
    let type = -1;
    if (n >= 3 && n <= 6 && b[s] === ZERO && (b[s + 1]! | 0x20) === 0x78) {
      type = 0;
      for (let i = s + 2; i < q; i++) {
        const h = HEX[b[i]!]!;
        if (h < 0) {
          type = -1;
          break;
        }
        type = (type << 4) | h;
      }
    } else {
      type = ethertypeByName(b, s, q);
    }
    if (type >= 0) p.ethertype = type;
    else this.fail(Key.Eth);
    return q + 1;
  }

  private proto(b: Buffer, pos: number, end: number): number {
    // "tcp" and "udp", most records' two, as one word with its opening quote
    if (pos + 5 <= end && b[pos + 4] === QUOTE) {
      const word = this.view.getInt32(pos, true);
      if (word === WORD_TCP || word === WORD_UDP) {
        this.packet.proto = word === WORD_TCP ? 6 : 17;
        return pos + 5;
      }
    }
    return this.otherProto(b, pos, end);
  }

  private otherProto(b: Buffer, pos: number, end: number): number {
    const p = this.packet;
    if (b[pos] !== QUOTE) {
      pos = this.uint(Key.Proto, 255, b, pos, end);
      p.proto = this.num;
      return pos;
    }
    p.proto = -1;
    const q = this.stringValue(b, pos, end);
    if (q < 0) return q;
    for (let i = 0; i < PROTO_NAMES.length; i++) {
      const entry = PROTO_NAMES[i]!;
      if (equalBytes(b, pos + 1, q, entry.name)) {
        p.proto = entry.proto;
        break;
      }
    }
    if (p.proto < 0) this.fail(Key.Proto);
    return q + 1;
  }

  private flags(b: Buffer, pos: number, end: number): number {
    const p = this.packet;
    p.tcpFlags = -1;
    if (b[pos] !== QUOTE) return this.wrongType(Key.Flags, b, pos, end);
    const q = this.stringValue(b, pos, end);
    if (q < 0) return q;
    let flags = 0;
    for (let i = pos + 1; i < q; i++) {
      const bit = FLAG_BIT[b[i]!]!;
      if (bit === 0) {
        this.fail(Key.Flags);
        return q + 1;
      }
      flags |= bit;
    }
    p.tcpFlags = flags;
    return q + 1;
  }

  /** The `arp` object: op and the four addresses, keys in any order. */
  private arp(b: Buffer, pos: number, end: number): number {
    const p = this.packet;
    p.arpOp = -1;
    p.arpShaOff = -1;
    p.arpSpaOff = -1;
    p.arpThaOff = -1;
    p.arpTpaOff = -1;
    if (b[pos] !== LBRACE) return this.wrongType(Key.Arp, b, pos, end);
    return this.members(Key.Arp, b, pos, end);
  }

  /** The `nd` object: target, prefixes and lla, keys in any order. */
  private nd(b: Buffer, pos: number, end: number): number {
    const p = this.packet;
    p.ndTargetOff = -1;
    p.ndLlaOff = -1;
    p.ndPrefixCount = 0;
    if (b[pos] !== LBRACE) return this.wrongType(Key.Nd, b, pos, end);
    return this.members(Key.Nd, b, pos, end);
  }

  /** The members of the `arp` or `nd` object at b[pos] ('{'). */
  private members(parent: Key, b: Buffer, pos: number, end: number): number {
    const p = this.packet;
    pos = ws(b, pos + 1, end);
    if (pos < end && b[pos] === RBRACE) return pos + 1;
    for (;;) {
      if (pos >= end || b[pos] !== QUOTE) return INVALID;
      pos = this.readKey(b, pos, end, NESTED_BY_LETTERS);
      if (pos < 0) return pos;
      if (b[pos]! <= SPACE) pos = ws(b, pos, end);
      if (pos >= end) return INVALID;
      let key = this.key;
      if (parent === Key.Arp ? key < Key.Op || key > Key.Tpa : key < Key.Target) key = Key.Unknown;
      switch (key) {
        case Key.Op:
          pos = this.uint(key, MAX_U16, b, pos, end);
          p.arpOp = this.num;
          break;
        case Key.Sha:
          pos = this.mac(key, ARP_SHA_AT, b, pos, end);
          p.arpShaOff = this.num;
          break;
        case Key.Tha:
          pos = this.mac(key, ARP_THA_AT, b, pos, end);
          p.arpThaOff = this.num;
          break;
        case Key.Spa:
          pos = this.ipv4(key, ARP_SPA_AT, b, pos, end);
          p.arpSpaOff = this.num;
          break;
        case Key.Tpa:
          pos = this.ipv4(key, ARP_TPA_AT, b, pos, end);
          p.arpTpaOff = this.num;
          break;
        case Key.Target:
          pos = this.ipv6(key, ND_TARGET_AT, b, pos, end);
          p.ndTargetOff = this.num;
          break;
        case Key.Lla:
          pos = this.mac(key, ND_LLA_AT, b, pos, end);
          p.ndLlaOff = this.num;
          break;
        case Key.Prefixes:
          pos = this.prefixes(b, pos, end);
          break;
        default:
          pos = this.skip(b, pos, end);
      }
      if (pos < 0) return pos;
      pos = ws(b, pos, end);
      if (pos < end && b[pos] === COMMA) {
        pos = ws(b, pos + 1, end);
        continue;
      }
      if (pos < end && b[pos] === RBRACE) return pos + 1;
      return INVALID;
    }
  }

  /** nd.prefixes: ["2001:db8::/64", …]; a bad entry is left out (with a problem), the rest kept. */
  private prefixes(b: Buffer, pos: number, end: number): number {
    const p = this.packet;
    p.ndPrefixCount = 0;
    if (b[pos] !== LBRACKET) return this.wrongType(Key.Prefixes, b, pos, end);
    pos = ws(b, pos + 1, end);
    if (pos < end && b[pos] === RBRACKET) return pos + 1;
    let count = 0;
    for (;;) {
      if (pos >= end) return INVALID;
      if (b[pos] !== QUOTE) {
        pos = this.wrongType(Key.Prefixes, b, pos, end);
        if (pos < 0) return pos;
      } else {
        const q = this.stringValue(b, pos, end);
        if (q < 0) return q;
        if (this.prefix(b, pos + 1, q, count)) count++;
        else this.fail(Key.Prefixes);
        pos = q + 1;
      }
      pos = ws(b, pos, end);
      if (pos < end && b[pos] === COMMA) {
        pos = ws(b, pos + 1, end);
        continue;
      }
      if (pos < end && b[pos] === RBRACKET) break;
      return INVALID;
    }
    p.ndPrefixCount = count;
    return pos + 1;
  }

  /** One "address/length" into prefix slot `index` (when there is one: beyond MAX_ND_PREFIXES it is only checked). */
  private prefix(b: Buffer, s: number, e: number, index: number): boolean {
    let slash = e - 1;
    while (slash > s && b[slash] !== SLASH) slash--;
    const digits = e - slash - 1;
    if (slash <= s || digits < 1 || digits > 3 || (digits > 1 && b[slash + 1] === ZERO)) return false;
    let length = 0;
    for (let i = slash + 1; i < e; i++) {
      const c = b[i]!;
      if (c < ZERO || c > NINE) return false;
      length = length * 10 + (c - ZERO);
    }
    // the decoder keeps the option's length byte as it is, even above 128
    if (length > 255) return false;
    // beyond the slots the packet keeps, the address is only checked (and counted, as the decoder counts it)
    if (index >= MAX_ND_PREFIXES) return scanIPv6(b, s, slash, UNKEPT_PREFIX, 0) === slash;
    const at = ND_PREFIXES_AT + index * 16;
    if (scanIPv6(b, s, slash, this.scratch, at) !== slash) return false;
    this.packet.ndPrefixOffs[index] = at;
    this.packet.ndPrefixLens[index] = length;
    return true;
  }

  /** After the JSON value at b[pos] of any type and depth, checked as JSON.parse would, or INVALID. */
  private skip(b: Buffer, pos: number, end: number): number {
    let depth = 0;
    value: for (;;) {
      pos = ws(b, pos, end);
      if (pos >= end) return INVALID;
      const c = b[pos]!;
      if (c === QUOTE) {
        pos = skipString(b, pos, end);
      } else if (c === LBRACE || c === LBRACKET) {
        if (depth === this.stack.length) {
          const deeper = new Uint8Array(this.stack.length * 2);
          deeper.set(this.stack);
          this.stack = deeper;
        }
        const isObject = c === LBRACE;
        this.stack[depth++] = isObject ? 1 : 0;
        pos = ws(b, pos + 1, end);
        if (pos < end && b[pos] === (isObject ? RBRACE : RBRACKET)) {
          depth--;
          pos++;
        } else if (isObject) {
          pos = skipMemberKey(b, pos, end);
          if (pos < 0) return INVALID;
          continue value;
        } else {
          continue value;
        }
      } else if (c === MINUS || isDigit(c)) {
        pos = skipNumber(b, pos, end);
      } else {
        pos = skipLiteral(b, pos, end);
      }
      if (pos < 0) return INVALID;
      // after a value: close what ends here, or go on to the next element
      for (;;) {
        if (depth === 0) return pos;
        pos = ws(b, pos, end);
        if (pos >= end) return INVALID;
        const d = b[pos]!;
        const inObject = this.stack[depth - 1] === 1;
        if (d === COMMA) {
          pos++;
          if (inObject) {
            pos = skipMemberKey(b, ws(b, pos, end), end);
            if (pos < 0) return INVALID;
          }
          continue value;
        }
        if (d !== (inObject ? RBRACE : RBRACKET)) return INVALID;
        depth--;
        pos++;
      }
    }
  }

  /**
   * Copy buf[start, end) into this.unescaped with the escapes of its strings
   * decoded, except those JSON requires (quote, backslash, control characters)
   * and lone surrogates, which stay as written. Returns the length, or INVALID
   * for an escape JSON does not allow. Decoding never lengthens the text.
   */
  private unescape(b: Buffer, start: number, end: number): number {
    if (this.unescaped.length < end - start) this.unescaped = Buffer.alloc(Math.max(end - start, 2 * this.unescaped.length));
    const out = this.unescaped;
    let o = 0;
    let inString = false;
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (!inString) {
        if (c === QUOTE) inString = true;
        out[o++] = c;
        continue;
      }
      if (c === QUOTE) inString = false;
      if (c !== BACKSLASH) {
        out[o++] = c;
        continue;
      }
      if (i + 1 >= end) return INVALID;
      const x = b[i + 1];
      if (x === QUOTE || x === BACKSLASH || x === 0x62 || x === 0x66 || x === 0x6e || x === 0x72 || x === 0x74) {
        out[o++] = c;
        out[o++] = x;
        i++;
      } else if (x === SLASH) {
        out[o++] = SLASH;
        i++;
      } else if (x === 0x75) {
        const unit = hex4(b, i + 2, end);
        if (unit < 0) return INVALID;
        let code = unit;
        let length = 6;
        if (unit >= 0xd800 && unit < 0xdc00 && b[i + 6] === BACKSLASH && b[i + 7] === 0x75) {
          const low = hex4(b, i + 8, end);
          if (low >= 0xdc00 && low < 0xe000) {
            code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
            length = 12;
          }
        }
        if (code < SPACE || code === QUOTE || code === BACKSLASH || (code >= 0xd800 && code < 0xe000)) {
          // stays escaped
          for (let k = 0; k < 6; k++) out[o++] = b[i + k]!;
        } else {
          o = putUtf8(out, o, code);
        }
        i += length - 1;
      } else {
        return INVALID;
      }
    }
    return o;
  }
}

/** The four hex digits at b[pos] as a number, or -1. */
function hex4(b: Buffer, pos: number, end: number): number {
  if (pos + 4 > end) return -1;
  let v = 0;
  for (let i = pos; i < pos + 4; i++) {
    const h = HEX[b[i]!]!;
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

function putUtf8(out: Buffer, o: number, code: number): number {
  if (code < 0x80) {
    out[o++] = code;
  } else if (code < 0x800) {
    out[o++] = 0xc0 | (code >> 6);
    out[o++] = 0x80 | (code & 0x3f);
  } else if (code < 0x10000) {
    out[o++] = 0xe0 | (code >> 12);
    out[o++] = 0x80 | ((code >> 6) & 0x3f);
    out[o++] = 0x80 | (code & 0x3f);
  } else {
    out[o++] = 0xf0 | (code >> 18);
    out[o++] = 0x80 | ((code >> 12) & 0x3f);
    out[o++] = 0x80 | ((code >> 6) & 0x3f);
    out[o++] = 0x80 | (code & 0x3f);
  }
  return o;
}
