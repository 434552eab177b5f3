/**
 * trk-classify — say what each packet is (direction, service, local address)
 * and what is wrong on the wire (NetTracker's ARP / ICMPv6 watch, arpwatch's
 * stations), with STAT lines every interval.
 */
// Only the option table and the runner are loaded up front (see trk-capture).
import type { Packet } from '../decode/packet.js';
import { UsageError, type CommandSpec, type ParsedArgs } from './options.js';
import { runCommand, warn } from './run.js';
import { inputOptions } from './input-options.js';
import { ALERT_KINDS, ARP_KINDS, DEFAULT_OFF, ICMP6_KINDS, isAlertKind, type AlertKind } from '../classify/alert.js';

export const spec: CommandSpec = {
  name: 'trk-classify',
  summary: 'annotate packets with direction, service and local address, and watch ARP and IPv6 neighbour discovery for trouble',
  usage: [
    '[--net CIDR ...] [-A KIND] [-I KIND] [--alerts-only] [-H | --json] [-r FILE ...]',
    '[--net CIDR ...] [--state FILE] [--allow FILE] -i IFACE [-f FILTER]',
  ],
  options: [
    ...inputOptions(true),
    {
      long: 'net', short: 'L', type: 'list', arg: 'CIDR',
      help: 'a local network (repeatable; CIDR, IPv4 or IPv6, ipband ranges and lists too)',
      detail: "Accepted forms: 10.10.0.0/16 and 2001:db8:10::/64; a bare address (a /32 or /128); ipband's partial addresses 137.99.11 (a /24) and 127.0.5/23; ranges a.b.c.d-e.f.g.h (IPv6 too), split into CIDR blocks; several of them separated by commas, or by colons as ipband wrote them. Without --net and --net-file, the networks of this machine's own interfaces are used (loopback and link-local left out), and the command says which on standard error.",
    },
    {
      long: 'net-file', type: 'list', arg: 'FILE',
      help: 'read local networks from FILE, one per line, # comments (repeatable)',
    },
    {
      long: 'enable', short: 'A', type: 'list', arg: 'KIND',
      help: "write ALERT lines of KIND too: a kind, 'arp', 'icmp6' or 'all' (repeatable, or comma-separated)",
      detail: `Kinds: ${ALERT_KINDS.join(', ')}. All are on by default but ${DEFAULT_OFF.join(' and ')}. Broader words apply first: 'all', then the families 'arp' and 'icmp6', then single kinds; at each level -I removes and -A adds, so -I all -A wrongnet writes wrongnet alerts only, and -A all -I gratuitous everything but gratuitous ARP. STAT lines count every kind whatever is enabled.`,
    },
    {
      long: 'ignore', short: 'I', type: 'list', arg: 'KIND',
      help: "write no ALERT lines of KIND: a kind, 'arp', 'icmp6' or 'all' (repeatable, or comma-separated)",
    },
    {
      long: 'allow', type: 'string', arg: 'FILE',
      help: 'known-good exceptions that never alert (a proxy-ARP router, a second router, a lab VLAN)',
      detail: 'One rule per line: a subject, then the kinds it is allowed (comma-separated; none or all means every kind); # starts a comment. Subjects: a MAC address, an IP address, a network in any --net form, or vlan N. See ALLOW FILE below. Alerts a rule silences are counted in the STAT key allowed. The file is read again on SIGHUP.',
    },
    {
      long: 'state', type: 'string', arg: 'FILE',
      help: "keep the IP-to-MAC table in FILE (arpwatch's arp.dat format) across restarts",
      detail: "Read at start (a missing file is a fresh start) and written at exit and every 15 minutes, atomically. The format is arpwatch's arp.dat (MAC, address, time, tab-separated), so an existing arpwatch database can be used as it is.",
    },
    {
      long: 'max-stations', type: 'number', arg: 'N', min: 1, default: 65536,
      help: 'most IP addresses whose MACs are remembered; the least recently seen are forgotten first',
      detail: 'Each forgotten station is counted in the STAT key stations_evicted, and the first eviction is reported on standard error. A station forgotten and seen again raises new_station, not mac_changed.',
    },
    {
      long: 'outside-mac', type: 'list', arg: 'MAC[=ADDR,...]',
      help: "MAC of the router frames from outside come through; a local source from it is martian (repeatable)",
      detail: "For a capture of the inside wire of a gateway, or a mirror of it. A frame whose Ethernet source is this MAC and whose IP source is a local address cannot have come from a local host: it is counted and annotated martian. The router's own local addresses, from which it legitimately sends (pings, answers), follow the = sign.",
    },
    {
      long: 'services', type: 'string', arg: 'FILE',
      help: 'service names from FILE in services(5) format (default /etc/services, else a shipped copy)',
    },
    {
      long: 'stat-interval', type: 'number', arg: 'SECONDS', min: 1, default: 60,
      help: 'write a STAT line every SECONDS of packet time, and one at the end',
      detail: 'Intervals end on multiples of SECONDS since the epoch, so STAT lines fall on round times. Time is the packets\' own: a capture file replays to the same lines on any day, and an interval in which a file has no packets writes no line. From a live source (an interface, or a pipe whose packets are stamped within 10 s of when they arrive), packet time moves on with the clock while nothing arrives, so a quiet network still gets its STAT line every interval; a pipe that has brought no packet at all is taken for live after one whole interval.',
    },
    { long: 'alerts-only', type: 'flag', help: "write only ALERT and STAT lines (NetTracker's machine output), not the pkt records" },
    { long: 'human', short: 'H', type: 'flag', help: "NetTracker's human form: [date time] sentences and a STAT table, no pkt records" },
    { long: 'json', type: 'flag', help: 'write ALERT and STAT as NDJSON alert and stat records' },
    { long: 'quiet', short: 'q', type: 'flag', help: 'no notes on standard error (the networks used, the live capture summary)' },
  ],
  examples: [
    'trk-capture -i eth0 | trk-classify --net 10.10.0.0/16 --alerts-only',
    'trk-classify -r day.pcap.gz --net 10.10.1.0/24 --alerts-only',
    'trk-classify -i eth0 --net 10.10.1.0/24 --state /var/lib/trk/arp.dat -A new_station -H',
    "trk-classify -r day.pcap --net 10.10.1.0/24 | grep -c '\"dir\":\"martian\"'",
  ],
};

