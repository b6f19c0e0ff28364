// Reads a bit stream MSB-first from a byte array (M3-NOTES §1.1). Bits are
// taken from a 32-bit register refilled four bytes at a time. Reading past the
// end throws the shared END_OF_BITS signal, which decoders turn into a typed
// error naming the position; it is never seen outside the codec.

/** Thrown by BitReader when a read needs more bits than the stream has. */
export class EndOfBitsSignal extends Error {}

/** The single instance thrown, so running off the end allocates nothing. */
export const END_OF_BITS = new EndOfBitsSignal("read past the end of the bit stream");

/** Reads bits MSB-first; values wider than 32 bits are read as two halves. */
export class BitReader {
  private bytes: Uint8Array;
  private end: number;
  /** Index of the next byte not yet loaded into `cache`. */
  private next: number;
  /** Unread bits, right-aligned: the low `cacheBits` bits of this number. */
  private cache: number;
  private cacheBits: number;

  constructor(bytes: Uint8Array = new Uint8Array(0)) {
    this.bytes = bytes;
    this.end = bytes.length;
    this.next = 0;
    this.cache = 0;
    this.cacheBits = 0;
  }

  /** Starts reading `bytes` from its first bit. */
  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.end = bytes.length;
    this.next = 0;
    this.cache = 0;
    this.cacheBits = 0;
  }

  /** Number of bits read so far. */
  get bitOffset(): number {
    return this.next * 8 - this.cacheBits;
  }

  /** Number of bits left to read. */
  get bitsLeft(): number {
    return (this.end - this.next) * 8 + this.cacheBits;
  }

  /** Reads one bit. */
  readBit(): number {
    if (this.cacheBits === 0) this.refill();
    this.cacheBits--;
    return (this.cache >>> this.cacheBits) & 1;
  }

  /** Reads `n` bits, 0 <= n <= 32, as an unsigned number. */
  readBits(n: number): number {
    if (n <= this.cacheBits) {
      this.cacheBits -= n;
      // n may be 32 only when cacheBits was 32; the shift by 32 - n keeps the top n bits.
      return n === 0 ? 0 : ((this.cache >>> this.cacheBits) << (32 - n)) >>> (32 - n);
    }
    // Take what the register holds, then the rest from the next word.
    const have = this.cacheBits;
    const head = have === 0 ? 0 : this.cache & ((1 << have) - 1);
    const need = n - have;
    this.refill();
    if (this.cacheBits < need) throw END_OF_BITS;
    this.cacheBits -= need;
    const tail = ((this.cache >>> this.cacheBits) << (32 - need)) >>> (32 - need);
    // need >= 1 here; head << need keeps n <= 32 bits in total.
    return ((head << need) | tail) >>> 0;
  }

  /**
   * Returns the next `n` bits (n <= 32) without consuming them, or -1 when
   * fewer than `n` bits are left.
   */
  peekBits(n: number): number {
    if (n <= this.cacheBits) {
      return ((this.cache >>> (this.cacheBits - n)) << (32 - n)) >>> (32 - n);
    }
    if (this.bitsLeft < n) return -1;
    // Assemble from the register and the bytes after it, without moving.
    let value = this.cacheBits === 0 ? 0 : this.cache & ((1 << this.cacheBits) - 1);
    let bits = this.cacheBits;
    let at = this.next;
    while (bits + 8 <= n) {
      value = (value << 8) | this.bytes[at++];
      bits += 8;
    }
    if (bits < n) {
      const take = n - bits;
      value = (value << take) | (this.bytes[at] >>> (8 - take));
    }
    return value >>> 0;
  }

  /** Skips `n` bits that a peek has shown to be there. */
  skipBits(n: number): void {
    while (n > 32) {
      this.readBits(32);
      n -= 32;
    }
    this.readBits(n);
  }

  /** Replaces the register with the next (up to four) bytes; its old bits must be taken. */
  private refill(): void {
    const b = this.bytes;
    const at = this.next;
    const left = this.end - at;
    if (left >= 4) {
      this.cache = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
      this.cacheBits = 32;
      this.next = at + 4;
      return;
    }
    if (left <= 0) throw END_OF_BITS;
    let word = 0;
    for (let i = 0; i < left; i++) word = (word << 8) | b[at + i];
    this.cache = word >>> 0;
    this.cacheBits = left * 8;
    this.next = this.end;
  }
}
