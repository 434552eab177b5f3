/**
 * What kind of line this is, judged from a few bytes at fixed places without
 * decoding it: trk-upload chooses what to ship by it (--only/--ignore), and
 * the ClickHouse target routes rows by it.
 *
 *   {"type":"pkt",…}                     pkt (and tally, alert, stat, report: the record's type)
 *   {"sensor":"gw1","type":"stat",…}     the same, as trk-collect tags it
 *   2026-11-22 09:42:04 STAT k=v …       stat   (NetTracker's machine form)
 *   2026-11-22 09:42:04 ALERT T K k=v,…  alert
 *   sensor=gw1 2026-11-22 … ALERT …      alert  (as trk-collect tags it)
 *   anything else                        other  (-H lines for people, blank lines, …)
 *
 * A receiver tells the text lines from NDJSON the same way: an NDJSON record
 * starts with '{', a STAT/ALERT line with a digit (or `sensor=`).
 */

export const LINE_KINDS = ['pkt', 'tally', 'alert', 'stat', 'report', 'other'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const TYPE_KEY = Buffer.from('"type":"');
/** How trk-collect tags a sensor's record and its text lines (src/collect/tag.ts). */
export const SENSOR_RECORD_TAG = Buffer.from('{"sensor":"');
export const SENSOR_TEXT_TAG = Buffer.from('sensor=');
const STAT = Buffer.from('STAT');
const ALERT = Buffer.from('ALERT');

/** The kind of buf[start, end) (one line, without its '\n'). */
export function lineKind(buf: Buffer, start: number, end: number): LineKind {
  if (end - start < 2) return 'other';
  const first = buf[start]!;
  if (first === OPEN_BRACE) return recordKind(buf, start, end);
  if (first >= DIGIT_0 && first <= DIGIT_9) return textKind(buf, start, end);
  const space = sensorTagSpace(buf, start, end);
  return space < 0 ? 'other' : textKind(buf, space + 1, end);
}

/**
 * For a text line trk-collect tagged, `sensor=NAME LINE`: the index of the
 * blank after NAME (NAME is buf[start + SENSOR_TEXT_TAG.length, it), LINE
 * follows it); -1 for any other line.
 */
export function sensorTagSpace(buf: Buffer, start: number, end: number): number {
  if (!startsWith(buf, start, end, SENSOR_TEXT_TAG)) return -1;
  const space = buf.indexOf(SPACE, start + SENSOR_TEXT_TAG.length);
  return space < 0 || space >= end ? -1 : space;
}

/** A record's "type", which trk writes first (or second, after trk-collect's "sensor"). */
function recordKind(buf: Buffer, start: number, end: number): LineKind {
  let at = start + 1;
  if (startsWith(buf, start, end, SENSOR_RECORD_TAG)) {
    // skip the sensor's name (no quotes or escapes in it: see SENSOR_NAME) and the comma
    const close = buf.indexOf(QUOTE, start + SENSOR_RECORD_TAG.length);
    if (close < 0 || close + 2 > end) return 'other';
    at = close + 2;
  }
  if (!startsWith(buf, at, end, TYPE_KEY)) return 'other';
  at += TYPE_KEY.length;
  const close = buf.indexOf(QUOTE, at);
  if (close < 0 || close >= end) return 'other';
  switch (close - at) {
    case 3:
      return buf[at] === 0x70 && buf[at + 1] === 0x6b && buf[at + 2] === 0x74 ? 'pkt' : 'other';
    case 4:
      return buf.toString('latin1', at, close) === 'stat' ? 'stat' : 'other';
    case 5: {
      const t = buf.toString('latin1', at, close);
      return t === 'tally' || t === 'alert' ? t : 'other';
    }
    case 6:
      return buf.toString('latin1', at, close) === 'report' ? 'report' : 'other';
    default:
      return 'other';
  }
}

/** `YYYY-MM-DD HH:MM:SS STAT …` or `… ALERT …`: the third word, at a fixed place. */
function textKind(buf: Buffer, start: number, end: number): LineKind {
  const at = start + 20; // "2026-11-22 09:42:04 " is 20 bytes
  if (end - at < 4 || buf[start + 10] !== SPACE || buf[at - 1] !== SPACE) return 'other';
  if (startsWith(buf, at, end, STAT) && (at + 4 === end || buf[at + 4] === SPACE)) return 'stat';
  if (startsWith(buf, at, end, ALERT) && (at + 5 === end || buf[at + 5] === SPACE)) return 'alert';
  return 'other';
}

/** buf[start, end) begins with prefix. */
export function startsWith(buf: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

/**
 * A selection of kinds from --only and --ignore (repeatable, comma-separated
 * lists of LINE_KINDS): --only narrows, --ignore then takes away.
 * Throws an Error naming the unknown kind.
 */
export function kindSelection(only: string[], ignore: string[]): (kind: LineKind) => boolean {
  const parse = (values: string[], option: string): Set<LineKind> => {
    const set = new Set<LineKind>();
    for (const v of values.flatMap((x) => x.split(','))) {
      const k = v.trim().toLowerCase();
      if (k === '') continue;
      if (!(LINE_KINDS as readonly string[]).includes(k)) throw new Error(`${option} takes ${LINE_KINDS.join(', ')}; not '${v.trim()}'`);
      set.add(k as LineKind);
    }
    return set;
  };
  const onlySet = parse(only, '--only');
  const ignoreSet = parse(ignore, '--ignore');
  const chosen = LINE_KINDS.filter((k) => (onlySet.size === 0 || onlySet.has(k)) && !ignoreSet.has(k));
  const table = new Set<LineKind>(chosen);
  return (kind) => table.has(kind);
}
