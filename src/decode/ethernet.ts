/**
 * Ethernet II / IEEE 802.3 (LINKTYPE_ETHERNET = 1), without preamble or FCS:
 *
 *   +-----------------+-----------------+-----------+------------
 *   | destination MAC |   source MAC    | type/len  | payload …
 *   |     6 bytes     |     6 bytes     |  2 bytes  |
 *   +-----------------+-----------------+-----------+------------
 *
 * type/len ≥ 0x0600 is an ethertype; smaller is an 802.3 length and an LLC
 * header follows, which we do not decode (ethertype stays -1).
 */
import type { Packet } from './packet.js';
import { decodeEthertype } from './ethertype.js';

const ETHERNET_HEADER_LENGTH = 14;
export const ERR_TRUNCATED_ETHERNET = 'truncated ethernet header';

export function decodeEthernet(p: Packet, off: number, end: number): void {
  if (end - off < ETHERNET_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_ETHERNET;
    return;
  }
  const b = p.data;
  p.dmacOff = off;
  p.smacOff = off + 6;
  decodeEthertype(p, (b[off + 12]! << 8) | b[off + 13]!, off + ETHERNET_HEADER_LENGTH, end);
}
