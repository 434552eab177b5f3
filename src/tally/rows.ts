/**
 * The row store behind every trk-tally table: each row's key (fixed-width
 * int32 words) and counters side by side in one Float64Array, so a packet
 * touches the hash index's slot and two or three cache lines of its row,
 * and an open-addressing hash index (linear probing) from
 * key to row (at most one slot in eight used). Looking a key up and
 * counting a packet into its row allocates nothing; strings are made only
 * when an interval is written (engine.ts).
 *
 * Bounded: at most `maxRows` rows. When a new key finds the store full, the
 * lightest eighth of the rows is evicted in one batch (Space-Saving in the
 * batched form of Misra-Gries): their counters are added to the `other`
 * counters, and every row inserted after that starts with an error floor
 * equal to the heaviest priority evicted so far in the interval. A row's
 * priority is its sort measure (bytes, packets, rx or tx bytes) plus its
 * floor; eviction takes the lowest priorities, oldest rows first on ties.
 *
 * What that guarantees (N = the sum of the sort measure over every row of
 * the interval, m = maxRows):
 *   - a row inserted before the interval's first eviction is exact;
 *   - a row inserted after it (its key may have been evicted before, with
 *     what it had counted) has a floor, `err`: its sort measure is short of
 *     the truth by at most that, and the floor is at most N / (7/8 · m);
 *   - a key whose true measure exceeds that bound is never missing from the
 *     table, so the top rows are the true top.
 * (The floor never shrinks within an interval: a batch takes only rows at or
 * above the previous floor, since every row inserted since carries it; and
 * the mass of priorities never exceeds N, because each batch removes at
 * least as much floor as the inserts since the last one added.)
 *
 * Batching keeps the per-packet cost flat: one O(m) pass (select, compact,
 * re-index) per m/8 new keys, about eight steps per new key, instead of a
 * heap update on every packet.
 */
import { DIR_MARTIAN } from '../classify/direction.js';

/**
 * Counter columns of a row; also the layout of the totals and other
 * counters. The ones an endpoint row (host, port…) touches for every packet
 * come first, right after the key, so that a lookup and its counting touch
 * as few cache lines as possible; the unknown direction is not counted at all.
 */
export const C_RX_PKTS = 0;
export const C_RX_BYTES = 1;
export const C_TX_PKTS = 2;
export const C_TX_BYTES = 3;
export const C_TCP_PKTS = 4;
export const C_TCP_BYTES = 5;
export const C_UDP_PKTS = 6;
export const C_UDP_BYTES = 7;
export const C_OTHER_PKTS = 8;
export const C_OTHER_BYTES = 9;
/** Bytes by direction at C_DIR + a DIR_* code (DIR_NONE's column stays 0: unknown directions are not counted). */
export const C_DIR = 10;
/** Packets and bytes of rows that take each packet once (plain storage, and the totals). */
export const C_PKTS = C_DIR + DIR_MARTIAN + 1;
export const C_BYTES = C_PKTS + 1;
/** Counters per row. */
export const NC = C_BYTES + 1;

/**
 * How a row's counters are kept. `endpoint`: a packet counts as tx in the
 * row it came from and rx in the row it went to, and pkts/bytes are rx+tx
 * (not stored). `plain`: each packet counts once in C_PKTS/C_BYTES.
 */
export type Storage = 'endpoint' | 'plain';

/** What the rows are ranked by, for --sort and for eviction. */
export type Measure = 'bytes' | 'pkts' | 'rx' | 'tx';

export function measureOf(c: Float64Array, base: number, storage: Storage, measure: Measure): number {
  if (storage === 'endpoint') {
    switch (measure) {
      case 'bytes':
        return c[base + C_RX_BYTES]! + c[base + C_TX_BYTES]!;
      case 'pkts':
        return c[base + C_RX_PKTS]! + c[base + C_TX_PKTS]!;
      case 'rx':
        return c[base + C_RX_BYTES]!;
      case 'tx':
        return c[base + C_TX_BYTES]!;
    }
  }
  return measure === 'pkts' ? c[base + C_PKTS]! : c[base + C_BYTES]!;
}

