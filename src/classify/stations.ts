/**
 * The station table of trk-classify: which MAC each IPv4 address was last
 * seen from in ARP, and the one before, as arpwatch keeps it.
 *
 * A station is an IPv4 address on one broadcast domain: untagged frames
 * (and 802.1p priority tags, VLAN 0) are one domain, each 802.1Q VLAN
 * another, and a QinQ stack (outer.inner) another again. So one address
 * used on two VLANs is two stations and never "changes" MAC between them;
 * arpwatch does not have this case (Debian's filters out tagged ARP).
 *
 * Each station remembers its current MAC and the previous one, each with
 * the time it was last seen. Seeing an address:
 *   from its current MAC        nothing changes but the time (SEEN_SAME);
 *   for the first time          a new station (SEEN_NEW);
 *   from its previous MAC       a flip flop: the two swap (SEEN_FLIPFLOP);
 *   from any other MAC          a changed address: the current one becomes
 *                               the previous one (SEEN_CHANGED).
 * That is arpwatch's ent_add() with two MACs of history. arpwatch keeps
 * every MAC an address ever had, and a MAC three or more back coming back
 * is only syslogged there ("reused old ethernet address"); here it is a
 * changed address, which is what it is for the hosts that talk to it.
 *
 * Memory: at most `capacity` stations. Past that the least recently seen
 * station is forgotten, counted in evictedTotal, and handed to onEvict (set
 * by the command, to say so on stderr).
 *
 * State file: arpwatch's arp.dat, so an operator can start from an
 * existing arpwatch database and go back to arpwatch with ours:
 *
 *   MAC <TAB> IP <TAB> EPOCH [<TAB> HOSTNAME [<TAB> IFACE]]
 *
 * one line per address/MAC pair, `#` lines skipped. For each address the
 * most recently seen line gives the current MAC and the next one the
 * previous MAC (older lines are dropped: see above). MACs are read as
 * arpwatch writes them with or without leading zeros (0:0:c:7:ac:1). IP
 * must be a dotted quad: arpwatch would also look a host name up there, we
 * do not resolve names at start-up. A missing EPOCH is 0 (arpwatch's atoi).
 * HOSTNAME and IFACE are kept and written back. IFACE `vlan:30` or
 * `vlan:100.30` puts the station on that VLAN (stack, outer first): that is
 * how this file records tagged stations, and arpwatch reading it only sees
 * an interface name. Any other IFACE (eth0, arpwatch's "(from file)") is
 * the untagged domain.
 *
 * A line that cannot be read is skipped and reported as FILE:LINE: reason
 * (the rest of a database is still worth having); a file with no readable
 * line at all, or with binary data in it, is not an arp.dat and is an
 * InputError, so `--state some.pcap` does not silently start empty. A
 * missing file is a fresh start. save() writes FILE.PID.tmp, flushes it to
 * disk and renames it over FILE, so a crash leaves the old file or the new
 * one, never half of one.
 */
import fs from 'node:fs';
import { InputError } from '../capture/source.js';
import { ipv4Text, macText } from '../format/addr.js';

export const SEEN_SAME = 0;
export const SEEN_NEW = 1;
export const SEEN_CHANGED = 2;
export const SEEN_FLIPFLOP = 3;
export type SeenResult = typeof SEEN_SAME | typeof SEEN_NEW | typeof SEEN_CHANGED | typeof SEEN_FLIPFLOP;

/** One MAC of a station: the 48-bit MAC as an integer, when it was last seen (seconds since the epoch). */
export interface Sighting {
  mac: number;
  seen: number;
  /** HOSTNAME and IFACE from the state file, written back as read ('' when none). */
  hostname: string;
  iface: string;
}

export interface Station {
  /** '' untagged, '30', or a QinQ stack outer first, '100.30'. */
  readonly vlan: string;
  /** The IPv4 address as an unsigned 32-bit integer. */
  readonly ip: number;
  current: Sighting;
  previous: Sighting | undefined;
}

export interface StationTableOptions {
  maxStations: number;
}

export interface LoadResult {
  /** False when the file did not exist (a fresh start). */
  found: boolean;
  /** Stations taken from the file. */
  stations: number;
  /** FILE:LINE: reason for each line skipped (the first MAX_REPORTED_PROBLEMS, then a count). */
  problems: string[];
}

/** Bad lines of a state file reported one by one; the rest are counted in one more line. */
export const MAX_REPORTED_PROBLEMS = 10;

const TWO_32 = 0x1_0000_0000;

