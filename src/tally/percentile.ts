/**
 * Percentile billing (--percentile P): each host row's P-th percentile of
 * its 5-minute rates within the interval, the way transit and hosting are
 * billed.
 *
 * The interval is cut into 5-minute slots of the clock (floor(ts / 300)),
 * from the slot of its first covered second to the slot of its last; a slot
 * in which the host sent and received nothing is a sample of 0, as transit
 * billing counts it. Of N samples sorted in ascending order, the P-th
 * percentile is the one at rank ceil(P/100 · N) (nearest rank: for 95 and a
 * 30-day month of 8640 samples, the 8208th; the 432 busiest five minutes
 * are not billed). Three are computed per host: over received + sent bytes,
 * received only, and sent only (bits per second of the sample).
 *
 * Memory: only the largest K non-zero samples of each host and measure are
 * kept, K = floor((100 - P)/100 · Nmax) + 1, which is all the answer can
 * depend on; Nmax is the slots of one interval (plus one, for an interval
 * that does not start on a slot boundary), or 31 days' worth with --every 0.
 * A host with fewer non-zero samples than K keeps them all, and its answer
 * is exact for any N; with --every 0 over more than 31 days a host busy in
 * more than K slots gets the K-th largest sample, an upper bound.
 * K is 15 for a day at P=95, 433 for 30 days: 24 bytes per kept sample.
 */
import type { RowHooks } from './rows.js';

/** Seconds per sample. */
export const SAMPLE_SECONDS = 300;
/** With --every 0 the slots planned for: 31 days. */
const WHOLE_INPUT_SLOTS = (31 * 86400) / SAMPLE_SECONDS;

/** Measures per host: received + sent, received, sent. */
export const PCT_TOTAL = 0;
export const PCT_RX = 1;
export const PCT_TX = 2;
const MEASURES = 3;

/** 1-based rank from the top of the P-th percentile of n samples (1 = the largest). */
export function rankFromTop(percentile: number, n: number): number {
  // nearest rank ceil(P/100 · n) from the bottom; the epsilon keeps 95 · 20 / 100 at 19, not 19.000000000000004
  const fromBottom = Math.max(1, Math.ceil((percentile * n) / 100 - 1e-9));
  return n - fromBottom + 1;
}

/** The largest samples that must be kept per host for intervals of `every` seconds (0: the whole input). */
export function samplesToKeep(percentile: number, every: number): number {
  const slots = every > 0 ? Math.ceil(every / SAMPLE_SECONDS) + 1 : WHOLE_INPUT_SLOTS;
  return rankFromTop(percentile, slots);
}

export class PercentileTracker implements RowHooks {
  /** The slot of each row's sample in progress; -1 none. */
  private slot = new Float64Array(0);
  /** Bytes of the sample in progress: received, sent (two per row). */
  private current = new Float64Array(0);
  /** Per row and measure: a min-heap of the largest samples (bytes), and its size. */
  private heaps: (Float64Array | undefined)[] = [];
  private sizes = new Int32Array(0);

  constructor(
    readonly percentile: number,
    /** Samples kept per row and measure (samplesToKeep). */
    readonly keep: number,
  ) {}

  grow(cap: number): void {
    const slot = new Float64Array(cap).fill(-1);
    slot.set(this.slot);
    this.slot = slot;
    const current = new Float64Array(cap * 2);
    current.set(this.current);
    this.current = current;
    const sizes = new Int32Array(cap * MEASURES);
    sizes.set(this.sizes);
    this.sizes = sizes;
    this.heaps.length = cap * MEASURES;
  }

  move(from: number, to: number): void {
    this.slot[to] = this.slot[from]!;
    this.current[to * 2] = this.current[from * 2]!;
    this.current[to * 2 + 1] = this.current[from * 2 + 1]!;
    for (let m = 0; m < MEASURES; m++) {
      this.heaps[to * MEASURES + m] = this.heaps[from * MEASURES + m];
      this.sizes[to * MEASURES + m] = this.sizes[from * MEASURES + m]!;
    }
    this.forget(from);
  }

  drop(r: number): void {
    this.forget(r);
  }

  /** Forget rows [0, n) (a new interval). */
  clear(n: number): void {
    for (let r = 0; r < n; r++) this.forget(r);
  }

  private forget(r: number): void {
    this.slot[r] = -1;
    this.current[r * 2] = 0;
    this.current[r * 2 + 1] = 0;
    for (let m = 0; m < MEASURES; m++) {
      this.heaps[r * MEASURES + m] = undefined;
      this.sizes[r * MEASURES + m] = 0;
    }
  }

  /** `len` bytes received (tx false) or sent (tx true) by row r in 5-minute slot `slot`. */
  add(r: number, slot: number, len: number, tx: boolean): void {
    const s = this.slot[r]!;
    // a packet stamped before the sample in progress (out of order) counts in it
    if (slot > s) {
      if (s >= 0) this.close(r);
      this.slot[r] = slot;
    }
    this.current[r * 2 + (tx ? 1 : 0)]! += len;
  }

  /** Close every row's sample in progress (before reading the values). */
  closeAll(n: number): void {
    for (let r = 0; r < n; r++) {
      if (this.slot[r]! >= 0) {
        this.close(r);
        this.slot[r] = -1;
      }
    }
  }

  private close(r: number): void {
    const rx = this.current[r * 2]!;
    const tx = this.current[r * 2 + 1]!;
    this.current[r * 2] = 0;
    this.current[r * 2 + 1] = 0;
    if (rx + tx > 0) this.push(r * MEASURES + PCT_TOTAL, rx + tx);
    if (rx > 0) this.push(r * MEASURES + PCT_RX, rx);
    if (tx > 0) this.push(r * MEASURES + PCT_TX, tx);
  }

  private push(h: number, value: number): void {
    let heap = this.heaps[h];
    const size = this.sizes[h]!;
    if (size < this.keep) {
      if (heap === undefined || heap.length === size) {
        const bigger = new Float64Array(Math.min(this.keep, Math.max(4, size * 2)));
        if (heap !== undefined) bigger.set(heap);
        heap = bigger;
        this.heaps[h] = heap;
      }
      // sift up
      let i = size;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heap[parent]! <= value) break;
        heap[i] = heap[parent]!;
        i = parent;
      }
      heap[i] = value;
      this.sizes[h] = size + 1;
      return;
    }
    if (heap === undefined || value <= heap[0]!) return;
    // replace the smallest kept and sift down
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && heap[right]! < heap[left]! ? right : left;
      if (heap[child]! >= value) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = value;
  }

  /** Row r's percentile of measure m over `slots` samples, in bits per second. */
  bps(r: number, m: number, slots: number): number {
    const h = r * MEASURES + m;
    const size = this.sizes[h]!;
    const k = rankFromTop(this.percentile, slots);
    if (k > size) {
      // fewer non-zero samples than k: the answer is a zero sample, unless samples were dropped (see the header)
      return size === this.keep ? (this.heaps[h]![0]! * 8) / SAMPLE_SECONDS : 0;
    }
    const sorted = this.heaps[h]!.slice(0, size).sort().reverse();
    return (sorted[k - 1]! * 8) / SAMPLE_SECONDS;
  }
}
