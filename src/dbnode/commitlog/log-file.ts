// One open commit log file: created exclusively under the next free index,
// its header written and made durable with its directory entry.
import { join } from "node:path";
import type { FileHandle, FileSystem } from "../../x/index.js";
import { CommitLogWriteError } from "./errors.js";
import { commitLogFileName, encodeFileHeader } from "./format.js";

/** How many following indexes open/rotate try when a file name is already taken. */
const MAX_CREATE_ATTEMPTS = 1000;

export interface LogFile {
  fh: FileHandle;
  path: string;
  index: number;
  /** Offset of the next write. */
  pos: number;
  /** Bytes written since the last fdatasync. */
  dirty: boolean;
}

/**
 * Creates `commitlog-0-<index>.db` exclusively (the next free index from
 * `index` on), writes its header and makes both the header and the directory
 * entry durable.
 */
export async function createLogFile(
  fs: FileSystem,
  dir: string,
  index: number,
  nowMs: number,
): Promise<LogFile> {
  for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++, index++) {
    const path = join(dir, commitLogFileName(index));
    let fh: FileHandle;
    try {
      fh = await fs.open(path, "wx");
    } catch (err) {
      if ((err as { code?: unknown }).code === "EEXIST") continue;
      throw new CommitLogWriteError(path, "create", err);
    }
    try {
      const header = encodeFileHeader(index, nowMs);
      const { bytesWritten } = await fh.write(header, 0, header.length, 0);
      if (bytesWritten !== header.length) {
        throw new Error(`short write: ${bytesWritten} of ${header.length} header bytes`);
      }
      await fh.datasync();
      await fs.syncDir(dir);
      return { fh, path, index, pos: header.length, dirty: false };
    } catch (err) {
      await fh.close().catch(noop);
      throw new CommitLogWriteError(path, "create", err);
    }
  }
  throw new CommitLogWriteError(
    join(dir, commitLogFileName(index)),
    "create",
    new Error(`${MAX_CREATE_ATTEMPTS} consecutive commit log file names already exist`),
  );
}

function noop(): void {}
