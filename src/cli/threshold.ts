/**
 * trk-threshold — ipband's bandwidth watchdog, with ipband's options and
 * ipband.conf, plus iptrk's alarms: hosts hammered, hosts gone silent, SYN
 * floods and scans.
 */
// Only the option table and the runner are loaded up front (see trk-capture).
import type { Packet } from '../decode/packet.js';
import { UsageError, type CommandSpec, type OptionValues, type ParsedArgs } from './options.js';
import { runCommand, warn } from './run.js';
import { inputOptions } from './input-options.js';
import { InputError } from '../capture/source.js';
import type { ThresholdEvent, ThresholdSettings } from '../threshold/types.js';

const COMMAND = 'trk-threshold';

export const spec: CommandSpec = {
  name: COMMAND,
  summary: "ipband's per-subnet bandwidth watchdog, and iptrk's alarms: hosts hammered or gone silent, SYN floods, scans",
  usage: [
    '[-a SECONDS] [-r SECONDS] [-b KBPS] [-m BITS] [-t N] [-L RANGES] [-A] [-c FILE | -C] [-o FILE] [-w FILE] [-M ADDRS] [IFACE]',
    '[options] --read FILE ...',
    '[options] < pkt-records',
  ],
  options: [
    {
      long: 'average', short: 'a', type: 'number', arg: 'SECONDS', min: 1, default: 60,
      help: 'averaging period: how often each subnet\'s bandwidth is worked out and judged',
      detail: 'Periods are aligned to the clock (a 60 s period runs from minute to minute) and measured in packet time, so a capture file gives the alarms its traffic gave live. The rate of a period is its bytes over the seconds watched in it.',
    },
    {
      long: 'report', short: 'r', type: 'number', arg: 'SECONDS', min: 1, default: 300,
      help: 'reporting period: how long a subnet may stay over its threshold before a report fires',
      detail: 'ipband\'s -r. It cannot be shorter than the averaging period. While the subnet stays over, a report fires again every reporting period.',
    },
    {
      long: 'bandwidth', short: 'b', type: 'number', arg: 'KBPS', min: 0, default: 7,
      help: 'threshold in kB/s (kB = 1024 bytes of the frames of IP packets); 7 kB/s is 56 kbit/s',
      detail: 'The default threshold of every subnet; subnet lines in the configuration file set their own.',
    },
    { long: 'maskbits', short: 'm', type: 'number', arg: 'BITS', min: 1, default: 24, help: 'IPv4 subnet mask bits for counting by subnet (1-32)' },
    { long: 'mask6', type: 'number', arg: 'BITS', min: 1, default: 64, help: 'IPv6 subnet prefix length for counting by subnet (1-128)' },
    { long: 'top', short: 't', type: 'number', arg: 'N', min: 0, help: 'only the N connections with the most bytes in a report (default all)' },
    {
      long: 'local', short: 'L', type: 'list', arg: 'RANGES',
      help: "local ranges, ipband's syntax: 10.10.1.0/24, 137.99.11, 10.0.0.1-10.0.0.99, joined by ':' (repeatable)",
      detail: 'Only the subnets of local addresses are counted (ipband: "non-local networks are not logged at all"), and for the iptrk alarms a packet from an address outside these ranges to one inside comes from outside. IPv6 prefixes are accepted too. Without -L every subnet is counted, and the alarms take the direction from the dir field of records that trk-classify annotated, or else the networks of this machine\'s interfaces.',
    },
    { long: 'lenadj', short: 'J', type: 'number', arg: 'BYTES', help: 'add BYTES (may be negative) to every frame length, for a link whose framing differs from the one listened on (default 0)' },
    { long: 'accumulate', short: 'A', type: 'flag', help: 'reports include the time over threshold accumulated since the start, and its share (subnets from subnet lines only)' },
    {
      long: 'config', short: 'c', type: 'string', arg: 'FILE',
      help: 'read ipband.conf-style settings from FILE (default /etc/ipband.conf when it exists)',
      detail: 'Settings are taken from the defaults, then the configuration file, then the command line, whatever the order of the options (ipband let a -c after other options undo them). SIGHUP reads the file again; a file with an error keeps the settings in force, and the error is said on standard error. The keywords are listed under CONFIGURATION FILE.',
    },
    { long: 'no-config', short: 'C', type: 'flag', help: 'ignore the configuration file' },
    { long: 'outfile', short: 'o', type: 'string', arg: 'FILE', help: "append each report to FILE in ipband's text form" },
    { long: 'htmlfile', short: 'w', type: 'string', arg: 'FILE', help: "rewrite FILE every averaging period as ipband's HTML page of every subnet's bandwidth" },
    { long: 'htmltitle', type: 'string', arg: 'TITLE', default: 'My bandwidth', help: 'the title of the -w page' },
    {
      long: 'mailto', short: 'M', type: 'string', arg: 'ADDRS',
      help: 'mail each report to ADDRS (comma-separated) through the MTA command of -T',
      detail: 'The MTA runs beside the packet processing and is never waited for (ipband blocked until it returned). For digests, rate limits and SMTP, leave -M out and pipe the report records into trk-mail instead.',
    },
    { long: 'mta', short: 'T', type: 'string', arg: 'COMMAND', default: '/usr/sbin/sendmail -t -oi', help: 'MTA command for -M: split into words and run without a shell; it reads the message with its headers' },
    { long: 'mailfoot', short: 'l', type: 'string', arg: 'FILE', help: 'append FILE to every mailed report' },
    {
      long: 'hammer-kbps', type: 'number', arg: 'KBPS', min: 0,
      help: 'HOST hammered: a local address receiving more than KBPS kB/s from outside over an averaging period',
    },
    { long: 'hammer-pps', type: 'number', arg: 'PPS', min: 0, help: 'HOST hammered: ... or more than PPS packets/s' },
    { long: 'hammer-top', type: 'number', arg: 'N', min: 1, default: 5, help: 'sources named in a HOST hammered alert' },
    { long: 'silent', type: 'list', arg: 'ADDR:SECONDS', help: 'HOST silent: ADDR has sent nothing for SECONDS (IPv6 in brackets: [2001:db8::1]:60; repeatable)' },
    { long: 'synflood', type: 'number', arg: 'RATE', min: 1, help: 'TCP synflood: more than RATE SYNs/s to one address that complete no handshake, over an averaging period' },
    { long: 'scan-ports', type: 'number', arg: 'N', min: 1, help: 'NET scan: one source probing more than N distinct address:port pairs in an averaging period' },
    { long: 'scan-hosts', type: 'number', arg: 'N', min: 1, help: 'NET scan: one source probing more than N distinct addresses in an averaging period' },
    { long: 'max-subnets', type: 'number', arg: 'N', min: 1, default: 100000, help: 'most subnets tracked at once; past it the lightest are forgotten, and that is said' },
    { long: 'max-conns', type: 'number', arg: 'N', min: 1, default: 100000, help: 'most connections logged in detail; past it the lightest are folded into a remainder that reports state' },
    { long: 'max-hosts', type: 'number', arg: 'N', min: 1, default: 100000, help: 'most addresses each alarm keeps at once' },
    ...inputOptions(true, 'ipband').filter((o) => o.long !== 'filter'),
    {
      long: 'filter', short: 'f', type: 'string', arg: 'FILTER',
      help: "BPF filter in tcpdump's syntax, as ipband's -f: live capture and capture files",
      detail: 'It does not apply to pkt records read as text: filter those upstream, in trk-capture.',
    },
    { long: 'debug', short: 'd', type: 'number', arg: 'LEVEL', min: 0, help: 'on standard error: 1 the settings, 2 also the subnet table every averaging period, 3 also every packet' },
    { long: 'fork', short: 'F', type: 'flag', help: 'run in the background (reports then go to -o, -w and -M only)' },
    { long: 'human', short: 'H', type: 'flag', help: "ALERT lines as sentences, and reports in ipband's text form, instead of report records" },
    { long: 'json', type: 'flag', help: 'ALERT lines as alert records' },
    { long: 'tee', type: 'flag', help: 'pass the pkt records on to standard output as well' },
    { long: 'quiet', short: 'q', type: 'flag', help: 'no notes on standard error' },
    { long: 'help', short: 'h', type: 'flag', help: 'show this help and exit' },
    { long: 'version', short: 'v', type: 'flag', help: 'print the version and exit' },
  ],
  examples: [
    'trk-threshold -a 60 -r 300 -b 16 -m 24 -t 15 -L 10.10.0.0/16 -o /var/log/ipband.txt eth0',
    'trk-threshold -c /etc/ipband.conf --read yesterday.pcap -H',
    'trk-capture -i eth0 | trk-classify --net 10.10.0.0/16 | trk-threshold -c ipband.conf | trk-mail --to noc@example.net',
    'trk-threshold -i eth0 -L 10.10.0.0/16 --hammer-kbps 5000 --synflood 200 --silent 10.10.0.1:60',
  ],
};

