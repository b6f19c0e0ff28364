// The embedded KV of a single node: every key in one file under a directory
// the node owns, replaced whole on each change and read back into memory.
//
// File `kv.json`: one header line `m3ts-kv 1 <crc32c, 8 hex digits> <body bytes>\n`,
// then the body, a JSON array of `[key, version, value]` sorted by key. The
// checksum (CRC-32C) and length cover the body's UTF-8 bytes. A change is
// acknowledged only once the new file is on disk: it is written to
// `kv.json.tmp`, fsynced, renamed over `kv.json`, and the directory fsynced,
// so a crash at any point leaves either the old file or the new one. One
// process owns the directory at a time.
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { crc32c, M3tsError } from "../x/index.js";
import {
  type KV,
  KVClosedError,
  KVKeyExistsError,
  type KVValue,
  KVVersionMismatchError,
  kvValueJson,
} from "./kv.js";

/** The file holding every key, and the temp file a change is written to before its rename. */
export const KV_FILE = "kv.json";
export const KV_TEMP_FILE = "kv.json.tmp";
/** Largest value, as JSON bytes: well above a placement of thousands of shards, far below memory limits. */
export const MAX_KV_VALUE_BYTES = 8 << 20;
/** Largest KV file accepted on open. */
export const MAX_KV_FILE_BYTES = 256 << 20;

const MAGIC = "m3ts-kv";
const FORMAT_VERSION = 1;
const HEADER = /^m3ts-kv (\d+) ([0-9a-f]{8}) (\d+)$/;
const MAX_HEADER_BYTES = 64;

/** The KV file exists but does not hold a whole, checksummed KV state; names the file and the defect. */
export class KVCorruptError extends M3tsError {
  readonly path: string;

  constructor(path: string, why: string) {
    super(
      "M3TS_ERR_KV_CORRUPT",
      `KV file ${path} is damaged: ${why}; restore it from a backup or move it away to start empty`,
    );
    this.path = path;
  }
}

/** An entry as held in memory: its value kept as JSON text, so every read hands out a fresh copy. */
interface Entry {
  readonly version: number;
  readonly json: string;
}

type Watcher = (value: KVValue | null) => void;

