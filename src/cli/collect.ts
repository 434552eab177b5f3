/**
 * trk-collect — the central server: takes the batches of lines that
 * trk-upload posts from many sensors, keeps each exactly once in per-sensor,
 * per-day files, and writes them on standard output tagged with their sensor.
 */
// Only the option table and the runner are loaded up front (see trk-capture).
import { UsageError, type CommandSpec, type ParsedArgs } from './options.js';
import { runCommand, warn } from './run.js';

const COMMAND = 'trk-collect';
const DEFAULT_LISTEN = '127.0.0.1:8514';
const DEFAULT_MAX_BATCH = '16M';
/** Past this much output waiting for the reader, new batches get 503 instead of more memory. */
const STDOUT_BACKLOG = 64 * 1024 * 1024;

export const spec: CommandSpec = {
  name: COMMAND,
  summary: 'receive the lines trk-upload sends from many sensors: keep each exactly once in per-sensor files, and write them on standard output tagged with their sensor',
  usage: ['[--listen [ADDR:]PORT] [--cert FILE --key FILE] [--tokens FILE] [--dir DIR [--keep-days N]] [--max-batch-bytes SIZE] [--web [--web-token FILE]] [--no-stdout] [-q]'],
  options: [
    {
      long: 'listen', type: 'string', arg: '[ADDR:]PORT', default: DEFAULT_LISTEN,
      help: 'take batches on this address and port (0.0.0.0:8514 for every IPv4 address, [::]:8514 for IPv6 too; port 0 picks a free one)',
      detail: 'A bare PORT listens on 127.0.0.1 only. The address actually taken is always written to standard error, even with -q, as "trk-collect: listening on http://ADDR:PORT", so a script that gave port 0 can read it.',
    },
    { long: 'cert', type: 'string', arg: 'FILE', help: 'serve HTTPS with this certificate (PEM, the chain after it); needs --key' },
    { long: 'key', type: 'string', arg: 'FILE', help: "the certificate's private key (PEM); SIGHUP reloads both, e.g. after a renewal" },
    {
      long: 'tokens', type: 'string', arg: 'FILE',
      help: "who may post: one 'TOKEN SENSOR' a line, # comments; SIGHUP re-reads it",
      detail: 'A sensor sends its token as Authorization: Bearer TOKEN; the sensor name comes from the token and overrides the X-Trk-Sensor header, so one sensor cannot write as another. Remove a line and send SIGHUP to revoke a token. The file should be readable by the service only (a warning says so otherwise). Without --tokens any client that reaches the port may post, as any sensor it names: fine on loopback or a closed management network, nowhere else.',
    },
    {
      long: 'dir', type: 'string', arg: 'DIR',
      help: 'keep every batch in DIR/SENSOR/YYYY-MM-DD.ndjson, fsynced before it is acknowledged (see FILES)',
      detail: 'Without --dir a batch is acknowledged once it is written to standard output, and duplicates are known only until trk-collect stops.',
    },
    { long: 'keep-days', type: 'number', arg: 'N', min: 1, help: 'delete day files older than N days (default: keep them all)' },
    {
      long: 'max-batch-bytes', type: 'string', arg: 'SIZE', default: DEFAULT_MAX_BATCH,
      help: 'refuse (413) a batch over SIZE bytes (K, M, G suffixes), compressed or inflated',
      detail: 'Inflating stops as soon as the output passes SIZE, so a small gzip bomb costs nothing. trk-upload batches are far smaller by default.',
    },
    {
      long: 'web', type: 'flag',
      help: "serve trk-report's page live for each sensor (/web/SENSOR) and all together (/web/all), on the same port (see THE WEB PAGE)",
      detail: 'The pages show the traffic summary of every sensor to whoever reaches the port: give --web-token, or bind to loopback (the default) behind a proxy that authenticates.',
    },
    {
      long: 'web-token', type: 'string', arg: 'FILE',
      help: 'the web pages need this password (the first line of FILE), sent as HTTP Basic with any user name; needed with --tokens',
      detail: 'Posting tokens do not open the pages, and this password does not let anyone post. The file should be readable by the service only.',
    },
    { long: 'web-top', type: 'number', arg: 'N', min: 1, default: 50, help: 'the web pages draw bars for the N largest addresses, the rest summed in an others bar (trk-report --top)' },
    { long: 'no-stdout', type: 'flag', help: 'do not write the lines on standard output: keep them in --dir only' },
    { long: 'quiet', short: 'q', type: 'flag', help: 'no notes on standard error (warnings and the listening line still come)' },
  ],
  examples: [
    'trk-collect --listen 0.0.0.0:8514 --cert /etc/trk/collect.pem --key /etc/trk/collect.key --tokens /etc/trk/tokens --dir /var/lib/trk-collect | trk-mail --to noc@example.net',
    "trk-collect --dir /var/lib/trk-collect | awk '$4==\"ALERT\"'",
    'trk-collect --listen 0.0.0.0:8514 --tokens /etc/trk/tokens --web --web-token /etc/trk/web-password --dir /var/lib/trk-collect --no-stdout',
    'trk-collect --listen [::]:8514 --tokens /etc/trk/tokens --dir /var/lib/trk-collect --keep-days 90 --no-stdout',
  ],
};

