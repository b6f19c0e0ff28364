// Snapshot metadata files (M3's
// src/dbnode/persist/fs/snapshot_metadata_write.go, and
// src/dbnode/storage/cleanup.go for their use): which snapshot is the current
// one and which commit logs it makes redundant. docs/format/fileset.md, section
// "Snapshot metadata", is the byte-by-byte description.
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { FileSystem } from "../../x/index.js";
import { M3tsError } from "../../x/index.js";
import { readOrNull } from "./files.js";
import { CHECKPOINT_FILE_SIZE, getU32, hex32, kindDir, putU32, TEMP_SUFFIX } from "./format.js";
import { io, syncDir, unlinkIfPresent, writeWholeFile } from "./writer.js";

export interface SnapshotMetadata {
  /** Snapshot index, >= 0; the volume number of this snapshot's filesets. */
  index: number;
  /** Commit log files with a lower index hold nothing the snapshot lacks. */
  commitLogIndex: number;
  /** When the snapshot was taken, epoch ms. */
  takenAtMs: number;
}

export interface SnapshotMetadataListing {
  /** Complete and valid ones, ascending by index. */
  complete: SnapshotMetadata[];
  /**
   * Files named like metadata that are incomplete (no/invalid checkpoint) or
   * fail to decode, with why; includes leftover .tmp files. Ascending by
   * index. `paths` are the files at fault: when an index is complete but has
   * leftover temp files beside it, it is listed in both, and here only its
   * temp files are named.
   */
  invalid: { index: number; paths: string[]; reason: string }[];
}

/** A snapshot metadata field given to a writer, path or remove call is out of range. */
export class SnapshotMetadataInputError extends M3tsError {
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown) {
    super(
      "M3TS_ERR_SNAPSHOT_METADATA_INPUT",
      `snapshot metadata: invalid ${field} ${String(value)}: must be an integer from 0 to 2^53 - 1`,
    );
    this.field = field;
    this.value = value;
  }
}

/** "M3TSSNAP" in ASCII. */
const MAGIC = new Uint8Array([0x4d, 0x33, 0x54, 0x53, 0x53, 0x4e, 0x41, 0x50]);
export const SNAPSHOT_METADATA_VERSION = 1;
/** magic 8, version 4, index 8, commitLogIndex 8, takenAtMs 8, crc32 4. */
export const SNAPSHOT_METADATA_SIZE = 40;
const CRC_AT = SNAPSHOT_METADATA_SIZE - 4;

/** Final names only, no leading zeros, so a name maps back to exactly one index. */
const NAME_PATTERN = /^snapshot-(0|[1-9]\d*)-metadata(-checkpoint)?\.db(\.tmp)?$/;

function checkField(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SnapshotMetadataInputError(field, value);
  }
}

function snapshotsDir(root: string): string {
  return join(root, kindDir("snapshot"));
}

/** `<root>/snapshots/snapshot-<index>-metadata.db`. */
export function snapshotMetadataPath(root: string, index: number): string {
  checkField("index", index);
  return join(snapshotsDir(root), `snapshot-${index}-metadata.db`);
}

/** `<root>/snapshots/snapshot-<index>-metadata-checkpoint.db`. */
export function snapshotCheckpointPath(root: string, index: number): string {
  checkField("index", index);
  return join(snapshotsDir(root), `snapshot-${index}-metadata-checkpoint.db`);
}

/** The fixed 40-byte record of a metadata file. */
export function encodeSnapshotMetadata(meta: SnapshotMetadata): Uint8Array {
  checkField("index", meta.index);
  checkField("commitLogIndex", meta.commitLogIndex);
  checkField("takenAtMs", meta.takenAtMs);
  const out = new Uint8Array(SNAPSHOT_METADATA_SIZE);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(8, SNAPSHOT_METADATA_VERSION, true);
  dv.setFloat64(12, meta.index, true);
  dv.setFloat64(20, meta.commitLogIndex, true);
  dv.setFloat64(28, meta.takenAtMs, true);
  putU32(out, CRC_AT, crc32(out.subarray(0, CRC_AT)));
  return out;
}

/** Decodes a metadata record; returns a reason string when it is not a valid one. */
export function decodeSnapshotMetadata(bytes: Uint8Array): SnapshotMetadata | string {
  if (bytes.length !== SNAPSHOT_METADATA_SIZE) {
    return `metadata file is ${bytes.length} bytes, expected ${SNAPSHOT_METADATA_SIZE}`;
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) return "metadata file has a bad magic (expected M3TSSNAP)";
  }
  const want = getU32(bytes, CRC_AT);
  const got = crc32(bytes.subarray(0, CRC_AT));
  if (want !== got) {
    return `metadata record crc32 ${hex32(got)} does not match stored ${hex32(want)}`;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== SNAPSHOT_METADATA_VERSION) {
    return `metadata format version ${version} is unknown (this build reads ${SNAPSHOT_METADATA_VERSION})`;
  }
  const meta: SnapshotMetadata = {
    index: dv.getFloat64(12, true),
    commitLogIndex: dv.getFloat64(20, true),
    takenAtMs: dv.getFloat64(28, true),
  };
  for (const key of ["index", "commitLogIndex", "takenAtMs"] as const) {
    const v = meta[key];
    if (!Number.isSafeInteger(v) || v < 0) return `metadata ${key} ${v} is not an integer >= 0`;
  }
  return meta;
}

