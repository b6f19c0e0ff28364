// One face over the two formats of flushed data volumes: M3's seven files of
// M3TSZ streams (one block per volume, writer.ts, reader.ts) and m3ts's own
// compressed single file (a block or, after compaction, several adjacent
// blocks: packed-volume*.ts). The storage engine writes, lists, serves and
// removes volumes through this face only, so it never asks which format a
// volume is except to choose what to write.

import { join } from "node:path";
import type { SeriesData } from "../../codec/index.js";
import { isPacked } from "../../codec/index.js";
import type { FileSystem } from "../../x/index.js";
import { InvalidVolumeInputError } from "./errors.js";
import { listVolumes, removeIncompleteVolumes, removeVolume, syncVolumeDirs } from "./files.js";
import type { FileHandlePool } from "./handle-pool.js";
import {
  listPackedVolumes,
  removePackedTempFiles,
  removePackedVolume,
} from "./packed-volume-files.js";
import { openPackedVolume } from "./packed-volume-reader.js";
import { writePackedVolume } from "./packed-volume-writer.js";
import { openVolume } from "./reader.js";
import { syncDir, writeVolume } from "./writer.js";

export type DataVolumeFormat = "m3" | "m3ts";

/** Names one data volume: its namespace, shard, the span [startMs, endMs) it covers, number and format. */
export interface DataVolumeId {
  readonly namespace: string;
  readonly shard: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly volume: number;
  readonly format: DataVolumeFormat;
}

/** One series of a volume. */
export interface DataEntry {
  id: Uint8Array;
  encodedTags: Uint8Array;
  data: SeriesData;
}

/** An open, verified data volume of either format. */
export interface DataVolume {
  readonly id: DataVolumeId;
  /** One series' data, or null when the volume does not hold it. */
  read(id: Uint8Array): Promise<SeriesData | null>;
  /** Every series in ID order, with its data. */
  entries(): AsyncIterable<DataEntry>;
  /** Every series' ID and tags in ID order, without reading data. */
  series(): AsyncIterable<{ id: Uint8Array; encodedTags: Uint8Array }>;
  close(): Promise<void>;
}

/** A data volume found on disk; `complete` ones may be opened. */
export interface ListedDataVolume extends DataVolumeId {
  readonly complete: boolean;
}

/** A span's label in messages: `ns/shard [start, end) volume v (format)`. */
export function dataVolumeLabel(id: DataVolumeId): string {
  return `${id.namespace}/${id.shard} [${id.startMs}, ${id.endMs}) volume ${id.volume} (${id.format})`;
}

/** M3-format volumes cover exactly one block of the namespace's block size. */
function m3BlockId(id: DataVolumeId) {
  return {
    namespace: id.namespace,
    shard: id.shard,
    blockStartMs: id.startMs,
    volume: id.volume,
  };
}

function packedId(id: DataVolumeId) {
  return {
    namespace: id.namespace,
    shard: id.shard,
    startMs: id.startMs,
    endMs: id.endMs,
    volume: id.volume,
  };
}

/**
 * Every data volume under root, both formats, sorted by namespace, shard,
 * start and volume. An M3-format volume's span is one block of the size
 * `blockSizeOf` gives for its namespace (a namespace it does not know gets
 * an empty span: such volumes are only ever removed).
 */
export async function listDataVolumes(
  root: string,
  fs: FileSystem,
  blockSizeOf: (namespace: string) => number | undefined,
): Promise<ListedDataVolume[]> {
  const out: ListedDataVolume[] = [];
  for (const v of await listVolumes(root, "data", undefined, undefined, fs)) {
    const size = blockSizeOf(v.namespace) ?? 0;
    out.push({
      namespace: v.namespace,
      shard: v.shard,
      startMs: v.blockStartMs,
      endMs: v.blockStartMs + size,
      volume: v.volume,
      format: "m3",
      complete: v.complete,
    });
  }
  for (const v of await listPackedVolumes(root, undefined, undefined, fs)) {
    out.push({
      namespace: v.namespace,
      shard: v.shard,
      startMs: v.startMs,
      endMs: v.endMs,
      volume: v.volume,
      format: "m3ts",
      complete: v.complete,
    });
  }
  return out.sort(
    (a, b) =>
      (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0) ||
      a.shard - b.shard ||
      a.startMs - b.startMs ||
      a.volume - b.volume,
  );
}

