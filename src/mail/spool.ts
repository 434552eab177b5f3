/**
 * Nothing lost: every composed mail is written to a spool directory before
 * any attempt to send it, and removed only once a transport has accepted it.
 * What a run could not deliver, the next run on the same directory sends.
 *
 * One file per message, `ID.mail`: a JSON line with the envelope and the
 * time it was queued, then the raw message. It is written to a temporary
 * name, fsynced and renamed, so a crash leaves either the whole file or none
 * of it. Messages a server refused for good move to `failed/`, with the
 * reason beside them in `ID.reason`.
 *
 * The Deliverer sends them one at a time, oldest first, and keeps that order
 * through outages: while the oldest waits for its retry, the rest wait too.
 */
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RetryingSender } from '../io/retrying-sender.js';
import { defaultStateDir } from '../io/state-dir.js';
import type { DeliveryResult, OutgoingMail, Transport } from './types.js';
import { syncDir } from '../io/sync-dir.js';

const SUFFIX = '.mail';
const FAILED = 'failed';
/** A header line longer than this is not one of ours. */
const HEADER_MAX = 64 * 1024;

/** Where the spool lives unless the command is told otherwise. */
export function defaultSpoolDir(): string {
  return defaultStateDir('trk-mail', 'mail-spool');
}

/** A spooled message as list() tells of it: its envelope and when it was queued, not its body. */
export interface SpooledMail {
  id: string;
  from: string;
  to: string[];
  /** When put() wrote it, milliseconds since the epoch (order of the queue). */
  queued: number;
}

interface SpoolHeader {
  from: string;
  to: string[];
  queued: number;
}

/** Ids become file names: only what a composed id can hold. */
function checkId(id: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(id) || id.startsWith('.')) throw new Error(`'${id}' cannot be a spool file name`);
}

export class Spool {
  /** put() stamps each message later than the one before, so the queue order is the order of put() calls. */
  private lastQueued = 0;

  /** Creates the directory (mode 0700: mail may say things about the network) if it is missing. */
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private path(id: string): string {
    return join(this.dir, id + SUFFIX);
  }

