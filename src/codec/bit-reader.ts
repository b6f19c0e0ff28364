// Reads a bit stream MSB-first from a byte array, as M3's istream reads it
// (src/dbnode/encoding/istream.go). The next unread bits sit left-aligned in a
// 32-bit register that is topped up a byte at a time to at least 25 bits, so a
// decoder can peek at a whole opcode and its payload with one shift. Reading
// past the end throws the shared END_OF_BITS signal, which decoders turn into a
// typed error naming the position; it is never seen outside the codec.

/** Thrown by BitReader when a read needs more bits than the stream has. */
export class EndOfBitsSignal extends Error {}

/** The single instance thrown, so running off the end allocates nothing. */
export const END_OF_BITS = new EndOfBitsSignal("read past the end of the bit stream");

/** The most bits fill() guarantees in the register while the stream lasts. */
export const FILL_BITS = 25;

/** Reads bits MSB-first; values wider than 32 bits are read as two halves. */
export class BitReader {
  private bytes: Uint8Array;
  private end: number;
  /** Index of the next byte not yet loaded into `cache`. */
  private next: number;
  /** Unread bits, left-aligned: the top `cacheBits` bits; the rest are zero. */
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

  /** Tops the register up to at least FILL_BITS bits (fewer at the end); returns how many it holds. */
  fill(): number {
    let bits = this.cacheBits;
    if (bits < FILL_BITS) {
      let cache = this.cache;
      let at = this.next;
      const end = this.end;
      const b = this.bytes;
      while (bits < FILL_BITS && at < end) {
        cache |= b[at++] << (24 - bits);
        bits += 8;
      }
      this.cache = cache;
      this.cacheBits = bits;
      this.next = at;
    }
    return bits;
  }

  /** The next `n` bits (1 <= n <= cached bits) without consuming; call fill() first. */
  peekCached(n: number): number {
    return this.cache >>> (32 - n);
  }

  /** Consumes `n` bits (0 <= n < 32, n <= cached bits) already seen by peekCached. */
  consumeCached(n: number): void {
    this.cache <<= n;
    this.cacheBits -= n;
  }

  /** Reads one bit. */
  readBit(): number {
    if (this.cacheBits === 0 && this.fill() === 0) throw END_OF_BITS;
    const bit = this.cache >>> 31;
    this.cache <<= 1;
    this.cacheBits--;
    return bit;
  }

  /** Reads `n` bits, 0 <= n <= 32, as an unsigned number. */
  readBits(n: number): number {
    if (n > this.cacheBits) this.fill();
    if (n <= this.cacheBits && n > 0) {
      const v = this.cache >>> (32 - n);
      // Two shifts so that n = 32 empties the register (a single << 32 would not).
      this.cache = (this.cache << (n - 1)) << 1;
      this.cacheBits -= n;
      return v;
    }
    return this.readBitsSlow(n);
  }

  /** A read that the register cannot serve after a fill: n = 0, n > FILL_BITS, or the end. */
  private readBitsSlow(n: number): number {
    if (n === 0) return 0;
    const have = this.cacheBits;
    if (n <= FILL_BITS || this.bitsLeft < n) throw END_OF_BITS;
    // have >= FILL_BITS here, so the rest is at most 7 bits.
    const head = this.cache >>> (32 - have);
    this.cache = 0;
    this.cacheBits = 0;
    this.fill();
    const rest = n - have;
    const tail = this.cache >>> (32 - rest);
    this.cache <<= rest;
    this.cacheBits -= rest;
    return head * (1 << rest) + tail;
  }

  /**
   * Returns the next `n` bits (n <= 32) without consuming them, or -1 when
   * fewer than `n` bits are left.
   */
  peekBits(n: number): number {
    if (n === 0) return 0;
    if (n > this.cacheBits) this.fill();
    if (n <= this.cacheBits) return this.cache >>> (32 - n);
    if (this.bitsLeft < n) return -1;
    // Wider than the register holds: assemble from the bytes after it.
    let value = this.cache >>> (32 - this.cacheBits);
    let bits = this.cacheBits;
    let at = this.next;
    while (bits + 8 <= n) {
      value = value * 256 + this.bytes[at++];
      bits += 8;
    }
    if (bits < n) {
      const take = n - bits;
      value = value * 2 ** take + (this.bytes[at] >>> (8 - take));
    }
    return value;
  }

  /** Skips `n` bits. */
  skipBits(n: number): void {
    while (n > 16) {
      this.readBits(16);
      n -= 16;
    }
    this.readBits(n);
  }
}
