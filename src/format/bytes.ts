/**
 * Constant pieces of output as bytes, and the copy that puts them in a
 * buffer: for keys like `,"sport":` a short loop beats Buffer#write, which
 * crosses into C++ and re-encodes the string every time.
 */

export function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export function putBytes(dst: Buffer, pos: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) dst[pos++] = src[i]!;
  return pos;
}

const jsonStrings = new Map<string, Uint8Array>();
/** Above this many distinct strings the cache is dropped (interface names from hostile pcapng files). */
const JSON_STRING_CACHE_LIMIT = 256;

/**
 * `text` as a JSON string literal in UTF-8, quotes included. Cached, because
 * the strings that reach it (interface names, decoder error phrases) repeat on
 * every packet. JSON.stringify escapes quotes, backslashes, control
 * characters and lone surrogates, which is all JSON needs.
 */
export function jsonStringBytes(text: string): Uint8Array {
  let encoded = jsonStrings.get(text);
  if (encoded === undefined) {
    if (jsonStrings.size >= JSON_STRING_CACHE_LIMIT) jsonStrings.clear();
    encoded = bytes(JSON.stringify(text));
    jsonStrings.set(text, encoded);
  }
  return encoded;
}

/** "00" … "99": numbers are written two digits per step. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[i * 2] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[i * 2 + 1] = 48 + (i % 10);
}

/** How many decimal digits a non-negative integer below 2^53 has. */
function digitCount(n: number): number {
  if (n < 100000) return n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  if (n < 10000000000) return n < 10000000 ? (n < 1000000 ? 6 : 7) : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  let count = 10;
  for (let limit = 10000000000; n >= limit && count < 16; limit *= 10) count++;
  return count;
}

/**
 * Write a non-negative integer below 2^53 in decimal; returns the new position.
 * Two digits per step, in integer arithmetic where it fits: one digit per
 * floating-point division showed up as the largest cost of a pkt record with
 * its 10-digit seq, ack and ts.
 */
export function putUint(dst: Buffer, pos: number, n: number): number {
  if (n < 10) {
    dst[pos] = 48 + n;
    return pos + 1;
  }
  return putUintPadded(dst, pos, n, digitCount(n));
}

/** Write `n` zero-padded to exactly `width` digits (a fraction of a second). */
export function putUintPadded(dst: Buffer, pos: number, n: number, width: number): number {
  let i = pos + width;
  // above 2^31 the integer shortcut `| 0` would wrap: divide as doubles until it is safe
  while (n > 0x7fffffff && i - pos >= 2) {
    const q = Math.floor(n / 100);
    const r = (n - q * 100) * 2;
    dst[--i] = DIGIT_PAIRS[r + 1]!;
    dst[--i] = DIGIT_PAIRS[r]!;
    n = q;
  }
  let m = n | 0;
  while (i - pos >= 2) {
    const q = (m / 100) | 0;
    const r = (m - q * 100) * 2;
    dst[--i] = DIGIT_PAIRS[r + 1]!;
    dst[--i] = DIGIT_PAIRS[r]!;
    m = q;
  }
  if (i > pos) dst[--i] = 48 + (m % 10);
  return pos + width;
}
