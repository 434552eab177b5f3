/**
 * trk-capture — read packets from capture files or a live interface and write one line per packet.
 */
// Only the option table and the runner are loaded up front: --help and
// --version answer as fast as node starts. The decoders, formatters and capture
// engines are loaded in main() (see loadPipeline).
import type { Packet } from '../decode/packet.js';
import type { PacketSink, SourceSummary } from '../capture/source.js';
import type { LineOutput } from '../io/output.js';
import { UsageError, type CommandSpec, type ParsedArgs } from './options.js';
import { runCommand, warn } from './run.js';

export const spec: CommandSpec = {
  name: 'trk-capture',
  summary: 'read packets from capture files or a live interface and write one pkt record per packet',
  usage: [
    '[-H] [-c COUNT] -r FILE [-r FILE ...] [-f FILTER | FILTER ...]',
    '[-H] [-c COUNT] [--duration SECONDS] [-p] [-s SNAPLEN] [--engine cap|tcpdump] -i IFACE [-f FILTER | FILTER ...]',
    '-D',
  ],
  options: [
    {
      long: 'read', short: 'r', type: 'list', arg: 'FILE',
      help: "read a pcap or pcapng file, gzipped or not; '-' is standard input (repeatable)",
      detail: "The format is recognised by its first bytes, not by the file name: classic pcap in either byte order with micro- or nanosecond timestamps, pcapng with any number of sections and interfaces, and either of them gzip-compressed. Several -r options are read one after the other.",
    },
    {
      long: 'interface', short: 'i', type: 'string', arg: 'IFACE',
      help: "capture live on IFACE ('any' for all interfaces)",
      detail: 'Live capture needs root, or the capabilities CAP_NET_RAW and CAP_NET_ADMIN on the node binary.',
    },
    {
      long: 'filter', short: 'f', type: 'string', arg: 'FILTER',
      help: "BPF filter in tcpdump's syntax, for live capture and files (words after the options work too)",
      detail: 'Live, the filter runs in the kernel. On capture files it is compiled by tcpdump (tcpdump -ddd, which needs no privileges) once per link type and run on each packet by trk itself, with the same meaning; a file whose packets have a link type the filter cannot be compiled for has those packets left out, with a warning.',
    },
    {
      long: 'snaplen', short: 's', type: 'number', arg: 'BYTES', min: 64,
      help: 'bytes to capture of each packet (default: whole packets with the cap engine, 512 with tcpdump)',
      detail: 'The cap engine cannot learn the wire length of a packet it captured only in part, so by default it captures whole packets; with a smaller -s it reconstructs the wire length from the IP header. The tcpdump engine always knows the wire length and captures 512 bytes by default, enough for every header trk decodes.',
    },
    { long: 'no-promisc', short: 'p', type: 'flag', help: 'do not put the interface into promiscuous mode' },
    { long: 'count', short: 'c', type: 'number', arg: 'COUNT', min: 1, help: 'stop after COUNT packets' },
    { long: 'duration', type: 'number', arg: 'SECONDS', min: 0, help: 'stop a live capture after SECONDS' },
    {
      long: 'engine', type: 'string', arg: 'ENGINE', choices: ['cap', 'tcpdump'], default: 'cap',
      help: 'live capture engine: cap (libpcap in-process) or tcpdump (a tcpdump child)',
      detail: 'cap runs libpcap inside the process. Its timestamps are taken when a packet reaches the program (within about a millisecond of the kernel\'s), and the kernel\'s drop count is not available to it. tcpdump reads the packets from a tcpdump child writing pcap to a pipe: kernel timestamps, exact wire lengths and the kernel\'s drop count, at the cost of one more process. Use tcpdump where timing matters to the microsecond, where drops must be counted, or above about 100 000 packets/s: on a 2-core machine the whole command caught every packet at 200 000 packets/s with tcpdump, and lost 0.5% at 150 000 with cap (npm run bench).',
    },
    {
      long: 'buffer-size', short: 'B', type: 'number', arg: 'KIB', min: 1024,
      help: 'kernel capture buffer in KiB (default 131072 with cap, 32768 with tcpdump)',
      detail: 'The buffer absorbs bursts while the program is busy or not scheduled. The cap engine captures whole packets, so every slot of its ring takes 64 KiB whatever the packet size: 128 MiB holds about 2000 packets, what it needs to lose nothing at 100 000 packets/s on a busy 2-core machine (see npm run bench). The tcpdump engine captures 512 bytes a packet, and 32 MiB holds about 50 000.',
    },
    { long: 'list-interfaces', short: 'D', type: 'flag', help: 'list the interfaces live capture can use, and exit' },
    { long: 'human', short: 'H', type: 'flag', help: 'one readable line per packet instead of NDJSON' },
    { long: 'quiet', short: 'q', type: 'flag', help: "no 'listening on' line and no summary on stderr for a live capture" },
  ],
  examples: [
    'trk-capture -r day.pcap.gz | head',
    "trk-capture -i eth0 -f 'not port 22' -H",
    'tcpdump -i eth0 -U -w - | trk-capture -r -',
    "trk-capture -r day.pcap.gz 'tcp port 443'",
  ],
};

