/**
 * Live capture: the entry point the commands call, the choice of engine and
 * the interface list for -D.
 *
 *  cap      libpcap in this process (live-cap.ts). The default: no extra
 *           process, packets go straight from libpcap's ring to the decoder.
 *           Timestamps are taken when a packet reaches JavaScript, kernel
 *           drops are unknown, always promiscuous.
 *  tcpdump  a tcpdump child writing pcap to a pipe (live-tcpdump.ts): kernel
 *           timestamps in nanoseconds, exact wire lengths, kernel and
 *           interface drop counts, -p honoured.
 */
import fs from 'node:fs';
import os from 'node:os';
import { captureWithCap, capDevices } from './live-cap.js';
import { captureWithTcpdump } from './live-tcpdump.js';
import type { PacketSink, SourceSummary } from './source.js';

export { CAP_SNAPLEN } from './live-cap.js';

export interface LiveOptions {
  iface: string;
  filter?: string;
  /** Bytes to capture per packet; 0 = the engine's default (whole packets with cap, 512 with tcpdump). */
  snaplen: number;
  promisc: boolean;
  count?: number;
  durationSec?: number;
  /** Kernel capture buffer. */
  bufferMiB: number;
  engine: 'cap' | 'tcpdump';
  signal: AbortSignal;
  /** Called once the interface is open and packets are being captured. */
  onListening?: () => void;
}

/** Captures until count/duration/signal; calls sink.packet(p) per packet (p.ifName = iface name; for -i any the packets are LINUX_SLL/SLL2), respects sink.drain(). */
export async function captureLive(opts: LiveOptions, sink: PacketSink): Promise<SourceSummary> {
  return opts.engine === 'tcpdump' ? captureWithTcpdump(opts, sink) : captureWithCap(opts, sink);
}

export interface InterfaceInfo {
  name: string;
  description?: string;
  addresses: string[];
  up?: boolean;
}

const IFF_UP = 0x1;

/** Whether the interface is administratively up, from sysfs (undefined for pseudo-devices such as 'any'). */
function isUp(name: string): boolean | undefined {
  try {
    return (Number.parseInt(fs.readFileSync(`/sys/class/net/${name}/flags`, 'utf8'), 16) & IFF_UP) !== 0;
  } catch {
    return undefined;
  }
}

/** The interfaces live capture can use (libpcap's list when cap loads, the kernel's otherwise), for -D. */
export function listInterfaces(): InterfaceInfo[] {
  const devices = capDevices();
  if (devices) {
    return devices.map((d) => {
      const info: InterfaceInfo = {
        name: d.name,
        addresses: d.addresses.flatMap((a) => (a.addr ? [a.addr] : [])),
      };
      if (d.description) info.description = d.description;
      const up = isUp(d.name);
      if (up !== undefined) info.up = up;
      return info;
    });
  }
  const addresses = os.networkInterfaces();
  let names: string[];
  try {
    names = fs.readdirSync('/sys/class/net').sort();
  } catch {
    names = Object.keys(addresses);
  }
  const list: InterfaceInfo[] = names.map((name) => {
    const info: InterfaceInfo = { name, addresses: (addresses[name] ?? []).map((a) => a.address) };
    const up = isUp(name);
    if (up !== undefined) info.up = up;
    return info;
  });
  list.push({ name: 'any', description: 'Pseudo-device that captures on all interfaces', addresses: [] });
  return list;
}
