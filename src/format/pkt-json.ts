/**
 * The `pkt` NDJSON record (DESIGN.md, "pkt record"): one line per packet,
 * fields in the contract's order, absent fields left out:
 *
 *   type ts if len caplen smac dmac vlan eth src dst proto ttl frag
 *   sport dport flags win seq ack itype icode arp nd err
 *
 * The line is written byte by byte into the LineOutput's buffer: keys and
 * protocol/flag texts are precomputed, numbers and addresses are written
 * from lookup tables, and `ts` is the exact decimal of the capture file's
 * seconds and fraction, never a rounded double.
 */
import { MAX_ND_PREFIXES, MAX_VLAN_TAGS, type Packet } from '../decode/packet.js';
import { MAX_RECORD, type LineOutput } from '../io/output.js';
import { putIPv4, putIPv6, putMac } from './addr.js';
import { bytes, jsonStringBytes, putBytes, putUint, putUintPadded } from './bytes.js';
import { ethertypeName, protocolName, tcpFlagLetters } from './names.js';

const K_START = bytes('{"type":"pkt","ts":');
const K_IF = bytes(',"if":');
const K_LEN = bytes(',"len":');
const K_CAPLEN = bytes(',"caplen":');
const K_SMAC = bytes(',"smac":"');
const K_DMAC = bytes(',"dmac":"');
const K_VLAN = bytes(',"vlan":');
const K_ETH = bytes(',"eth":');
const K_SRC = bytes(',"src":"');
const K_DST = bytes('","dst":"');
const K_PROTO = bytes(',"proto":');
const K_TTL = bytes(',"ttl":');
const K_FRAG = bytes(',"frag":true');
const K_SPORT = bytes(',"sport":');
const K_DPORT = bytes(',"dport":');
const K_FLAGS = bytes(',"flags":');
const K_WIN = bytes(',"win":');
const K_SEQ = bytes(',"seq":');
const K_ACK = bytes(',"ack":');
const K_ITYPE = bytes(',"itype":');
const K_ICODE = bytes(',"icode":');
const K_ARP_OP = bytes(',"arp":{"op":');
const K_SHA = bytes(',"sha":"');
const K_SPA = bytes('","spa":"');
const K_THA = bytes('","tha":"');
const K_TPA = bytes('","tpa":"');
const K_ND = bytes(',"nd":{');
const K_TARGET = bytes('"target":"');
const K_PREFIXES = bytes('"prefixes":[');
const K_LLA = bytes('"lla":"');
const K_ERR = bytes(',"err":');
const QUOTE = 0x22;
const COMMA = 0x2c;
const SLASH = 0x2f;

/** Each value already as JSON: `"tcp"` or `99`, `"SA"`, `"ipv4"` or `"0x88cc"`. */
const PROTO_JSON: Uint8Array[] = [];
const FLAGS_JSON: Uint8Array[] = [];
for (let i = 0; i < 256; i++) {
  const name = protocolName(i);
  PROTO_JSON.push(bytes(name === undefined ? String(i) : `"${name}"`));
  FLAGS_JSON.push(bytes(`"${tcpFlagLetters(i)}"`));
}
const ETH_JSON = new Map<number, Uint8Array>();
function ethJson(type: number): Uint8Array {
  let encoded = ETH_JSON.get(type);
  if (encoded === undefined) {
    encoded = bytes(`"${ethertypeName(type)}"`);
    ETH_JSON.set(type, encoded);
  }
  return encoded;
}

/**
 * Where the last record's src and dst texts sit in the output buffer
 * (srcStart -1: it had none), so trk-classify can copy the local address
 * for its `local` field instead of formatting it a second time. Valid only
 * until the output is flushed.
 */
export const addressText = { srcStart: -1, srcEnd: -1, dstStart: -1, dstEnd: -1 };

