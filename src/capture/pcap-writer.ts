/**
 * Writes classic pcap (little-endian, version 2.4) to a stream.
 *
 * File header (24 bytes), then per packet a 16-byte record header and the
 * captured bytes (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html):
 *
 *    0      magic  a1b2c3d4 (µs) / a1b23c4d (ns)   16  snaplen
 *    4      major 2, minor 4                        20  linktype
 *    8      thiszone 0, 12 sigfigs 0
 *  record:  ts_sec, ts_frac, incl_len, orig_len  (4 bytes each)
 *
 * Records are copied into one large chunk and handed to the stream only when
 * it is full, so writing millions of small frames costs one stream write per
 * megabyte, not one per packet. Back-pressure follows Writable.write():
 * `write()` returns false when the stream is full, and the caller then awaits
 * `drain()` before writing more.
 */
import type { Writable } from 'node:stream';

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
/** tcpdump's default snaplen since 4.99: big enough for any frame. */
const DEFAULT_SNAPLEN = 262144;
const CHUNK = 1024 * 1024;

export interface PcapWriterOptions {
  /** LINKTYPE_* of every frame (1 = Ethernet). */
  linktype: number;
  /** Frames longer than this are cut to it (their wire length is kept). */
  snaplen?: number;
  /** Timestamps are seconds + nanoseconds instead of seconds + microseconds. */
  nanosecond?: boolean;
}

export class PcapWriter {
  readonly snaplen: number;
  private readonly fracLimit: number;
  private buf: Buffer;
  private pos = 0;
  private waiting: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly out: Writable,
    opts: PcapWriterOptions,
  ) {
    const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0x7fffffff) throw new RangeError(`bad snaplen ${snaplen}`);
    if (!Number.isInteger(opts.linktype) || opts.linktype < 0 || opts.linktype > 0xffff) {
      throw new RangeError(`bad linktype ${opts.linktype}`);
    }
    this.snaplen = snaplen;
    this.fracLimit = opts.nanosecond ? 1e9 : 1e6;
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, FILE_HEADER));
    const b = this.buf;
    b.writeUInt32LE(opts.nanosecond ? MAGIC_NANO : MAGIC_MICRO, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8);
    b.writeUInt32LE(0, 12);
    b.writeUInt32LE(snaplen, 16);
    b.writeUInt32LE(opts.linktype, 20);
    this.pos = FILE_HEADER;
    out.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  /**
   * Append one packet: the whole of `frame`, cut to the snaplen. `wireLen` is
   * its length on the wire when `frame` is already a cut-down copy (default:
   * frame.length). Returns false when the stream is full: await drain() then.
   */
  write(tsSec: number, tsFrac: number, frame: Buffer, wireLen: number = frame.length): boolean {
    if (this.failure) throw this.failure;
    if (!(tsSec >= 0 && tsSec <= 0xffffffff && Number.isInteger(tsSec))) throw new RangeError(`bad timestamp seconds ${tsSec}`);
    if (!(tsFrac >= 0 && tsFrac < this.fracLimit && Number.isInteger(tsFrac))) throw new RangeError(`bad timestamp fraction ${tsFrac}`);
    if (!(wireLen >= frame.length && wireLen <= 0xffffffff && Number.isInteger(wireLen))) {
      throw new RangeError(`wire length ${wireLen} is shorter than the ${frame.length}-byte frame`);
    }
    const caplen = frame.length < this.snaplen ? frame.length : this.snaplen;
    let ok = true;
    if (this.pos + RECORD_HEADER + caplen > this.buf.length) {
      ok = this.flush();
      if (RECORD_HEADER + caplen > this.buf.length) this.buf = Buffer.allocUnsafe(RECORD_HEADER + caplen);
    }
    const b = this.buf;
    let p = this.pos;
    b.writeUInt32LE(tsSec, p);
    b.writeUInt32LE(tsFrac, p + 4);
    b.writeUInt32LE(caplen, p + 8);
    b.writeUInt32LE(wireLen, p + 12);
    p += RECORD_HEADER;
    frame.copy(b, p, 0, caplen);
    this.pos = p + caplen;
    return ok && this.waiting === undefined;
  }

  /** Resolves when the stream can take more (at once when it can now). */
  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.waiting ?? Promise.resolve();
  }

  /** Write what is buffered, end the stream and wait until it has finished (file closed). */
  async end(): Promise<void> {
    this.flush();
    if (this.waiting) await this.waiting;
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => {
        this.out.off('error', done);
        this.out.off('finish', finished);
        if (err) reject(err);
        else resolve();
      };
      const finished = (): void => done();
      this.out.once('error', done);
      this.out.once('finish', finished);
      this.out.end();
    });
  }

  /** Hand the chunk to the stream; false when the stream asks us to wait. */
  private flush(): boolean {
    if (this.pos === 0) return this.waiting === undefined;
    const chunk = this.buf.subarray(0, this.pos);
    // the stream keeps `chunk` until it is written: carry on in a fresh buffer
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
    const ok = this.out.write(chunk);
    if (!ok && this.waiting === undefined) {
      this.waiting = new Promise<void>((resolve) => {
        const done = (): void => {
          this.out.off('drain', done);
          this.out.off('close', done);
          this.out.off('error', done);
          this.waiting = undefined;
          resolve();
        };
        this.out.on('drain', done);
        this.out.on('close', done);
        this.out.on('error', done);
      });
    }
    return ok;
  }
}
