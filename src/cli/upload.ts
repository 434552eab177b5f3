/**
 * trk-upload — ship the lines that pass through it to a central server
 * (trk-collect, or any NDJSON-over-HTTP ingest) in batches, with no line lost;
 * every line goes on to standard output unchanged.
 */
// Only the option table and the runner are loaded up front (see trk-capture).
import { UsageError, type CommandSpec, type ParsedArgs } from './options.js';
import { runCommand, warn } from './run.js';
// types only: erased at build, so they cost nothing at start-up
import type { LineSink } from '../io/lines.js';
import type { Target } from '../upload/target.js';

const COMMAND = 'trk-upload';

export const spec: CommandSpec = {
  name: COMMAND,
  summary: 'ship the lines that pass through to a central server (trk-collect or any NDJSON HTTP ingest) in batches, spooled on disk so none is lost; every line goes on unchanged',
  usage: [
    '[--sensor NAME] [--token-file FILE] [--only KIND[,KIND]] [--ignore KIND] [--batch-lines N] [--batch-bytes SIZE] [--flush-interval DURATION] [--spool DIR] URL',
    '--clickhouse TABLE [options] http://USER:PASSWORD@HOST:8123/',
  ],
  options: [
    { long: 'sensor', type: 'string', arg: 'NAME', help: "this sensor's name, sent with every batch (default: the host name)", detail: 'Letters, digits, dot, dash and underscore, at most 64, starting with a letter or digit. trk-collect takes the name its token file gives the token over this one.' },
    { long: 'token', type: 'string', arg: 'TOKEN', help: 'send Authorization: Bearer TOKEN (visible in ps: prefer --token-file or TRK_UPLOAD_TOKEN)' },
    { long: 'token-file', type: 'string', arg: 'FILE', help: 'read the bearer token from the first line of FILE; SIGHUP reads it again' },
    { long: 'only', type: 'list', arg: 'KIND[,KIND]', help: 'ship only lines of these kinds: pkt, tally, alert, stat, report, other (repeatable)', detail: 'A line\'s kind is told from its first bytes: an NDJSON record by its "type" (pkt, tally, alert, stat, report), a NetTracker text line by its third word (STAT is stat, ALERT is alert, in machine form), anything else is other (-H lines, comments, blank lines). Every line still goes to standard output.' },
    { long: 'ignore', type: 'list', arg: 'KIND', help: 'do not ship lines of these kinds (repeatable; applied after --only)' },
    { long: 'batch-lines', type: 'number', arg: 'N', min: 1, default: 10000, help: 'close a batch at N lines' },
    { long: 'batch-bytes', type: 'string', arg: 'SIZE', default: '1M', help: 'close a batch before it passes SIZE bytes (k, M, G suffixes: powers of 1024)', detail: 'A single line longer than SIZE makes a batch of its own. Lines longer than 1 MiB are passed on but not shipped (said on standard error).' },
    { long: 'flush-interval', type: 'string', arg: 'DURATION', default: '5s', help: 'close a batch DURATION after its first line (0: only by size), so quiet hours still ship within seconds' },
    {
      long: 'clickhouse', type: 'string', arg: 'TABLE',
      help: "send to ClickHouse's HTTP interface as INSERT INTO TABLE FORMAT JSONEachRow; {type} in TABLE is the record kind (trk.{type})",
      detail: 'URL is then the HTTP interface, http://USER:PASSWORD@HOST:8123/ (add ?database=DB for a TABLE without one). Every row gets sensor, batch and n; STAT and ALERT lines become stat and alert rows; other lines are not loaded. The tables are in contrib/clickhouse/schema.sql.',
    },
    { long: 'compress', type: 'string', arg: 'METHOD', choices: ['gzip', 'none'], default: 'gzip', help: 'send the body gzip-compressed (Content-Encoding: gzip) or as it is' },
    { long: 'header', type: 'list', arg: "'NAME: VALUE'", help: 'add this header to every request, e.g. an API key an ingest wants (repeatable)' },
    { long: 'insecure', type: 'flag', help: "do not check the server's TLS certificate (NODE_EXTRA_CA_CERTS=FILE trusts a private CA instead)" },
    { long: 'timeout', type: 'number', arg: 'SECONDS', min: 0.001, default: 30, help: 'give up on a request with no whole answer in SECONDS, and retry it' },
    { long: 'retry-max', type: 'string', arg: 'DURATION', default: '60s', help: 'the longest wait between retries: from 1 s doubling up to DURATION, ±20% at random' },
    {
      long: 'spool', type: 'string', arg: 'DIR',
      help: 'keep batches here until delivered (default /var/spool/trk-upload as root, else ~/.local/state/trk/upload-spool)',
      detail: 'Each destination gets its own directory below DIR, named after its host, port and a hash of the URL, so two trk-upload on one machine never share one. A lock file there keeps a second trk-upload to the same destination out.',
    },
    { long: 'spool-max', type: 'string', arg: 'SIZE', default: '1G', help: 'keep at most SIZE of batches (compressed) in the spool; beyond it the oldest are dropped, and said' },
    { long: 'max-wait', type: 'number', arg: 'SECONDS', min: 0, default: 30, help: 'at the end of the input or on SIGTERM, wait at most SECONDS for the spool to empty (what is left stays for the next run)' },
    { long: 'quiet', short: 'q', type: 'flag', help: 'no notes on standard error (outages, refusals and drops are still said)' },
  ],
  examples: [
    'trk-capture -i eth0 | trk-classify | trk-upload --only alert,stat,tally --token-file /etc/trk/token https://collector.example.net:8514/ingest > /dev/null',
    'trk-threshold -c /etc/ipband.conf eth0 | trk-upload --ignore pkt http://127.0.0.1:8514/ingest | trk-mail --to noc@example.net',
    'trk-upload --header "Authorization: ApiKey abc" --compress none https://logs.example.net:8080/ < alerts.log',
    "trk-capture -i eth0 | trk-classify | trk-tally --tee | trk-upload --clickhouse 'trk.{type}' http://trk:secret@clickhouse.example.net:8123/ > /dev/null",
  ],
};

