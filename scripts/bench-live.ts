/**
 * bench-live — how many packets each live capture engine catches at a given
 * rate, on a veth pair fed by tcpreplay from inside a network namespace.
 *
 *   node dist/scripts/bench-live.js [--rates 50000,100000,...] [--seconds 3] [--engines cap,tcpdump,...]
 *
 * Engines, each in its own process so one's garbage cannot slow another:
 *   cap-bare         a bare cap listener counting packets (the floor: no decoding, no Packet)
 *   cap-bare-1m      the same with a 1 MiB kernel buffer (not in the default set)
 *   trk-capture      the whole command as a user runs it: cap engine and its default
 *                    128 MiB buffer, decoding and writing NDJSON to /dev/null
 *   trk-capture-tcpdump  the same with --engine tcpdump (its default 32 MiB buffer)
 *   cap              captureLive --engine cap into a sink that does nothing
 *   tcpdump          captureLive --engine tcpdump into a sink that does nothing
 *   tcpdump-devnull  tcpdump -w /dev/null (libpcap at its best, nothing done with the packets)
 * The others with a 32 MiB kernel buffer. The traffic is a LAN-like capture of small
 * frames (gen-capture.ts, cut to 256 bytes) replayed at each rate.
 * Needs root and tcpreplay (apt-get install tcpreplay).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { captureLive } from '../src/capture/live.js';
import { generateLanCapture } from './gen-capture.js';
import { createNetns, waitCarrier, type Netns } from '../test/helpers/netns.js';

export interface LiveBenchResult {
  engine: string;
  /** Rate asked of tcpreplay. */
  pps: number;
  /** Rate tcpreplay says it reached. */
  sentPps?: number;
  sent: number;
  caught: number;
  /** Kernel drops where the engine can know them. */
  drops?: number;
}

export const LIVE_ENGINES = ['trk-capture', 'trk-capture-tcpdump', 'cap-bare', 'cap', 'tcpdump', 'tcpdump-devnull'] as const;
const BUFFER_MIB = 32;
const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(THIS_FILE), '../..');

