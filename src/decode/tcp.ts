/**
 * TCP (RFC 9293 §3.1; ECE and CWR from RFC 3168 §6.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |       |       |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The ports are kept even when the rest of the header is cut off (a short
 * snaplen or an ICMP-sized slice still says which connection it was).
 */
import type { Packet } from './packet.js';

const TCP_MIN_HEADER_LENGTH = 20;
const TCP_ACK = 0x10;
export const ERR_TRUNCATED_TCP = 'truncated tcp header';
export const ERR_TCP_DATA_OFFSET = 'bad tcp data offset';

export function decodeTcp(p: Packet, off: number, end: number): void {
  const b = p.data;
  if (end - off < 4) {
    p.err = ERR_TRUNCATED_TCP;
    return;
  }
  p.sport = (b[off]! << 8) | b[off + 1]!;
  p.dport = (b[off + 2]! << 8) | b[off + 3]!;
  if (end - off < TCP_MIN_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_TCP;
    return;
  }
  p.seq = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
  p.tcpFlags = b[off + 13]!;
  // the acknowledgement number means something only with ACK set (RFC 9293
  // §3.1); a SYN's is leftover bytes, so it is not reported
  if (p.tcpFlags & TCP_ACK) p.ack = ((b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!) >>> 0;
  p.win = (b[off + 14]! << 8) | b[off + 15]!;
  if (b[off + 12]! >> 4 < 5) p.err = ERR_TCP_DATA_OFFSET;
}
