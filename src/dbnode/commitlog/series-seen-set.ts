// The per-file set of series indexes whose metadata the file already holds
// (as M3's src/dbnode/persist/fs/commitlog/writer.go tracks them): a bitmap
// for dense indexes, a Set for the rare huge ones.

/** Index bits kept in the dense bitmap (16 MiB at most); larger indexes go to a Set. */
const BITMAP_MAX_BITS = 1 << 27;
const BITMAP_INITIAL_BYTES = 8192;

/** Series indexes (0..2^53-1) seen in the current file. */
export class SeriesSeenSet {
  private bits: Uint8Array;
  /** Highest byte of `bits` with a bit set, so clearing touches only what was used. */
  private highByte: number;
  private readonly sparse: Set<number>;

  constructor() {
    this.bits = new Uint8Array(BITMAP_INITIAL_BYTES);
    this.highByte = -1;
    this.sparse = new Set();
  }

  has(i: number): boolean {
    if (i < this.bits.length * 8) return (this.bits[i >>> 3] & (1 << (i & 7))) !== 0;
    if (i < BITMAP_MAX_BITS) return false;
    return this.sparse.has(i);
  }

  add(i: number): void {
    if (i >= BITMAP_MAX_BITS) {
      this.sparse.add(i);
      return;
    }
    const byte = i >>> 3;
    if (byte >= this.bits.length) {
      let size = this.bits.length * 2;
      while (size <= byte) size *= 2;
      const next = new Uint8Array(Math.min(size, BITMAP_MAX_BITS / 8));
      next.set(this.bits);
      this.bits = next;
    }
    this.bits[byte] |= 1 << (i & 7);
    if (byte > this.highByte) this.highByte = byte;
  }

  /** Forgets every index, keeping the bitmap's memory. */
  clear(): void {
    this.bits.fill(0, 0, this.highByte + 1);
    this.highByte = -1;
    this.sparse.clear();
  }
}