/** SIZE with an optional K, M or G (powers of 1024). */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?[bB]?\s*$/.exec(text);
  if (!m) return undefined;
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Math.floor(Number(m[1]) * scale);
  return n >= 1 && Number.isSafeInteger(n) ? n : undefined;
}

/** `[ADDR:]PORT`, `[v6]:PORT`; a bare port is loopback. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

async function main({ options, positional }: ParsedArgs): Promise<number> {
  if (positional.length) throw new UsageError(`options only, no arguments: unexpected '${positional[0]}'`);
  const listenText = (options.listen as string | undefined) ?? DEFAULT_LISTEN;
  const listen = parseListen(listenText);
  if (!listen) throw new UsageError(`--listen takes [ADDR:]PORT, e.g. 0.0.0.0:8514 or [::1]:8514, not '${listenText}'`);
  const maxText = (options['max-batch-bytes'] as string | undefined) ?? DEFAULT_MAX_BATCH;
  const maxBatchBytes = parseSize(maxText);
  if (maxBatchBytes === undefined) throw new UsageError(`--max-batch-bytes takes a size such as 16M or 500K, not '${maxText}'`);
  const certFile = options.cert as string | undefined;
  const keyFile = options.key as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--cert and --key go together: give both for HTTPS, or neither');
  const dir = options.dir as string | undefined;
  const noStdout = Boolean(options['no-stdout']);
  if (noStdout && dir === undefined) throw new UsageError('--no-stdout needs --dir: the lines must go somewhere');
  if (options['keep-days'] !== undefined && dir === undefined) throw new UsageError('--keep-days needs --dir');
  const keepDays = options['keep-days'] as number | undefined;
  if (keepDays !== undefined && !Number.isInteger(keepDays)) throw new UsageError(`--keep-days takes a whole number of days, not ${keepDays}`);
  const tokensFile = options.tokens as string | undefined;
  const web = Boolean(options.web);
  const webTokenFile = options['web-token'] as string | undefined;
  if (webTokenFile !== undefined && !web) throw new UsageError('--web-token needs --web');
  if (options['web-top'] !== undefined && !web) throw new UsageError('--web-top needs --web');
  if (web && tokensFile !== undefined && webTokenFile === undefined) {
    throw new UsageError('--web with --tokens needs --web-token FILE: the pages show every sensor\'s traffic, so they need a password too');
  }

  const [fs, http, https, tokensMod, storeMod, serverMod, metricsMod, tagMod, outputMod, source, webMod] = await Promise.all([
    import('node:fs'),
    import('node:http'),
    import('node:https'),
    import('../collect/tokens.js'),
    import('../collect/store.js'),
    import('../collect/server.js'),
    import('../collect/metrics.js'),
    import('../collect/tag.js'),
    import('../io/output.js'),
    import('../capture/source.js'),
    web ? import('../collect/web.js') : undefined,
  ]);
  const say = (message: string): void => warn(COMMAND, message);
  const note = (message: string): void => {
    if (!options.quiet) say(message);
  };

  // ---- TLS
  const readPem = (file: string, what: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new UsageError(`cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const tls = certFile !== undefined ? { cert: readPem(certFile, 'certificate'), key: readPem(keyFile!, 'key') } : undefined;
  if (tls) {
    try {
      (await import('node:tls')).createSecureContext(tls);
    } catch (e) {
      // not PEM, or a key that is not the certificate's: said before anything else
      throw new UsageError(`cannot use --cert ${certFile} with --key ${keyFile}: ${(e as Error).message}`);
    }
  }

  // ---- who may post
  let tokens: import('../collect/tokens.js').Tokens | undefined;
  const readTokens = (): import('../collect/tokens.js').Tokens => {
    const t = tokensMod.loadTokens(tokensFile!);
    for (const w of t.warnings) say(w);
    return t;
  };
  if (tokensFile !== undefined) {
    try {
      tokens = readTokens();
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  } else note('no --tokens: any client that reaches the port may post, as any sensor it names');

  // ---- the web pages
  let webToken: string | undefined;
  if (webTokenFile !== undefined) {
    try {
      webToken = fs.readFileSync(webTokenFile, 'utf8').split('\n')[0]!.trim();
      if ((fs.statSync(webTokenFile).mode & 0o077) !== 0) say(`${webTokenFile} can be read by others than its owner: chmod 600 it`);
    } catch (e) {
      throw new UsageError(`cannot read --web-token ${webTokenFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (webToken.length < 8) throw new UsageError(`--web-token ${webTokenFile}: the password on its first line must be at least 8 characters`);
  }
  const pages = webMod ? new webMod.WebPages({ ...(webToken === undefined ? {} : { token: webToken }), top: (options['web-top'] as number | undefined) ?? 50, warn: say }) : undefined;
  if (web && webToken === undefined) note('--web without --web-token: the pages show every sensor\'s traffic to any client that reaches the port');

  // ---- the store and standard output
  let store: import('../collect/store.js').BatchStore;
  try {
    store = dir !== undefined ? await storeMod.DirStore.open(dir, { ...(keepDays === undefined ? {} : { keepDays }), warn: say, note }) : new storeMod.MemoryStore();
  } catch (e) {
    throw new source.InputError(`cannot use ${dir} as the store: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out = new outputMod.LineOutput(process.stdout);
  const tags = new Map<string, import('../collect/tag.js').SensorTags>();
  let stopping: (() => void) | undefined;
  /** Standard output failed (not a closed pipe: EIO, a full disk behind a redirection): said once, then as if closed. */
  let outFailed = false;
  const output = {
    write(sensor: string, body: Buffer): void {
      pages?.add(sensor, body);
      if (noStdout || out.closed || outFailed) return;
      let t = tags.get(sensor);
      if (!t) tags.set(sensor, (t = tagMod.sensorTags(sensor)));
      try {
        tagMod.writeTagged(out, t, body);
        out.flush();
      } catch (e) {
        outFailed = true;
        say(`cannot write to standard output: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}${dir === undefined ? ': stopping' : `: the lines go on to ${dir} only`}`);
      }
    },
    busy(): boolean {
      if (noStdout) return false;
      if (out.closed || outFailed) {
        // the reader went away (`| head`): with a store the lines are still kept; without, there is nowhere to put them
        if (dir === undefined) stopping?.();
        return dir === undefined;
      }
      return process.stdout.writableLength + out.pos > STDOUT_BACKLOG;
    },
  };

  // ---- the server
  const metrics = new metricsMod.Metrics();
  if (pages) metrics.webStreams = () => pages.streams;
  const collector = new serverMod.Collector({ store, tokens: () => tokens, maxBatchBytes, metrics, output, warn: say, ...(pages ? { web: pages.handle.bind(pages) } : {}) });
  const serverOptions = { connectionsCheckingInterval: serverMod.SERVER_TIMEOUTS.connectionsCheckingInterval };
  let server: import('node:http').Server;
  try {
    server = tls
      ? https.createServer({ ...serverOptions, ...tls, handshakeTimeout: serverMod.SERVER_TIMEOUTS.handshakeTimeout }, collector.handle)
      : http.createServer(serverOptions, collector.handle);
  } catch (e) {
    // not PEM, or a key that is not the certificate's
    throw new UsageError(`cannot use --cert ${certFile} with --key ${keyFile}: ${(e as Error).message}`);
  }
  serverMod.tuneServer(server);
  // Expect: 100-continue: a batch refused on its headers (token, size) is answered before its body is sent
  server.on('checkContinue', collector.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    const hint = e.code === 'EACCES' ? ' (a port below 1024 needs root or CAP_NET_BIND_SERVICE)' : e.code === 'EADDRINUSE' ? ' (another process has it)' : '';
    throw new source.InputError(`cannot listen on ${listenText}: ${e.code ?? e.message}${hint}`);
  });
  server.on('error', (e) => say(`server: ${e.message}`));
  const address = server.address() as import('node:net').AddressInfo;
  const hostText = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  warn(COMMAND, `listening on ${tls ? 'https' : 'http'}://${hostText}:${address.port}`);

  // ---- signals: HUP reloads, TERM and INT stop
  const onHup = (): void => {
    if (tokensFile !== undefined) {
      try {
        tokens = readTokens();
        note(`${tokensFile}: ${tokens.size} tokens`);
      } catch (e) {
        say(`${(e as Error).message}: keeping the tokens read before`);
      }
    }
    if (tls) {
      try {
        (server as import('node:https').Server).setSecureContext({ cert: fs.readFileSync(certFile!), key: fs.readFileSync(keyFile!) });
        note(`reloaded ${certFile} and ${keyFile}`);
      } catch (e) {
        say(`cannot reload the certificate: ${(e as Error).message}: keeping the one loaded before`);
      }
    }
  };
  const stopped = new Promise<void>((resolve) => {
    stopping = resolve;
  });
  process.on('SIGHUP', onHup);
  process.on('SIGTERM', () => stopping!());
  process.on('SIGINT', () => stopping!());
  await stopped;

  // ---- the end: no new connections; what is in flight commits and is answered; files are closed
  server.close();
  pages?.close();
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), 10_000);
  deadline.unref();
  while (collector.inFlight.size) await Promise.all([...collector.inFlight]);
  server.closeAllConnections();
  clearTimeout(deadline);
  await store.close();
  await Promise.race([out.end().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
  process.off('SIGHUP', onHup);
  return 0;
}

export function run(argv?: string[]): Promise<never> {
  return runCommand(spec, main, argv);
}
