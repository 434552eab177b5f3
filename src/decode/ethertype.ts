/**
 * Ethertype → decoder (IEEE 802 numbers, standards-oui.ieee.org/ethertype).
 *
 * Every link layer that carries an ethertype (Ethernet, Linux cooked v1/v2,
 * Cisco HDLC, inside VLAN tags) hands its payload here, so a new network
 * protocol is one line in the table.
 */
import type { Packet } from './packet.js';
import { decoderTable } from './layer.js';
import { decodeIPv4 } from './ipv4.js';
import { decodeIPv6 } from './ipv6.js';
import { decodeArp } from './arp.js';
import { decodeVlan } from './vlan.js';
import { decodePppoeSession } from './pppoe.js';
import { decodeMpls } from './mpls.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_RARP = 0x8035;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
export const ETHERTYPE_QINQ = 0x88a8;
/** The pre-standard QinQ outer tag some switches still send. */
export const ETHERTYPE_QINQ_OLD = 0x9100;
/** Below this the 802.3 type/length field is a length (an LLC frame follows), not an ethertype. */
export const ETHERTYPE_MIN = 0x0600;

const byEthertype = decoderTable(0x10000);
byEthertype[ETHERTYPE_IPV4] = decodeIPv4;
byEthertype[ETHERTYPE_IPV6] = decodeIPv6;
byEthertype[ETHERTYPE_ARP] = decodeArp;
byEthertype[ETHERTYPE_RARP] = decodeArp;
byEthertype[ETHERTYPE_VLAN] = decodeVlan;
byEthertype[ETHERTYPE_QINQ] = decodeVlan;
byEthertype[ETHERTYPE_QINQ_OLD] = decodeVlan;
byEthertype[ETHERTYPE_PPPOE_SESSION] = decodePppoeSession;
byEthertype[ETHERTYPE_MPLS] = decodeMpls;
byEthertype[ETHERTYPE_MPLS_MULTICAST] = decodeMpls;

/**
 * Decode the payload at `off` of a link layer whose type field says `type`.
 * `ethertype` ends up as the type after any VLAN tags; an 802.3 length leaves it -1.
 */
export function decodeEthertype(p: Packet, type: number, off: number, end: number): void {
  if (type < ETHERTYPE_MIN) return;
  p.ethertype = type;
  byEthertype[type]!(p, off, end);
}
