// The metric metadata store kept in the node's data directory, so /api/v1/metadata answers
// after a restart before senders resend their metadata (Prometheus's 1.0 sender does so
// once a minute). Saved on an interval when something changed, and at close.
//
// File `metric-metadata.json`: one header line `m3ts-metadata 1 <crc32c, 8 hex digits>
// <body bytes>\n`, then the body, a JSON array of `[family, [[type, help, unit], ...]]`,
// the family seen least recently first and each family's entries most recent first. The
// checksum (CRC-32C) and length cover the body's UTF-8 bytes. A save writes
// `metric-metadata.json.tmp` (written and fsynced whole), renames it over the file and
// fsyncs the directory, so a crash leaves the old file or the new one. The file is a
// cache of what senders send again: a damaged one is logged and set aside, never fatal.
// docs/format/metric-metadata.md describes the format.
import { join } from "node:path";
import { crc32c, type FileSystem, type Logger, M3tsError, nodeFileSystem } from "../../x/index.js";
import {
  METRIC_TYPES,
  type MetadataStoreLimits,
  MetricMetadataStore,
  type MetricType,
} from "./metadata-store.js";

export const METADATA_FILE = "metric-metadata.json";
export const METADATA_TEMP_FILE = "metric-metadata.json.tmp";
/** Where a damaged file is moved on open, so that it can be looked at and is not overwritten unseen. */
export const METADATA_DAMAGED_FILE = "metric-metadata.json.damaged";
export const DEFAULT_METADATA_SAVE_INTERVAL_MS = 60_000;
/** Largest file read on open: far above 100 000 families of ordinary help texts. */
export const MAX_METADATA_FILE_BYTES = 256 << 20;

const MAGIC = "m3ts-metadata";
const FORMAT_VERSION = 1;
const HEADER = /^m3ts-metadata (\d+) ([0-9a-f]{8}) (\d+)$/;
const MAX_HEADER_BYTES = 64;

/** The metadata file does not hold a whole, checksummed store; names the file and the defect. */
export class MetadataFileCorruptError extends M3tsError {
  readonly path: string;

  constructor(path: string, why: string) {
    super("M3TS_ERR_METADATA_FILE_CORRUPT", `metric metadata file ${path} is damaged: ${why}`);
    this.path = path;
  }
}

export interface MetadataPersistenceOptions extends MetadataStoreLimits {
  /** The directory the file lives in (the node's data directory); created if missing. */
  dir: string;
  fs?: FileSystem;
  logger: Logger;
  /** How often a changed store is saved (default DEFAULT_METADATA_SAVE_INTERVAL_MS); 0 saves only on close and save(). */
  saveIntervalMs?: number;
}

/** A MetricMetadataStore loaded from its file, saved on an interval and at close. */
export class MetadataPersistence {
  readonly store: MetricMetadataStore;
  readonly path: string;
  private readonly dir: string;
  private readonly fs: FileSystem;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | null = null;
  /** The store's change count the file on disk matches. */
  private savedChanges: number;
  /** Evictions already reported in a log line. */
  private reportedEvictions = 0;
  /** The tail of the chain saves run on, one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    options: MetadataPersistenceOptions,
    store: MetricMetadataStore,
    fs: FileSystem,
  ) {
    this.store = store;
    this.dir = options.dir;
    this.path = join(options.dir, METADATA_FILE);
    this.fs = fs;
    this.logger = options.logger;
    this.savedChanges = store.changes;
  }

  /** Loads the store from `dir` (empty when there is no file) and starts the save interval. */
  static async open(options: MetadataPersistenceOptions): Promise<MetadataPersistence> {
    const fs = options.fs ?? nodeFileSystem;
    const intervalMs = options.saveIntervalMs ?? DEFAULT_METADATA_SAVE_INTERVAL_MS;
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 0) {
      throw new RangeError(
        `metadata saveIntervalMs is ${intervalMs}; it must be an integer ≥ 0 (0: save only at close)`,
      );
    }
    const store = new MetricMetadataStore(options);
    await fs.mkdir(options.dir, { recursive: true });
    // A temp file is a save that never reached its rename.
    await fs.rm(join(options.dir, METADATA_TEMP_FILE), { force: true });
    const path = join(options.dir, METADATA_FILE);
    let bytes: Uint8Array | null = null;
    try {
      bytes = await fs.readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (bytes !== null) {
      try {
        loadInto(store, decodeMetadataFile(path, bytes));
      } catch (e) {
        if (!(e instanceof MetadataFileCorruptError)) throw e;
        const aside = join(options.dir, METADATA_DAMAGED_FILE);
        await fs.rename(path, aside);
        options.logger.warn(
          { err: e, movedTo: aside },
          "metric metadata file is damaged: starting with no metadata; senders resend theirs",
        );
      }
    }
    const p = new MetadataPersistence(options, store, fs);
    if (intervalMs > 0) {
      p.timer = setInterval(() => {
        p.save().catch((e) =>
          p.logger.error({ err: e, path: p.path }, "saving the metric metadata failed"),
        );
      }, intervalMs);
      p.timer.unref();
    }
    return p;
  }

