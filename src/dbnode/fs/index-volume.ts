// Index volumes: a namespace's sealed index block on disk (M3 writes its index
// filesets in src/dbnode/persist/fs/index_write.go), beside the data filesets.
// Four files per volume: `info` (what the volume is), `segment` (the sealed
// segment's bytes, opaque here: their format is docs/format/index-segment.md),
// `digest` (crc32 of info and segment) and `checkpoint` (crc32 of the digest),
// written last so that a volume is complete exactly when its checkpoint
// matches. Byte layout: docs/format/fileset.md, "Index volumes".
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { FileSystem } from "../../x/index.js";
import { M3tsError } from "../../x/index.js";
import { InvalidVolumeInputError } from "./errors.js";
import { listDir, readOrNull } from "./files.js";
import { CHECKPOINT_FILE_SIZE, getU32, putU32, TEMP_SUFFIX } from "./format.js";
import { checkVolumeId, io, syncDir, unlinkIfPresent, writeWholeFile } from "./writer.js";

export interface IndexVolumeId {
  namespace: string;
  blockStartMs: number;
  volume: number;
}

export interface IndexVolumeInfo extends IndexVolumeId {
  /** The namespace's index block size when the volume was written. */
  blockSizeMs: number;
  /** Documents (series) in the segment. */
  docs: number;
  /** Length of the segment file. */
  segmentBytes: number;
}

/** A volume found on disk: `complete` when its checkpoint matches its digest; `paths` are all its files. */
export type ListedIndexVolume = IndexVolumeId & { complete: boolean; paths: string[] };

export const INDEX_VOLUME_FILE_TYPES = ["info", "segment", "digest", "checkpoint"] as const;
export type IndexVolumeFileType = (typeof INDEX_VOLUME_FILE_TYPES)[number];

/** "M3TSIXVI" in ASCII. */
const INFO_MAGIC = Buffer.from("M3TSIXVI", "latin1");
export const INDEX_VOLUME_VERSION = 1;
export const INDEX_INFO_SIZE = 48;
export const INDEX_DIGEST_SIZE = 8;
const NAME_PATTERN = /^fileset-(-?\d+)-(\d+)-(info|segment|digest|checkpoint)\.db(\.tmp)?$/;

function label(id: IndexVolumeId): string {
  return `${id.namespace} block ${id.blockStartMs} volume ${id.volume}`;
}

/** An index volume's file failed a check: the volume is not loaded. */
export class IndexVolumeCorruptError extends M3tsError {
  readonly volume: IndexVolumeId;
  readonly file: IndexVolumeFileType;
  readonly reason: string;

  constructor(volume: IndexVolumeId, file: IndexVolumeFileType, reason: string) {
    super(
      "M3TS_ERR_INDEX_VOLUME_CORRUPT",
      `index volume ${label(volume)} is corrupt: ${file} file: ${reason}`,
    );
    this.volume = { ...volume };
    this.file = file;
    this.reason = reason;
  }
}

/** The volume has no checkpoint: it was never completed, or was removed. */
export class IndexVolumeMissingError extends M3tsError {
  readonly volume: IndexVolumeId;
  /** The checkpoint file that is not there. */
  readonly path: string;

