/**
 * Sends what is spooled to the target: one batch at a time, oldest first,
 * one request in flight over one kept-alive connection — the order of a
 * sensor's lines is the contract, and it lets the collector drop a repeat by
 * its batch id alone (protocol.ts).
 *
 * An answer the target calls 'done' removes the batch; 'reject' moves it to
 * the spool's failed/ with the reason and the queue goes on; 'retry' (and a
 * timeout, a refused or dropped connection) waits — from 1 s, doubling up to
 * --retry-max, ±20 % at random so that many sensors back from the same outage
 * do not knock in step — or as long as the server's Retry-After asks, then
 * tries the same batch again under the same id. The operator hears once when
 * the destination goes away and once when it is back, not at every retry.
 */
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { RetryingSender } from '../io/retrying-sender.js';
import { formatBatchId } from './protocol.js';
import type { SpooledBatch, UploadSpool } from './spool.js';
import type { Batch, Target, TargetRequest } from './target.js';

const gunzip = promisify(gunzipCallback);
/** Enough of an answer's body to name the reason; the rest is not read into memory. */
const BODY_MAX = 64 * 1024;
/** A Retry-After beyond this is a misconfigured server, not a plan. */
const RETRY_AFTER_MAX_MS = 3600_000;

export interface SenderOptions {
  /** The destination, without credentials (the target sends those). */
  url: URL;
  sensor: string;
  timeoutMs: number;
  retryMaxMs: number;
  /** Do not check the server's certificate. */
  insecure: boolean;
  warn(message: string): void;
  /** A batch left the spool for good (delivered or kept aside). */
  onDelivered?(): void;
  minBackoffMs?: number;
  jitter?: number;
}

interface Answer {
  status: number;
  body: string;
  retryAfterMs?: number;
}

export class Sender extends RetryingSender {
  private readonly agent: http.Agent;
  private inFlight: http.ClientRequest | undefined;
  /** The requests of the batch being sent that were already taken (a target may need several a batch). */
  private progress: { name: string; done: number } | undefined;
  protected override readonly spoolDir: string;
  /** Since this sender started. */
  deliveredBatches = 0;
  deliveredLines = 0;
  failedBatches = 0;

  constructor(
    private readonly spool: UploadSpool,
    private readonly target: Target,
    private readonly o: SenderOptions,
  ) {
    super({ minBackoffMs: Math.min(o.minBackoffMs ?? 1000, o.retryMaxMs), maxBackoffMs: o.retryMaxMs, jitter: o.jitter ?? 0.2, retryAfterMaxMs: RETRY_AFTER_MAX_MS, warn: o.warn });
    this.spoolDir = spool.dir;
    const agentOptions = { keepAlive: true, maxSockets: 1, rejectUnauthorized: !o.insecure };
    this.agent = o.url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  protected override async pass(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const spooled = this.spool.oldest();
      if (spooled === undefined) {
        this.emptied();
        return;
      }
      const body = await this.spool.read(spooled);
      if (body === undefined) {
        // removed behind our back (by hand, or the cap while we read): nothing to send
        await this.spool.remove(spooled);
        continue;
      }
      const batch = this.batchOf(spooled, body);
      let requests: TargetRequest[];
      try {
        requests = await this.target.requests(batch);
      } catch (err) {
        // a damaged spool file (not gzip): it can never be sent
        await this.reject(spooled, `cannot be read: ${(err as Error).message}`);
        continue;
      }
      if (this.progress?.name !== spooled.name) this.progress = { name: spooled.name, done: 0 };
      const progress = this.progress;
      let rejected = false;
      while (progress.done < requests.length) {
        if (this.closed) return;
        let answer: Answer;
        try {
          answer = await this.post(requests[progress.done]!);
        } catch (err) {
          if (this.closed) return;
          this.retryLater(networkProblem(err as NodeJS.ErrnoException));
          return;
        }
        const verdict = this.target.verdict(answer.status, answer.body);
        if (verdict === 'done') {
          progress.done++;
          continue;
        }
        if (verdict === 'reject') {
          await this.reject(spooled, httpProblem(answer));
          rejected = true;
          break;
        }
        this.retryLater(httpProblem(answer), answer.retryAfterMs);
        return;
      }
      if (rejected) continue;
      this.progress = undefined;
      await this.spool.remove(spooled);
      this.deliveredBatches++;
      this.deliveredLines += spooled.lines;
      this.answered();
      this.o.onDelivered?.();
    }
  }

