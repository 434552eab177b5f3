/**
 * Gathers the lines to ship into batches and writes each to the spool: a
 * batch closes at --batch-lines lines, before it would pass --batch-bytes
 * bytes (a single longer line makes a batch of its own), or --flush-interval
 * after its first line, so a quiet sensor's alerts still leave within
 * seconds. Lines are copied once, by offset, into the batch's buffer.
 *
 * Closed batches are numbered 1, 2, 3… in the run's stream, gzipped (off
 * the main thread, by zlib's pool) and spooled strictly in that order.
 * drain() tells the reader to wait while a few batches are still on their
 * way to disk: only the local disk may slow the pipeline, never the network.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback, constants as zlibConstants } from 'node:zlib';
import type { Dropped, UploadSpool } from './spool.js';

const gzip = promisify(gzipCallback);
/**
 * Fast over small: level 3 compresses trk's NDJSON about 6 to 8 times at
 * several times the speed of the default level 6, which matters on a sensor
 * whose cores are busy capturing.
 */
const GZIP_LEVEL = 3;
/** Closed batches on their way to disk before the reader is asked to wait. */
const MAX_PENDING = 4;

export interface BatcherOptions {
  stream: string;
  batchLines: number;
  batchBytes: number;
  /** Seconds; 0: batches close only by size. */
  flushInterval: number;
  /** A batch is in the spool (the sender may go). */
  onSpooled(): void;
  /** The cap dropped old batches to make room. */
  onDropped(dropped: Dropped): void;
  /** Writing to the spool failed (disk full…): the batch's lines are lost, and said. */
  onError(err: Error, lines: number): void;
}

export class Batcher {
  private buf: Buffer;
  private pos = 0;
  private count = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending = 0;
  /** The spool writes, chained so batches reach disk in seq order. */
  private writing: Promise<void> = Promise.resolve();
  private waiters: (() => void)[] = [];
  /** Lines and batches handed to the spool by this run. */
  spooledLines = 0;
  spooledBatches = 0;

  constructor(
    private readonly spool: UploadSpool,
    private readonly o: BatcherOptions,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(o.batchBytes, 1 << 20));
  }

  /** Add buf[start, end) (one line, without its '\n') to the open batch. */
  add(line: Buffer, start: number, end: number): void {
    const length = end - start + 1;
    if (this.count > 0 && this.pos + length > this.o.batchBytes) this.close();
    if (this.pos + length > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.pos + length, Math.min(this.buf.length * 2, this.o.batchBytes)));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    this.pos += line.copy(this.buf, this.pos, start, end);
    this.buf[this.pos++] = 0x0a;
    this.count++;
    if (this.count >= this.o.batchLines || this.pos >= this.o.batchBytes) this.close();
    else if (this.count === 1 && this.o.flushInterval > 0) {
      this.timer = setTimeout(() => this.close(), this.o.flushInterval * 1000);
    }
  }

  /** Close the open batch (if it has lines) and send it on its way to the spool. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count === 0) return;
    const body = this.buf.subarray(0, this.pos);
    const lines = this.count;
    const id = { stream: this.o.stream, seq: ++this.seq };
    // the spool keeps `body` until it is compressed: the next batch starts in a fresh buffer
    this.buf = Buffer.allocUnsafe(Math.min(this.o.batchBytes, Math.max(64 * 1024, this.buf.length)));
    this.pos = 0;
    this.count = 0;
    this.pending++;
    const compressed = gzip(body, { level: GZIP_LEVEL, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
    // its failure is handled where the chain awaits it, maybe later than Node looks for a handler
    compressed.catch(() => {});
    this.writing = this.writing.then(async () => {
      try {
        const dropped = await this.spool.put(id, lines, await compressed);
        this.spooledLines += lines;
        this.spooledBatches++;
        if (dropped.batches) this.o.onDropped(dropped);
        this.o.onSpooled();
      } catch (e) {
        this.o.onError(e as Error, lines);
      } finally {
        this.pending--;
        if (this.pending < MAX_PENDING) for (const w of this.waiters.splice(0)) w();
      }
    });
  }

  /** Resolves when the reader may go on; undefined when it may right now. */
  drain(): Promise<void> | undefined {
    if (this.pending < MAX_PENDING) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Close the open batch and wait until every batch is in the spool. */
  async flush(): Promise<void> {
    this.close();
    await this.writing;
  }

  /** Lines in the open batch (not yet spooled). */
  get open(): number {
    return this.count;
  }
}