/** The set of kinds whose ALERT lines are written, from -A and -I (see the option's detail). */
export function enabledKinds(enable: readonly string[], ignore: readonly string[]): Set<AlertKind> {
  const words = (list: readonly string[]): string[] => list.flatMap((w) => w.split(',')).map((w) => w.trim()).filter(Boolean);
  const on = words(enable);
  const off = words(ignore);
  for (const word of [...on, ...off]) {
    if (word !== 'all' && word !== 'arp' && word !== 'icmp6' && !isAlertKind(word)) {
      throw new UsageError(`unknown alert kind '${word}' (kinds: ${ALERT_KINDS.join(', ')}; or arp, icmp6, all)`);
    }
  }
  const kinds = new Set<AlertKind>(ALERT_KINDS.filter((k) => !DEFAULT_OFF.includes(k)));
  const groups: Record<string, readonly AlertKind[]> = { all: ALERT_KINDS, arp: ARP_KINDS, icmp6: ICMP6_KINDS };
  const level = (pick: (w: string) => readonly AlertKind[] | undefined): void => {
    for (const w of off) for (const k of pick(w) ?? []) kinds.delete(k);
    for (const w of on) for (const k of pick(w) ?? []) kinds.add(k);
  };
  level((w) => (w === 'all' ? ALERT_KINDS : undefined));
  level((w) => (w === 'arp' || w === 'icmp6' ? groups[w] : undefined));
  level((w) => (isAlertKind(w) ? [w] : undefined));
  return kinds;
}

