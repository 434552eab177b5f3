/**
 * issue 7's benchmark rows: lines from one sensor to the collector on
 * loopback, gzip on the wire, the collector storing with fsync — timed from
 * trk-upload's start until it exits with its spool empty (every batch
 * acknowledged) — and the collector's CPU time (user + system, from
 * /proc/PID/stat) for those lines.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface UploadRun {
  /** Wall time of trk-upload, start to exit. */
  seconds: number;
  /** The collector's CPU time over the run. */
  collectorCpuSeconds: number;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name is in parentheses and may hold spaces: count fields after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export async function uploadOnce(node: string, upload: string, collect: string, records: string): Promise<UploadRun> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-bench-upload-'));
  const collector = spawn(node, [collect, '--listen', '127.0.0.1:0', '--dir', path.join(work, 'store'), '--no-stdout', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      collector.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]!.replace(/\/$/, ''));
      });
      collector.once('exit', (code) => reject(new Error(`trk-collect exited ${code}: ${err.trim()}`)));
    });
    const input = fs.openSync(records, 'r');
    const devnull = fs.openSync('/dev/null', 'w');
    const spool = path.join(work, 'spool');
    const started = process.hrtime.bigint();
    const sensor = spawn(node, [upload, '--spool', spool, '--max-wait', '3600', '-q', `${url}/ingest`], { stdio: [input, devnull, 'pipe'] });
    let sensorErr = '';
    sensor.stderr!.on('data', (d: Buffer) => (sensorErr += d.toString()));
    const code = await new Promise<number | null>((resolve) => sensor.once('exit', resolve));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    fs.closeSync(input);
    fs.closeSync(devnull);
    if (code !== 0) throw new Error(`trk-upload exited ${code}: ${sensorErr.trim().split('\n')[0] ?? ''}`);
    const left = fs.readdirSync(spool, { recursive: true }).map(String).filter((f) => f.endsWith('.gz'));
    if (left.length) throw new Error(`trk-upload left ${left.length} batches in its spool`);
    const collectorCpuSeconds = cpuSeconds(collector.pid!);
    return { seconds, collectorCpuSeconds };
  } finally {
    collector.kill('SIGTERM');
    await new Promise((r) => (collector.exitCode !== null ? r(null) : collector.once('exit', r)));
    fs.rmSync(work, { recursive: true, force: true });
  }
}
