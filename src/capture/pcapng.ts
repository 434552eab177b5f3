/**
 * pcapng (draft-ietf-opsawg-pcapng). A file is one or more sections; each
 * starts with a Section Header Block that sets the byte order and forgets the
 * previous section's interfaces.
 *
 *  Every block:                              Section Header Block body:
 *    0  block type                             8  byte-order magic 1a2b3c4d
 *    4  block total length (multiple of 4)    12  major (1), minor
 *    8  body ...                              16  section length (64 bits, -1 = unknown)
 *   -4  block total length again              24  options
 *
 *  Interface Description Block (1):          Enhanced Packet Block (6):
 *    8  link type (16 bits), reserved          8  interface id
 *   12  snaplen (0 = no limit)                12  timestamp high 32 bits, 16 low 32 bits
 *   16  options: if_name (2),                 20  captured length, 24 original length
 *       if_tsresol (9), if_tsoffset (14)      28  packet data, padded to 32 bits; options
 *
 *  Simple Packet Block (3):                  Packet Block (2, obsolete):
 *    8  original length                        8  interface id (16 bits), drops (16 bits)
 *   12  packet data                           12..28 as in the Enhanced Packet Block
 *
 *  Options: code (16 bits), length (16 bits), value padded to 32 bits; code 0 ends them.
 *
 * A Simple Packet Block has neither timestamp nor interface id: it belongs to
 * interface 0 (as the draft says) and gets timestamp 0, which is what Wireshark
 * shows too. Its captured length is the smallest of its original length, the
 * interface's snaplen and the space in the block. Every other block type
 * (name resolution, statistics, decryption secrets, custom, unknown) is
 * skipped by its length.
 */
import { Packet } from '../decode/packet.js';
import type { PacketSink } from './source.js';
import { LINKTYPE_DBUS } from '../decode/packet.js';
import { DAMAGED, NEED_MORE, maxCaplenFor, type RecordParser } from './records.js';
import { TimestampUnit } from './timestamp.js';

export const PCAPNG_SECTION_HEADER = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const BLOCK_PACKET = 2;
const BLOCK_INTERFACE = 1;
const BLOCK_SIMPLE_PACKET = 3;
const BLOCK_ENHANCED_PACKET = 6;

const OPT_END = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Block header (type, length) plus the trailing length: the smallest possible block. */
const MIN_BLOCK = 12;
const MIN_SECTION_HEADER = 28;
const MIN_INTERFACE = 20;
/** Enhanced and obsolete packet blocks: 28 bytes of header fields and the trailing length. */
const MIN_TIMESTAMPED_PACKET = 32;
const MIN_SIMPLE_PACKET = 16;
/** Larger blocks are taken for damage (a length read from garbage); this also bounds the reassembly buffer. */
const MAX_BLOCK = 16 * 1024 * 1024;
/** Room for a D-Bus message of the largest size libpcap allows, in a section that has a D-Bus interface. */
const MAX_DBUS_BLOCK = maxCaplenFor(LINKTYPE_DBUS) + 1024 * 1024;

/** Interface names are labels in every output line: a longer one is cut to this many bytes. */
export const MAX_IF_NAME_BYTES = 64;

interface Interface {
  linktype: number;
  /** 0 = no limit. */
  snaplen: number;
  name: string | undefined;
  unit: TimestampUnit;
  maxCaplen: number;
}

const BLOCK_NAMES: Record<number, string> = {
  [PCAPNG_SECTION_HEADER]: 'section header block',
  [BLOCK_INTERFACE]: 'interface description block',
  [BLOCK_PACKET]: 'packet block',
  [BLOCK_SIMPLE_PACKET]: 'simple packet block',
  [BLOCK_ENHANCED_PACKET]: 'enhanced packet block',
};

