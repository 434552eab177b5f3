/**
 * trk-report — iptrk's web interface as a file: one self-contained HTML page
 * with the address-domain and time-domain graphs, the billing table and the
 * alerts, from trk-tally's records (or a capture, tallied in-process).
 */
// Only the option table and the runner are loaded up front (see trk-capture).
import type { Packet } from '../decode/packet.js';
import { UsageError, type CommandSpec, type ParsedArgs } from './options.js';
import { runCommand, warn } from './run.js';
import { inputOptions } from './input-options.js';

export const spec: CommandSpec = {
  name: 'trk-report',
  summary: "draw iptrk's graphs, billing and alerts as one self-contained web page, from tally records, ALERT and STAT lines or a capture",
  usage: [
    '[-o FILE] [--svg DIR] [--csv FILE] [--top N] [--sort KEY] [--addr ADDR|CIDR] [--from WHEN] [--to WHEN] [--step DURATION] [--rate-in PRICE] [--rate-out PRICE] [-r FILE ...]',
    '-r FILE ... --net CIDR ... [-o FILE] [options]',
  ],
  options: [
    ...inputOptions(true).map((o) =>
      o.long === 'read'
        ? {
            ...o,
            help: "read FILE: tally records, ALERT/STAT lines and report records, or a capture (pcap, pcapng, gzipped or not) or pkt records, tallied in-process; '-' is standard input (repeatable)",
          }
        : o,
    ),
    {
      long: 'net', short: 'L', type: 'list', arg: 'CIDR',
      help: "the local networks (repeatable; trk-classify's forms): needed for a capture, and keeps only these addresses' tally rows",
      detail: 'A capture is tallied here exactly as trk-tally --by host --every 0 --net CIDR would tally it, so the page shows trk-tally\'s numbers. With tally records, --net keeps only the host rows of local addresses (useful when trk-tally ran without --net); the records\' own split is used as it is.',
    },
    { long: 'net-file', type: 'list', arg: 'FILE', help: 'read local networks from FILE, one per line, # comments (repeatable)' },
    { long: 'output', short: 'o', type: 'string', arg: 'FILE', help: 'write the page to FILE instead of standard output' },
    { long: 'svg', type: 'string', arg: 'DIR', help: 'also write each graph as a standalone SVG file in DIR (address-graph.svg, time-graph.svg), for mail or a wiki' },
    { long: 'csv', type: 'string', arg: 'FILE', help: 'also write the billing of every local address as CSV to FILE' },
    { long: 'top', type: 'number', arg: 'N', min: 1, default: 50, help: 'bars for the N first addresses by --sort; the rest are summed in an others bar' },
    {
      long: 'sort', type: 'string', arg: 'KEY', choices: ['total', 'rx-ext', 'tx-ext', 'rx-int', 'tx-int', 'addr'], default: 'total',
      help: 'which addresses are the top N, and their order: total, rx-ext, tx-ext, rx-int, tx-int (bytes, largest first) or addr',
      detail: 'The page\'s table sorts the bars again when a column heading is clicked; --sort chooses which N addresses are drawn at all.',
    },
    {
      long: 'addr', type: 'string', arg: 'ADDR|CIDR',
      help: 'the time graph shows this address, or the local addresses in this network, instead of the whole network',
      detail: 'From tally records, the time graph of an address is its host rows; of a network, the sum of the rows of its addresses, so traffic between two of them counts twice, once as each one\'s; a capture is counted the same way. (In iptrk\'s terms, the time-domain graph of a subnet. The option is not called --net: in every trk command --net names the local networks.)',
    },
    { long: 'from', type: 'string', arg: 'WHEN', help: "only what starts at or after WHEN: local time 'YYYY-MM-DD HH:MM[:SS]', or seconds since the epoch" },
    { long: 'to', type: 'string', arg: 'WHEN', help: 'only what starts before WHEN (same forms as --from)' },
    {
      long: 'step', type: 'string', arg: 'DURATION',
      help: 'the time graph\'s step: 10s, 5m, 1h ... (default: the finest of 1s, 2s, 5s, 10s ... 1d that gives at most 300 points)',
      detail: 'Never finer than the input: from tally records, the step is at least their interval (trk-tally --every).',
    },
    { long: 'rate-in', type: 'number', arg: 'PRICE', min: 0, help: 'price per GB (10^9 bytes) of internal traffic, between local addresses' },
    { long: 'rate-out', type: 'number', arg: 'PRICE', min: 0, help: 'price per GB (10^9 bytes) of external traffic, to or from outside' },
    { long: 'currency', type: 'string', arg: 'TEXT', help: 'the charges\' currency, as shown (EUR, USD, kr ...)' },
    { long: 'title', type: 'string', arg: 'TEXT', default: 'trk-report', help: "the page's title and heading" },
    { long: 'quiet', short: 'q', type: 'flag', help: 'no notes on standard error' },
  ],
  examples: [
    'trk-capture -r day.pcap | trk-classify --net 10.10.0.0/16 | trk-tally --by host --every 5m | trk-report -o day.html',
    'trk-report -r day.pcap --net 10.10.0.0/16 -o day.html --svg graphs/',
    'trk-tally -r month.pcap.gz --net 10.10.0.0/16 --by host --every 1h | trk-report --rate-out 0.50 --rate-in 0.05 --currency EUR --csv bill.csv -o month.html',
  ],
};

