/**
 * bench-pkt-record — how fast PktRecordReader turns pkt lines into a Packet,
 * against JSON.parse of the same lines (what a consumer would do without it).
 * The file is read into memory and split into lines first, so only the
 * parsing is timed; each contender runs several rounds and the best counts.
 *
 *   node bin/trk-capture.js -r bench-data/lan-v1-seed1-400000.pcap > /tmp/p.ndjson
 *   node dist/scripts/bench-pkt-record.js /tmp/p.ndjson [ROUNDS]
 */
import fs from 'node:fs';
import { PktRecordReader } from '../src/io/pkt-record.js';

interface Timing {
  name: string;
  nsPerRecord: number;
}

function lineStarts(data: Buffer): Int32Array {
  let count = 0;
  for (let pos = data.indexOf(10); pos >= 0; pos = data.indexOf(10, pos + 1)) count++;
  // starts[i] .. starts[i + 1] - 1 is line i (the '\n' left out)
  const starts = new Int32Array(count + 1);
  let line = 0;
  let start = 0;
  for (let pos = data.indexOf(10); pos >= 0; pos = data.indexOf(10, pos + 1)) {
    starts[line++] = start;
    start = pos + 1;
  }
  starts[line] = start;
  return starts;
}

/** Run `round` `rounds` times; the best round, in ns per record. */
function best(name: string, rounds: number, records: number, round: () => number): Timing {
  let fastest = Infinity;
  let check = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    check += round();
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns < fastest) fastest = ns;
  }
  // the checksum is printed so neither loop can be optimised away
  process.stderr.write(`${name}: checksum ${check}\n`);
  return { name, nsPerRecord: fastest / records };
}

function main(): number {
  const file = process.argv[2];
  const rounds = Number(process.argv[3] ?? 5);
  if (!file || !(rounds >= 1)) {
    process.stderr.write('usage: bench-pkt-record FILE.ndjson [ROUNDS]\n');
    return 2;
  }
  const data = fs.readFileSync(file);
  const starts = lineStarts(data);
  const records = starts.length - 1;
  if (records === 0) {
    process.stderr.write(`bench-pkt-record: ${file}: no lines\n`);
    return 1;
  }

  const reader = new PktRecordReader();
  let rejected = 0;
  let problems = 0;
  for (let i = 0; i < records; i++) {
    if (!reader.read(data, starts[i]!, starts[i + 1]! - 1)) rejected++;
    else if (reader.problem !== undefined) problems++;
  }
  if (rejected > 0 || problems > 0) process.stderr.write(`bench-pkt-record: ${rejected} lines not pkt records, ${problems} with a problem\n`);

  const ours = best('PktRecordReader', rounds, records, () => {
    let sum = 0;
    const p = reader.packet;
    for (let i = 0; i < records; i++) if (reader.read(data, starts[i]!, starts[i + 1]! - 1)) sum += p.len + p.sport;
    return sum;
  });
  const parse = best('JSON.parse', rounds, records, () => {
    let sum = 0;
    for (let i = 0; i < records; i++) {
      const record = JSON.parse(data.toString('utf8', starts[i]!, starts[i + 1]! - 1)) as { len: number; sport?: number };
      sum += record.len + (record.sport ?? -1);
    }
    return sum;
  });
  const ratio = ours.nsPerRecord / parse.nsPerRecord;
  process.stdout.write(
    `${records} records, ${(data.length / records).toFixed(0)} bytes each, best of ${rounds} rounds\n` +
      `PktRecordReader ${(ours.nsPerRecord / 1000).toFixed(3)} µs/record (${(1e9 / ours.nsPerRecord / 1e6).toFixed(2)} M records/s)\n` +
      `JSON.parse      ${(parse.nsPerRecord / 1000).toFixed(3)} µs/record (${(1e9 / parse.nsPerRecord / 1e6).toFixed(2)} M records/s)\n` +
      `ratio (reader time / JSON.parse time) ${ratio.toFixed(3)}, ${(1 / ratio).toFixed(1)}x as fast\n`,
  );
  return 0;
}

process.exitCode = main();
