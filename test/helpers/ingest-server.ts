/**
 * A stand-in for trk-collect on 127.0.0.1 for trk-upload's tests: it records
 * every request (headers, decoded body), keeps the lines of each batch once
 * (dropping a batch whose SEQ is at or below the highest of its stream, as
 * trk-collect does), and misbehaves on cue: answer with a status, hang,
 * drop the connection, take a batch and then drop the answer, or be down.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type Behaviour =
  | { status: number; retryAfter?: number; body?: string }
  /** accept the connection and the body, never answer */
  | 'hang'
  /** close the connection without an answer, before keeping the batch */
  | 'drop'
  /** keep the batch, then close the connection without an answer (the answer is lost) */
  | 'commit-then-drop';

export interface Attempt {
  at: number;
  batch: string;
  sensor: string | undefined;
  lines: string | undefined;
  headers: http.IncomingHttpHeaders;
  url: string;
  /** The body, decoded when it came gzip. */
  body: Buffer;
  answered: number | string;
}

export interface IngestServer {
  port: number;
  attempts: Attempt[];
  /** The lines kept, in the order they were kept, per sensor. */
  kept: string[];
  /** Behaviours for the next requests, used up in order; afterwards 200. */
  script: Behaviour[];
  /** Answer this to every request while set (after the script). */
  always: Behaviour | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startIngestServer(port = 0, listenNow = true): Promise<IngestServer> {
  const highest = new Map<string, number>();
  const sockets = new Set<Socket>();
  const state: IngestServer = {
    port,
    attempts: [],
    kept: [],
    script: [],
    always: undefined,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    start: async () => {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(state.port, '127.0.0.1', () => {
          server.off('error', reject);
          state.port = (server.address() as { port: number }).port;
          resolve();
        });
      });
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body = raw;
      try {
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(raw);
      } catch {
        body = Buffer.from('NOT GZIP');
      }
      const behaviour = state.script.shift() ?? state.always ?? { status: 200 };
      const batch = String(req.headers['x-trk-batch'] ?? '');
      const attempt: Attempt = {
        at: Date.now(),
        batch,
        sensor: req.headers['x-trk-sensor'] as string | undefined,
        lines: req.headers['x-trk-lines'] as string | undefined,
        headers: req.headers,
        url: req.url ?? '',
        body,
        answered: typeof behaviour === 'string' ? behaviour : behaviour.status,
      };
      state.attempts.push(attempt);
      const keep = (): boolean => {
        const [stream, seqText] = batch.split('/');
        const seq = Number(seqText);
        if ((highest.get(stream!) ?? 0) >= seq) return false;
        highest.set(stream!, seq);
        const text = body.toString('latin1');
        for (const line of text.split('\n').slice(0, -1)) state.kept.push(line);
        return true;
      };
      if (behaviour === 'hang') return;
      if (behaviour === 'drop') {
        req.socket.destroy();
        return;
      }
      if (behaviour === 'commit-then-drop') {
        keep();
        req.socket.destroy();
        return;
      }
      if (behaviour.status === 200) {
        const fresh = keep();
        res.setHeader('content-type', 'application/json');
        res.end(fresh ? JSON.stringify({ accepted: Number(attempt.lines) }) : '{"duplicate":true}');
        return;
      }
      if (behaviour.retryAfter !== undefined) res.setHeader('retry-after', String(behaviour.retryAfter));
      res.statusCode = behaviour.status;
      res.end(behaviour.body ?? `status ${behaviour.status}\n`);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  if (listenNow) await state.start();
  return state;
}

/** A port nothing listens on right now (taken and let go). */
export async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}
