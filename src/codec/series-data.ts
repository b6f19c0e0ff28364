// What a volume holds for one series and a block: an M3TSZ stream (M3's
// fileset format, and every buffer), or a packed block of m3ts's own format
// (docs/format/packed.md). Readers and merges take either.

/** One series' points in the packed encoding: self-contained, before any entropy stage. */
export interface PackedBlock {
  readonly kind: "packed";
  readonly bytes: Uint8Array;
}

/** A series' data for a block: an M3TSZ stream or a packed block. */
export type SeriesData = Uint8Array | PackedBlock;

export function isPacked(data: SeriesData): data is PackedBlock {
  return !(data instanceof Uint8Array);
}

export function packedBlock(bytes: Uint8Array): PackedBlock {
  return { kind: "packed", bytes };
}

/** Bytes the data takes (for caches that account by size). */
export function seriesDataBytes(data: SeriesData): number {
  return data instanceof Uint8Array ? data.length : data.bytes.length;
}
