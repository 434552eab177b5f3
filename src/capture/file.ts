/**
 * Capture files: open a path or standard input, gunzip it if it is gzip, tell
 * pcap from pcapng by the first four bytes, and hand every packet to a sink.
 *
 * Records are parsed straight out of each chunk read (1 MiB from files); only
 * a record split across two chunks is copied, into one reassembly buffer that
 * lives as long as the file. Damage part-way through (a cut, a length read
 * from garbage) ends the file quietly with every packet before it delivered
 * and the byte offset of the damaged record in the summary: a capture that
 * was still being written, or was cut by a full disk, is the normal case.
 */
import fs from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { InputError, type PacketSink, type SourceSummary } from './source.js';
import { DAMAGED, NEED_MORE, type RecordParser } from './records.js';
import { PcapParser, pcapMagicKind, PCAP_MAGIC_MODIFIED, PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC } from './pcap.js';
import { PcapngParser, PCAPNG_SECTION_HEADER } from './pcapng.js';

/** Bytes per read from a file: large reads keep the per-chunk cost (an await, a drain check) out of the per-packet cost. */
const READ_CHUNK = 1024 * 1024;
/** Output chunk of the gunzip stream. */
const GUNZIP_CHUNK = 128 * 1024;
const MAGIC_LENGTH = 4;

/** Streams whose first bytes have been looked at already: readCapture need not check them for gzip again. */
const decoded = new WeakSet<Readable>();
/**
 * The stream under each gzip-sniffing wrapper. Destroying the wrapper alone
 * waits for its generator, which waits for the source: to stop reading an
 * idle pipe the source itself must be destroyed.
 */
const sourceOf = new WeakMap<Readable, Readable>();

/**
 * Opens a path for reading; '-' is stdin. A gzip stream (magic 1f 8b, whatever
 * the name) is gunzipped transparently. Throws InputError("FILE: No such file
 * or directory") style one-liners for open failures (ENOENT, EACCES, EISDIR).
 */
export function openCaptureInput(path: string): Readable {
  if (path === '-') return gunzipIfCompressed(process.stdin);
  let fd: number;
  let stat: fs.Stats;
  try {
    fd = fs.openSync(path, 'r');
    stat = fs.fstatSync(fd);
  } catch (err) {
    throw new InputError(`${path}: ${describeSystemError(err)}`);
  }
  if (stat.isDirectory()) {
    fs.closeSync(fd);
    throw new InputError(`${path}: Is a directory`);
  }
  const stream = fs.createReadStream(path, { fd, highWaterMark: READ_CHUNK });
  if (!stat.isFile()) return gunzipIfCompressed(stream); // a FIFO or device cannot be peeked at
  const head = Buffer.alloc(2);
  let got = 0;
  try {
    got = fs.readSync(fd, head, 0, 2, 0); // positional: the stream still starts at byte 0
  } catch {
    // the stream's own read will report it
  }
  if (got === 2 && isGzip(head)) return gunzip(stream);
  decoded.add(stream);
  return stream;
}

/** Reads a pcap or pcapng stream and calls sink.packet(p) for every packet, awaiting sink.drain() between chunks. */
export async function readCapture(
  input: Readable,
  name: string,
  sink: PacketSink,
  options: { signal?: AbortSignal } = {},
): Promise<SourceSummary> {
  const reader = new RecordReader(name, sink);
  const signal = options.signal;
  const chunks: AsyncIterable<Buffer> = decoded.has(input) ? input : gunzipIfCompressed(input);
  // An abort must end the read even while no data comes (an idle pipe from
  // `tcpdump -w -`): destroying the input ends the loop below at once.
  const stopReading = (): void => {
    sourceOf.get(input)?.destroy();
    input.destroy();
    if (chunks !== input) (chunks as Readable).destroy?.();
  };
  if (signal?.aborted) return reader.finish(true);
  signal?.addEventListener('abort', stopReading, { once: true });
  try {
    for await (const chunk of chunks) {
      if (signal?.aborted) break;
      if (!reader.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk)) break;
      const waiting = sink.drain();
      if (waiting) await waiting;
      if (signal?.aborted) break;
    }
  } catch (err) {
    if (signal?.aborted) return reader.finish(true);
    if (err instanceof InputError) throw err;
    return reader.streamFailed(err);
  } finally {
    signal?.removeEventListener('abort', stopReading);
  }
  return reader.finish(signal?.aborted ?? false);
}

/** What peekInput learned from the first bytes of an input. */
export interface PeekedInput {
  /** The same bytes as the input, from the first (readCapture and readLines take it). */
  stream: Readable;
  /** The input starts with a pcap or pcapng magic number (either byte order). */
  isCapture: boolean;
  /** Nothing at all was read. */
  empty: boolean;
}

