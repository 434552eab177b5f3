/**
 * trk-threshold's configuration file: ipband.conf, read as ipband reads it,
 * plus trk's own keywords for iptrk's alarms and the memory bounds.
 *
 * One line, one setting: a keyword (any case), blanks, and the value, which
 * is the rest of the line with its ends trimmed (ipband's get_two_tok splits
 * the first token from the rest the same way). Blank lines and lines whose
 * first token starts with `#` are skipped, and a `#` after a blank later on
 * a line starts a comment, except in the values of `filter`, `htmltitle` and
 * `mtastring`, which keep it (a BPF expression or a title may hold one).
 * CRLF line ends and a leading byte-order mark are accepted.
 *
 * CONFIG_KEYWORDS is the one table: parseConfig reads lines with it, and
 * manConfigSection writes the man page's CONFIGURATION section from it, so
 * the two cannot drift apart. The value parsers (parseYesNo, parseIntIn …)
 * are exported for the command line, so `-b fast` and `bandwidth fast` are
 * refused in the same words: they throw ConfigValueError, whose `reason`
 * the caller prefixes with where the value came from.
 */
import fs from 'node:fs';
import { InputError } from '../capture/source.js';
import { roffEscape } from '../cli/options.js';
import { ipv4Text, ipv6Text } from '../format/addr.js';
import { BadNetworkError, parseAddress, parseNetworks } from '../net/prefixes.js';
import { DEFAULT_SETTINGS, defaultSettings, type SilentWatch, type ThresholdSettings } from './types.js';

/** A configuration file that cannot be used: one line for stderr, exit 1. */
export class ConfigError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * A value that cannot be used, said without saying where it came from:
 * `reason` reads "'fast' is not a number of kB/s"; parseConfig prefixes
 * "FILE:LINE: KEYWORD: ", the command line its option.
 */
export class ConfigValueError extends ConfigError {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ConfigValueError';
  }
}

// ---- value parsers (shared with the command line)

const YES = new Set(['yes', 'true', 'on', '1']);
const NO = new Set(['no', 'false', 'off', '0']);

/** yes/no, true/false, on/off, 1/0, in any case. */
export function parseYesNo(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (YES.has(t)) return true;
  if (NO.has(t)) return false;
  throw new ConfigValueError(`'${text}' is not yes or no`);
}

function rangeText(min: number, max: number, what: string | undefined, minExclusive = false): string {
  const unit = what === undefined ? '' : ` ${what}`;
  if (minExclusive) return `more than ${min}${unit}`;
  if (max === Infinity || max === Number.MAX_SAFE_INTEGER) return `${min} or more${unit}`;
  return `${min} to ${max}${unit}`;
}

const INTEGER = /^-?\d+$/;

/**
 * A whole number from min to max (max Infinity: no bound). `what` names the
 * unit in messages ("seconds"): "'1.5' is not a whole number of seconds".
 * Stricter than ipband's atoi, which read "60s" as 60 and "fast" as 0.
 */
