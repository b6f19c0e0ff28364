// The bloom filter of a volume's series IDs: sized as M3's (m3db/bloom), but
// hashed with two murmur3_32 values (seeds 0 and 1) and double hashing where
// M3 uses murmur3 x64_128 (docs/format/fileset.md, "bloomfilter").
import { murmur3_32 } from "../../x/index.js";

/** Bits (m) and hash count (k) for n entries at false-positive rate p, as M3 sizes them. */
export function bloomParams(n: number, p: number): { m: number; k: number } {
  const entries = Math.max(1, n);
  const m = Math.ceil((-entries * Math.log(p)) / (Math.LN2 * Math.LN2));
  const k = Math.ceil((m / entries) * Math.LN2);
  return { m, k };
}

/** Bytes of the bit set of an m-bit filter. */
export function bloomBytes(m: number): number {
  return Math.ceil(m / 8);
}

/** A bit set of m bits probed at k places per ID; bit b is bit (b & 7) of byte b >> 3. */
export class BloomFilter {
  readonly m: number;
  readonly k: number;
  readonly bits: Uint8Array;

  constructor(m: number, k: number, bits: Uint8Array = new Uint8Array(bloomBytes(m))) {
    this.m = m;
    this.k = k;
    this.bits = bits;
  }

  add(id: Uint8Array): void {
    const h1 = murmur3_32(id, 0);
    const h2 = murmur3_32(id, 1);
    const m = this.m;
    // h1 + i * h2 stays below 2^53 for any k we size (k < 2^21), so the modulo is exact.
    for (let i = 0; i < this.k; i++) {
      const b = (h1 + i * h2) % m;
      this.bits[b >>> 3] |= 1 << (b & 7);
    }
  }

  /** False: the ID is certainly absent. True: it may be present. */
  mayContain(id: Uint8Array): boolean {
    const h1 = murmur3_32(id, 0);
    const h2 = murmur3_32(id, 1);
    const m = this.m;
    for (let i = 0; i < this.k; i++) {
      const b = (h1 + i * h2) % m;
      if ((this.bits[b >>> 3] & (1 << (b & 7))) === 0) return false;
    }
    return true;
  }
}