/** What a table that keeps more per row than counters and keys must be told. */
export interface RowHooks {
  /** Capacity grew to `cap` rows: enlarge per-row arrays (keep rows [0, n)). */
  grow(cap: number): void;
  /** Row `from` moves to `to` (to < from) while compacting. */
  move(from: number, to: number): void;
  /** Row `r` is evicted (before any move of the same batch). */
  drop(r: number): void;
}

const FIRST_CAPACITY = 256;
/** Hash index slots per row of capacity: a load of at most 1/8. */
const INDEX_SLOTS_PER_ROW = 8;
/** Stride of a row with a four-word key: the words, the family, the counters. */
const STRIDE4 = 4 + 1 + NC;

function nextPow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/** Mixes key words into a 32-bit hash (murmur3's finaliser over a multiply-xor of the words). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hash4(f: number, w0: number, w1: number, w2: number, w3: number): number {
  return mix(Math.imul(w0, 0x9e3779b1) ^ Math.imul(w1, 0x7feb352d) ^ Math.imul(w2, 0x846ca68b) ^ Math.imul(w3, 0x27d4eb2f) ^ Math.imul(f, 0x165667b1));
}

/** hash4 of a one-word key (the other three words 0). */
function hash1(f: number, w0: number): number {
  return mix(Math.imul(w0, 0x9e3779b1) ^ Math.imul(f, 0x165667b1));
}

function hashWords(words: Int32Array, base: number, kw: number, f: number): number {
  f |= 0;
  if (kw === 4) return hash4(f, words[base]!, words[base + 1]!, words[base + 2]!, words[base + 3]!);
  let h = Math.imul(f, 0x165667b1);
  for (let i = 0; i < kw; i++) h = Math.imul(h ^ words[base + i]!, 0x9e3779b1) ^ (h >>> 15);
  return mix(h);
}

export class RowStore {
  /** Rows in use: [0, n). */
  n = 0;
  cap = 0;
  /**
   * Each row's key words, family and counters side by side, `stride`
   * float64s a row: [kw key words, family, NC counters]. One array, so
   * checking the key and counting a packet touch the same few cache lines
   * (with keys in an array of their own a lookup cost twice as much).
   */
  data = new Float64Array(0);
  /** Float64s per row. */
  readonly stride: number;
  /** Where a row's counters start within it: row r's counter i is data[r * stride + K0 + i]. */
  readonly k0: number;
  /** Each row's error floor (see the header); -1 for a row inserted before the interval's first eviction: exact. */
  err = new Float64Array(0);
  /** Scratch for keys wider than four words (findProbe). */
  readonly probe: Int32Array;
  /** Counters of the rows evicted this interval. */
  readonly other = new Float64Array(NC);
  /** Rows evicted this interval. */
  evicted = 0;
  /** Keys inserted this interval (a key evicted and seen again counts again). */
  inserted = 0;
  /** The error floor given to new rows: the heaviest priority evicted this interval. */
  floor = 0;

  private index = new Int32Array(0);
  private mask = 0;
  private readonly rehashScratch: Int32Array;
  private priorities = new Float64Array(0);
  private selectScratch = new Float64Array(0);

  constructor(
    /** Key words per row. */
    readonly kw: number,
    readonly maxRows: number,
    readonly storage: Storage,
    readonly measure: Measure,
    private readonly hooks?: RowHooks,
  ) {
    this.probe = new Int32Array(kw);
    this.rehashScratch = new Int32Array(kw);
    this.k0 = kw + 1;
    this.stride = kw + 1 + NC;
    this.resize(Math.min(FIRST_CAPACITY, maxRows));
  }

  /** Where row r's counters start in `data`. */
  base(r: number): number {
    return r * this.stride + this.k0;
  }

  /** Row r's key word i (an int32). */
  key(r: number, i: number): number {
    return this.data[r * this.stride + i]! | 0;
  }

  /** Row r's key family. */
  family(r: number): number {
    return this.data[r * this.stride + this.kw]! | 0;
  }

