/**
 * One line per packet for a person (trk-capture -H), in the spirit of
 * `tcpdump -nn`.
 *
 * OUTPUT FORMAT
 *
 *   DATE TIME.FRACTION [IFACE ][vlan ID[,ID…] ]WHAT len LEN[ caplen CAPLEN][ [err: WHY]]
 *
 * DATE TIME is the capture time in local time (TZ is honoured),
 * `2014-05-04 14:05:53.740897`, with as many fraction digits as the capture
 * has (6 for µs, 9 for ns). IFACE is the interface name when known (live
 * capture, pcapng). VLAN tags are listed outer first. LEN is the length on
 * the wire; CAPLEN is shown only when less was captured. WHAT is one of:
 *
 *   IP SRC.SPORT > DST.DPORT: tcp [FLAGS] win WIN
 *       TCP; FLAGS as tcpdump writes them: S SYN, F FIN, R RST, P PSH,
 *       . ACK, U URG, E ECE, W CWR ("none" when no flag is set)
 *   IP SRC.SPORT > DST.DPORT: udp           also sctp
 *   IP SRC > DST: icmp echo request         ICMP type by name, `code N` when
 *                                           not 0, `type N code N` otherwise
 *   IP6 SRC > DST: icmp6 neighbor solicitation, who has TARGET[, lla MAC]
 *   IP6 SRC > DST: icmp6 neighbor advertisement, tgt is TARGET[, lla MAC]
 *   IP6 SRC > DST: icmp6 router advertisement[, prefix P/LEN…][, lla MAC]
 *   IP SRC > DST: gre                       other protocols by name or as
 *                                           `proto N`; `frag` after it for
 *                                           a non-first fragment
 *   ARP who-has TPA tell SPA                ARP request
 *   ARP reply SPA is-at SHA                 ARP reply
 *   ARP op N                                other operations, other address sizes
 *   SMAC > DMAC ethertype 0x88cc            any other ethertype
 *   SMAC > DMAC 802.3                       an 802.3/LLC frame
 *   linktype N                              a link type that is not decoded
 *
 * IP is IPv4 and IP6 IPv6; addresses are the outermost IP header's, IPv6 in
 * RFC 5952 form. When decoding stopped early, the reason ends the line in
 * brackets and the line shows what was decoded before it.
 */
import { MAX_ND_PREFIXES, MAX_VLAN_TAGS, type Packet } from '../decode/packet.js';
import { MAX_RECORD, type LineOutput } from '../io/output.js';
import { putIPv4, putIPv6, putMac } from './addr.js';
import { bytes, putBytes, putUint, putUintPadded } from './bytes.js';
import { protocolName, tcpdumpFlags } from './names.js';

const ICMP_NAMES = new Map<number, string>([
  [0, 'echo reply'],
  [3, 'unreachable'],
  [4, 'source quench'],
  [5, 'redirect'],
  [8, 'echo request'],
  [9, 'router advertisement'],
  [10, 'router solicitation'],
  [11, 'time exceeded'],
  [12, 'parameter problem'],
  [13, 'timestamp request'],
  [14, 'timestamp reply'],
  [17, 'mask request'],
  [18, 'mask reply'],
]);
const ICMP6_NAMES = new Map<number, string>([
  [1, 'unreachable'],
  [2, 'packet too big'],
  [3, 'time exceeded'],
  [4, 'parameter problem'],
  [128, 'echo request'],
  [129, 'echo reply'],
  [130, 'multicast listener query'],
  [131, 'multicast listener report'],
  [132, 'multicast listener done'],
  [133, 'router solicitation'],
  [134, 'router advertisement'],
  [135, 'neighbor solicitation'],
  [136, 'neighbor advertisement'],
  [137, 'redirect'],
  [143, 'multicast listener report v2'],
]);

function nameTable(names: Map<number, string>, prefix: string): (Uint8Array | undefined)[] {
  const table: (Uint8Array | undefined)[] = [];
  for (let i = 0; i < 256; i++) {
    const name = names.get(i);
    table.push(name === undefined ? undefined : bytes(prefix + name));
  }
  return table;
}
const ICMP_TEXT = nameTable(ICMP_NAMES, ' icmp ');
const ICMP6_TEXT = nameTable(ICMP6_NAMES, ' icmp6 ');
const FLAGS_TEXT: Uint8Array[] = [];
const PROTO_TEXT: Uint8Array[] = [];
for (let i = 0; i < 256; i++) {
  FLAGS_TEXT.push(bytes(` tcp [${tcpdumpFlags(i)}]`));
  PROTO_TEXT.push(bytes(' ' + (protocolName(i) ?? `proto ${i}`)));
}

