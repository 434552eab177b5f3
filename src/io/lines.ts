/**
 * The one place where commands read lines: split a byte stream at '\n' and
 * hand each line to a sink as a slice of the chunk it arrived in (no string,
 * no copy), awaiting the sink's drain() between chunks so a slow stdout slows
 * the reading down instead of filling memory.
 *
 * A line split across two chunks is copied once into a carry buffer. A line
 * longer than `maxLine` is not a record any command reads: it is handed on
 * in pieces through `sink.overlong()` as it arrives (a command passes it
 * through unchanged, as it does every line it does not consume) so memory
 * stays bounded whatever the input. A last line without '\n' is still a line.
 */
import type { Readable } from 'node:stream';
import { InputError } from '../capture/source.js';
import { describeReadError, stopInput } from '../capture/file.js';

/** Longest line read as a record: far above any pkt record (< 8 KiB), far below trouble. */
export const MAX_LINE = 1024 * 1024;

export interface LineSink {
  /** One line, buf[start, end), without its '\n'. Valid only during the call. */
  line(buf: Buffer, start: number, end: number): void;
  /**
   * A piece of a line longer than maxLine; `last` is true for the piece that
   * ends it (whose '\n', if there was one, is not included).
   */
  overlong(piece: Buffer, last: boolean): void;
  /** Resolves when the sink can take more; undefined when it can right now. */
  drain(): Promise<void> | undefined;
}

export interface LinesSummary {
  lines: number;
  bytes: number;
}

const NEWLINE = 0x0a;

export async function readLines(
  input: Readable,
  name: string,
  sink: LineSink,
  options: {
    signal?: AbortSignal;
    maxLine?: number;
    /**
     * Each chunk as it came, before it is split: for a command that passes its
     * input on byte for byte (trk-mail) and only looks at the lines.
     */
    onChunk?: (chunk: Buffer) => void;
  } = {},
): Promise<LinesSummary> {
  const maxLine = options.maxLine ?? MAX_LINE;
  const signal = options.signal;
  const summary: LinesSummary = { lines: 0, bytes: 0 };
  let carry = Buffer.allocUnsafe(64 * 1024);
  let carryLength = 0;
  /** Inside a line longer than maxLine, which goes to overlong() piece by piece. */
  let passing = false;

  const stop = (): void => stopInput(input);
  if (signal?.aborted) return summary;
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const raw of input) {
      if (signal?.aborted) break;
      const chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
      summary.bytes += chunk.length;
      options.onChunk?.(chunk);
      let pos = 0;
      while (pos < chunk.length) {
        const nl = chunk.indexOf(NEWLINE, pos);
        const end = nl < 0 ? chunk.length : nl;
        if (passing) {
          sink.overlong(chunk.subarray(pos, end), nl >= 0);
          if (nl >= 0) {
            passing = false;
            summary.lines++;
          }
        } else if (carryLength === 0 && nl >= 0) {
          // the usual case: the whole line is inside this chunk
          summary.lines++;
          sink.line(chunk, pos, end);
        } else if (carryLength + (end - pos) > maxLine) {
          sink.overlong(carry.subarray(0, carryLength), false);
          carryLength = 0;
          sink.overlong(chunk.subarray(pos, end), nl >= 0);
          if (nl >= 0) summary.lines++;
          else passing = true;
        } else {
          const need = carryLength + (end - pos);
          if (need > carry.length) {
            const bigger = Buffer.allocUnsafe(Math.min(maxLine, Math.max(need, carry.length * 2)));
            carry.copy(bigger, 0, 0, carryLength);
            carry = bigger;
          }
          chunk.copy(carry, carryLength, pos, end);
          carryLength = need;
          if (nl >= 0) {
            summary.lines++;
            sink.line(carry, 0, carryLength);
            carryLength = 0;
          }
        }
        if (nl < 0) break;
        pos = nl + 1;
      }
      const waiting = sink.drain();
      if (waiting) await waiting;
    }
  } catch (err) {
    if (!signal?.aborted) {
      finish();
      throw new InputError(`${name}: ${describeReadError(err)}`);
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  finish();
  return summary;

  /** The last line, ended by the end of input (or a failure, or an interrupt) rather than '\n': nothing read is lost. */
  function finish(): void {
    if (passing) sink.overlong(Buffer.alloc(0), true);
    else if (carryLength > 0) {
      summary.lines++;
      sink.line(carry, 0, carryLength);
    }
    passing = false;
    carryLength = 0;
  }
}
