/**
 * The frame the generated captures of the bound tests and benchmarks are made
 * of: Ethernet + IPv4 + UDP (40000 → 53), 64 bytes, its addresses left zero.
 * A generator writes the source address at offset 26 and the destination at
 * 30 for each packet, and gives PcapWriter a wire length when the packet
 * should count for more than its 64 captured bytes.
 */

export function udpTemplateFrame(): Buffer {
  const frame = Buffer.alloc(64);
  frame.write('020000000001020000000002', 0, 'hex'); // destination and source MAC
  frame.writeUInt16BE(0x0800, 12); // IPv4
  frame.writeUInt8(0x45, 14); // version 4, 20-byte header
  frame.writeUInt16BE(50, 16); // total length
  frame.writeUInt8(64, 22); // TTL
  frame.writeUInt8(17, 23); // UDP
  frame.writeUInt16BE(40000, 34);
  frame.writeUInt16BE(53, 36);
  frame.writeUInt16BE(30, 38); // UDP length
  return frame;
}