function batches(n: number): string {
  return `${n} ${n === 1 ? 'batch' : 'batches'}`;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** 1048576, 512k, 1M, 1.5G (powers of 1024; an optional B or iB after the unit). Throws an Error naming the value. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const n = m ? Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!) : NaN;
  if (!Number.isFinite(n) || n < 1) throw new Error(`'${text}' is not a size: say 65536, 512k, 1M or 1G`);
  return n;
}

/** The token from the first line of FILE; throws an Error saying what is wrong. */
export function readTokenFile(fs: typeof import('node:fs'), file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the token file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const token = (text.split(/\r?\n/, 1)[0] ?? '').trim();
  if (token === '') throw new Error(`the token file ${file} has no token on its first line`);
  return token;
}

async function main({ options, positional }: ParsedArgs): Promise<number> {
  // ---- the destination
  if (positional.length === 0) throw new UsageError('where to send: give the URL, e.g. https://collector.example.net:8514/ingest');
  if (positional.length > 1) throw new UsageError(`one URL only; unexpected '${positional[1]}' (trk-upload reads standard input)`);
  let url: URL;
  try {
    url = new URL(positional[0]!);
  } catch {
    throw new UsageError(`'${positional[0]}' is not a URL: say http://HOST:PORT/PATH or https://…`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the URL must be http:// or https://, not ${url.protocol}//`);
  if (url.hostname === '') throw new UsageError(`the URL '${positional[0]}' names no host`);
  const basic = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  // ClickHouse takes its user and password from the URL as its own headers (clickhouse.ts)
  const urlWithCredentials = new URL(url.href);
  url.username = '';
  url.password = '';

  const [fs, os, crypto, path, lines, output, engine, lineKindMod, protocol, spoolMod, batcherMod, senderMod, ndjson, source] = await Promise.all([
    import('node:fs'),
    import('node:os'),
    import('node:crypto'),
    import('node:path'),
    import('../io/lines.js'),
    import('../io/output.js'),
    import('../tally/engine.js'),
    import('../io/line-kind.js'),
    import('../upload/protocol.js'),
    import('../upload/spool.js'),
    import('../upload/batcher.js'),
    import('../upload/sender.js'),
    import('../upload/ndjson-target.js'),
    import('../capture/source.js'),
  ]);
  const clickhouseTable = options.clickhouse as string | undefined;
  const note = (message: string): void => {
    if (!options.quiet) warn(COMMAND, message);
  };
  const say = (message: string): void => warn(COMMAND, message);

  // ---- settings
  const sensor = (options.sensor as string | undefined) ?? protocol.sensorFromHostname(os.hostname());
  if (!protocol.SENSOR_NAME.test(sensor)) throw new UsageError(`--sensor '${sensor}': use letters, digits, '.', '-' and '_' (at most 64, starting with a letter or digit)`);
  const sizeOption = (name: string, fallback: string): number => {
    try {
      return parseSize((options[name] as string | undefined) ?? fallback);
    } catch (e) {
      throw new UsageError(`--${name}: ${(e as Error).message}`);
    }
  };
  const durationOption = (name: string, fallback: string): number => {
    const text = (options[name] as string | undefined) ?? fallback;
    try {
      return engine.parseDuration(text);
    } catch {
      throw new UsageError(`--${name} takes a duration (0.5s, 10s, 5m, 1h), not '${text}'`);
    }
  };
  const batchBytes = sizeOption('batch-bytes', '1M');
  const spoolMax = sizeOption('spool-max', '1G');
  const flushInterval = durationOption('flush-interval', '5s');
  const retryMax = durationOption('retry-max', '60s');
  if (retryMax <= 0) throw new UsageError('--retry-max must be more than 0');
  let selected: (kind: import('../io/line-kind.js').LineKind) => boolean;
  try {
    selected = lineKindMod.kindSelection((options.only as string[] | undefined) ?? [], (options.ignore as string[] | undefined) ?? []);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const everything = lineKindMod.LINE_KINDS.every(selected);
  if (!lineKindMod.LINE_KINDS.some(selected)) throw new UsageError('--only and --ignore leave nothing to ship');
  const headers: [string, string][] = [];
  for (const h of (options.header as string[] | undefined) ?? []) {
    try {
      headers.push(ndjson.parseHeaderOption(h));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const tokenFile = options['token-file'] as string | undefined;
  if (tokenFile !== undefined && options.token !== undefined) throw new UsageError('--token and --token-file do not go together: one token');
  if (clickhouseTable !== undefined && (tokenFile !== undefined || options.token !== undefined)) {
    throw new UsageError('ClickHouse takes no bearer token: put its user and password in the URL, http://USER:PASSWORD@HOST:8123/');
  }
  let token: string | undefined = (options.token as string | undefined) ?? process.env['TRK_UPLOAD_TOKEN'] ?? undefined;
  if (token === '') token = undefined;
  if (tokenFile !== undefined) {
    try {
      token = readTokenFile(fs, tokenFile);
    } catch (e) {
      throw new source.InputError((e as Error).message);
    }
  }
  if (process.stdin.isTTY) throw new UsageError('standard input is a terminal: pipe the lines in (trk-classify … | trk-upload URL)');

  // ---- the target: what a batch is sent as and what an answer means (the one place that chooses)
  const compress = ((options.compress as string | undefined) ?? 'gzip') as 'gzip' | 'none';
  let target: Target;
  if (clickhouseTable !== undefined) {
    const clickhouse = await import('../upload/clickhouse.js');
    try {
      target = clickhouse.clickhouseTarget({ url: urlWithCredentials, table: clickhouseTable, sensor, compress, headers: Object.fromEntries(headers.map(([n, v]) => [n.toLowerCase(), v])), warn: note });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  } else {
    target = ndjson.ndjsonTarget({
      url: url.href,
      compress,
      token: () => token,
      ...(basic === undefined ? {} : { basic }),
      headers,
    });
  }
  /** Names the destination's spool directory: another target to the same URL gets another spool. */
  const targetKey = clickhouseTable === undefined ? 'ndjson' : `clickhouse ${clickhouseTable}`;
  if (url.protocol === 'http:' && (token !== undefined || basic !== undefined) && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    note(`the credentials go unencrypted over http:// to ${url.host}: use https:// across a network`);
  }

  // ---- the spool: its own directory for this destination
  const spoolBase = (options.spool as string | undefined) ?? spoolMod.defaultSpoolBase();
  const hash = crypto.createHash('sha256').update(`${targetKey} ${url.href}`).digest('hex').slice(0, 8);
  const spoolDir = path.join(spoolBase, `${url.hostname.replace(/[^A-Za-z0-9.-]/g, '_')}-${url.port || (url.protocol === 'https:' ? 443 : 80)}-${hash}`);
  let spool: import('../upload/spool.js').UploadSpool;
  try {
    spool = await spoolMod.UploadSpool.open(spoolDir, spoolMax);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new source.InputError(err instanceof spoolMod.SpoolLockedError ? err.message : `cannot use the spool ${spoolDir}: ${err.code ?? err.message}${err.code === 'EACCES' ? ' (give --spool DIR)' : ''}`);
  }

  // the cap drops the oldest batches; said once when it starts and once, with the total, when the spool is down to half
  let dropping: { batches: number; lines: number } | undefined;
  const capTotal = (): void => {
    if (!dropping) return;
    say(`dropped ${dropping.lines} lines in ${batches(dropping.batches)} in all to keep the spool under --spool-max ${options['spool-max'] ?? '1G'}`);
    dropping = undefined;
  };
  const sender = new senderMod.Sender(spool, target, {
    url,
    sensor,
    timeoutMs: ((options.timeout as number | undefined) ?? 30) * 1000,
    retryMaxMs: retryMax * 1000,
    insecure: Boolean(options.insecure),
    warn: say,
    onDelivered: () => {
      if (dropping && spool.size <= spoolMax / 2) capTotal();
    },
  });
  if (spool.length) note(`${batches(spool.length)} (${spool.lines} lines) an earlier run left in ${spoolDir}: sending them first`);
  sender.kick();

  // ---- the batches: the chosen lines, to the spool; the sender takes them from there
  const batcher = new batcherMod.Batcher(spool, {
    stream: protocol.newStreamId(),
    batchLines: (options['batch-lines'] as number | undefined) ?? 10000,
    batchBytes,
    flushInterval,
    onSpooled: () => sender.kick(),
    onDropped: (d) => {
      if (!dropping) {
        dropping = { ...d };
        say(`the spool ${spoolDir} is over --spool-max ${options['spool-max'] ?? '1G'}: dropping the oldest batches (${d.lines} lines so far); the receiver sees a gap in the batch numbers`);
      } else {
        dropping.batches += d.batches;
        dropping.lines += d.lines;
      }
    },
    onError: (err, n) => say(`cannot spool a batch of ${n} lines: ${err.message}; they are lost`),
  });

  // ---- the pipeline: every chunk on to stdout as it came; the chosen lines into batches
  const out = new output.LineOutput(process.stdout);
  const stop = new AbortController();
  let overlong = 0;
  const sink: LineSink = {
    line(buf, start, end) {
      if (everything || selected(lineKindMod.lineKind(buf, start, end))) batcher.add(buf, start, end);
    },
    overlong(_piece, last) {
      if (!last) return;
      if (overlong++ === 0) note(`a line longer than ${lines.MAX_LINE} bytes is passed on but not shipped (and any more such lines)`);
    },
    drain() {
      // stdout going away does not stop the shipping: that is this command's job
      const spooling = batcher.drain();
      const writing = out.closed ? undefined : out.drain();
      return spooling && writing ? Promise.all([spooling, writing]).then(() => {}) : (spooling ?? writing);
    },
  };
  const cut = new AbortController();
  const onSignal = (): void => {
    // the first stops the reading; a second cuts the wait for the spool short
    if (stop.signal.aborted) cut.abort();
    else stop.abort();
  };
  const onHangup = (): void => {
    if (tokenFile === undefined) return;
    try {
      token = readTokenFile(fs, tokenFile);
      note(`read the token again from ${tokenFile}`);
      sender.retryNow();
    } catch (e) {
      say(`${(e as Error).message}; keeping the token I had`);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHangup);
  try {
    try {
      await lines.readLines(process.stdin, 'standard input', sink, { signal: stop.signal, onChunk: (chunk) => out.bytes(chunk) });
    } finally {
      await out.end().catch(() => {});
    }

    // ---- the end: the open batch to the spool, a bounded wait for the spool to empty; what is left stays for the next run
    await batcher.flush();
    const maxWait = (options['max-wait'] as number | undefined) ?? 30;
    const left = await sender.drain(maxWait * 1000, cut.signal);
    capTotal();
    if (overlong > 1) note(`${overlong} lines longer than ${lines.MAX_LINE} bytes were passed on but not shipped`);
    if (left) say(`${batches(left)} (${spool.lines} lines) not delivered yet to ${target.describe}: they stay in ${spoolDir} for the next run`);
    else note(`delivered ${sender.deliveredLines} lines in ${batches(sender.deliveredBatches)} to ${target.describe}` + (sender.failedBatches ? `; ${batches(sender.failedBatches)} refused, kept in ${spool.failedDir}` : ''));
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHangup);
    sender.close();
    spool.close();
  }
  return 0;
}

export function run(argv?: string[]): Promise<never> {
  return runCommand(spec, main, argv);
}