/** The share caught, rounded down: 99.995% must not read as 100. */
export function caughtPercent(caught: number, sent: number): string {
  return (Math.floor((10000 * caught) / sent) / 100).toFixed(2);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A capture running in a child process; stop() resolves with what it caught. */
interface RunningCapture {
  stop(): Promise<{ caught: number; drops?: number }>;
}

/** Starts an engine on `iface` and resolves once it is capturing. */
async function startEngine(engine: string, iface: string): Promise<RunningCapture> {
  let out = '';
  let err = '';
  const devnull = engine === 'tcpdump-devnull';
  const command = engine === 'trk-capture' || engine === 'trk-capture-tcpdump';
  const commandArgs = engine === 'trk-capture-tcpdump' ? ['--engine', 'tcpdump'] : [];
  const child = devnull
    ? spawn('tcpdump', ['-i', iface, '-w', '/dev/null', '-n', '-B', String(BUFFER_MIB * 1024)], { stdio: ['ignore', 'pipe', 'pipe'] })
    : command
      ? spawn(process.execPath, [path.join(REPO_ROOT, 'bin/trk-capture.js'), ...commandArgs, '-i', iface], { stdio: ['ignore', fs.openSync('/dev/null', 'w'), 'pipe'] })
      : spawn(process.execPath, [THIS_FILE, '--child', engine, iface], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  if (command) {
    // the command says nothing when it starts: give it time to open its packet socket
    await sleep(1000);
    out = 'ready\n';
  }
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  for (let waited = 0; !(devnull ? /listening on/.test(err) : /^ready$/m.test(out)); waited += 10) {
    if (waited > 10000 || child.exitCode !== null) throw new Error(`${engine} did not start: ${err.trim()}`);
    await sleep(10);
  }
  return {
    async stop() {
      child.kill('SIGINT');
      await exited;
      if (command) {
        const caught = /(\d+) packets captured/.exec(err);
        const drops = /(\d+) dropped by kernel/.exec(err);
        if (!caught) throw new Error(`trk-capture said: ${err.trim()}`);
        return { caught: Number(caught[1]), drops: drops ? Number(drops[1]) : undefined };
      }
      if (devnull) {
        const caught = /^(\d+) packets? captured$/m.exec(err);
        const drops = /^(\d+) packets? dropped by kernel$/m.exec(err);
        if (!caught) throw new Error(`tcpdump said: ${err.trim()}`);
        return { caught: Number(caught[1]), drops: drops ? Number(drops[1]) : undefined };
      }
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`${engine} said: ${err.trim()}`);
      return JSON.parse(line) as { caught: number; drops?: number };
    },
  };
}

/** Replays `file` from inside the namespace at `pps` until `count` packets are sent. */
async function replay(ns: Netns, file: string, pps: number, count: number): Promise<{ sent: number; sentPps?: number }> {
  const out = await ns.run('tcpreplay', ['-q', '-K', `--pps=${pps}`, `--limit=${count}`, '--loop=0', '-i', ns.peerIf, file], 120000);
  const actual = /Actual: (\d+) packets/.exec(out);
  const rated = /Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(out);
  const result: { sent: number; sentPps?: number } = { sent: actual ? Number(actual[1]) : count };
  if (rated) result.sentPps = Math.round(Number(rated[1]));
  return result;
}

export async function benchLive(
  rates: number[],
  opts: { seconds?: number; engines?: readonly string[]; log?: (line: string) => void } = {},
): Promise<LiveBenchResult[]> {
  if (process.getuid?.() !== 0) throw new Error('bench-live needs root (a network namespace, packet sockets)');
  if (spawnSync('tcpreplay', ['--version']).error) throw new Error('bench-live needs tcpreplay: apt-get install tcpreplay');
  const seconds = opts.seconds ?? 3;
  const engines = opts.engines ?? LIVE_ENGINES;
  const log = opts.log ?? ((): void => {});
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-bench-live-'));
  const file = path.join(dir, 'lan.pcap');
  const ns = createNetns();
  const results: LiveBenchResult[] = [];
  try {
    await generateLanCapture(file, { packets: 200_000, seed: 7, snaplen: 256 });
    await waitCarrier(ns);
    for (const pps of rates) {
      for (const engine of engines) {
        const capture = await startEngine(engine, ns.hostIf);
        const { sent, sentPps } = await replay(ns, file, pps, pps * seconds);
        // what is in the ring reaches the engine; without immediate mode (tcpdump -w) a TPACKET_V3
        // block is handed over only when full or after libpcap's 1 s timeout
        await sleep(1100);
        const { caught, drops } = await capture.stop();
        const result: LiveBenchResult = { engine, pps, sent, caught };
        if (sentPps !== undefined) result.sentPps = sentPps;
        if (drops !== undefined) result.drops = drops;
        results.push(result);
        log(
          `${engine.padEnd(16)} ${String(pps).padStart(7)} pps (sent at ${sentPps ?? '?'}): ` +
            `${caught}/${sent} caught = ${caughtPercent(caught, sent)}%${drops !== undefined ? `, ${drops} kernel drops` : ''}`,
        );
      }
    }
  } finally {
    ns.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** The capturing side, in its own process: prints "ready", then on SIGINT one JSON line. */
async function child(engine: string, iface: string): Promise<void> {
  const stop = new AbortController();
  process.on('SIGINT', () => stop.abort());
  if (engine === 'cap-bare' || engine === 'cap-bare-1m') {
    const { Cap } = createRequire(import.meta.url)('cap') as {
      Cap: new () => { open(d: string, f: string, b: number, buf: Buffer): string; close(): void; on(e: string, l: () => void): void };
    };
    const cap = new Cap();
    const buffer = Buffer.alloc(65535);
    let caught = 0;
    cap.open(iface, '', (engine === 'cap-bare' ? BUFFER_MIB : 1) * 1024 * 1024, buffer);
    cap.on('packet', () => caught++);
    process.stdout.write('ready\n');
    await new Promise((r) => stop.signal.addEventListener('abort', r));
    cap.close();
    process.stdout.write(JSON.stringify({ caught, buffer: buffer.length }) + '\n');
    return;
  }
  let caught = 0;
  const summary = await captureLive(
    {
      iface,
      snaplen: 0,
      promisc: true,
      bufferMiB: BUFFER_MIB,
      engine: engine === 'tcpdump' ? 'tcpdump' : 'cap',
      signal: stop.signal,
      onListening: () => process.stdout.write('ready\n'),
    },
    { packet: () => void caught++, drain: () => undefined },
  );
  process.stdout.write(JSON.stringify({ caught, drops: summary.kernelDrops, engineDrops: summary.engineDrops }) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await child(args[1]!, args[2]!);
  } else {
    const flag = (name: string): string | undefined => {
      const i = args.indexOf(name);
      return i >= 0 ? args[i + 1] : undefined;
    };
    const rates = (flag('--rates') ?? '50000,100000,150000,200000,300000').split(',').map(Number);
    const engines = flag('--engines')?.split(',');
    const seconds = Number(flag('--seconds') ?? 3);
    try {
      const results = await benchLive(rates, { seconds, engines, log: (l) => process.stderr.write(l + "\n") });
      process.stdout.write(JSON.stringify(results) + "\n");
    } catch (err) {
      process.stderr.write(`bench-live: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  }
}
