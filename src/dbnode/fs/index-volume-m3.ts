// M3's index volume layout (src/dbnode/persist/fs/index_write.go): four
// files per volume, `info` (what the volume is), `segment` (the sealed
// segment's bytes, opaque here), `digest` (crc32 of info and segment) and
// `checkpoint` (crc32 of the digest), written last so that a volume is
// complete exactly when its checkpoint matches. Byte layout:
// docs/format/fileset.md, "Index volumes".
import { crc32 } from "node:zlib";
import type { FileSystem } from "../../x/index.js";
import { readOrNull } from "./files.js";
import { CHECKPOINT_FILE_SIZE, getU32, putU32, TEMP_SUFFIX } from "./format.js";
import {
  INDEX_VOLUME_FILE_TYPES,
  IndexVolumeCorruptError,
  type IndexVolumeFileType,
  type IndexVolumeId,
  type IndexVolumeInfo,
  IndexVolumeMissingError,
  indexVolumeDir,
  indexVolumePath,
  namespaceCrc,
  type ReadIndexVolumeInfo,
} from "./index-volume-id.js";
import { syncDir, unlinkIfPresent, writeWholeFile } from "./writer.js";

/** "M3TSIXVI" in ASCII. */
const INFO_MAGIC = Buffer.from("M3TSIXVI", "latin1");
export const INDEX_VOLUME_VERSION = 1;
export const INDEX_INFO_SIZE = 48;
export const INDEX_DIGEST_SIZE = 8;
const NAME_PATTERN = /^fileset-(-?\d+)-(\d+)-(info|segment|digest|checkpoint)\.db(\.tmp)?$/;

/** The block start and volume of an m3 volume's file name (temp names too); null for other names. */
export function parseM3FileName(name: string): { blockStartMs: number; volume: number } | null {
  const m = NAME_PATTERN.exec(name);
  if (m === null) return null;
  const blockStartMs = Number(m[1]);
  const volume = Number(m[2]);
  if (!Number.isSafeInteger(blockStartMs) || !Number.isSafeInteger(volume)) return null;
  return { blockStartMs, volume };
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
 * Writes the four files: info, segment and digest via temp name, fsync and
 * rename, the directory synced, then the checkpoint. An existing volume of
 * the number stops being complete first: its checkpoint goes before any new
 * file is in place.
 */
export async function writeM3IndexVolume(
  root: string,
  info: IndexVolumeInfo,
  segment: Uint8Array,
  fs: FileSystem,
): Promise<void> {
  const dir = indexVolumeDir(root, info.namespace);
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
export async function checkedDigest(
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

/** Reads an m3 volume, checking every checksum and the info record; IndexVolumeCorruptError names the file that fails. */
export async function readM3IndexVolume(
  root: string,
  id: IndexVolumeId,
  fs: FileSystem,
): Promise<{ info: ReadIndexVolumeInfo; segment: Uint8Array }> {
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
  return { info: { ...info, endMs: info.blockStartMs + info.blockSizeMs }, segment };
}

/** Deletes an m3 volume's files, checkpoint first, and their temp files. */
export async function removeM3Files(
  fs: FileSystem,
  root: string,
  id: IndexVolumeId,
): Promise<void> {
  const order = ["checkpoint", "info", "segment", "digest"] as const;
  for (const type of order) {
    const path = indexVolumePath(root, id, type);
    await unlinkIfPresent(fs, path);
    await unlinkIfPresent(fs, path + TEMP_SUFFIX);
  }
}