export function parseIntIn(text: string, min: number, max: number, what?: string): number {
  const t = text.trim();
  if (!INTEGER.test(t)) throw new ConfigValueError(`'${text}' is not a whole number${what === undefined ? '' : ` of ${what}`}`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new ConfigValueError(`'${text}' is too large`);
  if (n < min || n > max) throw new ConfigValueError(`'${text}' is out of range: ${rangeText(min, max, what)}`);
  return n === 0 ? 0 : n; // no -0 from "-0"
}

const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A decimal number (no exponent, no hex) from min to max; with minExclusive
 * it must be more than min. "'fast' is not a number of kB/s".
 */
export function parseNumberIn(text: string, min: number, max: number, what?: string, minExclusive = false): number {
  const t = text.trim();
  if (!DECIMAL.test(t)) throw new ConfigValueError(`'${text}' is not a number${what === undefined ? '' : ` of ${what}`}`);
  const n = Number(t);
  if (!Number.isFinite(n)) throw new ConfigValueError(`'${text}' is too large`);
  if (n < min || n > max || (minExclusive && n === min)) {
    throw new ConfigValueError(`'${text}' is out of range: ${rangeText(min, max, what, minExclusive)}`);
  }
  return n === 0 ? 0 : n;
}

/** A bandwidth in kB/s (kB = 1024 bytes), 0 or more, decimals allowed: ipband's -b and `bandwidth`. */
export function parseKBps(text: string): number {
  return parseNumberIn(text, 0, Infinity, 'kB/s');
}

const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const textScratch = Buffer.alloc(16);

/**
 * One host address, in canonical text (IPv4 dotted, IPv6 RFC 5952), for
 * `subnet`, `watch` and --silent. IPv4 must be a whole dotted quad (ipband
 * reads it with sscanf "%d.%d.%d.%d", so a partial address or a /len is
 * refused there too); leading zeros are refused, since inet_aton would read
 * them as octal and ipband as decimal.
 */
export function parseHostAddress(text: string): { address: string; version: 4 | 6 } {
  const t = text.trim();
  if (t.includes('/')) {
    throw new ConfigValueError(`'${text}' is not an IPv4 or IPv6 address (the prefix length comes from maskbits or mask6)`);
  }
  if (t.includes('%')) throw new ConfigValueError(`'${text}' is not an IPv4 or IPv6 address (leave out the zone)`);
  if (!t.includes(':')) {
    const m = DOTTED_QUAD.exec(t);
    if (m === null || m.slice(1, 5).some((part) => Number(part) > 255)) {
      throw new ConfigValueError(`'${text}' is not an IPv4 or IPv6 address`);
    }
    for (let i = 0; i < 4; i++) textScratch[i] = Number(m[i + 1]);
    return { address: ipv4Text(textScratch, 0), version: 4 };
  }
  const a = parseAddress(t);
  if (a === undefined || a.version !== 6) throw new ConfigValueError(`'${text}' is not an IPv4 or IPv6 address`);
  textScratch.writeBigUInt64BE(a.value >> 64n, 0);
  textScratch.writeBigUInt64BE(a.value & 0xffff_ffff_ffff_ffffn, 8);
  return { address: ipv6Text(textScratch, 0), version: 6 };
}

/** Seconds a watched address may stay silent: a whole number, 1 or more. */
function parseSilentSeconds(text: string): number {
  return parseIntIn(text, 1, Infinity, 'seconds');
}

/**
 * --silent ADDRESS:SECONDS. An IPv6 address goes in brackets,
 * [2001:db8::1]:30: without them "2001:db8::1:30" is itself an address, so
 * where the address ends cannot be told.
 */
export function parseSilentSpec(text: string): SilentWatch {
  const t = text.trim();
  let addressText: string;
  let secondsText: string;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0 || t[close + 1] !== ':') {
      throw new ConfigValueError(`'${text}' is not ADDRESS:SECONDS ([IPv6]:SECONDS for IPv6)`);
    }
    addressText = t.slice(1, close);
    secondsText = t.slice(close + 2);
    if (!addressText.includes(':')) throw new ConfigValueError(`'${text}': only an IPv6 address goes in brackets`);
  } else {
    const colon = t.lastIndexOf(':');
    if (colon < 0) throw new ConfigValueError(`'${text}' is not ADDRESS:SECONDS`);
    addressText = t.slice(0, colon);
    secondsText = t.slice(colon + 1);
    if (addressText.includes(':')) {
      throw new ConfigValueError(`'${text}': put an IPv6 address in brackets, as in [2001:db8::1]:30`);
    }
  }
  return { address: parseHostAddress(addressText).address, seconds: parseSilentSeconds(secondsText) };
}

/** ipband's -L / `localrange`: checked with parseNetworks, returned as written (trimmed). */
export function parseLocalrange(text: string): string {
  const t = text.trim();
  try {
    parseNetworks(t);
  } catch (e) {
    if (e instanceof BadNetworkError) throw new ConfigValueError(e.message);
    throw e;
  }
  return t;
}

