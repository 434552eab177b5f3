/**
 * bench-collect — trk-collect's side of `npm run bench`: lines per second
 * into one collector on loopback (gzip batches, one at a time, as trk-upload
 * sends them) and the collector's CPU per million lines, read from
 * /proc/PID/stat (user + system ticks) before and after, so the client's own
 * work is not counted. Until scripts/bench.ts calls it (and, with trk-upload,
 * times the real uploader too), run it alone:
 *
 *   npm run build && node dist/scripts/bench-collect.js [--lines N] [--batch N] [--dir]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TRK_COLLECT = path.join(REPO, 'bin', 'trk-collect.js');
/** A pkt record of the usual length (about 160 bytes). */
const LINE = '{"type":"pkt","ts":1764000000.123456,"if":"eth0","len":1514,"caplen":96,"src":"10.0.0.2","dst":"192.0.2.7","proto":"tcp","sport":443,"dport":51234,"flags":"A"}\n';

export interface CollectBenchResult {
  lines: number;
  seconds: number;
  linesPerSecond: number;
  /** The collector's user + system CPU seconds for each million lines. */
  cpuPerMillion: number;
  store: boolean;
}

/** CPU seconds (user + system) a process has used so far. */
export function processCpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
}

export async function benchCollect(options: { lines?: number; perBatch?: number; store?: boolean } = {}): Promise<CollectBenchResult> {
  const perBatch = options.perBatch ?? 10_000;
  const batches = Math.max(1, Math.round((options.lines ?? 1_000_000) / perBatch));
  const dir = options.store ? fs.mkdtempSync(path.join(os.tmpdir(), 'trk-bench-collect-')) : undefined;
  const child = spawn(process.execPath, [TRK_COLLECT, '--listen', '127.0.0.1:0', '-q', ...(dir ? ['--dir', dir, '--no-stdout'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.resume(); // to nowhere, as fast as it comes
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  for (let waited = 0; !/listening on .*:(\d+)\n/.test(err); waited += 20) {
    if (waited > 10_000 || child.exitCode !== null) throw new Error(`trk-collect did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const port = Number(/listening on .*:(\d+)\n/.exec(err)![1]);
  const body = zlib.gzipSync(Buffer.from(LINE.repeat(perBatch)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (seq: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, agent, method: 'POST', path: '/ingest', headers: { 'X-Trk-Sensor': 'bench', 'X-Trk-Batch': `bench/${seq}`, 'X-Trk-Lines': perBatch, 'Content-Encoding': 'gzip', 'Content-Length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`batch ${seq}: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  try {
    const cpuBefore = processCpuSeconds(child.pid!);
    const started = process.hrtime.bigint();
    for (let seq = 1; seq <= batches; seq++) await post(seq);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = processCpuSeconds(child.pid!) - cpuBefore;
    const lines = batches * perBatch;
    return { lines, seconds, linesPerSecond: lines / seconds, cpuPerMillion: (cpu * 1e6) / lines, store: Boolean(dir) };
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = parseArgs({ options: { lines: { type: 'string' }, batch: { type: 'string' }, dir: { type: 'boolean' } } });
  const r = await benchCollect({ lines: Number(values.lines ?? 1_000_000), perBatch: Number(values.batch ?? 10_000), store: Boolean(values.dir) });
  process.stdout.write(
    `trk-collect ${r.store ? '--dir (fsync per batch)' : 'to stdout'}: ${r.lines} lines of ${LINE.length} bytes, gzip batches of ${values.batch ?? 10_000}, in ${r.seconds.toFixed(2)} s: ` +
      `${Math.round(r.linesPerSecond)} lines/s; collector CPU ${r.cpuPerMillion.toFixed(2)} s per million lines\n`,
  );
}
