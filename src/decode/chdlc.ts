/**
 * Cisco HDLC (LINKTYPE_C_HDLC = 104), as on serial links and POS:
 *
 *   +----------+----------+----------------+------------
 *   | address  | control  |   ethertype    | payload …
 *   | 0x0f/8f  |   0x00   |    2 bytes     |
 *   +----------+----------+----------------+------------
 *
 * The protocol field is an ethertype, so the payload goes through the same
 * table as Ethernet's.
 */
import type { Packet } from './packet.js';
import { decodeEthertype } from './ethertype.js';

export const CHDLC_UNICAST = 0x0f;
export const CHDLC_MULTICAST = 0x8f;
const CHDLC_HEADER_LENGTH = 4;
export const ERR_TRUNCATED_CHDLC = 'truncated cisco hdlc header';

export function decodeCiscoHdlc(p: Packet, off: number, end: number): void {
  if (end - off < CHDLC_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_CHDLC;
    return;
  }
  const b = p.data;
  decodeEthertype(p, (b[off + 2]! << 8) | b[off + 3]!, off + CHDLC_HEADER_LENGTH, end);
}
