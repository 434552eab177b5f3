/**
 * Martian sources: source addresses that cannot be real on a network trk
 * watches, for trk-classify's `dir: "martian"`.
 *
 * Taken from the IANA special-purpose address registries
 * (iana-ipv4-special-registry, iana-ipv6-special-registry; RFC 6890 and
 * the RFCs each row cites) and the "bogon" lists operators filter at their
 * borders. A row is martian when no host can legitimately send *from* that
 * address onto a wire; "not globally reachable" alone is not enough, since
 * the networks trk watches are mostly private ones. Only the source is judged
 * here: a martian *destination* (a multicast group, the broadcast address) is
 * ordinary traffic.
 *
 * IPv4 source            martian?  reason token    why
 * ---------------------  --------  --------------  -------------------------------------------
 * 0.0.0.0/32             no        -               a DHCP client with no address yet sends
 *                                                  from it (RFC 2131 §4.1); seen on every LAN
 * 0.0.0.0/8 (the rest)   yes       this-network    "this host on this network" (RFC 1122
 *                                                  §3.2.1.3) is never used as a source
 * 127.0.0.0/8            yes       loopback        must never leave the host (RFC 1122)
 * 169.254.0.0/16         no        -               link-local (RFC 3927): hosts without DHCP,
 *                                                  printers; legitimate on the link
 * 224.0.0.0/4            yes       multicast       a group address, never a sender (RFC 1112,
 *                                                  RFC 1812 §5.3.7)
 * 240.0.0.0/4            yes       class-e         reserved (RFC 1112 §4); no stack sends from it
 * 255.255.255.255/32     yes       broadcast       limited broadcast is a destination only
 * 192.0.2.0/24           no        -               TEST-NET-1/2/3 (RFC 5737) and the RFC 2544
 * 198.51.100.0/24                                  benchmarking networks: never on the public
 * 203.0.113.0/24                                   Internet, but they are what labs, test beds
 * 198.18.0.0/15                                    and simulations number their "internet"
 *                                                  with (the project's own test capture is one),
 *                                                  and fake-IP proxies hand out 198.18/15: a
 *                                                  sender there is a real host on the wire, so
 *                                                  its traffic is counted in/out/transit like
 *                                                  any other, where trk-tally shows it
 * 10/8, 172.16/12,       no        -               private (RFC 1918) and shared CGN space
 * 192.168/16, 100.64/10                            (RFC 6598): most users' local networks
 * 192.0.0.0/24           no        -               IETF protocol assignments: DS-Lite, the
 *                                                  192.0.0.8 dummy source (RFC 7600), NAT64
 *                                                  discovery; all sent from in practice
 * everything else        no        -               globally routable unicast
 *
 * IPv6 source            martian?  reason token    why
 * ---------------------  --------  --------------  -------------------------------------------
 * ::/128                 no        -               unspecified: the legitimate source of
 *                                                  duplicate-address-detection NS and MLD
 *                                                  reports (RFC 4862 §5.4, RFC 3810)
 * ::1/128                yes       loopback        must never leave the host (RFC 4291)
 * ::/96 (the rest)       yes       ipv4-compatible deprecated by RFC 4291 §2.5.5.1; no stack
 *                                                  sends from it
 * ::ffff:0:0/96          yes       ipv4-mapped     an API notation for IPv4 peers, never on
 *                                                  the wire (RFC 4291 §2.5.5.2, RFC 4038 §4.2)
 * 64:ff9b::/96,          no        -               NAT64 (RFC 6052, RFC 8215): replies from
 * 64:ff9b:1::/48                                   IPv4 hosts arrive from these
 * 100::/64               yes       discard-only    a blackhole prefix (RFC 6666), never a
 *                                                  sender
 * 2001:2::/48,           no        -               RFC 5180 benchmarking and the RFC 3849 /
 * 2001:db8::/32,                                   RFC 9637 documentation blocks: as their
 * 3fff::/20                                        IPv4 counterparts, real hosts in labs
 * 2000::/3 (the rest)    no        -               global unicast, Teredo and 6to4 included
 * fc00::/7               no        -               unique local (RFC 4193): private, the
 *                                                  local networks of many users
 * fe80::/10              no        -               link-local: every on-link ND, RA and DAD
 *                                                  packet is sent from one
 * fec0::/10              yes       site-local      deprecated by RFC 3879; no current stack
 *                                                  configures it
 * ff00::/8               yes       multicast       a group address, never a sender (RFC 4291)
 * any other address      yes       reserved        not allocated by IANA for unicast (outside
 *                                                  2000::/3, fc00::/7, fe80::/10 and the rows
 *                                                  above); nothing can be numbered from it yet
 *
 * A source inside a network the operator named as local is theirs whatever
 * its class (a lab that numbers hosts from 240.0.0.0/4, say): callers
 * should test local membership first and judge only the other sources by
 * this table. A local source arriving from outside is the other kind of
 * martian the design brief names; only the caller, which knows the
 * interface or MAC, can tell that.
 *
 * The tests are integer comparisons on the address bytes in place: they run
 * for every packet and allocate nothing.
 */

