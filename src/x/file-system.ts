// The file operations the storage engine uses, behind one small interface, so
// tests can run the engine on a simulated disk that crashes and fails on cue.
// The Node implementation is the default and adds no behaviour of its own.
import * as fsp from "node:fs/promises";

/** What a stat reports; only the fields the engine reads. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** An open file. Positions are byte offsets; a null position means the current one. */
export interface FileHandle {
  read(
    buf: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>;
  write(
    buf: Uint8Array,
    offset?: number,
    length?: number,
    position?: number | null,
  ): Promise<{ bytesWritten: number }>;
  /** fsync: data and metadata durable. */
  sync(): Promise<void>;
  /** fdatasync: data durable. */
  datasync(): Promise<void>;
  stat(): Promise<FileStat>;
  close(): Promise<void>;
}

/** Open flags the engine uses: read, create-or-truncate for writing, exclusive create. */
export type OpenFlags = "r" | "w" | "wx";

/** The engine's file system. Errors carry Node's `code` (ENOENT, EEXIST, ENOSPC, EIO). */
export interface FileSystem {
  open(path: string, flags: OpenFlags): Promise<FileHandle>;
  readFile(path: string): Promise<Uint8Array>;
  /** Writes the whole file and fsyncs it before resolving. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string, options: { recursive: true }): Promise<void>;
  rm(path: string, options: { recursive?: boolean; force?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  stat(path: string): Promise<FileStat>;
  /** fsyncs a directory so entries created, renamed or removed in it survive a crash. */
  syncDir(path: string): Promise<void>;
}

/** The machine's file system through `node:fs/promises`. */
export const nodeFileSystem: FileSystem = {
  open: (path, flags) => fsp.open(path, flags),
  readFile: (path) => fsp.readFile(path),
  writeFile: (path, data) => fsp.writeFile(path, data, { flush: true }),
  readdir: (path) => fsp.readdir(path),
  mkdir: async (path, options) => {
    await fsp.mkdir(path, options);
  },
  rm: (path, options) => fsp.rm(path, options),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  stat: (path) => fsp.stat(path),
  syncDir: async (path) => {
    const fh = await fsp.open(path, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};
