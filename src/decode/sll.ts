/**
 * Linux "cooked" capture headers, what `tcpdump -i any` writes.
 *
 * LINKTYPE_LINUX_SLL (113), 16 bytes:
 *   +--------+--------+--------+------------------------+----------+
 *   | pkttype| ARPHRD | addrlen| link-layer address (8) | protocol |
 *   |   2    |   2    |   2    |  first addrlen bytes   |    2     |
 *   +--------+--------+--------+------------------------+----------+
 *
 * LINKTYPE_LINUX_SLL2 (276), 20 bytes:
 *   +----------+--------+---------+--------+-------+-------+------------+
 *   | protocol |reserved| ifindex | ARPHRD |pkttype|addrlen| address (8)|
 *   |    2     |   2    |    4    |   2    |   1   |   1   |            |
 *   +----------+--------+---------+--------+-------+-------+------------+
 *
 * The address is the sender's; we keep it as smac when it is 6 bytes
 * (Ethernet-like devices). The protocol field is an ethertype except for a
 * few values below 0x0600 (802.3 / 802.2 frames) that carry no ethertype.
 */
import type { Packet } from './packet.js';
import { decodeEthertype } from './ethertype.js';

const SLL_HEADER_LENGTH = 16;
const SLL2_HEADER_LENGTH = 20;
const MAC_LENGTH = 6;
export const ERR_TRUNCATED_SLL = 'truncated linux cooked header';

export function decodeSll(p: Packet, off: number, end: number): void {
  if (end - off < SLL_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_SLL;
    return;
  }
  const b = p.data;
  if (((b[off + 4]! << 8) | b[off + 5]!) === MAC_LENGTH) p.smacOff = off + 6;
  decodeEthertype(p, (b[off + 14]! << 8) | b[off + 15]!, off + SLL_HEADER_LENGTH, end);
}

export function decodeSll2(p: Packet, off: number, end: number): void {
  if (end - off < SLL2_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_SLL;
    return;
  }
  const b = p.data;
  if (b[off + 11] === MAC_LENGTH) p.smacOff = off + 12;
  decodeEthertype(p, (b[off]! << 8) | b[off + 1]!, off + SLL2_HEADER_LENGTH, end);
}
