/**
 * The collector's half of the end-to-end check: three sensors post
 * 200 000 lines each, one batch at a time and retrying until answered (as
 * trk-upload does), while the collector is killed with SIGKILL and restarted
 * twice and frozen (SIGSTOP: answers lost, as in a network cut) once.
 * Afterwards the store holds every line exactly once, in each sensor's order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BIN } from './helpers/paths.js';
import { waitUntil } from './helpers/netns.js';
import { localDay } from '../src/collect/store.js';

const SENSORS = ['gw1', 'gw2', 'gw3'];
const LINES = 200_000;
const PER_BATCH = 2_000;

interface Collector {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
}

async function start(dir: string): Promise<Collector> {
  const child = spawn(process.execPath, [BIN('trk-collect'), '--listen', '127.0.0.1:0', '--dir', dir, '--no-stdout', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await waitUntil(() => /listening on http:\/\/.*:(\d+)\n/.test(err), () => `no listening line: ${err}`);
  return { child, port: Number(/:(\d+)\n/.exec(err)![1]), exited };
}

function post(port: number, sensor: string, seq: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/ingest', agent: false, timeout: 1500, headers: { 'X-Trk-Sensor': sensor, 'X-Trk-Batch': `run-${sensor}/${seq}`, 'Content-Encoding': 'gzip', 'Content-Length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function batchLines(sensor: string, seq: number): string {
  let text = '';
  for (let i = (seq - 1) * PER_BATCH; i < seq * PER_BATCH; i++) text += `{"type":"stat","sensor_line":${i},"from":"${sensor}"}\n`;
  return text;
}

test('three sensors, 200 000 lines each, through two SIGKILLs and a freeze: every line once, in order', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-collect-crash-'));
  let collector = await start(dir);
  let posts = 0;
  let failures = 0;
  const uploader = async (sensor: string): Promise<void> => {
    for (let seq = 1; seq <= LINES / PER_BATCH; seq++) {
      const body = zlib.gzipSync(batchLines(sensor, seq));
      for (let attempt = 0; ; attempt++) {
        assert.ok(attempt < 500, `${sensor} batch ${seq}: no answer after 500 tries`);
        posts++;
        const status = await post(collector.port, sensor, seq, body).catch(() => 0);
        if (status === 200) break;
        failures++;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
    }
  };
  const uploads = Promise.all(SENSORS.map(uploader));
  const trouble = (async () => {
    for (const kind of ['kill', 'freeze', 'kill']) {
      const before = posts;
      await waitUntil(() => posts > before + 40, () => 'the uploads stalled', 60_000);
      if (kind === 'kill') {
        collector.child.kill('SIGKILL');
        await collector.exited;
        await new Promise((r) => setTimeout(r, 300));
        collector = await start(dir);
      } else {
        collector.child.kill('SIGSTOP');
        await new Promise((r) => setTimeout(r, 2500));
        collector.child.kill('SIGCONT');
      }
    }
  })();
  await Promise.all([uploads, trouble]);
  collector.child.kill('SIGTERM');
  assert.equal(await collector.exited, 0);
  assert.ok(failures > 0, 'the trouble never reached an upload');
  const today = localDay(Date.now());
  for (const sensor of SENSORS) {
    // a run across midnight leaves yesterday compressed
    const files = fs.readdirSync(path.join(dir, sensor)).filter((n) => n.endsWith('.ndjson') || n.endsWith('.ndjson.gz')).sort();
    const text = files.map((n) => {
      const data = fs.readFileSync(path.join(dir, sensor, n));
      return n.endsWith('.gz') ? zlib.gunzipSync(data).toString() : data.toString();
    }).join('');
    const lines = text.split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, LINES, `${sensor}: ${lines.length} lines (files ${files.join(' ')}, today ${today})`);
    for (let i = 0; i < LINES; i++) {
      if (lines[i] !== `{"type":"stat","sensor_line":${i},"from":"${sensor}"}`) assert.fail(`${sensor} line ${i + 1}: ${lines[i]}`);
    }
  }
});
