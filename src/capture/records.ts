/**
 * The contract between the capture-file driver (file.ts) and the format
 * parsers (pcap.ts, pcapng.ts).
 *
 * A parser sees the stream as a sequence of records (the file header is the
 * first one). The driver hands it whatever bytes it has from the start of the
 * next record; the parser either handles one whole record and says how many
 * bytes it took, or says how many bytes that record needs in total, or says
 * the record is damaged. The driver owns chunking and reassembly, so a record
 * split across chunks (the normal case on a pipe from `tcpdump -U`) costs one
 * copy of that record only.
 */
import { LINKTYPE_DBUS } from '../decode/packet.js';

/** step() result: the record is incomplete; `need` says how many bytes it needs from its start. */
export const NEED_MORE = 0;
/** step() result: the record is damaged; `damageReason` says why. Nothing after it can be trusted. */
export const DAMAGED = -1;

export interface RecordParser {
  /**
   * Handles the record starting at buf[off], with buf[off, end) available.
   * Returns the bytes it consumed (> 0), NEED_MORE or DAMAGED.
   * Must not keep `buf` beyond the call.
   */
  step(buf: Buffer, off: number, end: number): number;
  /** After NEED_MORE: total bytes the pending record needs (always more than were available). */
  need: number;
  /** After DAMAGED: why, as a short phrase ("truncated packet data", "block length 7 is not a multiple of 4"). */
  damageReason: string;
  /** Why the stream may not end with `have` bytes of an unfinished record. */
  truncatedReason(have: number): string;
  /** Packets delivered so far. */
  packets: number;
}

/**
 * Frames whose captured length exceeds this are treated as damage: libpcap and
 * Wireshark refuse them too (MAXIMUM_SNAPLEN / WTAP_MAX_PACKET_SIZE_STANDARD),
 * and it bounds the reassembly buffer.
 */
export const MAX_CAPLEN = 262144;

/** LINKTYPE_DBUS messages may be up to 128 MiB; libpcap and Wireshark allow that for this link type only. */
const MAX_DBUS_CAPLEN = 128 * 1024 * 1024;

/** The largest captured length accepted for a link type. */
export function maxCaplenFor(linktype: number): number {
  return linktype === LINKTYPE_DBUS ? MAX_DBUS_CAPLEN : MAX_CAPLEN;
}
