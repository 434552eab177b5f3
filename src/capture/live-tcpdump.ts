/**
 * The tcpdump engine: a tcpdump child captures and writes pcap to a pipe,
 * which is read like any capture file (file.ts).
 *
 *    tcpdump -i IFACE -w - -U --immediate-mode -n -s SNAPLEN [-p] -B KiB [-c N]
 *            --time-stamp-precision nano -- FILTER
 *
 * --immediate-mode: without it libpcap fills TPACKET_V3 blocks that reach
 * tcpdump only when full or after a second, and the packets of the block in
 * progress when tcpdump is stopped are never read (measured: a stop 150 ms
 * after 6 pings delivered none of them).
 *
 * What this costs and gives, against the cap engine: one more process and a
 * copy through a pipe; kernel timestamps to the nanosecond, exact wire
 * lengths, -p honoured, and the kernel's and the interface's drop counts,
 * which tcpdump prints on stderr when it ends:
 *
 *    12 packets captured
 *    12 packets received by filter
 *    0 packets dropped by kernel
 *    [3 packets dropped by interface]      (only when not zero)
 *
 * We stop it with SIGINT (it flushes and prints those lines), so the packets
 * it caught before the stop are all delivered, and SIGKILL if it hangs.
 */
import { spawn } from 'node:child_process';
import type { Packet } from '../decode/packet.js';
import { readCapture } from './file.js';
import type { LiveOptions } from './live.js';
import { cannotOpen, openFailure, tcpdumpMissing } from './live-errors.js';
import type { PacketSink, SourceSummary } from './source.js';

/** Enough for every header trk decodes; the wire length is known anyway. */
export const TCPDUMP_DEFAULT_SNAPLEN = 512;
/** How long tcpdump may take to exit after SIGINT before it is killed. */
const EXIT_GRACE_MS = 3000;
/** stderr kept for messages: tcpdump says little, but a broken one must not fill memory. */
const STDERR_LIMIT = 64 * 1024;

export function tcpdumpArgs(opts: LiveOptions): string[] {
  const args = ['-i', opts.iface, '-w', '-', '-U', '--immediate-mode', '-n', '-s', String(opts.snaplen > 0 ? opts.snaplen : TCPDUMP_DEFAULT_SNAPLEN)];
  if (!opts.promisc) args.push('-p');
  args.push('-B', String(opts.bufferMiB * 1024));
  if (opts.count !== undefined) args.push('-c', String(opts.count));
  args.push('--time-stamp-precision', 'nano');
  if (opts.filter !== undefined && opts.filter.trim() !== '') args.push('--', opts.filter);
  return args;
}

/** The drop counts in tcpdump's closing lines; undefined where it did not print them. */
export function parseTcpdumpStats(stderr: string): { kernelDrops?: number; ifDrops?: number } {
  const kernel = /^(\d+) packets? dropped by kernel$/m.exec(stderr);
  const iface = /^(\d+) packets? dropped by interface$/m.exec(stderr);
  const stats: { kernelDrops?: number; ifDrops?: number } = {};
  if (kernel) {
    stats.kernelDrops = Number(kernel[1]);
    // tcpdump leaves the interface line out when the count is zero
    stats.ifDrops = iface ? Number(iface[1]) : 0;
  }
  return stats;
}

/** The line that explains a failed start, without tcpdump's usage text or its "listening on" banner. */
function failureMessage(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^(tcpdump: )?listening on /.test(l) && !/^(Usage|\s)/.test(l))
    .slice(0, 2)
    .join(' ');
}

export async function captureWithTcpdump(opts: LiveOptions, sink: PacketSink): Promise<SourceSummary> {
  const child = spawn('tcpdump', tcpdumpArgs(opts), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let listening = false;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += text;
    if (!listening && /listening on /.test(stderr)) {
      listening = true;
      opts.onListening?.();
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });

  let killTimer: NodeJS.Timeout | undefined;
  let stopRequested = false;
  const stop = (): void => {
    stopRequested = true;
    if (child.exitCode !== null || child.signalCode !== null || killTimer) return;
    child.kill('SIGINT');
    killTimer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
  };
  const durationTimer = opts.durationSec !== undefined ? setTimeout(stop, opts.durationSec * 1000) : undefined;
  if (opts.signal.aborted) stop();
  else opts.signal.addEventListener('abort', stop);

  // the pcap reader knows nothing of interfaces: name the packets on their way through
  const iface = opts.iface;
  const named: PacketSink = {
    packet(p: Packet) {
      p.ifName = iface;
      sink.packet(p);
    },
    drain: () => sink.drain(),
  };

  let summary: SourceSummary = { packets: 0 };
  let readFailure: unknown;
  try {
    // not given our signal: after a stop, tcpdump's last packets are still read, up to its EOF
    summary = await readCapture(child.stdout, `tcpdump on ${iface}`, named);
  } catch (err) {
    // an empty stream: tcpdump did not start, or was stopped before it wrote its header
    if (!stopRequested) readFailure = err;
  } finally {
    stop();
    opts.signal.removeEventListener('abort', stop);
    clearTimeout(durationTimer);
  }
  const end = await exited;
  clearTimeout(killTimer);
  if (end.error) {
    if (end.error.code === 'ENOENT') throw tcpdumpMissing();
    throw cannotOpen(iface, `tcpdump: ${end.error.message}`);
  }
  if (!listening && end.code !== 0 && end.signal === null) {
    throw openFailure(iface, opts.filter, 'tcpdump', failureMessage(stderr) || `tcpdump exited with status ${end.code}`);
  }
  if (readFailure !== undefined) throw readFailure;
  const result: SourceSummary = { packets: summary.packets, ...parseTcpdumpStats(stderr) };
  // a record cut short is expected only when tcpdump had to be killed
  if (summary.damage && end.signal !== 'SIGKILL') result.damage = summary.damage;
  return result;
}