  /**
   * The counter base (see base()) of the row of a key of four words or
   * fewer (kw must be 4), inserting the key if new; `lastRow` is its row.
   */
  find4(f: number, w0: number, w1: number, w2: number, w3: number): number {
    const h = hash4(f, w0, w1, w2, w3);
    const data = this.data;
    const index = this.index;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const r = index[slot]!;
      if (r < 0) break;
      const b = r * STRIDE4;
      if (data[b] === w0 && data[b + 1] === w1 && data[b + 2] === w2 && data[b + 3] === w3 && data[b + 4] === f) {
        this.lastRow = r;
        return b + 5;
      }
      slot = (slot + 1) & mask;
    }
    return this.insert4(h, slot, f, w0, w1, w2, w3);
  }

  private insert4(h: number, slot: number, f: number, w0: number, w1: number, w2: number, w3: number): number {
    if (this.n === this.cap) {
      this.makeRoom();
      slot = this.freeSlot(h);
    }
    const r = this.n++;
    const b = r * STRIDE4;
    const d = this.data;
    d[b] = w0;
    d[b + 1] = w1;
    d[b + 2] = w2;
    d[b + 3] = w3;
    d[b + 4] = f;
    this.err[r] = this.evicted > 0 ? this.floor : -1;
    this.index[slot] = r;
    this.inserted++;
    this.lastRow = r;
    return b + 5;
  }

  /**
   * find4 for a key of one word whose family has no longer keys (IPv4
   * addresses, ports, small codes): the common case gets a cheaper hash and
   * compare, which is most of the cost of a lookup that hits the cache.
   */
  find1(f: number, w0: number): number {
    const h = hash1(f, w0);
    const data = this.data;
    const index = this.index;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const r = index[slot]!;
      if (r < 0) break;
      const b = r * STRIDE4;
      if (data[b] === w0 && data[b + 4] === f) {
        this.lastRow = r;
        return b + 5;
      }
      slot = (slot + 1) & mask;
    }
    return this.insert4(h, slot, f, w0, 0, 0, 0);
  }

  /** The row find4 or find1 found or inserted last. */
  lastRow = 0;

  /**
   * The row of the key in `probe` (family f), or -1; with `insert`, a new
   * row for it instead of -1 (`inserted` goes up by one: that tells).
   */
  findProbe(f: number, insert: boolean): number {
    const kw = this.kw;
    const stride = this.stride;
    const probe = this.probe;
    const h = hashWords(probe, 0, kw, f);
    let slot = h & this.mask;
    for (;;) {
      const r = this.index[slot]!;
      if (r < 0) break;
      const b = r * stride;
      if (this.data[b + kw] === f) {
        let i = 0;
        while (i < kw && this.data[b + i] === probe[i]) i++;
        if (i === kw) return r;
      }
      slot = (slot + 1) & this.mask;
    }
    if (!insert) return -1;
    if (this.n === this.cap) {
      this.makeRoom();
      slot = this.freeSlot(h);
    }
    const r = this.n++;
    const b = r * stride;
    for (let i = 0; i < kw; i++) this.data[b + i] = probe[i]!;
    this.data[b + kw] = f;
    this.err[r] = this.evicted > 0 ? this.floor : -1;
    this.index[slot] = r;
    this.inserted++;
    return r;
  }

  /** Start a new interval with no rows. */
  clear(): void {
    this.data.fill(0, 0, this.n * this.stride);
    this.n = 0;
    this.index.fill(-1);
    this.resetInterval();
  }

  /** Start a new interval keeping the rows (conn): counters, floors and the evicted tallies go to zero. */
  resetInterval(): void {
    for (let r = 0; r < this.n; r++) {
      const b = r * this.stride + this.k0;
      this.data.fill(0, b, b + NC);
    }
    this.err.fill(-1, 0, this.n);
    this.other.fill(0);
    this.evicted = 0;
    this.inserted = 0;
    this.floor = 0;
  }

  /**
   * Remove the rows for which `gone(r)` is true without counting them as
   * evicted or adding them to other (conn: connections idle too long, at an
   * interval boundary, after they were reported).
   */
  removeWhere(gone: (r: number) => boolean): void {
    const keep = new Uint8Array(this.n);
    let any = false;
    for (let r = 0; r < this.n; r++) {
      if (gone(r)) {
        any = true;
        this.hooks?.drop(r);
      } else keep[r] = 1;
    }
    if (any) this.compact(keep);
  }

  /** Rewrite every row's key words in place (`rewrite(data, b)`, b the row's first word), then rebuild the index. */
  rekey(rewrite: (data: Float64Array, b: number) => void): void {
    for (let r = 0; r < this.n; r++) rewrite(this.data, r * this.stride);
    this.reindex();
  }

  private freeSlot(h: number): number {
    let slot = h & this.mask;
    while (this.index[slot]! >= 0) slot = (slot + 1) & this.mask;
    return slot;
  }

  private makeRoom(): void {
    if (this.cap < this.maxRows) this.resize(Math.min(this.maxRows, this.cap * 2));
    else this.evictBatch();
  }

  private resize(cap: number): void {
    const data = new Float64Array(cap * this.stride);
    data.set(this.data.subarray(0, this.n * this.stride));
    this.data = data;
    const err = new Float64Array(cap);
    err.set(this.err.subarray(0, this.n));
    this.err = err;
    this.cap = cap;
    // sparse: a collision costs a cache miss on another row's data (measured: at a load of 1/3 a host
    // lookup took 30% longer than at 1/8), while the index itself is only 4 bytes a slot
    this.index = new Int32Array(nextPow2(cap * INDEX_SLOTS_PER_ROW));
    this.mask = this.index.length - 1;
    this.reindex();
    this.hooks?.grow(cap);
  }

  private reindex(): void {
    const index = this.index;
    index.fill(-1);
    const mask = this.mask;
    const kw = this.kw;
    const words = this.rehashScratch; // not probe: findProbe's key is in it while a full store makes room
    for (let r = 0; r < this.n; r++) {
      const b = r * this.stride;
      for (let i = 0; i < kw; i++) words[i] = this.data[b + i]!;
      let slot = hashWords(words, 0, kw, this.data[b + kw]!) & mask;
      while (index[slot]! >= 0) slot = (slot + 1) & mask;
      index[slot] = r;
    }
  }

  /** Evict the lightest eighth of a full store into `other` (see the header). */
  private evictBatch(): void {
    const n = this.n;
    const want = Math.max(1, Math.ceil(n / 8));
    if (this.priorities.length < n) {
      this.priorities = new Float64Array(this.cap);
      this.selectScratch = new Float64Array(this.cap);
    }
    const pr = this.priorities;
    const d = this.data;
    for (let r = 0; r < n; r++) pr[r] = measureOf(d, this.base(r), this.storage, this.measure) + Math.max(0, this.err[r]!);
    const scratch = this.selectScratch;
    scratch.set(pr.subarray(0, n));
    const threshold = select(scratch, n, want - 1);
    let below = 0;
    for (let r = 0; r < n; r++) if (pr[r]! < threshold) below++;
    let ties = want - below;
    const keep = new Uint8Array(n);
    const other = this.other;
    for (let r = 0; r < n; r++) {
      const p = pr[r]!;
      if (p < threshold || (p === threshold && ties-- > 0)) {
        const b = this.base(r);
        for (let i = 0; i < NC; i++) other[i]! += d[b + i]!;
        this.hooks?.drop(r);
      } else keep[r] = 1;
    }
    this.evicted += want;
    if (threshold > this.floor) this.floor = threshold;
    this.compact(keep);
  }

  /** Keep the rows marked in `keep`, in their order, and rebuild the index. */
  private compact(keep: Uint8Array): void {
    const n = this.n;
    const stride = this.stride;
    const d = this.data;
    let w = 0;
    for (let r = 0; r < n; r++) {
      if (keep[r] === 0) continue;
      if (w !== r) {
        d.copyWithin(w * stride, r * stride, r * stride + stride);
        this.err[w] = this.err[r]!;
        this.hooks?.move(r, w);
      }
      w++;
    }
    d.fill(0, w * stride, n * stride);
    this.n = w;
    this.reindex();
  }
}

/** The k-th smallest (0-based) of a[0, n), rearranging a (Hoare's quickselect, median of three). */
export function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three into a[mid]
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
