// IDs of series removed from a namespace's table, kept only as long as an
// index block may still hold them: a series created again under such an ID
// is not fresh to the index (see FRESH in series-table.ts). IDs are kept as
// 64-bit hashes in open-addressing typed arrays, one set per removal period
// of an index block's length, and a whole set is dropped once every ID in it
// is past the horizon. A hash collision makes an ID look removed when it was
// not; that only sends its first index insert down the slower checked path.

/** Load factor above which a set doubles its table. */
const MAX_LOAD = 0.5;
const INITIAL_SLOTS = 1024;

/** The removed IDs of one period: pairs of 32-bit hash halves, 0/0 meaning empty. */
class HashSet64 {
  /** Start of the period, in ms; every ID in the set was removed at or after it. */
  readonly startMs: number;
  count = 0;
  private hi = new Int32Array(INITIAL_SLOTS);
  private lo = new Int32Array(INITIAL_SLOTS);

  constructor(startMs: number) {
    this.startMs = startMs;
  }

  add(hi: number, lo: number): void {
    if ((this.count + 1) / this.hi.length > MAX_LOAD) this.grow();
    if (this.place(this.hi, this.lo, hi, lo)) this.count++;
  }

  has(hi: number, lo: number): boolean {
    const mask = this.hi.length - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const h = this.hi[slot];
      const l = this.lo[slot];
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
    }
  }

  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength;
  }

  /** Stores a pair; false when it was there already. */
  private place(his: Int32Array, los: Int32Array, hi: number, lo: number): boolean {
    const mask = his.length - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const h = his[slot];
      const l = los[slot];
      if (h === 0 && l === 0) {
        his[slot] = hi;
        los[slot] = lo;
        return true;
      }
      if (h === hi && l === lo) return false;
    }
  }

  private grow(): void {
    const his = new Int32Array(this.hi.length * 2);
    const los = new Int32Array(this.lo.length * 2);
    for (let slot = 0; slot < this.hi.length; slot++) {
      if (this.hi[slot] !== 0 || this.lo[slot] !== 0)
        this.place(his, los, this.hi[slot], this.lo[slot]);
    }
    this.hi = his;
    this.lo = los;
  }
}

/** Removed series IDs by removal period, oldest first. */
export class RemovedIds {
  private readonly periodMs: number;
  private sets: HashSet64[] = [];
  // The last hash, split in halves (set by hash()).
  private hi = 0;
  private lo = 0;

  /** `periodMs`: length of each set's removal period (the index block size). */
  constructor(periodMs: number) {
    if (!(periodMs > 0))
      throw new RangeError(`removed-ID period must be positive, got ${periodMs} ms`);
    this.periodMs = periodMs;
  }

  /** Remembers that the series `id` was removed at `nowMs`. */
  add(id: string, nowMs: number): void {
    const startMs = Math.floor(nowMs / this.periodMs) * this.periodMs;
    let set = this.sets.length > 0 ? this.sets[this.sets.length - 1] : undefined;
    // A clock moved backwards adds to the newest set: it is dropped last, so that errs long.
    if (set === undefined || set.startMs < startMs) {
      set = new HashSet64(startMs);
      this.sets.push(set);
    }
    this.hash(id);
    set.add(this.hi, this.lo);
  }

  /** Whether `id` may have been removed within the horizon (true for a rare collision too). */
  has(id: string): boolean {
    if (this.sets.length === 0) return false;
    this.hash(id);
    for (const set of this.sets) if (set.has(this.hi, this.lo)) return true;
    return false;
  }

  /** Drops the sets of periods that ended at or before `horizonMs`. */
  pruneBefore(horizonMs: number): void {
    let keep = 0;
    while (keep < this.sets.length && this.sets[keep].startMs + this.periodMs <= horizonMs) keep++;
    if (keep > 0) this.sets = this.sets.slice(keep);
  }

  /** IDs held (counting each period's separately). */
  get size(): number {
    let n = 0;
    for (const set of this.sets) n += set.count;
    return n;
  }

  get bytes(): number {
    let n = 0;
    for (const set of this.sets) n += set.bytes;
    return n;
  }

  /**
   * Two independent 32-bit FNV-1a hashes over the UTF-16 code units, with
   * different offsets, as one 64-bit hash; 0/0 is moved off the empty mark.
   */
  private hash(id: string): void {
    let a = 0x811c9dc5;
    let b = 0x6b43a9b5;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    a ^= a >>> 16;
    a = Math.imul(a, 0x85ebca6b);
    a ^= a >>> 13;
    this.hi = a === 0 && b === 0 ? 1 : a;
    this.lo = b;
  }
}
