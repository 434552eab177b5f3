/**
 * pcapng timestamps: a 64-bit count of the interface's time unit (if_tsresol:
 * 10^-n or 2^-n seconds, default 10^-6), split into whole seconds and a
 * decimal fraction without BigInt and without losing a digit.
 *
 * Nanosecond counts pass 2^53 (any date after April 1970), so the count is
 * kept as two 32-bit halves and divided in 16-bit steps, each of which stays
 * below 2^53 in a double. Power-of-two units are converted to nanoseconds
 * (truncating, as Wireshark does), since nothing downstream prints binary
 * fractions.
 */
import type { Packet } from '../decode/packet.js';

const TWO32 = 4294967296;
/** 10^9 = 5^9 * 2^9: multiplying by 5^9 keeps a 32-bit binary fraction exact in a double. */
const FIVE_POW_9 = 1953125;

const enum Unit {
  /** 10^-n with n <= 9: divide by 10^n. */
  Decimal,
  /** 10^-n with 9 < n <= 18: divide by 10^(n-9) to get nanoseconds first. */
  DecimalFine,
  /** 2^-n, converted to nanoseconds. */
  Binary,
}

export class TimestampUnit {
  /** Decimal digits of the fraction this unit yields (Packet.tsDigits). */
  readonly digits: number;
  private readonly kind: Unit;
  private readonly exponent: number;
  private readonly divisor: number;

  /** From the if_tsresol byte; `undefined` when the interface has none (microseconds). */
  constructor(tsresol: number | undefined, private readonly offsetSeconds = 0) {
    let binary = tsresol !== undefined && (tsresol & 0x80) !== 0;
    let exponent = tsresol === undefined ? 6 : tsresol & 0x7f;
    if ((binary && exponent > 63) || (!binary && exponent > 18)) {
      // a unit finer than 2^-63 or 10^-18 cannot come from a real clock: fall back to the default, as Wireshark does
      binary = false;
      exponent = 6;
    }
    this.exponent = exponent;
    if (binary) {
      this.kind = Unit.Binary;
      this.digits = 9;
      this.divisor = 0;
    } else if (exponent <= 9) {
      this.kind = Unit.Decimal;
      this.digits = exponent;
      this.divisor = 10 ** exponent;
    } else {
      this.kind = Unit.DecimalFine;
      this.digits = 9;
      this.divisor = 10 ** (exponent - 9);
    }
  }

  /** Sets p.tsSec, p.tsFrac and p.tsDigits from a count of units given as its high and low 32 bits. */
  apply(high: number, low: number, p: Packet): void {
    p.tsDigits = this.digits;
    if (this.kind === Unit.Decimal) {
      divide(high, low, this.divisor);
      p.tsSec = quotientHigh * TWO32 + quotientLow;
      p.tsFrac = remainder;
    } else if (this.kind === Unit.DecimalFine) {
      // whole nanoseconds first (a 64-bit quotient, kept as halves), then seconds
      divide(high, low, this.divisor);
      divide(quotientHigh, quotientLow, 1e9);
      p.tsSec = quotientHigh * TWO32 + quotientLow;
      p.tsFrac = remainder;
    } else {
      binaryToNanoseconds(high, low, this.exponent, p);
    }
    if (this.offsetSeconds !== 0) p.tsSec += this.offsetSeconds;
  }
}

// divide()'s results: module scratch rather than a returned object, so nothing is allocated per packet
let quotientHigh = 0;
let quotientLow = 0;
let remainder = 0;

/**
 * count / d and count mod d for count = high*2^32 + low and 1 <= d < 2^32, with
 * the quotient as 32-bit halves. Every intermediate stays below 2^48.
 */
function divide(high: number, low: number, d: number): void {
  const qHigh = Math.floor(high / d);
  const rHigh = high - qHigh * d;
  const a = rHigh * 65536 + (low >>> 16);
  const q1 = Math.floor(a / d);
  const r1 = a - q1 * d;
  const b = r1 * 65536 + (low & 0xffff);
  const q2 = Math.floor(b / d);
  quotientHigh = qHigh;
  quotientLow = q1 * 65536 + q2;
  remainder = b - q2 * d;
}

/** count / 2^n seconds, fraction truncated to nanoseconds. */
function binaryToNanoseconds(high: number, low: number, n: number, p: Packet): void {
  if (n <= 32) {
    const scale = 2 ** n;
    const lowSeconds = Math.floor(low / scale);
    const rem = low - lowSeconds * scale; // < 2^n <= 2^32
    p.tsSec = high * 2 ** (32 - n) + lowSeconds;
    // rem * 10^9 / 2^n = rem * 5^9 / 2^(n-9); rem * 5^9 < 2^53, so this is exact
    p.tsFrac = n >= 9 ? Math.floor((rem * FIVE_POW_9) / 2 ** (n - 9)) : rem * FIVE_POW_9 * 2 ** (9 - n);
    return;
  }
  // n > 32: the fraction spans both halves. Its top 32 bits give the nanoseconds
  // but for a carry from the bits below, which are worth less than 0.24 ns.
  const highScale = 2 ** (n - 32);
  const sec = Math.floor(high / highScale);
  const remHigh = high - sec * highScale; // < 2^(n-32)
  // top 32 bits of the fraction: floor((remHigh*2^32 + low) / 2^(n-32))
  const top = remHigh * 2 ** (64 - n) + Math.floor(low / highScale);
  const below = low - Math.floor(low / highScale) * highScale; // < 2^(n-32)
  const scaled = top * FIVE_POW_9; // < 2^53
  let ns = Math.floor(scaled / 8388608); // / 2^23
  const carry = (scaled - ns * 8388608) / 8388608 + (below * 1e9) / 2 ** n;
  if (carry >= 1) ns++;
  p.tsSec = sec;
  p.tsFrac = ns;
}
