/**
 * The decoder's entry point: link type → first decoder, then each layer
 * picks the next from its own table (ethertype.ts, ip-proto.ts).
 *
 * Link types not in the table (802.11, frame relay, …) decode nothing: the
 * record has ts, len and caplen only.
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
  LINKTYPE_PPP,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
  LINKTYPE_C_HDLC,
  type Packet,
} from './packet.js';
import { decodeNothing, type LayerDecoder } from './layer.js';
import { decodeEthernet } from './ethernet.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeLoop, decodeNull } from './null.js';
import { decodePpp, decodePppHdlc } from './ppp.js';
import { decodeCiscoHdlc } from './chdlc.js';
import { decodeIpByVersion } from './raw-ip.js';


const byLinktype = new Map<number, LayerDecoder>([
  [LINKTYPE_NULL, decodeNull],
  [LINKTYPE_ETHERNET, decodeEthernet],
  [LINKTYPE_PPP, decodePpp],
  [DLT_RAW_BSD1, decodeIpByVersion],
  [DLT_RAW_BSD2, decodeIpByVersion],
  [LINKTYPE_PPP_HDLC, decodePppHdlc],
  [LINKTYPE_RAW, decodeIpByVersion],
  [LINKTYPE_C_HDLC, decodeCiscoHdlc],
  [LINKTYPE_LOOP, decodeLoop],
  [LINKTYPE_LINUX_SLL, decodeSll],
  [LINKTYPE_IPV4, decodeIpByVersion],
  [LINKTYPE_IPV6, decodeIpByVersion],
  [LINKTYPE_LINUX_SLL2, decodeSll2],
]);

// the link type is the same for every packet of a file: remember the last lookup
let lastLinktype = -1;
let lastDecoder: LayerDecoder = decodeNothing;

/** Decode p.data[p.start, p.start + p.caplen) into p's layer fields. */
export function decodePacket(p: Packet): void {
  p.resetLayers();
  if (p.linktype !== lastLinktype) {
    lastLinktype = p.linktype;
    lastDecoder = byLinktype.get(p.linktype) ?? decodeNothing;
  }
  // a reader that claims more than it holds must not make us read past the buffer
  const end = p.start + p.caplen;
  lastDecoder(p, p.start, end <= p.data.length ? end : p.data.length);
}