/** ipband's -M / `mailto`: addresses separated by commas (blanks after a comma dropped). */
export function parseMailto(text: string): string {
  const items = text.split(',').map((s) => s.trim());
  for (const item of items) {
    if (item === '') throw new ConfigValueError(`'${text}' has an empty address`);
    if (/\s/.test(item)) throw new ConfigValueError(`'${item}' is not one address (separate addresses with commas)`);
  }
  return items.join(',');
}

/** A value that must be one word: an interface name. */
function oneWord(text: string, what: string): string {
  if (/\s/.test(text)) throw new ConfigValueError(`'${text}' is not one ${what}`);
  return text;
}

/**
 * ipband's -T / `mtastring`: one pair of surrounding double quotes is
 * stripped, as ipband does (its sample writes the command quoted). A `#`
 * is kept, inside the quotes or in an unquoted command; after the closing
 * quote only a comment may follow.
 */
export function parseMtaString(text: string): string {
  const t = text.trim();
  let command = t;
  if (t.startsWith('"')) {
    const close = t.indexOf('"', 1);
    if (close < 0) throw new ConfigValueError(`'${text}' has no closing double quote`);
    const after = t.slice(close + 1).trim();
    if (after !== '' && !after.startsWith('#')) {
      throw new ConfigValueError(`'${text}' has text after the closing double quote`);
    }
    command = t.slice(1, close).trim();
  }
  if (command === '') throw new ConfigValueError('the MTA command is empty');
  return command;
}

/** The words of a `subnet`/`watch` line: ADDRESS, the literal middle word, a number. */
function threeWords(value: string, middle: string, form: string): [string, string] {
  const words = value.split(/\s+/);
  if (words.length !== 3 || words[1]!.toLowerCase() !== middle) {
    throw new ConfigValueError(`'${value}' is not ${form}`);
  }
  return [words[0]!, words[2]!];
}

// ---- the keyword table

export interface ConfigKeyword {
  /** As written in the file (matched in any case). */
  keyword: string;
  /** The value's placeholder in the man page: UPPER CASE for what the operator fills in. */
  arg: string;
  /** One or two sentences for the man page. */
  help: string;
  /** The equivalent command-line option ("-b", "--mask6"), when there is one. */
  option?: string;
  /** The settings field it sets, for the default shown in the man page (and the tests). */
  field?: keyof ThresholdSettings;
  /** `#` in the value is part of it, not a comment. */
  keepsHash?: boolean;
  /** Read the value (trimmed, comment removed, not empty) into settings; throws ConfigValueError. */
  apply(value: string, settings: ThresholdSettings, where: string): void;
}

const KEEPS_HASH = ' A # in the value is part of it, not a comment.';

