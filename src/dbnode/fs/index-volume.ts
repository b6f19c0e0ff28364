// Index volumes: a namespace's sealed index block on disk (M3 writes its index
// filesets in src/dbnode/persist/fs/index_write.go), beside the data
// filesets, in one of two formats: "m3", M3's four files (index-volume-m3.ts,
// docs/format/fileset.md "Index volumes"), and "m3ts", one file holding a
// header and the segment compressed (index-volume-m3ts.ts,
// docs/format/index-volume-m3ts.md). Here: listing both, reading either, and
// writing and removing them so that a volume number is complete in at most
// one format. Segment bytes are opaque here (docs/format/index-segment.md).
import { join } from "node:path";
import type { FileSystem } from "../../x/index.js";
import { InvalidVolumeInputError } from "./errors.js";
import { listDir, readOrNull } from "./files.js";
import { TEMP_SUFFIX } from "./format.js";
import {
  INDEX_VOLUME_FORMATS,
  IndexVolumeCorruptError,
  type IndexVolumeFormat,
  type IndexVolumeInfo,
  IndexVolumeMissingError,
  type IndexVolumeRef,
  idOf,
  indexVolumeDir,
  indexVolumeM3tsPath,
  indexVolumePath,
  type ListedIndexVolume,
  m3tsFileName,
  type ReadIndexVolumeInfo,
  type WriteIndexVolumeOptions,
} from "./index-volume-id.js";
import {
  checkedDigest,
  parseM3FileName,
  readM3IndexVolume,
  removeM3Files,
  writeM3IndexVolume,
} from "./index-volume-m3.js";
import {
  checkSpan,
  DEFAULT_INDEX_ZSTD_LEVEL,
  type M3tsVolumeId,
  m3tsVolumeComplete,
  parseM3tsFileName,
  readM3tsIndexVolume,
  removeM3tsFiles,
  writeM3tsIndexVolume,
} from "./index-volume-m3ts.js";
import { checkVolumeId, io, syncDir, unlinkIfPresent } from "./writer.js";

/** Checks what is to be written; returns the end of the volume's span. */
function checkInfo(info: IndexVolumeInfo, segment: Uint8Array, format: IndexVolumeFormat): number {
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
  const endMs = info.endMs ?? info.blockStartMs + info.blockSizeMs;
  if (format === "m3" && endMs !== info.blockStartMs + info.blockSizeMs) {
    fail(
      "endMs",
      `${endMs}: an m3 format volume covers one block, to ${info.blockStartMs + info.blockSizeMs}`,
    );
  }
  const span = checkSpan(info.blockStartMs, endMs, info.blockSizeMs);
  if (span !== null) fail("endMs", span);
  return endMs;
}

/**
 * Writes a complete index volume in `options.format` ("m3" unless set).
 * Writing a volume number that exists, in either format, replaces it: the
 * old volume stops being complete before any new file is in place, so the
 * number is never complete with mixed files or in both formats.
 */
export async function writeIndexVolume(
  root: string,
  info: IndexVolumeInfo,
  segment: Uint8Array,
  fs: FileSystem,
  options: WriteIndexVolumeOptions = {},
): Promise<void> {
  const format = options.format ?? "m3";
  if (!INDEX_VOLUME_FORMATS.includes(format)) {
    throw new InvalidVolumeInputError("format", `${JSON.stringify(format)} is not one of m3, m3ts`);
  }
  const level = options.zstdLevel ?? DEFAULT_INDEX_ZSTD_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 22) {
    throw new InvalidVolumeInputError("zstdLevel", `${level} must be an integer from 1 to 22`);
  }
  const endMs = checkInfo(info, segment, format);
  const dir = indexVolumeDir(root, info.namespace);
  await io(dir, "mkdir", () => fs.mkdir(dir, { recursive: true }));
  if (format === "m3") {
    // The m3 writer's directory sync before its checkpoint makes this durable.
    await removeM3tsFiles(fs, dir, info, undefined);
    await writeM3IndexVolume(root, info, segment, fs);
    return;
  }
  // What the new file replaces goes first, durably: an m3 volume of the
  // number (checkpoint first) and m3ts files of the number over another
  // span. A file of the same name is replaced by the rename alone.
  await removeM3Files(fs, root, info);
  await removeM3tsFiles(fs, dir, info, endMs);
  await syncDir(fs, dir);
  await writeM3tsIndexVolume(root, { ...info, endMs }, segment, level, fs);
}