  constructor(volume: IndexVolumeId, path: string) {
    super(
      "M3TS_ERR_INDEX_VOLUME_MISSING",
      `index volume ${label(volume)} is not complete: no checkpoint file at ${path}`,
    );
    this.volume = { ...volume };
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

function checkInfo(info: IndexVolumeInfo, segment: Uint8Array): void {
  const fail = (field: string, what: string) => {
    throw new InvalidVolumeInputError(field, what);
  };
  // Namespace, block start and volume follow the data filesets' rules; an
  // index volume has no shard, so any valid one stands in.
  checkVolumeId({ ...info, shard: 0 });
  if (info.volume > 0xffffffff) fail("volume", `${info.volume} must be at most 2^32 - 1`);
  if (!Number.isSafeInteger(info.blockSizeMs) || info.blockSizeMs <= 0) {
    fail("blockSizeMs", `${info.blockSizeMs} must be an integer > 0`);
  }
  if (!Number.isInteger(info.docs) || info.docs < 0 || info.docs > 0xffffffff) {
    fail("docs", `${info.docs} must be an integer from 0 to 2^32 - 1`);
  }
  if (info.segmentBytes !== segment.length) {
    fail("segmentBytes", `${info.segmentBytes} differs from the segment's ${segment.length} bytes`);
  }
}

/**
 * The info record does not spell the namespace out; it keeps the crc32 of
 * its UTF-8 bytes, enough to catch a volume copied or moved into another
 * namespace's directory while keeping the record a fixed 48 bytes.
 */
function namespaceCrc(namespace: string): number {
  return crc32(Buffer.from(namespace, "utf8"));
}

function encodeIndexInfo(info: IndexVolumeInfo): Uint8Array {
  const out = new Uint8Array(INDEX_INFO_SIZE);
  const dv = new DataView(out.buffer);
  out.set(INFO_MAGIC, 0);
  dv.setUint32(8, INDEX_VOLUME_VERSION, true);
  dv.setUint32(12, info.docs, true);
  dv.setFloat64(16, info.blockStartMs, true);
  dv.setFloat64(24, info.blockSizeMs, true);
  dv.setUint32(32, info.volume, true);
  dv.setUint32(36, namespaceCrc(info.namespace), true);
  dv.setFloat64(40, info.segmentBytes, true);
  return out;
}

/** The info record of `bytes`, checked against the volume its file is named for; a reason string if it fails. */
function decodeIndexInfo(bytes: Uint8Array, id: IndexVolumeId): IndexVolumeInfo | string {
  if (bytes.length !== INDEX_INFO_SIZE) return `${bytes.length} bytes, expected ${INDEX_INFO_SIZE}`;
  if (!INFO_MAGIC.equals(bytes.subarray(0, 8))) return "bad magic";
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== INDEX_VOLUME_VERSION) {
    return `format version ${version} is not the supported ${INDEX_VOLUME_VERSION}`;
  }
  const info: IndexVolumeInfo = {
    namespace: id.namespace,
    docs: dv.getUint32(12, true),
    blockStartMs: dv.getFloat64(16, true),
    blockSizeMs: dv.getFloat64(24, true),
    volume: dv.getUint32(32, true),
    segmentBytes: dv.getFloat64(40, true),
  };
  if (info.blockStartMs !== id.blockStartMs || info.volume !== id.volume) {
    return `records block ${info.blockStartMs} volume ${info.volume} but its file is named for block ${id.blockStartMs} volume ${id.volume}`;
  }
  if (dv.getUint32(36, true) !== namespaceCrc(id.namespace)) {
    return `records another namespace than ${JSON.stringify(id.namespace)}, whose directory holds it`;
  }
  if (!Number.isSafeInteger(info.blockSizeMs) || info.blockSizeMs <= 0) {
    return `block size ${info.blockSizeMs} is not a positive integer`;
  }
  if (!Number.isSafeInteger(info.segmentBytes) || info.segmentBytes < 0) {
    return `segment length ${info.segmentBytes} is not an integer >= 0`;
  }
  return info;
}

/**
 * Writes a complete index volume: info, segment and digest via temp name,
 * fsync and rename, the directory synced, then the checkpoint. Writing a
 * volume number that exists replaces it: its checkpoint goes first, so it is
 * never complete with mixed files.
 */
export async function writeIndexVolume(
  root: string,
  info: IndexVolumeInfo,
  segment: Uint8Array,
  fs: FileSystem,
): Promise<void> {
  checkInfo(info, segment);
  const dir = indexVolumeDir(root, info.namespace);
  await io(dir, "mkdir", () => fs.mkdir(dir, { recursive: true }));
  const checkpointPath = indexVolumePath(root, info, "checkpoint");
  await unlinkIfPresent(fs, checkpointPath);
  const infoBytes = encodeIndexInfo(info);
  const digest = new Uint8Array(INDEX_DIGEST_SIZE);
  putU32(digest, 0, crc32(infoBytes));
  putU32(digest, 4, crc32(segment));
  try {
    await writeWholeFile(fs, indexVolumePath(root, info, "info"), infoBytes);
    await writeWholeFile(fs, indexVolumePath(root, info, "segment"), segment);
    await writeWholeFile(fs, indexVolumePath(root, info, "digest"), digest);
    // Every other file is in place and synced before the checkpoint can exist.
    await syncDir(fs, dir);
    const checkpoint = new Uint8Array(CHECKPOINT_FILE_SIZE);
    putU32(checkpoint, 0, crc32(digest));
    await writeWholeFile(fs, checkpointPath, checkpoint);
    await syncDir(fs, dir);
  } catch (err) {
    // Leave no temp file behind; the files already renamed, without a
    // checkpoint, are an incomplete volume that removeIncompleteIndexVolumes clears.
    for (const type of INDEX_VOLUME_FILE_TYPES) {
      await fs.unlink(indexVolumePath(root, info, type) + TEMP_SUFFIX).catch(() => undefined);
    }
    throw err;
  }
}

/** Why a volume's checkpoint does not vouch for its digest, and which file is at fault. */
interface CheckpointFailure {
  /** No checkpoint file: the volume was never completed, not damaged. */
  missing: boolean;
  file: IndexVolumeFileType;
  reason: string;
  /** The digest file's bytes when they were read whole (kept to tell which side is damaged). */
  digest: Uint8Array | null;
}

/** The digest's bytes when the checkpoint matches them, else the failure. */
async function checkedDigest(
  fs: FileSystem,
  root: string,
  id: IndexVolumeId,
): Promise<Uint8Array | CheckpointFailure> {
  const fail = (
    file: IndexVolumeFileType,
    reason: string,
    digest: Uint8Array | null = null,
  ): CheckpointFailure => ({ missing: false, file, reason, digest });
  const checkpoint = await readOrNull(fs, indexVolumePath(root, id, "checkpoint"));
  if (checkpoint === null) return { ...fail("checkpoint", "missing"), missing: true };
  if (checkpoint.length !== CHECKPOINT_FILE_SIZE) {
    return fail("checkpoint", `${checkpoint.length} bytes, expected ${CHECKPOINT_FILE_SIZE}`);
  }
  const digest = await readOrNull(fs, indexVolumePath(root, id, "digest"));
  if (digest === null) return fail("digest", "missing");
  if (digest.length !== INDEX_DIGEST_SIZE) {
    return fail("digest", `${digest.length} bytes, expected ${INDEX_DIGEST_SIZE}`);
  }
  if (crc32(digest) !== getU32(checkpoint, 0)) {
    return fail("checkpoint", "does not match the digest file", digest);
  }
  return digest;
}

/**
 * The checkpoint and the digest disagree: one of them is damaged. The digest
 * is the one at fault when it does not match the info and segment files
 * either; the writer renames the checkpoint into place only after the
 * digest, so a digest that matches both files is the intact one.
 */
async function blameCheckpointOrDigest(
  fs: FileSystem,
  root: string,
  id: IndexVolumeId,
  digest: Uint8Array,
): Promise<IndexVolumeCorruptError> {
  const infoBytes = await readOrNull(fs, indexVolumePath(root, id, "info"));
  const segment = await readOrNull(fs, indexVolumePath(root, id, "segment"));
  const digestHolds =
    infoBytes !== null &&
    segment !== null &&
    crc32(infoBytes) === getU32(digest, 0) &&
    crc32(segment) === getU32(digest, 4);
  return digestHolds
    ? new IndexVolumeCorruptError(id, "checkpoint", "does not match the digest file")
    : new IndexVolumeCorruptError(
        id,
        "digest",
        "matches neither the checkpoint nor the info and segment files",
      );
}

/** Index volumes on disk for one namespace (or all), sorted by namespace, block start and volume. */
export async function listIndexVolumes(
  root: string,
  namespace: string | undefined,
  fs: FileSystem,
): Promise<ListedIndexVolume[]> {
  const base = join(root, "index", "data");
  const namespaces = namespace === undefined ? await listDir(fs, base) : [namespace];
  const out: ListedIndexVolume[] = [];
  for (const ns of namespaces.sort()) {
    const dir = indexVolumeDir(root, ns);
    const byVolume = new Map<string, ListedIndexVolume>();
    for (const name of await listDir(fs, dir)) {
      const m = NAME_PATTERN.exec(name);
      if (m === null) continue;
      const blockStartMs = Number(m[1]);
      const volume = Number(m[2]);
      if (!Number.isSafeInteger(blockStartMs) || !Number.isSafeInteger(volume)) continue;
      const key = `${blockStartMs}/${volume}`;
      let v = byVolume.get(key);
      if (v === undefined) {
        v = { namespace: ns, blockStartMs, volume, complete: false, paths: [] };
        byVolume.set(key, v);
      }
      v.paths.push(join(dir, name));
    }
    const vols = [...byVolume.values()].sort(
      (a, b) => a.blockStartMs - b.blockStartMs || a.volume - b.volume,
    );
    for (const v of vols) {
      v.paths.sort();
      v.complete = (await checkedDigest(fs, root, v)) instanceof Uint8Array;
      out.push(v);
    }
  }
  return out;
}

/** Reads a volume, checking every checksum and the info record; IndexVolumeCorruptError names the file that fails. */
export async function readIndexVolume(
  root: string,
  id: IndexVolumeId,
  fs: FileSystem,
): Promise<{ info: IndexVolumeInfo; segment: Uint8Array }> {
  const digest = await checkedDigest(fs, root, id);
  if (!(digest instanceof Uint8Array)) {
    if (digest.missing) {
      throw new IndexVolumeMissingError(id, indexVolumePath(root, id, "checkpoint"));
    }
    if (digest.digest !== null) throw await blameCheckpointOrDigest(fs, root, id, digest.digest);
    throw new IndexVolumeCorruptError(id, digest.file, digest.reason);
  }
  const infoBytes = await readOrNull(fs, indexVolumePath(root, id, "info"));
  if (infoBytes === null) throw new IndexVolumeCorruptError(id, "info", "missing");
  if (crc32(infoBytes) !== getU32(digest, 0)) {
    throw new IndexVolumeCorruptError(id, "info", "crc32 does not match the digest");
  }
  const info = decodeIndexInfo(infoBytes, id);
  if (typeof info === "string") throw new IndexVolumeCorruptError(id, "info", info);
  const segment = await readOrNull(fs, indexVolumePath(root, id, "segment"));
  if (segment === null) throw new IndexVolumeCorruptError(id, "segment", "missing");
  if (segment.length !== info.segmentBytes) {
    throw new IndexVolumeCorruptError(
      id,
      "segment",
      `${segment.length} bytes, the info file records ${info.segmentBytes}`,
    );
  }
  if (crc32(segment) !== getU32(digest, 4)) {
    throw new IndexVolumeCorruptError(id, "segment", "crc32 does not match the digest");
  }
  return { info, segment };
}

/** Removes a volume's files, checkpoint first, and their temp files; missing files are fine. */
export async function removeIndexVolume(
  root: string,
  id: IndexVolumeId,
  fs: FileSystem,
): Promise<void> {
  const order = ["checkpoint", "info", "segment", "digest"] as const;
  for (const type of order) {
    const path = indexVolumePath(root, id, type);
    await unlinkIfPresent(fs, path);
    await unlinkIfPresent(fs, path + TEMP_SUFFIX);
  }
}

/** Deletes incomplete volumes and temp files a crash left; returns the paths removed. */
export async function removeIncompleteIndexVolumes(
  root: string,
  fs: FileSystem,
): Promise<string[]> {
  const removed: string[] = [];
  for (const v of await listIndexVolumes(root, undefined, fs)) {
    if (v.complete) {
      for (const p of v.paths.filter((p) => p.endsWith(TEMP_SUFFIX))) {
        await unlinkIfPresent(fs, p);
        removed.push(p);
      }
    } else {
      await removeIndexVolume(root, v, fs);
      removed.push(...v.paths);
    }
  }
  return removed;
}