async function main({ options, positional }: ParsedArgs): Promise<number> {
  const [input, config, bandwidthMod, alarmsMod, reportMod, prefixes, services, protocols, networks, direction, decode, records, output, events, fs, path] =
    await Promise.all([
      import('./input.js'),
      import('../threshold/config.js'),
      import('../threshold/bandwidth.js'),
      import('../threshold/alarms.js'),
      import('../threshold/report.js'),
      import('../net/prefixes.js'),
      import('../net/services.js'),
      import('../net/protocols.js'),
      import('../net/networks.js'),
      import('../classify/direction.js'),
      import('../decode/index.js'),
      import('../io/pkt-record.js'),
      import('../io/output.js'),
      import('../classify/events.js'),
      import('node:fs'),
      import('node:path'),
    ]);
  const note = (message: string): void => {
    if (!options.quiet) warn(COMMAND, message);
  };
  if (positional.length > 1) throw new UsageError(`one interface only, not '${positional.join(' ')}'`);
  if (positional.length && options.interface !== undefined) throw new UsageError(`the interface is given twice: -i ${String(options.interface)} and ${positional[0]}`);
  if (options.human && options.json) throw new UsageError('-H and --json do not go together: one form');
  if (options.tee && options.human) throw new UsageError('--tee passes pkt records on: it goes with NDJSON output, not -H');

  // ---- settings: the defaults, then the configuration file, then the command line
  const configFile = options['no-config'] ? undefined : ((options.config as string | undefined) ?? config.defaultConfigPath());
  const loadSettings = (): ThresholdSettings => {
    const s = configFile === undefined ? config.parseConfig('', 'defaults') : config.readConfigFile(configFile);
    applyCommandLine(s, options, config);
    checkSettings(s);
    return s;
  };
  let settings = loadSettings();
  if (settings.fork && !process.env.TRK_THRESHOLD_FORKED) return forkToBackground(settings);

  // ---- what to read: --read files; an interface (-i, ipband's positional, the config's `interface` when nothing is piped in); standard input
  if (positional.length) options.interface = positional[0];
  if (options.interface === undefined && options.read === undefined && settings.interface !== undefined && !stdinHasData(fs)) {
    options.interface = settings.interface;
  }
  if (options['no-promisc'] === false && !settings.promisc) options['no-promisc'] = true;
  const { files, iface } = input.chooseInput(options, true);
  const filter = settings.filter;

  // ---- local ranges; where the alarms get "from outside" from
  const localOf = (s: ThresholdSettings): import('../net/prefixes.js').PrefixSet | undefined => {
    const parsed: import('../net/prefixes.js').ParsedNetworks = { networks: [], warnings: [] };
    for (const item of s.localrange) prefixes.parseNetworks(item, parsed);
    for (const warning of parsed.warnings) note(warning);
    return parsed.networks.length ? new prefixes.PrefixSet(parsed.networks) : undefined;
  };
  let local = localOf(settings);
  // only HOST hammered needs to know what is outside
  const needsDirection = (s: ThresholdSettings): boolean => s.hammerKBps !== undefined || s.hammerPps !== undefined;
  let directions = local ? new direction.Directions(local) : undefined;
  let interfaceDirections: import('../classify/direction.js').Directions | undefined;
  if (!local && needsDirection(settings)) {
    const mine = prefixes.interfaceNetworks();
    if (mine.length) interfaceDirections = new direction.Directions(new prefixes.PrefixSet(mine));
    note(
      mine.length
        ? `no -L: for --hammer-*, records without a dir field are judged against this machine's networks: ${mine.map((n) => n.text).join(', ')}`
        : 'no -L and no network on this machine: --hammer-* judges only records that trk-classify annotated',
    );
  }

  // ---- outputs: stdout, -o, -w, -M
  const out = new output.LineOutput(process.stdout);
  const form: import('../classify/events.js').EventForm = options.human ? 'human' : options.json ? 'json' : 'machine';
  const sinks = openSinks(settings, { fs, path, reportMod, note });
  const servicesTable = services.loadServices();
  const namer = {
    protocol: protocols.protocolName,
    port: (proto: number, port: number) => servicesTable.portName(proto, port),
    network: networks.networkName,
  };
  // The two watches each raise their events in time order; held here until the
  // packet (or clock tick) is dealt with and written sorted, the output is in time order too.
  const pending: { ts: number; seq: number; write(): void }[] = [];
  let seq = 0;
  const later = (ts: number, write: () => void): void => {
    pending.push({ ts, seq: seq++, write });
  };
  const flush = (): void => {
    if (pending.length === 0) return;
    pending.sort((x, y) => x.ts - y.ts || x.seq - y.seq);
    for (const e of pending) e.write();
    pending.length = 0;
  };
  const emit = (e: ThresholdEvent): void =>
    later(e.ts, () => {
      const sec = Math.floor(e.ts);
      events.writeAlert(out, form, { sec, frac: Math.round((e.ts - sec) * 1e6) % 1e6, digits: 6 }, e);
    });
  const debugTable = (end: number, subnets: import('../threshold/bandwidth.js').SubnetLine[]): void => {
    let text = '';
    for (const s of subnets) {
      text += `${s.kBps > s.threshold && s.logging ? '*' : ' '}${s.address.padEnd(15)} ${s.kB.toFixed(2).padStart(7)} kB  ${s.kBps.toFixed(2).padStart(7)}/${s.threshold.toFixed(2).padStart(6)} kBps\n`;
    }
    process.stderr.write(`${text}${'*'.repeat(48)}\n`);
  };
  const bandwidth = new bandwidthMod.BandwidthWatch(settings, local, {
    event: emit,
    report(r) {
      later(r.ts, () => {
        if (options.human) for (const line of reportMod.reportText(r).replace(/\n$/, '').split('\n')) out.line(line);
        else reportMod.writeReportJson(out, r);
      });
      sinks.report(r);
    },
    period(end, subnets) {
      sinks.period(end, subnets);
      if (settings.debug >= 2) debugTable(end, subnets);
    },
    wantsPeriod: () => settings.htmlfile !== undefined || settings.debug >= 2,
  }, namer);
  bandwidth.onFull = (what, limit) =>
    note(
      what === 'subnets'
        ? `more than ${limit} subnets in one averaging period: the lightest are forgotten for the period (--max-subnets raises the limit)`
        : `more than ${limit} connections logged: the lightest are folded into each report's remainder (--max-conns raises the limit)`,
    );
  const alarms = new alarmsMod.Alarms(settings, emit);
  if (settings.debug >= 1) dumpSettings(settings, configFile);

  // ---- SIGHUP: the configuration file again, the command line on top
  const reload = (): void => {
    let next: ThresholdSettings;
    try {
      next = loadSettings();
    } catch (e) {
      warn(COMMAND, `${(e as Error).message}; the settings in force are kept`);
      return;
    }
    if (next.interface !== settings.interface || next.filter !== settings.filter || next.promisc !== settings.promisc) {
      note('interface, filter and promisc take effect at a restart, not on SIGHUP');
    }
    settings = next;
    local = localOf(settings);
    directions = local ? new direction.Directions(local) : undefined;
    bandwidth.reconfigure(settings, local);
    alarms.reconfigure(settings);
    sinks.reconfigure(settings);
    note(`${configFile ?? 'settings'} read again`);
  };
  process.on('SIGHUP', reload);

  // ---- the pipeline: packets or records → the bandwidth watch and the alarms → lines on stdout
  const stop = new AbortController();
  const limit = (options.count as number | undefined) ?? Infinity;
  const tee = Boolean(options.tee);
  const writeJson = tee ? (await import('../format/pkt-json.js')).writePktJson : undefined;
  let count = 0;
  let decodeErrors = 0;
  let lastTs = NaN;
  const debugPacket = await packetDebugger();
  const timeOf = (p: Packet): number => p.tsSec + p.tsFrac / (p.tsDigits === 9 ? 1e9 : 1e6);
  /** Packet time moves on: both watches judge what ended by then. */
  const advance = (ts: number): void => {
    if (ts <= lastTs) return;
    lastTs = ts;
    bandwidth.advanceTo(ts);
    if (alarms.active) alarms.advanceTo(ts);
  };
  const take = (p: Packet, dir: number): void => {
    const ts = timeOf(p);
    advance(ts);
    bandwidth.addPacket(p, ts);
    if (alarms.active) alarms.packet(p, ts, dir);
    if (pending.length) flush();
    if (settings.debug >= 3) debugPacket(p);
  };
  const packets = {
    packet(p: Packet): void {
      if (count >= limit) return;
      decode.decodePacket(p);
      if (p.err !== undefined) decodeErrors++;
      const dirs = directions ?? interfaceDirections;
      take(p, dirs && alarms.active ? dirs.classify(p) : direction.DIR_NONE);
      if (writeJson) writeJson(out, p);
      if (++count >= limit) stop.abort();
    },
    drain(): Promise<void> | undefined {
      if (out.closed) stop.abort();
      return out.drain();
    },
    // a capture file's clock runs on through the packets the filter leaves out
    filteredOut(p: Packet): void {
      advance(timeOf(p));
      if (pending.length) flush();
    },
  };
  const reader = new records.PktRecordReader();
  const lines = input.pktRecordLines({
    command: COMMAND,
    out,
    reader,
    record(buf, start, end) {
      const p = reader.packet;
      let dir: number = direction.DIR_NONE;
      if (alarms.active) {
        // -L decides; else trk-classify's annotation; else this machine's networks
        if (directions) dir = directions.classify(p);
        else if (reader.dir !== direction.DIR_NONE) dir = reader.dir;
        else if (interfaceDirections) dir = interfaceDirections.classify(p);
      }
      take(p, dir);
      if (tee) out.copyLine(buf, start, end);
      if (++count >= limit) stop.abort();
    },
    done: () => count >= limit,
    drain: packets.drain,
  });
  const target = { command: COMMAND, packets, lines, out, progress: () => count };

  // a live source gone quiet still ends its periods, and silences are noticed, on time
  const clock = input.followClock({
    live: iface !== undefined || files.every((f) => f === '-'),
    interfaceInput: iface !== undefined,
    intervalMs: settings.average * 1000,
    out,
    progress: () => count,
    lastTs: () => lastTs,
    advance: (ts) => {
      advance(ts);
      flush();
    },
  });
  const interrupted = input.onInterrupt(stop);
  const finish = async (): Promise<void> => {
    bandwidth.finish();
    alarms.finish(lastTs);
    flush();
    await out.end();
    const pending = await sinks.close();
    if (pending) warn(COMMAND, `${pending} mailed reports were still with the MTA at exit`);
    if (bandwidth.evictedSubnets) note(`${bandwidth.evictedSubnets} subnets were forgotten because the subnet table was full`);
    if (alarms.evicted.hammer + alarms.evicted.syn + alarms.evicted.scan) {
      note(`alarm tables were full: ${alarms.evicted.hammer} hammer, ${alarms.evicted.syn} synflood and ${alarms.evicted.scan} scan entries evicted`);
    }
  };
  try {
    if (iface === undefined) {
      const code = await input.readFiles(target, files, filter, stop.signal);
      await finish();
      return code;
    }
    const summary = await input.readLive(target, options, filter, stop.signal, () =>
      note(`listening on ${iface} (${(options.engine as string | undefined) ?? 'cap'} engine)`),
    );
    await finish();
    note(input.liveSummary(iface, count, decodeErrors, summary));
    return 0;
  } finally {
    clock.stop();
    interrupted.dispose();
    process.off('SIGHUP', reload);
    await out.end();
  }
}

