/**
 * Where every command's packets come from: capture files and standard input
 * (a capture, or lines of pkt records, told apart by the first bytes), or a
 * live interface. One implementation, so that trk-capture, trk-classify and
 * the commands after them read, report damage, show progress and stop on
 * Ctrl-C the same way.
 */
import type { LineOutput } from '../io/output.js';
import { readLines, type LineSink } from '../io/lines.js';
import type { PktRecordReader } from '../io/pkt-record.js';
import { openCaptureInput, peekInput, readCapture } from '../capture/file.js';
import { captureLive } from '../capture/live.js';
import { FilteringSink } from '../capture/filter.js';
import { InputError, type PacketSink, type SourceSummary } from '../capture/source.js';
import { DEFAULT_BUFFER_KIB } from './input-options.js';
import { UsageError, type OptionValues } from './options.js';
import { warn } from './run.js';

/** What a command hands its input to. */
export interface InputTarget {
  /** For messages: `trk-classify: day.pcap: …`. */
  command: string;
  /** Raw packets from captures (metadata set, layers not yet decoded). */
  packets: PacketSink;
  /** Lines of text (pkt records and the rest); undefined when the command reads captures only. */
  lines?: LineSink;
  out: LineOutput;
  /** Packets or records handled so far, for the progress line. */
  progress(): number;
}

/**
 * Reads each of `files` in turn ('-' is standard input). A file that cannot
 * be opened is reported and the others are still read, as cat does; a
 * damaged capture gives every packet before the damage and one line naming
 * the byte. Resolves to the exit code: 0, or 1 when anything was reported.
 */
export async function readFiles(
  target: InputTarget,
  files: string[],
  filter: string | undefined,
  signal: AbortSignal,
): Promise<number> {
  let code = 0;
  // the live engines filter in the kernel; a file's packets go through the same program here
  const filtered = filter === undefined ? undefined : new FilteringSink(filter, target.packets);
  for (const file of files) {
    if (signal.aborted) break;
    if (file === '-' && process.stdin.isTTY) {
      throw new UsageError(
        target.lines
          ? 'standard input is a terminal: pipe pkt records or a capture in (trk-capture -i eth0 | ' + target.command + '), or give -r FILE or -i IFACE'
          : `standard input is a terminal: pipe a capture in (tcpdump -w - | ${target.command} -r -), or name a file`,
      );
    }
    const name = file === '-' ? 'standard input' : file;
    const before = target.progress();
    const progress = showProgress(target.command, name, target);
    let summary: SourceSummary | undefined;
    try {
      const input = openCaptureInput(file);
      if (target.lines) {
        const peeked = await peekInput(input, name);
        if (!peeked.isCapture) {
          if (!peeked.empty) await readLines(peeked.stream, name, target.lines, { signal });
          continue;
        }
        summary = await readCapture(peeked.stream, name, filtered ?? target.packets, { signal });
      } else {
        summary = await readCapture(input, name, filtered ?? target.packets, { signal });
      }
    } catch (err) {
      // like cat: a file that cannot be read is reported, and the others are still read
      if (!(err instanceof InputError) || files.length === 1) throw err;
      await target.out.end();
      warn(target.command, err.message);
      code = 1;
      continue;
    } finally {
      progress.done();
    }
    for (const linktype of filtered?.unfilterable ?? []) {
      warn(target.command, `${name}: packets of link type ${linktype} left out: the filter does not apply to that link type`);
    }
    filtered?.unfilterable.clear();
    if (summary?.damage) {
      // everything before the damage has been written; say where it is and go on
      await target.out.end();
      warn(target.command, `${name}: ${summary.damage.reason} at byte ${summary.damage.offset}; ${target.progress() - before} packets read before it`);
      code = 1;
    }
  }
  return code;
}

/** Live capture with the options of input-options.ts; resolves when it stops (count, duration, signal). */
export async function readLive(
  target: InputTarget,
  options: OptionValues,
  filter: string | undefined,
  signal: AbortSignal,
  onListening: () => void,
): Promise<SourceSummary> {
  const engine = (options.engine as 'cap' | 'tcpdump' | undefined) ?? 'cap';
  return captureLive(
    {
      iface: options.interface as string,
      filter,
      snaplen: (options.snaplen as number | undefined) ?? 0,
      promisc: !options['no-promisc'],
      count: options.count as number | undefined,
      durationSec: options.duration as number | undefined,
      bufferMiB: Math.round(((options['buffer-size'] as number | undefined) ?? DEFAULT_BUFFER_KIB[engine]) / 1024),
      engine,
      signal,
      onListening,
    },
    target.packets,
  );
}

/**
 * Which input the options name, checked the same way in every command:
 * -r files or -i, not both; --duration only live. `stdinDefault`: with
 * neither, read standard input (the consumers); otherwise it is a usage error.
 */
export function chooseInput(options: OptionValues, stdinDefault: boolean): { files: string[]; iface?: string } {
  const files = (options.read as string[] | undefined) ?? [];
  const iface = options.interface as string | undefined;
  if (files.length && iface) throw new UsageError('use either -r FILE or -i IFACE, not both');
  if (files.length && options.duration !== undefined) throw new UsageError('--duration applies to live capture (-i)');
  if (!files.length && !iface) {
    if (!stdinDefault) throw new UsageError('nothing to read: give -r FILE, -r - for standard input, or -i IFACE');
    if (options.duration !== undefined) throw new UsageError('--duration applies to live capture (-i)');
    return { files: ['-'] };
  }
  return iface === undefined ? { files } : { files, iface };
}

