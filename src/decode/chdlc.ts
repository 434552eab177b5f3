/**
 * Cisco HDLC (LINKTYPE_C_HDLC = 104), as on serial links and POS:
 *
 *   +----------+----------+----------------+------------
 *   | address  | control  |   protocol     | payload …
 *   | 0x0f/8f  |   0x00   |    2 bytes     |
 *   +----------+----------+----------------+------------
 *
 * The protocol field borrows ethertype numbers but is not an Ethernet type
 * field: 0x8035 is Cisco's SLARP here, not RARP. So it has its own table
 * and `ethertype` stays unset, as for PPP.
 */
import type { Packet } from './packet.js';
import { decoderTable } from './layer.js';
import { decodeIPv4 } from './ipv4.js';
import { decodeIPv6 } from './ipv6.js';
import { decodeMpls } from './mpls.js';

export const CHDLC_UNICAST = 0x0f;
export const CHDLC_MULTICAST = 0x8f;
const CHDLC_HEADER_LENGTH = 4;
export const ERR_TRUNCATED_CHDLC = 'truncated cisco hdlc header';

const byProtocol = decoderTable(0x10000);
byProtocol[0x0800] = decodeIPv4;
byProtocol[0x86dd] = decodeIPv6;
byProtocol[0x8847] = decodeMpls;
byProtocol[0x8848] = decodeMpls;

export function decodeCiscoHdlc(p: Packet, off: number, end: number): void {
  if (end - off < CHDLC_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_CHDLC;
    return;
  }
  const b = p.data;
  byProtocol[(b[off + 2]! << 8) | b[off + 3]!]!(p, off + CHDLC_HEADER_LENGTH, end);
}