/** Writes metadata then its checkpoint (crc32 of the metadata bytes), each via temp name, fsync, rename, dir fsync; the checkpoint last. */
export async function writeSnapshotMetadata(
  root: string,
  meta: SnapshotMetadata,
  fs: FileSystem,
): Promise<void> {
  const bytes = encodeSnapshotMetadata(meta);
  // Check the record as a reader will see it before it reaches the disk.
  const back = decodeSnapshotMetadata(bytes);
  if (
    typeof back === "string" ||
    back.index !== meta.index ||
    back.commitLogIndex !== meta.commitLogIndex ||
    back.takenAtMs !== meta.takenAtMs
  ) {
    throw new Error(`assertion: snapshot metadata ${meta.index} does not decode to itself`);
  }
  const dir = snapshotsDir(root);
  const metaPath = snapshotMetadataPath(root, meta.index);
  const checkpointPath = snapshotCheckpointPath(root, meta.index);
  await io(dir, "mkdir", () => fs.mkdir(dir, { recursive: true }));
  // A rewrite makes the index incomplete before the metadata changes; the
  // directory sync after the metadata rename makes this unlink durable too.
  await unlinkIfPresent(fs, checkpointPath);
  await writeWholeFile(fs, metaPath, bytes);
  await syncDir(fs, dir);
  const checkpoint = new Uint8Array(CHECKPOINT_FILE_SIZE);
  putU32(checkpoint, 0, crc32(bytes));
  await writeWholeFile(fs, checkpointPath, checkpoint);
  await syncDir(fs, dir);
}

/** Why an index's final files do not make a complete metadata, or its decoded record. */
async function checkIndex(
  fs: FileSystem,
  root: string,
  index: number,
  hasMeta: boolean,
  hasCheckpoint: boolean,
): Promise<SnapshotMetadata | string> {
  if (!hasMeta) return "checkpoint without a metadata file";
  if (!hasCheckpoint) return "no checkpoint file: the write did not finish";
  const bytes = await readOrNull(fs, snapshotMetadataPath(root, index));
  const checkpoint = await readOrNull(fs, snapshotCheckpointPath(root, index));
  if (bytes === null || checkpoint === null) return "a file vanished while listing";
  const decoded = decodeSnapshotMetadata(bytes);
  if (typeof decoded === "string") return decoded;
  if (checkpoint.length !== CHECKPOINT_FILE_SIZE) {
    return `checkpoint file is ${checkpoint.length} bytes, expected ${CHECKPOINT_FILE_SIZE}`;
  }
  const want = getU32(checkpoint, 0);
  const got = crc32(bytes);
  if (want !== got) {
    return `checkpoint ${hex32(want)} does not match the metadata file's crc32 ${hex32(got)}`;
  }
  if (decoded.index !== index) {
    return `metadata records index ${decoded.index} but its file is named for index ${index}`;
  }
  return decoded;
}

/** Metadata files under `<root>/snapshots`, complete ones apart from the rest; a missing directory lists nothing. */
export async function listSnapshotMetadata(
  root: string,
  fs: FileSystem,
): Promise<SnapshotMetadataListing> {
  const dir = snapshotsDir(root);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return { complete: [], invalid: [] };
    throw err;
  }
  const byIndex = new Map<number, { meta: boolean; checkpoint: boolean; temps: string[] }>();
  for (const name of names) {
    const m = NAME_PATTERN.exec(name);
    if (m === null) continue;
    // Namespace directories of snapshot filesets share this directory.
    if (!(await isFile(fs, join(dir, name)))) continue;
    const index = Number(m[1]);
    if (!Number.isSafeInteger(index)) continue;
    let g = byIndex.get(index);
    if (g === undefined) {
      g = { meta: false, checkpoint: false, temps: [] };
      byIndex.set(index, g);
    }
    if (m[3] !== undefined) g.temps.push(join(dir, name));
    else if (m[2] !== undefined) g.checkpoint = true;
    else g.meta = true;
  }
  const out: SnapshotMetadataListing = { complete: [], invalid: [] };
  for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
    const g = byIndex.get(index);
    if (g === undefined) continue;
    g.temps.sort();
    if (!g.meta && !g.checkpoint) {
      out.invalid.push({ index, paths: g.temps, reason: "only temp files of an unfinished write" });
      continue;
    }
    const checked = await checkIndex(fs, root, index, g.meta, g.checkpoint);
    if (typeof checked === "string") {
      const paths = [...g.temps];
      if (g.meta) paths.push(snapshotMetadataPath(root, index));
      if (g.checkpoint) paths.push(snapshotCheckpointPath(root, index));
      out.invalid.push({ index, paths: paths.sort(), reason: checked });
      continue;
    }
    out.complete.push(checked);
    if (g.temps.length > 0) {
      out.invalid.push({
        index,
        paths: g.temps,
        reason: "temp files left beside a complete metadata file",
      });
    }
  }
  return out;
}

/** Removes one metadata file and its checkpoint (checkpoint first) and any temp files; missing files are fine. */
export async function removeSnapshotMetadata(
  root: string,
  index: number,
  fs: FileSystem,
): Promise<void> {
  const checkpointPath = snapshotCheckpointPath(root, index);
  const metaPath = snapshotMetadataPath(root, index);
  // Checkpoint first: the index stops being complete before its record goes.
  await unlinkIfPresent(fs, checkpointPath);
  await unlinkIfPresent(fs, checkpointPath + TEMP_SUFFIX);
  await unlinkIfPresent(fs, metaPath);
  await unlinkIfPresent(fs, metaPath + TEMP_SUFFIX);
}

async function isFile(fs: FileSystem, path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isFile();
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return false;
    throw err;
  }
}
