/**
 * The one place where commands write their lines.
 *
 * Records are formatted straight into a large Buffer (no per-record strings)
 * and handed to the stream in chunks; `drain()` tells the producer to wait
 * while the stream is full, so a slow reader slows us down instead of making
 * memory grow. A closed pipe (`| head -1`) is not an error: `closed` turns
 * true and the producer stops reading.
 */
import type { Writable } from 'node:stream';
import { putUint, putUintPadded } from '../format/bytes.js';

/** The most one record may take; callers reserve this much before formatting one. */
export const MAX_RECORD = 8192;

const DEFAULT_CHUNK = 256 * 1024;
/**
 * Longest a written line waits in the buffer. A file fills chunks at once; a
 * quiet live capture or pipe might take minutes to fill one, and the lines
 * must reach `grep` and the operator's screen before that.
 */
const IDLE_FLUSH_MS = 50;

export class LineOutput {
  buf: Buffer;
  pos = 0;
  /** True once the reader has gone away (EPIPE): stop producing. */
  closed = false;
  /** Set while the stream has asked us to wait; resolves on its 'drain'. */
  waiting: Promise<void> | undefined;
  private failure: Error | undefined;
  private idleFlush: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly chunkSize = DEFAULT_CHUNK,
  ) {
    this.buf = Buffer.allocUnsafe(chunkSize);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else this.failure = err;
    });
  }

  /** Make sure `n` more bytes fit in the current chunk, flushing it if not. */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    }
  }

  /** Append a string of code points < 256 (ASCII, latin1). Caller reserved room. */
  ascii(s: string): void {
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  /** Append UTF-8 text of unknown length (it reserves room itself). */
  utf8(s: string): void {
    const n = Buffer.byteLength(s);
    this.reserve(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Append a whole line given as a string (adds the newline). */
  line(s: string): void {
    this.utf8(s);
    this.reserve(1);
    this.buf[this.pos++] = 10;
  }

  /** Append buf[start, end) as it is, then a newline: a line passed through unread. */
  copyLine(buf: Buffer, start: number, end: number): void {
    this.reserve(end - start + 1);
    this.pos += buf.copy(this.buf, this.pos, start, end);
    this.buf[this.pos++] = 10;
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** Append a non-negative integer below 2^53 in decimal. */
  uint(n: number): void {
    this.pos = putUint(this.buf, this.pos, n);
  }

  /** Append n zero-padded to `width` digits (for fractions of a second). */
  uintPadded(n: number, width: number): void {
    this.pos = putUintPadded(this.buf, this.pos, n, width);
  }

  /**
   * Hand the bytes written so far to the stream. Returns false when the stream
   * asks us to wait (then await drain()).
   */
  flush(): boolean {
    if (this.idleFlush) {
      clearTimeout(this.idleFlush);
      this.idleFlush = undefined;
    }
    if (this.failure) throw this.failure;
    if (this.pos === 0 || this.closed) {
      this.pos = 0;
      return !this.waiting;
    }
    const chunk = this.buf.subarray(0, this.pos);
    // the stream keeps `chunk` until it is written: start a fresh buffer
    this.buf = Buffer.allocUnsafe(this.chunkSize);
    this.pos = 0;
    return this.send(chunk);
  }

  /**
   * Append bytes as they are: a command passing its input on (trk-mail).
   * A large chunk goes to the stream itself, without a copy; the caller must
   * not change it afterwards (input chunks are fresh Buffers).
   */
  bytes(chunk: Buffer): void {
    if (chunk.length < this.chunkSize / 2) {
      this.reserve(chunk.length);
      this.pos += chunk.copy(this.buf, this.pos);
      return;
    }
    this.flush();
    if (this.closed) return;
    this.send(chunk);
  }

  private send(chunk: Buffer): boolean {
    const ok = this.stream.write(chunk);
    if (!ok && !this.waiting) {
      this.waiting = new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          this.stream.off('error', done);
          this.waiting = undefined;
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('close', done);
        this.stream.on('error', done);
      });
    }
    return ok;
  }

  /** Flush when the chunk is mostly full; returns a promise to await when the stream is full. */
  drain(): Promise<void> | undefined {
    if (this.pos > this.chunkSize / 2) this.flush();
    else if (this.pos > 0 && !this.idleFlush) {
      this.idleFlush = setTimeout(() => {
        this.idleFlush = undefined;
        this.flush();
      }, IDLE_FLUSH_MS);
      this.idleFlush.unref();
    }
    if (this.failure) throw this.failure;
    return this.waiting;
  }

  /** Flush everything and wait until the stream has taken it. */
  async end(): Promise<void> {
    this.flush();
    if (this.waiting) await this.waiting;
    if (this.failure) throw this.failure;
  }
}
