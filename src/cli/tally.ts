/**
 * trk-tally — who is using the network: packets and bytes per host, subnet,
 * connection, port, service, protocol, size, direction, MAC or VLAN, per
 * interval of packet time.
 */
// Only the option table and the runner are loaded up front (see trk-capture).
import type { Packet } from '../decode/packet.js';
import { UsageError, type CommandSpec, type ParsedArgs } from './options.js';
import { runCommand, warn } from './run.js';
import { inputOptions } from './input-options.js';

const BY_KINDS = 'host, subnet/BITS, conn, port, svc, proto, size, dir, mac, vlan';

export const spec: CommandSpec = {
  name: 'trk-tally',
  summary: 'count packets and bytes per host, subnet, connection, port, service, protocol, size, direction, MAC or VLAN, per interval',
  usage: [
    '[--by KEY ...] [--every DURATION] [--top N] [--sort ORDER] [--net CIDR ...] [-H | --stat] [-r FILE ...]',
    '--by host --every 0 [--percentile 95] --net CIDR -r FILE ...',
    '-H --live [--by KEY ...] -i IFACE',
  ],
  options: [
    ...inputOptions(true),
    {
      long: 'by', type: 'list', arg: 'KEY', default: 'host',
      help: `what to count by: ${BY_KINDS} (repeatable: one table each)`,
      detail: 'host: each address, counted as sender (tx) and receiver (rx). subnet/BITS: the addresses masked to BITS (subnet/24 for IPv4 and /64 for IPv6; subnet/24,48 names both). conn: TCP and UDP conversations, both directions in one row, as iptraf lists them: packets and bytes each way, average size, last window, flag state and idle time. port: TCP/UDP/SCTP ports, source (tx) and destination (rx). svc: the service name of the well-known side. proto: the IP protocol. size: iptraf\'s packet-size buckets. dir: in, out, internal, transit, martian (needs --net, or records from trk-classify). mac: Ethernet addresses. vlan: the outermost VLAN tag.',
    },
    {
      long: 'every', type: 'string', arg: 'DURATION', default: '60s',
      help: "interval: 10s, 5m, 1h, 1d, 30d, or 0 for the whole input as one (billing)",
      detail: 'Intervals are aligned to the clock (a 1h interval runs from the hour to the hour, 1d from local midnight) and measured in packet time, so a capture replays to the same tallies on any day. An interval in which nothing was seen writes nothing. From a live source (an interface, or a pipe whose packets are stamped within 10 s of when they arrive) an interval is written when the clock passes its end, without waiting for the next packet, and the live view redraws every interval even when nothing came. At the end of the input, or on SIGINT, the interval in progress is written and marked partial.',
    },
    { long: 'top', type: 'number', arg: 'N', min: 1, help: 'only the N first rows of each table by the --sort order; the rest are summed in an other row' },
    {
      long: 'sort', type: 'string', arg: 'ORDER', choices: ['bytes', 'pkts', 'rx', 'tx', 'rate'], default: 'bytes',
      help: 'row order: bytes, pkts, rx (bytes received), tx (bytes sent) or rate',
    },
    { long: 'rx', type: 'flag', help: 'top receivers: --sort rx' },
    { long: 'tx', type: 'flag', help: 'top senders: --sort tx' },
    {
      long: 'net', short: 'L', type: 'list', arg: 'CIDR',
      help: "the local networks: host and subnet rows only for local addresses, and the in/out/internal split (repeatable; trk-classify's forms)",
      detail: 'iptrk counted "our networks" only: with --net, a host or subnet row is kept for local addresses only (the other side of their traffic is in their rows\' rx and tx), and every packet is split by direction as trk-classify would. Without --net, records that trk-classify annotated still give the split by their dir field.',
    },
    { long: 'net-file', type: 'list', arg: 'FILE', help: 'read local networks from FILE, one per line, # comments (repeatable)' },
    { long: 'percentile', type: 'number', arg: 'P', min: 1, help: "with host rows, the P-th percentile of each address's 5-minute rates (95: how transit is billed)" },
    { long: 'stat', type: 'flag', help: 'write the totals of each table as STAT lines instead of tally records' },
    { long: 'human', short: 'H', type: 'flag', help: 'aligned tables with human units instead of NDJSON' },
    {
      long: 'live', type: 'flag',
      help: 'with -H: a full-screen view redrawn every interval (the default when standard output is a terminal); q quits',
      detail: 'The view adapts to the terminal\'s size and is redrawn without flicker. Reading a capture file, every interval of packet time is drawn as soon as it is complete; live, as time passes. Without --every the live view refreshes every 5 seconds. --no-live prints the tables one after the other instead.',
    },
    { long: 'no-live', type: 'flag', help: 'with -H on a terminal: print the tables instead of the full-screen view' },
    { long: 'resolve', type: 'flag', help: "host names from reverse DNS: in the -H tables, and a name field in host records (asynchronous, cached; never holds up the output)" },
    { long: 'numeric', short: 'n', type: 'flag', help: 'with -H: ports as numbers, not service names (addresses are numeric unless --resolve)' },
    { long: 'max-keys', type: 'number', arg: 'N', min: 16, help: 'most rows kept per table; past it the lightest are folded into the other row (default 100000)' },
    { long: 'conn-idle', type: 'number', arg: 'SECONDS', min: 1, default: 300, help: 'forget a connection after SECONDS without a packet' },
    { long: 'services', type: 'string', arg: 'FILE', help: 'service names from FILE in services(5) format (default /etc/services, else a shipped copy)' },
    { long: 'tee', type: 'flag', help: 'pass the pkt records on to standard output as well (NDJSON output only)' },
    { long: 'quiet', short: 'q', type: 'flag', help: 'no notes on standard error' },
  ],
  examples: [
    'trk-tally -r day.pcap --by host --top 20 -H',
    'trk-capture -i eth0 | trk-classify --net 10.10.0.0/16 | trk-tally --by dir --stat --every 10s',
    'trk-tally -r month.pcap.gz --net 10.10.0.0/16 --by host --every 0 --percentile 95',
    'trk-tally -r day.pcap --by conn --sort bytes --top 10 -H',
    'trk-tally -i eth0 -H --by host --by svc',
  ],
};