/** The 6-byte MAC at buf[off] as an integer (exact: 48 bits fit a double). */
export function macAt(buf: Buffer, off: number): number {
  return ((buf[off]! << 8) | buf[off + 1]!) * TWO_32 + (((buf[off + 2]! << 24) | (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!) >>> 0);
}

const macScratch = Buffer.alloc(6);

/** A MAC integer as text, lower-case and colon-separated. */
export function macString(mac: number): string {
  macScratch.writeUIntBE(mac, 0, 6);
  return macText(macScratch, 0);
}

const MAC_COLON = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i;
const MAC_CISCO = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;

/**
 * A MAC written as six groups of one or two hex digits separated by colons
 * or hyphens (arpwatch writes 0:0:c:7:ac:1), or Cisco's 0000.0c07.ac01;
 * undefined for anything else.
 */
export function parseMac(text: string): number | undefined {
  const m = MAC_COLON.exec(text);
  if (m !== null) {
    if (text.includes(':') && text.includes('-')) return undefined; // one separator, not a mix
    let mac = 0;
    for (let i = 1; i <= 6; i++) mac = mac * 256 + parseInt(m[i]!, 16);
    return mac;
  }
  const c = MAC_CISCO.exec(text);
  if (c === null) return undefined;
  return parseInt(c[1]!, 16) * TWO_32 + parseInt(c[2]! + c[3]!, 16);
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** A dotted-quad IPv4 address as an unsigned integer, or undefined. */
export function parseIPv4(text: string): number | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return undefined;
  let ip = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255) return undefined;
    ip = ip * 256 + part;
  }
  return ip;
}

const ipScratch = Buffer.alloc(4);

export function ipv4String(ip: number): string {
  ipScratch.writeUInt32BE(ip >>> 0, 0);
  return ipv4Text(ipScratch, 0);
}

/** The IFACE field that records a station's VLAN in the state file. */
const VLAN_IFACE = /^vlan:(\d{1,4}(?:\.\d{1,4})*)$/;

type StationKey = number | string;

function keyOf(vlan: string, ip: number): StationKey {
  return vlan === '' ? ip : `${vlan}/${ip}`;
}

/** One readable line of a state file. */
interface DatLine {
  vlan: string;
  ip: number;
  sighting: Sighting;
}

export class StationTable {
  /** At most this many stations are kept (WatchOptions.maxStations). */
  readonly capacity: number;
  /** Stations forgotten to stay within capacity since the table was made. */
  evictedTotal = 0;
  /** Called with each station forgotten to stay within capacity (also while loading a state file). */
  onEvict: ((forgotten: Station) => void) | undefined = undefined;
  /**
   * After see() returned SEEN_CHANGED or SEEN_FLIPFLOP: the MAC the address
   * left and when that MAC was last seen. Overwritten by the next see().
   */
  readonly left = { mac: 0, seen: 0 };
  /** Map order is least recently seen first: see() moves a station to the end. */
  private readonly map = new Map<StationKey, Station>();

  constructor(options: StationTableOptions) {
    if (!(Number.isInteger(options.maxStations) && options.maxStations >= 1)) {
      throw new RangeError(`maxStations must be a whole number of at least 1, not ${options.maxStations}`);
    }
    this.capacity = options.maxStations;
  }

  get size(): number {
    return this.map.size;
  }

  get(vlan: string, ip: number): Station | undefined {
    return this.map.get(keyOf(vlan, ip >>> 0));
  }

  /** Stations, least recently seen first. */
  [Symbol.iterator](): IterableIterator<Station> {
    return this.map.values();
  }

  /** The address `ip` on `vlan` was seen from `mac` at `ts`: update the table and say what that was. */
  see(vlan: string, ip: number, mac: number, ts: number): SeenResult {
    const key = keyOf(vlan, ip);
    const s = this.map.get(key);
    if (s === undefined) {
      this.insert(key, { vlan, ip, current: { mac, seen: ts, hostname: '', iface: '' }, previous: undefined });
      return SEEN_NEW;
    }
    this.map.delete(key);
    this.map.set(key, s);
    const cur = s.current;
    if (cur.mac === mac) {
      cur.seen = ts;
      return SEEN_SAME;
    }
    this.left.mac = cur.mac;
    this.left.seen = cur.seen;
    const prev = s.previous;
    s.previous = cur;
    if (prev !== undefined && prev.mac === mac) {
      prev.seen = ts;
      s.current = prev;
      return SEEN_FLIPFLOP;
    }
    // the host name belongs to the address (arpwatch looks it up by address)
    s.current = { mac, seen: ts, hostname: cur.hostname, iface: cur.iface };
    return SEEN_CHANGED;
  }

  private insert(key: StationKey, s: Station): void {
    this.map.delete(key);
    this.map.set(key, s);
    if (this.map.size > this.capacity) {
      const oldest = this.map.entries().next();
      if (oldest.done) return;
      this.map.delete(oldest.value[0]);
      this.evictedTotal++;
      this.onEvict?.(oldest.value[1]);
    }
  }

