/**
 * trk-capture — read packets from capture files or a live interface and write one line per packet.
 */
// Only the option table and the runner are loaded up front: --help and
// --version answer as fast as node starts. The decoders, formatters and capture
// engines are loaded in main() (see loadPipeline).
import type { Packet } from '../decode/packet.js';
import type { PacketSink } from '../capture/source.js';
import type { LineOutput } from '../io/output.js';
import type { CommandSpec, ParsedArgs } from './options.js';
import { runCommand, warn } from './run.js';
import { inputOptions } from './input-options.js';

export const spec: CommandSpec = {
  name: 'trk-capture',
  summary: 'read packets from capture files or a live interface and write one pkt record per packet',
  usage: [
    '[-H] [-c COUNT] -r FILE [-r FILE ...] [-f FILTER | FILTER ...]',
    '[-H] [-c COUNT] [--duration SECONDS] [-p] [-s SNAPLEN] [--engine cap|tcpdump] -i IFACE [-f FILTER | FILTER ...]',
    '-D',
  ],
  options: [
    ...inputOptions(false),
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

/** The modules that do the work, loaded once the arguments are known to need them. */
async function loadPipeline() {
  const [decode, json, human, input, live, source, output] = await Promise.all([
    import('../decode/index.js'),
    import('../format/pkt-json.js'),
    import('../format/pkt-human.js'),
    import('./input.js'),
    import('../capture/live.js'),
    import('../capture/source.js'),
    import('../io/output.js'),
  ]);
  return {
    decodePacket: decode.decodePacket,
    writePktJson: json.writePktJson,
    writePktHuman: human.writePktHuman,
    input,
    listInterfaces: live.listInterfaces,
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

  const { files, iface } = run.input.chooseInput(options, false);
  const filter = (options.filter as string | undefined) ?? (positional.length ? positional.join(' ') : undefined);
  const engine = (options.engine as 'cap' | 'tcpdump' | undefined) ?? 'cap';
  const out = new run.LineOutput(process.stdout);
  const stop = new AbortController();
  const write = options.human ? run.writePktHuman : run.writePktJson;
  const sink = new CaptureSink(run.decodePacket, write, out, (options.count as number | undefined) ?? Infinity, stop);
  const target = { command: 'trk-capture', packets: sink, out, progress: () => sink.packets };
  const interrupted = run.input.onInterrupt(stop);
  try {
    if (iface === undefined) {
      const code = await run.input.readFiles(target, files, filter, stop.signal);
      await out.end();
      return code;
    }
    // as tcpdump does: the operator (and a script) learns when capture has begun
    const summary = await run.input.readLive(target, options, filter, stop.signal, () => {
      if (!options.quiet) warn('trk-capture', `listening on ${iface} (${engine} engine)`);
    });
    await out.end();
    if (!options.quiet) warn('trk-capture', run.input.liveSummary(iface, sink.packets, sink.decodeErrors, summary));
    return 0;
  } finally {
    interrupted.dispose();
  }
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

export function run(argv?: string[]): Promise<never> {
  return runCommand(spec, main, argv);
}
