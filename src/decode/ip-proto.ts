/**
 * IP protocol number → transport decoder (IANA protocol-numbers), shared by
 * IPv4 and by IPv6 after its extension headers. Protocols not in the table
 * (GRE, ESP, OSPF, tunnels …) are reported by number only: tunnels in
 * particular are not entered, so a record always describes the outermost
 * IP header.
 */
import type { Packet } from './packet.js';
import { decoderTable } from './layer.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';
import { decodeSctp } from './sctp.js';
import { decodeIcmp } from './icmp.js';
import { decodeIcmp6 } from './icmp6.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;
/** UDP-Lite (RFC 3828) keeps UDP's port layout. */
export const IPPROTO_UDPLITE = 136;

const byProtocol = decoderTable(256);
byProtocol[IPPROTO_ICMP] = decodeIcmp;
byProtocol[IPPROTO_TCP] = decodeTcp;
byProtocol[IPPROTO_UDP] = decodeUdp;
byProtocol[IPPROTO_UDPLITE] = decodeUdp;
byProtocol[IPPROTO_ICMPV6] = decodeIcmp6;
byProtocol[IPPROTO_SCTP] = decodeSctp;

/** Decode the transport header of protocol `proto` (0–255) at `off`. */
export function decodeTransport(p: Packet, proto: number, off: number, end: number): void {
  byProtocol[proto]!(p, off, end);
}
