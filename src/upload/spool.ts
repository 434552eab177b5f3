/**
 * trk-upload's spool: every batch is on disk before any attempt to send it,
 * and leaves only once the destination has taken it, so a collector outage
 * of hours, or a restart of the sensor, loses nothing.
 *
 * One file per batch, `STREAM-SEQ-LINES.ndjson.gz`, SEQ zero-padded to 12
 * digits: stream ids sort by the time their run began (protocol.ts), so the
 * lexical order of the names is the order batches are to be sent in, across
 * runs. The body is always gzip on disk — smaller, and what trk-collect is
 * sent as it is. A file is written to `.tmp-NAME`, fsynced and renamed (and
 * the directory fsynced), so a crash leaves all of a batch or none of it.
 *
 * On opening, what earlier runs left is indexed in name order; this run's
 * own batches follow in the order they are put (which is also name order,
 * unless the clock went back between runs: then put order is the truth).
 *
 * One process owns a spool at a time (the `lock` file holds its pid; a lock
 * whose process is gone is taken over), which lets the index of batches and
 * their sizes live in memory instead of being listed from disk per batch.
 *
 * The cap: when a new batch would take the spool over `maxBytes`, the
 * OLDEST batches are dropped (an operator would rather have the last hours
 * than the first) — never the newest one. Batches a destination refuses for
 * good move to `failed/`, with the reason in `NAME.reason` beside them.
 */
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultStateDir } from '../io/state-dir.js';
import type { BatchId } from './protocol.js';
import { syncDir } from '../io/sync-dir.js';

const SUFFIX = '.ndjson.gz';
const SEQ_DIGITS = 12;
const FILE_NAME = /^([0-9a-z][0-9a-z-]{0,39})-(\d{12})-(\d{1,12})\.ndjson\.gz$/;
const FAILED = 'failed';
const LOCK = 'lock';

/** Where spools live unless --spool says otherwise; each destination gets its own directory below. */
export function defaultSpoolBase(): string {
  return defaultStateDir('trk-upload', 'upload-spool');
}

/** One batch waiting in the spool. */
export interface SpooledBatch {
  name: string;
  id: BatchId;
  lines: number;
  /** Bytes on disk (gzip). */
  size: number;
}

export function batchFileName(id: BatchId, lines: number): string {
  return `${id.stream}-${String(id.seq).padStart(SEQ_DIGITS, '0')}-${lines}${SUFFIX}`;
}

export function parseBatchFileName(name: string): Omit<SpooledBatch, 'size'> | undefined {
  const m = FILE_NAME.exec(name);
  if (!m) return undefined;
  const seq = Number(m[2]);
  if (seq < 1) return undefined;
  return { name, id: { stream: m[1]!, seq }, lines: Number(m[3]) };
}

/** What the cap threw away for one put(). */
export interface Dropped {
  batches: number;
  lines: number;
}

export class SpoolLockedError extends Error {}

/** Spools this process holds: its own pid in a lock file does not tell them apart from a stale lock. */
const HELD = new Set<string>();

