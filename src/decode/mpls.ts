/**
 * MPLS label stack (RFC 3032 §2.1), ethertypes 0x8847 / 0x8848:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                Label                  | TC  |S|      TTL      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Entries repeat until S (bottom of stack). The payload's type is not
 * written anywhere: like routers doing ECMP hashing and like Wireshark, we
 * take an IP version nibble of 4 or 6 as IP, and leave anything else
 * (pseudowires, control words) undecoded.
 */
import type { Packet } from './packet.js';
import { decodeIpByVersion } from './raw-ip.js';

const LABEL_ENTRY_LENGTH = 4;
export const ERR_TRUNCATED_MPLS = 'truncated mpls label stack';

export function decodeMpls(p: Packet, off: number, end: number): void {
  const b = p.data;
  for (;;) {
    if (end - off < LABEL_ENTRY_LENGTH) {
      p.err = ERR_TRUNCATED_MPLS;
      return;
    }
    const bottom = (b[off + 2]! & 0x01) !== 0;
    off += LABEL_ENTRY_LENGTH;
    if (bottom) break;
  }
  if (off < end) decodeIpByVersion(p, off, end);
}