/** Opens a complete volume, verifying it (every file's checksums for M3's format; header and sections for m3ts's). */
export async function openDataVolume(
  root: string,
  id: DataVolumeId,
  from: FileHandlePool | FileSystem,
): Promise<DataVolume> {
  const vid: DataVolumeId = { ...id };
  if (id.format === "m3ts") {
    const reader = await openPackedVolume(root, packedId(id), from);
    return {
      id: vid,
      read: (series) => reader.read(series),
      entries: () => reader.entries(),
      series: () => reader.series(),
      close: () => reader.close(),
    };
  }
  const reader = await openVolume(root, "data", m3BlockId(id), from);
  return {
    id: vid,
    read: (series) => reader.read(series),
    async *entries() {
      for await (const e of reader.entries()) {
        yield { id: e.id, encodedTags: e.encodedTags, data: e.stream };
      }
    },
    series: () => reader.series(),
    close: () => reader.close(),
  };
}

/**
 * Writes a complete volume in its id's format. M3's format holds one block
 * of M3TSZ streams: a packed entry or a longer span is an
 * InvalidVolumeInputError.
 */
export async function writeDataVolume(
  root: string,
  id: DataVolumeId,
  blockSizeMs: number,
  entries: AsyncIterable<DataEntry>,
  fs: FileSystem,
  /** The entries come in ID order: an m3ts-format write then streams them in bounded memory. */
  inIdOrder = false,
): Promise<void> {
  if (id.format === "m3ts") {
    await writePackedVolume(root, packedId(id), blockSizeMs, entries, { fs, inIdOrder });
    return;
  }
  if (id.endMs - id.startMs !== blockSizeMs) {
    throw new InvalidVolumeInputError(
      "endMs",
      `${id.endMs}: an M3-format volume covers one block of ${blockSizeMs} ms from ${id.startMs}`,
    );
  }
  async function* streams() {
    for await (const e of entries) {
      if (isPacked(e.data)) {
        throw new InvalidVolumeInputError(
          "data",
          "an M3-format volume holds M3TSZ streams, not packed blocks",
        );
      }
      yield { id: e.id, encodedTags: e.encodedTags, stream: e.data };
    }
  }
  await writeVolume(root, "data", m3BlockId(id), blockSizeMs, streams(), { fs });
}

/** Deletes a volume's files (M3's format: checkpoint first). */
export async function removeDataVolume(
  root: string,
  id: DataVolumeId,
  fs: FileSystem,
): Promise<void> {
  if (id.format === "m3ts") await removePackedVolume(root, packedId(id), fs);
  else await removeVolume(root, "data", m3BlockId(id), fs);
}

/** Deletes what crashed writes left: incomplete M3-format volumes and temp files of both formats. */
export async function removeIncompleteDataVolumes(root: string, fs: FileSystem): Promise<string[]> {
  const removed = await removeIncompleteVolumes(root, "data", fs);
  removed.push(...(await removePackedTempFiles(root, fs)));
  return removed;
}

/** fsyncs the directories holding these volumes, so what is read now survives a crash. */
export async function syncDataVolumeDirs(
  root: string,
  ids: readonly DataVolumeId[],
  fs: FileSystem,
): Promise<void> {
  await syncVolumeDirs(root, "data", ids.filter((v) => v.format === "m3").map(m3BlockId), fs);
  // m3ts-format volumes sit directly in their namespace's directory.
  const dirs = new Set(ids.filter((v) => v.format === "m3ts").map((v) => v.namespace));
  for (const ns of dirs) await syncDir(fs, join(root, "data", ns));
}
