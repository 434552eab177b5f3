/**
 * IEEE 802.1Q VLAN tag (also 802.1ad QinQ 0x88a8 and the older 0x9100), after
 * the ethertype that announced it:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | PCP |D|         VLAN ID       |     inner ethertype / length  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Tags are kept outer first; a stack deeper than MAX_VLAN_TAGS is still
 * walked and counted in vlanCount, only the first tags are kept.
 */
import { MAX_VLAN_TAGS, type Packet } from './packet.js';
import { decodeEthertype } from './ethertype.js';

const VLAN_TAG_LENGTH = 4;
export const ERR_TRUNCATED_VLAN = 'truncated vlan tag';

export function decodeVlan(p: Packet, off: number, end: number): void {
  if (end - off < VLAN_TAG_LENGTH) {
    p.err = ERR_TRUNCATED_VLAN;
    return;
  }
  const b = p.data;
  if (p.vlanCount < MAX_VLAN_TAGS) p.vlans[p.vlanCount] = ((b[off]! & 0x0f) << 8) | b[off + 1]!;
  p.vlanCount++;
  const inner = (b[off + 2]! << 8) | b[off + 3]!;
  // the ethertype is the payload's, not the tag's: an 802.3 length inside leaves it unknown
  p.ethertype = -1;
  decodeEthertype(p, inner, off + VLAN_TAG_LENGTH, end);
}
