// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of
// Prometheus's streamed remote read frames and of m3ts's own files.

const POLY = 0x82f63b78;

// Slicing-by-8: table k (at k * 256) gives a byte's contribution to the CRC
// when k more bytes follow it, so the main loop folds eight bytes per step
// with eight independent lookups instead of eight dependent ones.
const TABLE = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 8; k++) {
    const prev = TABLE[(k - 1) * 256 + n];
    TABLE[k * 256 + n] = (prev >>> 8) ^ TABLE[prev & 0xff];
  }
}

/** CRC-32C of bytes[start, end), as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (!(start >= 0 && start <= end && end <= bytes.length)) {
    throw new RangeError(`crc32c: range [${start}, ${end}) is outside 0..${bytes.length}`);
  }
  const t = TABLE;
  let crc = -1;
  let i = start;
  for (const stop = end - 8; i <= stop; i += 8) {
    // The first four bytes meet the CRC (little-endian, as the CRC is reflected).
    const a = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc =
      t[1792 + (a & 0xff)] ^
      t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^
      t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
