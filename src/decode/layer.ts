/**
 * The shape every layer decoder shares, so the next layer can be picked from a
 * table indexed by ethertype or IP protocol number instead of a chain of ifs.
 *
 * A decoder reads p.data[off, end) — `end` already clamped by the enclosing
 * headers (capture length, IP total length) — fills its fields of `p`, and
 * on a packet it cannot finish sets `p.err` to a constant phrase and returns:
 * whatever outer layers decoded stays.
 */
import type { Packet } from './packet.js';

export type LayerDecoder = (p: Packet, off: number, end: number) => void;

/** For table slots we know nothing about: the layer is left undecoded, which is not an error. */
export function decodeNothing(_p: Packet, _off: number, _end: number): void {}

/** A dense table (no holes, one hidden class) of `size` slots, all decodeNothing. */
export function decoderTable(size: number): LayerDecoder[] {
  return new Array<LayerDecoder>(size).fill(decodeNothing);
}