  /** Writes the store to its file if it changed since the last save; resolves once durable. */
  save(): Promise<void> {
    const run = this.queue.then(() => this.saveNow());
    this.queue = run.catch(() => {});
    return run;
  }

  /** Stops the interval and saves one last time. */
  async close(): Promise<void> {
    if (this.closed) return this.queue;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.save();
  }

  private async saveNow(): Promise<void> {
    const store = this.store;
    const evicted = store.evictedMetrics;
    if (evicted > this.reportedEvictions) {
      this.logger.warn(
        { evicted: evicted - this.reportedEvictions, maxMetrics: store.maxMetrics },
        "metric metadata: families dropped, least recently seen first, to stay within maxMetrics",
      );
      this.reportedEvictions = evicted;
    }
    const changes = store.changes;
    if (changes === this.savedChanges) return;
    const tmp = join(this.dir, METADATA_TEMP_FILE);
    await this.fs.writeFile(tmp, encodeMetadataFile(store));
    await this.fs.rename(tmp, this.path);
    // The rename is durable only once the directory is.
    await this.fs.syncDir(this.dir);
    this.savedChanges = changes;
  }
}

/** The file's bytes for what `store` holds now. */
export function encodeMetadataFile(store: MetricMetadataStore): Uint8Array {
  const rows: string[] = [];
  for (const [family, entries] of store.byRecency()) {
    const list = entries.map((e) => [e.type, e.help, e.unit]);
    rows.push(JSON.stringify([family, list]));
  }
  const body = Buffer.from(`[${rows.join(",\n")}]`);
  const crc = crc32c(body).toString(16).padStart(8, "0");
  const header = Buffer.from(`${MAGIC} ${FORMAT_VERSION} ${crc} ${body.length}\n`);
  return Buffer.concat([header, body]);
}

type Row = [string, [MetricType, string, string][]];

/** The rows of a metadata file, checked; throws MetadataFileCorruptError naming the defect. */
export function decodeMetadataFile(path: string, bytes: Uint8Array): Row[] {
  if (bytes.length > MAX_METADATA_FILE_BYTES) {
    throw new MetadataFileCorruptError(
      path,
      `it is ${bytes.length} bytes; the limit is ${MAX_METADATA_FILE_BYTES}`,
    );
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const newline = buf.indexOf(0x0a);
  if (newline < 0 || newline > MAX_HEADER_BYTES) {
    throw new MetadataFileCorruptError(path, `it does not start with a "${MAGIC}" header line`);
  }
  const m = HEADER.exec(buf.toString("latin1", 0, newline));
  if (m === null) {
    throw new MetadataFileCorruptError(
      path,
      `its header line is not "${MAGIC} <version> <crc32c> <length>"`,
    );
  }
  if (Number(m[1]) !== FORMAT_VERSION) {
    throw new MetadataFileCorruptError(
      path,
      `format version ${m[1]} is not the one this build reads (${FORMAT_VERSION})`,
    );
  }
  const body = buf.subarray(newline + 1);
  if (body.length !== Number(m[3])) {
    throw new MetadataFileCorruptError(
      path,
      `its body is ${body.length} bytes, the header says ${m[3]} (truncated?)`,
    );
  }
  const crc = crc32c(body).toString(16).padStart(8, "0");
  if (crc !== m[2]) {
    throw new MetadataFileCorruptError(path, `its checksum is ${crc}, the header says ${m[2]}`);
  }
  let rows: unknown;
  try {
    rows = JSON.parse(body.toString("utf8"));
  } catch {
    throw new MetadataFileCorruptError(path, "its body is not JSON");
  }
  if (!Array.isArray(rows)) {
    throw new MetadataFileCorruptError(path, "its body is not an array of families");
  }
  rows.forEach((row, i) => {
    if (!isRow(row)) {
      throw new MetadataFileCorruptError(
        path,
        `family ${i} is not [name, [[type, help, unit], ...]] with a known type`,
      );
    }
  });
  return rows as Row[];
}

function isRow(row: unknown): row is Row {
  if (!Array.isArray(row) || row.length !== 2 || typeof row[0] !== "string") return false;
  const entries = row[1];
  if (!Array.isArray(entries) || entries.length === 0) return false;
  return entries.every(
    (e) =>
      Array.isArray(e) &&
      e.length === 3 &&
      (METRIC_TYPES as readonly unknown[]).includes(e[0]) &&
      typeof e[1] === "string" &&
      typeof e[2] === "string",
  );
}

/** Replays rows into a store so that it ends in the order they were saved in. */
function loadInto(store: MetricMetadataStore, rows: Row[]): void {
  for (const [family, entries] of rows) {
    // Oldest entry first, so that the most recent ends first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [type, help, unit] = entries[i];
      store.observe(family, type, help, unit);
    }
  }
}
