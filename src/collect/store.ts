/**
 * Where an accepted batch goes before it is acknowledged.
 *
 * DirStore (--dir DIR), the durable store:
 *
 *   DIR/SENSOR/2026-11-24.ndjson       today's lines, as received (untagged), append-only
 *   DIR/SENSOR/2026-11-23.ndjson.gz    an earlier day, compressed
 *   DIR/SENSOR/.trk-batches            the ledger: "STREAM SEQ FILE OFFSET" per committed batch
 *
 * A batch commits thus: append its lines to today's file and fsync it, then
 * append its ledger line and fsync that; only then is it acknowledged. The
 * ledger is the truth: bytes in a day file beyond the last committed offset
 * are a batch that was never acknowledged (the process died between the two
 * fsyncs), and are cut off at start, so the uploader's resend is the only
 * copy. The ledger also gives, per stream, the highest committed seq, from
 * which duplicates are known after a restart. It is rewritten compacted
 * (temporary file, fsync, rename) at start and at each new day.
 *
 * MemoryStore (no --dir): a batch is committed once its lines are handed to
 * standard output; duplicates are known until the process ends.
 *
 * Both commit a sensor's batches one at a time in arrival order, and call
 * `committed` inside that order, so standard output keeps it too.
 */
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { crc32, createGzip } from 'node:zlib';
import { SENSOR_NAME, type BatchId } from '../upload/protocol.js';
import { MAX_STREAMS, SerialQueues, StreamMemory } from './dedupe.js';
import { syncDir } from '../io/sync-dir.js';

export interface CommitResult {
  outcome: 'accepted' | 'duplicate';
  /** Batches missing between the stream's last committed seq and this one. */
  gap: number;
}

export interface BatchStore {
  /** Commit `body` (validated whole lines) unless it is a duplicate; `committed` runs, in order, once it is. */
  commit(sensor: string, id: BatchId, body: Buffer, committed: () => void): Promise<CommitResult>;
  close(): Promise<void>;
}

/** The store could not take the batch (disk full, I/O error): nothing of it was kept; answer 503. */
export class StoreError extends Error {}

const LEDGER = '.trk-batches';
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.ndjson$/;
const OLD_DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.ndjson(\.gz)?$/;
/** A ledger line for a file whose bytes were there before any ledger (see recover()). */
const NO_STREAM = '-';
const DIR_MODE = 0o750;
const FILE_MODE = 0o640;
/**
 * Written at explicit offsets, not O_APPEND: after a failed write that could
 * not even be cut back, the next batch still starts at the committed length.
 */
const WRITE_AT = constants.O_WRONLY | constants.O_CREAT;

/** YYYY-MM-DD in local time (TZ). */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The local day `days` before `day`. */
function daysBefore(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return localDay(new Date(y, m - 1, d - days, 12).getTime());
}

export class MemoryStore implements BatchStore {
  private readonly queues = new SerialQueues();
  private readonly memories = new Map<string, StreamMemory>();

  commit(sensor: string, id: BatchId, _body: Buffer, committed: () => void): Promise<CommitResult> {
    return this.queues.run(sensor, () => {
      let memory = this.memories.get(sensor);
      if (!memory) this.memories.set(sensor, (memory = new StreamMemory()));
      const highest = memory.highest(id.stream);
      if (highest !== undefined && id.seq <= highest) return { outcome: 'duplicate', gap: 0 };
      committed();
      memory.record(id.stream, id.seq);
      return { outcome: 'accepted', gap: highest === undefined ? 0 : id.seq - highest - 1 };
    });
  }

  close(): Promise<void> {
    return this.queues.idle();
  }
}

interface LedgerEntry {
  stream: string;
  seq: number;
  file: string;
  offset: number;
}

/** One sensor's directory, open for appending. */
interface SensorDir {
  dir: string;
  memory: StreamMemory;
  ledger: FileHandle;
  ledgerSize: number;
  /** The day being written, and its file (undefined until the first batch of a run). */
  day: string | undefined;
  data: FileHandle | undefined;
  /** Committed length of the day's file: where the next batch starts, and where a failed one is cut back to. */
  dataSize: number;
}

export interface DirStoreOptions {
  /** Delete day files older than this many days. */
  keepDays?: number;
  /** Warnings for the operator (stderr). */
  warn: (message: string) => void;
  /** Notes (stderr unless -q). */
  note: (message: string) => void;
  now?: () => number;
}