  /** The table as arp.dat text: per station its current MAC's line, then its previous MAC's. */
  toText(): string {
    const lines: string[] = [];
    for (const s of this.map.values()) {
      lines.push(datLine(s, s.current));
      if (s.previous !== undefined) lines.push(datLine(s, s.previous));
    }
    return lines.length === 0 ? '' : lines.join('\n') + '\n';
  }

  /** Write the table to `path` atomically (temp file, fsync, rename). InputError when it cannot. */
  save(path: string): void {
    const tmp = `${path}.${process.pid}.tmp`;
    let fd: number | undefined;
    try {
      fd = fs.openSync(tmp, 'w', 0o644);
      fs.writeSync(fd, this.toText());
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(tmp, path);
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw new InputError(`cannot write state file ${path}: ${systemReason(e)}`);
    }
  }

  /**
   * Add the stations of an arp.dat file (before the first packet: a station
   * in the file replaces one of the same address already in the table). A
   * missing file is a fresh start; see the header for what is an error.
   */
  load(path: string): LoadResult {
    let text: string;
    try {
      text = fs.readFileSync(path, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { found: false, stations: 0, problems: [] };
      throw new InputError(`cannot read state file ${path}: ${systemReason(e)}`);
    }
    return { found: true, ...this.loadText(text, path) };
  }

  /** load() for text already read; `name` is used in messages. */
  loadText(text: string, name: string): { stations: number; problems: string[] } {
    if (text.includes('\0')) throw new InputError(`${name}: not an arpwatch arp.dat file (binary data)`);
    const problems: string[] = [];
    let bad = 0;
    let contentLines = 0;
    const byKey = new Map<StationKey, DatLine[]>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() === '' || line.startsWith('#')) continue;
      contentLines++;
      const parsed = parseDatLine(line);
      if (typeof parsed === 'string') {
        if (bad++ < MAX_REPORTED_PROBLEMS) problems.push(`${name}:${i + 1}: ${parsed}`);
        continue;
      }
      const key = keyOf(parsed.vlan, parsed.ip);
      const list = byKey.get(key);
      if (list === undefined) byKey.set(key, [parsed]);
      else list.push(parsed);
    }
    if (contentLines > 0 && byKey.size === 0) {
      throw new InputError(`${name}: not an arpwatch arp.dat file (${problems[0] ?? 'no readable line'})`);
    }
    if (bad > MAX_REPORTED_PROBLEMS) problems.push(`${name}: ${bad - MAX_REPORTED_PROBLEMS} more unreadable lines skipped`);

    const stations: Station[] = [];
    for (const list of byKey.values()) {
      // newest first; of equal times the earlier line, as arpwatch writes its newest first
      list.sort((a, b) => b.sighting.seen - a.sighting.seen);
      const first = list[0]!;
      const second = list.find((l) => l.sighting.mac !== first.sighting.mac);
      stations.push({ vlan: first.vlan, ip: first.ip, current: first.sighting, previous: second?.sighting });
    }
    // least recently seen first, so that eviction order is the file's age order
    stations.sort((a, b) => a.current.seen - b.current.seen);
    for (const s of stations) this.insert(keyOf(s.vlan, s.ip), s);
    return { stations: stations.length, problems };
  }
}

function datLine(s: Station, x: Sighting): string {
  const iface = s.vlan === '' ? x.iface : `vlan:${s.vlan}`;
  return `${macString(x.mac)}\t${ipv4String(s.ip)}\t${Math.floor(x.seen)}\t${x.hostname}\t${iface}`;
}

/** One line of arp.dat, or the reason it cannot be read. */
function parseDatLine(line: string): DatLine | string {
  const f = line.split('\t');
  if (f.length < 2) return 'not MAC<TAB>IP<TAB>TIME';
  const mac = parseMac(f[0]!);
  if (mac === undefined) return `bad ethernet address '${f[0]}'`;
  const ip = parseIPv4(f[1]!);
  if (ip === undefined) return `bad IPv4 address '${f[1]}' (host names are not looked up)`;
  const timeText = f[2] ?? '';
  if (timeText !== '' && !/^\d{1,15}$/.test(timeText)) return `bad time '${timeText}' (seconds since the epoch)`;
  const iface = f[4] ?? '';
  const vlan = VLAN_IFACE.exec(iface);
  if (vlan !== null && vlan[1]!.split('.').some((id) => Number(id) > 4095)) return `bad VLAN in '${iface}'`;
  return {
    vlan: vlan === null ? '' : vlan[1]!.split('.').map(Number).join('.'),
    ip,
    sighting: { mac, seen: timeText === '' ? 0 : Number(timeText), hostname: f[3] ?? '', iface: vlan === null ? iface : '' },
  };
}

function systemReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EROFS':
      return 'read-only file system';
    default:
      return err.message;
  }
}