/** The page's billing table lists every address up to this many (the CSV always has them all). */
const BILLING_MAX = 1000;

async function main({ options, positional }: ParsedArgs): Promise<number> {
  const [input, prefixes, direction, decode, records, output, model, reader, captureMod, viewMod, engineMod, time] = await Promise.all([
    import('./input.js'),
    import('../net/prefixes.js'),
    import('../classify/direction.js'),
    import('../decode/index.js'),
    import('../io/pkt-record.js'),
    import('../io/output.js'),
    import('../report/model.js'),
    import('../report/read-lines.js'),
    import('../report/capture.js'),
    import('../report/view.js'),
    import('../tally/engine.js'),
    import('../report/time.js'),
  ]);
  const note = (message: string): void => {
    if (!options.quiet) warn('trk-report', message);
  };

  // ---- the options, all checked before anything is read
  const range = { from: -Infinity, to: Infinity };
  if (options.from !== undefined) range.from = time.parseWhen('--from', options.from as string);
  if (options.to !== undefined) range.to = time.parseWhen('--to', options.to as string);
  if (!(range.from < range.to)) throw new UsageError('--from must be before --to');
  let step: number | undefined;
  if (options.step !== undefined) {
    step = engineMod.parseDuration(options.step as string);
    if (!(step >= 1) || !Number.isInteger(step)) throw new UsageError(`--step takes whole seconds, at least 1s, not '${options.step as string}'`);
  }
  const networks = (flag: string, items: string[], files: string[] = []): import('../net/prefixes.js').PrefixSet | undefined => {
    const parsed: import('../net/prefixes.js').ParsedNetworks = { networks: [], warnings: [] };
    try {
      for (const item of items) prefixes.parseNetworks(item, parsed);
      for (const file of files) prefixes.parseNetFile(file, parsed);
    } catch (err) {
      if (err instanceof prefixes.BadNetworkError) throw new UsageError(`${flag}: ${err.message}`);
      throw err;
    }
    for (const warning of parsed.warnings) note(warning);
    return parsed.networks.length ? new prefixes.PrefixSet(parsed.networks) : undefined;
  };
  const local = networks('--net', (options.net as string[] | undefined) ?? [], (options['net-file'] as string[] | undefined) ?? []);
  const subjectText = options.addr as string | undefined;
  const subject = subjectText === undefined ? undefined : networks('--addr', [subjectText]);
  const { files, iface } = input.chooseInput(options, true);
  if ((options.output === undefined || options.output === '-') && process.stdout.isTTY) {
    throw new UsageError('standard output is a terminal: give -o FILE for the page (or redirect it: > report.html)');
  }
  const filter = (options.filter as string | undefined) ?? (positional.length ? positional.join(' ') : undefined);

  // ---- the input: lines into the model; captures and pkt records through trk-tally's engine
  const m = model.emptyModel();
  const directions = local ? new direction.Directions(local) : undefined;
  const tally = new captureMod.CaptureTally(m, { local, subject, range });
  const out = new output.LineOutput(process.stdout);
  const stop = new AbortController();
  const limit = (options.count as number | undefined) ?? Infinity;
  let captured = 0;
  let captureWithoutNet = false;
  const pktReader = new records.PktRecordReader();
  const lines = new reader.ReportLineReader({
    model: m,
    range,
    local,
    subject,
    pkt(buf, start, end) {
      if (!pktReader.read(buf, start, end)) return false;
      if (captured >= limit) return true;
      tally.add(pktReader.packet, directions ? directions.classify(pktReader.packet) : pktReader.dir);
      if (++captured >= limit) stop.abort();
      return true;
    },
  });
  const packets = {
    packet(p: Packet): void {
      if (!directions) {
        // a capture's packets have no direction of their own: without --net every byte would look internal
        captureWithoutNet = true;
        stop.abort();
        return;
      }
      if (captured >= limit) return;
      decode.decodePacket(p);
      tally.add(p, directions.classify(p));
      if (++captured >= limit) stop.abort();
    },
    drain: (): undefined => undefined,
  };
  const target = { command: 'trk-report', packets, lines: lines.sink(), out, progress: () => captured + lines.lines };
  const interrupted = input.onInterrupt(stop);
  let code: number;
  try {
    if (iface === undefined) code = await input.readFiles(target, files, filter, stop.signal);
    else {
      if (!directions) throw new UsageError('a live capture needs --net CIDR: the local networks, to split the traffic');
      await input.readLive(target, options, filter, stop.signal, () => note(`listening on ${iface}; Ctrl-C ends the capture and writes the report`));
      code = 0;
    }
  } finally {
    interrupted.dispose();
  }
  if (captureWithoutNet) throw new UsageError('a capture needs --net CIDR: the local networks, to tell received from outside from internal (as trk-tally --net)');
  lines.finish();
  tally.finish();
  const usable = lines.tallies + lines.events + lines.packets + tally.packets;
  if (usable === 0 && lines.lines > 0) {
    const { InputError } = await import('../capture/source.js');
    throw new InputError(
      `${files.length === 1 && files[0] === '-' ? 'standard input' : files.join(', ')}: nothing to report in ${lines.lines} line${lines.lines === 1 ? '' : 's'}: give tally records (trk-tally --by host), ALERT or STAT lines, report records, or a capture with --net`,
    );
  }
  if (lines.tallies > 0 && m.source !== 'tally' && tally.packets === 0 && range.from === -Infinity && range.to === Infinity) {
    note('the tally records have no host table: run trk-tally with --by host');
  }
  if (m.source === 'capture' && !local) {
    // pkt records, with trk-classify's dir or without: one thing to say, and one fix
    note('pkt records without --net: every address has a bar, remote ones too, split only as far as the records say their direction; give --net CIDR');
  } else {
    if (m.undirected) note(`${m.undirected} address(es) had no direction in the tally records: give trk-tally --net CIDR (or feed it trk-classify's records) to split them`);
    if (m.inexact) note(`${m.inexact} address(es) had martian bytes that were not received: their internal split is not exact`);
  }

  // ---- the page, and the files beside it
  const view = viewMod.makeView(m, {
    title: (options.title as string | undefined) ?? 'trk-report',
    top: (options.top as number | undefined) ?? 50,
    sort: ((options.sort as string | undefined) ?? 'total') as import('../report/view.js').SortKey,
    step,
    rateIn: options['rate-in'] as number | undefined,
    rateOut: options['rate-out'] as number | undefined,
    currency: (options.currency as string | undefined) ?? '',
    subject: subjectText,
    billingMax: BILLING_MAX,
  });
  const [{ reportPage }, svg, csv, fs, path] = await Promise.all([
    import('../report/page.js'),
    import('../report/svg.js'),
    import('../report/csv.js'),
    import('node:fs'),
    import('node:path'),
  ]);
  const { InputError } = await import('../capture/source.js');
  // 'ENOENT: no such file or directory, open …' → 'no such file or directory' (the file is named already)
  const reason = (err: unknown): string => (err as Error).message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  // written whole or not at all: a page being rewritten by cron is never seen half done
  const writeFile = (file: string, text: string): void => {
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temporary, text);
      fs.renameSync(temporary, file);
    } catch (err) {
      fs.rmSync(temporary, { force: true });
      throw new InputError(`cannot write ${file}: ${reason(err)}`);
    }
  };
  if (options.svg !== undefined) {
    const dir = options.svg as string;
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new InputError(`cannot make ${dir}: ${reason(err)}`);
    }
    writeFile(path.join(dir, 'address-graph.svg'), svg.addressGraph(view, { standalone: true }) + '\n');
    writeFile(path.join(dir, 'time-graph.svg'), svg.timeGraph(view, { standalone: true }) + '\n');
  }
  if (options.csv !== undefined) {
    writeFile(options.csv as string, csv.billingCsv(m, { sort: view.sort, rateIn: view.billing.rateIn, rateOut: view.billing.rateOut }));
  }
  const page = reportPage(view);
  if (options.output !== undefined && options.output !== '-') writeFile(options.output as string, page);
  else out.bytes(Buffer.from(page));
  await out.end();
  return code;
}

export function run(argv?: string[]): Promise<never> {
  return runCommand(spec, main, argv);
}
