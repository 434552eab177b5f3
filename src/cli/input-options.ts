/**
 * The options every command that reads packets shares (-r, -i, -f and the
 * live capture settings): one table fragment, so trk-capture and the
 * commands that also take a capture directly (trk-classify, trk-tally, …)
 * parse, document and --help them the same way. Kept apart from input.ts so
 * that --help loads no capture code.
 */
import type { OptionSpec } from './options.js';

export const DEFAULT_BUFFER_KIB = { cap: 131072, tcpdump: 32768 } as const;

/**
 * `records`: the command also reads pkt records (text), so -r and standard
 * input take either a capture or records; trk-capture itself reads captures only.
 */
export function inputOptions(records: boolean, letters: 'trk' | 'ipband' = 'trk'): OptionSpec[] {
  const options: OptionSpec[] = [
    records
      ? {
          long: 'read', short: 'r', type: 'list', arg: 'FILE',
          help: "read a capture file (pcap or pcapng, gzipped or not) or a file of pkt records; '-' is standard input (repeatable)",
          detail: 'What a file holds is told by its first bytes, not its name: a pcap or pcapng capture (either of them gzip-compressed too) is decoded in-process, which is the fast path and gives exactly the records trk-capture would have piped in; anything else is read as lines of pkt records, and lines that are not pkt records are passed through unchanged. Without -r and -i, standard input is read the same way.',
        }
      : {
          long: 'read', short: 'r', type: 'list', arg: 'FILE',
          help: "read a pcap or pcapng file, gzipped or not; '-' is standard input (repeatable)",
          detail: 'The format is recognised by its first bytes, not by the file name: classic pcap in either byte order with micro- or nanosecond timestamps, pcapng with any number of sections and interfaces, and either of them gzip-compressed. Several -r options are read one after the other.',
        },
    {
      long: 'interface', short: 'i', type: 'string', arg: 'IFACE',
      help: "capture live on IFACE ('any' for all interfaces)",
      detail: 'Live capture needs root, or the capabilities CAP_NET_RAW and CAP_NET_ADMIN on the node binary.',
    },
    {
      long: 'filter', short: 'f', type: 'string', arg: 'FILTER',
      help: "BPF filter in tcpdump's syntax, for live capture and files (words after the options work too)",
      detail: 'Live, the filter runs in the kernel. On capture files it is compiled by tcpdump (tcpdump -ddd, which needs no privileges) once per link type and run on each packet by trk itself, with the same meaning; a file whose packets have a link type the filter cannot be compiled for has those packets left out, with a warning.' +
        (records ? ' It does not apply to pkt records read as text: filter those upstream, in trk-capture.' : ''),
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
  ];
  if (letters === 'trk') return options;
  // ipband's letters mean other things (-r reporting period, -c config file) and ipband's -P is --no-promisc
  return options.map((o) => {
    if (o.long === 'read' || o.long === 'count') {
      const { short: _ipbandLetter, ...long } = o;
      return long;
    }
    if (o.long === 'no-promisc') return { ...o, short: 'P' };
    return o;
  });
}
