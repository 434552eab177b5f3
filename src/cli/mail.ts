/**
 * trk-mail — mail the ALERT lines and ipband reports that pass through it,
 * in digests, without flooding the inbox and without losing any; every line
 * goes on to standard output unchanged.
 */
// Only the option table and the runner are loaded up front (see trk-capture).
import { UsageError, type CommandSpec, type OptionValues, type ParsedArgs } from './options.js';
import { runCommand, warn } from './run.js';
// types only: erased at build, so they cost nothing at start-up
import type { AlertEvent, MailEvent, MailPlan } from '../mail/types.js';
import type { LineSink } from '../io/lines.js';

const COMMAND = 'trk-mail';

export const spec: CommandSpec = {
  name: COMMAND,
  summary: 'mail the ALERT lines and ipband reports that pass through, in digests, rate-limited and never lost; every line goes on unchanged',
  usage: [
    '--to ADDR[,ADDR] [--smtp URL | --sendmail COMMAND] [--every DURATION] [--max-per-hour N] [--only TYPE[:KIND]] [--ignore TYPE[:KIND]]',
    '--config FILE',
    '--to ADDR --dry-run',
  ],
  options: [
    { long: 'to', type: 'list', arg: 'ADDR[,ADDR]', help: 'recipients, comma-separated (repeatable)' },
    { long: 'from', type: 'string', arg: 'ADDR', help: 'the sender (default trk-mail@ this machine\'s name)' },
    {
      long: 'smtp', type: 'string', arg: 'URL',
      help: 'send through this SMTP server: smtp://[user@]host[:port] (STARTTLS when offered) or smtps://… (TLS from the start)',
      detail: 'Certificates are checked (a private CA can be trusted with NODE_EXTRA_CA_CERTS=FILE); --smtp-insecure turns the checks off. The password is best given in the environment, TRK_SMTP_PASS, so that it stays out of ps and shell history; one in the URL works too. Without --smtp, mail goes through --sendmail.',
    },
    { long: 'smtp-insecure', type: 'flag', help: "do not check the SMTP server's certificate" },
    {
      long: 'sendmail', type: 'string', arg: 'COMMAND', default: '/usr/sbin/sendmail -t -oi',
      help: "hand each message to COMMAND (ipband's -T): split into words and run without a shell; it reads the message on its standard input",
    },
    {
      long: 'every', type: 'string', arg: 'DURATION', default: '1m',
      help: 'gather the alerts of each DURATION (10s, 5m, 1h) into one mail; 0 mails each alert on its own',
      detail: 'A window opens with the first alert after the last mail and closes DURATION later (the clock of this machine, not the alerts\' own times: it is about the inbox). Identical alerts in a window (same type, kind and details) are one entry with a count and the first and last time. An ipband report is mailed on its own, at once.',
    },
    { long: 'subject', type: 'string', arg: 'TEMPLATE', help: 'the subject, with {host} {type} {kind} {count} {net} filled in (default: the first alert and how many more, or the report\'s subnet)' },
    { long: 'footer', type: 'string', arg: 'FILE', help: "append FILE to every mail (ipband's -l)" },
    {
      long: 'max-per-hour', type: 'number', arg: 'N', min: 1,
      help: 'at most N mails in any hour; what is held back is merged into the next mail, which says so',
    },
    { long: 'only', type: 'list', arg: 'TYPE[:KIND]', help: 'mail only these alerts, e.g. BANDWIDTH or ARP:mac_changed (repeatable)' },
    { long: 'ignore', type: 'list', arg: 'TYPE[:KIND]', help: 'do not mail these alerts (repeatable; applied after --only)' },
    {
      long: 'spool', type: 'string', arg: 'DIR',
      help: 'keep each message here until it is delivered (default /var/spool/trk-mail as root, else ~/.local/state/trk/mail-spool)',
      detail: 'A message that cannot be delivered now (the server is down, refuses for now with a 4xx reply, drops the connection) stays in the spool and is tried again with a growing wait, up to 5 minutes; a restart sends what an earlier run left. One the server refuses for good (5xx) is moved to DIR/failed and said on standard error.',
    },
    { long: 'max-wait', type: 'number', arg: 'SECONDS', min: 0, default: 30, help: 'at the end of the input or on SIGTERM, wait at most SECONDS for the mail to go (what is left stays in the spool)' },
    { long: 'dry-run', type: 'flag', help: 'write the messages to standard error, as they would be sent, instead of sending them' },
    { long: 'config', type: 'string', arg: 'FILE', help: 'read settings from FILE: one option a line, its long name and value (to noc@example.net), # comments' },
    { long: 'quiet', short: 'q', type: 'flag', help: 'no notes on standard error' },
  ],
  examples: [
    'trk-threshold -c /etc/ipband.conf eth0 | trk-mail --to noc@example.net',
    'trk-capture -i eth0 | trk-classify --alerts-only | trk-mail --to noc@example.net --every 5m --max-per-hour 6',
    'TRK_SMTP_PASS=secret trk-mail --to noc@example.net --smtp smtp://alerts@mail.example.net:587 < alerts.log',
    'trk-mail --to noc@example.net --dry-run < alerts.log',
  ],
};