/**
 * Looks at the first bytes of an input opened by openCaptureInput (so after
 * any gunzip) to tell a capture from text: every command that reads pkt
 * records also takes a capture on the same standard input or -r FILE and
 * decodes it in-process (DESIGN.md, "Commands"). The bytes looked at are not
 * lost: the returned stream starts with them.
 */
export async function peekInput(input: Readable, name: string): Promise<PeekedInput> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  try {
    while (head.length < MAGIC_LENGTH) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
    }
  } catch (err) {
    throw new InputError(`${name}: ${describeStreamError(err)}`);
  }
  const first = head;
  const rest = async function* (): AsyncGenerator<Buffer> {
    try {
      if (first.length) yield first;
      if (ended) return;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      }
    } finally {
      await chunks.return?.();
    }
  };
  const stream = Readable.from(rest(), { objectMode: false, highWaterMark: READ_CHUNK });
  decoded.add(stream);
  sourceOf.set(stream, sourceOf.get(input) ?? input);
  return {
    stream,
    isCapture: head.length > 0 && isMagicPrefix(head.subarray(0, MAGIC_LENGTH)),
    empty: head.length === 0,
  };
}

/** Stops reading an input at once, even an idle pipe (see readCapture). */
export function stopInput(input: Readable): void {
  sourceOf.get(input)?.destroy();
  input.destroy();
}

/** One line on stderr for a failed read of a stream. */
export function describeReadError(err: unknown): string {
  return describeStreamError(err);
}

/** Splits a byte stream into records for the parser its magic number names, across chunk boundaries. */
class RecordReader {
  private parser: RecordParser | undefined;
  /** The start of a record that has not fully arrived (or of the magic number), copied out of earlier chunks. */
  private carry = Buffer.allocUnsafe(64 * 1024);
  private carryLength = 0;
  /** Offset in the (uncompressed) stream of the next record's first byte. */
  private offset = 0;
  private damage: { offset: number; reason: string } | undefined;

  constructor(
    private readonly name: string,
    private readonly sink: PacketSink,
  ) {}

  /** Parses every whole record in the chunk. False once the stream is damaged: read no further. */
  feed(chunk: Buffer): boolean {
    let off = 0;
    const end = chunk.length;
    if (this.parser === undefined) {
      off = this.takeInto(chunk, 0, MAGIC_LENGTH);
      if (this.carryLength < MAGIC_LENGTH) return true;
      this.parser = this.parserFor(this.carry);
    }
    const parser = this.parser;
    while (this.carryLength > 0) {
      if (this.carryLength < parser.need) {
        off = this.takeInto(chunk, off, parser.need);
        if (this.carryLength < parser.need) return true;
      }
      const result = parser.step(this.carry, 0, this.carryLength);
      if (result === DAMAGED) return this.damaged(parser.damageReason);
      if (result === NEED_MORE) {
        // a parser that asks for bytes it already has would loop forever
        if (parser.need <= this.carryLength) return this.damaged('internal error: parser made no progress');
        continue;
      }
      this.offset += result;
      this.carryLength -= result;
      if (this.carryLength > 0) this.carry.copyWithin(0, result, result + this.carryLength);
    }
    while (off < end) {
      const result = parser.step(chunk, off, end);
      if (result > 0) {
        off += result;
        this.offset += result;
      } else if (result === DAMAGED) {
        return this.damaged(parser.damageReason);
      } else {
        if (parser.need <= end - off) return this.damaged('internal error: parser made no progress');
        this.takeInto(chunk, off, parser.need);
        break;
      }
    }
    return true;
  }

  /** The stream ended: a record still incomplete means the file was cut. */
  finish(aborted: boolean): SourceSummary {
    const packets = this.parser?.packets ?? 0;
    if (this.damage) return { packets, damage: this.damage };
    if (aborted) return { packets };
    if (this.parser === undefined) {
      if (this.carryLength === 0) throw new InputError(`${this.name}: empty file, no capture header`);
      const head = this.carry.subarray(0, this.carryLength);
      if (!isMagicPrefix(head)) throw this.notACapture(head);
      return { packets, damage: { offset: 0, reason: `truncated file header (${this.carryLength} bytes)` } };
    }
    if (this.carryLength > 0) {
      return { packets, damage: { offset: this.offset, reason: this.parser.truncatedReason(this.carryLength) } };
    }
    return { packets };
  }

  /** Reading failed (gzip data corrupt or cut short, an I/O error): damage, unless nothing was recognised yet. */
  streamFailed(err: unknown): SourceSummary {
    const reason = describeStreamError(err);
    if (this.parser === undefined) throw new InputError(`${this.name}: ${reason}`);
    return { packets: this.parser.packets, damage: { offset: this.offset, reason } };
  }

  private damaged(reason: string): false {
    this.damage = { offset: this.offset, reason };
    return false;
  }

