/**
 * ARP (RFC 826), also RARP (RFC 903), which shares the layout:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Hardware Type         |         Protocol Type         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  HW addr len  | Proto addr len|           Operation           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | sender HW address | sender proto address | target HW | target proto |
 *
 * Addresses are kept only for the usual case of 6-byte hardware and 4-byte
 * IPv4 addresses (28 bytes in all); for other sizes only the operation.
 */
import type { Packet } from './packet.js';

const ARP_FIXED_LENGTH = 8;
const ARP_ETHER_IPV4_LENGTH = 28;
const PROTOCOL_IPV4 = 0x0800;
export const ERR_TRUNCATED_ARP = 'truncated arp packet';

export function decodeArp(p: Packet, off: number, end: number): void {
  if (end - off < ARP_FIXED_LENGTH) {
    p.err = ERR_TRUNCATED_ARP;
    return;
  }
  const b = p.data;
  p.arpOp = (b[off + 6]! << 8) | b[off + 7]!;
  if (b[off + 4] !== 6 || b[off + 5] !== 4 || ((b[off + 2]! << 8) | b[off + 3]!) !== PROTOCOL_IPV4) return;
  if (end - off < ARP_ETHER_IPV4_LENGTH) {
    p.err = ERR_TRUNCATED_ARP;
    return;
  }
  p.arpShaOff = off + 8;
  p.arpSpaOff = off + 14;
  p.arpThaOff = off + 18;
  p.arpTpaOff = off + 24;
}
