/**
 * A capture of steady per-connection bandwidth for the ipband comparison
 * (threshold-ipband.test.ts): Ethernet/IPv4 frames of UDP and TCP
 * connections, each sending frames of one size at a constant rate over a
 * stretch of time, written whole (caplen = wire length) so that tcpreplay
 * puts the same frame lengths on the wire as the file says.
 *
 * The frames are real: IPv4 header checksums, TCP sequence numbers and
 * checksums, UDP lengths. Destination MACs are locally administered
 * addresses that no interface owns, so a host that receives the replay
 * drops the frames after the capture has seen them.
 */
import fs from 'node:fs';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { LINKTYPE_ETHERNET } from '../../src/decode/packet.js';

export interface SteadyFlow {
  proto: 'tcp' | 'udp';
  /** The sender and its port. */
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** Length of each data frame on the wire (Ethernet header included, no FCS). */
  frameLen: number;
  /** Data frames a second. */
  pps: number;
  /** Seconds from the start of the capture: first frame at `from`, none at or after `to`. */
  from: number;
  to: number;
  /** TCP only: the receiver acknowledges every `ackEvery`-th data frame with a bare 66-byte ACK. */
  ackEvery?: number;
}

/** Bytes a second the flow puts on the wire, both directions together. */
export function flowBytesPerSecond(f: SteadyFlow): number {
  const acks = f.proto === 'tcp' && f.ackEvery ? (f.pps / f.ackEvery) * ACK_LEN : 0;
  return f.frameLen * f.pps + acks;
}

const ETH = 14;
const IP = 20;
const ACK_LEN = ETH + IP + 20 + 12; // bare ACK with a timestamps option, as Linux sends them

function ipv4(addr: string): number {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`bad IPv4 address ${addr}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** RFC 1071 ones' complement sum of b[start, end), folded, not inverted. */
function sum16(b: Buffer, start: number, end: number, initial = 0): number {
  let s = initial;
  for (let i = start; i + 1 < end; i += 2) s += b.readUInt16BE(i);
  if ((end - start) & 1) s += b[end - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

const SRC_MAC = Buffer.from('020000000101', 'hex');
const DST_MAC = Buffer.from('020000000202', 'hex');

class FrameBuilder {
  private ipId = 1;

  build(proto: 'tcp' | 'udp', src: string, sport: number, dst: string, dport: number, len: number, tcp?: { seq: number; ack: number; flags: number }): Buffer {
    const l4Header = proto === 'tcp' ? (tcp && tcp.flags === 0x10 ? 32 : 20) : 8;
    if (len < ETH + IP + l4Header) throw new Error(`frame of ${len} bytes is too short for ${proto}`);
    const b = Buffer.alloc(len);
    DST_MAC.copy(b, 0);
    SRC_MAC.copy(b, 6);
    b.writeUInt16BE(0x0800, 12);
    const ip = ETH;
    b[ip] = 0x45;
    b.writeUInt16BE(len - ETH, ip + 2);
    b.writeUInt16BE(this.ipId++ & 0xffff, ip + 4);
    b.writeUInt16BE(0x4000, ip + 6); // DF
    b[ip + 8] = 64;
    b[ip + 9] = proto === 'tcp' ? 6 : 17;
    b.writeUInt32BE(ipv4(src), ip + 12);
    b.writeUInt32BE(ipv4(dst), ip + 16);
    b.writeUInt16BE(~sum16(b, ip, ip + IP) & 0xffff, ip + 10);
    const l4 = ip + IP;
    const l4Len = len - l4;
    for (let i = l4 + l4Header; i < len; i++) b[i] = (i * 7) & 0xff; // payload
    b.writeUInt16BE(sport, l4);
    b.writeUInt16BE(dport, l4 + 2);
    if (proto === 'udp') {
      b.writeUInt16BE(l4Len, l4 + 4);
    } else {
      b.writeUInt32BE(tcp!.seq >>> 0, l4 + 4);
      b.writeUInt32BE(tcp!.ack >>> 0, l4 + 8);
      b[l4 + 12] = (l4Header / 4) << 4;
      b[l4 + 13] = tcp!.flags;
      b.writeUInt16BE(64240, l4 + 14);
      if (l4Header === 32) b.set([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 1], l4 + 20); // NOP NOP timestamps
    }
    // checksum over the pseudo-header and the segment (UDP's is optional, but real senders fill it)
    let pseudo = sum16(b, ip + 12, ip + 20);
    pseudo += b[ip + 9]! + l4Len;
    const c = ~sum16(b, l4, len, pseudo) & 0xffff;
    b.writeUInt16BE(proto === 'udp' && c === 0 ? 0xffff : c, l4 + (proto === 'tcp' ? 16 : 6));
    return b;
  }
}

export interface Timed {
  /** Seconds from the capture's start. */
  t: number;
  frame: Buffer;
  /** Index of its flow in the list given. */
  flow: number;
}

/** Every frame of the flows, in time order (seconds from the capture's start). */
export function steadyFrames(flows: readonly SteadyFlow[]): Timed[] {
  const fb = new FrameBuilder();
  const out: Timed[] = [];
  flows.forEach((f, k) => {
    // each flow's frames sit at its own phase inside the 1/pps slot, so flows interleave instead of colliding
    const phase = ((k * 0.37) % 1) / f.pps;
    let seq = 1000 + k * 100000;
    for (let i = 0; ; i++) {
      const t = f.from + i / f.pps + phase;
      if (t >= f.to) break;
      if (f.proto === 'udp') {
        out.push({ t, flow: k, frame: fb.build('udp', f.src, f.sport, f.dst, f.dport, f.frameLen) });
        continue;
      }
      const payload = f.frameLen - ETH - IP - 20;
      out.push({ t, flow: k, frame: fb.build('tcp', f.src, f.sport, f.dst, f.dport, f.frameLen, { seq, ack: 1, flags: 0x18 }) });
      seq += payload;
      if (f.ackEvery && (i + 1) % f.ackEvery === 0) {
        // the receiver's ACK half a slot later
        out.push({ t: t + 0.5 / f.pps, flow: k, frame: fb.build('tcp', f.dst, f.dport, f.src, f.sport, ACK_LEN, { seq: 1, ack: seq, flags: 0x10 }) });
      }
    }
  });
  out.sort((a, b) => a.t - b.t);
  return out;
}

/**
 * Write frames (steadyFrames) as an Ethernet pcap, the capture starting at
 * epoch second `startSec`.
 */
export async function writeSteadyCapture(path: string, startSec: number, frames: readonly Timed[]): Promise<void> {
  const w = new PcapWriter(fs.createWriteStream(path), { linktype: LINKTYPE_ETHERNET });
  for (const { t, frame } of frames) {
    const us = Math.round(t * 1e6);
    if (!w.write(startSec + Math.floor(us / 1e6), us % 1e6, frame)) await w.drain();
  }
  await w.end();
}