/** The keys a --config file may set: the long options, less the ones that only make sense on a command line. */
const CONFIG_KEYS = spec.options.map((o) => o.long).filter((k) => k !== 'config' && k !== 'dry-run');

async function main({ options, positional }: ParsedArgs): Promise<number> {
  if (positional.length) throw new UsageError(`trk-mail reads standard input; unexpected '${positional[0]}'`);
  if (process.stdin.isTTY) throw new UsageError('standard input is a terminal: pipe the lines in (trk-threshold … | trk-mail --to ADDR)');
  const [fs, os, lines, output, parse, digestMod, compose, transportMod, spoolMod, tally] = await Promise.all([
    import('node:fs'),
    import('node:os'),
    import('../io/lines.js'),
    import('../io/output.js'),
    import('../mail/parse.js'),
    import('../mail/digest.js'),
    import('../mail/compose.js'),
    import('../mail/transport.js'),
    import('../mail/spool.js'),
    import('../tally/engine.js'),
  ]);
  const note = (message: string): void => {
    if (!options.quiet) warn(COMMAND, message);
  };

  // ---- settings: the config file, then the command line
  if (options.config !== undefined) mergeConfig(options, readConfig(fs, options.config as string));
  const to = ((options.to as string[] | undefined) ?? []).flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  if (to.length === 0) throw new UsageError('whom to mail: give --to ADDR');
  for (const addr of to) if (!/^[^\s@<>,]+@[^\s@<>,]+$|^[A-Za-z0-9._-]+$/.test(addr)) throw new UsageError(`'${addr}' is not a mail address`);
  const host = os.hostname();
  const from = (options.from as string | undefined) ?? `trk-mail@${host}`;
  const everyText = (options.every as string | undefined) ?? '1m';
  let every: number;
  try {
    every = tally.parseDuration(everyText);
  } catch {
    throw new UsageError(`--every takes a duration (10s, 5m, 1h, 1d) or 0 for a mail per alert, not '${everyText}'`);
  }
  const footerFile = options.footer as string | undefined;
  let footer: string | undefined;
  if (footerFile !== undefined) {
    try {
      footer = fs.readFileSync(footerFile, 'utf8');
    } catch (e) {
      throw new (await import('../capture/source.js')).InputError(`cannot read the footer ${footerFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const dryRun = Boolean(options['dry-run']);
  if (options.smtp !== undefined && options.sendmail !== undefined) throw new UsageError('--smtp and --sendmail do not go together: one way to send');

  // ---- where mail goes: the spool, then SMTP or a sendmail command
  const transport = dryRun
    ? undefined
    : options.smtp !== undefined
      ? transportMod.smtpTransport(options.smtp as string, { insecure: Boolean(options['smtp-insecure']), password: process.env.TRK_SMTP_PASS })
      : transportMod.sendmailTransport((options.sendmail as string | undefined) ?? '/usr/sbin/sendmail -t -oi');
  const spoolDir = (options.spool as string | undefined) ?? spoolMod.defaultSpoolDir();
  const spool = dryRun ? undefined : new spoolMod.Spool(spoolDir);
  const deliverer = spool && transport ? new spoolMod.Deliverer(spool, transport, (message: string) => warn(COMMAND, message)) : undefined;
  if (spool) {
    const left = (await spool.list()).length;
    if (left) note(`${left} messages an earlier run left in ${spoolDir}: sending them first`);
    deliverer!.kick();
  }

  // ---- the digests
  const digester = new digestMod.Digester({
    every,
    maxPerHour: options['max-per-hour'] as number | undefined,
    only: (options.only as string[] | undefined) ?? [],
    ignore: (options.ignore as string[] | undefined) ?? [],
    maxEntries: 10_000,
  });
  const now = (): number => Date.now() / 1000;
  // composed and spooled one after the other, so the mails keep the order of their plans
  let composing: Promise<void> = Promise.resolve();
  const composeOne = async (plan: MailPlan, deliver: boolean): Promise<void> => {
    const subject = options.subject as string | undefined;
    const mail = await compose.composeMail(plan, { from, to, host, now: now(), ...(subject === undefined ? {} : { subject }), ...(footer === undefined ? {} : { footer }) });
    if (dryRun) process.stderr.write(mail.raw.toString('utf8').replace(/\r\n/g, '\n') + '\n');
    else {
      await spool!.put(mail);
      if (deliver) deliverer!.kick();
    }
  };
  const send = (plans: MailPlan[]): void => {
    for (const plan of plans) composing = composing.then(() => composeOne(plan, true)).catch((e: Error) => warn(COMMAND, `cannot spool a message: ${e.message}`));
  };
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const due = digester.nextDue();
    if (due === undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      send(digester.due(now()));
      schedule();
    }, Math.max(0, (due - now()) * 1000));
  };

  // ---- the pipeline: every chunk on to stdout as it came; each line looked at for an alert or a report
  const out = new output.LineOutput(process.stdout);
  const stop = new AbortController();
  let malformed = 0;
  const take = (event: MailEvent): void => {
    digester.add(event, now());
    const plans = digester.due(now());
    if (plans.length) send(plans);
    if (!timer) schedule();
  };
  // trk-threshold writes an ALERT BANDWIDTH report line and then, on the next
  // line, the report itself, which is mailed on its own: the alert is held one
  // line, and dropped when its report follows, so a report is not told twice
  // (in -H form there is no record, and the alert goes into the digest)
  let reportAlert: AlertEvent | undefined;
  const sink: LineSink = {
    line(buf, start, end) {
      const event = parse.parseEventLine(buf, start, end);
      const held = reportAlert;
      reportAlert = undefined;
      if (held && !(event !== undefined && event !== parse.MALFORMED && event.type === 'report' && held.details.some(([k, v]) => k === 'net' && v === event.report.net))) take(held);
      if (event === undefined) return;
      if (event === parse.MALFORMED) {
        // passed on all the same; said once, at the end
        malformed++;
        return;
      }
      if (event.type === 'alert' && event.family === 'BANDWIDTH' && event.kind === 'report' && event.details.length) {
        reportAlert = event;
        return;
      }
      take(event);
    },
    overlong() {},
    drain() {
      if (out.closed) stop.abort();
      return out.drain();
    },
  };
  const onSignal = (): void => stop.abort();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await lines.readLines(process.stdin, 'standard input', sink, { signal: stop.signal, onChunk: (chunk) => out.bytes(chunk) });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (timer) clearTimeout(timer);
    await out.end();
  }

  // ---- the end: what is pending goes now; the mail gets a bounded wait, and what is left stays spooled
  if (reportAlert) take(reportAlert);
  if (malformed) note(`${malformed} lines looked like alerts or reports but could not be read: passed on, not mailed`);
  send(digester.flush(now()));
  await composing;
  if (deliverer) {
    const left = await deliverer.drain(((options['max-wait'] as number | undefined) ?? 30) * 1000);
    deliverer.close();
    if (left) note(`${left} messages not delivered yet: they stay in ${spoolDir} for the next run`);
  }
  // what the hourly cap still holds goes to the spool, not out: the next run sends it first
  const held = digester.held;
  if (held) {
    await composeOne(held, false);
    note(`${held.alerts} alerts held back by --max-per-hour: one message in ${dryRun ? 'the dry run' : spoolDir} for the next run`);
  }
  transport?.close();
  return 0;
}

/** A --config file: one option a line, its long name and its value; # comments. */
function readConfig(fs: typeof import('node:fs'), file: string): OptionValues {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const values: OptionValues = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (line === '' || line.startsWith('#')) return;
    const m = /^([a-z-]+)\s*(?:=\s*|\s+)?(.*)$/.exec(line);
    const key = m?.[1] ?? '';
    const option = spec.options.find((o) => o.long === key);
    if (!m || !option || !CONFIG_KEYS.includes(key)) throw new UsageError(`${file}:${i + 1}: unknown setting '${key || line}'`);
    const value = m[2]!.replace(/^"(.*)"$/, '$1');
    if (option.type === 'flag') {
      if (!/^(|yes|true|on|1|no|false|off|0)$/i.test(value)) throw new UsageError(`${file}:${i + 1}: ${key}: '${value}' is not yes or no`);
      values[key] = /^(|yes|true|on|1)$/i.test(value);
    } else if (value === '') throw new UsageError(`${file}:${i + 1}: ${key} needs a value`);
    else if (option.type === 'list') values[key] = [...((values[key] as string[] | undefined) ?? []), value];
    else if (option.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || (option.min !== undefined && n < option.min)) throw new UsageError(`${file}:${i + 1}: ${key}: '${value}' is not a number of at least ${option.min ?? 0}`);
      values[key] = n;
    } else values[key] = value;
  });
  return values;
}

/** The command line wins over the config file; lists from both add up. */
function mergeConfig(options: OptionValues, config: OptionValues): void {
  for (const [key, value] of Object.entries(config)) {
    const given = options[key];
    if (Array.isArray(value)) options[key] = [...value, ...((given as string[] | undefined) ?? [])];
    else if (given === undefined || given === false) options[key] = value;
  }
}

export function run(argv?: string[]): Promise<never> {
  return runCommand(spec, main, argv);
}
