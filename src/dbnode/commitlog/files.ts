// Finding commit log files in a directory: names select the candidates, each
// file's own header gives its index (as in M3's
// src/dbnode/persist/fs/commitlog/files.go), and a file whose header cannot
// be read is reported as corrupt rather than guessed at.

import { join } from "node:path";
import type { FileHandle, FileSystem } from "../../x/index.js";
import { decodeFileHeader, FILE_HEADER_SIZE, indexFromFileName } from "./format.js";

/** A commit log file with a valid header. */
export interface CommitLogFile {
  path: string;
  /** The index from the file's header. */
  index: number;
  /** Wall-clock creation time from the header, epoch ms. */
  createdAtMs: number;
  sizeBytes: number;
}

/** A file named like a commit log whose header is unreadable. */
export interface CorruptCommitLogFile {
  path: string;
  reason: string;
  sizeBytes: number;
}

/**
 * Valid files sorted by header index (then path, if two files claim one index),
 * with the files whose header is unreadable alongside in `corrupt`.
 */
export type CommitLogFiles = CommitLogFile[] & { corrupt: CorruptCommitLogFile[] };

/** Lists the commit log files in `dir` by header index; a missing directory has none. */
export async function listCommitLogFiles(dir: string, fs: FileSystem): Promise<CommitLogFiles> {
  const scan = await scanCommitLogFiles(dir, fs);
  return Object.assign(scan.files, { corrupt: scan.corrupt });
}

export interface CommitLogScan {
  files: CommitLogFile[];
  corrupt: CorruptCommitLogFile[];
  /** The highest index any file claims, by header or by name; -1 when there is none. */
  maxIndex: number;
}

/** The files of `dir` as listCommitLogFiles sees them, plus the highest index in use. */
export async function scanCommitLogFiles(dir: string, fs: FileSystem): Promise<CommitLogScan> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT")
      return { files: [], corrupt: [], maxIndex: -1 };
    throw err;
  }
  const files: CommitLogFile[] = [];
  const corrupt: CorruptCommitLogFile[] = [];
  let maxIndex = -1;
  for (const name of names) {
    const nameIndex = indexFromFileName(name);
    if (nameIndex < 0) continue;
    // Corrupt files still reserve their name's index, so a new file never
    // reuses a name that exists and the order of new files stays monotonic.
    if (nameIndex > maxIndex) maxIndex = nameIndex;
    const path = join(dir, name);
    const header = await readHeader(fs, path);
    if (header === null) continue; // vanished or not a regular file
    if (typeof header.decoded === "string") {
      corrupt.push({ path, reason: header.decoded, sizeBytes: header.sizeBytes });
      continue;
    }
    const { index, createdAtMs } = header.decoded;
    if (index > maxIndex) maxIndex = index;
    files.push({ path, index, createdAtMs, sizeBytes: header.sizeBytes });
  }
  files.sort((a, b) => a.index - b.index || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  corrupt.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, corrupt, maxIndex };
}

async function readHeader(
  fs: FileSystem,
  path: string,
): Promise<{ decoded: ReturnType<typeof decodeFileHeader>; sizeBytes: number } | null> {
  let fh: FileHandle;
  try {
    fh = await fs.open(path, "r");
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return null;
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return null;
    const buf = new Uint8Array(FILE_HEADER_SIZE);
    const { bytesRead } = await fh.read(buf, 0, FILE_HEADER_SIZE, 0);
    return { decoded: decodeFileHeader(buf.subarray(0, bytesRead)), sizeBytes: st.size };
  } finally {
    await fh.close();
  }
}