export class FileKV implements KV {
  private readonly dir: string;
  private entries: Map<string, Entry>;
  private readonly watchers = new Map<string, Set<Watcher>>();
  /** The tail of the chain every change runs on, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;

  private constructor(dir: string, entries: Map<string, Entry>) {
    this.dir = dir;
    this.entries = entries;
  }

  /** Opens (creating if needed) the KV kept in `dir`; a damaged file is a KVCorruptError. */
  static async open(dir: string): Promise<FileKV> {
    await mkdir(dir, { recursive: true });
    // A temp file is a change that never reached its rename, so never acknowledged.
    await rm(join(dir, KV_TEMP_FILE), { force: true });
    const path = join(dir, KV_FILE);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return new FileKV(dir, new Map());
      throw e;
    }
    return new FileKV(dir, decode(path, bytes));
  }

  async get(key: string): Promise<KVValue | null> {
    const e = this.entries.get(key);
    return e === undefined ? null : { value: JSON.parse(e.json), version: e.version };
  }

  set(key: string, value: unknown): Promise<number> {
    return this.change(key, value, () => {});
  }

  checkAndSet(key: string, expectedVersion: number, value: unknown): Promise<number> {
    return this.change(key, value, (current) => {
      const actual = current?.version ?? 0;
      if (actual !== expectedVersion)
        throw new KVVersionMismatchError(key, expectedVersion, actual);
    });
  }

  setIfNotExists(key: string, value: unknown): Promise<number> {
    return this.change(key, value, (current) => {
      if (current !== undefined) throw new KVKeyExistsError(key);
    });
  }

  delete(key: string): Promise<KVValue | null> {
    if (this.closing) return Promise.reject(new KVClosedError(key));
    return this.serial(async () => {
      const current = this.entries.get(key);
      if (current === undefined) return null;
      const next = new Map(this.entries);
      next.delete(key);
      await this.persist(next);
      this.entries = next;
      this.notify(key, null);
      return { value: JSON.parse(current.json), version: current.version };
    });
  }

  /**
   * Calls `onChange` after each durable change of `key` (null once deleted),
   * in the order of the changes, never inside the call that made the change.
   * It is not called with the current value. A watcher that throws throws
   * out of a microtask, where Node reports it as uncaught: a watcher must
   * handle its own errors.
   */
  watch(key: string, onChange: (value: KVValue | null) => void): () => void {
    let set = this.watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(key, set);
    }
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0 && this.watchers.get(key) === set) this.watchers.delete(key);
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.serial(async () => {});
    this.watchers.clear();
  }

  /** Runs a change: `check` sees the current entry and throws to refuse it. */
  private change(
    key: string,
    value: unknown,
    check: (current: Entry | undefined) => void,
  ): Promise<number> {
    if (this.closing) return Promise.reject(new KVClosedError(key));
    let json: string;
    try {
      json = kvValueJson(key, value, MAX_KV_VALUE_BYTES);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(async () => {
      const current = this.entries.get(key);
      check(current);
      const entry: Entry = { version: (current?.version ?? 0) + 1, json };
      // Readers keep seeing the old state until the new one is durable.
      const next = new Map(this.entries);
      next.set(key, entry);
      await this.persist(next);
      this.entries = next;
      this.notify(key, entry);
      return entry.version;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => {});
    return run;
  }

  private async persist(entries: Map<string, Entry>): Promise<void> {
    const bytes = encode(entries);
    const tmp = join(this.dir, KV_TEMP_FILE);
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, KV_FILE));
    // The rename itself is durable only once the directory is.
    const dh = await open(this.dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  private notify(key: string, entry: Entry | null): void {
    const set = this.watchers.get(key);
    if (set === undefined) return;
    for (const fn of set) {
      const value =
        entry === null ? null : { value: JSON.parse(entry.json), version: entry.version };
      // Checked at delivery: a watcher stopped in between gets nothing more.
      queueMicrotask(() => {
        if (set.has(fn)) fn(value);
      });
    }
  }
}

function encode(entries: Map<string, Entry>): Buffer {
  const keys = [...entries.keys()].sort();
  const rows = keys.map((k) => {
    const e = entries.get(k) as Entry;
    return `[${JSON.stringify(k)},${e.version},${e.json}]`;
  });
  const body = Buffer.from(`[${rows.join(",\n")}]`);
  const crc = crc32c(body).toString(16).padStart(8, "0");
  const header = Buffer.from(`${MAGIC} ${FORMAT_VERSION} ${crc} ${body.length}\n`);
  return Buffer.concat([header, body]);
}

function decode(path: string, bytes: Buffer): Map<string, Entry> {
  if (bytes.length > MAX_KV_FILE_BYTES) {
    throw new KVCorruptError(
      path,
      `it is ${bytes.length} bytes; the limit is ${MAX_KV_FILE_BYTES}`,
    );
  }
  const newline = bytes.indexOf(0x0a);
  if (newline < 0 || newline > MAX_HEADER_BYTES) {
    throw new KVCorruptError(path, `it does not start with a "${MAGIC}" header line`);
  }
  const m = HEADER.exec(bytes.toString("latin1", 0, newline));
  if (m === null) {
    throw new KVCorruptError(path, `its header line is not "${MAGIC} <version> <crc32c> <length>"`);
  }
  if (Number(m[1]) !== FORMAT_VERSION) {
    throw new KVCorruptError(
      path,
      `format version ${m[1]} is not the one this build reads (${FORMAT_VERSION})`,
    );
  }
  const body = bytes.subarray(newline + 1);
  if (body.length !== Number(m[3])) {
    throw new KVCorruptError(
      path,
      `its body is ${body.length} bytes, the header says ${m[3]} (truncated?)`,
    );
  }
  const crc = crc32c(body).toString(16).padStart(8, "0");
  if (crc !== m[2])
    throw new KVCorruptError(path, `its checksum is ${crc}, the header says ${m[2]}`);

  let rows: unknown;
  try {
    rows = JSON.parse(body.toString("utf8"));
  } catch {
    // Only a writer bug gets a bad body past the checksum; still report it as damage.
    throw new KVCorruptError(path, "its body is not JSON");
  }
  if (!Array.isArray(rows)) throw new KVCorruptError(path, "its body is not an array of entries");
  const entries = new Map<string, Entry>();
  for (const row of rows) {
    if (
      !Array.isArray(row) ||
      row.length !== 3 ||
      typeof row[0] !== "string" ||
      !Number.isSafeInteger(row[1]) ||
      row[1] < 1 ||
      entries.has(row[0])
    ) {
      throw new KVCorruptError(
        path,
        `entry ${entries.size} is not a [key, version >= 1, value] of a new key`,
      );
    }
    entries.set(row[0], { version: row[1], json: JSON.stringify(row[2]) });
  }
  return entries;
}
