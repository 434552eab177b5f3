/**
 * BSD loopback encapsulation: a 4-byte address family, then the packet.
 *   LINKTYPE_NULL (0): the family in the capturing host's byte order, which
 *     the file does not record — families are small numbers, so whichever
 *     reading fits in 16 bits is the right one (what libpcap and Wireshark do).
 *   LINKTYPE_LOOP (108): OpenBSD's, always network byte order.
 *
 *   +--------------------------------+------------
 *   | address family (4 bytes)       | IP packet …
 *   +--------------------------------+------------
 *
 * AF_INET is 2 everywhere; AF_INET6 differs per OS: 10 Linux, 24 NetBSD and
 * OpenBSD, 28 FreeBSD and DragonFly, 30 macOS.
 */
import type { Packet } from './packet.js';
import { decoderTable } from './layer.js';
import { decodeIPv4 } from './ipv4.js';
import { decodeIPv6 } from './ipv6.js';

const NULL_HEADER_LENGTH = 4;
export const ERR_TRUNCATED_NULL = 'truncated loopback header';

const byFamily = decoderTable(256);
byFamily[2] = decodeIPv4;
byFamily[10] = decodeIPv6;
byFamily[24] = decodeIPv6;
byFamily[28] = decodeIPv6;
byFamily[30] = decodeIPv6;

function dispatch(p: Packet, family: number, off: number, end: number): void {
  // families past the table are not IP: undecoded, not an error
  if (family < 256) byFamily[family]!(p, off + NULL_HEADER_LENGTH, end);
}

export function decodeNull(p: Packet, off: number, end: number): void {
  if (end - off < NULL_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_NULL;
    return;
  }
  const b = p.data;
  let family = p.data.readUInt32LE(off);
  if (family > 0xffff) family = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  dispatch(p, family, off, end);
}

export function decodeLoop(p: Packet, off: number, end: number): void {
  if (end - off < NULL_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_NULL;
    return;
  }
  dispatch(p, p.data.readUInt32BE(off), off, end);
}