export class DirStore implements BatchStore {
  private readonly queues = new SerialQueues();
  private readonly sensors = new Map<string, SensorDir>();
  private readonly now: () => number;
  private housekeeping: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly root: string,
    private readonly options: DirStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Open DIR: recover every sensor's files from its ledger, compress earlier days, apply --keep-days. */
  static async open(root: string, options: DirStoreOptions): Promise<DirStore> {
    const store = new DirStore(root, options);
    await mkdir(root, { recursive: true, mode: DIR_MODE });
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (entry.isDirectory() && SENSOR_NAME.test(entry.name)) await store.load(entry.name);
    }
    await store.tidy(localDay(store.now()));
    // a quiet sensor's day still ends: compress and expire once an hour even without batches
    store.timer = setInterval(() => void store.hourly(), 3600_000);
    store.timer.unref();
    return store;
  }

  commit(sensor: string, id: BatchId, body: Buffer, committed: () => void): Promise<CommitResult> {
    return this.queues.run(sensor, async () => {
      try {
        return await this.commitNow(sensor, id, body, committed);
      } catch (e) {
        // after a failure the ledger on disk is the truth: the sensor is read again from it for the next batch
        if (e instanceof StoreError) await this.forget(sensor);
        throw e;
      }
    });
  }

  private async forget(sensor: string): Promise<void> {
    const s = this.sensors.get(sensor);
    this.sensors.delete(sensor);
    await s?.data?.close().catch(() => undefined);
    await s?.ledger.close().catch(() => undefined);
  }

  private async commitNow(sensor: string, id: BatchId, body: Buffer, committed: () => void): Promise<CommitResult> {
    const s =
      this.sensors.get(sensor) ??
      (await this.load(sensor).catch((e: unknown) => {
        // too many open files, a full disk, a directory made unwritable: refused for now, said
        throw new StoreError(`cannot open ${join(this.root, sensor)}: ${describe(e)}`);
      }));
    const highest = s.memory.highest(id.stream);
    if (highest !== undefined && id.seq <= highest) return { outcome: 'duplicate', gap: 0 };
    // the clock may step back; the day never does, so an earlier day's file is never reopened while it is being compressed
    const today = localDay(this.now());
    if (s.day === undefined || today > s.day) await this.openDay(sensor, s, today);
    const file = `${s.day}.ndjson`;
    const offset = s.dataSize + body.length;
    try {
      await writeAll(s.data!, body, s.dataSize);
      await s.data!.datasync();
    } catch (e) {
      await cutBack(s.data!, s.dataSize);
      throw new StoreError(`cannot write ${join(s.dir, file)}: ${describe(e)}`);
    }
    const line = Buffer.from(`${id.stream} ${id.seq} ${file} ${offset}\n`);
    try {
      await writeAll(s.ledger, line, s.ledgerSize);
      await s.ledger.datasync();
    } catch (e) {
      await cutBack(s.ledger, s.ledgerSize);
      await cutBack(s.data!, s.dataSize);
      throw new StoreError(`cannot write ${join(s.dir, LEDGER)}: ${describe(e)}`);
    }
    s.dataSize = offset;
    s.ledgerSize += line.length;
    s.memory.record(id.stream, id.seq);
    committed();
    return { outcome: 'accepted', gap: highest === undefined ? 0 : id.seq - highest - 1 };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.queues.idle();
    await this.housekeeping;
    for (const s of this.sensors.values()) {
      // a failed write that could not be cut back at the time leaves bytes past the committed length
      await s.data?.truncate(s.dataSize).catch(() => undefined);
      await s.data?.close();
      await s.ledger.close();
    }
    this.sensors.clear();
  }

  /** Read a sensor's ledger (creating the directory for a new sensor), cut torn writes, compact the ledger. */
  private async load(sensor: string): Promise<SensorDir> {
    const dir = join(this.root, sensor);
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const ledgerPath = join(dir, LEDGER);
    const names = await readdir(dir);
    const dayFiles = names.filter((n) => DAY_FILE.test(n)).sort();
    let entries: LedgerEntry[];
    try {
      entries = parseLedger(await readFile(ledgerPath, 'latin1'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // no ledger, yet files: they were not written by this version, or the
      // ledger was removed; keep them as they are, whole
      entries = [];
      for (const name of dayFiles) entries.push({ stream: NO_STREAM, seq: 0, file: name, offset: (await stat(join(dir, name))).size });
      if (dayFiles.length) this.options.warn(`${dir} has day files but no ${LEDGER}: taking them as they are`);
    }
    await this.recover(dir, dayFiles, entries);
    const memory = new StreamMemory();
    for (const e of entries) if (e.stream !== NO_STREAM) memory.record(e.stream, Math.max(e.seq, memory.highest(e.stream) ?? 0));
    await writeLedger(dir, compact(entries, new Set((await readdir(dir)).filter((n) => DAY_FILE.test(n)))));
    const ledger = await open(ledgerPath, WRITE_AT, FILE_MODE);
    const s: SensorDir = { dir, memory, ledger, ledgerSize: (await ledger.stat()).size, day: undefined, data: undefined, dataSize: 0 };
    this.sensors.set(sensor, s);
    return s;
  }

  /**
   * Cut back what a commit wrote but did not record: a day file's bytes past
   * its last ledger offset, or a whole day file newer than every entry (the
   * first batch of a day). A file older than that with no entry is left
   * alone: its entries went with a ledger that was removed.
   */
  private async recover(dir: string, dayFiles: string[], entries: LedgerEntry[]): Promise<void> {
    const committed = new Map<string, number>();
    for (const e of entries) committed.set(e.file, e.offset);
    const newest = entries.reduce<string | undefined>((max, e) => (max === undefined || e.file > max ? e.file : max), undefined);
    for (const name of dayFiles) {
      const path = join(dir, name);
      const size = (await stat(path)).size;
      const offset = committed.get(name);
      if (offset === undefined) {
        if (newest === undefined || name > newest) {
          await unlink(path);
          this.options.warn(`${path}: removed ${size} bytes of a batch that was never acknowledged (the sensor sends it again)`);
        }
      } else if (size > offset) {
        await truncate(path, offset);
        this.options.warn(`${path}: cut ${size - offset} bytes of a batch that was never acknowledged (the sensor sends it again)`);
      } else if (size < offset) {
        this.options.warn(`${path} is ${offset - size} bytes shorter than ${LEDGER} says: it was cut outside trk-collect`);
      }
    }
  }

  /** Start the day's file; earlier days are compressed (after the switch: nothing writes to them any more). */
  private async openDay(sensor: string, s: SensorDir, day: string): Promise<void> {
    const path = join(s.dir, `${day}.ndjson`);
    const existed = await stat(path).then(() => true, () => false);
    const data = await open(path, WRITE_AT, FILE_MODE).catch((e: unknown) => {
      throw new StoreError(`cannot open ${path}: ${describe(e)}`);
    });
    if (!existed) await syncDir(s.dir);
    const rotated = s.day !== undefined;
    await s.data?.close();
    s.data = data;
    s.day = day;
    s.dataSize = (await data.stat()).size;
    if (rotated) {
      // a new day: the ledger is rewritten short again (or stays long, if that fails: it is still whole)
      try {
        const entries = parseLedger(await readFile(join(s.dir, LEDGER), 'latin1'));
        await writeLedger(s.dir, compact(entries, new Set((await readdir(s.dir)).filter((n) => DAY_FILE.test(n)))));
      } catch (e) {
        this.options.warn(`cannot compact ${join(s.dir, LEDGER)}: ${describe(e)}`);
      }
      // by its name again: the rename may have replaced the file under the old handle
      await s.ledger.close().catch(() => undefined);
      try {
        s.ledger = await open(join(s.dir, LEDGER), WRITE_AT, FILE_MODE);
        s.ledgerSize = (await s.ledger.stat()).size;
      } catch (e) {
        throw new StoreError(`cannot open ${join(s.dir, LEDGER)}: ${describe(e)}`);
      }
      void this.tidy(day, sensor);
    }
  }

  /** Compress days before `today` and delete those past --keep-days; one sensor or all. */
  private tidy(today: string, only?: string): Promise<void> {
    this.housekeeping = this.housekeeping.then(async () => {
      const sensors = only !== undefined ? [only] : [...this.sensors.keys()];
      for (const sensor of sensors) {
        const s = this.sensors.get(sensor);
        if (!s) continue;
        // never a day the sensor may still be writing
        const before = s.day !== undefined && s.day < today ? s.day : today;
        try {
          await this.tidySensor(s.dir, before);
        } catch (e) {
          this.options.warn(`cannot tidy ${s.dir}: ${describe(e)}`);
        }
      }
    });
    return this.housekeeping;
  }

  private async tidySensor(dir: string, before: string): Promise<void> {
    const expired = this.options.keepDays === undefined ? undefined : daysBefore(localDay(this.now()), this.options.keepDays);
    for (const name of (await readdir(dir)).sort()) {
      const m = OLD_DAY_FILE.exec(name);
      if (!m) continue;
      const day = m[1]!;
      const path = join(dir, name);
      if (expired !== undefined && day < expired) {
        await unlink(path);
        this.options.note(`${path}: older than --keep-days ${this.options.keepDays}: deleted`);
      } else if (!m[2] && day < before) {
        await gzipFile(dir, name);
      }
    }
  }

  /** Once an hour (and from tests): a sensor with no batch since midnight closes yesterday's file, so it can be compressed. */
  hourly(): Promise<void> {
    const today = localDay(this.now());
    const closing: Promise<unknown>[] = [];
    for (const [sensor, s] of this.sensors) {
      if (s.day !== undefined && s.day < today) {
        closing.push(
          this.queues.run(sensor, async () => {
            if (s.day !== undefined && s.day < today && s.data) {
              await s.data.close();
              s.data = undefined;
              s.day = undefined;
            }
          }),
        );
      }
    }
    // only these closes are waited for: under steady load the queues are never all idle at once
    return Promise.allSettled(closing).then(() => this.tidy(today));
  }
}

/** `STREAM SEQ FILE OFFSET` lines; a torn last line (a crash or a full disk while writing it) is not an entry. */
function parseLedger(text: string): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  const lines = text.split('\n');
  // what follows the last newline is a line whose write did not finish: its batch was never acknowledged
  lines.pop();
  for (const line of lines) {
    const m = /^(\S+) (\d+) (\d{4}-\d{2}-\d{2}\.ndjson) (\d+)$/.exec(line);
    if (m) entries.push({ stream: m[1]!, seq: Number(m[2]), file: m[3]!, offset: Number(m[4]) });
  }
  return entries;
}