/**
 * The big-endian 32-bit word at buf[off], for the per-packet lookups here and
 * in prefixes.ts: read byte by byte because Buffer#readUInt32BE's own bounds
 * check made the IPv6 prefix lookup three to four times slower (measured: 44
 * against 10-14 ns). Callers pass offsets the decoders have checked.
 */
export function u32be(buf: Buffer, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Every reason martianReason can return, in the order of the tables above. */
export const MARTIAN_REASONS = [
  'this-network',
  'loopback',
  'multicast',
  'class-e',
  'broadcast',
  'ipv4-compatible',
  'ipv4-mapped',
  'discard-only',
  'site-local',
  'reserved',
] as const;

export type MartianReason = (typeof MARTIAN_REASONS)[number];

/** Why the IPv4 source `a` (an unsigned 32-bit integer) cannot be real, or undefined. */
export function martianReasonV4(a: number): MartianReason | undefined {
  a = a >>> 0;
  const top = a >>> 24;
  if (top === 0) return a === 0 ? undefined : 'this-network';
  if (top === 127) return 'loopback';
  if (top >= 224) {
    if (top < 240) return 'multicast';
    return a === 0xffffffff ? 'broadcast' : 'class-e';
  }
  return undefined;
}

/** Why the IPv6 source in buf[off, off+16) cannot be real, or undefined. */
export function martianReasonV6(buf: Buffer, off: number): MartianReason | undefined {
  const b0 = buf[off]!;
  const b1 = buf[off + 1]!;
  if (b0 === 0xff) return 'multicast';
  if (b0 === 0xfe) {
    const scope = b1 & 0xc0;
    if (scope === 0x80) return undefined; // fe80::/10 link-local
    return scope === 0xc0 ? 'site-local' : 'reserved';
  }
  if ((b0 & 0xfe) === 0xfc) return undefined; // fc00::/7 unique local
  if ((b0 & 0xe0) === 0x20) return undefined; // 2000::/3 global unicast
  if (b0 === 0) {
    const w0 = u32be(buf, off);
    const w1 = u32be(buf, off + 4);
    const w2 = u32be(buf, off + 8);
    if (w0 === 0 && w1 === 0) {
      if (w2 === 0) {
        const w3 = u32be(buf, off + 12);
        if (w3 === 0) return undefined; // :: — DAD and MLD
        return w3 === 1 ? 'loopback' : 'ipv4-compatible';
      }
      if (w2 === 0xffff) return 'ipv4-mapped';
      return 'reserved';
    }
    if (w0 === 0x0064ff9b) {
      if (w1 === 0 && w2 === 0) return undefined; // 64:ff9b::/96
      if (w1 >>> 16 === 1) return undefined; // 64:ff9b:1::/48
    }
    return 'reserved';
  }
  if (b0 === 0x01 && u32be(buf, off) === 0x01000000 && u32be(buf, off + 4) === 0) {
    return 'discard-only'; // 100::/64
  }
  return 'reserved';
}

/**
 * Why the source address at buf[off] (4 bytes for IPv4, 16 for IPv6) cannot
 * be real, as a short token from MARTIAN_REASONS; undefined when it can.
 * For a Packet: martianReason(p.ipVersion, p.data, p.srcOff).
 */
export function martianReason(version: number, buf: Buffer, off: number): MartianReason | undefined {
  if (version === 4) return martianReasonV4(u32be(buf, off));
  if (version === 6) return martianReasonV6(buf, off);
  return undefined;
}