  /** Copies chunk bytes from `from` into the carry until it holds `need` bytes or the chunk ends; returns the next unread offset. */
  private takeInto(chunk: Buffer, from: number, need: number): number {
    const take = Math.min(need - this.carryLength, chunk.length - from);
    if (take <= 0) return from;
    if (this.carry.length < this.carryLength + take) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.carry.length * 2));
      this.carry.copy(grown, 0, 0, this.carryLength);
      this.carry = grown;
    }
    chunk.copy(this.carry, this.carryLength, from, from + take);
    this.carryLength += take;
    return from + take;
  }

  private parserFor(head: Buffer): RecordParser {
    if (head.readUInt32BE(0) === PCAPNG_SECTION_HEADER) return new PcapngParser(this.sink);
    if (pcapMagicKind(head)) return new PcapParser(this.sink);
    throw this.notACapture(head.subarray(0, MAGIC_LENGTH));
  }

  private notACapture(head: Buffer): InputError {
    return new InputError(`${this.name}: not a pcap or pcapng file (starts with 0x${head.toString('hex')})`);
  }
}

const MAGICS = [PCAPNG_SECTION_HEADER, PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC, PCAP_MAGIC_MODIFIED].flatMap((magic) => {
  const be = Buffer.alloc(4);
  be.writeUInt32BE(magic);
  return [be, Buffer.from(be).reverse()];
});

/** The first bytes of some capture magic number (a file cut inside its header). */
function isMagicPrefix(head: Buffer): boolean {
  return MAGICS.some((magic) => magic.subarray(0, head.length).equals(head));
}

function isGzip(head: Buffer): boolean {
  return head[0] === 0x1f && head[1] === 0x8b;
}

function gunzip(source: Readable): Readable {
  const out = Readable.from(gunzipChecked(source), { objectMode: false, highWaterMark: READ_CHUNK });
  decoded.add(out);
  return out;
}

/**
 * Gunzips `source`, yielding every byte inflated before a failure. zlib drops
 * the output of its last step when that step fails, so a stream cut short is
 * inflated with Z_SYNC_FLUSH (no error at the cut, nothing dropped) and the cut
 * is found afterwards: a whole gzip member ends with the inflated size mod 2^32
 * (ISIZE, RFC 1952), which a cut stream's last four bytes almost never match.
 * Corrupt data still fails inside zlib, where up to one output chunk before the
 * failure is lost; it was next to corrupt data anyway.
 */
async function* gunzipChecked(source: Readable): AsyncGenerator<Buffer> {
  const inflate = zlib.createGunzip({ chunkSize: GUNZIP_CHUNK, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const tail = Buffer.alloc(4);
  let compressed = 0;
  source.on('data', (chunk: Buffer) => {
    if (chunk.length >= 4) chunk.copy(tail, 0, chunk.length - 4);
    else {
      tail.copyWithin(0, chunk.length);
      chunk.copy(tail, 4 - chunk.length);
    }
    compressed += chunk.length;
  });
  // pipeline forwards a read error of the source to `inflate` and closes the source when `inflate` is destroyed
  pipeline(source, inflate, () => {});
  let inflated = 0;
  for await (const chunk of inflate as AsyncIterable<Buffer>) {
    inflated += chunk.length;
    yield chunk;
  }
  // a concatenation of several gzip members ends with the last member's size only: such files are rare for captures
  if (compressed < 18 || tail.readUInt32LE(0) !== inflated % 4294967296) {
    throw Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' });
  }
}

/** A stream of the same bytes, gunzipped when they start with the gzip magic (decided from the first bytes read). */
function gunzipIfCompressed(input: Readable): Readable {
  const out = Readable.from(sniffGzip(input), { objectMode: false, highWaterMark: READ_CHUNK });
  decoded.add(out);
  sourceOf.set(out, input);
  return out;
}

async function* sniffGzip(input: Readable): AsyncGenerator<Buffer> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  try {
    let head: Buffer = Buffer.alloc(0);
    while (head.length < 2) {
      const next = await chunks.next();
      if (next.done) {
        if (head.length) yield head;
        return;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'latin1') : next.value;
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
    }
    const rest = async function* (): AsyncGenerator<Buffer> {
      yield head;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield typeof next.value === 'string' ? Buffer.from(next.value, 'latin1') : next.value;
      }
    };
    if (!isGzip(head)) {
      yield* rest();
      return;
    }
    yield* gunzipChecked(Readable.from(rest(), { objectMode: false }));
  } finally {
    await chunks.return?.();
  }
}

function describeStreamError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'Z_BUF_ERROR' || e?.message === 'unexpected end of file') return 'gzip stream cut short';
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) return `gzip stream corrupt (${e.message})`;
  return `read error: ${describeSystemError(err)}`;
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  EIO: 'Input/output error',
};

function describeSystemError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string') return SYSTEM_ERRORS[e.code] ?? e.code;
  return e instanceof Error ? e.message : String(err);
}