  /** Write a message durably; resolves once it is on disk under its final name. */
  async put(mail: OutgoingMail): Promise<void> {
    checkId(mail.id);
    this.lastQueued = Math.max(Date.now(), this.lastQueued + 1);
    const header: SpoolHeader = { from: mail.from, to: mail.to, queued: this.lastQueued };
    const temp = join(this.dir, `.tmp-${mail.id}`);
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), mail.raw]));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.path(mail.id));
    await syncDir(this.dir);
  }

  /** The messages waiting, oldest first. Files that are not a message of ours are moved to failed/. */
  async list(): Promise<SpooledMail[]> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith(SUFFIX) && !n.startsWith('.'));
    const mails: SpooledMail[] = [];
    for (const name of names) {
      const id = name.slice(0, -SUFFIX.length);
      const header = await this.readHeader(id).catch(() => undefined);
      if (header === null) continue; // removed meanwhile
      if (header === undefined) {
        await this.fail(id, 'not a spooled message (unreadable header line)').catch(() => {});
        continue;
      }
      mails.push({ id, ...header });
    }
    return mails.sort((x, y) => x.queued - y.queued || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  /** The header of one message, null when it is gone. */
  private async readHeader(id: string): Promise<SpoolHeader | null> {
    let file;
    try {
      file = await open(this.path(id), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const buf = Buffer.alloc(HEADER_MAX);
      const { bytesRead } = await file.read(buf, 0, HEADER_MAX, 0);
      const end = buf.subarray(0, bytesRead).indexOf(10);
      if (end < 0) throw new Error('no header line');
      return parseHeader(buf.subarray(0, end).toString('utf8'));
    } finally {
      await file.close();
    }
  }

  /** One message whole, as it was put; undefined when it is gone. */
  async read(id: string): Promise<OutgoingMail | undefined> {
    checkId(id);
    let data: Buffer;
    try {
      data = await readFile(this.path(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const end = data.indexOf(10);
    const header = parseHeader(data.subarray(0, end < 0 ? 0 : end).toString('utf8'));
    return { id, from: header.from, to: header.to, raw: data.subarray(end + 1) };
  }

  /** Forget a message (it was delivered). */
  async remove(id: string): Promise<void> {
    checkId(id);
    await unlink(this.path(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Move a message to failed/, with the reason in ID.reason beside it: kept, not retried. */
  async fail(id: string, reason: string): Promise<void> {
    checkId(id);
    const failedDir = join(this.dir, FAILED);
    await mkdir(failedDir, { recursive: true, mode: 0o700 });
    await writeFile(join(failedDir, id + '.reason'), `${new Date().toISOString()} ${reason}\n`, { mode: 0o600 });
    await rename(this.path(id), join(failedDir, id + SUFFIX));
    await syncDir(this.dir);
  }

  /** The directory refused messages are kept in. */
  get failedDir(): string {
    return join(this.dir, FAILED);
  }
}

function parseHeader(line: string): SpoolHeader {
  const h = JSON.parse(line) as Partial<SpoolHeader>;
  if (typeof h.from !== 'string' || !Array.isArray(h.to) || !h.to.every((t) => typeof t === 'string') || typeof h.queued !== 'number') {
    throw new Error('bad spool header');
  }
  return { from: h.from, to: h.to, queued: h.queued };
}


// ---------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------

export interface DelivererOptions {
  /** First retry delay after a temporary failure (1 s), doubling up to maxBackoffMs (5 min). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** ±share of each delay drawn at random, so that many senders do not retry in step (0.2). */
  jitter?: number;
}

export class Deliverer extends RetryingSender {
  /** Messages accepted by the transport, and moved to failed/, since this Deliverer started. */
  delivered = 0;
  failed = 0;
  protected override readonly spoolDir: string;

  constructor(
    private readonly spool: Spool,
    private readonly transport: Transport,
    private readonly warn: (message: string) => void,
    o: DelivererOptions = {},
  ) {
    super({ minBackoffMs: o.minBackoffMs ?? 1000, maxBackoffMs: o.maxBackoffMs ?? 5 * 60_000, jitter: o.jitter ?? 0.2, warn });
    this.spoolDir = spool.dir;
  }

  /** Send what is spooled, in order, until the spool is empty or a temporary failure stops the pass. */
  protected override async pass(): Promise<void> {
    for (;;) {
      // one listing per round; messages put meanwhile are newer, and the next round finds them
      const waiting = await this.spool.list();
      if (waiting.length === 0) {
        this.emptied();
        return;
      }
      for (let i = 0; i < waiting.length; i++) {
        if (this.closed) return;
        const mail = await this.spool.read(waiting[i]!.id);
        if (mail === undefined) continue;
        const left = waiting.length - i - 1;
        const result: DeliveryResult = await this.transport.send(mail);
        if (result.ok) {
          await this.spool.remove(mail.id);
          this.delivered++;
          this.recovered(this.transport.describe, left > 0 ? messages(left) : undefined);
        } else if (result.permanent) {
          await this.spool.fail(mail.id, result.reason);
          this.failed++;
          this.recovered(this.transport.describe, left > 0 ? messages(left) : undefined);
          this.warn(`${this.transport.describe}: message ${mail.id} refused: ${result.reason}; kept in ${this.spool.failedDir}`);
        } else {
          // counted afresh: messages put while this one was being tried are waiting too
          const spooled = await this.spool.list().then((l) => l.length, () => left + 1);
          this.waitForRetry(`${this.transport.describe}: ${result.reason}`, messages(spooled));
          return;
        }
      }
    }
  }

  /**
   * Deliver what is spooled, waiting at most timeoutMs; resolves to the
   * number of messages still spooled (left for the next run). A retry that
   * is waiting out its backoff is tried at once.
   */
  async drain(timeoutMs: number): Promise<number> {
    await this.waitUntilEmpty(timeoutMs);
    return (await this.spool.list()).length;
  }
}

function messages(n: number): string {
  return `${n} ${n === 1 ? 'message' : 'messages'}`;
}
