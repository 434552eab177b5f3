/**
 * The HTTP side of trk-collect: one POST a batch (src/upload/protocol.ts),
 * checked whole, committed to the store, then acknowledged; /healthz and
 * /metrics for monitoring.
 *
 * Answers, in the order they are checked:
 *   401  no or unknown token (with --tokens)             reason "token"
 *   400  no valid sensor name or X-Trk-Batch             reason "bad_request"
 *   415  a Content-Encoding other than gzip or identity  reason "bad_request"
 *   503  standard output is backed up (Retry-After: 1)   reason "busy"
 *   413  the body, or what it inflates to, is too big    reason "too_large"
 *   400  the batch is not lines: the body names the line reason "bad_lines"
 *   503  the store cannot write it (disk full)           reason "busy"
 *   200  {"accepted":N} once durable; {"duplicate":true} when it already was
 * A refusal before the whole body is read closes the connection after the
 * answer, reading and dropping at most 1 MiB or 1 s more of the body (so the
 * client reads the answer, not a reset).
 */
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import { gunzip } from 'node:zlib';
import { HEADER_BATCH, HEADER_LINES, HEADER_SENSOR, SENSOR_NAME, formatBatchId, parseBatchId, type BatchId } from '../upload/protocol.js';
import type { Metrics, RejectReason } from './metrics.js';
import { StoreError, type BatchStore } from './store.js';
import { bearerToken, type Tokens } from './tokens.js';
import { validateBatch } from './validate.js';

/** Where committed lines go (standard output, tagged), and whether it can take more now. */
export interface LineSinkOut {
  write(sensor: string, body: Buffer): void;
  busy(): boolean;
}

export interface CollectorOptions {
  store: BatchStore;
  /** The tokens in force now (SIGHUP replaces them), or undefined: anyone may post. */
  tokens(): Tokens | undefined;
  maxBatchBytes: number;
  /** The most batch bytes (received and inflated) held at once across all requests; past it, 503. */
  maxHeldBytes?: number;
  metrics: Metrics;
  output: LineSinkOut;
  warn(message: string): void;
  now?: () => number;
  /** --web: the pages (src/collect/web.ts) answer their GETs; true when one was answered. */
  web?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
}

/** 256 MiB: sixteen batches of the largest default size in flight at once. */
const DEFAULT_MAX_HELD = 256 * 1024 * 1024;

/** Timeouts that cut off a slow or stuck client without holding the others up. */
export const SERVER_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 60_000,
  keepAliveTimeout: 5_000,
  /** How often Node checks the two above (its default, 30 s, would let a slow-loris client stay 40 s). */
  connectionsCheckingInterval: 1_000,
  /** For HTTPS: the TLS handshake (Node's default is 2 minutes). */
  handshakeTimeout: 10_000,
  maxConnections: 1024,
};

