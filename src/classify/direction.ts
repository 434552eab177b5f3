/**
 * Traffic direction (the pkt record's `dir`) and the local address of the
 * pair (`local`), from the outermost IP header and the local networks:
 *
 *   source        destination   dir        local
 *   local         local         internal   the source (the sender of the pair)
 *   local         not local     out        the source
 *   not local     local         in         the destination
 *   not local     not local     transit    (none)
 *   martian       any           martian    the destination, when it is local
 *
 * A martian is a source that cannot be real (special-addresses.ts has the
 * table: this-network, loopback, multicast, class E, broadcast, deprecated
 * and unallocated IPv6). A source inside a local network is never judged
 * martian, whatever its class: the operator said it is theirs.
 *
 * The design brief also calls martian "a local source seen arriving from
 * outside where that can be told". A packet record alone cannot tell which
 * side a frame came from; --outside-mac names the MACs that frames from
 * outside arrive from (the upstream router's, on a gateway's inside wire or
 * a mirror of it). A frame from such a MAC with a local source is martian —
 * spoofed, or a routing loop — unless the source is one of that router's own
 * local addresses (--outside-mac MAC=ADDR,ADDR names them; the router pings
 * and answers ARP from them).
 *
 * Packets without an IP header (ARP, other ethertypes) have no direction.
 * Every test here is integer compares on the address bytes in place.
 */
import type { Packet } from '../decode/packet.js';
import type { PrefixSet } from '../net/prefixes.js';
import { martianReason } from '../net/special-addresses.js';

export const DIR_NONE = 0;
export const DIR_IN = 1;
export const DIR_OUT = 2;
export const DIR_INTERNAL = 3;
export const DIR_TRANSIT = 4;
export const DIR_MARTIAN = 5;
export const DIR_NAMES = ['', 'in', 'out', 'internal', 'transit', 'martian'] as const;
export type Direction = 0 | 1 | 2 | 3 | 4 | 5;

/** A router on the outside of the local networks: its MAC as 6 bytes, and its own local addresses. */
export interface OutsideRouter {
  mac: Buffer;
  /** Its own addresses inside the local networks (text), which it may send from. */
  own: PrefixSet;
}

export class Directions {
  /** After classify(): offset in p.data of the local address of the pair, or -1. */
  localOff = -1;

  constructor(
    private readonly local: PrefixSet,
    private readonly outside: readonly OutsideRouter[] = [],
  ) {}

  classify(p: Packet): Direction {
    this.localOff = -1;
    const v = p.ipVersion;
    if (v === 0 || p.srcOff < 0) return DIR_NONE;
    const data = p.data;
    const srcLocal = this.local.containsAt(v, data, p.srcOff);
    const dstLocal = p.dstOff >= 0 && this.local.containsAt(v, data, p.dstOff);
    if (srcLocal) {
      if (this.outside.length !== 0 && this.spoofedFromOutside(p)) {
        if (dstLocal) this.localOff = p.dstOff;
        return DIR_MARTIAN;
      }
      this.localOff = p.srcOff;
      return dstLocal ? DIR_INTERNAL : DIR_OUT;
    }
    if (martianReason(v, data, p.srcOff) !== undefined) {
      if (dstLocal) this.localOff = p.dstOff;
      return DIR_MARTIAN;
    }
    if (dstLocal) {
      this.localOff = p.dstOff;
      return DIR_IN;
    }
    return DIR_TRANSIT;
  }

  /** A local source in a frame sent by an outside router, from an address that is not the router's own. */
  private spoofedFromOutside(p: Packet): boolean {
    if (p.smacOff < 0) return false;
    const data = p.data;
    const at = p.smacOff;
    for (const router of this.outside) {
      const mac = router.mac;
      if (
        data[at] === mac[0] && data[at + 1] === mac[1] && data[at + 2] === mac[2] &&
        data[at + 3] === mac[3] && data[at + 4] === mac[4] && data[at + 5] === mac[5]
      ) {
        return !router.own.containsAt(p.ipVersion, data, p.srcOff);
      }
    }
    return false;
  }
}
