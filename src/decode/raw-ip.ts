/**
 * Raw IP link types: the frame is an IP packet with no link header.
 *   LINKTYPE_RAW (101) and BSD's DLT_RAW savefile numbers 12 and 14: IPv4 or
 *   IPv6, told apart by the version nibble. LINKTYPE_IPV4 (228) and
 *   LINKTYPE_IPV6 (229) promise one version, but a packet of the other
 *   version in them is still that packet: tcpdump and Wireshark decode it by
 *   its nibble, and so do we.
 */
import type { Packet } from './packet.js';
import { decoderTable } from './layer.js';
import { decodeIPv4 } from './ipv4.js';
import { decodeIPv6 } from './ipv6.js';

export const ERR_TRUNCATED_RAW_IP = 'empty ip packet';
export const ERR_BAD_IP_VERSION = 'bad ip version';

const byVersion = decoderTable(16);
byVersion[4] = decodeIPv4;
byVersion[6] = decodeIPv6;

/** An IP packet whose version only its first nibble tells. */
export function decodeIpByVersion(p: Packet, off: number, end: number): void {
  if (end - off < 1) {
    p.err = ERR_TRUNCATED_RAW_IP;
    return;
  }
  const version = p.data[off]! >> 4;
  if (version !== 4 && version !== 6) {
    p.err = ERR_BAD_IP_VERSION;
    return;
  }
  byVersion[version]!(p, off, end);
}