/** The command line over the configuration file: only what was given. */
function applyCommandLine(s: ThresholdSettings, o: OptionValues, config: typeof import('../threshold/config.js')): void {
  const num = (name: string): number | undefined => o[name] as number | undefined;
  const str = (name: string): string | undefined => o[name] as string | undefined;
  const set = <K extends keyof ThresholdSettings>(key: K, value: ThresholdSettings[K] | undefined): void => {
    if (value !== undefined) s[key] = value;
  };
  set('average', num('average'));
  set('report', num('report'));
  set('bandwidth', num('bandwidth'));
  set('maskbits', num('maskbits'));
  set('mask6', num('mask6'));
  set('top', num('top'));
  set('lenadj', num('lenadj'));
  set('debug', num('debug'));
  set('outfile', str('outfile'));
  set('htmlfile', str('htmlfile'));
  set('htmltitle', str('htmltitle'));
  set('mailto', str('mailto'));
  set('mtastring', str('mta'));
  set('mailfoot', str('mailfoot'));
  set('filter', str('filter'));
  set('hammerKBps', num('hammer-kbps'));
  set('hammerPps', num('hammer-pps'));
  set('hammerTop', num('hammer-top'));
  set('synflood', num('synflood'));
  set('scanPorts', num('scan-ports'));
  set('scanHosts', num('scan-hosts'));
  set('maxSubnets', num('max-subnets'));
  set('maxConns', num('max-conns'));
  set('maxHosts', num('max-hosts'));
  if (o.accumulate) s.accumulate = true;
  if (o.fork) s.fork = true;
  if (o['no-promisc']) s.promisc = false;
  // as ipband: -L on the command line replaces the configuration's ranges
  const ranges = o.local as string[] | undefined;
  if (ranges?.length) s.localrange = [...ranges];
  for (const item of (o.silent as string[] | undefined) ?? []) {
    try {
      s.watches.push(config.parseSilentSpec(item));
    } catch (e) {
      // a value on the command line is a usage error, in the words the configuration file's errors use
      if (e instanceof config.ConfigError) throw new UsageError(`--silent: ${e.message}`);
      throw e;
    }
  }
}