/** Without --every, the live view refreshes this often (seconds). */
const LIVE_EVERY = 5;

async function main({ options, positional }: ParsedArgs): Promise<number> {
  const [input, engineMod, prefixes, services, direction, decode, records, output] = await Promise.all([
    import('./input.js'),
    import('../tally/engine.js'),
    import('../net/prefixes.js'),
    import('../net/services.js'),
    import('../classify/direction.js'),
    import('../decode/index.js'),
    import('../io/pkt-record.js'),
    import('../io/output.js'),
  ]);
  // ---- what to count, and how to show it
  const bySpecs = ((options.by as string[] | undefined) ?? ['host']).flatMap((b) => b.split(/\s+/)).filter(Boolean).map(engineMod.parseBy);
  const human = Boolean(options.human);
  if (options.rx && options.tx) throw new UsageError('--rx and --tx do not go together: one order');
  const sort = options.rx ? 'rx' : options.tx ? 'tx' : ((options.sort as 'bytes' | 'pkts' | 'rx' | 'tx' | 'rate' | undefined) ?? 'bytes');
  if (options.stat && human) throw new UsageError('-H and --stat do not go together: one form');
  if (options.live && !human) throw new UsageError('--live is a form of -H: give -H too');
  if (options.resolve && options.stat) throw new UsageError('--resolve names hosts in tally records and -H tables: STAT lines have no names');
  if (options.tee && human) throw new UsageError('--tee passes pkt records on: it goes with NDJSON or --stat output, not -H');
  const live = human && !options['no-live'] && (Boolean(options.live) || process.stdout.isTTY === true);
  const every = options.every === undefined ? (live ? LIVE_EVERY : 60) : engineMod.parseDuration(options.every as string);
  if (options.percentile !== undefined && !bySpecs.some((b) => b.kind === 'host')) throw new UsageError('--percentile is per address: it needs --by host');
  if (options.percentile !== undefined && (options.percentile as number) >= 100) throw new UsageError('--percentile must be below 100');

  const { files, iface } = input.chooseInput(options, true);
  const filter = (options.filter as string | undefined) ?? (positional.length ? positional.join(' ') : undefined);
  const note = (message: string): void => {
    if (!options.quiet) warn('trk-tally', message);
  };

  // ---- local networks (optional here), services
  const parsed: import('../net/prefixes.js').ParsedNetworks = { networks: [], warnings: [] };
  for (const item of (options.net as string[] | undefined) ?? []) prefixes.parseNetworks(item, parsed);
  for (const file of (options['net-file'] as string[] | undefined) ?? []) prefixes.parseNetFile(file, parsed);
  for (const warning of parsed.warnings) warn('trk-tally', warning);
  const local = parsed.networks.length ? new prefixes.PrefixSet(parsed.networks) : undefined;
  const directions = local ? new direction.Directions(local) : undefined;
  const servicesTable = services.loadServices(options.services as string | undefined);

  // ---- the pipeline: packets or records → engine → tables on stdout
  const out = new output.LineOutput(process.stdout);
  const stop = new AbortController();
  const limit = (options.count as number | undefined) ?? Infinity;
  const show = await makeShow({
    human,
    live,
    stat: Boolean(options.stat),
    resolve: Boolean(options.resolve),
    services: options.numeric ? undefined : servicesTable,
    rxTx: options.rx ? 'rx' : options.tx ? 'tx' : undefined,
    out,
  });
  const engine = new engineMod.TallyEngine(
    {
      by: bySpecs,
      every,
      top: options.top as number | undefined,
      sort,
      local,
      maxKeys: (options['max-keys'] as number | undefined) ?? engineMod.DEFAULT_MAX_KEYS,
      connIdle: (options['conn-idle'] as number | undefined) ?? engineMod.DEFAULT_CONN_IDLE,
      percentile: options.percentile as number | undefined,
    },
    show.interval,
  );
  // the service name is looked up only when a table counts by it
  const wantsService = engine.wantsService;
  const tee = Boolean(options.tee);
  let count = 0;
  let decodeErrors = 0;
  let writeJson: ((o: import('../io/output.js').LineOutput, p: Packet) => void) | undefined;
  if (tee) writeJson = (await import('../format/pkt-json.js')).writePktJson;
  const packets = {
    packet(p: Packet): void {
      if (count >= limit) return;
      decode.decodePacket(p);
      if (p.err !== undefined) decodeErrors++;
      engine.addPacket(p, directions ? directions.classify(p) : direction.DIR_NONE, wantsService ? servicesTable.ofPacket(p) : undefined);
      if (writeJson) writeJson(out, p);
      if (++count >= limit) stop.abort();
    },
    drain(): Promise<void> | undefined {
      if (out.closed) stop.abort();
      return out.drain();
    },
  };
  const reader = new records.PktRecordReader();
  const lines = input.pktRecordLines({
    command: 'trk-tally',
    out,
    reader,
    record(buf, start, end) {
      const p = reader.packet;
      // the record's own annotation (trk-classify upstream) unless --net asks to classify here
      const dir = directions ? directions.classify(p) : reader.dir;
      engine.addPacket(p, dir, wantsService ? (reader.svc ?? servicesTable.ofPacket(p)) : undefined);
      if (tee) out.copyLine(buf, start, end);
      if (++count >= limit) stop.abort();
    },
    done: () => count >= limit,
    drain: packets.drain,
  });
  const target = { command: 'trk-tally', packets, lines, out, progress: () => count };

  // a live source gone quiet still ends its intervals on time (and the live view redraws empty ones)
  const clock = input.followClock({
    live: iface !== undefined || files.every((f) => f === '-'),
    interfaceInput: iface !== undefined,
    intervalMs: every > 0 ? every * 1000 : Infinity,
    out,
    progress: () => count,
    lastTs: () => engine.lastPacketTs,
    advance: (ts) => engine.advanceTo(ts, live),
  });
  const interrupted = input.onInterrupt(stop);
  show.onQuit(() => stop.abort());
  try {
    if (iface === undefined) {
      const code = await input.readFiles(target, files, filter, stop.signal);
      engine.finish();
      if (!stop.signal.aborted) await show.ended();
      return code;
    }
    const summary = await input.readLive(target, options, filter, stop.signal, () =>
      note(`listening on ${iface} (${(options.engine as string | undefined) ?? 'cap'} engine)`),
    );
    engine.finish();
    await out.end();
    show.close();
    note(input.liveSummary(iface, count, decodeErrors, summary));
    return 0;
  } finally {
    clock.stop();
    interrupted.dispose();
    show.close();
    await out.end();
  }
}

