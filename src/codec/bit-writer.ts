// An append-only bit stream over a growable byte array, most significant bit
// first, as M3's ostream writes it (src/dbnode/encoding/ostream.go). Bits
// gather in a 32-bit register and reach the byte array four bytes at a time,
// so writing a datapoint costs a few integer operations and no allocation.

// Small: storage keeps an encoder per active series, and doubling is cheap.
const INITIAL_CAPACITY_BYTES = 32;

/** Writes bits MSB-first; values wider than 32 bits are written as two halves. */
export class BitWriter {
  /** Flushed bytes; only the first `byteLength` are meaningful. */
  buffer: Uint8Array;
  /** Number of whole bytes flushed into `buffer`. */
  byteLength: number;
  /** Pending bits, right-aligned: the low `pendingBits` bits of this number. */
  private pending: number;
  private pendingBits: number;

  constructor(capacityBytes = INITIAL_CAPACITY_BYTES) {
    this.buffer = new Uint8Array(Math.max(8, capacityBytes));
    this.byteLength = 0;
    this.pending = 0;
    this.pendingBits = 0;
  }

  /** Forgets everything written, keeping the buffer for reuse. */
  reset(): void {
    this.byteLength = 0;
    this.pending = 0;
    this.pendingBits = 0;
  }

  /** Total number of bits written. */
  get bitLength(): number {
    return this.byteLength * 8 + this.pendingBits;
  }

  /** Writes the low `n` bits of `value`, 0 <= n <= 32. */
  writeBits(value: number, n: number): void {
    const room = 32 - this.pendingBits;
    if (n < room) {
      // n < 32 here, so the shift and mask are well defined.
      this.pending = (this.pending << n) | (value & ((1 << n) - 1));
      this.pendingBits += n;
      return;
    }
    // Fill the register to 32 bits, flush it, keep the rest of `value`.
    const rest = n - room;
    const head =
      room === 32 ? value : (this.pending << room) | ((value >>> rest) & ((1 << room) - 1));
    this.flushWord(head);
    this.pending = rest === 0 ? 0 : value & ((1 << rest) - 1);
    this.pendingBits = rest;
  }

  /** Writes a single bit (0 or 1). */
  writeBit(bit: number): void {
    this.pending = (this.pending << 1) | (bit & 1);
    if (++this.pendingBits === 32) {
      this.flushWord(this.pending);
      this.pending = 0;
      this.pendingBits = 0;
    }
  }

  /** Writes the low `n` bits (0 <= n <= 64) of the 64-bit value hi:lo. */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n <= 32) {
      this.writeBits(lo, n);
    } else {
      this.writeBits(hi, n - 32);
      this.writeBits(lo, 32);
    }
  }

  /** Writes whole bytes at the current (possibly unaligned) bit position. */
  writeBytes(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.writeBits(bytes[i], 8);
  }

  /**
   * Copies the stream into `dst` at `offset`, zero-padding the last byte, and
   * returns the number of bytes written. `dst` must have room for
   * `bytesNeeded()` bytes.
   */
  copyTo(dst: Uint8Array, offset: number): number {
    return this.copyToWithTail(dst, offset, 0, 0);
  }

  /**
   * Like copyTo, but as if the low `tailBits` (<= 24) bits of `tail` had been
   * written first; the writer itself does not change. Streams use it to close
   * a copy with an end marker while the writer goes on appending.
   */
  copyToWithTail(dst: Uint8Array, offset: number, tail: number, tailBits: number): number {
    dst.set(this.buffer.subarray(0, this.byteLength), offset);
    let at = offset + this.byteLength;
    let acc = this.pending;
    let bits = this.pendingBits;
    // Emit whole bytes of the pending bits first so that the tail fits in 32 bits.
    while (bits >= 8) {
      bits -= 8;
      dst[at++] = (acc >>> bits) & 0xff;
    }
    acc = ((acc & ((1 << bits) - 1)) << tailBits) | (tail & ((1 << tailBits) - 1));
    bits += tailBits;
    while (bits >= 8) {
      bits -= 8;
      dst[at++] = (acc >>> bits) & 0xff;
    }
    if (bits > 0) dst[at++] = (acc << (8 - bits)) & 0xff;
    return at - offset;
  }

  /** Bytes needed to hold the stream with its last byte zero-padded. */
  bytesNeeded(): number {
    return this.byteLength + ((this.pendingBits + 7) >>> 3);
  }

  private flushWord(word: number): void {
    if (this.byteLength + 4 > this.buffer.length) this.grow(this.byteLength + 4);
    const b = this.buffer;
    const at = this.byteLength;
    b[at] = word >>> 24;
    b[at + 1] = (word >>> 16) & 0xff;
    b[at + 2] = (word >>> 8) & 0xff;
    b[at + 3] = word & 0xff;
    this.byteLength = at + 4;
  }

  private grow(minBytes: number): void {
    const next = new Uint8Array(Math.max(minBytes, this.buffer.length * 2));
    next.set(this.buffer.subarray(0, this.byteLength));
    this.buffer = next;
  }
}
