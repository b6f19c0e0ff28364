// What names an index volume of either format, where its files live, and the
// errors about one (index-volume.ts reads and writes them).
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { M3tsError } from "../../x/index.js";

export const INDEX_VOLUME_FORMATS = ["m3", "m3ts"] as const;
export type IndexVolumeFormat = (typeof INDEX_VOLUME_FORMATS)[number];

export interface IndexVolumeId {
  namespace: string;
  blockStartMs: number;
  volume: number;
}

/**
 * A volume and what the caller may know of where it is: its format and, for
 * the m3ts format, the end of its span (both as listIndexVolumes gives them).
 * Without them the directory is searched.
 */
export interface IndexVolumeRef extends IndexVolumeId {
  format?: IndexVolumeFormat;
  endMs?: number;
}

export interface IndexVolumeInfo extends IndexVolumeId {
  /** The namespace's index block size when the volume was written. */
  blockSizeMs: number;
  /** Documents (series) in the segment. */
  docs: number;
  /** Length of the segment, uncompressed. */
  segmentBytes: number;
  /**
   * End of the span the volume covers, exclusive: blockStartMs + blockSizeMs
   * when absent. Only the m3ts format holds a span of several blocks (a
   * compaction's); read always sets it.
   */
  endMs?: number;
}

/** A volume as read: its info with the end of its span known. */
export type ReadIndexVolumeInfo = IndexVolumeInfo & { endMs: number };

/**
 * A volume found on disk: `paths` are all its files. An m3 volume is
 * `complete` when its checkpoint matches its digest; an m3ts one when its
 * file is there under its final name with an intact header and the length
 * that header records.
 */
export type ListedIndexVolume = IndexVolumeId & { complete: boolean; paths: string[] } & (
    | { format: "m3" }
    | { format: "m3ts"; endMs: number }
  );

export interface WriteIndexVolumeOptions {
  /** "m3" (four files, M3's layout) unless set. */
  format?: IndexVolumeFormat;
  /** zstd level of the m3ts format's segment; DEFAULT_INDEX_ZSTD_LEVEL unless set. */
  zstdLevel?: number;
}

export const INDEX_VOLUME_FILE_TYPES = ["info", "segment", "digest", "checkpoint"] as const;
export type IndexVolumeFileType = (typeof INDEX_VOLUME_FILE_TYPES)[number];

function label(id: IndexVolumeId): string {
  return `${id.namespace} block ${id.blockStartMs} volume ${id.volume}`;
}

/**
 * An index volume failed a check: the volume is not loaded. `file` is the
 * m3 format's file at fault, or the section ("header", "segment") of the
 * m3ts format's one file, whose name `fileName` then holds.
 */
export class IndexVolumeCorruptError extends M3tsError {
  readonly volume: IndexVolumeId;
  readonly format: IndexVolumeFormat;
  readonly file: IndexVolumeFileType | "header";
  readonly fileName: string | null;
  readonly reason: string;

  constructor(
    volume: IndexVolumeId,
    file: IndexVolumeFileType | "header",
    reason: string,
    m3tsFile: string | null = null,
  ) {
    const where = m3tsFile === null ? `${file} file` : `${m3tsFile} ${file}`;
    super(
      "M3TS_ERR_INDEX_VOLUME_CORRUPT",
      `index volume ${label(volume)} is corrupt: ${where}: ${reason}`,
    );
    this.volume = {
      namespace: volume.namespace,
      blockStartMs: volume.blockStartMs,
      volume: volume.volume,
    };
    this.format = m3tsFile === null ? "m3" : "m3ts";
    this.file = file;
    this.fileName = m3tsFile;
    this.reason = reason;
  }
}

/** The volume has no checkpoint (m3) or no file (m3ts): it was never completed, or was removed. */
export class IndexVolumeMissingError extends M3tsError {
  readonly volume: IndexVolumeId;
  /** The checkpoint file, or the m3ts volume file, that is not there. */
  readonly path: string;

  constructor(volume: IndexVolumeId, path: string) {
    const what = path.endsWith(".m3ts") ? "volume" : "checkpoint";
    super(
      "M3TS_ERR_INDEX_VOLUME_MISSING",
      `index volume ${label(volume)} is not complete: no ${what} file at ${path}`,
    );
    this.volume = {
      namespace: volume.namespace,
      blockStartMs: volume.blockStartMs,
      volume: volume.volume,
    };
    this.path = path;
  }
}

/** `<root>/index/data/<namespace>`, as M3 lays out index filesets. */
export function indexVolumeDir(root: string, namespace: string): string {
  return join(root, "index", "data", namespace);
}

/** Path of one file of an index volume. */
export function indexVolumePath(
  root: string,
  id: IndexVolumeId,
  type: IndexVolumeFileType,
): string {
  return join(
    indexVolumeDir(root, id.namespace),
    `fileset-${id.blockStartMs}-${id.volume}-${type}.db`,
  );
}

/** `index-<startMs>-<endMs>-<volume>.m3ts`: an m3ts volume's one file. */
export function m3tsFileName(id: IndexVolumeId & { endMs: number }): string {
  return `index-${id.blockStartMs}-${id.endMs}-${id.volume}.m3ts`;
}

/** Path of an m3ts index volume's one file, covering [blockStartMs, endMs). */
export function indexVolumeM3tsPath(root: string, id: IndexVolumeId & { endMs: number }): string {
  return join(indexVolumeDir(root, id.namespace), m3tsFileName(id));
}

/**
 * The crc32 of the namespace's UTF-8 name. Neither format spells the
 * namespace out; this is enough to catch a volume copied or moved into
 * another namespace's directory while keeping the records a fixed size.
 */
export function namespaceCrc(namespace: string): number {
  return crc32(Buffer.from(namespace, "utf8"));
}

/** Only the fields that name the volume, whatever else `ref` carries. */
export function idOf(ref: IndexVolumeId): IndexVolumeId {
  return { namespace: ref.namespace, blockStartMs: ref.blockStartMs, volume: ref.volume };
}
