// MurmurHash3 x86_32: the hash M3 shards series IDs with (M3's
// src/dbnode/sharding/shardset.go uses github.com/m3db/stackmurmur3/v2
// SeedSum32, the standard algorithm).

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3 x86_32 of `bytes` with `seed` (uint32), as an unsigned 32-bit number. */
export function murmur3_32(bytes: Uint8Array, seed = 0): number {
  const length = bytes.length;
  const blocksEnd = length & ~3;
  let h = seed | 0;

  // Body: little-endian 4-byte blocks.
  for (let i = 0; i < blocksEnd; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }

  // Tail: the last 1-3 bytes, mixed without the h rotation.
  const tail = length & 3;
  if (tail !== 0) {
    let k = bytes[blocksEnd];
    if (tail > 1) k |= bytes[blocksEnd + 1] << 8;
    if (tail > 2) k |= bytes[blocksEnd + 2] << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }

  // Finalisation: fold in the length (mod 2^32, as Go's uint32(len)), then fmix32.
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
