/**
 * What every packet source (capture file reader, live engines) hands to its
 * consumer. Sources call `packet()` synchronously for each packet of a chunk,
 * then await `drain()` before reading more: that is how back-pressure from
 * stdout reaches the file reader or the capture loop.
 */
import type { Packet } from '../decode/packet.js';

export interface PacketSink {
  /**
   * Called once per packet with the reader's reusable Packet: metadata fields
   * (data, start, caplen, len, tsSec, tsFrac, tsDigits, linktype, ifName) set,
   * layers not yet decoded. Valid only during the call.
   */
  packet(p: Packet): void;
  /** Resolves when the consumer can take more; undefined when it can right now. */
  drain(): Promise<void> | undefined;
  /**
   * A packet of a capture file that the filter left out (metadata only). For
   * the commands that keep time by the packets: the capture's clock runs on
   * through the packets not counted, as it does live.
   */
  filteredOut?(p: Packet): void;
}

/** What a source says when it ends. */
export interface SourceSummary {
  packets: number;
  /** Set when the input ended in damage: every packet before it was delivered. */
  damage?: { offset: number; reason: string };
  /** Live capture: packets the kernel dropped, when they can be known. */
  kernelDrops?: number;
  /** Live capture: packets the interface driver dropped, when known. */
  ifDrops?: number;
  /**
   * Live capture: packets the engine read but discarded because the consumer
   * or the event loop could not keep up (the cap engine, under overload).
   */
  engineDrops?: number;
}

/** An error that ends a command with exit 1 and one line on stderr (no stack trace). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
