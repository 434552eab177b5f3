/**
 * MAC, IPv4 and IPv6 addresses as text, written byte by byte from lookup
 * tables straight into an output buffer: a record has up to six addresses and
 * there are millions of records, so no strings are made on the hot path.
 *
 * IPv6 follows RFC 5952 (§4): lower case, leading zeros of each group
 * dropped, the longest run of two or more zero groups shortened to "::" (the
 * first such run on a tie, a single zero group never), and IPv4-mapped
 * addresses in mixed notation "::ffff:192.0.2.1" (§5). Other embedded-IPv4
 * forms (the deprecated IPv4-compatible ::a.b.c.d) are written in hex, as
 * §5 recommends for everything but the mapped form.
 *
 * The buffer writers take the destination and position and return the new
 * position; callers have reserved room (MAX_MAC_TEXT etc. at most).
 */
import type { LineOutput } from '../io/output.js';

export const MAX_MAC_TEXT = 17;
export const MAX_IPV4_TEXT = 15;
export const MAX_IPV6_TEXT = 45;

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const COLON = 0x3a;
const DOT = 0x2e;

/** Two lower-case hex digits per byte value. */
const HEX_PAIR = new Uint8Array(512);
/** Decimal text per byte value: [length, digit, digit, digit]. */
const DECIMAL = new Uint8Array(1024);
for (let v = 0; v < 256; v++) {
  HEX_PAIR[v * 2] = HEX_DIGITS[v >> 4]!;
  HEX_PAIR[v * 2 + 1] = HEX_DIGITS[v & 15]!;
  const text = String(v);
  DECIMAL[v * 4] = text.length;
  for (let i = 0; i < text.length; i++) DECIMAL[v * 4 + 1 + i] = text.charCodeAt(i);
}

/** Scratch for the eight IPv6 groups (one formatter runs at a time: JS is single-threaded). */
const groups = new Uint16Array(8);

export function putMac(dst: Buffer, pos: number, src: Buffer, off: number): number {
  for (let i = 0; i < 6; i++) {
    if (i > 0) dst[pos++] = COLON;
    const v = src[off + i]! * 2;
    dst[pos++] = HEX_PAIR[v]!;
    dst[pos++] = HEX_PAIR[v + 1]!;
  }
  return pos;
}

export function putIPv4(dst: Buffer, pos: number, src: Buffer, off: number): number {
  for (let i = 0; i < 4; i++) {
    if (i > 0) dst[pos++] = DOT;
    const d = src[off + i]! * 4;
    const n = DECIMAL[d]!;
    dst[pos++] = DECIMAL[d + 1]!;
    if (n > 1) dst[pos++] = DECIMAL[d + 2]!;
    if (n > 2) dst[pos++] = DECIMAL[d + 3]!;
  }
  return pos;
}

function putHexGroup(dst: Buffer, pos: number, g: number): number {
  if (g >= 0x1000) dst[pos++] = HEX_DIGITS[g >> 12]!;
  if (g >= 0x100) dst[pos++] = HEX_DIGITS[(g >> 8) & 15]!;
  if (g >= 0x10) dst[pos++] = HEX_DIGITS[(g >> 4) & 15]!;
  dst[pos++] = HEX_DIGITS[g & 15]!;
  return pos;
}

export function putIPv6(dst: Buffer, pos: number, src: Buffer, off: number): number {
  let bestStart = -1;
  let bestLength = 1; // a run must be longer than this to be shortened
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const g = (src[off + i * 2]! << 8) | src[off + i * 2 + 1]!;
    groups[i] = g;
    if (g === 0) {
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 > bestLength) {
        bestStart = runStart;
        bestLength = i - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestStart === 0 && bestLength === 5 && groups[5] === 0xffff) {
    // IPv4-mapped: ::ffff:a.b.c.d
    dst[pos++] = COLON;
    dst[pos++] = COLON;
    pos = putHexGroup(dst, pos, 0xffff);
    dst[pos++] = COLON;
    return putIPv4(dst, pos, src, off + 12);
  }
  const bestEnd = bestStart + bestLength;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      dst[pos++] = COLON;
      dst[pos++] = COLON;
      i = bestEnd - 1;
      continue;
    }
    if (i > 0 && i !== bestEnd) dst[pos++] = COLON;
    pos = putHexGroup(dst, pos, groups[i]!);
  }
  return pos;
}

/** Write the 6-byte MAC at src[off] (room reserved by the caller). */
export function writeMac(out: LineOutput, src: Buffer, off: number): void {
  out.pos = putMac(out.buf, out.pos, src, off);
}

export function writeIPv4(out: LineOutput, src: Buffer, off: number): void {
  out.pos = putIPv4(out.buf, out.pos, src, off);
}

export function writeIPv6(out: LineOutput, src: Buffer, off: number): void {
  out.pos = putIPv6(out.buf, out.pos, src, off);
}

const scratch = Buffer.alloc(MAX_IPV6_TEXT);

/** The same texts as strings, for code off the hot path. */
export function macText(src: Buffer, off = 0): string {
  return scratch.toString('latin1', 0, putMac(scratch, 0, src, off));
}

export function ipv4Text(src: Buffer, off = 0): string {
  return scratch.toString('latin1', 0, putIPv4(scratch, 0, src, off));
}

export function ipv6Text(src: Buffer, off = 0): string {
  return scratch.toString('latin1', 0, putIPv6(scratch, 0, src, off));
}