/**
 * A progress line on stderr, redrawn every second, while a file takes long to
 * read — only when stderr is a terminal and stdout is not (it would break into
 * the records on the screen).
 */
function showProgress(command: string, name: string, target: InputTarget): { done(): void } {
  if (!process.stderr.isTTY || process.stdout.isTTY) return { done() {} };
  let shown = false;
  const timer = setInterval(() => {
    process.stderr.write(`\r${command}: ${name}: ${target.progress()} packets`);
    shown = true;
  }, 1000);
  timer.unref();
  return {
    done() {
      clearInterval(timer);
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

/** First SIGINT/SIGTERM: stop reading, flush, summarise. A second one: leave at once. */
export function onInterrupt(stop: AbortController): { dispose(): void } {
  const handler = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    stop.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** The one-line summary at the end of a live capture. */
export function liveSummary(iface: string, packets: number, decodeErrors: number, s: SourceSummary): string {
  const parts = [`${packets} packets captured on ${iface}`, `${decodeErrors} decoded with errors`];
  parts.push(s.kernelDrops === undefined ? 'kernel drops unknown with this engine (use --engine tcpdump to count them)' : `${s.kernelDrops} dropped by kernel`);
  if (s.ifDrops) parts.push(`${s.ifDrops} dropped by interface`);
  if (s.engineDrops) parts.push(`${s.engineDrops} discarded because the output could not keep up`);
  return parts.join(', ');
}

/** How long without input before packet time is moved on by the clock. */
const IDLE_MS = 1000;
/** A packet stamped within this many seconds of its arrival comes from a live source. */
const LIVE_SKEW_S = 10;

/**
 * Packet time for a live source gone quiet. Commands keep time by the
 * packets (a capture replays to the same lines on any day), so on a quiet
 * network nothing would mark an interval's end. While nothing arrives,
 * `advance(ts)` is called every second with packet time moved on by the
 * clock — only for a live source: an interface, or a pipe whose last packet
 * was stamped within LIVE_SKEW_S of when it arrived (a capture file piped
 * in, however slowly, keeps its own time). Before any packet, an interface
 * is live; a pipe is taken for one after `intervalMs` without a packet.
 * Not while the output is full: that pause is ours, not the network's.
 * Arrivals are seen by `progress()` (packets or records so far) changing
 * between ticks: cheaper than a clock read per packet, and not fooled by a
 * capture engine that polls its consumer while no packet comes.
 */
export function followClock(o: {
  live: boolean;
  interfaceInput: boolean;
  intervalMs: number;
  out: LineOutput;
  /** Time of the latest packet, NaN before the first. */
  lastTs(): number;
  /** Packets or records taken so far. */
  progress(): number;
  advance(ts: number): void;
}): { stop(): void } {
  let lastArrival = Date.now();
  const started = lastArrival;
  let seen = o.progress();
  const timer = o.live
    ? setInterval(() => {
        const now = Date.now();
        const count = o.progress();
        if (count !== seen) {
          seen = count;
          lastArrival = now;
        }
        if (o.out.waiting || now - lastArrival < IDLE_MS) return;
        const last = o.lastTs();
        let ts: number;
        if (Number.isNaN(last)) {
          if (!o.interfaceInput && now - started < o.intervalMs) return;
          ts = now / 1000;
        } else {
          if (Math.abs(last - lastArrival / 1000) > LIVE_SKEW_S) return;
          ts = last + (now - lastArrival) / 1000;
        }
        o.advance(ts);
        void o.out.drain();
      }, IDLE_MS)
    : undefined;
  timer?.unref();
  return {
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

/**
 * The LineSink of a command that consumes pkt records: each line that
 * `reader` reads as one goes to `record` (with reader.packet filled), every
 * other line — overlong ones too — is passed on unchanged, and the first
 * record with an unusable field is reported once (a producer that writes one
 * bad field writes it in every record). `done()`: the command wants no more
 * (-c reached); later lines are dropped.
 */
export function pktRecordLines(o: {
  command: string;
  out: LineOutput;
  reader: PktRecordReader;
  record(buf: Buffer, start: number, end: number): void;
  done(): boolean;
  drain(): Promise<void> | undefined;
}): LineSink {
  let lineNumber = 0;
  let problemReported = false;
  return {
    line(buf, start, end) {
      lineNumber++;
      if (o.done()) return;
      if (!o.reader.read(buf, start, end)) {
        o.out.copyLine(buf, start, end);
        return;
      }
      if (o.reader.problem !== undefined && !problemReported) {
        problemReported = true;
        warn(o.command, `line ${lineNumber}: ${o.reader.problem}; that field is left out (reported once)`);
      }
      o.record(buf, start, end);
    },
    overlong(piece, last) {
      // not a record anyone writes: passed on as it came
      const out = o.out;
      out.reserve(piece.length + 1);
      out.pos += piece.copy(out.buf, out.pos);
      if (last) {
        lineNumber++;
        out.buf[out.pos++] = 0x0a;
      }
    },
    drain: o.drain,
  };
}
