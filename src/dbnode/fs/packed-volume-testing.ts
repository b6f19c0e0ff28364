// Helpers shared by the m3ts-format volume tests: ids, entries with both
// kinds of data and IDs that the tags do or do not give. Not part of the
// module's public face.
import { isPacked, packedBlock, type SeriesData } from "../../codec/index.js";
import { encodeTags, seededRandom, seriesIdOfEncodedTags } from "../../x/index.js";
import type { PackedVolumeId } from "./packed-volume-format.js";
import type { PackedVolumeEntry } from "./packed-volume-writer.js";

export const PV_BLOCK_SIZE_MS = 7_200_000;
export const PV_START_MS = 1_699_999_200_000;

export function packedId(over: Partial<PackedVolumeId> = {}): PackedVolumeId {
  return {
    namespace: "default",
    shard: 3,
    startMs: PV_START_MS,
    endMs: PV_START_MS + PV_BLOCK_SIZE_MS,
    volume: 0,
    ...over,
  };
}

/** The bytes of either kind of data. */
export function bytesOf(data: SeriesData): Uint8Array {
  return isPacked(data) ? data.bytes : data;
}

/** "m3tsz" or "packed". */
export function kindOf(data: SeriesData): string {
  return isPacked(data) ? "packed" : "m3tsz";
}

export interface EntryShape {
  /** Bytes of data; 0 makes an entry the writer skips. */
  size: number;
  packed: boolean;
  /** When true the ID is not the one the tags give. */
  foreignId: boolean;
}

/** Entries of these shapes with seeded content, each with its own tags. */
export function makePackedEntries(
  shapes: readonly EntryShape[],
  seed: number,
): PackedVolumeEntry[] {
  const rand = seededRandom(seed);
  return shapes.map((shape, i) => {
    const tags = encodeTags([
      ["__name__", `metric_${i % 7}`],
      ["instance", `host-${Math.floor(rand() * 50)}:9100`],
      ["series", String(i)],
    ]);
    const id = shape.foreignId
      ? new TextEncoder().encode(`foreign-${seed}-${i}`)
      : seriesIdOfEncodedTags(tags);
    const bytes = new Uint8Array(shape.size);
    // Runs of repeated bytes with noise, so zstd has something to find but not everything.
    for (let j = 0; j < bytes.length; j++) {
      bytes[j] = rand() < 0.3 ? Math.floor(rand() * 256) : (i + (j >> 3)) & 0xff;
    }
    const data: SeriesData = shape.packed ? packedBlock(bytes) : bytes;
    return { id, encodedTags: tags, data };
  });
}

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function compareIds(a: { id: Uint8Array }, b: { id: Uint8Array }): number {
  return Buffer.compare(a.id, b.id);
}
