/**
 * Ethernet frames for the watch tests, written from their fields (addresses
 * as text) the way the wire has them: ARP (RFC 826), and IPv6 neighbour
 * discovery (RFC 4861 §4) with its options. Decoded by the real decoders
 * through decodeHex, so a test reads like the packet it is about.
 */
import { LINKTYPE_ETHERNET, type Packet } from '../../src/decode/packet.js';
import { parseAddress } from '../../src/net/prefixes.js';
import { decodeHex } from './packets.js';

export function macHex(mac: string): string {
  const groups = mac.split(':');
  if (groups.length !== 6) throw new Error(`test MAC ${mac}`);
  return groups.map((g) => g.padStart(2, '0')).join('');
}

export function ipv4Hex(addr: string): string {
  const a = parseAddress(addr);
  if (a?.version !== 4) throw new Error(`test IPv4 address ${addr}`);
  return a.value.toString(16).padStart(8, '0');
}

export function ipv6Hex(addr: string): string {
  const a = parseAddress(addr);
  if (a?.version !== 6) throw new Error(`test IPv6 address ${addr}`);
  return a.value.toString(16).padStart(32, '0');
}

const hex16 = (n: number): string => n.toString(16).padStart(4, '0');
const hex8 = (n: number): string => n.toString(16).padStart(2, '0');

/** Ethernet header with 802.1Q tags (outer first) before `ethertype`. */
function ethernet(dst: string, src: string, ethertype: number, vlans: readonly number[]): string {
  return macHex(dst) + macHex(src) + vlans.map((v) => `8100${hex16(v)}`).join('') + hex16(ethertype);
}

export interface ArpFields {
  op?: number;
  /** Ethernet source; the sender hardware address when not given. */
  src?: string;
  /** Ethernet destination; broadcast when not given. */
  dst?: string;
  sha: string;
  spa: string;
  tha?: string;
  tpa: string;
  vlans?: number[];
  /** Ethertype: ARP unless given (RARP 0x8035). */
  ethertype?: number;
}

export function arpFrame(f: ArpFields): Packet {
  const hex =
    ethernet(f.dst ?? 'ff:ff:ff:ff:ff:ff', f.src ?? f.sha, f.ethertype ?? 0x0806, f.vlans ?? []) +
    '0001080006' + '04' + hex16(f.op ?? 1) +
    macHex(f.sha) + ipv4Hex(f.spa) + macHex(f.tha ?? '00:00:00:00:00:00') + ipv4Hex(f.tpa);
  return decodeHex(LINKTYPE_ETHERNET, hex);
}

/** An ND option: type, length in units of 8 bytes, data (padded to the length). */
function option(type: number, dataHex: string): string {
  const total = 2 + dataHex.length / 2;
  const units = Math.ceil(total / 8);
  return hex8(type) + hex8(units) + dataHex.padEnd((units * 8 - 2) * 2, '0');
}

export const sourceLla = (mac: string): string => option(1, macHex(mac));
export const targetLla = (mac: string): string => option(2, macHex(mac));
/** Prefix information option (§4.6.2): on-link and autonomous, a day's lifetimes. */
export function prefixInfo(prefix: string, len: number): string {
  return option(3, hex8(len) + 'c0' + '00015180' + '00003840' + '00000000' + ipv6Hex(prefix));
}

export interface Icmp6Fields {
  src: string;
  dst: string;
  smac: string;
  dmac: string;
  vlans?: number[];
}

function icmp6Frame(f: Icmp6Fields, type: number, bodyHex: string): Packet {
  const icmp = hex8(type) + '00' + '0000' + bodyHex;
  const ip = '60000000' + hex16(icmp.length / 2) + '3a' + 'ff' + ipv6Hex(f.src) + ipv6Hex(f.dst);
  return decodeHex(LINKTYPE_ETHERNET, ethernet(f.dmac, f.smac, 0x86dd, f.vlans ?? []) + ip + icmp);
}

/** Neighbour solicitation for `target`; a DAD probe when src is ::. */
export function nsFrame(f: Icmp6Fields & { target: string; options?: string }): Packet {
  return icmp6Frame(f, 135, '00000000' + ipv6Hex(f.target) + (f.options ?? ''));
}

/** Neighbour advertisement for `target` (flags: override; solicited when asked). */
export function naFrame(f: Icmp6Fields & { target: string; solicited?: boolean; options?: string }): Packet {
  return icmp6Frame(f, 136, (f.solicited ? '60000000' : '20000000') + ipv6Hex(f.target) + (f.options ?? ''));
}

/** Router advertisement with the given options (prefixInfo, sourceLla). */
export function raFrame(f: Icmp6Fields & { options: string }): Packet {
  return icmp6Frame(f, 134, '40' + '00' + '0708' + '00000000' + '00000000' + f.options);
}

/** An ordinary packet: a UDP datagram between two IPv4 addresses. */
export function udpFrame(src: string, dst: string): Packet {
  const udp = '3039' + '0035' + '0008' + '0000';
  const ip = '45000018' + '00000000' + '4011' + '0000' + ipv4Hex(src) + ipv4Hex(dst);
  return decodeHex(LINKTYPE_ETHERNET, ethernet('02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800, []) + ip + udp);
}
