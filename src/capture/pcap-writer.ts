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
 * Records are copied into one large chunk (a LineOutput: the same buffer the
 * commands write their lines into) and handed to the stream only when it is
 * full, so writing millions of small frames costs one stream write per
 * megabyte, not one per packet. Back-pressure follows Writable.write():
 * `write()` returns false when the stream is full, and the caller then awaits
 * `drain()` before writing more.
 */
import type { Writable } from 'node:stream';
import { LineOutput } from '../io/output.js';

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
  /** The chunked buffer with back-pressure that the line-writing commands use too. */
  private readonly output: LineOutput;
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
    this.output = new LineOutput(out, CHUNK);
    const o = this.output;
    o.reserve(FILE_HEADER);
    const b = o.buf;
    const p = o.pos;
    b.writeUInt32LE(opts.nanosecond ? MAGIC_NANO : MAGIC_MICRO, p);
    b.writeUInt16LE(2, p + 4);
    b.writeUInt16LE(4, p + 6);
    b.writeInt32LE(0, p + 8);
    b.writeUInt32LE(0, p + 12);
    b.writeUInt32LE(snaplen, p + 16);
    b.writeUInt32LE(opts.linktype, p + 20);
    o.pos = p + FILE_HEADER;
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
    const o = this.output;
    o.reserve(RECORD_HEADER + caplen); // hands a full chunk to the stream
    const b = o.buf;
    const p = o.pos;
    b.writeUInt32LE(tsSec, p);
    b.writeUInt32LE(tsFrac, p + 4);
    b.writeUInt32LE(caplen, p + 8);
    b.writeUInt32LE(wireLen, p + 12);
    frame.copy(b, p + RECORD_HEADER, 0, caplen);
    o.pos = p + RECORD_HEADER + caplen;
    return !o.waiting;
  }

  /** Resolves when the stream can take more (at once when it can now). */
  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.output.waiting ?? Promise.resolve();
  }

  /** Write what is buffered, end the stream and wait until it has finished (file closed). */
  async end(): Promise<void> {
    await this.output.end();
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
}
