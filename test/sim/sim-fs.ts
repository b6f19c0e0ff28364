// An in-memory file system for the deterministic simulation: every operation
// waits for the scheduler, so the seed orders all I/O; it tracks what is
// durable, so a crash loses exactly what a real disk may lose; and it fails
// operations on cue.
//
// Durability rules (ext4 with data=ordered, simplified):
// - A file's bytes are durable up to its last successful fsync/fdatasync.
// - A file's fsync also makes durable the directory entry it was created
//   under (ext4 commits the creating transaction with it).
// - Renames and unlinks are durable only after an fsync of their directory.
// - Directories themselves are durable once made (the engine makes each once).
// - A crash puts every directory back to its durable entries and every file
//   back to its durable bytes, plus, when the file only grew by appends since,
//   a prefix of the unsynced bytes chosen by the seed (torn appends).
// Faults: a failed fsync (EIO) drops the file's dirty bytes, as Linux may do
// with dirty pages after a writeback error: the data written since the last
// good fsync must be treated as lost, never retried as if safe.
import { basename, dirname } from "node:path";
import type { FileHandle, FileStat, FileSystem, OpenFlags } from "../../src/x/index.js";
import type { IoScheduler } from "./scheduler.js";

interface Inode {
  data: Uint8Array;
  size: number;
  /** Bytes as of the last successful sync. */
  durable: Uint8Array;
  /** True while every change since the last sync only appended bytes. */
  appendOnly: boolean;
  mtimeMs: number;
}

interface Dir {
  entries: Map<string, Inode>;
  durable: Map<string, Inode>;
}

/** Which operations a fault may hit. */
export type FaultOp = "write" | "sync" | "open" | "rename" | "read";

export class SimFsError extends Error {
  readonly code: string;
  constructor(code: string, op: string, path: string) {
    super(`${code}: ${op} ${path} (simulated)`);
    this.code = code;
  }
}

export class SimFileSystem implements FileSystem {
  private readonly dirs = new Map<string, Dir>();
  private readonly sched: IoScheduler;
  private readonly nowMs: () => number;
  /** Probability that an operation a fault may hit fails; 0 turns faults off. */
  faultRate = 0;
  /** Faults injected so far, for the trace. */
  readonly faults: string[] = [];

  constructor(sched: IoScheduler, nowMs: () => number) {
    this.sched = sched;
    this.nowMs = nowMs;
    this.dirs.set("/", { entries: new Map(), durable: new Map() });
  }

  /** Loses everything not durable; open handles of the old life must not be used again. */
  crash(): void {
    for (const dir of this.dirs.values()) {
      dir.entries = new Map(dir.durable);
      for (const inode of dir.entries.values()) {
        let keep = inode.durable;
        if (inode.appendOnly && inode.size > inode.durable.length) {
          const extra = this.sched.int(inode.size - inode.durable.length + 1);
          keep = inode.data.slice(0, inode.durable.length + extra);
        }
        inode.data = keep.slice();
        inode.size = keep.length;
        inode.durable = keep.slice();
        inode.appendOnly = true;
      }
    }
  }

  private async fault(op: FaultOp, path: string): Promise<void> {
    await this.sched.io(`${op} ${path}`);
    if (this.faultRate === 0 || this.sched.random() >= this.faultRate) return;
    const code =
      op === "write" || op === "open" ? (this.sched.int(2) === 0 ? "ENOSPC" : "EIO") : "EIO";
    this.faults.push(`${code} ${op} ${path}`);
    throw new SimFsError(code, op, path);
  }

  private dir(path: string): Dir | undefined {
    return this.dirs.get(path);
  }

  private lookup(path: string): Inode | undefined {
    return this.dir(dirname(path))?.entries.get(basename(path));
  }

  private noent(op: string, path: string): SimFsError {
    return new SimFsError("ENOENT", op, path);
  }

  async open(path: string, flags: OpenFlags): Promise<FileHandle> {
    if (flags === "r") {
      await this.sched.io(`open ${path}`);
      if (this.dirs.has(path)) return new SimHandle(this, path, null);
      const inode = this.lookup(path);
      if (inode === undefined) throw this.noent("open", path);
      return new SimHandle(this, path, inode);
    }
    await this.fault("open", path);
    const dir = this.dir(dirname(path));
    if (dir === undefined) throw this.noent("open", path);
    const existing = dir.entries.get(basename(path));
    if (existing !== undefined && flags === "wx") throw new SimFsError("EEXIST", "open", path);
    if (existing !== undefined) {
      existing.size = 0;
      existing.appendOnly = false;
      existing.mtimeMs = this.nowMs();
      return new SimHandle(this, path, existing);
    }
    const inode: Inode = {
      data: new Uint8Array(64),
      size: 0,
      durable: new Uint8Array(0),
      appendOnly: true,
      mtimeMs: this.nowMs(),
    };
    dir.entries.set(basename(path), inode);
    return new SimHandle(this, path, inode);
  }

  /** @internal */
  async writeAt(path: string, inode: Inode, bytes: Uint8Array, pos: number): Promise<void> {
    await this.fault("write", path);
    const end = pos + bytes.length;
    if (end > inode.data.length) {
      const grown = new Uint8Array(Math.max(end, inode.data.length * 2));
      grown.set(inode.data.subarray(0, inode.size));
      inode.data = grown;
    }
    if (pos < inode.size) inode.appendOnly = false;
    inode.data.set(bytes, pos);
    if (end > inode.size) inode.size = end;
    inode.mtimeMs = this.nowMs();
  }

