/**
 * Classic libpcap savefiles (draft-ietf-opsawg-pcap; tcpdump.org/manpages/pcap-savefile.5.html).
 *
 *  File header, 24 bytes, in the writer's byte order:
 *    0  magic        a1b2c3d4 µs, a1b23c4d ns, a1b2cd34 Kuznetzov's modified format
 *    4  version      major (2), minor (4)
 *    8  thiszone     ignored (always 0 in practice)
 *   12  sigfigs      ignored
 *   16  snaplen
 *   20  linktype     LINKTYPE_* in bits 0-25; bit 26 = FCS length present, bits 28-31 = FCS length
 *
 *  Record header, 16 bytes (24 in the modified format), then caplen bytes:
 *    0  ts_sec   4  ts_usec or ts_nsec   8  caplen (incl_len)   12  len (orig_len)
 *   [16 ifindex 20 protocol 22 pkt_type 23 pad]      modified format only
 */
import { Packet } from '../decode/packet.js';
import type { PacketSink } from './source.js';
import { DAMAGED, NEED_MORE, maxCaplenFor, type RecordParser } from './records.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

const FILE_HEADER_LENGTH = 24;
/** libpcap's LT_LINKTYPE(): the FCS bits above bit 25 are not part of the link type. */
const LINKTYPE_MASK = 0x03ffffff;

/** The pcap variant a 4-byte magic announces, or undefined when it is not a pcap magic. */
export function pcapMagicKind(first4: Buffer): { littleEndian: boolean; nanoseconds: boolean; modified: boolean } | undefined {
  const be = first4.readUInt32BE(0);
  const le = first4.readUInt32LE(0);
  for (const [magic, nanoseconds, modified] of [
    [PCAP_MAGIC_USEC, false, false],
    [PCAP_MAGIC_NSEC, true, false],
    [PCAP_MAGIC_MODIFIED, false, true],
  ] as const) {
    if (be === magic) return { littleEndian: false, nanoseconds, modified };
    if (le === magic) return { littleEndian: true, nanoseconds, modified };
  }
  return undefined;
}

export class PcapParser implements RecordParser {
  need = FILE_HEADER_LENGTH;
  damageReason = '';
  packets = 0;

  private headerSeen = false;
  private littleEndian = true;
  private recordHeaderLength = 16;
  private fracPerSecond = 1e6;
  private maxCaplen = 0;
  private readonly packet = new Packet();

  constructor(private readonly sink: PacketSink) {}

  step(buf: Buffer, off: number, end: number): number {
    if (!this.headerSeen) return this.fileHeader(buf, off, end);
    const headerLength = this.recordHeaderLength;
    if (end - off < headerLength) {
      this.need = headerLength;
      return NEED_MORE;
    }
    const le = this.littleEndian;
    const caplen = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    if (caplen > this.maxCaplen) {
      this.damageReason = `record claims ${caplen} captured bytes, more than the maximum of ${this.maxCaplen}`;
      return DAMAGED;
    }
    const total = headerLength + caplen;
    if (end - off < total) {
      this.need = total;
      return NEED_MORE;
    }
    const p = this.packet;
    let sec = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
    let frac = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
    if (frac >= this.fracPerSecond) {
      // some writers carry whole seconds in the fraction field; Wireshark shows them carried over too
      sec += Math.floor(frac / this.fracPerSecond);
      frac %= this.fracPerSecond;
    }
    p.tsSec = sec;
    p.tsFrac = frac;
    p.caplen = caplen;
    p.len = le ? buf.readUInt32LE(off + 12) : buf.readUInt32BE(off + 12);
    p.data = buf;
    p.start = off + headerLength;
    this.packets++;
    this.sink.packet(p);
    return total;
  }

  truncatedReason(have: number): string {
    if (!this.headerSeen) return `truncated pcap file header (${have} of ${FILE_HEADER_LENGTH} bytes)`;
    if (have < this.recordHeaderLength) return `truncated record header (${have} of ${this.recordHeaderLength} bytes)`;
    return `truncated packet data (${have - this.recordHeaderLength} of ${this.need - this.recordHeaderLength} bytes)`;
  }

  private fileHeader(buf: Buffer, off: number, end: number): number {
    if (end - off < FILE_HEADER_LENGTH) {
      this.need = FILE_HEADER_LENGTH;
      return NEED_MORE;
    }
    const kind = pcapMagicKind(buf.subarray(off, off + 4));
    if (!kind) {
      this.damageReason = 'not a pcap file header';
      return DAMAGED;
    }
    const le = kind.littleEndian;
    const major = le ? buf.readUInt16LE(off + 4) : buf.readUInt16BE(off + 4);
    if (major !== 2) {
      // version 1 files predate every tool still in use; other numbers mean a corrupt header
      this.damageReason = `unsupported pcap version ${major}`;
      return DAMAGED;
    }
    const linktype = ((le ? buf.readUInt32LE(off + 20) : buf.readUInt32BE(off + 20)) & LINKTYPE_MASK) >>> 0;
    this.littleEndian = le;
    this.recordHeaderLength = kind.modified ? 24 : 16;
    this.fracPerSecond = kind.nanoseconds ? 1e9 : 1e6;
    this.maxCaplen = maxCaplenFor(linktype);
    const p = this.packet;
    p.linktype = linktype;
    p.tsDigits = kind.nanoseconds ? 9 : 6;
    p.ifName = undefined;
    this.headerSeen = true;
    return FILE_HEADER_LENGTH;
  }
}