export class UploadSpool {
  /** Waiting batches, oldest (first to send) first. */
  private readonly queue: SpooledBatch[] = [];
  private bytes = 0;
  private locked = false;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /**
   * Open (creating it, mode 0700: the lines say things about the network) and
   * lock the spool, and index what earlier runs left. Throws SpoolLockedError
   * when a live process holds it.
   */
  static async open(dir: string, maxBytes: number): Promise<UploadSpool> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const spool = new UploadSpool(dir, maxBytes);
    spool.lock();
    try {
      await spool.index();
    } catch (e) {
      spool.close();
      throw e;
    }
    return spool;
  }

  private lock(): void {
    if (HELD.has(this.dir)) throw new SpoolLockedError(`the spool ${this.dir} is in use by this process`);
    const path = join(this.dir, LOCK);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        this.locked = true;
        HELD.add(this.dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let pid = NaN;
      try {
        pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      } catch {
        // removed meanwhile: try again
      }
      // our own pid: a lock from before a reboot that gave us the same number
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && uploadAlive(pid)) {
        throw new SpoolLockedError(`the spool ${this.dir} is in use by process ${pid} (another trk-upload to the same destination?)`);
      }
      // the process that held it is gone (a crash, a kill -9): the lock is stale
      try {
        unlinkSync(path);
      } catch {
        // someone else took it over first: the next attempt tells
      }
    }
    throw new SpoolLockedError(`cannot lock the spool ${this.dir}`);
  }

  private async index(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.tmp-')) {
        // a batch a crash interrupted before its rename: it was never acknowledged as spooled
        await unlink(join(this.dir, name)).catch(() => {});
        continue;
      }
      const parsed = parseBatchFileName(name);
      if (!parsed) continue;
      const size = (await stat(join(this.dir, name)).catch(() => undefined))?.size;
      if (size === undefined) continue;
      this.queue.push({ ...parsed, size });
      this.bytes += size;
    }
    this.queue.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Release the lock. */
  close(): void {
    if (!this.locked) return;
    this.locked = false;
    HELD.delete(this.dir);
    try {
      unlinkSync(join(this.dir, LOCK));
    } catch {
      // already gone
    }
  }

  get length(): number {
    return this.queue.length;
  }

  get size(): number {
    return this.bytes;
  }

  get lines(): number {
    let n = 0;
    for (const b of this.queue) n += b.lines;
    return n;
  }

  /** The batch to send next, if any. */
  oldest(): SpooledBatch | undefined {
    return this.queue[0];
  }

  has(batch: SpooledBatch): boolean {
    return this.queue.includes(batch);
  }

  /** Write a batch (its gzip body) durably; then drop the oldest while the spool is over its cap. */
  async put(id: BatchId, lines: number, gzip: Buffer): Promise<Dropped> {
    const name = batchFileName(id, lines);
    const temp = join(this.dir, `.tmp-${name}`);
    try {
      const file = await open(temp, 'w', 0o600);
      try {
        await file.writeFile(gzip);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, join(this.dir, name));
    } catch (e) {
      // a full disk must not also leave half a batch behind
      await unlink(temp).catch(() => {});
      throw e;
    }
    await syncDir(this.dir);
    this.queue.push({ name, id, lines, size: gzip.length });
    this.bytes += gzip.length;
    const dropped: Dropped = { batches: 0, lines: 0 };
    while (this.bytes > this.maxBytes && this.queue.length > 1) {
      const old = this.queue[0]!;
      await this.remove(old);
      dropped.batches++;
      dropped.lines += old.lines;
    }
    return dropped;
  }

  /** A batch's body as it sits on disk; undefined when it is gone (the cap dropped it). */
  async read(batch: SpooledBatch): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.dir, batch.name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Forget a batch: delivered, or dropped by the cap. */
  async remove(batch: SpooledBatch): Promise<void> {
    if (!this.forget(batch)) return;
    await unlink(join(this.dir, batch.name)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  /** Move a batch to failed/ with the reason beside it: kept for the operator, never retried. */
  async fail(batch: SpooledBatch, reason: string): Promise<string> {
    if (!this.forget(batch)) return this.failedDir;
    await mkdir(this.failedDir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.failedDir, batch.name.slice(0, -SUFFIX.length) + '.reason'), `${new Date().toISOString()} ${reason}\n`, { mode: 0o600 });
    await rename(join(this.dir, batch.name), join(this.failedDir, batch.name)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await syncDir(this.dir);
    return this.failedDir;
  }

  get failedDir(): string {
    return join(this.dir, FAILED);
  }

  private forget(batch: SpooledBatch): boolean {
    const i = this.queue.indexOf(batch);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    this.bytes -= batch.size;
    return true;
  }
}

/** Whether pid is a live trk-upload (a pid reused by another program after a crash does not hold the lock). */
function uploadAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists, under another user
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // Linux tells what the process runs; `trk-upload …` and `trk upload …` both have "upload" in it
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('upload');
  } catch {
    return true; // no /proc, or not ours to read: assume it is one
  }
}

