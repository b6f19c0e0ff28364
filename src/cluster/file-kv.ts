// The embedded KV of a single node: every key in one JSON file with a CRC32
// of its content. A change is acknowledged only once the new file is on disk
// (temp file, fsync, rename, fsync of the directory), so a crash leaves the
// old state or the new one, never a torn file. Changes are serialised; reads
// are served from memory.
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { M3tsError } from "../x/index.js";
import { type KV, KVKeyExistsError, type KVValue, KVVersionMismatchError } from "./kv.js";

const FILE = "kv.json";
const FORMAT = "m3ts-kv-1";

/** The KV file exists but is not a KV file any more (torn by hand, damaged on disk). */
export class KVCorruptError extends M3tsError {
  constructor(path: string, why: string) {
    super("M3TS_ERR_KV_CORRUPT", `KV file ${path} is damaged: ${why}`);
  }
}

export class FileKV implements KV {
  private readonly dir: string;
  private readonly entries: Map<string, KVValue>;
  private readonly watchers = new Map<string, Set<(v: KVValue | null) => void>>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(dir: string, entries: Map<string, KVValue>) {
    this.dir = dir;
    this.entries = entries;
  }

  static async open(dir: string): Promise<FileKV> {
    await mkdir(dir, { recursive: true });
    // A temp file is a write that never reached its rename: the old file stands.
    await rm(join(dir, `${FILE}.tmp`), { force: true });
    const path = join(dir, FILE);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return new FileKV(dir, new Map());
      throw e;
    }
    let parsed: { format?: string; crc32?: number; entries?: string };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new KVCorruptError(path, "it is not JSON");
    }
    if (parsed.format !== FORMAT || typeof parsed.entries !== "string") {
      throw new KVCorruptError(
        path,
        `format is ${JSON.stringify(parsed.format)}, expected ${FORMAT}`,
      );
    }
    if (crc32(parsed.entries) !== parsed.crc32)
      throw new KVCorruptError(path, "its checksum does not match");
    const entries = new Map<string, KVValue>(
      Object.entries(JSON.parse(parsed.entries) as Record<string, KVValue>),
    );
    return new FileKV(dir, entries);
  }

  async get(key: string): Promise<KVValue | null> {
    const e = this.entries.get(key);
    return e === undefined ? null : { value: structuredClone(e.value), version: e.version };
  }

  set(key: string, value: unknown): Promise<number> {
    return this.change(key, () => value);
  }

  checkAndSet(key: string, expectedVersion: number, value: unknown): Promise<number> {
    return this.change(key, (current) => {
      const actual = current?.version ?? 0;
      if (actual !== expectedVersion)
        throw new KVVersionMismatchError(key, expectedVersion, actual);
      return value;
    });
  }

  setIfNotExists(key: string, value: unknown): Promise<number> {
    return this.change(key, (current) => {
      if (current !== undefined) throw new KVKeyExistsError(key);
      return value;
    });
  }

  async delete(key: string): Promise<KVValue | null> {
    const result = this.serial(async () => {
      const current = this.entries.get(key);
      if (current === undefined) return null;
      this.entries.delete(key);
      try {
        await this.persist();
      } catch (e) {
        this.entries.set(key, current);
        throw e;
      }
      this.notify(key, null);
      return current;
    });
    return result;
  }

  watch(key: string, onChange: (value: KVValue | null) => void): () => void {
    let set = this.watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(key, set);
    }
    set.add(onChange);
    return () => set.delete(onChange);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => {});
    this.watchers.clear();
  }

  private change(key: string, next: (current: KVValue | undefined) => unknown): Promise<number> {
    return this.serial(async () => {
      if (this.closed) throw new M3tsError("M3TS_ERR_KV_CLOSED", "the KV is closed");
      const current = this.entries.get(key);
      const value = structuredClone(next(current));
      const entry = { value, version: (current?.version ?? 0) + 1 };
      this.entries.set(key, entry);
      try {
        await this.persist();
      } catch (e) {
        if (current === undefined) this.entries.delete(key);
        else this.entries.set(key, current);
        throw e;
      }
      this.notify(key, entry);
      return entry.version;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  private async persist(): Promise<void> {
    const entries = JSON.stringify(Object.fromEntries(this.entries));
    const text = JSON.stringify({ format: FORMAT, crc32: crc32(entries), entries });
    const tmp = join(this.dir, `${FILE}.tmp`);
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, FILE));
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private notify(key: string, value: KVValue | null): void {
    const set = this.watchers.get(key);
    if (set === undefined) return;
    for (const fn of set) {
      const copy =
        value === null ? null : { value: structuredClone(value.value), version: value.version };
      queueMicrotask(() => fn(copy));
    }
  }
}
