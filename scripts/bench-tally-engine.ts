/**
 * bench-tally-engine — what trk-tally's counting engine costs per packet, by
 * --by key: the classic pcap file is read into memory and indexed first, then
 * each round decodes every packet, once alone and once feeding the engine
 * (TallyEngine.addPacket, as trk-tally -r does); the difference of the best
 * rounds is the engine's share. Writing the interval's result (finish) is
 * timed on its own.
 *
 *   node dist/scripts/bench-tally-engine.js bench-data/lan-v1-seed1-2000000.pcap [host,conn,…] [ROUNDS]
 */
import fs from 'node:fs';
import { Packet } from '../src/decode/packet.js';
import { decodePacket } from '../src/decode/index.js';
import { DIR_NONE } from '../src/classify/direction.js';
import { DEFAULT_CONN_IDLE, DEFAULT_MAX_KEYS, TallyEngine, parseBy } from '../src/tally/engine.js';

/** Offsets of the record headers of a classic pcap file (microsecond or nanosecond, either byte order). */
function recordOffsets(data: Buffer): { offsets: Int32Array; littleEndian: boolean; nanos: boolean; linktype: number } {
  const magic = data.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!littleEndian && data.readUInt32BE(0) !== 0xa1b2c3d4 && data.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new Error('not a classic pcap file (pcapng is not indexed here)');
  }
  const u32 = (o: number): number => (littleEndian ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const list: number[] = [];
  for (let o = 24; o + 16 <= data.length; o += 16 + u32(o + 8)) list.push(o);
  const nanos = (littleEndian ? magic : data.readUInt32BE(0)) === 0xa1b23c4d;
  return { offsets: Int32Array.from(list), littleEndian, nanos, linktype: u32(20) & 0xffff };
}

function main(): number {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: bench-tally-engine FILE.pcap [KEY,KEY…] [ROUNDS]\n');
    return 2;
  }
  const keys = (process.argv[3] ?? 'host,conn,port,mac,proto,size').split(',');
  const rounds = Number(process.argv[4] ?? 5);
  const data = fs.readFileSync(file);
  const { offsets, littleEndian, nanos, linktype } = recordOffsets(data);
  const u32 = (o: number): number => (littleEndian ? data.readUInt32LE(o) : data.readUInt32BE(o));
  // the record headers decoded once, so that a round times decoding and counting only
  const n = offsets.length;
  const sec = new Uint32Array(n);
  const frac = new Uint32Array(n);
  const caplen = new Uint32Array(n);
  const len = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const o = offsets[i]!;
    sec[i] = u32(o);
    frac[i] = u32(o + 4);
    caplen[i] = u32(o + 8);
    len[i] = u32(o + 12);
  }
  const p = new Packet();
  p.data = data;
  p.linktype = linktype;
  p.tsDigits = nanos ? 9 : 6;
  const load = (i: number): void => {
    p.start = offsets[i]! + 16;
    p.tsSec = sec[i]!;
    p.tsFrac = frac[i]!;
    p.caplen = caplen[i]!;
    p.len = len[i]!;
  };
  const decodeOnly = (): number => {
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      load(i);
      decodePacket(p);
      bytes += p.len;
    }
    return bytes;
  };
  let decodeNs = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    decodeOnly();
    decodeNs = Math.min(decodeNs, Number(process.hrtime.bigint() - t0));
  }
  process.stdout.write(`${file}: ${n} packets, decoding ${(decodeNs / 1e6).toFixed(0)} ms (${(decodeNs / n).toFixed(1)} ns a packet)\n`);
  for (const key of keys) {
    let bestNs = Infinity;
    let finishNs = Infinity;
    let rows = 0;
    for (let r = 0; r < rounds; r++) {
      const engine = new TallyEngine(
        { by: [parseBy(key)], every: 0, sort: 'bytes', maxKeys: DEFAULT_MAX_KEYS, connIdle: DEFAULT_CONN_IDLE },
        (result) => (rows = result.tables[0]!.rows.length),
      );
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        load(i);
        decodePacket(p);
        engine.addPacket(p, DIR_NONE, undefined);
      }
      const t1 = process.hrtime.bigint();
      engine.finish();
      bestNs = Math.min(bestNs, Number(t1 - t0));
      finishNs = Math.min(finishNs, Number(process.hrtime.bigint() - t1));
    }
    process.stdout.write(
      `--by ${key.padEnd(10)} add ${((bestNs - decodeNs) / n).toFixed(1).padStart(6)} ns a packet, ` +
        `finish ${(finishNs / 1e6).toFixed(0).padStart(4)} ms for ${rows} rows\n`,
    );
  }
  return 0;
}

process.exitCode = main();
