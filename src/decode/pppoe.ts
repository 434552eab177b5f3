/**
 * PPPoE session stage (RFC 2516 §4), ethertype 0x8864: PPP over Ethernet, as
 * DSL links carry customers' IP.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  VER  | TYPE  |      CODE     |          SESSION_ID           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |            LENGTH             |     PPP protocol  …
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { Packet } from './packet.js';
import { decodePppProtocol } from './ppp.js';

const PPPOE_HEADER_LENGTH = 6;
export const ERR_TRUNCATED_PPPOE = 'truncated pppoe header';

export function decodePppoeSession(p: Packet, off: number, end: number): void {
  if (end - off < PPPOE_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_PPPOE;
    return;
  }
  const b = p.data;
  // LENGTH counts the PPP frame: anything after it is Ethernet padding
  const pppEnd = off + PPPOE_HEADER_LENGTH + ((b[off + 4]! << 8) | b[off + 5]!);
  decodePppProtocol(p, off + PPPOE_HEADER_LENGTH, pppEnd < end ? pppEnd : end);
}
