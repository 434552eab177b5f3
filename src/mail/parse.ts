/**
 * trk-mail's reader: which input lines are events it mails. Three alert
 * forms, exactly as src/classify/events.ts writeAlert writes them, and
 * trk-threshold's `report` record:
 *
 *   machine  2026-11-22 09:42:04 ALERT BANDWIDTH exceeded net=10.10.1.0/24,kBps=3088.17,threshold=100.00
 *   human    [2026-11-22 09:42:04] BANDWIDTH exceeded: 10.10.1.0/24 at 3088.17 kB/s, …
 *   json     {"type":"alert","ts":1795340524.000000,"family":"BANDWIDTH","kind":"exceeded","net":…,"msg":…}
 *   report   {"type":"report","ts":1795340544,"net":"10.10.1.0/24",…}
 *
 * This runs on every line trk-mail passes through, and nearly all of them
 * are pkt records or STAT lines, so a line is judged by a few bytes at fixed
 * places before anything is decoded: a pkt record is rejected after 10
 * bytes, a STAT line after 21, and only a `{` line that says it is an alert
 * or report is ever JSON-parsed.
 *
 * A line that has the shape of an event (the date and ALERT columns, the
 * `[date] TYPE KIND:` start, a record typed alert or report) but does not
 * hold up on a closer look is malformed: it is not an event, but the
 * command may want to say that it saw some (parseEventLine tells).
 */
import { readReportRecord } from '../threshold/report.js';
import type { AlertEvent, MailEvent } from './types.js';

/** parseEventLine's answer for a line that looks like an event but is not a valid one. */
export const MALFORMED = 'malformed';

/** The event a line holds (without its newline); undefined for any other line, malformed ones included. */
export function parseEvent(buf: Buffer, start: number, end: number): MailEvent | undefined {
  const event = parseEventLine(buf, start, end);
  return event === MALFORMED ? undefined : event;
}

/** As parseEvent, but says MALFORMED for a line that has an event's shape and is not one. */
export function parseEventLine(buf: Buffer, start: number, end: number): MailEvent | typeof MALFORMED | undefined {
  // A CRLF line's \r is not part of its last value.
  if (end > start && buf[end - 1] === CR) end--;
  if (end - start < 2) return undefined;
  const first = buf[start]!;
  if (first === OPEN_BRACE) return parseRecord(buf, start, end);
  if (first >= DIGIT_0 && first <= DIGIT_9) return parseMachineLine(buf, start, end);
  if (first === OPEN_BRACKET) return parseHumanLine(buf, start, end);
  if (first === LETTER_S && startsWith(buf, start, end, SENSOR_PREFIX)) return parseTaggedLine(buf, start, end);
  return undefined;
}

/**
 * `sensor=NAME ` and an ALERT line in either text form, as trk-collect
 * writes the lines of many sensors: the sensor becomes the alert's first
 * detail, so the digest tells (and counts) the same alert from two sensors
 * apart. (A record gets a "sensor" field instead, which is a detail anyway.)
 */
function parseTaggedLine(buf: Buffer, start: number, end: number): MailEvent | typeof MALFORMED | undefined {
  const space = buf.subarray(start, end).indexOf(SPACE);
  if (space < 0) return undefined;
  const event = parseEventLine(buf, start + space + 1, end);
  if (event === undefined || event === MALFORMED || event.type !== 'alert') return event;
  event.details.unshift(['sensor', buf.toString('utf8', start + SENSOR_PREFIX.length, start + space)]);
  event.line = buf.toString('utf8', start, end);
  return event;
}

const CR = 0x0d;
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DASH = 0x2d;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const LETTER_S = 0x73;
const SENSOR_PREFIX = Buffer.from('sensor=');
const CLOSE_BRACKET = 0x5d;

// ---------------------------------------------------------------------------
// NDJSON records
// ---------------------------------------------------------------------------

/** Every record trk writes starts with its type; the value's first bytes then decide. */
const TYPE_PREFIX = Buffer.from('{"type":"');
const ALERT_TYPE = Buffer.from('alert"');
const REPORT_TYPE = Buffer.from('report"');
/** For records from elsewhere (jq, another writer) whose type is not the first field. */
const ALERT_ANYWHERE = Buffer.from('"type":"alert"');
const REPORT_ANYWHERE = Buffer.from('"type":"report"');

/** The record fields that are not an alert's details. */
const ALERT_FIELDS = new Set(['type', 'ts', 'family', 'kind', 'msg']);