/**
 * What the ledger must keep: the newest entry of each of the last
 * MAX_STREAMS streams (dedupe), and of each uncompressed day file still
 * there (its committed length, for recover()), in ledger order.
 */
function compact(entries: LedgerEntry[], dayFiles: Set<string>): LedgerEntry[] {
  const byStream = new Map<string, number>();
  const byFile = new Map<string, number>();
  entries.forEach((e, i) => {
    byStream.set(e.stream, i);
    byFile.set(e.file, i);
  });
  const kept = new Set([...byStream.values()].sort((a, b) => a - b).slice(-MAX_STREAMS - 1));
  for (const [file, i] of byFile) if (dayFiles.has(file)) kept.add(i);
  return [...kept].sort((a, b) => a - b).map((i) => entries[i]!);
}

async function writeLedger(dir: string, entries: LedgerEntry[]): Promise<void> {
  const temp = join(dir, `${LEDGER}.tmp`);
  const f = await open(temp, 'w', FILE_MODE);
  try {
    await f.writeFile(entries.map((e) => `${e.stream} ${e.seq} ${e.file} ${e.offset}\n`).join(''));
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(temp, join(dir, LEDGER));
  await syncDir(dir);
}

/** DAY.ndjson → DAY.ndjson.gz (a temporary file, fsync, rename), then the original goes. */
async function gzipFile(dir: string, name: string): Promise<void> {
  const source = join(dir, name);
  const target = `${source}.gz`;
  const temp = join(dir, `.${name}.gz.tmp`);
  const appendTo = await stat(target).then(() => true, () => false);
  if (appendTo) {
    // compressed already, and the process died before removing the original
    if (await isLastMember(target, source)) return unlink(source);
    // or written again after it was compressed (the clock stepped back): gzip members concatenate
    await copyFile(target, temp);
  }
  await pipeline(createReadStream(source), createGzip(), createWriteStream(temp, { flags: appendTo ? 'a' : 'w', mode: FILE_MODE }));
  const f = await open(temp, 'r+');
  try {
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(temp, target);
  await syncDir(dir);
  await unlink(source);
}

/** Whether the last member of the gzip file `gz` holds exactly `source` (its trailer's CRC-32 and length). */
async function isLastMember(gz: string, source: string): Promise<boolean> {
  const f = await open(gz, 'r');
  let trailer: Buffer;
  try {
    const size = (await f.stat()).size;
    if (size < 18) return false;
    trailer = Buffer.alloc(8);
    await f.read(trailer, 0, 8, size - 8);
  } finally {
    await f.close();
  }
  let crc = 0;
  let length = 0;
  for await (const chunk of createReadStream(source)) {
    crc = crc32(chunk as Buffer, crc);
    length += (chunk as Buffer).length;
  }
  return trailer.readUInt32LE(0) === crc && trailer.readUInt32LE(4) === length % 2 ** 32;
}

async function writeAll(f: FileHandle, buf: Buffer, position: number): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    const { bytesWritten } = await f.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

/** After a failed write: back to the committed length, so no part of the batch stays. */
async function cutBack(f: FileHandle, size: number): Promise<void> {
  await f.truncate(size).catch(() => undefined);
}


function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message ?? String(e);
}

