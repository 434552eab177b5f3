/**
 * PPP (RFC 1661 §2) as LINKTYPE_PPP (9) and LINKTYPE_PPP_HDLC (50), the
 * latter in HDLC-like framing (RFC 1662 §3.1) without flags or FCS:
 *
 *   +----------+----------+----------+------------
 *   | address  | control  | protocol | information …
 *   |   0xff   |   0x03   |  1 or 2  |
 *   +----------+----------+----------+------------
 *
 * Address and control are often left out (RFC 1661 §6.6, ACFC); the protocol
 * field is one byte when its first byte is odd (§6.5, PFC). Some PPP_HDLC
 * captures are really Cisco HDLC (address 0x0f or 0x8f): tcpdump hands
 * those to its Cisco HDLC printer, and so do we.
 */
import type { Packet } from './packet.js';
import { decoderTable } from './layer.js';
import { decodeIPv4 } from './ipv4.js';
import { decodeIPv6 } from './ipv6.js';
import { decodeMpls } from './mpls.js';
import { decodeCiscoHdlc, CHDLC_UNICAST, CHDLC_MULTICAST } from './chdlc.js';

const PPP_ADDRESS = 0xff;
const PPP_CONTROL = 0x03;
export const PPP_IPV4 = 0x0021;
export const PPP_IPV6 = 0x0057;
export const PPP_MPLS_UNICAST = 0x0281;
export const PPP_MPLS_MULTICAST = 0x0283;
export const ERR_TRUNCATED_PPP = 'truncated ppp header';

const byProtocol = decoderTable(0x10000);
byProtocol[PPP_IPV4] = decodeIPv4;
byProtocol[PPP_IPV6] = decodeIPv6;
byProtocol[PPP_MPLS_UNICAST] = decodeMpls;
byProtocol[PPP_MPLS_MULTICAST] = decodeMpls;

/** The PPP protocol field at `off` and what follows it (also used by PPPoE). */
export function decodePppProtocol(p: Packet, off: number, end: number): void {
  if (end - off < 1) {
    p.err = ERR_TRUNCATED_PPP;
    return;
  }
  const b = p.data;
  const first = b[off]!;
  if ((first & 1) !== 0) {
    byProtocol[first]!(p, off + 1, end);
    return;
  }
  if (end - off < 2) {
    p.err = ERR_TRUNCATED_PPP;
    return;
  }
  byProtocol[(first << 8) | b[off + 1]!]!(p, off + 2, end);
}

export function decodePpp(p: Packet, off: number, end: number): void {
  const b = p.data;
  if (end - off >= 2 && b[off] === PPP_ADDRESS && b[off + 1] === PPP_CONTROL) off += 2;
  decodePppProtocol(p, off, end);
}

export function decodePppHdlc(p: Packet, off: number, end: number): void {
  if (end - off >= 1 && (p.data[off] === CHDLC_UNICAST || p.data[off] === CHDLC_MULTICAST)) {
    decodeCiscoHdlc(p, off, end);
    return;
  }
  decodePpp(p, off, end);
}