const T_IP = bytes('IP ');
const T_IP6 = bytes('IP6 ');
const T_GT = bytes(' > ');
const T_COLON = bytes(':');
const T_WIN = bytes(' win ');
const T_FRAG = bytes(' frag');
const T_UNKNOWN_PROTO = bytes(' ?');
const T_ICMP_TYPE = bytes(' icmp type ');
const T_ICMP6_TYPE = bytes(' icmp6 type ');
const T_CODE = bytes(' code ');
const T_WHO_HAS = bytes(', who has ');
const T_TGT_IS = bytes(', tgt is ');
const T_PREFIX = bytes(', prefix ');
const T_LLA = bytes(', lla ');
const T_ARP = bytes('ARP ');
const T_RARP = bytes('RARP ');
const T_ARP_WHO_HAS = bytes('who-has ');
const T_ARP_TELL = bytes(' tell ');
const T_ARP_REPLY = bytes('reply ');
const T_ARP_IS_AT = bytes(' is-at ');
const T_ARP_OP = bytes('op ');
const T_ETHERTYPE = bytes(' ethertype 0x');
const T_8023 = bytes(' 802.3');
const T_LINKTYPE = bytes('linktype ');
const T_VLAN = bytes('vlan ');
const T_LEN = bytes(' len ');
const T_CAPLEN = bytes(' caplen ');
const T_ERR = bytes(' [err: ');
const SPACE = 0x20;
const DOT = 0x2e;
const COMMA = 0x2c;
const HEX_DIGITS = bytes('0123456789abcdef');

const ND_NEIGHBOR_SOLICITATION = 135;
const ND_NEIGHBOR_ADVERTISEMENT = 136;
const ND_REDIRECT = 137;
const ETHERTYPE_RARP = 0x8035;

/** "YYYY-MM-DD HH:MM:SS" of the last second formatted: packets come many per second. */
let cachedSecond = -1;
const cachedDate = Buffer.alloc(19);

function localDateTime(sec: number): Buffer {
  if (sec !== cachedSecond) {
    const t = new Date(sec * 1000);
    let pos = putUintPadded(cachedDate, 0, t.getFullYear(), 4);
    cachedDate[pos++] = 0x2d;
    pos = putUintPadded(cachedDate, pos, t.getMonth() + 1, 2);
    cachedDate[pos++] = 0x2d;
    pos = putUintPadded(cachedDate, pos, t.getDate(), 2);
    cachedDate[pos++] = SPACE;
    pos = putUintPadded(cachedDate, pos, t.getHours(), 2);
    cachedDate[pos++] = 0x3a;
    pos = putUintPadded(cachedDate, pos, t.getMinutes(), 2);
    cachedDate[pos++] = 0x3a;
    putUintPadded(cachedDate, pos, t.getSeconds(), 2);
    cachedSecond = sec;
  }
  return cachedDate;
}

/** Append the human line for the decoded packet `p`. */
export function writePktHuman(out: LineOutput, p: Packet): void {
  const ifText = p.ifName === undefined ? undefined : Buffer.from(p.ifName, 'utf8');
  out.reserve(ifText === undefined ? MAX_RECORD : MAX_RECORD + ifText.length);
  const d = out.buf;
  let pos = putBytes(d, out.pos, localDateTime(p.tsSec));
  if (p.tsDigits > 0) {
    d[pos++] = DOT;
    pos = putUintPadded(d, pos, p.tsFrac, p.tsDigits);
  }
  d[pos++] = SPACE;
  if (ifText !== undefined) {
    pos = putBytes(d, pos, ifText);
    d[pos++] = SPACE;
  }
  if (p.vlanCount > 0) {
    pos = putBytes(d, pos, T_VLAN);
    const n = p.vlanCount < MAX_VLAN_TAGS ? p.vlanCount : MAX_VLAN_TAGS;
    for (let i = 0; i < n; i++) {
      if (i > 0) d[pos++] = COMMA;
      pos = putUint(d, pos, p.vlans[i]!);
    }
    d[pos++] = SPACE;
  }
  if (p.ipVersion !== 0) pos = putIp(d, pos, p);
  else if (p.arpOp >= 0) pos = putArp(d, pos, p);
  else pos = putLink(d, pos, p);
  pos = putBytes(d, pos, T_LEN);
  pos = putUint(d, pos, p.len);
  if (p.caplen < p.len) {
    pos = putBytes(d, pos, T_CAPLEN);
    pos = putUint(d, pos, p.caplen);
  }
  if (p.err !== undefined) {
    pos = putBytes(d, pos, T_ERR);
    pos += d.write(p.err, pos, 'latin1');
    d[pos++] = 0x5d;
  }
  d[pos++] = 0x0a;
  out.pos = pos;
}

function putAddress(d: Buffer, pos: number, p: Packet, off: number): number {
  return p.ipVersion === 4 ? putIPv4(d, pos, p.data, off) : putIPv6(d, pos, p.data, off);
}

