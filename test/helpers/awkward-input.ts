/**
 * Input that a pass-through command must hand on byte for byte: a record, an
 * ALERT line, a line longer than any record (2 MiB), binary bytes with a CR
 * and empty lines, and a last line without its newline.
 */
export function awkwardInput(): Buffer {
  const parts = [
    '{"type":"pkt","ts":1,"len":60}\n',
    '2026-11-22 09:42:15 ALERT TCP synflood dst=10.10.1.20,syns=201\n',
    'x'.repeat(2 * 1024 * 1024) + '\n',
    Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x0d, 0x0a]).toString('latin1'),
    'no newline at the end',
  ];
  return Buffer.from(parts.join(''), 'latin1');
}