/** `aa:bb:cc:dd:ee:ff[=10.10.1.1,2001:db8::1]` → the router's MAC and own addresses. */
function parseOutsideMac(text: string): { mac: Buffer; own: string[] } {
  const [macText, ownText] = text.split('=', 2) as [string, string | undefined];
  const m = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i.exec(macText.trim());
  if (!m) throw new UsageError(`--outside-mac: '${macText}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  const mac = Buffer.from(m.slice(1).map((h) => parseInt(h, 16)));
  const own = ownText === undefined ? [] : ownText.split(',').map((a) => a.trim()).filter(Boolean);
  return { mac, own };
}

const STATE_SAVE_MS = 15 * 60 * 1000;

async function main({ options, positional }: ParsedArgs): Promise<number> {
  if (options.human && options.json) throw new UsageError('-H and --json do not go together: one form for the ALERT and STAT lines');
  const enabled = enabledKinds((options.enable as string[] | undefined) ?? [], (options.ignore as string[] | undefined) ?? []);
  const outsideRouters = ((options['outside-mac'] as string[] | undefined) ?? []).map(parseOutsideMac);
  const [input, prefixes, services, direction, classifier, watchMod, allowMod, decode, records, output] = await Promise.all([
    import('./input.js'),
    import('../net/prefixes.js'),
    import('../net/services.js'),
    import('../classify/direction.js'),
    import('../classify/classifier.js'),
    import('../classify/watch.js'),
    import('../classify/allow.js'),
    import('../decode/index.js'),
    import('../io/pkt-record.js'),
    import('../io/output.js'),
  ]);
  const { files, iface } = input.chooseInput(options, true);
  const filter = (options.filter as string | undefined) ?? (positional.length ? positional.join(' ') : undefined);
  const quiet = Boolean(options.quiet);
  const note = (message: string): void => {
    if (!quiet) warn('trk-classify', message);
  };

  // ---- the local networks, the services table, the allow list, the saved stations
  const parsed: import('../net/prefixes.js').ParsedNetworks = { networks: [], warnings: [] };
  for (const spec of (options.net as string[] | undefined) ?? []) prefixes.parseNetworks(spec, parsed);
  const netFiles = (options['net-file'] as string[] | undefined) ?? [];
  for (const file of netFiles) prefixes.parseNetFile(file, parsed);
  for (const warning of parsed.warnings) warn('trk-classify', warning);
  if (parsed.networks.length === 0) {
    parsed.networks.push(...prefixes.interfaceNetworks());
    if (parsed.networks.length === 0) {
      throw new UsageError('no local networks: name them with --net CIDR (this machine has no interface networks to take them from)');
    }
    note(`no --net given: local networks from this machine's interfaces: ${parsed.networks.map((n) => `${n.text} (${n.origin})`).join(', ')}`);
  }
  const local = new prefixes.PrefixSet(parsed.networks);
  const routers = outsideRouters.map(({ mac, own }) => {
    const ownNets: import('../net/prefixes.js').ParsedNetworks = { networks: [], warnings: [] };
    for (const addr of own) prefixes.parseNetworks(addr, ownNets, '--outside-mac');
    return { mac, own: new prefixes.PrefixSet(ownNets.networks) };
  });
  const servicesTable = services.loadServices(options.services as string | undefined);
  if (servicesTable.badLines > 0) {
    warn('trk-classify', `${servicesTable.origin.kind === 'file' ? servicesTable.origin.path : 'services'}: ${servicesTable.badLines} unreadable lines skipped (the first is line ${servicesTable.firstBadLine})`);
  }
  const allowPath = options.allow as string | undefined;
  const allow = allowPath === undefined ? undefined : allowMod.parseAllowFile(allowPath);
  const watch = new watchMod.Watch({ local, maxStations: (options['max-stations'] as number | undefined) ?? 65536, allow });
  for (const warning of allow?.warnings ?? []) warn('trk-classify', warning);
  if (!watch.judgesV4) note('no local IPv4 network: ARP wrongnet and bogon are not judged');
  if (!watch.judgesV6) note('no local IPv6 network: ns_wrongnet, na_wrongnet and ra_wrongnet are not judged');
  let evictionReported = false;
  watch.stations.onEvict = () => {
    if (evictionReported) return;
    evictionReported = true;
    warn('trk-classify', `more than ${watch.stations.capacity} stations: forgetting the least recently seen (counted in STAT stations_evicted; raise --max-stations)`);
  };
  const statePath = options.state as string | undefined;
  if (statePath !== undefined) {
    const loaded = watch.stations.load(statePath);
    for (const problem of loaded.problems) warn('trk-classify', problem);
    note(loaded.found ? `${statePath}: ${loaded.stations} stations read` : `${statePath}: not there yet, starting with no stations`);
  }

  // ---- the pipeline: packets or records → classifier → stdout
  const out = new output.LineOutput(process.stdout);
  const stop = new AbortController();
  const limit = (options.count as number | undefined) ?? Infinity;
  const form = options.human ? 'human' : options.json ? 'json' : 'machine';
  const work = new classifier.Classifier({
    directions: new direction.Directions(local, routers),
    services: servicesTable,
    watch,
    enabled,
    form,
    records: !options['alerts-only'] && !options.human,
    statInterval: (options['stat-interval'] as number | undefined) ?? 60,
    out,
  });
  let decodeErrors = 0;
  const packets = {
    packet(p: Packet): void {
      if (work.packets >= limit) return;
      decode.decodePacket(p);
      if (p.err !== undefined) decodeErrors++;
      work.packet(p);
      if (work.packets >= limit) stop.abort();
    },
    drain(): Promise<void> | undefined {
      if (out.closed) stop.abort();
      return out.drain();
    },
  };
  const reader = new records.PktRecordReader();
  const lines = input.pktRecordLines({
    command: 'trk-classify',
    out,
    reader,
    record(buf, start, end) {
      work.record(buf, start, end, reader.packet);
      if (work.packets >= limit) stop.abort();
    },
    done: () => work.packets >= limit,
    drain: packets.drain,
  });
  const target = { command: 'trk-classify', packets, lines, out, progress: () => work.packets };

  // a quiet network still gets its STAT lines (input.ts followClock says when)
  const clock = input.followClock({
    live: iface !== undefined || files.every((f) => f === '-'),
    interfaceInput: iface !== undefined,
    intervalMs: ((options['stat-interval'] as number | undefined) ?? 60) * 1000,
    out,
    progress: () => work.packets,
    lastTs: () => work.lastTs,
    advance: (ts) => work.idleUntil(ts),
  });
  const saveState = (): void => {
    if (statePath === undefined) return;
    try {
      watch.stations.save(statePath);
    } catch (err) {
      warn('trk-classify', `cannot save the station table: ${(err as Error).message}`);
    }
  };
  const saver = statePath === undefined ? undefined : setInterval(saveState, STATE_SAVE_MS);
  saver?.unref();
  const reloadAllow = (): void => {
    if (allowPath === undefined) return;
    try {
      watch.setAllow(allowMod.parseAllowFile(allowPath));
      note(`${allowPath} read again`);
    } catch (err) {
      warn('trk-classify', `${(err as Error).message}; keeping the rules read before`);
    }
  };
  process.on('SIGHUP', reloadAllow);

  const interrupted = input.onInterrupt(stop);
  try {
    if (iface === undefined) {
      const code = await input.readFiles(target, files, filter, stop.signal);
      work.finish();
      return code;
    }
    const summary = await input.readLive(target, options, filter, stop.signal, () =>
      note(`listening on ${iface} (${(options.engine as string | undefined) ?? 'cap'} engine)`),
    );
    work.finish(Date.now() / 1000);
    await out.end();
    note(input.liveSummary(iface, work.packets, decodeErrors, summary));
    return 0;
  } finally {
    interrupted.dispose();
    clock.stop();
    if (saver) clearInterval(saver);
    process.off('SIGHUP', reloadAllow);
    saveState();
    await out.end();
  }
}

/** The man page's table of STAT keys, from the table the STAT writer uses. */
export async function manSections(): Promise<Record<string, string>> {
  const { STAT_KEYS, STAT_MEANINGS } = await import('../classify/events.js');
  const { roffEscape } = await import('./options.js');
  const rows = STAT_KEYS.map((key) => `.TP\n.B ${roffEscape(key)}\n${roffEscape(STAT_MEANINGS[key])}.`);
  return { '@STATKEYS@': rows.join('\n') };
}

export function run(argv?: string[]): Promise<never> {
  return runCommand(spec, main, argv);
}
