/**
 * IPv4 (RFC 791 §3.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (IHL > 5)                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Total Length ends the packet: bytes after it are link padding (Ethernet
 * pads short frames to 60 bytes) and must not be read as payload. A total
 * length of 0 is what TCP segmentation offload leaves in captures taken on the
 * sending host; then the captured bytes are all we have, as in Wireshark.
 * Only the first fragment (offset 0) carries the transport header.
 */
import type { Packet } from './packet.js';
import { decodeTransport } from './ip-proto.js';

const IPV4_MIN_HEADER_LENGTH = 20;
export const ERR_TRUNCATED_IPV4 = 'truncated ipv4 header';
export const ERR_IPV4_VERSION = 'bad ipv4 version';
export const ERR_IPV4_HEADER_LENGTH = 'bad ipv4 header length';
export const ERR_IPV4_TOTAL_LENGTH = 'bad ipv4 total length';

export function decodeIPv4(p: Packet, off: number, end: number): void {
  if (end - off < IPV4_MIN_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_IPV4;
    return;
  }
  const b = p.data;
  const first = b[off]!;
  if (first >> 4 !== 4) {
    p.err = ERR_IPV4_VERSION;
    return;
  }
  p.ipVersion = 4;
  p.ttl = b[off + 8]!;
  p.proto = b[off + 9]!;
  p.srcOff = off + 12;
  p.dstOff = off + 16;
  const headerLength = (first & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LENGTH) {
    p.err = ERR_IPV4_HEADER_LENGTH;
    return;
  }
  if (end - off < headerLength) {
    p.err = ERR_TRUNCATED_IPV4;
    return;
  }
  const totalLength = (b[off + 2]! << 8) | b[off + 3]!;
  if (totalLength !== 0) {
    if (totalLength < headerLength) {
      p.err = ERR_IPV4_TOTAL_LENGTH;
      return;
    }
    if (off + totalLength < end) end = off + totalLength;
    if (p.lenFromHeaders) p.wireLengthFromIp(off, totalLength);
  }
  if ((((b[off + 6]! & 0x1f) << 8) | b[off + 7]!) !== 0) {
    p.frag = true;
    return;
  }
  decodeTransport(p, p.proto, off + headerLength, end);
}