/** Where each interval's result goes: tally records, STAT lines, -H tables, or the live view. */
async function makeShow(o: {
  human: boolean;
  live: boolean;
  stat: boolean;
  resolve: boolean;
  /** Port names in the -H tables (none with -n). */
  services: import('../net/services.js').Services | undefined;
  rxTx: 'rx' | 'tx' | undefined;
  out: import('../io/output.js').LineOutput;
}): Promise<Show> {
  const records = await import('../tally/records.js');
  const names = o.resolve ? new (await import('../tally/resolve.js')).NameCache() : undefined;
  if (!o.human) {
    if (o.stat) return { interval: (r) => records.writeTallyStat(o.out, r), onQuit() {}, async ended() {}, close() {} };
    return {
      interval: (r) => {
        // --resolve: the names known by now; the lookups started here show in later intervals
        if (names) for (const t of r.tables) if (t.by.kind === 'host') for (const row of t.rows) row.name = names.name(row.key);
        records.writeTallyJson(o.out, r);
      },
      onQuit() {},
      async ended() {},
      close() {},
    };
  }
  const human = await import('../tally/human.js');
  if (!o.live) {
    const width = (): number => (process.stdout.isTTY ? process.stdout.columns : 0) || 160;
    return {
      interval: (r) => {
        for (const line of human.formatTables(r, { width: width(), resolve: names, services: o.services, rxTx: o.rxTx })) o.out.line(line);
      },
      onQuit() {},
      async ended() {},
      close() {},
    };
  }
  const { LiveView } = await import('../tally/live-view.js');
  let quit: () => void = () => {};
  let quitted: () => void = () => {};
  const quitPressed = new Promise<void>((resolve) => (quitted = resolve));
  const view = new LiveView({
    tty: process.stdout as import('node:tty').WriteStream,
    onQuit: () => {
      quitted();
      quit();
    },
    resolve: names,
    services: o.services,
    rxTx: o.rxTx,
    title: 'trk-tally',
  });
  return {
    interval: (r) => view.show(r),
    onQuit(f) {
      quit = f;
    },
    // a capture file read to its end: the last tables stay on the screen until q
    async ended() {
      if (view.closed) return;
      view.status('end of input');
      await quitPressed;
    },
    close: () => view.close(),
  };
}

interface Show {
  interval(r: import('../tally/types.js').IntervalResult): void;
  onQuit(f: () => void): void;
  /** The input is over: resolves when the operator is done looking (the live view waits for q). */
  ended(): Promise<void>;
  close(): void;
}

export function run(argv?: string[]): Promise<never> {
  return runCommand(spec, main, argv);
}
