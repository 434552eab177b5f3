/**
 * bench-floor — reads a capture with trk's own reader and writes the least a
 * pkt record can hold (type, ts, len, caplen) through LineOutput, without
 * decoding. What trk-capture takes beyond this is the decoders' and
 * formatters' share; the benchmark prints it beside trk-capture for that reason
 * (and times it instead of trk-capture while the command cannot run yet).
 *
 *   node dist/scripts/bench-floor.js FILE > /dev/null
 */
import { openCaptureInput, readCapture } from '../src/capture/file.js';
import type { PacketSink } from '../src/capture/source.js';
import type { Packet } from '../src/decode/packet.js';
import { LineOutput, MAX_RECORD } from '../src/io/output.js';

const TYPE_TS = '{"type":"pkt","ts":';
const LEN = ',"len":';
const CAPLEN = ',"caplen":';

class FloorSink implements PacketSink {
  constructor(private readonly out: LineOutput) {}

  packet(p: Packet): void {
    const out = this.out;
    out.reserve(MAX_RECORD);
    out.ascii(TYPE_TS);
    out.uint(p.tsSec);
    out.byte(46); // '.'
    out.uintPadded(p.tsFrac, p.tsDigits);
    out.ascii(LEN);
    out.uint(p.len);
    out.ascii(CAPLEN);
    out.uint(p.caplen);
    out.byte(125); // '}'
    out.byte(10);
  }

  drain(): Promise<void> | undefined {
    return this.out.drain();
  }
}

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: bench-floor FILE\n');
    return 2;
  }
  const out = new LineOutput(process.stdout);
  const summary = await readCapture(openCaptureInput(file), file, new FloorSink(out));
  await out.end();
  if (summary.damage) {
    process.stderr.write(`bench-floor: ${file}: ${summary.damage.reason} at byte ${summary.damage.offset}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`bench-floor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
