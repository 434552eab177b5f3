/**
 * Is a batch lines? Checked whole before any of it is accepted, so a batch
 * is taken entirely or not at all, and the answer names the first bad line.
 *
 * What is checked, and only that (JSON.parse of every line would cost more
 * than everything else the collector does):
 *   - the body is UTF-8 and ends in '\n' (every line is whole);
 *   - no line holds a control character other than TAB (no NUL, no CR, no ESC);
 *   - a line that starts with '{' ends with '}' (a record was not cut short);
 *   - the count of lines is X-Trk-Lines, when the uploader sent it.
 * Each check is one native pass over the batch (isUtf8, a regular
 * expression, indexOf); the slow per-line search runs only to name a line
 * once a pass has failed.
 */
import { isUtf8 } from 'node:buffer';

export type Validation = { ok: true; lines: number } | { ok: false; message: string };

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
/** C0 controls but TAB (0x09) and the newline (0x0a), and DEL. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

export function validateBatch(body: Buffer, expectedLines?: number): Validation {
  if (body.length === 0) return { ok: false, message: 'the batch is empty' };
  if (body[body.length - 1] !== NEWLINE) {
    return { ok: false, message: `line ${countLines(body, body.length) + 1}: the last line does not end in a newline (a batch is whole lines)` };
  }
  if (!isUtf8(body)) return { ok: false, message: `line ${firstNonUtf8Line(body)}: not UTF-8` };
  // latin1 keeps one character per byte, so a match's index is the byte offset
  const control = CONTROL.exec(body.toString('latin1'));
  if (control) {
    const code = body[control.index]!;
    return { ok: false, message: `line ${countLines(body, control.index) + 1}: control character 0x${code.toString(16).padStart(2, '0')}` };
  }
  let lines = 0;
  for (let start = 0; start < body.length; ) {
    const end = body.indexOf(NEWLINE, start);
    lines++;
    if (body[start] === OPEN_BRACE && body[end - 1] !== CLOSE_BRACE) {
      return { ok: false, message: `line ${lines}: starts with '{' but does not end with '}' (a cut NDJSON record)` };
    }
    start = end + 1;
  }
  if (expectedLines !== undefined && expectedLines !== lines) {
    return { ok: false, message: `X-Trk-Lines says ${expectedLines} lines but the batch has ${lines}` };
  }
  return { ok: true, lines };
}

/** How many '\n' come before byte `end`. */
function countLines(body: Buffer, end: number): number {
  let n = 0;
  for (let at = body.indexOf(NEWLINE); at >= 0 && at < end; at = body.indexOf(NEWLINE, at + 1)) n++;
  return n;
}

/** The number of the first line that is not UTF-8 by itself. */
function firstNonUtf8Line(body: Buffer): number {
  let line = 1;
  for (let start = 0; start < body.length; line++) {
    let end = body.indexOf(NEWLINE, start);
    if (end < 0) end = body.length;
    if (!isUtf8(body.subarray(start, end))) return line;
    start = end + 1;
  }
  return line;
}
