/**
 * A capture with `count` local addresses (10.0.0.0/8 from 10.1.0.0 up), for
 * trk-report's bound on a big network: each address receives one packet from
 * outside (198.51.100.7) and sends one to an internal server (10.0.0.1),
 * with wire lengths that differ from address to address so the top N is a
 * real ranking. 64 bytes are captured per packet, so 50 000 addresses make a
 * 10 MB file.
 */
import fs from 'node:fs';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { udpTemplateFrame } from '../../scripts/udp-frame.js';

export const MANY_NET = '10.0.0.0/8';

/** The i-th local address. */
export function manyAddr(i: number): string {
  const n = 0x0a010000 + i;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Wire lengths of the i-th address's two packets: [received from outside, sent to internal]. */
export function manyLengths(i: number): [number, number] {
  return [64 + ((i * 7919) % 1400), 64 + ((i * 104729) % 900)];
}

export async function generateManyHosts(path: string, count: number, startSec = 1_790_000_000): Promise<void> {
  const out = fs.createWriteStream(path);
  const writer = new PcapWriter(out, { linktype: 1 });
  const frame = udpTemplateFrame();
  const OUTSIDE = 0xc6336407; // 198.51.100.7
  const SERVER = 0x0a000001; // 10.0.0.1
  for (let i = 0; i < count; i++) {
    const local = (0x0a010000 + i) >>> 0;
    const [rx, tx] = manyLengths(i);
    // spread over 60 seconds
    const t = (i * 60) / count;
    const sec = startSec + Math.floor(t);
    const usec = Math.floor((t % 1) * 1e6);
    frame.writeUInt32BE(OUTSIDE, 26);
    frame.writeUInt32BE(local, 30);
    if (!writer.write(sec, usec, frame, rx)) await writer.drain();
    frame.writeUInt32BE(local, 26);
    frame.writeUInt32BE(SERVER, 30);
    if (!writer.write(sec, usec, frame, tx)) await writer.drain();
  }
  await writer.end();
}