  /** @internal */
  async syncInode(path: string, inode: Inode): Promise<void> {
    try {
      await this.fault("sync", path);
    } catch (err) {
      // The dirty pages may be gone: reads now see only what was durable.
      inode.data = inode.durable.slice();
      inode.size = inode.durable.length;
      inode.appendOnly = true;
      throw err;
    }
    inode.durable = inode.data.slice(0, inode.size);
    inode.appendOnly = true;
    const dir = this.dir(dirname(path));
    const name = basename(path);
    if (dir !== undefined && dir.entries.get(name) === inode && !dir.durable.has(name)) {
      dir.durable.set(name, inode);
    }
  }

  /** @internal */
  async readAt(path: string, inode: Inode, buf: Uint8Array, off: number, len: number, pos: number) {
    await this.sched.io(`read ${path}`);
    const n = Math.max(0, Math.min(len, inode.size - pos));
    buf.set(inode.data.subarray(pos, pos + n), off);
    return n;
  }

  statOf(inode: Inode | null): FileStat {
    const size = inode === null ? 0 : inode.size;
    const mtimeMs = inode === null ? 0 : inode.mtimeMs;
    return { size, mtimeMs, isFile: () => inode !== null, isDirectory: () => inode === null };
  }

  async readFile(path: string): Promise<Uint8Array> {
    await this.sched.io(`readFile ${path}`);
    const inode = this.lookup(path);
    if (inode === undefined) throw this.noent("readFile", path);
    return inode.data.slice(0, inode.size);
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const fh = await this.open(path, "w");
    try {
      await fh.write(bytes, 0, bytes.length, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async readdir(path: string): Promise<string[]> {
    await this.sched.io(`readdir ${path}`);
    const dir = this.dir(path);
    if (dir === undefined) throw this.noent("readdir", path);
    const names = [...dir.entries.keys()];
    for (const p of this.dirs.keys())
      if (p !== path && dirname(p) === path) names.push(basename(p));
    return names.sort();
  }

  async mkdir(path: string): Promise<void> {
    await this.sched.io(`mkdir ${path}`);
    for (let p = path; !this.dirs.has(p); p = dirname(p)) {
      this.dirs.set(p, { entries: new Map(), durable: new Map() });
    }
  }

  async rm(path: string, options: { recursive?: boolean; force?: boolean }): Promise<void> {
    await this.sched.io(`rm ${path}`);
    if (this.dirs.has(path)) {
      if (options.recursive !== true) throw new SimFsError("EISDIR", "rm", path);
      // Removing a tree is made durable at once: the engine never relies on
      // a half-removed tree, and modelling it would need a parent fsync the
      // engine does not do.
      for (const p of [...this.dirs.keys()]) {
        if (p === path || p.startsWith(`${path}/`)) this.dirs.delete(p);
      }
      return;
    }
    const dir = this.dir(dirname(path));
    if (dir === undefined || !dir.entries.delete(basename(path))) {
      if (options.force === true) return;
      throw this.noent("rm", path);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await this.fault("rename", from);
    const src = this.dir(dirname(from));
    const inode = src?.entries.get(basename(from));
    const dst = this.dir(dirname(to));
    if (src === undefined || inode === undefined || dst === undefined)
      throw this.noent("rename", from);
    src.entries.delete(basename(from));
    dst.entries.set(basename(to), inode);
  }

  async unlink(path: string): Promise<void> {
    await this.sched.io(`unlink ${path}`);
    const dir = this.dir(dirname(path));
    if (dir === undefined || !dir.entries.delete(basename(path))) throw this.noent("unlink", path);
  }

  async stat(path: string): Promise<FileStat> {
    await this.sched.io(`stat ${path}`);
    if (this.dirs.has(path)) return this.statOf(null);
    const inode = this.lookup(path);
    if (inode === undefined) throw this.noent("stat", path);
    return this.statOf(inode);
  }

  async syncDir(path: string): Promise<void> {
    await this.fault("sync", path);
    const dir = this.dir(path);
    if (dir === undefined) throw this.noent("syncDir", path);
    dir.durable = new Map(dir.entries);
  }
}

/** A handle on a file (or, for syncs, a directory: inode null). */
class SimHandle implements FileHandle {
  private readonly fs: SimFileSystem;
  private readonly path: string;
  private readonly inode: Inode | null;
  private pos = 0;

  constructor(fs: SimFileSystem, path: string, inode: Inode | null) {
    this.fs = fs;
    this.path = path;
    this.inode = inode;
  }

  private file(): Inode {
    if (this.inode === null) throw new SimFsError("EISDIR", "io", this.path);
    return this.inode;
  }

  async read(buf: Uint8Array, offset: number, length: number, position: number) {
    return {
      bytesRead: await this.fs.readAt(this.path, this.file(), buf, offset, length, position),
    };
  }

  async write(buf: Uint8Array, offset = 0, length = buf.length - offset, position?: number | null) {
    const at = position ?? this.pos;
    await this.fs.writeAt(this.path, this.file(), buf.subarray(offset, offset + length), at);
    if (position === undefined || position === null) this.pos = at + length;
    return { bytesWritten: length };
  }

  async sync(): Promise<void> {
    if (this.inode === null) return this.fs.syncDir(this.path);
    await this.fs.syncInode(this.path, this.inode);
  }

  async datasync(): Promise<void> {
    await this.sync();
  }

  async stat(): Promise<FileStat> {
    return this.fs.statOf(this.inode);
  }

  async close(): Promise<void> {}
}