export const CONFIG_KEYWORDS: readonly ConfigKeyword[] = Object.freeze([
  // ---- ipband's, in its manual's order
  {
    keyword: 'interface',
    arg: 'NAME',
    help: 'The interface to capture on.',
    option: '-i',
    field: 'interface',
    apply: (v, s) => {
      s.interface = oneWord(v, 'interface name');
    },
  },
  {
    keyword: 'promisc',
    arg: 'yes|no',
    help: 'Whether to put the interface in promiscuous mode; -P turns it off.',
    option: '-P',
    field: 'promisc',
    apply: (v, s) => {
      s.promisc = parseYesNo(v);
    },
  },
  {
    keyword: 'debug',
    arg: '0-3',
    help: 'Debug level: 0 none, 1 a summary, 2 the subnet table every averaging period, 3 every packet.',
    option: '-d',
    field: 'debug',
    apply: (v, s) => {
      s.debug = parseIntIn(v, 0, 3);
    },
  },
  {
    keyword: 'fork',
    arg: 'yes|no',
    help: 'Whether to run in the background.',
    option: '-F',
    field: 'fork',
    apply: (v, s) => {
      s.fork = parseYesNo(v);
    },
  },
  {
    keyword: 'filter',
    arg: 'BPF...',
    help: 'A pcap filter expression (see pcap-filter(7)): the rest of the line.' + KEEPS_HASH,
    option: '-f',
    field: 'filter',
    keepsHash: true,
    apply: (v, s) => {
      s.filter = v;
    },
  },
  {
    keyword: 'outfile',
    arg: 'FILE',
    help: 'Append the text reports to this file.',
    option: '-o',
    field: 'outfile',
    apply: (v, s) => {
      s.outfile = v;
    },
  },
  {
    keyword: 'htmlfile',
    arg: 'FILE',
    help: 'Rewrite this HTML page every averaging period.',
    option: '-w',
    field: 'htmlfile',
    apply: (v, s) => {
      s.htmlfile = v;
    },
  },
  {
    keyword: 'htmltitle',
    arg: 'TEXT...',
    help: 'The title of the HTML page: the rest of the line.' + KEEPS_HASH,
    option: '--htmltitle',
    field: 'htmltitle',
    keepsHash: true,
    apply: (v, s) => {
      s.htmltitle = v;
    },
  },
  {
    keyword: 'bandwidth',
    arg: 'KBPS',
    help: 'The default threshold in kB/s (kB = 1024 bytes), decimals allowed.',
    option: '-b',
    field: 'bandwidth',
    apply: (v, s) => {
      s.bandwidth = parseKBps(v);
    },
  },
  {
    keyword: 'average',
    arg: 'SECONDS',
    help: 'The averaging period: how often each subnet\'s bandwidth is worked out and judged.',
    option: '-a',
    field: 'average',
    apply: (v, s) => {
      s.average = parseIntIn(v, 1, Infinity, 'seconds');
    },
  },
  {
    keyword: 'lenadj',
    arg: 'BYTES',
    help: 'Added to every frame\'s length, negative to take bytes off: for measuring a link whose framing differs from the capture interface\'s.',
    option: '-J',
    field: 'lenadj',
    // No link's framing differs from another's by 64 KiB: a bigger value is a typo.
    apply: (v, s) => {
      s.lenadj = parseIntIn(v, -65535, 65535, 'bytes');
    },
  },
  {
    keyword: 'report',
    arg: 'SECONDS',
    help: 'How long a subnet may stay over its threshold before its report is written.',
    option: '-r',
    field: 'report',
    apply: (v, s) => {
      s.report = parseIntIn(v, 1, Infinity, 'seconds');
    },
  },
  {
    keyword: 'top',
    arg: 'N',
    help: 'The connections a report lists, most bytes first; 0 lists them all.',
    option: '-t',
    field: 'top',
    apply: (v, s) => {
      s.top = parseIntIn(v, 0, Infinity, 'connections');
    },
  },
  {
    keyword: 'accumulate',
    arg: 'yes|no',
    help: 'Whether reports give the time over threshold accumulated since the start, and its share (with subnet lines only, as in ipband).',
    option: '-A',
    field: 'accumulate',
    apply: (v, s) => {
      s.accumulate = parseYesNo(v);
    },
  },
  {
    keyword: 'mailto',
    arg: 'ADDR[,ADDR...]',
    help: 'Mail reports to these addresses, separated by commas.',
    option: '-M',
    field: 'mailto',
    apply: (v, s) => {
      s.mailto = parseMailto(v);
    },
  },
  {
    keyword: 'mailfoot',
    arg: 'FILE',
    help: 'A file appended to every mailed report.',
    option: '-l',
    field: 'mailfoot',
    apply: (v, s) => {
      s.mailfoot = v;
    },
  },
  {
    keyword: 'mtastring',
    arg: '"COMMAND"',
    help: 'The command that mails a report, split into words and run without a shell; one pair of surrounding double quotes is removed. A # in the command is part of it; after a quoted command a comment may follow.',
    option: '-T',
    field: 'mtastring',
    keepsHash: true,
    apply: (v, s) => {
      s.mtastring = parseMtaString(v);
    },
  },
  {
    keyword: 'maskbits',
    arg: '1-32',
    help: 'The prefix length that groups IPv4 addresses into subnets.',
    option: '-m',
    field: 'maskbits',
    apply: (v, s) => {
      s.maskbits = parseIntIn(v, 1, 32, 'bits');
    },
  },
  {
    keyword: 'localrange',
    arg: 'RANGES',
    help: 'The addresses counted as local, in -L\'s syntax: addresses, partial addresses (137.99.11), CIDR blocks, LOW-HIGH ranges, separated by commas or colons. Several lines add up.',
    option: '-L',
    field: 'localrange',
    apply: (v, s) => {
      s.localrange.push(parseLocalrange(v));
    },
  },
  {
    keyword: 'subnet',
    arg: 'ADDRESS bandwidth KBPS',
    help: 'Watch only the subnets named on such lines, this one with its own threshold (0: the default one); the prefix length comes from maskbits, or mask6 for an IPv6 address. A subnet named again takes the later threshold.',
    field: 'subnets',
    apply(v, s, where) {
      const [addressText, kbpsText] = threeWords(v, 'bandwidth', 'ADDRESS bandwidth KBPS');
      const { address, version } = parseHostAddress(addressText);
      const threshold = { address, version, bandwidth: parseKBps(kbpsText), where };
      const i = s.subnets.findIndex((t) => t.address === address);
      if (i >= 0) s.subnets[i] = threshold;
      else s.subnets.push(threshold);
    },
  },

  // ---- trk's own
  {
    keyword: 'mask6',
    arg: '1-128',
    help: 'The prefix length that groups IPv6 addresses into subnets.',
    option: '--mask6',
    field: 'mask6',
    apply: (v, s) => {
      s.mask6 = parseIntIn(v, 1, 128, 'bits');
    },
  },
  {
    keyword: 'hammer-kbps',
    arg: 'KBPS',
    help: 'Raise HOST hammered when a local address receives more than this many kB/s from outside over an averaging period.',
    option: '--hammer-kbps',
    field: 'hammerKBps',
    apply: (v, s) => {
      s.hammerKBps = parseNumberIn(v, 0, Infinity, 'kB/s', true);
    },
  },
  {
    keyword: 'hammer-pps',
    arg: 'PPS',
    help: 'Raise HOST hammered when a local address receives more than this many packets a second from outside.',
    option: '--hammer-pps',
    field: 'hammerPps',
    apply: (v, s) => {
      s.hammerPps = parseNumberIn(v, 0, Infinity, 'packets/s', true);
    },
  },
  {
    keyword: 'hammer-top',
    arg: 'N',
    help: 'The sources a HOST hammered alert names, most bytes first.',
    option: '--hammer-top',
    field: 'hammerTop',
    apply: (v, s) => {
      s.hammerTop = parseIntIn(v, 1, Infinity, 'sources');
    },
  },
  {
    keyword: 'watch',
    arg: 'ADDRESS silent SECONDS',
    help: 'Raise HOST silent when this address has sent nothing for that long. An address watched again takes the later time.',
    option: '--silent',
    field: 'watches',
    apply(v, s) {
      const [addressText, secondsText] = threeWords(v, 'silent', 'ADDRESS silent SECONDS');
      const watch = { address: parseHostAddress(addressText).address, seconds: parseSilentSeconds(secondsText) };
      const i = s.watches.findIndex((w) => w.address === watch.address);
      if (i >= 0) s.watches[i] = watch;
      else s.watches.push(watch);
    },
  },
  {
    keyword: 'synflood',
    arg: 'SYNS_PER_SECOND',
    help: 'Raise TCP synflood when an address receives more than this many SYNs a second that complete no handshake, over an averaging period.',
    option: '--synflood',
    field: 'synflood',
    apply: (v, s) => {
      s.synflood = parseNumberIn(v, 1, Infinity, 'SYNs/s');
    },
  },
  {
    keyword: 'scan-ports',
    arg: 'N',
    help: 'Raise NET scan when one source probes more than this many distinct address and port pairs in an averaging period.',
    option: '--scan-ports',
    field: 'scanPorts',
    apply: (v, s) => {
      s.scanPorts = parseIntIn(v, 1, Infinity, 'ports');
    },
  },
  {
    keyword: 'scan-hosts',
    arg: 'N',
    help: 'Raise NET scan when one source probes more than this many distinct addresses in an averaging period.',
    option: '--scan-hosts',
    field: 'scanHosts',
    apply: (v, s) => {
      s.scanHosts = parseIntIn(v, 1, Infinity, 'hosts');
    },
  },
  {
    keyword: 'max-subnets',
    arg: 'N',
    help: 'The most subnets tracked at once.',
    option: '--max-subnets',
    field: 'maxSubnets',
    apply: (v, s) => {
      s.maxSubnets = parseIntIn(v, 1, Infinity, 'subnets');
    },
  },
  {
    keyword: 'max-conns',
    arg: 'N',
    help: 'The most connections kept in detail across all subnets being logged.',
    option: '--max-conns',
    field: 'maxConns',
    apply: (v, s) => {
      s.maxConns = parseIntIn(v, 1, Infinity, 'connections');
    },
  },
  {
    keyword: 'max-hosts',
    arg: 'N',
    help: 'The most addresses each alarm table (hammered, synflood, scan) keeps at once.',
    option: '--max-hosts',
    field: 'maxHosts',
    apply: (v, s) => {
      s.maxHosts = parseIntIn(v, 1, Infinity, 'hosts');
    },
  },
] satisfies ConfigKeyword[]);

