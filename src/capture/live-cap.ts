/**
 * The cap engine: libpcap inside this process through the `cap` binding.
 *
 * What cap gives and what it does not (cap 0.2.1, src/binding.cc):
 *  - `open(device, filter, bufSize, buffer)` activates libpcap with snaplen
 *    65535, promiscuous mode always on and immediate mode, and from then on
 *    copies each packet into `buffer` and emits 'packet'(copied, truncated),
 *    where truncated means the packet did not fit in `buffer`.
 *  - No timestamp, no wire length, no pcap_stats: timestamps here are the
 *    clock when the packet reaches JavaScript, the wire length is the copied
 *    length or, when the copy was cut short, rebuilt from the IP header by
 *    the decoders (Packet.lenFromHeaders), and kernel drops are unknown (the ring's tp_drops is
 *    only readable with getsockopt on libpcap's socket; sock_diag's skmem
 *    drop count stays 0 for a ring socket, measured).
 *  - It keeps a raw pointer to `buffer` and no reference to it: if the Buffer
 *    is garbage-collected while the capture is open, libpcap writes packets
 *    into freed memory and node aborts. Every open capture is therefore held
 *    in `openCaptures` until it is closed.
 *  - A Cap object must never be collected either: its destructor, run by the
 *    garbage collector, emits an async-hooks destroy event from inside the
 *    collection and node segfaults (seen in 1 run out of 3 after a closed
 *    capture; gdb: Pcap::~Pcap -> AsyncWrap::EmitDestroy in
 *    InvokeFirstPassWeakCallbacks). After a failed open() it would also call
 *    uv_poll_stop() on a poll handle that was never initialised. So every
 *    Cap made is kept in `capsNeverCollected` for the life of the process
 *    (one small object per capture; pcap's own memory is freed by close()).
 *  - Its packet loop (pcap_dispatch until the ring is empty) runs inside one
 *    event-loop callback: while packets keep coming faster than we handle
 *    them, no timer, signal or stream callback can run. See `starvedMs`.
 *  - The ring is made of frames of 65616 bytes (snaplen 65535 + header), so
 *    it holds bufferMiB * 16 packets whatever their size.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IEEE802_11_RADIOTAP,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  Packet,
} from '../decode/packet.js';
import type { PacketSink, SourceSummary } from './source.js';
import type { LiveOptions } from './live.js';
import { capMissing, noSuchDevice, openFailure } from './live-errors.js';
import { InputError } from './source.js';

/** libpcap's snaplen inside cap: longer packets are cut to this. */
export const CAP_SNAPLEN = 65535;
/**
 * How long the event loop may go without a turn before packets are discarded
 * (and counted) instead of handled: discarding empties the ring in
 * microseconds, so timers, signals and the consumer's drain get to run.
 */
const STARVED_MS = 250;
/** The wall clock is re-read this often to follow NTP corrections of the monotonic clock's offset. */
const CLOCK_CHECK_MS = 1000;
/** A correction smaller than this is Date.now()'s own 1 ms granularity: keep the smoother clock. */
const CLOCK_TOLERANCE_MS = 2;

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}
interface CapModule {
  Cap: { new (): CapHandle; deviceList(): CapDevice[] };
}
export interface CapDevice {
  name: string;
  description?: string;
  addresses: Array<{ addr?: string; netmask?: string }>;
  flags?: string;
}

/** Captures open right now, with the Buffer libpcap writes into: referenced here so neither is collected. */
const openCaptures = new Set<{ cap: CapHandle; buffer: Buffer }>();

/** Every Cap object made: never collected (see the top of this file). */
const capsNeverCollected: CapHandle[] = [];

let loaded: CapModule | Error | undefined;

/** The cap module, or the reason it cannot be loaded. */
export function loadCap(): CapModule | Error {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('cap') as CapModule;
    } catch (err) {
      loaded = err instanceof Error ? err : new Error(String(err));
    }
  }
  return loaded;
}

function capOrThrow(): CapModule {
  const cap = loadCap();
  if (cap instanceof Error) {
    const code = (cap as NodeJS.ErrnoException).code;
    const notInstalled = code === 'MODULE_NOT_FOUND' && /'cap'/.test(cap.message);
    throw capMissing(notInstalled ? 'cap is not installed' : `cap did not load: ${cap.message.split('\n')[0]}`, !notInstalled);
  }
  return cap;
}

/** cap names a few link types and says "Unknown linktype N" for the rest. */
function linktypeOf(name: string): number {
  switch (name) {
    case 'ETHERNET':
      return LINKTYPE_ETHERNET;
    case 'NULL':
      return LINKTYPE_NULL;
    case 'RAW':
      return LINKTYPE_RAW;
    case 'LINKTYPE_LINUX_SLL':
      return LINKTYPE_LINUX_SLL;
    case 'IEEE802_11_RADIO':
      return LINKTYPE_IEEE802_11_RADIOTAP;
  }
  const n = /(\d+)$/.exec(name);
  return n ? Number(n[1]) : -1;
}

