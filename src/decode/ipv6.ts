/**
 * IPv6 (RFC 8200 §3) and its extension-header chain (§4):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                Source Address (16 bytes)                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |             Destination Address (16 bytes)                    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers start with Next Header and a length byte:
 *   hop-by-hop 0, routing 43, destination options 60, mobility 135, HIP 139,
 *   shim6 140: (length + 1) × 8 bytes — RFC 8200 §4.3, RFC 6275 §6.1.1,
 *     RFC 7401 §5.1, RFC 5533 §5;
 *   AH 51: (length + 2) × 4 bytes — RFC 4302 §2.2;
 *   fragment 44: 8 bytes, offset in the top 13 bits of bytes 2–3 — §4.5.
 * ESP 50 encrypts what follows and 59 means nothing follows: the walk stops.
 *
 * `proto` is where the walk ends. Mobility, HIP and shim6 messages end in
 * "no next header" (59): for those we report the message's own protocol,
 * since "59" would hide what the packet is.
 */
import type { Packet } from './packet.js';
import { decodeTransport } from './ip-proto.js';

const IPV6_HEADER_LENGTH = 40;
const FRAGMENT_HEADER_LENGTH = 8;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_AH = 51;
const IPPROTO_NONE = 59;

export const ERR_TRUNCATED_IPV6 = 'truncated ipv6 header';
export const ERR_IPV6_VERSION = 'bad ipv6 version';
export const ERR_TRUNCATED_IPV6_EXTENSION = 'truncated ipv6 extension header';

/** How an extension header says its length (0: not an extension header we walk). */
const EXT_NONE = 0;
const EXT_UNITS_OF_8 = 1;
const EXT_AH = 2;
const EXT_FRAGMENT = 3;
/** Extension headers whose next header is normally "none": the message itself is the payload. */
const EXT_MESSAGE = 4;
const extensionKind = new Uint8Array(256);
extensionKind[0] = EXT_UNITS_OF_8;
extensionKind[43] = EXT_UNITS_OF_8;
extensionKind[60] = EXT_UNITS_OF_8;
extensionKind[IPPROTO_AH] = EXT_AH;
extensionKind[IPPROTO_FRAGMENT] = EXT_FRAGMENT;
extensionKind[135] = EXT_MESSAGE;
extensionKind[139] = EXT_MESSAGE;
extensionKind[140] = EXT_MESSAGE;

export function decodeIPv6(p: Packet, off: number, end: number): void {
  if (end - off < IPV6_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_IPV6;
    return;
  }
  const b = p.data;
  if (b[off]! >> 4 !== 6) {
    p.err = ERR_IPV6_VERSION;
    return;
  }
  p.ipVersion = 6;
  p.ttl = b[off + 7]!;
  p.srcOff = off + 8;
  p.dstOff = off + 24;
  // payload length 0 is a jumbogram (RFC 2675) or a TSO capture: keep what was captured
  const payloadLength = (b[off + 4]! << 8) | b[off + 5]!;
  if (payloadLength !== 0) {
    if (off + IPV6_HEADER_LENGTH + payloadLength < end) end = off + IPV6_HEADER_LENGTH + payloadLength;
    if (p.lenFromHeaders) p.wireLengthFromIp(off, IPV6_HEADER_LENGTH + payloadLength);
  }
  let next = b[off + 6]!;
  off += IPV6_HEADER_LENGTH;
  // every extension header is at least 8 bytes long, so the walk ends at `end` at the latest
  for (;;) {
    const kind = extensionKind[next]!;
    if (kind === EXT_NONE) break;
    if (end - off < FRAGMENT_HEADER_LENGTH) {
      p.err = ERR_TRUNCATED_IPV6_EXTENSION;
      return;
    }
    const following = b[off]!;
    if (kind === EXT_FRAGMENT) {
      if ((((b[off + 2]! << 8) | b[off + 3]!) >> 3) !== 0) {
        p.proto = following;
        p.frag = true;
        return;
      }
      off += FRAGMENT_HEADER_LENGTH;
    } else if (kind === EXT_AH) {
      off += (b[off + 1]! + 2) * 4;
    } else {
      if (kind === EXT_MESSAGE && following === IPPROTO_NONE) break;
      off += (b[off + 1]! + 1) * 8;
    }
    next = following;
    if (off > end) {
      p.err = ERR_TRUNCATED_IPV6_EXTENSION;
      return;
    }
  }
  p.proto = next;
  decodeTransport(p, next, off, end);
}