function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block of type 0x${type.toString(16).padStart(8, '0')}`;
}

export class PcapngParser implements RecordParser {
  need = MIN_BLOCK;
  damageReason = '';
  packets = 0;

  private littleEndian = true;
  private interfaces: Interface[] = [];
  private maxBlock = MAX_BLOCK;
  /** Type of the block whose bytes are still coming (for the truncation message); -1 before its header is in. */
  private pendingType = -1;
  private readonly packet = new Packet();

  constructor(private readonly sink: PacketSink) {}

  step(buf: Buffer, off: number, end: number): number {
    const avail = end - off;
    if (avail < MIN_BLOCK) {
      this.need = MIN_BLOCK;
      this.pendingType = -1;
      return NEED_MORE;
    }
    let le = this.littleEndian;
    const type = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
    if (type === PCAPNG_SECTION_HEADER) {
      // the block type reads the same both ways; the byte-order magic decides how to read the rest
      const magic = buf.readUInt32LE(off + 8);
      if (magic === BYTE_ORDER_MAGIC) le = true;
      else if (magic === 0x4d3c2b1a) le = false;
      else return this.damage(`section header has a bad byte-order magic 0x${magic.toString(16).padStart(8, '0')}`);
    }
    const length = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
    if (length < MIN_BLOCK || length % 4 !== 0) {
      return this.damage(`${blockName(type)} has an invalid length ${length}`);
    }
    if (length > this.maxBlock) {
      return this.damage(`${blockName(type)} claims ${length} bytes, more than the maximum of ${this.maxBlock}`);
    }
    if (avail < length) {
      this.need = length;
      this.pendingType = type;
      return NEED_MORE;
    }
    const trailer = le ? buf.readUInt32LE(off + length - 4) : buf.readUInt32BE(off + length - 4);
    if (trailer !== length) {
      return this.damage(`${blockName(type)} length ${length} does not match its trailing length ${trailer}`);
    }
    switch (type) {
      case BLOCK_ENHANCED_PACKET:
        return this.timestampedPacket(buf, off, length, false);
      case PCAPNG_SECTION_HEADER:
        return this.sectionHeader(buf, off, length, le);
      case BLOCK_INTERFACE:
        return this.interfaceDescription(buf, off, length);
      case BLOCK_SIMPLE_PACKET:
        return this.simplePacket(buf, off, length);
      case BLOCK_PACKET:
        return this.timestampedPacket(buf, off, length, true);
      default:
        return length;
    }
  }

  truncatedReason(have: number): string {
    if (have < MIN_BLOCK || this.pendingType < 0) return `truncated block header (${have} of ${MIN_BLOCK} bytes)`;
    return `truncated ${blockName(this.pendingType)} (${have} of ${this.need} bytes)`;
  }

  private damage(reason: string): number {
    this.damageReason = reason;
    return DAMAGED;
  }

  private sectionHeader(buf: Buffer, off: number, length: number, le: boolean): number {
    if (length < MIN_SECTION_HEADER) return this.damage(`section header block too short (${length} bytes)`);
    const major = le ? buf.readUInt16LE(off + 12) : buf.readUInt16BE(off + 12);
    if (major !== 1) return this.damage(`unsupported pcapng version ${major}`);
    this.littleEndian = le;
    this.interfaces = [];
    this.maxBlock = MAX_BLOCK;
    return length;
  }

  private interfaceDescription(buf: Buffer, off: number, length: number): number {
    if (length < MIN_INTERFACE) return this.damage(`interface description block too short (${length} bytes)`);
    const le = this.littleEndian;
    const linktype = le ? buf.readUInt16LE(off + 8) : buf.readUInt16BE(off + 8);
    const snaplen = le ? buf.readUInt32LE(off + 12) : buf.readUInt32BE(off + 12);
    let name: string | undefined;
    let tsresol: number | undefined;
    let tsoffset = 0;
    const optionsEnd = off + length - 4;
    let o = off + 16;
    while (o + 4 <= optionsEnd) {
      const code = le ? buf.readUInt16LE(o) : buf.readUInt16BE(o);
      const valueLength = le ? buf.readUInt16LE(o + 2) : buf.readUInt16BE(o + 2);
      const value = o + 4;
      // an option running past its block is ignored with the rest of the options, as Wireshark does
      if (code === OPT_END || value + valueLength > optionsEnd) break;
      if (code === OPT_IF_NAME) name = interfaceName(buf, value, valueLength);
      else if (code === OPT_IF_TSRESOL && valueLength >= 1) tsresol = buf[value];
      else if (code === OPT_IF_TSOFFSET && valueLength >= 8) {
        // signed 64-bit seconds; any real offset is far below 2^53
        tsoffset = le
          ? buf.readInt32LE(value + 4) * 4294967296 + buf.readUInt32LE(value)
          : buf.readInt32BE(value) * 4294967296 + buf.readUInt32BE(value + 4);
      }
      o = value + ((valueLength + 3) & ~3);
    }
    const maxCaplen = maxCaplenFor(linktype);
    if (linktype === LINKTYPE_DBUS) this.maxBlock = MAX_DBUS_BLOCK;
    this.interfaces.push({ linktype, snaplen, name, unit: new TimestampUnit(tsresol, tsoffset), maxCaplen });
    return length;
  }

  /**
   * Enhanced (6) and obsolete (2) packet blocks: the same layout but for the
   * interface id, 32 bits in the first, 16 bits and a 16-bit drop count in the
   * second. Timestamps at 12 and 16, captured and original length at 20 and
   * 24, the packet from 28.
   */
  private timestampedPacket(buf: Buffer, off: number, length: number, obsolete: boolean): number {
    const name = obsolete ? 'packet block' : 'enhanced packet block';
    if (length < MIN_TIMESTAMPED_PACKET) return this.damage(`${name} too short (${length} bytes)`);
    const le = this.littleEndian;
    const id = obsolete ? (le ? buf.readUInt16LE(off + 8) : buf.readUInt16BE(off + 8)) : le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    const iface = this.interfaces[id];
    if (iface === undefined) return this.damage(`packet for interface ${id}, but the section describes ${this.interfaces.length}`);
    const caplen = le ? buf.readUInt32LE(off + 20) : buf.readUInt32BE(off + 20);
    if (caplen > length - MIN_TIMESTAMPED_PACKET) {
      return this.damage(`${name} of ${length} bytes cannot hold ${caplen} captured bytes`);
    }
    if (caplen > iface.maxCaplen) return this.damage(`packet claims ${caplen} captured bytes, more than the maximum of ${iface.maxCaplen}`);
    const p = this.packet;
    iface.unit.apply(le ? buf.readUInt32LE(off + 12) : buf.readUInt32BE(off + 12), le ? buf.readUInt32LE(off + 16) : buf.readUInt32BE(off + 16), p);
    p.caplen = caplen;
    p.len = le ? buf.readUInt32LE(off + 24) : buf.readUInt32BE(off + 24);
    p.linktype = iface.linktype;
    p.ifName = iface.name;
    p.data = buf;
    p.start = off + 28;
    this.packets++;
    this.sink.packet(p);
    return length;
  }

  private simplePacket(buf: Buffer, off: number, length: number): number {
    if (length < MIN_SIMPLE_PACKET) return this.damage(`simple packet block too short (${length} bytes)`);
    const iface = this.interfaces[0];
    if (iface === undefined) return this.damage('simple packet block before any interface description');
    const origLen = this.littleEndian ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    let caplen = Math.min(origLen, length - MIN_SIMPLE_PACKET);
    if (iface.snaplen !== 0 && iface.snaplen < caplen) caplen = iface.snaplen;
    if (caplen > iface.maxCaplen) return this.damage(`packet claims ${caplen} captured bytes, more than the maximum of ${iface.maxCaplen}`);
    const p = this.packet;
    p.tsSec = 0;
    p.tsFrac = 0;
    p.tsDigits = iface.unit.digits;
    p.caplen = caplen;
    p.len = origLen;
    p.linktype = iface.linktype;
    p.ifName = iface.name;
    p.data = buf;
    p.start = off + 12;
    this.packets++;
    this.sink.packet(p);
    return length;
  }

}

/**
 * if_name as a label safe to print: at most MAX_IF_NAME_BYTES bytes, cut at a
 * NUL (some writers terminate it) and at a whole UTF-8 character, control
 * characters replaced by '?'. Decoded once per interface.
 */
export function interfaceName(buf: Buffer, start: number, length: number): string | undefined {
  let end = start + Math.min(length, MAX_IF_NAME_BYTES);
  const nul = buf.subarray(start, end).indexOf(0);
  if (nul >= 0) end = start + nul;
  if (length > MAX_IF_NAME_BYTES) {
    // step back over a character the cut split in two
    let lead = end;
    while (lead > start && ((buf[lead - 1] ?? 0) & 0xc0) === 0x80) lead--;
    if (lead > start) {
      const first = buf[lead - 1] ?? 0;
      const size = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
      if (end - (lead - 1) < size) end = lead - 1;
    }
  }
  if (end <= start) return undefined;
  return buf.toString('utf8', start, end).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
