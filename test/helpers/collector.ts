/**
 * A real trk-collect child for tests, and a small HTTP(S) client to talk to
 * it: shared by the collector's tests (collect.test.ts, collect-web.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { BIN } from './paths.js';
import { waitUntil } from './netns.js';

export interface RunningCollector {
  child: ChildProcess;
  port: number;
  scheme: string;
  stdout(): Buffer;
  stderr(): string;
  /** SIGTERM and the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Start trk-collect on 127.0.0.1, a free port (unless args give --listen), and wait for its "listening on" line. */
export async function startCollector(args: string[], env: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC' }): Promise<RunningCollector> {
  const child = spawn(process.execPath, [BIN('trk-collect'), '--listen', '127.0.0.1:0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let done = false;
  void exited.then(() => (done = true));
  await waitUntil(() => done || /listening on (https?):\/\/.*:(\d+)\n/.test(err), () => `trk-collect did not say where it listens: ${err}`);
  const m = /listening on (https?):\/\/.*:(\d+)\n/.exec(err);
  if (!m) throw new Error(`trk-collect exited: ${err}`);
  return {
    child,
    port: Number(m[2]),
    scheme: m[1]!,
    stdout: () => Buffer.concat(out),
    stderr: () => err,
    exited,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request to 127.0.0.1:port (HTTPS when options.ca is given), its whole answer. */
export function request(port: number, options: https.RequestOptions, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const lib = options.ca ? https : http;
    let answered = false;
    const req = lib.request({ host: '127.0.0.1', port, agent: false, servername: 'localhost', timeout: 20_000, ...options }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 20 s')));
    // a server that answers 413 early and closes may cut the upload: the answer is what counts
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    req.end(body);
  });
}