function parseRecord(buf: Buffer, start: number, end: number): MailEvent | typeof MALFORMED | undefined {
  if (startsWith(buf, start, end, TYPE_PREFIX)) {
    const at = start + TYPE_PREFIX.length;
    if (!startsWith(buf, at, end, ALERT_TYPE) && !startsWith(buf, at, end, REPORT_TYPE)) return undefined;
  } else {
    // Rare: search the line only (Buffer.indexOf would run on to the end of the chunk).
    const line = buf.subarray(start, end);
    if (line.indexOf(ALERT_ANYWHERE) < 0 && line.indexOf(REPORT_ANYWHERE) < 0) return undefined;
  }
  const text = buf.toString('utf8', start, end);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return MALFORMED;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return MALFORMED;
  const fields = obj as Record<string, unknown>;
  if (fields.type === 'alert') return readAlertRecord(fields, text);
  if (fields.type === 'report') {
    const report = readReportRecord(fields);
    return report === undefined ? MALFORMED : { type: 'report', ts: report.ts, report, line: text };
  }
  // "type":"alert" was a value inside some other record.
  return undefined;
}

function readAlertRecord(fields: Record<string, unknown>, line: string): AlertEvent | typeof MALFORMED {
  const { ts, family, kind, msg } = fields;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return MALFORMED;
  if (!isToken(family) || !isToken(kind)) return MALFORMED;
  if (msg !== undefined && typeof msg !== 'string') return MALFORMED;
  const details: [string, string][] = [];
  for (const key of Object.keys(fields)) {
    if (ALERT_FIELDS.has(key)) continue;
    const value = fields[key];
    // The writers make every detail a string, as on the ALERT line.
    if (typeof value !== 'string') return MALFORMED;
    details.push([key, value]);
  }
  const event: AlertEvent = { type: 'alert', ts, family, kind, details, line };
  if (msg !== undefined) event.sentence = msg;
  return event;
}

/** TYPE and KIND are single tokens on the ALERT line (awk's $4 and $5). */
function isToken(x: unknown): x is string {
  return typeof x === 'string' && x !== '' && !/\s/.test(x);
}

function startsWith(buf: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------
// DATE TIME ALERT TYPE KIND k=v,k=v,...
// ---------------------------------------------------------------------------

/** `YYYY-MM-DD HH:MM:SS` */
const DATE_TIME_LENGTH = 19;
/** ` ALERT` right after the date and time. */
const ALERT_WORD = Buffer.from(' ALERT');

function parseMachineLine(buf: Buffer, start: number, end: number): AlertEvent | typeof MALFORMED | undefined {
  const afterWord = start + DATE_TIME_LENGTH + ALERT_WORD.length;
  // The ALERT column first: it turns away STAT lines before the date is looked at.
  if (!startsWith(buf, start + DATE_TIME_LENGTH, end, ALERT_WORD)) return undefined;
  if (afterWord < end && buf[afterWord] !== SPACE) return undefined;
  if (!hasDateTimeShape(buf, start)) return undefined;
  const ts = localEpochSeconds(buf, start);
  if (ts === undefined || afterWord >= end) return MALFORMED;
  const line = buf.toString('utf8', start, end);
  // TYPE KIND and the details; writeAlert leaves a trailing blank when there are none.
  const fields = line.slice(afterWord + 1 - start).split(' ');
  if (fields.length < 2 || fields.length > 3) return MALFORMED;
  const [family, kind, detailText = ''] = fields as [string, string, string?];
  if (family === '' || kind === '') return MALFORMED;
  const details = parseDetails(detailText);
  if (details === undefined) return MALFORMED;
  return { type: 'alert', ts, family, kind, details, line };
}

/** `k=v,k=v`: every pair has a key and an `=`; values have no commas (man trk-classify, trk-threshold) and may be empty. */
function parseDetails(text: string): [string, string][] | undefined {
  if (text === '') return [];
  const details: [string, string][] = [];
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    details.push([pair.slice(0, eq), pair.slice(eq + 1)]);
  }
  return details;
}

// ---------------------------------------------------------------------------
// [DATE TIME] TYPE KIND: sentence
// ---------------------------------------------------------------------------

/** TYPE, one blank, KIND, a colon and a blank; then the sentence. -H's STAT heading ("Statistics for the …") never matches. */
const HUMAN_ALERT = /^([^\s:]+) ([^\s:]+): (.*)$/s;

function parseHumanLine(buf: Buffer, start: number, end: number): AlertEvent | typeof MALFORMED | undefined {
  const afterBracket = start + 1 + DATE_TIME_LENGTH;
  if (end - afterBracket < 2 || buf[afterBracket] !== CLOSE_BRACKET || buf[afterBracket + 1] !== SPACE) return undefined;
  if (!hasDateTimeShape(buf, start + 1)) return undefined;
  const line = buf.toString('utf8', start, end);
  const match = HUMAN_ALERT.exec(line.slice(afterBracket + 2 - start));
  if (match === null) return undefined;
  const ts = localEpochSeconds(buf, start + 1);
  if (ts === undefined) return MALFORMED;
  return { type: 'alert', ts, family: match[1]!, kind: match[2]!, details: [], sentence: match[3]!, line };
}

// ---------------------------------------------------------------------------
// Local date and time
// ---------------------------------------------------------------------------

/** Digits and separators where `YYYY-MM-DD HH:MM:SS` has them. */
function hasDateTimeShape(buf: Buffer, at: number): boolean {
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
function localEpochSeconds(buf: Buffer, at: number): number | undefined {
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
