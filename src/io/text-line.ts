/**
 * The pieces of NetTracker's text lines that more than one reader needs
 * (trk-mail's alerts, trk-upload's ClickHouse rows): the leading
 * `YYYY-MM-DD HH:MM:SS` in local time, and an ALERT line's last field of
 * comma-joined key=value details.
 */

/** `YYYY-MM-DD HH:MM:SS` */
export const DATE_TIME_LENGTH = 19;

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DASH = 0x2d;
const SPACE = 0x20;
const COLON = 0x3a;

/** Digits, dashes, a blank and colons where `YYYY-MM-DD HH:MM:SS` has them. */
export function hasDateTimeShape(buf: Buffer, at: number): boolean {
  for (let i = 0; i < DATE_TIME_LENGTH; i++) {
    const c = buf[at + i];
    if (c === undefined) return false;
    const want = i === 4 || i === 7 ? DASH : i === 10 ? SPACE : i === 13 || i === 16 ? COLON : -1;
    if (want >= 0 ? c !== want : c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}

function digits(buf: Buffer, at: number, n: number): number {
  let value = 0;
  for (let i = 0; i < n; i++) value = value * 10 + (buf[at + i]! - DIGIT_0);
  return value;
}

/** Seconds since the epoch of a well-shaped `YYYY-MM-DD HH:MM:SS` in local time (TZ honoured), as localDateTime wrote it; undefined for a date that does not exist. */
export function localEpochSeconds(buf: Buffer, at: number): number | undefined {
  const year = digits(buf, at, 4);
  const month = digits(buf, at + 5, 2);
  const day = digits(buf, at + 8, 2);
  const hour = digits(buf, at + 11, 2);
  const minute = digits(buf, at + 14, 2);
  const second = digits(buf, at + 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const d = new Date(0);
  // setFullYear, not the Date constructor, which reads years 0–99 as 1900–1999.
  d.setFullYear(year, month - 1, day);
  d.setHours(hour, minute, second, 0);
  return d.getTime() / 1000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `k=v,k=v,…` as pairs in order; undefined when a pair has no key. */
export function parseDetails(text: string): [string, string][] | undefined {
  if (text === '') return [];
  const details: [string, string][] = [];
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    details.push([pair.slice(0, eq), pair.slice(eq + 1)]);
  }
  return details;
}
