/**
 * SCTP common header (RFC 9260 §3.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Source Port Number        |     Destination Port Number   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Verification Tag                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           Checksum                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { Packet } from './packet.js';

const SCTP_HEADER_LENGTH = 12;
export const ERR_TRUNCATED_SCTP = 'truncated sctp header';

export function decodeSctp(p: Packet, off: number, end: number): void {
  const b = p.data;
  if (end - off < 4) {
    p.err = ERR_TRUNCATED_SCTP;
    return;
  }
  p.sport = (b[off]! << 8) | b[off + 1]!;
  p.dport = (b[off + 2]! << 8) | b[off + 3]!;
  if (end - off < SCTP_HEADER_LENGTH) p.err = ERR_TRUNCATED_SCTP;
}