function putIp(d: Buffer, pos: number, p: Packet): number {
  pos = putBytes(d, pos, p.ipVersion === 4 ? T_IP : T_IP6);
  pos = putAddress(d, pos, p, p.srcOff);
  if (p.sport >= 0) {
    d[pos++] = DOT;
    pos = putUint(d, pos, p.sport);
  }
  pos = putBytes(d, pos, T_GT);
  pos = putAddress(d, pos, p, p.dstOff);
  if (p.dport >= 0) {
    d[pos++] = DOT;
    pos = putUint(d, pos, p.dport);
  }
  pos = putBytes(d, pos, T_COLON);
  if (p.tcpFlags >= 0) {
    pos = putBytes(d, pos, FLAGS_TEXT[p.tcpFlags]!);
    pos = putBytes(d, pos, T_WIN);
    return putUint(d, pos, p.win);
  }
  if (p.itype >= 0) return p.proto === 1 ? putIcmp(d, pos, p) : putIcmp6(d, pos, p);
  pos = putBytes(d, pos, p.proto >= 0 ? PROTO_TEXT[p.proto]! : T_UNKNOWN_PROTO);
  if (p.frag) pos = putBytes(d, pos, T_FRAG);
  return pos;
}

function putIcmpType(d: Buffer, pos: number, p: Packet, names: (Uint8Array | undefined)[], unnamed: Uint8Array): number {
  const name = names[p.itype];
  if (name === undefined) {
    pos = putBytes(d, pos, unnamed);
    pos = putUint(d, pos, p.itype);
    pos = putBytes(d, pos, T_CODE);
    return putUint(d, pos, p.icode);
  }
  pos = putBytes(d, pos, name);
  if (p.icode !== 0) {
    pos = putBytes(d, pos, T_CODE);
    pos = putUint(d, pos, p.icode);
  }
  return pos;
}

function putIcmp(d: Buffer, pos: number, p: Packet): number {
  return putIcmpType(d, pos, p, ICMP_TEXT, T_ICMP_TYPE);
}

function putIcmp6(d: Buffer, pos: number, p: Packet): number {
  pos = putIcmpType(d, pos, p, ICMP6_TEXT, T_ICMP6_TYPE);
  if (p.ndTargetOff >= 0) {
    pos = putBytes(d, pos, p.itype === ND_NEIGHBOR_SOLICITATION ? T_WHO_HAS : T_TGT_IS);
    pos = putIPv6(d, pos, p.data, p.ndTargetOff);
  }
  const n = p.ndPrefixCount < MAX_ND_PREFIXES ? p.ndPrefixCount : MAX_ND_PREFIXES;
  for (let i = 0; i < n; i++) {
    pos = putBytes(d, pos, T_PREFIX);
    pos = putIPv6(d, pos, p.data, p.ndPrefixOffs[i]!);
    d[pos++] = 0x2f;
    pos = putUint(d, pos, p.ndPrefixLens[i]!);
  }
  if (p.ndLlaOff >= 0) {
    pos = putBytes(d, pos, T_LLA);
    pos = putMac(d, pos, p.data, p.ndLlaOff);
  }
  return pos;
}

function putArp(d: Buffer, pos: number, p: Packet): number {
  pos = putBytes(d, pos, p.ethertype === ETHERTYPE_RARP ? T_RARP : T_ARP);
  const data = p.data;
  if (p.arpShaOff >= 0 && p.arpOp === 1) {
    pos = putBytes(d, pos, T_ARP_WHO_HAS);
    pos = putIPv4(d, pos, data, p.arpTpaOff);
    pos = putBytes(d, pos, T_ARP_TELL);
    return putIPv4(d, pos, data, p.arpSpaOff);
  }
  if (p.arpShaOff >= 0 && p.arpOp === 2) {
    pos = putBytes(d, pos, T_ARP_REPLY);
    pos = putIPv4(d, pos, data, p.arpSpaOff);
    pos = putBytes(d, pos, T_ARP_IS_AT);
    return putMac(d, pos, data, p.arpShaOff);
  }
  pos = putBytes(d, pos, T_ARP_OP);
  return putUint(d, pos, p.arpOp);
}

function putLink(d: Buffer, pos: number, p: Packet): number {
  if (p.smacOff < 0 && p.ethertype < 0) {
    pos = putBytes(d, pos, T_LINKTYPE);
    return putUint(d, pos, p.linktype);
  }
  let any = false;
  if (p.smacOff >= 0) {
    pos = putMac(d, pos, p.data, p.smacOff);
    any = true;
  }
  if (p.dmacOff >= 0) {
    pos = putBytes(d, pos, T_GT);
    pos = putMac(d, pos, p.data, p.dmacOff);
  }
  if (p.ethertype >= 0) {
    pos = putBytes(d, any ? pos : pos - 1, T_ETHERTYPE);
    const t = p.ethertype;
    d[pos++] = HEX_DIGITS[t >> 12]!;
    d[pos++] = HEX_DIGITS[(t >> 8) & 15]!;
    d[pos++] = HEX_DIGITS[(t >> 4) & 15]!;
    d[pos++] = HEX_DIGITS[t & 15]!;
    return pos;
  }
  return putBytes(d, pos, T_8023);
}