/** ipband's check_invalues, and ours. */
function checkSettings(s: ThresholdSettings): void {
  if (!Number.isInteger(s.average)) throw new UsageError(`the averaging period is whole seconds, not ${s.average}`);
  if (s.report < s.average) throw new UsageError(`the reporting period (${s.report} s) cannot be shorter than the averaging period (${s.average} s)`);
  if (s.maskbits < 1 || s.maskbits > 32 || !Number.isInteger(s.maskbits)) throw new UsageError(`mask bits are 1 to 32, not ${s.maskbits}`);
  if (s.mask6 < 1 || s.mask6 > 128 || !Number.isInteger(s.mask6)) throw new UsageError(`IPv6 mask bits are 1 to 128, not ${s.mask6}`);
  if (![0, 1, 2, 3].includes(s.debug)) throw new UsageError(`debug levels are 0 to 3, not ${s.debug}`);
  if (!Number.isInteger(s.top)) throw new UsageError(`the top connections are a whole number, not ${s.top}`);
  // as the configuration file says it: a threshold of 0 would alarm on every address that receives anything
  for (const [value, option] of [[s.hammerKBps, '--hammer-kbps'], [s.hammerPps, '--hammer-pps']] as const) {
    if (value !== undefined && value <= 0) throw new UsageError(`${option} must be more than 0, not ${value}`);
  }
  if (s.mailto !== undefined && !/\S/.test(s.mtastring)) throw new UsageError('the MTA command (-T) is empty');
}