  private batchOf(spooled: SpooledBatch, body: Buffer): Batch {
    return {
      id: spooled.id,
      sensor: this.o.sensor,
      lines: spooled.lines,
      gzip: async () => body,
      raw: async () => gunzip(body),
    };
  }

  private async reject(spooled: SpooledBatch, reason: string): Promise<void> {
    this.progress = undefined;
    const where = await this.spool.fail(spooled, reason);
    this.failedBatches++;
    this.o.warn(`${this.target.describe}: batch ${formatBatchId(spooled.id)} (${spooled.lines} lines) refused: ${reason}; kept in ${where}`);
    this.answered();
    this.o.onDelivered?.();
  }

  /** One request, with the whole exchange bounded by the timeout. Rejects on a network failure. */
  private post(req: TargetRequest, retriedStale = false): Promise<Answer> {
    const url = this.o.url;
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<Answer>((resolve, reject) => {
      const request = client.request({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: url.pathname + url.search + req.path,
        method: 'POST',
        agent: this.agent,
        headers: { ...req.headers, 'content-length': String(req.body.length) },
      });
      this.inFlight = request;
      const timer = setTimeout(() => request.destroy(Object.assign(new Error(`no answer in ${this.o.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), this.o.timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        if (this.inFlight === request) this.inFlight = undefined;
      };
      request.on('error', (err: NodeJS.ErrnoException) => {
        finish();
        // a kept-alive connection the server had closed meanwhile: not an outage, ask again at once on a new one
        if (!retriedStale && request.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !this.closed) {
          this.post(req, true).then(resolve, reject);
          return;
        }
        reject(err);
      });
      request.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < BODY_MAX) chunks.push(c);
          size += c.length;
        });
        res.on('error', () => {}); // the request's error handler has it
        res.on('end', () => {
          finish();
          const answer: Answer = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).subarray(0, BODY_MAX).toString('utf8') };
          const after = retryAfterMs(res.headers['retry-after']);
          if (after !== undefined) answer.retryAfterMs = after;
          resolve(answer);
        });
      });
      request.end(req.body);
    });
  }

  /** A batch left the spool: the destination answers (after an outage, that is said once). */
  private answered(): void {
    const left = this.spool.length;
    this.recovered(this.target.describe, left > 0 ? `${left} ${left === 1 ? 'batch' : 'batches'}` : undefined);
  }

  private retryLater(problem: string, retryAfterMs?: number): void {
    const n = this.spool.length;
    this.waitForRetry(`${this.target.describe}: ${problem}`, `${n} ${n === 1 ? 'batch' : 'batches'} (${this.spool.lines} lines)`, retryAfterMs);
  }

  /**
   * Send what is spooled, waiting at most timeoutMs (a retry waiting out its
   * backoff goes at once); resolves to the number of batches left.
   */
  async drain(timeoutMs: number, cut?: AbortSignal): Promise<number> {
    if (this.spool.length > 0) await this.waitUntilEmpty(timeoutMs, cut);
    return this.spool.length;
  }

  /** Stop: the request in flight is cut (its batch stays spooled; a resend carries the same id). */
  override close(): void {
    super.close();
    this.inFlight?.destroy();
    this.agent.destroy();
  }
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const when = Date.parse(text);
  return Number.isNaN(when) ? undefined : Math.max(0, when - Date.now());
}

function httpProblem(answer: Answer): string {
  const first = answer.body.trim().split('\n', 1)[0]!.slice(0, 200);
  const what = answer.status === 401 || answer.status === 403 ? ' (the token was refused: fix it and send SIGHUP)' : '';
  return `HTTP ${answer.status}${first ? ` ${first}` : ''}${what}`;
}

function networkProblem(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was dropped';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host name (${err.code})`;
    default:
      return err.message || String(err.code);
  }
}
