/**
 * The decoded view of one packet, filled in place by the decoders in this
 * folder and read by the formatters in src/format/.
 *
 * One Packet object is allocated per reader and overwritten for every packet
 * (gopacket's DecodingLayerParser idea): the hot path allocates nothing.
 * Addresses are not copied out of the frame: the decoders record where they
 * are (byte offsets into `data`), and a formatter turns only the fields it
 * emits into text. So a Packet is valid only until the next packet is decoded;
 * a consumer that keeps something must copy it.
 *
 * Convention: -1 means "absent" for every numeric field (never 0, which is a
 * legal port, flag set or ICMP type). Offsets are absolute offsets into `data`.
 */

/** Link types we decode (LINKTYPE_* numbers from tcpdump.org/linktypes.html). */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
/** OpenBSD enc(4): like NULL, a 4-byte address family in the capturing host's byte order. */
export const LINKTYPE_ENC = 109;
export const LINKTYPE_DBUS = 231;
/** DLT_RAW as some BSDs number it in savefiles (12 or 14): both mean raw IP. */
export const DLT_RAW_BSD1 = 12;
export const DLT_RAW_BSD2 = 14;

/** Most ND prefix options kept per packet; more are counted in ndPrefixCount but not listed. */
export const MAX_ND_PREFIXES = 8;
/** Most VLAN tags kept per packet (outer first); deeper stacks are counted in vlanCount. */
export const MAX_VLAN_TAGS = 4;

const EMPTY = Buffer.alloc(0);

export class Packet {
  // ---- capture metadata (set by the reader before decoding) ----
  /** The frame's bytes; only data[start, start+caplen) belongs to this packet. */
  data: Buffer = EMPTY;
  start = 0;
  caplen = 0;
  /** Length on the wire. */
  len = 0;
  /** Capture time: whole seconds since the epoch ... */
  tsSec = 0;
  /** ... plus tsFrac units of 10^-tsDigits seconds (tsDigits is 6 for µs, 9 for ns). */
  tsFrac = 0;
  tsDigits = 6;
  linktype = LINKTYPE_ETHERNET;
  /** Interface name (live capture, or pcapng if_name); undefined when unknown. */
  ifName: string | undefined = undefined;
  /**
   * Set by a source that did not learn the wire length (the cap engine when
   * its copy was cut short): `len` is then only the captured length, and the
   * outermost IP header's own length is taken instead (see wireLengthFromIp).
   */
  lenFromHeaders = false;

  // ---- link layer ----
  dmacOff = -1; // 6 bytes
  smacOff = -1; // 6 bytes
  vlanCount = 0;
  readonly vlans = new Uint16Array(MAX_VLAN_TAGS);
  /** The ethertype of the payload (after VLAN tags) where the link layer has one; -1 otherwise. */
  ethertype = -1;

  // ---- network layer (outermost IP header) ----
  /** 4 or 6; 0 when there is no IP header. */
  ipVersion = 0;
  srcOff = -1; // 4 or 16 bytes, per ipVersion
  dstOff = -1;
  /** Upper-layer protocol number (after IPv6 extension headers); -1 unknown. */
  proto = -1;
  ttl = -1;
  /** A non-first fragment: no transport header in it. */
  frag = false;

  // ---- transport layer ----
  sport = -1;
  dport = -1;
  /** TCP flag byte (FIN=0x01 … CWR=0x80); -1 when not TCP. */
  tcpFlags = -1;
  win = -1;
  seq = -1; // unsigned 32-bit
  ack = -1; // unsigned 32-bit
  itype = -1; // ICMP / ICMPv6
  icode = -1;

  // ---- ARP (Ethernet/IPv4 ARP fills every field; other hardware/protocol types only arpOp) ----
  arpOp = -1;
  arpShaOff = -1; // 6 bytes
  arpSpaOff = -1; // 4 bytes
  arpThaOff = -1;
  arpTpaOff = -1;

  // ---- ICMPv6 neighbour discovery ----
  ndTargetOff = -1; // 16 bytes (NS, NA, redirect)
  ndLlaOff = -1; // 6 bytes: source or target link-layer address option
  ndPrefixCount = 0; // RA prefix-information options seen
  readonly ndPrefixOffs = new Int32Array(MAX_ND_PREFIXES); // offset of each 16-byte prefix
  readonly ndPrefixLens = new Uint8Array(MAX_ND_PREFIXES); // its prefix length

  /** Why decoding stopped early (a constant string); undefined when the packet decoded fully. */
  err: string | undefined = undefined;

  /**
   * The IP datagram at `ipOff` is `ipLength` bytes long: when the source did
   * not know the wire length, the link header plus that is the best answer
   * (padding and trailers after the datagram are not counted).
   */
  wireLengthFromIp(ipOff: number, ipLength: number): void {
    const len = ipOff - this.start + ipLength;
    if (len > this.len) this.len = len;
  }

  /** Forget everything decoded from the previous packet (metadata is set by the reader). */
  resetLayers(): void {
    this.dmacOff = -1;
    this.smacOff = -1;
    this.vlanCount = 0;
    this.ethertype = -1;
    this.ipVersion = 0;
    this.srcOff = -1;
    this.dstOff = -1;
    this.proto = -1;
    this.ttl = -1;
    this.frag = false;
    this.sport = -1;
    this.dport = -1;
    this.tcpFlags = -1;
    this.win = -1;
    this.seq = -1;
    this.ack = -1;
    this.itype = -1;
    this.icode = -1;
    this.arpOp = -1;
    this.arpShaOff = -1;
    this.arpSpaOff = -1;
    this.arpThaOff = -1;
    this.arpTpaOff = -1;
    this.ndTargetOff = -1;
    this.ndLlaOff = -1;
    this.ndPrefixCount = 0;
    this.err = undefined;
  }
}