const DEFAULT_BUFFER_KIB = { cap: 131072, tcpdump: 32768 } as const;

/** The modules that do the work, loaded once the arguments are known to need them. */
async function loadPipeline() {
  const [decode, json, human, file, live, filter, source, output] = await Promise.all([
    import('../decode/index.js'),
    import('../format/pkt-json.js'),
    import('../format/pkt-human.js'),
    import('../capture/file.js'),
    import('../capture/live.js'),
    import('../capture/filter.js'),
    import('../capture/source.js'),
    import('../io/output.js'),
  ]);
  return {
    decodePacket: decode.decodePacket,
    writePktJson: json.writePktJson,
    writePktHuman: human.writePktHuman,
    openCaptureInput: file.openCaptureInput,
    readCapture: file.readCapture,
    captureLive: live.captureLive,
    listInterfaces: live.listInterfaces,
    FilteringSink: filter.FilteringSink,
    InputError: source.InputError,
    LineOutput: output.LineOutput,
  };
}
type Pipeline = Awaited<ReturnType<typeof loadPipeline>>;
type LineWriter = (out: LineOutput, p: Packet) => void;

/** Decodes each packet and writes its line; counts what the summary reports. */
export class CaptureSink implements PacketSink {
  packets = 0;
  decodeErrors = 0;

  constructor(
    private readonly decode: (p: Packet) => void,
    private readonly write: LineWriter,
    private readonly out: LineOutput,
    private readonly limit: number,
    private readonly stop: AbortController,
  ) {}

  packet(p: Packet): void {
    if (this.packets >= this.limit) return;
    this.decode(p);
    if (p.err !== undefined) this.decodeErrors++;
    this.write(this.out, p);
    if (++this.packets >= this.limit) this.stop.abort();
  }

  drain(): Promise<void> | undefined {
    if (this.out.closed) this.stop.abort();
    return this.out.drain();
  }
}

async function main({ options, positional }: ParsedArgs): Promise<number> {
  const run = await loadPipeline();
  if (options['list-interfaces']) return printInterfaces(run);

  const files = (options.read as string[] | undefined) ?? [];
  const iface = options.interface as string | undefined;
  const filter = (options.filter as string | undefined) ?? (positional.length ? positional.join(' ') : undefined);
  if (files.length && iface) throw new UsageError('use either -r FILE or -i IFACE, not both');
  if (!files.length && !iface) throw new UsageError('nothing to read: give -r FILE, -r - for standard input, or -i IFACE');
  if (files.length && options.duration !== undefined) throw new UsageError('--duration applies to live capture (-i)');

  const engine = (options.engine as 'cap' | 'tcpdump' | undefined) ?? 'cap';
  const out = new run.LineOutput(process.stdout);
  const stop = new AbortController();
  const write = options.human ? run.writePktHuman : run.writePktJson;
  const sink = new CaptureSink(run.decodePacket, write, out, (options.count as number | undefined) ?? Infinity, stop);
  const interrupted = onInterrupt(stop);
  try {
    if (files.length) return await readFiles(run, files, sink, filter, stop.signal, out);
    const summary = await run.captureLive(
      {
        iface: iface!,
        filter,
        snaplen: options.snaplen as number | undefined ?? 0,
        promisc: !options['no-promisc'],
        count: options.count as number | undefined,
        durationSec: options.duration as number | undefined,
        bufferMiB: Math.round(((options['buffer-size'] as number | undefined) ?? DEFAULT_BUFFER_KIB[engine]) / 1024),
        engine,
        signal: stop.signal,
        // as tcpdump does: the operator (and a script) learns when capture has begun
        onListening: () => {
          if (!options.quiet) warn('trk-capture', `listening on ${iface} (${engine} engine)`);
        },
      },
      sink,
    );
    await out.end();
    if (!options.quiet) warn('trk-capture', liveSummary(iface!, sink, summary));
    return 0;
  } finally {
    interrupted.dispose();
  }
}