/** Index volumes on disk for one namespace (or all), both formats, sorted by namespace, block start, volume and format. */
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
    const entry = (key: string, make: () => ListedIndexVolume): ListedIndexVolume => {
      let v = byVolume.get(key);
      if (v === undefined) {
        v = make();
        byVolume.set(key, v);
      }
      return v;
    };
    for (const name of await listDir(fs, dir)) {
      const m3ts = parseM3tsFileName(name);
      if (m3ts !== null) {
        const { blockStartMs, endMs, volume } = m3ts;
        const v = entry(`m3ts/${blockStartMs}/${endMs}/${volume}`, () => ({
          namespace: ns,
          blockStartMs,
          volume,
          format: "m3ts",
          endMs,
          complete: false,
          paths: [],
        }));
        v.paths.push(join(dir, name));
        continue;
      }
      const m3 = parseM3FileName(name);
      if (m3 === null) continue;
      const { blockStartMs, volume } = m3;
      const v = entry(`m3/${blockStartMs}/${volume}`, () => ({
        namespace: ns,
        blockStartMs,
        volume,
        format: "m3",
        complete: false,
        paths: [],
      }));
      v.paths.push(join(dir, name));
    }
    const vols = [...byVolume.values()].sort(
      (a, b) =>
        a.blockStartMs - b.blockStartMs ||
        a.volume - b.volume ||
        (a.format === b.format ? 0 : a.format === "m3" ? -1 : 1) ||
        (a.format === "m3ts" && b.format === "m3ts" ? a.endMs - b.endMs : 0),
    );
    for (const v of vols) {
      v.paths.sort();
      v.complete =
        v.format === "m3"
          ? (await checkedDigest(fs, root, v)) instanceof Uint8Array
          : await m3tsVolumeComplete(fs, indexVolumeM3tsPath(root, v));
      out.push(v);
    }
  }
  return out;
}

/** Where a ref's volume is: which format, and for m3ts which file. */
type Located =
  | { format: "m3" }
  | { format: "m3ts"; id: M3tsVolumeId }
  | { format: "ambiguous"; names: string[] }
  | { format: "missing"; path: string };

/**
 * An m3 volume when the ref says so or its checkpoint is there; else the
 * m3ts file of the ref's span, or the one final (else temp) file of its
 * number in the directory.
 */
async function locate(root: string, ref: IndexVolumeRef, fs: FileSystem): Promise<Located> {
  if (ref.format === "m3") return { format: "m3" };
  if (ref.format === "m3ts" && ref.endMs !== undefined) {
    return { format: "m3ts", id: { ...idOf(ref), endMs: ref.endMs } };
  }
  if (ref.format === undefined) {
    const checkpoint = await readOrNull(fs, indexVolumePath(root, ref, "checkpoint"));
    if (checkpoint !== null) return { format: "m3" };
  }
  const finals: number[] = [];
  const temps: number[] = [];
  for (const name of await listDir(fs, indexVolumeDir(root, ref.namespace))) {
    const p = parseM3tsFileName(name);
    if (p === null || p.blockStartMs !== ref.blockStartMs || p.volume !== ref.volume) continue;
    if (ref.endMs !== undefined && p.endMs !== ref.endMs) continue;
    (p.temp ? temps : finals).push(p.endMs);
  }
  if (finals.length > 1) {
    const names = finals.sort((a, b) => a - b).map((endMs) => m3tsFileName({ ...ref, endMs }));
    return { format: "ambiguous", names };
  }
  const endMs = finals[0] ?? temps[0];
  if (endMs !== undefined) return { format: "m3ts", id: { ...idOf(ref), endMs } };
  // No m3ts file of the number: an m3 volume's leftovers, if any, say why it is missing.
  if (ref.format === undefined) return { format: "m3" };
  const pattern = `index-${ref.blockStartMs}-*-${ref.volume}.m3ts`;
  return { format: "missing", path: join(indexVolumeDir(root, ref.namespace), pattern) };
}

/**
 * Reads a volume of either format, checking every checksum and the recorded
 * fields against its name and directory; `segment` is the segment's bytes
 * uncompressed. IndexVolumeMissingError when the volume was never completed;
 * IndexVolumeCorruptError names the file (m3) or section (m3ts) that fails.
 */
export async function readIndexVolume(
  root: string,
  ref: IndexVolumeRef,
  fs: FileSystem,
): Promise<{ info: ReadIndexVolumeInfo; segment: Uint8Array; format: IndexVolumeFormat }> {
  const where = await locate(root, ref, fs);
  if (where.format === "ambiguous") {
    throw new IndexVolumeCorruptError(
      ref,
      "header",
      `${where.names.length} files claim this volume number: ${where.names.join(", ")}`,
      where.names[0],
    );
  }
  if (where.format === "missing") throw new IndexVolumeMissingError(ref, where.path);
  if (where.format === "m3ts") {
    return { ...(await readM3tsIndexVolume(root, where.id, fs)), format: "m3ts" };
  }
  return { ...(await readM3IndexVolume(root, idOf(ref), fs)), format: "m3" };
}

/**
 * Removes a volume's files and their temp files; missing files are fine.
 * Both formats' files of the number go unless `ref.format` says which (and,
 * for m3ts, `ref.endMs` which span).
 */
export async function removeIndexVolume(
  root: string,
  ref: IndexVolumeRef,
  fs: FileSystem,
): Promise<void> {
  if (ref.format !== "m3ts") await removeM3Files(fs, root, ref);
  if (ref.format === "m3") return;
  const dir = indexVolumeDir(root, ref.namespace);
  if (ref.endMs === undefined) {
    await removeM3tsFiles(fs, dir, ref, undefined);
    return;
  }
  const path = indexVolumeM3tsPath(root, { ...ref, endMs: ref.endMs });
  await unlinkIfPresent(fs, path);
  await unlinkIfPresent(fs, path + TEMP_SUFFIX);
}

/** Deletes incomplete volumes and temp files a crash left, both formats; returns the paths removed. */
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