/** Standard input carries data (a pipe, a file, a socket) rather than being a terminal or /dev/null. */
function stdinHasData(fs: typeof import('node:fs')): boolean {
  try {
    const st = fs.fstatSync(0);
    return st.isFIFO() || st.isFile() || st.isSocket();
  } catch {
    return false;
  }
}

/**
 * ipband's -F: carry on in the background. The child is this command again
 * without -F, detached from the terminal and the caller's session, with its
 * standard streams on /dev/null — so the reports must go somewhere else. It
 * keeps the working directory (ipband moved to /), so relative names in the
 * options still name the same files.
 */
async function forkToBackground(s: ThresholdSettings): Promise<number> {
  if (s.outfile === undefined && s.htmlfile === undefined && s.mailto === undefined) {
    throw new UsageError('in the background (-F) reports go only to -o, -w or -M: give one of them');
  }
  const { spawn } = await import('node:child_process');
  const argv = process.argv.slice(2).filter((a) => a !== '-F' && a !== '--fork');
  const child = spawn(process.execPath, [process.argv[1]!, ...argv], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, TRK_THRESHOLD_FORKED: '1' },
  });
  child.unref();
  warn(COMMAND, `running in the background as process ${child.pid}`);
  return 0;
}

/** The report files and the mailer; each reads its part of the settings again on SIGHUP. */
function openSinks(
  initial: ThresholdSettings,
  m: {
    fs: typeof import('node:fs');
    path: typeof import('node:path');
    reportMod: typeof import('../threshold/report.js');
    note: (message: string) => void;
  },
): {
  report(r: import('../threshold/types.js').BandwidthReport): void;
  period(end: number, subnets: import('../threshold/bandwidth.js').SubnetLine[]): void;
  reconfigure(s: ThresholdSettings): void;
  close(): Promise<number>;
} {
  const { fs, path, reportMod } = m;
  let s = initial;
  let outFd: number | undefined;
  let mailer: import('../threshold/mailer.js').Mailer | undefined;
  let MailerClass: typeof import('../threshold/mailer.js').Mailer | undefined;
  let htmlFailed = false;
  const openOut = (): void => {
    if (outFd !== undefined) fs.closeSync(outFd);
    outFd = undefined;
    if (s.outfile === undefined) return;
    try {
      outFd = fs.openSync(s.outfile, 'a');
    } catch (e) {
      throw new InputError(`cannot open ${s.outfile} for the reports: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const checkHtml = (): void => {
    if (s.htmlfile === undefined) return;
    const dir = path.dirname(path.resolve(s.htmlfile));
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch {
      throw new InputError(`cannot write the HTML page ${s.htmlfile}: its directory ${dir} is not writable`);
    }
  };
  const openMailer = async (): Promise<void> => {
    if (s.mailto === undefined) {
      mailer = undefined;
      return;
    }
    MailerClass ??= (await import('../threshold/mailer.js')).Mailer;
    mailer = new MailerClass(s.mtastring, (message) => warn(COMMAND, message));
  };
  openOut();
  checkHtml();
  const mailerReady = openMailer();
  return {
    report(r) {
      if (outFd !== undefined) {
        try {
          fs.writeSync(outFd, reportMod.reportText(r));
        } catch (e) {
          warn(COMMAND, `cannot append to ${s.outfile}: ${(e as Error).message}`);
        }
      }
      if (s.mailto !== undefined) {
        let footer: string | undefined;
        if (s.mailfoot !== undefined) {
          try {
            footer = fs.readFileSync(s.mailfoot, 'utf8');
          } catch (e) {
            warn(COMMAND, `cannot read the mail footer ${s.mailfoot}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          }
        }
        const message = reportMod.mailMessage(r, footer === undefined ? { to: s.mailto } : { to: s.mailto, footer });
        void mailerReady.then(() => mailer?.send(message));
      }
    },
    period(end, subnets) {
      if (s.htmlfile === undefined) return;
      const page = reportMod.htmlPage({ title: s.htmltitle, generated: end, refresh: s.average, subnets: subnets.map((x) => ({ address: x.address, kBps: x.kBps })) });
      // written aside and renamed into place: a browser never sees half a page
      const tmp = `${s.htmlfile}.tmp${process.pid}`;
      try {
        fs.writeFileSync(tmp, page);
        fs.renameSync(tmp, s.htmlfile);
        htmlFailed = false;
      } catch (e) {
        if (!htmlFailed) warn(COMMAND, `cannot write the HTML page ${s.htmlfile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        htmlFailed = true;
      }
    },
    reconfigure(next) {
      const outChanged = next.outfile !== s.outfile;
      s = next;
      if (outChanged) openOut();
      void openMailer();
    },
    async close() {
      if (outFd !== undefined) fs.closeSync(outFd);
      outFd = undefined;
      await mailerReady;
      return mailer ? mailer.settle(10_000) : 0;
    },
  };
}

function dumpSettings(s: ThresholdSettings, configFile: string | undefined): void {
  const lines = [
    `configuration file: ${configFile ?? '(none)'}`,
    `averaging period: ${s.average} s, reporting period: ${s.report} s`,
    `threshold: ${s.bandwidth} kB/s, mask bits: ${s.maskbits} (IPv6 /${s.mask6}), length adjustment: ${s.lenadj}`,
    `top connections: ${s.top || 'all'}, accumulate: ${s.accumulate ? 'yes' : 'no'}`,
    `filter: ${s.filter ?? '(none)'}, promiscuous: ${s.promisc ? 'yes' : 'no'}`,
    `report file: ${s.outfile ?? '(none)'}, HTML page: ${s.htmlfile ?? '(none)'}, mail to: ${s.mailto ?? '(none)'} via ${s.mtastring}`,
    `local ranges: ${s.localrange.join(' ') || '(all)'}`,
    ...s.subnets.map((n) => `subnet ${n.address}: ${n.bandwidth || s.bandwidth} kB/s`),
    `hammered: ${s.hammerKBps ?? '-'} kB/s, ${s.hammerPps ?? '-'} packets/s; synflood: ${s.synflood ?? '-'} SYNs/s; scan: ${s.scanPorts ?? '-'} ports, ${s.scanHosts ?? '-'} hosts`,
    ...s.watches.map((w) => `watch ${w.address} silent ${w.seconds} s`),
  ];
  process.stderr.write(lines.map((l) => `${COMMAND}: ${l}\n`).join(''));
}

/** -d 3: one line a packet, as ipband's "*SRC -> DST PROTO SPORT DPORT" with the frame length. */
async function packetDebugger(): Promise<(p: Packet) => void> {
  const { ipv4Text, ipv6Text } = await import('../format/addr.js');
  const text = (p: Packet, off: number): string => (p.ipVersion === 4 ? ipv4Text(p.data, off) : p.ipVersion === 6 ? ipv6Text(p.data, off) : '-');
  return (p) => {
    if (p.ipVersion === 0) return;
    process.stderr.write(`*${text(p, p.srcOff)} -> ${text(p, p.dstOff)} ${p.proto} ${Math.max(p.sport, 0)} ${Math.max(p.dport, 0)} len ${p.len}\n`);
  };
}

export async function manSections(): Promise<Record<string, string>> {
  const config = await import('../threshold/config.js');
  return { '@CONFIG@': config.manConfigSection() };
}

export function run(argv?: string[]): Promise<never> {
  return runCommand(spec, main, argv);
}
