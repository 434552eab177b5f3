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
import { DATE_TIME_LENGTH, hasDateTimeShape, localEpochSeconds, parseDetails } from '../io/text-line.js';
import { SENSOR_TEXT_TAG, sensorTagSpace, startsWith } from '../io/line-kind.js';
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
  if (first === LETTER_S) return parseTaggedLine(buf, start, end);
  if (first === OPEN_BRACE) return parseRecord(buf, start, end);
  if (first >= DIGIT_0 && first <= DIGIT_9) return parseMachineLine(buf, start, end);
  if (first === OPEN_BRACKET) return parseHumanLine(buf, start, end);
  return undefined;
}

/**
 * `sensor=NAME LINE`, as trk-collect writes a sensor's text lines: LINE is
 * read as usual and the sensor becomes the alert's first detail, so a
 * central digest says where each alert came from. (A tagged record,
 * {"sensor":"NAME","type":"alert",…}, needs nothing: sensor is one of its
 * string fields, so it is a detail already.)
 */
function parseTaggedLine(buf: Buffer, start: number, end: number): MailEvent | typeof MALFORMED | undefined {
  const space = sensorTagSpace(buf, start, end);
  if (space < 0 || space >= end - 1) return undefined;
  const first = buf[space + 1]!;
  if (first === LETTER_S) return undefined;
  const event = parseEventLine(buf, space + 1, end);
  if (event === undefined || event === MALFORMED || event.type !== 'alert') return event;
  const sensor = buf.toString('utf8', start + SENSOR_TEXT_TAG.length, space);
  return { ...event, details: [['sensor', sensor], ...event.details], line: buf.toString('utf8', start, end) };
}

const LETTER_S = 0x73;
const CR = 0x0d;
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
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


// ---------------------------------------------------------------------------
// DATE TIME ALERT TYPE KIND k=v,k=v,...
// ---------------------------------------------------------------------------

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
