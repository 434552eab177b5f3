/** Build a Packet from bytes written in a test, and format it to a string, as the decoders' and formatters' tests need. */
import { Writable } from 'node:stream';
import { Packet } from '../../src/decode/packet.js';
import { decodePacket } from '../../src/decode/index.js';
import { LineOutput } from '../../src/io/output.js';

/** A packet decoded from hex (spaces allowed), captured whole, at ts 1399212353.740897. */
export function decodeHex(linktype: number, hex: string, caplen?: number): Packet {
  const data = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const p = new Packet();
  p.data = data;
  p.start = 0;
  p.caplen = caplen ?? data.length;
  p.len = data.length;
  p.linktype = linktype;
  p.tsSec = 1399212353;
  p.tsFrac = 740897;
  p.tsDigits = 6;
  decodePacket(p);
  return p;
}

/** What a formatter writes for one packet, as a string. */
export function formatted(write: (out: LineOutput, p: Packet) => void, p: Packet): string {
  const out = new LineOutput(new Writable({ write: (_c, _e, cb) => cb() }));
  write(out, p);
  return out.buf.toString('utf8', 0, out.pos);
}