async function readFiles(
  run: Pipeline,
  files: string[],
  sink: CaptureSink,
  filter: string | undefined,
  signal: AbortSignal,
  out: LineOutput,
): Promise<number> {
  let code = 0;
  // the live engines filter in the kernel; a file's packets go through the same program here
  const filtered = filter === undefined ? undefined : new run.FilteringSink(filter, sink);
  for (const file of files) {
    if (signal.aborted) break;
    if (file === '-' && process.stdin.isTTY) {
      throw new UsageError('standard input is a terminal: pipe a capture in (tcpdump -w - | trk-capture -r -), or name a file');
    }
    const name = file === '-' ? 'standard input' : file;
    const before = sink.packets;
    const progress = showProgress(name, sink);
    let summary: SourceSummary;
    try {
      summary = await run.readCapture(run.openCaptureInput(file), name, filtered ?? sink, { signal }).finally(progress.done);
    } catch (err) {
      // like cat: a file that cannot be read is reported, and the others are still read
      if (!(err instanceof run.InputError) || files.length === 1) throw err;
      await out.end();
      warn('trk-capture', err.message);
      code = 1;
      continue;
    }
    for (const linktype of filtered?.unfilterable ?? []) {
      warn('trk-capture', `${name}: packets of link type ${linktype} left out: the filter does not apply to that link type`);
    }
    filtered?.unfilterable.clear();
    if (summary.damage) {
      // everything before the damage has been written; say where it is and go on
      await out.end();
      warn('trk-capture', `${name}: ${summary.damage.reason} at byte ${summary.damage.offset}; ${sink.packets - before} packets read before it`);
      code = 1;
    }
  }
  await out.end();
  return code;
}

/**
 * A progress line on stderr, redrawn every second, while a file takes long to
 * read — only when stderr is a terminal and stdout is not (it would break into
 * the records on the screen).
 */
function showProgress(name: string, sink: CaptureSink): { done(): void } {
  if (!process.stderr.isTTY || process.stdout.isTTY) return { done() {} };
  let shown = false;
  const timer = setInterval(() => {
    process.stderr.write(`\rtrk-capture: ${name}: ${sink.packets} packets`);
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

function liveSummary(iface: string, sink: CaptureSink, s: SourceSummary): string {
  const parts = [`${sink.packets} packets captured on ${iface}`, `${sink.decodeErrors} decoded with errors`];
  parts.push(s.kernelDrops === undefined ? 'kernel drops unknown with this engine (use --engine tcpdump to count them)' : `${s.kernelDrops} dropped by kernel`);
  if (s.ifDrops) parts.push(`${s.ifDrops} dropped by interface`);
  if (s.engineDrops) parts.push(`${s.engineDrops} discarded because the output could not keep up`);
  return parts.join(', ');
}

function printInterfaces(run: Pipeline): number {
  const list = run.listInterfaces();
  if (!list.length) throw new run.InputError('no interfaces found that live capture can use');
  const lines = list.map((d, n) => {
    const extra = [d.description, d.addresses.join(' '), d.up === false ? 'down' : undefined].filter(Boolean).join('  ');
    return `${n + 1}.${d.name}${extra ? `  ${extra}` : ''}`;
  });
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** First SIGINT/SIGTERM: stop reading, flush, summarise. A second one: leave at once. */
function onInterrupt(stop: AbortController): { dispose(): void } {
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

export function run(argv?: string[]): Promise<never> {
  return runCommand(spec, main, argv);
}
