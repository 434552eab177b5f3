/**
 * The length a packet had on the wire, worked out from its own headers, for
 * captures that only know how much was copied (the cap engine: libpcap's
 * pkt_hdr->len is not passed to JavaScript).
 *
 * It is the link header plus the IP datagram's own length:
 *
 *    IPv4  total length (bytes 2-3)            covers the IPv4 header and payload
 *    IPv6  40 + payload length (bytes 4-5)     0 for a jumbogram: unknown
 *
 * Limitation: anything after the IP datagram (Ethernet padding, a trailer)
 * is not counted, and a packet that is not IP, or whose IP header was cut
 * off, or that carries a zero length (TSO/BIG TCP super-packets), keeps the
 * captured length. Callers use this only when the copy was cut short.
 */
import {
  DLT_RAW_BSD1,
  DLT_RAW_BSD2,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from '../decode/packet.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const MAX_TAGS = 4;

/** Wire length of the frame data[start, start+caplen) of `linktype`, never less than caplen. */
export function wireLengthFromHeaders(data: Buffer, start: number, caplen: number, linktype: number): number {
  const end = start + caplen;
  let ipOff: number;
  let ethertype = -1;
  switch (linktype) {
    case LINKTYPE_ETHERNET: {
      let off = start + 12;
      if (off + 2 > end) return caplen;
      ethertype = data.readUInt16BE(off);
      for (let tags = 0; tags < MAX_TAGS && (ethertype === ETHERTYPE_VLAN || ethertype === ETHERTYPE_QINQ || ethertype === ETHERTYPE_QINQ_OLD); tags++) {
        off += 4;
        if (off + 2 > end) return caplen;
        ethertype = data.readUInt16BE(off);
      }
      ipOff = off + 2;
      break;
    }
    case LINKTYPE_LINUX_SLL:
      if (start + 16 > end) return caplen;
      ethertype = data.readUInt16BE(start + 14);
      ipOff = start + 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (start + 20 > end) return caplen;
      ethertype = data.readUInt16BE(start);
      ipOff = start + 20;
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      // the 4-byte address family is in the capturing host's byte order: look at the IP version instead
      ipOff = start + 4;
      break;
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case DLT_RAW_BSD1:
    case DLT_RAW_BSD2:
      ipOff = start;
      break;
    default:
      return caplen;
  }
  if (ipOff + 6 > end) return caplen;
  const version = data[ipOff]! >> 4;
  if (ethertype !== -1 && !((ethertype === ETHERTYPE_IPV4 && version === 4) || (ethertype === ETHERTYPE_IPV6 && version === 6))) {
    return caplen;
  }
  let ipLength: number;
  if (version === 4) ipLength = data.readUInt16BE(ipOff + 2);
  else if (version === 6) {
    const payload = data.readUInt16BE(ipOff + 4);
    ipLength = payload === 0 ? 0 : 40 + payload;
  } else return caplen;
  if (ipLength === 0) return caplen;
  const len = ipOff - start + ipLength;
  return len > caplen ? len : caplen;
}