const BY_NAME = new Map(CONFIG_KEYWORDS.map((k) => [k.keyword, k]));

/** The table entry for a keyword, in any case. */
export function findKeyword(name: string): ConfigKeyword | undefined {
  return BY_NAME.get(name.toLowerCase());
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The keyword nearest a misspelt one (edit distance 2 or less; the first in the table on a tie). */
function nearestKeyword(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of CONFIG_KEYWORDS) {
    const d = editDistance(name.toLowerCase(), k.keyword);
    if (d < bestDistance) {
      best = k.keyword;
      bestDistance = d;
    }
  }
  return best;
}

// ---- reading a file

/** A `#` after a blank starts a comment (the line's first token is handled before). */
function withoutComment(value: string): string {
  const m = /\s#/.exec(value);
  return m === null ? value : value.slice(0, m.index);
}

/**
 * The settings of `into` (the defaults when not given) with the file's lines
 * applied in order; `into` itself is left alone. `file` names the file in
 * messages. Throws ConfigError for the first line that cannot be used:
 * "ipband.conf:7: bandwidth: 'fast' is not a number of kB/s".
 */
export function parseConfig(text: string, file: string, into: ThresholdSettings = defaultSettings()): ThresholdSettings {
  const settings = structuredClone(into);
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${file}:${i + 1}`;
    const blank = line.search(/\s/);
    const name = blank < 0 ? line : line.slice(0, blank);
    const entry = findKeyword(name);
    if (entry === undefined) {
      const near = nearestKeyword(name);
      throw new ConfigError(`${where}: unknown keyword '${name}'${near === undefined ? '' : ` (did you mean ${near}?)`}`);
    }
    const rest = blank < 0 ? '' : line.slice(blank);
    const value = (entry.keepsHash ? rest : withoutComment(rest)).trim();
    if (value === '') throw new ConfigError(`${where}: ${entry.keyword}: missing value (${entry.keyword} ${entry.arg})`);
    try {
      entry.apply(value, settings, where);
    } catch (e) {
      if (e instanceof ConfigValueError) throw new ConfigError(`${where}: ${entry.keyword}: ${e.reason}`);
      throw e;
    }
  }
  return settings;
}

/** More than any configuration file needs: a bound for `-c /dev/zero` and the like. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Why a file could not be read, in a few words. */
function readFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return err.message;
  }
}

/**
 * The file's bytes, read in chunks so that a device or a pipe given by
 * mistake ends with an error rather than filling memory, and a binary file
 * is refused at its first NUL.
 */
function readTextBytes(path: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new ConfigError(`cannot read ${path}: ${readFailure(e)}`);
  }
  try {
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        throw new ConfigError(`cannot read ${path}: ${readFailure(e)}`);
      }
      if (n === 0) break;
      const nul = chunk.subarray(0, n).indexOf(0);
      if (nul >= 0) throw new ConfigError(`${path}: not a text file (NUL byte at offset ${total + nul})`);
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_CONFIG_BYTES) throw new ConfigError(`${path}: too large for a configuration file (over ${MAX_CONFIG_BYTES} bytes)`);
    }
  } finally {
    fs.closeSync(fd);
  }
  return Buffer.concat(chunks, total);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Read a configuration file onto `into` (the defaults when not given).
 * UTF-8, or Latin-1 when the bytes are not UTF-8 (ipband read bytes, and an
 * old file's htmltitle may be Latin-1). A file that cannot be read, or is
 * not text, is a ConfigError: "cannot read ipband.conf: no such file".
 */
export function readConfigFile(path: string, into?: ThresholdSettings): ThresholdSettings {
  const bytes = readTextBytes(path);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = bytes.toString('latin1');
  }
  return parseConfig(text, path, into);
}

/** Where ipband looks for its configuration when -c names none. */
export const DEFAULT_CONFIG = '/etc/ipband.conf';

/** The default configuration file when it exists (ipband reads it when present; -c names another, -C skips it). */
export function defaultConfigPath(candidate: string = DEFAULT_CONFIG): string | undefined {
  return fs.existsSync(candidate) ? candidate : undefined;
}

// ---- the man page

/** The placeholder in roff: words the operator types as they are in bold, the rest in italics. */
function roffArg(arg: string): string {
  return arg
    .split(' ')
    .map((word) => (/^[a-z]+$/.test(word) ? `\\fB${roffEscape(word)}\\fR` : `\\fI${roffEscape(word)}\\fR`))
    .join(' ');
}

/** A default worth printing: a scalar the table's field has in DEFAULT_SETTINGS. */
function defaultText(entry: ConfigKeyword): string | undefined {
  if (entry.field === undefined) return undefined;
  const value = DEFAULT_SETTINGS[entry.field];
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `"${value}"`;
  return undefined;
}

/**
 * The man page's CONFIGURATION section body (roff, no .SH): the syntax,
 * then a .TP per keyword with its argument, meaning, default and option.
 */
export function manConfigSection(): string {
  const out: string[] = [
    roffEscape(
      `trk-threshold reads ${DEFAULT_CONFIG} when it exists, as ipband does; -c names another file and -C reads none. ` +
        'The command line overrides the file.',
    ),
    '.PP',
    roffEscape(
      'Each line is a keyword, in any case, and its value: the rest of the line. ' +
        'Blank lines and lines starting with # are skipped; a # after a blank later on a line starts a comment, ' +
        'except in the values of filter, htmltitle and mtastring. ' +
        'The first line that cannot be read stops the command with a message naming the file and line.',
    ),
  ];
  for (const k of CONFIG_KEYWORDS) {
    out.push('.TP', `.B ${roffEscape(k.keyword)} ${roffArg(k.arg)}`);
    const def = defaultText(k);
    let text = roffEscape(k.help + (def === undefined ? '' : ` Default: ${def}.`));
    text += k.option === undefined ? ' Only in the configuration file.' : ` Command line: \\fB${roffEscape(k.option)}\\fR.`;
    out.push(text);
  }
  return out.join('\n');
}
