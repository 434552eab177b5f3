/**
 * ICMPv6 (RFC 4443 §2.1) and neighbour discovery (RFC 4861 §4):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Message Body                          |
 *
 * ND message bodies before their options (bytes from the ICMPv6 header start):
 *   133 router solicitation      8   reserved
 *   134 router advertisement    16   hop limit, flags, lifetime, reachable, retrans
 *   135 neighbor solicitation   24   reserved, target address (at 8)
 *   136 neighbor advertisement  24   flags, target address (at 8)
 *   137 redirect                40   reserved, target (at 8), destination (at 24)
 *
 * Options (§4.6) are type, length in units of 8 bytes, data. A length of 0
 * is invalid (§4.6: "nodes MUST silently discard") and would loop forever.
 *   1 source / 2 target link-layer address: 6 bytes at 2 on Ethernet (length 1)
 *   3 prefix information (length 4): prefix length at 2, prefix at 16
 *
 * Error messages (types below 128) quote another packet: not decoded.
 */
import { MAX_ND_PREFIXES, type Packet } from './packet.js';

const ICMP6_HEADER_LENGTH = 4;
const ND_TARGET_OFFSET = 8;
const OPTION_SOURCE_LLA = 1;
const OPTION_TARGET_LLA = 2;
const OPTION_PREFIX_INFORMATION = 3;
const PREFIX_OPTION_UNITS = 4;
const PREFIX_OFFSET = 16;

export const ERR_TRUNCATED_ICMP6 = 'truncated icmp6 header';
export const ERR_TRUNCATED_ND = 'truncated icmp6 nd message';
export const ERR_TRUNCATED_ND_OPTION = 'truncated icmp6 nd option';
export const ERR_ND_OPTION_LENGTH = 'bad icmp6 nd option length';

/** Where each ND message's options start (0: not an ND message). */
const optionsOffset = new Uint8Array(256);
optionsOffset[133] = 8;
optionsOffset[134] = 16;
optionsOffset[135] = 24;
optionsOffset[136] = 24;
optionsOffset[137] = 40;
/** ND messages that carry a target address. */
const hasTarget = new Uint8Array(256);
hasTarget[135] = 1;
hasTarget[136] = 1;
hasTarget[137] = 1;

export function decodeIcmp6(p: Packet, off: number, end: number): void {
  const b = p.data;
  if (end - off < 2) {
    p.err = ERR_TRUNCATED_ICMP6;
    return;
  }
  const type = b[off]!;
  p.itype = type;
  p.icode = b[off + 1]!;
  if (end - off < ICMP6_HEADER_LENGTH) {
    p.err = ERR_TRUNCATED_ICMP6;
    return;
  }
  const bodyLength = optionsOffset[type]!;
  if (bodyLength === 0) return;
  if (end - off < bodyLength) {
    p.err = ERR_TRUNCATED_ND;
    return;
  }
  if (hasTarget[type] === 1) p.ndTargetOff = off + ND_TARGET_OFFSET;
  decodeNdOptions(p, off + bodyLength, end);
}

function decodeNdOptions(p: Packet, off: number, end: number): void {
  const b = p.data;
  while (off < end) {
    if (end - off < 2) {
      p.err = ERR_TRUNCATED_ND_OPTION;
      return;
    }
    const type = b[off]!;
    const units = b[off + 1]!;
    if (units === 0) {
      p.err = ERR_ND_OPTION_LENGTH;
      return;
    }
    const length = units * 8;
    if (end - off < length) {
      p.err = ERR_TRUNCATED_ND_OPTION;
      return;
    }
    if ((type === OPTION_SOURCE_LLA || type === OPTION_TARGET_LLA) && units === 1) {
      if (p.ndLlaOff < 0) p.ndLlaOff = off + 2;
    } else if (type === OPTION_PREFIX_INFORMATION && units === PREFIX_OPTION_UNITS) {
      const n = p.ndPrefixCount++;
      if (n < MAX_ND_PREFIXES) {
        p.ndPrefixOffs[n] = off + PREFIX_OFFSET;
        p.ndPrefixLens[n] = b[off + 2]!;
      }
    }
    off += length;
  }
}
