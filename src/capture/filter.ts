/**
 * BPF filters for capture files: the expression is compiled by tcpdump
 * (`tcpdump -ddd -r - EXPR` on a bare pcap header, which needs neither
 * privileges nor an interface) once per link type, and the program runs in-process (bpf.ts) on
 * every packet, so `trk-capture -r day.pcap.gz 'tcp port 80'` means exactly
 * what it means to tcpdump, on gzip and pcapng input too.
 */
import { spawnSync } from 'node:child_process';
import { BpfProgram } from './bpf.js';
import { InputError, type PacketSink } from './source.js';
import { LINKTYPE_ENC, LINKTYPE_NULL, type Packet } from '../decode/packet.js';

const PCAP_HEADER = 24;

/**
 * Compiles `expression` with tcpdump for a capture file of `linktype`, in the
 * given byte order: tcpdump reads a bare pcap header (no packets) on stdin,
 * so libpcap compiles exactly as it would for such a file. (`-y` would
 * compile for a live interface: for BSD loopback captures that accepts only
 * this host's AF_INET6 value and ignores the file's byte order.)
 */
export function compileFilter(expression: string, linktype: number, bigEndian = false): BpfProgram {
  const header = Buffer.alloc(PCAP_HEADER);
  const u32 = (v: number, at: number): number => (bigEndian ? header.writeUInt32BE(v, at) : header.writeUInt32LE(v, at));
  const u16 = (v: number, at: number): number => (bigEndian ? header.writeUInt16BE(v, at) : header.writeUInt16LE(v, at));
  u32(0xa1b2c3d4, 0);
  u16(2, 4);
  u16(4, 6);
  u32(262144, 16);
  u32(linktype, 20);
  const run = spawnSync('tcpdump', ['-ddd', '-r', '-', expression], { input: header, encoding: 'utf8' });
  if (run.error) {
    const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InputError(missing ? 'a filter on a capture file is compiled by tcpdump: apt-get install tcpdump' : `cannot run tcpdump to compile the filter: ${run.error.message}`);
  }
  if (run.status !== 0) {
    const reason = run.stderr.trim().split('\n').pop()?.replace(/^tcpdump: /, '') ?? `tcpdump exited with ${run.status}`;
    throw new InputError(`bad filter '${expression}': ${reason}`);
  }
  return BpfProgram.fromTcpdump(run.stdout);
}

/**
 * The programs for one link type: one, or for BSD null one per byte order
 * (little-endian first): its 4-byte address family is in the byte order of
 * the host that captured it, and libpcap compiles for the file's.
 */
function compileForLinktype(expression: string, linktype: number): BpfProgram[] {
  const little = compileFilter(expression, linktype);
  return hostOrderLink(linktype) ? [little, compileFilter(expression, linktype, true)] : [little];
}

function hostOrderLink(linktype: number): boolean {
  return linktype === LINKTYPE_NULL || linktype === LINKTYPE_ENC;
}

/** Passes on the packets the filter accepts; compiles it for each link type as it appears. */
export class FilteringSink implements PacketSink {
  /** Per link type: its programs, or none when the filter does not apply to it. */
  private readonly programs = new Map<number, BpfProgram[]>();
  /** Link types whose packets had to be left out, each said once on stderr. */
  readonly unfilterable = new Set<number>();

  constructor(
    private readonly expression: string,
    private readonly inner: PacketSink,
  ) {
    // a mistake in the expression is found before anything is read
    compileFilter(expression, 1);
  }

  packet(p: Packet): void {
    let programs = this.programs.get(p.linktype);
    if (programs === undefined) {
      try {
        programs = compileForLinktype(this.expression, p.linktype);
      } catch (err) {
        // a filter that makes no sense for this link type (e.g. 'ether host'
        // on raw IP) matches none of its packets, as in tcpdump
        if (!(err instanceof InputError)) throw err;
        this.unfilterable.add(p.linktype);
        programs = [];
      }
      this.programs.set(p.linktype, programs);
    }
    if (programs.length === 0) {
      this.inner.filteredOut?.(p);
      return;
    }
    // BSD null: an address family is below 256, so the non-zero end of the
    // 4-byte field tells the capturing host's byte order (big-endian: 00 00 00 1e)
    const d = p.data;
    const bigEndian = programs.length > 1 && p.caplen >= 4 && d[p.start] === 0 && d[p.start + 3] !== 0;
    if (programs[bigEndian ? 1 : 0]!.matches(d, p.start, p.caplen, p.len)) this.inner.packet(p);
    else this.inner.filteredOut?.(p);
  }

  drain(): Promise<void> | undefined {
    return this.inner.drain();
  }
}
