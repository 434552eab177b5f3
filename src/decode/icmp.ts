/**
 * ICMP for IPv4 (RFC 792):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          rest of header (depends on type)                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Error messages (unreachable, time exceeded …) quote the offending packet's
 * IP header and first 8 bytes; those are deliberately not decoded: their
 * addresses and ports are another packet's.
 */
import type { Packet } from './packet.js';

const ICMP_HEADER_LENGTH = 8;
export const ERR_TRUNCATED_ICMP = 'truncated icmp header';

export function decodeIcmp(p: Packet, off: number, end: number): void {
  if (end - off < 2) {
    p.err = ERR_TRUNCATED_ICMP;
    return;
  }
  p.itype = p.data[off]!;
  p.icode = p.data[off + 1]!;
  if (end - off < ICMP_HEADER_LENGTH) p.err = ERR_TRUNCATED_ICMP;
}