/** Append one `pkt` record line for the decoded packet `p`. */
export function writePktJson(out: LineOutput, p: Packet): void {
  const ifJson = p.ifName === undefined ? undefined : jsonStringBytes(p.ifName);
  out.reserve(ifJson === undefined ? MAX_RECORD : MAX_RECORD + ifJson.length);
  const d = out.buf;
  const data = p.data;
  let pos = putBytes(d, out.pos, K_START);
  pos = putUint(d, pos, p.tsSec);
  if (p.tsDigits > 0) {
    d[pos++] = 0x2e;
    pos = putUintPadded(d, pos, p.tsFrac, p.tsDigits);
  }
  if (ifJson !== undefined) {
    pos = putBytes(d, pos, K_IF);
    pos = putBytes(d, pos, ifJson);
  }
  pos = putBytes(d, pos, K_LEN);
  pos = putUint(d, pos, p.len);
  pos = putBytes(d, pos, K_CAPLEN);
  pos = putUint(d, pos, p.caplen);
  if (p.smacOff >= 0) {
    pos = putBytes(d, pos, K_SMAC);
    pos = putMac(d, pos, data, p.smacOff);
    d[pos++] = QUOTE;
  }
  if (p.dmacOff >= 0) {
    pos = putBytes(d, pos, K_DMAC);
    pos = putMac(d, pos, data, p.dmacOff);
    d[pos++] = QUOTE;
  }
  if (p.vlanCount > 0) {
    pos = putBytes(d, pos, K_VLAN);
    if (p.vlanCount === 1) {
      pos = putUint(d, pos, p.vlans[0]!);
    } else {
      d[pos++] = 0x5b;
      const n = p.vlanCount < MAX_VLAN_TAGS ? p.vlanCount : MAX_VLAN_TAGS;
      for (let i = 0; i < n; i++) {
        if (i > 0) d[pos++] = COMMA;
        pos = putUint(d, pos, p.vlans[i]!);
      }
      d[pos++] = 0x5d;
    }
  }
  if (p.ethertype >= 0) {
    pos = putBytes(d, pos, K_ETH);
    pos = putBytes(d, pos, ethJson(p.ethertype));
  }
  if (p.srcOff >= 0) {
    const v4 = p.ipVersion === 4;
    pos = putBytes(d, pos, K_SRC);
    addressText.srcStart = pos;
    pos = v4 ? putIPv4(d, pos, data, p.srcOff) : putIPv6(d, pos, data, p.srcOff);
    addressText.srcEnd = pos;
    pos = putBytes(d, pos, K_DST);
    addressText.dstStart = pos;
    pos = v4 ? putIPv4(d, pos, data, p.dstOff) : putIPv6(d, pos, data, p.dstOff);
    addressText.dstEnd = pos;
    d[pos++] = QUOTE;
  } else addressText.srcStart = -1;
  if (p.proto >= 0) {
    pos = putBytes(d, pos, K_PROTO);
    pos = putBytes(d, pos, PROTO_JSON[p.proto]!);
  }
  if (p.ttl >= 0) {
    pos = putBytes(d, pos, K_TTL);
    pos = putUint(d, pos, p.ttl);
  }
  if (p.frag) pos = putBytes(d, pos, K_FRAG);
  if (p.sport >= 0) {
    pos = putBytes(d, pos, K_SPORT);
    pos = putUint(d, pos, p.sport);
    pos = putBytes(d, pos, K_DPORT);
    pos = putUint(d, pos, p.dport);
  }
  if (p.tcpFlags >= 0) {
    pos = putBytes(d, pos, K_FLAGS);
    pos = putBytes(d, pos, FLAGS_JSON[p.tcpFlags]!);
    pos = putBytes(d, pos, K_WIN);
    pos = putUint(d, pos, p.win);
    pos = putBytes(d, pos, K_SEQ);
    pos = putUint(d, pos, p.seq);
    if (p.ack >= 0) {
      pos = putBytes(d, pos, K_ACK);
      pos = putUint(d, pos, p.ack);
    }
  }
  if (p.itype >= 0) {
    pos = putBytes(d, pos, K_ITYPE);
    pos = putUint(d, pos, p.itype);
    pos = putBytes(d, pos, K_ICODE);
    pos = putUint(d, pos, p.icode);
  }
  if (p.arpOp >= 0) pos = putArp(d, pos, p);
  if (p.ndTargetOff >= 0 || p.ndPrefixCount > 0 || p.ndLlaOff >= 0) pos = putNd(d, pos, p);
  if (p.err !== undefined) {
    pos = putBytes(d, pos, K_ERR);
    pos = putBytes(d, pos, jsonStringBytes(p.err));
  }
  d[pos++] = 0x7d;
  d[pos++] = 0x0a;
  out.pos = pos;
}

function putArp(d: Buffer, pos: number, p: Packet): number {
  pos = putBytes(d, pos, K_ARP_OP);
  pos = putUint(d, pos, p.arpOp);
  if (p.arpShaOff >= 0) {
    const data = p.data;
    pos = putBytes(d, pos, K_SHA);
    pos = putMac(d, pos, data, p.arpShaOff);
    pos = putBytes(d, pos, K_SPA);
    pos = putIPv4(d, pos, data, p.arpSpaOff);
    pos = putBytes(d, pos, K_THA);
    pos = putMac(d, pos, data, p.arpThaOff);
    pos = putBytes(d, pos, K_TPA);
    pos = putIPv4(d, pos, data, p.arpTpaOff);
    d[pos++] = QUOTE;
  }
  d[pos++] = 0x7d;
  return pos;
}

function putNd(d: Buffer, pos: number, p: Packet): number {
  const data = p.data;
  pos = putBytes(d, pos, K_ND);
  let first = true;
  if (p.ndTargetOff >= 0) {
    pos = putBytes(d, pos, K_TARGET);
    pos = putIPv6(d, pos, data, p.ndTargetOff);
    d[pos++] = QUOTE;
    first = false;
  }
  if (p.ndPrefixCount > 0) {
    if (!first) d[pos++] = COMMA;
    pos = putBytes(d, pos, K_PREFIXES);
    const n = p.ndPrefixCount < MAX_ND_PREFIXES ? p.ndPrefixCount : MAX_ND_PREFIXES;
    for (let i = 0; i < n; i++) {
      if (i > 0) d[pos++] = COMMA;
      d[pos++] = QUOTE;
      pos = putIPv6(d, pos, data, p.ndPrefixOffs[i]!);
      d[pos++] = SLASH;
      pos = putUint(d, pos, p.ndPrefixLens[i]!);
      d[pos++] = QUOTE;
    }
    d[pos++] = 0x5d;
    first = false;
  }
  if (p.ndLlaOff >= 0) {
    if (!first) d[pos++] = COMMA;
    pos = putBytes(d, pos, K_LLA);
    pos = putMac(d, pos, data, p.ndLlaOff);
    d[pos++] = QUOTE;
  }
  d[pos++] = 0x7d;
  return pos;
}
