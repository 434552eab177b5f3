/**
 * UDP (RFC 768), also UDP-Lite (RFC 3828), which keeps the layout:
 *
 *    0      7 8     15 16    23 24    31
 *   +--------+--------+--------+--------+
 *   |   Source Port   |Destination Port |
 *   +--------+--------+--------+--------+
 *   |     Length      |    Checksum     |
 *   +--------+--------+--------+--------+
 */
import type { Packet } from './packet.js';

const UDP_HEADER_LENGTH = 8;
export const ERR_TRUNCATED_UDP = 'truncated udp header';

export function decodeUdp(p: Packet, off: number, end: number): void {
  const b = p.data;
  if (end - off < 4) {
    p.err = ERR_TRUNCATED_UDP;
    return;
  }
  p.sport = (b[off]! << 8) | b[off + 1]!;
  p.dport = (b[off + 2]! << 8) | b[off + 3]!;
  if (end - off < UDP_HEADER_LENGTH) p.err = ERR_TRUNCATED_UDP;
}