/** Whether a device name can be opened at all, checked before libpcap prints its own warnings on stderr. */
function deviceExists(iface: string): boolean {
  if (iface === 'any') return true;
  try {
    return capOrThrow().Cap.deviceList().some((d) => d.name === iface);
  } catch (err) {
    if (err instanceof InputError) throw err;
    return true; // let libpcap say what is wrong
  }
}

export async function captureWithCap(opts: LiveOptions, sink: PacketSink): Promise<SourceSummary> {
  const { Cap } = capOrThrow();
  if (!opts.promisc) {
    throw new InputError('the cap engine always puts the interface in promiscuous mode: use --engine tcpdump with -p');
  }
  if (!deviceExists(opts.iface)) throw noSuchDevice(opts.iface);
  const wanted = opts.snaplen > 0 && opts.snaplen < CAP_SNAPLEN ? opts.snaplen : CAP_SNAPLEN;
  // allocUnsafe would hand out a slice of the shared pool for small sizes: cap needs its own memory
  const buffer = Buffer.alloc(wanted);
  const cap = new Cap();
  capsNeverCollected.push(cap);
  let linkName: string;
  try {
    linkName = cap.open(opts.iface, opts.filter ?? '', opts.bufferMiB * 1024 * 1024, buffer);
  } catch (err) {
    // not closed: close() on a handle that failed to open asserts in libuv (no poll handle)
    throw openFailure(opts.iface, opts.filter, 'cap', err instanceof Error ? err.message : String(err));
  }
  const held = { cap, buffer };
  openCaptures.add(held);

  const p = new Packet();
  p.data = buffer;
  p.start = 0;
  p.linktype = linktypeOf(linkName);
  p.ifName = opts.iface;
  p.tsDigits = 6;

  const limit = opts.count ?? Infinity;
  let packets = 0;
  let discarded = 0;
  let stopped = false;

  // wall clock = monotonic clock + offset: sub-microsecond resolution, no allocation
  let clockOffset = performance.timeOrigin;
  let nextClockCheck = 0;
  let lastLoopTurn = performance.now();
  const deadline = opts.durationSec !== undefined ? lastLoopTurn + opts.durationSec * 1000 : Infinity;

  // the consumer asked us to wait: cap cannot pause libpcap, so keep handing over
  // packets for a while (the ring could not hold them anyway), then discard
  let draining: Promise<void> | undefined;
  let drainingSince = 0;
  const drained = (): void => {
    draining = undefined;
  };

  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    cap.close();
    clearInterval(heartbeat);
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', stop);
    finish();
  };

  cap.on('packet', (copied: number, truncated: boolean) => {
    if (stopped) return;
    const now = performance.now();
    if (now >= deadline) return stop();
    if (now - lastLoopTurn > STARVED_MS || (draining !== undefined && now - drainingSince > STARVED_MS)) {
      // the check phase comes right after this poll callback: resume as soon as the loop has had its turn
      if (!turnAwaited) {
        turnAwaited = true;
        setImmediate(loopTurned);
      }
      discarded++;
      return;
    }
    if (now >= nextClockCheck) {
      const drift = Date.now() - (clockOffset + now);
      if (drift > CLOCK_TOLERANCE_MS || drift < -CLOCK_TOLERANCE_MS) clockOffset += drift;
      nextClockCheck = now + CLOCK_CHECK_MS;
    }
    const micros = Math.floor((clockOffset + now) * 1000);
    const sec = Math.floor(micros / 1e6);
    p.tsSec = sec;
    p.tsFrac = micros - sec * 1e6;
    p.caplen = copied;
    p.len = copied;
    // a copy cut short: the decoders take the wire length from the IP header
    p.lenFromHeaders = truncated || copied === CAP_SNAPLEN;
    p.resetLayers();
    packets++;
    sink.packet(p);
    if (packets >= limit) return stop();
    if (draining === undefined) {
      const wait = sink.drain();
      if (wait !== undefined) {
        draining = wait;
        drainingSince = now;
        void wait.then(drained, drained);
      }
    }
  });

  // a turn of the event loop: proves the packet loop is not starving everything else
  let turnAwaited = false;
  const loopTurned = (): void => {
    turnAwaited = false;
    lastLoopTurn = performance.now();
  };
  const heartbeat = setInterval(loopTurned, 20);
  const timer = deadline !== Infinity ? setTimeout(stop, deadline - performance.now()) : undefined;
  if (opts.signal.aborted) stop();
  else opts.signal.addEventListener('abort', stop);
  opts.onListening?.();

  try {
    await done;
  } finally {
    stop();
    // cap may still be inside its packet loop for this tick: let it return before the Buffer can go
    await new Promise<void>((resolve) => setImmediate(resolve));
    openCaptures.delete(held);
  }
  await sink.drain();
  return discarded ? { packets, engineDrops: discarded } : { packets };
}

/** Interfaces as libpcap sees them, or undefined when cap cannot be loaded. */
export function capDevices(): CapDevice[] | undefined {
  const cap = loadCap();
  if (cap instanceof Error) return undefined;
  try {
    return cap.Cap.deviceList();
  } catch {
    return undefined;
  }
}