export function tuneServer(server: Server): void {
  server.headersTimeout = SERVER_TIMEOUTS.headersTimeout;
  server.requestTimeout = SERVER_TIMEOUTS.requestTimeout;
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeout;
  server.maxConnections = SERVER_TIMEOUTS.maxConnections;
  server.maxHeadersCount = 100;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: RejectReason,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class Collector {
  private readonly now: () => number;
  /** Requests being handled: shutdown waits for them. */
  readonly inFlight = new Set<Promise<void>>();
  /** Bytes of bodies and inflated batches held right now, across all requests. */
  private held = 0;

  constructor(private readonly o: CollectorOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const done = this.route(req, res).catch((e: unknown) => {
      this.o.warn(`internal error: ${(e as Error).message}`);
      if (!res.headersSent) answer(res, 500, 'internal error\n');
      else res.destroy();
    });
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').replace(/\?.*$/, '');
    const monitoring = path === '/healthz' || path === '/metrics';
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/healthz') return answer(res, 200, 'ok\n');
      if (path === '/metrics') return answer(res, 200, this.o.metrics.render(), { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      if (this.o.web?.(req, res, path)) return;
      return answer(res, 404, 'not found: POST batches (to /ingest), GET /healthz or /metrics\n');
    }
    if (req.method !== 'POST' || monitoring) {
      req.resume();
      return answer(res, 405, `${req.method} is not taken here\n`, { Allow: monitoring ? 'GET, HEAD' : 'POST' });
    }
    await this.ingest(req, res);
  }

  private async ingest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let sensor = '';
    try {
      sensor = this.sensorOf(req);
      const id = parseBatchId(header(req, HEADER_BATCH));
      if (!id) throw new Refusal(400, `${shown(HEADER_BATCH)} must be STREAM/SEQ (see trk-collect(1)), not '${header(req, HEADER_BATCH) ?? ''}'`, 'bad_request');
      const linesText = header(req, HEADER_LINES);
      if (linesText !== undefined && !/^\d{1,15}$/.test(linesText)) throw new Refusal(400, `${shown(HEADER_LINES)} must be a number, not '${linesText}'`, 'bad_request');
      const encoding = (header(req, 'content-encoding') ?? 'identity').trim().toLowerCase();
      if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
        throw new Refusal(415, `Content-Encoding ${encoding} is not taken: gzip or none`, 'bad_request', { 'Accept-Encoding': 'gzip, identity' });
      }
      if (this.o.output.busy()) throw new Refusal(503, 'standard output is backed up: try again', 'busy', { 'Retry-After': '1' });
      const max = this.o.maxBatchBytes;
      const declared = Number(header(req, 'content-length') ?? 0);
      if (declared > max) throw new Refusal(413, `the body is ${declared} bytes; at most ${max} are taken (--max-batch-bytes)`, 'too_large');

      const heldLimit = this.o.maxHeldBytes ?? DEFAULT_MAX_HELD;
      // many sensors posting big batches at once must not take all the memory: the late ones wait their turn
      if (this.held + Math.max(declared, 0) > heldLimit) throw new Refusal(503, 'too many batches at once: try again', 'busy', { 'Retry-After': '1' });
      if (header(req, 'expect')?.toLowerCase() === '100-continue') res.writeContinue();
      let holding = 0;
      const hold = (n: number): void => {
        holding += n;
        this.held += n;
      };
      try {
        const body = await readBody(req, max, hold);
        if (body === undefined) return; // the client went away mid-body: nothing committed, nobody to answer
        let raw = body;
        if (encoding !== 'identity') {
          raw = await inflate(body, max);
          hold(raw.length);
        }
        await this.commit(res, sensor, id, raw, linesText);
      } finally {
        this.held -= holding;
      }
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      this.o.metrics.reject(sensor, e.reason);
      if (!req.readableEnded) lingeringClose(req, res);
      answer(res, e.status, `${e.message}\n`, e.status === 401 ? { ...e.headers, 'WWW-Authenticate': 'Bearer realm="trk-collect"' } : e.headers);
    }
  }

  /** Check the batch whole, commit it, answer. */
  private async commit(res: ServerResponse, sensor: string, id: BatchId, raw: Buffer, linesText: string | undefined): Promise<void> {
    const checked = validateBatch(raw, linesText === undefined ? undefined : Number(linesText));
    if (!checked.ok) throw new Refusal(400, checked.message, 'bad_lines');

    let result;
    try {
      result = await this.o.store.commit(sensor, id, raw, () => this.o.output.write(sensor, raw));
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      this.o.warn(`${sensor}: batch ${formatBatchId(id)} refused for now: ${e.message}`);
      throw new Refusal(503, 'the store cannot take the batch now: try again', 'busy', { 'Retry-After': '10' });
    }
    if (result.outcome === 'duplicate') {
      this.o.metrics.duplicate(sensor, this.now());
      return answer(res, 200, '{"duplicate":true}\n', { 'Content-Type': 'application/json' });
    }
    this.o.metrics.accepted(sensor, checked.lines, raw.length, this.now());
    if (result.gap > 0) {
      this.o.metrics.gap(sensor);
      this.o.warn(`${sensor}: ${result.gap} batches of stream ${id.stream} before ${id.seq} never came (the uploader's spool cap dropped them?)`);
    }
    return answer(res, 200, `{"accepted":${checked.lines}}\n`, { 'Content-Type': 'application/json' });
  }

  /** The sensor a request writes as: its token's, or (without --tokens) the one it names. */
  private sensorOf(req: IncomingMessage): string {
    const tokens = this.o.tokens();
    const claimed = header(req, HEADER_SENSOR);
    if (tokens) {
      const token = bearerToken(header(req, 'authorization'));
      const sensor = token === undefined ? undefined : tokens.sensorFor(token);
      if (sensor === undefined) throw new Refusal(401, token === undefined ? 'a token is needed: Authorization: Bearer TOKEN' : 'this token is not known (revoked?)', 'token');
      return sensor;
    }
    if (claimed === undefined || !SENSOR_NAME.test(claimed)) {
      throw new Refusal(400, `${shown(HEADER_SENSOR)} must name the sensor (letters, digits, . _ -; at most 64), not '${claimed ?? ''}'`, 'bad_request');
    }
    return claimed;
  }
}

/** After a refusal, how much more of an unwanted body is read and dropped, and how long until the connection is cut. */
const DROP_MAX_BYTES = 1024 * 1024;
const DROP_MAX_MS = 1000;

/**
 * The body of a refused request is not wanted, but a client still sending
 * it when the connection closes gets a reset, and may lose the answer with
 * it (and retry a batch it should set aside). So: answer, close our side
 * only, and read and drop what still comes for a moment (a "lingering
 * close"), then stop reading, and cut the connection when the moment is
 * over rather than read a huge body to its end.
 */
function lingeringClose(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  let dropped = 0;
  const cut = (): void => {
    socket.destroy();
  };
  const timer = setTimeout(cut, DROP_MAX_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    // enough read for nothing: stop reading (the client stalls on a full window, and reads the answer), and cut at the timer
    if (dropped > DROP_MAX_BYTES) req.pause();
  });
  req.resume();
  res.shouldKeepAlive = false;
  // Node ends a connection that is not kept alive with destroySoon(), which
  // closes the reading side too: half-close instead, the timer cuts the rest
  socket.destroySoon = function (this: typeof socket): void {
    if (this.writable) this.end();
  };
}

/** A header's name as people write it, for messages. */
function shown(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** The whole body, or undefined when the client went away before its end; a Refusal (413) past `max` bytes. */
function readBody(req: IncomingMessage, max: number, hold: (bytes: number) => void): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        reject(new Refusal(413, `the body is over ${max} bytes (--max-batch-bytes)`, 'too_large'));
        return;
      }
      hold(chunk.length);
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onGone = (): void => {
      cleanup();
      resolve(undefined);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onGone);
      req.off('error', onGone);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onGone);
    req.on('error', onGone);
  });
}

/** gunzip, stopping as soon as the output passes `max` (a small gzip bomb is not inflated to the end). */
function inflate(body: Buffer, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: max }, (err, out) => {
      if (!err) return resolve(out);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        reject(new Refusal(413, `the batch inflates to over ${max} bytes (--max-batch-bytes)`, 'too_large'));
      } else reject(new Refusal(400, `the body is not gzip as Content-Encoding says: ${err.message}`, 'bad_lines'));
    });
  });
}
