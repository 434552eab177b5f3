/**
 * A capture for trk-threshold's memory bound: `count` UDP packets in one
 * averaging period, each from its own /24 (1.0.0.1, 1.0.1.1, 1.0.2.1, …),
 * to one address — internet traffic as a subnet table sees it at its worst.
 * ipband's table would hold every one of them; trk-threshold's is bounded.
 */
import fs from 'node:fs';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { udpTemplateFrame } from './udp-frame.js';

export async function generateSubnetCapture(path: string, count: number, startSec = 1_790_000_040): Promise<void> {
  const out = fs.createWriteStream(path);
  const writer = new PcapWriter(out, { linktype: 1 });
  // Ethernet + IPv4 + UDP, 64 bytes on the wire; only the source address changes
  const frame = udpTemplateFrame();
  frame.writeUInt32BE(0x0a000001, 30);
  for (let i = 0; i < count; i++) {
    frame.writeUInt32BE((0x01000001 + i * 256) >>> 0, 26);
    // spread over 30 seconds: one averaging period of the default 60
    const t = (i * 30) / count;
    const sec = Math.floor(t);
    if (!writer.write(startSec + sec, Math.floor((t - sec) * 1e6), frame)) await writer.drain();
  }
  await writer.end();
}
