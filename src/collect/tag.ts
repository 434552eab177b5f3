/**
 * A line as trk-collect writes it on standard output: tagged with the sensor
 * it came from, so one stream can hold many sensors and still be read by
 * the other commands, awk and jq.
 *
 *   {"type":"stat",…}                  → {"sensor":"gw1","type":"stat",…}
 *   {"sensor":"gw1",…}                 → as it is (tagged upstream: a collector's output sent on)
 *   {}                                 → {"sensor":"gw1"}
 *   2026-11-22 09:42:04 ALERT …        → sensor=gw1 2026-11-22 09:42:04 ALERT …
 *   sensor=gw1 …                       → as it is, likewise
 *   anything else, an empty line too   → sensor=gw1 …
 *
 * src/io/line-kind.ts reads both tagged forms.
 */
import type { LineOutput } from '../io/output.js';
import { SENSOR_TEXT_TAG, startsWith } from '../io/line-kind.js';

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const ALREADY_TAGGED = Buffer.from('{"sensor":');

export interface SensorTags {
  /** `{"sensor":"NAME",` — replaces a record's opening brace. */
  record: Buffer;
  /** `{"sensor":"NAME"` — for `{}`, which must not get a comma. */
  emptyRecord: Buffer;
  /** `sensor=NAME ` — before a text line. */
  text: Buffer;
}

/** The name must match SENSOR_NAME (no quote, backslash or space), so it goes into JSON and awk as it is. */
export function sensorTags(sensor: string): SensorTags {
  return {
    record: Buffer.from(`{"sensor":"${sensor}",`),
    emptyRecord: Buffer.from(`{"sensor":"${sensor}"`),
    text: Buffer.from(`sensor=${sensor} `),
  };
}

/** Write every line of a validated batch (whole lines, each ending '\n') tagged to `out`. */
export function writeTagged(out: LineOutput, tags: SensorTags, body: Buffer): void {
  for (let start = 0; start < body.length; ) {
    let end = body.indexOf(NEWLINE, start);
    if (end < 0) end = body.length;
    if (body[start] === OPEN_BRACE) {
      if (startsWith(body, start, end, ALREADY_TAGGED)) {
        out.copyLine(body, start, end);
      } else {
        let next = start + 1;
        while (next < end && (body[next] === 0x20 || body[next] === 0x09)) next++;
        const prefix = body[next] === CLOSE_BRACE ? tags.emptyRecord : tags.record;
        out.reserve(prefix.length + end - start);
        out.pos += prefix.copy(out.buf, out.pos);
        out.copyLine(body, start + 1, end);
      }
    } else if (startsWith(body, start, end, SENSOR_TEXT_TAG)) {
      out.copyLine(body, start, end);
    } else {
      out.reserve(tags.text.length + end - start + 1);
      out.pos += tags.text.copy(out.buf, out.pos);
      out.copyLine(body, start, end);
    }
    start = end + 1;
  }
}
