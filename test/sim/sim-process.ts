// One process's view of the simulated disk: when the process "crashes", every
// operation it starts afterwards, and every handle it holds, hangs forever,
// so an abandoned Database can never touch the files of its successor.
import type { FileHandle, FileStat, FileSystem, OpenFlags } from "../../src/x/index.js";
import type { SimFileSystem } from "./sim-fs.js";

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export class SimProcessFs implements FileSystem {
  private readonly fs: SimFileSystem;
  alive = true;

  constructor(fs: SimFileSystem) {
    this.fs = fs;
  }

  /** Runs `op` while the process lives; a dead process's call, or its late answer, never returns. */
  async gate<T>(op: () => Promise<T>): Promise<T> {
    if (!this.alive) return never<T>();
    const out = await op();
    if (!this.alive) return never<T>();
    return out;
  }

  async open(path: string, flags: OpenFlags): Promise<FileHandle> {
    const fh = await this.gate(() => this.fs.open(path, flags));
    return {
      read: (b, o, l, p) => this.gate(() => fh.read(b, o, l, p)),
      write: (b, o, l, p) => this.gate(() => fh.write(b, o, l, p)),
      sync: () => this.gate(() => fh.sync()),
      datasync: () => this.gate(() => fh.datasync()),
      stat: () => this.gate(() => fh.stat()),
      close: () => this.gate(() => fh.close()),
    };
  }
  readFile(path: string): Promise<Uint8Array> {
    return this.gate(() => this.fs.readFile(path));
  }
  writeFile(path: string, data: Uint8Array | string): Promise<void> {
    return this.gate(() => this.fs.writeFile(path, data));
  }
  readdir(path: string): Promise<string[]> {
    return this.gate(() => this.fs.readdir(path));
  }
  mkdir(path: string): Promise<void> {
    return this.gate(() => this.fs.mkdir(path));
  }
  rm(path: string, options: { recursive?: boolean; force?: boolean }): Promise<void> {
    return this.gate(() => this.fs.rm(path, options));
  }
  rename(from: string, to: string): Promise<void> {
    return this.gate(() => this.fs.rename(from, to));
  }
  unlink(path: string): Promise<void> {
    return this.gate(() => this.fs.unlink(path));
  }
  stat(path: string): Promise<FileStat> {
    return this.gate(() => this.fs.stat(path));
  }
  syncDir(path: string): Promise<void> {
    return this.gate(() => this.fs.syncDir(path));
  }
}
